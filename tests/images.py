"""Awkward test images built in code: every mode and orientation a stylist's folder may hold."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image


def gradient(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None]
    pixels = np.stack([x + 0 * y, y + 0 * x, (x + y) / 2], axis=-1) + rng.normal(0, 20, (height, width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")


def write_awkward_images(folder: Path) -> dict[str, Path]:
    """Name → file for each awkward case."""
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}

    def save(name: str, image: Image.Image, **kwargs: Any) -> None:
        files[name] = folder / name
        image.save(files[name], **kwargs)

    save("tiny.png", gradient(10, 7))
    save("huge.png", gradient(3000, 2000, seed=1))
    save("portrait.jpg", gradient(300, 700, seed=2), quality=95)
    save("grayscale.png", gradient(320, 240, seed=3).convert("L"))
    save("cmyk.jpg", gradient(260, 300, seed=4).convert("CMYK"), quality=95)
    palette = gradient(200, 180, seed=5).convert("RGBA")
    alpha = np.full((180, 200), 255, dtype=np.uint8)
    alpha[:, :60] = 0
    palette.putalpha(Image.fromarray(alpha))
    indexed = gradient(200, 180, seed=5).quantize(colors=64)
    indexed.paste(0, (0, 0, 60, 180))  # left band uses palette entry 0, declared transparent below
    save("palette_alpha.png", indexed, transparency=0)
    save("rgba.png", palette)
    rotated = gradient(400, 200, seed=6)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    save("exif_rotated.jpg", rotated, exif=exif, quality=95)
    sixteen = (np.linspace(0, 65535, 256 * 128, dtype=np.float64).reshape(128, 256)).astype(np.uint16)
    save("sixteen_bit.png", Image.fromarray(sixteen))
    return files


def jpeg_bytes(image: Image.Image, quality: int = 92) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()
