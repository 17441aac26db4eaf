"""Starting the window: Qt first and fast, the heavy imports and model sessions after it is on screen."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from fashion_desktop.paths import AppPaths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.open_request import OpenRequest

if TYPE_CHECKING:
    from fashion_desktop.app.single_instance import SingleInstance

log = logging.getLogger("fashion_desktop.app")


def run_window(
    paths: AppPaths,
    request: OpenRequest | None = None,
    instance: SingleInstance | None = None,
    argv: list[str] | None = None,
) -> int:
    """Show the window at once; the worker threads (models, catalog) start on the next event-loop turn. `request`
    (this launch's files) and whatever later launches (`instance`) or macOS's file-open events bring are handed to
    the window once it can search."""
    started = time.perf_counter()
    app = QApplication.instance() or QApplication(argv or sys.argv[:1])
    app.setApplicationName("Fashion Desktop")
    app.setOrganizationName("Fashion Desktop")
    from fashion_desktop.app.opened_files import OpenedFiles
    from fashion_desktop.memory import freeze_startup_objects
    from fashion_desktop.ui.collector import GuiThreadCollector
    from fashion_desktop.ui.main_window import MainWindow
    from fashion_desktop.workers.engine import WorkerThreads

    collector = GuiThreadCollector(app)
    collector.start()  # before any other thread runs Python (the window's thumbnail threads, the workers)
    opened = OpenedFiles(app)
    if sys.platform == "darwin":
        app.installEventFilter(opened)  # Finder's "Open With": file-open events, also the ones that launched it
    if instance is not None:
        instance.received.connect(opened.add_paths)
        instance.listen()
    if request is not None and request != OpenRequest():  # a plain launch brings nothing to open
        opened.add(request)
    settings, notices = Settings.load_checked(paths.settings_file)
    window = MainWindow(settings, paths, request.folder if request is not None else None)
    window.show()
    for notice in notices:  # a damaged settings file never blocks a launch; the stylist is told once
        print(f"fashion-desktop: {notice}", file=sys.stderr)
        window.message.show_message(notice, "error")
    log.info("window shown %.3f s after start", time.perf_counter() - started)
    running: list[WorkerThreads] = []

    def start_workers() -> None:
        running.append(WorkerThreads(paths, settings.threads, settings.caption_idle_minutes * 60))
        window.attach_workers(running[0])
        opened.deliver_to(window.open_files)
        freeze_startup_objects()

    QTimer.singleShot(0, start_workers)
    code = int(app.exec())
    for workers in running:  # however the event loop ended, no worker thread is left running
        workers.stop()
    collector.stop()
    collector.deleteLater()
    if instance is not None:
        instance.received.disconnect(opened.add_paths)
    app.removeEventFilter(opened)
    opened.deleteLater()
    return code


def check_window(paths: AppPaths, catalog: Path) -> None:
    """Build and show the window offscreen (the self-test): a bundle missing a Qt plugin fails here, not at a
    stylist's desk."""
    from fashion_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["fashion-desktop"])
    window = MainWindow(Settings(), paths, catalog)
    window.show()
    app.processEvents()
    window.close()
    app.processEvents()
