"""`fashion-desktop board …`: boards from the command line (list, add, remove, export, rename, duplicate, delete,
restore, note). Boards are named; images are given by path and must be files of the catalog."""

from __future__ import annotations

import argparse
import datetime
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fashion_desktop.app.output import json_line, path_fields, say
from fashion_desktop.export.options import PAPERS, PER_PAGE
from fashion_desktop.paths import AppPaths

if TYPE_CHECKING:
    from PySide6.QtGui import QGuiApplication

    from fashion_desktop.catalog.boards import Boards
    from fashion_desktop.catalog.catalog import Catalog

EXIT_OK, EXIT_PARTIAL = 0, 1  # as in cli.py's docstring


def add_board_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    catalog_option = argparse.ArgumentParser(add_help=False)
    catalog_option.add_argument("--catalog", type=Path, default=None, help="catalog folder (default: the sample)")
    board = commands.add_parser("board", help="boards: collect catalog items, export lookbooks")
    actions = board.add_subparsers(dest="board_command", required=True, metavar="ACTION")

    def action(name: str, help: str) -> argparse.ArgumentParser:
        return actions.add_parser(name, parents=[catalog_option], help=help, description=help)

    listing = action("list", "the catalog's boards")
    listing.add_argument("--json", action="store_true", help="one JSON object per board, with its items")
    add = action("add", "put catalog images on a board (created if new), at its end, in the order given")
    add.add_argument("name")
    add.add_argument("images", nargs="+", type=Path)
    remove = action("remove", "take images off a board")
    remove.add_argument("name")
    remove.add_argument("images", nargs="+", type=Path)
    export = action("export", "export a board: a PDF lookbook, a contact sheet (.png) or a ZIP with a CSV")
    export.add_argument("name")
    export.add_argument("out", type=Path, help="the file to write: ends in .pdf, .png or .zip")
    export.add_argument("--per-page", type=int, choices=PER_PAGE, default=4, help="items per lookbook page")
    export.add_argument("--paper", choices=PAPERS, default="a4")
    export.add_argument("--landscape", action="store_true")
    export.add_argument("--title", default="", help="the lookbook's title (default: the board's name)")
    export.add_argument("--subtitle", default="")
    export.add_argument("--dpi", type=int, default=300, help="pictures at most this sharp as printed (36-600)")
    rename = action("rename", "rename a board")
    rename.add_argument("name")
    rename.add_argument("new_name")
    duplicate = action("duplicate", "copy a board with its items, order and notes")
    duplicate.add_argument("name")
    duplicate.add_argument("new_name", nargs="?", default=None)
    delete = action("delete", "move a board to the trash (undo with `board restore`)")
    delete.add_argument("name")
    restore = action("restore", "bring back the most recently deleted board of this name")
    restore.add_argument("name")
    note = action("note", "set the note of an item on a board (an empty note clears it)")
    note.add_argument("name")
    note.add_argument("image", type=Path)
    note.add_argument("text")


def board_command(args: argparse.Namespace, paths: AppPaths) -> int:
    from fashion_desktop.catalog.boards import Boards
    from fashion_desktop.catalog.catalog import Catalog

    if args.board_command == "export":
        _check_output(args.out)
    catalog = Catalog.open(args.catalog if args.catalog is not None else paths.sample_catalog, paths)
    try:
        boards = Boards(catalog.store)
        actions: dict[str, Callable[[argparse.Namespace, Catalog, Boards, AppPaths], int]] = {
            "list": _list,
            "add": _add,
            "remove": _remove,
            "export": _export,
            "rename": _rename,
            "duplicate": _duplicate,
            "delete": _delete,
            "restore": _restore,
            "note": _note,
        }
        return actions[args.board_command](args, catalog, boards, paths)
    finally:
        catalog.close()


def _check_output(out: Path) -> None:
    """Refuse a bad OUT before any work (ValueError: a usage error)."""
    from fashion_desktop.export.formats import FORMATS

    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"OUT must end in {', '.join(FORMATS)}: {out}")
    if not out.expanduser().parent.is_dir():
        raise ValueError(f"folder not found: {out.expanduser().parent}")
    if out.expanduser().is_dir():
        raise ValueError(f"{out} is a folder")


