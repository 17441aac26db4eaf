"""Help ▸ Open-source licences: every component the app ships with its licence, searchable, and the LGPL note on
replacing the Qt libraries. An installed app shows its NOTICES.txt (generated at build time from what the bundle
holds); a source checkout shows what a bundle would hold, from the installed distributions' metadata."""

from __future__ import annotations

from dataclasses import dataclass

import PySide6
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop import licences
from fashion_desktop.licences import Notice
from fashion_desktop.models.installed import describe_models
from fashion_desktop.paths import AppPaths
from fashion_desktop.ui.colours import MIN_CONTRAST, contrast

HIGHLIGHTS = 300  # matches marked in the shown text at most (a licence text can hold thousands of "the")


@dataclass(frozen=True)
class LicenceNotices:
    notices: list[Notice]
    origin: str  # what the list is made from, said above it
    bundled: bool  # read from the bundle's NOTICES.txt (else from a source checkout's installed metadata)


def licence_notices(paths: AppPaths) -> LicenceNotices:
    """The bundle's NOTICES.txt when there is one; in a source checkout, the installed run-time distributions, the
    models found and the sample catalog's artwork."""
    bundled = licences.read_bundled_notices()
    if bundled is not None:
        return LicenceNotices(
            licences.parse_notices(bundled),
            f"Everything this installation ships, with the full licence texts (also in the file "
            f"{licences.NOTICES_NAME} in the application's folder).",
            bundled=True,
        )
    notices = licences.installed_notices()
    for model in describe_models(paths):
        if "error" not in model:
            notices.append(
                licences.model_notice(model["model"], model["source"], model["revision"], model["random_weights"])
            )
    try:
        attribution = (paths.sample_catalog / "ATTRIBUTION.md").read_text(encoding="utf-8")
    except OSError:
        attribution = ""
    notices += [licences.artwork_notice(folder, attribution) for folder in licences.ARTWORK]
    return LicenceNotices(
        notices,
        "Running from a source checkout: the Python distributions this app needs, as their installed metadata "
        "states their licences, and the models and sample artwork. The installed app ships the complete notices "
        "of everything it bundles, with every licence text in full.",
        bundled=False,
    )


class LicencesWindow(QDialog):
    """A list of components (filtered by the search box) beside the chosen one's licence, copyright and texts."""

    def __init__(self, notices: LicenceNotices, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Open-source licences")
        self.notices = notices.notices
        self._haystacks = [_searchable(notice) for notice in self.notices]
        origin = QLabel(notices.origin, wordWrap=True)
        self.qt_note = QLabel(licences.QT_NOTE.format(version=PySide6.__version__), wordWrap=True)
        self.qt_note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.qt_note.setFrameShape(QLabel.Shape.StyledPanel)
        self.qt_note.setMargin(6)
        self.search = QLineEdit(placeholderText="Search components, licences and texts", clearButtonEnabled=True)
        self.search.setAccessibleName("Search the licences")
        self.count = QLabel()
        self.components = QListWidget()
        self.components.setAccessibleName("Components")
        self.components.setWordWrap(True)
        self.components.setAlternatingRowColors(True)  # each component's two lines (name, licence) read as one
        for notice in self.notices:
            item = QListWidgetItem(f"{notice.title}\n{notice.license}")
            item.setToolTip(f"{notice.title}: {notice.license}")
            self.components.addItem(item)
        self.text = QPlainTextEdit(readOnly=True)
        self.text.setAccessibleName("Licence")
        # Licence texts are hard-wrapped near 80 columns: the proportional font fits such a line in the width an
        # 800×600 screen leaves, where a fixed one breaks every line in two.
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        split = QSplitter()
        split.addWidget(self.components)
        split.addWidget(self.text)
        split.setStretchFactor(1, 1)
        split.setSizes([220, 680])
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        for widget in (origin, self.qt_note, self.search, self.count):
            layout.addWidget(widget)
        layout.addWidget(split, 1)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._filter)
        self.components.currentRowChanged.connect(self._show)
        self._fit_screen()
        self._filter("")
        self.search.setFocus()

    def _fit_screen(self) -> None:
        """At most 900×700, and never more than the screen holds (an 800×600 screen included)."""
        screen = (self.parentWidget() or self).screen() or QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else None
        width, height = 900, 700
        if room is not None:
            width, height = min(width, room.width() - 40), min(height, room.height() - 60)
        self.resize(width, height)

    def _filter(self, text: str) -> None:
        words = text.casefold().split()
        shown = 0
        for row, haystack in enumerate(self._haystacks):
            hidden = not all(word in haystack for word in words)
            self.components.item(row).setHidden(hidden)
            shown += not hidden
        total = len(self.notices)
        self.count.setText(f"{shown} of {total} components" if words else f"{total} components")
        current = self.components.currentRow()
        if current < 0 or self.components.item(current).isHidden():
            visible = [row for row in range(total) if not self.components.item(row).isHidden()]
            self.components.setCurrentRow(visible[0] if visible else -1)
        self._show(self.components.currentRow())

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.notices) or self.components.item(row).isHidden():
            self.text.setPlainText("No component matches the search." if self.search.text() else "")
            return
        notice = self.notices[row]
        parts = [notice.title, f"Licence: {notice.license}", f"Copyright: {notice.copyright}"]
        if notice.comment:
            parts.append(notice.comment)
        if notice.files:
            parts.append(f"Files:\n{notice.files}")
        if notice.text:
            parts.append(notice.text)
        elif (notice.license or "").startswith("LicenseRef-"):  # not a published licence: no standard wording
            parts.append("(Its publisher's own terms apply; no licence file is installed.)")
        else:
            parts.append("(The licence's standard text applies; no file of its own is installed.)")
        self.text.setPlainText("\n\n".join(parts))
        self._mark(self.search.text().split())

    def _mark(self, words: list[str]) -> None:
        """The search's words highlighted in the palette's selection colours (its text made black or white where the
        theme's pair is too faint to read); the view scrolls to the first."""
        palette = self.text.palette()
        background = palette.color(QPalette.ColorRole.Highlight)
        foreground = palette.color(QPalette.ColorRole.HighlightedText)
        if contrast(foreground, background) < MIN_CONTRAST:  # e.g. white on a mid blue, common in dark themes
            foreground = max((QColor("black"), QColor("white")), key=lambda colour: contrast(colour, background))
        marked = QTextCharFormat()
        marked.setBackground(background)
        marked.setForeground(foreground)
        selections: list[QTextEdit.ExtraSelection] = []
        document = self.text.document()
        for word in words:
            cursor = document.find(word, 0)
            while not cursor.isNull() and len(selections) < HIGHLIGHTS:
                selection = QTextEdit.ExtraSelection()
                selection.cursor = cursor  # type: ignore[attr-defined]
                selection.format = marked  # type: ignore[attr-defined]
                selections.append(selection)
                cursor = document.find(word, cursor, QTextDocument.FindFlag(0))
        self.text.setExtraSelections(selections)
        if selections:
            first = QTextCursor(selections[0].cursor)  # type: ignore[attr-defined]
            first.clearSelection()
            self.text.setTextCursor(first)
            self.text.ensureCursorVisible()
        else:
            self.text.moveCursor(QTextCursor.MoveOperation.Start)


def _searchable(notice: Notice) -> str:
    return "\n".join(
        [notice.title, notice.license or "", notice.copyright, notice.comment, notice.files, notice.text]
    ).casefold()
