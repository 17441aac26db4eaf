"""The query strip: Back/Forward, one chip per query image (removable, with the region drawn on it), a clear
button; a hint when there is no query. Pictures are decoded off the GUI thread, upright (EXIF), at chip size."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QImage, QMouseEvent, QPainter, QPaintEvent, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop.catalog.query import QueryImage, Region
from fashion_desktop.ui.thumbnails import ThumbnailLoader

CHIP = 48
HINT = "Drop images anywhere in the window, paste with Ctrl+V or open with Ctrl+O — or browse the library below."
REGION_PIXELS = 720  # the region editor's picture


def tool_button(text: str, tip: str, parent: QWidget | None = None) -> QToolButton:
    button = QToolButton(parent)
    button.setText(text)
    button.setToolTip(tip)
    return button


def region_rect(region: Region, picture: QRect) -> QRect:
    box = region.clamped()
    return QRect(
        round(picture.x() + box.left * picture.width()),
        round(picture.y() + box.top * picture.height()),
        round(box.width * picture.width()),
        round(box.height * picture.height()),
    )


class Chip(QWidget):
    """One query image; click to draw a region on it, × to remove it."""

    removeRequested = Signal(int)
    regionRequested = Signal(int)
    regionCleared = Signal(int)

    def __init__(self, position: int, image: QueryImage) -> None:
        super().__init__()
        self.position = position
        self.image = image
        self.pixmap = QPixmap()
        self.setFixedSize(CHIP + 8, CHIP + 8)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        name = image.label or (image.path.name if image.path else "image")
        region = " (region)" if image.region else ""
        self.setToolTip(f"{name}{region}\nClick to search by a region of it; right-click for more.")
        self.close_button = tool_button("×", f"Remove {image.label or 'this image'} from the query", self)
        self.close_button.setAccessibleName(f"Remove {name}")
        self.close_button.setFixedSize(18, 18)
        self.close_button.move(CHIP + 8 - 19, 1)
        self.close_button.clicked.connect(lambda: self.removeRequested.emit(self.position))

    def set_picture(self, image: QImage) -> None:
        self.pixmap = QPixmap.fromImage(image)
        self.update()

    def picture_rect(self) -> QRect:
        if self.pixmap.isNull():
            return QRect(4, 4, CHIP, CHIP)
        size = self.pixmap.size().scaled(QSize(CHIP, CHIP), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(QPoint(4 + (CHIP - size.width()) // 2, 4 + (CHIP - size.height()) // 2), size)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1))
        painter.setBrush(palette.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(self.rect().adjusted(0, 0, -1, -1), 6, 6)
        picture = self.picture_rect()
        if not self.pixmap.isNull():
            painter.drawPixmap(picture, self.pixmap)
        if self.image.region is not None:
            painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(region_rect(self.image.region, picture))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton and self.rect().contains(event.position().toPoint()):
            self.regionRequested.emit(self.position)

    def contextMenuEvent(self, event: object) -> None:
        menu = QMenu(self)
        menu.addAction("Search by a region…", lambda: self.regionRequested.emit(self.position))
        clear = menu.addAction("Whole image", lambda: self.regionCleared.emit(self.position))
        clear.setEnabled(self.image.region is not None)
        menu.addAction("Remove from the query", lambda: self.removeRequested.emit(self.position))
        menu.popup(self.mapToGlobal(QPoint(4, self.height())))


class QueryStrip(QWidget):
    backRequested = Signal()
    forwardRequested = Signal()
    clearRequested = Signal()
    removeRequested = Signal(int)
    regionChosen = Signal(int, object)  # position, Region or None

    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.loader = loader
        self.images: tuple[QueryImage, ...] = ()
        self.board: str | None = None  # the board shown in the grid
        self.chips: list[Chip] = []
        self.back_button = tool_button("◀", "Back (Alt+Left)")
        self.back_button.setAutoRaise(True)
        self.back_button.setAccessibleName("Back")
        self.forward_button = tool_button("▶", "Forward (Alt+Right)")
        self.forward_button.setAutoRaise(True)
        self.forward_button.setAccessibleName("Forward")
        self.back_button.clicked.connect(self.backRequested)
        self.forward_button.clicked.connect(self.forwardRequested)
        self.hint = QLabel(HINT, wordWrap=True)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.chip_row = QHBoxLayout()
        self.chip_row.setContentsMargins(0, 0, 0, 0)
        self.chip_row.setSpacing(6)
        chips = QWidget()
        chips.setLayout(self.chip_row)
        self.chip_area = QScrollArea(widgetResizable=True)
        self.chip_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.chip_area.setWidget(chips)
        self.chip_area.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.chip_area.setFixedHeight(CHIP + 12)
        self.caption = QLabel()
        self.clear_button = tool_button("× Clear", "Clear the query and browse the library (Esc)")
        self.clear_button.clicked.connect(self.clearRequested)
        row = QHBoxLayout(self)
        row.setContentsMargins(6, 4, 6, 4)
        row.addWidget(self.back_button)
        row.addWidget(self.forward_button)
        row.addWidget(self.hint, 1)
        row.addWidget(self.chip_area, 1)
        row.addWidget(self.caption)
        row.addWidget(self.clear_button)
        self.setFixedHeight(CHIP + 20)
        loader.loaded.connect(self._picture_loaded)
        self.show_images(())

    def set_history(self, can_back: bool, can_forward: bool) -> None:
        self.back_button.setEnabled(can_back)
        self.forward_button.setEnabled(can_forward)

    def show_board(self, name: str | None) -> None:
        """A board in the grid: its name where the hint was, and a way back to the library."""
        self.board = name
        if name is None:
            self.hint.setText(HINT)
            self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            self.clear_button.setText("× Clear")
            self.clear_button.setVisible(bool(self.images))
            return
        self.hint.setText(f"<b>Board “{escape(name)}”</b> — drag tiles to reorder · Delete removes · Ctrl+E exports")
        self.hint.setForegroundRole(QPalette.ColorRole.WindowText)
        self.clear_button.setText("× Close board")
        self.clear_button.setVisible(True)

    def show_images(self, images: tuple[QueryImage, ...]) -> None:
        if images == self.images and self.chips:
            return
        self.images = images
        for chip in self.chips:
            self.chip_row.removeWidget(chip)
            chip.deleteLater()
        self.chips = []
        for position, image in enumerate(images):
            chip = Chip(position, image)
            chip.removeRequested.connect(self.removeRequested)
            chip.regionRequested.connect(self.edit_region)
            chip.regionCleared.connect(lambda p: self.regionChosen.emit(p, None))
            self.chips.append(chip)
            self.chip_row.addWidget(chip)
            self.loader.request(("chip", id(self), position, image), image.source, CHIP * 2, cached=False)
        self.chip_row.addStretch(1)
        empty = not images
        self.hint.setVisible(empty)
        self.chip_area.setVisible(not empty)
        self.clear_button.setVisible(not empty or self.board is not None)
        count = len(images)
        self.caption.setText("" if empty else ("combined query" if count > 1 else ""))

    def _picture_loaded(self, key: object, image: QImage) -> None:
        if isinstance(key, tuple) and len(key) == 4 and key[0] == "chip" and key[1] == id(self):
            position, query_image = key[2], key[3]
            if isinstance(position, int) and position < len(self.chips) and self.images[position] == query_image:
                self.chips[position].set_picture(image)

    def edit_region(self, position: int) -> None:
        if not 0 <= position < len(self.images):
            return
        dialog = RegionDialog(self.images[position], self.loader, self)
        dialog.accepted.connect(lambda: self.regionChosen.emit(position, dialog.region))
        dialog.open()


class RegionCanvas(QWidget):
    """The upright picture, on which a rectangle is dragged."""

    def __init__(self) -> None:
        super().__init__()
        self.pixmap = QPixmap()
        self.region: Region | None = None
        self._start: QPoint | None = None
        self._selection: QRect | None = None
        self.setMinimumSize(320, 240)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def sizeHint(self) -> QSize:
        if self.pixmap.isNull():
            return QSize(480, 480)
        return self.pixmap.size().scaled(QSize(640, 560), Qt.AspectRatioMode.KeepAspectRatio)

    def set_picture(self, image: QImage) -> None:
        self.pixmap = QPixmap.fromImage(image)
        self.updateGeometry()
        self.update()

    def picture_rect(self) -> QRect:
        if self.pixmap.isNull():
            return QRect()
        size = self.pixmap.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        return QRect(QPoint((self.width() - size.width()) // 2, (self.height() - size.height()) // 2), size)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().color(QPalette.ColorRole.Base))
        picture = self.picture_rect()
        if self.pixmap.isNull():
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Loading the picture…")
            return
        painter.drawPixmap(picture, self.pixmap)
        shown = self._selection or (region_rect(self.region, picture) if self.region else None)
        if shown is not None:
            painter.setPen(QPen(self.palette().color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(shown)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if self.picture_rect().contains(event.position().toPoint()):
            self._start = event.position().toPoint()
            self._selection = QRect(self._start, QSize(0, 0))

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._start is not None:
            self._selection = QRect(self._start, event.position().toPoint()).normalized() & self.picture_rect()
            self.update()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if self._start is None or self._selection is None:
            return
        self._start = None
        selection, self._selection = self._selection, None
        if selection.width() >= 6 and selection.height() >= 6:
            picture = QRectF(self.picture_rect())
            self.region = Region(
                (selection.x() - picture.x()) / picture.width(),
                (selection.y() - picture.y()) / picture.height(),
                selection.width() / picture.width(),
                selection.height() / picture.height(),
            )
        self.update()


class RegionDialog(QDialog):
    """Drag a rectangle on the query image to search by that part only (the picture is shown upright, as the
    search reads it)."""

    def __init__(self, image: QueryImage, loader: ThumbnailLoader, parent: QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Search by a region")
        self.image = image
        self.canvas = RegionCanvas()
        self.canvas.region = image.region
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.whole = buttons.addButton("Whole image", QDialogButtonBox.ButtonRole.ResetRole)
        self.whole.clicked.connect(self._whole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Drag a rectangle around the part to search for."))
        layout.addWidget(self.canvas, 1)
        layout.addWidget(buttons)
        self._key = ("region", id(self), image)
        loader.loaded.connect(self._loaded)
        loader.request(self._key, image.source, REGION_PIXELS, cached=False)

    @property
    def region(self) -> Region | None:
        return self.canvas.region

    def _whole(self) -> None:
        self.canvas.region = None
        self.accept()

    def _loaded(self, key: object, image: QImage) -> None:
        if key == self._key:
            self.canvas.set_picture(image)
            self.adjustSize()
