"""Benchmark: full-size (random-weight) ResNet50 and BLIP on onnxruntime vs transformers PyTorch eager.

    python bench/models.py [--models DIR] [--rounds N]

Exports full-size stand-ins into bench/models-full (once) with export_models.py, rebuilds the identical PyTorch
models (construction is seeded), and times both on the same inputs, interleaved, with 2 threads each.
Not a test: run by hand; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import closing_line, interleaved, report  # noqa: E402

from fashion_desktop.models.captioner import Captioner  # noqa: E402
from fashion_desktop.models.decoding import DecodeSettings  # noqa: E402
from fashion_desktop.models.embedder import ImageEmbedder  # noqa: E402
from model_export import blip, resnet  # noqa: E402
from model_export.common import Source, synthetic_images  # noqa: E402

THREADS = 2
TWENTY_TOKENS = DecodeSettings(max_new_tokens=20, min_new_tokens=20)


def ensure_models(models: Path) -> None:
    command = [sys.executable, str(REPO / "export_models.py"), "--random-weights", "full", "--quantize", "int8"]
    subprocess.run([*command, "--out", str(models)], check=True)


def bench_embeddings(models: Path, rounds: int) -> dict[str, float]:
    model, processor = resnet.load(Source("microsoft/resnet-50", random_weights="full"))
    fp32 = ImageEmbedder(models / "resnet50", variant="fp32", threads=THREADS)
    int8 = ImageEmbedder(models / "resnet50", variant="int8", threads=THREADS)
    images = synthetic_images(16, seed=5)
    figures = {}
    for batch in (1, 16):
        pixels = processor(images=images[:batch], return_tensors="pt")["pixel_values"]
        array = pixels.numpy()
        candidates: dict[str, Callable[[], object]] = {
            "pytorch eager": partial(resnet.torch_pooled, model, pixels),
            "onnxruntime fp32": partial(fp32.embed_pixels, array),
            "onnxruntime int8 (QDQ U8S8)": partial(int8.embed_pixels, array),
        }
        medians = interleaved(candidates, rounds)
        ratios = report(f"ResNet50 embedding, batch {batch}", medians, "pytorch eager", per=batch)
        figures[f"embed_b{batch}_ms_per_image_ort_fp32"] = 1000 * medians["onnxruntime fp32"] / batch
        figures[f"embed_b{batch}_speedup_fp32"] = ratios["onnxruntime fp32"]
        figures[f"embed_b{batch}_speedup_int8"] = ratios["onnxruntime int8 (QDQ U8S8)"]
    # The whole path from files in memory to vectors: our PIL/numpy preprocessing vs the HF image processor.
    medians = interleaved(
        {
            "hf processor + pytorch": lambda: resnet.torch_pooled(
                model, processor(images=images, return_tensors="pt")["pixel_values"]
            ),
            "app pipeline fp32": lambda: fp32.embed(images, batch_size=16),
        },
        rounds,
    )
    ratios = report("ResNet50 preprocessing + embedding, 16 images", medians, "hf processor + pytorch", per=16)
    figures["embed_pipeline_speedup_fp32"] = ratios["app pipeline fp32"]
    cosine = np.sum(fp32.embed(images[:8]) * int8.embed(images[:8]), axis=1)
    figures["int8_vs_fp32_min_cosine_random_weights"] = float(cosine.min())
    return figures


def bench_captions(models: Path, rounds: int) -> dict[str, float]:
    model, processor = blip.load(Source("Salesforce/blip-image-captioning-base", random_weights="full"))
    fp32 = Captioner(models / "blip", variant="fp32", threads=THREADS)
    int8 = Captioner(models / "blip", variant="int8", threads=THREADS)
    images = synthetic_images(10, seed=6)
    pixels = processor(images=images, return_tensors="pt")["pixel_values"]
    one, one_np = pixels[:1], pixels[:1].numpy()

    def generate(p: torch.Tensor) -> object:
        with torch.no_grad():
            return model.generate(pixel_values=p, max_new_tokens=20, min_new_tokens=20, num_beams=1)

    medians = interleaved(
        {
            "transformers generate": lambda: generate(one),
            "onnxruntime fp32 + cache": lambda: fp32.generate_ids(one_np, settings=TWENTY_TOKENS),
            "onnxruntime int8 + cache": lambda: int8.generate_ids(one_np, settings=TWENTY_TOKENS),
        },
        rounds,
    )
    ratios = report("BLIP caption, 1 image, 20 tokens greedy", medians, "transformers generate")
    figures = {
        "caption_s_ort_fp32": medians["onnxruntime fp32 + cache"],
        "caption_s_generate": medians["transformers generate"],
        "caption_speedup_fp32": ratios["onnxruntime fp32 + cache"],
        "caption_speedup_int8": ratios["onnxruntime int8 + cache"],
    }
    page = interleaved(
        {
            "10 x transformers generate": lambda: [generate(pixels[i : i + 1]) for i in range(10)],
            "onnxruntime fp32, page of 10": lambda: fp32.generate_ids(pixels.numpy(), settings=TWENTY_TOKENS),
        },
        max(1, rounds // 2),
    )
    ratios = report("BLIP captions for a page of 10 images", page, "10 x transformers generate", per=10)
    figures["page10_speedup_fp32"] = ratios["onnxruntime fp32, page of 10"]
    return figures


# VmHWM, not ru_maxrss: on Linux a child's ru_maxrss carries over the parent's peak across fork + exec.
PEAK_SCRIPT = """
import sys
from pathlib import Path
from PIL import Image
from fashion_desktop.models import Captioner, ImageEmbedder
image = Image.new("RGB", (640, 800), (120, 60, 200))
models = Path(sys.argv[1])
embedder, captioner = ImageEmbedder(models / "resnet50", variant="fp32"), Captioner(models / "blip", variant="fp32")
embedder.embed([image] * 16); captioner.caption([image], beams=3)
print([int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0])
"""


def peak_memory_mib(models: Path) -> float:
    out = subprocess.run(
        [sys.executable, "-c", PEAK_SCRIPT, str(models)], cwd=REPO, capture_output=True, text=True, check=True
    )
    return int(out.stdout.strip().splitlines()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, default=REPO / "bench" / "models-full")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--memory-only", action="store_true", help="just the peak-memory figure")
    args = parser.parse_args()
    torch.set_num_threads(THREADS)
    ensure_models(args.models)
    figures: dict[str, object] = {"threads": THREADS, "cpus": os.cpu_count()}
    if not args.memory_only:
        figures |= bench_embeddings(args.models, args.rounds)
        figures |= bench_captions(args.models, args.rounds)
    figures["peak_rss_mib_both_fp32_models"] = peak_memory_mib(args.models)
    print(f"\nPeak RSS with both fp32 models loaded and used: {figures['peak_rss_mib_both_fp32_models']:.0f} MiB")
    figures["bench_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    closing_line({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()})


if __name__ == "__main__":
    main()
