# Sourced by run.sh and test.sh: make .venv and install the project with the given extras, once per change.
# Usage: . scripts/venv.sh EXTRAS   (EXTRAS: "" for the app alone, "test" for the test suite)
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
_extras="${1:-}"
_venv="$_root/.venv"
_spec="$_root"
[ -n "$_extras" ] && _spec="$_root[$_extras]"
_stamp="$_venv/.installed-$(cat "$_root/pyproject.toml" | sha256sum | cut -c1-16)-${_extras:-app}"
if [ ! -x "$_venv/bin/python" ]; then
  python3 -m venv "$_venv"
fi
if [ ! -f "$_stamp" ]; then
  "$_venv/bin/python" -m pip install --quiet --upgrade pip
  "$_venv/bin/python" -m pip install --quiet -e "$_spec"
  touch "$_stamp"
fi
export PATH="$_venv/bin:$PATH"
