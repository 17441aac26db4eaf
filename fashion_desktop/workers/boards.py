"""Boards off the GUI thread: the boards worker lists, shows and edits the boards of the open catalog (each edit
one transaction, answered with the edit that undoes it); the export worker writes lookbooks, contact sheets and
ZIPs, reporting progress and stopping when cancelled. Two threads: a long export never holds up an edit."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal, Slot

from fashion_desktop.export.options import LookbookOptions
from fashion_desktop.models.manifest import ModelFilesError
from fashion_desktop.paths import AppPaths
from fashion_desktop.workers.base import Worker
from fashion_desktop.workers.board_edits import BoardEdit, apply_edit
from fashion_desktop.workers.messages import BoardCard, BoardEdited, BoardShown, BoardsListed, BoardSummary

if TYPE_CHECKING:  # imported at run time inside the slots, on the worker's thread
    from fashion_desktop.catalog.boards import Board, BoardItem, Boards
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.workers.engine import SharedEmbedder

log = logging.getLogger("fashion_desktop.workers")


def summary(board: Board) -> BoardSummary:
    return BoardSummary(board.id, board.name, board.count)


def card(item: BoardItem, root: Path) -> BoardCard:
    return BoardCard(
        content_hash=item.content_hash,
        note=item.note,
        path=item.path if item.path is not None else root / item.last_path,
        last_path=item.last_path,
        missing=item.missing,
        item_id=item.item_id,
        metadata=item.metadata,
        caption=item.caption,
    )


class BoardsWorker(Worker):
    """The boards of the window's catalog, on its own store connection. Answers: listed(BoardsListed) after
    opening, after every edit and when another program changed boards (`poll`); shown(BoardShown);
    edited(BoardEdited); failed(request id, message) when an edit cannot be done (nothing changed then)."""

    listed = Signal(BoardsListed)
    shown = Signal(BoardShown)
    edited = Signal(BoardEdited)

    def __init__(self, paths: AppPaths, embedder: SharedEmbedder) -> None:
        super().__init__()
        self.paths = paths
        self.embedder = embedder
        self._catalog: Catalog | None = None
        self._boards: Boards | None = None
        self._folder = ""
        self._version = -1

    @Slot(int, str)
    def open_catalog(self, request_id: int, folder: str) -> None:
        from fashion_desktop.catalog.boards import Boards, installed_captioner
        from fashion_desktop.catalog.catalog import Catalog

        self.close()
        try:
            # The shared embedder only names the store's vectors here: boards never embed.
            catalog = Catalog.open(Path(folder), self.paths, embedder=self.embedder.get())
            captioner = installed_captioner(self.paths.models_search_path)
            if captioner is not None:
                catalog.use_captioner(captioner)  # board items carry the captions cached for them
        except ModelFilesError as exc:
            self.modelProblem.emit(str(exc))
            return
        except Exception as exc:
            log.exception("opening the boards of %s failed", folder)
            self.failed.emit(request_id, f"Boards unavailable: {exc}")
            return
        self._catalog, self._folder = catalog, folder
        self._boards = Boards(catalog.store, catalog.caption_model)
        self._list(request_id)

    @Slot(int)
    def list_boards(self, request_id: int) -> None:
        self._list(request_id)

    def _list(self, request_id: int, elsewhere: bool = False) -> None:
        if self._boards is None:
            return
        try:
            self._version = self._boards.version()
            boards = [summary(board) for board in self._boards.all()]
        except Exception as exc:
            log.exception("listing boards failed")
            self.failed.emit(request_id, f"Reading the boards failed: {exc}")
            return
        self.listed.emit(BoardsListed(request_id, self._folder, boards, elsewhere))

    @Slot(int)
    def poll(self, request_id: int) -> None:
        """Another program (the command line, another window) may have edited the boards: list them again if so."""
        if self._boards is not None and self._boards.version() != self._version:
            self._list(request_id, elsewhere=True)

    @Slot(int, int)
    def show(self, request_id: int, board_id: int) -> None:
        """A board's items in order, each resolved now (where its file is, or missing)."""
        from fashion_desktop.catalog.boards import BoardError

        if self._boards is None or self._catalog is None:
            return
        try:
            board = self._boards.get(board_id)
            cards = [card(item, self._catalog.root) for item in self._boards.items(board_id)]
        except BoardError as exc:
            self.failed.emit(request_id, f"Cannot show the board: {exc}")
            return
        except Exception as exc:
            log.exception("reading board %d failed", board_id)
            self.failed.emit(request_id, f"Reading the board failed: {exc}")
            return
        shown = BoardShown(request_id, summary(board), cards)
        log.info("board %d shown: %d items, %d missing", board_id, len(cards), shown.missing)
        self.shown.emit(shown)

    @Slot(int, object)
    def edit(self, request_id: int, edit: BoardEdit) -> None:
        from fashion_desktop.catalog.boards import BoardError

        if self._boards is None:
            self.failed.emit(request_id, "No catalog is open yet.")
            return
        try:
            done = apply_edit(self._boards, request_id, edit)
        except BoardError as exc:
            self.failed.emit(request_id, str(exc)[:1].upper() + str(exc)[1:])
            return
        except Exception as exc:
            log.exception("board edit %r failed", edit)
            self.failed.emit(request_id, f"The board could not be changed: {exc}")
            return
        log.info("board edit: %s", done.text)
        self.edited.emit(done)
        self._list(request_id)

    @Slot()
    def close(self) -> None:
        if self._catalog is not None:
            self._catalog.close()
        self._catalog, self._boards = None, None


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

    def __init__(self, paths: AppPaths, embedder: SharedEmbedder | None = None) -> None:
        super().__init__()
        self.paths = paths
        self.embedder = embedder  # the window's one ResNet session (it only names the store's vectors here)

    @Slot(object)
    def export(self, request: object) -> None:
        from fashion_desktop.catalog.boards import Boards, installed_captioner
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.export.formats import export_board
        from fashion_desktop.export.job import ExportCancelled

        assert isinstance(request, ExportRequest)
        request_id = request.request_id
        try:
            shared = self.embedder.get() if self.embedder is not None else None
            catalog = Catalog.open(request.catalog, self.paths, embedder=shared)
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
