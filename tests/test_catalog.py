"""Indexing and searching a catalog folder with the tiny models: incremental updates, bad files, crashes."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from fashion_desktop.catalog.catalog import Catalog, CatalogMissingError
from fashion_desktop.catalog.indexer import INDEX_BATCH, IndexControl, IndexProgress, IndexReport
from fashion_desktop.catalog.store import DB_FILE, CatalogStore, IndexResult, store_dir_for
from fashion_desktop.imaging import ImageSource
from fashion_desktop.models.captioner import Captioner, CaptionStop
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import AppPaths
from tests.conftest import OpenCatalog
from tests.images import gradient

STYLES = """id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName
look0,Women,Apparel,Topwear,Tops,Red,Summer,2012,Casual,Red Top
look1,Men,Footwear,Shoes,Sneakers,White,Fall,2011,Casual,Nike Men, White Sneakers
look2,Women,Apparel,Dress,Dresses,Blue,Summer,2012,Party,Blue, Sleeveless, Party Dress
look3,Men,Apparel,Topwear
"""


def make_catalog(root: Path, count: int = 12, size: tuple[int, int] = (160, 200)) -> Path:
    (root / "tops").mkdir(parents=True)
    (root / "ünïcode shoes").mkdir()
    for index in range(count):
        folder = root / ("tops" if index % 2 else "ünïcode shoes")
        gradient(*size, seed=index).save(folder / f"look{index}.{'jpg' if index % 3 else 'PNG'}")
    gradient(50, 50).save(root / ".hidden.jpg")
    (root / ".cache").mkdir()
    gradient(50, 50).save(root / ".cache" / "thumb.jpg")
    (root / "notes.txt").write_text("not an image")
    os.symlink(root, root / "tops" / "loop")  # a symlink loop must not hang the scan
    return root


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*") if not p.is_symlink()}


def vectors_by_path(catalog: Catalog) -> dict[str, np.ndarray]:
    ids, vectors = catalog.store.load_vectors_for(sorted(catalog.store.indexed_ids()))
    items = catalog.store.items(list(ids))
    return {items[int(i)].path: v for i, v in zip(ids, vectors, strict=True)}


def test_the_model_embeds_at_most_index_batch_images_at_once(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The model's memory grows with the largest batch it is given and is kept for the session's life: indexing
    gives it INDEX_BATCH images at a time unless told otherwise."""
    catalog = open_catalog(make_catalog(tmp_path / "catalog"))
    batches: list[int] = []
    embed_pixels = catalog.embedder.embed_pixels

    def counted(pixels: np.ndarray) -> np.ndarray:
        batches.append(len(pixels))
        return embed_pixels(pixels)

    monkeypatch.setattr(catalog.embedder, "embed_pixels", counted)
    progress: list[IndexProgress] = []
    assert catalog.index(on_progress=progress.append).embedded == 12
    assert INDEX_BATCH < 12 and batches == [INDEX_BATCH, 12 - INDEX_BATCH]
    assert [p.done for p in progress] == [INDEX_BATCH, 12]


