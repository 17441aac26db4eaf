"""The three workers behind the window: indexing, searching and captioning, each on its own thread with its own
store connection, so searching works while indexing runs. The search and indexing workers share one ResNet
session (`SharedEmbedder`); the captioner is the caption worker's own.

Requests are queued signals carrying a request id; answers are typed signals (workers.messages) carrying it back.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal, Slot

from fashion_desktop.catalog.query import FacetValue, Query
from fashion_desktop.models.manifest import ModelFilesError
from fashion_desktop.paths import AppPaths
from fashion_desktop.priority import models_in_background
from fashion_desktop.settings import DEFAULT_CAPTION_IDLE_MINUTES
from fashion_desktop.workers.base import CANCEL_ALL, Worker, WorkerThread
from fashion_desktop.workers.boards import BoardExportWorker, BoardsWorker
from fashion_desktop.workers.messages import (
    BrowseAnswer,
    CaptionCoverage,
    CaptionReady,
    CatalogOpened,
    IndexingDone,
    IndexingProgress,
    ModelsChecked,
    PageAnswer,
    SearchAnswer,
)

if TYPE_CHECKING:  # imported at run time inside the slots, on the worker threads, after the window shows
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.models.captioner import Captioner, CaptionStop
    from fashion_desktop.models.embedder import ImageEmbedder

log = logging.getLogger("fashion_desktop.workers")

FIRST_PAGE = 160  # tiles sent with a browse answer: a full screen at the smallest thumbnail size
SWITCH_INTERVAL = 0.001  # seconds
# Captions written per step, asked for or in the background: the first ones appear sooner, a newer request waits
# one step at most, and BLIP's working memory is that of 2 images (its cross-attention inputs are 40 MiB per
# image). Full-size BLIP captions as many images a second in steps of 2 as of 4 (0.93 vs 0.89 img/s; 1: 0.70).
CAPTION_BATCH = 2


class SharedEmbedder:
    """The window's one ResNet session, used by the search and the indexing worker alike (two sessions cost a
    second copy of the model's memory). Created by whichever worker needs it first."""

    def __init__(self, paths: AppPaths, threads: int | None) -> None:
        self.paths = paths
        self.threads = threads
        self._lock = threading.Lock()
        self._embedder: ImageEmbedder | None = None

    def get(self) -> ImageEmbedder:
        with self._lock:
            if self._embedder is None:
                from fashion_desktop.models.embedder import ImageEmbedder

                self._embedder = ImageEmbedder.from_paths(self.paths, threads=self.threads)
            return self._embedder


def reopen(current: Catalog | None, folder: str, paths: AppPaths, embedder: ImageEmbedder) -> Catalog:
    """Close the worker's current catalog (its store connection) and open `folder`."""
    from fashion_desktop.catalog.catalog import Catalog

    if current is not None:
        current.close()
    return Catalog.open(Path(folder), paths, embedder=embedder)


class IndexWorker(Worker):
    """Brings a catalog up to date, between batches honouring pause and cancel (see workers.base)."""

    progressed = Signal(IndexingProgress)
    finished = Signal(IndexingDone)

    def __init__(self, paths: AppPaths, embedder: SharedEmbedder) -> None:
        super().__init__()
        self.paths = paths
        self.embedder = embedder

    @Slot(int, str)
    def index(self, request_id: int, folder: str) -> None:
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.catalog.indexer import IndexProgress
        from fashion_desktop.workers.control import GateControl

        if self.gate.is_cancelled(request_id):
            return
        last_total = [0]

        def report(progress: IndexProgress) -> None:
            last_total[0] = progress.total
            self.progressed.emit(
                IndexingProgress(
                    request_id, progress.done, progress.total, progress.failed, progress.rate, progress.eta_seconds
                )
            )

        try:
            catalog = Catalog.open(Path(folder), self.paths, embedder=self.embedder.get())
            try:
                before = catalog.store.change_stamp()
                outcome = catalog.index(GateControl(self.gate, request_id), report)
                store_changed = catalog.store.change_stamp() != before
                skipped = catalog.skipped_files()
            finally:
                catalog.close()
        except ModelFilesError as exc:
            self.modelProblem.emit(str(exc))
            return
        except Exception as exc:  # every failure reaches the stylist as a message, never a dead thread
            log.exception("indexing %s failed", folder)
            self.failed.emit(request_id, f"Indexing stopped: {exc}")
            return
        indexed = outcome.embedded + outcome.reused + len(outcome.failed)
        scan = outcome.scan
        self.finished.emit(
            IndexingDone(
                request_id,
                folder,
                outcome.cancelled,
                indexed=indexed,
                to_index=max(last_total[0], indexed),
                new=scan.new,
                changed=scan.changed,
                removed=scan.removed,
                failed_now=len(outcome.failed),
                skipped=skipped,
                store_changed=store_changed,
            )
        )


