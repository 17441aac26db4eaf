"""Drops anywhere on the window: what a drag would do is said over the whole window while it hovers (or why it is
refused, with the no-drop cursor); results dragged inside the window count only over the query strip."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QFont,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QWidget

from fashion_desktop.ui.mime import decode_mime, refusal


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


class DropTarget(QObject):
    """Watches the window's drag events (the window accepts drops; children that do not pass them up)."""

    dropped = Signal(object)  # DecodedMime: images, folders or a problem
    resultsDropped = Signal()  # the grid's own selection dragged onto the query strip

    def __init__(self, window: QWidget, host: QWidget, grid: QWidget, strip: QWidget) -> None:
        super().__init__(window)
        self.window, self.grid, self.strip = window, grid, strip
        self.overlay = DropOverlay(host)
        window.setAcceptDrops(True)
        window.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind == QEvent.Type.DragEnter and isinstance(event, QDragEnterEvent):
            self._enter(event)
        elif kind == QEvent.Type.DragMove and isinstance(event, QDragMoveEvent):
            self._move(event)
        elif kind == QEvent.Type.DragLeave:
            self.overlay.hide()
        elif kind == QEvent.Type.Drop and isinstance(event, QDropEvent):
            self._drop(event)
        elif kind == QEvent.Type.Resize and self.overlay.isVisible():
            self.overlay.setGeometry(self.overlay.host.rect())
            return False
        else:
            return False
        return True

    def _enter(self, event: QDragEnterEvent) -> None:
        if event.source() is self.grid:
            event.acceptProposedAction()
            return
        reason = refusal(event.mimeData())
        if reason is not None:
            self.overlay.show_text(reason, False)
            event.ignore()
            return
        urls = event.mimeData().urls()
        folders = [u for u in urls if u.isLocalFile() and Path(u.toLocalFile()).is_dir()]
        only_folders = bool(folders) and len(folders) == len(urls)
        self.overlay.show_text("Drop to open as a catalog" if only_folders else "Drop to search", True)
        event.acceptProposedAction()

    def _move(self, event: QDragMoveEvent) -> None:
        if event.source() is not self.grid:
            event.acceptProposedAction()
            return
        on_strip = self.strip.rect().contains(self.strip.mapFrom(self.window, event.position().toPoint()))
        event.setAccepted(on_strip)
        if on_strip:
            self.overlay.show_text("Drop to search for more like these", True)
        else:
            self.overlay.hide()

    def _drop(self, event: QDropEvent) -> None:
        self.overlay.hide()
        event.acceptProposedAction()
        if event.source() is self.grid:
            self.resultsDropped.emit()
        else:
            self.dropped.emit(decode_mime(event.mimeData()))
