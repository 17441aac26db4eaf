"""The one place that reads the environment: it decides where the app keeps its data and finds its models."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from fashion_desktop.paths import APP_NAME, DATA_DIR_ENV, MODELS_ENV, AppPaths
from fashion_desktop.sample import sample_catalog_dir

REPO_ROOT = Path(__file__).resolve().parents[2]


def app_paths(environ: Mapping[str, str] | None = None) -> AppPaths:
    """`$FASHION_DESKTOP_DATA_DIR` or the platform's user data folder; models from `$FASHION_DESKTOP_MODELS`
    alone when it is set (a broken override is an error, not a silent fallback), else the installed bundle,
    then the source checkout's models/onnx."""
    environ = os.environ if environ is None else environ
    data = environ.get(DATA_DIR_ENV)
    if data:
        data_dir = Path(data).expanduser()
    else:
        from platformdirs import user_data_dir

        data_dir = Path(user_data_dir(APP_NAME, appauthor=False))
    return AppPaths(data_dir, models_search_path(environ), sample_catalog_dir())


def models_search_path(environ: Mapping[str, str]) -> tuple[Path, ...]:
    override = environ.get(MODELS_ENV)
    if override:
        return (Path(override).expanduser(),)
    candidates: list[Path] = []
    bundle_root = getattr(sys, "_MEIPASS", None)  # a frozen (PyInstaller) bundle carries its models
    if bundle_root is not None:
        candidates.append(Path(bundle_root) / "models" / "onnx")
    candidates.append(REPO_ROOT / "models" / "onnx")
    return tuple(candidates)
