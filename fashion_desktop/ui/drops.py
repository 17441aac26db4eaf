"""The "drop to search" overlay shown over the whole window while something is dragged over it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget


class DropOverlay(QWidget):
    """Transparent for the mouse (the drag goes on to the window below); says what a drop would do, or why it
    is refused."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.host = parent
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.text = ""
        self.accepting = True
        self.hide()

    def show_text(self, text: str, accepting: bool) -> None:
        self.text, self.accepting = text, accepting
        self.setGeometry(self.host.rect())
        self.show()
        self.raise_()
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        palette = self.palette()
        accent = palette.color(QPalette.ColorRole.Highlight if self.accepting else QPalette.ColorRole.Mid)
        wash = QColor(palette.color(QPalette.ColorRole.Window))
        wash.setAlpha(200)
        painter.fillRect(self.rect(), wash)
        painter.setPen(QPen(accent, 3, Qt.PenStyle.DashLine))
        painter.drawRoundedRect(self.rect().adjusted(12, 12, -12, -12), 16, 16)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * (1.8 if self.accepting else 1.2))
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.WindowText))
        painter.drawText(
            self.rect().adjusted(48, 48, -48, -48), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.text
        )
