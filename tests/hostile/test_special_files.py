"""Special files: a FIFO, socket or device (directly, through a symlink, or swapped in between the scan and the
read) is never opened blocking and never read; and Ctrl-C stops `index` cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fashion_desktop.catalog import indexer as indexer_module
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.scan import ScannedFile, ScanReport, content_hash, scan
from fashion_desktop.imaging import ImageDecodeError, decode, load_preview, query_path_problem
from fashion_desktop.models.captioner import Captioner
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import AppPaths
from tests.conftest import OpenCatalog
from tests.hostile.support import cli, finishes_despite_fifos, stored_vectors, write_photos
from tests.images import gradient
from tests.support import REPO

CatalogWork = Callable[[Catalog], Any]


def special_files(folder: Path) -> dict[str, Path]:
    """A FIFO, a socket, a device and links to them, all named like photos."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {name: folder / name for name in ("fifo.jpg", "socket.png", "link-to-fifo.jpg", "device.jpg")}
    os.mkfifo(files["fifo.jpg"])
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(files["socket.png"]))
    server.close()  # the socket file stays
    os.symlink(files["fifo.jpg"], files["link-to-fifo.jpg"])
    os.symlink("/dev/zero", files["device.jpg"])  # endless bytes if it were read
    return files


def test_every_reader_refuses_special_files_without_blocking(tmp_path: Path) -> None:
    files = special_files(tmp_path)

    def read_all() -> None:
        for path in files.values():
            with pytest.raises(ImageDecodeError, match="not an image file"):
                decode(path)
            with pytest.raises(ImageDecodeError, match="not an image file"):
                load_preview(path, 100)
            with pytest.raises(OSError):
                content_hash(path)
            assert query_path_problem(path) is not None

    finishes_despite_fifos(read_all, [files["fifo.jpg"]], timeout=30)
    assert "named pipe" in (query_path_problem(files["fifo.jpg"]) or "")
    assert "socket" in (query_path_problem(files["socket.png"]) or "")
    assert "device" in (query_path_problem(files["device.jpg"]) or "")


def in_a_thread_of_its_own(root: Path, paths: AppPaths, embedder: ImageEmbedder, work: CatalogWork) -> Any:
    """`work` on a catalog opened (and closed) in the thread that runs it, as the window's workers do."""

    def run() -> Any:
        catalog = Catalog.open(root, paths, embedder=embedder)
        try:
            return work(catalog)
        finally:
            catalog.close()

    return run


def test_indexing_a_catalog_with_special_files_reports_them_and_finishes(
    tmp_path: Path, app_paths: AppPaths, embedder: ImageEmbedder
) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 4)
    files = special_files(root / "odd")
    work = in_a_thread_of_its_own(root, app_paths, embedder, lambda catalog: catalog.index())
    report = finishes_despite_fifos(work, [files["fifo.jpg"]])
    assert report.embedded == 4
    reasons = dict(report.failed)
    assert "named pipe" in reasons["odd/fifo.jpg"] and "named pipe" in reasons["odd/link-to-fifo.jpg"]
    assert "socket" in reasons["odd/socket.png"] and "device" in reasons["odd/device.jpg"]


