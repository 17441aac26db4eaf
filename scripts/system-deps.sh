#!/usr/bin/env bash
# Debian packages the window needs (offscreen tests, and a real window under Xvfb); with `test`, also what the
# tests use to read the app's output (poppler-utils: pdfinfo, pdftotext, pdftoppm, pdfimages check lookbooks).
# Installs only what is missing; needs root (CI runs as root). Elsewhere it prints what to install and carries on.
# One line of output.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/steps.sh"
packages=(libgl1 libegl1 libx11-6 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
  fonts-dejavu-core xvfb xauth libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-randr0 libxcb-shape0 libxcb-xfixes0 libxcb-sync1 libxcb-xkb1
  libxkbcommon-x11-0 libx11-xcb1)
if [ "${1:-}" = "test" ]; then
  packages+=(poppler-utils xdotool)  # xdotool: the real window's drag-and-drop test
fi
command -v dpkg-query >/dev/null || exit 0  # not Debian or Ubuntu: Qt's wheels bring what they need elsewhere
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "Qt needs these system packages; please install them: sudo apt install ${missing[*]}" >&2
  exit 0
fi
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "$@"
}
step "Installing Qt's system libraries (${#missing[@]} Debian packages)" apt_install "${missing[@]}"
