"""Exact nearest-neighbour search over unit vectors, reading the vector file row by row.

The vectors are never loaded as a whole. The index keeps an orthogonal projection of them to a few dimensions
(PCA fitted on a sample of the catalog; 32 float32 numbers per row instead of 2048), partitioned into the leaves
of a KD-tree with their bounding boxes. An orthogonal projection never lengthens a distance, so a row's projected
distance to the projected query, and the distance to its leaf's box, are lower bounds of its true distance. Rows
are read from the file in order of that bound, keeping the k best exact scores; once the bound of everything not
yet read is beyond the k-th best distance, nothing unread can be nearer. That is exactly the brute-force answer,
reading only the rows near the query.

When the bound is loose (data without low-dimensional structure) almost every row would be read; the index then
answers by brute force instead, decided when the tree is built from a few probe queries and again per query by a
cap on the rows read.

The projection and the tree depend on the vector file alone (its rows, not which items use them), so they are
stored beside it (`TreeCache`) and opening a large catalog maps them instead of reading every vector again; rows
added since are kept in memory until there are enough of them to rebuild. Every row read from the file is checked
(`VectorFile.read`): a damaged row is left out of the answer and counted in `damaged`, never returned as a NaN or
a wrong score.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fashion_desktop.catalog.vectors import sound_rows

log = logging.getLogger("fashion_desktop.catalog.search")

MARGIN = 1e-4  # slack on the radius for float32 rounding of the exact and projected distances


@dataclass(frozen=True)
class SearchHit:
    item_id: int
    score: float  # cosine similarity


@dataclass(frozen=True)
class IndexSettings:
    projected_dims: int = 32
    leaf_size: int = 64
    min_tree_items: int = 5000  # below this, brute force is as fast as anything
    pca_sample: int = 8000
    probe_queries: int = 8
    max_candidate_fraction: float = 0.08  # per query: past reading this many rows, brute force is cheaper
    rebuild_fraction: float = 0.1  # rows added after the tree was built, kept in memory up to this share
    refit_growth: float = 2.0  # refit the projection once the file has this many times the rows it was fitted on


class Vectors(Protocol):
    """What the index reads: a vector file (catalog.vectors.VectorFile) or vectors in memory (`InMemoryVectors`)."""

    file_id: str | None
    dimension: int

    @property
    def rows(self) -> int: ...

    def read(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def scan(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def blocks(self, stop: int, start: int = 0) -> Iterator[tuple[int, np.ndarray]]: ...


class InMemoryVectors:
    """An array of vectors with the reading interface of a vector file (checks: finite and unit length)."""

    file_id: str | None = None

    def __init__(self, vectors: np.ndarray):
        self._vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if self._vectors.ndim != 2:
            raise ValueError(f"expected [N, D] vectors, got shape {self._vectors.shape}")
        self.dimension = self._vectors.shape[1]

    @property
    def rows(self) -> int:
        return len(self._vectors)

    def read(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        vectors = self._vectors[_int_array(rows)]
        intact = sound_rows(vectors)
        vectors[~intact] = 0.0
        return vectors, intact

    def scan(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.read(rows)

    def blocks(self, stop: int, start: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        for first in range(start, min(stop, len(self._vectors)), 8192):
            yield first, self._vectors[first : min(stop, first + 8192)]


@dataclass(frozen=True)
class RowTree:
    """The projection of rows [0, rows) of a vector file and a KD-tree over them: `order` lists the rows leaf by
    leaf, `points` their projections in that order, leaf j holds order[bounds[j]:bounds[j + 1]] within the box
    low[j]..high[j]. `tight`: whether probe queries found the bound worth using on this catalog."""

    mean: np.ndarray  # [D]
    components: np.ndarray  # [P, D], orthonormal rows
    fitted_rows: int  # rows of the file when the projection was fitted
    order: np.ndarray  # [rows]
    points: np.ndarray  # [rows, P]
    bounds: np.ndarray  # [leaves + 1]
    low: np.ndarray  # [leaves, P]
    high: np.ndarray  # [leaves, P]
    tight: bool

    @property
    def rows(self) -> int:
        return len(self.order)

    def project(self, vectors: np.ndarray) -> np.ndarray:
        """[n, D] → [n, P] float32; a single query without BLAS (see _dot)."""
        if len(vectors) == 1:
            single: np.ndarray = np.einsum("ij,kj->ik", vectors - self.mean, self.components)
            return single.astype(np.float32, copy=False)
        projected: np.ndarray = vectors @ self.components.T - self.mean @ self.components.T
        return projected.astype(np.float32, copy=False)


class TreeCache:
    """A RowTree saved beside the vector file it was made from: one file, a JSON header then the arrays, mapped
    (not read) when loaded. Written aside and renamed, so a reader never sees half of one; a cache that does not
    match (another file id, another shape) is ignored and made again."""

    FORMAT = 1
    HEADER = 4096
    ARRAYS = ("mean", "components", "order", "points", "bounds", "low", "high")

    def __init__(self, path: Path, file_id: str):
        self.path = path
        self.file_id = file_id

    def load(self, dimension: int, projected_dims: int) -> RowTree | None:
        try:
            with self.path.open("rb") as handle:
                header = json.loads(handle.read(self.HEADER).rstrip(b"\0"))
            if header["format"] != self.FORMAT or header["file_id"] != self.file_id:
                return None
            arrays = {  # plain views of the mapping: np.memmap's own indexing is slow Python
                name: np.memmap(
                    self.path, dtype=spec["dtype"], mode="r", offset=spec["offset"], shape=spec["shape"]
                ).view(np.ndarray)
                for name, spec in header["arrays"].items()
            }
            fitted, tight = int(header["fitted_rows"]), bool(header["tight"])
            tree = RowTree(fitted_rows=fitted, tight=tight, **{name: arrays[name] for name in self.ARRAYS})
        except (OSError, ValueError, KeyError, TypeError) as exc:
            if not isinstance(exc, FileNotFoundError):
                log.info("search cache %s not used: %s", self.path, exc)
            return None
        leaves = len(tree.bounds) - 1
        if (
            tree.components.shape != (projected_dims, dimension)
            or tree.mean.shape != (dimension,)
            or tree.points.shape != (tree.rows, projected_dims)
            or tree.low.shape != (leaves, projected_dims)
            or tree.high.shape != tree.low.shape
        ):
            return None
        return tree

    def save(self, tree: RowTree) -> None:
        """A read-only data folder just goes without (the tree is built again next time)."""
        temporary = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
        specs: dict[str, dict[str, Any]] = {}
        offset = self.HEADER
        for name in self.ARRAYS:
            array = np.ascontiguousarray(getattr(tree, name))
            specs[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
            offset += -(-array.nbytes // 64) * 64
        header = {
            "format": self.FORMAT,
            "file_id": self.file_id,
            "fitted_rows": tree.fitted_rows,
            "tight": tree.tight,
            "arrays": specs,
        }
        try:
            with temporary.open("wb") as handle:
                handle.write(json.dumps(header).encode().ljust(self.HEADER, b"\0"))
                for name in self.ARRAYS:
                    handle.seek(specs[name]["offset"])
                    handle.write(np.ascontiguousarray(getattr(tree, name)).tobytes())
            os.replace(temporary, self.path)
        except OSError as exc:
            log.info("search cache not saved: %s", exc)
            temporary.unlink(missing_ok=True)


class ExactIndex:
    """Exact k-NN by cosine similarity over the items `ids`, whose vectors are rows `rows` of `vectors` (items with
    the same content share a row); items added later go to a brute-force delta until the next rebuild."""

    def __init__(
        self,
        ids: np.ndarray,
        vectors: np.ndarray | Vectors,
        settings: IndexSettings | None = None,
        *,
        rows: np.ndarray | None = None,
        cache: Path | None = None,
    ):
        self.settings = settings or IndexSettings()
        self.vectors: Vectors = InMemoryVectors(vectors) if isinstance(vectors, np.ndarray) else vectors
        self.file_id = self.vectors.file_id
        self.ids = np.asarray(ids, dtype=np.int64)
        self.rows = np.arange(len(self.ids), dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        if len(self.ids) != len(self.rows):
            raise ValueError("ids and vectors differ in length")
        self.cache = TreeCache(cache, self.file_id) if cache is not None and self.file_id is not None else None
        self.alive = np.ones(len(self.ids), dtype=bool)
        self.damaged: set[int] = set()  # items whose stored vector failed its checks (re-embedded by indexing)
        self.mode = "brute"
        self._by_id = np.argsort(self.ids, kind="stable")
        self._by_row = np.argsort(self.rows, kind="stable")  # item positions grouped by row
        self._alive_usable: np.ndarray | None = None  # rows of the alive, undamaged items (see _alive_rows)
        self._delta_ids: list[int] = []
        self._delta_vectors: list[np.ndarray] = []
        self._tree: RowTree | None = None
        self._extra_rows = np.zeros(0, dtype=np.int64)  # rows added after the tree was made, held in memory
        self._extra_vectors = np.zeros((0, self.vectors.dimension), dtype=np.float32)

    # -- building ---------------------------------------------------------------------------------------------
    def build(self) -> ExactIndex:
        """Map the tree from the cache, or make it (seconds per 100k rows, once per vector file: call it off the GUI
        thread)."""
        count, dims = len(self.ids), self.vectors.dimension
        if count < self.settings.min_tree_items or dims <= self.settings.projected_dims:
            return self
        started = time.monotonic()
        stop = int(self.rows.max()) + 1
        tree = self.cache.load(dims, self.settings.projected_dims) if self.cache is not None else None
        if tree is None or stop - tree.rows > self.settings.rebuild_fraction * max(tree.rows, count):
            tree = self._make_tree(stop, previous=tree)
        self._tree = tree
        if stop > tree.rows:
            extra = np.unique(self.rows[self.rows >= tree.rows])
            vectors, intact = self.vectors.read(extra)
            self._note_damaged(extra[~intact])
            self._extra_rows, self._extra_vectors = extra[intact], vectors[intact]
        self.mode = "tree" if tree.tight else "brute"
        log.info("search index over %d items: %s mode (%.1fs)", count, self.mode, time.monotonic() - started)
        return self

    def _make_tree(self, stop: int, previous: RowTree | None) -> RowTree:
        """Project rows [0, stop) (with the previous projection while the file has not grown much since it was
        fitted), partition them, probe, and save."""
        started = time.monotonic()
        projected = np.empty((stop, self.settings.projected_dims), dtype=np.float32)
        if previous is not None and previous.fitted_rows * self.settings.refit_growth >= stop:
            mean, components, fitted = previous.mean, previous.components, previous.fitted_rows
            projected[previous.order] = previous.points  # only the rows added since are read
            start = previous.rows
        else:
            mean, components = self._fit_projection()
            fitted, start = stop, 0
        for first, block in self.vectors.blocks(stop, start):
            projected[first : first + len(block)] = block @ components.T - mean @ components.T
        with np.errstate(invalid="ignore"):
            # A damaged row must not poison its leaf's box (NaN bounds would hide its neighbours): it sits at the
            # centre, where reading it finds the damage.
            projected[~np.isfinite(projected).all(axis=1)] = 0.0
        order, bounds = _partition(projected, self.settings.leaf_size)
        points = projected[order]
        del projected
        starts = bounds[:-1]
        low, high = np.minimum.reduceat(points, starts, axis=0), np.maximum.reduceat(points, starts, axis=0)
        tree = RowTree(mean, components, fitted, order, points, bounds, low, high, tight=True)
        self._tree = tree
        tree = replace(tree, tight=self._probe_is_tight())
        if self.cache is not None:
            self.cache.save(tree)
        log.info("search tree over %d rows made in %.1fs", stop, time.monotonic() - started)
        return tree

    def _fit_projection(self) -> tuple[np.ndarray, np.ndarray]:
        """PCA of a sample of the items' vectors."""
        rng = np.random.default_rng(0)
        count = len(self.ids)
        picks = np.unique(self.rows[rng.choice(count, min(count, self.settings.pca_sample), replace=False)])
        sample, intact = self._read(picks)
        return fit_pca(sample[intact], self.settings.projected_dims, rng)  # a compact copy of the intact rows

    def _probe_is_tight(self) -> bool:
        """Does the projection bound prune well on this catalog? A few catalog items as queries: how many rows each
        has to read."""
        rng = np.random.default_rng(2)
        count = len(self.ids)
        picks = rng.choice(count, min(count, self.settings.probe_queries), replace=False)
        queries, intact = self.vectors.read(self.rows[picks])
        usable = self._usable_rows(np.ones(count, dtype=bool))
        reads = []
        for query in queries[intact]:
            found = self._search_tree(query, min(10, count), usable)
            reads.append(found[2] if found is not None else count)
        return bool(reads) and float(np.median(reads)) <= self.settings.max_candidate_fraction * count

    # -- changes ------------------------------------------------------------------------------------------------
    def _position(self, item_id: int) -> int | None:
        at = int(np.searchsorted(self.ids, item_id, sorter=self._by_id))
        if at < len(self.ids) and self.ids[self._by_id[at]] == item_id:
            return int(self._by_id[at])
        return None

    def add(self, ids: Iterable[int], vectors: np.ndarray) -> None:
        for item, vector in zip(ids, vectors, strict=True):
            self.remove([int(item)])
            self._delta_ids.append(int(item))
            self._delta_vectors.append(np.asarray(vector, dtype=np.float32))

    def remove(self, ids: Iterable[int]) -> None:
        for item in ids:
            position = self._position(int(item))
            if position is not None:
                self.alive[position] = False
                self._alive_usable = None
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
        position = self._position(item_id)
        if position is not None and self.alive[position]:
            vectors, intact = self._read(self.rows[[position]])
            return vectors[0] if intact[0] else None
        if item_id in self._delta_ids:
            return self._delta_vectors[self._delta_ids.index(item_id)]
        return None

    def _read(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the file, checked; the items of rows that fail are remembered as damaged and reported."""
        vectors, intact = self.vectors.read(rows)
        if not intact.all():
            self._note_damaged(rows[~intact])
        return vectors, intact

    def _note_damaged(self, rows: np.ndarray) -> None:
        if len(rows) == 0:
            return
        items = {int(i) for i in self.ids[np.isin(self.rows, rows)]} - self.damaged
        if items:
            log.warning("%d stored vectors are damaged: left out until the next indexing re-embeds them", len(items))
            self.damaged |= items
            self._alive_usable = None

    # -- searching ----------------------------------------------------------------------------------------------
    def search(
        self, query: np.ndarray, k: int, *, allowed: set[int] | None = None, exclude: Iterable[int] = ()
    ) -> list[SearchHit]:
        """The k items most similar to `query` (unit vector), best first; ties broken by lower item id."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        if not np.all(np.isfinite(query)):
            raise ValueError("the query vector is not finite")
        excluded = {int(i) for i in exclude}
        mask = self.alive.copy()
        left_out = [p for p in map(self._position, excluded) if p is not None]
        mask[left_out] = False
        if allowed is not None:
            mask &= np.isin(self.ids, np.fromiter(allowed, dtype=np.int64, count=len(allowed)))
            usable = self._usable_rows(mask)
        else:  # the common query: every item but the query image itself, from the rows of every item, cached
            usable = self._alive_rows().copy()
            for position in left_out:
                row = self.rows[position]
                usable[row] = usable[row] and bool(mask[self._items_of(int(row))].any())
        hits = self._search_items(query, k, mask, usable) if k > 0 else []
        for item, vector in zip(self._delta_ids, self._delta_vectors, strict=True):
            if item not in excluded and (allowed is None or item in allowed):
                hits.append((float(np.dot(vector, query)), item))
        hits.sort(key=lambda hit: (-hit[0], hit[1]))
        return [SearchHit(item, score) for score, item in hits[:k]]

    def _usable_rows(self, mask: np.ndarray) -> np.ndarray:
        """Which rows have an item of `mask` and are not known to be damaged."""
        usable = np.zeros(max(self.vectors.rows, int(self.rows.max(initial=-1)) + 1), dtype=bool)
        usable[self.rows[mask]] = True
        if self.damaged:
            usable[self.rows[np.isin(self.ids, np.fromiter(self.damaged, dtype=np.int64))]] = False
        return usable

    def _alive_rows(self) -> np.ndarray:
        if self._alive_usable is None:
            self._alive_usable = self._usable_rows(self.alive)
        return self._alive_usable

    def _search_items(self, query: np.ndarray, k: int, mask: np.ndarray, usable: np.ndarray) -> list[tuple[float, int]]:
        """(score, item id) of at least the k best usable items (rows found, then the items using them)."""
        for _ in range(3):  # again only when rows turn out damaged on the way (each is left out from then on)
            count = int(usable.sum())
            if count == 0:
                return []
            found: tuple[np.ndarray, np.ndarray] | None = None
            if self.mode == "tree" and self._tree is not None and count > len(mask) // 2:
                answer = self._search_tree(query, min(k, count), usable)
                if answer is not None:
                    found = answer[:2]
            if found is None:
                found = self._brute_force(query, min(k, count), usable)
            rows, scores = found
            if len(rows) >= min(k, count) or not self.damaged:
                break
            usable = self._usable_rows(mask)  # without the rows found damaged
        return [
            (float(score), int(self.ids[position]))
            for row, score in zip(rows, scores, strict=True)
            for position in self._items_of(int(row))
            if mask[position]
        ]

    def _items_of(self, row: int) -> np.ndarray:
        start = int(np.searchsorted(self.rows, row, sorter=self._by_row))
        stop = int(np.searchsorted(self.rows, row, side="right", sorter=self._by_row))
        return self._by_row[start:stop]

    def _search_tree(self, query: np.ndarray, k: int, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray, int] | None:
        """(rows, scores, rows read) of the k nearest usable rows, or None when more than the cap would have to be
        read (brute force is then cheaper)."""
        tree = self._tree
        assert tree is not None
        cap = self.settings.max_candidate_fraction * len(self.ids)
        point = tree.project(query[None, :])[0]
        best_rows, best_scores = self._extra_best(query, k, usable)
        radius = _radius(best_scores, k)
        gaps = np.maximum(tree.low - point, 0.0) + np.maximum(point - tree.high, 0.0)
        lower = np.sqrt(np.einsum("ij,ij->i", gaps, gaps))  # no row of leaf j is nearer than lower[j] (projected)
        by_bound = np.argsort(lower)
        sizes = np.diff(tree.bounds)[by_bound]
        opened = min(len(by_bound), int(np.searchsorted(np.cumsum(sizes), 4 * max(k, self.settings.leaf_size))) + 1)
        pool, distances = self._leaf_rows(by_bound[:opened], point, usable)
        done = read = 0
        chunk = 4 * k
        while True:
            while done < len(pool) and distances[done] <= radius:
                rows = pool[done : done + chunk]
                done += len(rows)
                read += len(rows)
                best_rows, best_scores = self._scan_into(rows, query, best_rows, best_scores, k)
                radius = _radius(best_scores, k)
                if read > cap:
                    return None
                chunk = min(2 * chunk, 1024)
            closed = by_bound[opened:]
            more = closed[lower[closed] <= radius]
            if len(more) == 0:
                return best_rows, best_scores, read
            if np.isinf(radius):
                more = more[: max(1, len(more) // 2)]  # not k usable rows yet: open the nearest half of the rest
            still_closed = np.ones(len(lower), dtype=bool)
            still_closed[more] = False
            by_bound = np.concatenate([by_bound[:opened], more, closed[still_closed[closed]]])
            opened += len(more)
            added, added_distances = self._leaf_rows(more, point, usable)
            keep = added_distances <= radius
            rest = np.concatenate([pool[done:], added[keep]])
            rest_distances = np.concatenate([distances[done:], added_distances[keep]])
            order = np.argsort(rest_distances, kind="stable")
            pool, distances, done = rest[order], rest_distances[order], 0

    def _scan_into(
        self, rows: np.ndarray, query: np.ndarray, best_rows: np.ndarray, best_scores: np.ndarray, k: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best of (best_rows, best_scores), whose rows are checked, and these rows: all scored from a scan
        without the CRC, then the few that make the k best checked in full (a row that fails is reported as damaged
        and its place goes to the next), so only checked rows ever set the radius or reach the answer."""
        vectors, plausible = self.vectors.scan(rows)
        if not plausible.all():
            self._read(rows[~plausible])  # fails its checks too: reported as damaged
            rows, vectors = rows[plausible], vectors[plausible]
        scores = _dot(vectors, query)
        pool_rows, pool_scores = np.concatenate([best_rows, rows]), np.concatenate([best_scores, scores])
        while True:
            top_rows, top_scores = _top(pool_rows, pool_scores, k)
            unchecked = top_rows[~np.isin(top_rows, best_rows)]
            if len(unchecked) == 0:
                return top_rows, top_scores
            _, intact = self._read(unchecked)
            if intact.all():
                return top_rows, top_scores
            keep = ~np.isin(pool_rows, unchecked[~intact])
            pool_rows, pool_scores = pool_rows[keep], pool_scores[keep]
            best_rows = np.concatenate([best_rows, unchecked[intact]])  # checked now

    def _leaf_rows(self, leaves: np.ndarray, point: np.ndarray, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(rows, projected distances), nearest first, of the usable rows of these leaves."""
        tree = self._tree
        assert tree is not None
        slots = _slots(tree.bounds, leaves)
        rows = tree.order[slots]
        keep = usable[rows]
        slots, rows = slots[keep], rows[keep]
        distances = _distances(tree.points[slots], point)
        order = np.argsort(distances, kind="stable")
        return rows[order].astype(np.int64), distances[order]

    def _extra_best(self, query: np.ndarray, k: int, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The k best of the rows added after the tree was made (held in memory)."""
        keep = usable[self._extra_rows]
        return _top(self._extra_rows[keep], _dot(self._extra_vectors[keep], query), k)

    def _brute_force(self, query: np.ndarray, k: int, usable: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Every usable row scored, in one sequential pass over the file (a block at a time, so the file never
        becomes this process's memory); what is returned is checked in full."""
        wanted = np.flatnonzero(usable)
        if len(wanted) <= len(usable) // 4:  # a filtered few: read just those
            vectors, intact = self._read(wanted)
            return _top(wanted[intact], _dot(vectors[intact], query), k)
        stop = int(wanted[-1]) + 1
        scores = np.full(stop, -np.inf, dtype=np.float32)
        for first, block in self.vectors.blocks(stop):
            scores[first : first + len(block)] = _dot(block, query)
        with np.errstate(invalid="ignore"):
            implausible = ~(np.abs(scores) <= 1.0 + 1e-3)  # NaN too: a unit vector cannot score beyond ±1
        implausible &= usable[:stop]
        if implausible.any():
            self._read(np.flatnonzero(implausible))  # fails their checks, so they are reported as damaged
        scores[~usable[:stop] | implausible] = -np.inf
        rows, best = _top(np.arange(stop), scores, k)
        rows, best = rows[np.isfinite(best)], best[np.isfinite(best)]
        _, intact = self._read(rows)
        return rows[intact], best[intact]


def _partition(points: np.ndarray, leaf_size: int) -> tuple[np.ndarray, np.ndarray]:
    """A KD-tree's leaves over `points`: split at the median of the widest dimension (judged on a sample) until
    leaves hold at most leaf_size points. Returns (point order, leaf bounds in that order)."""
    order = np.arange(len(points), dtype=np.int64)
    starts: list[int] = []
    stack = [(0, len(points))]
    rng = np.random.default_rng(1)
    while stack:
        start, stop = stack.pop()
        if stop - start <= leaf_size:
            starts.append(start)
            continue
        members = order[start:stop]
        sample = points[members if len(members) <= 256 else members[rng.choice(len(members), 256, replace=False)]]
        dim = int(np.argmax(sample.max(axis=0) - sample.min(axis=0)))
        middle = (stop - start) // 2
        order[start:stop] = members[np.argpartition(points[members, dim], middle)]
        stack.append((start + middle, stop))
        stack.append((start, start + middle))
    starts.sort()
    return order, np.asarray([*starts, len(points)], dtype=np.int64)


def fit_pca(sample: np.ndarray, dims: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(mean [D], components [dims, D] with orthonormal rows) of `sample`, by randomized SVD (Halko et al.)."""
    mean = sample.mean(axis=0, dtype=np.float64).astype(np.float32)
    centred = sample - mean
    basis = _orthonormal(centred @ rng.standard_normal((centred.shape[1], dims + 16)).astype(np.float32))
    for _ in range(3):  # power iterations sharpen the leading subspace
        basis = _orthonormal(centred @ (centred.T @ basis))
    _, _, rows = np.linalg.svd((basis.T @ centred).astype(np.float64), full_matrices=False)
    components, _ = np.linalg.qr(rows[:dims].T)  # small; re-orthonormalised in float64
    return mean, np.ascontiguousarray(components.T, dtype=np.float32)


def _orthonormal(columns: np.ndarray) -> np.ndarray:
    """An orthonormal basis of the span of a tall matrix's columns, through the eigenvectors of its small Gram
    matrix (LAPACK's QR of a tall matrix is needlessly slow here)."""
    gram = columns.T.astype(np.float64) @ columns.astype(np.float64)
    values, vectors = np.linalg.eigh(gram)
    keep = values > values.max() * 1e-10
    basis: np.ndarray = (columns @ (vectors[:, keep] / np.sqrt(values[keep])).astype(np.float32)).astype(np.float32)
    return basis


def _int_array(rows: Iterable[int] | np.ndarray) -> np.ndarray:
    return rows.astype(np.int64) if isinstance(rows, np.ndarray) else np.fromiter(rows, dtype=np.int64)


def _radius(best_scores: np.ndarray, k: int) -> float:
    """The distance no row of the answer is beyond, from the k-th best score so far (infinite until there are k)."""
    if len(best_scores) < k:
        return np.inf
    return float(np.sqrt(max(2.0 - 2.0 * float(best_scores[k - 1]), 0.0))) + MARGIN


def _slots(bounds: np.ndarray, leaves: np.ndarray) -> np.ndarray:
    """Positions (in leaf order) of everything in these leaves."""
    starts, stops = bounds[leaves], bounds[leaves + 1]
    lengths = stops - starts
    if len(lengths) == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    slots: np.ndarray = np.arange(int(lengths.sum()), dtype=np.int64) + offsets
    return slots


def _dot(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Row-wise dot products without BLAS: numpy's threaded BLAS spins its threads on a matrix-vector product and
    takes 10-100 times longer than this when the machine is busy (as a stylist's always is)."""
    scores: np.ndarray = np.einsum("ij,j->i", vectors, query)
    return scores


def _distances(points: np.ndarray, point: np.ndarray) -> np.ndarray:
    gaps = points - point
    distances: np.ndarray = np.sqrt(np.einsum("ij,ij->i", gaps, gaps))
    return distances


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
    if not np.isfinite(norm) or norm == 0.0:
        raise ValueError("the query images cancel out; search with fewer images")
    combined: np.ndarray = (mean / norm).astype(np.float32)
    return combined
