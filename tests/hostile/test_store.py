"""The store: only real damage sets it aside; a full disk, an I/O error, a lock or a file that cannot be opened is
reported and tried again; read-only data folders are searched; identity is the whole file; failures are retried
when what judged them changes; damaged vectors never reach the results."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import fashion_desktop
from fashion_desktop.catalog.store import CHECK_RECORD, DB_FILE, CatalogStore, IndexResult, StoreError, store_dir_for
from fashion_desktop.paths import AppPaths
from tests.conftest import OpenCatalog
from tests.hostile.support import (
    cli,
    fill_disk,
    indexed_catalog,
    json_lines,
    needs_root,
    read_only_view,
    stored_vectors,
    tmpfs,
    tree_listing,
    write_photos,
)
from tests.images import gradient
from tests.test_vectors import write_non_finite_rows


def store_folder(app_paths: AppPaths, root: Path) -> Path:
    return store_dir_for(app_paths.catalogs_dir, root.resolve())


def test_a_brand_new_store_leaves_nothing_aside(tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 2)
    open_catalog(root).index()
    open_catalog(root)
    assert not [p.name for p in store_folder(app_paths, root).iterdir() if ".old-" in p.name]


def test_a_store_that_cannot_be_opened_is_reported_not_set_aside(
    tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths
) -> None:
    """'unable to open database file' (here: a folder where the database should be) is not damage."""
    root = tmp_path / "catalog"
    write_photos(root, 2)
    folder = store_folder(app_paths, root)
    folder.mkdir(parents=True)
    (folder / DB_FILE).mkdir()
    (folder / DB_FILE / "keep.txt").write_text("mine")
    before = tree_listing(folder)
    with pytest.raises(StoreError, match="unavailable .*unable to open"):
        open_catalog(root)
    assert {name: data for name, data in tree_listing(folder).items() if not name.endswith(".lock")} == before


@pytest.mark.parametrize(
    "message", ["disk I/O error", "database is locked", "unable to open database file", "database or disk is full"]
)
def test_transient_failures_are_retried_and_never_rebuild(
    message: str, tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 3)
    open_catalog(root).index()
    folder = store_folder(app_paths, root)
    before = tree_listing(folder)
    real_connect = CatalogStore._connect
    failures = {"left": 2}

    def flaky(self: CatalogStore) -> sqlite3.Connection:
        if failures["left"]:
            failures["left"] -= 1
            raise sqlite3.OperationalError(message)
        return real_connect(self)

    monkeypatch.setattr(CatalogStore, "_connect", flaky)
    assert open_catalog(root).status()["indexed"] == 3, "opened on the third attempt"
    failures["left"] = 10
    stuck = open_catalog(root)  # still failing: searched read-only, indexing refused with the reason
    assert stuck.status()["indexed"] == 3 and len(stuck.search_images([root / "photo000.jpg"], k=5)) == 2
    with pytest.raises(StoreError, match=message):
        stuck.index()
    assert not [p for p in folder.iterdir() if ".old-" in p.name]
    assert tree_listing(folder).keys() == before.keys()


def test_real_damage_is_still_set_aside(tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 3)
    first = open_catalog(root)
    first.index()
    first.close()  # damage strikes a closed store (an open connection would still hold the WAL index)
    database = store_folder(app_paths, root) / DB_FILE
    data = bytearray(database.read_bytes())
    data[4096 : 4096 * 2] = b"\x55" * 4096  # a page of garbage
    database.write_bytes(bytes(data))
    for name in ("catalog.sqlite-wal", "catalog.sqlite-shm"):
        (database.parent / name).unlink(missing_ok=True)
    catalog = open_catalog(root)
    assert catalog.index().embedded == 3
    assert [p for p in database.parent.iterdir() if ".old-" in p.name]


def traced_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The integrity checks the store runs from now on, seen in the SQL of every connection it makes."""
    checks: list[str] = []
    real_connect = CatalogStore._connect

    def traced(self: CatalogStore) -> sqlite3.Connection:
        db = real_connect(self)
        db.set_trace_callback(
            lambda sql: checks.append(sql) if sql.upper().startswith("PRAGMA") and "CHECK" in sql.upper() else None
        )
        return db

    monkeypatch.setattr(CatalogStore, "_connect", traced)
    return checks


