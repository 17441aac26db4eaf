"""Helpers the tests share (imported by test modules; fixtures live in conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent

TorchModel = tuple[Any, Any]  # (transformers model, its processor): untyped export-stack objects


def run_offscreen(script: str) -> subprocess.CompletedProcess[str]:
    """`python -c SCRIPT` in a new process with Qt offscreen, from the repository, with this test's environment (its
    data directory and models); its output captured."""
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
