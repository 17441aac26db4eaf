"""Captions over the app's life (issue 12): the whole catalog captioned in the background after indexing, the
shown tiles first, pausable, resumed across launches from the store, off by a setting; BLIP released after its
idle time and loaded again for the next caption. Observed through the workers' signals, the store and the
window's status bar."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject, Qt, Signal
from pytestqt.qtbot import QtBot

from fashion_desktop import logs
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.store import CatalogStore
from fashion_desktop.models import captioner as captioner_module
from fashion_desktop.models.captioner import Captioner, CaptioningStopped
from fashion_desktop.paths import AppPaths
from fashion_desktop.priority import in_background
from fashion_desktop.settings import Settings
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.ui.presenter import CaptionsState
from fashion_desktop.ui.results_model import CaptionRole
from fashion_desktop.workers.base import CANCEL_ALL
from fashion_desktop.workers.engine import WorkerThreads
from fashion_desktop.workers.messages import CaptionCoverage, CaptionReady
from tests.conftest import OpenCatalog
from tests.images import gradient
from tests.test_workers import relay
from tests.window_support import CATALOG_SIZE, make_catalog, open_window, python_threads, up_to_date

DIRECT = Qt.ConnectionType.DirectConnection


class CaptionRequests(QObject):
    """Stands in for the presenter: requests as queued signals, cancel as a direct one."""

    open = Signal(int, str)
    caption = Signal(int, object)
    catalog = Signal(int)
    count = Signal(int)
    cancel = Signal(int)
    want = Signal(str, object)


class CaptionSession:
    """One launch's caption worker, with everything it sends recorded in order (on its own thread)."""

    def __init__(self, paths: AppPaths, folder: Path, idle_seconds: float = 300.0) -> None:
        self.workers = WorkerThreads(paths, None, caption_idle_seconds=idle_seconds)
        worker = self.workers.captions.worker
        self.requests = CaptionRequests()
        self.requests.open.connect(worker.open_catalog)
        self.requests.caption.connect(worker.caption)
        self.requests.catalog.connect(worker.caption_catalog)
        self.requests.count.connect(worker.count_captions)
        self.requests.cancel.connect(worker.cancel, DIRECT)
        self.requests.want.connect(worker.want, DIRECT)
        self.captions: list[CaptionReady] = []
        self.coverage: list[CaptionCoverage] = []
        self.loads: list[bool] = []
        worker.captioned.connect(self.captions.append, DIRECT)
        worker.covered.connect(self.coverage.append, DIRECT)
        worker.captionerLoaded.connect(self.loads.append, DIRECT)
        self.covered = relay(worker.covered)
        self.loaded = relay(worker.captionerLoaded)
        self.requests.open.emit(1, str(folder))

    def ids(self, request_id: int | None = None) -> list[int]:
        return [c.item_id for c in self.captions if request_id is None or c.request_id == request_id]

    def finished(self, request_id: int, total: int) -> bool:
        return any(c.request_id == request_id and c.captioned == c.total == total for c in self.coverage)

    def stop(self) -> None:
        self.workers.stop()
        assert not any(t.thread.isRunning() for t in self.workers.all())


