"""Run the real window (under Xvfb) on the sample catalog with a board, as a stylist would, take screenshots and
print what happened as one JSON line: a board made from the library, a tile dragged with the mouse (xdotool) onto
the board in the panel, the board opened with notes, its last tile dragged to the front, the window at 800×600
(panel folded, then unfolded) and in a dark palette.

Used by tests/test_real_window.py, and to make the README's screenshot:
    xvfb-run -a -s "-screen 0 1280x860x24" python tests/board_screenshot.py docs
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QStyleFactory

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fashion_desktop.ui.results_model import ItemIdRole, NoteRole  # noqa: E402
from fashion_desktop.workers.board_edits import ItemsToAdd, SetNote  # noqa: E402
from tests.screen_steps import mouse_drag, run_script, sample_window, stepper  # noqa: E402

BOARD = "Spring shoot"
NOTES = {0: "Hero look: open the lookbook with it", 2: "Ask for the beige one too"}


def drag_then_say(start: QPoint, end: QPoint, done: list[str]) -> None:
    mouse_drag(start, end, steps=10)
    done.append("released")


def dark_palette() -> QPalette:
    palette = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#2b2b2b"),
        (QPalette.ColorRole.WindowText, "#e6e6e6"),
        (QPalette.ColorRole.Base, "#1e1e1e"),
        (QPalette.ColorRole.AlternateBase, "#2b2b2b"),
        (QPalette.ColorRole.Text, "#e6e6e6"),
        (QPalette.ColorRole.Button, "#3a3a3a"),
        (QPalette.ColorRole.ButtonText, "#e6e6e6"),
        (QPalette.ColorRole.Highlight, "#3d6fb4"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"),
        (QPalette.ColorRole.PlaceholderText, "#9a9a9a"),
    ):
        palette.setColor(role, QColor(colour))
    return palette


def main(out: Path) -> None:
    app, window = sample_window()
    presenter, results, view, panel = window.presenter, window.results, window.view, window.boards_panel
    state: dict[str, object] = {}
    pictures: set[object] = set()
    window.thumbnails.loaded.connect(
        lambda key, image: pictures.add(key[-1]) if isinstance(key, tuple) and not image.isNull() else None
    )
    wait = stepper(app, window, state, lambda: "")

    def tiles_loaded() -> bool:
        rows = view.visible_rows()
        ids = [results.index(r).data(ItemIdRole) for r in rows]
        return bool(rows) and all(i in pictures for i in ids) and not presenter.waiting

    def files() -> list[str]:
        cards = [results.card_at(r) for r in range(results.rowCount())]
        return [Path(card.last_path).name for card in cards if card is not None]

    def centre(row: int) -> QPoint:
        return view.viewport().mapToGlobal(view.visualRect(results.index(row)).center())

    def shoot(name: str) -> None:
        app.primaryScreen().grabWindow(0, 0, 0, window.frameGeometry().width(), window.frameGeometry().height()).save(
            str(out / f"{name}.png")
        )

    def make_board() -> None:
        first = tuple(results.item_ids()[:7])
        presenter.create_board(BOARD, ItemsToAdd(item_ids=first))
        wait(lambda: any(b.name == BOARD and b.count == 7 for b in presenter.boards), drag_onto_board)

    def drag_onto_board() -> None:
        view.select_row(8)
        target = panel.list.viewport().mapToGlobal(panel.list.visualRect(panel.model.index(0)).center())
        released: list[str] = []
        state["drag onto board"] = released
        threading.Thread(target=drag_then_say, args=(centre(8), target, released), daemon=True).start()
        wait(lambda: bool(released) and presenter.boards[0].count == 8, open_board)

    def open_board() -> None:
        board = presenter.boards[0]
        presenter.open_board(board.board_id)
        wait(lambda: results.board == board.board_id and not presenter.waiting, write_notes)

    def write_notes() -> None:
        board = presenter.boards[0].board_id
        for row, note in NOTES.items():
            card = results.card_at(row)
            assert card is not None
            presenter.edit_board(SetNote(board, card.content_hash, note))
        wait(lambda: [results.index(r).data(NoteRole) for r in NOTES] == list(NOTES.values()), board_shot, settle=300)

    def board_shot() -> None:
        view.select_row(0)
        wait(tiles_loaded, board_shot_now, 800)

    def board_shot_now() -> None:
        shoot("boards")
        state["board"] = {"files": files(), "message": window.message.text(), "panel": panel.model.boards[0].count}
        before = files()
        state["before reorder"] = before
        released: list[str] = []
        last = results.rowCount() - 1
        first = view.visualRect(results.index(0))
        end = view.viewport().mapToGlobal(QPoint(first.left() + 6, first.center().y()))
        threading.Thread(target=drag_then_say, args=(centre(last), end, released), daemon=True).start()
        wait(lambda: bool(released) and files() != before and not presenter.waiting, small)

    def small() -> None:
        state["after reorder"] = files()
        window.resize(800, 600)
        wait(lambda: window.width() == 800 and tiles_loaded(), small_shot, settle=800)

    def small_shot() -> None:
        shoot("boards-small")
        state["small folded"] = panel.folded
        panel.toggle()
        wait(lambda: not panel.folded, small_open, settle=600)

    def small_open() -> None:
        shoot("boards-small-open")
        app.setStyle(QStyleFactory.create("Fusion"))
        app.setPalette(dark_palette())
        window.resize(1280, 860)
        wait(lambda: window.width() == 1280 and tiles_loaded(), dark, settle=900)

    def dark() -> None:
        shoot("boards-dark")
        window.close()
        app.quit()

    wait(lambda: presenter.indexing.phase == "done" and tiles_loaded(), make_board)
    app.exec()
    print(json.dumps(state))


if __name__ == "__main__":
    run_script(main)
