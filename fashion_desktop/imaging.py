"""Decoding any image a stylist may hold into an upright 8-bit RGB picture, and never more than that.

EXIF orientation is applied, transparency is composited on white (a product shot on a transparent background
should look like one on a white page, not on black), and grayscale, CMYK, palette and 16-bit images are mapped
to RGB.

Every caller (indexing, search queries, captions, the window's previews) goes through `decode`, which holds the
line against hostile files: only regular files are opened, and without blocking (a FIFO, socket or device, also
behind a symlink or swapped in after a scan, is refused on the open descriptor); only the formats the app
supports are parsed; the pixel count is checked from the header before anything is decoded; and whatever Pillow
raises on a malformed file (OSError, ValueError, SyntaxError, struct.error, NotImplementedError, MemoryError, ...)
becomes one `ImageDecodeError` with a reason, never a traceback.
"""

from __future__ import annotations

import errno
import io
import math
import os
import re
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np
from PIL import Image, UnidentifiedImageError

ImageSource = str | Path | bytes | BinaryIO | Image.Image

# The file types a catalog holds and a query may be: the scan, drops, pastes and the Open dialog all use this list.
IMAGE_SUFFIXES: tuple[str, ...] = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")
# The Pillow decoders behind those suffixes (JPEG also opens multi-picture MPO files; DIB: a headerless BMP).
# Content decides, not the name, but nothing else is parsed: an EPS renamed .jpg would otherwise start Ghostscript.
SUPPORTED_FORMATS: tuple[str, ...] = ("JPEG", "PNG", "WEBP", "BMP", "DIB", "GIF", "TIFF")

MAX_PIXELS = 120_000_000  # larger images are refused as decompression bombs (a 12000×10000 photo still passes)
# A file may claim many pixels only if it has the bytes to describe them: past PLAUSIBLE_PIXELS, more than
# PIXELS_PER_BYTE pixels per byte of file is a damaged header or a bomb (a 1.5 KB TIFF claiming 84 megapixels
# decodes into a gigabyte). Photos stay far below: a JPEG needs a byte per ~100 pixels even when blank, PNG's
# deflate at most a byte per ~1000.
PLAUSIBLE_PIXELS = 16_000_000
PIXELS_PER_BYTE = 4000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS  # Pillow's own bomb check agrees with ours (it raises at twice this)

_SIXTEEN_BIT_MODES = {"I;16", "I;16L", "I;16B", "I;16N", "I"}
_ROWS_PER_BLOCK = 512  # wide-mode conversion works in row blocks: no full float copy of a big image
# EXIF orientation → the transposition that makes the picture upright (as ImageOps.exif_transpose does).
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:/")  # two letters at least: C:/ is a Windows drive
# How each of those formats starts (signature, offset): content, not a file's name, says what it is.
MAGIC: tuple[tuple[bytes, int], ...] = (
    (b"\x89PNG\r\n\x1a\n", 0),
    (b"\xff\xd8\xff", 0),
    (b"GIF87a", 0),
    (b"GIF89a", 0),
    (b"WEBP", 8),
    (b"BM", 0),
    (b"II*\x00", 0),
    (b"MM\x00*", 0),
)


def sniff_image(data: bytes) -> bool:
    """Do these bytes start like one of the image formats a catalog may hold?"""
    return any(data[offset : offset + len(magic)] == magic for magic, offset in MAGIC) and (
        not data.startswith(b"RIFF") or data[8:12] == b"WEBP"
    )


def is_image_file(path: Path) -> bool:
    """An image by its name (IMAGE_SUFFIXES) or, when the name says nothing (no or another suffix), by its first
    bytes: a file manager offers "Open with" by content. Raises OSError when it cannot be read or is no regular
    file."""
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return True
    with open_regular_file(path) as file:  # a FIFO or device named like a photo is never waited on
        return sniff_image(file.read(16))


class ImageDecodeError(ValueError):
    """The input could not be decoded as an image; the message says why, for the stylist."""


class UnreadableFileError(OSError):
    """A file that cannot be read, with a short message a stylist can act on (no errno prefix, no file name)."""

    def __str__(self) -> str:
        return self.strerror or super().__str__()


class NotARegularFileError(UnreadableFileError):
    """A path that leads to a folder, FIFO, socket or device: never read, never waited on."""


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image  # upright RGB; smaller than `size` when a JPEG was decoded at reduced scale
    size: tuple[int, int]  # (width, height) of the full picture as displayed (EXIF-upright), from the header


