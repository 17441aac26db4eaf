"""The real-window scripts' one way to go from step to step: wait (on the event loop) until a condition holds, then
run the next step; past the deadline, record why in the state and close the window."""

from __future__ import annotations

import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

Wait = Callable[..., None]


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
