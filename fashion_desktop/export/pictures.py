"""The pictures of an export: decoded upright, at most as large as they are printed, decoded ahead in threads."""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from PySide6.QtGui import QImage

from fashion_desktop.export.job import ExportReport
from fashion_desktop.imaging import decode

log = logging.getLogger("fashion_desktop.export")

MISSING = "Picture missing: the file is no longer in the catalog"
UNREADABLE = "Picture could not be read"


@dataclass(frozen=True)
class Picture:
    image: QImage | None  # None: draw a placeholder saying `problem`
    problem: str | None = None


def record_problem(report: ExportReport, picture: Picture, last_path: str) -> None:
    """Name the item in the report when its picture is a placeholder."""
    if picture.problem == MISSING:
        report.missing.append(last_path)
    elif picture.problem == UNREADABLE:
        report.unreadable.append(last_path)


def load_picture(path: Path | None, max_width: int, max_height: int) -> Picture:
    """The picture at `path`, EXIF-upright, downscaled to fit `max_width` × `max_height` pixels (never upscaled:
    a small original stays small). A missing or undecodable file gives a Picture with a problem, never an error."""
    if path is None:
        return Picture(None, MISSING)
    try:  # JPEGs decoded at 1/2, 1/4 or 1/8 scale when that still fills the box
        image = decode(path, fit=(max(max_width, 1), max(max_height, 1))).image
        if image.width > max_width or image.height > max_height:  # bicubic: half Lanczos' time, as sharp in print
            image.thumbnail((max(max_width, 1), max(max_height, 1)), Image.Resampling.BICUBIC, reducing_gap=2.0)
        data = image.tobytes()
        rgb = QImage(data, image.width, image.height, 3 * image.width, QImage.Format.Format_RGB888)
        # RGB32 (a copy, independent of `data`): the PDF writer takes it as it is; any other format it converts
        # and scans for transparency on the painting thread.
        return Picture(rgb.convertToFormat(QImage.Format.Format_RGB32))
    except Exception as exc:  # Pillow raises far more than OSError on malformed files; none may stop an export
        log.warning("export: %s could not be read: %s", path, exc)
        return Picture(None, UNREADABLE)


PictureRequest = tuple[Path | None, int, int]  # (file, max width, max height)


def prefetched(requests: Sequence[PictureRequest], threads: int = 2, ahead: int = 6) -> Generator[Picture, None, None]:
    """`load_picture` for each (path, max_width, max_height), in order, decoding up to `ahead` pictures in threads
    while the caller paints (Pillow releases the GIL while it decodes and resizes)."""
    with ThreadPoolExecutor(threads, thread_name_prefix="export-decode") as pool:
        queued: list[Future[Picture]] = []
        try:
            for index in range(len(requests)):
                while len(queued) < ahead and index + len(queued) < len(requests):
                    queued.append(pool.submit(load_picture, *requests[index + len(queued)]))
                yield queued.pop(0).result()
        finally:
            for future in queued:
                future.cancel()
