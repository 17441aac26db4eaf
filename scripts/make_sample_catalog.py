#!/usr/bin/env python3
"""Build the sample catalog that ships with the app (fashion_desktop/sample_catalog/).

Two visual styles of the same garments and accessories: Twemoji (flat vector art, CC-BY 4.0, npm package
@twemoji/svg) rendered with cairosvg, and Noto Color Emoji (glossy bitmap art, SIL OFL 1.1, Debian package
fonts-noto-color-emoji) rendered with Pillow, each placed like a product shot. Also writes styles.csv (the
Kaggle fashion-dataset layout) and ATTRIBUTION.md. Run by hand; needs npm, cairosvg and the Debian font:

    apt-get install fonts-noto-color-emoji && pip install cairosvg && python scripts/make_sample_catalog.py
"""

from __future__ import annotations

import csv
import io
import subprocess
import tarfile
import tempfile
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

OUT = Path(__file__).resolve().parent.parent / "fashion_desktop" / "sample_catalog"
NOTO = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
TWEMOJI = "@twemoji/svg@15.0.0"
SIZE = (480, 560)

# codepoint, slug, gender, masterCategory, subCategory, articleType, baseColour, usage, name
ITEMS = [
    ("1f457", "dress", "Women", "Apparel", "Dress", "Dresses", "Blue", "Casual", "Day Dress"),
    ("1f454", "shirt-and-tie", "Men", "Apparel", "Topwear", "Shirts", "Blue", "Formal", "Shirt with Tie"),
    ("1f455", "t-shirt", "Unisex", "Apparel", "Topwear", "Tshirts", "Blue", "Casual", "Crew Neck T-shirt"),
    ("1f456", "jeans", "Unisex", "Apparel", "Bottomwear", "Jeans", "Blue", "Casual", "Straight Jeans"),
    ("1f9e3", "scarf", "Unisex", "Accessories", "Scarves", "Scarves", "Red", "Casual", "Knitted Scarf"),
    ("1f9e4", "gloves", "Unisex", "Accessories", "Gloves", "Gloves", "Green", "Casual", "Wool Gloves"),
    ("1f9e5", "coat", "Unisex", "Apparel", "Topwear", "Jackets", "Brown", "Casual", "Long Coat"),
    ("1f9e6", "socks", "Unisex", "Accessories", "Socks", "Socks", "Red", "Casual", "Striped Socks"),
    ("1f458", "kimono", "Women", "Apparel", "Topwear", "Kimono", "Pink", "Ethnic", "Silk Kimono"),
    ("1f97b", "sari", "Women", "Apparel", "Saree", "Sarees", "Orange", "Ethnic", "Draped Sari"),
    ("1fa71", "swimsuit", "Women", "Apparel", "Innerwear", "Swimwear", "Blue", "Sports", "One-piece Swimsuit"),
    ("1fa72", "briefs", "Men", "Apparel", "Innerwear", "Briefs", "Blue", "Casual", "Swim Briefs"),
    ("1fa73", "shorts", "Unisex", "Apparel", "Bottomwear", "Shorts", "Blue", "Sports", "Sport Shorts"),
    ("1f459", "bikini", "Women", "Apparel", "Innerwear", "Swimwear", "Pink", "Sports", "Polka Bikini"),
    ("1f45a", "blouse", "Women", "Apparel", "Topwear", "Tops", "Pink", "Casual", "Blouse"),
    ("1f45b", "purse", "Women", "Accessories", "Wallets", "Wallets", "Pink", "Casual", "Coin Purse"),
    ("1f45c", "handbag", "Women", "Accessories", "Bags", "Handbags", "Purple", "Casual", "Top-handle Handbag"),
    ("1f45d", "clutch", "Women", "Accessories", "Bags", "Clutches", "Purple", "Party", "Evening Clutch"),
    ("1f392", "backpack", "Unisex", "Accessories", "Bags", "Backpacks", "Red", "Casual", "School Backpack"),
    ("1f45e", "oxford-shoe", "Men", "Footwear", "Shoes", "Formal Shoes", "Brown", "Formal", "Leather Oxford"),
    ("1f45f", "running-shoe", "Unisex", "Footwear", "Shoes", "Sports Shoes", "Blue", "Sports", "Running Shoe"),
    ("1f97e", "hiking-boot", "Unisex", "Footwear", "Shoes", "Casual Shoes", "Brown", "Sports", "Hiking Boot"),
    ("1f97f", "flat-shoe", "Women", "Footwear", "Shoes", "Flats", "Blue", "Casual", "Ballet Flat"),
    ("1f460", "high-heel", "Women", "Footwear", "Shoes", "Heels", "Red", "Party", "Stiletto Pump"),
    ("1f461", "sandal", "Women", "Footwear", "Sandal", "Sandals", "Brown", "Casual", "Strappy Sandal"),
    ("1fa70", "ballet-shoes", "Women", "Footwear", "Shoes", "Flats", "Pink", "Casual", "Ballet Shoes"),
    ("1f462", "boot", "Women", "Footwear", "Shoes", "Boots", "Brown", "Casual", "Knee Boot"),
    ("1f452", "sun-hat", "Women", "Accessories", "Headwear", "Hats", "Yellow", "Casual", "Sun Hat"),
    ("1f3a9", "top-hat", "Men", "Accessories", "Headwear", "Hats", "Black", "Formal", "Top Hat"),
    ("1f9e2", "cap", "Unisex", "Accessories", "Headwear", "Caps", "Blue", "Sports", "Baseball Cap"),
    ("1f453", "glasses", "Unisex", "Accessories", "Eyewear", "Glasses", "Black", "Casual", "Round Glasses"),
    ("1f576", "sunglasses", "Unisex", "Accessories", "Eyewear", "Sunglasses", "Black", "Casual", "Sunglasses"),
    ("1f48d", "ring", "Women", "Accessories", "Jewellery", "Ring", "Silver", "Party", "Diamond Ring"),
    ("1fa74", "flip-flops", "Unisex", "Footwear", "Flip Flops", "Flip Flops", "Blue", "Casual", "Flip Flops"),
]


