"""Helpers of the hostile-input suite: real special files, mounts (tests run as root here and in CI), subprocess
runs of the command line, and a guard that turns a hang into a failure instead of a stuck test run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.store import CatalogStore
from tests.images import gradient
from tests.support import REPO

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="mounts a tmpfs or a read-only bind mount: needs root (as in CI)"
)


def write_photos(folder: Path, count: int, size: tuple[int, int] = (120, 150), start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(start, start + count):
        paths.append(folder / f"photo{index:03}.jpg")
        gradient(*size, seed=index).save(paths[-1], quality=90)
    return paths


def indexed_catalog(open_catalog: Callable[[Path], Catalog], root: Path, count: int) -> Catalog:
    """A catalog of `count` photos at `root`, opened and indexed."""
    write_photos(root, count)
    catalog = open_catalog(root)
    catalog.index()
    return catalog


def stored_vectors(store: CatalogStore) -> tuple[np.ndarray, np.ndarray]:
    """(ids of the indexed items in id order, their stored vectors), read through the store as a search reads them."""
    ids, vectors = store.load_vectors_for(sorted(store.indexed_ids()))
    order = np.argsort(ids)
    return ids[order], vectors[order]


def cli(*arguments: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """`fashion-desktop ARGUMENTS` in a fresh interpreter, as a stylist's terminal runs it (environment given)."""
    return subprocess.run(
        [sys.executable, "-m", "fashion_desktop", *arguments],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=REPO,
        timeout=timeout,
    )


def json_lines(text: str) -> list[dict[str, Any]]:
    """Parse JSON lines strictly: NaN, Infinity or a lone surrogate escape make the output invalid JSON."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"invalid JSON constant {constant}")

    rows = [json.loads(line, parse_constant=refuse) for line in text.splitlines() if line.strip()]
    for line in text.splitlines():
        assert "\\ud8" not in line.lower() and "\\udc" not in line.lower(), f"lone surrogate in JSON: {line}"
    return rows


def finishes_despite_fifos(work: Callable[[], Any], fifos: list[Path], timeout: float = 60) -> Any:
    """Run `work` in a thread; if it is still running after `timeout` (blocked on a FIFO), release the FIFOs by
    opening their write ends, so the test fails instead of hanging for ever."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        for fifo in fifos:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass
        thread.join(10)
        pytest.fail(f"blocked for {timeout:.0f}s on a special file")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _mount(*arguments: str) -> None:
    subprocess.run(["mount", *arguments], check=True, capture_output=True, timeout=30)


def _umount(target: Path) -> None:
    subprocess.run(["umount", "-l", str(target)], check=False, capture_output=True, timeout=30)


@contextmanager
def tmpfs(target: Path, size: str) -> Iterator[Path]:
    """A small RAM file system at `target`: a disk that fills up for real."""
    target.mkdir(parents=True, exist_ok=True)
    _mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(target))
    try:
        yield target
    finally:
        _umount(target)


@contextmanager
def read_only_view(source: Path, target: Path) -> Iterator[Path]:
    """`source` seen read-only at `target` (a bind mount remounted read-only: even root cannot write there)."""
    target.mkdir(parents=True, exist_ok=True)
    _mount("--bind", str(source), str(target))
    try:
        _mount("-o", "remount,ro,bind", str(target))
        yield target
    finally:
        _umount(target)


def fill_disk(folder: Path) -> Path:
    """Write a file until the file system is full; returns it (delete it to free the space)."""
    filler = folder / "filler.bin"
    with filler.open("wb", buffering=0) as handle:
        try:
            while True:
                handle.write(b"\0" * 65536)
        except OSError:
            pass
    return filler


def tree_listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}
