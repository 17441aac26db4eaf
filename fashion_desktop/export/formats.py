"""One entry point for every export format, chosen by the output's suffix (what the window's save dialog and the
command line's OUT both give)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fashion_desktop.catalog.boards import Board, BoardItem
from fashion_desktop.export.archive import export_zip
from fashion_desktop.export.contact_sheet import export_contact_sheet
from fashion_desktop.export.job import Cancelled, ExportReport, Progress
from fashion_desktop.export.lookbook import export_pdf
from fashion_desktop.export.options import LookbookOptions

FORMATS = {".pdf": "PDF lookbook", ".png": "contact sheet (PNG)", ".zip": "original files and a CSV (ZIP)"}


def export_board(
    board: Board,
    items: Sequence[BoardItem],
    out: Path,
    options: LookbookOptions | None = None,
    *,
    on_progress: Progress | None = None,
    cancelled: Cancelled | None = None,
) -> ExportReport:
    """Export `items` (the board's, in order) to `out`: .pdf, .png or .zip. `options` shape the lookbook (and date
    the contact sheet). Raises ExportCancelled when cancelled, leaving no file; ValueError for another suffix."""
    suffix = out.suffix.lower()
    if suffix == ".pdf":
        return export_pdf(board, items, out, options, on_progress=on_progress, cancelled=cancelled)
    if suffix == ".png":
        date = options.date if options is not None else None
        return export_contact_sheet(board, items, out, date=date, on_progress=on_progress, cancelled=cancelled)
    if suffix == ".zip":
        return export_zip(board, items, out, on_progress=on_progress, cancelled=cancelled)
    raise ValueError(f"export to a file ending in {', '.join(FORMATS)}, not {out.name!r}")
