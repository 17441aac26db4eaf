"""Helpers the tests share (imported by test modules; fixtures live in conftest.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

TorchModel = tuple[Any, Any]  # (transformers model, its processor): untyped export-stack objects
