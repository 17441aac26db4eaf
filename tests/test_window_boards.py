"""Boards in the window, offscreen with the tiny models: the panel, adding (B, the context menu, a drag onto a
board), a board open in the grid (its order, Back, reorder by drag, notes, missing files, remove), delete and
undo, and exporting from the window."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QInputDialog, QMenu, QMessageBox, QPushButton
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.boards import Boards
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.paths import AppPaths
from fashion_desktop.ui.main_window import MainWindow
from fashion_desktop.ui.results_model import MissingRole, NoteRole, TileRole
from tests.board_support import pdf_pages
from tests.images import gradient
from tests.window_support import drag, file_mime, make_catalog, running_window


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    return make_catalog(tmp_path / "catalog")


@pytest.fixture
def window(qtbot: QtBot, app_paths: AppPaths, catalog: Path) -> Iterator[MainWindow]:
    with running_window(qtbot, app_paths, catalog) as window:
        window.resize(1280, 860)
        yield window


def stored(paths: AppPaths, catalog: Path) -> list[tuple[str, list[tuple[str, str]]]]:
    """The boards as the store has them (another connection, as the command line would read them): names and
    (file name, note) in order."""
    with_catalog = Catalog.open(catalog, paths)
    try:
        boards = Boards(with_catalog.store)
        return [
            (board.name, [(Path(item.last_path).name, item.note) for item in boards.items(board.id)])
            for board in boards.all()
        ]
    finally:
        with_catalog.close()


def edited(qtbot: QtBot, window: MainWindow, *actions: Callable[[], object]) -> None:
    """Do `actions` and wait until the boards worker has done the edit and the panel lists the boards again."""
    with qtbot.waitSignals([window.presenter.boardEdited, window.presenter.boardsChanged], timeout=10000):
        for action in actions:
            action()


def answer(qtbot: QtBot, window: MainWindow, action: object) -> None:
    assert callable(action)
    with qtbot.waitSignal(window.presenter.answerShown, timeout=10000):
        action()


def select(window: MainWindow, *names: str) -> None:
    """Select the tiles of these files (the first one current)."""
    rows = [row for row in range(window.results.rowCount()) if tile_file(window, row) in names]
    assert len(rows) == len(names), names
    window.view.clearSelection()
    window.view.select_row(rows[0])
    for row in rows[1:]:
        window.view.selectionModel().select(
            window.results.index(row), window.view.selectionModel().SelectionFlag.Select
        )


def tile_file(window: MainWindow, row: int) -> str:
    card = window.results.card_at(row)
    if card is not None:
        return Path(card.last_path).name
    result = window.results.result_at(row)
    return result.path.name if result is not None else "?"


def shown_files(window: MainWindow) -> list[str]:
    return [tile_file(window, row) for row in range(window.results.rowCount())]


def answer_dialog(qtbot: QtBot, text: str) -> None:
    """Type `text` into the open one-line question and press OK."""
    qtbot.waitUntil(lambda: any(d.isVisible() for d in QApplication.topLevelWidgets() if isinstance(d, QInputDialog)))
    dialog = next(d for d in QApplication.topLevelWidgets() if isinstance(d, QInputDialog) and d.isVisible())
    dialog.setTextValue(text)
    dialog.accept()


def open_menu(qtbot: QtBot) -> QMenu:
    qtbot.waitUntil(lambda: any(m.isVisible() for m in QApplication.topLevelWidgets() if isinstance(m, QMenu)))
    return next(m for m in QApplication.topLevelWidgets() if isinstance(m, QMenu) and m.isVisible())


def create_board(qtbot: QtBot, window: MainWindow, name: str) -> int:
    edited(qtbot, window, window.boards_panel.new.click, lambda: answer_dialog(qtbot, name))
    board = next(b for b in window.presenter.boards if b.name == name)
    return board.board_id


def open_board(qtbot: QtBot, window: MainWindow, board_id: int) -> None:
    row = window.boards_panel.model.row_of(board_id)
    assert row is not None
    index = window.boards_panel.model.index(row)
    answer(qtbot, window, lambda: window.boards_panel.list.clicked.emit(index))


def panel_rows(window: MainWindow) -> list[tuple[str, int]]:
    model = window.boards_panel.model
    return [(b.name, b.count) for b in model.boards]


# -- the panel ---------------------------------------------------------------------------------------------------
def test_panel_lists_boards_with_counts_and_its_model_is_sound(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path
) -> None:
    tester = ModelTester(None)
    tester.check(window.boards_panel.model)
    assert window.boards_panel.hint.isVisible() and "No boards yet" in window.boards_panel.hint.text()
    create_board(qtbot, window, "Shoot")
    create_board(qtbot, window, "Autumn")
    assert panel_rows(window) == [("Autumn", 0), ("Shoot", 0)]
    assert "Board “Autumn” created" in window.message.text()
    assert not window.boards_panel.hint.isVisible()
    shoot = window.presenter.boards[1].board_id
    edited(qtbot, window, lambda: window.rename_board(shoot), lambda: answer_dialog(qtbot, "Spring shoot"))
    edited(qtbot, window, lambda: window.boards_panel.duplicateRequested.emit(shoot))
    assert [name for name, _ in panel_rows(window)] == ["Autumn", "Spring shoot", "Spring shoot copy"]
    assert [name for name, _ in stored(app_paths, catalog)] == ["Autumn", "Spring shoot", "Spring shoot copy"]


def test_panel_folds_and_starts_folded_in_a_narrow_window(qtbot: QtBot, window: MainWindow) -> None:
    panel = window.boards_panel
    assert not panel.folded and panel.list.isVisible() and panel.width() >= 140
    panel.fold.click()
    assert panel.folded and not panel.isVisible() and panel.unfold.isVisible()
    assert window.settings.boards_collapsed and not window.panel_action.isChecked()
    window.panel_action.trigger()
    assert not panel.folded and panel.list.isVisible()
    window.resize(800, 600)
    qtbot.waitUntil(lambda: panel.folded)
    assert not panel.isVisible() and window.view.width() > 450, "the grid keeps its room"
    panel.unfold.click()  # unfolded by hand in a narrow window: it stays open
    assert not panel.folded and panel.list.isVisible() and not panel.unfold.isVisible()


# -- adding ------------------------------------------------------------------------------------------------------
def test_b_adds_to_the_last_board_or_asks(qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path) -> None:
    shoot = create_board(qtbot, window, "Shoot")
    select(window, "item1.jpg", "item2.jpg")
    window.view.setFocus()
    edited(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_B))  # the board just made
    assert "Added 2 items to “Shoot”" in window.message.text()
    select(window, "item1.jpg")
    edited(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_B))
    assert "was on it already" in window.message.text() and window.message.level == "info"
    open_board(qtbot, window, shoot)
    select(window, "item2.jpg")
    qtbot.keyClick(window.view, Qt.Key.Key_B)  # from the board itself: which board?
    menu = open_menu(qtbot)
    assert [a.text() for a in menu.actions() if a.text()] == ["New board…"]
    edited(
        qtbot,
        window,
        next(a for a in menu.actions() if a.text() == "New board…").trigger,
        lambda: answer_dialog(qtbot, "Other"),
    )
    menu.close()
    answer(qtbot, window, lambda: window.presenter.go(-1))
    select(window, "item5.jpg")
    edited(qtbot, window, lambda: qtbot.keyClick(window.view, Qt.Key.Key_B))  # the last board added to
    assert dict(panel_rows(window)) == {"Shoot": 2, "Other": 2}
    assert dict(stored(app_paths, catalog)) == {
        "Shoot": [("item1.jpg", ""), ("item2.jpg", "")],
        "Other": [("item2.jpg", ""), ("item5.jpg", "")],
    }


def test_context_menu_adds_to_a_board_or_a_new_one(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path
) -> None:
    select(window, "item3.jpg")
    point = window.view.visualRect(window.view.currentIndex()).center()
    window.view.customContextMenuRequested.emit(point)
    menu = open_menu(qtbot)
    texts = [a.text() for a in menu.actions()]
    assert {"More like this", "Quick look", "Copy path", "Add to board"} <= set(texts)
    submenu = next(a for a in menu.actions() if a.text() == "Add to board").menu()
    assert isinstance(submenu, QMenu)
    new = next(a for a in submenu.actions() if a.text() == "New board…")
    edited(qtbot, window, new.trigger, lambda: answer_dialog(qtbot, "Reds"))
    menu.close()
    assert "Board “Reds” created with 1 item" in window.message.text()
    assert dict(stored(app_paths, catalog)) == {"Reds": [("item3.jpg", "")]}


def test_results_dragged_onto_a_board_are_added(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path, tmp_path: Path
) -> None:
    create_board(qtbot, window, "Shoot")
    select(window, "item4.jpg", "item7.jpg")
    mime = window.results.mimeData([window.results.index(row) for row in window.view.selected_rows()])
    target = window.boards_panel.list
    spot = target.visualRect(target.model().index(0, 0)).center()
    edited(qtbot, window, lambda: drag(target.viewport(), mime, spot))
    assert panel_rows(window) == [("Shoot", 2)]
    assert sorted(n for n, _ in dict(stored(app_paths, catalog))["Shoot"]) == ["item4.jpg", "item7.jpg"]
    below = QPoint(spot.x(), target.viewport().height() - 2)  # not on a board: refused, nothing added
    assert not drag(target.viewport(), mime, below, drop=False) or window.boards_panel.board_at(below) is None
    stranger = tmp_path / "elsewhere.jpg"
    gradient(120, 140, seed=99).save(stranger)
    files = file_mime(catalog / "bags" / "item9.jpg", stranger)  # from a file manager: the catalog's own are taken
    edited(qtbot, window, lambda: drag(target.viewport(), files, spot))
    assert panel_rows(window) == [("Shoot", 3)]
    assert "Added 1 item to “Shoot”" in window.message.text() and "elsewhere.jpg" in window.message.text()


def test_boards_changed_by_the_command_line_show_up(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path
) -> None:
    with qtbot.waitSignal(window.presenter.boardsChanged, timeout=10000):
        other = Catalog.open(catalog, app_paths)
        try:
            Boards(other.store).create("Made elsewhere")
        finally:
            other.close()
    assert panel_rows(window) == [("Made elsewhere", 0)]


# -- a board in the grid -----------------------------------------------------------------------------------------
def board_with(qtbot: QtBot, window: MainWindow, name: str, *files: str) -> int:
    board = create_board(qtbot, window, name)
    for file in files:  # one by one: the board keeps the order they were added in
        select(window, file)
        edited(qtbot, window, lambda: window.presenter.add_to_board(board, window.selected_items()))
    return board


def test_open_board_shows_its_order_and_back_returns(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    board = board_with(qtbot, window, "Shoot", "item6.jpg", "item0.jpg", "item3.jpg")
    open_board(qtbot, window, board)
    assert shown_files(window) == ["item6.jpg", "item0.jpg", "item3.jpg"]
    assert window.message.text() == "Board “Shoot”: 3 items" and "Shoot" in window.windowTitle()
    assert window.boards_panel.model.shown == board and window.export_action.isEnabled()
    sort = window.filter_bar.sort
    assert sort.currentText() == "Sort: Board order" and not sort.isEnabled(), "a board keeps its own order"
    select(window, "item0.jpg")
    assert window.detail.result is not None and window.detail.result.path.name == "item0.jpg"
    assert window.detail.note.isVisible()
    answer(qtbot, window, window.more_like_selected)  # result actions work on board items
    assert window.presenter.query.images and window.presenter.query.board is None
    answer(qtbot, window, lambda: window.presenter.go(-1))
    assert shown_files(window) == ["item6.jpg", "item0.jpg", "item3.jpg"]
    answer(qtbot, window, lambda: window.presenter.go(-1))
    assert window.presenter.query.browsing and window.results.rowCount() == 10
    assert window.boards_panel.model.shown is None
    answer(qtbot, window, lambda: window.presenter.go(1))
    assert window.strip.board == "Shoot" and window.strip.clear_button.isVisible()
    other = make_catalog(tmp_path / "other")
    answer(qtbot, window, lambda: window.open_catalog(str(other)))  # another catalog: its own boards, none shown
    assert window.strip.board is None and window.presenter.board_shown is None and "Shoot" not in window.windowTitle()
    qtbot.waitUntil(lambda: window.presenter.boards == [] and window.boards_panel.model.catalog == str(other))


def filter_values(window: MainWindow, key: str) -> list[str]:
    values = window.filter_bar.buttons[key].list.values
    return [values.item(row).text() for row in range(values.count())]


def panel_highlight(window: MainWindow) -> list[int]:
    return [index.row() for index in window.boards_panel.list.selectionModel().selectedIndexes()]


def test_on_a_board_words_and_filters_search_the_library_and_the_panel_follows(
    qtbot: QtBot, window: MainWindow
) -> None:
    """A board's filters offer the library's values, as its words search the library: either leaves the board,
    and the panel then highlights no board (it kept the one clicked)."""
    board = board_with(qtbot, window, "Shoot", "item6.jpg", "item0.jpg")
    colours = filter_values(window, "base_colour")
    assert colours == ["Blue   (6)", "Red   (4)"]
    panel = window.boards_panel
    row = panel.model.row_of(board)
    assert row is not None
    click = panel.list.visualRect(panel.model.index(row)).center()
    answer(qtbot, window, lambda: qtbot.mouseClick(panel.list.viewport(), Qt.MouseButton.LeftButton, pos=click))
    assert shown_files(window) == ["item6.jpg", "item0.jpg"] and panel_highlight(window) == [row]
    assert filter_values(window, "base_colour") == colours, "the library's values, not 'No values'"
    assert "library" in window.filter_bar.text.placeholderText()
    assert "library" in window.filter_bar.buttons["base_colour"].toolTip()
    answer(
        qtbot,
        window,
        lambda: window.filter_bar.buttons["base_colour"].list.values.item(1).setCheckState(Qt.CheckState.Checked),
    )
    assert window.presenter.board_shown is None and window.presenter.query.filters == (("base_colour", "Red"),)
    assert sorted(shown_files(window)) == ["item0.jpg", "item3.jpg", "item6.jpg", "item9.jpg"]
    assert panel.model.shown is None and panel_highlight(window) == []
    assert "library" not in window.filter_bar.text.placeholderText()
    open_board(qtbot, window, board)
    assert panel_highlight(window) == [row]
    edited(qtbot, window, lambda: window.presenter.create_board("Autumn"))  # listed again, sorted before it
    assert panel_highlight(window) == [row + 1] and panel.model.row_of(board) == row + 1
    window.filter_bar.text.setText("Look 6")
    answer(qtbot, window, window.filter_bar.text.returnPressed.emit)
    assert window.presenter.board_shown is None and window.presenter.query.text == "Look 6"
    assert shown_files(window) == ["item6.jpg"] and panel_highlight(window) == []
    edited(qtbot, window, lambda: window.presenter.create_board("Later"))  # listed again: still none
    assert panel_highlight(window) == []


def test_reorder_by_drag_persists(qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path) -> None:
    board = board_with(qtbot, window, "Shoot", "item1.jpg", "item2.jpg", "item3.jpg", "item4.jpg")
    open_board(qtbot, window, board)
    select(window, "item4.jpg")
    mime = window.results.mimeData([window.view.currentIndex()])
    first = window.view.visualRect(window.results.index(0))
    with qtbot.waitSignal(window.presenter.answerShown, timeout=10000):  # the board is shown again, reordered
        assert drag(window.view.viewport(), mime, QPoint(first.left() + 4, first.center().y()))
    assert shown_files(window) == ["item4.jpg", "item1.jpg", "item2.jpg", "item3.jpg"]
    assert [n for n, _ in dict(stored(app_paths, catalog))["Shoot"]] == shown_files(window)
    assert tile_file(window, window.view.currentIndex().row()) == "item4.jpg", "the moved tile stays current"
    edited(qtbot, window, window.undo_action.trigger)
    qtbot.waitUntil(lambda: shown_files(window) == ["item1.jpg", "item2.jpg", "item3.jpg", "item4.jpg"])


def test_note_edited_in_the_detail_pane_persists(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path
) -> None:
    board = board_with(qtbot, window, "Shoot", "item2.jpg", "item5.jpg")
    open_board(qtbot, window, board)
    select(window, "item5.jpg")
    window.set_details_shown(False)
    window.note_action.trigger()  # Boards ▸ Edit the note…: the detail pane comes back with the note field
    assert window.detail.isVisible() and window.detail.note.isVisible() and window.detail.note.text() == ""
    window.detail.note.setText("  with the red bag ")
    with qtbot.waitSignal(window.presenter.answerShown, timeout=10000):
        window.detail.note.editingFinished.emit()
    assert dict(stored(app_paths, catalog))["Shoot"] == [("item2.jpg", ""), ("item5.jpg", "with the red bag")]
    row = shown_files(window).index("item5.jpg")
    assert window.results.index(row).data(NoteRole) == "with the red bag"
    assert window.results.index(row).data(TileRole).caption == "with the red bag", "the tile shows the note"
    assert window.detail.note.text() == "with the red bag"


def test_delete_asks_and_undo_brings_the_board_back(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path
) -> None:
    board = board_with(qtbot, window, "Shoot", "item2.jpg", "item5.jpg")
    open_board(qtbot, window, board)
    window.boards_panel.deleteRequested.emit(board)
    box = next(b for b in window.findChildren(QMessageBox) if b.isVisible())
    assert "Shoot" in box.text() and "2 items" in box.text() and "Undo" in box.text()
    delete = next(b for b in box.findChildren(QPushButton) if b.text() == "Delete")
    with qtbot.waitSignal(window.presenter.answerShown, timeout=10000):  # the grid leaves the deleted board
        edited(qtbot, window, delete.click)
    assert panel_rows(window) == [] and stored(app_paths, catalog) == []
    assert window.presenter.query.browsing and window.results.rowCount() == 10
    assert window.undo_action.isEnabled() and "delete “Shoot”" in window.undo_action.text()
    edited(qtbot, window, window.undo_action.trigger)
    assert panel_rows(window) == [("Shoot", 2)]
    assert dict(stored(app_paths, catalog))["Shoot"] == [("item2.jpg", ""), ("item5.jpg", "")]


def test_missing_files_stay_marked_and_can_be_removed(
    qtbot: QtBot, window: MainWindow, app_paths: AppPaths, catalog: Path
) -> None:
    board = board_with(qtbot, window, "Shoot", "item2.jpg", "item4.jpg", "item6.jpg")
    (catalog / "item4.jpg").unlink()
    open_board(qtbot, window, board)
    assert shown_files(window) == ["item2.jpg", "item4.jpg", "item6.jpg"]
    assert window.message.text() == "Board “Shoot”: 3 items, 1 missing"
    assert [window.results.index(r).data(MissingRole) for r in range(3)] == [False, True, False]
    tile = window.results.index(1).data(TileRole)
    assert tile.missing and tile.name == "Look 4"
    select(window, "item4.jpg")
    assert window.detail.result is None and "missing" in window.detail.preview.text()
    assert window.detail.note.isVisible() and window.detail.title.text() == "Look 4"
    select(window, "item2.jpg")  # the missing tile unselected: drawn in the text colour
    qtbot.wait(100)  # tiles are rendered a few per frame
    picture = window.view.viewport().grab().toImage()  # the delegate draws the marked tile (no warnings)
    text = window.palette().color(QPalette.ColorRole.Text)

    def inked(row: int) -> int:
        """Pixels of the tile's picture area drawn in (nearly) the text colour."""
        area = window.view.visualRect(window.results.index(row))
        return sum(
            1
            for x in range(area.left(), area.right())
            for y in range(area.top(), area.top() + area.width())
            if abs(picture.pixelColor(x, y).lightness() - text.lightness()) < 40
        )

    assert inked(1) > 200, "the missing tile is drawn (a frame, a crossed picture, the words), not a blank box"
    select(window, "item4.jpg")
    with qtbot.waitSignal(window.presenter.answerShown, timeout=10000):
        edited(qtbot, window, window.remove_action.trigger)
    assert shown_files(window) == ["item2.jpg", "item6.jpg"]
    assert "Removed 1 item from “Shoot”" in window.message.text()


