"""The window's presenter: owns what is asked (the query, its history), the request ids, the answers' cache and
the wiring to the workers; the widgets only show what it says and tell it what the stylist did.

Requests go to the workers as queued signals with a request id; cancel, pause and resume are signals too, with a
direct connection to the workers' thread-safe gates (a busy worker has no free event loop). The GUI never calls
into a worker object.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from fashion_desktop.catalog.query import DEFAULT_SORT, SORTS, FacetValue, Query, QueryImage, Region, SearchResult
from fashion_desktop.export.options import LookbookOptions
from fashion_desktop.paths import shown
from fashion_desktop.settings import Settings
from fashion_desktop.ui.results_model import Place, ResultsModel, display_name
from fashion_desktop.ui.thumbnails import ThumbnailLoader
from fashion_desktop.workers.board_edits import (
    AddToBoard,
    BoardEdit,
    CreateBoard,
    DeleteBoard,
    ItemsToAdd,
    RemoveFromBoard,
)
from fashion_desktop.workers.boards import ExportRequest
from fashion_desktop.workers.engine import WorkerThreads
from fashion_desktop.workers.messages import (
    BoardEdited,
    BoardShown,
    BoardsListed,
    BoardSummary,
    BrowseAnswer,
    CaptionCoverage,
    CaptionReady,
    CatalogOpened,
    IndexingDone,
    IndexingProgress,
    ModelsChecked,
    PageAnswer,
    SearchAnswer,
)

log = logging.getLogger("fashion_desktop.ui")

CACHED_ANSWERS = 40  # answers kept for Back/Forward
BROWSE_REFRESH_SECONDS = 2.0  # while indexing, the browsed library is re-read this often: items appear
DIRECT = Qt.ConnectionType.DirectConnection
BOARDS_POLL_MS = 3000  # boards edited by another program (the command line) show up this soon
UNDO_STEPS = 50
GIVE_WAY_MS = 2000  # the background captioning run starts again this long after the stylist's last scroll


@dataclass(frozen=True)
class IndexingState:
    """What the status bar shows about indexing."""

    phase: str = "idle"  # idle, scanning, running, paused, done, cancelled, failed
    done: int = 0
    total: int = 0
    failed: int = 0
    rate: float = 0.0
    eta_seconds: float | None = None
    summary: str = ""

    @property
    def active(self) -> bool:
        return self.phase in ("scanning", "running", "paused")


@dataclass(frozen=True)
class CaptionsState:
    """What the status bar shows about captioning the whole catalog in the background."""

    phase: str = "idle"  # idle (not started, or indexing first), running, paused, done, off
    captioned: int = 0
    total: int = 0
    known: bool = False  # the counts came from the store (text search can say how much it covers)

    @property
    def coverage(self) -> str:
        """e.g. "captions: 1 200 of 44 000 items" (what text search covers); "" when not known yet."""
        return f"captions: {grouped(self.captioned)} of {grouped(self.total)} items" if self.known else ""


def grouped(number: int) -> str:
    """Thousands set apart by a no-break space, as in 44 000 (the same in every language)."""
    return f"{number:,}".replace(",", "\u00a0")


class History:
    """Back/Forward through queries (with their filters and text), as a browser's history, each with the place the
    stylist left its view at."""

    def __init__(self) -> None:
        self.entries: list[Query] = []
        self.places: list[Place | None] = []
        self.position = -1

    def push(self, query: Query) -> None:
        current = self.current
        if current is not None and _only_text_differs(current, query):
            self.entries[self.position] = query  # typing is one step, not one per letter
            self.places[self.position] = None  # a view of other items
            return
        del self.entries[self.position + 1 :], self.places[self.position + 1 :]
        self.entries.append(query)
        self.places.append(None)
        self.position = len(self.entries) - 1

    def leave(self, place: Place | None) -> None:
        """The current entry's view is left at `place`."""
        if self.entries:
            self.places[self.position] = place

    @property
    def place(self) -> Place | None:
        return self.places[self.position] if self.entries else None

    @property
    def current(self) -> Query | None:
        return self.entries[self.position] if self.entries else None

    def can_go(self, step: int) -> bool:
        return 0 <= self.position + step < len(self.entries)

    def go(self, step: int) -> Query | None:
        if not self.can_go(step):
            return None
        self.position += step
        return self.entries[self.position]

    def clear(self) -> None:
        self.entries, self.places, self.position = [], [], -1


def _only_text_differs(first: Query, second: Query) -> bool:
    """Typing on (both have words): one step. Words added to a query without any are a step of their own."""
    same_rest = replace(first, text="", origin="") == replace(second, text="", origin="")
    return bool(first.text and second.text) and first.text != second.text and same_rest


