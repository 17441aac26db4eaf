"""The grid: tiles at the chosen size (slider, Ctrl+wheel, Ctrl+plus/minus), several selected at once and
dragged out as files, Space for quick-look, Enter for "More like this", and a message inside the grid when it
is empty (indexing, no matches with a "Clear filters" button, an empty catalog), never a blank box."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QPushButton, QVBoxLayout, QWidget

from fashion_desktop.ui.result_delegate import ResultDelegate
from fashion_desktop.ui.results_model import ResultsModel

MIN_SIDE, MAX_SIDE, SIDE_STEP = 96, 320, 24

EMPTY_TEXTS = {
    "indexing": ("Indexing your photos…", "They appear here as they are indexed. You can already search."),
    "empty": (
        "No photos in this catalog yet",
        "Add JPEG, PNG, WebP, BMP, GIF or TIFF files to the folder, then re-index (F5).",
    ),
    "no-matches": ("No matches", "Nothing passes these filters and words."),
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
    sideChanged = Signal(int)
    visibleRowsChanged = Signal(object)  # list of rows in view, settled after scrolling

    def __init__(self, model: ResultsModel, side: int) -> None:
        super().__init__()
        self.delegate = ResultDelegate(self, side)  # first: the setters below already lay out (updateGeometries)
        self.results = model
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)  # 100k rows are laid out in steps, not at once
        self.setBatchSize(2000)
        self.setSpacing(2)
        self.setDragEnabled(True)
        self.setDragDropMode(QListView.DragDropMode.DragOnly)
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
        model.modelAboutToBeReset.connect(self._remember_position)
        model.modelReset.connect(self._after_reset)
        self._position: int | None = None
        self._current_item: int | None = None
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
        self.delegate.start_frame()
        handled = super().viewportEvent(event)
        if self.delegate.deferred:
            QTimer.singleShot(0, self.viewport().update)  # the tiles left over, in the next frame
        return handled

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
        if key == Qt.Key.Key_Space and not event.modifiers():
            self.quickLookRequested.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.moreLikeRequested.emit()
            return
        super().keyPressEvent(event)

    # -- selection -------------------------------------------------------------------------------------------------
    def selected_rows(self) -> list[int]:
        rows = sorted({index.row() for index in self.selectionModel().selectedIndexes()})
        if not rows and self.currentIndex().isValid():
            rows = [self.currentIndex().row()]
        return rows

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
        area = self.viewport().rect()
        columns = max(1, area.width() // grid.width())
        top = self.verticalScrollBar().value()
        first_line, last_line = top // grid.height(), (top + area.height() - 1) // grid.height()
        return list(range(first_line * columns, min(self.results.rowCount(), (last_line + 1) * columns)))

    def _report_visible(self) -> None:
        rows = self.visible_rows()
        if rows:
            margin = len(rows)
            self.results.keep_thumbnails_for(range(max(0, rows[0] - margin), rows[-1] + margin))
        self.visibleRowsChanged.emit(rows)

    # -- keeping the place when the same view is refreshed ---------------------------------------------------------
    def _remember_position(self) -> None:
        """A refresh of the same view (new photos indexed) keeps the scroll position and the current item."""
        keep = self.results.keep_position
        self._position = self.verticalScrollBar().value() if keep else None
        current = self.currentIndex()
        self._current_item = self.results.item_ids()[current.row()] if keep and current.isValid() else None

    def _after_reset(self) -> None:
        row = self.results.row_of(self._current_item) if self._current_item is not None else None
        if row is not None:
            self.selectionModel().setCurrentIndex(
                self.results.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        if self._position is not None:
            position = self._position
            QTimer.singleShot(0, lambda: self.verticalScrollBar().setValue(position))
        self._settled.start()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_grid()
        self.empty.setGeometry(self.viewport().rect())
        self._settled.start()
