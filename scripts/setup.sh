#!/usr/bin/env bash
# Installs what this repository needs on a Debian machine, as root, and does nothing when it is all there.
# Used by the README's two commands (scripts/demo.sh and scripts/test.sh); safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! node --version 2>/dev/null | grep -q '^v20\.'; then
  echo "setup: Node.js 20 is required (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi

debian_packages=(
  mosquitto socat
  # Headers for the Mosquitto plugin that binds client ids to logins (controller/mosquitto/client-id-plugin.c).
  mosquitto-dev libmosquitto-dev
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
  gstreamer1.0-libav gstreamer1.0-rtsp libgstrtspserver-1.0-dev
  # The simulated cameras' picture: textoverlay (pango) lives in gstreamer1.0-x, its captions are DejaVu; tests read
  # the camera's RTSP stream with ffprobe.
  gstreamer1.0-x fonts-dejavu-core ffmpeg
  # A stock ONVIF client (onvif-util) that a test runs against the simulated camera.
  onvif-tools
  chromium espeak-ng sox
  # systemd-analyze checks the deployment kit's units; openssl makes the site's CA (controller tls init).
  systemd openssl
)

missing=()
for package in "${debian_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$package")
  fi
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Installing the Debian mosquitto package starts a system broker on 1883, which this machine did not have: it is
  # stopped (tests start their own on free ports). Only a service installed by this run: a broker that was here
  # before (a site's production broker) is never touched.
  if [[ " ${missing[*]} " == *" mosquitto "* ]] && command -v systemctl >/dev/null 2>&1; then
    echo "setup: stopping the mosquitto service this run installed (tests start their own brokers)"
    systemctl disable --now mosquitto >/dev/null 2>&1 || true
  fi
fi

# npm ci only when the lock changed since the last install (npm writes node_modules/.package-lock.json).
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

# Mosquitto's client-id plugin, for the tests that run Mosquitto (a real site builds it the same way): rebuilt only
# when its source changed.
plugin_source="controller/mosquitto/client-id-plugin.c"
plugin="node_modules/.cache/mosquitto/client-id-plugin.so"
if [ ! -f "$plugin" ] || [ "$plugin_source" -nt "$plugin" ]; then
  mkdir -p "$(dirname "$plugin")"
  cc -shared -fPIC -O2 -Wall -Wextra -Werror -o "$plugin" "$plugin_source"
fi

# The simulated GPIO boards' firmware (StandardFirmata for an Uno) from the npm registry, checked by sha256; a no-op
# when present, so nothing downloads while tests or the demo run.
bash scripts/fetch-firmata-hex.sh
