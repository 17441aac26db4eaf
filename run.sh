#!/usr/bin/env bash
# Set up (once) and run Fashion Desktop on CATALOG_FOLDER, or on the bundled sample catalog.
#   ./run.sh [CATALOG_FOLDER]
#   ./run.sh --stand-ins [CATALOG_FOLDER]   first build random-weight stand-in models (offline; meaningless results)
set -euo pipefail
cd "$(dirname "$0")"
bash scripts/system-deps.sh  # Qt's few system libraries (installs as root, else says what to install)
if [ "${1:-}" = "--stand-ins" ]; then
  shift
  . scripts/venv.sh export
  python export_models.py --random-weights tiny
else
  . scripts/venv.sh ""
fi
if [ $# -eq 0 ]; then
  set -- "$(python -c 'from fashion_desktop.sample import sample_catalog_dir; print(sample_catalog_dir())')"
fi
exec fashion-desktop "$@"