class SearchWorker(Worker):
    """Answers queries and browses against one open catalog; holds the search index."""

    opened = Signal(CatalogOpened)
    searched = Signal(SearchAnswer)
    browsed = Signal(BrowseAnswer)
    paged = Signal(PageAnswer)
    models = Signal(ModelsChecked)

    def __init__(self, paths: AppPaths, embedder: SharedEmbedder) -> None:
        super().__init__()
        self.paths = paths
        self.embedder = embedder
        self._catalog: Catalog | None = None
        self._facets_key: tuple[object, ...] | None = None
        self._facets_cached: dict[str, list[FacetValue]] = {}

    @Slot()
    def check_models(self) -> None:
        from fashion_desktop.models.installed import describe_models

        self.models.emit(ModelsChecked(describe_models(self.paths)))

    @Slot(int, str)
    def open_catalog(self, request_id: int, folder: str) -> None:
        try:
            self._facets_key = None  # the counts were the old catalog's
            self._catalog = reopen(self._catalog, folder, self.paths, self.embedder.get())
            status = self._catalog.status()
            skipped = self._catalog.skipped_files()
            self.opened.emit(CatalogOpened(request_id, folder, int(str(status["indexed"])), skipped))
        except ModelFilesError as exc:
            self._catalog = None
            self.modelProblem.emit(str(exc))
        except Exception as exc:
            log.exception("opening catalog %s failed", folder)
            self._catalog = None
            self.failed.emit(request_id, str(exc))

    @Slot()
    def warm_up(self) -> None:
        """After the first view is on screen: build the search index and the model session, so that the first
        drop does not pay for them."""
        if self._catalog is None:
            return
        try:
            self._catalog.search_index()
            self._catalog.embedder.load()
        except ModelFilesError as exc:
            self.modelProblem.emit(str(exc))
        except Exception as exc:
            log.exception("preparing the search index failed")
            self.failed.emit(0, str(exc))

    @Slot()
    def refresh(self) -> None:
        """After indexing: rebuild the search index if much changed."""
        if self._catalog is not None:
            try:
                self._catalog.refresh_search_index(rebuild_when_stale=0.1)
            except Exception as exc:
                log.exception("refreshing the catalog failed")
                self.failed.emit(0, str(exc))

    @Slot(int, Query)
    def ask(self, request_id: int, query: Query) -> None:
        if self.gate.is_cancelled(request_id):
            return  # a newer question was asked meanwhile
        if self._catalog is None:
            self.failed.emit(request_id, "No catalog is open yet.")
            return
        try:
            if query.browsing:
                view = self._catalog.browse(query)
                first = self._catalog.page(view.item_ids[:FIRST_PAGE])
                log.info("query from %s: 0 images, %d results", query.origin, len(view.item_ids))
                self.browsed.emit(BrowseAnswer(request_id, query, view, first))
                return
            results = self._catalog.run_query(query)
            facets = self._facets(query)
        except ModelFilesError as exc:
            self.modelProblem.emit(str(exc))
            return
        except Exception as exc:
            log.warning("query failed: %s", exc)
            self.failed.emit(request_id, f"Search failed: {exc}")
            return
        log.info("query from %s: %d images, %d results", query.origin, query.count, len(results))
        self.searched.emit(SearchAnswer(request_id, query, results, facets))

    def _facets(self, query: Query) -> dict[str, list[FacetValue]]:
        """Filter counts over the library for an image query's filters and words (kept while those and the
        catalog stay the same: a new picture with the same filters needs no recount)."""
        assert self._catalog is not None
        key = (query.filters, query.text, self._catalog.store.change_stamp())
        if self._facets_key != key:
            self._facets_key = key
            self._facets_cached = self._catalog.browse(replace(query, images=(), item_ids=())).facets
        return self._facets_cached

    @Slot(int, int, object)
    def fetch_page(self, request_id: int, offset: int, item_ids: list[int]) -> None:
        """Tiles scrolled into view while browsing; skipped when a newer browse replaced that one."""
        if self._catalog is None or self.gate.is_cancelled(request_id):
            return
        try:
            self.paged.emit(PageAnswer(request_id, offset, self._catalog.page(item_ids)))
        except Exception as exc:
            log.warning("reading tiles failed: %s", exc)
            self.failed.emit(request_id, f"Reading the catalog failed: {exc}")

    @Slot()
    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None


