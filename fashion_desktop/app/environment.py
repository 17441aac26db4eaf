"""The one place that reads the environment: it decides where the app keeps its data and finds its models."""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from fashion_desktop.paths import APP_NAME, DATA_DIR_ENV, MODELS_ENV, AppPaths
from fashion_desktop.sample import sample_catalog_dir

REPO_ROOT = Path(__file__).resolve().parents[2]
SOCKET_PATH_BYTES = 108  # sun_path: a Unix socket's path holds at most 107 bytes and a NUL


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


def instance_name(data_dir: Path, environ: Mapping[str, str] | None = None) -> str:
    """The local socket the running window listens on: one per user and data directory (two data directories, two
    windows). On Linux, a socket file in a folder only this user can write to: the session's runtime folder, else
    the data directory (never a name in the shared /tmp that another user could take first). Elsewhere a name Qt
    keeps private: a named pipe with user-only access on Windows, the per-user temporary folder on macOS."""
    environ = os.environ if environ is None else environ
    user = str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()
    folder = data_dir.expanduser().resolve()
    key = hashlib.sha256(f"{user}\0{folder}".encode("utf-8", "surrogateescape")).hexdigest()[:24]
    name = f"fashion-desktop-{key}"
    if not sys.platform.startswith("linux"):
        return name
    runtime = environ.get("XDG_RUNTIME_DIR", "")
    for place in ([Path(runtime)] if runtime and Path(runtime).is_dir() else []) + [folder]:
        candidate = str(place / f"{name}.socket" if place != folder else place / "instance.socket")
        if len(os.fsencode(candidate)) < SOCKET_PATH_BYTES:
            return candidate
    return name
