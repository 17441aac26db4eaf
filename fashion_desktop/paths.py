"""Every filesystem location the app uses, in one place.

Each can be overridden by an environment variable so tests and portable installs can redirect them.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "fashion-desktop"
MODELS_ENV = "FASHION_DESKTOP_MODELS"
DATA_DIR_ENV = "FASHION_DESKTOP_DATA_DIR"

REPO_ROOT = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where catalogs, caches and logs live; never inside a user's catalog folder."""
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return data_dir() / "logs"


def bundled_models_dir() -> Path | None:
    """Models shipped inside a frozen (PyInstaller) bundle, if this is one."""
    bundle_root = getattr(sys, "_MEIPASS", None)
    if bundle_root is None:
        return None
    return Path(bundle_root) / "models" / "onnx"


def repo_models_dir() -> Path:
    return REPO_ROOT / "models" / "onnx"


def models_dir_candidates() -> list[Path]:
    """Model folders in search order: the environment variable, the installed bundle, the repo."""
    candidates: list[Path] = []
    override = os.environ.get(MODELS_ENV)
    if override:
        candidates.append(Path(override).expanduser())
    bundled = bundled_models_dir()
    if bundled is not None:
        candidates.append(bundled)
    candidates.append(repo_models_dir())
    return candidates
