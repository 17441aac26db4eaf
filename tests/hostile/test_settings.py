"""settings.json: wrong types or shapes never block a launch; values are checked, a file that is not settings is
set aside with a notice, and a version is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fashion_desktop.settings import SCHEMA_VERSION, Settings
from tests.support import run_offscreen


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'"a string"',
        b"null",
        b"42",
        b"",
        b'{"catalog": "x"' + b" " * 10,
    ],
)
def test_a_file_that_is_not_settings_is_set_aside_with_a_notice(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(content)
    settings, notices = Settings.load_checked(path)
    assert settings == Settings()
    assert len(notices) == 1 and "set aside" in notices[0]
    assert not path.exists()
    assert [p.read_bytes() for p in tmp_path.glob("settings.json.bad-*")] == [content]


def test_values_of_the_wrong_kind_fall_back_to_their_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "catalog": 12,
                "recent_catalogs": ["/a", 3, None],
                "results_count": "lots",
                "captions": "yes",
                "threads": 1.5,
                "window_geometry": {"x": 1},
                "unknown_future_setting": [1, 2],
            }
        )
    )
    settings, notices = Settings.load_checked(path)
    assert settings == Settings()
    assert len(notices) == 1
    for name in ("catalog", "recent_catalogs", "results_count", "captions", "threads", "window_geometry"):
        assert name in notices[0]
    assert path.exists(), "a file with some wrong values is kept (it is rewritten on save)"


def test_good_values_are_kept_and_bounded(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "version": 99,
                "catalog": "/photos",
                "recent_catalogs": ["/photos", "/photos", "", "/old"] + [f"/c{i}" for i in range(20)],
                "results_count": 100000,
                "captions": False,
                "threads": 10_000,
                "window_geometry": "AdnQywAD",
            }
        )
    )
    settings, notices = Settings.load_checked(path)
    assert notices == []
    assert (settings.catalog, settings.captions, settings.window_geometry) == ("/photos", False, "AdnQywAD")
    assert settings.results_count == 200 and settings.threads is None
    assert settings.recent_catalogs[:2] == ["/photos", "/old"] and len(settings.recent_catalogs) == 8


def test_saved_settings_carry_a_version_and_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings(catalog="/photos", results_count=12, threads=1)
    settings.save(path)
    assert json.loads(path.read_text())["version"] == SCHEMA_VERSION
    assert Settings.load_checked(path) == (settings, [])


def test_an_unreadable_settings_file_is_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.mkdir()  # a folder where the file should be
    settings, notices = Settings.load_checked(path)
    assert settings == Settings() and len(notices) == 1 and path.is_dir()


@pytest.mark.slow
def test_the_window_opens_with_a_broken_settings_file(tmp_path: Path, data_dir: Path, models_env: Path) -> None:
    """A real launch (offscreen) with garbage in settings.json: it starts, says so on the terminal, sets the file
    aside, and saves good settings on close."""
    (data_dir / "settings.json").write_text('{"results_count": [], "catalog": {"oops": true}}')
    script = (
        "import sys; from PySide6.QtCore import QTimer; from PySide6.QtWidgets import QApplication;"
        "app = QApplication(['t']); QTimer.singleShot(1500, app.quit);"
        "from fashion_desktop.app.environment import app_paths; from fashion_desktop.app.window import run_window;"
        "sys.exit(run_window(app_paths()))"
    )
    result = run_offscreen(script)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "wrong kind (catalog, results_count)" in result.stderr
    saved = json.loads((data_dir / "settings.json").read_text())
    assert saved["results_count"] == 24 and saved["version"] == SCHEMA_VERSION


@pytest.mark.parametrize(
    ("written", "kept"),
    [("0.5", 0.5), ("2", 2), ("0", 5.0), ("-3", 5.0), ("NaN", 5.0), ("Infinity", 5.0), ("1e9", 5.0), ("true", 5.0)],
)
def test_blips_idle_minutes_are_a_positive_time_of_at_most_a_day(tmp_path: Path, written: str, kept: float) -> None:
    """BLIP's idle time (then its memory is handed back): nonsense falls back to the default of 5 minutes."""
    path = tmp_path / "settings.json"
    path.write_text(f'{{"caption_idle_minutes": {written}, "background_captions": false}}')
    settings = Settings.load(path)
    assert settings.caption_idle_minutes == kept and settings.background_captions is False
