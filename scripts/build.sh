#!/usr/bin/env bash
# Bundles the controller and the room agent into plain JavaScript (dist/, not committed), so the processes that run
# in rooms do not carry the TypeScript loader: it alone costs ~36 MB RSS per process (see BENCHMARKS.md).
# Native addons stay outside the bundle and load from node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
external=(--external:serialport --external:@serialport/* --external:gstreamer-superficial --external:johnny-five
  --external:firmata-io --external:bufferutil --external:utf-8-validate)
banner="import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
# The media worker is a process of its own that the agent starts beside its bundle (see worker-process.ts); the
# agent's local panel a module it loads from beside its bundle only when asked to serve it (see agent.ts).
declare -A entries=([room-agent]=room-agent/src/cli.ts [controller]=controller/src/cli.ts
  [media-worker]=room-agent/src/media-worker/media-worker.ts [local-panel]=room-agent/src/local-panel.ts)
# The controller's rc_build_info names the commit; a tree that is not a git clone says "unknown".
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
for name in "${!entries[@]}"; do
  # Comments out: one non-ASCII character in a kept comment makes V8 hold the whole source as UTF-16 (2 × 2.4 MB).
  npx esbuild "${entries[$name]}" --bundle --platform=node --target=node20 --format=esm --log-level=warning \
    --define:RC_GIT_COMMIT="\"$commit\"" --minify-whitespace --legal-comments=none --charset=ascii \
    "${external[@]}" --banner:js="$banner" --outfile="dist/$name.mjs"
done
# The web app (operator panel and IT dashboard) into ui-panel/dist, which the controller serves.
npx vite build ui-panel --logLevel warn
