"""A separate X11 client that drags files as a file manager does: a small window at the top left; pressing the
mouse on it starts a QDrag carrying the files as URLs. Prints "drag finished N" (1 = copied, 0 = refused) at once
and exits 5 s later.

usage: xdnd_source.py FILE...   (driven with xdotool by tests/window_screenshot.py)
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QMimeData, Qt, QTimer, QUrl
from PySide6.QtGui import QDrag, QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel


class Source(QLabel):
    def __init__(self, files: list[str]) -> None:
        super().__init__("drag me")
        self.files = files
        self.setWindowTitle("xdnd-source")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.resize(160, 120)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(f) for f in self.files])
        drag = QDrag(self)
        drag.setMimeData(mime)
        result = drag.exec(Qt.DropAction.CopyAction)
        print("drag finished", int(result.value), flush=True)
        self.hide()  # out of the screenshots; Qt serves the drop's data from its own window, not this one
        # The drop target asks for the data after exec() returns: keep serving it for a while, then exit.
        QTimer.singleShot(5000, QApplication.quit)


if __name__ == "__main__":
    app = QApplication(sys.argv[:1])
    source = Source(sys.argv[1:])
    source.move(0, 0)
    source.show()
    sys.exit(app.exec())
