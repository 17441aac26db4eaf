"""The sample catalog that ships with the app: the default when no folder is given."""

from __future__ import annotations

from pathlib import Path


def sample_catalog_dir() -> Path:
    return Path(__file__).resolve().parent / "sample_catalog"
