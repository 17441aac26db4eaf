"""Helpers for the window tests: a small catalog with metadata, drops as Qt delivers them, waiting for answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from fashion_desktop import logs
from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.workers.engine import WorkerThreads
from tests.images import gradient

CATALOG_SIZE = 10
HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"


def has_picture(window: MainWindow, row: int) -> bool:
    """The tile's thumbnail has arrived: an opaque picture, not the translucent placeholder frame."""
    image = window.results.index(row).data(Qt.ItemDataRole.DecorationRole).toImage()
    return not image.isNull() and image.pixelColor(image.width() // 2, image.height() // 2).alpha() == 255


def make_catalog(root: Path, styles: bool = True) -> Path:
    """Ten gradients, odd ones in bags/; with styles.csv: every third is Red (else Blue), named "Look N"."""
    (root / "bags").mkdir(parents=True)
    for index in range(CATALOG_SIZE):
        gradient(200 + 10 * index, 240, seed=index).save(root / ("bags" if index % 2 else "") / f"item{index}.jpg")
    if styles:
        rows = [
            f"item{i},Women,Apparel,Topwear,{'Formal Shoes' if i == 4 else 'Tops'},{'Red' if i % 3 == 0 else 'Blue'},"
            f"Summer,2012,Casual,Look {i}"
            for i in range(CATALOG_SIZE)
        ]
        (root / "styles.csv").write_text("\n".join([HEADER, *rows]) + "\n")
    return root


def dark_palette() -> QPalette:
    """A dark desktop theme's palette: light text on dark backgrounds, a blue selection."""
    dark = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, QColor(45, 45, 45)),
        (QPalette.ColorRole.WindowText, QColor(230, 230, 230)),
        (QPalette.ColorRole.Base, QColor(30, 30, 30)),
        (QPalette.ColorRole.Text, QColor(230, 230, 230)),
        (QPalette.ColorRole.Highlight, QColor(42, 130, 218)),
        (QPalette.ColorRole.HighlightedText, QColor(255, 255, 255)),
    ):
        dark.setColor(role, colour)
    return dark


def python_threads() -> set[str]:
    """Threads started by Python (QThreads show up as dummy entries that are never removed)."""
    return {t.name for t in threading.enumerate() if not isinstance(t, threading._DummyThread)}


def file_mime(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def drag(target: QWidget, mime: QMimeData, position: QPoint | None = None, drop: bool = True) -> bool:
    """DragEnter → DragMove (→ Drop) at `position` of `target` (default its middle), as a real drag delivers them
    (Qt passes them on to the nearest parent that accepts drops). Returns whether the drag was accepted."""
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

    point = position if position is not None else target.rect().center()
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(point, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted():
        return False
    move = QDragMoveEvent(point, actions, mime, buttons, modifiers)
    QApplication.sendEvent(target, move)
    if drop:
        QApplication.sendEvent(target, QDropEvent(QPointF(point), actions, mime, buttons, modifiers))
    return True


def wait_answer(qtbot: QtBot, window: MainWindow, timeout: int = 30000) -> None:
    with qtbot.waitSignal(window.presenter.answerShown, timeout=timeout):
        pass


def up_to_date(window: MainWindow) -> bool:
    return window.presenter.indexing.phase == "done" and not window.presenter.waiting


def shown_names(window: MainWindow) -> list[str]:
    names = []
    for row in range(window.results.rowCount()):
        result = window.results.result_at(row)
        names.append(result.path.name if result is not None else "?")
    return names


def open_window(qtbot: QtBot, paths: AppPaths, catalog: Path | None, settings: Settings | None = None) -> MainWindow:
    # Background captions are tested in test_caption_lifecycle; here they would only compete with what is tested.
    window = MainWindow(settings or Settings(results_count=12, background_captions=False), paths, catalog)
    qtbot.addWidget(window)
    window.show()
    window.attach_workers(WorkerThreads(paths, None))
    return window


@contextmanager
def running_window(qtbot: QtBot, paths: AppPaths, catalog: Path) -> Iterator[MainWindow]:
    """The window on `catalog`, indexed and showing it; on leaving, closed with every thread joined."""
    logs.setup(paths.log_file)
    threads_before = python_threads()
    window = open_window(qtbot, paths, catalog)
    qtbot.waitUntil(lambda: up_to_date(window) and window.results.rowCount() == CATALOG_SIZE, timeout=60000)
    yield window
    workers = window.workers
    window.close()
    assert workers is not None
    for worker_thread in workers.all():
        assert not worker_thread.thread.isRunning(), "worker threads must be joined on close"
    assert python_threads() <= threads_before, "no Python threads left behind"
