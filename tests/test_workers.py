"""Workers on their own threads: typed answers carrying the request id, failures as messages, one cancellation
gate (cancel, pause, resume as direct signals), one ResNet session shared by the search and indexing workers."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, Signal, SignalInstance, Slot
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.query import Query, QueryImage
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import AppPaths
from fashion_desktop.workers.base import RequestGate
from fashion_desktop.workers.engine import WorkerThreads
from fashion_desktop.workers.messages import BrowseAnswer, IndexingDone, IndexingProgress, SearchAnswer
from tests.images import gradient


class Relay(QObject):
    """Receives a worker's signal on the GUI thread (pytest-qt's waitSignal must not be fired from another);
    `got` carries the signal's one argument, or a tuple of its arguments."""

    got = Signal(object)

    @Slot(object)
    def receive(self, value: object) -> None:
        self.got.emit(value)

    @Slot(object, object)
    def receive_two(self, first: object, second: object) -> None:
        self.got.emit((first, second))


class Sender(QObject):
    ask = Signal(object)


class Requests(QObject):
    """Stands in for the presenter: requests as queued signals, control as direct ones."""

    index = Signal(int, str)
    open = Signal(int, str)
    ask = Signal(int, Query)
    cancel = Signal(int)
    pause = Signal()
    resume = Signal()


def relay(signal: SignalInstance, arguments: int = 1) -> Relay:
    receiver = Relay()
    signal.connect(receiver.receive if arguments == 1 else receiver.receive_two)
    return receiver


def make_catalog(root: Path, count: int) -> Path:
    root.mkdir()
    for index in range(count):
        gradient(120, 150, seed=index).save(root / f"p{index}.png")
    return root


def test_gate_cancels_up_to_an_id_and_releases_a_pause() -> None:
    gate = RequestGate()
    gate.pause()
    released = threading.Event()

    def job() -> None:
        gate.wait_while_paused(5)
        released.set()

    thread = threading.Thread(target=job)
    thread.start()
    assert not released.wait(0.2), "paused: the job waits"
    gate.cancel(4)
    assert not released.wait(0.2) and gate.is_cancelled(4) and not gate.is_cancelled(5)
    gate.cancel(5)
    thread.join(5)
    assert released.is_set() and gate.paused, "a cancel releases the job but the pause stays for the next one"


def test_index_worker_pause_before_start_then_cancel(qtbot: QtBot, app_paths: AppPaths, tmp_path: Path) -> None:
    """Pause sent before the run starts holds the run (it used to be lost); cancel ends it; the answer says how
    many of how many were read and carries the request id."""
    catalog = make_catalog(tmp_path / "catalog", 70)
    workers = WorkerThreads(app_paths, None)
    worker = workers.index.worker
    requests = Requests()
    requests.index.connect(worker.index)
    requests.cancel.connect(worker.cancel, Qt.ConnectionType.DirectConnection)
    requests.pause.connect(worker.pause, Qt.ConnectionType.DirectConnection)
    requests.resume.connect(worker.resume, Qt.ConnectionType.DirectConnection)
    progress: list[IndexingProgress] = []
    worker.progressed.connect(progress.append, Qt.ConnectionType.DirectConnection)
    finished = relay(worker.finished)
    try:
        requests.pause.emit()
        with qtbot.waitSignal(finished.got, timeout=60000) as outcome:
            requests.index.emit(7, str(catalog))
            qtbot.wait(500)
            assert progress == [], "held before the first batch"
            requests.cancel.emit(7)
        done = outcome.args[0]
        assert isinstance(done, IndexingDone) and done.request_id == 7 and done.cancelled and done.indexed == 0
        requests.resume.emit()
        with qtbot.waitSignal(finished.got, timeout=60000) as outcome:
            requests.index.emit(8, str(catalog))
        done = outcome.args[0]
        assert done.request_id == 8 and not done.cancelled and done.indexed == done.to_index == 70
        assert progress and all(p.request_id == 8 for p in progress) and progress[-1].done == 70
    finally:
        workers.stop()
    assert not any(t.thread.isRunning() for t in workers.all())


def test_search_worker_answers_typed_and_failures_become_messages(
    qtbot: QtBot, app_paths: AppPaths, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    created = ImageEmbedder.__init__
    sessions = 0

    def counted(self: ImageEmbedder, *args: Any, **kwargs: Any) -> None:
        nonlocal sessions
        sessions += 1
        created(self, *args, **kwargs)

    monkeypatch.setattr(ImageEmbedder, "__init__", counted)
    workers = WorkerThreads(app_paths, None)
    search = workers.search.worker
    requests = Requests()
    requests.open.connect(search.open_catalog)
    requests.ask.connect(search.ask)
    requests.index.connect(workers.index.worker.index)
    requests.cancel.connect(search.cancel, Qt.ConnectionType.DirectConnection)
    failures, browsed, searched = relay(search.failed, 2), relay(search.browsed), relay(search.searched)
    finished = relay(workers.index.worker.finished)
    try:
        with qtbot.waitSignal(failures.got, timeout=10000):
            requests.open.emit(1, str(tmp_path / "missing"))
        catalog = make_catalog(tmp_path / "catalog", 4)
        with qtbot.waitSignal(finished.got, timeout=60000):
            requests.index.emit(2, str(catalog))
        requests.open.emit(3, str(catalog))
        with qtbot.waitSignal(browsed.got, timeout=10000) as answer:
            requests.ask.emit(4, Query(origin="browse"))
        view = answer.args[0]
        assert isinstance(view, BrowseAnswer) and view.request_id == 4 and len(view.view.item_ids) == 4
        assert len(view.first_page) == 4
        requests.cancel.emit(5)  # cancelled before it is asked: never answered
        with qtbot.waitSignal(searched.got, timeout=10000) as answer:
            requests.ask.emit(5, Query(images=(QueryImage(path=catalog / "p0.png"),), k=2))
            requests.ask.emit(6, Query(images=(QueryImage(path=catalog / "p1.png"),), k=2))
        found = answer.args[0]
        assert isinstance(found, SearchAnswer) and found.request_id == 6 and len(found.results) == 2
        broken = tmp_path / "broken.jpg"
        broken.write_bytes(b"\xff\xd8 nope")
        with qtbot.waitSignal(failures.got, timeout=10000) as failure:
            requests.ask.emit(7, Query(images=(QueryImage(path=broken),)))
        request_id, message = failure.args[0]
        assert request_id == 7 and message.startswith("Search failed")
        assert sessions == 1, "indexing and searching share one ResNet session"
    finally:
        workers.stop()
