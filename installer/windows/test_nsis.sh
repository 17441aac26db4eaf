#!/usr/bin/env bash
# Cross-build the Windows installer from installer/windows/fashion-desktop.nsi with a stand-in payload (a real
# Windows bundle can only be built on Windows) and check with 7z that it carries the payload and an uninstaller.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
if ! command -v makensis >/dev/null || ! command -v 7z >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nsis p7zip-full >/dev/null
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/payload/_internal"
echo "stand-in for the Windows executable" > "$work/payload/fashion-desktop.exe"
cp -r "$root/fashion_desktop/sample_catalog" "$work/payload/_internal/"
makensis -V2 -DVERSION=0.0.0-test -DBUNDLE_DIR="$work/payload" -DOUTFILE="$work/FashionDesktop-0.0.0-test-setup.exe" \
  "$root/installer/windows/fashion-desktop.nsi"
listing="$(7z l "$work/FashionDesktop-0.0.0-test-setup.exe")"
for expected in fashion-desktop.exe Uninstall.exe _internal/sample_catalog/styles.csv \
  _internal/sample_catalog/twemoji/twemoji-dress.jpg; do
  grep -qF "$expected" <<<"$listing" || { echo "test_nsis: $expected missing from the installer" >&2; exit 1; }
done
echo "test_nsis: installer builds; payload and uninstaller present ($(du -h "$work/FashionDesktop-0.0.0-test-setup.exe" | cut -f1))"
