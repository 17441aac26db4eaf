"""The library as the window browses it: every indexed item ordered, filtered and counted, without an image.

One read of the store (ids, paths, dates and metadata of the indexed items) becomes numpy arrays of value codes,
so ordering, filtering and counting 100k items takes milliseconds instead of a query per filter. The catalog
rebuilds it when the store changed (another thread indexed or captioned).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath

import numpy as np

from fashion_desktop.catalog.fields import COLUMNS, FACETS, FOLDER_FILTER, NAME, field_named
from fashion_desktop.catalog.query import SORTS, FacetValue, LibraryView

FILTERS: tuple[str, ...] = (*(f.column for f in FACETS), FOLDER_FILTER)  # what the window offers as filters


class _Codes:
    """One filter field: per item the code of its value (-1 when it has none), and the values, first spelling
    kept; values compare case-insensitively, as the command line's filters do."""

    def __init__(self, values_per_item: Sequence[str | None]):
        index: dict[str, int] = {}
        self.values: list[str] = []
        codes = np.full(len(values_per_item), -1, dtype=np.int32)
        for row, value in enumerate(values_per_item):
            if not value:
                continue
            key = value.casefold()
            code = index.get(key)
            if code is None:
                code = index[key] = len(self.values)
                self.values.append(value)
            codes[row] = code
        self._index = index
        self.codes = codes

    def matching(self, wanted: Sequence[str]) -> np.ndarray:
        found = [self._index[v.casefold()] for v in wanted if v.casefold() in self._index]
        return np.isin(self.codes, np.array(found, dtype=np.int32))

    def counts(self, mask: np.ndarray) -> np.ndarray:
        present = self.codes[mask]
        return np.bincount(present[present >= 0], minlength=len(self.values))


class _Folders(_Codes):
    """The folder filter: an item is in a folder when it lies anywhere below it."""

    def __init__(self, paths: Sequence[str]):
        super().__init__([p.rpartition("/")[0] or None for p in paths])  # store paths are relative, with "/"
        # Per folder code: codes of the folder and of every folder above it (added when they hold no photo).
        self._ancestors: dict[int, list[int]] = {}
        for code, folder in enumerate(list(self.values)):
            parts = PurePosixPath(folder).parts
            self._ancestors[code] = [self._code_of("/".join(parts[:depth])) for depth in range(1, len(parts) + 1)]

    def _code_of(self, folder: str) -> int:
        key = folder.casefold()
        if key not in self._index:
            self._index[key] = len(self.values)
            self.values.append(folder)
        return self._index[key]

    def matching(self, wanted: Sequence[str]) -> np.ndarray:
        keys = {w.strip("/").casefold() for w in wanted}
        inside = [
            code
            for code, folder in enumerate(self.values)
            if any(folder.casefold() == k or folder.casefold().startswith(k + "/") for k in keys)
        ]
        return np.isin(self.codes, np.array(inside, dtype=np.int32))

    def counts(self, mask: np.ndarray) -> np.ndarray:
        own = super().counts(mask)
        total = np.zeros(len(self.values), dtype=np.int64)
        for code, chain in self._ancestors.items():
            if own[code]:
                total[chain] += own[code]
        return total


class Library:
    """Ordered, filterable view of the indexed items (built by `Catalog.library`)."""

    def __init__(self, rows: Sequence[tuple[object, ...]]):
        self.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        self.paths = [str(r[1]) for r in rows]
        self.mtimes = np.fromiter((r[2] for r in rows), dtype=np.int64, count=len(rows))
        values = {column: [r[3 + i] for r in rows] for i, column in enumerate(COLUMNS)}
        self.fields: dict[str, _Codes] = {f.column: _Codes([_text(v) for v in values[f.column]]) for f in FACETS}
        self.fields[FOLDER_FILTER] = _Folders(self.paths)
        names = [_text(v) for v in values[NAME]]
        self.names = [name or path.rpartition("/")[2] for name, path in zip(names, self.paths, strict=True)]
        self._orders: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.ids)

    def order(self, sort: str) -> np.ndarray:
        """Row positions in `sort` order (cached: the first browse in an order pays for it, the rest do not)."""
        if sort not in SORTS:
            raise ValueError(f"unknown sort {sort!r}; use one of: {', '.join(SORTS)}")
        if sort not in self._orders:
            if sort == "name":
                keys = sorted(range(len(self.ids)), key=lambda row: (self.names[row].casefold(), self.paths[row]))
                order = np.array(keys, dtype=np.int64)
            elif sort == "folder":
                order = np.array(sorted(range(len(self.ids)), key=self.paths.__getitem__), dtype=np.int64)
            elif sort == "modified":
                order = np.lexsort((self.ids, -self.mtimes))
            else:  # added: newest item ids first
                order = np.argsort(-self.ids, kind="stable")
            self._orders[sort] = order
        return self._orders[sort]

    def mask(
        self, filters: Mapping[str, Sequence[str]], text_ids: set[int] | None, skip: str | None = None
    ) -> np.ndarray:
        """Items passing every filter (by field key, see `normalise`) but `skip`, and the text match."""
        keep = np.ones(len(self.ids), dtype=bool)
        for name, wanted in filters.items():
            if name != skip:
                keep &= self.fields[name].matching(wanted)
        if text_ids is not None:
            keep &= np.isin(self.ids, np.fromiter(text_ids, dtype=np.int64, count=len(text_ids)))
        return keep

    def allowed(self, filters: Mapping[str, Sequence[str]], text_ids: set[int] | None) -> set[int] | None:
        """Item ids passing the filters and the text match; None when nothing restricts."""
        filters = normalise(filters)
        if not filters and text_ids is None:
            return None
        return {int(i) for i in self.ids[self.mask(filters, text_ids)]}

    def view(self, filters: Mapping[str, Sequence[str]], text_ids: set[int] | None, sort: str) -> LibraryView:
        filters = normalise(filters)
        order = self.order(sort)
        keep = self.mask(filters, text_ids)
        facets = {}
        for name in FILTERS:
            # Counts of a field's values ignore that field's own selection: picking "Red" still shows how many
            # "Blue" items there are, so a second colour can be added (as Lightroom's and Eagle's filters do).
            field = self.fields[name]
            counts = field.counts(self.mask(filters, text_ids, skip=name) if filters.get(name) else keep)
            chosen = {v.casefold() for v in filters.get(name, ())}
            facets[name] = sorted(
                (
                    FacetValue(value, int(count))
                    for value, count in zip(field.values, counts, strict=True)
                    if count or value.casefold() in chosen
                ),
                key=lambda facet: facet.value.casefold(),
            )
        return LibraryView([int(i) for i in self.ids[order[keep[order]]]], facets, len(self.ids))


def normalise(filters: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    """Filters keyed by field key (a column or `folder`; styles.csv headers accepted), empty selections dropped."""
    normal: dict[str, tuple[str, ...]] = {}
    for name, wanted in filters.items():
        found = field_named(name)
        key = FOLDER_FILTER if name == FOLDER_FILTER else found.column if found is not None else None
        if key is None or key not in FILTERS:
            raise ValueError(f"unknown filter {name!r}; use one of: {', '.join(FILTERS)}")
        if wanted:
            normal[key] = (*normal.get(key, ()), *wanted)
    return normal


def _text(value: object) -> str | None:
    return str(value) if value not in (None, "") else None
