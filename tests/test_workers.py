"""Workers on their own threads: signals, failures as messages, cancellation between batches."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Q_ARG, QMetaObject, QObject, Qt, Signal, SignalInstance, Slot
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.query import Query, QueryImage
from fashion_desktop.paths import AppPaths
from fashion_desktop.workers.base import WorkerThread
from fashion_desktop.workers.engine import IndexWorker, SearchWorker
from tests.images import gradient


class Relay(QObject):
    """Receives a worker's signal on the GUI thread (pytest-qt's waitSignal must not be fired from another)."""

    got = Signal(object)

    @Slot(object)
    def receive(self, value: object) -> None:
        self.got.emit(value)


class Sender(QObject):
    ask = Signal(object)


def relay(signal: SignalInstance) -> Relay:
    receiver = Relay()
    signal.connect(receiver.receive)
    return receiver


def make_catalog(root: Path, count: int) -> Path:
    root.mkdir()
    for index in range(count):
        gradient(120, 150, seed=index).save(root / f"p{index}.png")
    return root


def test_index_worker_reports_progress_and_can_be_cancelled(qtbot: QtBot, app_paths: AppPaths, tmp_path: Path) -> None:
    catalog = make_catalog(tmp_path / "catalog", 70)
    running = WorkerThread(IndexWorker(app_paths), "indexing")
    worker = running.worker
    seen: list[tuple[int, int]] = []

    def cancel_after_first_batch(done: int, total: int) -> None:  # runs on the worker thread (direct connection)
        seen.append((done, total))
        worker.control.cancel()

    worker.progress.connect(cancel_after_first_batch, Qt.ConnectionType.DirectConnection)
    results = relay(worker.result)
    try:
        with qtbot.waitSignal(results.got, timeout=60000) as outcome:  # the slot runs on the worker thread
            QMetaObject.invokeMethod(worker, "index", Qt.ConnectionType.QueuedConnection, Q_ARG(str, str(catalog)))
        report = outcome.args[0]
        assert report.cancelled and seen[0] == (32, 70) and len(seen) == 1
    finally:
        running.stop()
    assert not running.thread.isRunning()


def test_search_worker_failures_become_messages(qtbot: QtBot, app_paths: AppPaths, tmp_path: Path) -> None:
    running = WorkerThread(SearchWorker(app_paths), "search")
    worker = running.worker
    failures, opened = relay(worker.failed), relay(worker.catalogOpened)
    try:
        with qtbot.waitSignal(failures.got, timeout=10000) as failure:
            QMetaObject.invokeMethod(
                worker, "open_catalog", Qt.ConnectionType.QueuedConnection, Q_ARG(str, str(tmp_path / "missing"))
            )
        assert "catalog folder not found" in failure.args[0]
        catalog = make_catalog(tmp_path / "catalog", 3)
        with qtbot.waitSignal(opened.got, timeout=10000):
            QMetaObject.invokeMethod(
                worker, "open_catalog", Qt.ConnectionType.QueuedConnection, Q_ARG(str, str(catalog))
            )
        broken = tmp_path / "broken.jpg"
        broken.write_bytes(b"\xff\xd8 nope")
        sender = Sender()
        sender.ask.connect(worker.search)  # queued: the worker lives on its own thread
        with qtbot.waitSignal(failures.got, timeout=10000) as failure:
            sender.ask.emit(Query(images=(QueryImage(path=broken),)))
        assert failure.args[0].startswith("Search failed")
    finally:
        running.stop()
