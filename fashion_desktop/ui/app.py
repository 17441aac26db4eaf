"""Starting the window: Qt first and fast, the heavy imports and model sessions after it is on screen."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fashion_desktop.settings import Settings
from fashion_desktop.workers.base import WorkerThread

if TYPE_CHECKING:
    from fashion_desktop.ui.main_window import MainWindow

log = logging.getLogger("fashion_desktop.ui")


class Engine:
    """The three worker threads: search, captions, indexing. Stopped and joined on close."""

    def __init__(self, threads: int | None) -> None:
        from fashion_desktop.workers.engine import CaptionWorker, IndexWorker, SearchWorker

        self.search = WorkerThread(SearchWorker(threads), "search")
        self.captions = WorkerThread(CaptionWorker(threads), "captions")
        self.index = WorkerThread(IndexWorker(threads), "indexing")

    def stop(self) -> None:
        """Cancel indexing and join every thread; safe to call more than once (close, then quit)."""
        self.index.worker.control.cancel()  # type: ignore[attr-defined]
        for worker_thread in (self.index, self.captions, self.search):
            if worker_thread.thread.isRunning():
                worker_thread.stop()


def run_window(
    catalog: Path | None = None, argv: list[str] | None = None, on_shown: Callable[[MainWindow], None] | None = None
) -> int:
    """Show the window at once; the engine (models, catalog) starts on the next event-loop turn."""
    started = time.perf_counter()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Fashion Desktop")
    app.setOrganizationName("Fashion Desktop")
    from fashion_desktop.ui.main_window import MainWindow

    settings = Settings.load()
    window = MainWindow(settings, catalog)
    window.show()
    log.info("window shown %.3f s after start", time.perf_counter() - started)
    if on_shown is not None:
        on_shown(window)

    engines: list[Engine] = []

    def start_engine() -> None:
        engines.append(Engine(settings.threads))
        window.attach_engine(engines[0])

    QTimer.singleShot(0, start_engine)
    code = int(app.exec())
    for engine in engines:  # however the event loop ended, no worker thread is left running
        engine.stop()
    return code
