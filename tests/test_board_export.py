"""Exporting boards: the PDF lookbook (pages, real text, the pictures as printed), the contact sheet and the ZIP
with its CSV, checked with poppler's tools and by looking at pixels."""

from __future__ import annotations

import csv
import datetime
import io
import math
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt, QThread
from pytestqt.qtbot import QtBot

from fashion_desktop.catalog.boards import Board, BoardItem, Boards
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.export.archive import csv_safe
from fashion_desktop.export.formats import export_board
from fashion_desktop.export.job import ExportCancelled
from fashion_desktop.export.lookbook import export_pdf
from fashion_desktop.export.options import LookbookOptions
from fashion_desktop.paths import AppPaths
from fashion_desktop.workers.base import WorkerThread
from fashion_desktop.workers.boards import BoardExportWorker, ExportRequest
from tests.board_support import (
    COLOURS,
    centre_of,
    colour_mask,
    make_board_catalog,
    pdf_page_image,
    pdf_pages,
    pdf_text,
    product_photo,
    snapshot,
)
from tests.test_workers import Sender, relay

CAPTION_MODEL = "test-captioner"


@pytest.fixture
def board(tmp_path: Path, app_paths: AppPaths, qtbot: QtBot) -> Iterator[tuple[Catalog, Boards, Board]]:
    """A board of 7 items (look0 … look6 in order), the second with a note, the third with a cached caption.
    (qtbot: exports paint text, which needs the QApplication it provides.)"""
    make_board_catalog(tmp_path / "catalog", count=8)
    catalog = Catalog.open(tmp_path / "catalog", app_paths)
    catalog.index()
    boards = Boards(catalog.store, caption_model=CAPTION_MODEL)
    created = boards.create("Amalfi shoot")
    by_path = catalog.store.items_by_path()
    boards.add(created.id, [by_path[f"{'tops' if i % 2 else 'shoes'}/look{i}.jpg"].id for i in range(7)])
    items = boards.items(created.id)
    boards.set_note(created.id, items[1].content_hash, "Pair with the straw hat; steam before the shoot")
    catalog.store.store_captions(CAPTION_MODEL, [(items[2].content_hash, "a yellow linen shirt on a white floor")])
    yield catalog, boards, boards.get(created.id)
    catalog.close()


def items_of(fixture: tuple[Catalog, Boards, Board]) -> list[BoardItem]:
    _, boards, board = fixture
    return boards.items(board.id)


@pytest.mark.parametrize("per_page", [1, 2, 4, 6])
def test_lookbook_pages_text_and_pictures(board: tuple[Catalog, Boards, Board], tmp_path: Path, per_page: int) -> None:
    catalog, _, created = board
    items = items_of(board)
    before = snapshot(catalog.root)
    progress: list[tuple[int, int]] = []
    out = tmp_path / "lookbook.pdf"
    day = datetime.date(2027, 3, 9)
    options = LookbookOptions(per_page, title="Resort 2027", subtitle="Pulls for Amalfi", date=day)
    report = export_pdf(created, items, out, options, on_progress=lambda *p: progress.append(p))
    assert pdf_pages(out) == report.pages == 1 + math.ceil(7 / per_page)
    assert progress[-1] == (8, 8) and len(progress) == 8
    assert report.missing == [] and report.unreadable == [] and report.bytes == out.stat().st_size
    assert snapshot(catalog.root) == before, "exporting never writes into the catalog folder"

    text = " ".join(pdf_text(out).split())
    for expected in ("Resort 2027", "Pulls for Amalfi", "Board: Amalfi shoot", "7 items", "9 March 2027"):
        assert expected in text
    for index in range(7):
        assert f"{index + 1} Product number {index}" in text, "number and product name, as real text"
    assert "Tops · Colour1 · Winter" in text, "type · colour · season"
    assert "Pair with the straw hat; steam before the shoot" in text
    assert "a yellow linen shirt on a white floor" in text

    # The first page of items shows the first items' pictures, in board order, left to right then down.
    page = pdf_page_image(out, 2, tmp_path)
    shown = min(per_page, 7)
    centres = []
    for index in range(shown):
        mask = colour_mask(page, COLOURS[index])
        assert mask.mean() > 0.2 / per_page / 4, f"the picture of item {index + 1} is on page 2"
        centres.append(centre_of(mask))
    for index in range(per_page, 7):
        assert colour_mask(page, COLOURS[index]).mean() < 0.001, "later items are on later pages"
    reading_order = sorted(range(shown), key=lambda i: (round(centres[i][1], 1), centres[i][0]))
    assert reading_order == list(range(shown))


