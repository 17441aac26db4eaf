"""What the workers send back, one type per kind of payload, each with the id of the request it answers.

Light types (no numpy or Qt): the window imports them for free.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fashion_desktop.catalog.query import FacetValue, LibraryView, Query, SearchResult


@dataclass(frozen=True)
class CatalogOpened:
    request_id: int
    folder: str
    indexed: int
    skipped: list[tuple[str, str]]  # (path, reason) of every file earlier runs could not index


@dataclass(frozen=True)
class SearchAnswer:
    """An image query's results, best first; the filter values with counts over the whole library."""

    request_id: int
    query: Query
    results: list[SearchResult]
    facets: dict[str, list[FacetValue]]


@dataclass(frozen=True)
class BrowseAnswer:
    """The library without an image query, and the first page of tiles (the rest come as they scroll in)."""

    request_id: int
    query: Query
    view: LibraryView
    first_page: list[SearchResult]


@dataclass(frozen=True)
class PageAnswer:
    request_id: int  # the browse answer these tiles belong to
    offset: int
    results: list[SearchResult]


@dataclass(frozen=True)
class CaptionReady:
    request_id: int
    item_id: int
    caption: str


@dataclass(frozen=True)
class IndexingProgress:
    request_id: int
    done: int
    total: int
    failed: int
    rate: float  # files per second
    eta_seconds: float | None


@dataclass(frozen=True)
class IndexingDone:
    request_id: int
    folder: str
    cancelled: bool
    indexed: int  # files read in this run (new vectors, or known ones reused)
    to_index: int  # files this run had to read
    new: int
    changed: int
    removed: int
    failed_now: int  # files that failed in this run
    skipped: list[tuple[str, str]] = field(default_factory=list)  # every file the catalog cannot index


@dataclass(frozen=True)
class ModelsChecked:
    models: list[dict[str, Any]]  # describe_models(): source, revision, random weights, or an error
