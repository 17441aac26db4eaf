"""Paints one tile: the picture, the product name (bold) then the caption (a board item's note), the similarity
as a percentage with a small bar, and "+N" when near-duplicates are folded into it; a board item whose file is
gone gets a dashed frame saying so instead of a picture. Colours come from the palette (light or dark)."""

from __future__ import annotations

from collections import OrderedDict

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from fashion_desktop.ui.results_model import Tile, TileRole, similarity_percent

PADDING = 5
TILES_PER_FRAME = 8
KEPT_TILES = 160  # rendered tiles kept (~20 MB): six screens at the default size


class ResultDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget, side: int) -> None:
        super().__init__(parent)
        self.side = side
        self._rendered: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self.budget = TILES_PER_FRAME
        self.deferred = False

    def start_frame(self) -> None:
        """Called before each paint of the grid: a frame renders at most TILES_PER_FRAME new tiles, so that
        jumping a screen down the library never holds the window for long."""
        self.budget = TILES_PER_FRAME
        self.deferred = False

    def tile_size(self, font: QFont) -> QSize:
        line = QFontMetrics(font).lineSpacing()
        return QSize(self.side + 2 * PADDING, self.side + 2 * PADDING + 3 * line + 8)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return self.tile_size(option.font)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        """Tiles are drawn once into a picture kept for the tiles recently shown: scrolling back, and the
        repaints around a tile whose thumbnail arrives, cost one blit instead of a Python paint each."""
        tile = index.data(TileRole)
        if not isinstance(tile, Tile):
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        ratio = painter.device().devicePixelRatioF()
        size = option.rect.size()
        key = (
            tile.name,
            tile.caption,
            tile.score if tile.score == tile.score else None,  # NaN never equals itself
            tile.duplicates,
            tile.missing,
            tile.picture.cacheKey(),
            selected,
            size.width(),
            size.height(),
            ratio,
            option.palette.cacheKey(),
            option.font.key(),
        )
        rendered = self._rendered.get(key)
        if rendered is None and self.budget <= 0:
            self.deferred = True  # enough tiles rendered in this frame: the picture alone now, the rest next frame
            picture = tile.picture
            painter.drawPixmap(option.rect.x() + 2 + PADDING, option.rect.y() + 2 + PADDING, picture)
            return
        if rendered is None:
            self.budget -= 1
            rendered = QPixmap(size * ratio)
            rendered.setDevicePixelRatio(ratio)
            rendered.fill(
                option.palette.color(QPalette.ColorRole.Base)
            )  # the grid's background: opaque, so blits are plain copies
            canvas = QPainter(rendered)
            self._draw(canvas, QRect(QPoint(0, 0), size), option, tile, selected)
            canvas.end()
            self._rendered[key] = rendered
            while len(self._rendered) > KEPT_TILES:
                self._rendered.popitem(last=False)
        else:
            self._rendered.move_to_end(key)
        painter.drawPixmap(option.rect.topLeft(), rendered)

    def _draw(self, painter: QPainter, cell: QRect, option: QStyleOptionViewItem, tile: Tile, selected: bool) -> None:
        palette = option.palette
        rect = cell.adjusted(2, 2, -2, -2)
        grid = self.tile_size(option.font)
        rect.setLeft(rect.left() + max(0, rect.width() - grid.width()) // 2)  # centred in a widened grid cell
        rect.setWidth(min(rect.width(), grid.width()))
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 8, 8)

        picture = QRect(rect.x() + PADDING, rect.y() + PADDING, rect.width() - 2 * PADDING, self.side)
        pixmap = tile.picture
        if tile.missing:
            self._missing(painter, palette, picture.adjusted(6, 6, -6, -6), selected, option.font)
        elif not pixmap.isNull():
            ratio = pixmap.devicePixelRatioF()
            width, height = round(pixmap.width() / ratio), round(pixmap.height() / ratio)
            if width > picture.width() or height > picture.height():  # only while a new size is on its way
                size = QSize(width, height).scaled(picture.size(), Qt.AspectRatioMode.KeepAspectRatio)
                width, height = size.width(), size.height()
            target = QRect(
                picture.x() + (picture.width() - width) // 2,
                picture.y() + (picture.height() - height) // 2,
                width,
                height,
            )
            painter.drawPixmap(target, pixmap)

        self._badges(painter, palette, rect, tile)
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        metrics = QFontMetrics(option.font)
        line = metrics.lineSpacing()
        text_rect = QRect(rect.x() + PADDING, picture.bottom() + 6, rect.width() - 2 * PADDING, line)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = tile.name
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignHCenter,
            QFontMetrics(bold).elidedText(name, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        painter.setFont(option.font)
        muted = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        for number, text in enumerate(two_lines(tile.caption, metrics, text_rect.width())):
            painter.drawText(text_rect.translated(0, line * (number + 1)), Qt.AlignmentFlag.AlignHCenter, text)

    def _missing(self, painter: QPainter, palette: QPalette, area: QRect, selected: bool, font: QFont) -> None:
        """A board item whose file is gone: a dashed frame with a crossed-out picture and the word, in the text
        colour (readable on light and dark palettes alike)."""
        colour = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(QPen(colour, 1.5, Qt.PenStyle.DashLine))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(area, 8, 8)
        side = max(16, min(area.width(), area.height()) // 3)
        frame = QRect(area.center().x() - side // 2, area.center().y() - side, side, side * 3 // 4)
        painter.setPen(QPen(colour, 2))
        painter.drawRect(frame)
        painter.drawLine(frame.topLeft(), frame.bottomRight())
        painter.drawLine(frame.topRight(), frame.bottomLeft())
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        text = QRect(area.x(), frame.bottom() + 4, area.width(), QFontMetrics(bold).lineSpacing() * 2)
        painter.drawText(text, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "File missing")
        painter.setFont(font)

    def _badges(self, painter: QPainter, palette: QPalette, rect: QRect, tile: Tile) -> None:
        percent = similarity_percent(tile.score)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        if percent is not None:
            badge = QRect(rect.right() - 50, rect.y() + 8, 44, 18)
            painter.setBrush(palette.color(QPalette.ColorRole.Window))
            painter.drawRoundedRect(badge, 5, 5)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"{percent}%")
            bar = QRect(rect.x() + PADDING, rect.y() + PADDING + self.side - 4, rect.width() - 2 * PADDING, 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(palette.color(QPalette.ColorRole.Mid))
            painter.drawRect(bar)
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.drawRect(bar.adjusted(0, 0, -round(bar.width() * (100 - percent) / 100), 0))
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        duplicates = tile.duplicates
        if duplicates > 0:
            badge = QRect(rect.x() + 8, rect.y() + 8, 36, 18)
            painter.setBrush(palette.color(QPalette.ColorRole.Window))
            painter.drawRoundedRect(badge, 5, 5)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"+{duplicates}")


def two_lines(text: str, metrics: QFontMetrics, width: int) -> list[str]:
    """Word-wrap into at most two lines, the second elided."""
    words = text.split()
    first = ""
    for position, word in enumerate(words):
        candidate = f"{first} {word}".strip()
        if first and metrics.horizontalAdvance(candidate) > width:
            rest = " ".join(words[position:])
            return [first, metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)]
        first = candidate
    return [metrics.elidedText(first, Qt.TextElideMode.ElideRight, width)] if first else []