class CaptionWorker(Worker):
    """Captions what is asked (shown tiles first, a couple at a time) and, at the lowest priority, the whole
    catalog. The presenter preempts the background run by cancelling it, asking for the shown tiles and asking for
    the background run again: it resumes from the store, which keeps every caption written. A cancelled batch stops
    at once, in the middle of its model run, unless the window still wants one of its captions (`want`). BLIP loads
    with the first caption and is released (its memory handed back) after `idle_release_seconds` without captioning."""

    captioned = Signal(CaptionReady)
    covered = Signal(CaptionCoverage)
    captionerLoaded = Signal(bool)  # BLIP's sessions created (True), or released after the idle time (False)

    def __init__(
        self,
        paths: AppPaths,
        embedder: SharedEmbedder,
        threads: int | None = None,
        idle_release_seconds: float = DEFAULT_CAPTION_IDLE_MINUTES * 60,
    ) -> None:
        super().__init__()
        self.paths = paths
        self.embedder = embedder
        self.threads = threads
        self._catalog: Catalog | None = None
        self._captioner: Captioner | None = None
        self._folder: str | None = None
        self._idle = QTimer(self)  # moves to the worker's thread with it; started and stopped only there
        self._idle.setSingleShot(True)
        self._idle.setInterval(max(0, round(idle_release_seconds * 1000)))
        self._idle.timeout.connect(self._release_idle)
        self._batch_lock = threading.Lock()
        self._wanted: tuple[str | None, frozenset[int]] = (None, frozenset())
        self._running: tuple[int, frozenset[int], CaptionStop] | None = None  # request, items, stop of the batch

    @Slot()
    def lower_priority(self) -> None:
        """Not lowered: between its many short model runs (BLIP's decoding steps) this worker runs Python, holding
        the GIL, and lowered on a busy machine it kept the GUI thread waiting for the GIL. BLIP's own threads are
        lowered, and so are the background run's model runs (fashion_desktop.priority)."""

    # Thread-safe, like cancel: connect with Qt.DirectConnection (the worker is busy with the batch it concerns).
    def want(self, folder: str, item_ids: Sequence[int]) -> None:
        """The items of `folder` whose captions the window is waiting for now: its shown tiles, a search's results."""
        with self._batch_lock:
            self._wanted = (folder, frozenset(item_ids))
        self._stop_if_moot()

    def cancel(self, upto: int) -> None:
        super().cancel(upto)
        self._stop_if_moot()

    def _stop_if_moot(self) -> None:
        """Stop the batch in progress, in the middle of its model run, when its request was cancelled and none of
        its items is still wanted in this catalog (a drop's results, indexing starting, another catalog), or when
        everything was cancelled (the window closes). A batch of tiles still in view finishes: a stylist scrolling
        a little at a time would otherwise never see their captions."""
        with self._batch_lock:
            if self._running is None:
                return
            request_id, items, stop = self._running
            folder, wanted = self._wanted
        if not self.gate.is_cancelled(request_id):
            return
        if self.gate.is_cancelled(CANCEL_ALL) or folder != self._folder or wanted.isdisjoint(items):
            stop.stop()

    def _stop_for(self, request_id: int, item_ids: Sequence[int]) -> CaptionStop:
        """The stop of a batch about to start (stopped at once if already moot)."""
        from fashion_desktop.models.captioner import CaptionStop

        stop = CaptionStop()
        with self._batch_lock:
            self._running = (request_id, frozenset(item_ids), stop)
        self._stop_if_moot()
        return stop

    def _batch_over(self) -> None:
        with self._batch_lock:
            self._running = None

    @Slot(int, str)
    def open_catalog(self, request_id: int, folder: str) -> None:
        """Remembered; the store and BLIP are opened with the first caption asked for (BLIP is large)."""
        self._folder = folder
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None

    def _ready(self, request_id: int) -> bool:
        """The store open and the captioner read (its small files checked); its sessions load in `_loaded`."""
        if self._catalog is not None and self._captioner is not None:
            return True
        if self._folder is None:
            return False
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.models.captioner import Captioner

        try:
            if self._captioner is None:
                self._captioner = Captioner.from_paths(self.paths, threads=self.threads)
                # Parsed here, once per process as the first catalog opens, rather than with BLIP's first load:
                # the parse keeps the window waiting for the GIL, and a caption is what the stylist waits for then.
                self._captioner.tokenizer  # noqa: B018
            # The shared embedder only names the store's vectors here: the caption worker never embeds.
            self._catalog = Catalog.open(Path(self._folder), self.paths, embedder=self.embedder.get())
            self._catalog.use_captioner(self._captioner)
            return True
        except ModelFilesError as exc:
            self.modelProblem.emit(str(exc))
        except Exception as exc:
            log.exception("captioner unavailable")
            self.failed.emit(request_id, f"Captions unavailable: {exc}")
        self._catalog = None
        return False

    def _loaded(self, request_id: int) -> bool:
        """BLIP's sessions, created on first use and again after an idle release."""
        assert self._captioner is not None
        if self._captioner.loaded:
            return True
        try:
            self._captioner.load()
        except ModelFilesError as exc:
            self.modelProblem.emit(str(exc))
            return False
        except Exception as exc:
            log.exception("captioner unavailable")
            self.failed.emit(request_id, f"Captions unavailable: {exc}")
            return False
        self.captionerLoaded.emit(True)
        return True

    @Slot(int, object)
    def caption(self, request_id: int, item_ids: list[int]) -> None:
        """Emits captioned(CaptionReady) per item as captions become known."""
        if self.gate.is_cancelled(request_id) or not item_ids or not self._ready(request_id):
            return
        assert self._catalog is not None and self._captioner is not None
        from fashion_desktop.models.captioner import CaptioningStopped

        self._idle.stop()
        try:
            if not self._loaded(request_id):
                return
            for start in range(0, len(item_ids), CAPTION_BATCH):
                self.gate.wait_while_paused(request_id)
                if self.gate.is_cancelled(request_id):
                    return
                batch = item_ids[start : start + CAPTION_BATCH]
                try:
                    captions = self._catalog.captions_for(batch, self._captioner, self._stop_for(request_id, batch))
                except CaptioningStopped:
                    return
                except Exception as exc:
                    log.warning("captioning failed: %s", exc)
                    self.failed.emit(request_id, f"Captioning failed: {exc}")
                    return
                self._emit_captions(request_id, captions)
        finally:
            self._batch_over()
            self._idle_from_now()

    @Slot(int)
    def count_captions(self, request_id: int) -> None:
        """covered(CaptionCoverage) without captioning anything (background captions turned off)."""
        if not self.gate.is_cancelled(request_id) and self._ready(request_id):
            self._coverage(request_id)

    @Slot(int)
    def caption_catalog(self, request_id: int) -> None:
        """Caption every item not captioned yet, oldest first, CAPTION_BATCH at a time; covered() after each
        batch. Cancelled between batches, or within one when it is moot (see the class)."""
        if self.gate.is_cancelled(request_id) or not self._ready(request_id):
            return
        assert self._catalog is not None and self._captioner is not None
        from fashion_desktop.workers.control import GateControl

        catalog, captioner = self._catalog, self._captioner
        remaining, total = self._coverage(request_id)
        if not remaining:
            return
        self._idle.stop()
        try:
            if not self._loaded(request_id):
                return
            with models_in_background():  # nobody waits for these: BLIP's runs yield the CPU
                catalog.caption_all(
                    captioner,
                    GateControl(self.gate, request_id),
                    on_progress=lambda done, _: self.covered.emit(
                        CaptionCoverage(request_id, total - remaining + done, total)
                    ),
                    batch_size=CAPTION_BATCH,
                    on_captions=lambda captions: self._emit_captions(request_id, captions),
                    stop_for=partial(self._stop_for, request_id),
                )
        except Exception as exc:  # e.g. the data folder's disk is full: the captions written so far are kept
            log.warning("background captioning stopped: %s", exc)
            self.failed.emit(request_id, f"Captioning the catalog stopped: {exc}")
        finally:
            self._batch_over()
            self._idle_from_now()

    def _coverage(self, request_id: int) -> tuple[int, int]:
        """How many items are still to caption, and how many are indexed; emitted as covered(). Counted, not
        listed: this runs each time the background run resumes (after every scroll), and listing a big catalog's
        ids is Python work that holds the GIL while the window paints."""
        assert self._catalog is not None and self._captioner is not None
        remaining = self._catalog.uncaptioned_count(self._captioner)
        total = self._catalog.store.counts().get("ok", 0)
        self.covered.emit(CaptionCoverage(request_id, total - remaining, total))
        return remaining, total

    def _emit_captions(self, request_id: int, captions: dict[int, str]) -> None:
        for item_id, text in captions.items():
            self.captioned.emit(CaptionReady(request_id, item_id, text))

    def _idle_from_now(self) -> None:
        if self._captioner is not None and self._captioner.loaded:
            self._idle.start()

    @Slot()
    def _release_idle(self) -> None:
        if self._captioner is not None and self._captioner.loaded:
            self._captioner.release()
            log.info("captioning model released after %.0f s without captions", self._idle.interval() / 1000)
            self.captionerLoaded.emit(False)

    def thread_finishing(self) -> None:
        self._idle.stop()

    @Slot()
    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None