def _list(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    for board in boards.all():
        items = boards.items(board.id)
        missing = sum(item.missing for item in items)
        if not args.json:
            extra = f", {missing} missing" if missing else ""
            print(f"{board.name}\t{len(items)} item{'' if len(items) == 1 else 's'}{extra}")
            continue
        row = {
            "name": board.name,
            "created": _timestamp(board.created),
            "modified": _timestamp(board.modified),
            "items": [
                path_fields(item.path if item.path is not None else catalog.root / item.last_path)
                | {
                    "product_name": item.product_name,
                    "note": item.note,
                    "missing": item.missing,
                }
                for item in items
            ],
        }
        print(json_line(row))
    return EXIT_OK


def _add(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    board = boards.open_or_create(args.name)
    result = boards.add_paths(board.id, args.images)
    for path in result.not_found:
        say(f"fashion-desktop: {path}: not an image of the catalog {catalog.root}; not added")
    already = f" ({len(result.already)} already on it)" if result.already else ""
    print(f"added {len(result.added)} to {board.name!r}{already}")
    return EXIT_PARTIAL if result.not_found else EXIT_OK


def _remove(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    board = boards.named(args.name)
    hashes, failures = [], 0
    for path in args.images:
        found = boards.entry_for_path(board.id, path)
        if found is None:
            failures += 1
            say(f"fashion-desktop: {path}: not on the board {board.name!r}")
        else:
            hashes.append(found)
    removed = boards.remove(board.id, hashes)
    print(f"removed {len(removed.entries)} from {board.name!r}")
    return EXIT_PARTIAL if failures else EXIT_OK


def _export(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    from fashion_desktop.catalog.boards import installed_captioner
    from fashion_desktop.export.formats import export_board
    from fashion_desktop.export.options import LookbookOptions

    board = boards.named(args.name)
    options = LookbookOptions(args.per_page, args.paper, args.landscape, args.title, args.subtitle, args.dpi)
    captioner = installed_captioner(paths.models_search_path)
    if captioner is not None:  # the captions of the installed model go into the export (no session is started)
        catalog.use_captioner(captioner)
        boards.caption_model = catalog.caption_model
    items = boards.items(board.id)
    if captioner is not None and captioner.manifest.random_weights and any(item.caption for item in items):
        print("fashion-desktop: captions come from random-weight stand-in models: meaningless", file=sys.stderr)
    application = _gui_application()  # noqa: F841 - painting text needs one alive during the export
    tty = sys.stderr.isatty()

    def show(done: int, total: int) -> None:
        line = f"exported {done}/{total}"
        print(f"\r{line}" if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    report = export_board(board, items, args.out, options, on_progress=show)
    if tty:
        print(file=sys.stderr)
    for path in report.missing:
        say(f"fashion-desktop: {path}: no longer in the catalog (a placeholder instead)")
    for path in report.unreadable:
        say(f"fashion-desktop: {path}: could not be read (a placeholder instead)")
    pages = f", {report.pages} pages" if report.pages else ""
    count = f"{report.items} item{'' if report.items == 1 else 's'}"
    print(f"{report.path}: {count}{pages}, {report.bytes / 1e6:.1f} MB in {report.seconds:.1f} s")
    return EXIT_PARTIAL if report.missing or report.unreadable else EXIT_OK


def _rename(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    board = boards.rename(boards.named(args.name).id, args.new_name)
    print(f"renamed {args.name!r} to {board.name!r}")
    return EXIT_OK


def _duplicate(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    board = boards.duplicate(boards.named(args.name).id, args.new_name)
    print(f"duplicated {args.name!r} as {board.name!r} ({board.count} items)")
    return EXIT_OK


def _delete(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    board = boards.delete(boards.named(args.name).id)
    print(f"moved {board.name!r} to the trash; undo with: fashion-desktop board restore {_quoted(board.name)}")
    return EXIT_OK


def _restore(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    from fashion_desktop.catalog.boards import BoardError

    wanted = " ".join(args.name.split()).casefold()
    deleted = next((b for b in boards.trash() if b.name.casefold() == wanted), None)
    if deleted is None:
        raise BoardError(f"no board named {args.name!r} in the trash")
    board = boards.restore(deleted.id)
    print(f"restored {board.name!r} ({board.count} items)")
    return EXIT_OK


def _note(args: argparse.Namespace, catalog: Catalog, boards: Boards, paths: AppPaths) -> int:
    from fashion_desktop.catalog.boards import BoardError

    board = boards.named(args.name)
    found = boards.entry_for_path(board.id, args.image)
    if found is None:
        raise BoardError(f"{args.image} is not on the board {board.name!r}")
    note = boards.set_note(board.id, found, args.text)
    print(f"note {'set' if note else 'cleared'}")
    return EXIT_OK


def _gui_application() -> QGuiApplication:
    """Painting text (fonts) needs a QGuiApplication; without a display, the offscreen platform."""
    from PySide6.QtGui import QGuiApplication

    existing = QGuiApplication.instance()
    if isinstance(existing, QGuiApplication):
        return existing
    return QGuiApplication(["fashion-desktop", "-platform", "offscreen"])


def _timestamp(seconds: float) -> str:
    return datetime.datetime.fromtimestamp(seconds).astimezone().isoformat(timespec="seconds")


def _quoted(name: str) -> str:
    import shlex

    return shlex.quote(name)
