#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Keel needs to build and drive the desktop app, and
# nginx, the reverse proxy the team server's tests put in front of it, and Chromium with its
# WebDriver, the browser the partner portal's tests drive.
# Skips everything already present, so it is cheap to call from every entry point.
set -euo pipefail
packages=(
  build-essential pkg-config file curl python3
  libwebkit2gtk-4.1-dev libgtk-3-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libssl-dev
  xvfb webkit2gtk-driver xauth
  nginx-light
  chromium chromium-driver
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing system packages: ${missing[*]}"
  $sudo_cmd apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
