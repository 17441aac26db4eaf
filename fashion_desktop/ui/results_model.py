"""The grid's model: search results, or the whole library while browsing (then only item ids are held and tiles
are fetched a page at a time as they scroll into view), with thumbnails filled in lazily and kept for the tiles
recently shown only."""

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
from fashion_desktop.ui.thumbnails import ThumbnailLoader

ScoreRole = Qt.ItemDataRole.UserRole + 1
CaptionRole = Qt.ItemDataRole.UserRole + 2
ItemIdRole = Qt.ItemDataRole.UserRole + 3
NameRole = Qt.ItemDataRole.UserRole + 4
DuplicatesRole = Qt.ItemDataRole.UserRole + 5
TileRole = Qt.ItemDataRole.UserRole + 6  # everything a tile paints, in one call (painting is per frame)

ModelIndex = QModelIndex | QPersistentModelIndex
PAGE = 120  # tiles fetched at once while browsing
KEPT_THUMBNAILS = 500  # pictures held in memory (~40 MB at the default size): ten screens, whatever the catalog size


@dataclass(frozen=True)
class Tile:
    name: str
    caption: str
    score: float
    duplicates: int
    picture: QPixmap


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
        self._ids: list[int] = []
        self._row_by_id: dict[int, int] = {}
        self._results: dict[int, SearchResult] = {}  # by row
        self._captions: dict[int, str] = {}
        self._thumbnails: OrderedDict[int, QPixmap] = OrderedDict()
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

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Any) -> QMimeData:
        """Results dragged out are files: other apps (moodboards) and our own query strip accept them."""
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path)) for path in self.paths([i.row() for i in indexes if i.isValid()])])
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

    def add_page(self, request_id: int, offset: int, results: list[SearchResult]) -> None:
        if request_id != self.request_id:
            return  # a page of a view no longer shown
        by_id = {r.item_id: r for r in results}
        rows = [row for row in range(offset, min(offset + PAGE, len(self._ids))) if self._ids[row] in by_id]
        for row in rows:
            self._results[row] = by_id[self._ids[row]]
        if rows:
            self.dataChanged.emit(self.index(rows[0]), self.index(rows[-1]))

    def _reset(self, request_id: int, ids: list[int], rows: dict[int, SearchResult], browsing: bool) -> None:
        self.beginResetModel()
        self.request_id = request_id
        self.browsing = browsing
        self._ids = ids
        self._row_by_id = {item_id: row for row, item_id in enumerate(ids)}
        self._results = rows
        self._captions = {}
        self._requested_pages = {0} if browsing else set()
        self._wanted_pages.clear()
        self.endResetModel()
        self.keep_position = False

    def clear(self) -> None:
        self._reset(0, [], {}, browsing=False)

    def set_caption(self, item_id: int, caption: str) -> None:
        self._captions[item_id] = caption
        row = self.row_of(item_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [CaptionRole])

    # -- reading ------------------------------------------------------------------------------------------
    def result_at(self, row: int) -> SearchResult | None:
        return self._results.get(row)

    def row_of(self, item_id: int) -> int | None:
        return self._row_by_id.get(item_id)

    def item_ids(self) -> list[int]:
        return list(self._ids)

    def paths(self, rows: list[int]) -> list[Path]:
        return [self._results[row].path for row in sorted(set(rows)) if row in self._results]

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
                "tile", {("tile", self._side, self._ids[r]) for r in rows if 0 <= r < len(self._ids)}
            )

    def _placeholder_pixmap(self) -> QPixmap:
        if self._placeholder is None:
            self._placeholder = placeholder(self._side)
            self._placeholder.setDevicePixelRatio(self._ratio)
        return self._placeholder

    def _thumbnail(self, result: SearchResult) -> QPixmap:
        pixmap = self._thumbnails.get(result.item_id)
        if pixmap is not None:
            self._thumbnails.move_to_end(result.item_id)
            return pixmap
        if self._loader is not None:
            self._loader.request(("tile", self._side, result.item_id), Path(result.path), self._side)
        return self._placeholder_pixmap()

    def _thumbnail_loaded(self, key: object, image: QImage) -> None:
        if not (isinstance(key, tuple) and len(key) == 3 and key[0] == "tile" and key[1] == self._side):
            return
        item_id = key[2]
        if image.isNull() or not isinstance(item_id, int):
            return
        pixmap = QPixmap.fromImage(image)  # pixmaps only here, on the GUI thread
        pixmap.setDevicePixelRatio(self._ratio)
        self._thumbnails[item_id] = pixmap
        while len(self._thumbnails) > KEPT_THUMBNAILS:
            self._thumbnails.popitem(last=False)
        row = self.row_of(item_id)
        if row is not None:
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])


def similarity_percent(score: object) -> int | None:
    """Cosine similarity as the percentage shown on a tile; None while browsing (no query to compare with)."""
    if not isinstance(score, float) or not math.isfinite(score):
        return None
    return round(100 * max(0.0, min(1.0, score)))