class HeldEncoder:
    """BLIP's vision encoder held at its first run until released, so that a test acts while a batch is in
    progress; records how each batch ended."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.entered = threading.Event()
        self.released = threading.Event()
        self.outcomes: list[str] = []
        encode, generate_ids = captioner_module._encode, Captioner.generate_ids

        def held_encode(vision: Any, pixel_values: Any, stop: Any = None) -> Any:
            if not self.entered.is_set():
                self.entered.set()
                self.released.wait(30)
            return encode(vision, pixel_values, stop)

        def recorded_generate_ids(captioner: Captioner, *args: Any, **kwargs: Any) -> Any:
            try:
                ids = generate_ids(captioner, *args, **kwargs)
            except CaptioningStopped:
                self.outcomes.append("stopped")
                raise
            self.outcomes.append("finished")
            return ids

        monkeypatch.setattr(captioner_module, "_encode", held_encode)
        monkeypatch.setattr(Captioner, "generate_ids", recorded_generate_ids)


@pytest.fixture
def catalog_ids(tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths) -> Iterator[tuple[Path, list[int]]]:
    root = tmp_path / "catalog"
    root.mkdir()
    for index in range(14):
        gradient(90 + index, 110, seed=index).save(root / f"p{index:02d}.png")
    catalog = open_catalog(root)
    catalog.index()
    captioner = Captioner.from_paths(app_paths)
    yield root, catalog.uncaptioned(captioner)


def test_background_run_captions_everything_and_says_how_far_it_is(
    qtbot: QtBot, app_paths: AppPaths, catalog_ids: tuple[Path, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also: BLIP stays loaded through the run, however long, and is released its idle time after the end. The
    worker reads what is left a batch at a time, never as a list of the whole catalog (it starts again after every
    scroll; for a big catalog that list is Python work holding the GIL while the window paints)."""
    folder, ids = catalog_ids
    listed = CatalogStore.uncaptioned_ids
    limits: list[int | None] = []

    def listing(store: CatalogStore, model: str, after: int = 0, limit: int | None = None) -> list[int]:
        limits.append(limit)
        return listed(store, model, after, limit)

    monkeypatch.setattr(CatalogStore, "uncaptioned_ids", listing)
    session = CaptionSession(app_paths, folder, idle_seconds=0.05)
    try:
        session.requests.catalog.emit(5)
        qtbot.waitUntil(lambda: session.finished(5, len(ids)), timeout=60000)
        qtbot.waitUntil(lambda: session.loads == [True, False], timeout=10000)
        assert sorted(session.ids(5)) == ids and len(session.ids()) == len(ids), "each item once"
        counts = [c.captioned for c in session.coverage if c.request_id == 5]
        assert counts[0] == 0 and counts == sorted(counts) and counts[-1] == len(ids), "progress, growing"
        assert all(c.total == len(ids) for c in session.coverage)
        with qtbot.waitSignal(session.covered.got, timeout=30000) as again:
            session.requests.catalog.emit(6)
        assert again.args[0] == CaptionCoverage(6, len(ids), len(ids)), "nothing left: nothing captioned again"
        assert len(session.ids()) == len(ids)
        assert limits and None not in limits
    finally:
        session.stop()


