"""Paints one tile: the picture, the product name (bold) then the caption, the similarity as a percentage with a
small bar, and "+N" when near-duplicates are folded into it. Colours come from the palette (light or dark)."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from fashion_desktop.ui.results_model import CaptionRole, DuplicatesRole, NameRole, ScoreRole, similarity_percent

PADDING = 5


class ResultDelegate(QStyledItemDelegate):
    def __init__(self, parent: QWidget, side: int) -> None:
        super().__init__(parent)
        self.side = side

    def tile_size(self, font: QFont) -> QSize:
        line = QFontMetrics(font).lineSpacing()
        return QSize(self.side + 2 * PADDING, self.side + 2 * PADDING + 3 * line + 8)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return self.tile_size(option.font)

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        painter.save()
        palette = option.palette
        rect = option.rect.adjusted(2, 2, -2, -2)
        grid = self.tile_size(option.font)
        rect.setLeft(rect.left() + max(0, rect.width() - grid.width()) // 2)  # centred in a widened grid cell
        rect.setWidth(min(rect.width(), grid.width()))
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 8, 8)

        picture = QRect(rect.x() + PADDING, rect.y() + PADDING, rect.width() - 2 * PADDING, self.side)
        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
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

        self._badges(painter, palette, rect, index)
        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        metrics = QFontMetrics(option.font)
        line = metrics.lineSpacing()
        text_rect = QRect(rect.x() + PADDING, picture.bottom() + 6, rect.width() - 2 * PADDING, line)
        bold = QFont(option.font)
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(text_color)
        name = str(index.data(NameRole) or "")
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignHCenter,
            QFontMetrics(bold).elidedText(name, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        painter.setFont(option.font)
        muted = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.PlaceholderText)
        painter.setPen(muted)
        caption = str(index.data(CaptionRole) or "")
        for number, text in enumerate(two_lines(caption, metrics, text_rect.width())):
            painter.drawText(text_rect.translated(0, line * (number + 1)), Qt.AlignmentFlag.AlignHCenter, text)
        painter.restore()

    def _badges(
        self, painter: QPainter, palette: QPalette, rect: QRect, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        percent = similarity_percent(index.data(ScoreRole))
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
        duplicates = index.data(DuplicatesRole)
        if isinstance(duplicates, int) and duplicates > 0:
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
