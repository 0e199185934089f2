#!/usr/bin/env bash
# Makes a release for the machines of a site: the bundles (scripts/build.sh), the built web app, and only the
# modules the bundles load at run time (native addons and what they need, copied with their compiled parts from this
# machine's node_modules), the Mosquitto plugin built here, the deployment kit and the guides:
#   release/room-controller-VERSION-ARCH.tar.gz, unpacked on the target and installed with deploy/install.sh.
# Build it on the Debian release, architecture and Node.js major version of the targets: the addons are compiled for
# them (release.json records which), so the targets need no compiler, no npm and no -dev packages.
set -euo pipefail
cd "$(dirname "$0")/.."
# On a machine set up by scripts/setup.sh (node_modules installed, the Mosquitto plugin built).
bash scripts/build.sh
version=$(node -p 'require("./room-agent/package.json").version')
arch=$(dpkg --print-architecture)
name="room-controller-$version-$arch"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
root="$stage/$name"
mkdir -p "$root/dist" "$root/mosquitto" "$root/docs" "$root/node_modules/@rc/ui-panel"
cp dist/room-agent.mjs dist/local-panel.mjs dist/controller.mjs dist/media-worker.mjs "$root/dist/"
cp -r deploy "$root/"
cp docs/INSTALL.md docs/INSTALL.en.md "$root/docs/"
cp LICENSE README.md "$root/"
cp controller/mosquitto/mosquitto.conf controller/mosquitto/acl node_modules/.cache/mosquitto/client-id-plugin.so \
  "$root/mosquitto/"
# Data the bundles find through their packages: the web app (ui-panel/app-files.ts) and the device model files
# (hardware-profiles/src/device-models.ts), with the example room profiles beside them.
cp ui-panel/package.json "$root/node_modules/@rc/ui-panel/"
cp -r ui-panel/dist "$root/node_modules/@rc/ui-panel/dist"
mkdir -p "$root/node_modules/@rc/hardware-profiles"
cp -r hardware-profiles/package.json hardware-profiles/devices hardware-profiles/rooms \
  "$root/node_modules/@rc/hardware-profiles/"
# The bundles' externals (scripts/build.sh) and, recursively, their dependencies, as npm laid them out here.
node --input-type=module -e '
  import { cpSync, existsSync, readFileSync } from "node:fs";
  import { join } from "node:path";
  const [target] = process.argv.slice(1);
  // [name, the package folder that needs it]: a dependency in the node_modules inside that folder came along with it.
  const wanted = ["serialport", "gstreamer-superficial", "johnny-five", "firmata-io"].map((name) => [name, "."]);
  const seen = new Set();
  while (wanted.length > 0) {
    const [name, from] = wanted.pop();
    if (existsSync(join(from, "node_modules", name)) && from !== ".") continue;
    const dir = join("node_modules", name);
    if (seen.has(name)) continue;
    if (!existsSync(dir)) throw new Error(`${name} is not installed here: npm ci first`);
    seen.add(name);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
    for (const dependency of Object.keys(pkg.dependencies ?? {})) wanted.push([dependency, dir]);
    for (const optional of Object.keys(pkg.optionalDependencies ?? {}))
      if (existsSync(join("node_modules", optional))) wanted.push([optional, dir]);
    cpSync(dir, join(target, "node_modules", name), { recursive: true, dereference: true });
  }
  console.log(`package-release: ${seen.size} modules`);
' "$root"
# The controller's bundle reads its version from the package.json above it (controller/src/cli.ts).
printf '{"name": "room-controller", "private": true, "version": "%s"}\n' \
  "$(node -p 'require("./controller/package.json").version')" >"$root/package.json"
printf '{"version": "%s", "node": "%s", "arch": "%s", "debian": "%s", "commit": "%s"}\n' "$version" "$(node --version)" \
  "$arch" "$(cat /etc/debian_version)" "$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" >"$root/release.json"
mkdir -p release
tar -czf "release/$name.tar.gz" -C "$stage" "$name"
echo "package-release: release/$name.tar.gz"
