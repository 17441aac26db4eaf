"""Paints one result tile: thumbnail, similarity, and the caption (or product name) under it."""

from __future__ import annotations

import math

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFontMetrics, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from fashion_desktop.ui.results_model import CaptionRole, NameRole, ScoreRole

TILE = QSize(176, 236)
IMAGE = 160


class ResultDelegate(QStyledItemDelegate):
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return TILE

    def paint(
        self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> None:
        painter.save()
        palette = option.palette  # follows the system's light or dark palette
        rect = option.rect.adjusted(4, 4, -4, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(palette.color(QPalette.ColorRole.Mid))
        painter.setBrush(palette.color(QPalette.ColorRole.Highlight if selected else QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 8, 8)

        pixmap = index.data(Qt.ItemDataRole.DecorationRole)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            ratio = painter.device().devicePixelRatioF()  # HiDPI: scale to device pixels, draw at logical size
            side = round(IMAGE * ratio)
            scaled = pixmap.scaled(
                side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
            scaled.setDevicePixelRatio(ratio)
            width, height = round(scaled.width() / ratio), round(scaled.height() / ratio)
            x = rect.x() + (rect.width() - width) // 2
            y = rect.y() + 4 + (IMAGE - height) // 2
            painter.drawPixmap(x, y, scaled)

        text_color = palette.color(QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text)
        painter.setPen(text_color)
        score = index.data(ScoreRole)
        if isinstance(score, float) and math.isfinite(score):
            badge = QRect(rect.right() - 52, rect.y() + 6, 46, 20)
            painter.setBrush(palette.color(QPalette.ColorRole.Window))
            painter.setPen(palette.color(QPalette.ColorRole.WindowText))
            painter.drawRoundedRect(badge, 6, 6)
            painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, f"{score:.2f}")
            painter.setPen(text_color)

        caption = index.data(CaptionRole) or index.data(NameRole) or ""
        text_rect = QRect(rect.x() + 6, rect.y() + IMAGE + 8, rect.width() - 12, rect.height() - IMAGE - 10)
        metrics = QFontMetrics(option.font)
        lines = _two_lines(str(caption), metrics, text_rect.width())
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, "\n".join(lines))
        painter.restore()


def _two_lines(text: str, metrics: QFontMetrics, width: int) -> list[str]:
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
