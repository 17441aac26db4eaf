"""The three workers behind the window: indexing, searching and captioning, each on its own thread with its
own model sessions and store connection, so searching works while indexing runs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot

from fashion_desktop.models.manifest import ModelFilesError
from fashion_desktop.paths import AppPaths
from fashion_desktop.workers.base import Worker, WorkerThread

if TYPE_CHECKING:  # imported at run time inside the slots, on the worker threads, after the window shows
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.models.captioner import Captioner

log = logging.getLogger("fashion_desktop.workers")


def reopen(current: Catalog | None, folder: str, paths: AppPaths, threads: int | None) -> Catalog:
    """Close the worker's current catalog (its store connection) and open `folder`."""
    from fashion_desktop.catalog.catalog import Catalog

    if current is not None:
        current.close()
    return Catalog.open(Path(folder), paths, threads=threads)


class IndexWorker(Worker):
    """Brings a catalog up to date; pause/resume/cancel through `control` (thread-safe)."""

    skipped = Signal(object)  # list of (path, reason)
    detail = Signal(object)  # IndexProgress: rate and ETA besides progress(done, total)

    def __init__(self, paths: AppPaths, threads: int | None = None) -> None:
        super().__init__()
        from fashion_desktop.catalog.indexer import IndexControl

        self.paths = paths
        self.threads = threads
        self.control = IndexControl()

    @Slot(str)
    def index(self, folder: str) -> None:
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.catalog.indexer import IndexControl, IndexProgress

        self.control = IndexControl()

        def report(progress: IndexProgress) -> None:
            self.progress.emit(progress.done, progress.total)
            self.detail.emit(progress)

        try:
            catalog = Catalog.open(Path(folder), self.paths, threads=self.threads)
            try:
                outcome = catalog.index(self.control, report)
            finally:
                catalog.close()
            self.skipped.emit(outcome.failed)
            self.result.emit(outcome)
        except Exception as exc:  # every failure reaches the stylist as a message, never a dead thread
            log.exception("indexing %s failed", folder)
            self.failed.emit(f"Indexing stopped: {exc}")


class SearchWorker(Worker):
    """Answers queries against one open catalog; holds the embedder session and the search index."""

    catalogOpened = Signal(object)  # catalog status dict, with the metadata facets
    catalogRefreshed = Signal(object)  # the same, after indexing changed the catalog
    models = Signal(object)  # describe_models() list

    def __init__(self, paths: AppPaths, threads: int | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.threads = threads
        self._catalog: Catalog | None = None

    @Slot()
    def check_models(self) -> None:
        from fashion_desktop.models.manifest import describe_models

        self.models.emit(describe_models(self.paths.models_search_path))

    @Slot(str)
    def open_catalog(self, folder: str) -> None:
        try:
            self._catalog = reopen(self._catalog, folder, self.paths, self.threads)
            self._catalog.search_index()
            self._catalog.embedder.load()  # the first drop should not pay for creating the session
            self.catalogOpened.emit(self._catalog.status() | {"facets": self._catalog.facets()})
        except ModelFilesError as exc:
            self._catalog = None
            self.modelProblem.emit(str(exc))
        except Exception as exc:
            log.exception("opening catalog %s failed", folder)
            self._catalog = None
            self.failed.emit(str(exc))

    @Slot()
    def refresh(self) -> None:
        """After indexing: rebuild the search index if much changed, and report fresh facets."""
        if self._catalog is None:
            return
        try:
            self._catalog.refresh_search_index(rebuild_when_stale=0.1)
            self.catalogRefreshed.emit(self._catalog.status() | {"facets": self._catalog.facets()})
        except Exception as exc:
            log.exception("refreshing the catalog failed")
            self.failed.emit(str(exc))

    @Slot(object)
    def search(self, query: object) -> None:
        from fashion_desktop.catalog.query import Query

        assert isinstance(query, Query)
        if self._catalog is None:
            self.failed.emit("No catalog is open yet.")
            return
        try:
            results = self._catalog.run_query(query)
        except Exception as exc:
            log.warning("query failed: %s", exc)
            self.failed.emit(f"Search failed: {exc}")
            return
        log.info("query from %s: %d images, %d results", query.origin, query.count, len(results))
        self.result.emit((query, results))

    @Slot()
    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None


class CaptionWorker(Worker):
    """Captions result items: cached ones at once, the rest in small batches, newest request first."""

    def __init__(self, paths: AppPaths, threads: int | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.threads = threads
        self._catalog: Catalog | None = None
        self._captioner: Captioner | None = None
        self._generation = 0

    def supersede(self) -> None:
        """Called from the GUI thread when a new search replaces the results: older requests stop early."""
        self._generation += 1

    @Slot(str)
    def open_catalog(self, folder: str) -> None:
        from fashion_desktop.models.captioner import Captioner
        from fashion_desktop.models.manifest import BLIP_DIR, find_model_dir

        try:
            self._catalog = reopen(self._catalog, folder, self.paths, self.threads)
            blip = find_model_dir(BLIP_DIR, self.paths.models_search_path)
            self._captioner = self._captioner or Captioner(blip, threads=self.threads)
            self._captioner.load()
            self._catalog.use_captioner(self._captioner)
        except ModelFilesError as exc:
            self._catalog = None
            self.modelProblem.emit(str(exc))
        except Exception as exc:
            log.exception("captioner unavailable")
            self._catalog = None
            self.failed.emit(f"Captions unavailable: {exc}")

    @Slot(object)
    def caption(self, item_ids: object) -> None:
        """Emits result((item_id, caption)) per item as captions become known."""
        assert isinstance(item_ids, list)
        if self._catalog is None or self._captioner is None:
            return
        generation = self._generation
        for start in range(0, len(item_ids), 4):
            if self.cancelled or generation != self._generation:
                return
            try:
                captions = self._catalog.captions_for(item_ids[start : start + 4], self._captioner)
            except Exception as exc:
                log.warning("captioning failed: %s", exc)
                self.failed.emit(f"Captioning failed: {exc}")
                return
            for item_id, text in captions.items():
                self.result.emit((item_id, text))

    @Slot()
    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
            self._catalog = None


class WorkerThreads:
    """The window's three worker threads (search, captions, indexing). Stopped and joined on close."""

    def __init__(self, paths: AppPaths, threads: int | None) -> None:
        self.search = WorkerThread(SearchWorker(paths, threads), "search")
        self.captions = WorkerThread(CaptionWorker(paths, threads), "captions")
        self.index = WorkerThread(IndexWorker(paths, threads), "indexing")

    def stop(self) -> None:
        """Cancel indexing and join every thread; safe to call more than once (close, then quit)."""
        self.index.worker.control.cancel()
        for worker_thread in (self.index, self.captions, self.search):
            if worker_thread.thread.isRunning():
                worker_thread.stop()