def test_first_index_then_search(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = make_catalog(tmp_path / "catalog")
    before = snapshot(root)
    catalog = open_catalog(root)
    progress: list[IndexProgress] = []
    report = catalog.index(on_progress=progress.append, batch_size=5)
    assert report.scan.new == 12 and report.embedded == 12 and not report.failed
    assert [p.done for p in progress] == [5, 10, 12] and progress[-1].total == 12
    assert set(catalog.store.items_by_path()) == {
        f"{'tops' if i % 2 else 'ünïcode shoes'}/look{i}.{'jpg' if i % 3 else 'PNG'}" for i in range(12)
    }
    query = root / "tops" / "look1.jpg"
    results = catalog.search_images([query], k=5)
    assert len(results) == 5 and query not in [r.path for r in results], "the query item itself is left out"
    assert all(results[i].score >= results[i + 1].score for i in range(4))
    outside = tmp_path / "outside.png"
    gradient(160, 200, seed=1).save(outside)  # same pixels as look1, but not a catalog file
    assert len(catalog.search_images([outside], k=12)) == 12
    assert snapshot(root) == before, "the catalog folder must never be written to"
    assert not any(p.name.endswith(("sqlite", ".f32")) for p in root.rglob("*"))


def test_incremental_add_modify_delete_rename(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = make_catalog(tmp_path / "catalog")
    catalog = open_catalog(root)
    catalog.index()
    old = vectors_by_path(catalog)

    (root / "tops" / "look1.jpg").rename(root / "look1-moved.jpg")
    (root / "tops" / "look7.jpg").unlink()
    gradient(90, 90, seed=77).save(root / "tops" / "new.jpg")
    gradient(160, 200, seed=99).save(root / "tops" / "look5.jpg")  # same name, new content
    report = catalog.index()
    assert (report.scan.new, report.scan.changed, report.scan.removed) == (2, 1, 2)
    assert report.embedded == 2 and report.reused == 1  # new.jpg and look5 embedded; the moved file reused
    now = vectors_by_path(catalog)
    np.testing.assert_array_equal(now["look1-moved.jpg"], old["tops/look1.jpg"])
    assert "tops/look7.jpg" not in now and "tops/new.jpg" in now
    assert not np.allclose(now["tops/look5.jpg"], old["tops/look5.jpg"])
    assert catalog.index().scan.unchanged == 12
    fresh = open_catalog(root)
    assert fresh.search_images([root / "tops" / "new.jpg"], k=3)[0].path != root / "tops" / "new.jpg"


def test_indexing_an_unchanged_catalog_commits_nothing(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    """What tells the window that its answers still hold after a relaunch's indexing (IndexingDone.store_changed)."""
    root = make_catalog(tmp_path / "catalog")
    open_catalog(root).index()
    relaunched = open_catalog(root)
    stamp = relaunched.store.change_stamp()
    assert relaunched.index().scan.unchanged == 12
    assert relaunched.store.change_stamp() == stamp
    (root / "tops" / "look7.jpg").unlink()
    assert relaunched.index().scan.removed == 1
    assert relaunched.store.change_stamp() != stamp


def test_bad_files_are_skipped_with_reasons(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = make_catalog(tmp_path / "catalog", count=4)
    good = (root / "tops" / "look1.jpg").read_bytes()
    (root / "zero.jpg").write_bytes(b"")
    (root / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (root / "text.png").write_text("hello, not a png")
    (root / "corrupt.jpg").write_bytes(good[:200] + bytes(range(256)) * 20)
    Image.new("1", (12000, 11000)).save(root / "bomb.png")  # 132 megapixels, tiny on disk
    report = open_catalog(root).index()
    reasons = dict(report.failed)
    assert set(reasons) == {"zero.jpg", "truncated.jpg", "text.png", "corrupt.jpg", "bomb.png"}
    assert reasons["zero.jpg"] == "empty file" and "too large" in reasons["bomb.png"]
    assert report.embedded == 4
    assert open_catalog(root).status()["failed"] == 5


def test_crash_between_vector_write_and_commit_then_resume(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make_catalog(tmp_path / "catalog", count=20)
    reference_dir = tmp_path / "reference"
    shutil.copytree(root, reference_dir, ignore=shutil.ignore_patterns("loop"))
    os.symlink(reference_dir, reference_dir / "tops" / "loop")
    from fashion_desktop.catalog import store as store_module

    original = store_module.CatalogStore.record_results
    calls = {"n": 0}

    def crash_on_third(self: CatalogStore, results: Sequence[IndexResult], vectors: np.ndarray) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            self.append_vectors(vectors)  # vectors reach the file, the transaction never commits
            raise KeyboardInterrupt("simulated crash")
        original(self, results, vectors)

    monkeypatch.setattr(store_module.CatalogStore, "record_results", crash_on_third)
    with pytest.raises(KeyboardInterrupt):
        open_catalog(root).index(batch_size=4)
    monkeypatch.setattr(store_module.CatalogStore, "record_results", original)
    resumed = open_catalog(root)
    assert resumed.status()["indexed"] == 8
    report = resumed.index(batch_size=4)
    assert report.embedded == 12
    reference = open_catalog(reference_dir)
    reference.index(batch_size=4)
    got, want = vectors_by_path(resumed), vectors_by_path(reference)
    assert got.keys() == want.keys()
    for path in want:
        np.testing.assert_allclose(got[path], want[path], atol=1e-6)
    assert resumed.store.garbage_rows() == 0


@pytest.mark.slow
def test_kill_during_indexing_then_resume(
    tmp_path: Path, tiny_models: Path, open_catalog: OpenCatalog, embedder: ImageEmbedder, app_paths: AppPaths
) -> None:
    root = tmp_path / "catalog"
    root.mkdir()
    for index in range(240):
        gradient(900, 700, seed=index).save(root / f"photo{index:03}.jpg", quality=90)
    env = {**os.environ, "FASHION_DESKTOP_MODELS": str(tiny_models)}
    process = subprocess.Popen(
        [sys.executable, "-m", "fashion_desktop", "index", str(root), "--batch-size", "4"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    indexed = 0
    for line in process.stderr:  # "indexed 12/240 (…)" after each committed batch (stderr is not a terminal)
        if line.startswith("indexed "):
            indexed = int(line.split()[1].split("/")[0])
            if indexed >= 12:
                break
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert 12 <= indexed < 240, f"could not kill mid-run (indexed {indexed})"
    with sqlite3.connect(store_dir_for(app_paths.catalogs_dir, root) / DB_FILE) as db:
        committed = db.execute("SELECT COUNT(*) FROM items WHERE status='ok'").fetchone()[0]
    assert indexed <= committed < 240, "every batch reported was committed before the kill"
    resumed = open_catalog(root)
    report = resumed.index()
    assert report.scan.unchanged == 240 and report.embedded < 240 - 11
    assert resumed.status()["indexed"] == 240
    again = open_catalog(root)
    ids, vectors = again.store.load_vectors_for(sorted(again.store.indexed_ids()))
    direct = embedder.embed([root / item.path for item in again.store.items(list(ids)).values()])
    np.testing.assert_allclose(vectors, direct, atol=1e-5)


def test_cancel_stops_between_batches_and_the_next_run_continues(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = make_catalog(tmp_path / "catalog", count=12)
    control = IndexControl()
    seen: list[int] = []

    def on_progress(progress: IndexProgress) -> None:
        seen.append(progress.done)
        if progress.done == 4:
            control.cancel()

    report = open_catalog(root).index(control, on_progress, batch_size=4)
    assert report.cancelled and seen == [4]
    assert open_catalog(root).index().embedded == 8


def index_in_a_thread(
    root: Path, app_paths: AppPaths, embedder: ImageEmbedder, control: IndexControl, **options: Any
) -> tuple[threading.Thread, list[IndexReport]]:
    """Index as the window's worker does: on another thread, with that thread's own store connection."""
    reports: list[IndexReport] = []

    def run() -> None:
        catalog = Catalog.open(root, app_paths, embedder=embedder)
        try:
            reports.append(catalog.index(control, batch_size=4, **options))
        finally:
            catalog.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, reports


def test_paused_indexing_waits_until_resumed(
    tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths, embedder: ImageEmbedder
) -> None:
    """Paused after the first batch: no further batch is embedded or committed until resume."""
    root = make_catalog(tmp_path / "catalog", count=12)
    observer = open_catalog(root)
    control = IndexControl()
    first_batch_done = threading.Event()
    seen: list[int] = []

    def on_progress(progress: IndexProgress) -> None:
        seen.append(progress.done)
        if progress.done == 4:
            control.pause()
            first_batch_done.set()

    worker, reports = index_in_a_thread(root, app_paths, embedder, control, on_progress=on_progress)
    assert first_batch_done.wait(60)
    worker.join(timeout=1.0)  # had it not waited, the 8 remaining files would be indexed well within this
    assert worker.is_alive() and seen == [4]
    assert observer.status()["indexed"] == 4
    control.resume()
    worker.join(timeout=60)
    assert not worker.is_alive() and seen == [4, 8, 12]
    assert reports[0].embedded == 12 and not reports[0].cancelled
    assert observer.status()["indexed"] == 12


def test_cancel_releases_a_paused_run(tmp_path: Path, app_paths: AppPaths, embedder: ImageEmbedder) -> None:
    root = make_catalog(tmp_path / "catalog", count=8)
    control = IndexControl()
    control.pause()
    worker, reports = index_in_a_thread(root, app_paths, embedder, control)
    control.cancel()
    worker.join(timeout=60)
    assert not worker.is_alive() and reports[0].cancelled and reports[0].embedded == 0


def test_styles_csv_with_unquoted_commas(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = make_catalog(tmp_path / "catalog", count=4)
    (root / "styles.csv").write_text(STYLES)
    catalog = open_catalog(root)
    imported = catalog.index().styles
    assert imported is not None and imported.rows == 3 and imported.recovered == 2
    assert imported.unreadable == 1 and imported.examples == [(5, "4 fields, expected 10")]
    assert catalog.import_styles() is None, "an unchanged styles.csv is not imported again"
    look2 = catalog.store.items_by_path()["ünïcode shoes/look2.jpg"].id
    assert catalog.store.styles_for([look2])[look2]["product_display_name"] == "Blue, Sleeveless, Party Dress"
    results = catalog.search_images([root / "ünïcode shoes" / "look0.PNG"], k=10, filters={"gender": "men"})
    assert [r.path.name for r in results] == ["look1.jpg"]
    assert results[0].metadata["product_display_name"] == "Nike Men, White Sneakers"
    assert {r.path.name for r in catalog.search_images([root / "tops/look1.jpg"], k=9, filters={"folder": "tops"})} == {
        "look3.PNG"
    }
    text_hits = catalog.search_images([root / "tops/look1.jpg"], k=9, text="sleeveless")
    assert [r.path.name for r in text_hits] == ["look2.jpg"]
    with pytest.raises(ValueError, match="unknown filter"):
        catalog.search_images([root / "tops/look1.jpg"], filters={"colour": "red"})


def test_captions_cached_and_survive_renames(tmp_path: Path, open_catalog: OpenCatalog, tiny_models: Path) -> None:
    root = make_catalog(tmp_path / "catalog", count=4)
    catalog = open_catalog(root)
    catalog.index()
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    items = list(catalog.store.items_by_path().values())
    first = catalog.captions_for([item.id for item in items], captioner)
    assert len(first) == 4 and all(first.values())
    calls: list[Sequence[ImageSource]] = []
    original = captioner.caption

    def counting_caption(images: Sequence[ImageSource], **options: Any) -> list[str]:
        calls.append(images)
        return original(images, **options)

    captioner.caption = counting_caption  # type: ignore[method-assign]
    assert catalog.captions_for([item.id for item in items], captioner) == first and calls == []
    (root / "tops" / "look1.jpg").rename(root / "renamed.jpg")
    catalog.index()
    renamed = catalog.store.items_by_path()["renamed.jpg"]
    caption = first[next(item.id for item in items if item.path == "tops/look1.jpg")]
    assert catalog.captions_for([renamed.id], captioner) == {renamed.id: caption}
    assert calls == []
    hits = catalog.search_images([root / "tops/look3.PNG"], k=10, text=caption.split()[0])
    assert renamed.id in [hit.item_id for hit in hits]


def test_a_page_of_tiles_carries_this_captioners_cached_captions(
    tmp_path: Path, open_catalog: OpenCatalog, tiny_models: Path
) -> None:
    """Tiles read a page at a time get the cached captions of the captioner in use, and no other model's."""
    root = make_catalog(tmp_path / "catalog", count=4)
    catalog = open_catalog(root)
    catalog.index()
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    items = list(catalog.store.items_by_path().values())
    ids = [item.id for item in items]
    catalog.use_captioner(captioner)
    assert [result.caption for result in catalog.page(ids)] == [None] * 4
    first = catalog.captions_for(ids[:2], captioner)
    catalog.store.store_captions("another-model", [(items[3].content_hash or "", "by another model")])
    page = {result.item_id: result.caption for result in catalog.page(ids)}
    assert page == {ids[0]: first[ids[0]], ids[1]: first[ids[1]], ids[2]: None, ids[3]: None}


def test_caption_everything_job_is_cancellable(tmp_path: Path, open_catalog: OpenCatalog, tiny_models: Path) -> None:
    root = make_catalog(tmp_path / "catalog", count=6)
    catalog = open_catalog(root)
    catalog.index()
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    control = IndexControl()
    done = catalog.caption_all(captioner, control, lambda done, total: control.cancel(), batch_size=2)
    model = catalog.caption_model or ""
    assert done == 2 and len(catalog.store.uncaptioned_ids(model)) == 4
    assert catalog.caption_all(captioner, batch_size=4) == 4 and catalog.store.uncaptioned_ids(model) == []


def test_uncaptioned_items_are_listed_after_an_id_a_batch_at_a_time_and_counted(
    tmp_path: Path, open_catalog: OpenCatalog
) -> None:
    """By model: a caption by another model does not count."""
    root = make_catalog(tmp_path / "catalog", count=5)
    catalog = open_catalog(root)
    catalog.index()
    items = sorted(catalog.store.items_by_path().values(), key=lambda item: item.id)
    ids = [item.id for item in items]
    catalog.store.store_captions("a", [(items[1].content_hash or "", "by a")])
    catalog.store.store_captions("b", [(items[2].content_hash or "", "by b")])
    assert catalog.store.uncaptioned_ids("a") == [ids[0], ids[2], ids[3], ids[4]]
    assert catalog.store.uncaptioned_ids("a", after=ids[0], limit=2) == [ids[2], ids[3]]
    assert catalog.store.uncaptioned_ids("b", after=ids[3]) == [ids[4]]
    assert catalog.store.uncaptioned_ids("b", after=ids[4], limit=2) == []
    assert catalog.store.uncaptioned_count("a") == catalog.store.uncaptioned_count("b") == 4
    assert catalog.store.uncaptioned_count("c") == 5


def test_counts_are_kept_until_the_store_changes_and_follow_this_stores_own_captions(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The background captions ask for these counts each time they resume (seconds of SQLite at a million items):
    asked again with nothing changed, the store does not count again; its own captions bring the count of what is
    left down without counting everything (two items with the same content are two fewer); any other write, by
    this connection or another, makes it count again."""
    root = make_catalog(tmp_path / "catalog", count=5)
    shutil.copy(root / "tops" / "look1.jpg", root / "tops" / "look1 copy.jpg")
    catalog = open_catalog(root)
    catalog.index()
    store = catalog.store
    items = {item.path: item for item in store.items_by_path().values()}
    twins, single = items["tops/look1.jpg"].content_hash or "", items["tops/look3.PNG"].content_hash or ""
    assert twins == items["tops/look1 copy.jpg"].content_hash
    other = sqlite3.connect(store.folder / DB_FILE)  # what another thread (indexing) or process writes with
    other.isolation_level = None

    def truth(model: str) -> int:
        query = (
            "SELECT COUNT(*) FROM items WHERE status='ok' AND NOT EXISTS (SELECT 1 FROM captions "
            "WHERE captions.content_hash = items.content_hash AND captions.model = ?)"
        )
        return int(other.execute(query, (model,)).fetchone()[0])

    statements: list[str] = []
    store.db.set_trace_callback(statements.append)

    def full_counts() -> int:
        """Statements since the last call that counted every item."""
        counted = [s for s in statements if "COUNT(*)" in s and " IN (" not in s]
        statements.clear()
        return len(counted)

    assert store.uncaptioned_count("a") == truth("a") == 6 and store.counts() == {"ok": 6}
    assert store.uncaptioned_count("b") == 6 and full_counts() == 3
    assert store.uncaptioned_count("a") == 6 and store.counts() == {"ok": 6} and full_counts() == 0

    store.store_captions("a", [(twins, "a top"), (twins, "a top, again")])
    assert store.uncaptioned_count("a") == truth("a") == 4 and store.uncaptioned_count("b") == truth("b") == 6
    store.store_captions("a", [(twins, "a top, rewritten"), (single, "another top")])
    assert store.uncaptioned_count("a") == truth("a") == 3 and store.counts() == {"ok": 6}
    assert full_counts() == 0

    other.execute(
        "INSERT OR IGNORE INTO captions(content_hash, model, caption) SELECT content_hash, 'a', '' FROM items"
    )
    assert store.uncaptioned_count("a") == truth("a") == 0 and full_counts() == 1
    other.execute("UPDATE items SET status='pending' WHERE content_hash=?", (single,))
    other.execute("DELETE FROM captions WHERE content_hash=?", (twins,))
    assert store.uncaptioned_count("a") == truth("a") == 2 and store.counts() == {"ok": 5, "pending": 1}
    with store.transaction():
        store.db.execute("UPDATE items SET status='ok'")
    assert store.uncaptioned_count("a") == truth("a") == 2 and store.counts() == {"ok": 6}
    assert store.uncaptioned_count("b") == truth("b") == 6

    refresh_text = store.refresh_text

    def another_commit_first(item_ids: Sequence[int], caption_model: str) -> None:
        """Another connection commits between this store's captions and its text index."""
        other.execute("UPDATE items SET status='error' WHERE content_hash=?", (twins,))
        refresh_text(item_ids, caption_model)

    monkeypatch.setattr(store, "refresh_text", another_commit_first)
    store.store_captions("b", [(single, "a top")])
    assert store.uncaptioned_count("b") == truth("b") == 3 and store.counts() == {"ok": 4, "error": 2}
    other.close()


def test_caption_everything_reads_the_store_a_batch_at_a_time(
    tmp_path: Path, open_catalog: OpenCatalog, tiny_models: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never the whole list of a catalog's items (Python work holding the GIL, for a million items); progress is
    against the count at the start."""
    root = make_catalog(tmp_path / "catalog", count=7)
    catalog = open_catalog(root)
    catalog.index()
    ids = sorted(item.id for item in catalog.store.items_by_path().values())
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    listed = catalog.store.uncaptioned_ids
    asked: list[tuple[int, int | None]] = []

    def listing(model: str, after: int = 0, limit: int | None = None) -> list[int]:
        asked.append((after, limit))
        return listed(model, after, limit)

    monkeypatch.setattr(catalog.store, "uncaptioned_ids", listing)
    progress: list[tuple[int, int]] = []
    assert catalog.caption_all(captioner, on_progress=lambda *step: progress.append(step), batch_size=3) == 7
    assert asked == [(0, 3), (ids[2], 3), (ids[5], 3), (ids[6], 3)]
    assert progress == [(3, 7), (6, 7), (7, 7)]
    assert listed(catalog.caption_model or "") == []


def test_caption_everything_drops_a_batch_whose_stop_is_stopped(
    tmp_path: Path, open_catalog: OpenCatalog, tiny_models: Path
) -> None:
    """Each batch gets its own stop (`stop_for`); a batch stopped (from another thread, halfway) is neither written
    nor counted, the job ends there, and the next run captions it."""
    root = make_catalog(tmp_path / "catalog", count=6)
    catalog = open_catalog(root)
    catalog.index()
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    todo = catalog.uncaptioned(captioner)
    batches: list[list[int]] = []

    def stop_for(batch: Sequence[int]) -> CaptionStop:
        batches.append(list(batch))
        stop = CaptionStop()
        if len(batches) == 2:
            stop.stop()
        return stop

    written: list[dict[int, str]] = []
    done = catalog.caption_all(captioner, batch_size=2, todo=todo, on_captions=written.append, stop_for=stop_for)
    assert done == 2 and [sorted(w) for w in written] == [todo[:2]]
    assert batches == [todo[:2], todo[2:4]], "ended at the stopped batch"
    assert catalog.uncaptioned(captioner) == todo[2:]
    assert catalog.caption_all(captioner, batch_size=2) == 4 and catalog.uncaptioned(captioner) == []


def test_damaged_or_old_store_is_rebuilt(tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths) -> None:
    root = make_catalog(tmp_path / "catalog", count=3)
    open_catalog(root).index()
    database = store_dir_for(app_paths.catalogs_dir, root) / DB_FILE
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (database.parent / name).unlink(missing_ok=True)
    database.write_bytes(b"this is not sqlite" * 100)
    catalog = open_catalog(root)
    assert catalog.status()["items"] == 0
    assert catalog.index().embedded == 3
    with sqlite3.connect(database) as db:
        db.execute("UPDATE meta SET value='0' WHERE key='schema'")
    assert open_catalog(root).status()["items"] == 0


def test_missing_catalog_folder(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    with pytest.raises(CatalogMissingError):
        open_catalog(tmp_path / "nowhere")


def test_no_network_during_indexing_and_search(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    root = make_catalog(tmp_path / "catalog", count=6)
    catalog = open_catalog(root)
    catalog.index()
    assert len(catalog.search_images([root / "tops/look1.jpg"], k=3)) == 3


def test_searching_sees_items_committed_by_a_running_indexer(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    """The window's search worker and indexing worker each hold their own Catalog on the same store."""
    root = make_catalog(tmp_path / "catalog", count=12)
    searcher = open_catalog(root)
    searcher.search_index()  # built while nothing is indexed yet
    indexer = open_catalog(root)
    control = IndexControl()
    indexer.index(control, lambda progress: control.cancel(), batch_size=4)  # stops after the first batch
    from fashion_desktop.catalog.query import Query, QueryImage

    query = Query(images=(QueryImage(path=root / "tops" / "look1.jpg"),), k=20)
    first = searcher.run_query(query)
    assert 3 <= len(first) <= 4  # the first batch, minus the query itself if it was in it
    indexer.index()
    assert len(searcher.run_query(query)) == 11
    (root / "tops" / "look5.jpg").unlink()
    indexer.index()
    assert len(searcher.run_query(query)) == 10


def test_full_disk_mid_indexing_loses_nothing_committed(
    tmp_path: Path,
    open_catalog: OpenCatalog,
    embedder: ImageEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import errno

    from fashion_desktop.app import cli
    from fashion_desktop.catalog import store as store_module

    root = make_catalog(tmp_path / "catalog", count=12)
    original = store_module.CatalogStore.append_vectors
    calls = {"n": 0}

    def disk_fills_up(self: CatalogStore, vectors: np.ndarray) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return original(self, vectors)

    monkeypatch.setattr(store_module.CatalogStore, "append_vectors", disk_fills_up)
    monkeypatch.setenv("FASHION_DESKTOP_MODELS", str(embedder.model_dir.parent))
    code = cli.main(["index", str(root), "--batch-size", "4"])
    assert code == cli.EXIT_PARTIAL
    assert "No space left on device" in capsys.readouterr().err
    monkeypatch.setattr(store_module.CatalogStore, "append_vectors", original)
    catalog = open_catalog(root)
    assert catalog.status()["indexed"] == 4
    assert catalog.index().embedded == 8 and catalog.status()["indexed"] == 12
