"""Random board edits, and a plain-Python model of what they should do: the kill test's child process applies them
to a real store (`python -m tests.board_edits STORE_DIR SEED`, printing how many are committed), and the test
replays them on the model to know every state the store may be in.

The model is written independently of catalog/boards.py on purpose: it is the oracle."""

from __future__ import annotations

import itertools
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from fashion_desktop.catalog.boards import Boards
from fashion_desktop.catalog.store import CatalogStore

HASHES = [f"{index:032x}" for index in range(80)]  # contents; no catalog file holds them (they are all missing)


class Edit(NamedTuple):
    kind: str  # create, rename, duplicate, delete, restore, add, remove, move, note
    board: int = 0
    name: str = ""
    hashes: tuple[str, ...] = ()
    position: int | None = None
    text: str = ""


@dataclass
class ModelBoard:
    name: str
    items: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    deleted: bool = False


State = dict[int, tuple[str, bool, tuple[tuple[str, str], ...]]]  # id → (name, deleted, ((hash, note), …))


class Model:
    def __init__(self) -> None:
        self.boards: dict[int, ModelBoard] = {}
        self.next_id = 1
        self.names = 0

    def state(self) -> State:
        return {
            board_id: (b.name, b.deleted, tuple((h, b.notes.get(h, "")) for h in b.items))
            for board_id, b in self.boards.items()
        }

    def new_name(self) -> str:
        self.names += 1
        return f"board {self.names}"

    def propose(self, rng: random.Random) -> Edit:
        """A random edit that makes sense in the current state."""
        live = [i for i, b in self.boards.items() if not b.deleted]
        trashed = [i for i, b in self.boards.items() if b.deleted]
        if not live:
            return Edit("create", name=self.new_name())
        board = rng.choice(live)
        items = self.boards[board].items
        kind = rng.choices(
            ["create", "rename", "duplicate", "delete", "restore", "add", "remove", "move", "note"],
            weights=[1, 1, 1, 1, 1 if trashed else 0, 5, 2, 4, 3 if items else 0],
        )[0]
        if kind == "create":
            return Edit("create", name=self.new_name())
        if kind in ("rename", "duplicate"):
            return Edit(kind, board, name=self.new_name())
        if kind == "delete":
            return Edit("delete", board)
        if kind == "restore":
            return Edit("restore", rng.choice(trashed))
        if kind == "add":
            position = rng.choice([None, rng.randint(0, len(items))])
            return Edit("add", board, hashes=tuple(rng.sample(HASHES, rng.randint(1, 30))), position=position)
        if kind == "remove":
            return Edit("remove", board, hashes=tuple(rng.sample(HASHES, rng.randint(1, 10))))
        if kind == "move":
            hashes = tuple(rng.sample(HASHES, rng.randint(1, 20)))
            return Edit("move", board, hashes=hashes, position=rng.randint(0, len(items)))
        return Edit("note", board, hashes=(rng.choice(items),), text=f"note {rng.random():.6f}")

    def apply(self, edit: Edit) -> None:
        if edit.kind == "create":
            self.boards[self.next_id] = ModelBoard(edit.name)
            self.next_id += 1
            return
        board = self.boards[edit.board]
        if edit.kind == "rename":
            board.name = edit.name
        elif edit.kind == "duplicate":
            self.boards[self.next_id] = ModelBoard(edit.name, list(board.items), dict(board.notes))
            self.next_id += 1
        elif edit.kind in ("delete", "restore"):
            board.deleted = edit.kind == "delete"
        elif edit.kind == "add":
            fresh = [h for h in dict.fromkeys(edit.hashes) if h not in board.items]
            at = len(board.items) if edit.position is None else edit.position
            board.items[at:at] = fresh
        elif edit.kind == "remove":
            board.items = [h for h in board.items if h not in edit.hashes]
            board.notes = {h: n for h, n in board.notes.items() if h not in edit.hashes}
        elif edit.kind == "move":
            at = edit.position or 0
            board.items = (
                [h for h in board.items[:at] if h not in edit.hashes]
                + [h for h in board.items if h in edit.hashes]
                + [h for h in board.items[at:] if h not in edit.hashes]
            )
        elif edit.kind == "note":
            board.notes[edit.hashes[0]] = edit.text


def apply_to_store(boards: Boards, edit: Edit) -> None:
    if edit.kind == "create":
        boards.create(edit.name)
    elif edit.kind == "rename":
        boards.rename(edit.board, edit.name)
    elif edit.kind == "duplicate":
        boards.duplicate(edit.board, edit.name)
    elif edit.kind == "delete":
        boards.delete(edit.board)
    elif edit.kind == "restore":
        boards.restore(edit.board)
    elif edit.kind == "add":
        boards.add_contents(edit.board, [(h, f"gone/{h}.jpg") for h in edit.hashes], edit.position)
    elif edit.kind == "remove":
        boards.remove(edit.board, edit.hashes)
    elif edit.kind == "move":
        boards.move(edit.board, edit.hashes, edit.position or 0)
    elif edit.kind == "note":
        boards.set_note(edit.board, edit.hashes[0], edit.text)


def store_state(boards: Boards) -> State:
    """What the store holds, in the model's terms; also checks that positions are 0..n-1."""
    state: State = {}
    for board in boards.all() + boards.trash():
        entries = boards.store.boards.entries(board.id)
        assert [e.position for e in entries] == list(range(len(entries))), f"positions of {board.name} not dense"
        state[board.id] = (board.name, board.deleted is not None, tuple((e.content_hash, e.note) for e in entries))
    return state


def edits(seed: int) -> Iterator[Edit]:
    """The same endless sequence of edits for the child and for the test's replay."""
    rng, model = random.Random(seed), Model()
    while True:
        edit = model.propose(rng)
        model.apply(edit)
        yield edit


def open_boards(store_dir: Path) -> Boards:
    return Boards(CatalogStore(store_dir, store_dir / "catalog", "kill-test-model", 8))


def main(store_dir: str, seed: str, count: str) -> None:
    boards = open_boards(Path(store_dir))
    print("ready", flush=True)
    for done, edit in enumerate(itertools.islice(edits(int(seed)), int(count)), start=1):
        apply_to_store(boards, edit)
        print(done, flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
