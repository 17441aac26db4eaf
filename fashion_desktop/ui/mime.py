"""Decoding what was dropped or pasted into query images; nothing else happens here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData
from PySide6.QtGui import QImage

from fashion_desktop.catalog.query import QueryImage
from fashion_desktop.imaging import IMAGE_SUFFIXES

RAW_IMAGE_FORMATS = ("image/png", "image/jpeg", "image/webp", "image/gif", "image/bmp", "image/tiff")
REMOTE_MESSAGE = (
    "Images on the web cannot be fetched: Fashion Desktop works offline. Save the image to a folder first, "
    "then drop the file."
)


@dataclass
class DecodedMime:
    images: list[QueryImage] = field(default_factory=list)
    problem: str | None = None


def decode_mime(mime: QMimeData) -> DecodedMime:
    """Local image files first; else image data (a browser drag, a copied picture); else say what is wrong."""
    decoded = DecodedMime()
    remote, rejected = [], []
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                decoded.images.append(QueryImage(path=path, label=path.name))
            else:
                rejected.append(path.name or str(path))
        elif url.scheme() in ("http", "https", "ftp"):
            remote.append(url.toString())
    if decoded.images:
        return decoded
    data = _image_bytes(mime)
    if data is not None:
        decoded.images.append(QueryImage(data=data, label="pasted image"))
        return decoded
    if remote:
        decoded.problem = REMOTE_MESSAGE
    elif rejected:
        decoded.problem = f"Not an image: {', '.join(rejected[:3])}. Drop JPEG, PNG, WebP, BMP, GIF or TIFF files."
    else:
        decoded.problem = "That is not an image. Drop or paste an image, or image files."
    return decoded


def _image_bytes(mime: QMimeData) -> bytes | None:
    for mime_type in RAW_IMAGE_FORMATS:
        if mime.hasFormat(mime_type):
            raw = bytes(mime.data(mime_type).data())
            if raw:
                return raw
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return encode_png(image)
    return None


def encode_png(image: QImage) -> bytes:
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(array.data())
