"""The window, offscreen, with the tiny models and a small catalog: browsing, asking, drops, history, results,
filters and text, and each defect of the stylist's walk-through (issue 9) with its test."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QMimeData, QPoint, QPointF, Qt, QTimer, QUrl
from PySide6.QtGui import QColor, QFocusEvent, QGuiApplication, QImage, QMouseEvent, QPalette, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QApplication, QComboBox, QMessageBox, QStyleFactory, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fashion_desktop import __version__
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.query import SORTS, Query, QueryImage
from fashion_desktop.imaging import sniff_image
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui import status
from fashion_desktop.ui.colours import MIN_CONTRAST, contrast, message_colour
from fashion_desktop.ui.filter_bar import COUNTS, FilterBar
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.ui.mime import REMOTE_MESSAGE, decode_mime
from fashion_desktop.ui.presenter import IndexingState
from fashion_desktop.ui.query_strip import RegionDialog
from fashion_desktop.ui.results_model import CaptionRole, DuplicatesRole, NameRole, ResultsModel, ScoreRole
from tests.images import gradient, jpeg_bytes
from tests.window_support import (
    CATALOG_SIZE,
    dark_palette,
    drag,
    file_mime,
    has_picture,
    make_catalog,
    open_window,
    running_window,
    shown_names,
    up_to_date,
)


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return make_catalog(tmp_path / "catalog")


@pytest.fixture
def window(qtbot: QtBot, app_paths: AppPaths, catalog: Path) -> Iterator[MainWindow]:
    with running_window(qtbot, app_paths, catalog) as window:
        yield window


def ask(qtbot: QtBot, window: MainWindow, action: object, timeout: int = 30000) -> None:
    """Do `action` and wait until the grid shows the answer."""
    assert callable(action)
    with qtbot.waitSignal(window.presenter.answerShown, timeout=timeout):
        action()


def type_words(window: MainWindow, words: str) -> None:
    window.filter_bar.text.setText(words)
    window.filter_bar.text.returnPressed.emit()


def log_text(paths: AppPaths) -> str:
    return paths.log_file.read_text(encoding="utf-8")


# -- browse first --------------------------------------------------------------------------------------------------
def test_browse_first_with_pictures_count_and_sort(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    assert window.presenter.query.browsing and window.message.text() == f"{CATALOG_SIZE} items in the catalog"
    assert window.results.index(0).data(NameRole) == "Look 0"  # product names first (styles.csv), sorted
    qtbot.waitUntil(lambda: has_picture(window, 0), timeout=10000)
    sort = window.filter_bar.sort
    ask(qtbot, window, lambda: sort.setCurrentIndex(sort.findData("folder")))
    assert shown_names(window)[:6] == ["item1.jpg", "item3.jpg", "item5.jpg", "item7.jpg", "item9.jpg", "item0.jpg"]
    assert window.settings.sort == "folder"
    assert QApplication.focusWidget() is window.view, "focus starts on the grid, not in a text field"
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    assert sort.currentText() == "Sort: Similarity" and not sort.isEnabled(), "similar items are not sorted by folder"
    ask(qtbot, window, window.strip.clear_button.click)
    assert sort.currentText() == "Sort: Folder" and sort.isEnabled() and sort.count() == len(SORTS)
    assert shown_names(window)[:2] == ["item1.jpg", "item3.jpg"] and window.settings.sort == "folder"


def test_filters_and_text_on_the_browsed_library(qtbot: QtBot, window: MainWindow) -> None:
    colour = window.filter_bar.buttons["base_colour"]
    texts = [colour.list.values.item(r).text() for r in range(colour.list.values.count())]
    assert texts == ["Blue   (6)", "Red   (4)"]
    red = colour.list.values.item(1)
    assert not red.icon().isNull(), "colour names come with a swatch"
    ask(qtbot, window, lambda: red.setCheckState(Qt.CheckState.Checked))
    assert sorted(shown_names(window)) == ["item0.jpg", "item3.jpg", "item6.jpg", "item9.jpg"]
    assert colour.isChecked() and colour.text() == "Colour: Red" and colour.font().bold(), "marked as active"
    blue = colour.list.values.item(0)
    ask(qtbot, window, lambda: blue.setCheckState(Qt.CheckState.Checked))  # several values: either
    assert window.results.rowCount() == CATALOG_SIZE and colour.text() == "Colour: Blue +1"
    folder = window.filter_bar.buttons["folder"]
    assert not folder.isVisible() and window.filter_bar.more.isVisible(), "the folder filter is under More"
    bags = next(folder.list.values.item(r) for r in range(folder.list.values.count()))
    ask(qtbot, window, lambda: bags.setCheckState(Qt.CheckState.Checked))
    assert folder.isVisible(), "an active filter is always in sight"
    assert sorted(shown_names(window)) == [f"item{i}.jpg" for i in (1, 3, 5, 7, 9)]
    ask(qtbot, window, lambda: type_words(window, "shoe"))
    assert window.results.rowCount() == 0 and window.view.empty.isVisible() and window.view.empty.kind == "no-matches"
    assert window.view.empty.button.isVisible()
    ask(qtbot, window, window.view.empty.button.click)  # "Clear filters"
    assert window.results.rowCount() == CATALOG_SIZE and not window.view.empty.isVisible()
    assert not colour.isChecked() and window.filter_bar.text.text() == ""
    ask(qtbot, window, lambda: type_words(window, "shoes"))
    assert shown_names(window) == ["item4.jpg"], "word forms: 'shoes' finds the 'Formal Shoes' type"
    ask(qtbot, window, window.filter_bar.clear.click)
    assert window.results.rowCount() == CATALOG_SIZE


def test_empty_catalog_and_indexing_states_and_pause_before_the_run(
    qtbot: QtBot, app_paths: AppPaths, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    window = open_window(qtbot, app_paths, empty)
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "done" and window.view.empty.kind == "empty")
    assert window.view.empty.isVisible() and "No photos" in window.view.empty.title.text()
    filled = make_catalog(tmp_path / "filled", styles=False)
    window.presenter.pause_indexing()  # Pause pressed before the run starts holds that run
    window.open_catalog(str(filled))
    qtbot.waitUntil(lambda: window.view.empty.kind == "indexing", timeout=10000)
    assert window.indexing.pause.text() == "Resume" and "paused" in window.indexing.label.text()
    qtbot.wait(300)
    assert window.presenter.indexing.phase == "paused" and window.results.rowCount() == 0
    window.indexing.pause.click()  # Resume
    qtbot.waitUntil(lambda: up_to_date(window) and window.results.rowCount() == CATALOG_SIZE, timeout=60000)
    window.close()


# -- drop anywhere -------------------------------------------------------------------------------------------------
def test_drop_onto_the_middle_of_the_grid(qtbot: QtBot, window: MainWindow, catalog: Path, app_paths: AppPaths) -> None:
    viewport = window.view.viewport()
    ask(qtbot, window, lambda: drag(viewport, file_mime(catalog / "bags" / "item1.jpg")))
    assert window.presenter.query.origin == "drop" and "item1.jpg" not in shown_names(window)
    assert window.results.rowCount() == CATALOG_SIZE - 1 and window.message.text() == "9 similar items"
    assert window.strip.chips and window.strip.chips[0].image.path == catalog / "bags" / "item1.jpg"
    assert not window.overlay.isVisible()
    qtbot.waitUntil(lambda: "query from drop: 1 images, 9 results" in log_text(app_paths), timeout=5000)
    # several files at once, dropped on the detail pane this time: one combined query
    ask(qtbot, window, lambda: drag(window.detail, file_mime(catalog / "item0.jpg", catalog / "bags" / "item3.jpg")))
    assert len(window.presenter.query.images) == 2 and len(window.strip.chips) == 2
    assert not set(shown_names(window)) & {"item0.jpg", "item3.jpg"}


def test_non_images_are_refused_at_drag_enter(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    (catalog / "notes.txt").write_text("hello")
    text = QMimeData()
    text.setText("just words")
    for mime in (file_mime(catalog / "notes.txt"), text):
        assert not drag(window.view.viewport(), mime), "refused before the drop (no-drop cursor)"
        assert window.overlay.isVisible() and not window.overlay.accepting
    remote = QMimeData()
    remote.setUrls([QUrl("https://shop.example/look.jpg")])
    assert not drag(window.view.viewport(), remote)
    assert window.overlay.text == REMOTE_MESSAGE, "a web address alone: says why while hovering"
    assert window.presenter.query.browsing and window.results.rowCount() == CATALOG_SIZE
    assert drag(window.strip, file_mime(catalog / "item2.jpg"), drop=False)
    assert window.overlay.isVisible() and window.overlay.accepting and window.overlay.text == "Drop to search"


def chromium_mime(data: bytes) -> QMimeData:
    """What Chromium offers when a picture is dragged from a page (seen with a real Chromium under X11)."""
    mime = QMimeData()
    mime.setUrls([QUrl("https://shop.example/images/dress.jpg")])
    mime.setData("application/octet-stream", data)
    mime.setData("XdndDirectSave0", b"dress.jpg")
    mime.setHtml('<img src="https://shop.example/images/dress.jpg">')
    return mime


def test_browser_drops_firefox_and_chromium(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    data = jpeg_bytes(gradient(160, 200, seed=42))
    ask(qtbot, window, lambda: drag(window.view.viewport(), chromium_mime(data)))
    image = window.presenter.query.images[0]
    assert image.data == data and image.label == "dress.jpg" and window.results.rowCount() == CATALOG_SIZE
    firefox = QMimeData()
    firefox.setImageData(QImage(str(catalog / "item2.jpg")))
    firefox.setUrls([QUrl("https://shop.example/look.jpg")])
    ask(qtbot, window, lambda: drag(window.view.viewport(), firefox))
    assert window.presenter.query.images[0].data and window.presenter.query.images[0].data != data
    inline = QMimeData()  # a data: URL (an inline picture)
    inline.setUrls([QUrl("data:image/jpeg;base64," + base64.b64encode(data).decode())])
    ask(qtbot, window, lambda: drag(window.view.viewport(), inline))
    assert window.presenter.query.images[0].data == data


def test_sniffing_is_by_content_not_by_name() -> None:
    assert sniff_image(jpeg_bytes(gradient(20, 20)))
    assert not sniff_image(b"<html>not a picture</html>") and not sniff_image(b"RIFF\x00\x00\x00\x00WAVEfmt ")
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/a.jpg")])
    mime.setData("application/octet-stream", b"<html>an error page</html>")
    assert decode_mime(mime).problem == REMOTE_MESSAGE


def test_folder_drop_offers_to_open_it_and_switching_clears_the_query(
    qtbot: QtBot, window: MainWindow, catalog: Path, tmp_path: Path
) -> None:
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    other = make_catalog(tmp_path / "other", styles=False)
    for index in (0, 2, 4):
        (other / f"item{index}.jpg").unlink()
    assert drag(window.view.viewport(), file_mime(other), drop=False)
    assert window.overlay.text == "Drop to open as a catalog"
    drag(window.view.viewport(), file_mime(other))
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "Open the folder “other” as a catalog?" in box.text()
    ask(qtbot, window, box.button(QMessageBox.StandardButton.Open).click)
    assert window.presenter.catalog == str(other) and window.presenter.query.browsing
    assert not window.strip.chips and window.strip.hint.isVisible(), "the old catalog's query is gone"
    qtbot.waitUntil(lambda: up_to_date(window) and window.results.rowCount() == CATALOG_SIZE - 3, timeout=60000)


# -- the query strip, regions and history ----------------------------------------------------------------------------
def draw_region(qtbot: QtBot, window: MainWindow, chip: int, fraction: tuple[float, float, float, float]) -> None:
    """Click the chip, drag a rectangle on the picture (fractions of it), OK."""
    qtbot.mouseClick(window.strip.chips[chip], Qt.MouseButton.LeftButton)
    dialog = next(d for d in window.strip.findChildren(RegionDialog) if d.isVisible())
    canvas = dialog.canvas
    qtbot.waitUntil(lambda: not canvas.pixmap.isNull(), timeout=10000)
    qtbot.wait(50)
    picture = canvas.picture_rect()
    left, top, right, bottom = fraction
    start = QPoint(picture.x() + round(left * picture.width()), picture.y() + round(top * picture.height()))
    end = QPoint(picture.x() + round(right * picture.width()) - 1, picture.y() + round(bottom * picture.height()) - 1)
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(canvas, end)
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=end)
    ask(qtbot, window, dialog.accept)


def test_region_on_any_query_image(qtbot: QtBot, window: MainWindow, catalog: Path, app_paths: AppPaths) -> None:
    window.view.select_row(2)
    ask(qtbot, window, window.more_like_selected)  # More like this
    assert window.presenter.query.origin == "more-like-this"
    first = list(window.results.item_ids())
    draw_region(qtbot, window, 0, (0.25, 0.25, 0.75, 0.75))
    query = window.presenter.query
    region = query.images[0].region
    assert region is not None and query.origin == "more-like-this+region"
    assert region.left == pytest.approx(0.25, abs=0.03) and region.top == pytest.approx(0.25, abs=0.03)
    assert region.width == pytest.approx(0.5, abs=0.03) and region.height == pytest.approx(0.5, abs=0.03)
    assert window.results.item_ids() != first or window.results.index(0).data(ScoreRole) != pytest.approx(1.0)
    qtbot.waitUntil(lambda: "more-like-this+region: 1 images" in log_text(app_paths), timeout=5000)
    # two images: a region on the second one searches too
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg", catalog / "item2.jpg")))
    draw_region(qtbot, window, 1, (0.0, 0.0, 0.5, 1.0))
    images = window.presenter.query.images
    assert images[0].region is None and images[1].region is not None
    assert images[1].region.width == pytest.approx(0.5, abs=0.03)
    assert window.strip.chips[1].image.region == images[1].region


def test_region_on_a_rotated_camera_photo_is_the_upright_part(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    """Defect 10: the picture is decoded off the GUI thread, upright; the region is where it is drawn."""
    stored = Image.new("RGB", (400, 200), (250, 250, 250))
    stored.paste((200, 20, 20), (200, 0, 400, 200))  # right half red: after rotating 90° clockwise, the bottom half
    exif = Image.Exif()
    exif[0x0112] = 6
    photo = tmp_path / "camera.jpg"
    stored.save(photo, exif=exif, quality=95)
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(photo)))
    chip = window.strip.chips[0]
    qtbot.waitUntil(lambda: not chip.pixmap.isNull(), timeout=10000)
    assert chip.pixmap.height() > chip.pixmap.width(), "shown upright (portrait)"
    draw_region(qtbot, window, 0, (0.0, 0.5, 1.0, 1.0))  # the bottom half as seen: the red part
    region = window.presenter.query.images[0].region
    assert region is not None and region.top == pytest.approx(0.5, abs=0.03)
    upright = Image.open(photo)
    from PIL import ImageOps

    crop = ImageOps.exif_transpose(upright).crop((0, 200, 200, 400))
    red, green, blue = crop.convert("RGB").getpixel((100, 100))  # type: ignore[misc]
    assert red > 150 and red > green + 80 and red > blue + 80, "the region holds the red part"


def test_back_forward_with_filters_and_text(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    dropped = window.presenter.query
    ask(qtbot, window, lambda: type_words(window, "look"))
    with_text = window.presenter.query
    ask(qtbot, window, lambda: window.presenter.clear_images())
    assert window.presenter.query.browsing and window.presenter.query.text == "look"
    ask(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier))
    assert window.presenter.query == with_text and window.filter_bar.text.text() == "look"
    ask(qtbot, window, window.strip.back_button.click)
    assert window.presenter.query == dropped and window.filter_bar.text.text() == "" and window.strip.chips
    back_press = QMouseEvent(
        QMouseEvent.Type.MouseButtonPress,
        QPointF(30, 30),
        QPointF(30, 30),
        Qt.MouseButton.ForwardButton,
        Qt.MouseButton.ForwardButton,
        Qt.KeyboardModifier.NoModifier,
    )
    ask(qtbot, window, lambda: QApplication.sendEvent(window.view.viewport(), back_press))  # the mouse's button
    assert window.presenter.query == with_text
    assert window.strip.forward_button.isEnabled()
    ask(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_Escape))  # Esc: back to browsing
    assert window.presenter.query.browsing and not window.strip.chips
    window.view.select_row(1)
    assert not window.forward_action.isEnabled()
    qtbot.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)  # nowhere to go forward …
    assert window.view.selected_rows() == [1]  # … and the selection stays


def test_a_new_answer_shows_its_best_matches_and_back_returns_to_the_place_left(
    qtbot: QtBot, window: MainWindow, catalog: Path
) -> None:
    """Scrolled down the library, a drop's answer opens at its top (not scrolled as the library was, its best
    matches hidden above); Back and Forward return each view to where it was left, and to its current tile."""
    window.resize(800, 600)
    window.size_slider.setValue(window.size_slider.maximum())  # big tiles: the ten photos need scrolling
    bar = window.view.verticalScrollBar()

    def scroll_down() -> int:
        """Into the third tile's line (not to the end: a view returned to may be a little taller or shorter)."""
        line = window.view.gridSize().height()
        qtbot.waitUntil(lambda: bar.maximum() > 3 * line, timeout=5000)
        bar.setValue(2 * line + line // 3)
        assert window.view.visible_rows()[0] > 0
        return bar.value()

    scroll_down()
    area = window.view.viewport().rect()
    shown = [window.results.index(row) for row in window.view.visible_rows()]
    clicked = next(i for i in reversed(shown) if area.contains(window.view.visualRect(i).center()))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.visualRect(clicked).center())
    library_current, library_at = window.view.currentIndex().row(), bar.value()  # as far as clicking it scrolled
    assert library_current == clicked.row()
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    assert bar.value() == 0 and window.view.visible_rows()[0] == 0
    answer_at = scroll_down()
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "bags" / "item5.jpg")))
    assert bar.value() == 0
    ask(qtbot, window, lambda: window.presenter.go(-1))
    qtbot.waitUntil(lambda: bar.value() == answer_at, timeout=5000)
    bar.setValue(answer_at // 2)  # left by Back at another place than before
    ask(qtbot, window, lambda: window.presenter.go(-1))
    qtbot.waitUntil(lambda: bar.value() == library_at, timeout=5000)
    assert window.view.currentIndex().row() == library_current
    ask(qtbot, window, lambda: window.presenter.go(1))
    qtbot.waitUntil(lambda: bar.value() == answer_at // 2, timeout=5000)


def test_back_to_a_current_tile_scrolled_away_shows_its_details_and_caption(
    qtbot: QtBot, window: MainWindow, catalog: Path
) -> None:
    """Back returns to the tile chosen even when it is out of view: the detail pane shows it, with its caption (the
    caption is asked for though the tile is not on screen)."""
    window.resize(800, 600)
    window.size_slider.setValue(window.size_slider.maximum())
    bar = window.view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 3 * window.view.gridSize().height(), timeout=5000)
    first = window.results.index(0)
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.visualRect(first).center())
    chosen = window.results.result_at(0)
    assert chosen is not None and window.detail.result == chosen
    bar.setValue(bar.maximum())  # the chosen tile scrolls out of view
    assert 0 not in window.view.visible_rows()
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item2.jpg")))
    ask(qtbot, window, lambda: window.presenter.go(-1))
    assert window.view.currentIndex().row() == 0 and 0 not in window.view.visible_rows()
    assert window.detail.result is not None and window.detail.result.item_id == chosen.item_id
    qtbot.waitUntil(lambda: window.detail.caption.text() not in ("", "Caption being written…"), timeout=20000)


