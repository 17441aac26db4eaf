"""fashion_desktop.memory: buffers a model run frees go back to the system, and a full garbage collection in the
running window walks only what was made after start-up."""

from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import REPO, run_offscreen

FREE_AND_MEASURE = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fashion_desktop.memory import limit_allocator

    if sys.argv[1] == "limited":
        limit_allocator()

    def resident_mib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) // 1024

    np.ones(8 << 20, dtype=np.uint8)  # one large buffer freed at once, as after a model run
    before = resident_mib()
    buffers, small = [], []
    for _ in range(60):  # 240 MiB of 4 MiB buffers, each followed by small objects that stay (Python's own)
        buffers.append(np.ones(4 << 20, dtype=np.uint8))
        small.append(b"x" * 6400)
    del buffers
    print(resident_mib() - before)
    """
)


def glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        ctypes.CDLL(None).mallopt  # noqa: B018
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not glibc(), reason="the settings are glibc's; elsewhere limit_allocator does nothing")
def test_freed_model_buffers_go_back_to_the_system() -> None:
    def kept_mib(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", FREE_AND_MEASURE, mode], capture_output=True, text=True, check=True)
        return int(run.stdout)

    # glibc by default serves blocks the size of a freed large buffer from its heap and keeps them when freed.
    assert kept_mib("default") > 150
    assert kept_mib("limited") < 20


WINDOW_WALKED_BY_A_COLLECTION = textwrap.dedent(
    """
    import gc, sys, threading
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from fashion_desktop.app.environment import app_paths
    from fashion_desktop.app.window import run_window

    app = QApplication(["t"])
    collected_on = set()
    gc.callbacks.append(lambda phase, info: collected_on.add(threading.current_thread().name))

    def report():
        print(len(gc.get_objects()), gc.get_freeze_count())  # what a full collection walks, and what it skips
        print(gc.isenabled(), ",".join(sorted(collected_on)))
        app.quit()

    QTimer.singleShot(2000, report)
    code = run_window(app_paths())
    print(gc.isenabled())
    sys.exit(code)
    """
)


@pytest.mark.slow
def test_a_full_collection_in_the_running_window_skips_what_start_up_made_and_runs_on_the_gui_thread(
    data_dir: Path, models_env: Path
) -> None:
    """A real launch (offscreen, with its workers and models): start-up's ~50k long-lived objects are not walked by
    each later full collection, which holds the GIL and so the GUI thread for as long as it walks; and collections
    run on the GUI thread, not on a worker of lowered priority that may lose its CPU while it holds the GIL."""
    launch = run_offscreen(WINDOW_WALKED_BY_A_COLLECTION)
    assert launch.returncode == 0, launch.stderr[-3000:]
    sizes, collector, after = launch.stdout.splitlines()
    walked, skipped = (int(number) for number in sizes.split())
    assert skipped > 20_000  # the imports, the window and its workers
    assert walked < skipped / 4
    # and every collection ran on the GUI thread (ui/collector.py), the automatic collector back on after the window
    assert collector.split() == ["False", "MainThread"]
    assert after == "True"


def test_garbage_made_after_start_up_is_still_collected() -> None:
    script = textwrap.dedent(
        """
        import gc, weakref
        from fashion_desktop.memory import freeze_startup_objects

        class Node:
            pass

        freeze_startup_objects()
        node = Node()
        node.itself = node  # a cycle: only the collector frees it
        alive = weakref.ref(node)
        del node
        gc.collect()
        print(alive() is None, gc.isenabled())
        """
    )
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
    assert run.stdout.split() == ["True", "True"]
