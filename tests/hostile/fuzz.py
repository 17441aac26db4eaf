"""Seeded mutation fuzzing of the one decoding path (`fashion_desktop.imaging.decode`) and the model preprocessing
behind it: valid files of every supported format and their awkward variants, mutated (bit flips, byte overwrites,
extreme header values, truncation, insertions, deletions, duplicated and spliced chunks). Each case must decode to
a model input, or raise ImageDecodeError with a reason; anything else is a failure, reported with the case's
mutation and saved for replay.

The test suite runs a few thousand cases; run more by hand:

    python -m tests.hostile.fuzz --cases 200000 --seed 7
"""

from __future__ import annotations

import argparse
import io
import random
import resource
import struct
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from fashion_desktop.imaging import ImageDecodeError, decode, load_preview
from fashion_desktop.models.preprocess import PreprocessConfig, preprocess

RESNET = PreprocessConfig.from_dict(
    {
        "resize": {"mode": "shortest_edge", "height": 256, "width": 256},
        "crop": {"height": 224, "width": 224},
        "resample": "bicubic",
        "rescale_factor": 1 / 255,
        "mean": [0.485, 0.456, 0.406],
        "std": [0.229, 0.224, 0.225],
    }
)
BLIP = PreprocessConfig.from_dict(
    {
        "resize": {"mode": "exact", "height": 384, "width": 384},
        "crop": None,
        "resample": "bicubic",
        "rescale_factor": 1 / 255,
        "mean": [0.481, 0.458, 0.408],
        "std": [0.269, 0.261, 0.276],
    }
)
INTERESTING = [0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]


