"""The real window on a virtual X screen (Xvfb): search the sample catalog and look at the screenshot."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from tests.support import REPO


@pytest.mark.slow
def test_real_window_shows_the_results(models_env: Path, tmp_path: Path) -> None:
    assert shutil.which("xvfb-run"), "xvfb-run missing: scripts/system-deps.sh installs it"
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1400x900x24",
            sys.executable,
            str(REPO / "tests" / "window_screenshot.py"),
            str(shot),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in state, state
    assert state["rows"] == 8 and state["banner"] is True
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    assert pixels.std() > 20, "the screenshot is blank"
    x, y, width, height = state["viewport"]
    grid = pixels[y : y + height, x : x + width]
    tiles = state["tiles"]
    assert len(tiles) == 8, "all eight result tiles fit the grid and are visible"
    for left, top, w, h in tiles:
        tile = pixels[top : top + h, left : left + w]
        assert tile.std() > 15, f"tile at {left},{top} shows no picture"
    assert grid.std() > 20
