#!/usr/bin/env bash
# Installs a release of the room controller on a Debian 12/13 machine, as root, from the unpacked release folder
# (scripts/package-release.sh makes it: bundles and the native modules they load, prebuilt, so no compiler or npm is
# needed here):
#   deploy/install.sh room          a room's mini-PC: the room agent, its unit, the serial udev rules
#   deploy/install.sh controller    the controller's machine: the controller, Mosquitto with TLS, their units
# Safe to run again (an upgrade): settings in /etc/room-controller are never overwritten, services are restarted only
# if they were running. docs/INSTALL.md (Tiếng Việt) and docs/INSTALL.en.md tell the steps around it.
set -euo pipefail
role=${1:-}
if [[ "$role" != room && "$role" != controller ]]; then
  echo "usage: $0 room|controller" >&2
  exit 2
fi
[[ $(id -u) == 0 ]] || { echo "install: run as root" >&2; exit 1; }
release=$(cd "$(dirname "$0")/.." && pwd)
[[ -f "$release/dist/room-agent.mjs" && -f "$release/dist/controller.mjs" ]] ||
  { echo "install: $release is not a release folder (no dist/*.mjs): use scripts/package-release.sh" >&2; exit 1; }
prefix=/opt/room-controller
etc=/etc/room-controller

# The release's native modules were built for one Node major version (release.json says which): the same one here.
built_for=$(sed -n 's/.*"node": *"v\([0-9]*\)\..*/\1/p' "$release/release.json")
here=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p' || true)
if [[ "$here" != "$built_for" ]]; then
  echo "install: this release needs Node.js $built_for (found: ${here:-none}); install nodejs $built_for first" >&2
  exit 1
fi

# udev: stable serial names, and `room-agent ports` reads its database.
packages=(openssl udev)
if [[ $role == room ]]; then
  # GStreamer's runtime only (the release carries its Node binding prebuilt): no -dev packages, no compiler.
  packages+=(gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
    gstreamer1.0-libav gstreamer1.0-x gstreamer1.0-gl gstreamer1.0-tools)
else
  packages+=(mosquitto mosquitto-clients)
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]} > 0)); then
  echo "install: Debian packages: ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The release, replaced whole: a new folder beside the old one, then renamed over it.
mkdir -p "$prefix.new"
cp -a "$release/." "$prefix.new/"
rm -rf "$prefix.old"
[[ -d $prefix ]] && mv "$prefix" "$prefix.old"
mv "$prefix.new" "$prefix"
rm -rf "$prefix.old"
install -d -m 0755 "$etc"

# The commands, for the integrator: room-agent check|discover|ports, room-controller rooms add …
cat >/usr/local/bin/room-agent <<SH
#!/bin/sh
exec /usr/bin/node $prefix/dist/room-agent.mjs "\$@"
SH
cat >/usr/local/bin/room-controller <<SH
#!/bin/sh
exec /usr/bin/node $prefix/dist/controller.mjs "\$@"
SH
chmod 0755 /usr/local/bin/room-agent /usr/local/bin/room-controller

# A settings file only where none is: an upgrade keeps the site's.
settings() { # FILE GROUP CONTENT
  if [[ ! -e $1 ]]; then
    printf '%s\n' "$3" >"$1"
    chown "root:$2" "$1"
    chmod 0640 "$1"
    echo "install: wrote $1 (fill it in)"
  fi
}

if [[ $role == room ]]; then
  id -u room-agent >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /var/lib/room-agent --shell /usr/sbin/nologin room-agent
  for group in dialout video render audio; do
    getent group "$group" >/dev/null && usermod -a -G "$group" room-agent
  done
  settings "$etc/room-agent.env" room-agent "# The room agent's settings (each flag of room-agent --help as RC_AGENT_…).
RC_AGENT_ROOM=$etc/room.json
RC_AGENT_BROKER=mqtts://CONTROLLER-HOST:8883
RC_AGENT_CA=$etc/ca.crt
RC_AGENT_CREDENTIALS=$etc/agent-credentials.json
RC_AGENT_DATA=/var/lib/room-agent
#RC_AGENT_ARCHIVE_URL=https://CONTROLLER-HOST
# The room's own operator panel for its screen (http://127.0.0.1:8090/panel/ROOM), also without the controller.
#RC_AGENT_PANEL_PORT=8090
# The cameras' password, as the room profile's passwordEnv names it.
RC_CAMERA_PASSWORD="
  install -m 0644 "$prefix/deploy/udev/99-room-controller-serial.rules" /etc/udev/rules.d/
  command -v udevadm >/dev/null && udevadm control --reload && udevadm trigger --subsystem-match=tty || true
  unit=room-agent
else
  id -u room-controller >/dev/null 2>&1 ||
    useradd --system --user-group --home-dir /var/lib/room-controller --shell /usr/sbin/nologin room-controller
  settings "$etc/controller.env" room-controller "# The controller's settings (each flag of room-controller --help as RC_CONTROLLER_…).
RC_CONTROLLER_DATA=/var/lib/room-controller
RC_CONTROLLER_BROKER=mqtt://127.0.0.1:1883
RC_CONTROLLER_HTTP_HOST=0.0.0.0
RC_CONTROLLER_HTTP_PORT=8080"
  # Mosquitto: the site's configuration, the client-id plugin (prebuilt in the release), its files' folder.
  install -d -m 0750 -o mosquitto -g mosquitto /etc/mosquitto/room-controller
  install -d -m 0755 /usr/local/lib/mosquitto
  install -m 0644 "$prefix/mosquitto/client-id-plugin.so" /usr/local/lib/mosquitto/
  [[ -e /etc/mosquitto/conf.d/room-controller.conf ]] ||
    install -m 0644 "$prefix/mosquitto/mosquitto.conf" /etc/mosquitto/conf.d/room-controller.conf
  unit=room-controller
fi

install -m 0644 "$prefix/deploy/systemd/$unit.service" /etc/systemd/system/
if [[ -d /run/systemd/system ]]; then
  systemctl daemon-reload
  systemctl enable "$unit" >/dev/null
  if systemctl is-active -q "$unit"; then systemctl restart "$unit"; fi
fi
echo "install: $role installed in $prefix; next steps: $prefix/docs/INSTALL.md"
