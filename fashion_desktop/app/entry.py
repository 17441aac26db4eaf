"""The process's entry point: restart into huge pages first, then the command line (`cli.main`).

The restart comes before the command line's imports, so that the process it replaces has done little: measured
here, a Python process that imports `memory` and ends takes 20-40 ms, one that imports `cli` 60-80 ms.
"""

from __future__ import annotations

import logging
import os
import sys

from fashion_desktop.memory import huge_pages_environment

log = logging.getLogger("fashion_desktop.entry")

RESTARTED_FROM_TUNABLES = "FASHION_DESKTOP_TUNABLES_BEFORE_RESTART"  # set in the restarted process only


def restart_with_huge_pages() -> None:
    """Replace this process (same PID, arguments, streams) with one whose allocator uses transparent huge pages
    (memory.huge_pages_environment says why), when that changes anything; carry on as is when it cannot.
    Only for a process's entry point: it starts the program over. The restarted process puts the environment back
    as it was, so that programs it starts (an image viewer, the file manager) are not changed by it."""
    if RESTARTED_FROM_TUNABLES in os.environ:  # glibc has read the setting: the environment has served its purpose
        before = os.environ.pop(RESTARTED_FROM_TUNABLES)
        if before:
            os.environ["GLIBC_TUNABLES"] = before
        else:
            os.environ.pop("GLIBC_TUNABLES", None)
        return
    environment = huge_pages_environment(os.environ)
    if environment is None:
        return
    environment[RESTARTED_FROM_TUNABLES] = os.environ.get("GLIBC_TUNABLES", "")
    if getattr(sys, "frozen", False):  # PyInstaller's bootloader: start it as a new instance, not as its child
        arguments = [sys.executable, *sys.argv[1:]]
        environment["PYINSTALLER_RESET_ENVIRONMENT"] = "1"
    else:
        arguments = list(sys.orig_argv)  # the interpreter's own options (-m, -X, -c) included
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(sys.executable, arguments, environment)
    except OSError as exc:
        log.warning("could not restart with huge pages (%s); going on without", exc)


def launch() -> int:
    """The installed command and `python -m fashion_desktop`: the command line in a process set up for a long
    run."""
    restart_with_huge_pages()
    from fashion_desktop.app.cli import main

    return main()
