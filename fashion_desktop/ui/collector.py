"""Python's garbage collector run by the GUI thread, at its own priority, instead of by whichever thread allocates.

A collection holds the GIL from start to end. Left automatic, it runs on the thread whose allocation crossed the
threshold, often a worker or thumbnail thread of lowered priority; on a busy laptop that thread loses its core
mid-collection and the window waits for the GIL until it gets one back. Measured in bench/app.py with two CPU hogs,
6 runs each way: while scrolling, the longest collection of each run took 31-58 ms on such threads, and in 2 runs one
of them made the worst gap; run here, the longest took 1-16 ms and none lay in a worst gap. Here the automatic
collector is off and a GUI-thread timer does the same collections by the same rule (Python 3.11's thresholds,
including its 25 % rule for full collections), at most CHECK_EVERY_MS after the allocation that made them due.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

CHECK_EVERY_MS = 50  # how late a due collection may run: worker garbage waits at most this long (and no wake-up
# costs more than reading three counters)
FULL_WHEN_PENDING = 0.25  # a full collection only once the objects promoted since the last one reach a quarter of it


def generation_due(
    counts: tuple[int, int, int], thresholds: tuple[int, int, int], pending: int, kept: int
) -> int | None:
    """The generation Python's automatic collector would collect now (CPython 3.11 gc_collect_generations): the
    oldest whose count passed its threshold, the full one only when `pending` (objects promoted to the oldest
    generation since the last full collection) is at least a quarter of `kept` (what that collection kept). A
    youngest threshold of 0 turns collection off, as for Python's own."""
    if thresholds[0] == 0:
        return None
    for generation in (2, 1, 0):
        if counts[generation] <= thresholds[generation]:
            continue
        if generation == 2 and pending < FULL_WHEN_PENDING * kept:
            continue
        return generation
    return None


class GuiThreadCollector(QObject):
    """Turns the automatic collector off while it runs and collects on its own thread's timer (the GUI thread's,
    when made there). `stop` turns the automatic collector back on as it was."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_EVERY_MS)
        self._timer.timeout.connect(self.collect_if_due)
        self._was_enabled = False
        self._kept = 0  # objects in the oldest generation after the last full collection
        self._pending = 0  # objects promoted into it since, counted as CPython does (long_lived_pending)

    def start(self) -> None:
        if self._timer.isActive():
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self._kept = self._pending = 0  # as Python starts: the first full collection once its count is due
        self._timer.start()

    def stop(self) -> None:
        if not self._timer.isActive():
            return
        self._timer.stop()
        if self._was_enabled:
            gc.enable()

    def collect_if_due(self) -> None:
        generation = generation_due(gc.get_count(), gc.get_threshold(), self._pending, self._kept)
        if generation == 2:
            gc.collect(2)
            self._kept, self._pending = len(gc.get_objects(generation=2)), 0  # walks what the collection just walked
        elif generation == 1:
            # What survives a middle-generation collection is promoted into the oldest: counted from the young
            # generations alone, never by walking the oldest on each tick.
            young = len(gc.get_objects(generation=0)) + len(gc.get_objects(generation=1))
            self._pending += max(0, young - gc.collect(1))
        elif generation == 0:
            gc.collect(0)
