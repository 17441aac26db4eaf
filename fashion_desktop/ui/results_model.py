"""The grid's model: search results, or the whole library while browsing (then only item ids are held and tiles
are fetched a page at a time as they scroll into view), or a board's items in their order (missing ones marked),
with thumbnails filled in lazily and kept for the tiles recently shown only."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from fashion_desktop.catalog.fields import NAME
from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.mime import ITEMS_MIME, DraggedItems, encode_items
from fashion_desktop.ui.thumbnails import ThumbnailLoader
from fashion_desktop.workers.board_edits import ItemsToAdd
from fashion_desktop.workers.messages import BoardCard

ScoreRole = Qt.ItemDataRole.UserRole + 1
CaptionRole = Qt.ItemDataRole.UserRole + 2
ItemIdRole = Qt.ItemDataRole.UserRole + 3
NameRole = Qt.ItemDataRole.UserRole + 4
DuplicatesRole = Qt.ItemDataRole.UserRole + 5
TileRole = Qt.ItemDataRole.UserRole + 6  # everything a tile paints, in one call (painting is per frame)
NoteRole = Qt.ItemDataRole.UserRole + 7  # a board item's note
MissingRole = Qt.ItemDataRole.UserRole + 8  # a board item whose file is gone

ModelIndex = QModelIndex | QPersistentModelIndex
RowKey = int | str  # what a row is: an item id (results, the library), a content hash (a board's item)
PictureKey = int | Path  # what a picture is kept by: the item id, or the file (a board item not indexed yet)
PAGE = 120  # tiles fetched at once while browsing
KEPT_THUMBNAILS = 500  # pictures held in memory (~40 MB at the default size): ten screens, whatever the catalog size


@dataclass(frozen=True)
class Tile:
    name: str
    caption: str  # or a board item's note
    score: float
    duplicates: int
    picture: QPixmap
    missing: bool = False  # a board item whose file is gone: painted as such, never a blank box


@dataclass(frozen=True)
class Place:
    """Where the stylist was in a view: the first tile in view and the current one. Back and Forward return there,
    as a browser does; a new view opens at its top."""

    top: RowKey | None
    current: RowKey | None = None
    offset: int = 0  # how far the top tile's line is scrolled up out of view, in pixels


def display_name(result: SearchResult) -> str:
    """The product's name from styles.csv, else the file name."""
    return result.metadata.get(NAME) or result.path.name


