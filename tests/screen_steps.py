"""The real-window scripts' one way to open the window on the sample catalog, and to go from step to step: wait (on
the event loop) until a condition holds, then run the next step; past the deadline, record why in the state and
close the window."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

from fashion_desktop import logs
from fashion_desktop.app.environment import app_paths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.workers.engine import WorkerThreads

Wait = Callable[..., None]


def sample_window() -> tuple[QApplication, MainWindow]:
    """The window on the sample catalog at the top left, 1280×860, its workers started; the calling test sets the
    data directory and the models in the environment."""
    paths = app_paths()
    logs.setup(paths.log_file)
    app = QApplication(sys.argv[:1])
    window = MainWindow(Settings(results_count=12), paths, paths.sample_catalog)
    window.move(0, 0)
    window.resize(1280, 860)
    window.show()
    window.attach_workers(WorkerThreads(paths, None))
    return app, window


def stepper(
    app: QApplication, window: QWidget, state: dict[str, object], why: Callable[[], str], seconds: float = 180
) -> Wait:
    """`wait(condition, then, settle=400)`: runs `then` `settle` ms after `condition()` is first true."""
    deadline = time.monotonic() + seconds

    def wait(condition: Callable[[], bool], then: Callable[[], None], settle: int = 400) -> None:
        if condition():
            QTimer.singleShot(settle, then)
        elif time.monotonic() > deadline:
            state["error"] = f"timed out before {then.__name__}{why()}"
            window.close()
            app.quit()
        else:
            QTimer.singleShot(100, lambda: wait(condition, then, settle))

    return wait
