"""The catalog side of the window: browsing the library (orders, multi-select filters with counts, folders),
text search over every field with word forms, regions on catalog items, near-duplicate collapse."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.catalog.query import Query, QueryImage, Region
from fashion_desktop.catalog.store import DB_FILE, store_dir_for
from fashion_desktop.models.embedder import ImageEmbedder
from fashion_desktop.paths import AppPaths
from tests.images import gradient

HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"
ROWS = [
    "a1,Men,Footwear,Shoes,Formal Shoes,Black,Winter,2016,Formal,Oxford Lace-Ups",
    "a2,Women,Footwear,Shoes,Casual Shoes,White,Summer,2017,Casual,Canvas Shoe",
    "b1,Women,Apparel,Topwear,Tops,Red,Summer,2017,Casual,Zebra Print Top",
    "b2,Women,Apparel,Topwear,Tops,Blue,Summer,2012,Party,Blue Pantalón Top",
    "c1,Men,Accessories,Bags,Handbags,Red,Fall,2015,Casual,Alpha Tote",
]


@pytest.fixture
def library(tmp_path: Path, app_paths: AppPaths, tiny_models: Path) -> Iterator[Catalog]:
    """Five items in three folders (one nested), with styles.csv; a sixth file with no metadata."""
    root = tmp_path / "catalog"
    for folder, stems in {"shoes": ["a1", "a2"], "tops/summer": ["b1", "b2"], "": ["c1", "plain"]}.items():
        (root / folder).mkdir(parents=True, exist_ok=True)
        for stem in stems:
            gradient(120 + len(stem) * 7, 150, seed=hash(stem) % 1000).save(root / folder / f"{stem}.jpg")
    (root / "styles.csv").write_text("\n".join([HEADER, *ROWS]) + "\n")
    # Modification times in a known order: c1 newest, a1 oldest.
    for age, stem in enumerate(["c1", "plain", "b2", "b1", "a2", "a1"]):
        path = next(root.rglob(f"{stem}.jpg"))
        os.utime(path, (time.time() - 100 * age, time.time() - 100 * age))
    catalog = Catalog.open(root, app_paths, embedder=ImageEmbedder(tiny_models / "resnet50", variant="fp32"))
    catalog.index()
    yield catalog
    catalog.close()


def names(catalog: Catalog, ids: list[int]) -> list[str]:
    return [Path(r.path).stem for r in catalog.page(ids)]


def test_browse_orders(library: Catalog) -> None:
    by_name = library.browse(Query(sort="name"))
    assert by_name.total == 6 and len(by_name.item_ids) == 6
    # Product name first, else the file name: Alpha Tote, Blue Pantalón Top, Canvas Shoe, Oxford…, plain.jpg, Zebra…
    assert names(library, by_name.item_ids) == ["c1", "b2", "a2", "a1", "plain", "b1"]
    assert names(library, library.browse(Query(sort="folder")).item_ids) == ["c1", "plain", "a1", "a2", "b1", "b2"]
    assert names(library, library.browse(Query(sort="modified")).item_ids) == ["c1", "plain", "b2", "b1", "a2", "a1"]
    added = library.browse(Query(sort="added")).item_ids
    assert added == sorted(added, reverse=True)
    with pytest.raises(ValueError, match="unknown sort"):
        library.browse(Query(sort="colour"))


def test_multi_select_filters_with_counts(library: Catalog) -> None:
    everything = library.browse(Query())
    colours = {f.value: f.count for f in everything.facets["base_colour"]}
    assert colours == {"Black": 1, "Blue": 1, "Red": 2, "White": 1}
    assert {f.value: f.count for f in everything.facets["folder"]} == {"shoes": 2, "tops": 2, "tops/summer": 2}
    # Two values of one field: either; another field: both.
    red_or_white = library.browse(Query(filters=(("base_colour", "Red"), ("base_colour", "White"))))
    assert sorted(names(library, red_or_white.item_ids)) == ["a2", "b1", "c1"]
    # The colour counts ignore the colour selection (so another colour can be added); the others follow it.
    assert {f.value: f.count for f in red_or_white.facets["base_colour"]}["Black"] == 1
    assert {f.value: f.count for f in red_or_white.facets["gender"]} == {"Men": 1, "Women": 2}
    women = library.browse(Query(filters=(("base_colour", "Red"), ("base_colour", "White"), ("gender", "women"))))
    assert sorted(names(library, women.item_ids)) == ["a2", "b1"]
    under_tops = library.browse(Query(filters=(("folder", "tops"),)))
    assert sorted(names(library, under_tops.item_ids)) == ["b1", "b2"]
    nothing = library.browse(Query(filters=(("base_colour", "Red"), ("usage", "Formal"))))
    assert nothing.item_ids == []
    assert {f.value for f in nothing.facets["usage"]} >= {"Formal", "Casual"}  # the chosen value stays listed
    with pytest.raises(ValueError, match="unknown filter"):
        library.browse(Query(filters=(("colour", "Red"),)))


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("shoes", {"a1", "a2"}),  # "Formal Shoes" (type), "Canvas Shoe" (name), "Casual Shoes"
        ("shoe", {"a1", "a2"}),  # word forms give the same answer
        ("formal shoes", {"a1"}),
        ("pantalon", {"b2"}),  # accents folded
        ("summer", {"a2", "b1", "b2"}),  # a season, and a folder name
        ("handbag", {"c1"}),  # the article type, singular
        ("plain", {"plain"}),  # the file name, for items without metadata
        ("zebra red", {"b1"}),  # every word must match, in any field
    ],
)
def test_text_matches_every_field_and_word_forms(library: Catalog, words: str, expected: set[str]) -> None:
    found = library.browse(Query(text=words))
    assert set(names(library, found.item_ids)) == expected


def test_text_search_also_narrows_image_queries(library: Catalog) -> None:
    query = next(library.root.rglob("plain.jpg"))
    results = library.run_query(Query(images=(QueryImage(path=query),), text="shoes", k=10))
    assert {r.path.stem for r in results} == {"a1", "a2"}


def test_old_text_index_is_upgraded_in_place(tmp_path: Path, app_paths: AppPaths, tiny_models: Path) -> None:
    """A store made before the index covered every field keeps its vectors and gains the new index."""
    root = tmp_path / "catalog"
    root.mkdir()
    gradient(100, 120).save(root / "a1.jpg")
    (root / "styles.csv").write_text(f"{HEADER}\n{ROWS[0]}\n")
    embedder = ImageEmbedder(tiny_models / "resnet50", variant="fp32")
    catalog = Catalog.open(root, app_paths, embedder=embedder)
    catalog.index()
    catalog.close()
    db = sqlite3.connect(store_dir_for(app_paths.catalogs_dir, root) / DB_FILE)
    db.executescript("DROP TABLE text_index; CREATE VIRTUAL TABLE text_index USING fts5(name, caption);")
    db.close()
    reopened = Catalog.open(root, app_paths, embedder=embedder)
    try:
        assert reopened.status()["indexed"] == 1  # nothing re-indexed
        assert len(reopened.browse(Query(text="formal shoe")).item_ids) == 1
    finally:
        reopened.close()


def test_region_of_a_catalog_item_is_searched(library: Catalog) -> None:
    """More like this, then a region drawn on that item: the region is embedded, not the stored vector."""
    item = library.browse(Query()).item_ids[0]
    whole = library.run_query(Query(images=(QueryImage(item_id=item),), k=5))
    region = Region(0.5, 0.5, 0.5, 0.5)
    part = library.run_query(
        Query(images=(QueryImage(path=library.page([item])[0].path, item_id=item, region=region),), k=5)
    )
    assert item not in {r.item_id for r in whole} | {r.item_id for r in part}
    assert [r.score for r in whole] != [r.score for r in part]


def test_near_duplicates_collapse(tmp_path: Path, app_paths: AppPaths, tiny_models: Path) -> None:
    root = tmp_path / "catalog"
    root.mkdir()
    base = gradient(200, 240, seed=3)
    for copy in range(3):
        base.save(root / f"same{copy}.jpg", quality=95 - copy)  # the same photo saved three times
    for index in range(4):
        gradient(200 + 30 * index, 120, seed=50 + index).rotate(90 * index).save(root / f"other{index}.jpg")
    catalog = Catalog.open(root, app_paths, embedder=ImageEmbedder(tiny_models / "resnet50", variant="fp32"))
    try:
        catalog.index()
        query = QueryImage(data=open(root / "same0.jpg", "rb").read())  # noqa: SIM115 - read once
        plain = catalog.run_query(Query(images=(query,), k=7))
        collapsed = catalog.run_query(Query(images=(query,), k=7, collapse_duplicates=True))
        assert len(plain) == 7 and len(collapsed) < 7
        first = collapsed[0]
        assert first.path.stem.startswith("same") and len(first.duplicates) == 2
        shown = {r.item_id for r in collapsed} | {d for r in collapsed for d in r.duplicates}
        assert shown == {r.item_id for r in plain}
    finally:
        catalog.close()
