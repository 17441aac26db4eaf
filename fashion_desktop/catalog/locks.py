"""Advisory file locks between threads and processes sharing one catalog store."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


class LockBusyError(RuntimeError):
    """Another thread or process holds the lock."""


@contextmanager
def file_lock(path: Path, *, blocking: bool = True) -> Iterator[None]:
    """Exclusive lock on `path`: a thread lock (flock does not exclude threads of one process) plus an OS lock."""
    with _guard:
        thread_lock = _thread_locks.setdefault(str(path), threading.Lock())
    if not thread_lock.acquire(blocking=blocking):
        raise LockBusyError(str(path))
    try:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _os_lock(handle, blocking)
            yield
        finally:
            os.close(handle)  # closing releases the OS lock
    finally:
        thread_lock.release()


def _os_lock(handle: int, blocking: bool) -> None:
    if sys.platform == "win32":
        import msvcrt

        mode = msvcrt.LK_LOCK if blocking else msvcrt.LK_NBLCK
        try:
            msvcrt.locking(handle, mode, 1)
        except OSError as exc:
            raise LockBusyError(str(exc)) from exc
        return
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
    except BlockingIOError as exc:
        raise LockBusyError(str(exc)) from exc
