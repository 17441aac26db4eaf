"""Run the real window (under Xvfb) on the sample catalog as a stylist would, take screenshots, print what is on
screen as one JSON line: the browse view before any query, a real drag-and-drop from another X client onto the
middle of the grid and its results, quick-look, a result dragged onto the query strip, and the window at 800×600.

Used by tests/test_real_window.py, and to make the README's screenshots:
    xvfb-run -a -s "-screen 0 1280x860x24" python tests/window_screenshot.py docs
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from fashion_desktop.ui.results_model import CaptionRole  # noqa: E402
from tests.screen_steps import mouse_drag, run_script, sample_window, stepper  # noqa: E402

HERE = Path(__file__).resolve().parent
DROPPED = ("noto", "noto-handbag.jpg")


def real_drag(target: QPoint, files: list[Path], report: list[str]) -> None:
    """Drag `files` from another X client onto `target` (screen coordinates) with xdotool, as a person would."""
    source = subprocess.Popen(
        [sys.executable, str(HERE / "xdnd_source.py"), *map(str, files)], stdout=subprocess.PIPE, text=True
    )
    time.sleep(2.5)
    mouse_drag(QPoint(80, 60), target)
    watchdog = threading.Timer(20, source.kill)  # a source that never reports must not hang the run
    watchdog.start()
    assert source.stdout is not None
    report.append(source.stdout.readline().strip())  # printed when the drag ends, while the data is still served
    source.wait()
    watchdog.cancel()


def global_rect(widget: QWidget, rect: QRect | None = None) -> list[int]:
    area = rect if rect is not None else widget.rect()
    top_left = widget.mapToGlobal(area.topLeft())
    return [top_left.x(), top_left.y(), area.width(), area.height()]


def main(out: Path) -> None:
    app, window = sample_window()
    paths = window.paths
    state: dict[str, object] = {}
    drags: list[threading.Thread] = []
    dragged: list[int] = []  # the result dragged onto the query strip
    thumbnails: set[object] = set()

    def thumbnail_loaded(key: object, image: QImage) -> None:
        if isinstance(key, tuple) and key[0] == "tile" and not image.isNull():
            thumbnails.add(key[2])

    window.thumbnails.loaded.connect(thumbnail_loaded)
    wait = stepper(app, window, state, lambda: f" (indexing {window.presenter.indexing.phase})")

    def visible_tiles() -> list[list[int]]:
        viewport = window.view.viewport()
        return [
            global_rect(viewport, window.view.visualRect(window.results.index(row)))
            for row in window.view.visible_rows()
            if viewport.rect().contains(window.view.visualRect(window.results.index(row)))
        ]

    def tiles_loaded() -> bool:
        rows = window.view.visible_rows()
        return bool(rows) and all(window.results.item_ids()[r] in thumbnails for r in rows)

    def shoot(name: str) -> None:
        app.primaryScreen().grabWindow(0).save(str(out / f"{name}.png"))

    def browse() -> None:
        shoot("browse")
        state["browse"] = {
            "rows": window.results.rowCount(),
            "message": window.message.text(),
            "tiles": visible_tiles(),
            "browsing": window.presenter.query.browsing,
        }
        viewport = window.view.viewport()
        middle = viewport.mapToGlobal(viewport.rect().center())
        report: list[str] = []
        state["drag"] = report
        file = paths.sample_catalog.joinpath(*DROPPED)
        dragging = threading.Thread(target=real_drag, args=(middle, [file], report), daemon=True)
        dragging.start()
        drags.append(dragging)
        wait(
            lambda: window.presenter.query.origin == "drop" and not window.presenter.waiting and tiles_loaded(),
            captions,
        )

    def captions() -> None:
        rows = window.view.visible_rows()
        wait(lambda: all(window.results.index(r).data(CaptionRole) for r in rows), results, settle=200)

    def results() -> None:
        window.view.select_row(0)
        QTimer.singleShot(600, results_shot)

    def results_shot() -> None:
        shoot("results")
        query = window.presenter.query
        state["results"] = {
            "rows": window.results.rowCount(),
            "origin": query.origin,
            "query": [str(image.path) for image in query.images],
            "tiles": visible_tiles(),
            "chips": len(window.strip.chips),
        }
        window.quick_look_selected()
        wait(lambda: window.quick_look.picture.pixmap() is not None and window.quick_look.picture.width() > 300, look)

    def look() -> None:
        shoot("quicklook")
        state["quicklook"] = global_rect(window.quick_look.picture)
        window.quick_look.close()
        tile = window.view.viewport().mapToGlobal(window.view.visualRect(window.results.index(1)).center())
        strip = window.strip.mapToGlobal(window.strip.rect().center())
        dragged.append(window.results.item_ids()[1])
        threading.Thread(target=mouse_drag, args=(tile, strip), daemon=True).start()
        wait(
            lambda: window.presenter.query.origin == "more-like-this" and not window.presenter.waiting,
            strip_dropped,
        )

    def strip_dropped() -> None:
        query = window.presenter.query
        state["strip drop"] = {
            "item": dragged[0],
            "query items": [image.item_id for image in query.images],
            "rows": window.results.rowCount(),
        }
        window.resize(800, 600)
        wait(lambda: window.width() == 800 and tiles_loaded(), small, settle=800)

    def small() -> None:
        shoot("small")
        controls = {
            "text box": window.filter_bar.text,
            "sort": window.filter_bar.sort,
            "count": window.filter_bar.count,
            "clear all": window.filter_bar.clear,
            "size slider": window.size_slider,
            "back": window.strip.back_button,
            **{name: button for name, button in window.detail.buttons.items()},
            **{b.label: b for b in window.filter_bar.buttons.values() if b.isVisible()},
        }
        frame = QRect(window.mapToGlobal(QPoint(0, 0)), window.size())
        state["small"] = {
            "size": [window.width(), window.height()],
            "controls": {
                name: frame.contains(QRect(*global_rect(w))) and w.isVisible() for name, w in controls.items()
            },
            "cut": [n for n, w in controls.items() if w.width() < w.sizeHint().width() - 2 and n != "text box"],
            "text box width": window.filter_bar.text.width(),
            "tiles": visible_tiles(),
        }
        window.close()
        app.quit()

    wait(lambda: window.presenter.indexing.phase == "done" and not window.presenter.waiting and tiles_loaded(), browse)
    app.exec()
    for dragging in drags:  # the other client's report arrives when it exits, maybe after the window is done
        dragging.join(timeout=15)
    print(json.dumps(state))


if __name__ == "__main__":
    run_script(main)
