"""Run the real window (under Xvfb), search the sample catalog, save a screenshot, print what is on screen.

Used by tests/test_real_window.py and to make the README's screenshot:
    xvfb-run -a -s "-screen 0 1400x900x24" python tests/window_screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QRect, QTimer
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fashion_desktop import logs  # noqa: E402
from fashion_desktop.query import QueryImage  # noqa: E402
from fashion_desktop.sample import sample_catalog_dir  # noqa: E402
from fashion_desktop.settings import Settings  # noqa: E402
from fashion_desktop.ui.app import Engine  # noqa: E402
from fashion_desktop.ui.main_window import MainWindow  # noqa: E402
from fashion_desktop.ui.results_model import CaptionRole  # noqa: E402


def main(out: Path) -> None:
    logs.setup()
    app = QApplication(sys.argv[:1])
    window = MainWindow(Settings(results_count=8), sample_catalog_dir())
    window.resize(1360, 860)
    window.show()
    window.attach_engine(Engine(None))
    state: dict[str, object] = {}

    tries = [0]

    def wait(condition, then):  # type: ignore[no-untyped-def]
        tries[0] += 1
        if condition():
            then()
        elif tries[0] > 600:
            state["error"] = "timed out"
            app.quit()
        else:
            QTimer.singleShot(100, lambda: wait(condition, then))

    def search() -> None:
        window.ask([QueryImage(path=sample_catalog_dir() / "noto" / "noto-handbag.jpg")], origin="drop")
        wait(
            lambda: (
                window.answered is not None
                and window.answered == window.query
                and len(window.results._thumbnails) == window.results.rowCount()
                and all(window.results.index(r).data(CaptionRole) for r in range(8))
            ),
            shoot,
        )

    def shoot() -> None:
        window.view.setCurrentIndex(window.results.index(0))
        QTimer.singleShot(300, grab)

    def grab() -> None:
        origin = window.view.viewport().mapToGlobal(window.view.viewport().rect().topLeft())
        viewport = QRect(origin, window.view.viewport().size())
        tiles = []
        for row in range(window.results.rowCount()):
            rect = window.view.visualRect(window.results.index(row))
            if window.view.viewport().rect().contains(rect):
                top_left = window.view.viewport().mapToGlobal(rect.topLeft())
                tiles.append([top_left.x(), top_left.y(), rect.width(), rect.height()])
        app.primaryScreen().grabWindow(0).save(str(out))
        state.update(
            rows=window.results.rowCount(),
            tiles=tiles,
            viewport=[viewport.x(), viewport.y(), viewport.width(), viewport.height()],
            banner=window.banner.isVisible(),
        )
        window.close()
        app.quit()

    QTimer.singleShot(0, lambda: wait(lambda: window.progress_label.text().startswith("Up to date"), search))
    app.exec()
    print(json.dumps(state))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
