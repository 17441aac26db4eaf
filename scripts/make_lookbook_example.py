"""Make docs/lookbook.png, the README's picture of a lookbook: the cover and the first page of a board of
sample-catalog items, exported by the app and rendered by poppler's pdftoppm (as a PDF viewer shows it).

    python scripts/make_lookbook_example.py [--out docs/lookbook.png]

No models needed: the board is made on a store opened directly, with the sample catalog's styles.csv.
"""

from __future__ import annotations

import argparse
import datetime
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from PIL import Image  # noqa: E402

from fashion_desktop.catalog.boards import Boards  # noqa: E402
from fashion_desktop.catalog.store import CatalogStore  # noqa: E402
from fashion_desktop.catalog.styles import find_styles_file, open_styles, styles_identity  # noqa: E402
from fashion_desktop.sample import sample_catalog_dir  # noqa: E402

PICKS = ["twemoji/twemoji-dress.jpg", "noto/noto-sun-hat.jpg", "twemoji/twemoji-sandal.jpg", "noto/noto-clutch.jpg"]
NOTES = {
    "twemoji/twemoji-dress.jpg": "Opening look. Steam before the shoot; pair with the straw hat.",
    "noto/noto-clutch.jpg": "Client asked for this in red: check stock with the showroom.",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "lookbook.png")
    args = parser.parse_args()
    from PySide6.QtGui import QGuiApplication

    application = QGuiApplication(["lookbook", "-platform", "offscreen"])  # noqa: F841 - fonts need one
    from fashion_desktop.export.lookbook import export_pdf
    from fashion_desktop.export.options import LookbookOptions

    root = sample_catalog_dir()
    with tempfile.TemporaryDirectory() as work:
        store = CatalogStore(Path(work) / "store", root, "example", 8)
        styles = find_styles_file(root)
        assert styles is not None
        with open_styles(styles) as reader:
            store.replace_styles(reader.rows(), styles_identity(styles))
        boards = Boards(store)
        board = boards.create("Riviera shoot")
        boards.add_paths(board.id, [root / pick for pick in PICKS])
        for item in boards.items(board.id):
            if item.last_path in NOTES:
                boards.set_note(board.id, item.content_hash, NOTES[item.last_path])
        pdf = Path(work) / "lookbook.pdf"
        options = LookbookOptions(
            per_page=4, title="Resort 2027", subtitle="Pulls for the Riviera shoot", date=datetime.date(2027, 3, 9)
        )
        export_pdf(boards.get(board.id), boards.items(board.id), pdf, options)
        store.close()
        prefix = Path(work) / "page"
        subprocess.run(["pdftoppm", "-r", "72", "-png", "-f", "1", "-l", "2", str(pdf), str(prefix)], check=True)
        cover, page = (Image.open(path).convert("RGB") for path in sorted(Path(work).glob("page-*.png")))
        gap = 16
        sheet = Image.new("RGB", (cover.width + page.width + 3 * gap, cover.height + 2 * gap), (190, 190, 190))
        sheet.paste(cover, (gap, gap))
        sheet.paste(page, (cover.width + 2 * gap, gap))
        sheet.save(args.out, optimize=True)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
