"""The window, offscreen, with the tiny models and a small catalog: asking, answers, workers, settings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QObject, QPoint, QPointF, QRect, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fashion_desktop import logs
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.ui.mime import REMOTE_MESSAGE, decode_mime
from fashion_desktop.ui.results_model import CaptionRole, ItemIdRole, ResultsModel
from fashion_desktop.workers.engine import WorkerThreads
from tests.images import gradient

CATALOG_SIZE = 10


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    root = tmp_path / "catalog"
    (root / "bags").mkdir(parents=True)
    for index in range(CATALOG_SIZE):
        gradient(200 + 10 * index, 240, seed=index).save(root / ("bags" if index % 2 else "") / f"item{index}.jpg")
    return root


@pytest.fixture
def window(qtbot: QtBot, app_paths: AppPaths, catalog: Path) -> Iterator[MainWindow]:
    logs.setup(app_paths.log_file)
    threads_before = python_threads()
    settings = Settings(results_count=5)
    window = MainWindow(settings, app_paths, catalog)
    qtbot.addWidget(window)
    window.show()
    workers = WorkerThreads(app_paths, None)
    window.attach_workers(workers)
    qtbot.waitUntil(lambda: window.progress_label.text().startswith("Up to date"), timeout=60000)
    yield window
    window.close()
    for worker_thread in (workers.search, workers.captions, workers.index):
        assert not worker_thread.thread.isRunning(), "worker threads must be joined on close"
    assert python_threads() <= threads_before, "no Python threads left behind"


def python_threads() -> set[str]:
    """Threads started by Python (QThreads show up as dummy entries that are never removed)."""
    return {t.name for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def drop(qtbot: QtBot, target: QObject, mime: QMimeData) -> None:
    """DragEnter → DragMove → Drop, as a real drag delivers them."""
    position = QPointF(20, 20)
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    for event in (
        QDragEnterEvent(position.toPoint(), actions, mime, buttons, modifiers),
        QDragMoveEvent(position.toPoint(), actions, mime, buttons, modifiers),
        QDropEvent(position, actions, mime, buttons, modifiers),
    ):
        QApplication.sendEvent(target, event)


def file_mime(*paths_: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths_])
    return mime


def drop_and_wait(qtbot: QtBot, window: MainWindow, mime: QMimeData, count: int = 5) -> None:
    """Drop onto the query area and wait until the grid shows the answer."""
    with qtbot.waitSignal(window.results.modelReset, timeout=20000, raising=False) as got:
        drop(qtbot, window.query_area, mime)
    assert got.signal_triggered, window.message.text()
    assert window.results.rowCount() == count


def log_text(paths: AppPaths) -> str:
    return paths.log_file.read_text(encoding="utf-8")


def image_rect(widget: QWidget) -> QRect:
    """Where the widget draws a picture: the bounding box of pixels unlike its background (its top-left pixel)."""
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    background = pixels[image.height() // 2, 6]  # inside the dashed border, left of any picture
    ys, xs = np.nonzero(np.abs(pixels - background).sum(axis=2) > 40)
    inside = (xs > 8) & (xs < image.width() - 8) & (ys > 8) & (ys < image.height() - 8)  # not the border
    xs, ys = xs[inside], ys[inside]
    return QRect(int(xs.min()), int(ys.min()), int(xs.max() - xs.min()), int(ys.max() - ys.min()))


def results_shown(window: MainWindow) -> list[str]:
    return [window.results.result_at(row).path.name for row in range(window.results.rowCount())]


def test_drop_a_catalog_file_excludes_itself(
    qtbot: QtBot, window: MainWindow, catalog: Path, app_paths: AppPaths
) -> None:
    query = catalog / "bags" / "item1.jpg"
    drop_and_wait(qtbot, window, file_mime(query))
    assert "item1.jpg" not in results_shown(window)
    assert window.query is not None and window.query.origin == "drop"
    qtbot.waitUntil(lambda: "query from drop: 1 images, 5 results" in log_text(app_paths), timeout=5000)


def test_drop_image_data_from_a_browser(qtbot: QtBot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setImageData(QImage(120, 90, QImage.Format.Format_RGB32))
    mime.setUrls([QUrl("https://shop.example/dress.jpg")])  # the browser's URL is ignored when data is there
    drop_and_wait(qtbot, window, mime)
    assert window.query is not None and window.query.images[0].data


def test_several_files_make_one_combined_query(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop_and_wait(qtbot, window, file_mime(catalog / "item0.jpg", catalog / "bags" / "item3.jpg"))
    assert window.query is not None and len(window.query.images) == 2
    assert not set(results_shown(window)) & {"item0.jpg", "item3.jpg"}


def test_non_images_and_remote_urls_change_nothing(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    (catalog / "notes.txt").write_text("hello")
    drop(qtbot, window.query_area, file_mime(catalog / "notes.txt"))
    assert "Not an image: notes.txt" in window.message.text()
    remote = QMimeData()
    remote.setUrls([QUrl("https://shop.example/look.jpg")])
    drop(qtbot, window.query_area, remote)
    assert window.message.text() == REMOTE_MESSAGE
    text = QMimeData()
    text.setText("just words")
    drop(qtbot, window.query_area, text)
    assert window.query is None and window.results.rowCount() == 0


def test_paste_image_data_and_copied_files(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    QGuiApplication.clipboard().setImage(QImage(str(catalog / "item2.jpg")))
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert window.query is not None and window.query.origin == "paste" and window.results.rowCount() == 5
    copied = file_mime(catalog / "item4.jpg")  # a file copied in the file manager
    QGuiApplication.clipboard().setMimeData(copied)
    try:
        with qtbot.waitSignal(window.results.modelReset, timeout=20000):
            qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
        assert window.query.images[0].path == catalog / "item4.jpg"
        assert "item4.jpg" not in results_shown(window)
    finally:
        QGuiApplication.clipboard().clear()  # the clipboard owns `copied`; it must not outlive the test


def test_more_like_this_and_dragging_a_result_back(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop_and_wait(qtbot, window, file_mime(catalog / "item0.jpg"))
    first = window.results.index(0)
    item_id = first.data(ItemIdRole)
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        window.view.doubleClicked.emit(first)
    assert window.query is not None and window.query.origin == "more-like-this"
    assert window.results.rowCount() == 5 and item_id not in window.results.item_ids()
    dragged = window.results.mimeData([window.results.index(1)])
    assert dragged.urls()[0].isLocalFile()
    drop_and_wait(qtbot, window, dragged)
    assert window.query.origin == "drop" and window.query.images[0].path == Path(dragged.urls()[0].toLocalFile())


def test_region_of_the_query_image(qtbot: QtBot, window: MainWindow, catalog: Path, app_paths: AppPaths) -> None:
    drop_and_wait(qtbot, window, file_mime(catalog / "item6.jpg"))
    image = image_rect(window.query_area)
    start = image.topLeft() + QPoint(image.width() // 4, image.height() // 4)
    end = image.topLeft() + QPoint(3 * image.width() // 4, 3 * image.height() // 4)
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        qtbot.mousePress(window.query_area, Qt.MouseButton.LeftButton, pos=start)
        qtbot.mouseMove(window.query_area, end)
        qtbot.mouseRelease(window.query_area, Qt.MouseButton.LeftButton, pos=end)
    assert window.query is not None and window.query.region is not None
    region = window.query.region
    assert region.left == pytest.approx(0.25, abs=0.03) and region.width == pytest.approx(0.5, abs=0.03)
    assert region.top == pytest.approx(0.25, abs=0.03) and region.height == pytest.approx(0.5, abs=0.03)
    qtbot.waitUntil(lambda: "drop+region: 1 images, 5 results" in log_text(app_paths), timeout=5000)


def test_captions_fill_in(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop_and_wait(qtbot, window, file_mime(catalog / "item0.jpg"))
    qtbot.waitUntil(lambda: all(window.results.index(r).data(CaptionRole) for r in range(5)), timeout=30000)


def test_filter_text_and_count_narrow_the_results(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    """A folder of items with styles.csv rows: the colour filter, the text box and the count each change what
    is shown, and only to items that match."""
    rows = [
        f"item{i},Women,Apparel,Topwear,Tops,{'Red' if i % 3 == 0 else 'Blue'},Summer,2012,Casual,Look {i}"
        for i in range(CATALOG_SIZE)
    ]
    header = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"
    (catalog / "styles.csv").write_text("\n".join([header, *rows]) + "\n")
    window.reindex()  # imports styles.csv; the filter menus are refreshed when indexing ends
    qtbot.waitUntil(lambda: window.filters["base_colour"].findData("Red") >= 0, timeout=60000)
    drop_and_wait(qtbot, window, file_mime(catalog / "item2.jpg"))
    red = {"item0.jpg", "item3.jpg", "item6.jpg", "item9.jpg"}
    assert not set(results_shown(window)) <= red
    combo = window.filters["base_colour"]
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        combo.setCurrentIndex(combo.findData("Red"))
    assert set(results_shown(window)) == red
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        window.text_box.setText("look 6")
    assert results_shown(window) == ["item6.jpg"]
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        window.text_box.clear()
    with qtbot.waitSignal(window.results.modelReset, timeout=20000):
        window.k_box.setValue(2)
    assert window.results.rowCount() == 2


def test_settings_persist(qtbot: QtBot, window: MainWindow, catalog: Path, app_paths: AppPaths) -> None:
    window.k_box.setValue(7)
    window.close()
    saved = json.loads(app_paths.settings_file.read_text())
    assert saved["results_count"] == 7 and saved["catalog"] == str(catalog) and saved["window_geometry"]
    assert Settings.load(app_paths.settings_file).results_count == 7


def test_banner_and_model_info_say_the_models_are_stand_ins(
    qtbot: QtBot, window: MainWindow, tiny_models: Path
) -> None:
    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert "meaningless" in window.banner.text()
    window.show_models()  # Help ▸ About the models
    boxes = [box for box in window.findChildren(QMessageBox) if box.windowTitle() == "Models"]
    assert len(boxes) == 1 and boxes[0].isVisible()
    text = boxes[0].text()
    for model in ("resnet50", "blip"):
        assert f"{model}: random-weights:tiny" in text and str(tiny_models / model) in text
    assert text.count("RANDOM WEIGHTS") == 2 and text.count("int8 not used") == 2
    boxes[0].close()


def test_missing_models_dialog(qtbot: QtBot, data_dir: Path, tmp_path: Path, catalog: Path) -> None:
    paths = AppPaths(data_dir, (tmp_path / "no-models",), catalog)
    window = MainWindow(Settings(), paths, catalog)
    qtbot.addWidget(window)
    workers = WorkerThreads(paths, None)
    window.attach_workers(workers)
    qtbot.waitUntil(lambda: window.missing_models_dialog is not None, timeout=10000)
    assert window.missing_models_dialog is not None
    text = window.missing_models_dialog.text()
    assert "No exported 'resnet50' model found" in text and "export_models.py" in text
    window.missing_models_dialog.close()
    window.close()
    assert not workers.search.thread.isRunning()


def test_results_model_passes_qtmodeltester(
    qtmodeltester: ModelTester, qtbot: QtBot, app_paths: AppPaths, catalog: Path
) -> None:
    store = Catalog.open(catalog, app_paths)
    store.index()
    model = ResultsModel()
    model.set_results(store.search_images([catalog / "item0.jpg"], k=5))
    qtmodeltester.check(model)
    model.set_caption(model.item_ids()[0], "a red bag")
    assert model.index(0).data(CaptionRole) == "a red bag"
    store.close()


def test_decode_mime_refuses_a_web_address_alone() -> None:
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/a.jpg")])
    assert decode_mime(mime).problem == REMOTE_MESSAGE


def test_first_launch_welcome_then_sample_and_later_launch_reopens(qtbot: QtBot, app_paths: AppPaths) -> None:
    window = MainWindow(Settings(), app_paths, None)
    qtbot.addWidget(window)
    window.show()
    window.attach_workers(WorkerThreads(app_paths, None))
    assert window.pages.currentWidget() is window.welcome
    window.welcome.useSample.emit()
    qtbot.waitUntil(lambda: window.progress_label.text().startswith("Up to date"), timeout=60000)
    assert window.catalog == str(app_paths.sample_catalog)
    window.close()
    later = MainWindow(Settings.load(app_paths.settings_file), app_paths, None)  # the next launch
    qtbot.addWidget(later)
    later.attach_workers(WorkerThreads(app_paths, None))
    assert later.pages.currentWidget() is not later.welcome and later.catalog == str(app_paths.sample_catalog)
    qtbot.waitUntil(lambda: later.progress_label.text().startswith("Up to date"), timeout=60000)
    assert "0 new" in later.progress_label.text()
    later.close()
