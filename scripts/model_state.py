"""What ./run.sh needs to know before it opens the window (run with the app's venv, from the checkout).

    python scripts/model_state.py models   # prints: ready | stand-ins | missing | override
    python scripts/model_state.py hub      # prints the hub's address; exit 0 when it answers, else 1

`models` looks where the app looks: `override` when FASHION_DESKTOP_MODELS is set (the app then uses that folder
alone and reports its problems itself), else the state of the models the app would load.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

if TYPE_CHECKING:
    from fashion_desktop.paths import AppPaths


def models_state(paths: AppPaths, environ: Mapping[str, str]) -> str:
    from fashion_desktop.models.installed import describe_models
    from fashion_desktop.paths import MODELS_ENV

    if environ.get(MODELS_ENV):
        return "override"
    described = describe_models(paths)
    if any("error" in model for model in described):
        return "missing"
    return "stand-ins" if any(model["random_weights"] for model in described) else "ready"


def main(argv: list[str]) -> int:
    if argv == ["models"]:
        from fashion_desktop.app.environment import app_paths

        print(models_state(app_paths(), os.environ))
        return 0
    if argv == ["hub"]:
        from model_export.pipeline import hub_endpoint, hub_reachable

        print(hub_endpoint())
        return 0 if hub_reachable() else 1
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
