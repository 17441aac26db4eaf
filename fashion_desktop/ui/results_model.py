"""The result grid's model: one row per search result, thumbnails filled in lazily."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractListModel, QMimeData, QModelIndex, QPersistentModelIndex, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap

from fashion_desktop.catalog.fields import NAME
from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.thumbnails import ThumbnailLoader

ScoreRole = Qt.ItemDataRole.UserRole + 1
CaptionRole = Qt.ItemDataRole.UserRole + 2
ItemIdRole = Qt.ItemDataRole.UserRole + 3
NameRole = Qt.ItemDataRole.UserRole + 4

ModelIndex = QModelIndex | QPersistentModelIndex


def placeholder(size: int = 160) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(0, 0, 0, 0))
    painter = QPainter(pixmap)
    painter.setPen(QColor(150, 150, 150))
    painter.setBrush(QColor(128, 128, 128, 40))
    painter.drawRoundedRect(8, 8, size - 16, size - 16, 10, 10)
    painter.end()
    return pixmap


class ResultsModel(QAbstractListModel):
    def __init__(self, loader: ThumbnailLoader | None = None) -> None:
        super().__init__()
        self._results: list[SearchResult] = []
        self._captions: dict[int, str] = {}
        self._thumbnails: dict[int, QPixmap] = {}
        self._loader = loader
        self._placeholder: QPixmap | None = None
        if loader is not None:
            loader.loaded.connect(self._thumbnail_loaded)

    # -- Qt model API -------------------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._results)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._results):
            return None
        result = self._results[index.row()]
        if role == Qt.ItemDataRole.DisplayRole or role == NameRole:
            return result.metadata.get(NAME) or result.path.name
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnail(result)
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(result.path)
        if role == ScoreRole:
            return result.score
        if role == CaptionRole:
            return self._captions.get(result.item_id) or result.caption
        if role == ItemIdRole:
            return result.item_id
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        base = super().flags(index)
        return base | Qt.ItemFlag.ItemIsDragEnabled if index.isValid() else base

    def mimeTypes(self) -> list[str]:
        return ["text/uri-list"]

    def mimeData(self, indexes: Any) -> QMimeData:
        """Results dragged out are files: other apps (moodboards) and our own query area accept them."""
        mime = QMimeData()
        rows = sorted({i.row() for i in indexes if i.isValid()})
        mime.setUrls([QUrl.fromLocalFile(str(self._results[r].path)) for r in rows])
        return mime

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.CopyAction

    # -- updates ------------------------------------------------------------------------------------------
    def set_results(self, results: list[SearchResult]) -> None:
        self.beginResetModel()
        self._results = list(results)
        self._thumbnails.clear()
        self._captions = {r.item_id: r.caption for r in results if r.caption}
        if self._loader is not None:
            self._loader.forget()
        self.endResetModel()

    def set_caption(self, item_id: int, caption: str) -> None:
        self._captions[item_id] = caption
        for row, result in enumerate(self._results):
            if result.item_id == item_id:
                index = self.index(row)
                self.dataChanged.emit(index, index, [CaptionRole])

    def result_at(self, row: int) -> SearchResult:
        return self._results[row]

    def item_ids(self) -> list[int]:
        return [r.item_id for r in self._results]

    def _thumbnail(self, result: SearchResult) -> QPixmap:
        pixmap = self._thumbnails.get(result.item_id)
        if pixmap is not None:
            return pixmap
        if self._loader is not None:
            self._loader.request(result.item_id, Path(result.path))
        if self._placeholder is None:
            self._placeholder = placeholder()
        return self._placeholder

    def _thumbnail_loaded(self, key: object, image: QImage) -> None:
        if image.isNull() or not isinstance(key, int):
            return
        for row, result in enumerate(self._results):
            if result.item_id == key:
                self._thumbnails[key] = QPixmap.fromImage(image)  # pixmaps only here, on the GUI thread
                index = self.index(row)
                self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