def test_back_shows_the_current_tile_of_a_library_read_a_page_at_a_time(
    qtbot: QtBot, app_paths: AppPaths, catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a big library the tiles are read a page at a time: the current tile returned to by Back may not be read
    yet. The detail pane shows it once its page arrives, not "Nothing selected" beside a highlighted tile."""
    import fashion_desktop.ui.results_model as results_model
    import fashion_desktop.workers.engine as engine

    monkeypatch.setattr(engine, "FIRST_PAGE", 2)  # ten photos, read as a library of five pages
    monkeypatch.setattr(results_model, "PAGE", 2)
    with running_window(qtbot, app_paths, catalog) as window:
        window.resize(800, 600)
        window.size_slider.setValue(window.size_slider.maximum())
        bar = window.view.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() > 3 * window.view.gridSize().height(), timeout=5000)
        bar.setValue(bar.maximum())
        last = window.results.index(CATALOG_SIZE - 1)
        qtbot.waitUntil(lambda: window.results.result_at(last.row()) is not None, timeout=5000)
        qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=window.view.visualRect(last).center())
        chosen = window.results.result_at(last.row())
        assert chosen is not None and window.detail.result == chosen
        bar.setValue(0)  # the chosen tile out of view: nothing paints it, so nothing reads its page but the pane
        ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item2.jpg")))
        ask(qtbot, window, lambda: window.presenter.go(-1))  # the library again: its first page only, at first
        assert window.view.currentIndex().row() == last.row() and last.row() not in window.view.visible_rows()
        qtbot.waitUntil(lambda: window.detail.result is not None, timeout=5000)
        assert window.detail.result is not None and window.detail.result.item_id == chosen.item_id


def test_a_view_left_before_its_answer_came_opens_at_its_top(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    """The grid still showed the view before it: where that one was scrolled says nothing of this one."""
    window.resize(800, 600)
    window.size_slider.setValue(window.size_slider.maximum())
    bar = window.view.verticalScrollBar()
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    qtbot.waitUntil(lambda: bar.maximum() > 3 * window.view.gridSize().height(), timeout=5000)
    row = next(r for r in range(2, 9) if shown_names(window)[r] != "item5.jpg")  # also among the next answer's
    window.view.scrollTo(window.results.index(row), QAbstractItemView.ScrollHint.PositionAtTop)
    assert bar.value() > 0
    assert window.workers is not None
    window.workers.search.worker.gate.pause()
    try:
        drag(window.view.viewport(), file_mime(catalog / "bags" / "item5.jpg"))  # not answered yet …
        drag(window.view.viewport(), file_mime(catalog / "item2.jpg"))  # … when this one is asked
    finally:
        window.workers.search.worker.gate.resume()
    qtbot.waitUntil(lambda: up_to_date(window) and bar.value() == 0, timeout=10000)
    ask(qtbot, window, lambda: window.presenter.go(-1))
    assert [chip.image.path for chip in window.strip.chips] == [catalog / "bags" / "item5.jpg"]
    qtbot.waitUntil(lambda: bar.maximum() > 3 * window.view.gridSize().height(), timeout=5000)  # laid out
    qtbot.wait(100)
    assert bar.value() == 0


def test_back_to_a_cached_query_needs_no_worker(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    first = window.results.item_ids()
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "bags" / "item5.jpg")))
    assert window.workers is not None
    window.workers.search.worker.gate.pause()  # the worker would be too late: the cache answers
    try:
        with qtbot.waitSignal(window.presenter.answerShown, timeout=1000):
            window.presenter.go(-1)
        assert window.results.item_ids() == first
    finally:
        window.workers.search.worker.gate.resume()


def test_last_session_and_recent_catalogs(
    qtbot: QtBot, window: MainWindow, catalog: Path, app_paths: AppPaths, tmp_path: Path
) -> None:
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    colour = window.filter_bar.buttons["base_colour"].list.values
    ask(qtbot, window, lambda: colour.item(1).setCheckState(Qt.CheckState.Checked))
    ask(qtbot, window, lambda: type_words(window, "look"))
    expected = window.presenter.query
    window.close()
    later = open_window(qtbot, app_paths, None, Settings.load(app_paths.settings_file))  # the next launch
    qtbot.waitUntil(lambda: later.presenter.query.images != (), timeout=10000)
    restored = later.presenter.query
    assert restored.images[0].path == catalog / "item0.jpg" and restored.filters == expected.filters
    assert restored.text == "look" and later.filter_bar.text.text() == "look" and later.strip.chips
    qtbot.waitUntil(lambda: later.results.rowCount() > 0, timeout=30000)
    other = make_catalog(tmp_path / "second", styles=False)
    later.open_catalog(str(other))
    later.recent_menu.aboutToShow.emit()  # what opening the menu does
    entries = [a.text() for a in later.recent_menu.actions()]
    assert entries[:2] == [str(other), str(catalog)]
    ask(qtbot, later, later.recent_menu.actions()[1].trigger)
    assert later.presenter.catalog == str(catalog)
    later.close()


# -- results --------------------------------------------------------------------------------------------------------
def test_tiles_name_caption_similarity_and_captions_fill_in(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    first = window.results.index(0)
    assert first.data(NameRole).startswith("Look ")
    score = first.data(ScoreRole)
    assert isinstance(score, float) and 0 < score <= 1
    qtbot.waitUntil(
        lambda: all(window.results.index(r).data(CaptionRole) for r in range(window.results.rowCount())), timeout=60000
    )
    picture = window.view.viewport().grab().toImage()
    assert picture.width() > 0


def test_thumbnail_size_and_detail_pane(qtbot: QtBot, window: MainWindow) -> None:
    side = window.view.side
    qtbot.keyClick(window.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.view.side > side and window.size_slider.value() == window.view.side
    window.size_slider.setValue(100)
    assert window.view.side == 100 and window.settings.thumbnail_size == 100
    window.view.select_row(3)
    detail = window.detail
    assert detail.title.text() == "Look 3", "the product name first"
    shown = [detail.sections[name].text() for name in detail.sections if detail.sections[name].isVisible()]
    assert shown == ["Caption", "Product", "Metadata", "File"], "a note only for a board's item"
    assert detail.path.text().endswith("item3.jpg")
    window.details_action.trigger()
    assert not detail.isVisible() and window.settings.details_shown is False
    window.details_action.trigger()
    assert detail.isVisible()


def test_multi_select_drag_out_and_copy_paths(qtbot: QtBot, window: MainWindow) -> None:
    window.view.select_row(0)
    for row in (2, 4):
        rect = window.view.visualRect(window.results.index(row))
        qtbot.mouseClick(
            window.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, rect.center()
        )
    rows = window.view.selected_rows()
    assert rows == [0, 2, 4]
    assert not window.detail.selected.isHidden() and window.detail.selected.text().startswith("3 items selected")
    dragged = window.results.mimeData([window.results.index(r) for r in rows])
    assert len(dragged.urls()) == 3 and all(url.isLocalFile() for url in dragged.urls())
    qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    copied = QGuiApplication.clipboard().text().splitlines()
    assert copied == [u.toLocalFile() for u in dragged.urls()]
    qtbot.keyClick(window.view, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    assert len(window.view.selected_rows()) == CATALOG_SIZE
    assert window.detail.selected.text().startswith(f"{CATALOG_SIZE} items selected")
    ask(qtbot, window, lambda: type_words(window, "Look"))
    assert window.view.selected_rows() == [] and window.detail.selected.isHidden(), "a new view: none selected"
    ask(qtbot, window, lambda: window.presenter.clear_filters())
    window.view.clearSelection()
    window.view.select_row(1)
    assert window.detail.selected.isHidden(), "one item: the pane's title says which"
    window.view.selectionModel().select(window.results.index(3), window.view.selectionModel().SelectionFlag.Select)
    ask(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_Return))  # Enter = More like this
    query = window.presenter.query
    assert query.origin == "more-like-this" and len(query.images) == 2
    assert {i.item_id for i in query.images}.isdisjoint(window.results.item_ids())


def test_quick_look(qtbot: QtBot, window: MainWindow) -> None:
    window.view.select_row(0)
    qtbot.keyClick(window.view, Qt.Key.Key_Space)
    look = window.quick_look
    assert look.isVisible() and look.shown is not None
    first = look.shown.item_id
    qtbot.waitUntil(lambda: not look.picture.pixmap().isNull(), timeout=10000)
    width = look.picture.width()
    look.activateWindow()  # as the window system does: the dialog's first focusable child gets the keys
    qtbot.waitUntil(look.isActiveWindow, timeout=5000)
    keys = QApplication.focusWidget() or look  # where the stylist's keys go
    qtbot.keyClick(keys, Qt.Key.Key_Plus)
    assert look.picture.width() > width
    qtbot.keyClick(keys, Qt.Key.Key_Right)
    assert look.shown.item_id != first and window.view.selected_rows() == [1]
    qtbot.keyClick(keys, Qt.Key.Key_Left)
    assert look.shown.item_id == first and window.view.selected_rows() == [0]
    qtbot.keyClick(keys, Qt.Key.Key_Escape)
    assert not look.isVisible()


def test_the_tile_qt_makes_current_is_chosen_only_when_a_key_acts_on_it(qtbot: QtBot, window: MainWindow) -> None:
    """When the grid takes the focus, Qt makes its first tile current but does not mark it. The detail pane showed
    that tile beside a grid with nothing marked (after a filter, at launch) and Space, B, Enter acted on it: now
    the pane says nothing is selected until a key acts, and the key marks the tile it acts on."""
    view, detail = window.view, window.detail
    QApplication.sendEvent(view, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.TabFocusReason))
    assert view.currentIndex().row() == 0 and view.selected_rows() == []
    assert detail.result is None and detail.title.text() == "Nothing selected"
    assert window.selected_results() == []
    qtbot.keyClick(view, Qt.Key.Key_Space)
    assert view.selected_rows() == [0] and window.quick_look.isVisible()
    assert detail.result is not None and detail.result.path.name == shown_names(window)[0]
    window.quick_look.close()
    tile = view.visualRect(window.results.index(0)).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier, tile)
    assert view.selected_rows() == [] and detail.result is None, "unmarked by Ctrl+click: the pane follows"
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, tile)
    assert view.selected_rows() == [0] and detail.result is not None


def test_near_duplicates_fold_into_one_tile(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    for copy in range(2):
        (catalog / f"copy{copy}.jpg").write_bytes((catalog / "item4.jpg").read_bytes())
    with qtbot.waitSignal(window.presenter.answerShown, timeout=60000):
        window.presenter.start_indexing()
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "done", timeout=60000)
    ask(qtbot, window, lambda: drag(window.view.viewport(), file_mime(catalog / "item0.jpg")))
    plain = window.results.rowCount()
    ask(qtbot, window, window.collapse_action.trigger)
    folded = [window.results.index(r).data(DuplicatesRole) for r in range(window.results.rowCount())]
    assert max(folded) >= 2 and window.results.rowCount() <= plain
    assert "near-duplicates folded" in window.message.text()


# -- the defects of the walk-through ---------------------------------------------------------------------------------
def test_paste_works_from_anywhere_but_text_fields(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    """Defect 1: Ctrl+V from the count box (where focus used to land) searches; in the text box it pastes text."""
    QGuiApplication.clipboard().setImage(QImage(str(catalog / "item2.jpg")))
    count = window.filter_bar.count
    assert isinstance(count, QComboBox) and not count.isEditable()
    count.setFocus()
    ask(qtbot, window, lambda: qtbot.keyClick(count, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier))
    assert window.presenter.query.origin == "paste" and window.results.rowCount() > 0
    QGuiApplication.clipboard().setText("red")
    window.filter_bar.text.setFocus()
    qtbot.keyClick(window.filter_bar.text, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.filter_bar.text.text() == "red" and window.presenter.query.origin == "paste"
    copied = file_mime(catalog / "item4.jpg")
    QGuiApplication.clipboard().setMimeData(copied)
    try:
        window.view.setFocus()
        ask(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier))
        assert window.presenter.query.images[0].path == catalog / "item4.jpg"
    finally:
        QGuiApplication.clipboard().clear()


def test_skipped_files_listed_during_and_after_reindex(qtbot: QtBot, app_paths: AppPaths, catalog: Path) -> None:
    """Defect 2: the list comes from the catalog, so a re-index keeps still-bad files and a running index shows
    what earlier runs found."""
    (catalog / "broken.jpg").write_bytes(b"\xff\xd8\xff not really a jpeg")
    window = open_window(qtbot, app_paths, catalog)
    qtbot.waitUntil(lambda: up_to_date(window), timeout=60000)
    assert window.indexing.skipped == [("broken.jpg", window.indexing.skipped[0][1])]
    assert window.indexing.skipped_button.text() == "1 skipped"
    window.presenter.pause_indexing()
    window.presenter.start_indexing()  # F5, paused at once
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "paused")
    window.indexing.show_skipped()
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "broken.jpg" in box.text() and "Indexing is running" in box.text()
    box.close()
    window.presenter.resume_indexing()
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "done", timeout=60000)
    assert [path for path, _ in window.indexing.skipped] == ["broken.jpg"], "still listed after a re-index"
    window.close()


def test_message_colours_follow_the_level_and_stay_readable(qtbot: QtBot, window: MainWindow) -> None:
    """Defect 3: a success after an error is not red; colours reach 4.5:1 on light and dark palettes."""
    label = window.message
    label.show_message("Search failed: nope", "error")
    error = label.palette().color(QPalette.ColorRole.WindowText)
    label.show_message("9 similar items", "success")
    success = label.palette().color(QPalette.ColorRole.WindowText)
    label.show_message("10 items in the catalog", "info")
    info = label.palette().color(QPalette.ColorRole.WindowText)
    assert error != success and info == window.palette().color(QPalette.ColorRole.WindowText)
    assert not label.font().bold()
    for palette in (QApplication.palette(), dark_palette(), QStyleFactory.create("Fusion").standardPalette()):
        background = palette.color(QPalette.ColorRole.Window)
        for level in ("info", "success", "error"):
            assert contrast(message_colour(level, palette), background) >= MIN_CONTRAST, (level, background.name())
    assert contrast(QColor("#c62828"), QColor(45, 45, 45)) < MIN_CONTRAST, "the old fixed red fails on dark"


def test_between_messages_the_status_line_says_what_the_grid_shows(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message stays 10 s (an error 20 s); then the status line was blank, so a fresh launch, whose indexing
    outlasts the count's message, showed no count at all."""
    monkeypatch.setattr(status, "INFO_MS", 50)
    monkeypatch.setattr(status, "ERROR_MS", 100)
    label = window.message
    qtbot.waitUntil(lambda: label.text() == f"{CATALOG_SIZE} items in the catalog")
    label.show_message("Copied 2 paths", "info")
    assert label.text() == "Copied 2 paths"
    qtbot.waitUntil(lambda: label.text() == f"{CATALOG_SIZE} items in the catalog", timeout=3000)
    ask(qtbot, window, lambda: type_words(window, "Look 3"))
    summary = label.text()
    assert summary.startswith(f"1 of {CATALOG_SIZE} items")
    label.show_message("Search failed: the disk is full", "error")
    qtbot.waitUntil(lambda: label.text() == summary and label.level == "info", timeout=3000)
    info = window.palette().color(QPalette.ColorRole.WindowText)
    assert label.palette().color(QPalette.ColorRole.WindowText) == info and not label.font().bold()


PHOTOS = 150  # enough that a run cannot end before the window has answered its first progress report


def test_pause_shown_and_cancel_counts_and_resume(qtbot: QtBot, app_paths: AppPaths, tmp_path: Path) -> None:
    """Defects 4 and 5: Paused is said in the status bar; a cancel says how many of how many were read, and
    "Resume indexing" finishes the job."""
    root = tmp_path / "many"
    root.mkdir()
    for index in range(PHOTOS):
        gradient(120, 150, seed=index).save(root / f"p{index}.png")
    window = open_window(qtbot, app_paths, root)
    pause_asked: list[bool] = []

    def pause_once_running(state: IndexingState) -> None:
        """Pause on the first progress report itself: polling for "running" can miss a run that ends between two
        polls (progress and the end arrive in one turn of the event loop)."""
        if state.phase == "running" and not pause_asked:
            pause_asked.append(True)
            QTimer.singleShot(0, window.indexing.pause.click)  # after every listener has seen "running"

    window.presenter.indexingChanged.connect(pause_once_running)
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "paused", timeout=60000)
    assert "paused" in window.indexing.label.text() and window.indexing.pause.text() == "Resume"
    qtbot.wait(200)
    done_when_paused = window.presenter.indexing.done
    window.indexing.cancel.click()
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "cancelled", timeout=30000)
    text = window.indexing.label.text()
    assert text.startswith("Indexing cancelled:") and text.endswith(f"of {PHOTOS} photos read"), text
    assert int(text.split(":")[1].split()[0]) <= done_when_paused + 32
    assert window.indexing.resume_indexing.isVisible()
    window.indexing.resume_indexing.click()
    qtbot.waitUntil(lambda: window.presenter.indexing.phase == "done", timeout=60000)
    qtbot.waitUntil(lambda: window.results.rowCount() == PHOTOS, timeout=10000)
    window.close()


