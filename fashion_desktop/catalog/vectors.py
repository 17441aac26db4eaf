"""The vector file of a catalog store: one float32 row per embedded image, carrying its own integrity.

Layout: a 4 KiB header, then fixed-size records, one per row: D little-endian float32 values followed by the CRC32
of their bytes, seeded with the row number (so a record that moved fails too). The header holds a magic, the
format, the dimension, the model that made the vectors and the file's id, which is also in its name
(`vectors-<id>.bin`); the header has its own CRC.

A row, once committed, never changes for the life of a file: rows are appended (and fsynced before the SQLite
transaction that references them commits) and the uncommitted tail after a crash is cut. Everything else
(compaction, migration of the headerless `vectors.f32` of earlier versions) writes a new file under a new id, which
the store's database then points to in the transaction that renumbers the rows. So a reader's snapshot of the
database names the file its rows are in, and a cache derived from a file (the search tree) stays true as long as
the id it was made for.

Nothing reads the whole file into memory: searches read the rows they need by position, and passes over every row
go through a small buffer.

Opening checks the header and the length, which is cheap. `verify` checks every row (the store does, under its
write lock, before indexing, when the file changed behind its back or a reader found damage). Readers check each
row they return: its CRC once per process, and always that it is finite and of unit length; rows that are only
scored on the way (a search's candidates, `scan`) are checked to be finite and of unit length, and the CRC of those
that win before they count. A row that fails is reported and left out, never returned as a NaN, an infinity or a
silently wrong score; the next indexing re-embeds it.
"""

from __future__ import annotations

import io
import json
import logging
import mmap
import os
import uuid
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

log = logging.getLogger("fashion_desktop.catalog.vectors")

MAGIC = b"FDVECTORS\n"
LEGACY_NAME = "vectors.f32"  # the headerless file of earlier versions
NAME_PATTERN = "vectors-*.bin"
FORMAT = 1
HEADER_SIZE = 4096
NORM_TOLERANCE = 1e-3  # |‖v‖ − 1| above this: not a vector the image model wrote
CHUNK_BYTES = 32 << 20  # sequential passes read this much at a time
NO_WAIT = getattr(os, "RWF_NOWAIT", 0) if hasattr(os, "preadv") and hasattr(os, "posix_fadvise") else 0  # Linux

Layout = Literal["missing", "current", "legacy", "unusable"]


class VectorFileError(ValueError):
    """The vector file cannot be used as it is (another model's, or its header is damaged)."""


