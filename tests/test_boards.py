"""Boards: named, ordered collections of catalog items with notes, kept by content across renames, moves and
deletions, and crash-safe."""

from __future__ import annotations

import itertools
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fashion_desktop.catalog.boards import NOTE_LIMIT, BoardError, Boards
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.store import BOARDS_DB_FILE, DB_FILE, CatalogStore
from fashion_desktop.paths import AppPaths
from tests import board_edits
from tests.board_support import make_board_catalog, snapshot
from tests.support import REPO


@pytest.fixture
def catalog(tmp_path: Path, app_paths: AppPaths) -> Iterator[Catalog]:
    """An indexed catalog of 8 product photos (tops/look1.jpg, shoes/look0.jpg, …) with a styles.csv."""
    make_board_catalog(tmp_path / "catalog")
    opened = Catalog.open(tmp_path / "catalog", app_paths)
    opened.index()
    yield opened
    opened.close()


def item_ids(catalog: Catalog, *names: str) -> list[int]:
    by_path = catalog.store.items_by_path()
    return [by_path[name].id for name in names]


def paths_on(boards: Boards, board_id: int) -> list[str]:
    return [item.last_path for item in boards.items(board_id)]


def test_create_rename_duplicate_delete_and_restore(catalog: Catalog) -> None:
    boards = Boards(catalog.store)
    shoot = boards.create("  Summer\n shoot ")
    assert shoot.name == "Summer shoot" and boards.find("summer SHOOT") == shoot
    for bad, message in (("", "needs a name"), ("x" * 101, "at most 100"), ("SUMMER SHOOT", "already exists")):
        with pytest.raises(BoardError, match=message):
            boards.create(bad)
    boards.add(shoot.id, item_ids(catalog, "tops/look1.jpg", "shoes/look0.jpg"))
    boards.set_note(shoot.id, boards.items(shoot.id)[0].content_hash, "hem")
    client = boards.create("Client")
    with pytest.raises(BoardError, match="already exists"):
        boards.rename(client.id, "summer shoot")
    assert boards.rename(client.id, "Client — Milan").name == "Client — Milan"

    copy = boards.duplicate(shoot.id)
    assert copy.name == "Summer shoot copy" and boards.duplicate(shoot.id).name == "Summer shoot copy 2"
    with_notes = [("tops/look1.jpg", "hem"), ("shoes/look0.jpg", "")]
    assert [(i.last_path, i.note) for i in boards.items(copy.id)] == with_notes
    names = ["Client — Milan", "Summer shoot", "Summer shoot copy", "Summer shoot copy 2"]
    assert [b.name for b in boards.all()] == names

    boards.delete(shoot.id)
    assert boards.find("Summer shoot") is None and [b.name for b in boards.trash()] == ["Summer shoot"]
    with pytest.raises(BoardError, match="no longer exists"):
        boards.items(shoot.id)
    restored = boards.restore(shoot.id)
    assert restored.name == "Summer shoot" and restored.count == 2 and boards.trash() == []
    assert [(i.last_path, i.note) for i in boards.items(shoot.id)] == with_notes

    boards.delete(shoot.id)
    boards.create("Summer shoot")  # the name is free again while the old board is in the trash
    assert boards.restore(shoot.id).name == "Summer shoot (restored)"
    boards.delete(client.id)
    assert boards.purge_trash(older_than=3600) == 0 and len(boards.trash()) == 1
    assert boards.purge_trash() == 1 and boards.trash() == []
    with pytest.raises(BoardError, match="no longer in the trash"):
        boards.restore(client.id)


def test_add_keeps_the_order_given_and_ignores_items_already_there(catalog: Catalog, tmp_path: Path) -> None:
    boards = Boards(catalog.store)
    board = boards.create("Looks")
    first = boards.add(board.id, item_ids(catalog, "tops/look3.jpg", "shoes/look0.jpg", "tops/look3.jpg"))
    assert len(first.added) == 2 and first.already == ()
    assert paths_on(boards, board.id) == ["tops/look3.jpg", "shoes/look0.jpg"]
    again = boards.add(board.id, item_ids(catalog, "shoes/look0.jpg", "tops/look5.jpg", "shoes/look2.jpg"), position=1)
    assert len(again.added) == 2 and len(again.already) == 1
    assert paths_on(boards, board.id) == ["tops/look3.jpg", "tops/look5.jpg", "shoes/look2.jpg", "shoes/look0.jpg"]
    assert boards.add(board.id, [999_999]).not_found == ("999999",)

    root = catalog.root
    outside = tmp_path / "elsewhere.jpg"
    shutil.copy(root / "tops/look7.jpg", outside)  # same content as a catalog item, but not a catalog file
    (root / ".hidden.jpg").write_bytes((root / "tops/look7.jpg").read_bytes())
    (root / "notes.txt").write_text("not an image")
    result = boards.add_paths(
        board.id, [outside, root / ".hidden.jpg", root / "notes.txt", root / "nope.jpg", root / "tops/look7.jpg"]
    )
    assert len(result.not_found) == 4 and len(result.added) == 1
    assert paths_on(boards, board.id)[-1] == "tops/look7.jpg"
    link = tmp_path / "link-to-catalog"
    link.symlink_to(root)  # the same file reached through a link to the catalog is the same item
    assert boards.add_paths(board.id, [link / "tops" / "look7.jpg"]).already == result.added
    assert boards.get(board.id).count == 5


