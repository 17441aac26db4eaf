"""The grid's painting: tiles put together from kept parts, a screen of new tiles spread over frames, thumbnails
handed over on the GUI thread; what a stylist sees (pictures, names, readable text in a dark theme) checked in the
pixels."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.fields import NAME
from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.result_delegate import PADDING, TEXTS_PER_FRAME
from fashion_desktop.ui.results_model import ResultsModel
from fashion_desktop.ui.results_view import ResultsView
from fashion_desktop.ui.thumbnails import ThumbnailLoader
from tests.images import gradient
from tests.window_support import dark_palette

TILES = 40
SIDE = 120


@pytest.fixture
def photos(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "photos"
    folder.mkdir()
    paths = []
    for index in range(TILES):
        path = folder / f"look{index}.jpg"
        gradient(160, 200, seed=index).save(path)
        paths.append(path)
    return paths


@pytest.fixture
def loader(tmp_path: Path) -> Iterator[ThumbnailLoader]:
    thumbnails = ThumbnailLoader(tmp_path / "thumbnails")
    yield thumbnails
    thumbnails.shutdown()


@pytest.fixture
def grid(qtbot: QtBot, loader: ThumbnailLoader, photos: list[Path]) -> ResultsView:
    model = ResultsModel(loader)
    view = ResultsView(model, SIDE)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def show_results(view: ResultsView, photos: list[Path]) -> None:
    results = [
        SearchResult(
            item_id=index,
            path=path,
            score=0.9 - index / 100,
            metadata={NAME: f"Look {index}"},
            caption="a red dress with a black belt and white shoes",
        )
        for index, path in enumerate(photos)
    ]
    view.results.set_results(1, results)


def visible_cells(view: ResultsView) -> list[QRect]:
    return [view.visualRect(view.results.index(row)) for row in view.visible_rows()]


def tile_has_picture(view: ResultsView, row: int) -> bool:
    image = view.results.index(row).data(Qt.ItemDataRole.DecorationRole).toImage()
    return not image.isNull() and image.pixelColor(image.width() // 2, image.height() // 2).alpha() == 255


def text_area(view: ResultsView, cell: QRect) -> QRect:
    """Where a tile's name and caption are drawn: under the picture."""
    tile = view.delegate.tile_rect(cell, view.font())
    top = tile.y() + PADDING + view.side + 6
    return QRect(tile.x() + PADDING, top, tile.width() - 2 * PADDING, tile.bottom() - top)


def contrast_in(image: QImage, area: QRect, background: QColor) -> int:
    """The largest lightness difference from the background inside the area: text drawn there shows as one."""
    best = 0
    for y in range(area.top(), area.bottom(), 2):
        for x in range(area.left(), area.right(), 2):
            best = max(best, abs(image.pixelColor(x, y).lightness() - background.lightness()))
    return best


def test_a_screen_of_new_tiles_fills_in_over_frames_each_text_made_once(
    qtbot: QtBot, grid: ResultsView, photos: list[Path]
) -> None:
    show_results(grid, photos)
    cells = visible_cells(grid)
    assert len(cells) > TEXTS_PER_FRAME, "the test needs more new tiles than one frame makes"
    made = grid.delegate.texts_made
    grid.viewport().repaint()  # one frame
    assert grid.delegate.texts_made - made == TEXTS_PER_FRAME, "a frame makes at most TEXTS_PER_FRAME texts"
    qtbot.waitUntil(lambda: grid.delegate.texts_made - made == len(cells), timeout=5000)
    qtbot.waitUntil(lambda: all(tile_has_picture(grid, row) for row in grid.visible_rows()), timeout=20000)
    qtbot.wait(200)  # pictures arriving repaint their tiles: copies, never a text made again
    assert grid.delegate.texts_made - made == len(cells)

    shot = grid.viewport().grab().toImage()
    background = grid.palette().color(grid.palette().ColorRole.Base)
    whole = [cell for cell in cells if grid.viewport().rect().contains(cell)]
    assert len(whole) >= 8
    for cell in whole:
        assert contrast_in(shot, text_area(grid, cell), background) > 120, f"no text drawn in the tile at {cell}"


