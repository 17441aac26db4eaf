"""Command-line bounds: --threads within 1..2×cores; Python warnings (Pillow's DecompressionBombWarning, numpy's
RuntimeWarning) go to the log, never to the terminal."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_desktop.app import cli as cli_module
from tests.hostile.support import cli, write_photos


@pytest.mark.parametrize("value", ["0", "-3", str(2 * (os.cpu_count() or 1) + 1), "100000", "many"])
def test_threads_out_of_bounds_are_a_usage_error(value: str, models_env: Path, tmp_path: Path) -> None:
    write_photos(tmp_path, 1)
    with pytest.raises(SystemExit) as stopped:
        cli_module.main(["--threads", value, "caption", str(tmp_path / "photo000.jpg")])
    assert stopped.value.code == cli_module.EXIT_USAGE


def test_threads_within_bounds_work(models_env: Path, tmp_path: Path) -> None:
    write_photos(tmp_path, 1)
    top = str(2 * (os.cpu_count() or 1))
    assert cli_module.main(["--threads", top, "caption", str(tmp_path / "photo000.jpg"), "--max-tokens", "3"]) == 0


@pytest.mark.slow
def test_warnings_never_reach_the_terminal(models_env: Path, tmp_path: Path, data_dir: Path) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 3)
    Image.new("1", (11000, 11000)).save(root / "bomb.png")  # Pillow warns before our limit refuses it
    values = np.linspace(0, 1, 40 * 30, dtype=np.float32).reshape(30, 40)
    values[0] = np.nan
    Image.fromarray(values, "F").save(root / "float-nan.tif")  # an invalid cast in numpy would warn
    indexed = cli("index", str(root), env={"PYTHONWARNINGS": "always"})
    searched = cli("search", str(root / "bomb.png"), "--catalog", str(root), env={"PYTHONWARNINGS": "always"})
    assert indexed.returncode == 0 and "bomb.png: image too large" in indexed.stdout
    assert searched.returncode == 1 and "too large" in searched.stderr
    for output in (indexed.stderr, searched.stderr, indexed.stdout):
        assert "Warning" not in output and "warnings.warn" not in output, output
    assert "DecompressionBombWarning" in (data_dir / "logs" / "fashion-desktop.log").read_text()
