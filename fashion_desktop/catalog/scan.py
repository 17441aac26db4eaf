"""Finding the images of a catalog folder: recursive, hidden entries skipped, symlink loops safe, and honest about
what it could not see (an unreadable folder is not an empty one)."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fashion_desktop.imaging import IMAGE_SUFFIXES, open_regular_file, query_path_problem, readable_os_error

log = logging.getLogger("fashion_desktop.catalog.scan")

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class ScannedFile:
    path: str  # relative to the catalog root, with forward slashes; exactly the file system's name (may hold
    # surrogate escapes when a name is not valid UTF-8)
    size: int
    mtime_ns: int


@dataclass
class ScanReport:
    """What a scan could not see. Items below an unreadable folder are kept, not removed: a folder that cannot
    be listed today (permissions, a flaky share) has not lost its photos."""

    problems: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason), for the stylist
    unreadable_folders: list[str] = field(default_factory=list)  # relative, "" for the root itself
    root_empty: bool = False  # the catalog folder has no visible entries at all: an unmounted share looks so


def scan(root: Path, report: ScanReport | None = None) -> Iterator[ScannedFile]:
    """Every image file below `root`. Symlinked folders are followed once each (loops and repeats are cut) and
    only when they lead to a folder inside the catalog; what cannot be read goes to `report`. Plain strings, not
    Path objects, per entry: a relaunch scans the whole catalog (44k files in well under a second)."""
    report = report if report is not None else ScanReport()
    root = root.resolve()
    visited: set[tuple[int, int]] = set()
    stack: list[tuple[str, str]] = [(str(root), "")]  # (folder, its path relative to root, "" or ending in /)
    while stack:
        folder, prefix = stack.pop()
        try:
            info = os.stat(folder)
            if (info.st_dev, info.st_ino) in visited:
                continue
            visited.add((info.st_dev, info.st_ino))
            with os.scandir(folder) as listing:
                entries = sorted((e for e in listing if not e.name.startswith(".")), key=lambda e: e.name)
        except OSError as exc:
            report.unreadable_folders.append(prefix.rstrip("/"))
            report.problems.append((prefix or "/", f"folder not readable: {_reason(exc)}"))
            continue
        if not prefix and not entries:
            report.root_empty = True
        for entry in entries:
            relative = prefix + entry.name
            try:
                if entry.is_dir(follow_symlinks=True):
                    if not entry.is_symlink() or _inside(Path(entry.path), root):
                        stack.append((entry.path, relative + "/"))
                    else:
                        log.info("not following %r: the folder it links to is outside the catalog", entry.path)
                    continue
                if os.path.splitext(entry.name)[1].lower() not in IMAGE_SUFFIXES:
                    continue
                if entry.is_file(follow_symlinks=True):
                    found = entry.stat(follow_symlinks=True)
                    yield ScannedFile(relative, found.st_size, found.st_mtime_ns)
                else:  # a FIFO, socket or device named like an image, or a link to nothing
                    report.problems.append((relative, query_path_problem(entry.path) or "not a regular file"))
            except OSError as exc:
                report.problems.append((relative, _reason(exc)))


def content_hash(path: Path) -> str:
    """Identity of a file's content that survives renames and moves: sha256 of the whole file and its size.

    The whole file, because an edit that keeps the size (retouching an uncompressed BMP or TIFF in the middle)
    must not reuse the old vector. Only new or changed files are hashed, while they are read for decoding anyway.
    """
    with open_regular_file(path) as handle:
        return content_hash_of(handle)


def content_hash_of(handle: BinaryIO) -> str:
    """`content_hash` of an open file, read from its start (the indexer then decodes the same descriptor)."""
    digest = hashlib.sha256()
    total = 0
    handle.seek(0)
    while chunk := handle.read(HASH_CHUNK):
        digest.update(chunk)
        total += len(chunk)
    digest.update(str(total).encode())  # as before whole-file hashing: files up to 1 MiB keep their identity
    return digest.hexdigest()[:32]


def _inside(link: Path, root: Path) -> bool:
    try:
        return link.resolve().is_relative_to(root)
    except (OSError, RuntimeError):
        return False


def _reason(exc: OSError) -> str:
    return str(readable_os_error(exc))