def twemoji_svgs() -> dict[str, bytes]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["npm", "pack", TWEMOJI, "--silent"], cwd=tmp, check=True, capture_output=True)
        (archive,) = Path(tmp).glob("*.tgz")
        with tarfile.open(archive) as tar:
            return {
                Path(m.name).stem: tar.extractfile(m).read()  # type: ignore[union-attr]
                for m in tar.getmembers()
                if m.name.endswith(".svg")
            }


def render_twemoji(svg: bytes, side: int) -> Image.Image:
    import cairosvg

    png = cairosvg.svg2png(bytestring=svg, output_width=side, output_height=side)
    return Image.open(io.BytesIO(png)).convert("RGBA")


def render_noto(codepoint: str, side: int) -> Image.Image:
    font = ImageFont.truetype(str(NOTO), 109)  # the only size the bitmap font has
    canvas = Image.new("RGBA", (160, 160), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((8, 8), chr(int(codepoint, 16)), font=font, embedded_color=True)
    glyph = canvas.crop(canvas.getbbox())
    scale = side / max(glyph.size)
    return glyph.resize((round(glyph.width * scale), round(glyph.height * scale)), Image.Resampling.LANCZOS)


def product_shot(art: Image.Image, background: tuple[int, int, int], shadow: bool) -> Image.Image:
    """Centre the artwork on a plain studio backdrop, optionally with a soft floor shadow."""
    shot = Image.new("RGB", SIZE, background)
    x, y = (SIZE[0] - art.width) // 2, (SIZE[1] - art.height) // 2 - 20
    if shadow:
        mask = Image.new("L", SIZE, 0)
        ImageDraw.Draw(mask).ellipse((x + 30, y + art.height - 10, x + art.width - 30, y + art.height + 30), 90)
        shot.paste((0, 0, 0), mask=mask.filter(ImageFilter.GaussianBlur(14)))
    shot.paste(art, (x, y), art)
    return shot


def main() -> None:
    svgs = twemoji_svgs()
    rows = []
    for style, folder in (("flat", "twemoji"), ("glossy", "noto")):
        (OUT / folder).mkdir(parents=True, exist_ok=True)
        for index, (code, slug, gender, master, sub, article, colour, usage, name) in enumerate(ITEMS):
            if style == "flat":
                shot = product_shot(render_twemoji(svgs[code], 340), (246, 245, 242), shadow=False)
            else:
                shot = product_shot(render_noto(code, 330), (226, 230, 236), shadow=True)
            stem = f"{folder}-{slug}"
            shot.save(OUT / folder / f"{stem}.jpg", quality=88, optimize=True)
            season = ("Summer", "Winter", "Fall", "Spring")[index % 4]
            rows.append([stem, gender, master, sub, article, colour, season, "2024", usage, f"{name} ({style})"])
    with (OUT / "styles.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "id",
                "gender",
                "masterCategory",
                "subCategory",
                "articleType",
                "baseColour",
                "season",
                "year",
                "usage",
                "productDisplayName",
            ]
        )
        writer.writerows(rows)
    (OUT / "ATTRIBUTION.md").write_text(
        "# Sample catalog attribution\n\n"
        "- `twemoji/`: Twemoji artwork, Copyright 2019 Twitter, Inc and other contributors; graphics licensed\n"
        "  CC-BY 4.0 (https://creativecommons.org/licenses/by/4.0/). From the npm package @twemoji/svg 15.0.0,\n"
        "  rendered and placed on a backdrop.\n"
        "- `noto/`: Noto Color Emoji artwork, Copyright 2013 Google LLC; SIL Open Font License 1.1. From the\n"
        "  Debian package fonts-noto-color-emoji, rendered, enlarged and placed on a backdrop with a shadow.\n\n"
        "Made by scripts/make_sample_catalog.py. `styles.csv` is invented metadata in the Kaggle\n"
        "fashion-product-images layout.\n",
        encoding="utf-8",
    )
    print(f"{len(rows)} images in {OUT}")


if __name__ == "__main__":
    main()
