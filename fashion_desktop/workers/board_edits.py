"""Board edits as the window asks for them: one small request type per kind of edit, applied by the boards worker
(each one transaction of the store), answered with what happened and the edit that undoes it.

The types are light (no SQL, no Qt): the window builds them, keeps the undo edits it is handed back, and sends
them again to undo.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_desktop.workers.messages import BoardEdited

if TYPE_CHECKING:
    from fashion_desktop.catalog.boards import Boards, RemovedItems


@dataclass(frozen=True)
class ItemsToAdd:
    """What a board gets: catalog items by id (results), board items by content and last path (another board's,
    missing ones too), or files by path (dropped from a file manager: only the catalog's own images are added)."""

    item_ids: tuple[int, ...] = ()
    contents: tuple[tuple[str, str], ...] = ()
    paths: tuple[Path, ...] = ()

    def __len__(self) -> int:
        return len(self.item_ids) + len(self.contents) + len(self.paths)


@dataclass(frozen=True)
class CreateBoard:
    name: str
    items: ItemsToAdd = ItemsToAdd()  # put on the new board at once ("Add to board ▸ New board…")


@dataclass(frozen=True)
class RenameBoard:
    board_id: int
    name: str


@dataclass(frozen=True)
class DuplicateBoard:
    board_id: int


@dataclass(frozen=True)
class DeleteBoard:
    board_id: int


@dataclass(frozen=True)
class RestoreBoard:
    board_id: int


@dataclass(frozen=True)
class AddToBoard:
    board_id: int
    items: ItemsToAdd


@dataclass(frozen=True)
class RemoveFromBoard:
    board_id: int
    hashes: tuple[str, ...]


@dataclass(frozen=True)
class PutBack:
    removed: RemovedItems


@dataclass(frozen=True)
class MoveOnBoard:
    board_id: int
    hashes: tuple[str, ...]
    position: int  # they go before the item now at this position (the number of items: to the end)


@dataclass(frozen=True)
class ArrangeBoard:
    board_id: int
    order: tuple[str, ...]


@dataclass(frozen=True)
class SetNote:
    board_id: int
    content_hash: str
    note: str


BoardEdit = (
    CreateBoard
    | RenameBoard
    | DuplicateBoard
    | DeleteBoard
    | RestoreBoard
    | AddToBoard
    | RemoveFromBoard
    | PutBack
    | MoveOnBoard
    | ArrangeBoard
    | SetNote
)


def counted(number: int, noun: str = "item") -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def apply_edit(boards: Boards, request_id: int, edit: BoardEdit) -> BoardEdited:
    """Do `edit`; BoardError (nothing changed) when it cannot be done."""
    if isinstance(edit, CreateBoard):
        board = boards.create(edit.name)
        text = f"Board “{board.name}” created"
        if edit.items:
            put, gone, outside = _add(boards, board.id, edit.items)
            text = f"{text} with {counted(len(put))}" + _unfound(gone, outside)
        return BoardEdited(request_id, board.id, text, DeleteBoard(board.id), f"create “{board.name}”")
    if isinstance(edit, RenameBoard):
        old = boards.get(edit.board_id).name
        board = boards.rename(edit.board_id, edit.name)
        return BoardEdited(
            request_id, board.id, f"Renamed “{old}” to “{board.name}”", RenameBoard(board.id, old), f"rename “{old}”"
        )
    if isinstance(edit, DuplicateBoard):
        source = boards.get(edit.board_id)
        copy = boards.duplicate(edit.board_id)
        text = f"Board “{copy.name}” created, a copy of “{source.name}”"
        return BoardEdited(request_id, copy.id, text, DeleteBoard(copy.id), f"duplicate “{source.name}”")
    if isinstance(edit, DeleteBoard):
        board = boards.delete(edit.board_id)
        return BoardEdited(
            request_id,
            board.id,
            f"Board “{board.name}” deleted",
            RestoreBoard(board.id),
            f"delete “{board.name}”",
            board_gone=True,
        )
    if isinstance(edit, RestoreBoard):
        board = boards.restore(edit.board_id)
        return BoardEdited(request_id, board.id, f"Board “{board.name}” restored", DeleteBoard(board.id), "restore")
    if isinstance(edit, AddToBoard):
        name = boards.get(edit.board_id).name
        added, gone, outside = _add(boards, edit.board_id, edit.items)
        already = len(edit.items) - len(added) - len(gone) - len(outside)
        text = f"Added {counted(len(added))} to “{name}”" if added else f"Nothing added to “{name}”"
        if already > 0:
            text += f"; {already} {'was' if already == 1 else 'were'} on it already"
        text += _unfound(gone, outside)
        undo: BoardEdit | None = RemoveFromBoard(edit.board_id, added) if added else None
        level = "success" if added else "error" if gone or outside else "info"
        return BoardEdited(request_id, edit.board_id, text, undo, f"add to “{name}”", level)
    if isinstance(edit, RemoveFromBoard):
        name = boards.get(edit.board_id).name
        removed = boards.remove(edit.board_id, edit.hashes)
        text = f"Removed {counted(len(removed.entries))} from “{name}”"
        return BoardEdited(request_id, edit.board_id, text, PutBack(removed), f"remove from “{name}”")
    if isinstance(edit, PutBack):
        board_id = edit.removed.board_id
        boards.put_back(edit.removed)
        hashes = tuple(e.content_hash for e in edit.removed.entries)
        text = f"Put {counted(len(hashes))} back on “{boards.get(board_id).name}”"
        return BoardEdited(request_id, board_id, text, RemoveFromBoard(board_id, hashes), "put back")
    if isinstance(edit, MoveOnBoard | ArrangeBoard):
        name = boards.get(edit.board_id).name
        before = tuple(item.content_hash for item in boards.items(edit.board_id))
        if isinstance(edit, MoveOnBoard):
            after = boards.move(edit.board_id, edit.hashes, edit.position)
        else:
            after = boards.arrange(edit.board_id, edit.order)
        moved = tuple(after) != before
        text = f"New order on “{name}”" if moved else f"The order of “{name}” is unchanged"
        arranged = ArrangeBoard(edit.board_id, before) if moved else None
        return BoardEdited(request_id, edit.board_id, text, arranged, f"reorder “{name}”", "info")
    if isinstance(edit, SetNote):
        items = {item.content_hash: item for item in boards.items(edit.board_id)}
        old = items[edit.content_hash].note if edit.content_hash in items else ""
        note = boards.set_note(edit.board_id, edit.content_hash, edit.note)
        text = "Note saved" if note else "Note removed"
        noted = SetNote(edit.board_id, edit.content_hash, old) if note != old else None
        return BoardEdited(request_id, edit.board_id, text, noted, "note", "info")
    raise TypeError(f"not a board edit: {edit!r}")


def _add(boards: Boards, board_id: int, items: ItemsToAdd) -> tuple[tuple[str, ...], list[str], list[str]]:
    """(content hashes added, item ids no longer in the catalog, paths that are not images of the catalog)."""
    added: list[str] = []
    gone: list[str] = []
    outside: list[str] = []
    if items.item_ids:
        result = boards.add(board_id, items.item_ids)
        added += result.added
        gone += result.not_found
    if items.contents:
        added += boards.add_contents(board_id, items.contents).added
    if items.paths:
        result = boards.add_paths(board_id, items.paths)
        added += result.added
        outside += result.not_found
    return tuple(added), gone, outside


def _unfound(gone: list[str], outside: list[str]) -> str:
    text = ""
    if gone:
        text += f"; {counted(len(gone))} no longer in the catalog"
    if outside:
        names = ", ".join(Path(path).name for path in outside[:3]) + ("…" if len(outside) > 3 else "")
        text += f"; not images of this catalog: {names}"
    return text