# -- export --------------------------------------------------------------------------------------------------------
def test_export_from_the_window_writes_the_lookbook(
    qtbot: QtBot, window: MainWindow, catalog: Path, tmp_path: Path
) -> None:
    board = board_with(qtbot, window, "Shoot", "item1.jpg", "item2.jpg", "item3.jpg")
    open_board(qtbot, window, board)
    dialog = window.export_board(None)
    assert dialog is not None and dialog.isVisible()
    assert not Path(dialog.path.text()).resolve().is_relative_to(catalog.resolve()), "never into the catalog"
    assert dialog.path.text().endswith("Shoot.pdf")
    dialog.path.setText(str(catalog / "inside.pdf"))
    dialog.export_button.click()
    assert dialog.isVisible() and "never writes into the catalog" in dialog.problem.text()
    dialog.per_page.setCurrentIndex(dialog.per_page.findData(2))
    dialog.orientation.setCurrentIndex(1)
    dialog.title.setText("Spring")
    out = tmp_path / "out" / "lookbook.pdf"
    out.parent.mkdir()
    dialog.path.setText(str(out))
    with qtbot.waitSignal(window.presenter.exportFinished, timeout=30000):
        dialog.export_button.click()
    assert pdf_pages(out) == 1 + math.ceil(3 / 2)
    assert window.message.text() == f"Exported lookbook.pdf (3 items, 3 pages) to {out.parent}"
    assert window.export_status.reveal.isVisible() and window.export_status.open_file.isVisible()
    assert window.settings.export_options["folder"] == str(out.parent)
    again = window.export_board(board)
    assert again is not None and again.per_page.currentData() == 2 and Path(again.path.text()).parent == out.parent
    again.format.setCurrentIndex(again.format.findData(".zip"))
    assert again.path.text().endswith("Shoot.zip") and not again.per_page.isEnabled()
    again.reject()


def test_export_can_be_cancelled_and_leaves_no_file(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    board = board_with(qtbot, window, "Shoot", "item1.jpg", "item2.jpg")
    dialog = window.export_board(board)
    assert dialog is not None
    out = tmp_path / "sheet.png"
    dialog.format.setCurrentIndex(dialog.format.findData(".png"))
    dialog.path.setText(str(out))
    with qtbot.waitSignal(window.presenter.exportFinished, timeout=30000):
        dialog.export_button.click()
        assert window.export_status.progress.isVisible() and window.export_status.cancel.isVisible()
        window.export_status.cancel.click()  # before the export thread has drawn anything
    assert not out.exists() and not list(tmp_path.glob("sheet*"))
    assert window.message.text() == "Export cancelled; nothing was written." and window.message.level == "info"
    assert not window.export_status.isVisible()
