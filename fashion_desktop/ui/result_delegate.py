"""Paints one tile: the picture, the product name (bold) then the caption (a board item's note), the similarity
as a percentage with a small bar, and "+N" when near-duplicates are folded into it; a board item whose file is
gone gets a dashed frame saying so instead of a picture. Colours come from the palette (light or dark).

A tile is put together from parts kept between frames, so that a frame costs a few copies per tile: the frame
(one per cell size and state, shared by every tile), the picture (copied as it is), the badges (one per value)
and the text block (one per tile). Only text blocks are costly to make (0.1-0.2 ms each: shaping, wrapping);
a frame makes at most TEXTS_PER_FRAME of them, the tiles left over get theirs in the next frame. A thumbnail
arriving for a tile costs a copy, not a new tile."""

from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QPen, QPixmap, QRegion
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from fashion_desktop.ui.results_model import Tile, TileRole, similarity_percent

PADDING = 5
TEXTS_PER_FRAME = 8  # new text blocks made in one frame (about 2 ms): a screen of new tiles fills in 3-4 frames
KEPT_TEXTS = 400  # text blocks kept (~12 MB at the default size): sixteen screens
KEPT_PARTS = 256  # frames and badges kept (a handful are in use at a time)


class Look(NamedTuple):
    """What a part's pixels depend on besides its content."""

    palette: int  # QPalette.cacheKey(): light or dark, and any change of colours
    font: str
    ratio: float  # device pixels per pixel
    selected: bool


class ResultDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget, side: int) -> None:
        super().__init__(parent)
        self.side = side
        self._texts: OrderedDict[tuple[object, ...], QPixmap] = OrderedDict()
        self._parts: dict[tuple[object, ...], QPixmap] = {}
        self.budget = TEXTS_PER_FRAME
        self.deferred: list[QRect] = []  # cells painted without their text in this frame
        self.region: QRegion | None = None  # what the grid's frame repaints (None outside one)
        self._frame_look: tuple[int, str, float] | None = None  # the frame's palette, font and pixel ratio
        self.texts_made = 0  # text blocks made so far (what a frame costs is told by this)
        self.tiles_painted = 0  # and tiles painted so far

    def start_frame(self, region: QRegion) -> None:
        """Called before each paint of the grid: a frame makes at most TEXTS_PER_FRAME text blocks, so that
        jumping a screen down the library never holds the window for long.

        `region` is what the frame repaints. Qt's list view asks for every tile inside the region's bounding
        rectangle (QListView::paintEvent), so a frame for a few scattered tiles (thumbnails arriving, text left
        over from the last frame) would paint the whole screen again; tiles outside the region are skipped."""
        self.budget = TEXTS_PER_FRAME
        self.deferred = []
        self.region = region
        self._frame_look = None

    def end_frame(self) -> None:
        self.region = None  # tiles painted elsewhere (a drag's picture) are painted whole
        self._frame_look = None

    def tile_size(self, font: QFont) -> QSize:
        line = QFontMetrics(font).lineSpacing()
        return QSize(self.side + 2 * PADDING, self.side + 2 * PADDING + 3 * line + 8)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return self.tile_size(option.font)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        if self.region is not None and not self.region.intersects(option.rect):
            return  # inside the frame's bounding rectangle only: nothing of it is repainted
        self.tiles_painted += 1
        tile = index.data(TileRole)
        if not isinstance(tile, Tile):
            return
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        look = Look(*self._look_of(painter, option), selected)
        ratio = look.ratio
        cell = option.rect
        rect = self.tile_rect(cell, option.font)
        painter.drawPixmap(cell.topLeft(), self._frame(cell.size(), rect.translated(-cell.topLeft()), option, look))
        picture = QRect(rect.x() + PADDING, rect.y() + PADDING, rect.width() - 2 * PADDING, self.side)
        if tile.missing:
            self._missing(painter, option.palette, picture.adjusted(6, 6, -6, -6), selected, option.font)
        else:
            self._picture(painter, picture, tile.picture)
        self._badges(painter, option, look, rect, picture, tile)
        if not (tile.name or tile.caption):
            return  # a tile whose page is on its way
        text_rect = QRect(rect.x() + PADDING, picture.bottom() + 6, rect.width() - 2 * PADDING, 0)
        key = (tile.name, tile.caption, text_rect.width(), look)
        text = self._texts.get(key)
        if text is None:
            if self.budget <= 0:
                self.deferred.append(QRect(cell))
                return
            self.budget -= 1
            text = self._texts[key] = self._text_block(tile, text_rect.width(), option, selected, ratio)
            self.texts_made += 1
            while len(self._texts) > KEPT_TEXTS:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(key)
        painter.drawPixmap(text_rect.topLeft(), text)

    def _look_of(self, painter: QPainter, option: QStyleOptionViewItem) -> tuple[int, str, float]:
        """Palette, font and pixel ratio: the same for every tile of a frame (the view's), asked once a frame (a
        font's key is a string built on each call, the paint device a new wrapper)."""
        look = self._frame_look
        if look is None:
            look = (option.palette.cacheKey(), option.font.key(), painter.device().devicePixelRatioF())
            if self.region is not None:
                self._frame_look = look
        return look

    def tile_rect(self, cell: QRect, font: QFont) -> QRect:
        """The tile inside its grid cell: centred in a widened cell."""
        rect = cell.adjusted(2, 2, -2, -2)
        grid = self.tile_size(font)
        rect.setLeft(rect.left() + max(0, rect.width() - grid.width()) // 2)
        rect.setWidth(min(rect.width(), grid.width()))
        return rect

    def _part(self, key: tuple[object, ...], size: QSize, ratio: float, fill: QColor) -> tuple[QPixmap, bool]:
        """A kept part, or a new pixmap filled with `fill` (opaque fills make plain copies) to draw it on."""
        kept = self._parts.get(key)
        if kept is not None:
            return kept, True
        if len(self._parts) >= KEPT_PARTS:
            self._parts.clear()
        pixmap = QPixmap(size * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(fill)
        self._parts[key] = pixmap
        return pixmap, False

    def _frame(self, size: QSize, rect: QRect, option: QStyleOptionViewItem, look: Look) -> QPixmap:
        """The cell's background with the tile's rounded frame, the same for every tile of this size and state."""
        palette, selected = option.palette, look.selected
        key = ("frame", size.width(), size.height(), rect.x(), rect.width(), look)
        pixmap, kept = self._part(key, size, look.ratio, palette.color(QPalette.ColorRole.Base))
        if not kept:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid))
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base))
            painter.drawRoundedRect(rect, 8, 8)
            painter.end()
        return pixmap

    def _picture(self, painter: QPainter, area: QRect, pixmap: QPixmap) -> None:
        if pixmap.isNull():
            return
        ratio = pixmap.devicePixelRatioF()
        width, height = round(pixmap.width() / ratio), round(pixmap.height() / ratio)
        if width > area.width() or height > area.height():  # only while a new size is on its way
            size = QSize(width, height).scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            width, height = size.width(), size.height()
        target = QRect(area.x() + (area.width() - width) // 2, area.y() + (area.height() - height) // 2, width, height)
        painter.drawPixmap(target, pixmap)

    def _text_block(
        self, tile: Tile, width: int, option: QStyleOptionViewItem, selected: bool, ratio: float
    ) -> QPixmap:
        """The name (bold, elided) above up to two lines of caption, on the tile's own colour."""
        palette, font = option.palette, option.font
        metrics = QFontMetrics(font)
        line = metrics.lineSpacing()
        background = palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base)
        pixmap = QPixmap(QSize(width, 3 * line) * ratio)
        pixmap.setDevicePixelRatio(ratio)
        pixmap.fill(background)
        painter = QPainter(pixmap)
        bold = QFont(font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text))
        row = QRect(0, 0, width, line)
        name = QFontMetrics(bold).elidedText(tile.name, Qt.TextElideMode.ElideRight, width)
        painter.drawText(row, Qt.AlignmentFlag.AlignHCenter, name)
        painter.setFont(font)
        muted = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        for number, text in enumerate(two_lines(tile.caption, metrics, width)):
            painter.drawText(row.translated(0, line * (number + 1)), Qt.AlignmentFlag.AlignHCenter, text)
        painter.end()
        return pixmap

    def _missing(self, painter: QPainter, palette: QPalette, area: QRect, selected: bool, font: QFont) -> None:
        """A board item whose file is gone: a dashed frame with a crossed-out picture and the word, in the text
        colour (readable on light and dark palettes alike)."""
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
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
        painter.restore()

    def _badges(
        self, painter: QPainter, option: QStyleOptionViewItem, look: Look, rect: QRect, picture: QRect, tile: Tile
    ) -> None:
        """The similarity (a badge, and a bar under the picture) and the folded near-duplicates ("+N")."""
        palette = option.palette
        percent = similarity_percent(tile.score)
        if percent is not None:
            painter.drawPixmap(rect.right() - 50, rect.y() + 8, self._badge(f"{percent}%", 44, option, look))
            bar = QRect(picture.x(), picture.bottom() - 3, picture.width(), 4)
            painter.fillRect(bar, palette.color(QPalette.ColorRole.Mid))
            painter.fillRect(
                bar.adjusted(0, 0, -round(bar.width() * (100 - percent) / 100), 0),
                palette.color(QPalette.ColorRole.Highlight),
            )
        if tile.duplicates > 0:
            painter.drawPixmap(rect.x() + 8, rect.y() + 8, self._badge(f"+{tile.duplicates}", 36, option, look))

    def _badge(self, text: str, width: int, option: QStyleOptionViewItem, look: Look) -> QPixmap:
        palette = option.palette
        pixmap, kept = self._part(("badge", text, width, look), QSize(width, 18), look.ratio, QColor(0, 0, 0, 0))
        if not kept:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setFont(option.font)
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            painter.setBrush(palette.color(QPalette.ColorRole.Window))
            badge = QRect(0, 0, width, 18)
            painter.drawRoundedRect(badge.adjusted(0, 0, -1, -1), 5, 5)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
        return pixmap


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