def open_regular_file(path: str | Path) -> BinaryIO:
    """Open `path` for reading if, and only if, it is a regular file (symlinks followed).

    Checked on the path first (so a device is not even opened) and again on the open descriptor, which was opened
    non-blocking: a FIFO or device swapped in between the scan and the read can neither hang nor be read.
    """
    try:
        before = os.stat(path)
    except OSError as exc:
        raise readable_os_error(exc) from exc
    if not stat.S_ISREG(before.st_mode):
        raise NotARegularFileError(errno.EINVAL, _kind(before.st_mode))
    flags = os.O_RDONLY
    for name in ("O_NONBLOCK", "O_NOCTTY", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, name, 0)
    try:
        descriptor = os.open(path, flags)
    except OSError as exc:
        raise readable_os_error(exc) from exc
    try:
        mode = os.fstat(descriptor).st_mode
        if not stat.S_ISREG(mode):
            raise NotARegularFileError(errno.EINVAL, _kind(mode))
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def query_path_problem(text: str | Path) -> str | None:
    """Why a path given as a query image cannot be one (None when it is a regular file): accurate, for messages."""
    try:
        mode = os.stat(text).st_mode
    except OSError as exc:
        if looks_like_url(str(text)):
            return "a web address: this app works offline, so save the image and give its file"
        return str(readable_os_error(exc))
    return None if stat.S_ISREG(mode) else _kind(mode)


def looks_like_url(text: str) -> bool:
    """http://…, file:/…: a scheme of two letters at least (C:/ is a Windows drive)."""
    return _URL.match(text) is not None


def decode(
    source: ImageSource,
    *,
    draft_size: int | None = None,
    fit: tuple[int, int] | None = None,
    max_pixels: int = MAX_PIXELS,
) -> DecodedImage:
    """Decode `source` to an upright RGB image, or raise ImageDecodeError saying why not.

    With `draft_size`, a JPEG much larger than needed is decoded at a reduced scale (1/2, 1/4 or 1/8) whose
    shorter side stays at least `draft_size`: several times faster on camera-sized files, at a small cost in
    exactness (documented in README: Preprocessing). With `fit` (width, height), a JPEG is decoded at the
    smallest such scale that still fills that box once upright (previews, printed pictures). Memory is bounded
    by `max_pixels`, checked before decoding.
    """
    try:
        with _opened(source) as (image, file_size):
            width, height = image.size
            if width < 1 or height < 1:
                raise ImageDecodeError(f"image has no pixels ({width}×{height})")
            if width * height > max_pixels:
                raise ImageDecodeError(f"image too large ({width}×{height} pixels)")
            if file_size is not None and width * height > max(PLAUSIBLE_PIXELS, PIXELS_PER_BYTE * file_size):
                raise ImageDecodeError(
                    f"image claims {width}×{height} pixels in a file of {file_size} bytes: damaged, or a "
                    "decompression bomb"
                )
            orientation = exif_orientation(image)
            if image.format in ("JPEG", "MPO") and fit is not None:
                image.draft("RGB", _stored_size_filling(image.size, orientation, fit))
            elif image.format in ("JPEG", "MPO") and draft_size is not None:
                image.draft("RGB", (draft_size, draft_size))
            image.load()
            transposition = _UPRIGHT.get(orientation)
            upright = image.transpose(transposition) if transposition is not None else image
            size = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
            return DecodedImage(to_rgb(upright), size)
    except ImageDecodeError:
        raise
    except UnreadableFileError as exc:
        raise ImageDecodeError(str(exc)) from exc
    except MemoryError as exc:
        raise ImageDecodeError("not enough memory to decode this image") from exc
    except Exception as exc:  # Pillow raises far more than OSError on malformed files; each is one skipped file
        raise ImageDecodeError(f"image could not be decoded: {_reason(exc)}") from exc


