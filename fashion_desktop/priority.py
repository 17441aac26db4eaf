"""Which threads yield the CPU, and which model work runs at normal priority.

A stylist's laptop is never idle, and the window must stay smooth while models run, so the workers' threads run at
lowered priority (Linux: nice, per thread; threads inherit it from the thread that starts them, onnxruntime's
included). But a thread that runs Python holds the GIL, and a lowered thread that holds the GIL while a busy
machine keeps it off a CPU keeps every other Python thread waiting, the GUI thread included (priority inversion).

The caption worker runs Python between BLIP's many short decoding steps, so it keeps normal priority, and so do
its threads decoding photos (Python between the decoder's calls, and little of a caption's work). The captions it
writes for what the stylist is looking at (shown tiles, a drop's results) she waits for: their model runs run on
the worker's thread too, and only onnxruntime's own threads, created lowered with the session (`create_session`),
yield. Runs started inside `models_in_background()` (the whole catalog's captions, which nobody waits for) run on a
short-lived lowered thread each (`at_lowered_priority`), with as little Python on it as can be. The other workers
stay lowered whole: their Python is short, and earlier trials with them at normal priority made scrolling on a busy
machine worse.

Measured with bench/app.py --hogs 2 (two CPU hogs on this 2-core machine), captioning a drop's 8 results while the
catalog's background captions run between them: traced with bench/sched_trace.py, the GUI's long gaps came from a
lowered run thread or a lowered decoding thread taken off its CPU for 31-48 ms while holding the GIL. With all of
the caption worker's runs and decoding at normal priority (4 runs, against 6 with them lowered): the worst gap
26-34 ms against 43-71 ms, the 8 captions after 17-19 s against 30-33 s. As here, with the background's runs
lowered (3 runs): 28-45 ms, after 16-18 s; on a quiet machine the worst gap rose from 14-21 to 23-35 ms (99th
percentile unchanged, 6-7 ms).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

log = logging.getLogger("fashion_desktop.priority")

NICE = 10  # the models' work yields the CPU to the GUI thread and to the stylist's other programs

Result = TypeVar("Result")
_IN_BACKGROUND: ContextVar[bool] = ContextVar("models_in_background", default=False)


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


@contextmanager
def models_in_background() -> Iterator[None]:
    """Model work started inside (on this thread) runs lowered even when this thread is not: work nobody waits for."""
    token = _IN_BACKGROUND.set(True)
    try:
        yield
    finally:
        _IN_BACKGROUND.reset(token)


def in_background() -> bool:
    """Whether this thread is inside `models_in_background()`."""
    return _IN_BACKGROUND.get()


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
