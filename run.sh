#!/usr/bin/env bash
# Set up (once) and run Fashion Desktop. ./run.sh [CATALOG_FOLDER]
#   ./run.sh --stand-ins [CATALOG]   first export random-weight stand-in models (offline; meaningless results)
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--stand-ins" ]; then
  shift
  . scripts/venv.sh export
  python export_models.py --random-weights tiny
else
  . scripts/venv.sh ""
fi
exec fashion-desktop "$@"
