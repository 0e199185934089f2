// One app, two faces, chosen by the path: `/panel/:room` a room's operator panel, anything else the IT dashboard.
import "./styles.css";
import { currentLanguage, messages } from "./i18n/index.ts";

async function main(): Promise<void> {
  const root = document.getElementById("app")!;
  document.documentElement.lang = currentLanguage();
  document.title = messages().appTitle;
  const panel = /^\/panel\/([a-z0-9][a-z0-9-]*)\/?$/.exec(window.location.pathname);
  if (panel) {
    const { RoomPanel } = await import("./components/room-panel.ts");
    const element = new RoomPanel();
    element.room = panel[1]!;
    root.replaceChildren(element);
  } else {
    const { ItDashboard } = await import("./components/it-dashboard.ts");
    root.replaceChildren(new ItDashboard());
  }
}

void main();
