"""Decoding any image a stylist may hold into an upright 8-bit RGB picture.

EXIF orientation is applied, transparency is composited on white (a product shot on a transparent background
should look like one on a white page, not on black), and grayscale, CMYK, palette and 16-bit images are mapped
to RGB.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps

ImageSource = str | Path | bytes | BinaryIO | Image.Image

# The file types a catalog holds and a query may be: the scan, drops, pastes and the Open dialog all use this list.
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")

_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}


class ImageDecodeError(ValueError):
    """The input could not be decoded as an image."""


def open_image(source: ImageSource) -> Image.Image:
    if isinstance(source, Image.Image):
        return source
    try:
        if isinstance(source, bytes):
            return Image.open(io.BytesIO(source))
        return Image.open(source)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ImageDecodeError(f"not a readable image: {exc}") from exc


def load_rgb(source: ImageSource, draft_size: int | None = None, max_pixels: int | None = None) -> Image.Image:
    """Decode `source` to an upright RGB image.

    With `draft_size`, a JPEG much larger than needed is decoded at a reduced scale (1/2, 1/4 or 1/8) whose
    shorter side stays at least `draft_size`: several times faster on camera-sized files, at a small cost in
    exactness (documented in README: Preprocessing).
    """
    image = open_image(source)
    if max_pixels is not None and image.width * image.height > max_pixels:
        raise ImageDecodeError(f"image too large ({image.width}×{image.height} pixels)")
    try:
        if draft_size is not None and image.format == "JPEG":
            image.draft("RGB", (draft_size, draft_size))
        image.load()
        upright = ImageOps.exif_transpose(image)
        return to_rgb(upright if upright is not None else image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ImageDecodeError(f"image could not be decoded: {exc}") from exc


def to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in _SIXTEEN_BIT_MODES:
        wide = np.asarray(image, dtype=np.float32)
        eight_bit = np.clip(np.rint(wide / 257.0), 0, 255).astype(np.uint8)
        return Image.fromarray(eight_bit).convert("RGB")
    if mode == "F":
        values = np.asarray(image, dtype=np.float32)
        scale = 255.0 if values.max(initial=0.0) <= 1.0 else 1.0
        return Image.fromarray(np.clip(values * scale, 0, 255).astype(np.uint8)).convert("RGB")
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info
