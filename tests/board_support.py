"""A small catalog for board tests: product photos of distinct, recognisable colours (so a rendered page can be
checked for its pictures), a styles.csv naming them, and helpers to look at exported files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
from PIL import Image

# Saturated colours far apart from each other, from the page's white and greys, and from black text.
COLOURS: list[tuple[int, int, int]] = [
    (220, 30, 30),
    (30, 160, 60),
    (40, 70, 220),
    (240, 200, 0),
    (200, 40, 200),
    (0, 190, 200),
    (250, 130, 0),
    (120, 60, 20),
]
TYPES = ["Dresses", "Tops", "Jeans", "Sneakers", "Handbags", "Scarves", "Coats", "Boots"]
SEASONS = ["Summer", "Winter", "Fall", "Spring"]
STYLES_HEADER = "id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName\n"


def product_photo(colour: tuple[int, int, int], seed: int, size: tuple[int, int] = (300, 400)) -> Image.Image:
    """A flat colour with a lighter "garment" shape whose place depends on `seed` (each file its own content)."""
    width, height = size
    pixels = np.zeros((height, width, 3), dtype=np.uint8)
    pixels[:] = colour
    rng = np.random.default_rng(seed)
    left, top = int(rng.integers(0, width // 3)), int(rng.integers(0, height // 3))
    lighter = tuple(min(255, c + 25) for c in colour)
    pixels[top : top + height // 2, left : left + width // 2] = lighter
    return Image.fromarray(pixels, "RGB")


def make_board_catalog(root: Path, count: int = 8) -> list[Path]:
    """`count` product photos in two folders (look0.jpg … in board-friendly order) with a styles.csv."""
    files = []
    rows = [STYLES_HEADER]
    for index in range(count):
        folder = root / ("tops" if index % 2 else "shoes")
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"look{index}.jpg"
        product_photo(COLOURS[index % len(COLOURS)], index).save(path, quality=92)
        files.append(path)
        kind, season = TYPES[index % len(TYPES)], SEASONS[index % len(SEASONS)]
        row = f"look{index},Women,Apparel,Topwear,{kind},Colour{index},{season},2026,Casual,Product number {index}"
        rows.append(row + "\n")
    (root / "styles.csv").write_text("".join(rows))
    return files


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p): (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def pdf_text(pdf: Path) -> str:
    """The text poppler extracts, in the order it was drawn (each item's text together)."""
    return subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout


def pdf_page_image(pdf: Path, page: int, tmp_path: Path, dpi: int = 30) -> np.ndarray:
    """Page `page` (1-based) rendered by poppler, as an [H, W, 3] array."""
    prefix = tmp_path / f"page-{pdf.stem}-{page}"
    subprocess.run(
        ["pdftoppm", "-r", str(dpi), "-f", str(page), "-l", str(page), "-png", "-singlefile", str(pdf), str(prefix)],
        check=True,
    )
    return np.asarray(Image.open(prefix.with_suffix(".png")).convert("RGB"))


def colour_mask(pixels: np.ndarray, colour: tuple[int, int, int], tolerance: int = 40) -> np.ndarray:
    distance = np.abs(pixels.astype(np.int16) - np.array(colour, dtype=np.int16))
    return np.asarray(np.all(distance <= tolerance, axis=-1))


def centre_of(mask: np.ndarray) -> tuple[float, float]:
    """(x, y) of the centre of the pixels set in `mask`, in fractions of the image."""
    ys, xs = np.nonzero(mask)
    return float(xs.mean() / mask.shape[1]), float(ys.mean() / mask.shape[0])
