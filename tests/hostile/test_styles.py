"""styles.csv: whatever the file holds (encodings, junk, giant lines, a million rows) it is read or reported, in
bounded memory; it is imported before embedding starts, and only when it changed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fashion_desktop.catalog.indexer import IndexProgress
from fashion_desktop.catalog.styles import MAX_VALUE_CHARS, StylesReport, open_styles
from tests.conftest import OpenCatalog
from tests.hostile.support import cli, write_photos
from tests.support import REPO

HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName\n"


def row(stem: str, name: str, gender: str = "Women") -> str:
    return f"{stem},{gender},Apparel,Topwear,Tops,Red,Summer,2012,Casual,{name}\n"


def read(path: Path) -> tuple[list[dict[str, str]], StylesReport]:
    with open_styles(path) as reader:
        rows = list(reader.rows())
    return rows, reader.report


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "latin-1", "cp1252"],
)
def test_every_common_encoding_is_read(encoding: str, tmp_path: Path) -> None:
    path = tmp_path / "styles.csv"
    text = HEADER + row("1", "Robe d'été rouge") + row("2", "Crème blouse")
    path.write_bytes(text.encode(encoding))
    rows, report = read(path)
    assert report.error is None and report.unreadable == 0
    assert [r["product_display_name"] for r in rows] == ["Robe d'été rouge", "Crème blouse"]


def test_junk_long_fields_and_broken_lines_are_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "styles.csv"
    path.write_bytes(
        HEADER.encode()
        + row("1", "x" * 50_000).encode()  # a long field: cut
        + b"2,Women,\x00\x01\x02binary\xff\xfe junk,,,,,,,\n"  # control bytes: dropped
        + b'3,Women,"unterminated,Topwear\n'  # swallows lines into one field, then fails at the limit
        + (b"y" * 140_000 + b"\n")
        + row("4", "Fine again").encode()
        + b"\r\n,,,,,,,,,\n5,Men\n"
    )
    rows, report = read(path)
    stems = [r["stem"] for r in rows]
    assert "1" in stems and "4" in stems and "2" in stems
    long_name = next(r for r in rows if r["stem"] == "1")["product_display_name"]
    assert len(long_name) == MAX_VALUE_CHARS
    assert "\x00" not in "".join(next(r for r in rows if r["stem"] == "2").values())
    assert report.unreadable >= 2 and report.examples
    assert "could not be read" in report.summary()


@pytest.mark.parametrize(
    "content", [b"", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, b"just,a,table\n1,2,3\n", b"\xff\xfe\x00\x00"]
)
def test_files_that_are_not_styles_tables_are_refused_whole(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "styles.csv"
    path.write_bytes(content)
    rows, report = read(path)
    assert rows == [] and report.error is not None


@pytest.mark.slow
def test_a_100_mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "styles.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode() + row("1", "Before").encode())
        handle.write(b"2,Women,Apparel,Topwear,Tops,Red,Summer,2012,Casual,")
        for _ in range(100):
            handle.write(b"z" * (1 << 20))
        handle.write(b"\n" + row("3", "After").encode())
    rows, peak = _import_in_a_subprocess(path)
    assert rows == 2
    assert peak < 200, f"peak RSS {peak} MiB for a 100 MB line"


IMPORT = """
import sys
from pathlib import Path
from fashion_desktop.catalog.store import CatalogStore
from fashion_desktop.catalog.styles import open_styles
from tests.hostile.fuzz import peak_rss_mib
store = CatalogStore(Path(sys.argv[2]), Path(sys.argv[3]), "model", 4)
with open_styles(Path(sys.argv[1])) as reader:
    count = store.replace_styles(reader.rows(), "source")
store.rebuild_text_index("")
print(count, store.styles_count(), int(peak_rss_mib()))
"""


def _import_in_a_subprocess(path: Path) -> tuple[int, int]:
    result = subprocess.run(
        [sys.executable, "-c", IMPORT, str(path), str(path.parent / "store"), str(path.parent)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    count, stored, peak = map(int, result.stdout.split())
    assert count == stored
    return count, peak


@pytest.mark.slow
def test_a_million_rows_take_no_more_memory_than_a_thousand(tmp_path: Path) -> None:
    peaks = {}
    for count in (1_000, 1_000_000):
        folder = tmp_path / str(count)
        folder.mkdir()
        with (folder / "styles.csv").open("w", encoding="utf-8") as handle:
            handle.write(HEADER)
            for index in range(count):
                handle.write(row(str(index), f"Product number {index}, with a comma"))
        imported, peaks[count] = _import_in_a_subprocess(folder / "styles.csv")
        assert imported == count
    assert peaks[1_000_000] < peaks[1_000] + 64, peaks


def test_a_fifo_named_styles_csv_is_not_waited_on(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 2)
    os.mkfifo(root / "styles.csv")
    report = open_catalog(root).index()  # would block for ever if the FIFO were opened for reading
    assert report.embedded == 2 and report.styles is None


def test_styles_are_imported_before_embedding_and_only_when_changed(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 8)
    (root / "styles.csv").write_text(HEADER + "".join(row(f"photo{i:03}", f"Look {i}", "Men") for i in range(8)))
    catalog = open_catalog(root)
    events: list[str] = []
    filtered_during_indexing: list[int] = []

    def on_progress(progress: IndexProgress) -> None:
        events.append("progress")
        filtered_during_indexing.append(len(catalog.store.ids_matching("gender", "Men")))

    report = catalog.index(on_progress=on_progress, batch_size=2, on_styles=lambda styles: events.append("styles"))
    assert events[0] == "styles" and report.styles is not None and report.styles.rows == 8
    assert filtered_during_indexing[0] == 8, "metadata filters work from the first batch of a first index"
    assert catalog.index().styles is None, "unchanged: not imported again"
    assert catalog.text_results("look", 20, {}) != []
    path = root / "styles.csv"
    path.write_text(HEADER + row("photo000", "Renamed look", "Women"))
    again = catalog.index()
    assert again.styles is not None and again.styles.rows == 1
    assert len(catalog.store.ids_matching("gender", "Men")) == 0
    assert [r.path.name for r in catalog.text_results("renamed", 20, {})] == ["photo000.jpg"]
    path.unlink()
    assert catalog.index().styles is None and catalog.store.styles_count() == 0


def test_a_bad_styles_file_keeps_the_metadata_imported_before(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 2)
    (root / "styles.csv").write_text(HEADER + row("photo000", "First"))
    catalog = open_catalog(root)
    catalog.index()
    (root / "styles.csv").write_bytes(os.urandom(4096))
    report = catalog.index().styles
    assert report is not None and report.error is not None and catalog.store.styles_count() == 1


def test_the_command_line_reports_styles_problems_without_a_traceback(models_env: Path, tmp_path: Path) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 2)
    (root / "styles.csv").write_bytes((HEADER + row("photo000", "Good") + "photo001,Women,Apparel\n").encode("utf-16"))
    result = cli("index", str(root))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert "1 rows imported" in result.stderr and "line 3: 3 fields, expected 10" in result.stderr
