"""Exporting a board off the GUI thread: the window asks, shows progress, may cancel, and gets the report."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Signal, Slot

from fashion_desktop.export.options import LookbookOptions
from fashion_desktop.paths import AppPaths
from fashion_desktop.workers.base import Worker

log = logging.getLogger("fashion_desktop.workers")


@dataclass(frozen=True)
class ExportRequest:
    request_id: int  # comes back with the result, so the window knows which export finished
    catalog: Path
    board_id: int
    out: Path  # .pdf, .png or .zip
    options: LookbookOptions | None = None


class BoardExportWorker(Worker):
    """Runs `export_board` on its thread with its own store connection. Emits progressed(request id, done,
    total) per item, exported(request id, ExportReport) when written, failed(request id, message) otherwise (a
    cancelled export writes nothing and says so). `cancel(request id)` (workers.base) stops that export."""

    progressed = Signal(int, int, int)
    exported = Signal(int, object)  # request id, ExportReport

    def __init__(self, paths: AppPaths) -> None:
        super().__init__()
        self.paths = paths

    @Slot(object)
    def export(self, request: object) -> None:
        from fashion_desktop.catalog.boards import Boards, installed_captioner
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.export.formats import export_board
        from fashion_desktop.export.job import ExportCancelled

        assert isinstance(request, ExportRequest)
        request_id = request.request_id
        try:
            catalog = Catalog.open(request.catalog, self.paths)
            try:
                captioner = installed_captioner(self.paths.models_search_path)
                if captioner is not None:
                    catalog.use_captioner(captioner)
                boards = Boards(catalog.store, catalog.caption_model)
                board = boards.get(request.board_id)
                report = export_board(
                    board,
                    boards.items(board.id),
                    request.out,
                    request.options,
                    on_progress=lambda done, total: self.progressed.emit(request_id, done, total),
                    cancelled=lambda: self.gate.is_cancelled(request_id),
                )
            finally:
                catalog.close()
        except ExportCancelled:
            self.failed.emit(request_id, "Export cancelled; nothing was written.")
            return
        except Exception as exc:  # every failure reaches the stylist as a message, never a dead thread
            log.exception("exporting board %d to %s failed", request.board_id, request.out)
            self.failed.emit(request_id, f"Export failed: {exc}")
            return
        log.info("exported board %d to %s: %d items, %d bytes", board.id, report.path, report.items, report.bytes)
        self.exported.emit(request_id, report)
