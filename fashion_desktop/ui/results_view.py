"""The grid: tiles at the chosen size (slider, Ctrl+wheel, Ctrl+plus/minus), several selected at once and
dragged out as files, Space for quick-look, Enter for "More like this", and a message inside the grid when it
is empty (indexing, no matches with a "Clear filters" button, an empty catalog, an empty board), never a blank
box. A board shown in the grid is reordered by dragging its tiles (a bar marks where they go)."""

from __future__ import annotations

from typing import cast

from PySide6.QtCore import QEvent, QItemSelection, QItemSelectionModel, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QRegion,
    QResizeEvent,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from fashion_desktop.ui.mime import dragged_items
from fashion_desktop.ui.result_delegate import ResultDelegate
from fashion_desktop.ui.results_model import Place, ResultsModel, RowKey

MIN_SIDE, MAX_SIDE, SIDE_STEP = 96, 320, 24

EMPTY_TEXTS = {
    "indexing": ("Indexing your photos…", "They appear here as they are indexed. You can already search."),
    "empty": (
        "No photos in this catalog yet",
        "Add JPEG, PNG, WebP, BMP, GIF or TIFF files to the folder, then re-index (F5).",
    ),
    "no-matches": ("No matches", "Nothing passes these filters and words."),
    "empty-board": (
        "This board is empty",
        "Select photos and press B, or drag them onto the board in the panel on the left.",
    ),
}


