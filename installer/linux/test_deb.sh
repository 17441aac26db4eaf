#!/usr/bin/env bash
# Install the .deb with apt, run the installed app's self-test offscreen while tracing its system calls, check that
# it opened no network connection and wrote only inside its data directory, then purge it and check nothing is left.
#   installer/linux/test_deb.sh build/fashion-desktop_VERSION_amd64.deb        (as root)
set -euo pipefail
deb="$(realpath "$1")"
export DEBIAN_FRONTEND=noninteractive
command -v strace >/dev/null || { apt-get update -qq && apt-get install -y -qq strace >/dev/null; }
apt-get install -y -qq "$deb" >/dev/null
trap 'apt-get purge -y -qq fashion-desktop >/dev/null 2>&1 || true' EXIT
command -v fashion-desktop >/dev/null
home="$(mktemp -d)"
trace="$(mktemp)"
HOME="$home" QT_QPA_PLATFORM=offscreen strace -f -qq -e trace=connect,openat,creat,mkdir,rename,unlink \
  -o "$trace" fashion-desktop --self-test | tee "$home/self-test.out"
grep -q "self-test passed" "$home/self-test.out"
if grep -E "connect\(.*(AF_INET|AF_INET6)" "$trace"; then
  echo "test_deb: the installed app opened a network connection" >&2; exit 1
fi
# Writes: files opened for writing or created, and folders made, outside the self-test's temporary data directory.
writes="$(grep -E '(O_WRONLY|O_RDWR|O_CREAT)|creat\(|mkdir\(|rename\(|unlink\(' "$trace" | grep -v ' = -1 ' \
  | grep -oE '"[^"]+"' | tr -d '"' | grep -vE '^(/tmp/fashion-desktop-self-test-|/dev/|/proc/)' || true)"
if [ -n "$writes" ]; then
  echo "test_deb: the installed app wrote outside its data directory:" >&2; echo "$writes" | sort -u >&2; exit 1
fi
apt-get purge -y -qq fashion-desktop >/dev/null
trap - EXIT
for path in /opt/fashion-desktop /usr/bin/fashion-desktop /usr/share/applications/fashion-desktop.desktop \
  /usr/share/icons/hicolor/256x256/apps/fashion-desktop.png; do
  if [ -e "$path" ] || [ -L "$path" ]; then echo "test_deb: $path left after purge" >&2; exit 1; fi
done
if dpkg -s fashion-desktop >/dev/null 2>&1; then echo "test_deb: package still registered" >&2; exit 1; fi
echo "test_deb: installed, self-test passed offline without writing outside its data directory, purged clean"
