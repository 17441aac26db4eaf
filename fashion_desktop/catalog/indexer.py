"""Indexing a catalog: scan, then embed pending files in batches, decoding in threads while the model runs.

Each batch is committed on its own, so a crash or kill loses at most the batch in flight and the next run
continues where this one stopped. Bad files are recorded with a reason and never stop the run.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import numpy as np
import PIL

import fashion_desktop
from fashion_desktop.catalog.scan import ScanReport, content_hash_of, scan
from fashion_desktop.catalog.store import CatalogStore, IndexResult, Item, ScanDiff
from fashion_desktop.catalog.styles import StylesReport
from fashion_desktop.catalog.vectors import sound_rows
from fashion_desktop.imaging import ImageDecodeError, UnreadableFileError, decode, open_regular_file
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess

log = logging.getLogger("fashion_desktop.catalog.indexer")

# Images the model embeds at once. ResNet50 runs no faster per image in batches of 32 than of 8 on a laptop CPU, but
# onnxruntime keeps the largest batch's activations for the session's life: full-size ResNet50 peaks at about 730 MiB
# resident after a batch of 32 and 410 MiB after a batch of 8 (measured side by side, 2 threads).
INDEX_BATCH = 8


@dataclass(frozen=True)
class IndexProgress:
    done: int
    total: int
    failed: int
    rate: float  # files per second, recent
    eta_seconds: float | None


@dataclass
class IndexReport:
    scan: ScanDiff = field(default_factory=ScanDiff)
    embedded: int = 0
    reused: int = 0  # renamed, moved or duplicate files whose vector was already known
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason): files and folders not indexed
    cancelled: bool = False
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)  # about the catalog as a whole, for the stylist
    styles: StylesReport | None = None  # the styles.csv import, when there was one this run
    damaged: int = 0  # items whose stored vector was missing or damaged, hence embedded again


class IndexControl:
    """Pause, resume and cancel, checked between batches; safe to call from any thread."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def wait_while_paused(self) -> None:
        """Blocks the calling (worker) thread while paused; returns at once on resume or cancel."""
        self._running.wait()


@dataclass(frozen=True)
class _Prepared:
    item: Item
    result: IndexResult
    pixels: np.ndarray | None