class EmptyState(QWidget):
    clearFilters = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.title = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.4)
        font.setBold(True)
        self.title.setFont(font)
        self.text = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.button = QPushButton("Clear filters")
        self.button.clicked.connect(self.clearFilters)
        layout = QVBoxLayout(self)
        layout.addStretch()
        layout.addWidget(self.title)
        layout.addWidget(self.text)
        layout.addWidget(self.button, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()
        self.kind = ""

    def show_kind(self, kind: str) -> None:
        self.kind = kind
        if kind not in EMPTY_TEXTS:
            self.hide()
            return
        title, text = EMPTY_TEXTS[kind]
        self.title.setText(title)
        self.text.setText(text)
        self.button.setVisible(kind == "no-matches")
        self.show()
        self.raise_()


class ResultsView(QListView):
    moreLikeRequested = Signal()
    quickLookRequested = Signal()
    addToBoardRequested = Signal()  # B
    sideChanged = Signal(int)
    visibleRowsChanged = Signal(object)  # list of rows in view, settled after scrolling
    reorderDropped = Signal(object, int)  # a shown board's items dragged within it: content hashes, new position

    def __init__(self, model: ResultsModel, side: int) -> None:
        super().__init__()
        self.delegate = ResultDelegate(self, side)  # first: the setters below already lay out (updateGeometries)
        self._left_over = QRegion()  # cells still to be painted with their text
        self._left_over_timer = QTimer(self, singleShot=True, interval=0)
        self._left_over_timer.timeout.connect(self._paint_left_over)
        self.results = model
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)  # 100k rows are laid out in steps, not at once
        self.setBatchSize(2000)
        self.setSpacing(2)
        self.setDragEnabled(True)
        self.setDragDropMode(QListView.DragDropMode.DragOnly)  # drops too while a board is shown (reordering)
        self.setDropIndicatorShown(False)  # ours marks the place between tiles
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setAccessibleName("Results")
        self.setItemDelegate(self.delegate)
        self.setModel(model)
        self.empty = EmptyState(self.viewport())
        self.empty.hide()
        self._settled = QTimer(self, singleShot=True, interval=150)
        self._settled.timeout.connect(self._report_visible)
        self.verticalScrollBar().valueChanged.connect(lambda _: self._settled.start())
        self.verticalScrollBar().valueChanged.connect(lambda _: self._scrolled())
        self.verticalScrollBar().rangeChanged.connect(lambda *_: self._scroll_range_grew())
        self.selectionModel().currentChanged.connect(lambda *_: self._note_place())
        self.selectionModel().selectionChanged.connect(lambda *_: self._note_place())
        model.modelAboutToBeReset.connect(self._remember_position)
        model.modelReset.connect(self._after_reset)
        self._position: int | None = None
        self._return: int | None = None  # a position the grid scrolls on to as its layout grows
        self._scrolling_myself = False
        self._current_item: RowKey | None = None
        self._selected_items: list[RowKey] = []
        self._drop_marker: QRect | None = None
        self.set_side(side)

    # -- size ----------------------------------------------------------------------------------------------------
    @property
    def side(self) -> int:
        return self.delegate.side

    def set_side(self, side: int) -> None:
        side = max(MIN_SIDE, min(MAX_SIDE, side))
        self.delegate.side = side
        self._fit_grid()
        self.results.set_thumbnail_side(side, self.devicePixelRatioF())
        self.sideChanged.emit(side)
        self._settled.start()

    def _fit_grid(self) -> None:
        """As many tiles across as fit, the spare width shared among them: the grid uses the full width."""
        tile = self.delegate.tile_size(self.font()) + QSize(2, 2)
        # Qt lays the grid out as if the vertical scroll bar were there (so that it never flips it on and off)
        bar = self.verticalScrollBar()
        width = self.viewport().width() - (0 if bar.isVisible() else bar.sizeHint().width()) - 2
        columns = max(1, width // tile.width())
        grid = QSize(max(tile.width(), width // columns), tile.height())
        if grid != self.gridSize():
            self.setGridSize(grid)

    def viewportEvent(self, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.Resize:
            QTimer.singleShot(0, self._fit_grid)  # the window, or a scroll bar coming or going, changed the width
        if kind != QEvent.Type.Paint:
            return super().viewportEvent(event)
        self.delegate.start_frame(cast(QPaintEvent, event).region())
        try:
            handled = super().viewportEvent(event)
        finally:
            self.delegate.end_frame()
        for cell in self.delegate.deferred:
            self._left_over += cell
        if not self._left_over.isEmpty():
            self._left_over_timer.start()
        return handled

    @property
    def filling_in(self) -> bool:
        """Tiles painted without their text are waiting for the next frame."""
        return self._left_over_timer.isActive() or not self._left_over.isEmpty()

    def _paint_left_over(self) -> None:
        """The tiles painted without their text last frame, and only them. A timer, not a posted call: input and
        other timers get their turn between the two frames (a posted call would paint again at once)."""
        left_over, self._left_over = self._left_over, QRegion()
        self.viewport().update(left_over)

    def zoom(self, steps: int) -> None:
        self.set_side(self.side + steps * SIDE_STEP)

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
            return
        super().wheelEvent(event)

    # -- keys ----------------------------------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        acts = key in (Qt.Key.Key_Space, Qt.Key.Key_B) and not event.modifiers()
        if (acts or key in (Qt.Key.Key_Return, Qt.Key.Key_Enter)) and not self.selected_rows():
            self.choose_current()  # the tile the keys act on is marked, and shown in the detail pane
        if key == Qt.Key.Key_Space and not event.modifiers():
            self.quickLookRequested.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.moreLikeRequested.emit()
            return
        if key == Qt.Key.Key_B and not event.modifiers():  # the grid takes letters for its type-ahead search first
            self.addToBoardRequested.emit()
            return
        if event.modifiers() & Qt.KeyboardModifier.AltModifier and key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
            event.ignore()  # Back/Forward, which reach here only when there is nowhere to go: not a move
            return
        super().keyPressEvent(event)

    # -- selection -------------------------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        """The tiles chosen. Not Qt's current tile alone: the grid makes its first tile current, unmarked, when
        it takes the focus, and actions on a tile nobody chose surprised."""
        return sorted({index.row() for index in self.selectionModel().selectedIndexes()})

    def selected_count(self) -> int:
        """From the selection's ranges, which Qt keeps apart: listing 44k selected tiles takes 150 ms."""
        ranges = self.selectionModel().selection()
        return sum(ranges.at(i).height() for i in range(ranges.count()))

    def chosen_current(self) -> int | None:
        """The current tile's row if it is selected (what the detail pane shows), else None."""
        current = self.currentIndex()
        return current.row() if current.isValid() and self.selectionModel().isSelected(current) else None

    def choose_current(self) -> None:
        if self.currentIndex().isValid():
            self.select_row(self.currentIndex().row())

    def select_row(self, row: int) -> None:
        index = self.results.index(row)
        if index.isValid():
            self.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.scrollTo(index)

    def visible_rows(self) -> list[int]:
        """Rows whose tiles are (at least partly) in view, top left first."""
        grid = self.gridSize()
        if self.results.rowCount() == 0 or grid.width() <= 0 or grid.height() <= 0:
            return []
        columns, height = self._columns(), self.viewport().height()
        top = self.verticalScrollBar().value()
        first_line, last_line = top // grid.height(), (top + height - 1) // grid.height()
        return list(range(first_line * columns, min(self.results.rowCount(), (last_line + 1) * columns)))

    def _columns(self) -> int:
        return max(1, self.viewport().width() // max(1, self.gridSize().width()))

    def _report_visible(self) -> None:
        rows = self.visible_rows()
        if rows:
            margin = len(rows)
            self.results.keep_thumbnails_for(range(max(0, rows[0] - margin), rows[-1] + margin))
        self.visibleRowsChanged.emit(rows)

    # -- the place in a view: kept when it is refreshed, returned to by Back, the top of a new one -------------------
    def _note_place(self) -> None:
        """On every scroll step: the first tile in view by arithmetic, not the list of those in view."""
        value, height, chosen = self.verticalScrollBar().value(), self.gridSize().height(), self.chosen_current()
        first = value // height * self._columns() if height > 0 else 0
        shown = first < self.results.rowCount()
        top = self.results.key_at(first) if shown else None
        offset = value - self._line_position(first) if shown else 0
        self.results.place = Place(top, self.results.key_at(chosen) if chosen is not None else None, offset)

    def _line_position(self, row: int) -> int:
        """The scroll position that shows `row`'s line at the top of the grid."""
        return row // self._columns() * self.gridSize().height()

    def _remember_position(self) -> None:
        """A refresh of the same view (new photos indexed, a board edited) keeps the scroll position, the current
        item and the selection."""
        keep = self.results.keep_position
        self._position = self.verticalScrollBar().value() if keep else None
        chosen = self.chosen_current() if keep else None
        # Qt makes the first tile current (unselected) when the grid takes the focus: kept, it would come back
        # selected, wherever the refresh moved it (a fresh catalog's first tile, 4th after indexing)
        self._current_item = self.results.key_at(chosen) if chosen is not None else None
        self._selected_items = [self.results.key_at(row) for row in self.selected_rows()] if keep else []

    def _after_reset(self) -> None:
        board_shown = self.results.board is not None
        if board_shown != (self.dragDropMode() == QListView.DragDropMode.DragDrop):
            self.setDragDropMode(QListView.DragDropMode.DragDrop if board_shown else QListView.DragDropMode.DragOnly)
        place = self.results.return_to
        current = self._current_item if place is None else place.current
        row = self.results.row_of(current) if current is not None else None
        if row is not None:
            self.selectionModel().setCurrentIndex(
                self.results.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        rows = [r for r in map(self.results.row_of, self._selected_items) if r is not None]
        if len(rows) > 1:
            selection = QItemSelection()
            for selected in rows:
                selection.select(self.results.index(selected), self.results.index(selected))
            self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.Select)
        top = self.results.row_of(place.top) if place is not None and place.top is not None else None
        self._return = None
        if self._position is not None:
            self._scroll_to(self._position)
        elif top is not None:
            assert place is not None
            self._scroll_to(self._line_position(top) + min(place.offset, self.gridSize().height() - 1))
        else:
            self.verticalScrollBar().setValue(0)  # a new view opens at its top, with its best matches
        self._settled.start()

    def _scroll_to(self, position: int) -> None:
        """Scroll to `position`, or as far as the grid is laid out yet and on as its layout grows: a big library is
        laid out a batch of tiles per event-loop turn (44k tiles: 22 turns). Scrolling by the stylist meanwhile
        ends it."""
        bar = self.verticalScrollBar()
        self._scrolling_myself = True
        try:
            bar.setValue(position)
        finally:
            self._scrolling_myself = False
        self._return = position if bar.value() < position else None

    def _scroll_range_grew(self) -> None:
        if self._return is not None:
            self._scroll_to(self._return)

    def _scrolled(self) -> None:
        if not self._scrolling_myself:
            self._return = None  # the stylist scrolls: the grid no longer returns to where it was going
        self._note_place()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_grid()
        self.empty.setGeometry(self.viewport().rect())
        self._settled.start()

    # -- reordering a board shown in the grid ----------------------------------------------------------------------
    def _board_items(self, event: QDropEvent) -> list[str] | None:
        """Content hashes of the shown board's own items being dragged within it, else None (any other drag goes
        on to the window: a search, or a query strip drop)."""
        board = self.results.board
        dragged = dragged_items(event.mimeData(), self.results.catalog) if board is not None else None
        if dragged is None or dragged.board != board or not dragged.items.contents:
            return None
        return [digest for digest, _ in dragged.items.contents]

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._board_items(event) is None:
            event.ignore()
            return
        super().dragEnterEvent(event)  # the view's drag state: scrolls when the drag nears an edge
        event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._board_items(event) is None:
            event.ignore()
            return
        super().dragMoveEvent(event)
        self._show_marker(self.drop_place(event.position().toPoint())[1])
        event.acceptProposedAction()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        super().dragLeaveEvent(event)
        self._show_marker(None)

    def dropEvent(self, event: QDropEvent) -> None:
        hashes = self._board_items(event)
        self._show_marker(None)
        self.stopAutoScroll()
        self.setState(QAbstractItemView.State.NoState)
        if hashes is None:
            event.ignore()
            return
        event.acceptProposedAction()
        self.reorderDropped.emit(hashes, self.drop_place(event.position().toPoint())[0])

    def drop_place(self, point: QPoint) -> tuple[int, QRect]:
        """Where tiles dropped at `point` (viewport coordinates) go: before the tile under it (after it, on its right
        half), in the line of tiles at that height; and where to draw the bar that says so."""
        rows = self.visible_rows()
        lines: dict[int, list[tuple[int, QRect]]] = {}
        for row in rows:
            rect = self.visualRect(self.results.index(row))
            lines.setdefault(rect.top(), []).append((row, rect))
        if not lines:
            return self.results.rowCount(), QRect()
        top = min(lines, key=lambda t: 0 if t <= point.y() < t + self.gridSize().height() else abs(t - point.y()))
        line = lines[top]
        for row, rect in line:
            if point.x() < rect.center().x():
                return row, QRect(rect.left() - 3, rect.top(), 4, rect.height())
        row, rect = line[-1]
        return row + 1, QRect(rect.right(), rect.top(), 4, rect.height())

    def _show_marker(self, marker: QRect | None) -> None:
        if marker != self._drop_marker:
            self._drop_marker = marker
            self.viewport().update()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if self._drop_marker is not None and not self._drop_marker.isNull():
            painter = QPainter(self.viewport())
            painter.fillRect(self._drop_marker, self.palette().color(QPalette.ColorRole.Highlight))
            painter.end()
