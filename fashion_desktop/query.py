"""What the stylist asks with: images from files, raw image data, catalog items, or a region of one image."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from fashion_desktop.imaging import load_rgb


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


MIN_REGION_PIXELS = 16


def crop_region(image: Image.Image, region: Region) -> Image.Image:
    """The part of `image` inside `region`; refuses slivers too small to describe anything."""
    box = region.clamped()
    left, top = round(box.left * image.width), round(box.top * image.height)
    right, bottom = round((box.left + box.width) * image.width), round((box.top + box.height) * image.height)
    if right - left < MIN_REGION_PIXELS or bottom - top < MIN_REGION_PIXELS:
        raise ValueError("the selected region is too small; drag a larger rectangle")
    return image.crop((left, top, right, bottom))


def load_query_image(query_image: QueryImage, region: Region | None = None) -> Image.Image:
    image = load_rgb(query_image.source)
    return crop_region(image, region) if region is not None else image
