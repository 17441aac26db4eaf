"""A worker object living on its own QThread, and the one way any of its work is cancelled or paused.

Every request carries an id, increasing over the app's life. `RequestGate.cancel(upto)` cancels every request
with an id up to `upto` (a newer search makes the older ones moot; closing the window cancels everything);
`pause()` holds long jobs between steps until `resume()`. Both are thread-safe and are meant to be connected to
the window's signals with a direct connection: a worker busy with a long job has no free event loop to receive
a queued signal, and a pause pressed before a job starts holds that job too (the state is the worker's, not the
job's).
"""

from __future__ import annotations

import logging
import threading
from typing import Generic, TypeVar

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from fashion_desktop.priority import lower_this_thread_priority

log = logging.getLogger("fashion_desktop.workers")


class RequestGate:
    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._cancelled_upto = 0
        self._paused = False

    def cancel(self, upto: int) -> None:
        with self._condition:
            self._cancelled_upto = max(self._cancelled_upto, upto)
            self._condition.notify_all()

    def is_cancelled(self, request_id: int) -> bool:
        with self._condition:
            return request_id <= self._cancelled_upto

    def pause(self) -> None:
        with self._condition:
            self._paused = True

    def resume(self) -> None:
        with self._condition:
            self._paused = False
            self._condition.notify_all()

    @property
    def paused(self) -> bool:
        with self._condition:
            return self._paused

    def wait_while_paused(self, request_id: int) -> None:
        """Blocks the worker while paused; returns at once on resume or when the request is cancelled."""
        with self._condition:
            while self._paused and request_id > self._cancelled_upto:
                self._condition.wait()


class Worker(QObject):
    """Slots run on the worker's thread (reach them through queued signals); the GUI thread never waits."""

    failed = Signal(int, str)  # request id, a message for the stylist
    modelProblem = Signal(str)  # a model file missing or corrupt: the window shows a dialog, not a status line

    def __init__(self) -> None:
        super().__init__()
        self.gate = RequestGate()

    # Thread-safe: connect the window's signals to these with Qt.DirectConnection.
    def cancel(self, upto: int) -> None:
        self.gate.cancel(upto)

    def pause(self) -> None:
        self.gate.pause()

    def resume(self) -> None:
        self.gate.resume()

    def thread_finishing(self) -> None:
        """Runs on the worker's thread as it ends (its timers must be stopped there, not from the GUI thread)."""

    @Slot()
    def lower_priority(self) -> None:
        """Runs first on the worker's thread: a busy worker must not take the CPU from the window (nor the ONNX
        runtime's threads it starts)."""
        lower_this_thread_priority()


AnyWorker = TypeVar("AnyWorker", bound=Worker)

CANCEL_ALL = 2**62  # a request id above every real one


class WorkerThread(Generic[AnyWorker]):
    """Owns a QThread running one worker; `stop()` cancels its work, quits and joins it (a running QThread
    destroyed aborts the process)."""

    def __init__(self, worker: AnyWorker, name: str):
        self.worker = worker
        self.thread = QThread()
        self.thread.setObjectName(name)
        worker.moveToThread(self.thread)
        self.thread.started.connect(worker.lower_priority)
        self.thread.finished.connect(worker.thread_finishing, Qt.ConnectionType.DirectConnection)
        self.thread.start()

    def stop(self, timeout_ms: int = 30000) -> None:
        self.worker.cancel(CANCEL_ALL)
        self.worker.resume()
        self.thread.quit()
        if not self.thread.wait(timeout_ms):
            log.error("worker thread %s did not stop in time", self.thread.objectName())