@dataclass(frozen=True)
class Header:
    dimension: int
    model: str
    file_id: str

    def encode(self) -> bytes:
        fields = {"format": FORMAT, "dimension": self.dimension, "model": self.model, "file_id": self.file_id}
        body = json.dumps(fields, sort_keys=True).encode()
        raw = MAGIC + len(body).to_bytes(4, "little") + body
        if len(raw) + 4 > HEADER_SIZE:
            raise ValueError("model id too long for the vector file header")
        raw += bytes(HEADER_SIZE - 4 - len(raw))
        return raw + zlib.crc32(raw).to_bytes(4, "little")

    @classmethod
    def decode(cls, raw: bytes) -> Header:
        if len(raw) < HEADER_SIZE or zlib.crc32(raw[: HEADER_SIZE - 4]) != int.from_bytes(raw[-4:], "little"):
            raise VectorFileError("its header is damaged")
        length = int.from_bytes(raw[len(MAGIC) : len(MAGIC) + 4], "little")
        try:
            fields = json.loads(raw[len(MAGIC) + 4 : len(MAGIC) + 4 + length])
            if fields["format"] != FORMAT:
                raise VectorFileError(f"it has format {fields['format']} (this app reads {FORMAT})")
            return cls(int(fields["dimension"]), str(fields["model"]), str(fields["file_id"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise VectorFileError(f"its header is unreadable ({exc})") from None


def vector_file_path(folder: Path, file_id: str | None) -> Path:
    """Where the file with this id lives; no id: the headerless file of earlier versions."""
    return folder / (f"vectors-{file_id}.bin" if file_id else LEGACY_NAME)


class VectorFile:
    """One vector file, as one connection sees it. Every thread or process holds its own instance; appending,
    cutting and rewriting belong to the one writer holding the store's write lock."""

    def __init__(self, path: Path, dimension: int, model: str):
        self.path = path
        self.dimension = dimension
        self.model = model
        self.layout: Layout = "missing"
        self.problem: str | None = None  # why the file cannot be used, when it cannot
        self.file_id: str | None = None  # None for a headerless file
        self._handle: io.FileIO | None = None
        self._verified = np.zeros(0, dtype=bool)  # rows whose CRC this process has checked
        self._no_wait = NO_WAIT  # 0 once the file system refuses reads that do not wait
        self._open()

    @classmethod
    def create(cls, folder: Path, dimension: int, model: str, rows: Iterable[np.ndarray] = ()) -> VectorFile:
        """A new file under a new id holding these blocks of rows, fsynced (the caller commits a reference to it)."""
        header = Header(dimension, model, uuid.uuid4().hex)
        path = vector_file_path(folder, header.file_id)
        with path.open("xb") as handle:
            handle.write(header.encode())
            written = 0
            for block in rows:
                handle.write(_encode(block, written).tobytes())
                written += len(block)
            handle.flush()
            os.fsync(handle.fileno())
        _fsync_folder(folder)
        return cls(path, dimension, model)

    # -- opening --------------------------------------------------------------------------------------------------
    @property
    def record_size(self) -> int:
        return 4 * self.dimension + (4 if self.layout == "current" else 0)

    @property
    def data_offset(self) -> int:
        return HEADER_SIZE if self.layout == "current" else 0

    def _open(self) -> None:
        """Open the file and check its header: the cheap check on open (the length is checked as rows are used)."""
        try:
            self._handle = io.FileIO(self.path, "rb")
        except FileNotFoundError:
            return
        start = self._handle.read(HEADER_SIZE)
        if not start:
            return  # an empty file: as good as none
        if not start.startswith(MAGIC):
            self.layout = "legacy"  # written by an earlier version: bare float32 rows, migrated by the next indexing
            return
        try:
            header = Header.decode(start)
            if header.dimension != self.dimension or header.model != self.model:
                raise VectorFileError(f"its vectors were made by another image model ({header.model})")
        except VectorFileError as exc:
            self.layout, self.problem = "unusable", f"the vector file {self.path} cannot be used: {exc}"
            return
        self.layout, self.file_id = "current", header.file_id

    def close(self) -> None:
        self._verified = np.zeros(0, dtype=bool)
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def _size(self) -> int:
        return os.fstat(self._handle.fileno()).st_size if self._handle is not None else 0

    @property
    def rows(self) -> int:
        """Complete rows in the file (a torn last record does not count)."""
        if self.layout in ("missing", "unusable"):
            return 0
        return max(0, self._size() - self.data_offset) // self.record_size

    # -- reading --------------------------------------------------------------------------------------------------
    def read(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(vectors [n, D] float32; intact [n] bool) for these rows, read by position: only these rows, and what is
        read stays in the system's file cache rather than in this process (a mapping would count every page it ever
        touched, and the kernel's neighbours of each, as this process's memory). A row is intact when it exists, its
        CRC matches (checked once per process) and it is finite and of unit length; rows that are not come back
        as zeros."""
        wanted, records, present, available = self._fetch(rows)
        if len(self._verified) < available:
            grown = np.zeros(available - len(self._verified), dtype=bool)
            self._verified = np.concatenate([self._verified, grown])
        checked = np.zeros(len(wanted), dtype=bool)
        checked[present] = self._verified[wanted[present]]
        intact = present & self._intact_records(records, wanted, trusted=checked)
        self._verified[wanted[intact]] = True
        vectors = records[:, : self.dimension].view("<f4")
        vectors[~intact] = 0.0
        return vectors, intact

    def scan(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Like `read`, without the CRC: `plausible` rows exist and are finite and of unit length, so their scores
        are bounded, but a row is only known intact once `read` has checked it. For scoring many candidates of
        which only the few that win are returned (and those go through `read`): the CRC of every candidate would
        cost more than reading it."""
        _, records, present, _ = self._fetch(rows)
        vectors = records[:, : self.dimension].view("<f4")
        plausible = present & sound_rows(vectors)
        if not plausible.all():
            vectors[~plausible] = 0.0
        return vectors, plausible

    def _fetch(self, rows: Iterable[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
        """(rows asked for, their records as read [n, words] (zeros where missing), which exist in the file, how many
        rows the file had)."""
        wanted = np.fromiter(rows, dtype=np.int64) if not isinstance(rows, np.ndarray) else rows.astype(np.int64)
        available = self.rows
        present = (wanted >= 0) & (wanted < available)
        size = self.record_size
        records = np.empty((len(wanted), size // 4), dtype="<u4")
        records[~present] = 0
        if self._handle is not None and present.any():
            view = records.data.cast("B")
            indices = np.flatnonzero(present).tolist()
            offsets = (self.data_offset + wanted[present] * size).tolist()
            for index, got in self._read_records(view, indices, offsets):
                if got != size:
                    present[index] = False
                    records[index] = 0
        return wanted, records, present, available

    def _read_records(self, view: memoryview, indices: list[int], offsets: list[int]) -> Iterator[tuple[int, int]]:
        """Read one record at each offset into slot `index` of `view`; yields (index, bytes read). Where the system
        can (Linux), records already in its file cache are read at once and the others are asked of the disk all
        together before waiting for any: scattered rows of a file not in the cache come 1.5-2x sooner than read one
        after another, and rows in the cache cost nothing more."""
        size = self.record_size
        assert self._handle is not None
        if not self._no_wait:
            read_into, seek = self._handle.readinto, self._handle.seek
            for index, offset in zip(indices, offsets, strict=True):
                seek(offset)
                yield index, read_into(view[index * size : (index + 1) * size]) or 0
            return
        descriptor = self._handle.fileno()
        waiting: list[tuple[int, int]] = []
        for index, offset in zip(indices, offsets, strict=True):
            try:
                got = os.preadv(descriptor, [view[index * size : (index + 1) * size]], offset, self._no_wait)
            except BlockingIOError:
                got = -1
            except OSError:  # a file system without reads that do not wait: plain reads from now on
                self._no_wait, got = 0, -1
            if got == size:
                yield index, got
            else:
                waiting.append((index, offset))
        for _, offset in waiting:
            os.posix_fadvise(descriptor, offset, size, os.POSIX_FADV_WILLNEED)
        for index, offset in waiting:
            yield index, os.preadv(descriptor, [view[index * size : (index + 1) * size]], offset)

    def blocks(self, stop: int, start: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, [n, D] float32 view) for rows [start, stop) in order, for one quick pass (a brute-force
        search, projecting rows for the tree). Each block is a view of its own mapping of part of the file: as fast
        as mapping the whole file (reading into a buffer took 1.5-2.2x as long at 44k rows), but only the block
        being read counts as this process's memory, not every page of the file (+344 MiB at 44k rows). Nothing is
        copied: copy a block to keep it. The rows are not checked; only committed rows, which are never cut, may be
        asked for."""
        stop = min(stop, self.rows)
        if self._handle is None or stop <= start:
            return
        per_block = max(1, CHUNK_BYTES // self.record_size)
        for first in range(start, stop, per_block):
            count = min(per_block, stop - first)
            begin = self.data_offset + first * self.record_size
            mapped_from = begin - begin % mmap.ALLOCATIONGRANULARITY
            mapping = mmap.mmap(
                self._handle.fileno(),
                begin + count * self.record_size - mapped_from,
                access=mmap.ACCESS_READ,
                offset=mapped_from,
            )
            if hasattr(mmap, "MADV_SEQUENTIAL"):
                mapping.madvise(mmap.MADV_SEQUENTIAL)
            words = self.record_size // 4
            records = np.ndarray((count, words), dtype="<u4", buffer=mapping, offset=begin - mapped_from)
            del mapping  # unmapped when the caller lets go of the block
            yield first, records[:, : self.dimension].view("<f4")

    def _records(self, stop: int, start: int = 0) -> Iterator[tuple[int, np.ndarray]]:
        if self._handle is None or stop <= start:
            return
        per_chunk = max(1, CHUNK_BYTES // self.record_size)
        buffer = np.empty((per_chunk, self.record_size // 4), dtype="<u4")
        for first in range(start, stop, per_chunk):
            count = min(per_chunk, stop - first)
            view = buffer[:count].data.cast("B")
            self._handle.seek(self.data_offset + first * self.record_size)
            if self._handle.readinto(view) != len(view):
                raise OSError(f"{self.path} shrank while it was read")
            yield first, buffer[:count]

    def verify(self, stop: int) -> list[int]:
        """The rows of [0, stop) that are missing or fail their checks: the store re-embeds them."""
        present = min(stop, self.rows)
        damaged: list[int] = []
        for first, records in self._records(present):
            intact = self._intact_records(records, np.arange(first, first + len(records)))
            damaged.extend(first + int(offset) for offset in np.flatnonzero(~intact))
        return damaged + list(range(present, stop))

    def _intact_records(self, records: np.ndarray, rows: np.ndarray, trusted: np.ndarray | None = None) -> np.ndarray:
        """Records (as read from the file) that are finite, of unit length and, in a current file, match their CRC;
        `trusted`: records whose CRC already matched in this process, not computed again."""
        data = records[:, : self.dimension]
        intact = sound_rows(data.view("<f4"))
        if self.layout == "current":
            for offset in np.flatnonzero(intact if trusted is None else intact & ~trusted):
                row = int(rows[offset])
                intact[offset] = zlib.crc32(data[offset], row) == int(records[offset, self.dimension])
        return intact

    # -- writing (only under the store's write lock) ----------------------------------------------------------------
    def append(self, vectors: np.ndarray, at: int) -> range:
        """Write rows at row `at` (the committed end; anything after it is an uncommitted tail), durably (fsync),
        and return their numbers: the caller then commits the references to them."""
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"expected [N, {self.dimension}] vectors, got {vectors.shape}")
        if self.layout != "current":
            raise VectorFileError(f"{self.path} takes no new rows ({self.layout})")
        with self.path.open("r+b") as handle:
            handle.seek(HEADER_SIZE + at * self.record_size)
            handle.write(_encode(vectors, at).tobytes())
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        return range(at, at + len(vectors))

    def cut(self, rows: int) -> None:
        """Drop every row from `rows` on: rows no committed transaction references, which no reader touches."""
        if self.layout == "current" and self._size() > HEADER_SIZE + rows * self.record_size:
            with self.path.open("r+b") as handle:
                handle.truncate(HEADER_SIZE + rows * self.record_size)
                handle.flush()
                os.fsync(handle.fileno())
            self._verified[rows:] = False

    def rewrite(self, keep: np.ndarray) -> VectorFile:
        """A new file (new id) holding the rows `keep` (increasing) in order, fsynced; this one is left as it is.
        One sequential pass; works from a headerless file too (that is how old files are migrated). A row that fails
        its checks is written as zeros, so it stays recognisably damaged rather than laundered by a fresh CRC."""
        keep = np.asarray(keep, dtype=np.int64)
        if len(keep) and (np.any(np.diff(keep) <= 0) or keep[0] < 0):
            raise ValueError("rows to keep must be increasing")
        return VectorFile.create(self.path.parent, self.dimension, self.model, self._kept_blocks(keep))

    def _kept_blocks(self, keep: np.ndarray) -> Iterator[np.ndarray]:
        done = 0
        for first, records in self._records(int(keep[-1]) + 1 if len(keep) else 0):
            end = int(np.searchsorted(keep, first + len(records)))
            chosen = keep[done:end]
            done = end
            block = records[chosen - first]
            vectors = block[:, : self.dimension].view("<f4").copy()
            vectors[~self._intact_records(block, chosen)] = 0.0
            yield vectors
        if done < len(keep):
            yield np.zeros((len(keep) - done, self.dimension), dtype=np.float32)  # rows past the end: missing

    def delete(self) -> None:
        """Remove the file (replaced or unusable). Where an open file cannot be removed (Windows, while another
        window reads it), it stays for a later clean-up."""
        self.close()
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            log.info("could not remove %s yet: %s", self.path, exc)


def sound_rows(vectors: np.ndarray) -> np.ndarray:
    """Which rows are finite and of unit length, as every vector the image model writes is."""
    with np.errstate(over="ignore", invalid="ignore"):
        squares = np.einsum("ij,ij->i", vectors, vectors)
    sound: np.ndarray = np.isfinite(squares) & (np.abs(np.sqrt(np.abs(squares)) - 1.0) <= NORM_TOLERANCE)
    return sound


def _encode(vectors: np.ndarray, first_row: int) -> np.ndarray:
    """Vectors → records: the float32 bits, then the CRC32 of them seeded with the row number."""
    data = np.ascontiguousarray(vectors, dtype="<f4")
    records = np.empty((len(data), data.shape[1] + 1), dtype="<u4")
    records[:, :-1] = data.view("<u4")
    records[:, -1] = [zlib.crc32(row, first_row + i) for i, row in enumerate(data)]
    return records


def _fsync_folder(folder: Path) -> None:
    """Make a rename in `folder` durable (a no-op where folders cannot be opened, as on Windows)."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
