"""The vector file keeps its own integrity: truncated, garbled or non-finite vectors are found, left out of every
answer with a message, and embedded again by the next indexing (just those); old headerless files are migrated."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.scan import ScannedFile
from fashion_desktop.catalog.search import ExactIndex, IndexSettings
from fashion_desktop.catalog.store import DB_FILE, CatalogStore, IndexResult
from fashion_desktop.catalog.vectors import HEADER_SIZE, LEGACY_NAME, MAGIC, NO_WAIT, VectorFile, vector_file_path
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import AppPaths
from tests.images import gradient
from tests.test_search import assert_same, brute, clustered, uniform

DIM = 24


def unit_rows(count: int, seed: int = 0, dim: int = DIM) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(count, dim)).astype(np.float32)
    unit: np.ndarray = rows / np.linalg.norm(rows, axis=1, keepdims=True)
    return unit


def filled_store(
    folder: Path, count: int = 40, batch: int = 8, vectors: np.ndarray | None = None
) -> tuple[CatalogStore, np.ndarray]:
    """A store whose items 1..count have the vectors returned, committed in batches as the indexer does."""
    store = CatalogStore(folder / "store", folder, "test-model", DIM)
    store.apply_scan([ScannedFile(f"img{i:03}.jpg", 100 + i, i) for i in range(count)])
    vectors = unit_rows(count) if vectors is None else vectors
    with store.writing():
        for start in range(0, count, batch):
            results = [IndexResult(i + 1, f"hash{i}", 10, 10, needs_vector=True) for i in range(start, start + batch)]
            store.record_results(results, vectors[start : start + batch])
    return store, vectors


def row_offset(store: CatalogStore, item_id: int) -> int:
    """Where the record of this item's vector starts in the vector file."""
    (row,) = store.db.execute(
        "SELECT vectors.row FROM items JOIN vectors USING (content_hash) WHERE items.id=?", (item_id,)
    ).fetchone()
    return HEADER_SIZE + int(row) * store.vectors.record_size


def test_rows_round_trip_with_header_and_checks(tmp_path: Path) -> None:
    store, vectors = filled_store(tmp_path)
    path = store.vectors.path
    assert path.name.startswith("vectors-") and path.read_bytes().startswith(MAGIC)
    assert path.stat().st_size == HEADER_SIZE + 40 * (4 * DIM + 4)
    ids, rows = store.load_vector_rows()
    assert list(ids) == list(range(1, 41))
    read, intact = store.vectors.read(rows)
    assert intact.all()
    np.testing.assert_array_equal(read, vectors)
    assert store.vectors.verify(40) == []
    other_model = VectorFile(path, DIM, "another-model")
    assert other_model.layout == "unusable" and "another image model" in (other_model.problem or "")
    other_model.close()


def test_a_garbled_row_is_caught_by_its_checksum_even_when_it_still_looks_like_a_vector(tmp_path: Path) -> None:
    store, vectors = filled_store(tmp_path)
    offset = row_offset(store, 7) + 4 * 3  # the lowest mantissa bit of one value: still finite and of unit length
    with store.vectors.path.open("r+b") as handle:
        handle.seek(offset)
        value = bytearray(handle.read(4))
        value[0] ^= 1
        handle.seek(offset)
        handle.write(bytes(value))
    fresh = VectorFile(store.vectors.path, DIM, "test-model")
    _, rows = store.load_vector_rows()
    read, intact = fresh.read(rows)
    assert list(np.flatnonzero(~intact)) == [6] and not read[6].any()
    assert fresh.verify(40) == [int(rows[6])]
    fresh.close()


def drop_from_cache(path: Path) -> bool:
    """Ask the system to drop the file's pages from its cache; whether it did (a read that does not wait fails).
    Pages written a moment ago may need a few tries."""
    with path.open("rb") as handle:
        for _ in range(50):
            os.fsync(handle.fileno())
            os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
            try:
                os.preadv(handle.fileno(), [bytearray(64)], HEADER_SIZE, NO_WAIT)
            except BlockingIOError:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.skipif(not NO_WAIT, reason="reads that do not wait for the disk are Linux's")