def test_paper_size_and_orientation(board: tuple[Catalog, Boards, Board], tmp_path: Path) -> None:
    _, _, created = board
    cases = (("letter", True, "792 x 612"), ("a4", False, "595 x 842"), ("a4", True, "842 x 595"))
    for paper, landscape, size in cases:
        out = tmp_path / f"{paper}-{landscape}.pdf"
        export_pdf(created, items_of(board), out, LookbookOptions(6, paper, landscape))
        info = subprocess.run(["pdfinfo", str(out)], capture_output=True, text=True, check=True).stdout
        assert f"Page size:       {size}" in info
        assert pdf_pages(out) == 3


def test_pictures_are_upright_and_downscaled_to_300_dpi_never_upscaled(
    tmp_path: Path, app_paths: AppPaths, qtbot: QtBot
) -> None:
    root = tmp_path / "catalog"
    root.mkdir()
    product_photo(COLOURS[5], 3, size=(3000, 4000)).save(root / "camera.jpg", quality=90)
    product_photo(COLOURS[0], 1, size=(90, 120)).save(root / "small.png")
    sideways = product_photo(COLOURS[2], 2, size=(400, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # stored landscape, shown portrait (rotated 90° clockwise)
    sideways.save(root / "sideways.jpg", exif=exif, quality=95)
    catalog = Catalog.open(root, app_paths)
    try:
        catalog.index()
        boards = Boards(catalog.store)
        created = boards.create("Sizes")
        boards.add_paths(created.id, [root / "camera.jpg", root / "small.png", root / "sideways.jpg"])
        out = tmp_path / "sizes.pdf"
        export_pdf(created, boards.items(created.id), out, LookbookOptions(per_page=4))
    finally:
        catalog.close()
    listing = subprocess.run(["pdfimages", "-list", str(out)], capture_output=True, text=True, check=True).stdout
    rows = [line.split() for line in listing.splitlines()[2:]]
    on_page_2 = [(int(r[3]), int(r[4]), int(r[12]), int(r[13])) for r in rows if r[0] == "2"]  # w, h, x-ppi, y-ppi
    assert len(on_page_2) == 3
    camera, small, upright = on_page_2
    assert 600 < camera[0] < 3000 and camera[1] < 4000, "downscaled"
    assert 295 <= min(camera[2:]) and max(camera[2:]) <= 301, "300 dpi as printed: no more, and no less when it can"
    assert small[:2] == (90, 120), "never upscaled"
    assert upright[:2] == (200, 400), "EXIF orientation applied"
    page = pdf_page_image(out, 2, tmp_path, dpi=40)
    ys, xs = np.nonzero(colour_mask(page, COLOURS[2]))
    assert np.ptp(ys) > 1.5 * np.ptp(xs), "drawn portrait, as the camera meant"


def test_missing_and_unreadable_pictures_get_placeholders(board: tuple[Catalog, Boards, Board], tmp_path: Path) -> None:
    catalog, boards, created = board
    (catalog.root / "tops/look1.jpg").unlink()  # missing from now on
    broken = catalog.root / "tops/look3.jpg"
    broken.write_bytes(broken.read_bytes()[:300] + bytes(range(256)) * 8)  # same name, undecodable
    catalog.index()  # the broken file is now an item that failed to decode: its new content goes on the board
    boards.add_paths(created.id, [broken])
    items = boards.items(created.id)
    out = tmp_path / "placeholders.pdf"
    report = export_pdf(created, items, out, LookbookOptions(per_page=2))
    assert report.missing == ["tops/look1.jpg", "tops/look3.jpg"]  # the old look3 content is gone too
    assert report.unreadable == ["tops/look3.jpg"]
    assert pdf_pages(out) == 1 + math.ceil(8 / 2)
    text = " ".join(pdf_text(out).split())
    assert "Picture missing" in text and "Picture could not be read" in text
    assert "2 Product number 1" in text, "a missing item keeps its name and place"
    page = pdf_page_image(out, 2, tmp_path)  # items 1 and 2: a picture, then a placeholder
    assert colour_mask(page, COLOURS[0]).mean() > 0.02
    assert colour_mask(page, (238, 238, 238), tolerance=4)[:, page.shape[1] // 2 :].mean() > 0.05


def test_contact_sheet_shows_every_item_in_order(board: tuple[Catalog, Boards, Board], tmp_path: Path) -> None:
    catalog, _, created = board
    out = tmp_path / "sheet.png"
    report = export_board(created, items_of(board), out)
    assert report.items == 7 and report.pages == 0
    sheet = np.asarray(Image.open(out).convert("RGB"))
    centres = [centre_of(colour_mask(sheet, COLOURS[index])) for index in range(7)]
    assert all(colour_mask(sheet, COLOURS[index]).sum() > 5000 for index in range(7))
    assert sorted(range(7), key=lambda i: (round(centres[i][1], 1), centres[i][0])) == list(range(7))


def test_zip_holds_the_originals_and_a_safe_csv(board: tuple[Catalog, Boards, Board], tmp_path: Path) -> None:
    catalog, boards, created = board
    root = catalog.root
    (root / "more").mkdir()
    product_photo(COLOURS[7], 77).save(root / "more" / "LOOK0.jpg")  # clashes with shoes/look0.jpg on Windows/macOS
    styles = (root / "styles.csv").read_text().replace("Product number 6", "=cmd|' /C calc'!A0")
    (root / "styles.csv").write_text(styles)
    catalog.index()
    boards.add_paths(created.id, [root / "more" / "LOOK0.jpg"])
    items = boards.items(created.id)
    for index, text in ((0, '=HYPERLINK("http://evil","x")'), (3, "+1+2"), (4, "-cmd"), (5, "@SUM(A1)")):
        boards.set_note(created.id, items[index].content_hash, text)
    (root / "shoes/look2.jpg").unlink()
    items = boards.items(created.id)
    out = tmp_path / "board.zip"
    report = export_board(created, items, out)
    assert report.missing == ["shoes/look2.jpg"]
    with zipfile.ZipFile(out) as archive:
        names = archive.namelist()
        rows = list(csv.reader(io.StringIO(archive.read("Amalfi shoot/Amalfi shoot.csv").decode("utf-8-sig"))))
        assert archive.read("Amalfi shoot/look1.jpg") == (root / "tops/look1.jpg").read_bytes()
        assert archive.read("Amalfi shoot/LOOK0 (2).jpg") == (root / "more/LOOK0.jpg").read_bytes()
    assert "Amalfi shoot/look0.jpg" in names and "Amalfi shoot/look2.jpg" not in names
    header, body = rows[0], rows[1:]
    assert header[:3] == ["number", "file", "product name"] and "Season" in header
    assert header[-4:-2] == ["caption", "note"]
    assert [row[0] for row in body] == [str(n) for n in range(1, 9)]
    assert [row[2] for row in body][:3] == ["Product number 0", "Product number 1", "Product number 2"]
    note = header.index("note")
    assert body[0][note] == '\'=HYPERLINK("http://evil","x")'
    assert body[6][2] == "'=cmd|' /C calc'!A0", "product names from styles.csv too"
    assert [body[i][note] for i in (3, 4, 5)] == ["'+1+2", "'-cmd", "'@SUM(A1)"]
    assert body[2][header.index("status")] == "missing" and body[2][1] == ""
    assert body[2][header.index("catalog path")] == "shoes/look2.jpg"
    assert body[1][header.index("caption")] == "" and body[2][header.index("caption")] == ""


@pytest.mark.parametrize(
    ("value", "safe"),
    [("=1+1", "'=1+1"), ("+x", "'+x"), ("-2", "'-2"), ("@A1", "'@A1"), ("\t=1", "'\t=1"), ("\r=1", "'\r=1")]
    + [("a=b", "a=b"), ("", ""), (" =1", " =1")],
)
def test_csv_cells_that_a_spreadsheet_would_run_are_escaped(value: str, safe: str) -> None:
    assert csv_safe(value) == safe


@pytest.mark.parametrize("suffix", [".pdf", ".png", ".zip"])
def test_a_cancelled_export_leaves_no_file_and_keeps_the_old_one(
    board: tuple[Catalog, Boards, Board], tmp_path: Path, suffix: str
) -> None:
    _, _, created = board
    out = tmp_path / f"board{suffix}"
    out.write_bytes(b"the export of last week")
    stop = threading.Event()

    def progress(done: int, total: int) -> None:
        if done == 3:
            stop.set()

    with pytest.raises(ExportCancelled):
        export_board(created, items_of(board), out, on_progress=progress, cancelled=stop.is_set)
    assert out.read_bytes() == b"the export of last week"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".board", "board"))) == [out.name]


