"""Drawing helpers shared by the lookbook and the contact sheet: wrapped and elided real text, fitted
pictures, placeholders."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPaintDevice, QPainter, QPen, QTextLayout

from fashion_desktop.catalog.boards import BoardItem
from fashion_desktop.catalog.fields import FIELDS
from fashion_desktop.export.pictures import Picture

INK = QColor(20, 20, 20)
GREY = QColor(105, 105, 105)
PAPER_GREY = QColor(238, 238, 238)

# The metadata a lookbook shows under each picture, in this order (labels and columns from catalog/fields.py).
KEY_FIELDS = tuple(f for column in ("article_type", "base_colour", "season") for f in FIELDS if f.column == column)


def font(point_size: float, *, bold: bool = False, italic: bool = False) -> QFont:
    chosen = QFont()
    chosen.setPointSizeF(point_size)
    chosen.setBold(bold)
    chosen.setItalic(italic)
    for ligature in ("liga", "clig"):  # "fi" stays two letters: search and copy in a PDF viewer find "fi", not "ﬁ"
        chosen.setFeature(QFont.Tag(ligature), 0)
    return chosen


def key_metadata(item: BoardItem) -> str:
    """ "Dresses · Blue · Summer": type, colour and season, those that are known."""
    return " · ".join(item.metadata[f.column] for f in KEY_FIELDS if item.metadata.get(f.column))


def wrapped(text: str, chosen: QFont, device: QPaintDevice, width: float, max_lines: int) -> list[str]:
    """`text` broken into lines of at most `width` (its own line breaks kept, blank lines dropped); when it needs
    more than `max_lines`, the last line ends in an ellipsis."""
    lines: list[str] = []
    for paragraph in (p.strip() for p in text.splitlines()):
        if not paragraph:
            continue
        layout = QTextLayout(paragraph, chosen, device)
        layout.beginLayout()
        while (line := layout.createLine()).isValid():
            line.setLineWidth(width)
            lines.append(paragraph[line.textStart() : line.textStart() + line.textLength()].strip())
        layout.endLayout()
    if len(lines) > max_lines > 0:  # the rest is wider than a line (wrapping put a word on the next): elided
        rest = " ".join(lines[max_lines - 1 :])
        metrics = QFontMetricsF(chosen, device)
        lines[max_lines - 1] = metrics.elidedText(rest, Qt.TextElideMode.ElideRight, width)
    return lines[:max_lines] if max_lines > 0 else []


def draw_lines(painter: QPainter, lines: list[str], chosen: QFont, top_left: QPointF, colour: QColor = INK) -> float:
    """Draw lines of text from `top_left` down; returns the height used."""
    metrics = QFontMetricsF(chosen, painter.device())
    painter.setFont(chosen)
    painter.setPen(colour)
    for index, line in enumerate(lines):
        painter.drawText(QPointF(top_left.x(), top_left.y() + metrics.ascent() + index * metrics.lineSpacing()), line)
    return len(lines) * metrics.lineSpacing()


def draw_text(
    painter: QPainter, text: str, chosen: QFont, top_left: QPointF, width: float, max_lines: int, colour: QColor = INK
) -> float:
    """`text` wrapped to `width` in at most `max_lines` lines, drawn from `top_left` down; returns the height used."""
    return draw_lines(painter, wrapped(text, chosen, painter.device(), width, max_lines), chosen, top_left, colour)


def line_height(chosen: QFont, device: QPaintDevice) -> float:
    return QFontMetricsF(chosen, device).lineSpacing()


def fitted(size: QSizeF, box: QRectF) -> QRectF:
    """The largest rectangle of `size`'s proportions inside `box`, in its bottom left corner: the picture stands
    on the text under it, and both start at the same left edge."""
    if size.width() <= 0 or size.height() <= 0:
        return QRectF(box)
    scale = min(box.width() / size.width(), box.height() / size.height())
    width, height = size.width() * scale, size.height() * scale
    return QRectF(box.left(), box.bottom() - height, width, height)


def draw_picture(painter: QPainter, picture: Picture, box: QRectF, caption_font: QFont) -> None:
    """The picture fitted into `box`, or a placeholder naming the problem."""
    if picture.image is not None:
        painter.drawImage(fitted(QSizeF(picture.image.size()), box), picture.image)
        return
    painter.fillRect(box, PAPER_GREY)
    pen = QPen(GREY)
    pen.setWidthF(max(1.0, box.width() / 300))
    pen.setStyle(Qt.PenStyle.DashLine)
    painter.setPen(pen)
    painter.drawRect(box)
    margin = box.width() * 0.08
    lines = wrapped(picture.problem or "", caption_font, painter.device(), box.width() - 2 * margin, 4)
    height = len(lines) * line_height(caption_font, painter.device())
    draw_lines(painter, lines, caption_font, QPointF(box.left() + margin, box.center().y() - height / 2), GREY)