def test_rows_not_in_the_file_cache_read_the_same(tmp_path: Path) -> None:
    """Rows of a file the system has dropped from its cache are asked of the disk together, then read: the same
    vectors, and the same verdicts on a missing and a garbled row, as rows read from the cache."""
    store, vectors = filled_store(tmp_path, count=400, batch=100, vectors=unit_rows(400, dim=DIM))
    garble_rows(store, [7])
    wanted = np.array([399, 3, 6, 250, 500, 6, 120])  # out of order, one repeated, one past the end
    warm, warm_intact = VectorFile(store.vectors.path, DIM, "test-model").read(wanted)
    cold_file = VectorFile(store.vectors.path, DIM, "test-model")
    if not drop_from_cache(store.vectors.path):
        pytest.skip("the system kept the file in its cache")
    cold, cold_intact = cold_file.read(wanted)
    assert list(cold_intact) == list(warm_intact) == [True, True, False, True, False, False, True]
    np.testing.assert_array_equal(cold, warm)
    np.testing.assert_array_equal(cold[warm_intact], vectors[wanted[warm_intact]])
    store.close()


Corruption = Callable[[CatalogStore, list[int]], None]


def truncate_file(store: CatalogStore, victims: list[int]) -> None:
    """Cut the file inside the record of the first victim: it and every later row are gone."""
    with store.vectors.path.open("r+b") as handle:
        handle.truncate(row_offset(store, victims[0]) + 10)


def garble_rows(store: CatalogStore, victims: list[int]) -> None:
    with store.vectors.path.open("r+b") as handle:
        for victim in victims:
            handle.seek(row_offset(store, victim) + 8)
            handle.write(b"\xff\xfe" * 20)


def write_non_finite_rows(store: CatalogStore, victims: list[int]) -> None:
    """NaN and infinity with a valid checksum: what a faulty writer would leave."""
    with store.vectors.path.open("r+b") as handle:
        for number, victim in enumerate(victims):
            row = (row_offset(store, victim) - HEADER_SIZE) // store.vectors.record_size
            values = np.full(store.dimension, np.nan if number % 2 else np.inf, dtype="<f4")
            handle.seek(row_offset(store, victim))
            handle.write(values.tobytes() + zlib.crc32(values.tobytes(), row).to_bytes(4, "little"))


@pytest.fixture
def embedder(tiny_models: Path) -> ImageEmbedder:
    return ImageEmbedder(tiny_models / "resnet50", variant="fp32")


@pytest.fixture
def indexed(tmp_path: Path, app_paths: AppPaths, embedder: ImageEmbedder) -> Iterator[Callable[[], Catalog]]:
    """A 16-photo catalog indexed in batches of 4; the callable opens it again (as a new process would)."""
    root = tmp_path / "catalog"
    root.mkdir()
    for index in range(16):
        gradient(120, 90, seed=index).save(root / f"look{index:02}.jpg")
    opened: list[Catalog] = []

    def open_catalog() -> Catalog:
        opened.append(Catalog.open(root, app_paths, embedder=embedder))
        return opened[-1]

    open_catalog().index(batch_size=4)
    yield open_catalog
    for catalog in opened:
        catalog.close()


@pytest.mark.parametrize(
    ("corrupt", "victims", "lost"),
    [
        (truncate_file, [14], [14, 15, 16]),
        (garble_rows, [3, 11], [3, 11]),
        (write_non_finite_rows, [5, 6], [5, 6]),
    ],
    ids=["truncated", "garbled", "non-finite"],
)
def test_damage_is_left_out_of_answers_then_exactly_re_embedded(
    indexed: Callable[[], Catalog],
    caplog: pytest.LogCaptureFixture,
    corrupt: Corruption,
    victims: list[int],
    lost: list[int],
) -> None:
    before = indexed()
    query = before.root / "look00.jpg"
    expected = {r.item_id: r.score for r in before.search_images([query], k=20)}
    corrupt(before.store, victims)

    damaged = indexed()
    with caplog.at_level(logging.WARNING, logger="fashion_desktop"):
        results = damaged.search_images([query], k=20)
    assert {r.item_id for r in results} == set(expected) - set(lost)
    assert all(np.isfinite(r.score) and abs(r.score - expected[r.item_id]) < 1e-6 for r in results)
    assert "damaged" in caplog.text

    report = damaged.index()
    assert report.damaged == len(lost) and report.embedded == len(lost) and report.scan.unchanged == 16
    repaired = indexed()
    again = {r.item_id: r.score for r in repaired.search_images([query], k=20)}
    assert again.keys() == expected.keys()
    assert all(abs(again[item] - score) < 1e-5 for item, score in expected.items())
    assert repaired.index().damaged == 0


