#!/usr/bin/env bash
# Cross-build the Windows installer from installer/windows/fashion-desktop.nsi with a stand-in payload (a real Windows
# bundle can only be built on Windows), check with 7z that it carries exactly the payload, its manifest and an
# uninstaller, then run it under Wine (Debian's wine, 64-bit):
#   - installing into a folder that holds a user's file nests into "Fashion Desktop" and leaves her file alone;
#   - the uninstall entry (size, icon, location) and "Open with" for every image type are registered per user;
#   - uninstalling removes every payload file, shortcut and registry entry, and leaves her files, a file she added
#     to the install folder and the Start-menu folder, and another program's file-type entry;
#   - a folder that is taken (non-empty, and its "Fashion Desktop" subfolder too) is refused, nothing written.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
python="${PYTHON:-$root/.venv/bin/python}"
missing=()
for package in nsis p7zip-full wine wine64; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
fail() { echo "test_nsis: $*" >&2; exit 1; }
work="$(mktemp -d)"; echo "test_nsis: working in $work" >&2
export WINEPREFIX="$work/wine" WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
trap 'wineserver -k 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT

# The stand-in payload: the layout of a PyInstaller bundle, with a name that needs NSIS escaping.
payload="$work/payload"
mkdir -p "$payload/_internal/fashion_desktop" "$payload/_internal/odd \$name folder"
echo "stand-in for the Windows executable" > "$payload/fashion-desktop.exe"
echo "stand-in notices" > "$payload/_internal/fashion_desktop/NOTICES.txt"
echo "escaping" > "$payload/_internal/odd \$name folder/a \$file.txt"
cp -r "$root/fashion_desktop/sample_catalog" "$payload/_internal/"
"$python" "$root/installer/windows/nsis_payload.py" "$payload" "$work/payload.nsh" "$work/install-manifest.txt"
setup="$work/FashionDesktop-0.0.0-test-setup.exe"
makensis -V2 -DVERSION=0.0.0-test -DPAYLOAD="$work/payload.nsh" -DMANIFEST="$work/install-manifest.txt" \
  -DOUTFILE="$setup" "$root/installer/windows/fashion-desktop.nsi"

# The installer carries exactly the payload (plus its manifest and uninstaller); the manifest lists the payload.
expected="$(cd "$payload" && find . -type f | sed 's|^\./||' | LC_ALL=C sort)"
manifest="$(tr -d '\r' < "$work/install-manifest.txt" | tr '\\' '/' | LC_ALL=C sort)"
[ "$manifest" = "$expected" ] || fail "the install manifest differs from the payload: $(diff <(echo "$manifest") <(echo "$expected") | head)"
paths="$(7z l -slt "$setup" | sed -n 's/^Path = //p' | tail -n +2 | tr '\\' '/')"
grep -qx "install-manifest.txt" <<<"$paths" || fail "install-manifest.txt missing from the installer"
grep -qx "Uninstall.exe" <<<"$paths" || fail "Uninstall.exe missing from the installer"
listed="$(grep -v '^\$PLUGINSDIR/' <<<"$paths" | grep -vx 'Uninstall.exe\|install-manifest.txt' | LC_ALL=C sort)"
[ "$listed" = "$expected" ] || fail "installer contents differ from the payload: $(diff <(echo "$listed") <(echo "$expected") | head)"
grep -q '^!define PAYLOAD_SIZE_KB [1-9]' "$work/payload.nsh" || fail "no payload size for EstimatedSize"
for suffix in .jpg .jpeg .png .webp .bmp .gif .tif .tiff; do
  grep -q "\"$suffix\"" "$work/payload.nsh" || fail "\"Open with\" misses $suffix"
done

# Under Wine.
wineboot -i >/dev/null 2>&1
wineserver -w
drive="$WINEPREFIX/drive_c"
count="$(wc -l < "$work/install-manifest.txt")"
key='HKCU\Software\Microsoft\Windows\CurrentVersion\Uninstall\FashionDesktop'
value() { wine reg query "$1" $([ "$2" = "(Default)" ] && echo /ve || echo /v "$2") 2>/dev/null | tr -d '\r' | awk -v name="$2" '$1 == name {$1=""; $2=""; sub(/^ +/, ""); print}'; }
has_key() { wine reg query "$1" >/dev/null 2>&1; }

