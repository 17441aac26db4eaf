"""onnxruntime session creation shared by every model class."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fashion_desktop.models.manifest import REMEDY, ModelFilesError
from fashion_desktop.priority import at_lowered_priority, in_background, this_thread_is_lowered

if TYPE_CHECKING:
    import onnxruntime


def physical_cores() -> int:
    """Physical cores (not SMT siblings): more intra-op threads than cores only adds contention."""
    try:
        pairs = set()
        physical = core = ""
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
            for line in cpuinfo:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "physical id":
                    physical = value.strip()
                elif key == "core id":
                    core = value.strip()
                    pairs.add((physical, core))
        if pairs:
            return len(pairs)
    except OSError:
        pass
    return os.cpu_count() or 1


def create_session(path: Path, threads: int | None = None) -> onnxruntime.InferenceSession:
    """A CPU session with all graph optimisations: on full-size BLIP (`python bench/models.py --only
    session-options`) fewer optimisations or no weight prepacking create the session faster but decode slower, and
    a saved optimised graph saves part of the creation time at the cost of hundreds of MB in the data directory and
    a graph tied to this CPU. No memory arena: onnxruntime's arena only grows, keeping a buffer of every shape a
    graph was ever run with (BLIP's every cache length and batch size; ResNet's largest batch), while without it
    each run's buffers go back to the system when it ends (see fashion_desktop.memory). Measured with
    bench/app.py on 300 photos: the window's peak 1 599 -> 1 524 MiB, and 118 MiB less held after indexing;
    full-size ResNet50 in batches of 8 indexes 6 % fewer images a second (20.2 vs 21.6), BLIP captions as fast.

    Created at lowered priority, so the threads onnxruntime starts for it yield the CPU whichever thread asks for
    it (see fashion_desktop.priority); run it with `run_session`."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = threads or physical_cores()
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Fatal only: onnxruntime prints its errors to the terminal itself, and every error also reaches the caller as
    # an exception that the app turns into a message (shape-inference chatter is not actionable for a stylist).
    options.log_severity_level = 4
    try:
        return at_lowered_priority(
            lambda: ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"]),
            "onnx-load",
        )
    except Exception as exc:  # onnxruntime raises its own exception types for unreadable graphs
        raise ModelFilesError(f"Model file could not be loaded: {path} ({exc}). {REMEDY}") from None


def run_session(
    session: onnxruntime.InferenceSession,
    outputs: list[str] | None,
    feeds: Mapping[str, np.ndarray],
    run_options: onnxruntime.RunOptions | None = None,
) -> list[np.ndarray]:
    """`session.run`, on the calling thread, unless models run in the background (see fashion_desktop.priority):
    then on a lowered thread, which yields the CPU to the GUI thread and the stylist's other programs.

    Only the run itself is handed to the lowered thread: the inputs are wrapped and the outputs taken (without
    copies) here, on the calling thread, so that the lowered thread runs as little Python as it can. A lowered
    thread holding the GIL loses its CPU on a busy machine while every other thread waits for it."""
    if not in_background() or this_thread_is_lowered():  # at the caller's own priority
        return list(session.run(outputs, dict(feeds), run_options))
    from onnxruntime import OrtValue

    wrapped = {name: OrtValue.ortvalue_from_numpy(np.ascontiguousarray(array)) for name, array in feeds.items()}
    names = outputs if outputs is not None else [output.name for output in session.get_outputs()]
    values = at_lowered_priority(lambda: session.run_with_ort_values(names, wrapped, run_options), "onnx-run")
    return [value.numpy() for value in values]
