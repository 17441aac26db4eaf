#!/usr/bin/env bash
# macOS (run on a Mac with Python 3.11+; cannot be built on Linux): the .app bundle and a .dmg.
#   installer/macos/build_app.sh
# PyInstaller's one-folder, windowed build produces "build/dist/Fashion Desktop.app" on macOS from the same spec; its
# Info.plist declares the image types the app opens (CFBundleDocumentTypes). The .dmg holds the app, a link to
# /Applications to drag it onto, and the licence notices (also inside the app, read by its licences window).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
"$root/installer/build.sh" bundle
app="$root/build/dist/Fashion Desktop.app"
[ -d "$app" ] || { echo "build_app.sh: $app was not built" >&2; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/pyproject.toml")"
stage="$root/build/dmg"
rm -rf "$stage"
mkdir -p "$stage"
cp -R "$app" "$stage/"
ln -s /Applications "$stage/Applications"
cp "$root/build/pyinstaller/fashion_desktop/notices/NOTICES.txt" "$stage/NOTICES.txt"
hdiutil create -volname "Fashion Desktop" -srcfolder "$stage" -ov -format UDZO "$root/build/FashionDesktop-$version.dmg"
# For distribution outside the App Store: codesign --deep --options runtime, then notarytool submit and staple.
