"""Quick-look: the selected item at full size over the window (Space opens and closes it, Esc closes it, the
arrows move to the next or previous item, + and - or the wheel zoom, 0 fits)."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QImage, QKeyEvent, QPixmap, QWheelEvent
from PySide6.QtWidgets import QDialog, QLabel, QScrollArea, QVBoxLayout, QWidget

from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.results_model import display_name
from fashion_desktop.ui.thumbnails import ThumbnailLoader

FULL = 2400  # decoded at most this many pixels on the longer side (a camera original is decoded smaller)


class QuickLook(QDialog):
    moveRequested = Signal(int)  # -1 previous, +1 next

    def __init__(self, loader: ThumbnailLoader, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Quick look")
        self.loader = loader
        self.shown: SearchResult | None = None
        self.image = QImage()
        self.zoom = 0.0  # 0 = fit the window
        self.picture = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.area = QScrollArea()
        self.area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.area.setWidget(self.picture)
        self.area.setWidgetResizable(False)
        self.area.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the arrows move to the next item, not scroll the picture
        self.info = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.area, 1)
        layout.addWidget(self.info)
        loader.loaded.connect(self._loaded)

    def show_result(self, result: SearchResult, fallback: QPixmap | None = None) -> None:
        """Shows the tile's picture at once, the full-size one when it is decoded."""
        self.shown = result
        self.zoom = 0.0
        self.image = fallback.toImage() if fallback is not None and not fallback.isNull() else QImage()
        self.info.setText(f"{display_name(result)} — {result.path.name}   ·   ←/→ next, +/− zoom, Esc close")
        self._render()
        self.loader.request(("full", result.item_id), result.path, FULL, cached=False)

    def _loaded(self, key: object, image: QImage) -> None:
        if self.shown is not None and key == ("full", self.shown.item_id) and not image.isNull():
            self.image = image
            self._render()

    def _render(self) -> None:
        if self.image.isNull():
            self.picture.setText("Loading…")
            self.picture.adjustSize()
            return
        if self.zoom <= 0:
            box = self.area.viewport().size() - QSize(4, 4)
            size = self.image.size().scaled(box, Qt.AspectRatioMode.KeepAspectRatio)
        else:
            size = self.image.size() * self.zoom
        pixmap = QPixmap.fromImage(
            self.image.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        )
        self.picture.setPixmap(pixmap)
        self.picture.resize(pixmap.size())

    def zoom_by(self, factor: float) -> None:
        if self.image.isNull():
            return
        current = self.zoom or self.picture.width() / max(1, self.image.width())
        self.zoom = max(0.05, min(8.0, current * factor))
        self._render()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Escape, Qt.Key.Key_Space):
            self.close()
        elif key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.moveRequested.emit(1)
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.moveRequested.emit(-1)
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom_by(1.25)
        elif key == Qt.Key.Key_Minus:
            self.zoom_by(0.8)
        elif key == Qt.Key.Key_0:
            self.zoom = 0.0
            self._render()
        else:
            super().keyPressEvent(event)

    def wheelEvent(self, event: QWheelEvent) -> None:
        self.zoom_by(1.15 if event.angleDelta().y() > 0 else 1 / 1.15)

    def resizeEvent(self, event: object) -> None:
        if self.zoom <= 0:
            self._render()
