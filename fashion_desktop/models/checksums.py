"""Checking model files against the manifest's sha256, hashing each file once per file identity.

Hashing the two BLIP graphs takes about 1.5 s at every start; `ChecksumMemo` remembers, in a small JSON file in
the data directory, which file (size, mtime, ctime, inode, device) was found to have which checksum. A file
that is replaced, rewritten or touched gets a new identity and is hashed again; a missing or unreadable memo
only means hashing again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import stat
import tempfile
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from fashion_desktop.models.manifest import MANIFEST_NAME, REMEDY, ModelFilesError, ModelManifest

log = logging.getLogger("fashion_desktop.models.checksums")

MEMO_FORMAT = 1
# The kernel stamps ctime from a coarse clock (a few ms): a file changed within this long after it was hashed could
# keep the identity it had when hashed, so files changed that recently are verified but not remembered.
RACY_SECONDS = 0.05
_MEMO_WRITE = threading.Lock()  # one writer at a time in this process; across processes the last write wins


def sha256_of(path: Path) -> str:
    return _hash_regular_file(path)[0]


def _hash_regular_file(path: Path) -> tuple[str, os.stat_result]:
    """sha256 and identity of a regular file, checked on the open descriptor: a FIFO or device put in the file's
    place is refused instead of blocking or reading forever."""
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    with open(descriptor, "rb") as handle:
        before = os.fstat(descriptor)
        if not stat.S_ISREG(before.st_mode):
            raise ModelFilesError(f"Model file {path} is not a regular file. {REMEDY}")
        digest = hashlib.sha256()
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
        after = os.fstat(descriptor)
    if file_identity(after) != file_identity(before):
        raise ModelFilesError(f"Model file {path} changed while it was being checked; try again. {REMEDY}")
    return digest.hexdigest(), after


def file_identity(status: os.stat_result) -> list[int]:
    """What changes when a file's content may have: ctime too, which no tool can set back after an edit."""
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev]


class ChecksumMemo:
    """Checksums verified before, by absolute path and file identity, in the JSON file `path` (None: no memo)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path

    def _read(self) -> dict[str, dict[str, object]]:
        if self.path is None:
            return {}
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, RecursionError):
            return {}
        files = raw.get("files") if isinstance(raw, dict) and raw.get("format") == MEMO_FORMAT else None
        return {k: v for k, v in files.items() if isinstance(v, dict)} if isinstance(files, dict) else {}

    def knows(self, path: Path, status: os.stat_result, sha256: str) -> bool:
        """Whether this very file (same identity) was found to have checksum `sha256` before."""
        entry = self._read().get(str(path.absolute()))
        return entry is not None and entry.get("identity") == file_identity(status) and entry.get("sha256") == sha256

    def remember(self, verified: Iterable[tuple[Path, os.stat_result, str]]) -> None:
        """Record files just hashed; entries of files that no longer exist are dropped. Written aside and renamed,
        so a reader never sees half a memo; failures (a read-only data folder) only cost hashing next time."""
        if self.path is None:
            return
        with _MEMO_WRITE:
            files = {name: entry for name, entry in self._read().items() if os.path.exists(name)}
            for path, status, sha256 in verified:
                files[str(path.absolute())] = {"identity": file_identity(status), "sha256": sha256}
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                descriptor, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}-")
            except OSError as exc:
                log.info("could not write the checksum memo %s: %s", self.path, exc)
                return
            try:
                with open(descriptor, "w", encoding="utf-8") as handle:
                    json.dump({"format": MEMO_FORMAT, "files": files}, handle, indent=1, sort_keys=True)
                os.replace(temporary, self.path)
            except OSError as exc:
                log.info("could not write the checksum memo %s: %s", self.path, exc)
                Path(temporary).unlink(missing_ok=True)


def verify_files(model_dir: Path, manifest: ModelManifest, names: Iterable[str], memo: ChecksumMemo) -> None:
    """Check that each named file exists and has the checksum the exporter recorded (hashing only files the memo
    does not vouch for)."""
    verified = []
    for name in names:
        path = model_dir / name
        expected = manifest.files.get(name)
        if expected is None:
            raise ModelFilesError(f"Model file {path} is not listed in {model_dir / MANIFEST_NAME}. {REMEDY}")
        try:
            if memo.knows(path, os.stat(path), expected):
                continue
            actual, status = _hash_regular_file(path)
        except FileNotFoundError:
            raise ModelFilesError(f"Model file missing: {path}. {REMEDY}") from None
        except OSError as exc:
            raise ModelFilesError(f"Model file unreadable: {path} ({exc}). {REMEDY}") from None
        if actual != expected:
            raise ModelFilesError(f"Model file corrupt (checksum mismatch): {path}. {REMEDY}")
        if time.time_ns() - status.st_ctime_ns > RACY_SECONDS * 1e9:
            verified.append((path, status, actual))
    if verified:
        memo.remember(verified)
