# Sourced by run.sh and test.sh: make .venv and install the project with the given extras, once per change.
# Usage: . scripts/venv.sh EXTRAS   (EXTRAS: "" for the app alone, "export" for the model export, "test" for the
# test suite, which includes the export). pip's output goes to .venv/setup.log; the terminal gets one line.
set -euo pipefail
_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$_root/scripts/steps.sh"
_extras="${1:-}"
_venv="$_root/.venv"
_spec="$_root"
[ -n "$_extras" ] && _spec="$_root[$_extras]"
_stamp_prefix="$_venv/.installed-$(sha256sum <"$_root/pyproject.toml" | cut -c1-16)"
# An install with more extras covers the ones it includes: test ⊇ export ⊇ the app alone.
case "${_extras:-app}" in
  app) _covered=(app export test) ;;
  export) _covered=(export test) ;;
  *) _covered=("$_extras") ;;
esac
_pip_install() {
  "$_venv/bin/python" -m pip install --upgrade pip  # the pip a new venv brings may predate the options below
  "$_venv/bin/python" -m pip install --progress-bar raw -e "$1"
}
_installed=""
for _name in "${_covered[@]}"; do
  [ -f "$_stamp_prefix-$_name" ] && _installed=1
done
if [ -z "$_installed" ]; then
  if [ ! -x "$_venv/bin/python" ]; then
    command -v python3 >/dev/null || { echo "Python 3.11 or newer is needed (python3 not found)" >&2; return 1; }
    step "Creating the Python environment in .venv" python3 -m venv "$_venv"
  fi
  case "${_extras:-app}" in
    app) _what="the app's Python packages" ;;
    export) _what="the model export tools (torch, transformers; about 1 GB, once)" ;;
    *) _what="the app, export and test packages (once per change of pyproject.toml)" ;;
  esac
  step "Installing $_what" _pip_install "$_spec"
  touch "$_stamp_prefix-${_extras:-app}"
fi
export PATH="$_venv/bin:$PATH"
