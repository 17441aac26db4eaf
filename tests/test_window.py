"""The window, offscreen, with the tiny models and a small catalog: asking, answers, workers, settings."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication, QImage
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fashion_desktop import paths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.app import Engine
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.ui.mime import REMOTE_MESSAGE, decode_mime
from fashion_desktop.ui.results_model import CaptionRole, ItemIdRole, ResultsModel
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
def window(qtbot: QtBot, models_env: Path, catalog: Path) -> Iterator[MainWindow]:
    from fashion_desktop import logs

    logs.setup()
    threads_before = python_threads()
    settings = Settings(results_count=5)
    window = MainWindow(settings, catalog)
    qtbot.addWidget(window)
    window.show()
    window.attach_engine(Engine(None))
    qtbot.waitUntil(lambda: window.progress_label.text().startswith("Up to date"), timeout=60000)
    yield window
    engine = window.engine
    window.close()
    for worker_thread in (engine.search, engine.captions, engine.index):
        assert not worker_thread.thread.isRunning(), "worker threads must be joined on close"
    assert python_threads() <= threads_before, "no Python threads left behind"


def python_threads() -> set[str]:
    """Threads started by Python (QThreads show up as dummy entries that are never removed)."""
    return {t.name for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def drop(qtbot: QtBot, target: object, mime: QMimeData) -> None:
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


def wait_for_results(qtbot: QtBot, window: MainWindow, count: int = 5) -> None:
    """Until the results on screen answer the latest query."""
    qtbot.waitUntil(lambda: window.query is not None and window.answered == window.query, timeout=20000)
    assert window.results.rowCount() == count


def log_text() -> str:
    return (paths.log_dir() / "fashion-desktop.log").read_text(encoding="utf-8")


def test_drop_a_catalog_file_excludes_itself(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    query = catalog / "bags" / "item1.jpg"
    drop(qtbot, window.query_area, file_mime(query))
    wait_for_results(qtbot, window)
    shown = [window.results.result_at(r).path for r in range(window.results.rowCount())]
    assert query not in shown
    assert window.query is not None and window.query.origin == "drop"
    qtbot.waitUntil(lambda: "query from drop: 1 images, 5 results" in log_text(), timeout=5000)


def test_drop_image_data_from_a_browser(qtbot: QtBot, window: MainWindow) -> None:
    mime = QMimeData()
    mime.setImageData(QImage(120, 90, QImage.Format.Format_RGB32))
    mime.setUrls([QUrl("https://shop.example/dress.jpg")])  # the browser's URL is ignored when data is there
    drop(qtbot, window.query_area, mime)
    wait_for_results(qtbot, window)
    assert window.query is not None and window.query.images[0].data


def test_several_files_make_one_combined_query(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop(qtbot, window.query_area, file_mime(catalog / "item0.jpg", catalog / "bags" / "item3.jpg"))
    wait_for_results(qtbot, window)
    assert window.query is not None and len(window.query.images) == 2
    shown = {window.results.result_at(r).path.name for r in range(5)}
    assert not shown & {"item0.jpg", "item3.jpg"}


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
    qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    wait_for_results(qtbot, window)
    assert window.query is not None and window.query.origin == "paste"
    copied = file_mime(catalog / "item4.jpg")  # a file copied in the file manager
    QGuiApplication.clipboard().setMimeData(copied)
    try:
        window.paste()
        qtbot.waitUntil(lambda: window.query is not None and window.query.images[0].path == catalog / "item4.jpg")
    finally:
        QGuiApplication.clipboard().clear()  # the clipboard owns `copied`; it must not outlive the test


def test_more_like_this_and_dragging_a_result_back(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop(qtbot, window.query_area, file_mime(catalog / "item0.jpg"))
    wait_for_results(qtbot, window)
    first = window.results.index(0)
    item_id = first.data(ItemIdRole)
    window.view.doubleClicked.emit(first)
    qtbot.waitUntil(lambda: window.query is not None and window.query.origin == "more-like-this")
    wait_for_results(qtbot, window)
    assert item_id not in window.results.item_ids()
    dragged = window.results.mimeData([window.results.index(1)])
    assert dragged.urls()[0].isLocalFile()
    drop(qtbot, window.query_area, dragged)
    qtbot.waitUntil(lambda: window.query is not None and window.query.origin == "drop")


def test_region_of_the_query_image(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop(qtbot, window.query_area, file_mime(catalog / "item6.jpg"))
    wait_for_results(qtbot, window)
    qtbot.waitUntil(lambda: window.query_area.image_rect() is not None)
    image = window.query_area.image_rect()
    assert image is not None
    start = image.topLeft() + QPoint(image.width() // 4, image.height() // 4)
    end = image.topLeft() + QPoint(3 * image.width() // 4, 3 * image.height() // 4)
    qtbot.mousePress(window.query_area, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(window.query_area, end)
    qtbot.mouseRelease(window.query_area, Qt.MouseButton.LeftButton, pos=end)
    qtbot.waitUntil(lambda: window.query is not None and window.query.region is not None)
    region = window.query.region
    assert region is not None
    assert region.left == pytest.approx(0.25, abs=0.03) and region.width == pytest.approx(0.5, abs=0.03)
    wait_for_results(qtbot, window)
    qtbot.waitUntil(lambda: "drop+region: 1 images" in log_text(), timeout=5000)


def test_captions_fill_in_and_filters_and_text(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    drop(qtbot, window.query_area, file_mime(catalog / "item0.jpg"))
    wait_for_results(qtbot, window)
    qtbot.waitUntil(lambda: all(window.results.index(r).data(CaptionRole) for r in range(5)), timeout=30000)
    caption = window.results.index(0).data(CaptionRole)
    window.text_box.setText(caption.split()[0])
    qtbot.waitUntil(lambda: window.query is not None and window.query.text == caption.split()[0], timeout=5000)
    qtbot.waitUntil(lambda: window.results.rowCount() >= 1, timeout=10000)
    window.k_box.setValue(3)
    qtbot.waitUntil(lambda: window.query is not None and window.query.k == 3, timeout=5000)


def test_settings_persist(qtbot: QtBot, window: MainWindow, catalog: Path) -> None:
    window.k_box.setValue(7)
    window.close()
    saved = json.loads((paths.data_dir() / "settings.json").read_text())
    assert saved["results_count"] == 7 and saved["catalog"] == str(catalog) and saved["window_geometry"]
    assert Settings.load().results_count == 7


def test_banner_and_model_info(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.waitUntil(lambda: window.banner.isVisible())
    assert "meaningless" in window.banner.text()


def test_missing_models_dialog(qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, catalog: Path) -> None:
    monkeypatch.setenv("FASHION_DESKTOP_MODELS", str(tmp_path / "no-models"))
    monkeypatch.setattr("fashion_desktop.paths.repo_models_dir", lambda: tmp_path / "none")
    window = MainWindow(Settings(), catalog)
    qtbot.addWidget(window)
    window.attach_engine(Engine(None))
    qtbot.waitUntil(lambda: hasattr(window, "missing_models_dialog"), timeout=10000)
    text = window.missing_models_dialog.text()
    assert "No exported 'resnet50' model found" in text and "export_models.py" in text
    window.missing_models_dialog.close()
    window.close()


def test_results_model_passes_qtmodeltester(qtmodeltester, qtbot: QtBot, models_env: Path, catalog: Path) -> None:  # type: ignore[no-untyped-def]
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.models.embedder import ImageEmbedder

    store = Catalog(catalog, ImageEmbedder())
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


def test_first_launch_welcome_then_sample_and_later_launch_reopens(qtbot: QtBot, models_env: Path) -> None:
    from fashion_desktop.sample import sample_catalog_dir

    window = MainWindow(Settings(), None)
    qtbot.addWidget(window)
    window.show()
    window.attach_engine(Engine(None))
    assert window.pages.currentWidget() is window.welcome
    window.welcome.useSample.emit()
    qtbot.waitUntil(lambda: window.progress_label.text().startswith("Up to date"), timeout=60000)
    assert window.catalog == str(sample_catalog_dir())
    window.close()
    later = MainWindow(Settings.load(), None)  # the next launch: settings remember the catalog
    qtbot.addWidget(later)
    later.attach_engine(Engine(None))
    assert later.pages.currentWidget() is not later.welcome and later.catalog == str(sample_catalog_dir())
    qtbot.waitUntil(lambda: later.progress_label.text().startswith("Up to date"), timeout=60000)
    assert "0 new" in later.progress_label.text()
    later.close()
