"""Which threads yield the CPU, and how a thread that runs Python at normal priority still runs its models low.

A stylist's laptop is never idle, and the window must stay smooth while models run, so the workers' threads run at
lowered priority (Linux: nice, per thread; threads inherit it from the thread that starts them, onnxruntime's
included). But a thread that runs Python holds the GIL, and a lowered thread that holds the GIL while a busy
machine keeps it off a CPU keeps every other Python thread waiting, the GUI thread included (priority inversion).
bench/app.py with two CPU hogs beside the window showed it while captioning: most of the GUI's worst gap was
spent neither running nor waiting for a CPU, while the caption worker ran Python between two model runs.

So a worker whose Python runs between many short model runs (the captioner's decoding steps) keeps normal
priority, and its models' native work, which runs without the GIL, is lowered: `at_lowered_priority` runs a
session's creation or run on a short-lived lowered thread, unless the calling thread is lowered already. Measured
with bench/app.py --hogs 2 (with thumbnails scaled without the GIL, see ui/thumbnails.py): GUI gaps over 50 ms
while captioning, 3 in 7 runs, against 5 in 4 runs with the caption worker lowered and 8 in 7 runs before both
changes; the cost is the quiet machine's 99th percentile while captioning, 7 ms against 6. The other workers stay
lowered: their Python is short, and earlier trials with them at normal priority made scrolling on a busy machine
worse.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable
from typing import TypeVar

log = logging.getLogger("fashion_desktop.priority")

NICE = 10  # the models' work yields the CPU to the GUI thread and to the stylist's other programs

Result = TypeVar("Result")


def lower_this_thread_priority(nice: int = NICE) -> None:
    """Let the calling thread yield the CPU (Linux: nice is per thread, and threads started from this one inherit
    it; it cannot be raised again without privileges); elsewhere nothing is done."""
    if sys.platform.startswith("linux"):
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
        except OSError as exc:
            log.debug("thread priority unchanged: %s", exc)


def this_thread_is_lowered(nice: int = NICE) -> bool:
    """Whether the calling thread runs at `nice` or lower; True where priorities are not lowered at all."""
    if not sys.platform.startswith("linux"):
        return True
    try:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) >= nice
    except OSError:
        return True


def at_lowered_priority(call: Callable[[], Result], name: str = "native") -> Result:
    """`call()` at lowered priority: at once on a lowered thread, otherwise on a new lowered thread while the caller
    waits for it (without the GIL); its result, or its exception. For native work that releases the GIL, such as an
    onnxruntime session's creation or run (a thread costs about 0.2 ms, a decoding step of BLIP tens of ms)."""
    if this_thread_is_lowered():
        return call()
    outcome: list[Result] = []
    failure: list[BaseException] = []

    def work() -> None:
        lower_this_thread_priority()
        try:
            outcome.append(call())
        except BaseException as exc:  # handed to the caller, whatever it is
            failure.append(exc)

    thread = threading.Thread(target=work, name=f"{name}-lowered", daemon=True)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]