class WorkerThreads:
    """The window's worker threads (search, captions, indexing, boards, board exports). Stopped and joined on
    close."""

    def __init__(
        self,
        paths: AppPaths,
        threads: int | None,
        caption_idle_seconds: float = DEFAULT_CAPTION_IDLE_MINUTES * 60,
    ) -> None:
        # While workers run Python (beam search, decoding), the GUI thread gets the interpreter back within 1 ms
        # of asking instead of 5: a paint never waits long for the GIL.
        sys.setswitchinterval(min(SWITCH_INTERVAL, sys.getswitchinterval()))
        self.embedder = SharedEmbedder(paths, threads)
        self.search = WorkerThread(SearchWorker(paths, self.embedder), "search")
        self.captions = WorkerThread(CaptionWorker(paths, self.embedder, threads, caption_idle_seconds), "captions")
        self.index = WorkerThread(IndexWorker(paths, self.embedder), "indexing")
        self.boards = WorkerThread(BoardsWorker(paths, self.embedder), "boards")
        self.export = WorkerThread(BoardExportWorker(paths, self.embedder), "export")

    def all(
        self,
    ) -> tuple[
        WorkerThread[IndexWorker],
        WorkerThread[CaptionWorker],
        WorkerThread[SearchWorker],
        WorkerThread[BoardsWorker],
        WorkerThread[BoardExportWorker],
    ]:
        return self.index, self.captions, self.search, self.boards, self.export

    def stop(self) -> None:
        """Cancel every request and join every thread; safe to call more than once (close, then quit)."""
        for worker_thread in self.all():
            worker_thread.worker.cancel(CANCEL_ALL)
            worker_thread.worker.resume()
        for worker_thread in self.all():
            if worker_thread.thread.isRunning():
                worker_thread.stop()