def test_unknown_format_is_refused(board: tuple[Catalog, Boards, Board], tmp_path: Path) -> None:
    _, _, created = board
    with pytest.raises(ValueError, match=r"\.pdf, \.png, \.zip"):
        export_board(created, items_of(board), tmp_path / "board.docx")
    assert not (tmp_path / "board.docx").exists()


def test_an_empty_board_is_a_cover_only(board: tuple[Catalog, Boards, Board], tmp_path: Path) -> None:
    _, boards, _ = board
    empty = boards.create("Nothing yet")
    out = tmp_path / "empty.pdf"
    export_pdf(empty, [], out)
    assert pdf_pages(out) == 1 and "0 items" in pdf_text(out)


def test_the_export_worker_paints_on_its_thread_reports_progress_and_can_be_cancelled(
    board: tuple[Catalog, Boards, Board], tmp_path: Path, qtbot: QtBot, app_paths: AppPaths
) -> None:
    """What the window's export dialog will drive: a request in, progress, then the report or a message."""
    catalog, _, created = board
    running = WorkerThread(BoardExportWorker(app_paths), "export")
    worker = running.worker
    threads: set[QThread] = set()
    cancel_at: list[int] = [3]

    def on_progress(request_id: int, done: int, total: int) -> None:  # direct: runs where the export runs
        threads.add(QThread.currentThread())
        if done == cancel_at[0]:
            worker.cancel(request_id)

    worker.progressed.connect(on_progress, Qt.ConnectionType.DirectConnection)
    results, failures = relay(worker.exported, 2), relay(worker.failed, 2)
    sender = Sender()
    sender.ask.connect(worker.export)
    out = tmp_path / "from the worker.pdf"
    try:
        with qtbot.waitSignal(failures.got, timeout=60000) as failure:
            sender.ask.emit(ExportRequest(1, catalog.root, created.id, out, LookbookOptions(per_page=2)))
        assert failure.args[0][0] == 1 and "cancelled" in failure.args[0][1] and not out.exists()
        cancel_at[0] = -1
        with qtbot.waitSignal(results.got, timeout=60000) as outcome:
            sender.ask.emit(ExportRequest(2, catalog.root, created.id, out, LookbookOptions(per_page=2)))
        request_id, report = outcome.args[0]
        assert request_id == 2 and report.pages == pdf_pages(out) == 5
        assert threads and QThread.currentThread() not in threads, "painted on the worker's thread"
        with qtbot.waitSignal(failures.got, timeout=60000) as failure:
            sender.ask.emit(ExportRequest(3, catalog.root, created.id + 99, out, None))
        assert failure.args[0] == (3, "Export failed: that board no longer exists")
    finally:
        running.stop()
