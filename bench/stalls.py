"""How long a thread that wants to run every millisecond is kept waiting, and how much of that is the GIL.

A ticker thread sleeps 1 ms at a time and records each gap between ticks. On a busy machine a gap also
contains time spent waiting for a CPU; Linux reports that per thread in /proc/thread-self/schedstat (time run
on a CPU, time waited on a run queue), so gap - sleep - run - run-queue wait is the time the ticker was
blocked for another reason: waiting for the GIL. That isolates what the code under test holds the GIL for,
which is what stalls a GUI thread in the same process, from what the rest of the machine is doing.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import TracebackType

TICK = 0.001


def schedstat() -> tuple[int, int]:
    """(ns run on a CPU, ns waited on a run queue) of the calling thread; zeros where Linux does not say."""
    try:
        run, wait, _ = Path("/proc/thread-self/schedstat").read_text().split()
        return int(run), int(wait)
    except (OSError, ValueError):
        return 0, 0


class StallMeter:
    """`with StallMeter() as meter: work()`, then `meter.worst_gap_ms` and `meter.worst_gil_ms`."""

    def __init__(self) -> None:
        self.worst_gap_ms = 0.0
        self.worst_gil_ms = 0.0
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="stall-meter", daemon=True)

    def _tick(self) -> None:
        last = time.perf_counter()
        last_run, last_wait = schedstat()
        while not self._stop.is_set():
            time.sleep(TICK)
            now = time.perf_counter()
            run, wait = schedstat()
            gap = now - last
            blocked = gap - TICK - (run - last_run) / 1e9 - (wait - last_wait) / 1e9
            self.worst_gap_ms = max(self.worst_gap_ms, 1000 * gap)
            self.worst_gil_ms = max(self.worst_gil_ms, 1000 * blocked)
            self.ticks += 1
            last, last_run, last_wait = now, run, wait

    def __enter__(self) -> StallMeter:
        self._thread.start()
        time.sleep(0.05)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