def test_a_file_swapped_for_a_fifo_between_scan_and_read_is_skipped(
    tmp_path: Path,
    open_catalog: OpenCatalog,
    app_paths: AppPaths,
    embedder: ImageEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    root = tmp_path / "catalog"
    photos = write_photos(root, 6)
    real_scan = scan

    def scan_then_swap(folder: Path, report: ScanReport | None = None) -> Iterator[ScannedFile]:
        yield from real_scan(folder, report)
        photos[2].unlink()  # what the scan saw is now a FIFO; another became a link to a device
        os.mkfifo(photos[2])
        photos[4].unlink()
        os.symlink("/dev/zero", photos[4])

    monkeypatch.setattr(indexer_module, "scan", scan_then_swap)
    work = in_a_thread_of_its_own(root, app_paths, embedder, lambda catalog: catalog.index(batch_size=2))
    report = finishes_despite_fifos(work, [photos[2]])
    reasons = dict(report.failed)
    assert "named pipe" in reasons[photos[2].name] and "device" in reasons[photos[4].name]
    assert report.embedded == 4 and open_catalog(root).status()["pending"] == 0


def test_captioning_an_item_swapped_for_a_fifo_does_not_block(
    tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths, embedder: ImageEmbedder, tiny_models: Path
) -> None:
    root = tmp_path / "catalog"
    photos = write_photos(root, 2)
    catalog = open_catalog(root)
    catalog.index()
    photos[0].unlink()
    os.mkfifo(photos[0])
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    ids = [item.id for item in catalog.store.items_by_path().values()]
    work = in_a_thread_of_its_own(root, app_paths, embedder, lambda opened: opened.captions_for(ids, captioner))
    assert len(finishes_despite_fifos(work, [photos[0]])) == 1


def test_queries_that_are_not_image_files_get_an_accurate_message(models_env: Path, tmp_path: Path) -> None:
    files = special_files(tmp_path / "odd")
    (tmp_path / "folder.jpg").mkdir()
    cases = {
        str(tmp_path / "folder.jpg"): "a folder",
        str(files["fifo.jpg"]): "named pipe",
        str(files["socket.png"]): "socket",
        str(files["device.jpg"]): "device",
        str(tmp_path / "missing.jpg"): "no such file",
        "https://shop.example.com/dress.jpg": "web address",
    }
    searched = cli("search", *cases, "--catalog", str(tmp_path / "odd"), timeout=60)
    captioned = cli("caption", *cases, timeout=60)
    assert searched.returncode == 2 and captioned.returncode == 1
    for result in (searched, captioned):
        assert "Traceback" not in result.stderr
        for query, expected in cases.items():
            assert f"{query.replace('//', '/')}: " in result.stderr or f"{query}: " in result.stderr, query
            line = next(line for line in result.stderr.splitlines() if query.rsplit("/", 1)[-1] + ":" in line)
            assert expected in line, (query, line)


def _index_process(root: Path, tiny_models: Path, batch_size: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fashion_desktop", "index", str(root), "--batch-size", str(batch_size)],
        env={**os.environ, "FASHION_DESKTOP_MODELS": str(tiny_models)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def _wait_for_progress(process: subprocess.Popen[str]) -> list[str]:
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line.startswith("indexed "):
            return lines
    raise AssertionError(f"no progress: {''.join(lines)}")


@pytest.mark.slow
@pytest.mark.parametrize("presses", [1, 2])
def test_ctrl_c_stops_indexing_cleanly_and_keeps_what_was_committed(
    presses: int, tmp_path: Path, tiny_models: Path, open_catalog: OpenCatalog
) -> None:
    """Ctrl-C once: stop after the batch in hand; twice: stop at once. Either way a message, exit code 130, no
    traceback, the lock released, and the next run continues to the same index a clean run gives."""
    root = tmp_path / "catalog"
    if presses == 1:
        count = len(write_photos(root, 40, size=(500, 640)))
    else:  # big PNGs in batches of 8: the second Ctrl-C lands inside a batch
        root.mkdir()
        count = 24
        for index in range(count):
            gradient(1000, 1300, seed=index).save(root / f"photo{index:02}.png", compress_level=1)
    process = _index_process(root, tiny_models, batch_size=2 if presses == 1 else 8)
    _wait_for_progress(process)
    for _ in range(presses):
        process.send_signal(signal.SIGINT)
        time.sleep(0.05)
    out, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert "stopping after the current batch" in err
    assert ("indexing stopped" if presses == 1 else "interrupted") in err
    catalog = open_catalog(root)
    indexed = catalog.status()["indexed"]
    assert isinstance(indexed, int) and 2 <= indexed < count
    report = catalog.index()  # the write lock was released: this run may index
    assert catalog.status()["indexed"] == count and report.embedded == count - indexed
    ids, vectors = stored_vectors(catalog.store)
    direct = catalog.embedder.embed([root / item.path for item in catalog.store.items(list(ids)).values()])
    assert abs(vectors - direct).max() < 1e-5
