"""Benchmark: exporting a 200-item board (time and file size) at each lookbook layout, and as a contact sheet and a
ZIP, on two kinds of pictures.

    python bench/boards.py [--items 200] [--rounds 2] [--keep DIR]

- "sample": the sample catalog's 68 product images (480×560 JPEGs), re-encoded into 200 distinct files.
- "camera": 200 synthetic 3000×4000 camera-sized JPEGs (20 distinct photos, each file made distinct by a JPEG
  comment, so decoding costs are real and every file is its own item).
Each item has a product name (styles.csv), type/colour/season, a caption and, for every third, a note. The
layouts are timed interleaved round after round (noise hits them alike); medians are reported, with each
layout's time and size as a ratio to the 4-per-page layout. No models needed: the store is opened directly.
Not a test: run by hand; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import io
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import numpy as np  # noqa: E402
from common import closing_line  # noqa: E402
from PIL import Image  # noqa: E402

from fashion_desktop.catalog.boards import Board, BoardItem, Boards  # noqa: E402
from fashion_desktop.catalog.store import CatalogStore  # noqa: E402

CAPTION_MODEL = "bench-captions"
TYPES = ["Dresses", "Tops", "Jeans", "Sneakers", "Handbags", "Scarves", "Coats", "Boots"]
COLOURS = ["Blue", "Red", "Black", "White", "Green", "Beige"]
SEASONS = ["Summer", "Winter", "Fall", "Spring"]


def make_sample_catalog(folder: Path, count: int) -> None:
    from fashion_desktop.sample import sample_catalog_dir

    sources = sorted(sample_catalog_dir().rglob("*.jpg"))
    folder.mkdir(parents=True)
    for index in range(count):
        with Image.open(sources[index % len(sources)]) as image:
            image.save(folder / f"item{index:04}.jpg", quality=92 - index // len(sources))  # distinct files
    write_styles(folder, count)


def make_camera_catalog(folder: Path, count: int, distinct: int = 20) -> None:
    from model_export.common import synthetic_images

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for first, image in enumerate(synthetic_images(distinct, seed=3)):  # one photo in memory at a time
        large = image.resize((3000, 4000), Image.Resampling.BICUBIC)
        grain = rng.normal(0, 5, size=(4000, 3000, 3)).astype(np.float32)
        photo = Image.fromarray(np.clip(np.asarray(large) + grain, 0, 255).astype(np.uint8))
        del grain
        for index in range(first, count, distinct):
            buffer = io.BytesIO()
            photo.save(buffer, format="JPEG", quality=90, comment=f"frame {index}".encode())
            (folder / f"item{index:04}.jpg").write_bytes(buffer.getvalue())
    write_styles(folder, count)


def write_styles(folder: Path, count: int) -> None:
    rows = ["id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"]
    for index in range(count):
        kind, colour, season = TYPES[index % 8], COLOURS[index % 6], SEASONS[index % 4]
        name = f"{colour} {kind} {index}"
        rows.append(f"item{index:04},Women,Apparel,Topwear,{kind},{colour},{season},2026,Casual,{name}")
    (folder / "styles.csv").write_text("\n".join(rows) + "\n")


def board_of(folder: Path, data: Path) -> tuple[Board, list[BoardItem], CatalogStore]:
    """(board, its items, the store) for every image of `folder`, with captions and notes."""
    from fashion_desktop.catalog.styles import open_styles

    store = CatalogStore(data / folder.name, folder, "bench-model", 8)
    with open_styles(folder / "styles.csv") as styles:
        store.replace_styles(styles.rows(), None)
    boards = Boards(store, caption_model=CAPTION_MODEL)
    board = boards.create(f"Bench {folder.name}")
    added = boards.add_paths(board.id, sorted(folder.glob("*.jpg")))
    caption = "a model wearing a {} piece outfit on a plain backdrop"
    store.store_captions(CAPTION_MODEL, [(digest, caption.format(i % 7)) for i, digest in enumerate(added.added)])
    for index, digest in enumerate(added.added[::3]):
        boards.set_note(board.id, digest, f"Note {index}: shoot outdoors, pair with the straw hat; check the hem.")
    return boards.get(board.id), boards.items(board.id), store


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--keep", type=Path, default=None, help="write the exports here (to look at them)")
    args = parser.parse_args()

    from PySide6.QtGui import QGuiApplication

    application = QGuiApplication(["bench", "-platform", "offscreen"])  # noqa: F841 - fonts need one alive
    from fashion_desktop.export.formats import export_board
    from fashion_desktop.export.options import LookbookOptions

    figures: dict[str, object] = {}
    work = Path(tempfile.mkdtemp(prefix="fd-bench-boards-"))
    try:
        for label, make in (("sample", make_sample_catalog), ("camera", make_camera_catalog)):
            started = time.perf_counter()
            make(work / label, args.items)
            board, items, store = board_of(work / label, work / "data")
            print(f"\n{label}: {len(items)} items on a board (catalog made in {time.perf_counter() - started:.0f} s)")
            jobs: dict[str, tuple[str, LookbookOptions | None]] = {
                f"pdf {n}/page": (".pdf", LookbookOptions(per_page=n)) for n in (1, 2, 4, 6)
            }
            jobs["pdf 1/page 150 dpi"] = (".pdf", LookbookOptions(per_page=1, max_dpi=150))
            jobs["contact sheet"] = (".png", None)
            jobs["zip + csv"] = (".zip", None)
            seconds: dict[str, list[float]] = {name: [] for name in jobs}
            sizes: dict[str, int] = {}
            pages: dict[str, int] = {}
            for _ in range(args.rounds):
                for name, (suffix, options) in jobs.items():
                    out = work / f"{label}-{name.replace(' ', '-').replace('/', '-')}{suffix}"
                    report = export_board(board, items, out, options)
                    seconds[name].append(report.seconds)
                    sizes[name], pages[name] = report.bytes, report.pages
                    if args.keep is not None:
                        args.keep.mkdir(parents=True, exist_ok=True)
                        shutil.copy(out, args.keep / out.name)
                    out.unlink()
            base_time = statistics.median(seconds["pdf 4/page"])
            base_size = sizes["pdf 4/page"]
            for name in jobs:
                median = statistics.median(seconds[name])
                page_text = f"{pages[name]:4d} pages" if pages[name] else " " * 10
                print(
                    f"  {name:<20} {median:6.1f} s  {sizes[name] / 1e6:7.1f} MB  {page_text}"
                    f"  time {median / base_time:4.2f}x, size {sizes[name] / base_size:4.2f}x of pdf 4/page"
                )
                key = f"{label}_{name.replace(' ', '_').replace('/', '_per_')}"
                figures[f"{key}_seconds"] = round(median, 2)
                figures[f"{key}_mb"] = round(sizes[name] / 1e6, 2)
            store.close()
        figures["peak_rss_mib"] = round(peak_rss_mib())
        print(f"\npeak memory (VmHWM) {figures['peak_rss_mib']} MiB")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    closing_line(figures)


if __name__ == "__main__":
    main()
