"""Pictures decoded off the GUI thread (QImage is thread-safe): tiles with a disk cache in the data directory,
query chips and the quick-look view. The newest request is served first, and requests for tiles scrolled away
are dropped, so scrolling a 44k grid never waits behind pictures no longer on screen."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
from collections import OrderedDict
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QSize, Qt, Signal
from PySide6.QtGui import QImage, QImageReader

from fashion_desktop.priority import lower_this_thread_priority

log = logging.getLogger("fashion_desktop.ui")

THUMBNAIL_NICE = 5  # see ThumbnailLoader._work
MOST_DECODING_THREADS = 2  # each also runs Python, and the GUI thread's painting (Python) waits for the GIL
HANDED_OVER_PER_TURN = 12  # a screenful of tiles at the largest size
# The formats the raster engine draws fastest; a JPEG decodes to the first. Others are converted on the decoding
# thread (converting holds the GIL, like scaling, but a tile's conversion takes about 10 us).
PAINTED_AS_IS = (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32_Premultiplied)
THUMBNAIL_PIXELS = 320  # stored size: sharp at the largest tile size, and at 160 px tiles on 2x (HiDPI) screens


_REAL_FOLDERS: dict[str, str] = {}  # a folder as asked -> the folder with every link resolved
_MOST_REAL_FOLDERS = 4096
_MOST_LINKS_FOLLOWED = 40  # as Linux's own limit (ELOOP)


def real_path(source: Path, status: os.stat_result) -> str:
    """`source.resolve()`, its folders' part remembered. Resolving walks every component of a path in Python (one
    `lstat` each, the GIL taken back after every one) on a decoding thread of lowered priority, and a lowered thread
    that a busy machine takes off its CPU while it holds the GIL keeps the GUI thread waiting: once per folder rather
    than once per tile. `status` is the file's own `lstat`. A file that is itself a link (a catalog of links, as
    bench/app.py's) is followed one `readlink` at a time, its target's folder resolved through the same memory."""
    path = os.fspath(source)
    for _ in range(_MOST_LINKS_FOLLOWED):
        folder, name = os.path.split(path)
        if not os.path.isabs(folder) or name in ("", ".", ".."):  # a relative folder depends on the working one
            return os.path.realpath(path)
        real = os.path.join(_real_folder(folder), name)
        if not stat.S_ISLNK(status.st_mode):
            return real
        if os.name != "posix":  # Windows' links and junctions read back in forms of their own: realpath knows them
            return os.path.realpath(real)
        target = os.readlink(real)
        path = os.path.join(os.path.dirname(real), target)  # an absolute target replaces the folder
        try:
            status = os.lstat(path)
        except OSError:  # a dangling link: resolved as far as it goes, as `resolve()` does
            return os.path.realpath(path)
    return os.path.realpath(source)  # a loop of links: realpath says where it ends


def _real_folder(folder: str) -> str:
    real_folder = _REAL_FOLDERS.get(folder)
    if real_folder is None:
        real_folder = os.path.realpath(folder)
        if len(_REAL_FOLDERS) >= _MOST_REAL_FOLDERS:
            _REAL_FOLDERS.clear()
        _REAL_FOLDERS[folder] = real_folder
    return real_folder


def cache_path(source: Path, cache_dir: Path) -> Path:
    """Keyed by the file's identity (its real path, size, mtime): an edited photo gets a fresh thumbnail, and a
    photo reached through a link shares its thumbnail with the photo itself."""
    try:
        status = os.lstat(source)
        real = real_path(source, status)
        if stat.S_ISLNK(status.st_mode):
            status = os.stat(source)
        key = f"{real}|{status.st_size}|{status.st_mtime_ns}|{THUMBNAIL_PIXELS}"
    except OSError:
        key = str(source)
    return cache_dir / f"{hashlib.sha1(key.encode()).hexdigest()}.jpg"


def decoding_threads() -> int:
    """One decoding thread per two cores, at most MOST_DECODING_THREADS: the GUI thread paints beside them.

    Measured on 2 cores (44k grid scrolled a screen every 50 ms with thumbnails decoded afresh, 2 runs each, quiet
    and with a CPU hog beside): with two threads the GUI's worst gap was 24-109 ms (p99 20-41 ms), with one 18-31 ms
    (p99 16-21 ms), and 4 % fewer pictures arrived. The decoding work is what costs, not the pictures arriving: with
    pictures handed over after a 12 ms wait and no decoding, the worst gap was 15-20 ms; with the decoding done and
    its result thrown away, 27-72 ms."""
    return max(1, min(MOST_DECODING_THREADS, (os.cpu_count() or 2) // 2))


def read_upright(source: Path | bytes, pixels: int) -> QImage:
    """Decode at most `pixels` on the longer side, EXIF orientation applied: the picture as the stylist sees it,
    which is what regions are drawn on. Scaled by the reader while decoding (JPEGs partly in the decoder itself),
    which runs without the GIL; `QImage.scaled` holds it (PySide6), and a decoding thread of lowered priority that
    a busy machine takes off its CPU while it holds the GIL keeps the GUI thread waiting for the GIL."""
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
    if not image.isNull() and max(image.width(), image.height()) > pixels:  # its size was unknown before decoding
        image = image.scaled(
            pixels, pixels, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
    return image


def load_thumbnail(source: Path, cache_dir: Path, pixels: int = THUMBNAIL_PIXELS) -> QImage:
    """The picture at most `pixels` on the longer side, through the disk cache of THUMBNAIL_PIXELS thumbnails."""
    cached = cache_path(source, cache_dir)
    if cached.exists():
        image = read_upright(cached, min(pixels, THUMBNAIL_PIXELS))
        if not image.isNull():
            return image
    image = read_upright(source, THUMBNAIL_PIXELS)
    if image.isNull():
        return image
    saved = False
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then renamed: another job may read this cache entry while it is being written.
        partial = cached.with_name(f"{cached.stem}.{threading.get_ident()}.part")
        if image.convertToFormat(QImage.Format.Format_RGB888).save(str(partial), "JPEG", 88):  # type: ignore[call-overload]
            os.replace(partial, cached)
            saved = True
    except OSError:
        pass  # a cache miss next time is fine
    if max(image.width(), image.height()) > pixels:  # a smaller tile: decoded again at its size (see read_upright)
        smaller = read_upright(cached if saved else source, pixels)
        if not smaller.isNull():
            return smaller
    return image


class ThumbnailLoader(QObject):
    """Decodes pictures on threads of its own (`decoding_threads()`); `loaded(key, QImage)` arrives on the GUI
    thread, already at the size asked for and in the format the screen paints fastest (converting or scaling on the
    GUI thread would stall scrolling). The newest request is served first; `keep_only` drops requests no longer wanted.

    Pictures decoded meanwhile are handed over together, once per turn of the GUI's event loop: one queued call
    for a screenful of tiles, rather than one per picture and per listener, each waking the GUI thread."""

    loaded = Signal(object, QImage)
    _decoded = Signal()  # from a decoding thread: pictures are waiting in `_done`

    def __init__(self, cache_dir: Path, threads: int | None = None) -> None:
        super().__init__()
        self.cache_dir = cache_dir
        self._size = threads or decoding_threads()
        self._pending: OrderedDict[object, tuple[Path | bytes, int, bool]] = OrderedDict()
        self._running: set[object] = set()
        self._condition = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._done: list[tuple[object, QImage]] = []  # decoded, not yet handed over (guarded by _condition)
        self._decoded.connect(self._hand_over, Qt.ConnectionType.QueuedConnection)

    def request(self, key: object, source: Path | bytes, side: int, *, cached: bool = True) -> None:
        """Queue a picture of at most `side` pixels (tiles: through the disk cache; others: decoded directly)."""
        with self._condition:
            if key in self._running or self._stopping:
                return
            self._pending[key] = (source, side, cached)
            self._pending.move_to_end(key)  # asked again: it is wanted now
            if len(self._threads) < self._size:
                thread = threading.Thread(target=self._work, name=f"thumbnails-{len(self._threads)}", daemon=True)
                self._threads.append(thread)
                thread.start()
            self._condition.notify()

    def keep_only(self, kind: str, keys: set[object]) -> None:
        """Drop queued requests of this kind (keys are tuples starting with their kind, e.g. "tile") for anything
        but `keys` (tiles scrolled out of view)."""
        with self._condition:
            for key in [k for k in self._pending if _kind(k) == kind and k not in keys]:
                del self._pending[key]

    def forget(self, kind: str) -> None:
        self.keep_only(kind, set())

    def shutdown(self) -> None:
        with self._condition:
            self._stopping = True
            self._pending.clear()
            self._done.clear()
            self._condition.notify_all()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def _work(self) -> None:
        # Decoding pictures must not take the CPU from the GUI thread painting them (as scrolling does, and a busy
        # laptop leaves it one core), but comes before the models' work (nice 10).
        lower_this_thread_priority(THUMBNAIL_NICE)
        while True:
            with self._condition:
                while not self._pending and not self._stopping:
                    self._condition.wait()
                if self._stopping:
                    return
                key, (source, side, cached) = self._pending.popitem(last=True)  # newest first
                self._running.add(key)
            try:
                image = _decode(source, side, cached, self.cache_dir)
            except Exception:  # a null image: its listener says the picture is unavailable; this thread goes on
                log.exception("decoding a picture for %r failed", key)
                image = QImage()
            with self._condition:
                self._running.discard(key)
                wanted = not self._stopping
                first = wanted and not self._done
                if wanted:
                    self._done.append((key, image))
            if first:
                self._decoded.emit()

    def _hand_over(self) -> None:
        """At most HANDED_OVER_PER_TURN pictures a turn (each one is a repaint of its tile): the rest in the next."""
        with self._condition:
            done, self._done = self._done[:HANDED_OVER_PER_TURN], self._done[HANDED_OVER_PER_TURN:]
            more = bool(self._done)
        if more:
            self._decoded.emit()
        for key, image in done:
            self.loaded.emit(key, image)


def _kind(key: object) -> object:
    return key[0] if isinstance(key, tuple) and key else None


def _decode(source: Path | bytes, side: int, cached: bool, cache_dir: Path) -> QImage:
    if cached and isinstance(source, Path):
        image = load_thumbnail(source, cache_dir, side)
    else:
        image = read_upright(source, side)
    if image.isNull() or image.format() in PAINTED_AS_IS:
        return image
    return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)
