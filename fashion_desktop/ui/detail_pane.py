"""The detail pane: a larger preview of the selected result, its caption, metadata, path and actions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication, QImageReader, QPixmap
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from fashion_desktop.catalog.query import SearchResult


class DetailPane(QWidget):
    moreLikeThis = Signal(int)  # item id

    def __init__(self) -> None:
        super().__init__()
        self.setMinimumWidth(260)
        self.result: SearchResult | None = None
        self.preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(240)
        self.caption = QLabel(wordWrap=True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.metadata = QFormLayout()
        self.path = QLabel(wordWrap=True)
        self.path.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QHBoxLayout()
        self.buttons = {}
        for name, action in (
            ("Open", self.open_file),
            ("Reveal", self.reveal),
            ("Copy path", self.copy_path),
            ("Copy caption", self.copy_caption),
            ("More like this", self.more_like_this),
        ):
            button = QPushButton(name)
            button.clicked.connect(action)
            buttons.addWidget(button)
            self.buttons[name] = button
        layout = QVBoxLayout(self)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.caption)
        layout.addLayout(self.metadata)
        layout.addWidget(self.path)
        layout.addLayout(buttons)
        self.show_result(None)

    def show_result(self, result: SearchResult | None, caption: str | None = None) -> None:
        self.result = result
        for button in self.buttons.values():
            button.setEnabled(result is not None)
        while self.metadata.rowCount():
            self.metadata.removeRow(0)
        if result is None:
            self.preview.setText("Select a result to see it here.")
            self.caption.clear()
            self.path.clear()
            return
        pixmap = preview_pixmap(result.path, QSize(max(self.preview.width(), 240), 320))
        if pixmap.isNull():
            self.preview.setText("Preview unavailable")
        else:
            self.preview.setPixmap(pixmap)
        self.set_caption(caption or result.caption)
        for key, value in result.metadata.items():
            self.metadata.addRow(key.replace("_", " ").capitalize() + ":", QLabel(value))
        self.path.setText(f"{result.path}\nsimilarity {result.score:.3f}")

    def set_caption(self, caption: str | None) -> None:
        self.caption.setText(caption or "Caption being written…")
        self.buttons["Copy caption"].setEnabled(bool(caption))

    def open_file(self) -> None:
        if self.result is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.result.path)))

    def reveal(self) -> None:
        if self.result is not None:
            reveal_in_file_manager(self.result.path)

    def copy_path(self) -> None:
        if self.result is not None:
            QGuiApplication.clipboard().setText(str(self.result.path))

    def copy_caption(self) -> None:
        text = self.caption.text()
        if self.result is not None and text:
            QGuiApplication.clipboard().setText(text)

    def more_like_this(self) -> None:
        if self.result is not None:
            self.moreLikeThis.emit(self.result.item_id)


def preview_pixmap(path: Path, box: QSize) -> QPixmap:
    """Decoded at preview size (JPEGs scale while decoding), upright: a camera original would otherwise be
    decoded in full on the GUI thread each time a result is selected."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)
    size = reader.size()
    if size.isValid():
        reader.setScaledSize(size.scaled(box, Qt.AspectRatioMode.KeepAspectRatio))
    return QPixmap.fromImage(reader.read())


def reveal_in_file_manager(path: Path) -> None:
    if sys.platform == "darwin":
        subprocess.Popen(["open", "-R", str(path)])
    elif sys.platform == "win32":
        subprocess.Popen(["explorer", f"/select,{path}"])
    else:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent)))