def test_thumbnail_pixels_land_in_their_tile(qtbot: QtBot, grid: ResultsView, photos: list[Path]) -> None:
    show_results(grid, photos)
    qtbot.waitUntil(lambda: all(tile_has_picture(grid, row) for row in grid.visible_rows()), timeout=20000)
    grid.viewport().repaint()
    shot = grid.viewport().grab().toImage()
    for row in grid.visible_rows()[:6]:
        thumbnail = grid.results.index(row).data(Qt.ItemDataRole.DecorationRole).toImage()
        expected = thumbnail.pixelColor(thumbnail.width() // 2, thumbnail.height() // 2)
        tile = grid.delegate.tile_rect(grid.visualRect(grid.results.index(row)), grid.font())
        seen = shot.pixelColor(tile.center().x(), tile.y() + PADDING + grid.side // 2)
        assert max(abs(seen.red() - expected.red()), abs(seen.green() - expected.green())) < 24


def test_dark_theme_text_readable_and_selection_marked(qtbot: QtBot, grid: ResultsView, photos: list[Path]) -> None:
    grid.setPalette(dark_palette())
    show_results(grid, photos)
    qtbot.waitUntil(lambda: all(tile_has_picture(grid, row) for row in grid.visible_rows()), timeout=20000)
    grid.select_row(1)
    cells = visible_cells(grid)
    qtbot.waitUntil(lambda: not grid.filling_in, timeout=5000)
    qtbot.wait(50)
    shot = grid.viewport().grab().toImage()
    base = dark_palette().color(dark_palette().ColorRole.Base)
    highlight = dark_palette().color(dark_palette().ColorRole.Highlight)
    assert shot.pixelColor(cells[0].x() + 1, cells[0].y() + 1) == base, "the grid's own background: dark"
    assert contrast_in(shot, text_area(grid, cells[0]), base) > 120, "light text on the dark tile"
    selected, plain = (grid.delegate.tile_rect(cell, grid.font()) for cell in cells[:2][::-1])
    assert shot.pixelColor(selected.x() + 3, selected.center().y()) == highlight, "filled with the selection colour"
    assert shot.pixelColor(plain.x() + 3, plain.center().y()) == base


@pytest.mark.qt_log_ignore("JPEG datastream contains no image")  # Qt's reader on the broken file, on purpose
def test_every_picture_asked_for_arrives_once_on_the_gui_thread(
    qtbot: QtBot, loader: ThumbnailLoader, photos: list[Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    arrived: list[tuple[object, bool, bool]] = []
    loader.loaded.connect(
        lambda key, image: arrived.append((key, image.isNull(), threading.current_thread() is threading.main_thread()))
    )
    for index, path in enumerate(photos):
        loader.request(("tile", 64, index), path, 64)
    loader.request(("tile", 64, "broken"), broken, 64)
    qtbot.waitUntil(lambda: len(arrived) == len(photos) + 1, timeout=30000)
    qtbot.wait(100)
    assert len(arrived) == len(photos) + 1, "each once"
    assert {key for key, _, _ in arrived} == {("tile", 64, i) for i in range(len(photos))} | {("tile", 64, "broken")}
    assert all(on_gui for _, _, on_gui in arrived)
    assert [null for key, null, _ in arrived if key == ("tile", 64, "broken")] == [True], "said unavailable"
    assert not any(null for key, null, _ in arrived if key != ("tile", 64, "broken"))


@pytest.mark.parametrize(("cores", "decoding"), [(1, 1), (2, 1), (4, 2), (16, 2)])
def test_one_decoding_thread_per_two_cores_at_most_two(
    qtbot: QtBot, photos: list[Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cores: int, decoding: int
) -> None:
    """On a 2-core laptop a second decoding thread made the GUI thread's stalls while scrolling longer, for 4 % more
    pictures; more cores leave room for a second one."""
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    loader = ThumbnailLoader(tmp_path / "thumbnails")
    arrived: list[object] = []
    loader.loaded.connect(lambda key, image: arrived.append(key))
    try:
        for index, path in enumerate(photos):
            loader.request(("tile", 64, index), path, 64)
        qtbot.waitUntil(lambda: len(arrived) == len(photos), timeout=30000)
        threads = [thread for thread in threading.enumerate() if thread.name.startswith("thumbnails-")]
        assert len(threads) == decoding
    finally:
        loader.shutdown()


def test_the_app_paints_on_its_own_thread(tmp_path: Path) -> None:
    """Qt's paint thread pool is switched off by the entry point, unless the user set the switch himself."""
    script = "import os; from fashion_desktop.app.cli import prepare_process; prepare_process(); "
    script += "print(os.environ['QT_NO_GUI_THREADPOOL'])"
    environment = {k: v for k, v in os.environ.items() if k != "QT_NO_GUI_THREADPOOL"}
    plain = subprocess.run([sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=True)
    assert plain.stdout.strip() == "1"
    chosen = subprocess.run(
        [sys.executable, "-c", script],
        env={**environment, "QT_NO_GUI_THREADPOOL": "0"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert chosen.stdout.strip() == "0"


def test_scores_shown_as_badges_only_when_there_is_a_query(qtbot: QtBot, grid: ResultsView, photos: list[Path]) -> None:
    show_results(grid, photos)
    qtbot.waitUntil(lambda: all(tile_has_picture(grid, row) for row in grid.visible_rows()), timeout=20000)
    qtbot.waitUntil(lambda: not grid.filling_in, timeout=5000)
    with_query = grid.viewport().grab().toImage()
    browse = [
        SearchResult(item_id=i, path=p, score=math.nan, metadata={NAME: f"Look {i}"}) for i, p in enumerate(photos)
    ]
    grid.results.set_library(2, [r.item_id for r in browse], browse)
    qtbot.waitUntil(lambda: all(tile_has_picture(grid, row) for row in grid.visible_rows()), timeout=20000)
    qtbot.waitUntil(lambda: not grid.filling_in, timeout=5000)
    qtbot.wait(50)
    browsing = grid.viewport().grab().toImage()
    tile = grid.delegate.tile_rect(grid.visualRect(grid.results.index(0)), grid.font())
    badge = QRect(tile.right() - 50 + 4, tile.y() + 8 + 4, 36, 10)  # inside the percentage badge
    differs = sum(
        with_query.pixelColor(x, y) != browsing.pixelColor(x, y)
        for y in range(badge.top(), badge.bottom())
        for x in range(badge.left(), badge.right())
    )
    assert differs > 20, "the similarity badge is drawn for a query and not while browsing"