def placeholder(size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setPen(QColor(150, 150, 150))
    painter.setBrush(QColor(128, 128, 128, 40))
    margin = max(4, size // 20)
    painter.drawRoundedRect(margin, margin, size - 2 * margin, size - 2 * margin, 10, 10)
    painter.end()
    return pixmap


class ResultsModel(QAbstractListModel):
    pageNeeded = Signal(int, int, object)  # browse request id, offset, item ids of that page

    def __init__(self, loader: ThumbnailLoader | None = None) -> None:
        super().__init__()
        self.request_id = 0  # the answer shown
        self.browsing = False
        self.keep_position = False  # the next reset refreshes the same view: the grid keeps its scroll position
        self.return_to: Place | None = None  # the next reset shows a view left before: the grid returns there
        self.place: Place | None = None  # where the stylist is in the view shown (noted by the grid)
        self.catalog = ""  # the catalog shown (its items, dragged, are recognised by the boards)
        self.board: int | None = None  # the board shown, if any
        self._ids: list[RowKey] = []
        self._row_by_key: dict[object, int] = {}
        self._row_by_picture: dict[object, int] = {}  # the same as by key, but for a board
        self._results: dict[int, SearchResult] = {}  # by row
        self._cards: list[BoardCard] = []  # a board's items, by row
        self._captions: dict[int, str] = {}
        self._thumbnails: OrderedDict[PictureKey, QPixmap] = OrderedDict()
        self._requested_pages: set[int] = set()
        self._wanted_pages: set[int] = set()
        self._loader = loader
        self._side = 140  # device pixels
        self._ratio = 1.0
        self._placeholder: QPixmap | None = None
        self._page_timer = QTimer(self, singleShot=True, interval=0)
        self._page_timer.timeout.connect(self._ask_pages)
        if loader is not None:
            loader.loaded.connect(self._thumbnail_loaded)

    # -- Qt model API -------------------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._ids)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._ids):
            return None
        row = index.row()
        result = self._results.get(row)
        if self._cards:
            return self._card_data(row, result, role)
        if role == ItemIdRole:
            return self._ids[row]
        if role == TileRole:
            if result is None:
                self._want(row)
                return Tile("", "", math.nan, 0, self._placeholder_pixmap())
            caption = self._captions.get(result.item_id) or result.caption or ""
            return Tile(display_name(result), caption, result.score, len(result.duplicates), self._thumbnail(result))
        if result is None:
            self._want(row)
            if role == Qt.ItemDataRole.DecorationRole:
                return self._placeholder_pixmap()
            return "" if role in (Qt.ItemDataRole.DisplayRole, NameRole, CaptionRole) else None
        if role == Qt.ItemDataRole.DisplayRole or role == NameRole:
            return display_name(result)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(result)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(result.path)
        if role == ScoreRole:
            return result.score
        if role == CaptionRole:
            return self._captions.get(result.item_id) or result.caption or ""
        if role == DuplicatesRole:
            return len(result.duplicates)
        return None

    def _card_data(self, row: int, result: SearchResult | None, role: int) -> Any:
        """A board's item: its note on the tile (else its caption); a missing one marked, with a placeholder."""
        card = self._cards[row]
        if role == TileRole:
            picture = self._picture(row)
            text = card.note or (self.caption_of(result) if result else card.caption) or ""
            return Tile(card.name, text, math.nan, 0, picture, card.missing)
        if role in (Qt.ItemDataRole.DisplayRole, NameRole):
            return card.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._picture(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Missing: last seen at {card.path}" if card.missing else str(card.path)
        if role == ItemIdRole:
            return card.item_id if card.item_id is not None else -1
        if role == CaptionRole:
            return (self.caption_of(result) if result else card.caption) or ""
        if role == NoteRole:
            return card.note
        if role == MissingRole:
            return card.missing
        if role == ScoreRole:
            return math.nan
        if role == DuplicatesRole:
            return 0
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list", ITEMS_MIME]

    def mimeData(self, indexes: Any) -> QMimeData:
        """Results dragged out are files: other apps (moodboards) and our own query strip accept them. Inside the
        window they are also items (a board's ones by content, missing ones too): boards take them, and an open
        board reorders them."""
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in self.paths(rows)])
        mime.setData(ITEMS_MIME, encode_items(DraggedItems(self.catalog, self.board, self.items_at(rows))))
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # -- answers ------------------------------------------------------------------------------------------
    def set_results(self, request_id: int, results: list[SearchResult]) -> None:
        """An image query's results: all known at once."""
        self._reset(request_id, [r.item_id for r in results], dict(enumerate(results)), browsing=False)

    def set_library(self, request_id: int, item_ids: list[int], first_page: list[SearchResult]) -> None:
        """The library while browsing: ids only, the first page of tiles; the rest are asked for as they show."""
        rows = {row: result for row, result in enumerate(first_page) if row < len(item_ids)}
        self._reset(request_id, list(item_ids), rows, browsing=True)

    def set_board(self, request_id: int, board: int, cards: list[BoardCard]) -> None:
        """A board's items in its order; a missing one keeps its place, marked."""
        rows = {row: result for row, card in enumerate(cards) if (result := card.result) is not None}
        self._reset(request_id, [card.content_hash for card in cards], rows, browsing=False, board=board, cards=cards)

    def add_page(self, request_id: int, offset: int, results: list[SearchResult]) -> None:
        if request_id != self.request_id or not self.browsing:
            return  # a page of a view no longer shown
        by_id: dict[RowKey, SearchResult] = {r.item_id: r for r in results}
        rows = [row for row in range(offset, min(offset + PAGE, len(self._ids))) if self._ids[row] in by_id]
        for row in rows:
            self._results[row] = by_id[self._ids[row]]
        if rows:
            self.dataChanged.emit(self.index(rows[0]), self.index(rows[-1]))

    def _reset(
        self,
        request_id: int,
        ids: list[RowKey],
        rows: dict[int, SearchResult],
        browsing: bool,
        board: int | None = None,
        cards: list[BoardCard] | None = None,
    ) -> None:
        self.beginResetModel()
        self.place = None
        self.request_id = request_id
        self.browsing = browsing
        self.board = board
        self._ids = ids
        self._cards = cards or []
        self._row_by_key = {key: row for row, key in enumerate(ids)}
        self._results = rows
        self._row_by_picture = (
            {self._picture_key(row): row for row in range(len(ids))} if self._cards else self._row_by_key
        )
        self._captions = {}
        self._requested_pages = {0} if browsing else set()
        self._wanted_pages.clear()
        self.endResetModel()
        self.keep_position = False
        self.return_to = None

    def clear(self) -> None:
        self._reset(0, [], {}, browsing=False)

    def set_caption(self, item_id: int, caption: str) -> None:
        self._captions[item_id] = caption
        row = self._row_by_picture.get(item_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [CaptionRole])

    # -- reading ------------------------------------------------------------------------------------------
    def result_at(self, row: int) -> SearchResult | None:
        return self._results.get(row)

    def card_at(self, row: int) -> BoardCard | None:
        """The board item of this row when a board is shown."""
        return self._cards[row] if 0 <= row < len(self._cards) else None

    def row_of(self, key: RowKey) -> int | None:
        """The row of an item id (results, the library) or of a content hash (a board)."""
        return self._row_by_key.get(key)

    def key_at(self, row: int) -> RowKey:
        return self._ids[row]

    def item_ids(self) -> list[int]:
        """The item ids of the rows, in order (of a board: of the items that are in the catalog)."""
        if self._cards:
            return [card.item_id for card in self._cards if card.item_id is not None]
        return [key for key in self._ids if isinstance(key, int)]

    def paths(self, rows: list[int]) -> list[Path]:
        """The files of these rows that are there (a board's missing items have none)."""
        if self._cards:
            return [self._cards[row].path for row in sorted(set(rows)) if self._has_file(row)]
        return [self._results[row].path for row in sorted(set(rows)) if row in self._results]

    def items_at(self, rows: list[int]) -> ItemsToAdd:
        """These rows as a board takes them: items by id, or a board's items by content (missing ones too)."""
        if self._cards:
            cards = [self._cards[row] for row in sorted(set(rows)) if 0 <= row < len(self._cards)]
            return ItemsToAdd(contents=tuple((card.content_hash, card.last_path) for card in cards))
        return ItemsToAdd(
            item_ids=tuple(self._results[row].item_id for row in sorted(set(rows)) if row in self._results)
        )

    def _has_file(self, row: int) -> bool:
        return 0 <= row < len(self._cards) and not self._cards[row].missing

    def caption_of(self, result: SearchResult) -> str | None:
        return self._captions.get(result.item_id) or result.caption

    def uncaptioned(self, rows: list[int]) -> list[int]:
        """Item ids of these rows with no caption known yet, in the order given."""
        found = []
        for row in rows:
            result = self._results.get(row)
            if result is not None and not self.caption_of(result):
                found.append(result.item_id)
        return found

    # -- pages while browsing ---------------------------------------------------------------------------------
    def fetch(self, row: int) -> None:
        """Read this row's tile even though it is not painted (the detail pane shows it)."""
        if 0 <= row < len(self._ids) and row not in self._results:
            self._want(row)

    def _want(self, row: int) -> None:
        page = row // PAGE
        if self.browsing and page not in self._requested_pages:
            self._wanted_pages.add(page)
            self._page_timer.start()  # painting asks for rows one by one: ask once per turn of the event loop

    def _ask_pages(self) -> None:
        for page in sorted(self._wanted_pages - self._requested_pages):
            self._requested_pages.add(page)
            offset = page * PAGE
            self.pageNeeded.emit(self.request_id, offset, self._ids[offset : offset + PAGE])
        self._wanted_pages.clear()

    # -- thumbnails ------------------------------------------------------------------------------------------
    def set_thumbnail_side(self, side: int, ratio: float = 1.0) -> None:
        """Pictures are kept at the tile's size in device pixels (`ratio` on HiDPI screens): painting never
        scales."""
        pixels = round(side * ratio)
        if (pixels, ratio) != (self._side, self._ratio):
            self._side, self._ratio = pixels, ratio
            self._thumbnails.clear()
            self._placeholder = None
            if self._loader is not None:
                self._loader.forget("tile")
            if self._ids:
                self.dataChanged.emit(self.index(0), self.index(len(self._ids) - 1), [Qt.ItemDataRole.DecorationRole])

    def keep_thumbnails_for(self, rows: range) -> None:
        """Only tiles in view (and near it) keep their queued decodes."""
        if self._loader is not None:
            self._loader.keep_only(
                "tile", {("tile", self._side, self._picture_key(r)) for r in rows if 0 <= r < len(self._ids)}
            )

    def _placeholder_pixmap(self) -> QPixmap:
        if self._placeholder is None:
            self._placeholder = placeholder(self._side)
            self._placeholder.setDevicePixelRatio(self._ratio)
        return self._placeholder

    def _picture_key(self, row: int) -> PictureKey:
        """Pictures are kept by item id, so a board and the library share them; a board item the catalog has not
        indexed yet by its file."""
        if self._cards:
            card = self._cards[row]
            return card.item_id if card.item_id is not None else card.path
        key = self._ids[row]
        assert isinstance(key, int)
        return key

    def _picture(self, row: int) -> QPixmap:
        """A board item's picture (a missing one: the placeholder, marked by the delegate)."""
        result = self._results.get(row)
        if result is not None:
            return self._thumbnail(result)
        if self._has_file(row):
            return self._thumbnail_of(self._picture_key(row), self._cards[row].path)
        return self._placeholder_pixmap()

    def _thumbnail(self, result: SearchResult) -> QPixmap:
        return self._thumbnail_of(result.item_id, Path(result.path))

    def _thumbnail_of(self, key: PictureKey, path: Path) -> QPixmap:
        pixmap = self._thumbnails.get(key)
        if pixmap is not None:
            self._thumbnails.move_to_end(key)
            return pixmap
        if self._loader is not None:
            self._loader.request(("tile", self._side, key), path, self._side)
        return self._placeholder_pixmap()

    def _thumbnail_loaded(self, key: object, image: QImage) -> None:
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] == "tile" and key[1] == self._side):
            return
        picture = key[2]
        if image.isNull() or not isinstance(picture, int | Path):
            return
        pixmap = QPixmap.fromImage(image)  # pixmaps only here, on the GUI thread
        pixmap.setDevicePixelRatio(self._ratio)
        self._thumbnails[picture] = pixmap
        while len(self._thumbnails) > KEPT_THUMBNAILS:
            self._thumbnails.popitem(last=False)
        row = self._row_by_picture.get(picture)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def similarity_percent(score: object) -> int | None:
    """Cosine similarity as the percentage shown on a tile; None while browsing (no query to compare with)."""
    if not isinstance(score, float) or not math.isfinite(score):
        return None
    return round(100 * max(0.0, min(1.0, score)))
