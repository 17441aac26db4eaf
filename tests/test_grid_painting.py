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
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QImage
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.fields import NAME
from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.result_delegate import PADDING, TEXTS_PER_FRAME
from fashion_desktop.ui.results_model import ResultsModel
from fashion_desktop.ui.results_view import ResultsView
from fashion_desktop.ui.thumbnails import PAINTED_AS_IS, ThumbnailLoader
from tests.images import gradient, write_awkward_images
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


def test_pictures_arrive_upright_at_the_size_asked_scaled_while_decoding_not_after(
    qtbot: QtBot, loader: ThumbnailLoader, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiles through the disk cache (written, then read back) and pictures decoded directly, from files and bytes:
    each upright, at most the size asked, in a format painted as is, its colours the photo's. Scaled by the reader
    while it decodes without the GIL: QImage.scaled holds the GIL (PySide6), so a decoding thread of lowered
    priority calling it on a busy machine kept the GUI thread waiting (bench/app.py, scrolling with CPU hogs)."""
    files = write_awkward_images(tmp_path / "awkward")
    scaled_off_the_gui_thread: list[str] = []
    scaled = QImage.scaled

    def recorded_scaled(self: QImage, *args: object, **kwargs: object) -> QImage:
        if threading.current_thread() is not threading.main_thread():
            scaled_off_the_gui_thread.append(f"{self.width()}x{self.height()}")
        result: QImage = scaled(self, *args, **kwargs)  # type: ignore[call-overload]
        return result

    monkeypatch.setattr(QImage, "scaled", recorded_scaled)
    arrived: dict[tuple[str, int, str], QImage] = {}
    loader.loaded.connect(lambda key, image: arrived.__setitem__(key, image))

    def tile_arrived(name: str) -> bool:
        return ("tile", 96, name) in arrived

    asked: dict[tuple[str, int, str], int] = {}
    for name, path in files.items():
        for kind, side in (("tile", 96), ("again", 96), ("chip", 150)):  # "again": the tile from the disk cache
            asked[(kind, side, name)] = side
            if kind == "again":
                qtbot.waitUntil(partial(tile_arrived, name), timeout=20000)
            source: Path | bytes = path.read_bytes() if kind == "chip" and name.endswith(".jpg") else path
            loader.request((kind, side, name), source, side, cached=kind != "chip")
    qtbot.waitUntil(lambda: len(arrived) == len(asked), timeout=30000)
    for (kind, side, name), image in arrived.items():
        with Image.open(files[name]) as opened:
            upright = ImageOps.exif_transpose(opened).convert("RGB")
        expected = upright.copy()
        expected.thumbnail((side, side), Image.Resampling.LANCZOS)
        assert not image.isNull() and image.format() in PAINTED_AS_IS, (kind, name, image.format())
        assert abs(image.width() - expected.width) <= 1 and abs(image.height() - expected.height) <= 1, (kind, name)
        if name in ("portrait.jpg", "exif_rotated.jpg", "huge.png", "tiny.png"):
            seen = image.convertToFormat(QImage.Format.Format_RGB888)
            pixels = np.frombuffer(seen.constBits(), np.uint8).reshape(seen.height(), seen.bytesPerLine())
            mean = pixels[:, : 3 * seen.width()].reshape(seen.height(), seen.width(), 3).mean(axis=(0, 1))
            reference = np.asarray(expected, np.float32).mean(axis=(0, 1))
            assert np.abs(mean - reference).max() < 8, (kind, name, mean, reference)
    assert scaled_off_the_gui_thread == []


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


def test_a_frame_for_scattered_tiles_paints_only_them(qtbot: QtBot, grid: ResultsView, photos: list[Path]) -> None:
    """Thumbnails arriving and text left over from the last frame repaint a few scattered tiles. Qt's list view
    asks the delegate for every tile inside the bounding rectangle of what changed (here the whole screen, for the
    first and the last tile); each tile painted costs the GUI thread Python, so tiles outside the change are
    skipped, and the screen looks the same."""
    show_results(grid, photos)
    qtbot.waitUntil(lambda: all(tile_has_picture(grid, row) for row in grid.visible_rows()), timeout=20000)
    qtbot.waitUntil(lambda: not grid.filling_in, timeout=5000)
    qtbot.wait(50)
    before = grid.viewport().grab().toImage()
    rows = grid.visible_rows()
    first, last = (grid.visualRect(grid.results.index(row)) for row in (rows[0], rows[-1]))
    assert len(rows) > 6 and all(first.united(last).intersects(cell) for cell in visible_cells(grid))
    painted = grid.delegate.tiles_painted
    grid.viewport().update(first)
    grid.viewport().update(last)
    qtbot.waitUntil(lambda: grid.delegate.tiles_painted > painted, timeout=5000)
    qtbot.wait(50)
    assert grid.delegate.tiles_painted - painted == 2, "only the two tiles repainted are painted"
    assert grid.viewport().grab().toImage() == before
