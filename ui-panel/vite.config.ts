// Builds the web app into dist/ (served by the controller). `npx vite` in this folder serves it with the API of a
// controller on 127.0.0.1:8080 (the demo's) behind it, for working on the UI.
import { defineConfig } from "vite";

const controller = "http://127.0.0.1:8080";

export default defineConfig({
  root: import.meta.dirname,
  base: "/",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", assetsInlineLimit: 0 },
  server: {
    host: "127.0.0.1",
    proxy: { "/api": controller, "/socket.io": { target: controller, ws: true } },
  },
});
