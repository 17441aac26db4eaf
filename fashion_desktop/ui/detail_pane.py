"""The detail pane: the selected item's product name first, a larger picture, then (a board's item) its note,
Caption, Product, Metadata and File under headings, and the actions. It scrolls when the window is small, and can
be hidden (View menu)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QImage, QPalette, QPixmap
from PySide6.QtWidgets import (
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop.catalog.fields import FIELDS, NAME
from fashion_desktop.catalog.query import SearchResult
from fashion_desktop.ui.results_model import display_name, similarity_percent
from fashion_desktop.ui.thumbnails import ThumbnailLoader
from fashion_desktop.workers.messages import BoardCard

PREVIEW = 480  # decoded size of the preview (device pixels)
LABELS = {f.column: f.label for f in FIELDS}


def heading(text: str) -> QLabel:
    label = QLabel(text)
    font = QFont(label.font())
    font.setBold(True)
    font.setPointSizeF(font.pointSizeF() * 0.9)
    label.setFont(font)
    label.setForegroundRole(label.foregroundRole())
    return label


def selectable(label: QLabel) -> QLabel:
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
    return label


class DetailPane(QWidget):
    moreLikeThis = Signal()
    problem = Signal(str)  # an action could not be done: said in the status bar
    noteEdited = Signal(str, str)  # a board item's content hash, its new note

    def __init__(self, loader: ThumbnailLoader) -> None:
        super().__init__()
        self.loader = loader
        self.setMinimumWidth(230)
        self.area = QScrollArea()
        self.area.setWidgetResizable(True)
        self.area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.result: SearchResult | None = None
        self.caption_text: str | None = None
        self.title = selectable(QLabel())
        font = QFont(self.title.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.title.setFont(font)
        self.preview = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumHeight(160)
        self.preview.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.caption = selectable(QLabel())
        self.product = QFormLayout()
        self.metadata = QFormLayout()
        self.path = selectable(QLabel())
        self.card: BoardCard | None = None
        self.note = QLineEdit()
        self.note.setPlaceholderText("A short note (Enter saves it)")
        self.note.setAccessibleName("Note on the board")
        self.note.setMaxLength(500)
        self.note.editingFinished.connect(self._note_finished)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for number, (name, action) in enumerate(
            (
                ("Open", self.open_file),
                ("Reveal", self.reveal),
                ("Copy path", self.copy_path),
                ("Copy caption", self.copy_caption),
                ("More like this", self.moreLikeThis.emit),
            )
        ):
            button = QPushButton(name)
            button.clicked.connect(action)
            button.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
            grid.addWidget(button, number // 2, number % 2, 1, 2 if number == 4 else 1)
            self.buttons[name] = button
        self.selected = QLabel()  # several tiles chosen: the pane shows the current one, and says so
        self.selected.setWordWrap(True)
        self.selected.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.selected.setVisible(False)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.selected)
        layout.addWidget(self.title)
        layout.addWidget(self.preview)
        self.sections = {}
        for name, content in (
            ("Note", self.note),
            ("Caption", self.caption),
            ("Product", self.product),
            ("Metadata", self.metadata),
            ("File", self.path),
        ):
            title = heading(name)
            self.sections[name] = title
            layout.addWidget(title)
            if isinstance(content, QWidget):
                layout.addWidget(content)
            else:
                layout.addLayout(content)
        layout.addStretch(1)
        self.area.setWidget(body)
        outer = QVBoxLayout(self)  # the actions stay in sight below the scrolling details
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.area, 1)
        outer.addLayout(grid)
        loader.loaded.connect(self._preview_loaded)
        self.show_result(None)

    def show_selected(self, count: int) -> None:
        self.selected.setText(f"{count} items selected: B adds them to a board, Enter finds items like them all")
        self.selected.setVisible(count > 1)

    def show_card(self, card: BoardCard, result: SearchResult | None, caption: str | None) -> None:
        """A board's item: as a result with its note above; a missing one says where it was last seen."""
        self.show_result(result, caption)
        self.card = card
        self.note.setText(card.note)
        self.sections["Note"].setVisible(True)
        self.note.setVisible(True)
        if result is None:
            self.title.setText(card.name)
            self.preview.setText("The file is missing: it was moved or deleted outside Fashion Desktop.")
            self.sections["File"].setVisible(True)
            self.path.setText(f"Last seen at {card.path}")
            self.buttons["Copy path"].setEnabled(True)

    def _note_finished(self) -> None:
        if self.card is not None and self.note.text().strip() != self.card.note:
            self.card = replace(self.card, note=self.note.text().strip())  # one save per change, not per focus
            self.noteEdited.emit(self.card.content_hash, self.card.note)

    def show_result(self, result: SearchResult | None, caption: str | None = None) -> None:
        self.result = result
        self.card = None
        self.note.setVisible(False)
        for button in self.buttons.values():
            button.setEnabled(result is not None)
        for form in (self.product, self.metadata):
            while form.rowCount():
                form.removeRow(0)
        for section, title in self.sections.items():
            title.setVisible(result is not None and section != "Note")
        if result is None:
            self.title.setText("Nothing selected")
            self.preview.setText("Select an item to see it here.")
            self.caption.clear()
            self.path.clear()
            return
        self.title.setText(display_name(result))
        self.preview.setText("…")
        self.loader.request(("detail", result.item_id), result.path, PREVIEW, cached=False)
        self.set_caption(caption or result.caption)
        name = result.metadata.get(NAME)
        self.product.addRow("Name:", selectable(QLabel(name or "—")))
        percent = similarity_percent(result.score)
        if percent is not None:
            self.product.addRow("Similarity:", QLabel(f"{percent}%"))
        if result.duplicates:
            self.product.addRow("Near-duplicates:", QLabel(f"{len(result.duplicates)} more"))
        for key, value in result.metadata.items():
            if key != NAME:
                self.metadata.addRow(f"{LABELS.get(key, key)}:", selectable(QLabel(value)))
        self.sections["Metadata"].setVisible(self.metadata.rowCount() > 0)
        self.path.setText(str(result.path))

    def set_caption(self, caption: str | None) -> None:
        self.caption_text = caption
        self.caption.setText(caption or "Caption being written…")
        self.buttons["Copy caption"].setEnabled(bool(caption))

    def _preview_loaded(self, key: object, image: QImage) -> None:
        if self.result is None or key != ("detail", self.result.item_id):
            return
        if image.isNull():
            self.preview.setText("Preview unavailable")
            return
        width = max(self.area.viewport().width() - 24, 160)
        height = max(160, min(360, self.area.viewport().height() * 11 // 20))  # the name and caption stay in sight
        pixmap = QPixmap.fromImage(image)
        scaled = pixmap.scaled(
            QSize(width, height), Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
        )
        self.preview.setPixmap(scaled)

    # -- actions (each says so when it cannot be done) ----------------------------------------------------------
    def open_file(self) -> None:
        if self.result is not None:
            open_in_default_app(self.result.path, self.problem.emit)

    def reveal(self) -> None:
        if self.result is not None:
            reveal_in_file_manager(self.result.path, self.problem.emit)

    def copy_path(self) -> None:
        path = self.result.path if self.result is not None else self.card.path if self.card is not None else None
        if path is not None:
            from PySide6.QtGui import QGuiApplication

            QGuiApplication.clipboard().setText(str(path))

    def copy_caption(self) -> None:
        if self.result is not None and self.caption_text:
            from PySide6.QtGui import QGuiApplication

            QGuiApplication.clipboard().setText(self.caption_text)


def open_in_default_app(path: Path, problem: object) -> None:
    """Open with the desktop's default app; says so when the file is gone or nothing can open it."""
    assert callable(problem)
    if not path.exists():
        problem(f"Cannot open {path.name}: the file is no longer there.")
    elif not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        problem(f"Cannot open {path.name}: no application is set up to open this kind of file.")


def reveal_in_file_manager(path: Path, problem: object) -> None:
    """Show the file in the file manager (selected where the platform allows); says so when that fails."""
    assert callable(problem)
    if not path.exists():
        problem(f"Cannot show {path.name}: the file is no longer there.")
        return
    command = (
        ["open", "-R", str(path)]
        if sys.platform == "darwin"
        else ["explorer", f"/select,{path}"]
        if sys.platform == "win32"
        else None
    )
    if command is not None and shutil.which(command[0]):
        try:
            subprocess.Popen(command)
            return
        except OSError as exc:
            problem(f"Cannot show {path.name} in the file manager: {exc}")
            return
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))):
        problem(f"Cannot show {path.name}: no file manager is set up to open {path.parent}.")
