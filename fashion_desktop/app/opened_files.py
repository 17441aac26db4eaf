"""Files opened from outside the window, whichever way they come: this launch's arguments, a later launch's (over
the single-instance socket) and macOS's file-open events. They are gathered for a moment and handed to the window
as one request once it can search: Windows' Explorer starts one process per selected file and Finder sends one
event per file, yet the stylist opened them together."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtGui import QFileOpenEvent

from fashion_desktop.ui.open_request import OpenRequest, read_paths

log = logging.getLogger("fashion_desktop.app")

GATHER_MS = 400  # files arriving within this of one another are one request


class OpenedFiles(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pending: OpenRequest | None = None
        self._target: Callable[[OpenRequest], None] | None = None
        self._timer = QTimer(self, singleShot=True, interval=GATHER_MS)
        self._timer.timeout.connect(self._deliver)

    def add(self, request: OpenRequest) -> None:
        self._pending = request if self._pending is None else self._pending.merged(request)
        if self._target is not None:
            self._timer.start()  # restarted by each arrival: a burst is delivered once it is over

    def add_paths(self, paths: list[Path]) -> None:
        """Paths from another process: what they are is read here, never taken from the sender."""
        self.add(read_paths(paths))

    def deliver_to(self, target: Callable[[OpenRequest], None]) -> None:
        """From now on requests go to `target` (the window, once its workers are attached)."""
        self._target = target
        if self._pending is not None:
            self._timer.start()

    def _deliver(self) -> None:
        if self._pending is not None and self._target is not None:
            request, self._pending = self._pending, None
            log.info(
                "opening from outside: %d image(s), %d folder(s), %d problem(s)",
                len(request.images),
                len(request.folders),
                len(request.problems),
            )
            self._target(request)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Installed on the application on macOS, where Finder's "Open With" and a drop on the Dock icon arrive
        as file-open events (one per file), also at launch."""
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            self.add(read_paths([Path(event.file() or event.url().toString())]))
            return True
        return False