def test_a_store_left_as_a_clean_close_left_it_opens_without_the_full_check(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The check is what makes a million-item store slow to open; it is skipped while the database is exactly as
    the last clean close left it, and runs again once anything but a clean close changed it (here: a window still
    writing, as after a crash)."""
    root = tmp_path / "catalog"
    indexed_catalog(open_catalog, root, 3).close()
    checks = traced_checks(monkeypatch)
    second = open_catalog(root)
    assert checks == [] and second.status()["indexed"] == 3
    write_photos(root, 1, start=3)
    second.index()  # its writes, then its close, make the new state the one recorded
    second.close()
    third = open_catalog(root)
    assert checks == [] and third.status()["indexed"] == 4
    write_photos(root, 1, start=4)
    third.index()  # not closed: the database is no longer as a clean close left it
    fourth = open_catalog(root)
    assert checks == ["PRAGMA quick_check"] and fourth.status()["indexed"] == 5


def test_damage_with_its_size_and_mtime_put_back_is_still_found(
    tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths
) -> None:
    """An edit behind the app's back that restores the file's size and mtime still changes its ctime: checked."""
    root = tmp_path / "catalog"
    indexed_catalog(open_catalog, root, 3).close()
    database = store_folder(app_paths, root) / DB_FILE
    before = database.stat()
    with database.open("r+b") as handle:
        handle.seek(4096)
        handle.write(b"\x55" * 4096)  # a page of garbage, in place
    os.utime(database, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = database.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)
    catalog = open_catalog(root)
    assert catalog.index().embedded == 3
    assert [p for p in database.parent.iterdir() if ".old-" in p.name]


def test_the_full_check_runs_at_least_weekly_and_after_a_damaged_record(
    tmp_path: Path, open_catalog: OpenCatalog, app_paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Damage that changes nothing the record holds (the disk's own bit rot) is found by the weekly check; a
    record that cannot be read vouches for nothing."""
    root = tmp_path / "catalog"
    indexed_catalog(open_catalog, root, 3).close()
    checks = traced_checks(monkeypatch)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 8 * 86400)
    open_catalog(root).close()
    assert checks == ["PRAGMA quick_check"]
    monkeypatch.setattr(time, "time", lambda: now + 9 * 86400)
    open_catalog(root).close()
    assert checks == ["PRAGMA quick_check"], "checked a day ago: vouched for"
    (store_folder(app_paths, root) / CHECK_RECORD).write_bytes(b"\x00{not json")
    catalog = open_catalog(root)
    assert checks == ["PRAGMA quick_check"] * 2 and catalog.status()["indexed"] == 3
    assert not [p for p in store_folder(app_paths, root).iterdir() if ".old-" in p.name]


