// The web app (ui-panel, DESIGN §3.7) as the controller serves it: the built files of ui-panel/dist, and its
// index.html for the app's own paths (`/` the IT dashboard, `/panel/:room` a room's operator panel), so a reload on
// either opens the right face. Static files, not API routes: public, and not in the OpenAPI document; everything the
// app shows comes from the authorized API.
import { appFiles, PANEL_DIR, PANEL_PATH } from "@rc/ui-panel/app-files";
import type { Router } from "express";
import { sendProblem } from "./problem.ts";

export { PANEL_DIR };

export function panelFiles(dir = PANEL_DIR): Router {
  return appFiles({
    dir,
    isAppPath: (path) => path === "/" || PANEL_PATH.test(path),
    notBuilt: (response) => sendProblem(response, 404, "not_found", "the web app is not built: run scripts/build.sh"),
  });
}