class Presenter(QObject):
    # Requests to the workers (queued: they run on the workers' threads).
    _openCatalog = Signal(int, str)
    _ask = Signal(int, Query)
    _fetchPage = Signal(int, int, object)
    _warmUp = Signal()
    _refresh = Signal()
    _index = Signal(int, str)
    _caption = Signal(int, object)
    _captionCatalog = Signal(int)
    _countCaptions = Signal(int)
    _checkModels = Signal()
    _openBoards = Signal(int, str)
    _showBoard = Signal(int, int)
    _editBoard = Signal(int, object)
    _pollBoards = Signal(int)
    _export = Signal(object)
    # Control (direct connections to the workers' thread-safe gates).
    _cancelSearch = Signal(int)
    _cancelCaptions = Signal(int)
    _wantCaptions = Signal(str, object)  # catalog folder, item ids: what a cancelled caption batch may finish for
    _cancelIndexing = Signal(int)
    _pauseIndexing = Signal()
    _resumeIndexing = Signal()
    _cancelExport = Signal(int)

    # What the window shows.
    queryChanged = Signal(Query)
    historyChanged = Signal(bool, bool)  # can go back, can go forward
    facetsChanged = Signal(object)  # dict[str, list[FacetValue]]
    message = Signal(str, str)  # text, level (info, success, error)
    viewSummary = Signal(str)  # what the grid shows ("68 items in the catalog"): the status line between messages
    catalogChanged = Signal(str)
    indexingChanged = Signal(IndexingState)
    skippedChanged = Signal(object)  # list[(path, reason)]
    captionReady = Signal(int, str)
    captionsChanged = Signal(CaptionsState)
    modelsChecked = Signal(object)  # list of model descriptions
    modelProblem = Signal(str)
    emptyStateChanged = Signal(str)  # "", "indexing", "empty", "no-matches"
    answerShown = Signal()
    boardsChanged = Signal(object)  # list[BoardSummary], by name
    boardShown = Signal(object)  # the BoardSummary shown in the grid, or None
    boardEdited = Signal(BoardEdited)
    undoChanged = Signal(str)  # what Undo would undo ("" when nothing)
    exportProgressed = Signal(int, int)  # done, total
    exportFinished = Signal(object, str, str)  # ExportReport or None; else the message and its level

    def __init__(self, settings: Settings, thumbnails: ThumbnailLoader) -> None:
        super().__init__()
        self.settings = settings
        self.model = ResultsModel(thumbnails)
        self.model.pageNeeded.connect(self._page_needed)
        self.catalog: str | None = None
        self.query = self._blank_query()
        self.history = History()
        self.indexing = IndexingState()
        self.skipped: list[tuple[str, str]] = []
        self.facets: dict[str, list[FacetValue]] = {}
        self.library_facets: dict[str, list[FacetValue]] = {}  # the whole library's: what a board's filters offer
        self.library_total = 0
        self._ids = itertools.count(1)
        self._search_request = 0
        self._caption_request = 0
        self._background_request = 0
        self.background = CaptionsState()
        self.background_paused = False  # held by the stylist (kept across catalogs, like indexing's pause)
        self._index_request = 0
        self._cache: OrderedDict[Query, SearchAnswer | BrowseAnswer] = OrderedDict()
        self._last_browse_refresh = 0.0
        self._visible: list[int] = []  # grid rows in view, for captions
        self._detail_row: int | None = None  # the row the detail pane shows, captioned right after those in view
        self._attached = False
        self.waiting = False  # a question is out and its answer not shown yet
        self.paused = False  # indexing held by the stylist (also a run that has not started yet)
        self._index_when_shown = False
        self.boards: list[BoardSummary] = []
        self.board_shown: BoardSummary | None = None
        self._boards_request = 0
        self._edit_requests: dict[int, bool] = {}  # edit request id → it is an undo (not recorded again)
        self.undo_steps: list[BoardEdited] = []
        self._export_request = 0
        self._export_cancelled = False
        self._board_refresh = False
        self.give_way_timer = QTimer(self, singleShot=True, interval=GIVE_WAY_MS)
        self.give_way_timer.timeout.connect(self._after_giving_way)
        self._poll = QTimer(self, interval=BOARDS_POLL_MS)
        self._poll.timeout.connect(lambda: self._pollBoards.emit(self._boards_request))
        # Images given before a catalog was open (dropped, pasted or opened on the welcome), with their origin:
        # searched as soon as one is.
        self._waiting_images: tuple[tuple[QueryImage, ...], str] = ((), "")
        self._opened_note = ""  # what could not be opened, said again once the answer is shown
        self.answerShown.connect(self._say_opened_note)

    # -- wiring ------------------------------------------------------------------------------------------------
    def attach(self, workers: WorkerThreads) -> None:
        search, captions, index = workers.search.worker, workers.captions.worker, workers.index.worker
        self._openCatalog.connect(search.open_catalog)
        self._openCatalog.connect(captions.open_catalog)
        self._ask.connect(search.ask)
        self._fetchPage.connect(search.fetch_page)
        self._warmUp.connect(search.warm_up)
        self._refresh.connect(search.refresh)
        self._checkModels.connect(search.check_models)
        self._index.connect(index.index)
        self._caption.connect(captions.caption)
        self._captionCatalog.connect(captions.caption_catalog)
        self._countCaptions.connect(captions.count_captions)
        self._cancelSearch.connect(search.cancel, DIRECT)
        self._cancelCaptions.connect(captions.cancel, DIRECT)
        self._wantCaptions.connect(captions.want, DIRECT)
        self._cancelIndexing.connect(index.cancel, DIRECT)
        self._pauseIndexing.connect(index.pause, DIRECT)
        self._resumeIndexing.connect(index.resume, DIRECT)
        search.opened.connect(self._opened)
        search.searched.connect(self._searched)
        search.browsed.connect(self._browsed)
        search.paged.connect(self._paged)
        search.models.connect(self._models)
        captions.captioned.connect(self._captioned)
        captions.covered.connect(self._covered)
        index.progressed.connect(self._index_progress)
        index.finished.connect(self._index_done)
        boards, export = workers.boards.worker, workers.export.worker
        self._openBoards.connect(boards.open_catalog)
        self._showBoard.connect(boards.show)
        self._editBoard.connect(boards.edit)
        self._pollBoards.connect(boards.poll)
        self._export.connect(export.export)
        self._cancelExport.connect(export.cancel, DIRECT)
        boards.listed.connect(self._boards_listed)
        boards.shown.connect(self._board_shown)
        boards.edited.connect(self._board_edited)
        export.progressed.connect(self._export_progressed)
        export.exported.connect(self._exported)
        for worker in (search, captions, index, boards, export):
            worker.failed.connect(self._failed)
            worker.modelProblem.connect(self.modelProblem)
        self._attached = True
        self._checkModels.emit()

    def _next_id(self) -> int:
        return next(self._ids)

    def _blank_query(self) -> Query:
        return Query(
            origin="browse",
            k=self.settings.results_count,
            sort=self.settings.sort if self.settings.sort in SORTS else DEFAULT_SORT,
            collapse_duplicates=self.settings.collapse_duplicates,
        )

    # -- catalog and indexing ------------------------------------------------------------------------------------
    def open_catalog(self, folder: str, restore: Query | None = None) -> None:
        """Switch to `folder`: the old query, filters and history go (they belong to the old catalog)."""
        self.catalog = folder
        self.settings.remember_catalog(folder)
        self._cancelSearch.emit(self._search_request)
        self._wantCaptions.emit(folder, [])
        self._cancelCaptions.emit(max(self._caption_request, self._background_request))
        self._set_background(CaptionsState())
        self._cache.clear()
        self.history.clear()
        self.skipped = []
        self.facets, self.library_facets = {}, {}
        self.library_total = 0
        self.model.clear()
        self.catalogChanged.emit(folder)
        self.viewSummary.emit("")
        self.skippedChanged.emit(self.skipped)
        self.facetsChanged.emit(self.facets)
        request = self._next_id()
        self._openCatalog.emit(request, folder)
        self.boards, self.undo_steps = [], []
        self._set_board_shown(None)  # the old catalog's board leaves the panel, the strip and the title
        self.boardsChanged.emit(self.boards)
        self.undoChanged.emit("")
        self._boards_request = self._next_id()
        self._openBoards.emit(self._boards_request, folder)
        if self._attached:
            self._poll.start()
        self.set_query(restore or self._blank_query())
        self._warmUp.emit()
        # Indexing starts once the first view is on screen: its scan would otherwise compete with reading the
        # library for the first second, which is when the stylist looks.
        self._index_when_shown = True
        self._set_indexing(IndexingState("paused" if self.paused else "scanning"))
        self._search_waiting_images()  # images given on the welcome are asked now

    def start_indexing(self) -> None:
        if self.catalog is None or not self._attached:
            return
        self._cancelIndexing.emit(self._index_request)  # a run in progress (other catalog, or F5) stops first
        self._hold_background()  # indexing comes first; captioning the catalog starts again when it ends
        self._index_request = self._next_id()
        self._set_indexing(IndexingState("paused" if self.paused else "scanning"))
        self._index.emit(self._index_request, self.catalog)

    def pause_indexing(self) -> None:
        self.paused = True
        self._pauseIndexing.emit()
        if self.indexing.active:
            self._set_indexing(replace(self.indexing, phase="paused"))

    def resume_indexing(self) -> None:
        self.paused = False
        self._resumeIndexing.emit()
        if self.indexing.phase == "paused":
            self._set_indexing(replace(self.indexing, phase="running" if self.indexing.total else "scanning"))

    def cancel_indexing(self) -> None:
        self._cancelIndexing.emit(self._index_request)
        self.resume_indexing()  # a paused run ends at once; the next one is not held

    def _set_indexing(self, state: IndexingState) -> None:
        self.indexing = state
        self.indexingChanged.emit(state)
        self._update_empty_state()

    def _index_progress(self, progress: IndexingProgress) -> None:
        if progress.request_id != self._index_request:
            return
        phase = "paused" if self.paused else "running"
        self._set_indexing(
            IndexingState(
                phase, progress.done, progress.total, progress.failed, progress.rate, progress.eta_seconds, ""
            )
        )
        now = time.monotonic()
        if self.query.browsing and now - self._last_browse_refresh > BROWSE_REFRESH_SECONDS:
            self._last_browse_refresh = now  # photos appear in the library as they are indexed
            self._cache.clear()
            self._run(self.query, keep_position=True)

    def _index_done(self, done: IndexingDone) -> None:
        if done.request_id != self._index_request:
            return
        if done.cancelled:
            summary = f"Indexing cancelled: {done.indexed} of {done.to_index} photos read"
            phase = "cancelled"
        else:
            changes = f"{done.new} new, {done.changed} changed, {done.removed} removed"
            summary = f"Up to date: {changes}"
            phase = "done"
        self._set_indexing(IndexingState(phase, done.indexed, done.to_index, done.failed_now, summary=summary))
        self.skipped = done.skipped
        self.skippedChanged.emit(self.skipped)
        if done.store_changed:
            self._cache.clear()
            self._refresh.emit()  # the search index catches up (rebuilt if much changed) …
            self._run(self.query, keep_position=True)  # … then the question is asked again: new items, filters
        self._start_background()

    def _opened(self, opened: CatalogOpened) -> None:
        if opened.folder != self.catalog:
            return
        self.skipped = opened.skipped
        self.skippedChanged.emit(self.skipped)

    # -- asking ---------------------------------------------------------------------------------------------------
    def set_query(self, query: Query, *, record: bool = True, place: Place | None = None) -> None:
        """Show the answer to `query` (from the cache when Back/Forward or a repeat asks again), at `place` (else
        at its top)."""
        if record:
            self._leave_view()
        self.query = query
        self.model.return_to = place
        if record:
            self.history.push(query)
        self._remember_session()
        self.queryChanged.emit(query)
        self.historyChanged.emit(self.history.can_go(-1), self.history.can_go(1))
        self._run(query)

    def _leave_view(self) -> None:
        """Note where the stylist leaves the view on screen, for Back and Forward to return there (not while its
        answer is still awaited: the grid then shows an older view)."""
        if not self.waiting:
            self.history.leave(self.model.place)

    def _run(self, query: Query, keep_position: bool = False) -> None:
        if self.catalog is None:
            return
        if (query.images or query.item_ids) and not keep_position:
            self.message.emit("Searching…", "info")
        self._cancelSearch.emit(self._search_request)
        self._search_request = self._next_id()
        cached = self._cache.get(query) if query.board is None else None
        if cached is not None:
            self._cache.move_to_end(query)
            self._show(replace(cached, request_id=self._search_request))
            return
        self.model.keep_position = keep_position
        self.waiting = True
        if query.board is not None:
            self._board_refresh = keep_position  # after an edit: the edit's message stays on the status line
            self._showBoard.emit(self._search_request, query.board)  # never cached: boards change under it
        else:
            self._ask.emit(self._search_request, query)

    def ask_images(self, images: list[QueryImage], origin: str, note: str = "") -> None:
        """Search with these images; given before a catalog is open (on the welcome), they wait for one and the
        stylist is told so (`note`, what could not be opened, is said with it)."""
        if not images:
            return
        if self.catalog is None or not self._attached:
            self._waiting_images = (tuple(images), origin)
            if self.catalog is not None:
                return  # the catalog opens as the window starts: asked then
            names = ", ".join(shown(image.label) for image in images[:3])
            more = len(images) - 3
            wait = (
                f"Choose a catalog folder or the sample catalog: the search with {names}"
                f"{f' and {more} more' if more > 0 else ''} starts once it is open."
            )
            self.message.emit(f"{note} {wait}" if note else wait, "error" if note else "info")
            return
        self.set_query(replace(self.query, images=tuple(images), item_ids=(), origin=origin, board=None))

    def more_like(self, results: list[SearchResult]) -> None:
        images = [QueryImage(path=r.path, label=display_name(r), item_id=r.item_id) for r in results]
        self.ask_images(images, "more-like-this")

    def set_region(self, position: int, region: Region | None) -> None:
        images = list(self.query.images)
        if not 0 <= position < len(images):
            return
        images[position] = images[position].with_region(region)
        origin = self.query.origin.removesuffix("+region") + ("+region" if region is not None else "")
        self.set_query(replace(self.query, images=tuple(images), origin=origin))

    def remove_image(self, position: int) -> None:
        images = [image for index, image in enumerate(self.query.images) if index != position]
        self.set_query(replace(self.query, images=tuple(images), origin=self.query.origin if images else "browse"))

    def clear_images(self) -> None:
        """Back to browsing the library (filters and text stay)."""
        if self.query.images or self.query.item_ids or self.query.board is not None:
            self.set_query(replace(self.query, images=(), item_ids=(), origin="browse", board=None))

    def set_filters(self, filters: tuple[tuple[str, str], ...]) -> None:
        if filters != self.query.filters:
            self.set_query(replace(self.query, filters=filters, board=None))

    def clear_filters(self) -> None:
        if self.query.filters or self.query.text:
            self.set_query(replace(self.query, filters=(), text=""))

    def set_text(self, text: str) -> None:
        if text.strip() != self.query.text:
            self.set_query(replace(self.query, text=text.strip(), board=None))

    def set_sort(self, sort: str) -> None:
        self.settings.sort = sort
        if sort != self.query.sort:
            self.set_query(replace(self.query, sort=sort))

    def set_count(self, count: int) -> None:
        self.settings.results_count = count
        if count != self.query.k:
            self.set_query(replace(self.query, k=count), record=False, place=self.model.place)

    def set_collapse(self, collapse: bool) -> None:
        self.settings.collapse_duplicates = collapse
        if collapse != self.query.collapse_duplicates:
            self.set_query(replace(self.query, collapse_duplicates=collapse), record=False, place=self.model.place)

    def go(self, step: int) -> None:
        """Back (-1) or Forward (+1)."""
        if not self.history.can_go(step):
            return
        self._leave_view()
        query = self.history.go(step)
        if query is not None:
            self.set_query(query, record=False, place=self.history.place)

    # -- files opened from outside the window (Open with, a second launch, macOS's file-open event) ---------------
    def search_opened_files(self, images: Sequence[Path], note: str = "") -> None:
        """Search with images opened from outside the window, as one query, at once, or as soon as a catalog is
        open (on the welcome). `note` says what could not be opened; it is said again after the answer, whose own
        message would otherwise hide it at once."""
        if images:
            log.info("%d image(s) opened from outside the window", len(images))
            self.ask_images([QueryImage(path=path, label=path.name) for path in images], "open-with", note)
            if self.catalog is None:
                return  # the note was said with the wait
        if note:
            self.message.emit(note, "error")
            self._opened_note = note if self.waiting else ""

    def _search_waiting_images(self) -> None:
        images, origin = self._waiting_images
        if images and self.catalog is not None and self._attached:
            self._waiting_images = ((), "")
            log.info("searching with %d image(s) given before the catalog was open", len(images))
            self.ask_images(list(images), origin)

    def _say_opened_note(self) -> None:
        if self._opened_note:
            note, self._opened_note = self._opened_note, ""
            self.message.emit(note, "error")

    # -- answers -------------------------------------------------------------------------------------------------
    def _searched(self, answer: SearchAnswer) -> None:
        if answer.request_id == self._search_request:
            self._remember(answer)
            self._show(answer)

    def _browsed(self, answer: BrowseAnswer) -> None:
        if answer.request_id == self._search_request:
            self._remember(answer)
            self._show(answer)

    def _remember(self, answer: SearchAnswer | BrowseAnswer) -> None:
        self._cache[answer.query] = answer
        while len(self._cache) > CACHED_ANSWERS:
            self._cache.popitem(last=False)

    def _show(self, answer: SearchAnswer | BrowseAnswer) -> None:
        self.waiting = False
        self._set_board_shown(None)
        self.model.catalog = self.catalog or ""
        if isinstance(answer, BrowseAnswer):
            self.library_total = answer.view.total
            self.model.set_library(answer.request_id, answer.view.item_ids, answer.first_page)
            self.facets = answer.view.facets
            count = len(answer.view.item_ids)
            narrowed = answer.query.filters or answer.query.text
            shown = f"{count} of {answer.view.total} items" if narrowed else f"{count} items in the catalog"
            self._describe(shown + self._text_coverage(answer.query), "info")
        else:
            self.model.set_results(answer.request_id, answer.results)
            self.facets = answer.facets
            folded = sum(len(r.duplicates) for r in answer.results)
            extra = f" ({folded} near-duplicates folded)" if folded else ""
            coverage = self._text_coverage(answer.query)
            self._describe(
                f"{len(answer.results)} similar items{extra}{coverage}", "success" if answer.results else "info"
            )
        if not answer.query.filters and not answer.query.text:
            self.library_facets = self.facets  # counted over the whole library (an image query's too)
        self.facetsChanged.emit(self.facets)
        self._update_empty_state()
        self.answerShown.emit()
        self._start_pending_indexing()

    def _describe(self, text: str, level: str, *, say: bool = True) -> None:
        """A new view: said as a message (unless `say` is False), and kept on the status line after it."""
        self.viewSummary.emit(text)
        if say:
            self.message.emit(text, level)

    def _start_pending_indexing(self) -> None:
        if self._index_when_shown:
            self._index_when_shown = False
            self.start_indexing()

    def _paged(self, page: PageAnswer) -> None:
        self.model.add_page(page.request_id, page.offset, page.results)
        shown = {*self._visible, *([] if self._detail_row is None else [self._detail_row])}
        if set(range(page.offset, page.offset + len(page.results))) & shown:
            self.caption_rows(self._visible)  # tiles in view (or in the detail pane) got their details: caption them

    def _page_needed(self, request_id: int, offset: int, item_ids: object) -> None:
        if request_id == self.model.request_id and isinstance(item_ids, list):
            self._fetchPage.emit(request_id, offset, item_ids)

    def _update_empty_state(self) -> None:
        if self.catalog is None or self.model.rowCount() > 0:
            state = ""
        elif self.query.filters or self.query.text:
            state = "no-matches"
        elif self.query.board is not None:
            state = "empty-board"
        elif self.indexing.active:
            state = "indexing"
        else:
            state = "empty" if self.query.browsing else "no-matches"
        self.emptyStateChanged.emit(state)

    # -- captions ------------------------------------------------------------------------------------------------
    def caption_rows(self, visible: list[int]) -> None:
        """Ask for captions: the shown tiles first, then (for a search) the rest of the results. A background run
        is cancelled and asked for again after them: it resumes where it stopped."""
        self._visible = list(visible)
        if not self._attached:
            return
        wanted: list[int] = []
        if self.settings.captions:
            rows = list(visible)
            if self._detail_row is not None and self._detail_row not in rows:
                rows.append(self._detail_row)
            if not self.model.browsing:
                asked = set(rows)
                rows += [row for row in range(self.model.rowCount()) if row not in asked]
            wanted = self.model.uncaptioned(rows)
        self._wantCaptions.emit(self.catalog or "", wanted)  # a cancelled batch of anything else stops at once
        if not wanted:
            return
        self._cancelCaptions.emit(max(self._caption_request, self._background_request))
        self._caption_request = self._next_id()
        self._caption.emit(self._caption_request, wanted)
        if self.background.phase == "running" and not self.give_way_timer.isActive():
            self._ask_background()

    def set_detail_row(self, row: int | None) -> None:
        """The detail pane shows this row: its caption is wanted even when its tile is out of view (Back returned
        to a view whose current tile is scrolled away)."""
        changed = row != self._detail_row
        self._detail_row = row
        if changed and row is not None and row not in self._visible and self.model.uncaptioned([row]):
            self.caption_rows(self._visible)

    def give_way(self) -> None:
        """The grid scrolls: the background run stops (at once, unless its batch is of tiles in view) and starts
        again GIVE_WAY_MS after the last scroll, so that painting new tiles has the cores and the GIL to itself
        (scrolling the 44k grid, background captions added 10-15 ms to the worst stall). The shown tiles' captions,
        cancelled with it (one cancellation ends every older request), are asked for again at once."""
        if self.background.phase != "running":
            return
        held = self.give_way_timer.isActive()
        self.give_way_timer.start()
        if not held:
            self._cancelCaptions.emit(max(self._caption_request, self._background_request))
            self.caption_rows(self._visible)

    def _after_giving_way(self) -> None:
        if self.background.phase == "running":
            self._ask_background()

    def stop_captions(self) -> None:
        self._wantCaptions.emit(self.catalog or "", [])
        self._cancelCaptions.emit(self._caption_request)

    def _captioned(self, ready: CaptionReady) -> None:
        self.model.set_caption(ready.item_id, ready.caption)  # any request's caption is a valid caption
        self.captionReady.emit(ready.item_id, ready.caption)

    # -- boards ---------------------------------------------------------------------------------------------------
    def open_board(self, board_id: int) -> None:
        """Show a board's items in the grid: a step in the history like any query (Back returns)."""
        if self.query.board != board_id:
            self.set_query(replace(self._blank_query(), origin="board", board=board_id))

    def board_named(self, board_id: int | None) -> BoardSummary | None:
        return next((board for board in self.boards if board.board_id == board_id), None)

    @property
    def board_target(self) -> BoardSummary | None:
        """The board B adds to: the last one added to in this catalog, if it still exists and is not the one shown
        (None: ask)."""
        target = self.board_named(self.settings.board_targets.get(self.catalog or ""))
        shown = self.board_shown
        return None if target is None or (shown is not None and shown.board_id == target.board_id) else target

    def edit_board(self, edit: BoardEdit, *, undo: bool = False) -> None:
        """Send an edit to the boards worker; its answer says what happened and how to undo it."""
        if self.catalog is None or not self._attached:
            return
        request = self._next_id()
        self._edit_requests[request] = undo
        self._editBoard.emit(request, edit)

    def add_to_board(self, board_id: int, items: ItemsToAdd) -> None:
        if len(items):
            self.edit_board(AddToBoard(board_id, items))

    def create_board(self, name: str, items: ItemsToAdd = ItemsToAdd()) -> None:  # noqa: B008 (frozen, empty)
        self.edit_board(CreateBoard(name, items))

    def undo(self) -> None:
        if self.undo_steps:
            step = self.undo_steps.pop()
            self.undoChanged.emit(self.undo_label)
            assert step.undo is not None
            self.edit_board(step.undo, undo=True)  # type: ignore[arg-type]

    @property
    def undo_label(self) -> str:
        return self.undo_steps[-1].undo_label if self.undo_steps else ""

    def _boards_listed(self, listed: BoardsListed) -> None:
        if listed.folder != self.catalog:
            return
        self.boards = listed.boards
        self.boardsChanged.emit(self.boards)
        shown = self.query.board
        if shown is not None and listed.changed_elsewhere:
            self._run(self.query, keep_position=True)  # the command line edited what is on screen

    def _board_shown(self, shown: BoardShown) -> None:
        if shown.request_id != self._search_request:
            return
        self.waiting = False
        self.model.catalog = self.catalog or ""
        self.model.set_board(shown.request_id, shown.board.board_id, shown.cards)
        self._set_board_shown(shown.board)
        self.facets = self.library_facets  # a filter chosen on a board filters the library (the board is left)
        self.facetsChanged.emit(self.facets)
        missing = f", {shown.missing} missing" if shown.missing else ""
        count = len(shown.cards)
        text = f"Board “{shown.board.name}”: {count} item{'' if count == 1 else 's'}{missing}"
        self._describe(text, "info", say=not self._board_refresh)  # an edit's own message stays
        self._update_empty_state()
        self.answerShown.emit()
        self._start_pending_indexing()

    def _set_board_shown(self, board: BoardSummary | None) -> None:
        if board != self.board_shown:
            self.board_shown = board
            self.boardShown.emit(board)

    def _board_edited(self, done: BoardEdited) -> None:
        undoing = self._edit_requests.pop(done.request_id, None)
        if undoing is None:
            return  # another window's (there is none) or a forgotten request
        self.message.emit(done.text, done.level)
        if not undoing and done.undo is not None:
            self.undo_steps = [*self.undo_steps[-UNDO_STEPS + 1 :], done]
            self.undoChanged.emit(self.undo_label)
        if not done.board_gone and isinstance(done.undo, RemoveFromBoard | DeleteBoard):
            self.settings.board_targets[self.catalog or ""] = done.board_id  # B adds there next time
        if self.query.board == done.board_id:
            if not done.board_gone:
                self._run(self.query, keep_position=True)
            elif self.history.can_go(-1):
                self.go(-1)
            else:
                self.set_query(self._blank_query())
        self.boardEdited.emit(done)

    def stop(self) -> None:
        """The window is closing: no more polling of the boards (the workers are stopped next)."""
        self._poll.stop()

    # -- exporting a board -------------------------------------------------------------------------------------------
    def export_board(self, board_id: int, out: Path, options: LookbookOptions | None) -> int:
        """Write a board to `out` (.pdf, .png or .zip) on the export thread; returns the request id."""
        if self.catalog is None or not self._attached:
            return 0
        self._cancelExport.emit(self._export_request)
        self._export_request = self._next_id()
        self._export_cancelled = False
        self._export.emit(ExportRequest(self._export_request, Path(self.catalog), board_id, out, options))
        return self._export_request

    def cancel_export(self) -> None:
        self._export_cancelled = True
        self._cancelExport.emit(self._export_request)

    def _export_progressed(self, request_id: int, done: int, total: int) -> None:
        if request_id == self._export_request:
            self.exportProgressed.emit(done, total)

    def _exported(self, request_id: int, report: object) -> None:
        if request_id == self._export_request:
            self.exportFinished.emit(report, "", "success")

    def set_background_captions(self, enabled: bool) -> None:
        """The setting: caption the whole catalog after indexing, or only what is shown."""
        self.settings.background_captions = enabled
        if enabled:
            self._start_background()
        else:
            self._stop_background("off")

    def pause_background_captions(self) -> None:
        self.background_paused = True
        self._stop_background("paused")

    def resume_background_captions(self) -> None:
        self.background_paused = False
        self._start_background()

    def _start_background(self) -> None:
        """After indexing: the rest of the catalog, at the lowest priority (only counted when turned off, paused or
        while indexing runs, so that text search can say how much it covers)."""
        if self.catalog is None or not self._attached or self.background.phase == "running":
            return
        if self.indexing.active:
            phase = "idle"
        elif not self.settings.background_captions:
            phase = "off"
        elif self.background_paused:
            phase = "paused"
        else:
            self._set_background(replace(self.background, phase="running"))
            self._ask_background()
            return
        self._set_background(replace(self.background, phase=phase))
        self._background_request = self._next_id()
        self._countCaptions.emit(self._background_request)

    def _ask_background(self) -> None:
        self._background_request = self._next_id()
        self._captionCatalog.emit(self._background_request)

    def _stop_background(self, phase: str) -> None:
        """Cancel the background run (with the one cancellation, which also ends older requests: the shown tiles
        are asked for again)."""
        if self.background.phase == "running":
            self._cancelCaptions.emit(self._background_request)
            self._set_background(replace(self.background, phase=phase))
            self.caption_rows(self._visible)
        elif self.background.phase != "done":
            self._set_background(replace(self.background, phase=phase))

    def _hold_background(self) -> None:
        if self.background.phase == "running":
            self._stop_background("idle")

    def _covered(self, coverage: CaptionCoverage) -> None:
        if coverage.request_id != self._background_request:
            return
        complete = coverage.captioned >= coverage.total
        phase = "done" if complete and self.background.phase in ("running", "idle") else self.background.phase
        self._set_background(CaptionsState(phase, coverage.captioned, coverage.total, known=True))

    def _set_background(self, state: CaptionsState) -> None:
        self.background = state
        self.captionsChanged.emit(state)

    def _text_coverage(self, query: Query) -> str:
        """What text search covers of the captions, said while not every item has one."""
        state = self.background
        if not query.text or not state.known or state.captioned >= state.total:
            return ""
        return f" ({state.coverage} searched)"

    # -- the rest ------------------------------------------------------------------------------------------------
    def _failed(self, request_id: int, text: str) -> None:
        if request_id == self._search_request:
            self.waiting = False
            self._start_pending_indexing()
        if request_id and request_id == self._export_request:
            self.exportFinished.emit(None, text, "info" if self._export_cancelled else "error")
            return  # the export's own line says it
        if self._edit_requests.pop(request_id, None) is not None and self.query.board is not None:
            self._run(self.query, keep_position=True)  # a board changed elsewhere: show what it is now
        if request_id == self._index_request:
            self._set_indexing(IndexingState("failed", summary=text))
        if request_id == self._background_request and self.background.phase == "running":
            self._set_background(replace(self.background, phase="idle"))  # asked again after the next indexing
        self.message.emit(text, "error")

    def _models(self, checked: ModelsChecked) -> None:
        self.modelsChecked.emit(checked.models)

    def _remember_session(self) -> None:
        """The query is saved with the settings, so the next launch comes back to it (file images only: pasted
        pictures are not kept)."""
        query = self.query
        self.settings.session = {
            "catalog": self.catalog,
            "images": [
                {"path": str(i.path), "item_id": i.item_id, "region": _region_list(i.region)}
                for i in query.images
                if i.path is not None
            ],
            "filters": [list(pair) for pair in query.filters],
            "text": query.text,
        }

    def restored_query(self, folder: str) -> Query | None:
        """The query of the last session, if it was on this catalog."""
        session: dict[str, Any] = self.settings.session if isinstance(self.settings.session, dict) else {}
        if session.get("catalog") != folder:
            return None
        images = []
        for entry in _as_list(session.get("images")):
            if not isinstance(entry, dict):
                continue
            path = Path(str(entry.get("path")))
            if path.is_file():
                region = entry.get("region")
                item_id = entry.get("item_id")
                images.append(
                    QueryImage(
                        path=path,
                        label=path.name,
                        item_id=item_id if isinstance(item_id, int) else None,
                        region=Region(*region) if isinstance(region, list) and len(region) == 4 else None,
                    )
                )
        filters = tuple(
            (str(pair[0]), str(pair[1]))
            for pair in _as_list(session.get("filters"))
            if isinstance(pair, list) and len(pair) == 2
        )
        return replace(
            self._blank_query(),
            images=tuple(images),
            origin="restored" if images else "browse",
            filters=filters,
            text=str(session.get("text", "")),
        )


def _as_list(value: object) -> list[Any]:
    """Settings are a file the stylist (or an older version) may have written: anything else counts as empty."""
    return value if isinstance(value, list) else []


def _region_list(region: Region | None) -> list[float] | None:
    return None if region is None else [region.left, region.top, region.width, region.height]
