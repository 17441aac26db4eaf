"""The real window on a virtual X screen (Xvfb), driven as a stylist would: the library before any query, a real
drag-and-drop from another X client onto the middle of the grid, quick-look, a result dragged onto the query strip,
and 800×600; the screenshots are checked for pictures where tiles are."""

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


def pictures_in(shot: Path, tiles: list[list[int]]) -> list[float]:
    """Contrast inside each tile's picture area (a blank or placeholder tile is flat)."""
    pixels = np.asarray(Image.open(shot).convert("L"), dtype=np.float32)
    return [float(pixels[top + 6 : top + w - 10, left + 6 : left + w - 6].std()) for left, top, w, _ in tiles]


@pytest.mark.slow
def test_real_window_browse_drop_quick_look_and_small(models_env: Path, tmp_path: Path) -> None:
    assert shutil.which("xvfb-run") and shutil.which("xdotool"), "scripts/system-deps.sh installs xvfb and xdotool"
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x860x24",
            sys.executable,
            str(REPO / "tests" / "window_screenshot.py"),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in state, state
    browse = state["browse"]
    assert browse["browsing"] and browse["rows"] == 68 and browse["message"] == "68 items in the catalog"
    assert len(browse["tiles"]) >= 12 and min(pictures_in(tmp_path / "browse.png", browse["tiles"])) > 15
    assert state["drag"] == ["drag finished 1"], "the drop from another program was accepted"
    results = state["results"]
    assert results["origin"] == "drop" and results["query"][0].endswith("noto-handbag.jpg") and results["chips"] == 1
    assert results["rows"] == 12 and min(pictures_in(tmp_path / "results.png", results["tiles"])) > 15
    left, top, width, height = state["quicklook"]
    assert width > 300 and height > 300
    look = np.asarray(Image.open(tmp_path / "quicklook.png").convert("L"), dtype=np.float32)
    assert look[top : top + height, left : left + width].std() > 15
    strip = state["strip drop"]
    assert strip["query items"] == [strip["item"]] and strip["rows"] > 0, "a result dragged onto the strip searches"
    small = state["small"]
    assert small["size"] == [800, 600] and all(small["controls"].values()), small["controls"]
    assert small["cut"] == [] and small["text box width"] >= 150 and len(small["tiles"]) >= 6


@pytest.mark.slow
def test_real_window_board_by_mouse(models_env: Path, tmp_path: Path) -> None:
    """A tile dragged with the mouse onto a board in the panel is added; a board's last tile dragged to the front
    moves there; at 800×600 the panel folds away; the board's screenshot has pictures and notes on it."""
    result = subprocess.run(
        ["xvfb-run", "-a", "-s", "-screen 0 1280x860x24", sys.executable, str(REPO / "tests" / "board_screenshot.py")]
        + [str(tmp_path)],
        capture_output=True,
        text=True,
        env={**os.environ, "QT_QPA_PLATFORM": "xcb"},
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    state = json.loads(result.stdout.strip().splitlines()[-1])
    assert "error" not in state, state
    assert state["drag onto board"] == ["released"] and state["board"]["panel"] == 8, "the dragged tile was added"
    before = state["before reorder"]
    assert len(before) == 8 and state["after reorder"] == [before[-1], *before[:-1]]
    assert state["small folded"]
    shot = np.asarray(Image.open(tmp_path / "boards.png").convert("L"), dtype=np.float32)
    assert shot.std() > 15 and (tmp_path / "boards-dark.png").is_file()