def _picture(width: int, height: int, mode: str = "RGB", seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    pixels[: height // 2] //= 2  # some structure for the compressors
    return Image.fromarray(pixels, "RGB").convert(mode)


def _encoded(image: Image.Image, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **options)  # type: ignore[arg-type]
    return buffer.getvalue()


def seed_files() -> dict[str, bytes]:
    """Small valid files: each supported format and the variants whose code paths differ."""
    rgb = _picture(40, 30)
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x010F] = "camera"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    alpha = _picture(24, 20).convert("RGBA")
    frames = [_picture(16, 12, seed=i).convert("P") for i in range(3)]
    sixteen = Image.fromarray((np.arange(32 * 24, dtype=np.uint16).reshape(24, 32) * 80).astype(np.uint16))
    floats = Image.fromarray(np.linspace(0, 1, 20 * 16, dtype=np.float32).reshape(16, 20), "F")
    return {
        "jpeg": _encoded(rgb, format="JPEG", quality=85),
        "jpeg-exif-icc": _encoded(rgb, format="JPEG", exif=exif, icc_profile=srgb),
        "jpeg-progressive": _encoded(rgb, format="JPEG", progressive=True),
        "jpeg-cmyk": _encoded(rgb.convert("CMYK"), format="JPEG"),
        "jpeg-gray": _encoded(rgb.convert("L"), format="JPEG"),
        "png": _encoded(rgb, format="PNG"),
        "png-interlaced-alpha": _encoded(alpha, format="PNG", interlace=1),
        "png-palette-transparent": _encoded(rgb.quantize(16), format="PNG", transparency=0),
        "png-16bit": _encoded(sixteen, format="PNG"),
        "png-exif-text": _encoded(rgb, format="PNG", exif=exif, pnginfo=_png_text()),
        "webp": _encoded(rgb, format="WEBP", quality=80),
        "webp-lossless-alpha": _encoded(alpha, format="WEBP", lossless=True),
        "bmp": _encoded(rgb, format="BMP"),
        "bmp-palette": _encoded(rgb.convert("P"), format="BMP"),
        "gif": _encoded(rgb.convert("P"), format="GIF"),
        "gif-animated": _encoded(frames[0], format="GIF", save_all=True, append_images=frames[1:]),
        "tiff": _encoded(rgb, format="TIFF"),
        "tiff-lzw-exif": _encoded(rgb, format="TIFF", compression="tiff_lzw", exif=exif),
        "tiff-float": _encoded(floats, format="TIFF"),
        "tiff-multipage": _encoded(rgb, format="TIFF", save_all=True, append_images=[_picture(20, 20, seed=3)]),
    }


def _png_text() -> object:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Description", "a red dress")
    info.add_itxt("Comment", "ünïcode", zip=True)
    return info


Mutation = Callable[[bytearray, random.Random, list[bytes]], str]


def _flip_bits(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    count = rng.randint(1, 8)
    for _ in range(count):
        position = rng.randrange(len(data))
        data[position] ^= 1 << rng.randrange(8)
    return f"flip {count} bits"


def _overwrite_bytes(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    start = rng.randrange(len(data))
    length = rng.randint(1, 16)
    data[start : start + length] = bytes(rng.randrange(256) for _ in range(length))
    return f"overwrite {length} bytes at {start}"


def _extreme_value(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    """Header fields (sizes, offsets, counts) set to boundary values: where width and height claims live."""
    position = rng.randrange(min(len(data), 256))
    width, order = rng.choice([(1, ""), (2, "<"), (2, ">"), (4, "<"), (4, ">")])
    value = rng.choice(INTERESTING) & ((1 << (8 * width)) - 1)
    packed = bytes([value]) if width == 1 else struct.pack(f"{order}{'H' if width == 2 else 'I'}", value)
    data[position : position + width] = packed
    return f"{value:#x} as {width} bytes {order or ''} at {position}"


def _truncate(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    keep = rng.randrange(len(data))
    del data[keep:]
    return f"truncate to {keep}"


def _insert(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    position = rng.randrange(len(data) + 1)
    length = rng.choice([1, 4, 64, 1024])
    data[position:position] = bytes(rng.randrange(256) for _ in range(length))
    return f"insert {length} bytes at {position}"


def _delete(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    start = rng.randrange(len(data))
    length = rng.randint(1, 64)
    del data[start : start + length]
    return f"delete {length} bytes at {start}"


def _duplicate(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    start = rng.randrange(len(data))
    chunk = bytes(data[start : start + rng.randint(1, 256)])
    position = rng.randrange(len(data) + 1)
    data[position:position] = chunk * rng.randint(1, 4)
    return f"duplicate {len(chunk)} bytes from {start} at {position}"


def _splice(data: bytearray, rng: random.Random, others: list[bytes]) -> str:
    other = rng.choice(others)
    cut, from_other = rng.randrange(len(data)), rng.randrange(len(other))
    data[cut:] = other[from_other:]
    return f"splice at {cut} with another file from {from_other}"


MUTATIONS: tuple[Mutation, ...] = (
    _flip_bits,
    _overwrite_bytes,
    _extreme_value,
    _extreme_value,
    _truncate,
    _insert,
    _delete,
    _duplicate,
    _splice,
)


def mutate(data: bytes, rng: random.Random, others: list[bytes]) -> tuple[bytes, str]:
    """One to three mutations of `data`; returns the bytes and what was done."""
    mutated = bytearray(data)
    done = []
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        if not mutated:
            break
        done.append(rng.choice(MUTATIONS)(mutated, rng, others))
    return bytes(mutated), "; ".join(done)


def check(data: bytes) -> str:
    """The whole decoding path a file or a query takes: decoded (with and without reduced-scale JPEG decoding),
    preprocessed for both models, and previewed; or refused with an ImageDecodeError. Anything else raises."""
    try:
        decoded = decode(data, draft_size=RESNET.draft_size)
        for config in (RESNET, BLIP):
            pixels = preprocess(decoded.image if config is RESNET else decode(data).image, config)
            if pixels.shape != (3, *config.output_size) or not np.isfinite(pixels).all():
                raise AssertionError(f"bad model input: shape {pixels.shape}, finite {np.isfinite(pixels).all()}")
        load_preview(data, 160)
    except ImageDecodeError as exc:
        if not str(exc):
            raise AssertionError("an ImageDecodeError without a reason") from exc
        return "refused"
    return "decoded"


@dataclass
class FuzzReport:
    cases: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    peak_rss_mib: float = 0.0


def run(cases: int, seed: int, failures_dir: Path | None = None, stop_after: float | None = None) -> FuzzReport:
    seeds = seed_files()
    names = sorted(seeds)
    others = list(seeds.values())
    rng = random.Random(seed)
    report = FuzzReport()
    started = time.monotonic()
    for index in range(cases):
        if stop_after is not None and time.monotonic() - started > stop_after:
            break
        name = names[index % len(names)]
        data, how = mutate(seeds[name], rng, others)
        try:
            outcome = check(data)
        except Exception:
            outcome = "FAILED"
            report.failures.append(f"case {index} ({name}: {how}):\n{traceback.format_exc()}")
            if failures_dir is not None:
                failures_dir.mkdir(parents=True, exist_ok=True)
                (failures_dir / f"seed{seed}-case{index}-{name}.bin").write_bytes(data)
        report.outcomes[f"{name} {outcome}"] += 1
        report.cases += 1
    report.seconds = time.monotonic() - started
    report.peak_rss_mib = peak_rss_mib()
    return report


def peak_rss_mib() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: a process started by a big one (pytest with
    torch loaded) inherits the parent's ru_maxrss through fork, while VmHWM starts afresh at exec."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--failures", type=Path, default=None, help="save failing inputs here")
    parser.add_argument("--stop-after", type=float, default=None, help="seconds at most")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")  # Pillow warns about odd tags; the app sends warnings to its log
    report = run(args.cases, args.seed, args.failures, args.stop_after)
    decoded = sum(n for key, n in report.outcomes.items() if key.endswith(" decoded"))
    refused = sum(n for key, n in report.outcomes.items() if key.endswith(" refused"))
    print(
        f"fuzz seed {args.seed}: {report.cases} cases in {report.seconds:.1f}s: {decoded} decoded, "
        f"{refused} refused with a reason, {len(report.failures)} failed; peak RSS {report.peak_rss_mib:.0f} MiB"
    )
    for failure in report.failures[:10]:
        print(failure, file=sys.stderr)
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
