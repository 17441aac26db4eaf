#!/usr/bin/env bash
# Set up (once) and run Fashion Desktop on CATALOG_FOLDER, or on the bundled sample catalog.
#   ./run.sh [CATALOG_FOLDER]               with no exported models yet: exports the real ones when the model hub
#                                           answers, else builds random-weight stand-ins (and says so)
#   ./run.sh --stand-ins [CATALOG_FOLDER]   random-weight stand-in models (offline; meaningless results)
# Each setup step prints one line; the details go to .venv/setup.log.
set -euo pipefail
cd "$(dirname "$0")"
stand_ins=""
if [ "${1:-}" = "--stand-ins" ]; then
  stand_ins=1
  shift
fi
bash scripts/system-deps.sh
. scripts/venv.sh ""

build_stand_ins() {
  . scripts/venv.sh export
  step "Building random-weight stand-in models (offline, about a minute)" \
    python export_models.py --random-weights tiny
}

if [ -n "$stand_ins" ]; then
  build_stand_ins
else
  case "$(python scripts/model_state.py models)" in
    missing)
      if hub="$(python scripts/model_state.py hub)"; then
        echo "First run: downloading the real models from $hub (ResNet50 about 100 MB, BLIP about 1 GB)"
        echo "and the tools that convert them (about 1 GB). This happens once; later runs start at once."
        . scripts/venv.sh export
        if ! step "Downloading and exporting the real models (5 to 15 minutes)" python export_models.py; then
          echo "The real models could not be exported (above); building random-weight stand-ins for now."
          build_stand_ins
        fi
      else
        echo "The model hub ($hub) cannot be reached, so the real models cannot be downloaded: building"
        echo "random-weight stand-ins instead. Results and captions will be meaningless (the window says so too)."
        echo "For the real models later, with internet access: .venv/bin/python export_models.py"
        build_stand_ins
      fi
      ;;
    stand-ins)
      echo "Using the random-weight stand-in models in models/onnx: results and captions are meaningless."
      echo "For the real models, with internet access: .venv/bin/python export_models.py"
      ;;
  esac
fi
if [ $# -eq 0 ]; then
  set -- "$(python -c 'from fashion_desktop.sample import sample_catalog_dir; print(sample_catalog_dir())')"
fi
exec fashion-desktop "$@"