def test_a_damaged_header_makes_everything_embedded_again(indexed: Callable[[], Catalog]) -> None:
    catalog = indexed()
    with catalog.store.vectors.path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"garbage")
    reopened = indexed()
    assert reopened.search_images([reopened.root / "look00.jpg"], k=5) == []  # nothing usable, nothing made up
    report = reopened.index()
    assert report.damaged == 16 and report.embedded == 16
    assert len(indexed().search_images([reopened.root / "look00.jpg"], k=5)) == 5


def test_a_store_of_an_earlier_version_is_migrated_in_place_without_embedding_again(
    indexed: Callable[[], Catalog],
) -> None:
    catalog = indexed()
    query = catalog.root / "look03.jpg"
    expected = [(r.item_id, r.score) for r in catalog.search_images([query], k=8)]
    store = catalog.store
    # What an earlier version left: bare float32 rows in vectors.f32, and no vector keys in the database.
    _, rows = store.load_vector_rows()
    vectors, _ = store.vectors.read(np.arange(int(rows.max()) + 1))
    (store.folder / LEGACY_NAME).write_bytes(np.ascontiguousarray(vectors, dtype="<f4").tobytes())
    store.vectors.path.unlink()
    with sqlite3.connect(store.folder / DB_FILE) as db:
        db.execute("DELETE FROM meta WHERE key IN ('vector_file', 'vector_rows')")

    legacy = indexed()
    assert legacy.store.vectors.layout == "legacy"
    assert [(r.item_id, round(r.score, 5)) for r in legacy.search_images([query], k=8)] == [
        (item, round(score, 5)) for item, score in expected
    ]
    report = legacy.index()
    assert report.embedded == 0 and report.damaged == 0
    migrated = indexed()
    assert migrated.store.vectors.layout == "current" and not (store.folder / LEGACY_NAME).exists()
    assert [(r.item_id, round(r.score, 5)) for r in migrated.search_images([query], k=8)] == [
        (item, round(score, 5)) for item, score in expected
    ]


def test_compaction_writes_a_new_file_and_open_searches_follow_it(indexed: Callable[[], Catalog]) -> None:
    from fashion_desktop.catalog.query import Query, QueryImage

    searcher = indexed()
    query = Query(images=(QueryImage(path=searcher.root / "look03.jpg"),), k=6)
    assert len(searcher.run_query(query)) == 6  # its index is built on the current file
    writer = indexed()
    for index in range(0, 16, 2):
        (writer.root / f"look{index:02}.jpg").unlink()
    writer.index()  # the 8 removed leave; their vectors become garbage
    old_path = writer.store.vectors.path
    assert writer.store.garbage_rows() == 8
    writer.store.compact_vectors()
    assert writer.store.vectors.path != old_path and not old_path.exists()
    assert writer.store.garbage_rows() == 0
    after = searcher.run_query(query)
    fresh = indexed().run_query(query)
    assert [(r.item_id, round(r.score, 5)) for r in after] == [(r.item_id, round(r.score, 5)) for r in fresh]
    assert len(after) == 6 and all(int(r.path.stem[4:]) % 2 == 1 for r in after)


