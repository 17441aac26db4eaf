"""Benchmark: the window. Start-up, drop-to-results on a 44k-item catalog, GUI stalls, peak memory.

    python bench/app.py [--models DIR] [--items 44000]

Full-size random-weight models (bench/models-full, made by bench/models.py). The 44k catalog is 44k links to
the sample images with synthetic clustered vectors written straight into its store (indexing 44k photos would
take half an hour here and is measured by bench/index.py). Runs offscreen. Not a test: run by hand; the last
line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from common import closing_line  # noqa: E402

STARTUP = """
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from fashion_desktop.app.environment import app_paths
from fashion_desktop.app.window import run_window
app = QApplication([])
def quit_once_shown():  # the first event-loop turn comes right after the window is shown
    if any(widget.isVisible() for widget in app.topLevelWidgets()):
        print("shown", flush=True)
        app.quit()
    else:
        QTimer.singleShot(1, quit_once_shown)
QTimer.singleShot(0, quit_once_shown)
run_window(app_paths(), None)
"""


def startup_seconds(env: dict[str, str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", STARTUP], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO)
        assert child.stdout is not None
        line = child.stdout.readline()
        times.append(time.perf_counter() - start)
        child.wait(timeout=60)
        assert line.strip() == "shown", line
    return statistics.median(times)


def build_big_catalog(root: Path, items: int) -> None:
    """`items` links to sample images, indexed with synthetic vectors."""
    import numpy as np
    from index import clustered_vectors

    from fashion_desktop.app.environment import app_paths
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.catalog.scan import scan
    from fashion_desktop.catalog.store import IndexResult

    paths = app_paths()
    samples = sorted(paths.sample_catalog.rglob("*.jpg"))
    root.mkdir(parents=True)
    for index in range(items):
        os.symlink(samples[index % len(samples)], root / f"look{index:06}.jpg")
    catalog = Catalog.open(root, paths)
    catalog.store.apply_scan(list(scan(root)))
    pending = catalog.store.items_with_status("pending")
    vectors = clustered_vectors(len(pending), seed=4)
    for start in range(0, len(pending), 2000):
        chunk = pending[start : start + 2000]
        results = [IndexResult(item.id, f"synthetic{item.id}", 480, 560, True) for item in chunk]
        catalog.store.record_results(results, vectors[start : start + len(chunk)])
    assert catalog.status()["indexed"] == items
    catalog.close()
    del np


class StallMeter:
    """A 5 ms timer on the GUI thread; the longest gap between its ticks is the worst stall."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.worst = 0.0
        self.last = time.perf_counter()
        self.timer = QTimer(interval=5)
        self.timer.timeout.connect(self.tick)

    def tick(self) -> None:
        now = time.perf_counter()
        self.worst = max(self.worst, now - self.last)
        self.last = now

    def start(self) -> None:
        self.worst, self.last = 0.0, time.perf_counter()
        self.timer.start()

    def stop(self) -> float:
        self.timer.stop()
        return self.worst


