"""Who kept the GUI thread waiting: the kernel's scheduling events around each long GUI gap (Linux `perf`).

bench/app.py --sched-trace records `sched:sched_switch` and `sched:sched_wakeup` for the whole machine during its
hog phase (CLOCK_MONOTONIC, so the events line up with the gaps it measures) and names every Python thread in the
kernel, so that events say which thread is which. This script then reads, for each gap:
- the GUI thread's sleeps longer than SLEEP_MS inside it (a wait for the GIL's mutex or another lock; a wait for the
  GIL itself shows as many 1 ms sleeps, the switch interval, and is counted as such);
- which thread woke it at the end of each, and how long that thread had meanwhile been runnable but off its CPU
  (preempted: a thread of lowered priority holding what the GUI waits for, on a busy machine);
- the process's threads that were runnable but off their CPU for more than half of the gap (among them, while the
  GUI waits for the GIL, is usually the thread holding it). onnxruntime's own threads never hold the GIL; they
  carry the name of the thread that created their session (e.g. "onnx-load-lowered");
- how long each of the process's threads was on a CPU during the gap (the GUI's own work, and who ran instead).
At the end, a tally of the threads that were off their CPU for most of a gap, over all gaps.

    python bench/sched_trace.py TRACE_DIR      (the directory given to bench/app.py --sched-trace)
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

SLEEP_MS = 8.0
GUI_NAME = "GUI"
EVENT = re.compile(r"\s*(.+?)\s+(-?\d+)/(-?\d+)\s+([\d.]+):\s+sched:(\w+):\s+(.*)")
FIELD = re.compile(r"(\w+)=(\S+)")


@dataclass(frozen=True)
class Event:
    time: float
    kind: str  # sched_switch or sched_wakeup
    process: int
    thread: int
    comm: str
    fields: dict[str, str]


def read_events(data: Path) -> list[Event]:
    script = subprocess.run(
        ["perf", "script", "-i", str(data), "-F", "comm,pid,tid,time,event,trace"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    events = []
    for line in script.splitlines():
        match = EVENT.match(line)
        if match:
            comm, process, thread, time, kind, rest = match.groups()
            events.append(Event(float(time), kind, int(process), int(thread), comm, dict(FIELD.findall(rest))))
    return events


def cpu_seconds(events: list[Event], thread: int, start: float, end: float) -> tuple[float, float]:
    """How long `thread` was on a CPU, and how long runnable but off its CPU (preempted), between start and end
    (a state entered before start counts from start)."""
    running = preempted = 0.0
    state, since = "", 0.0  # "on", "preempted" or "" (asleep, or not seen yet)
    for event in events:
        if event.time > end:
            break
        if event.kind != "sched_switch":
            continue
        if int(event.fields["prev_pid"]) == thread:
            new_state = "preempted" if event.fields["prev_state"].startswith("R") else ""
        elif int(event.fields["next_pid"]) == thread:
            new_state = "on"
        else:
            continue
        spent = max(0.0, event.time - max(since, start))
        running += spent if state == "on" else 0.0
        preempted += spent if state == "preempted" else 0.0
        state, since = new_state, event.time
    spent = max(0.0, end - max(since, start))
    return running + (spent if state == "on" else 0.0), preempted + (spent if state == "preempted" else 0.0)


def explain_gaps(events: list[Event], process: int, gaps: list[tuple[float, float]]) -> list[str]:
    names = {event.thread: event.comm for event in events if event.process == process}
    gui = next(thread for thread, name in names.items() if name == GUI_NAME)
    lines: list[str] = []
    wakers: Counter[str] = Counter()
    suspects: Counter[str] = Counter()  # threads runnable but off their CPU for most of a gap
    for start, end in gaps:
        lines.append(f"gap of {1000 * (end - start):.0f} ms")
        inside = [event for event in events if start - 0.002 <= event.time <= end + 0.002]
        asleep: float | None = None
        short_sleeps = 0
        for event in inside:
            if event.kind == "sched_switch" and int(event.fields["prev_pid"]) == gui:
                asleep = event.time
            elif event.kind == "sched_wakeup" and int(event.fields["pid"]) == gui and asleep is not None:
                slept = 1000 * (event.time - asleep)
                if slept > SLEEP_MS:
                    waker = names.get(event.thread, event.comm) if event.process == process else event.comm
                    off = 1000 * cpu_seconds(events, event.thread, asleep, event.time)[1]
                    lines.append(
                        f"  the GUI slept {slept:.0f} ms; woken by {waker} ({event.thread}), which had been "
                        f"runnable but off its CPU for {off:.0f} ms of it"
                    )
                    wakers[waker] += 1
                else:
                    short_sleeps += 1
                asleep = None
        if short_sleeps:
            lines.append(f"  and {short_sleeps} short sleeps (waiting for the GIL wakes the GUI every switch interval)")
        spent = {thread: cpu_seconds(events, thread, start, end) for thread in names}
        for thread, (_, off) in sorted(spent.items(), key=lambda item: -item[1][1]):
            if thread != gui and off > (end - start) / 2:
                name = names[thread]
                lines.append(f"  {name} ({thread}) was runnable but off its CPU for {1000 * off:.0f} ms of the gap")
                suspects[name] += 1
        busy = [(thread, on) for thread, (on, _) in sorted(spent.items(), key=lambda item: -item[1][0]) if on > 0.002]
        lines.append("  on a CPU meanwhile: " + ", ".join(f"{names[thread]} {1000 * on:.0f} ms" for thread, on in busy))
    lines.append(
        f"wakers of the GUI's long sleeps: {', '.join(f'{name} {count}' for name, count in wakers.most_common())}"
    )
    lines.append(
        f"off their CPU for most of a gap ({len(gaps)} gaps): "
        + ", ".join(f"{name} {count}" for name, count in suspects.most_common())
    )
    return lines


def main() -> None:
    folder = Path(sys.argv[1])
    process = int((folder / "pid").read_text())
    gaps = [(float(a), float(b)) for a, b in (line.split() for line in (folder / "gaps").read_text().splitlines())]
    print("\n".join(explain_gaps(read_events(folder / "perf.data"), process, gaps)))


if __name__ == "__main__":
    main()
