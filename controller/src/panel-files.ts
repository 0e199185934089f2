// The web app (ui-panel, DESIGN §3.7) as the controller serves it: the built files of ui-panel/dist, and its
// index.html for the app's own paths (`/` the IT dashboard, `/panel/:room` a room's operator panel), so a reload on
// either opens the right face. Static files, not API routes: public, and not in the OpenAPI document; everything the
// app shows comes from the authorized API.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import express, { type RequestHandler, type Router } from "express";
import { sendProblem } from "./problem.ts";

/** Found through the package (not this file's URL), so the controller's bundle in dist/ finds the same folder. */
export const PANEL_DIR = join(dirname(createRequire(import.meta.url).resolve("@rc/ui-panel/package.json")), "dist");

/** The app's own paths: the dashboard, and a room's panel (a room id, as in ID_PATTERN). */
const APP_PATH = /^\/(panel\/[a-z0-9][a-z0-9-]*\/?)?$/;

export function panelFiles(dir = PANEL_DIR): Router {
  const index = join(dir, "index.html");
  const appPage: RequestHandler = (request, response, next) => {
    if ((request.method !== "GET" && request.method !== "HEAD") || !APP_PATH.test(request.path)) return next();
    if (!existsSync(index)) {
      return sendProblem(response, 404, "not_found", "the web app is not built: run scripts/build.sh");
    }
    response.set("cache-control", "no-cache").sendFile(index);
  };
  const router = express.Router();
  // Hashed file names (Vite): an asset never changes under its name, index.html always may.
  router.use("/assets", express.static(join(dir, "assets"), { immutable: true, maxAge: "365d", index: false }));
  router.use(appPage);
  return router;
}
