"""The catalog's metadata fields, declared once: the styles.csv header, the store's column (also the JSON key and
the `--filter` name), the label the window shows, whether it is a filter, and whether the window's filter bar
shows it.

Everything else (the store's schema, the CSV import, filter aliases, facets, the window's filter bar) is derived
from `FIELDS`, so adding a field is one line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MetadataField:
    column: str  # store column, JSON key and --filter name
    header: str  # styles.csv column header (Kaggle fashion-product-images layout)
    label: str  # shown in the window (filters, detail pane)
    facet: bool = True  # offered as a filter with its distinct values
    shown: bool = False  # in the window's filter bar


FIELDS: tuple[MetadataField, ...] = (
    MetadataField("article_type", "articleType", "Type", shown=True),
    MetadataField("base_colour", "baseColour", "Colour", shown=True),
    MetadataField("gender", "gender", "Gender", shown=True),
    MetadataField("master_category", "masterCategory", "Category"),
    MetadataField("sub_category", "subCategory", "Subcategory"),
    MetadataField("season", "season", "Season"),
    MetadataField("year", "year", "Year"),
    MetadataField("usage", "usage", "Usage"),
    MetadataField("product_display_name", "productDisplayName", "Product", facet=False),
)

NAME = "product_display_name"  # the product's name: shown first on tiles, searched as text
STEM_HEADER = "id"  # styles.csv's key column: the image file's stem
FOLDER_FILTER = "folder"  # the one filter that is not a metadata field: items below a subfolder

COLUMNS: tuple[str, ...] = tuple(f.column for f in FIELDS)
FACETS: tuple[MetadataField, ...] = tuple(f for f in FIELDS if f.facet)
_BY_NAME = {f.column: f for f in FIELDS} | {f.header: f for f in FIELDS}


def field_named(name: str) -> MetadataField | None:
    """A field by its column or its styles.csv header (`base_colour` or `baseColour`)."""
    return _BY_NAME.get(name)


def column_for_header(header: str) -> str | None:
    """The store column of a styles.csv header, "stem" for the id column, None for columns we do not keep."""
    if header == STEM_HEADER:
        return "stem"
    found = _BY_NAME.get(header)
    return found.column if found is not None and found.header == header else None