@needs_root
def test_a_full_disk_during_search_and_index_loses_nothing(
    tmp_path: Path, models_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The data folder on a 3 MB tmpfs, filled up: search still answers, index says the disk is full, nothing is
    set aside or re-embedded, and once there is room the next index continues."""
    root = tmp_path / "catalog"
    write_photos(root, 6)
    with tmpfs(tmp_path / "data", "3m") as data:
        env = {"FASHION_DESKTOP_DATA_DIR": str(data)}
        assert cli("index", str(root), env=env).returncode == 0
        before = cli("search", str(root / "photo000.jpg"), "--catalog", str(root), "--json", env=env)
        filler = fill_disk(data)
        store = next((data / "catalogs").iterdir())
        listing = tree_listing(store)
        searched = cli("search", str(root / "photo000.jpg"), "--catalog", str(root), "--json", env=env)
        assert searched.returncode == 0 and json_lines(searched.stdout) == json_lines(before.stdout)
        status = cli("status", str(root), "--json", env=env)
        assert status.returncode == 0 and json_lines(status.stdout)[0]["indexed"] == 6
        gradient(80, 80, seed=99).save(root / "new.jpg")
        indexed = cli("index", str(root), env=env)
        assert indexed.returncode == 1 and "Traceback" not in indexed.stderr
        assert "full" in indexed.stderr.lower() or "no space" in indexed.stderr.lower(), indexed.stderr
        assert not [p for p in store.iterdir() if ".old-" in p.name]
        vector_files = [name for name in listing if name.startswith("vectors")]  # not one byte appended or cut
        assert (store / DB_FILE).exists() and vector_files
        assert all((store / name).stat().st_size == len(listing[name]) for name in vector_files)
        filler.unlink()
        resumed = cli("index", str(root), env=env)
        assert resumed.returncode == 0 and "1 new" in resumed.stdout and "1 embedded" in resumed.stdout


@needs_root
def test_search_and_status_work_on_a_read_only_data_folder(tmp_path: Path, models_env: Path) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 5)
    data = tmp_path / "data"
    env = {"FASHION_DESKTOP_DATA_DIR": str(data)}
    assert cli("index", str(root), env=env).returncode == 0
    expected = cli("search", str(root / "photo001.jpg"), "--catalog", str(root), "--json", env=env).stdout
    with read_only_view(data, tmp_path / "read-only") as view:
        env = {"FASHION_DESKTOP_DATA_DIR": str(view)}
        searched = cli("search", str(root / "photo001.jpg"), "--catalog", str(root), "--json", env=env)
        assert searched.returncode == 0, searched.stderr
        assert json_lines(searched.stdout) == json_lines(expected)
        status = cli("status", str(root), "--json", env=env)
        assert status.returncode == 0 and json_lines(status.stdout)[0]["indexed"] == 5
        indexed = cli("index", str(root), env=env)
        assert indexed.returncode == 1 and "read-only" in indexed.stderr and "Traceback" not in indexed.stderr


def test_an_edit_that_keeps_the_size_is_not_mistaken_for_the_old_file(
    tmp_path: Path, open_catalog: OpenCatalog
) -> None:
    """Retouching the middle of an uncompressed BMP keeps its size (and its first MiB and last KiB)."""
    root = tmp_path / "catalog"
    root.mkdir()
    bmp = root / "look.bmp"
    pixels = np.asarray(gradient(900, 900, seed=1)).copy()
    Image.fromarray(pixels).save(bmp)
    size = bmp.stat().st_size
    assert size > (1 << 20) + 4096
    catalog = open_catalog(root)
    catalog.index()
    before = stored_vectors(catalog.store)[1][0].copy()
    pixels[300:600] = 255 - pixels[300:600]  # rows in the middle of the file
    Image.fromarray(pixels).save(bmp)
    os.utime(bmp, ns=(bmp.stat().st_atime_ns, bmp.stat().st_mtime_ns + 1_000_000_000))
    assert bmp.stat().st_size == size
    report = catalog.index()
    assert (report.scan.changed, report.embedded, report.reused) == (1, 1, 0)
    assert not np.allclose(stored_vectors(catalog.store)[1][0], before)


def test_failed_files_are_retried_when_what_judged_them_changes(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 2)
    (root / "odd.jpg").write_bytes(b"\xff\xd8\xff\xe0 not quite a jpeg")
    catalog = open_catalog(root)
    assert [path for path, _ in catalog.index().failed] == ["odd.jpg"]
    assert catalog.index().failed == [], "not retried while nothing changed"
    monkeypatch.setattr(fashion_desktop, "__version__", "99.0")  # an updated app (its decoders, its models)
    assert [path for path, _ in catalog.index().failed] == ["odd.jpg"], "retried once after the change"
    assert catalog.index().failed == []
    assert catalog.status()["failed"] == 1 and catalog.status()["pending"] == 0


def test_damaged_vectors_never_reach_results_or_json(
    tmp_path: Path, open_catalog: OpenCatalog, models_env: Path
) -> None:
    root = tmp_path / "catalog"
    catalog = indexed_catalog(open_catalog, root, 5)
    victim = catalog.store.items_by_path()["photo002.jpg"]
    bad = np.full((1, catalog.store.dimension), np.nan, dtype=np.float32)
    with catalog.store.writing(), pytest.raises(ValueError, match="not finite"):
        catalog.store.record_results([IndexResult(victim.id, "damaged-vector", needs_vector=True)], bad)
    write_non_finite_rows(catalog.store, [victim.id])  # what a faulty writer or a bad disk leaves instead
    results = open_catalog(root).search_images([root / "photo000.jpg"], k=10)
    assert len(results) == 3 and all(np.isfinite(r.score) for r in results)
    searched = cli("search", str(root / "photo000.jpg"), "--catalog", str(root), "--json")
    assert searched.returncode == 0 and len(json_lines(searched.stdout)) == 3
    texted = cli("search", str(root / "photo000.jpg"), "--catalog", str(root), "--json", "--text", "nothing")
    assert texted.returncode == 0 and json_lines(texted.stdout) == []