def test_move_remove_put_back_and_notes(catalog: Catalog) -> None:
    boards = Boards(catalog.store)
    board = boards.create("Order")
    names = [f"{'tops' if i % 2 else 'shoes'}/look{i}.jpg" for i in range(6)]
    boards.add(board.id, item_ids(catalog, *names))
    hashes = {item.last_path: item.content_hash for item in boards.items(board.id)}
    order = boards.move(board.id, [hashes[names[4]], hashes[names[1]]], 0)  # to the front, in board order
    assert order == [hashes[n] for n in (names[1], names[4], names[0], names[2], names[3], names[5])]
    order = boards.move(board.id, [hashes[names[1]]], 6)  # to the end
    assert paths_on(boards, board.id) == [names[i] for i in (4, 0, 2, 3, 5, 1)]
    boards.move(board.id, [hashes[names[4]], hashes[names[5]]], 3)  # before the item now at 3 (look3)
    assert paths_on(boards, board.id) == [names[i] for i in (0, 2, 4, 5, 3, 1)]

    assert boards.set_note(board.id, hashes[names[2]], "  shoot with the red bag \n") == "shoot with the red bag"
    with pytest.raises(BoardError, match="at most"):
        boards.set_note(board.id, hashes[names[2]], "x" * (NOTE_LIMIT + 1))
    with pytest.raises(BoardError, match="not on the board"):
        boards.set_note(board.id, "0" * 32, "nothing")
    removed = boards.remove(board.id, [hashes[names[2]], hashes[names[3]], "0" * 32])
    assert [e.content_hash for e in removed.entries] == [hashes[names[2]], hashes[names[3]]]
    assert paths_on(boards, board.id) == [names[i] for i in (0, 4, 5, 1)]
    boards.put_back(removed)
    assert paths_on(boards, board.id) == [names[i] for i in (0, 2, 4, 5, 3, 1)]
    assert boards.items(board.id)[1].note == "shoot with the red bag"
    assert boards.set_note(board.id, hashes[names[2]], "") == "" and boards.items(board.id)[1].note == ""
    before = [item.content_hash for item in boards.items(board.id)]
    boards.move(board.id, [before[5], before[0]], 3)
    assert boards.arrange(board.id, [*before, "0" * 32, before[0]]) == before, "a move undone"
    assert boards.arrange(board.id, [before[3]]) == [before[3], *before[:3], *before[4:]], "the rest keep their order"


def test_items_follow_renames_and_moves_and_wait_while_missing(catalog: Catalog) -> None:
    boards = Boards(catalog.store)
    board = boards.create("Shoot")
    boards.add(board.id, item_ids(catalog, "tops/look1.jpg", "shoes/look2.jpg", "tops/look3.jpg"))
    hashes = [item.content_hash for item in boards.items(board.id)]
    boards.set_note(board.id, hashes[1], "the one")
    root = catalog.root
    (root / "tops/look1.jpg").rename(root / "tops/renamed.jpg")
    (root / "archive").mkdir()
    (root / "shoes/look2.jpg").rename(root / "archive/look2.jpg")
    saved = (root / "tops/look3.jpg").read_bytes()
    (root / "tops/look3.jpg").unlink()

    before_scan = boards.items(board.id)  # the store has not seen the changes yet: files not found are missing
    assert [item.missing for item in before_scan] == [True, True, True]
    catalog.index()
    items = boards.items(board.id)
    assert [i.content_hash for i in items] == hashes, "same contents, same order"
    assert [i.last_path for i in items] == ["tops/renamed.jpg", "archive/look2.jpg", "tops/look3.jpg"]
    assert [i.missing for i in items] == [False, False, True]
    assert items[0].path == root / "tops/renamed.jpg" and items[0].item_id is not None
    assert items[1].note == "the one" and items[1].product_name == "Product number 2"
    assert items[2].path is None and items[2].item_id is None
    assert items[2].product_name == "Product number 3", "a missing item keeps what is known of it"

    (root / "back").mkdir()
    (root / "back/returned.jpg").write_bytes(saved)  # the content returns, under another name
    catalog.index()
    items = boards.items(board.id)
    assert [i.missing for i in items] == [False, False, False]
    assert items[2].last_path == "back/returned.jpg" and items[2].path is not None and items[2].path.is_file()
    (root / "tops/renamed.jpg").unlink()
    catalog.index()
    assert [i.last_path for i in boards.items(board.id)][0] == "tops/renamed.jpg", "named where last seen"


