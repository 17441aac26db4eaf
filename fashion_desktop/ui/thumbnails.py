"""Pictures decoded off the GUI thread (QImage is thread-safe): tiles with a disk cache in the data directory,
query chips and the quick-look view. The newest request is served first, and requests for tiles scrolled away
are dropped, so scrolling a 44k grid never waits behind pictures no longer on screen."""

from __future__ import annotations

import hashlib
import itertools
import os
import threading
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

THUMBNAIL_PIXELS = 320  # stored size: sharp at the largest tile size, and at 160 px tiles on 2x (HiDPI) screens


def cache_path(source: Path, cache_dir: Path) -> Path:
    """Keyed by the file's identity (path, size, mtime): an edited photo gets a fresh thumbnail."""
    try:
        stat = source.stat()
        key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{THUMBNAIL_PIXELS}"
    except OSError:
        key = str(source)
    return cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()}.jpg"


def read_upright(source: Path | bytes, pixels: int) -> QImage:
    """Decode at most `pixels` on the longer side (JPEGs scale while decoding), EXIF orientation applied: the
    picture as the stylist sees it, which is what regions are drawn on."""
    if isinstance(source, bytes):
        buffer = QBuffer()
        buffer.setData(QByteArray(source))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        reader = QImageReader(buffer)
    else:
        reader = QImageReader(str(source))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > pixels:
        reader.setScaledSize(size.scaled(QSize(pixels, pixels), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if not image.isNull() and max(image.width(), image.height()) > pixels:
        image = image.scaled(
            pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


def load_thumbnail(source: Path, cache_dir: Path) -> QImage:
    cached = cache_path(source, cache_dir)
    if cached.exists():
        image = QImage(str(cached))
        if not image.isNull():
            return image
    image = read_upright(source, THUMBNAIL_PIXELS)
    if image.isNull():
        return image
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: another job may read this cache entry while it is being written.
        partial = cached.with_name(f"{cached.stem}.{threading.get_ident()}.part")
        if image.convertToFormat(QImage.Format.Format_RGB888).save(str(partial), "JPEG", 88):  # type: ignore[call-overload]
            os.replace(partial, cached)
    except OSError:
        pass  # a cache miss next time is fine
    return image


class ThumbnailLoader(QObject):
    """Loads pictures in a thread pool; `loaded(key, QImage)` arrives on the GUI thread, already at the size
    asked for (scaling on the GUI thread would stall scrolling)."""

    loaded = Signal(object, QImage)

    def __init__(self, cache_dir: Path) -> None:
        super().__init__()
        self.cache_dir = cache_dir
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(2)
        self._queued: dict[object, _Job] = {}
        self._lock = threading.Lock()
        self._order = itertools.count()

    def request(self, key: object, source: Path | bytes, side: int, *, cached: bool = True) -> None:
        """Queue a picture of at most `side` pixels (tiles: from the disk cache; others: decoded directly)."""
        with self._lock:
            if key in self._queued:
                return
            job = _Job(self, key, source, side, cached)
            self._queued[key] = job
        self.pool.start(job, min(next(self._order), 2**30))  # newest first

    def keep_only(self, keys: set[object]) -> None:
        """Drop queued requests for anything else (tiles scrolled out of view)."""
        with self._lock:
            stale = [(key, job) for key, job in self._queued.items() if key not in keys]
        for key, job in stale:
            if self.pool.tryTake(job):
                with self._lock:
                    self._queued.pop(key, None)

    def _started(self, key: object) -> _Job | None:
        """The job leaves the queue; the caller holds it (Python owns jobs: see _Job) until it has run."""
        with self._lock:
            return self._queued.pop(key, None)

    def forget(self) -> None:
        self.keep_only(set())

    def shutdown(self) -> None:
        self.forget()
        self.pool.clear()
        self.pool.waitForDone()


class _Job(QRunnable):
    def __init__(self, loader: ThumbnailLoader, key: object, source: Path | bytes, side: int, cached: bool):
        super().__init__()
        self.setAutoDelete(False)  # owned by Python: the loader's queue, then run() itself, keep it alive
        self.loader, self.key, self.source, self.side, self.cached = loader, key, source, side, cached

    def run(self) -> None:
        keep_alive = self.loader._started(self.key)  # noqa: F841 - until this job has run
        if self.cached and isinstance(self.source, Path):
            image = load_thumbnail(self.source, self.loader.cache_dir)
        else:
            image = read_upright(self.source, self.side)
        if not image.isNull() and max(image.width(), image.height()) > self.side:
            image = image.scaled(
                self.side, self.side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        self.loader.loaded.emit(self.key, image)
