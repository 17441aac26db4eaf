"""Import of a Kaggle-style styles.csv (product metadata keyed by image file stem).

Known quirk: some productDisplayName values contain unquoted commas, so a plain CSV reader sees more than ten
fields. Since productDisplayName is the last column, the extra fields are joined back into it.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from fashion_desktop.catalog.fields import NAME, column_for_header

FILE_NAME = "styles.csv"


@dataclass
class StylesImport:
    rows: list[dict[str, str]] = field(default_factory=list)
    recovered: int = 0  # rows whose name held unquoted commas
    unreadable: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def find_styles_file(root: Path) -> Path | None:
    candidate = root / FILE_NAME
    return candidate if candidate.is_file() else None


def read_styles(path: Path) -> StylesImport:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.reader(io.StringIO(text))
    result = StylesImport()
    try:
        header = next(reader)
    except StopIteration:
        result.unreadable.append((1, "empty file"))
        return result
    names = [column_for_header(column.strip()) for column in header]
    if "stem" not in names:
        result.unreadable.append((1, "no 'id' column"))
        return result
    width = len(names)
    last_is_name = names[-1] == NAME
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > width and last_is_name:
            fields = [*fields[: width - 1], ",".join(fields[width - 1 :])]
            result.recovered += 1
        if len(fields) != width:
            result.unreadable.append((line, f"{len(fields)} fields, expected {width}"))
            continue
        row = {name: value.strip() for name, value in zip(names, fields, strict=True) if name}
        if not row.get("stem"):
            result.unreadable.append((line, "empty id"))
            continue
        result.rows.append(row)
    return result
