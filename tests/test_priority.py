"""Which threads yield the CPU (fashion_desktop.priority): the models' native work always, onnxruntime's own threads
and every run, whichever thread asks for it; every worker's thread but the caption worker's, whose Python between
BLIP's decoding steps must not hold the GIL at low priority on a busy machine."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import onnxruntime
import pytest
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.models.session import physical_cores
from fashion_desktop.paths import AppPaths
from fashion_desktop.priority import NICE, at_lowered_priority, lower_this_thread_priority, models_in_background
from fashion_desktop.workers.engine import WorkerThreads
from model_export.common import synthetic_images

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="priorities are lowered on Linux only")

Result = TypeVar("Result")


def nice_of(thread_id: int) -> int:
    return os.getpriority(os.PRIO_PROCESS, thread_id)


def own_nice() -> int:
    return nice_of(threading.get_native_id())


def live_thread_ids() -> set[int]:
    return {int(name) for name in os.listdir("/proc/self/task")}


def nices_of(thread_ids: set[int]) -> dict[int, int]:
    """Each thread's nice value; threads that ended meanwhile are left out."""
    nices = {}
    for thread_id in thread_ids:
        try:
            nices[thread_id] = nice_of(thread_id)
        except ProcessLookupError:
            pass
    return nices


def on_a_fresh_thread(call: Callable[[], Result]) -> Result:
    """`call()` on a new thread of the process's own priority (a lowered thread cannot be raised again, so no test
    lowers the thread pytest runs on); its result, or its exception."""
    outcome: list[Result] = []
    failure: list[BaseException] = []

    def work() -> None:
        assert own_nice() < NICE, "the tests need a process that runs above the lowered priority"
        try:
            outcome.append(call())
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    if failure:
        raise failure[0]
    return outcome[0]


def test_lowered_work_runs_on_a_lowered_thread_and_hands_back_its_result_or_its_error() -> None:
    def where() -> tuple[int, int]:
        return threading.get_native_id(), own_nice()

    def fails() -> None:
        raise KeyError("gone")

    def scenario() -> None:
        caller, caller_nice = where()
        thread_id, nice = at_lowered_priority(where)
        assert thread_id != caller and nice == NICE
        assert own_nice() == caller_nice, "the caller keeps its priority"
        with pytest.raises(KeyError, match="gone"):
            at_lowered_priority(fails)
        lower_this_thread_priority()
        assert at_lowered_priority(where) == (caller, NICE), "a lowered caller runs it at once, itself"

    on_a_fresh_thread(scenario)


@pytest.mark.parametrize("background", [False, True])
def test_models_run_at_the_callers_priority_and_lowered_in_the_background(
    tiny_models: Path, monkeypatch: pytest.MonkeyPatch, background: bool
) -> None:
    """Sessions created, run and fed (BLIP's decoding threads) from a caller at normal priority. onnxruntime's own
    threads always run lowered. Photos are decoded at the caller's priority, and so are the runs the stylist waits
    for (a lowered thread holding the GIL on a busy machine stalls the window); runs in the background are lowered,
    their outputs taken by the caller, so that the lowered thread runs as little Python as it can. The caller keeps
    its priority either way."""
    runs: list[int] = []
    taken: list[int] = []
    decodes: list[int] = []
    run = onnxruntime.InferenceSession.run
    run_with_ort_values = onnxruntime.InferenceSession.run_with_ort_values
    numpy = onnxruntime.OrtValue.numpy
    pixel_values = Captioner.pixel_values

    def recorded_run(self: onnxruntime.InferenceSession, *args: Any, **kwargs: Any) -> Any:
        runs.append(own_nice())
        return run(self, *args, **kwargs)

    def recorded_run_with_ort_values(self: onnxruntime.InferenceSession, *args: Any, **kwargs: Any) -> Any:
        runs.append(own_nice())
        return run_with_ort_values(self, *args, **kwargs)

    def recorded_take(self: onnxruntime.OrtValue) -> Any:
        taken.append(own_nice())
        return numpy(self)

    def recorded_pixel_values(self: Captioner, *args: Any, **kwargs: Any) -> np.ndarray:
        decodes.append(own_nice())
        return pixel_values(self, *args, **kwargs)

    monkeypatch.setattr(onnxruntime.InferenceSession, "run", recorded_run)
    monkeypatch.setattr(onnxruntime.InferenceSession, "run_with_ort_values", recorded_run_with_ort_values)
    monkeypatch.setattr(onnxruntime.OrtValue, "numpy", recorded_take)
    monkeypatch.setattr(Captioner, "pixel_values", recorded_pixel_values)
    images = synthetic_images(3, seed=5)

    def scenario() -> tuple[list[str], int, dict[int, int], int]:
        before = live_thread_ids()
        captioner = Captioner(tiny_models / "blip", variant="fp32")
        embedder = ImageEmbedder(tiny_models / "resnet50", variant="fp32")
        with models_in_background() if background else nullcontext():
            captions = captioner.caption(images, beams=2, max_tokens=4)
            vectors = embedder.embed(images)
        started = nices_of(live_thread_ids() - before)  # onnxruntime's, alive as long as the sessions
        return captions, len(vectors), started, own_nice()

    captions, embedded, started, caller_nice = on_a_fresh_thread(scenario)
    assert len(captions) == 3 and all(isinstance(text, str) for text in captions) and embedded == 3
    assert caller_nice < NICE
    expected = NICE if background else caller_nice
    assert runs and set(runs) == {expected}, "every model run at the expected priority"
    assert len(decodes) == 3 and set(decodes) == {caller_nice}, "every photo decoded at the caller's priority"
    if background:
        assert len(taken) >= len(runs) and set(taken) == {caller_nice}, "outputs taken by the caller"
    if physical_cores() > 1:  # onnxruntime starts intra-op threads only given more than one core
        assert started, "onnxruntime's threads were expected to outlive the calls"
    assert set(started.values()) <= {NICE}, f"threads started at normal priority: {started}"


def test_every_worker_thread_is_lowered_but_the_caption_workers(qtbot: QtBot, app_paths: AppPaths) -> None:
    workers = WorkerThreads(app_paths, None)
    nices: dict[str, int] = {}
    try:
        for worker_thread in workers.all():
            name = worker_thread.thread.objectName()

            def record(name: str = name) -> None:  # runs on the worker's thread, after its start-up
                nices[name] = own_nice()

            QTimer.singleShot(0, worker_thread.worker, record)
        qtbot.waitUntil(lambda: len(nices) == len(workers.all()), timeout=10000)
    finally:
        workers.stop()
    assert nices == {"indexing": NICE, "captions": own_nice(), "search": NICE, "boards": NICE, "export": NICE}
