"""What the stylist asks and what she gets back: light value types shared by the catalog, the workers and the
window (no numpy, PIL or Qt here, so the window imports them for free)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

# How the library is ordered while browsing (no image query): key → label shown in the window.
SORTS: dict[str, str] = {
    "name": "Name",
    "folder": "Folder",
    "modified": "Date modified",
    "added": "Recently added",
}
DEFAULT_SORT = "name"


@dataclass(frozen=True)
class Region:
    """A rectangle in relative coordinates (0..1) of the displayed, upright query image."""

    left: float
    top: float
    width: float
    height: float

    def clamped(self) -> Region:
        left, top = min(max(self.left, 0.0), 1.0), min(max(self.top, 0.0), 1.0)
        return Region(left, top, min(max(self.width, 0.0), 1.0 - left), min(max(self.height, 0.0), 1.0 - top))


@dataclass(frozen=True)
class QueryImage:
    """One query image: a file path or encoded image bytes (pasted or dropped from a browser).

    `item_id` is set when the image is a catalog item ("More like this"): its stored vector is used unless a
    `region` of it is asked for, which is then cut from the upright file and embedded."""

    path: Path | None = None
    data: bytes | None = None
    label: str = ""
    region: Region | None = None
    item_id: int | None = None

    @property
    def source(self) -> Path | bytes:
        if self.path is not None:
            return self.path
        if self.data is not None:
            return self.data
        raise ValueError("empty query image")

    def with_region(self, region: Region | None) -> QueryImage:
        return replace(self, region=region)


@dataclass(frozen=True)
class Query:
    """A search request, or a view of the library when it holds no image (browsing), or a board (`board`: its
    items in their own order; a board view holds no images, filters or words).

    `origin` is how it was asked (drop, paste, open, more-like-this, browse, board…), for the log. `filters` are
    (field, value) pairs: several values of one field mean any of them, different fields must all match. `sort`
    orders the library while browsing; image queries are ordered by similarity."""

    images: tuple[QueryImage, ...] = ()
    item_ids: tuple[int, ...] = ()  # catalog items used as queries by their stored vectors (command line, tests)
    origin: str = "drop"
    k: int = 24
    filters: tuple[tuple[str, str], ...] = ()
    text: str = ""
    sort: str = DEFAULT_SORT
    collapse_duplicates: bool = False  # near-duplicates shown once, with how many were folded into them
    board: int | None = None  # a board's id: its items are shown instead of the library (Back and Forward too)

    @property
    def count(self) -> int:
        return len(self.images) + len(self.item_ids)

    @property
    def browsing(self) -> bool:
        """No image to compare with and no board: the library itself, filtered, sorted."""
        return not self.images and not self.item_ids and self.board is None

    def filter_values(self) -> dict[str, tuple[str, ...]]:
        """Selected values per field, in the order they were chosen."""
        grouped: dict[str, tuple[str, ...]] = {}
        for name, value in self.filters:
            if value not in grouped.get(name, ()):
                grouped[name] = (*grouped.get(name, ()), value)
        return grouped


@dataclass(frozen=True)
class SearchResult:
    """One answer: a catalog item, its similarity to the query (NaN while browsing or for text-only matches) and
    what is known of it. `duplicates` are near-identical items folded into this one (collapse option)."""

    item_id: int
    path: Path
    score: float
    metadata: dict[str, str] = field(default_factory=dict)
    caption: str | None = None
    duplicates: tuple[int, ...] = ()


@dataclass(frozen=True)
class FacetValue:
    """One value of a filter field and how many items of the current view would have it."""

    value: str
    count: int


@dataclass(frozen=True)
class LibraryView:
    """The library as browsed: the ordered item ids passing the filters and text (only ids: tiles fetch their
    details page by page as they scroll into view), and the filter values with counts."""

    item_ids: list[int]
    facets: dict[str, list[FacetValue]]
    total: int  # indexed items in the catalog, before filters
