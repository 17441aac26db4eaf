#!/usr/bin/env bash
# Build the one-folder bundle and a platform package.
#   installer/build.sh deb      # Linux: build/dist/fashion-desktop + build/fashion-desktop_VERSION_amd64.deb
#   installer/build.sh nsis     # the Windows installer script compiled with makensis (run on Windows for a real one)
#   installer/build.sh bundle   # just the PyInstaller bundle
# Models: $FASHION_DESKTOP_BUNDLE_MODELS or models/onnx (export them first: see README, "Making a release").
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${1:-deb}"
models="${FASHION_DESKTOP_BUNDLE_MODELS:-$root/models/onnx}"
export FASHION_DESKTOP_BUNDLE_MODELS="$models"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml)"
for model in resnet50 blip; do
  if [ ! -f "$models/$model/manifest.json" ]; then
    echo "build.sh: no exported $model in $models. Export the models first: python export_models.py" >&2
    echo "          (or, for a stand-in package: python export_models.py --random-weights tiny)" >&2
    exit 1
  fi
done

# A build environment with the app's run-time dependencies only (no torch): the bundle stays small.
venv="$root/build/venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "$root" "pyinstaller>=6.22,<7"
"$venv/bin/pyinstaller" --noconfirm --log-level WARN --distpath "$root/build/dist" --workpath "$root/build/pyinstaller" \
  "$root/installer/fashion_desktop.spec"
bundle="$root/build/dist/fashion-desktop"
"$venv/bin/python" "$root/installer/make_icon.py" "$root/build/icon.png"
echo "bundle: $(du -sh "$bundle" | cut -f1) ($bundle)"

case "$target" in
  bundle) ;;
  deb)
    stage="$root/build/deb/fashion-desktop_${version}_amd64"
    rm -rf "$stage"
    mkdir -p "$stage/DEBIAN" "$stage/opt" "$stage/usr/bin" "$stage/usr/share/applications" \
      "$stage/usr/share/icons/hicolor/256x256/apps"
    cp -a "$bundle" "$stage/opt/fashion-desktop"
    ln -s /opt/fashion-desktop/fashion-desktop "$stage/usr/bin/fashion-desktop"
    cp "$root/installer/linux/fashion-desktop.desktop" "$stage/usr/share/applications/"
    cp "$root/build/icon.png" "$stage/usr/share/icons/hicolor/256x256/apps/fashion-desktop.png"
    size_kb="$(du -sk "$stage" | cut -f1)"
    sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size_kb/" "$root/installer/linux/control.in" > "$stage/DEBIAN/control"
    dpkg-deb --root-owner-group -Zzstd --build "$stage" "$root/build/fashion-desktop_${version}_amd64.deb" >/dev/null
    echo "deb: $(du -h "$root/build/fashion-desktop_${version}_amd64.deb" | cut -f1) (build/fashion-desktop_${version}_amd64.deb)"
    ;;
  nsis)
    command -v makensis >/dev/null || { echo "build.sh: makensis missing (apt-get install nsis)" >&2; exit 1; }
    # The payload must be a Windows bundle: built on Windows (PyInstaller does not cross-compile), or given.
    case "$(uname -s)" in MINGW*|MSYS*|CYGWIN*) payload="$bundle" ;; *) payload="${FASHION_DESKTOP_WINDOWS_BUNDLE:-}" ;; esac
    if [ -z "$payload" ]; then
      echo "build.sh: set FASHION_DESKTOP_WINDOWS_BUNDLE to a Windows bundle (built on Windows) to package it here" >&2
      exit 1
    fi
    makensis -V2 -DVERSION="$version" -DBUNDLE_DIR="$payload" \
      -DOUTFILE="$root/build/FashionDesktop-${version}-setup.exe" "$root/installer/windows/fashion-desktop.nsi"
    echo "nsis: $(du -h "$root/build/FashionDesktop-${version}-setup.exe" | cut -f1)"
    ;;
  *) echo "build.sh: unknown target $target (deb, nsis or bundle)" >&2; exit 2 ;;
esac