class Indexer:
    def __init__(
        self, store: CatalogStore, embedder: ImageEmbedder, *, batch_size: int = INDEX_BATCH, decode_threads: int = 2
    ):
        self.store = store
        self.embedder = embedder
        self.batch_size = batch_size
        self.decode_threads = decode_threads

    def run(
        self,
        control: IndexControl | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
    ) -> IndexReport:
        with self.store.writing() as damaged:
            report = self._run(control or IndexControl(), on_progress)
            report.damaged = damaged
            return report

    def _run(self, control: IndexControl, on_progress: Callable[[IndexProgress], None] | None) -> IndexReport:
        started = time.monotonic()
        report = IndexReport()
        if not self._apply_scan(report):
            return report
        self.store.retry_failures(failure_context(self.store.model_id, self.embedder.preprocess_config))
        pending = self.store.items_with_status("pending")
        log.info("indexing %s: %s, %d files to read", self.store.root, report.scan, len(pending))
        known = self.store.known_hashes()  # contents with a stored vector, or with one on its way
        invalid: set[str] = set()  # contents the model gave no usable vector for
        meter = _RateMeter(len(pending))

        def commit(embedding: _Embedding) -> None:
            self._commit(embedding, invalid, report)
            meter.advance(len(embedding.batch))
            if on_progress is not None:
                on_progress(meter.progress(len(report.failed)))

        # The model works on one batch while this thread commits the one before and the decode threads prepare the
        # next two, so the model runs back to back; pause and cancel act between batches (a cancelled run drops
        # the batch still in the model, uncommitted).
        with (
            ThreadPoolExecutor(self.decode_threads, thread_name_prefix="decode") as pool,
            ThreadPoolExecutor(1, thread_name_prefix="embed") as model,
        ):
            in_flight: _Embedding | None = None
            for batch in _prefetched(pool, pending, self.batch_size, lambda item: self._prepare(item, known)):
                control.wait_while_paused()
                if control.cancelled:
                    report.cancelled = True
                    break
                started_now = self._embed(model, batch, known)
                if in_flight is not None:
                    commit(in_flight)
                in_flight = started_now
            if in_flight is not None and not report.cancelled:
                control.wait_while_paused()
                report.cancelled = control.cancelled
                if not report.cancelled:
                    commit(in_flight)
        if not report.cancelled:
            self.store.collect_garbage()
            if self.store.garbage_rows() > max(1000, len(known) // 2):
                self.store.compact_vectors()
        report.seconds = time.monotonic() - started
        log.info(
            "indexed %s in %.1fs: %d embedded, %d reused, %d failed%s",
            self.store.root,
            report.seconds,
            report.embedded,
            report.reused,
            len(report.failed),
            " (cancelled)" if report.cancelled else "",
        )
        return report

    def _apply_scan(self, report: IndexReport) -> bool:
        """Scan and record what changed; False (and a warning) when the catalog folder is suddenly empty while
        the index knows photos: an unmounted drive or share must not cost the index."""
        seen = ScanReport()
        files = list(scan(self.store.root, seen))
        report.failed.extend(seen.problems)
        known = sum(self.store.counts().values())
        if seen.root_empty and known:
            message = (
                f"The catalog folder {self.store.root} is empty: is a drive or network share disconnected? "
                f"The index of its {known} photos is kept; index again once the folder is back."
            )
            log.warning(message)
            report.warnings.append(message)
            return False
        report.scan = self.store.apply_scan(files, keep_under=seen.unreadable_folders)
        return True

    def _prepare(self, item: Item, known: set[str]) -> _Prepared:
        """Runs in a decode thread: hash the file, and decode + preprocess it unless its vector is known.

        One descriptor for both (checked to be a regular file, opened without blocking), so what is hashed is
        what is decoded. Any failure is this file's skip reason, never the batch's end.
        """
        path = self.store.root / item.path
        digest: str | None = None
        try:
            with open_regular_file(path) as handle:
                digest = content_hash_of(handle)
                if item.size == 0:
                    return _Prepared(item, IndexResult(item.id, digest, error="empty file"), None)
                handle.seek(0)
                config = self.embedder.preprocess_config
                decoded = decode(handle, draft_size=config.draft_size)
                pixels = None if digest in known else preprocess(decoded.image, config)
        except UnreadableFileError as exc:
            return _Prepared(item, IndexResult(item.id, digest, error=f"unreadable: {exc}"), None)
        except ImageDecodeError as exc:
            return _Prepared(item, IndexResult(item.id, digest, error=str(exc)), None)
        except OSError as exc:
            return _Prepared(item, IndexResult(item.id, digest, error=f"unreadable: {exc.strerror or exc}"), None)
        except Exception as exc:  # a preprocessing surprise on one file must not stop the run
            log.exception("preparing %r failed", item.path)
            return _Prepared(item, IndexResult(item.id, digest, error=f"could not be prepared: {exc}"), None)
        width, height = decoded.size
        return _Prepared(item, IndexResult(item.id, digest, width=width, height=height), pixels)

    def _embed(self, model: ThreadPoolExecutor, batch: list[_Prepared], known: set[str]) -> _Embedding:
        """Start the model on the contents of this batch that have no vector yet (one each: duplicates share it)."""
        fresh: dict[str, np.ndarray] = {}
        for prepared in batch:
            digest = prepared.result.content_hash
            if prepared.pixels is not None and digest is not None and digest not in known and digest not in fresh:
                fresh[digest] = prepared.pixels
        known.update(fresh)  # later batches reuse the rows this one commits
        if not fresh:
            return _Embedding(batch, [], None)
        return _Embedding(batch, list(fresh), model.submit(self.embedder.embed_pixels, np.stack(list(fresh.values()))))

    def _commit(self, embedding: _Embedding, invalid: set[str], report: IndexReport) -> None:
        """Wait for the batch's vectors and commit it: vectors first (durably), then the rows that reference them.
        A vector that is not finite and of unit length is not stored: its files are skipped with a reason."""
        if embedding.vectors is None:
            vectors = np.zeros((0, self.store.dimension), dtype=np.float32)
        else:
            vectors = embedding.vectors.result()
        sound = sound_rows(vectors)
        invalid.update(digest for digest, ok in zip(embedding.fresh, sound, strict=True) if not ok)
        fresh = {digest for digest, ok in zip(embedding.fresh, sound, strict=True) if ok}
        results = []
        assigned: set[str] = set()  # fresh contents whose row is already claimed by an earlier result
        for prepared in embedding.batch:
            result = prepared.result
            if result.error is None and result.content_hash in invalid:
                result = replace(result, error="the image model gave no usable vector for it (not finite)")
            if result.error is not None:
                report.failed.append((prepared.item.path, result.error))
            elif result.content_hash in fresh:
                report.embedded += 1
            else:
                report.reused += 1
            needs = result.error is None and result.content_hash in fresh and result.content_hash not in assigned
            if needs and result.content_hash is not None:
                assigned.add(result.content_hash)
            results.append(replace(result, needs_vector=needs))
        self.store.record_results(results, vectors[sound])


@dataclass(frozen=True)
class _Embedding:
    """A batch on its way: its prepared files, the contents the model is embedding for it (in row order), and the
    model's future (None when every content already had a vector)."""

    batch: list[_Prepared]
    fresh: list[str]
    vectors: Future[np.ndarray] | None


def failure_context(model_id: str, config: PreprocessConfig) -> str:
    """What a file's failure depends on besides the file: the image model and its preprocessing, and the
    decoders. When it changes (models repaired or replaced, the app updated), failed files are tried again."""
    parts = (model_id, repr(config), fashion_desktop.__version__, PIL.__version__)
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _prefetched(
    pool: ThreadPoolExecutor, items: Sequence[Item], size: int, prepare: Callable[[Item], _Prepared]
) -> Iterator[list[_Prepared]]:
    """Batches of prepared items, the next batch decoding in the pool while the caller handles this one."""
    batches = [items[i : i + size] for i in range(0, len(items), size)]
    queued: list[list[Future[_Prepared]]] = []
    for index in range(len(batches)):
        while len(queued) < 2 and index + len(queued) < len(batches):
            queued.append([pool.submit(prepare, item) for item in batches[index + len(queued)]])
        current = queued.pop(0)
        try:
            yield [future.result() for future in current]
        except GeneratorExit:
            for batch in queued:
                for future in batch:
                    future.cancel()
            raise


class _RateMeter:
    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self.rate = 0.0

    def advance(self, count: int) -> None:
        self.done += count
        elapsed = max(time.monotonic() - self.started, 1e-6)
        self.rate = self.done / elapsed

    def progress(self, failed: int) -> IndexProgress:
        remaining = self.total - self.done
        eta = remaining / self.rate if self.rate > 0 else None
        return IndexProgress(self.done, self.total, failed, self.rate, eta)
