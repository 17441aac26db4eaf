"""Images: whatever a file holds, decoding gives a picture or one ImageDecodeError with a reason, in indexing, search,
captions and previews; memory follows the work, not what a header claims; queries get the catalog's limits."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashion_desktop.imaging import MAX_PIXELS, ImageDecodeError, decode, load_preview
from fashion_desktop.models.captioner import Captioner
from tests.conftest import OpenCatalog
from tests.hostile.support import indexed_catalog, write_photos
from tests.images import gradient, jpeg_bytes
from tests.support import REPO


def _png_chunk(kind: bytes, payload: bytes, crc: int | None = None) -> bytes:
    checksum = zlib.crc32(kind + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", checksum)


def malformed_files() -> dict[str, bytes]:
    """One file per way Pillow fails beyond OSError (SyntaxError, NotImplementedError, struct.error, ...)."""
    good_png = io.BytesIO()
    gradient(30, 20).save(good_png, format="PNG")
    png = good_png.getvalue()
    ihdr = struct.pack(">IIBBBBB", 30, 20, 8, 2, 0, 0, 0)
    exif_broken = bytearray(jpeg_bytes(gradient(40, 30)))
    app1 = b"Exif\0\0MM\0*\0\0\0\x08\0\x05\x01\x12\0\x03\0\0\0\x01\0\x06"  # IFD claims 5 entries, holds 1
    exif_broken[2:2] = b"\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    return {
        "png-bad-crc.png": png[:8] + _png_chunk(b"IHDR", ihdr, crc=0) + png[33:],
        "png-bad-ihdr.png": png[:8] + _png_chunk(b"IHDR", ihdr[:5]) + png[33:],
        "png-huge-claim.png": png[:8] + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1 << 30, 1 << 30, 8, 2, 0, 0, 0)),
        "png-no-idat.png": png[:33] + _png_chunk(b"IEND", b""),
        "eps-named.jpg": b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n",
        "psd-named.jpg": b"8BPS\0\x01" + b"\0" * 6 + b"\0\x03\0\0\0\x0a\0\0\0\x0a\0\x08\0\x03" + b"\0" * 40,
        "ico-named.png": b"\0\0\x01\0\x01\0\x10\x10\0\0\x01\0\x20\0" + b"\0" * 40,
        "zip-named.gif": b"PK\x03\x04" + b"\0" * 60,
        "tiff-garbage-ifd.tif": b"II*\0\x08\0\0\0\xff\xff" + b"\x01" * 64,
        "gif-bad-lzw.gif": b"GIF89a\x0a\0\x0a\0\x80\0\0\0\0\0\xff\xff\xff,\0\0\0\0\x0a\0\x0a\0\0\x0c" + b"\xff" * 30,
        "bmp-negative-size.bmp": b"BM" + b"\0" * 12 + struct.pack("<IiiHH", 40, -5, -(1 << 30), 1, 24) + b"\0" * 64,
        "webp-truncated.webp": _webp()[:40],
        "jpeg-only-header.jpg": jpeg_bytes(gradient(50, 50))[:300],
        "jpeg-malformed-exif.jpg": bytes(exif_broken),
        "empty.png": b"",
        "text.jpg": b"just some text, not a picture\n" * 10,
    }


def _webp() -> bytes:
    buffer = io.BytesIO()
    gradient(40, 30).save(buffer, format="WEBP")
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(malformed_files()))
def test_malformed_files_decode_or_fail_with_a_reason_from_bytes_files_and_handles(name: str, tmp_path: Path) -> None:
    data = malformed_files()[name]
    path = tmp_path / name
    path.write_bytes(data)
    for source in (data, path, io.BytesIO(data)):
        try:
            decoded = decode(source, draft_size=256)
        except ImageDecodeError as exc:
            assert str(exc), "a reason is given"
            continue
        assert decoded.image.mode == "RGB" and min(decoded.image.size) >= 1


def test_only_supported_formats_are_parsed(tmp_path: Path) -> None:
    for name in ("eps-named.jpg", "psd-named.jpg", "ico-named.png", "zip-named.gif"):
        with pytest.raises(ImageDecodeError, match="not a supported image"):
            decode(malformed_files()[name])


def test_malformed_exif_costs_the_orientation_not_the_picture() -> None:
    decoded = decode(malformed_files()["jpeg-malformed-exif.jpg"])
    assert decoded.size == (40, 30)


def test_float_images_with_nan_and_infinity_become_finite_rgb(tmp_path: Path) -> None:
    values = np.linspace(0, 1, 64 * 48, dtype=np.float32).reshape(48, 64)
    values[0, :8] = np.nan
    values[1, :8] = np.inf
    values[2, :8] = -np.inf
    path = tmp_path / "float.tif"
    Image.fromarray(values, "F").save(path)
    pixels = np.asarray(decode(path).image)
    assert pixels.dtype == np.uint8 and pixels[0, :8].max() == 0 and pixels[1, :8].min() == 255


def test_a_header_claiming_far_more_pixels_than_the_file_holds_is_refused_before_decoding() -> None:
    """A 1.5 KB TIFF claiming 84 megapixels decoded into 1.2 GB (found by the fuzzer): the claim is now weighed
    against the file's size first. A real photo of that size passes (it has the bytes)."""
    ihdr = struct.pack(">IIBBBBB", 9000, 9000, 8, 2, 0, 0, 0)
    claim = b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", zlib.compress(b"\0" * 64))
    with pytest.raises(ImageDecodeError, match="damaged, or a decompression bomb"):
        decode(claim)
    plausible = io.BytesIO()
    Image.new("L", (8, 2_100_000)).save(plausible, format="TIFF", compression="tiff_deflate")  # 17 MP in 20 KB
    assert decode(plausible.getvalue(), draft_size=256).size == (8, 2_100_000)


