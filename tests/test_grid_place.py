"""Where the grid stands in a view: a new view opens at its top (its best matches), a refresh keeps the place, and
a view returned to (Back, Forward) shows again the tiles it was left at, also deep in a big library that the grid
lays out a batch at a time."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, Qt
from PySide6.QtGui import QFocusEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.results_model import Place, ResultsModel
from fashion_desktop.ui.results_view import ResultsView
from tests.images import gradient

LIBRARY = 30_000  # well past the grid's layout batch (2 000 tiles)


@pytest.fixture
def grid(qtbot: QtBot) -> ResultsView:
    view = ResultsView(ResultsModel(), 120)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "look.jpg"
    gradient(160, 200, seed=1).save(path)
    return path


def show_library(view: ResultsView, request_id: int, photo: Path) -> None:
    first = [SearchResult(item_id=index, path=photo, score=math.nan) for index in range(10)]
    view.results.set_library(request_id, list(range(LIBRARY)), first)


def show_results(view: ResultsView, request_id: int, photo: Path, count: int = 60) -> None:
    results = [SearchResult(item_id=100_000 + index, path=photo, score=0.9) for index in range(count)]
    view.results.set_results(request_id, results)


def first_shown(view: ResultsView) -> int:
    rows = view.visible_rows()
    assert rows
    return int(view.results.key_at(rows[0]))


def position_of(view: ResultsView, row: int) -> int:
    """The scroll bar's value that puts `row`'s line at the top of the grid."""
    columns = view.viewport().width() // view.gridSize().width()
    return row // columns * view.gridSize().height()


def scroll_to_row(qtbot: QtBot, view: ResultsView, row: int) -> None:
    """As the stylist would: the scroll bar dragged until `row`'s line is the first shown."""
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() >= position_of(view, row), timeout=10000)  # laid out so far
    bar.setValue(position_of(view, row))
    assert row in view.visible_rows()[: view.viewport().width() // view.gridSize().width()]


def test_a_new_view_opens_at_its_top(qtbot: QtBot, grid: ResultsView, photo: Path) -> None:
    show_library(grid, 1, photo)
    scroll_to_row(qtbot, grid, 20_000)
    assert first_shown(grid) > 19_000
    show_results(grid, 2, photo)
    assert grid.verticalScrollBar().value() == 0 and grid.visible_rows()[0] == 0  # the best match in view
    grid.verticalScrollBar().setValue(grid.verticalScrollBar().maximum())
    show_library(grid, 3, photo)
    QApplication.processEvents()
    assert grid.verticalScrollBar().value() == 0 and first_shown(grid) == 0


def test_a_view_returned_to_shows_the_tiles_it_was_left_at(qtbot: QtBot, grid: ResultsView, photo: Path) -> None:
    show_library(grid, 1, photo)
    scroll_to_row(qtbot, grid, 25_000)
    grid.select_row(grid.visible_rows()[3])
    left = grid.results.place
    assert left is not None and left.top == first_shown(grid) and left.current == grid.visible_rows()[3]
    show_results(grid, 2, photo)
    assert grid.results.place == Place(100_000, None)
    grid.results.return_to = left
    show_library(grid, 3, photo)  # the library is laid out again a batch at a time, from its start
    qtbot.waitUntil(lambda: bool(grid.visible_rows()) and first_shown(grid) == left.top, timeout=10000)
    assert grid.currentIndex().row() == left.current
    assert grid.results.return_to is None, "only the view it was given with returns there"


def test_a_refresh_keeps_the_place_deep_in_a_big_library(qtbot: QtBot, grid: ResultsView, photo: Path) -> None:
    show_library(grid, 1, photo)
    scroll_to_row(qtbot, grid, 25_000)
    before = grid.verticalScrollBar().value()
    grid.results.keep_position = True  # new photos indexed meanwhile: the same view again
    show_library(grid, 2, photo)
    qtbot.waitUntil(lambda: grid.verticalScrollBar().value() == before, timeout=10000)


def test_scrolling_while_the_grid_returns_wins(qtbot: QtBot, grid: ResultsView, photo: Path) -> None:
    """The return waits for the layout; if the stylist scrolls meanwhile, her scrolling is not undone."""
    show_library(grid, 1, photo)
    scroll_to_row(qtbot, grid, 25_000)
    left = grid.results.place
    show_results(grid, 2, photo)
    grid.results.return_to = left
    show_library(grid, 3, photo)
    bar, screen = grid.verticalScrollBar(), grid.viewport().height()
    while bar.maximum() < 2 * screen:  # one event-loop turn at a time, as the layout grows
        QApplication.processEvents()
    assert bar.value() < position_of(grid, 25_000), "the return is under way: the layout has not reached it"
    bar.setValue(screen)  # she scrolls meanwhile
    qtbot.waitUntil(lambda: bar.maximum() >= position_of(grid, 25_000), timeout=10000)  # the layout is done
    assert bar.value() == screen


def test_a_refresh_keeps_the_tiles_chosen_not_the_one_qt_made_current(
    qtbot: QtBot, grid: ResultsView, photo: Path
) -> None:
    """Qt makes the first tile current, unselected, when the grid takes the focus. A refresh that moves that item
    (a fresh catalog's first indexing reorders the library) must not bring it back selected: a fresh launch showed
    its 4th tile chosen. A tile the stylist chose stays chosen wherever the refresh moves it."""

    def library(request_id: int, order: list[int]) -> None:
        grid.results.keep_position = True  # new photos indexed: the same view again
        grid.results.set_library(
            request_id, order, [SearchResult(item_id=i, path=photo, score=math.nan) for i in order]
        )

    def chosen() -> list[int]:
        return sorted(int(grid.results.key_at(index.row())) for index in grid.selectionModel().selectedIndexes())

    grid.results.set_library(
        1, list(range(10)), [SearchResult(item_id=i, path=photo, score=math.nan) for i in range(10)]
    )
    QApplication.sendEvent(grid, QFocusEvent(QEvent.Type.FocusIn, Qt.FocusReason.TabFocusReason))
    assert grid.currentIndex().row() == 0 and chosen() == []
    library(2, [7, 8, 9, 0, 1, 2, 3, 4, 5, 6])
    assert chosen() == [] and not grid.currentIndex().isValid()
    grid.select_row(4)  # item 1, clicked
    library(3, [9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
    assert chosen() == [1] and grid.currentIndex().row() == 8


def test_the_selected_count_comes_from_ranges_and_matches_the_tiles(
    qtbot: QtBot, grid: ResultsView, photo: Path
) -> None:
    """The detail pane's "N items selected" is counted from the selection's ranges on every change (listing 44k
    selected tiles took 150 ms); overlapping selects, a toggle and a deselect still count each tile once."""
    show_library(grid, 1, photo)
    model = grid.selectionModel()
    flag = QItemSelectionModel.SelectionFlag
    for first, last, how in (
        (0, 10, flag.Select),
        (5, 20, flag.Select),
        (8, 9, flag.Toggle),
        (30, 40, flag.Select),
        (35, 50, flag.Deselect),
        (0, 3, flag.Select),
    ):
        model.select(QItemSelection(grid.results.index(first), grid.results.index(last)), how)
        assert grid.selected_count() == len(grid.selected_rows())
    assert grid.selected_count() == 24
    grid.selectAll()
    assert grid.selected_count() == LIBRARY
