"""The filter bar: the library's order, every metadata field and the folder as multi-select filters with counts
(colours with a swatch), active filters marked, "Clear all", the text box and how many similar items to show."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from fashion_desktop.catalog.fields import FIELDS, FOLDER_FILTER
from fashion_desktop.catalog.query import SORTS, FacetValue, Query
from fashion_desktop.ui.colours import swatch
from fashion_desktop.ui.query_strip import tool_button

COUNTS = (12, 24, 48, 96, 200)
RANKED = "ranked"  # the sort box's entry for an order that is not a library sort (similarity, a board's own)
COLOUR_FIELD = "base_colour"


def filter_fields() -> list[tuple[str, str, bool]]:
    """(key, label, in the bar itself) of every filter: the metadata fields, then the folder."""
    fields = [(f.column, f.label, f.shown) for f in FIELDS if f.facet]
    return [*fields, (FOLDER_FILTER, "Folder", False)]


def swatch_icon(colour: QColor) -> QIcon:
    pixmap = QPixmap(14, 14)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(QColor(110, 110, 110))
    painter.setBrush(colour)
    painter.drawRoundedRect(0, 0, 13, 13, 3, 3)
    painter.end()
    return QIcon(pixmap)


class FilterList(QWidget):
    """A field's values with counts and check boxes (several may be chosen); stays open while choosing."""

    changed = Signal(str, object)  # field key, tuple of chosen values

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key
        self.search = QLineEdit(placeholderText="Find a value…", clearButtonEnabled=True)
        self.search.textChanged.connect(self._narrow)
        self.values = QListWidget()
        self.values.setMinimumWidth(240)
        self.values.itemChanged.connect(self._item_changed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.values)
        self._filling = False

    def fill(self, facets: list[FacetValue], chosen: tuple[str, ...]) -> None:
        self._filling = True
        self.values.clear()
        wanted = {v.casefold() for v in chosen}
        for facet in facets:
            item = QListWidgetItem(f"{facet.value}   ({facet.count})")
            item.setData(Qt.ItemDataRole.UserRole, facet.value)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if facet.value.casefold() in wanted else Qt.CheckState.Unchecked)
            colour = swatch(facet.value) if self.key == COLOUR_FIELD else None
            if colour is not None:
                item.setIcon(swatch_icon(colour))
            self.values.addItem(item)
        if not facets:
            empty = QListWidgetItem("No values in this catalog")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.values.addItem(empty)
        self.search.setVisible(len(facets) > 12)
        rows = min(max(len(facets), 1), 14)
        self.values.setFixedHeight(rows * (self.values.sizeHintForRow(0) or 20) + 6)
        self._narrow(self.search.text())
        self._filling = False

    def chosen(self) -> tuple[str, ...]:
        items = (self.values.item(row) for row in range(self.values.count()))
        return tuple(
            str(item.data(Qt.ItemDataRole.UserRole))
            for item in items
            if item.checkState() == Qt.CheckState.Checked and item.data(Qt.ItemDataRole.UserRole)
        )

    def _narrow(self, text: str) -> None:
        for row in range(self.values.count()):
            item = self.values.item(row)
            item.setHidden(bool(text) and text.casefold() not in item.text().casefold())

    def _item_changed(self, item: QListWidgetItem) -> None:
        if not self._filling:
            self.changed.emit(self.key, self.chosen())


class FilterButton(QToolButton):
    """A field's button: its label, or the chosen values (then drawn as checked: a visible mark)."""

    def __init__(self, key: str, label: str) -> None:
        super().__init__()
        self.key = key
        self.label = label
        self.list = FilterList(key)
        menu = QMenu(label, self)
        action = QWidgetAction(menu)
        action.setDefaultWidget(self.list)
        menu.addAction(action)
        self.setMenu(menu)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setCheckable(True)
        self.setAccessibleName(f"{label} filter")
        self.show_chosen(())

    def show_chosen(self, chosen: tuple[str, ...], on_board: bool = False) -> None:
        self.setChecked(bool(chosen))
        font = QFont(self.font())
        font.setBold(bool(chosen))
        self.setFont(font)
        if not chosen:
            self.setText(self.label)
        else:
            more = f" +{len(chosen) - 1}" if len(chosen) > 1 else ""
            self.setText(f"{self.label}: {chosen[0]}{more}")
        where = "the library " if on_board else ""
        self.setToolTip(f"{self.label}: {', '.join(chosen)}" if chosen else f"Filter {where}by {self.label.lower()}")


