"""The real-window scripts' one way to open the window on the sample catalog, and to go from step to step: wait (on
the event loop) until a condition holds, then run the next step; past the deadline, record why in the state and
close the window."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QPoint, QTimer
from PySide6.QtWidgets import QApplication, QWidget

from fashion_desktop import logs
from fashion_desktop.app.environment import app_paths
from fashion_desktop.settings import Settings
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.workers.engine import WorkerThreads

Wait = Callable[..., None]


def mouse_drag(start: QPoint, end: QPoint, steps: int = 8) -> None:
    """Press on `start`, move in steps to `end` and release (screen coordinates), with the real mouse (xdotool), as
    a hand would; run it on a thread while the window's event loop turns."""

    def xdotool(*args: object) -> None:
        subprocess.run(["xdotool", *map(str, args)], check=True)

    xdotool("mousemove", start.x(), start.y(), "sleep", 0.3, "mousedown", 1, "sleep", 0.3)
    for step in range(1, steps + 1):
        x, y = start.x() + (end.x() - start.x()) * step // steps, start.y() + (end.y() - start.y()) * step // steps
        xdotool("mousemove", x, y)
        time.sleep(0.15)
    xdotool("sleep", 0.5, "mouseup", 1)


def run_script(main: Callable[[Path], None]) -> None:
    """A real-window script's start: `main(OUT_FOLDER)` on X11, or one JSON line saying what is missing."""
    if not shutil.which("xdotool"):
        print(json.dumps({"error": "xdotool missing: scripts/system-deps.sh installs it"}))
        sys.exit(0)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    main(Path(sys.argv[1]))


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
