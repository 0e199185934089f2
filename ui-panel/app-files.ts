// The built web app (ui-panel/dist) as a Node server serves it: its hashed assets, and its index.html for the app's
// own paths, so a reload opens the right face. One definition for both servers of the app: the controller (the IT
// dashboard and every room's panel) and a room agent (that room's panel alone, for its own screen). Node only (express):
// not part of the browser bundle, which Vite builds from index.html.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import express, { type RequestHandler, type Response, type Router } from "express";

/** Found through the package (not this file's URL), so a program bundled into dist/ finds the same folder. */
export const PANEL_DIR = join(dirname(createRequire(import.meta.url).resolve("@rc/ui-panel/package.json")), "dist");

/** A room's panel path (a room id, as in protocol's ID_PATTERN); group 1 is the room. */
export const PANEL_PATH = /^\/panel\/([a-z0-9][a-z0-9-]*)\/?$/;

export interface AppFilesOptions {
  /** Which paths are pages of the app (answered with index.html). */
  isAppPath: (path: string) => boolean;
  /** Answers a page asked for while the app is not built. */
  notBuilt: (response: Response) => void;
  dir?: string;
}

export function appFiles({ isAppPath, notBuilt, dir = PANEL_DIR }: AppFilesOptions): Router {
  const index = join(dir, "index.html");
  const appPage: RequestHandler = (request, response, next) => {
    if ((request.method !== "GET" && request.method !== "HEAD") || !isAppPath(request.path)) return next();
    if (!existsSync(index)) return notBuilt(response);
    response.set("cache-control", "no-cache").sendFile(index);
  };
  const router = express.Router();
  // Hashed file names (Vite): an asset never changes under its name, index.html always may.
  router.use("/assets", express.static(join(dir, "assets"), { immutable: true, maxAge: "365d", index: false }));
  router.use(appPage);
  return router;
}