mkdir -p "$drive/Data"
echo "her notes" > "$drive/Data/notes.txt"
wine reg add 'HKCU\Software\Classes\.png' /ve /d pngfile /f >/dev/null  # another program's entry: must stay
wine "$setup" /S '/D=C:\Data' || fail "installer failed ($?)"
wineserver -w
app="$drive/Data/Fashion Desktop"
[ -f "$app/fashion-desktop.exe" ] || fail "not installed into C:\\Data\\Fashion Desktop (nesting)"
[ "$(cat "$drive/Data/notes.txt")" = "her notes" ] || fail "her file changed"
[ "$(ls "$drive/Data")" = "$(printf 'Fashion Desktop\nnotes.txt')" ] || fail "installer wrote beside her file: $(ls "$drive/Data")"
[ "$(find "$app" -type f | wc -l)" -eq $((count + 2)) ] || fail "installed $(find "$app" -type f | wc -l) files, expected $((count + 2))"
[ "$(value "$key" InstallLocation)" = 'C:\Data\Fashion Desktop' ] || fail "InstallLocation: $(value "$key" InstallLocation)"
[ "$(value "$key" DisplayIcon)" = 'C:\Data\Fashion Desktop\fashion-desktop.exe,0' ] || fail "DisplayIcon wrong"
[ -n "$(value "$key" EstimatedSize)" ] || fail "no EstimatedSize"
for suffix in .jpg .jpeg .png .webp .bmp .gif .tif .tiff; do
  has_key "HKCU\\Software\\Classes\\$suffix\\OpenWithProgids" || fail "no OpenWithProgids for $suffix"
  value "HKCU\\Software\\Classes\\Applications\\fashion-desktop.exe\\SupportedTypes" "$suffix" >/dev/null \
    || fail "SupportedTypes lacks $suffix"
done
value 'HKCU\Software\Classes\Applications\fashion-desktop.exe\shell\open\command' '(Default)' \
  | grep -qF '"C:\Data\Fashion Desktop\fashion-desktop.exe" "%1"' || fail "Open-with command wrong"
menu="$(find "$drive/users" -type d -name 'Fashion Desktop' -path '*Start Menu*' | head -1)"
[ -n "$menu" ] && [ -f "$menu/Fashion Desktop.lnk" ] || fail "no Start-menu shortcut"

# Installing again (an upgrade) goes into the same folder: it is ours.
wine "$setup" /S '/D=C:\Data\Fashion Desktop' || fail "reinstall failed"
wineserver -w
[ ! -e "$app/Fashion Desktop" ] || fail "reinstall nested into its own folder"

# She adds files to the install folder and the Start-menu folder; then uninstalls.
echo "mine" > "$app/my-list.txt"
echo "mine" > "$menu/my-link.txt"
wine "$app/Uninstall.exe" /S || fail "uninstaller failed"
wineserver -w
sleep 1; wineserver -w  # the uninstaller runs from a temporary copy
[ "$(cat "$drive/Data/notes.txt")" = "her notes" ] || fail "uninstall touched her file"
[ "$(cd "$app" && find . -type f | sort)" = "./my-list.txt" ] || fail "uninstall left or removed the wrong files: $(cd "$app" && find . | head)"
[ "$(cd "$menu" && ls)" = "my-link.txt" ] || fail "Start-menu folder: $(ls "$menu")"
has_key "$key" && fail "uninstall entry left"
has_key 'HKCU\Software\Classes\Applications\fashion-desktop.exe' && fail "Applications\\fashion-desktop.exe left"
has_key 'HKCU\Software\Classes\FashionDesktop.Image' && fail "ProgID left"
has_key 'HKCU\Software\Classes\.jpg' && fail ".jpg key left (only ours was there)"
[ "$(value 'HKCU\Software\Classes\.png' '(Default)')" = "pngfile" ] || fail "another program's .png entry was removed"
wine reg query 'HKCU\Software\Classes\.png\OpenWithProgids' 2>/dev/null | grep -q FashionDesktop && fail "OpenWithProgids value left"

# A taken folder (non-empty, and its "Fashion Desktop" subfolder too) is refused; nothing is written there.
mkdir -p "$drive/Taken/Fashion Desktop"
echo "other" > "$drive/Taken/Fashion Desktop/other.txt"
if wine "$setup" /S '/D=C:\Taken'; then fail "installed into a taken folder"; fi
wineserver -w
[ "$(cd "$drive/Taken" && find . -type f)" = "./Fashion Desktop/other.txt" ] || fail "wrote into the taken folder"

echo "test_nsis: installer builds and carries exactly the payload ($count files, $(du -h "$setup" | cut -f1));" \
  "under Wine it nests beside a user's file, registers Open-with and its uninstall entry, upgrades in place," \
  "uninstalls only what it wrote, and refuses a taken folder"
