"""Boards: named, ordered collections of catalog items with a short note each, for a shoot, a client or a buyer.

An item on a board is its content (the content hash), not its path: it follows its file through renames and
moves, and when no file holds that content any more it stays on the board, marked missing, until one does again.
Every edit is one transaction of the store (`BoardTables.writing`): a crash or kill leaves each board as it was
before or after the edit. Deleting a board moves it to a trash from which `restore` brings it back (the undo of
the window); `remove` returns what it removed so that `put_back` can undo it too.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from fashion_desktop.catalog.fields import NAME
from fashion_desktop.catalog.scan import content_hash
from fashion_desktop.catalog.store import Board, BoardEntry, BoardTables, CatalogStore
from fashion_desktop.imaging import IMAGE_SUFFIXES

if TYPE_CHECKING:
    from fashion_desktop.models.captioner import Captioner

__all__ = ["AddResult", "Board", "BoardError", "BoardItem", "Boards", "RemovedItems", "installed_captioner"]

log = logging.getLogger("fashion_desktop.catalog.boards")

NAME_LIMIT = 100  # characters in a board's name
NOTE_LIMIT = 1000  # characters in an item's note: a short note, not a document
TRASH_DAYS = 30  # a deleted board can be restored for this long


class BoardError(ValueError):
    """A board edit that cannot be done (no such board, a name already taken, a note too long); nothing changed."""


@dataclass(frozen=True)
class BoardItem:
    """One item of a board as it stands now: its stored entry resolved against the catalog."""

    content_hash: str
    position: int
    note: str
    added: float
    last_path: str  # relative to the catalog root: where the content is, or was last seen
    item_id: int | None  # the catalog item holding the content now; None when missing or not scanned yet
    path: Path | None  # absolute path of the file holding the content now; None when missing
    metadata: dict[str, str] = field(default_factory=dict)  # styles.csv fields (by the file's stem)
    caption: str | None = None  # cached caption by the catalog's current captioning model

    @property
    def missing(self) -> bool:
        """No file of the catalog holds this content (deleted, or outside the catalog now)."""
        return self.path is None

    @property
    def file_name(self) -> str:
        return PurePosixPath(self.last_path).name

    @property
    def product_name(self) -> str:
        """The styles.csv product name, else the file name."""
        return self.metadata.get(NAME) or self.file_name


@dataclass(frozen=True)
class AddResult:
    added: tuple[str, ...]  # content hashes put on the board, in board order
    already: tuple[str, ...]  # were on it already (left where they were)
    not_found: tuple[str, ...] = ()  # inputs that are not catalog items (paths as given, or item ids)


@dataclass(frozen=True)
class RemovedItems:
    """What `remove` took off a board, with positions and notes: hand it to `put_back` to undo."""

    board_id: int
    entries: tuple[BoardEntry, ...]


class Boards:
    """The boards of one catalog. Like the store it works on, not thread-safe: one per thread."""

    def __init__(self, store: CatalogStore, caption_model: str | None = None):
        self.store = store
        self.root = store.root
        self.caption_model = caption_model  # whose cached captions board items carry (None: no captions)

    @property
    def _tables(self) -> BoardTables:
        return self.store.boards

    def version(self) -> int:
        """Changes when another connection edits boards (the window polls it to refresh)."""
        return self._tables.data_version()

    # -- the boards ------------------------------------------------------------------------------------------
    def all(self) -> list[Board]:
        """Live boards, by name."""
        return self._tables.boards()

    def trash(self) -> list[Board]:
        """Deleted boards that can still be restored, most recently deleted first."""
        return self._tables.boards(deleted=True)

    def get(self, board_id: int) -> Board:
        board = self._tables.board(board_id)
        if board is None or board.deleted is not None:
            raise BoardError("that board no longer exists")
        return board

    def find(self, name: str) -> Board | None:
        return self._tables.live_board_named(_clean_name(name))

    def named(self, name: str) -> Board:
        board = self.find(name)
        if board is None:
            known = ", ".join(repr(b.name) for b in self.all()) or "none yet"
            raise BoardError(f"no board named {name!r} (boards: {known})")
        return board

    def create(self, name: str) -> Board:
        name = _clean_name(name)
        with self._tables.writing():
            if self._tables.live_board_named(name) is not None:
                raise BoardError(f"a board named {name!r} already exists")
            board_id = self._tables.insert_board(name, time.time())
        log.info("board %d %r created", board_id, name)
        return self.get(board_id)

    def open_or_create(self, name: str) -> Board:
        with self._tables.writing():
            return self.find(name) or self.create(name)

    def rename(self, board_id: int, name: str) -> Board:
        name = _clean_name(name)
        with self._tables.writing():
            self.get(board_id)
            other = self._tables.live_board_named(name)
            if other is not None and other.id != board_id:
                raise BoardError(f"a board named {name!r} already exists")
            self._tables.rename_board(board_id, name, time.time())
        return self.get(board_id)

    def duplicate(self, board_id: int, name: str | None = None) -> Board:
        """A new board with the same items, order and notes ("NAME copy" unless named)."""
        with self._tables.writing():
            source = self.get(board_id)
            new_name = self._free_name(f"{source.name} copy") if name is None else _clean_name(name)
            copy = self.create(new_name)
            now = time.time()
            entries = self._tables.entries(board_id)
            self._tables.insert_entries(copy.id, [replace(e, added=now) for e in entries])
        return self.get(copy.id)

    def delete(self, board_id: int) -> Board:
        """Move a board to the trash (undo: `restore(board.id)`); boards in the trash for more than TRASH_DAYS
        are forgotten."""
        with self._tables.writing():
            board = self.get(board_id)
            now = time.time()
            self._tables.set_deleted(board_id, now)
            self.purge_trash(older_than=TRASH_DAYS * 86400)
        log.info("board %d %r moved to the trash", board_id, board.name)
        return board

    def restore(self, board_id: int) -> Board:
        """Bring a deleted board back (renamed "NAME (restored)" if a live board took its name meanwhile)."""
        with self._tables.writing():
            board = self._tables.board(board_id)
            if board is None:
                raise BoardError("that board is no longer in the trash")
            if board.deleted is None:
                return board
            if self._tables.live_board_named(board.name) is not None:
                self._tables.rename_board(board_id, self._free_name(f"{board.name} (restored)"), time.time())
            self._tables.set_deleted(board_id, None)
        return self.get(board_id)

    def purge_trash(self, older_than: float = 0.0) -> int:
        """Forget boards deleted more than `older_than` seconds ago (0: empty the trash)."""
        with self._tables.writing():
            return self._tables.purge_deleted(time.time() - older_than)

    # -- items -----------------------------------------------------------------------------------------------
    def items(self, board_id: int) -> list[BoardItem]:
        """The board's items in order, each resolved now: where its content is, its metadata and caption."""
        self.get(board_id)
        entries = self._tables.entries(board_id)
        located = self._locate(entries)
        paths = {e.content_hash: located.get(e.content_hash, (None, e.last_path))[1] for e in entries}
        moved = {e.content_hash: paths[e.content_hash] for e in entries if paths[e.content_hash] != e.last_path}
        if moved:  # remembered, so that a file missing later is named by where it was last seen
            with self._tables.writing():
                self._tables.set_last_paths(moved)
        styles = self.store.styles_for_stems({PurePosixPath(path).stem for path in paths.values()})
        captions = self.store.captions_for_hashes(located, self.caption_model) if self.caption_model else {}
        return [
            BoardItem(
                content_hash=entry.content_hash,
                position=entry.position,
                note=entry.note,
                added=entry.added,
                last_path=paths[entry.content_hash],
                item_id=located[entry.content_hash][0] if entry.content_hash in located else None,
                path=self.root / paths[entry.content_hash] if entry.content_hash in located else None,
                metadata=styles.get(PurePosixPath(paths[entry.content_hash]).stem, {}),
                caption=captions.get(entry.content_hash),
            )
            for entry in entries
        ]

    def _locate(self, entries: Sequence[BoardEntry]) -> dict[str, tuple[int | None, str]]:
        """Content hash → (catalog item id, path relative to the root) of each entry whose content is in the
        catalog folder now. The store's items as of the last scan are trusted while their file is unchanged
        (same size and time); a file at the entry's last path that was not scanned since it came back is
        recognised by its content. Entries found nowhere are missing."""
        holders = self.store.items_with_hashes([e.content_hash for e in entries])
        located: dict[str, tuple[int | None, str]] = {}
        for entry in entries:
            for item in holders.get(entry.content_hash, []):
                if _unchanged(self.root / item.path, item.size, item.mtime_ns):
                    located[entry.content_hash] = (item.id, item.path)
                    break
            else:
                candidate = self.root / entry.last_path
                if candidate.is_file() and self._hash_of(candidate) == entry.content_hash:
                    known = self.store.item_at(entry.last_path)
                    located[entry.content_hash] = (known.id if known is not None else None, entry.last_path)
        return located

    def add(self, board_id: int, item_ids: Sequence[int], position: int | None = None) -> AddResult:
        """Put catalog items (by item id, as results carry them) on a board in the given order, at `position`
        (None: at the end). An item already on the board stays where it is."""
        items = self.store.items(item_ids)
        found: list[tuple[str, str]] = []
        not_found: list[str] = []
        for item_id in item_ids:
            item = items.get(item_id)
            digest = item.content_hash if item is not None else None
            if item is not None and digest is None:  # not indexed yet: its identity is its content all the same
                digest = self._hash_of(self.root / item.path)
            if item is None or digest is None:
                not_found.append(str(item_id))
            else:
                found.append((digest, item.path))
        result = self.add_contents(board_id, found, position)
        return AddResult(result.added, result.already, tuple(not_found))

    def add_paths(self, board_id: int, paths: Sequence[Path], position: int | None = None) -> AddResult:
        """Like `add`, by file path (the command line, files dropped from a file manager); a path that is not an
        image file of this catalog is reported in `not_found` and nothing is added for it."""
        found: list[tuple[str, str]] = []
        not_found: list[str] = []
        for path in paths:
            entry = self.identify(path)
            if entry is None:
                not_found.append(str(path))
            else:
                found.append(entry)
        result = self.add_contents(board_id, found, position)
        return AddResult(result.added, result.already, tuple(not_found))

    def identify(self, path: Path) -> tuple[str, str] | None:
        """(content hash, path relative to the root) of a catalog image file, or None when `path` is not one
        (outside the catalog folder, hidden, not an image, not a file)."""
        relative = self._relative(path)
        if relative is None:
            return None
        parts = PurePosixPath(relative).parts
        hidden = any(part.startswith(".") for part in parts)  # the scan skips hidden files and folders
        if not parts or hidden or PurePosixPath(relative).suffix.lower() not in IMAGE_SUFFIXES:
            return None
        absolute = self.root / relative
        if not absolute.is_file():
            return None
        known = self.store.item_at(relative)
        if known is not None and known.content_hash is not None and _unchanged(absolute, known.size, known.mtime_ns):
            return known.content_hash, known.path
        digest = self._hash_of(absolute)
        return (digest, relative) if digest is not None else None

    def _relative(self, path: Path) -> str | None:
        """`path` relative to the catalog root as the scan writes it (forward slashes), whether it is given through
        a symlinked folder of the catalog (as the scan follows them) or through a link to the catalog itself."""
        given = Path(os.path.normpath(path.expanduser().absolute()))
        for candidate in (given, given.resolve()):
            try:
                return candidate.relative_to(self.root).as_posix()
            except ValueError:
                continue
        return None

    def _hash_of(self, path: Path) -> str | None:
        try:
            return content_hash(path)
        except OSError as exc:
            log.warning("cannot read %s: %s", path, exc)
            return None

    def add_contents(
        self, board_id: int, contents: Iterable[tuple[str, str]], position: int | None = None
    ) -> AddResult:
        """Like `add`, by (content hash, last known path relative to the root): e.g. items dragged from another
        board, which may be missing."""
        with self._tables.writing():
            self.get(board_id)
            entries = self._tables.entries(board_id)
            present = {e.content_hash for e in entries}
            fresh: dict[str, str] = {}
            already: list[str] = []
            for digest, path in contents:
                if digest in present:
                    already.append(digest)
                elif digest not in fresh:
                    fresh[digest] = path
            if fresh:
                now = time.time()
                at = len(entries) if position is None else min(max(position, 0), len(entries))
                order = [e.content_hash for e in entries]
                order[at:at] = list(fresh)
                self._tables.insert_entries(board_id, [BoardEntry(h, -1, "", p, now) for h, p in fresh.items()])
                self._tables.write_order(board_id, order)
                self._tables.touch(board_id, now)
        return AddResult(tuple(fresh), tuple(dict.fromkeys(already)))

    def remove(self, board_id: int, hashes: Iterable[str]) -> RemovedItems:
        """Take these contents off the board (those not on it are ignored); undo with `put_back`."""
        wanted = set(hashes)
        with self._tables.writing():
            self.get(board_id)
            entries = self._tables.entries(board_id)
            removed = tuple(e for e in entries if e.content_hash in wanted)
            if removed:
                self._tables.delete_entries(board_id, [e.content_hash for e in removed])
                self._tables.write_order(board_id, [e.content_hash for e in entries if e.content_hash not in wanted])
                self._tables.touch(board_id, time.time())
        return RemovedItems(board_id, removed)

    def put_back(self, removed: RemovedItems) -> None:
        """Undo a `remove`: the items return to their former positions, with their notes."""
        with self._tables.writing():
            self.get(removed.board_id)
            order = [e.content_hash for e in self._tables.entries(removed.board_id)]
            back = [e for e in removed.entries if e.content_hash not in order]
            for entry in sorted(back, key=lambda e: e.position):
                order.insert(min(entry.position, len(order)), entry.content_hash)
            self._tables.insert_entries(removed.board_id, back)
            self._tables.write_order(removed.board_id, order)
            self._tables.touch(removed.board_id, time.time())

    def move(self, board_id: int, hashes: Sequence[str], position: int) -> list[str]:
        """Move items (keeping their order on the board) so that they stand before the item now at `position`
        (0: to the front; the number of items: to the end), as a drop between two tiles does. Returns the new
        order."""
        moving = set(hashes)
        with self._tables.writing():
            self.get(board_id)
            order = [e.content_hash for e in self._tables.entries(board_id)]
            position = min(max(position, 0), len(order))
            moved = [h for h in order if h in moving]
            before = [h for h in order[:position] if h not in moving]
            after = [h for h in order[position:] if h not in moving]
            new_order = before + moved + after
            if new_order != order:
                self._tables.write_order(board_id, new_order)
                self._tables.touch(board_id, time.time())
        return new_order

    def arrange(self, board_id: int, order: Sequence[str]) -> list[str]:
        """Put the board's items in this order (the undo of a `move`): contents not on the board are ignored, and
        items `order` leaves out keep their order after the others. Returns the new order."""
        with self._tables.writing():
            self.get(board_id)
            current = [e.content_hash for e in self._tables.entries(board_id)]
            on_board = set(current)
            named = [h for h in dict.fromkeys(order) if h in on_board]
            new_order = named + [h for h in current if h not in set(named)]
            if new_order != current:
                self._tables.write_order(board_id, new_order)
                self._tables.touch(board_id, time.time())
        return new_order

    def set_note(self, board_id: int, content_hash: str, note: str) -> str:
        """Set an item's note (surrounding blank space trimmed; empty clears it). Returns the note as kept."""
        note = note.strip()
        if len(note) > NOTE_LIMIT:
            raise BoardError(f"a note holds at most {NOTE_LIMIT} characters (this one has {len(note)})")
        with self._tables.writing():
            self.get(board_id)
            if not self._tables.set_note(board_id, content_hash, note):
                raise BoardError("that item is not on the board")
            self._tables.touch(board_id, time.time())
        return note

    def entry_for_path(self, board_id: int, path: Path) -> str | None:
        """The content hash of the item of this board that `path` names: the file's content when it is a catalog
        file, else the missing item last seen at that path."""
        identified = self.identify(path)
        entries = self._tables.entries(board_id)
        hashes = {e.content_hash for e in entries}
        if identified is not None and identified[0] in hashes:
            return identified[0]
        relative = self._relative(path)
        return next((e.content_hash for e in entries if e.last_path == relative), None)

    def _free_name(self, wanted: str) -> str:
        """`wanted`, or `wanted 2`, `wanted 3`… whichever no live board has."""
        wanted = _clean_name(wanted)
        candidate, number = wanted, 1
        while self._tables.live_board_named(candidate) is not None:
            number += 1
            candidate = f"{wanted[: NAME_LIMIT - len(str(number)) - 1]} {number}"
        return candidate


def installed_captioner(models_search_path: Sequence[Path]) -> Captioner | None:
    """The installed captioning model, read from its manifest only (no session starts): exports carry the captions
    it cached (`Catalog.use_captioner`). None when there is none."""
    from fashion_desktop.models.captioner import Captioner
    from fashion_desktop.models.manifest import BLIP_DIR, ModelFilesError, find_model_dir

    try:
        return Captioner(find_model_dir(BLIP_DIR, models_search_path))
    except ModelFilesError:
        return None


def _unchanged(path: Path, size: int, mtime_ns: int) -> bool:
    try:
        stat = path.stat()
    except OSError:
        return False
    return (stat.st_size, stat.st_mtime_ns) == (size, mtime_ns)


def _clean_name(name: str) -> str:
    """A board name on one line, without surrounding or repeated blank space; refused when empty or too long."""
    cleaned = re.sub(r"\s+", " ", name).strip()
    if not cleaned:
        raise BoardError("a board needs a name")
    if len(cleaned) > NAME_LIMIT:
        raise BoardError(f"a board name holds at most {NAME_LIMIT} characters")
    return cleaned