def test_search_never_returns_nan_and_json_stays_valid(
    indexed: Callable[[], Catalog], models_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog = indexed()
    garble_rows(catalog.store, [2, 9])
    write_non_finite_rows(catalog.store, [4])
    from fashion_desktop.app import cli

    code = cli.main(["search", str(catalog.root / "look00.jpg"), "--catalog", str(catalog.root), "-k", "20", "--json"])
    out, err = capsys.readouterr()
    assert code == cli.EXIT_OK
    assert "3 items were left out: their stored vectors are damaged" in err
    rows = [json.loads(line) for line in out.splitlines()]  # strict JSON: NaN or Infinity would not parse back
    assert len(rows) == 12 and all(-1.0 <= row["score"] <= 1.0 for row in rows)
    assert "NaN" not in out and "Infinity" not in out


@pytest.mark.parametrize(("data", "mode"), [(clustered, "tree"), (uniform, "brute")])
def test_the_index_leaves_damaged_rows_out_in_both_modes(data: Callable[[int], np.ndarray], mode: str) -> None:
    vectors = data(3000)
    bad = [5, 77, 1200]
    vectors[5] = np.nan
    vectors[77] *= 3.0  # finite but not a unit vector: not something the model wrote
    vectors[1200] = np.inf
    index = ExactIndex(np.arange(3000), vectors, IndexSettings(projected_dims=12, min_tree_items=1000)).build()
    assert index.mode == mode
    keep = np.ones(3000, dtype=bool)
    keep[bad] = False
    for query in vectors[[0, 100, 2000]]:
        hits = index.search(query, 30)
        assert_same(hits, brute(np.nan_to_num(vectors), np.arange(3000), query, 30, keep))
    assert index.damaged <= set(bad)


def test_tree_search_never_lets_a_row_failing_its_checksum_win(tmp_path: Path) -> None:
    """The tree scores its candidates without their CRC and checks the rows that would win before they count. Here
    rows near the query are overwritten with a perfect-looking vector (the query itself: they would score 1.0, tied
    with the query's twenty genuine duplicates) under their old CRC: they are reported and left out, and the answer
    is still brute force over the intact rows."""
    vectors = clustered(1500, dims=DIM)
    vectors[700:720] = vectors[700]  # twenty duplicates: ties at the top
    store, _ = filled_store(tmp_path, count=1500, batch=500, vectors=vectors)
    ids, rows = store.load_vector_rows()
    query = vectors[700]
    everything = np.ones(len(ids), dtype=bool)
    nearest = [item for item, _ in brute(vectors[rows], ids, query, 40, everything)]
    victims = nearest[20:23] + nearest[36:39]  # just after the duplicates, and just outside the answer
    settings = IndexSettings(projected_dims=8, min_tree_items=500)
    cache = store.search_cache_path(store.vectors.file_id or "")
    ExactIndex(ids, store.vectors, settings, rows=rows, cache=cache).build()  # the tree, made while all was well
    with store.vectors.path.open("r+b") as handle:
        for victim in victims:
            handle.seek(row_offset(store, victim))
            handle.write(query.astype("<f4").tobytes())  # the record's CRC is left as it was
    fresh = VectorFile(store.vectors.path, DIM, "test-model")  # a new process: no row checked yet
    index = ExactIndex(ids, fresh, settings, rows=rows, cache=cache).build()
    assert index.mode == "tree" and not index.damaged
    intact = ~np.isin(ids, victims)
    hits = index.search(query, 30)
    assert_same(hits, brute(vectors[rows], ids, query, 30, intact))
    assert index.damaged == set(victims) and not {h.item_id for h in hits} & set(victims)
    fresh.close()
    store.close()


def test_search_tree_is_cached_beside_its_vector_file(tmp_path: Path) -> None:
    store, _ = filled_store(tmp_path, count=1200, batch=200)
    ids, rows = store.load_vector_rows()
    cache = store.search_cache_path(store.vectors.file_id or "")
    settings = IndexSettings(projected_dims=8, min_tree_items=500, pca_sample=500)
    first = ExactIndex(ids, store.vectors, settings, rows=rows, cache=cache).build()
    assert cache.exists() and first._tree is not None
    again = ExactIndex(ids, store.vectors, settings, rows=rows, cache=cache).build()
    assert again._tree is not None and again._tree.order.base is not None  # mapped from the cache, not made
    vectors, _ = store.vectors.read(rows)
    for query in vectors[:5]:
        assert [h.item_id for h in again.search(query, 7)] == [h.item_id for h in first.search(query, 7)]
    cache.write_bytes(b"\0" * 100)  # a broken cache is ignored and made again
    remade = ExactIndex(ids, store.vectors, settings, rows=rows, cache=cache).build()
    assert remade._tree is not None and [h.item_id for h in remade.search(vectors[0], 7)] == [
        h.item_id for h in first.search(vectors[0], 7)
    ]
    assert vector_file_path(store.folder, store.vectors.file_id) == store.vectors.path
    store.close()


def grow(store: CatalogStore, count: int, seed: int) -> None:
    """Index `count` more items into the store, as the indexer would."""
    known = len(store.items_by_path())
    store.apply_scan([ScannedFile(f"img{i:03}.jpg", 100 + i, i) for i in range(known + count)])
    with store.writing():
        results = [IndexResult(known + i + 1, f"more{seed}-{i}", 10, 10, needs_vector=True) for i in range(count)]
        store.record_results(results, clustered(count, dims=DIM, seed=seed))


def test_rows_added_after_the_tree_was_cached_are_searched_too(tmp_path: Path) -> None:
    store, _ = filled_store(tmp_path, count=1200, batch=200, vectors=clustered(1200, dims=DIM))
    settings = IndexSettings(projected_dims=8, min_tree_items=500, pca_sample=500)

    def exact_everywhere() -> ExactIndex:
        ids, rows = store.load_vector_rows()
        cache = store.search_cache_path(store.vectors.file_id or "")
        index = ExactIndex(ids, store.vectors, settings, rows=rows, cache=cache).build()
        vectors, _ = store.vectors.read(rows)
        for query in clustered(6, dims=DIM, seed=99):
            assert_same(index.search(query, 9), brute(vectors, ids, query, 9, np.ones(len(ids), dtype=bool)))
        return index

    assert exact_everywhere().mode == "tree"
    grow(store, 60, seed=1)  # a few: kept beside the cached tree
    index = exact_everywhere()
    assert index._tree is not None and index._tree.rows == 1200 and len(index._extra_rows) == 60
    grow(store, 400, seed=2)  # many: the tree is made again, the projection kept
    index = exact_everywhere()
    assert index._tree is not None and index._tree.rows == 1660 and len(index._extra_rows) == 0
    store.close()


def test_every_row_is_checked_only_when_the_file_changed_behind_the_indexer(
    indexed: Callable[[], Catalog], monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[int] = []
    original = VectorFile.verify

    def counting(self: VectorFile, stop: int) -> list[int]:
        checks.append(stop)
        return original(self, stop)

    monkeypatch.setattr(VectorFile, "verify", counting)
    catalog = indexed()
    assert catalog.index().scan.unchanged == 16 and checks == []  # untouched since it wrote them: no full pass
    time.sleep(0.05)  # past the file system's timestamp tick
    garble_rows(catalog.store, [8])  # behind its back, and no search has seen it yet
    report = indexed().index()
    assert checks == [16] and report.damaged == 1 and report.embedded == 1


def test_which_item_uses_which_row_is_cached_until_the_database_changes(tmp_path: Path) -> None:
    store, _ = filled_store(tmp_path, count=40)
    ids, rows = store.load_vector_rows()
    assert list(store.folder.glob("search-*.rows"))  # kept for the next open
    again_ids, again_rows = store.load_vector_rows()
    assert list(again_ids) == list(ids) and list(again_rows) == list(rows)
    # Any writer's change to items or vectors shows at once (another process, raw SQL: the database counts it).
    with sqlite3.connect(store.folder / DB_FILE) as other:
        other.execute("UPDATE items SET status='pending' WHERE id IN (3, 4)")
        other.execute("DELETE FROM vectors WHERE content_hash='hash9'")
    changed_ids, _ = store.load_vector_rows()
    assert sorted(set(ids) - set(changed_ids)) == [3, 4, 10]
    store.close()