class FilterBar(QWidget):
    filtersChanged = Signal(object)  # tuple of (field, value)
    textChanged = Signal(str)  # after a pause in typing
    sortChanged = Signal(str)
    countChanged = Signal(int)
    clearRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.sort = QComboBox()
        self.sort.setToolTip("How the library is ordered while browsing")
        self.sort.setAccessibleName("Sort")
        for key, label in SORTS.items():
            self.sort.addItem(f"Sort: {label}", key)
        self.sort.currentIndexChanged.connect(lambda _: self.sortChanged.emit(str(self.sort.currentData())))
        self.buttons: dict[str, FilterButton] = {}
        self.more = tool_button("More", "More filters: category, subcategory, season, year, usage, folder")
        self.more.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more.setMenu(QMenu(self.more))
        self.text = QLineEdit(placeholderText="Search names, captions, colours, types…", clearButtonEnabled=True)
        self.text.setAccessibleName("Search text")
        self.text.setMinimumWidth(160)
        self.text.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.text.setAcceptDrops(False)  # images dropped here search by image, like anywhere else in the window
        self._typing = QTimer(self, singleShot=True, interval=300)
        self._typing.timeout.connect(lambda: self.textChanged.emit(self.text.text()))
        self.text.textEdited.connect(lambda _: self._typing.start())
        self.text.returnPressed.connect(self._typing_done)
        self.count = QComboBox()
        self.count.setToolTip("How many similar items an image search shows")
        self.count.setAccessibleName("Similar items to show")
        for count in COUNTS:
            self.count.addItem(f"{count} similar", count)
        self.count.currentIndexChanged.connect(lambda _: self.countChanged.emit(int(self.count.currentData())))
        self.clear = tool_button("Clear all", "Remove every filter and the search text")
        self.clear.clicked.connect(self.clearRequested)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 0, 6, 4)
        row.setSpacing(4)
        row.addWidget(self.sort)
        for key, label, in_bar in filter_fields():
            button = FilterButton(key, label)
            button.list.changed.connect(self._list_changed)
            self.buttons[key] = button
            row.addWidget(button)
            button.setVisible(in_bar)
        row.addWidget(self.more)
        row.addWidget(self.text, 1)
        row.addWidget(self.count)
        row.addWidget(self.clear)
        self._in_bar = {key for key, _, in_bar in filter_fields() if in_bar}
        self._filters: tuple[tuple[str, str], ...] = ()
        self._rebuild_more()

    # -- showing the query and the counts ------------------------------------------------------------------------
    def show_query(self, query: Query) -> None:
        self._filters = query.filters
        self._show_order(query)
        self._offer_count(query.k)
        for widget, value in ((self.sort, query.sort if query.browsing else RANKED), (self.count, query.k)):
            widget.blockSignals(True)
            widget.setCurrentIndex(max(0, widget.findData(value)))
            widget.blockSignals(False)
        text = query.text
        if text != self.text.text().strip():
            self.text.setText(text)
        on_board = query.board is not None  # words and filters search the library: the board is left
        self.text.setPlaceholderText(
            "Search the library: names, captions, colours…" if on_board else "Search names, captions, colours, types…"
        )
        for key, button in self.buttons.items():
            chosen = self.chosen(key)
            button.show_chosen(chosen, on_board)
            button.setVisible(key in self._in_bar or bool(chosen))  # an active filter is always in sight
        self.clear.setEnabled(bool(query.filters or text))
        self._rebuild_more()

    def _show_order(self, query: Query) -> None:
        """Similar items are ranked by similarity and a board keeps its own order, whatever the library's sort: the
        box says so instead of showing a sort that does not apply (and comes back as it was when browsing again)."""
        ranked_at = self.sort.findData(RANKED)
        self.sort.blockSignals(True)
        if ranked_at >= 0:
            self.sort.removeItem(ranked_at)
        if not query.browsing:
            self.sort.addItem("Sort: Board order" if query.board is not None else "Sort: Similarity", RANKED)
        self.sort.blockSignals(False)
        self.sort.setEnabled(query.browsing)
        self.sort.setToolTip(
            "How the library is ordered while browsing"
            if query.browsing
            else "A board keeps its own order: drag tiles to change it"
            if query.board is not None
            else "Similar items are ranked by similarity"
        )

    def _offer_count(self, count: int) -> None:
        """A count from elsewhere (a settings file, the command line) is offered in order among the usual ones
        rather than shown as the first of them."""
        if self.count.findData(count) >= 0:
            return
        at = next((i for i in range(self.count.count()) if int(self.count.itemData(i)) > count), self.count.count())
        self.count.blockSignals(True)
        self.count.insertItem(at, f"{count} similar", count)
        self.count.blockSignals(False)

    def show_facets(self, facets: dict[str, list[FacetValue]]) -> None:
        for key, button in self.buttons.items():
            button.list.fill(facets.get(key, []), self.chosen(key))

    def chosen(self, key: str) -> tuple[str, ...]:
        return tuple(value for name, value in self._filters if name == key)

    def _rebuild_more(self) -> None:
        """Fields not in the bar are reached through "More"; the same menu opens from either place."""
        menu = self.more.menu()
        menu.clear()
        hidden = [b for b in self.buttons.values() if b.key not in self._in_bar and not b.isChecked()]
        for button in hidden:
            menu.addMenu(button.menu())
        self.more.setVisible(bool(hidden))

    def _list_changed(self, key: str, chosen: object) -> None:
        values = tuple(chosen) if isinstance(chosen, tuple) else ()
        others = tuple(pair for pair in self._filters if pair[0] != key)
        self.filtersChanged.emit(others + tuple((key, value) for value in values))

    def _typing_done(self) -> None:
        self._typing.stop()
        self.textChanged.emit(self.text.text())
