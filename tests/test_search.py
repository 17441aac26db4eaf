"""The KD-tree search returns exactly what brute force returns, on structured and unstructured data."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pytest

from fashion_desktop.catalog.search import ExactIndex, IndexSettings, SearchHit, combine_queries


class VectorMaker(Protocol):
    def __call__(self, count: int, *, seed: int = ...) -> np.ndarray: ...


SETTINGS = IndexSettings(projected_dims=12, min_tree_items=1000, pca_sample=4000)


def unit(rows: np.ndarray) -> np.ndarray:
    normalised: np.ndarray = (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)
    return normalised


def clustered(count: int, dims: int = 96, clusters: int = 40, seed: int = 0) -> np.ndarray:
    """CNN-like: a few strong directions plus noise, so a low-dimensional projection carries most distance."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(clusters, 8)) @ rng.normal(size=(8, dims)) * 3
    return unit(centres[rng.integers(0, clusters, count)] + rng.normal(scale=0.35, size=(count, dims)))


def uniform(count: int, dims: int = 96, seed: int = 1) -> np.ndarray:
    return unit(np.random.default_rng(seed).normal(size=(count, dims)))


def brute(vectors: np.ndarray, ids: np.ndarray, query: np.ndarray, k: int, keep: np.ndarray) -> list[tuple[int, float]]:
    scores = vectors @ query
    order = [i for i in np.lexsort((ids, -scores)) if keep[i]][:k]
    return [(int(ids[i]), float(scores[i])) for i in order]


def assert_same(hits: list[SearchHit], expected: list[tuple[int, float]], tie: float = 1e-6) -> None:
    """The brute-force answer, but for the order of items whose scores differ by float rounding only (the index
    sums its dot products in another order than BLAS does)."""
    assert len(hits) == len(expected)
    np.testing.assert_allclose([h.score for h in hits], [s for _, s in expected], rtol=0, atol=tie)
    true_score = dict(expected)
    for hit, (item, score) in zip(hits, expected, strict=True):
        if hit.item_id != item:
            assert hit.item_id in true_score or abs(hit.score - expected[-1][1]) <= tie, (hit, item)
            assert abs(true_score.get(hit.item_id, hit.score) - score) <= tie, (hit, item, score)


@pytest.mark.parametrize(("data", "mode"), [(clustered, "tree"), (uniform, "brute")])
def test_exact_on_clustered_and_uniform(data: VectorMaker, mode: str) -> None:
    vectors = data(6000)
    ids = np.arange(100, 6100, dtype=np.int64)
    index = ExactIndex(ids, vectors, SETTINGS).build()
    assert index.mode == mode
    rng = np.random.default_rng(5)
    queries = np.concatenate([vectors[rng.choice(6000, 20)], data(20, seed=9)])  # catalog items and outsiders
    keep = np.ones(6000, dtype=bool)
    for query in queries:
        for k in (1, 10, 50):
            assert_same(index.search(query, k), brute(vectors, ids, query, k, keep))


def test_tree_path_is_exact_even_when_forced_on_uniform_data() -> None:
    vectors = uniform(3000)
    ids = np.arange(3000, dtype=np.int64)
    index = ExactIndex(ids, vectors, IndexSettings(projected_dims=12, min_tree_items=1000, max_candidate_fraction=1.0))
    index.build()
    index.mode = "tree"
    keep = np.ones(3000, dtype=bool)
    for query in uniform(15, seed=4):
        assert_same(index.search(query, 10), brute(vectors, ids, query, 10, keep))


def test_filters_exclusions_additions_and_removals() -> None:
    vectors = clustered(5000)
    ids = np.arange(5000, dtype=np.int64)
    index = ExactIndex(ids, vectors, SETTINGS).build()
    assert index.mode == "tree"
    query = vectors[17]
    keep = np.ones(5000, dtype=bool)
    keep[17] = False
    assert_same(index.search(query, 10, exclude=[17]), brute(vectors, ids, query, 10, keep))

    allowed = set(range(0, 5000, 3))
    keep_allowed = np.isin(ids, list(allowed))
    assert_same(index.search(query, 10, allowed=allowed), brute(vectors, ids, query, 10, keep_allowed))

    removed = [hit.item_id for hit in index.search(query, 5)]
    index.remove(removed)
    keep = np.ones(5000, dtype=bool)
    keep[removed] = False
    assert_same(index.search(query, 10), brute(vectors, ids, query, 10, keep))

    newcomer = query.copy()  # an exact duplicate of the query, added after the build
    index.add([9999], newcomer[None, :])
    hits = index.search(query, 3)
    assert hits[0].item_id == 9999 and len(index.member_ids()) == 5000 - 5 + 1
    assert index.vector_of(9999) is not None and index.vector_of(removed[0]) is None


def test_small_catalogs_and_large_k() -> None:
    vectors = clustered(50)
    index = ExactIndex(np.arange(50), vectors).build()
    assert index.mode == "brute"
    assert len(index.search(vectors[0], 500)) == 50
    assert index.search(vectors[0], 5, allowed=set()) == []
    empty = ExactIndex(np.zeros(0, dtype=np.int64), np.zeros((0, 96), dtype=np.float32)).build()
    assert empty.search(vectors[0], 5) == []


def test_combined_query_is_the_normalised_mean() -> None:
    a, b = np.eye(4, dtype=np.float32)[:2]
    combined = combine_queries(np.stack([a, b]))
    np.testing.assert_allclose(combined, np.array([1, 1, 0, 0]) / np.sqrt(2), atol=1e-6)
    with pytest.raises(ValueError):
        combine_queries(np.stack([a, -a]))
