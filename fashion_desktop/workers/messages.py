"""What the workers send back, one type per kind of payload, each with the id of the request it answers.

Light types (no numpy or Qt): the window imports them for free.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from fashion_desktop.catalog.fields import NAME
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
class CaptionCoverage:
    """How many of the catalog's indexed items have a caption by the installed captioner: the background run's
    progress, and how much of the catalog text search covers."""

    request_id: int
    captioned: int
    total: int


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
    store_changed: bool = True  # False: the run committed nothing (an unchanged relaunch), so no answer is stale


@dataclass(frozen=True)
class ModelsChecked:
    models: list[dict[str, Any]]  # describe_models(): source, revision, random weights, or an error


# -- boards (workers.boards) ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BoardSummary:
    """One board as the boards panel lists it."""

    board_id: int
    name: str
    count: int  # items on it


@dataclass(frozen=True)
class BoardsListed:
    request_id: int
    folder: str
    boards: list[BoardSummary]  # by name
    changed_elsewhere: bool = False  # another program (the command line, another window) edited boards


@dataclass(frozen=True)
class BoardCard:
    """One item of a board as the grid shows it: a file of the catalog now (`item_id`, `path`), or missing, with
    what was known of it (`path` is then where it was last seen)."""

    content_hash: str
    note: str
    path: Path
    last_path: str  # relative to the catalog root, as the board keeps it (for adding it to another board)
    missing: bool
    item_id: int | None = None  # None when missing, or when the file has not been indexed yet
    metadata: dict[str, str] = field(default_factory=dict)
    caption: str | None = None

    @property
    def name(self) -> str:
        """The styles.csv product name, else the file name."""
        return self.metadata.get(NAME) or PurePosixPath(self.last_path).name

    @property
    def result(self) -> SearchResult | None:
        """The catalog item holding this content, for every action on results (None when there is none)."""
        if self.missing or self.item_id is None:
            return None
        return SearchResult(self.item_id, self.path, math.nan, self.metadata, self.caption)


@dataclass(frozen=True)
class BoardShown:
    request_id: int
    board: BoardSummary
    cards: list[BoardCard]  # in the board's order

    @property
    def missing(self) -> int:
        return sum(card.missing for card in self.cards)


@dataclass(frozen=True)
class BoardEdited:
    """A board edit done: what to tell the stylist, which board it touched, and the edit that undoes it."""

    request_id: int
    board_id: int  # the board edited (for a new board or a copy: the new one)
    text: str  # e.g. "Added 3 items to “Shoot”"
    undo: object | None = None  # a workers.board_edits edit; None when there is nothing to undo
    undo_label: str = ""  # e.g. "add to “Shoot”" (Edit ▸ Undo add to “Shoot”)
    level: str = "success"  # a message level: info, success or error (e.g. nothing could be added)
    board_gone: bool = False  # the board was deleted