def wait(condition: Callable[[], bool], timeout: float = 600.0) -> None:
    from PySide6.QtWidgets import QApplication

    deadline = time.perf_counter() + timeout
    while not condition():
        QApplication.processEvents()
        time.sleep(0.001)
        if time.perf_counter() > deadline:
            raise TimeoutError("benchmark step timed out")


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM")) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, default=REPO / "bench" / "models-full")
    parser.add_argument("--items", type=int, default=44_000)
    parser.add_argument("--fresh-photos", type=int, default=200, help="photos indexed while measuring stalls")
    parser.add_argument("--build-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        build_big_catalog(args.build_only, args.items)
        return
    data = Path(tempfile.mkdtemp(prefix="fd-bench-"))
    os.environ.update(FASHION_DESKTOP_MODELS=str(args.models), FASHION_DESKTOP_DATA_DIR=str(data / "data"))
    figures: dict[str, float] = {"startup_s": startup_seconds(dict(os.environ))}
    print(f"Start-up to window shown: {figures['startup_s']:.2f} s (median of 5, offscreen)")

    big = data / "big"
    # In a child process, so that generating 44k synthetic vectors does not count in this process's peak memory.
    subprocess.run(
        [sys.executable, __file__, "--build-only", str(big), "--items", str(args.items)],
        check=True,
        env=dict(os.environ),
    )
    from PySide6.QtWidgets import QApplication

    from fashion_desktop.app.environment import app_paths
    from fashion_desktop.catalog.query import QueryImage
    from fashion_desktop.settings import Settings
    from fashion_desktop.ui.main_window import MainWindow
    from fashion_desktop.ui.results_model import CaptionRole
    from fashion_desktop.workers.engine import WorkerThreads

    paths = app_paths()
    app = QApplication(sys.argv[:1])  # noqa: F841 - kept alive for the whole benchmark
    window = MainWindow(Settings(results_count=24, captions=False), paths, big)
    window.show()
    answers: list[int] = []  # one entry per answer shown in the grid
    window.results.modelReset.connect(lambda: answers.append(window.results.rowCount()))

    def answered(ask: Callable[[], None]) -> None:
        answers.clear()
        ask()
        wait(lambda: bool(answers))

    started = time.perf_counter()
    window.attach_workers(WorkerThreads(paths, None))
    wait(lambda: window.progress_label.text().startswith("Up to date") and "items indexed" in window.message.text())
    figures["catalog_usable_s"] = time.perf_counter() - started
    print(f"{args.items}-item catalog open and up to date after {figures['catalog_usable_s']:.1f} s")

    drops = []
    queries = sorted(paths.sample_catalog.rglob("*.jpg"))[:6]
    for query in queries:
        start = time.perf_counter()
        answered(partial(window.ask, [QueryImage(path=query)], origin="drop"))
        QApplication.processEvents()
        drops.append(time.perf_counter() - start)
    figures["drop_to_results_ms"] = 1000 * statistics.median(drops[1:])
    figures["first_drop_to_results_ms"] = 1000 * drops[0]
    print(
        f"Drop to results on {args.items} items: {figures['drop_to_results_ms']:.0f} ms median "
        f"(first drop {figures['first_drop_to_results_ms']:.0f} ms)"
    )

    meter = StallMeter()
    fresh = data / "fresh"
    fresh.mkdir()
    from model_export.common import synthetic_images

    for index, image in enumerate(synthetic_images(args.fresh_photos, seed=8)):
        image.save(fresh / f"new{index:04}.jpg", quality=90)
    window.open_catalog(str(fresh))
    meter.start()
    wait(lambda: window.progress_label.text().startswith("Up to date"))
    figures["worst_stall_indexing_ms"] = 1000 * meter.stop()
    print(f"Worst GUI stall while indexing {args.fresh_photos} photos: {figures['worst_stall_indexing_ms']:.0f} ms")

    window.captions_action.setChecked(True)
    window.settings.captions = True
    meter.start()
    answered(lambda: window.ask([QueryImage(path=queries[0])], origin="drop"))
    wait(lambda: all(window.results.index(r).data(CaptionRole) for r in range(min(8, window.results.rowCount()))))
    figures["worst_stall_captioning_ms"] = 1000 * meter.stop()
    print(f"Worst GUI stall while captioning 8 results: {figures['worst_stall_captioning_ms']:.0f} ms")

    window.open_catalog(str(big))
    wait(lambda: window.progress_label.text().startswith("Up to date") and "items indexed" in window.message.text())
    answered(lambda: window.ask([QueryImage(path=queries[1])], origin="drop"))
    figures["peak_rss_mib"] = peak_rss_mib()
    print(f"Peak memory with both models and the {args.items}-item catalog: {figures['peak_rss_mib']:.0f} MiB")
    window.close()
    closing_line({k: round(v, 3) for k, v in figures.items()})


if __name__ == "__main__":
    main()
