"""First launch: choose a catalog folder or start with the sample catalog."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QPushButton, QVBoxLayout, QWidget


class Welcome(QWidget):
    chooseFolder = Signal()
    useSample = Signal()

    def __init__(self) -> None:
        super().__init__()
        title = QLabel("<h2>Welcome to Fashion Desktop</h2>", alignment=Qt.AlignmentFlag.AlignCenter)
        text = QLabel(
            "Point it at the folder of your product photos. They are indexed on this computer; nothing is\n"
            "uploaded and the folder is never changed. You can search while indexing runs.",
            alignment=Qt.AlignmentFlag.AlignCenter,
        )
        choose = QPushButton("Choose catalog folder…")
        choose.clicked.connect(self.chooseFolder)
        sample = QPushButton("Start with the sample catalog")
        sample.clicked.connect(self.useSample)
        layout = QVBoxLayout(self)
        layout.addStretch()
        for widget in (title, text, choose, sample):
            layout.addWidget(widget, alignment=Qt.AlignmentFlag.AlignHCenter)
        layout.addStretch()
