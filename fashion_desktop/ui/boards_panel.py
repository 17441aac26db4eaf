"""The boards panel on the left of the grid: the catalog's boards with their item counts, the one shown marked;
results dropped on a board are added to it. It folds away (by hand, and by itself while the window is narrow, so
800×600 keeps its grid), leaving a small "Boards" button the window puts in the query strip."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QItemSelectionModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop.ui.mime import ITEMS_MIME, dragged_items
from fashion_desktop.workers.messages import BoardSummary

ModelIndex = QModelIndex | QPersistentModelIndex
BoardIdRole = Qt.ItemDataRole.UserRole + 1
CountRole = Qt.ItemDataRole.UserRole + 2
NARROW_WINDOW = 1000  # below this window width the panel starts folded: the grid keeps its tiles


class BoardsModel(QAbstractListModel):
    """The boards (by name) with their counts. Items dropped on a board's row are announced with `itemsDropped`;
    the model itself changes only when the boards worker lists the boards again."""

    itemsDropped = Signal(int, object)  # board id, workers.board_edits.ItemsToAdd

    def __init__(self) -> None:
        super().__init__()
        self.boards: list[BoardSummary] = []
        self.catalog = ""  # items dragged from this catalog's grid are taken as items, others as files
        self.shown: int | None = None  # the board open in the grid (bold)

    def set_boards(self, boards: list[BoardSummary]) -> None:
        self.beginResetModel()
        self.boards = list(boards)
        self.endResetModel()

    def set_shown(self, board_id: int | None) -> None:
        self.shown = board_id
        if self.boards:
            self.dataChanged.emit(self.index(0), self.index(len(self.boards) - 1), [Qt.ItemDataRole.FontRole])

    def row_of(self, board_id: int) -> int | None:
        return next((row for row, board in enumerate(self.boards) if board.board_id == board_id), None)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self.boards)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.boards):
            return None
        board = self.boards[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return board.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{board.name}: {board.count} item{'' if board.count == 1 else 's'}. Drop photos here to add them."
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{board.name}, {board.count} items"
        if role == Qt.ItemDataRole.FontRole and board.board_id == self.shown:
            font = QFont()
            font.setBold(True)
            return font
        if role == BoardIdRole:
            return board.board_id
        if role == CountRole:
            return board.count
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDropEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return [ITEMS_MIME, "text/uri-list"]

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction | Qt.DropAction.MoveAction

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: ModelIndex
    ) -> bool:
        """Only onto a board (not between two), and only items or image files."""
        return parent.isValid() and dragged_items(data, self.catalog) is not None

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: ModelIndex) -> bool:
        dragged = dragged_items(data, self.catalog)
        if not parent.isValid() or dragged is None:
            return False
        self.itemsDropped.emit(self.boards[parent.row()].board_id, dragged.items)
        return False  # nothing moves out of the grid: the items are copied onto the board


class BoardDelegate(QStyledItemDelegate):
    """The board's name, elided, and its count on the right in a quieter colour (palette colours: dark mode too)."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        count = str(index.data(CountRole))
        metrics = QFontMetrics(option.font)  # type: ignore[attr-defined]
        width = metrics.horizontalAdvance(count) + 10
        style_option = QStyleOptionViewItem(option)
        self.initStyleOption(style_option, index)
        style_option.text = ""  # type: ignore[attr-defined]
        widget = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, style_option, painter, widget)
        rect: QRect = option.rect  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        palette: QPalette = option.palette  # type: ignore[attr-defined]
        text_colour = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.save()
        font = style_option.font  # type: ignore[attr-defined]
        painter.setFont(font)
        painter.setPen(text_colour)
        name_rect = rect.adjusted(6, 0, -width, 0)
        name = QFontMetrics(font).elidedText(str(index.data()), Qt.TextElideMode.ElideRight, name_rect.width())
        painter.drawText(name_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name)
        painter.setFont(option.font)  # type: ignore[attr-defined]
        quiet = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText
        painter.setPen(palette.color(quiet))
        painter.drawText(rect.adjusted(0, 0, -6, 0), Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, count)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), QFontMetrics(option.font).height() + 10))  # type: ignore[attr-defined]


