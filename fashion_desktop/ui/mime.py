"""What a drag or the clipboard carries, turned into query images (or folders); nothing else happens here.

Browsers differ: Firefox offers a dragged picture as `image/png`; Chromium (Chrome, Edge, Brave) offers the
picture's web address plus the file's bytes as `application/octet-stream` (and `XdndDirectSave0`). Whatever
bytes a drag carries are sniffed for an image; only when there are none is the stylist told that a web address
alone cannot be fetched offline.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMimeData, QUrl
from PySide6.QtGui import QImage

from fashion_desktop.catalog.query import QueryImage
from fashion_desktop.imaging import IMAGE_SUFFIXES, sniff_image
from fashion_desktop.workers.board_edits import ItemsToAdd

REMOTE_MESSAGE = (
    "A web address alone cannot be fetched: Fashion Desktop works offline. Drag the picture itself, or save "
    "it to a folder first and drop the file."
)
NOT_AN_IMAGE = "That is not an image. Drop or paste an image, image files, or a folder to open as a catalog."
# Formats that carry words, not pictures: never sniffed as image bytes.
TEXT_FORMATS = ("text/", "application/x-qt-", "chromium/", "application/x-moz-")


@dataclass
class DecodedMime:
    images: list[QueryImage] = field(default_factory=list)
    folders: list[Path] = field(default_factory=list)
    problem: str | None = None


def refusal(mime: QMimeData) -> str | None:
    """At drag-enter, before any bytes are transferred: None when the drag may hold an image or a folder, else
    why it is refused (shown while hovering, with the no-drop cursor)."""
    remote = False
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
                return None
        elif url.scheme() == "data" and url.toString().startswith("data:image/"):
            return None
        elif url.scheme() in ("http", "https", "ftp"):
            remote = True
    if mime.hasImage() or any(_may_carry_bytes(f) for f in mime.formats()):
        return None
    return REMOTE_MESSAGE if remote else NOT_AN_IMAGE


def decode_mime(mime: QMimeData) -> DecodedMime:
    """Local image files (and folders) first; else image bytes of any format; else say what is wrong."""
    decoded = DecodedMime()
    remote, rejected = [], []
    for url in mime.urls() if mime.hasUrls() else []:
        if url.isLocalFile():
            path = Path(url.toLocalFile())
            if path.is_dir():
                decoded.folders.append(path)
            elif path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
                decoded.images.append(QueryImage(path=path, label=path.name))
            else:
                rejected.append(path.name or str(path))
        elif url.scheme() == "data":
            data = _data_url_bytes(url)
            if data is not None:
                decoded.images.append(QueryImage(data=data, label="dropped image"))
        elif url.scheme() in ("http", "https", "ftp"):
            remote.append(url)
    if decoded.images or decoded.folders:
        return decoded
    data = image_bytes(mime)
    if data is not None:
        label = PurePosixPath(remote[0].path()).name if remote else ""
        decoded.images.append(QueryImage(data=data, label=label or "dropped image"))
        return decoded
    if remote:
        decoded.problem = REMOTE_MESSAGE
    elif rejected:
        decoded.problem = f"Not an image: {', '.join(rejected[:3])}. Drop JPEG, PNG, WebP, BMP, GIF or TIFF files."
    else:
        decoded.problem = NOT_AN_IMAGE
    return decoded


def image_bytes(mime: QMimeData) -> bytes | None:
    """Encoded image bytes from any format of the drag (image/*, application/octet-stream, XdndDirectSave0…),
    recognised by their content, not by the format's name; else a decoded picture (a copied image) as PNG."""
    for mime_type in sorted(mime.formats(), key=lambda f: not f.startswith("image/")):
        if _may_carry_bytes(mime_type):
            raw = bytes(mime.data(mime_type).data())
            if sniff_image(raw):
                return raw
    if mime.hasImage():
        image = mime.imageData()
        if isinstance(image, QImage) and not image.isNull():
            return encode_png(image)
    return None


def _may_carry_bytes(mime_type: str) -> bool:
    return not mime_type.startswith(TEXT_FORMATS)


def _data_url_bytes(url: QUrl) -> bytes | None:
    header, _, payload = url.toString().partition(",")
    if not header.startswith("data:image/") or not header.endswith(";base64"):
        return None
    try:
        data = base64.b64decode(payload, validate=False)
    except ValueError:
        return None
    return data if sniff_image(data) else None


def encode_png(image: QImage) -> bytes:
    array = QByteArray()
    buffer = QBuffer(array)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    buffer.close()
    return bytes(array.data())


# -- items dragged inside the window (onto a board, within a board) ---------------------------------------------
ITEMS_MIME = "application/x-fashion-desktop-items"


@dataclass(frozen=True)
class DraggedItems:
    """What a drag from the grid carries besides its files: the catalog it comes from, the board it comes from
    (None: results or the library), and the items as a board takes them (ids, or contents for board items)."""

    catalog: str
    board: int | None
    items: ItemsToAdd


def encode_items(dragged: DraggedItems) -> bytes:
    items = dragged.items
    payload = {
        "catalog": dragged.catalog,
        "board": dragged.board,
        "item_ids": list(items.item_ids),
        "contents": [list(pair) for pair in items.contents],
    }
    return json.dumps(payload).encode()


def dragged_items(mime: QMimeData, catalog: str | None) -> DraggedItems | None:
    """The grid's items when the drag comes from this window's catalog; otherwise (another program, another
    catalog) its local image files, which a board takes if they are files of this catalog; else None."""
    if mime.hasFormat(ITEMS_MIME):
        try:
            payload = json.loads(bytes(mime.data(ITEMS_MIME).data()))
            if payload.get("catalog") == catalog:
                board = payload.get("board")
                items = ItemsToAdd(
                    tuple(int(i) for i in payload.get("item_ids", [])),
                    tuple((str(h), str(p)) for h, p in payload.get("contents", [])),
                )
                return DraggedItems(str(catalog), board if isinstance(board, int) else None, items)
        except (ValueError, TypeError, AttributeError):
            pass  # not ours after all: read its files
    files = tuple(
        Path(url.toLocalFile())
        for url in (mime.urls() if mime.hasUrls() else [])
        if url.isLocalFile() and Path(url.toLocalFile()).suffix.lower() in IMAGE_SUFFIXES
    )
    return DraggedItems("", None, ItemsToAdd(paths=files)) if files else None
