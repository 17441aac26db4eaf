"""Benchmark: how long loading and releasing full-size BLIP stalls the other threads, on small and on huge pages.

    python bench/release.py [--models DIR] [--rounds N]

The caption worker loads BLIP on the first caption and releases it after some idle minutes, while the stylist may
be scrolling. Freeing a session holds the GIL until its memory is back with the system, so the GUI thread stalls.
Each round runs two fresh processes in turn, one whose allocator uses 4 KiB pages (glibc's default, as the app
runs) and one using transparent huge pages (GLIBC_TUNABLES=glibc.malloc.hugetlb=1; Linux, glibc 2.35 or newer, the
kernel's THP setting "madvise" or "always"). In each, a thread at the workers' lowered priority loads BLIP,
captions one photo and releases it, while bench/stalls.py's 1 ms ticker records its longest wait (and how much of
it was the GIL) in each phase. Huge pages halve the release's stall here, but in the window they lengthened the
stalls while BLIP captions (bench/app.py), so the app does not use them; this keeps the comparison at hand.
Not a test: run by hand; the last line is one JSON object of the figures (medians, and the ratio small ÷ huge).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from common import closing_line  # noqa: E402

PAGES = {"small pages": "glibc.malloc.hugetlb=0", "huge pages": "glibc.malloc.hugetlb=1"}
PHASES = ("load", "caption", "release")


def child(models: Path, memo: Path) -> None:
    """One process: the phases on a low-priority thread, each under a StallMeter; JSON figures on stdout."""
    from stalls import StallMeter

    from fashion_desktop.app.cli import prepare_process
    from fashion_desktop.models.captioner import Captioner
    from fashion_desktop.priority import lower_this_thread_priority
    from fashion_desktop.sample import sample_catalog_dir

    prepare_process()
    photo = sorted(sample_catalog_dir().rglob("*.jpg"))[0]
    captioner = Captioner(models / "blip", checksum_memo=memo)
    figures: dict[str, float] = {}
    steps = {"load": captioner.load, "caption": lambda: captioner.caption([photo]), "release": captioner.release}

    def at_low_priority(step: Callable[[], object]) -> None:  # as the caption worker's thread runs
        lower_this_thread_priority()
        step()

    for phase in PHASES:
        worker = threading.Thread(target=at_low_priority, args=(steps[phase],))
        with StallMeter() as meter:
            worker.start()
            worker.join()
        figures[f"{phase}_worst_gap_ms"] = meter.worst_gap_ms
        figures[f"{phase}_worst_gil_ms"] = meter.worst_gil_ms
    with open("/proc/self/status") as status:
        peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM"))
    figures["peak_rss_mib"] = peak / 1024
    print(json.dumps(figures))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, default=REPO / "bench" / "models-full")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.models, args.child)
        return
    memo = Path(tempfile.mkdtemp(prefix="fd-bench-memo-")) / "model-checks.json"
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in PAGES}
    for round_number in range(args.rounds + 1):  # round 0 warms the checksum memo and the page cache
        for name, tunable in PAGES.items():
            environment = {**os.environ, "GLIBC_TUNABLES": tunable}
            command = [sys.executable, __file__, "--models", str(args.models), "--child", str(memo)]
            output = subprocess.run(command, env=environment, capture_output=True, text=True, check=True).stdout
            if round_number:
                runs[name].append(json.loads(output.splitlines()[-1]))
                print(f"round {round_number}, {name}: {runs[name][-1]}", flush=True)
    figures: dict[str, float] = {}
    for name in PAGES:
        print(f"\n{name} (median of {args.rounds}; worst of each phase in brackets)")
        for key in runs[name][0]:
            values = [run[key] for run in runs[name]]
            figures[f"{name.split()[0]}_{key}"] = statistics.median(values)
            print(f"  {key:<26} {statistics.median(values):8.1f}  [{max(values):.1f}]")
    for phase in PHASES:
        key = f"{phase}_worst_gap_ms"
        figures[f"{phase}_gap_ratio_small_to_huge"] = figures[f"small_{key}"] / figures[f"huge_{key}"]
        print(f"{phase}: worst gap on small pages ÷ on huge pages: {figures[f'{phase}_gap_ratio_small_to_huge']:.2f}")
    closing_line(figures)


if __name__ == "__main__":
    main()
