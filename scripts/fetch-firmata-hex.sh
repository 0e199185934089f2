#!/usr/bin/env bash
# Puts the real StandardFirmata firmware (and a Blink sketch, a board that never answers) for an Arduino Uno into
# node_modules/.cache/firmata/, for the simulated GPIO boards. Both come prebuilt in the npm tarball of
# avrgirl-arduino 5.0.1 (MIT), fetched with `npm pack`: installing that package hangs on a git dependency.
# Checked by sha256; does nothing, and needs no network, when the files are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

package="avrgirl-arduino@5.0.1"
cache="node_modules/.cache/firmata"
declare -A sha256=(
  [uno/StandardFirmata.cpp.hex]=6d57ea7cf30e26c9c2f3a01ee37907d2c951f8bc9c27f84dddad12fa9c8b8f36
  [uno/Blink.cpp.hex]=ebc22be95deaebf9dec9ee9c8d99bda57cfc20cc37efbc72b959afaa88278404
)

present() {
  for file in "${!sha256[@]}"; do
    [ -f "$cache/$file" ] && echo "${sha256[$file]}  $cache/$file" | sha256sum --check --status || return 1
  done
}

if present; then exit 0; fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "fetch-firmata-hex: npm pack $package"
npm pack "$package" --pack-destination "$work" --silent --no-audit --no-fund >/dev/null
members=(package/LICENSE.md)
for file in "${!sha256[@]}"; do members+=("package/junk/hex/$file"); done
tar -xzf "$work"/avrgirl-arduino-*.tgz -C "$work" "${members[@]}"
for file in "${!sha256[@]}"; do
  if ! echo "${sha256[$file]}  $work/package/junk/hex/$file" | sha256sum --check --status; then
    echo "fetch-firmata-hex: $file in $package does not have the expected sha256 ${sha256[$file]}" >&2
    exit 1
  fi
  mkdir -p "$(dirname "$cache/$file")"
  # Copy then rename, so a reader never sees half a file.
  cp "$work/package/junk/hex/$file" "$cache/$file.tmp"
  mv "$cache/$file.tmp" "$cache/$file"
done
cp "$work/package/LICENSE.md" "$cache/LICENSE-avrgirl-arduino.md"
echo "fetch-firmata-hex: firmware in $cache"
