"""Run the real window (under Xvfb), search the sample catalog, save a screenshot, print what is on screen.

Used by tests/test_real_window.py and to make the README's screenshot:
    xvfb-run -a -s "-screen 0 1400x900x24" python tests/window_screenshot.py docs/screenshot.png
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRect, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fashion_desktop import logs  # noqa: E402
from fashion_desktop.app.environment import app_paths  # noqa: E402
from fashion_desktop.catalog.query import QueryImage  # noqa: E402
from fashion_desktop.settings import Settings  # noqa: E402
from fashion_desktop.ui.main_window import MainWindow  # noqa: E402
from fashion_desktop.ui.results_model import CaptionRole, ItemIdRole  # noqa: E402
from fashion_desktop.workers.engine import WorkerThreads  # noqa: E402


def main(out: Path) -> None:
    paths = app_paths()  # the test sets the data directory and the models in the environment
    logs.setup(paths.log_file)
    app = QApplication(sys.argv[:1])
    window = MainWindow(Settings(results_count=8), paths, paths.sample_catalog)
    window.resize(1360, 860)
    window.show()
    window.attach_workers(WorkerThreads(paths, None))
    state: dict[str, object] = {}
    answers: list[int] = []  # result counts shown since the search was asked
    window.results.modelReset.connect(lambda: answers.append(window.results.rowCount()))
    thumbnails: set[object] = set()  # keys (item ids) whose thumbnail has been decoded

    def thumbnail_loaded(key: object, image: QImage) -> None:
        if not image.isNull():
            thumbnails.add(key)

    window.thumbnails.loaded.connect(thumbnail_loaded)
    tries = [0]

    def wait(condition: Callable[[], bool], then: Callable[[], None]) -> None:
        tries[0] += 1
        if condition():
            then()
        elif tries[0] > 600:
            state["error"] = "timed out"
            app.quit()
        else:
            QTimer.singleShot(100, lambda: wait(condition, then))

    def shown_ids() -> set[object]:
        return {window.results.index(row).data(ItemIdRole) for row in range(window.results.rowCount())}

    def search() -> None:
        answers.clear()
        window.ask([QueryImage(path=paths.sample_catalog / "noto" / "noto-handbag.jpg")], origin="drop")
        wait(
            lambda: (
                answers == [8]
                and shown_ids() <= thumbnails
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
