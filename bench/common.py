"""Helpers for the benchmarks: interleaved timing, medians, and the closing JSON line."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from fashion_desktop.paths import AppPaths
from fashion_desktop.sample import sample_catalog_dir


def interleaved(candidates: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each candidate, timed in turn round after round (noise hits all alike)."""
    for run in candidates.values():  # warm-up: sessions, caches, allocator
        run()
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in samples.items()}


def report(title: str, medians: dict[str, float], baseline: str, per: int = 1) -> dict[str, float]:
    """Print medians (per item when `per` > 1) and the speed-up of each against `baseline`."""
    print(f"\n{title}")
    for name, seconds in medians.items():
        ratio = medians[baseline] / seconds
        print(
            f"  {name:<28} {1000 * seconds / per:9.1f} ms{'/item' if per > 1 else '     '}  {ratio:5.2f}x vs {baseline}"
        )
    return {name: medians[baseline] / seconds for name, seconds in medians.items() if name != baseline}


def bench_paths(models: Path) -> AppPaths:
    """A throw-away data directory and the given models folder (benchmarks never touch the real data)."""
    return AppPaths(Path(tempfile.mkdtemp(prefix="fd-bench-data-")), (models,), sample_catalog_dir())


def closing_line(figures: Mapping[str, object]) -> None:
    print(json.dumps(figures, sort_keys=True))
