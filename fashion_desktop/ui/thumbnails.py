"""Thumbnails decoded off the GUI thread (QImage is thread-safe), with a disk cache in the data directory."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

from PySide6.QtCore import QObject, QRunnable, QSize, Qt, QThreadPool, Signal
from PySide6.QtGui import QImage, QImageReader

THUMBNAIL_PIXELS = 320  # stored size: sharp at 160 px tiles on 2x (HiDPI) screens


def cache_path(source: Path, cache_dir: Path) -> Path:
    """Keyed by the file's identity (path, size, mtime): an edited photo gets a fresh thumbnail."""
    try:
        stat = source.stat()
        key = f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{THUMBNAIL_PIXELS}"
    except OSError:
        key = str(source)
    return cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()}.jpg"


def load_thumbnail(source: Path, cache_dir: Path, pixels: int = THUMBNAIL_PIXELS) -> QImage:
    cached = cache_path(source, cache_dir)
    if cached.exists():
        image = QImage(str(cached))
        if not image.isNull():
            return image
    reader = QImageReader(str(source))
    reader.setAutoTransform(True)  # EXIF orientation
    size = reader.size()
    if size.isValid() and max(size.width(), size.height()) > pixels:
        reader.setScaledSize(size.scaled(QSize(pixels, pixels), Qt.AspectRatioMode.KeepAspectRatio))
    image = reader.read()
    if image.isNull():
        return image
    if max(image.width(), image.height()) > pixels:
        image = image.scaled(
            pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
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
    """Loads thumbnails in a thread pool; `loaded(key, QImage)` arrives on the GUI thread."""

    loaded = Signal(object, QImage)

    def __init__(self, cache_dir: Path) -> None:
        super().__init__()
        self.cache_dir = cache_dir
        self.pool = QThreadPool()
        self.pool.setMaxThreadCount(2)
        self._requested: set[object] = set()

    def request(self, key: object, source: Path) -> None:
        if key in self._requested:
            return
        self._requested.add(key)
        self.pool.start(_ThumbnailJob(self, key, source, self.cache_dir))

    def forget(self) -> None:
        self.pool.clear()
        self._requested.clear()

    def shutdown(self) -> None:
        self.pool.clear()
        self.pool.waitForDone()


class _ThumbnailJob(QRunnable):
    def __init__(self, loader: ThumbnailLoader, key: object, source: Path, cache_dir: Path):
        super().__init__()
        self.loader, self.key, self.source, self.cache_dir = loader, key, source, cache_dir

    def run(self) -> None:
        self.loader.loaded.emit(self.key, load_thumbnail(self.source, self.cache_dir))
