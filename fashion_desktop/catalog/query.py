"""What the stylist asks and what she gets back: light value types shared by the catalog, the workers and the
window (no numpy, PIL or Qt here, so the window imports them for free)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


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
    """One query image: a file path or encoded image bytes (pasted or dropped from a browser)."""

    path: Path | None = None
    data: bytes | None = None
    label: str = ""

    @property
    def source(self) -> Path | bytes:
        if self.path is not None:
            return self.path
        if self.data is not None:
            return self.data
        raise ValueError("empty query image")


@dataclass(frozen=True)
class Query:
    """A search request. `origin` is how it was asked (drop, paste, open, more-like-this), for the log."""

    images: tuple[QueryImage, ...] = ()
    item_ids: tuple[int, ...] = ()  # catalog items used as queries ("more like this"): their stored vectors
    region: Region | None = None  # only with exactly one image
    origin: str = "drop"
    k: int = 24
    filters: tuple[tuple[str, str], ...] = ()
    text: str = ""

    @property
    def count(self) -> int:
        return len(self.images) + len(self.item_ids)


@dataclass(frozen=True)
class SearchResult:
    """One answer: a catalog item, its similarity to the query (NaN for text-only matches) and what is known of it."""

    item_id: int
    path: Path
    score: float
    metadata: dict[str, str] = field(default_factory=dict)
    caption: str | None = None
