"""The ZIP for buyers and spreadsheets: the board's original files and a CSV describing them, in board order.

CSV cells that a spreadsheet would run as a formula (starting with =, +, -, @, a tab or a carriage return, as
OWASP lists them) are prefixed with an apostrophe, so opening the CSV never runs anything written into a product
name, caption or note.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

from fashion_desktop.catalog.boards import Board, BoardItem
from fashion_desktop.catalog.fields import FIELDS, NAME
from fashion_desktop.export.job import Cancelled, ExportReport, ExportRun, Progress, atomic_output

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Already compressed: storing them again costs time for nothing.
STORED_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
_UNSAFE_CHARACTERS = re.compile(r'[\x00-\x1f<>:"/\\|?*]')
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}

CSV_HEADER = (
    "number",
    "file",
    "product name",
    *(f.label for f in FIELDS if f.column != NAME),
    "caption",
    "note",
    "status",
    "catalog path",
)


def csv_safe(value: str) -> str:
    """`value` as a spreadsheet shows it but cannot run: a leading formula character gets an apostrophe."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def safe_file_name(name: str, fallback: str = "item") -> str:
    """A file name every system can extract: no path separators or characters Windows refuses, no reserved
    device name, no leading dot (a hidden file) or trailing dot or space."""
    cleaned = _UNSAFE_CHARACTERS.sub("_", name).strip().strip(".").strip()
    if not cleaned:
        cleaned = fallback
    stem = cleaned.split(".")[0].lower()
    return f"_{cleaned}" if stem in _WINDOWS_RESERVED else cleaned


def unique_names(names: Sequence[str]) -> list[str]:
    """`names` made distinct (ignoring case, since macOS and Windows do): `look.jpg`, `look (2).jpg`, …"""
    taken: set[str] = set()
    unique = []
    for name in names:
        path = PurePosixPath(name)
        candidate, number = name, 1
        while candidate.casefold() in taken:
            number += 1
            candidate = f"{path.stem} ({number}){path.suffix}"
        taken.add(candidate.casefold())
        unique.append(candidate)
    return unique


def export_zip(
    board: Board,
    items: Sequence[BoardItem],
    out: Path,
    *,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportReport:
    """Write a ZIP holding a folder named after the board with the items' original files and `<board>.csv`."""
    run = ExportRun(out, len(items), on_progress, cancelled)
    folder = safe_file_name(board.name, "board")
    names = unique_names([safe_file_name(item.file_name) for item in items])
    rows: list[list[str]] = []
    with (
        atomic_output(out) as temporary,
        zipfile.ZipFile(
            temporary,
            "w",
            zipfile.ZIP_DEFLATED,
            strict_timestamps=False,  # a file dated before 1980 is still exported
        ) as archive,
    ):
        for number, (item, name) in enumerate(zip(items, names, strict=True), start=1):
            status = "ok"
            if item.path is None:
                status, name = "missing", ""
                run.report.missing.append(item.last_path)
            else:
                stored = PurePosixPath(name).suffix.lower() in STORED_SUFFIXES
                try:
                    archive.write(item.path, f"{folder}/{name}", zipfile.ZIP_STORED if stored else None)
                except OSError:
                    status, name = "unreadable", ""
                    run.report.unreadable.append(item.last_path)
            rows.append(_row(number, name, item, status))
            run.advance()
        archive.writestr(f"{folder}/{folder}.csv", _csv(rows))
    run.advance()
    return run.finish()


def _row(number: int, name: str, item: BoardItem, status: str) -> list[str]:
    metadata = [item.metadata.get(f.column, "") for f in FIELDS if f.column != NAME]
    return [str(number), name, item.product_name, *metadata, item.caption or "", item.note, status, item.last_path]


def _csv(rows: list[list[str]]) -> bytes:
    """UTF-8 with a byte order mark (so Excel reads accents right), every cell quoted and made safe."""
    text = io.StringIO()
    writer = csv.writer(text, quoting=csv.QUOTE_ALL)
    writer.writerow(CSV_HEADER)
    writer.writerows([[csv_safe(cell) for cell in row] for row in rows])
    return text.getvalue().encode("utf-8-sig")
