"""fashion_desktop.memory: buffers a model run frees go back to the system, a full garbage collection in the
running window walks only what was made after start-up, and the app restarts once into huge pages where the kernel
offers them."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from fashion_desktop import memory
from fashion_desktop.memory import huge_pages_environment
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
    import gc, sys
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from fashion_desktop.app.environment import app_paths
    from fashion_desktop.app.window import run_window

    app = QApplication(["t"])

    def report():
        print(len(gc.get_objects()), gc.get_freeze_count())  # what a full collection walks, and what it skips
        app.quit()

    QTimer.singleShot(2000, report)
    sys.exit(run_window(app_paths()))
    """
)


@pytest.mark.slow
def test_a_full_collection_in_the_running_window_skips_what_start_up_made(data_dir: Path, models_env: Path) -> None:
    """A real launch (offscreen, with its workers and models): start-up's ~50k long-lived objects are not walked by
    each later full collection, which holds the GIL and so the GUI thread for as long as it walks."""
    launch = run_offscreen(WINDOW_WALKED_BY_A_COLLECTION)
    assert launch.returncode == 0, launch.stderr[-3000:]
    walked, skipped = (int(number) for number in launch.stdout.split())
    assert skipped > 20_000  # the imports, the window and its workers
    assert walked < skipped / 4


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


MADVISE = "always [madvise] never\n"


@pytest.mark.skipif(not glibc(), reason="the tunable is glibc's; elsewhere there is nothing to restart for")
@pytest.mark.parametrize(
    ("setting", "version", "environment", "tunables"),
    [
        (MADVISE, "glibc 2.36", {"LANG": "C"}, "glibc.malloc.hugetlb=1"),
        (
            MADVISE,
            "glibc 2.35",
            {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"},
            "glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1",
        ),
        (MADVISE, "glibc 2.36", {"GLIBC_TUNABLES": "glibc.malloc.hugetlb=0"}, None),  # set already (by the user)
        (MADVISE, "glibc 2.34", {}, None),  # a glibc without the tunable
        ("[always] madvise never\n", "glibc 2.36", {}, None),  # huge pages without asking
        ("always madvise [never]\n", "glibc 2.36", {}, None),
        (None, "glibc 2.36", {}, None),  # a kernel without transparent huge pages
    ],
)
def test_restart_environment_asks_for_huge_pages_only_where_that_changes_something(
    tmp_path: Path, setting: str | None, version: str, environment: dict[str, str], tunables: str | None
) -> None:
    thp = tmp_path / "enabled"
    if setting is not None:
        thp.write_text(setting)
    restart = huge_pages_environment(environment, thp, version)
    if tunables is None:
        assert restart is None
    else:
        assert restart == {**environment, "GLIBC_TUNABLES": tunables}


def test_no_restart_without_glibc(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "enabled").write_text(MADVISE)
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    assert huge_pages_environment({}, tmp_path / "enabled", "glibc 2.36") is None


RESTART_AND_ALLOCATE = textwrap.dedent(
    """
    import os, sys
    print("started", os.getpid(), sys.argv[1:], flush=True)
    from fashion_desktop.app.entry import restart_with_huge_pages
    restart_with_huge_pages()
    block = b"x" * (64 << 20)  # a model's weights: a large block, written
    with open("/proc/self/smaps_rollup") as rollup:
        huge_kib = next(int(line.split()[1]) for line in rollup if line.startswith("AnonHugePages"))
    print("running", os.getpid(), sys.argv[1:], flush=True)
    print("children-get", os.environ.get("GLIBC_TUNABLES"), sorted(name for name in os.environ if "RESTART" in name))
    print("huge-kib", huge_kib)
    """
)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/smaps_rollup").exists(), reason="Linux reports huge pages per process")
@pytest.mark.parametrize("tunables", [None, "glibc.malloc.arena_max=2"])
def test_the_restart_happens_once_in_the_same_process_and_brings_huge_pages(tunables: str | None) -> None:
    """On this machine's kernel and C library, for real: restarted once, same PID and arguments, the large blocks
    it allocates then are backed by huge pages, and the programs it starts get the environment it was started
    with. Where huge pages would change nothing, it does not restart."""
    environment = {name: value for name, value in os.environ.items() if name != "GLIBC_TUNABLES"}
    if tunables is not None:
        environment["GLIBC_TUNABLES"] = tunables
    run = subprocess.run(
        [sys.executable, "-c", RESTART_AND_ALLOCATE, "an argument"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=environment,
    )
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines() if not line.startswith("started"))
    started = [line.split(" ", 1)[1] for line in run.stdout.splitlines() if line.startswith("started")]
    assert lines["children-get"] == f"{tunables} []"  # as before the restart, and no trace of it
    if huge_pages_environment(environment) is not None:
        assert started == [lines["running"], lines["running"]]  # the same process, with the same arguments
        assert int(lines["huge-kib"]) >= 32 << 10  # most of the 64 MiB block
    else:
        assert started == [lines["running"]]


@pytest.mark.slow
def test_the_command_keeps_its_arguments_output_and_exit_code_through_the_restart(data_dir: Path) -> None:
    """`python -m fashion_desktop` goes through the restart (where it applies): what it says and its exit code are
    those of one run."""
    environment = {name: value for name, value in os.environ.items() if name != "GLIBC_TUNABLES"}
    missing = data_dir / "no such folder"
    run = subprocess.run(
        [sys.executable, "-m", "fashion_desktop", "status", str(missing)],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=environment,
    )
    assert run.returncode == 4  # EXIT_NO_CATALOG
    assert run.stderr.count(f"catalog folder not found: {missing}") == 1
