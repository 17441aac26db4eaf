"""Import of a Kaggle-style styles.csv (product metadata keyed by image file stem), whatever the file holds.

Known quirk: some productDisplayName values contain unquoted commas, so a plain CSV reader sees more than ten
fields. Since productDisplayName is the last column, the extra fields are joined back into it.

A styles.csv comes from a spreadsheet, a script or a download gone wrong: UTF-8 with or without a BOM, UTF-16,
Windows-1252 or Latin-1, binary junk, lines of 100 MB, a million rows. Rows are streamed to the store (memory
does not grow with the file), a line longer than `MAX_LINE_CHARS` is skipped without being held, values are cut
at `MAX_VALUE_CHARS`, and every line that cannot be read is counted and reported, never raised.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fashion_desktop.catalog.fields import NAME, column_for_header
from fashion_desktop.imaging import open_regular_file

FILE_NAME = "styles.csv"
MAX_LINE_CHARS = 1 << 20  # a longer line is reported and skipped
MAX_VALUE_CHARS = 1000  # longer values (junk, not product names) are cut
MAX_EXAMPLES = 20  # unreadable lines listed by line number; all are counted
_SAMPLE_BYTES = 1 << 16
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class StylesReport:
    """What an import found: shown on the command line and carried to the window in the index report."""

    file: str
    encoding: str = ""
    rows: int = 0
    recovered: int = 0  # rows whose name held unquoted commas
    unreadable: int = 0  # lines that could not be read
    examples: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason), the first few
    error: str | None = None  # the file as a whole could not be used; the previous metadata is kept

    def skip(self, line: int, reason: str) -> None:
        self.unreadable += 1
        if len(self.examples) < MAX_EXAMPLES:
            self.examples.append((line, reason))

    def summary(self) -> str:
        if self.error is not None:
            return f"{self.file}: not imported: {self.error}"
        text = f"{self.file}: {self.rows} rows imported"
        if self.recovered:
            text += f" ({self.recovered} with commas in the name recovered)"
        if self.unreadable:
            shown = "; ".join(f"line {line}: {reason}" for line, reason in self.examples[:5])
            text += f"; {self.unreadable} lines could not be read ({shown}{'; …' if self.unreadable > 5 else ''})"
        return text


def find_styles_file(root: Path) -> Path | None:
    candidate = root / FILE_NAME
    return candidate if candidate.is_file() else None


def styles_identity(path: Path) -> str:
    """Changes when the file does (size, modification time, inode): an unchanged file is not imported again."""
    info = path.stat()
    return f"{info.st_size}:{info.st_mtime_ns}:{info.st_ino}"


class StylesReader:
    """Streams the rows of one styles.csv; `report` fills in as they are read. Open with `open_styles`, which
    reads the header first: a file without an id column is refused before the store's metadata is touched."""

    def __init__(self, path: Path, handle: BinaryIO, encoding: str):
        self.report = StylesReport(file=str(path), encoding=encoding)
        self._text = io.TextIOWrapper(handle, encoding=encoding, errors="replace", newline="")
        self._line = 0
        self._reader = csv.reader(self._lines())
        header = self._next(self._reader)
        self._names = [column_for_header(_clean(column)) for column in header or []]
        if header is None:
            self.report.error = "the file is empty"
        elif "stem" not in self._names:
            self.report.error = "no 'id' column in the first line (is it a styles.csv?)"

    def close(self) -> None:
        self._text.close()

    def __enter__(self) -> StylesReader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def rows(self) -> Iterator[dict[str, str]]:
        """The rows with an id, as {store column: value}; everything else is counted in `report`."""
        if self.report.error is not None:
            return
        names = self._names
        width = len(names)
        last_is_name = names[-1] == NAME
        while (fields := self._next(self._reader)) is not None:
            if not any(f.strip() for f in fields):
                continue
            if len(fields) > width and last_is_name:
                fields = [*fields[: width - 1], ",".join(fields[width - 1 :])]
                self.report.recovered += 1
            if len(fields) != width:
                self.report.skip(self._line, f"{len(fields)} fields, expected {width}")
                continue
            row = {name: _clean(value) for name, value in zip(names, fields, strict=True) if name}
            if not row.get("stem"):
                self.report.skip(self._line, "empty id")
                continue
            self.report.rows += 1
            yield row

    def _next(self, reader: Iterator[list[str]]) -> list[str] | None:
        """The next record, skipping (and reporting) the ones the csv module refuses."""
        while True:
            try:
                return next(reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                self.report.skip(self._line, str(exc))

    def _lines(self) -> Iterator[str]:
        """Lines of at most MAX_LINE_CHARS; a longer one is read past in pieces and stands as an empty line."""
        while line := self._text.readline(MAX_LINE_CHARS):
            self._line += 1
            if len(line) == MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
                while (rest := self._text.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                    pass
                self.report.skip(self._line, f"longer than {MAX_LINE_CHARS} characters")
                yield "\n"
                continue
            yield line


def open_styles(path: Path) -> StylesReader:
    """A reader for `path` in the encoding it was written in. Raises OSError when it cannot be opened (a FIFO or
    device named styles.csv is refused, not waited on)."""
    handle = open_regular_file(path)
    try:
        encoding = _detect_encoding(handle)
        handle.seek(0)
        return StylesReader(path, handle, encoding)
    except BaseException:
        handle.close()
        raise


def _detect_encoding(handle: BinaryIO) -> str:
    """A BOM decides; else UTF-16 shows as NUL bytes in alternate places; else UTF-8 when the whole file decodes
    as such (checked in chunks, in bounded memory), else Windows-1252 (which reads Latin-1 text too)."""
    read = handle.read
    sample = read(_SAMPLE_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4 and odd.count(0) > len(odd) // 2 and even.count(0) < len(even) // 8:
        return "utf-16-le"
    if len(sample) >= 4 and even.count(0) > len(even) // 2 and odd.count(0) < len(odd) // 8:
        return "utf-16-be"
    decoder = codecs.getincrementaldecoder("utf-8")()
    chunk = sample
    try:
        while chunk:
            decoder.decode(chunk)
            chunk = read(_SAMPLE_BYTES * 16)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _clean(value: str) -> str:
    """Trimmed, without control characters, and of a sane length."""
    value = _CONTROL.sub("", value).strip()
    return value[:MAX_VALUE_CHARS] if len(value) > MAX_VALUE_CHARS else value