@pytest.mark.qt_log_ignore("does not support QPlatformServices")  # offscreen Qt has no desktop services
def test_open_and_reveal_say_when_they_cannot(
    qtbot: QtBot, window: MainWindow, catalog: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Defect 6."""
    monkeypatch.setenv("PATH", str(tmp_path))  # no xdg-open, no file manager
    window.view.select_row(0)
    window.detail.buttons["Open"].click()
    assert "Cannot open" in window.message.text() and window.message.level == "error"
    window.message.show_message("", "info")
    window.detail.buttons["Reveal"].click()
    assert "Cannot show" in window.message.text()
    result = window.detail.result
    assert result is not None
    result.path.unlink()
    window.detail.buttons["Open"].click()
    assert "no longer there" in window.message.text()


def test_every_control_reachable_at_800_by_600(qtbot: QtBot, window: MainWindow) -> None:
    """Defect 8: at 800×600 nothing is cut and at least six tiles show."""
    window.resize(800, 600)
    qtbot.wait(300)
    window.view.select_row(0)
    qtbot.wait(100)
    frame = window.rect()
    controls: list[QWidget] = [
        window.filter_bar.sort,
        window.filter_bar.text,
        window.filter_bar.count,
        window.filter_bar.clear,
        window.filter_bar.more,
        *[b for b in window.filter_bar.buttons.values() if b.isVisible()],
        window.size_slider,
        *window.detail.buttons.values(),
    ]
    for control in controls:
        assert control.isVisible(), control.accessibleName() or control
        top_left = control.mapTo(window, QPoint(0, 0))
        assert frame.contains(top_left) and frame.contains(top_left + QPoint(control.width() - 1, control.height() - 1))
    assert window.filter_bar.text.width() >= 150
    for button in [*window.detail.buttons.values(), window.filter_bar.clear]:
        assert button.width() >= button.sizeHint().width() - 2, f"{button.text()!r} is cut"
    viewport = window.view.viewport().rect()
    whole_tiles = [
        row
        for row in range(window.results.rowCount())
        if viewport.contains(window.view.visualRect(window.results.index(row)))
    ]
    assert len(whole_tiles) >= 6
    detail = window.detail
    qtbot.waitUntil(lambda: not detail.preview.pixmap().isNull(), timeout=10000)
    shown = detail.area.viewport().rect()
    caption = detail.sections["Caption"]
    assert shown.contains(caption.mapTo(detail.area.viewport(), caption.rect().bottomRight())), (
        "the caption below the picture is in sight without scrolling"
    )


def test_help_has_a_guide_and_about_with_the_version(qtbot: QtBot, window: MainWindow, tiny_models: Path) -> None:
    """Defect 9 (and the models' description)."""
    window.show_guide()
    window.show_about()
    window.show_models()
    boxes = {b.windowTitle(): b for b in window.findChildren(QMessageBox) if b.isVisible()}
    assert "Shortcuts" in boxes["Guide and shortcuts"].text() and "Ctrl+V" in boxes["Guide and shortcuts"].text()
    assert __version__ in boxes["About Fashion Desktop"].text()
    assert "stand-in" in boxes["About Fashion Desktop"].text()
    models = boxes["Models"].text()
    for model in ("resnet50", "blip"):
        assert f"{model}: random-weights:tiny" in models and str(tiny_models / model) in models
    assert window.banner.isVisible() and "meaningless" in window.banner.text()
    for box in boxes.values():
        box.close()


def test_styles_csv_added_later_refreshes_filters_and_the_query(
    qtbot: QtBot, app_paths: AppPaths, tmp_path: Path
) -> None:
    root = make_catalog(tmp_path / "plain", styles=False)
    window = open_window(qtbot, app_paths, root)
    qtbot.waitUntil(lambda: up_to_date(window), timeout=60000)
    assert window.filter_bar.buttons["base_colour"].list.values.count() == 1  # "No values in this catalog"
    make_catalog(tmp_path / "with-styles")
    (root / "styles.csv").write_text((tmp_path / "with-styles" / "styles.csv").read_text())
    window.presenter.start_indexing()
    qtbot.waitUntil(lambda: window.results.index(0).data(NameRole) == "Look 0", timeout=60000)
    assert window.filter_bar.buttons["base_colour"].list.values.count() == 2
    window.close()


def test_a_results_count_from_elsewhere_is_shown_as_it_is(qtbot: QtBot) -> None:
    """A count not among the menu's (a settings file, the command line) was shown as the menu's first, "12
    similar", while the search showed another number of items."""
    bar = FilterBar()
    qtbot.addWidget(bar)
    asked: list[int] = []
    bar.countChanged.connect(asked.append)
    for count in (30, 6, 30):
        bar.show_query(Query(k=count))
        assert bar.count.currentText() == f"{count} similar" and bar.count.currentData() == count
    offered = [int(bar.count.itemData(row)) for row in range(bar.count.count())]
    assert offered == sorted({*COUNTS, 6, 30}) and asked == [], "shown, not asked for"
    bar.count.setCurrentIndex(bar.count.findData(48))
    assert asked == [48]


def test_reindexing_asks_again_only_when_the_catalog_changed(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    """An unchanged relaunch is up to date as soon as its scan ends (the 44k library is not read a second time);
    a photo gone since is gone from the grid."""
    answers: list[int] = []
    window.presenter.answerShown.connect(lambda: answers.append(window.results.rowCount()))
    window.presenter.start_indexing()
    qtbot.waitUntil(lambda: up_to_date(window), timeout=60000)
    assert window.presenter.indexing.summary == "Up to date: 0 new, 0 changed, 0 removed"
    assert answers == []
    (catalog / "item0.jpg").unlink()
    window.presenter.start_indexing()
    qtbot.waitUntil(lambda: up_to_date(window) and answers == [CATALOG_SIZE - 1], timeout=60000)
    assert "item0.jpg" not in shown_names(window)


def test_missing_models_dialog(qtbot: QtBot, data_dir: Path, tmp_path: Path, catalog: Path) -> None:
    paths = AppPaths(data_dir, (tmp_path / "no-models",), catalog)
    window = open_window(qtbot, paths, catalog)
    qtbot.waitUntil(lambda: window.missing_models_dialog is not None, timeout=10000)
    assert window.missing_models_dialog is not None
    text = window.missing_models_dialog.text()
    assert "No exported 'resnet50' model found" in text and "export_models.py" in text
    window.missing_models_dialog.close()
    window.close()


def test_first_launch_welcome_then_sample(qtbot: QtBot, app_paths: AppPaths) -> None:
    window = open_window(qtbot, app_paths, None, Settings())
    assert window.pages.currentWidget() is window.welcome
    window.welcome.useSample.emit()
    qtbot.waitUntil(lambda: up_to_date(window), timeout=60000)
    assert window.presenter.catalog == str(app_paths.sample_catalog) and window.results.rowCount() == 68
    window.close()
    saved = json.loads(app_paths.settings_file.read_text())
    assert saved["catalog"] == str(app_paths.sample_catalog) and saved["window_geometry"]


def test_results_model_passes_qtmodeltester(qtmodeltester: ModelTester, app_paths: AppPaths, catalog: Path) -> None:
    store = Catalog.open(catalog, app_paths)
    store.index()
    model = ResultsModel()
    model.set_results(1, store.run_query(Query(images=(QueryImage(path=catalog / "item0.jpg"),), k=5)))
    qtmodeltester.check(model)
    model.set_caption(model.item_ids()[0], "a red bag")
    assert model.index(0).data(CaptionRole) == "a red bag"
    view = store.browse(Query())
    model.set_library(2, view.item_ids, store.page(view.item_ids[:3]))
    qtmodeltester.check(model)
    assert isinstance(model.index(0).data(Qt.ItemDataRole.DecorationRole), QPixmap)
    store.close()
