"""Exact nearest-neighbour search over unit vectors with a KD-tree.

A KD-tree on the full 2048-d vectors is slower than brute force, so the tree is built on an orthogonal
projection (PCA fitted on a sample of the catalog). An orthogonal projection never lengthens a distance, so a
radius query in the projected space with radius r returns every item whose true distance is ≤ r. Taking r as
the k-th best exact distance among a few projected nearest neighbours, then re-ranking the radius query's
candidates exactly on the full vectors, gives exactly the brute-force answer. When the bound is loose (data
without low-dimensional structure) the candidate set grows; the index then answers by brute force instead,
decided once at build time from a probe and again per query by a candidate cap.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sklearn.neighbors import KDTree

log = logging.getLogger("fashion_desktop.catalog.search")

MARGIN = 1e-4  # slack on the radius for float32 rounding of the exact distances


@dataclass(frozen=True)
class SearchHit:
    item_id: int
    score: float  # cosine similarity


@dataclass(frozen=True)
class IndexSettings:
    projected_dims: int = 32
    leaf_size: int = 40
    min_tree_items: int = 5000  # below this, brute force is as fast as anything
    pca_sample: int = 20000
    probe_queries: int = 32
    max_candidate_fraction: float = 0.08  # per query: past this many candidates, brute force is cheaper
    first_pass_factor: int = 2  # projected neighbours examined to set the radius: k × this


class ExactIndex:
    """Exact k-NN by cosine similarity; items added later go to a brute-force delta until the next rebuild."""

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, settings: IndexSettings | None = None):
        if len(ids) != len(vectors):
            raise ValueError("ids and vectors differ in length")
        self.settings = settings or IndexSettings()
        self.ids = np.asarray(ids, dtype=np.int64)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self.alive = np.ones(len(self.ids), dtype=bool)
        self._row_of = {int(item): row for row, item in enumerate(self.ids)}
        self._delta_ids: list[int] = []
        self._delta_vectors: list[np.ndarray] = []
        self._tree: KDTree | None = None
        self._mean: np.ndarray | None = None
        self._components: np.ndarray | None = None
        self.mode = "brute"

    # -- building ---------------------------------------------------------------------------------------------
    def build(self) -> ExactIndex:
        """Fit the projection and the tree (seconds on large catalogs: call it off the GUI thread)."""
        count, dims = self.vectors.shape
        if count < self.settings.min_tree_items or dims <= self.settings.projected_dims:
            self.mode = "brute"
            return self
        from sklearn.decomposition import PCA
        from sklearn.neighbors import KDTree

        rng = np.random.default_rng(0)
        sample = self.vectors[np.sort(rng.choice(count, min(count, self.settings.pca_sample), replace=False))]
        pca = PCA(n_components=self.settings.projected_dims, svd_solver="randomized", random_state=0).fit(sample)
        self._mean = pca.mean_.astype(np.float32)
        self._components = np.ascontiguousarray(pca.components_, dtype=np.float32)  # orthonormal rows
        projected = self._project(self.vectors)
        self._tree = KDTree(projected, leaf_size=self.settings.leaf_size)
        self.mode = "tree" if self._probe_is_tight(rng) else "brute"
        log.info("search index over %d vectors: %s mode", count, self.mode)
        return self

    def _project(self, vectors: np.ndarray, chunk: int = 8192) -> np.ndarray:
        """In chunks: centring all vectors at once would need a second full copy (8 GB at 1M items)."""
        assert self._mean is not None and self._components is not None
        out = np.empty((len(vectors), len(self._components)), dtype=np.float64)
        for start in range(0, len(vectors), chunk):
            block = vectors[start : start + chunk]
            out[start : start + chunk] = (block - self._mean) @ self._components.T
        return out

    def _probe_is_tight(self, rng: np.random.Generator) -> bool:
        """Does the projection bound prune well on this catalog? Measured on a few catalog items as queries."""
        assert self._tree is not None
        count = len(self.vectors)
        queries = self.vectors[rng.choice(count, min(count, self.settings.probe_queries), replace=False)]
        k = min(10, count - 1)
        kth = np.sort(queries @ self.vectors.T, axis=1)[:, -1 - k]  # k-th best similarity (after self)
        radius = np.sqrt(np.maximum(2.0 - 2.0 * kth, 0.0)) + MARGIN
        counts = self._tree.query_radius(self._project(queries), radius, count_only=True)
        return float(np.median(counts)) <= self.settings.max_candidate_fraction * count

    # -- changes ------------------------------------------------------------------------------------------------
    def add(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        for item, vector in zip(ids, vectors, strict=True):
            self.remove([int(item)])
            self._delta_ids.append(int(item))
            self._delta_vectors.append(np.asarray(vector, dtype=np.float32))

    def remove(self, ids: Iterable[int]) -> None:
        for item in ids:
            row = self._row_of.get(int(item))
            if row is not None:
                self.alive[row] = False
            if int(item) in self._delta_ids:
                index = self._delta_ids.index(int(item))
                del self._delta_ids[index], self._delta_vectors[index]

    def member_ids(self) -> set[int]:
        return {int(i) for i in self.ids[self.alive]} | set(self._delta_ids)

    @property
    def stale_fraction(self) -> float:
        """Share of the index outside the tree (delta + removed): rebuild when it grows."""
        return (len(self._delta_ids) + int((~self.alive).sum())) / max(1, len(self.ids))

    def vector_of(self, item_id: int) -> np.ndarray | None:
        row = self._row_of.get(item_id)
        if row is not None and self.alive[row]:
            vector: np.ndarray = self.vectors[row]
            return vector
        if item_id in self._delta_ids:
            return self._delta_vectors[self._delta_ids.index(item_id)]
        return None

    # -- searching ----------------------------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, *, allowed: set[int] | None = None, exclude: Iterable[int] = ()
    ) -> list[SearchHit]:
        """The k items most similar to `query` (unit vector), best first; ties broken by lower item id."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        excluded = {int(i) for i in exclude}
        mask = self.alive.copy()
        for item in excluded:
            row = self._row_of.get(item)
            if row is not None:
                mask[row] = False
        if allowed is not None:
            mask &= np.isin(self.ids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
        rows, scores = self._search_main(query, k, mask)
        hits = [(float(s), int(self.ids[r])) for r, s in zip(rows, scores, strict=True)]
        for item, vector in zip(self._delta_ids, self._delta_vectors, strict=True):
            if item not in excluded and (allowed is None or item in allowed):
                hits.append((float(vector @ query), item))
        hits.sort(key=lambda hit: (-hit[0], hit[1]))
        return [SearchHit(item, score) for score, item in hits[:k]]

    def _search_main(self, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        usable = int(mask.sum())
        if usable == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        k = min(k, usable)
        if self.mode == "tree" and self._tree is not None and usable > len(mask) // 2:
            found = self._search_tree(query, k, mask)
            if found is not None:
                return found
        return _brute_force(self.vectors, query, k, mask)

    def _search_tree(self, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        assert self._tree is not None
        projected = self._project(query[None, :])
        excluded = len(mask) - int(mask.sum())
        first = min(len(mask), k * self.settings.first_pass_factor + excluded)
        _, nearest = self._tree.query(projected, k=first)
        nearest = nearest[0][mask[nearest[0]]]
        if len(nearest) < k:
            return None
        kth = np.sort(self.vectors[nearest] @ query)[-k]
        radius = float(np.sqrt(max(2.0 - 2.0 * float(kth), 0.0))) + MARGIN
        candidates = self._tree.query_radius(projected, radius)[0]
        if len(candidates) > self.settings.max_candidate_fraction * len(mask):
            return None
        candidates = candidates[mask[candidates]]
        scores = self.vectors[candidates] @ query
        return _top(candidates, scores, k)


def _brute_force(vectors: np.ndarray, query: np.ndarray, k: int, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    scores = vectors @ query
    if not mask.all():
        scores[~mask] = -np.inf
    return _top(np.arange(len(vectors)), scores, k)


def _top(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (rows, scores), best first; rows with equal scores keep a deterministic order."""
    if len(scores) > k:
        keep = np.argpartition(-scores, k - 1)[:k]
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))
    return rows[order], scores[order]


def combine_queries(vectors: np.ndarray) -> np.ndarray:
    """Several query images → one unit vector (the normalised mean): items like all of them rank first."""
    mean = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        raise ValueError("the query images cancel out; search with fewer images")
    combined: np.ndarray = (mean / norm).astype(np.float32)
    return combined