class BoardsPanel(QWidget):
    """Tells the window what the stylist asked; the dialogs (names, confirmation) are the window's."""

    openRequested = Signal(int)
    createRequested = Signal()
    renameRequested = Signal(int)
    duplicateRequested = Signal(int)
    deleteRequested = Signal(int)
    exportRequested = Signal(int)
    foldedChanged = Signal(bool)

    def __init__(self, width: int, folded: bool) -> None:
        super().__init__()
        self.model = BoardsModel()
        self.open_width = max(140, min(400, width))
        self.folded_by_hand = folded
        self.narrow = False
        self.setAccessibleName("Boards")
        self.fold = QToolButton()
        self.fold.setAutoRaise(True)
        self.fold.setAccessibleName("Fold or unfold the boards panel")
        self.fold.clicked.connect(self.toggle)
        self.fold.setArrowType(Qt.ArrowType.LeftArrow)
        self.fold.setToolTip("Fold the boards panel (Ctrl+B)")
        self.unfold = QToolButton()  # shown while folded, outside the panel (the window places it)
        self.unfold.setText("Boards")
        self.unfold.setArrowType(Qt.ArrowType.RightArrow)
        self.unfold.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.unfold.setAutoRaise(True)
        self.unfold.setToolTip("Show the boards (Ctrl+B)")
        self.unfold.setAccessibleName("Show the boards panel")
        self.unfold.clicked.connect(self.toggle)
        self.title = QLabel("Boards")
        font = QFont(self.title.font())
        font.setBold(True)
        self.title.setFont(font)
        self.new = QToolButton()
        self.new.setText("+")
        self.new.setAutoRaise(True)
        self.new.setToolTip("New board")
        self.new.setAccessibleName("New board")
        self.new.clicked.connect(self.createRequested)
        self.list = QListView()
        self.list.setModel(self.model)
        self.list.setItemDelegate(BoardDelegate(self.list))
        self.list.setAccessibleName("Boards list")
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DropOnly)
        self.list.setDropIndicatorShown(True)
        self.list.setAcceptDrops(True)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.customContextMenuRequested.connect(self._menu)
        self.list.activated.connect(self._open_index)
        self.list.clicked.connect(self._open_index)
        self.hint = QLabel("No boards yet. Press + or select photos and press B.")
        self.hint.setWordWrap(True)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.fold)
        header.addWidget(self.title, 1)
        header.addWidget(self.new)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 0, 4)
        layout.setSpacing(2)
        layout.addLayout(header)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.hint)
        self.model.modelReset.connect(self._update_hint)
        self.model.modelReset.connect(self._highlight_shown)
        self._apply()

    @property
    def folded(self) -> bool:
        return self.folded_by_hand or self.narrow

    def toggle(self) -> None:
        """By hand: while the window is narrow, unfolding keeps it open until the window is wide again."""
        if self.folded:
            self.folded_by_hand, self.narrow = False, False
        else:
            self.folded_by_hand = True
        self._apply()
        self.foldedChanged.emit(self.folded_by_hand)

    def set_narrow(self, narrow: bool) -> None:
        if narrow != self.narrow:
            self.narrow = narrow
            self._apply()

    def _apply(self) -> None:
        folded = self.folded
        self.setVisible(not folded)
        self.unfold.setVisible(folded)
        self._update_hint()
        self.setFixedWidth(self.open_width)

    def set_shown(self, board_id: int | None) -> None:
        """The board open in the grid is bold and highlighted; none is once the grid shows something else."""
        self.model.set_shown(board_id)
        self._highlight_shown()

    def _highlight_shown(self) -> None:
        row = self.model.row_of(self.model.shown) if self.model.shown is not None else None
        selection = self.list.selectionModel()
        if row is None:
            selection.clearSelection()
            selection.clearCurrentIndex()
        else:
            selection.setCurrentIndex(self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def _update_hint(self) -> None:
        self.hint.setVisible(not self.folded and not self.model.boards)

    def board_at(self, point: QPoint) -> int | None:
        index = self.list.indexAt(point)
        return int(index.data(BoardIdRole)) if index.isValid() else None

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.openRequested.emit(int(index.data(BoardIdRole)))

    def _menu(self, point: QPoint) -> None:
        menu = QMenu(self)
        board = self.board_at(point)
        if board is not None:
            menu.addAction("Open", lambda: self.openRequested.emit(board))
            menu.addAction("Rename…", lambda: self.renameRequested.emit(board))
            menu.addAction("Duplicate", lambda: self.duplicateRequested.emit(board))
            menu.addAction("Export…", lambda: self.exportRequested.emit(board))
            menu.addAction("Delete…", lambda: self.deleteRequested.emit(board))
            menu.addSeparator()
        menu.addAction("New board…", self.createRequested.emit)
        menu.popup(self.list.viewport().mapToGlobal(point))