def test_background_captions_run_their_models_lowered_and_shown_ones_do_not(
    qtbot: QtBot, app_paths: AppPaths, catalog_ids: tuple[Path, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole catalog's captions, which nobody waits for, run inside models_in_background (their runs and
    decoding lowered); the captions of shown tiles run at the worker's own priority (fashion_desktop.priority)."""
    folder, ids = catalog_ids
    seen: set[tuple[str, bool]] = set()
    inside_all: list[bool] = []  # the background run captions its batches with captions_for too
    caption_all, captions_for = Catalog.caption_all, Catalog.captions_for

    def recorded_all(catalog: Catalog, *args: Any, **kwargs: Any) -> Any:
        seen.add(("background", in_background()))
        inside_all.append(True)
        try:
            return caption_all(catalog, *args, **kwargs)
        finally:
            inside_all.pop()

    def recorded_for(catalog: Catalog, *args: Any, **kwargs: Any) -> Any:
        seen.add(("background" if inside_all else "shown", in_background()))
        return captions_for(catalog, *args, **kwargs)

    monkeypatch.setattr(Catalog, "caption_all", recorded_all)
    monkeypatch.setattr(Catalog, "captions_for", recorded_for)
    session = CaptionSession(app_paths, folder)
    try:
        session.requests.caption.emit(4, ids[:2])
        qtbot.waitUntil(lambda: sorted(session.ids(4)) == ids[:2], timeout=60000)
        session.requests.catalog.emit(5)
        qtbot.waitUntil(lambda: session.finished(5, len(ids)), timeout=60000)
    finally:
        session.stop()
    assert ("shown", False) in seen and ("background", True) in seen
    assert ("shown", True) not in seen and ("background", False) not in seen


def test_the_shown_tiles_preempt_the_background_run(
    qtbot: QtBot, app_paths: AppPaths, catalog_ids: tuple[Path, list[int]]
) -> None:
    """As the presenter does for a page of shown tiles: cancel the background run, ask for the tiles, ask for the
    background run again. The tiles (the catalog's last items, which the run would do last) come before anything
    of the resumed run, and nothing is captioned twice."""
    folder, ids = catalog_ids
    session = CaptionSession(app_paths, folder)
    shown = ids[-3:]
    try:
        session.requests.catalog.emit(2)
        qtbot.waitUntil(lambda: any(c.request_id == 2 for c in session.coverage), timeout=60000)
        session.requests.cancel.emit(2)
        session.requests.caption.emit(3, shown)
        session.requests.catalog.emit(4)
        qtbot.waitUntil(lambda: session.finished(4, len(ids)), timeout=60000)
        order = [c.request_id for c in session.captions]
        assert sorted(session.ids(3)) == sorted(shown)
        assert order.index(3) < order.index(4) and 3 not in order[order.index(4) :], "the shown tiles first"
        assert len(session.ids(2)) < len(ids) - len(shown), "the first run stopped early"
        assert sorted(session.ids()) == ids, "each item captioned once"
    finally:
        session.stop()


@pytest.mark.parametrize(
    ("still_wanted", "other_catalog", "cancelled_upto", "outcome"),
    [
        (False, False, 2, "stopped"),  # e.g. a drop's results replaced the tiles: nobody waits for these
        (True, False, 2, "finished"),  # scrolled a little: the tiles are still in view
        (True, True, 2, "stopped"),  # the same item ids, but of the catalog opened since
        (True, False, CANCEL_ALL, "stopped"),  # the window closes
    ],
)
def test_a_cancelled_batch_stops_halfway_unless_its_tiles_are_still_wanted(
    qtbot: QtBot,
    app_paths: AppPaths,
    catalog_ids: tuple[Path, list[int]],
    monkeypatch: pytest.MonkeyPatch,
    still_wanted: bool,
    other_catalog: bool,
    cancelled_upto: int,
    outcome: str,
) -> None:
    folder, ids = catalog_ids
    held = HeldEncoder(monkeypatch)
    session = CaptionSession(app_paths, folder)
    shown = ids[:4]
    try:
        session.requests.caption.emit(2, shown)
        assert held.entered.wait(60), "the first batch is encoding"
        wanted = shown[1:] if still_wanted else ids[4:]
        session.requests.want.emit(str(folder.parent / "other") if other_catalog else str(folder), wanted)
        if cancelled_upto == CANCEL_ALL:
            session.workers.captions.worker.cancel(CANCEL_ALL)  # as WorkerThreads.stop does (no signal: not an int)
        else:
            session.requests.cancel.emit(cancelled_upto)
        held.released.set()
        qtbot.waitUntil(lambda: bool(held.outcomes), timeout=60000)
        qtbot.wait(200)
        assert held.outcomes == [outcome], "one batch, and no other after the cancel"
        assert sorted(session.ids(2)) == (shown[:2] if outcome == "finished" else [])
    finally:
        held.released.set()
        session.stop()


@pytest.mark.parametrize("batch_in_view", [False, True])
def test_a_cancelled_background_batch_stops_halfway_unless_in_view_and_the_next_run_does_the_rest(
    qtbot: QtBot,
    app_paths: AppPaths,
    catalog_ids: tuple[Path, list[int]],
    monkeypatch: pytest.MonkeyPatch,
    batch_in_view: bool,
) -> None:
    folder, ids = catalog_ids
    held = HeldEncoder(monkeypatch)
    session = CaptionSession(app_paths, folder)
    try:
        session.requests.catalog.emit(2)
        assert held.entered.wait(60), "the first batch (the two oldest items) is encoding"
        session.requests.want.emit(str(folder), ids[:2] if batch_in_view else ids[-2:])
        session.requests.cancel.emit(2)
        held.released.set()
        qtbot.waitUntil(lambda: bool(held.outcomes), timeout=60000)
        session.requests.catalog.emit(3)
        qtbot.waitUntil(lambda: session.finished(3, len(ids)), timeout=60000)
        assert held.outcomes[0] == ("finished" if batch_in_view else "stopped")
        assert "stopped" not in held.outcomes[1:]
        assert sorted(session.ids(2)) == (ids[:2] if batch_in_view else [])
        assert sorted(session.ids()) == ids, "each item captioned once"
    finally:
        held.released.set()
        session.stop()


def test_a_new_launch_resumes_where_the_last_one_stopped(
    qtbot: QtBot, app_paths: AppPaths, catalog_ids: tuple[Path, list[int]]
) -> None:
    folder, ids = catalog_ids
    first = CaptionSession(app_paths, folder)
    worker = first.workers.captions.worker

    def stop_after_two_batches(coverage: CaptionCoverage) -> None:  # on the worker's thread, between batches
        if coverage.captioned >= 8:
            worker.cancel(2)

    worker.covered.connect(stop_after_two_batches, DIRECT)
    try:
        first.requests.catalog.emit(2)
        qtbot.waitUntil(lambda: len(first.ids()) >= 8, timeout=60000)
        qtbot.wait(300)
    finally:
        first.stop()
    done_before = sorted(first.ids())
    assert len(done_before) == 8, "stopped between batches"

    second = CaptionSession(app_paths, folder)
    try:
        second.requests.catalog.emit(2)
        qtbot.waitUntil(lambda: second.finished(2, len(ids)), timeout=60000)
        assert second.coverage[0] == CaptionCoverage(2, len(done_before), len(ids)), "the store kept them"
        assert sorted(second.ids()) == sorted(set(ids) - set(done_before)), "only the rest"
    finally:
        second.stop()


def test_blip_is_released_after_its_idle_time_and_loaded_for_the_next_caption(
    qtbot: QtBot, app_paths: AppPaths, catalog_ids: tuple[Path, list[int]]
) -> None:
    folder, ids = catalog_ids
    session = CaptionSession(app_paths, folder, idle_seconds=0.4)
    try:
        assert session.loads == []
        with qtbot.waitSignal(session.loaded.got, timeout=60000) as loaded:
            session.requests.caption.emit(2, ids[:2])
        assert loaded.args == [True]
        qtbot.waitUntil(lambda: session.loads == [True, False], timeout=10000)
        assert sorted(session.ids(2)) == ids[:2], "released after the captions were written"
        session.requests.caption.emit(3, ids[2:4])
        qtbot.waitUntil(lambda: sorted(session.ids(3)) == ids[2:4], timeout=60000)
        assert session.loads[:3] == [True, False, True], "loaded again for the next caption"
        qtbot.waitUntil(lambda: session.loads == [True, False, True, False], timeout=10000)
    finally:
        session.stop()


# -- in the window ---------------------------------------------------------------------------------------------------
@pytest.fixture
def window_catalog(tmp_path: Path, app_paths: AppPaths) -> Iterator[Path]:
    logs.setup(app_paths.log_file)
    threads_before = python_threads()
    yield make_catalog(tmp_path / "catalog")
    assert python_threads() <= threads_before, "no Python threads left behind"


def close(window: MainWindow) -> None:
    workers = window.workers
    window.close()
    assert workers is not None and not any(t.thread.isRunning() for t in workers.all())


def test_window_pauses_and_resumes_the_background_captions(
    qtbot: QtBot, app_paths: AppPaths, window_catalog: Path
) -> None:
    """Paused before indexing ends: nothing is captioned (the shown tiles neither: captions are not shown here),
    the status bar says so; Resume captions the catalog and the status bar hides when done."""
    window = open_window(qtbot, app_paths, window_catalog, Settings(results_count=12, captions=False))
    try:
        window.presenter.pause_background_captions()
        qtbot.waitUntil(lambda: up_to_date(window) and window.presenter.background.known, timeout=60000)
        qtbot.wait(500)
        state = window.presenter.background
        assert state == CaptionsState("paused", 0, CATALOG_SIZE, known=True)
        status = window.caption_status
        assert status.isVisible() and status.label.text() == f"Captions paused at 0/{CATALOG_SIZE}"
        assert status.pause.text() == "Resume"
        with qtbot.waitSignal(window.presenter.captionsChanged, timeout=60000):
            qtbot.mouseClick(status.pause, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.presenter.background.phase == "done", timeout=60000)
        assert window.presenter.background == CaptionsState("done", CATALOG_SIZE, CATALOG_SIZE, known=True)
        assert not status.isVisible()
    finally:
        close(window)


def test_window_with_background_captions_off_captions_nothing_and_text_search_says_so(
    qtbot: QtBot, app_paths: AppPaths, window_catalog: Path
) -> None:
    settings = Settings(results_count=12, captions=False, background_captions=False)
    window = open_window(qtbot, app_paths, window_catalog, settings)
    try:
        qtbot.waitUntil(lambda: up_to_date(window) and window.presenter.background.known, timeout=60000)
        qtbot.wait(500)
        assert window.presenter.background == CaptionsState("off", 0, CATALOG_SIZE, known=True)
        assert not window.caption_status.isVisible()
        assert not window.background_captions_action.isChecked()
        with qtbot.waitSignal(window.presenter.answerShown, timeout=30000):
            window.filter_bar.text.setText("look")
            window.filter_bar.text.returnPressed.emit()
        assert window.message.text() == f"{CATALOG_SIZE} of {CATALOG_SIZE} items (captions: 0 of 10 items searched)"
        window.background_captions_action.trigger()
        assert settings.background_captions
        qtbot.waitUntil(lambda: window.presenter.background.phase == "done", timeout=60000)
        assert window.presenter.background.captioned == CATALOG_SIZE
    finally:
        close(window)


def test_window_captions_the_catalog_after_indexing_and_shown_tiles_have_theirs(
    qtbot: QtBot, app_paths: AppPaths, window_catalog: Path
) -> None:
    window = open_window(qtbot, app_paths, window_catalog, Settings(results_count=12))
    try:
        qtbot.waitUntil(lambda: window.presenter.background.phase == "done", timeout=60000)
        assert window.presenter.background == CaptionsState("done", CATALOG_SIZE, CATALOG_SIZE, known=True)
        assert window.background_captions_action.isChecked()
        rows = range(window.results.rowCount())
        qtbot.waitUntil(lambda: all(window.results.index(r).data(CaptionRole) for r in rows), timeout=30000)
    finally:
        close(window)


def test_window_stops_a_background_batch_halfway_when_indexing_starts(
    qtbot: QtBot, app_paths: AppPaths, window_catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexing comes first: the batch the background run is on stops within BLIP's model run, rather than
    competing with indexing for the cores to its end (seconds on a laptop); the run captions it afterwards."""
    held = HeldEncoder(monkeypatch)
    window = open_window(qtbot, app_paths, window_catalog, Settings(results_count=12, captions=False))
    presenter = window.presenter
    try:
        qtbot.waitUntil(held.entered.is_set, timeout=60000)  # the background run's first batch is encoding
        assert presenter.background.phase == "running"
        qtbot.waitUntil(lambda: up_to_date(window), timeout=60000)
        presenter.start_indexing()
        held.released.set()
        qtbot.waitUntil(lambda: presenter.background.phase == "done", timeout=60000)
        assert held.outcomes[0] == "stopped" and "stopped" not in held.outcomes[1:]
        assert presenter.background.captioned == CATALOG_SIZE
    finally:
        held.released.set()
        close(window)


def test_window_lets_a_batch_of_tiles_still_in_view_finish(
    qtbot: QtBot, app_paths: AppPaths, window_catalog: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shown tiles asked for again (as after a small scroll, or details arriving) cancel the request in
    progress, but its batch is of tiles still in view: it finishes rather than starting over."""
    held = HeldEncoder(monkeypatch)
    settings = Settings(results_count=12, captions=True, background_captions=False)
    window = open_window(qtbot, app_paths, window_catalog, settings)
    try:
        qtbot.waitUntil(held.entered.is_set, timeout=60000)  # the first tiles in view are encoding
        shown = window.view.visible_rows()
        assert len(shown) == CATALOG_SIZE
        window.presenter.caption_rows(shown)
        held.released.set()
        qtbot.waitUntil(lambda: all(window.results.index(r).data(CaptionRole) for r in shown), timeout=60000)
        assert "stopped" not in held.outcomes and len(held.outcomes) == CATALOG_SIZE // 2, "no batch done twice"
    finally:
        held.released.set()
        close(window)


def test_background_captions_give_way_while_the_grid_scrolls(qtbot: QtBot, app_paths: AppPaths, tmp_path: Path) -> None:
    """While the stylist scrolls, the background run stops; the tiles in view still get their captions; the run
    starts again once the scrolling has stopped for the give-way time, and captions the rest."""
    logs.setup(app_paths.log_file)
    threads_before = python_threads()
    root = tmp_path / "many"
    root.mkdir()
    items = 120
    for index in range(items):
        gradient(80 + index, 100, seed=index).save(root / f"look{index:03d}.png")
    window = open_window(qtbot, app_paths, root, Settings(results_count=12, captions=True))
    window.resize(800, 600)
    presenter = window.presenter
    presenter.give_way_timer.setInterval(6000)
    try:
        qtbot.waitUntil(
            lambda: presenter.background.phase == "running" and presenter.background.captioned > 0, timeout=60000
        )
        bar = window.view.verticalScrollBar()
        assert bar.maximum() > 0, "the grid scrolls"
        written: list[int] = []
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            bar.setValue(bar.maximum() if bar.value() < bar.maximum() // 2 else 0)
            qtbot.wait(50)
            written.append(presenter.background.captioned)
        assert written[len(written) // 3] == written[-1] < items, "nothing of the run captioned while scrolling"

        shown = window.view.visible_rows
        qtbot.waitUntil(lambda: all(window.results.index(r).data(CaptionRole) for r in shown()), timeout=5000)
        assert presenter.give_way_timer.isActive() and presenter.background.captioned == written[-1], (
            "the tiles in view captioned while the run is still held"
        )
        assert presenter.background.phase == "running", "held, not stopped: the status bar still says running"
        qtbot.waitUntil(lambda: presenter.background.phase == "done", timeout=60000)
        assert presenter.background.captioned == items
    finally:
        close(window)
    assert python_threads() <= threads_before, "no Python threads left behind"
