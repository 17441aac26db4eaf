"""A worker object living on its own QThread, with the signals every worker shares."""

from __future__ import annotations

import logging
import threading
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, QThread, Signal

log = logging.getLogger("fashion_desktop.workers")


class Worker(QObject):
    """Slots run on the worker's thread (call them through queued signals); the GUI thread never waits."""

    progress = Signal(int, int)
    result = Signal(object)
    failed = Signal(str)
    modelProblem = Signal(str)  # a model file missing or corrupt: the window shows a dialog, not a status line

    def __init__(self) -> None:
        super().__init__()
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Thread-safe: checked between batches."""
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()


AnyWorker = TypeVar("AnyWorker", bound=Worker)


class WorkerThread(Generic[AnyWorker]):
    """Owns a QThread running one worker; `stop()` quits and joins it (a running QThread destroyed aborts)."""

    def __init__(self, worker: AnyWorker, name: str):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.start()

    def stop(self, timeout_ms: int = 30000) -> None:
        self.worker.cancel()
        self.thread.quit()
        if not self.thread.wait(timeout_ms):
            log.error("worker thread %s did not stop in time", self.thread.objectName())
