"""What ./run.sh needs to know before it opens the window (run with the app's venv, from the checkout).

    python scripts/model_state.py models   # prints: ready | stand-ins | missing | override
    python scripts/model_state.py hub      # prints the hub's address; exit 0 when it answers, else 1

`models` looks where the app looks: `override` when FASHION_DESKTOP_MODELS is set (the app then uses that folder
alone and reports its problems itself), else the state of the models the app would load.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def models_state() -> str:
    import os

    from fashion_desktop.app.environment import app_paths
    from fashion_desktop.models.manifest import describe_models
    from fashion_desktop.paths import MODELS_ENV

    if os.environ.get(MODELS_ENV):
        return "override"
    described = describe_models(app_paths().models_search_path)
    if any("error" in model for model in described):
        return "missing"
    return "stand-ins" if any(model["random_weights"] for model in described) else "ready"


def main(argv: list[str]) -> int:
    if argv == ["models"]:
        print(models_state())
        return 0
    if argv == ["hub"]:
        from model_export.pipeline import hub_endpoint, hub_reachable

        print(hub_endpoint())
        return 0 if hub_reachable() else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
