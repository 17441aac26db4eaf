"""Build and show the window offscreen: a bundle missing a Qt plugin or library fails here, not at a stylist's desk."""

from __future__ import annotations

import os
from pathlib import Path


def check_window(catalog: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    from fashion_desktop.settings import Settings
    from fashion_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["fashion-desktop"])
    window = MainWindow(Settings(), catalog)
    window.show()
    app.processEvents()
    window.close()
    app.processEvents()