SLIVERS = """
import sys
from PIL import Image
from fashion_desktop.imaging import decode, load_preview
from tests.hostile.fuzz import BLIP, RESNET, peak_rss_mib
from fashion_desktop.models.preprocess import preprocess
for path in sys.argv[1:]:
    decoded = decode(path, draft_size=RESNET.draft_size)
    preprocess(decoded.image, RESNET)
    preprocess(decode(path).image, BLIP)
    load_preview(path, 320)
print(int(peak_rss_mib()))
"""


def _peak_mib(paths: list[Path]) -> int:
    result = subprocess.run(
        [sys.executable, "-c", SLIVERS, *map(str, paths)], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return int(result.stdout.split()[-1])


@pytest.mark.slow
def test_a_sliver_costs_what_a_normal_photo_costs(tmp_path: Path) -> None:
    """1×N and N×1 images of a few hundred bytes (their shortest-edge resize once took 8 GB): through decoding,
    both models' preprocessing and the preview, they peak no higher than one ordinary 12-megapixel photo (a PNG:
    a JPEG photo is decoded at reduced scale and costs less)."""
    photo = tmp_path / "photo.png"
    gradient(4000, 3000).save(photo)
    slivers = []
    for name, size, options in (
        ("tall.png", (1, 4_000_000), {}),
        ("wide.png", (4_000_000, 1), {}),
        ("tall.gif", (1, 65535), {}),
        ("wide.jpg", (65500, 1), {}),
        ("tall.webp", (1, 16383), {}),
        ("wide.bmp", (1_000_000, 1), {}),
        ("tall.tif", (1, 2_000_000), {"compression": "tiff_deflate"}),
    ):
        slivers.append(tmp_path / name)
        Image.new("RGB", size, (200, 30, 60)).save(slivers[-1], **options)
    assert all(p.stat().st_size < 4_000_000 // 8 for p in slivers[:2])  # a few hundred bytes to kilobytes
    photo_peak, sliver_peak = _peak_mib([photo]), _peak_mib(slivers)
    assert sliver_peak <= photo_peak + 16, f"slivers {sliver_peak} MiB, one photo {photo_peak} MiB"


def test_queries_get_the_catalog_pixel_limit(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    """A 121-megapixel query image is refused like a catalog image, not decoded."""
    root = tmp_path / "catalog"
    catalog = indexed_catalog(open_catalog, root, 3)
    big = tmp_path / "big.png"
    Image.new("1", (11000, 11000)).save(big)
    assert 11000 * 11000 > MAX_PIXELS
    with pytest.raises(ImageDecodeError, match="too large"):
        catalog.search_images([big], k=2)
    from fashion_desktop.catalog.query import Query, QueryImage

    with pytest.raises(ImageDecodeError, match="too large"):
        catalog.run_query(Query(images=(QueryImage(data=big.read_bytes()),)))


def test_indexing_skips_every_kind_of_bad_file_and_embeds_the_rest(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 5)
    bad = malformed_files()
    for name, data in bad.items():
        (root / name).write_bytes(data)
    catalog = open_catalog(root)
    report = catalog.index(batch_size=4)
    reasons = dict(report.failed)
    assert report.embedded + report.reused >= 5 and catalog.status()["pending"] == 0, "no batch stuck"
    assert all(reasons[name] for name in reasons), "every skip has a reason"
    assert "jpeg-malformed-exif.jpg" not in reasons, "a picture with broken EXIF is still indexed"
    assert {"eps-named.jpg", "psd-named.jpg", "empty.png", "text.jpg", "png-huge-claim.png"} <= set(reasons)
    assert catalog.index().scan.unchanged == 5 + len(bad)


def test_captions_skip_a_bad_file_and_still_caption_the_others(
    tmp_path: Path, open_catalog: OpenCatalog, tiny_models: Path
) -> None:
    root = tmp_path / "catalog"
    catalog = indexed_catalog(open_catalog, root, 3)
    items = list(catalog.store.items_by_path().values())
    (root / items[1].path).write_bytes(malformed_files()["png-bad-crc.png"])  # broken after indexing
    captioner = Captioner(tiny_models / "blip", variant="fp32")
    captions = catalog.captions_for([item.id for item in items], captioner)
    assert set(captions) == {items[0].id, items[2].id}
    assert catalog.caption_all(captioner, batch_size=8) == 1  # the bad one is tried again, and skipped again


def test_previews_refuse_bad_files_quickly_and_fit_the_box(tmp_path: Path) -> None:
    path = tmp_path / "camera.jpg"
    gradient(3000, 2000).save(path, quality=85)
    preview = load_preview(path, 320)
    assert max(preview.size) == 320 and preview.mode == "RGB"
    refused = 0
    for data in malformed_files().values():  # a picture, or an ImageDecodeError: nothing else escapes
        try:
            assert max(load_preview(data, 160).size) <= 160
        except ImageDecodeError:
            refused += 1
    assert refused >= len(malformed_files()) - 2


def test_json_output_of_a_failed_caption_is_valid(models_env: Path, tmp_path: Path) -> None:
    from tests.hostile.support import cli, json_lines

    broken = tmp_path / "broken.png"
    broken.write_bytes(malformed_files()["png-bad-crc.png"])
    result = cli("caption", str(broken), "--json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert json_lines(result.stdout)[0]["error"]