def load_rgb(source: ImageSource, draft_size: int | None = None, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """`decode(...).image`: the upright RGB picture."""
    return decode(source, draft_size=draft_size, max_pixels=max_pixels).image


def load_preview(source: ImageSource, longest_side: int) -> Image.Image:
    """An upright RGB picture no larger than `longest_side` on either side, for thumbnails and previews.

    The safe way for the window to show a file: the same checks as indexing (no blocking on special files, the
    pixel limit, every decoder failure an ImageDecodeError), and big JPEGs decoded at reduced scale.
    """
    image = decode(source, fit=(longest_side, longest_side)).image
    if max(image.size) > longest_side:
        image.thumbnail((longest_side, longest_side), Image.Resampling.BICUBIC)
    return image


def _stored_size_filling(size: tuple[int, int], orientation: int, box: tuple[int, int]) -> tuple[int, int]:
    """The stored (not yet EXIF-rotated) size at which a picture, shown upright, fills `box` exactly."""
    width, height = size
    upright_width, upright_height = (height, width) if orientation in (5, 6, 7, 8) else (width, height)
    scale = min(box[0] / upright_width, box[1] / upright_height, 1.0)
    return max(1, math.ceil(width * scale)), max(1, math.ceil(height * scale))


def exif_orientation(image: Image.Image) -> int:
    """The EXIF orientation (1..8), 1 when absent or unreadable: malformed EXIF must not cost the picture."""
    try:
        value = image.getexif().get(0x0112, 1)
    except Exception:  # SyntaxError, struct.error, ... from a damaged EXIF block
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def to_rgb(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode == "RGB":
        return image
    if mode in _SIXTEEN_BIT_MODES:
        return _wide_to_rgb(image, lambda block: block / np.float32(257.0))
    if mode == "F":
        factor = np.float32(_float_scale(image))
        return _wide_to_rgb(image, lambda block: block * factor)
    if _has_transparency(image):
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _wide_to_rgb(image: Image.Image, scale: Callable[[np.ndarray], np.ndarray]) -> Image.Image:
    """16-bit, 32-bit integer or float pixels → 8-bit RGB, a block of rows at a time (no full float copy);
    NaN and infinities (a float TIFF may hold them) become black or white instead of undefined casts."""
    wide = np.asarray(image)
    eight_bit = np.empty(wide.shape, dtype=np.uint8)
    for start in range(0, wide.shape[0], _ROWS_PER_BLOCK):
        block = scale(wide[start : start + _ROWS_PER_BLOCK].astype(np.float32))
        block = np.nan_to_num(block, nan=0.0, posinf=255.0, neginf=0.0)
        eight_bit[start : start + _ROWS_PER_BLOCK] = np.clip(np.rint(block), 0, 255)
    return Image.fromarray(eight_bit).convert("RGB")


def _float_scale(image: Image.Image) -> float:
    """Float images in 0..1 are scaled to 0..255; others are taken as 0..255 already."""
    extrema = image.getextrema()
    high = extrema[1] if isinstance(extrema[1], (int, float)) else 0.0
    return 255.0 if np.isfinite(high) and high <= 1.0 else 1.0


def _has_transparency(image: Image.Image) -> bool:
    return image.mode in {"RGBA", "LA", "PA", "RGBa", "La"} or "transparency" in image.info


@contextmanager
def _opened(source: ImageSource) -> Iterator[tuple[Image.Image, int | None]]:
    """The Pillow image of `source`, limited to the supported formats, and the size of the encoded file (None
    for an image already decoded); a file the function opened is closed on exit (decoded pixels stay valid:
    they were loaded before)."""
    if isinstance(source, Image.Image):
        yield source, None
        return
    if isinstance(source, bytes):
        yield Image.open(io.BytesIO(source), formats=SUPPORTED_FORMATS), len(source)
        return
    if isinstance(source, (str, Path)):
        with open_regular_file(source) as handle:
            yield Image.open(handle, formats=SUPPORTED_FORMATS), os.fstat(handle.fileno()).st_size
        return
    start = source.tell()
    size = source.seek(0, io.SEEK_END) - start
    source.seek(start)
    yield Image.open(source, formats=SUPPORTED_FORMATS), size


def _reason(exc: BaseException) -> str:
    if isinstance(exc, UnidentifiedImageError):
        return "not a supported image (JPEG, PNG, WebP, BMP, GIF or TIFF)"
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 200 else text[:200] + "…"


def _kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder, not an image file"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not an image file"
    if stat.S_ISSOCK(mode):
        return "a socket, not an image file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not an image file"
    return "not a regular file"


def readable_os_error(exc: OSError) -> UnreadableFileError:
    """The same error with a message a stylist can act on (and no file name in it, which may not be printable)."""
    if isinstance(exc, UnreadableFileError):
        return exc
    messages = {
        errno.ENOENT: "no such file",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENAMETOOLONG: "path too long for the system",
        errno.ELOOP: "too many levels of symbolic links",
        errno.ENXIO: "a socket or absent device, not an image file",
        errno.EISDIR: "a folder, not an image file",
        errno.EIO: "input/output error (a damaged disk or a lost network share?)",
    }
    return UnreadableFileError(exc.errno, messages.get(exc.errno or 0, exc.strerror or str(exc)))
