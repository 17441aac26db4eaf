"""Finding the images of a catalog folder: recursive, hidden entries skipped, symlink loops safe."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from fashion_desktop.imaging import IMAGE_SUFFIXES


@dataclass(frozen=True)
class ScannedFile:
    path: str  # relative to the catalog root, with forward slashes
    size: int
    mtime_ns: int


def scan(root: Path) -> Iterator[ScannedFile]:
    """Every image file below `root`, following symlinked folders once each (loops and repeats are cut)."""
    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
        except OSError:
            continue
        if (info.st_dev, info.st_ino) in visited:
            continue
        visited.add((info.st_dev, info.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                if entry.is_dir(follow_symlinks=True):
                    stack.append(Path(entry.path))
                elif entry.is_file(follow_symlinks=True) and Path(entry.name).suffix.lower() in IMAGE_SUFFIXES:
                    stat = entry.stat(follow_symlinks=True)
                    relative = Path(entry.path).relative_to(root).as_posix()
                    yield ScannedFile(relative, stat.st_size, stat.st_mtime_ns)
            except OSError:
                continue  # vanished or unreadable entry: the next scan will see it again


def content_hash(path: Path, size: int | None = None) -> str:
    """Identity of a file's content that survives renames: the first 1 MiB, the last 1 KiB and the size.

    Cheap on big files (as rclip does); two files differing only in the middle would collide, which for
    product photos (compressed, headers at both ends) we accept.
    """
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        total = size if size is not None else os.fstat(handle.fileno()).st_size
        digest.update(handle.read(1 << 20))
        if total > (1 << 20):
            handle.seek(max(1 << 20, total - 1024))
            digest.update(handle.read(1024))
    digest.update(str(total).encode())
    return digest.hexdigest()[:32]
