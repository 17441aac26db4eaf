"""One catalog: the store, the indexer, the search index and the caption cache behind one object."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
from PIL import Image

from fashion_desktop.catalog.browse import Library
from fashion_desktop.catalog.fields import COLUMNS, FACETS, FOLDER_FILTER, field_named
from fashion_desktop.catalog.indexer import INDEX_BATCH, IndexControl, Indexer, IndexProgress, IndexReport
from fashion_desktop.catalog.query import LibraryView, Query, QueryImage, Region, SearchResult
from fashion_desktop.catalog.scan import content_hash
from fashion_desktop.catalog.search import ExactIndex, SearchHit, combine_queries
from fashion_desktop.catalog.store import CatalogStore, Item, store_dir_for
from fashion_desktop.catalog.styles import StylesReport, find_styles_file, open_styles, styles_identity
from fashion_desktop.imaging import ImageSource, load_rgb
from fashion_desktop.models.captioner import Captioner, CaptioningStopped, CaptionStop
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import AppPaths

log = logging.getLogger("fashion_desktop.catalog")

MIN_REGION_PIXELS = 16
DUPLICATE_SIMILARITY = 0.97  # results at least this alike are near-duplicates when the window collapses them


class CatalogMissingError(FileNotFoundError):
    """The catalog folder does not exist or is not a folder."""


class Catalog:
    """Not thread-safe; each worker thread opens its own Catalog on the same folder (the store is shared).

    Open one with `Catalog.open`: the command line, the self-test and the workers all do it that way.
    """

    def __init__(self, root: Path, embedder: ImageEmbedder, store: CatalogStore):
        self.root = root
        self.embedder = embedder
        self.store = store
        self._index: ExactIndex | None = None
        self._index_lock = threading.Lock()
        self._data_version = -1  # the store's PRAGMA data_version when the search index was last brought up to date
        self._damage_noted = 0  # damaged vectors the search index had found when the store was last told
        self.caption_model: str | None = None  # model id of the captioner in use, keys the caption cache
        self._library: Library | None = None
        self._library_stamp: tuple[int, int] = (-1, -1)

    @classmethod
    def open(
        cls, root: Path, paths: AppPaths, *, embedder: ImageEmbedder | None = None, threads: int | None = None
    ) -> Catalog:
        """The catalog of folder `root`, its store in the data directory; the image model found on the models
        search path unless an `embedder` is shared in."""
        root = root.expanduser()
        if not root.is_dir():
            raise CatalogMissingError(f"catalog folder not found: {root}")
        root = root.resolve()
        if embedder is None:
            embedder = ImageEmbedder.from_paths(paths, threads=threads)
        store = CatalogStore(store_dir_for(paths.catalogs_dir, root), root, embedder.identity, embedder.dimension)
        return cls(root, embedder, store)

    def close(self) -> None:
        self.store.close()

    # -- indexing -------------------------------------------------------------------------------------------
    def index(
        self,
        control: IndexControl | None = None,
        on_progress: Callable[[IndexProgress], None] | None = None,
        batch_size: int | None = None,
        on_styles: Callable[[StylesReport], None] | None = None,
    ) -> IndexReport:
        """Bring the catalog up to date. styles.csv first, and only when it changed (`on_styles` hears of it at
        once), so metadata filters work while the photos are being embedded. `batch_size`: images the model
        embeds at once (INDEX_BATCH unless given)."""
        with self.store.writing():
            styles = self.import_styles()
            if styles is not None and on_styles is not None:
                on_styles(styles)
            report = Indexer(self.store, self.embedder, batch_size=batch_size or INDEX_BATCH).run(control, on_progress)
            report.styles = styles
            self.store.refresh_text(self.store.ids_missing_text(), self.caption_model or "")
        self._index = None
        if not report.cancelled:
            self.search_index()  # its tree is cached beside the vectors now, in the background, not at the first search
        return report

    def import_styles(self) -> StylesReport | None:
        """Import styles.csv when it changed since the last import; None when it did not (or there is none).
        A file that cannot be used is reported and the metadata imported before is kept."""
        path = find_styles_file(self.root)
        try:
            source = styles_identity(path) if path is not None else None
        except OSError:
            source = None
        if source == self.store.styles_source():
            return None
        if path is None or source is None:
            log.info("%s: no styles.csv any more; metadata cleared", self.root)
            self.store.replace_styles([], None)
            self.store.rebuild_text_index(self.caption_model or "")
            return None
        try:
            reader = open_styles(path)
        except OSError as exc:
            report = StylesReport(file=str(path), error=f"cannot be read: {exc}")
            log.warning(report.summary())
            return report
        with reader:
            if reader.report.error is None:
                self.store.replace_styles(reader.rows(), source)
                self.store.rebuild_text_index(self.caption_model or "")
        report = reader.report
        log.log(logging.WARNING if report.error or report.unreadable else logging.INFO, report.summary())
        return report

    # -- searching ------------------------------------------------------------------------------------------
    def search_index(self) -> ExactIndex:
        with self._index_lock:
            if self._index is None:
                self._data_version = self.store.data_version()
                ids, rows = self.store.load_vector_rows()
                vectors = self.store.vectors  # the file of that snapshot, read row by row (nothing is loaded whole)
                cache = self.store.search_cache_path(vectors.file_id) if vectors.file_id else None
                self._index = ExactIndex(ids, vectors, rows=rows, cache=cache).build()
            return self._index

    def refresh_search_index(self, rebuild_when_stale: float = 0.3) -> None:
        """Bring the search index up to date with commits made by another thread (e.g. indexing running):
        new items go to the brute-force delta, removed ones are masked; a rebuild when too much is outside
        the tree."""
        if self._index is None:
            return
        version = self.store.data_version()
        if version == self._data_version:
            return
        self._data_version = version
        if self.store.vector_file_id() != self._index.file_id:  # compacted or migrated: rows renumbered
            self._index = None
            self.search_index()
            return
        current, members = self.store.indexed_ids(), self._index.member_ids()
        self._index.remove(members - current)
        ids, vectors = self.store.load_vectors_for(sorted(current - members))
        self._index.add(ids, vectors)
        if self._index.stale_fraction > rebuild_when_stale and len(current) >= self._index.settings.min_tree_items:
            self._index = None
            self.search_index()

    def run_query(self, query: Query) -> list[SearchResult]:
        """Answer a window query: query images (each optionally cut to a region drawn on it; catalog items by
        their stored vector unless a region of them is asked for) and/or catalog items, with the query's filters
        (several values of one field: any of them) and text."""
        self.refresh_search_index()
        index = self.search_index()
        parts = []
        to_embed = []
        for image in query.images:
            vector = index.vector_of(image.item_id) if image.item_id is not None and image.region is None else None
            if vector is not None:
                parts.append(vector[None, :])
            else:
                to_embed.append(_query_pixels(image, image.region))
        if to_embed:
            parts.append(self.embedder.embed(to_embed))
        for item_id in query.item_ids:
            vector = index.vector_of(item_id)
            if vector is None:
                raise ValueError("that item is no longer in the catalog")
            parts.append(vector[None, :])
        if not parts:
            if not query.text:
                raise ValueError("nothing to search with")
            return self.text_results(query.text, query.k, dict(query.filters))
        exclude = self.items_matching([image.path for image in query.images if image.path is not None])
        exclude += [*query.item_ids, *(image.item_id for image in query.images if image.item_id is not None)]
        text_ids = self.store.text_matches(query.text) if query.text.strip() else None
        allowed = self.library().allowed(query.filter_values(), text_ids)
        combined = combine_queries(np.concatenate(parts))
        wanted = query.k * 4 + 50 if query.collapse_duplicates else query.k
        hits = index.search(combined, wanted, allowed=allowed, exclude=exclude)
        self._note_damage(index)
        return self._collapsed(hits, query.k) if query.collapse_duplicates else self._results_for(hits)

    def _collapsed(self, hits: Sequence[SearchHit], k: int) -> list[SearchResult]:
        """The best `k` hits that are not near-duplicates of a better one, each with the ids folded into it."""
        index = self.search_index()
        groups: list[tuple[SearchHit, np.ndarray, list[int]]] = []
        for hit in hits:
            vector = index.vector_of(hit.item_id)
            if vector is None:
                continue
            group = next((g for g in groups if float(vector @ g[1]) >= DUPLICATE_SIMILARITY), None)
            if group is not None:
                group[2].append(hit.item_id)
            elif len(groups) < k:
                groups.append((hit, vector, []))
        folded = {hit.item_id: tuple(duplicates) for hit, _, duplicates in groups}
        results = self._results_for([hit for hit, _, _ in groups])
        return [replace(result, duplicates=folded.get(result.item_id, ())) for result in results]

    def search_vectors(
        self,
        queries: np.ndarray,
        k: int = 10,
        *,
        filters: dict[str, str] | None = None,
        exclude: Sequence[int] = (),
        text: str | None = None,
    ) -> list[SearchResult]:
        """Items most like all of `queries` (unit vectors), best first."""
        allowed = self.allowed_ids(filters or {}, text)
        query = combine_queries(queries)
        if not np.all(np.isfinite(query)):
            raise ValueError("the image model could not describe this query image (it gave invalid numbers)")
        index = self.search_index()
        hits = index.search(query, k, allowed=allowed, exclude=exclude)
        self._note_damage(index)
        return self._results_for(hits)

    def _note_damage(self, index: ExactIndex) -> None:
        """Damaged vectors a search found were left out of its answer; the store hears of them once, so the next
        indexing checks every row and embeds those items again."""
        if len(index.damaged) > self._damage_noted:
            self._damage_noted = len(index.damaged)
            self.store.note_vector_damage()

    def search_images(
        self,
        images: Sequence[ImageSource],
        k: int = 10,
        *,
        filters: dict[str, str] | None = None,
        text: str | None = None,
    ) -> list[SearchResult]:
        """Embed the query images and search; a query image that is itself in the catalog is left out."""
        vectors = self.embedder.embed(images)
        return self.search_vectors(vectors, k, filters=filters, exclude=self.items_matching(images), text=text)

    def items_matching(self, images: Sequence[ImageSource]) -> list[int]:
        """Catalog items that are these query images: the same file (by path) or the same content (files only)."""
        hashes, paths = set(), set()
        for image in images:
            if not isinstance(image, (str, Path)):
                continue
            path = Path(image).absolute()
            if path.is_relative_to(self.root):
                paths.add(path.relative_to(self.root).as_posix())
            try:
                hashes.add(content_hash(path))
            except OSError:
                continue
        return sorted(set(self.store.ids_with_hashes(hashes)) | set(self.store.ids_with_paths(paths)))

    def text_results(self, text: str, k: int, filters: dict[str, str]) -> list[SearchResult]:
        """Items whose caption or product name match, best match first (no similarity score)."""
        allowed = self.allowed_ids(filters)
        ids = [i for i in self.store.text_search(text, limit=max(k * 5, 200)) if allowed is None or i in allowed]
        return self._results_for([SearchHit(i, float("nan")) for i in ids[:k]])

    def allowed_ids(self, filters: dict[str, str], text: str | None = None) -> set[int] | None:
        """Items passing every filter (a folder, or a metadata field by column or styles.csv header) and the text
        search; None when nothing restricts."""
        allowed: set[int] | None = None
        for name, value in filters.items():
            if name == FOLDER_FILTER:
                ids = self.store.ids_under(value)
            else:
                found = field_named(name)
                if found is None:
                    raise ValueError(f"unknown filter {name!r}; use {FOLDER_FILTER} or one of: {', '.join(COLUMNS)}")
                ids = self.store.ids_matching(found.column, value)
            allowed = ids if allowed is None else allowed & ids
        if text:
            ids = set(self.store.text_search(text, limit=100_000))
            allowed = ids if allowed is None else allowed & ids
        return allowed

    def _results_for(self, hits: Sequence[SearchHit]) -> list[SearchResult]:
        """Hits → results with path, metadata and cached caption; items gone since the search are dropped. The
        captions are one query, not one per tile: each query gives the GIL away and waits to get it back."""
        ids = [hit.item_id for hit in hits]
        items = self.store.items(ids)
        styles = self.store.styles_for(ids)
        model = self.caption_model
        hashes = [item.content_hash for item in items.values() if item.content_hash]
        captions = self.store.captions_for_hashes(hashes, model) if model else {}
        results = []
        for hit in hits:
            item = items.get(hit.item_id)
            if item is None:
                continue
            caption = captions.get(item.content_hash) if item.content_hash else None
            results.append(SearchResult(item.id, self.root / item.path, hit.score, styles.get(item.id, {}), caption))
        return results

    # -- captions -------------------------------------------------------------------------------------------
    def use_captioner(self, captioner: Captioner) -> None:
        self.caption_model = captioner.identity

    def captions_for(
        self, item_ids: Sequence[int], captioner: Captioner, stop: CaptionStop | None = None
    ) -> dict[int, str]:
        """Captions of these items: cached ones at once, the others generated (as one batch) and cached. When
        `stop` is stopped, CaptioningStopped is raised and nothing new is cached."""
        self.use_captioner(captioner)
        model = self.caption_model or ""
        items = self.store.items(item_ids)
        cache = self.store.captions_for_hashes([i.content_hash for i in items.values() if i.content_hash], model)
        found: dict[int, str] = {}
        missing: list[Item] = []
        for item in (items[i] for i in item_ids if i in items):
            cached = cache.get(item.content_hash) if item.content_hash else None
            if cached is not None:
                found[item.id] = cached
            elif item.content_hash:
                missing.append(item)
        if missing:
            written = _caption_each_readable(captioner, [(item, self.root / item.path) for item in missing], stop)
            self.store.store_captions(model, [(item.content_hash or "", text) for item, text in written])
            found |= {item.id: text for item, text in written}
        return found

    def uncaptioned(self, captioner: Captioner, after: int = 0, limit: int | None = None) -> list[int]:
        """Indexed items with no caption by this captioner yet, oldest first (after item id `after`, at most
        `limit`): where captioning everything resumes (the captions already written are kept in the store across
        launches)."""
        self.use_captioner(captioner)
        return self.store.uncaptioned_ids(self.caption_model or "", after, limit)

    def uncaptioned_count(self, captioner: Captioner) -> int:
        self.use_captioner(captioner)
        return self.store.uncaptioned_count(self.caption_model or "")

    def caption_all(
        self,
        captioner: Captioner,
        control: IndexControl | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        batch_size: int = 8,
        todo: Sequence[int] | None = None,
        on_captions: Callable[[dict[int, str]], None] | None = None,
        stop_for: Callable[[Sequence[int]], CaptionStop] | None = None,
    ) -> int:
        """The low-priority "caption everything" job over `todo` (default: every item not captioned yet, listed a
        batch at a time from the store): batches, pausable and cancellable between batches; `on_captions` gets each
        batch's new captions by item id; `on_progress(done, total)`. `stop_for(batch's item ids)` gives the stop of
        a batch, for a caller that stops one halfway: what it had done is dropped and it is not counted."""
        control = control or IndexControl()
        batches: Iterator[Sequence[int]]
        if todo is None:
            total, batches = self.uncaptioned_count(captioner), self._uncaptioned_batches(captioner, batch_size)
        else:
            total, batches = len(todo), (todo[start : start + batch_size] for start in range(0, len(todo), batch_size))
        done = 0
        while True:
            control.wait_while_paused()
            if control.cancelled:
                break
            batch = next(batches, None)
            if not batch:
                break
            try:
                captions = self.captions_for(batch, captioner, stop_for(batch) if stop_for else None)
            except CaptioningStopped:
                break
            except (OSError, ValueError) as exc:  # a file vanished or broke since indexing: skip it
                log.warning("captioning batch failed: %s", exc)
                captions = {}
            done += len(batch)
            if on_captions is not None and captions:
                on_captions(captions)
            if on_progress is not None:
                on_progress(done, total)
        return done

    def _uncaptioned_batches(self, captioner: Captioner, batch_size: int) -> Iterator[list[int]]:
        """The items not captioned yet, oldest first, one batch per query, each after the last one handed out (an
        item whose captioning failed is not tried again in the same run)."""
        after = 0
        while batch := self.uncaptioned(captioner, after, batch_size):
            yield batch
            after = batch[-1]

    def facets(self) -> dict[str, list[str]]:
        """Distinct metadata values per filterable field, for the window's filter menus."""
        return {field.column: self.store.distinct_values(field.column) for field in FACETS}

    def status(self) -> dict[str, object]:
        counts = self.store.counts()
        return {
            "catalog": str(self.root),
            "store": str(self.store.folder),
            "items": sum(counts.values()),
            "indexed": counts.get("ok", 0),
            "pending": counts.get("pending", 0),
            "failed": counts.get("error", 0),
            "styles": self.store.styles_count(),
            "captions": self.store.captions_count(),
            "model": self.store.model_id,
        }

    # -- browsing: the window's library view -------------------------------------------------------------------
    def library(self) -> Library:
        """The ordered, filterable table of indexed items; rebuilt when anything was committed since."""
        stamp = self.store.change_stamp()
        if self._library is None or stamp != self._library_stamp:
            self._library = Library(self.store.library_rows())
            self._library_stamp = stamp
        return self._library

    def browse(self, query: Query) -> LibraryView:
        """The library without an image: the query's filters and text, in its sort order, with filter counts."""
        text_ids = self.store.text_matches(query.text) if query.text.strip() else None
        return self.library().view(query.filter_values(), text_ids, query.sort)

    def page(self, item_ids: Sequence[int]) -> list[SearchResult]:
        """Tile details (path, metadata, cached caption) of these items, for the rows scrolled into view."""
        return self._results_for([SearchHit(int(i), float("nan")) for i in item_ids])

    def skipped_files(self) -> list[tuple[str, str]]:
        """Every file the catalog could not index, with the reason, whichever run found it."""
        return [(item.path, item.error or "unreadable") for item in self.store.items_with_status("error")]


def _caption_each_readable(
    captioner: Captioner, items: Sequence[tuple[Item, Path]], stop: CaptionStop | None
) -> list[tuple[Item, str]]:
    """Captions for these items as one batch; when a file cannot be decoded, the others are still captioned (one
    by one) and the bad one is left out, to be tried again next time."""
    try:
        texts = captioner.caption([path for _, path in items], stop=stop)
        return [(item, text) for (item, _), text in zip(items, texts, strict=True)]
    except ValueError as exc:  # ImageDecodeError, or a picture the model's preprocessing refuses
        if len(items) == 1:
            log.warning("not captioned: %r: %s", str(items[0][1]), exc)
            return []
    written = []
    for pair in items:
        written += _caption_each_readable(captioner, [pair], stop)
    return written


def _query_pixels(query_image: QueryImage, region: Region | None) -> Image.Image:
    """The query image, upright, cropped to the region drawn on it; refuses slivers too small to describe."""
    image = load_rgb(query_image.source)
    if region is None:
        return image
    box = region.clamped()
    left, top = round(box.left * image.width), round(box.top * image.height)
    right, bottom = round((box.left + box.width) * image.width), round((box.top + box.height) * image.height)
    if right - left < MIN_REGION_PIXELS or bottom - top < MIN_REGION_PIXELS:
        raise ValueError("the selected region is too small; drag a larger rectangle")
    return image.crop((left, top, right, bottom))
