#!/usr/bin/env bash
# macOS (run on a Mac with Python 3.11+; cannot be built on Linux): the .app bundle and a .dmg.
#   installer/macos/build_app.sh
# PyInstaller's one-folder, windowed build produces build/dist/fashion-desktop.app on macOS from the same spec.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/installer/build.sh" bundle
app="$root/build/dist/fashion-desktop.app"
[ -d "$app" ] || app="$root/build/dist/fashion-desktop"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/pyproject.toml")"
hdiutil create -volname "Fashion Desktop" -srcfolder "$app" -ov -format UDZO "$root/build/FashionDesktop-$version.dmg"
# For distribution outside the App Store: codesign --deep --options runtime, then notarytool submit and staple.
