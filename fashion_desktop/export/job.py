"""What every export shares: progress and cancellation, its report, and writing the output atomically."""

from __future__ import annotations

import os
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

Progress = Callable[[int, int], None]  # (done, total): the window's progress bar, the command line's counter
Cancelled = Callable[[], bool]  # the worker's cancel flag (e.g. `lambda: worker.cancelled`), polled per item


class ExportCancelled(Exception):
    """The export was cancelled; nothing was written."""


@dataclass
class ExportReport:
    path: Path
    items: int = 0
    pages: int = 0  # PDF pages (cover included); 0 for the other formats
    missing: list[str] = field(default_factory=list)  # items whose file is gone (last known path)
    unreadable: list[str] = field(default_factory=list)  # files that could not be decoded or read
    seconds: float = 0.0
    bytes: int = 0


class ExportRun:
    """One export under way: counts its steps (each item, and one for the cover or the final write) for the
    progress callback, stops it (ExportCancelled) once cancelled, and fills in its report."""

    def __init__(
        self, out: Path, items: int, on_progress: Progress | None, cancelled: Cancelled | None, *, pages: int = 0
    ):
        self.report = ExportReport(out, items=items, pages=pages)
        self.total = items + 1
        self.done = 0
        self._on_progress = on_progress
        self._cancelled = cancelled
        self._started = time.monotonic()
        self.check()

    def check(self) -> None:
        if self._cancelled is not None and self._cancelled():
            raise ExportCancelled("export cancelled")

    def advance(self) -> None:
        self.done += 1
        if self._on_progress is not None:
            self._on_progress(self.done, self.total)
        self.check()

    def finish(self) -> ExportReport:
        self.report.seconds = time.monotonic() - self._started
        self.report.bytes = self.report.path.stat().st_size
        return self.report


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """A temporary file next to `out` to write into; renamed onto `out` (after an fsync) only when the block
    succeeds, removed otherwise, so a failed or cancelled export leaves neither half a file nor a stray one, and
    an older file at `out` is kept until the new one is complete."""
    out = out.expanduser()
    if not out.parent.is_dir():
        raise FileNotFoundError(f"folder not found: {out.parent}")
    temporary = _new_temporary(out)
    try:
        yield temporary
        with temporary.open("rb+") as written:
            os.fsync(written.fileno())
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)


def _new_temporary(out: Path) -> Path:
    """A new empty file beside `out`, created with the usual permissions (mkstemp's would be owner-only)."""
    while True:
        candidate = out.with_name(f".{out.name}.{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return candidate