def test_an_unindexed_file_put_on_a_board_is_found_by_its_content(tmp_path: Path, app_paths: AppPaths) -> None:
    """The command line may add files of a catalog that was never indexed (or files added since)."""
    files = make_board_catalog(tmp_path / "catalog", count=3)
    catalog = Catalog.open(tmp_path / "catalog", app_paths)
    try:
        boards = Boards(catalog.store)
        board = boards.create("Fresh")
        assert len(boards.add_paths(board.id, files).added) == 3
        items = boards.items(board.id)
        assert [i.missing for i in items] == [False] * 3 and [i.item_id for i in items] == [None] * 3
        catalog.index()
        assert all(i.item_id is not None for i in boards.items(board.id))
    finally:
        catalog.close()


def test_boards_survive_a_rebuilt_catalog_store(tmp_path: Path, app_paths: AppPaths, catalog: Catalog) -> None:
    """Another image model or schema rebuilds the catalog database; the boards are the stylist's work and stay."""
    boards = Boards(catalog.store)
    board = boards.create("Keep me")
    boards.add(board.id, item_ids(catalog, "tops/look1.jpg", "shoes/look0.jpg"))
    store_folder = catalog.store.folder
    catalog.close()
    with sqlite3.connect(store_folder / DB_FILE) as db:
        db.execute("UPDATE meta SET value='0' WHERE key='schema'")
    rebuilt = Catalog.open(catalog.root, app_paths)
    try:
        assert rebuilt.status()["items"] == 0
        again = Boards(rebuilt.store)
        assert [b.name for b in again.all()] == ["Keep me"]
        rebuilt.index()
        assert [(i.last_path, i.missing) for i in again.items(board.id)] == [
            ("tops/look1.jpg", False),
            ("shoes/look0.jpg", False),
        ]
    finally:
        rebuilt.close()


def test_a_damaged_boards_file_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    (folder / BOARDS_DB_FILE).write_bytes(b"definitely not sqlite " * 200)
    store = CatalogStore(folder, tmp_path, "model", 8)
    try:
        boards = Boards(store)
        assert boards.all() == []
        boards.create("New start")
        assert [b.name for b in boards.all()] == ["New start"]
    finally:
        store.close()
    assert len(list(folder.glob(f"{BOARDS_DB_FILE}.damaged-*"))) == 1
    assert "damaged" in caplog.text


def test_another_connection_sees_edits(catalog: Catalog, app_paths: AppPaths) -> None:
    """The window polls `version()` to refresh its boards panel after the command line (or a worker) edits."""
    window = Boards(catalog.store)
    other_catalog = Catalog.open(catalog.root, app_paths)
    try:
        other = Boards(other_catalog.store)
        seen = window.version()
        assert window.version() == seen
        other.create("From elsewhere")
        assert window.version() != seen and [b.name for b in window.all()] == ["From elsewhere"]
    finally:
        other_catalog.close()


def test_board_edits_never_write_into_the_catalog_folder(catalog: Catalog) -> None:
    before = snapshot(catalog.root)
    boards = Boards(catalog.store)
    board = boards.create("Quiet")
    boards.add_paths(board.id, sorted(catalog.root.rglob("*.jpg")))
    boards.move(board.id, [boards.items(board.id)[0].content_hash], 5)
    boards.delete(board.id)
    assert snapshot(catalog.root) == before
    assert (catalog.store.folder / BOARDS_DB_FILE).is_file()


@pytest.mark.slow
def test_a_kill_at_any_moment_leaves_every_board_as_before_or_after_an_edit(tmp_path: Path) -> None:
    """A child process makes thousands of random board edits (each one transaction) and is killed at random
    moments; the boards found afterwards must equal the model's state after the last edit it reported, or the
    one after (committed, not yet reported). Then editing goes on from there."""
    rng = random.Random(11)
    for round_number in range(8):
        store_dir = tmp_path / f"store{round_number}"
        seed = rng.randrange(1 << 30)
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.board_edits", str(store_dir), str(seed), "100000"],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.8))
        process.send_signal(signal.SIGKILL)
        reported = [int(line) for line in process.stdout.read().split()]
        process.wait()
        done = reported[-1] if reported else 0
        assert 0 < done < 100000, f"the child must be killed mid-way (it reported {done} edits)"
        sequence = list(itertools.islice(board_edits.edits(seed), done + 1))
        model = board_edits.Model()
        for edit in sequence[:done]:
            model.apply(edit)
        before = model.state()
        model.apply(sequence[done])
        after = model.state()
        boards = board_edits.open_boards(store_dir)
        try:
            found = board_edits.store_state(boards)
            assert found in (before, after), f"round {round_number}: not the state before or after edit {done + 1}"
            board_edits.apply_to_store(boards, board_edits.Edit("create", name="after the crash"))
            assert boards.find("after the crash") is not None
        finally:
            boards.store.close()
    assert os.path.exists(tmp_path / "store0" / BOARDS_DB_FILE)
