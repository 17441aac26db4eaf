"""Exporting a board from the window: a small dialog (format, the lookbook's layout, where the file goes) and the
status bar's part while it runs (progress, Cancel) and after (open the file, show it in its folder)."""

from __future__ import annotations

import re
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from fashion_desktop.export.options import PAPERS, PER_PAGE, LookbookOptions

FORMATS = (("PDF lookbook", ".pdf"), ("Contact sheet (PNG)", ".png"), ("Photos and a spreadsheet (ZIP)", ".zip"))
PAPER_LABELS = {"a4": "A4", "letter": "Letter"}


def file_name(board: str) -> str:
    """A board's name as a file name on every platform (no separators, no reserved characters)."""
    name = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', " ", board).strip(" .")
    return re.sub(r"\s+", " ", name) or "board"


def default_folder(remembered: str, catalog: Path, home: Path) -> Path:
    """Where exports go first: the last export's folder, unless it is gone or inside the catalog (the app never
    writes there); else Documents, else the home folder."""
    for folder in (Path(remembered) if remembered else None, home / "Documents", home):
        if folder is not None and folder.is_dir() and not folder.resolve().is_relative_to(catalog.resolve()):
            return folder
    return home


class ExportDialog(QDialog):
    """Asks how to export a board; `chosen(out, options)` when the stylist presses Export (options are None for
    a contact sheet or a ZIP, which have no layout)."""

    chosen = Signal(object, object)  # Path, LookbookOptions | None

    def __init__(self, board: str, folder: Path, catalog: Path, last: dict[str, object], parent: QWidget) -> None:
        super().__init__(parent)
        self.catalog = catalog
        self.setWindowTitle(f"Export “{board}”")
        self.format = QComboBox()
        for label, suffix in FORMATS:
            self.format.addItem(label, suffix)
        self.per_page = QComboBox()
        for count in PER_PAGE:
            self.per_page.addItem(f"{count} per page", count)
        self.paper = QComboBox()
        for paper in PAPERS:
            self.paper.addItem(PAPER_LABELS.get(paper, paper), paper)
        self.orientation = QComboBox()
        self.orientation.addItem("Portrait", False)
        self.orientation.addItem("Landscape", True)
        self.title = QLineEdit(placeholderText=board)
        self.subtitle = QLineEdit(placeholderText="e.g. the client, the season")
        self.path = QLineEdit(str(folder / f"{file_name(board)}.pdf"))
        self.path.setMinimumWidth(280)
        browse = QPushButton("Choose…")
        browse.clicked.connect(self._browse)
        where = QHBoxLayout()
        where.addWidget(self.path, 1)
        where.addWidget(browse)
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        form = QFormLayout()
        form.addRow("Format:", self.format)
        form.addRow("Layout:", self.per_page)
        form.addRow("Paper:", self.paper)
        form.addRow("Orientation:", self.orientation)
        form.addRow("Title:", self.title)
        form.addRow("Subtitle:", self.subtitle)
        form.addRow("File:", where)
        self.form = form
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self._export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(buttons)
        self._restore(last)
        self.format.currentIndexChanged.connect(self._format_changed)
        self._format_changed()

    def _restore(self, last: dict[str, object]) -> None:
        """The last export's choices (the settings file may hold anything: unknown values are skipped)."""
        for combo, key in (
            (self.format, "format"),
            (self.per_page, "per_page"),
            (self.paper, "paper"),
            (self.orientation, "landscape"),
        ):
            found = combo.findData(last.get(key))
            if key in last and found >= 0:
                combo.setCurrentIndex(found)

    def choices(self) -> dict[str, object]:
        """What the next export starts from (kept in the settings)."""
        return {
            "format": self.format.currentData(),
            "per_page": self.per_page.currentData(),
            "paper": self.paper.currentData(),
            "landscape": self.orientation.currentData(),
            "folder": str(Path(self.path.text()).parent),
        }

    @property
    def suffix(self) -> str:
        return str(self.format.currentData())

    def _format_changed(self) -> None:
        lookbook = self.suffix == ".pdf"
        for widget in (self.per_page, self.paper, self.orientation, self.title, self.subtitle):
            widget.setEnabled(lookbook)
        text = self.path.text().strip()
        if text:
            self.path.setText(str(Path(text).with_suffix(self.suffix)))

    def _browse(self) -> None:
        label = self.format.currentText()
        name, _ = QFileDialog.getSaveFileName(self, "Export to", self.path.text(), f"{label} (*{self.suffix})")
        if name:
            path = Path(name)
            self.path.setText(str(path if path.suffix.lower() == self.suffix else path.with_suffix(self.suffix)))

    def options(self) -> LookbookOptions | None:
        if self.suffix != ".pdf":
            return None
        return LookbookOptions(
            per_page=int(self.per_page.currentData()),
            paper=str(self.paper.currentData()),
            landscape=bool(self.orientation.currentData()),
            title=self.title.text().strip(),
            subtitle=self.subtitle.text().strip(),
        )

    def _export(self) -> None:
        """The file must be somewhere writable and outside the catalog; a bad choice is said in the dialog."""
        text = self.path.text().strip()
        out = Path(text).expanduser() if text else None
        if out is None or not out.name:
            problem = "Choose where to save the file."
        elif not out.parent.is_dir():
            problem = f"The folder {out.parent} does not exist."
        elif out.resolve().is_relative_to(self.catalog.resolve()):
            problem = "Fashion Desktop never writes into the catalog folder: choose another folder."
        else:
            problem = ""
        if problem or out is None:
            self.problem.setText(problem)
            self.problem.setVisible(True)
            return
        if out.suffix.lower() != self.suffix:
            out = out.with_suffix(self.suffix)
        self.chosen.emit(out, self.options())
        self.accept()


class ExportStatus(QWidget):
    """The status bar's export part: a progress bar and Cancel while it runs; Open and Show in folder after."""

    cancelRequested = Signal()
    openRequested = Signal()
    revealRequested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.progress = QProgressBar()
        self.progress.setFixedWidth(120)
        self.progress.setAccessibleName("Export progress")
        self.cancel = QToolButton()
        self.cancel.setText("Cancel export")
        self.cancel.clicked.connect(self.cancelRequested)
        self.open_file = QToolButton()
        self.open_file.setText("Open")
        self.open_file.clicked.connect(self.openRequested)
        self.reveal = QToolButton()
        self.reveal.setText("Show in folder")
        self.reveal.clicked.connect(self.revealRequested)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for widget in (self.progress, self.cancel, self.open_file, self.reveal):
            row.addWidget(widget)
        self.setVisible(False)

    def running(self) -> None:
        self.progress.setRange(0, 0)  # busy until the first step is counted
        self._show(progress=True, file=False)

    def step(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        self.progress.setFormat(f"{done}/{total}")

    def finished(self, written: bool) -> None:
        """After an export: its file's buttons (none when nothing was written)."""
        self._show(progress=False, file=written)

    def _show(self, progress: bool, file: bool) -> None:
        for widget in (self.progress, self.cancel):
            widget.setVisible(progress)
        for widget in (self.open_file, self.reveal):
            widget.setVisible(file)
        self.setVisible(progress or file)
