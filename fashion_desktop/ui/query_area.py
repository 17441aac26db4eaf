"""The query area: shows the query image(s), accepts drops, and lets the stylist select a region."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

from fashion_desktop.catalog.query import QueryImage, Region
from fashion_desktop.ui.mime import decode_mime

HINT = "Drop images here — from your files, a browser or the results.\nPaste with Ctrl+V, open with Ctrl+O."


class QueryArea(QWidget):
    imagesDropped = Signal(object)  # list[QueryImage]
    problem = Signal(str)
    regionSelected = Signal(object)  # Region, or None when cleared

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setMinimumHeight(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self._pixmaps: list[QPixmap] = []
        self._rects: list[QRect] = []
        self._drag_from: QPoint | None = None
        self._selection: QRect | None = None
        self.region: Region | None = None

    def sizeHint(self) -> QSize:
        return QSize(600, 220)

    # -- showing ----------------------------------------------------------------------------------------
    def show_images(self, images: list[QueryImage]) -> None:
        self._pixmaps = []
        for image in images:
            qimage = QImage(str(image.path)) if image.path is not None else QImage.fromData(image.data or b"")
            self._pixmaps.append(QPixmap.fromImage(qimage) if not qimage.isNull() else QPixmap())
        self.clear_region()
        self.update()

    def clear_region(self) -> None:
        self._selection = None
        if self.region is not None:
            self.region = None

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.AlternateBase))
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DashLine))
        painter.drawRect(self.rect().adjusted(2, 2, -3, -3))
        self._rects = []
        if not self._pixmaps:
            painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, HINT)
            return
        slot = (self.width() - 16) // len(self._pixmaps)
        for position, pixmap in enumerate(self._pixmaps):
            if pixmap.isNull():
                continue
            scaled = pixmap.size().scaled(QSize(slot - 8, self.height() - 16), Qt.AspectRatioMode.KeepAspectRatio)
            x = 8 + position * slot + (slot - scaled.width()) // 2
            rect = QRect(QPoint(x, (self.height() - scaled.height()) // 2), scaled)
            painter.drawPixmap(rect, pixmap)
            self._rects.append(rect)
        if self._selection is not None:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(self._selection)

    # -- region selection (one image only) -----------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        if len(self._rects) == 1 and self._rects[0].contains(event.position().toPoint()):
            self._drag_from = event.position().toPoint()
            self._selection = QRect(self._drag_from, QSize(0, 0))
            self.update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is not None:
            self._selection = QRect(self._drag_from, event.position().toPoint()).normalized() & self._rects[0]
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._drag_from is None or self._selection is None:
            return
        self._drag_from = None
        if self._selection.width() < 6 or self._selection.height() < 6:
            self._selection = None
            self.region = None
            self.regionSelected.emit(None)
        else:
            self.region = self.relative(self._selection)
            self.regionSelected.emit(self.region)
        self.update()

    def relative(self, selection: QRect) -> Region:
        image = QRectF(self._rects[0])
        return Region(
            (selection.x() - image.x()) / image.width(),
            (selection.y() - image.y()) / image.height(),
            selection.width() / image.width(),
            selection.height() / image.height(),
        )

    # -- drops: decode only, then hand over ------------------------------------------------------------------
    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls() or event.mimeData().hasImage() or event.mimeData().formats():
            event.acceptProposedAction()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        decoded = decode_mime(event.mimeData())
        event.acceptProposedAction()
        if decoded.problem:
            self.problem.emit(decoded.problem)
        else:
            self.imagesDropped.emit(decoded.images)
