"""Benchmark: full-size (random-weight) ResNet50 and BLIP on onnxruntime vs transformers PyTorch eager.

    python bench/models.py [--models DIR] [--rounds N] [--before CHECKOUT] [--only captions-process,...]

Exports full-size stand-ins into bench/models-full (once) with export_models.py, rebuilds the identical PyTorch
models (construction is seeded), and times both on the same inputs, interleaved, with 2 threads each.

Whole processes (what a stylist waits for): `fashion-desktop caption` on 10 sample photos against a process
making ten transformers `generate` calls (same settings: beams 3, 5 to 20 tokens), with a warm checksum memo and
on a first run; with `--before DIR` (earlier code, e.g. `mkdir /tmp/before; git archive main | tar -x -C /tmp/before`)
its `caption` command is timed in the same rounds. Also: start-up and first-caption latency, resident memory
before and after `Captioner.release()`, and the longest GIL hold while captioning a page (bench/stalls.py).
Not a test: run by hand; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
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


PAGE = sorted((REPO / "fashion_desktop" / "sample_catalog" / "noto").glob("*.jpg"))[:10]
# Prints the process's peak resident memory (VmHWM) on stderr when it exits, however it exits.
PEAK_ON_EXIT = """
import atexit, runpy, sys
def peak():
    print("VmHWM", [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0], file=sys.stderr)
atexit.register(peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__") if sys.argv[0].endswith(".py") else runpy.run_module(
    sys.argv[0], run_name="__main__", alter_sys=True)
"""
TRANSFORMERS_CAPTIONS = """
import sys, torch
torch.set_num_threads(int(sys.argv[1]))
from PIL import Image
from transformers import BlipForConditionalGeneration, BlipProcessor
model = BlipForConditionalGeneration.from_pretrained(sys.argv[2]).eval()
processor = BlipProcessor.from_pretrained(sys.argv[2])
for path in sys.argv[3:]:
    inputs = processor(images=Image.open(path).convert("RGB"), return_tensors="pt")
    with torch.no_grad():
        out = model.generate(**inputs, num_beams=3, max_new_tokens=20, min_new_tokens=5)
    print(path, processor.decode(out[0], skip_special_tokens=True))
"""


def run_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one whole process."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", PEAK_ON_EXIT, *command], env=env, capture_output=True, text=True, cwd=REPO
    )
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{command[:3]} failed: {result.stderr[-2000:]}")
    peak = [line for line in result.stderr.splitlines() if line.startswith("VmHWM")][-1]
    return seconds, int(peak.split()[1]) / 1024


def hf_checkpoint(models: Path) -> Path:
    """The full-size random-weight BLIP saved as a transformers checkpoint (what `generate` users load)."""
    folder = models / "hf-blip"
    if not (folder / "config.json").is_file():
        model, processor = blip.load(Source("Salesforce/blip-image-captioning-base", random_weights="full"))
        model.save_pretrained(folder)
        processor.save_pretrained(folder)
    return folder


def bench_caption_processes(models: Path, rounds: int, before: Path | None) -> dict[str, float]:
    """`fashion-desktop caption` on a page of 10 photos (and on 1) as whole processes, against ten transformers
    generate calls, interleaved round after round."""
    base = {**os.environ, "FASHION_DESKTOP_MODELS": str(models), "ORT_DISABLE_TELEMETRY": "1"}
    warm_data = Path(tempfile.mkdtemp(prefix="fd-bench-warm-"))
    checkpoint = hf_checkpoint(models)
    script = warm_data / "transformers_captions.py"
    script.write_text(TRANSFORMERS_CAPTIONS)
    page, one = [str(p) for p in PAGE], [str(PAGE[0])]
    caption = ["fashion_desktop", "--threads", str(THREADS), "caption"]

    def app(images: list[str], data: Path | None, checkout: Path | None = None) -> Callable[[], tuple[float, float]]:
        def run() -> tuple[float, float]:
            folder = data or Path(tempfile.mkdtemp(prefix="fd-bench-cold-"))
            env = base | {"FASHION_DESKTOP_DATA_DIR": str(folder)}
            if checkout is not None:
                env["PYTHONPATH"] = str(checkout)
            try:
                return run_process([*caption, *images], env)
            finally:
                if data is None:
                    shutil.rmtree(folder)

        return run

    candidates: dict[str, Callable[[], tuple[float, float]]] = {
        "transformers: 10 x generate": lambda: run_process([str(script), str(THREADS), str(checkpoint), *page], base),
        "caption 10 (checksums remembered)": app(page, warm_data),
        "caption 10 (first run: hashing)": app(page, None),
        "caption 1 (checksums remembered)": app(one, warm_data),
    }
    if before is not None:
        candidates["before: caption 10"] = app(page, warm_data, before)
        candidates["before: caption 1"] = app(one, warm_data, before)
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in candidates}
    candidates["caption 1 (checksums remembered)"]()  # fills the memo; warms the page cache for everyone
    for _ in range(rounds):
        for name, run in candidates.items():
            samples[name].append(run())
    medians = {name: statistics.median(s for s, _ in values) for name, values in samples.items()}
    peaks = {name: max(m for _, m in values) for name, values in samples.items()}
    baseline = medians["transformers: 10 x generate"]
    print("\nCaptions as whole processes (10 sample photos; beams 3, 5-20 tokens; 2 threads)")
    for name, seconds in medians.items():
        print(f"  {name:<36} {seconds:6.1f} s  {baseline / seconds:5.2f}x vs transformers  peak {peaks[name]:5.0f} MiB")
    figures = {
        "process_caption10_s": medians["caption 10 (checksums remembered)"],
        "process_caption10_first_run_s": medians["caption 10 (first run: hashing)"],
        "process_caption1_s": medians["caption 1 (checksums remembered)"],
        "process_transformers10_s": baseline,
        "process_caption10_speedup": baseline / medians["caption 10 (checksums remembered)"],
        "process_caption10_first_run_speedup": baseline / medians["caption 10 (first run: hashing)"],
        "process_caption10_peak_mib": peaks["caption 10 (checksums remembered)"],
        "process_transformers10_peak_mib": peaks["transformers: 10 x generate"],
    }
    if before is not None:
        figures["before_process_caption10_s"] = medians["before: caption 10"]
        figures["before_process_caption1_s"] = medians["before: caption 1"]
        figures["before_process_caption10_speedup"] = baseline / medians["before: caption 10"]
        figures["before_process_caption10_peak_mib"] = peaks["before: caption 10"]
    shutil.rmtree(warm_data)
    return figures


# Start-up, first caption and memory of one Captioner, in a fresh process (so nothing is loaded or cached yet).
LIFECYCLE_SCRIPT = """
import gc, json, sys, time
from pathlib import Path
from fashion_desktop.models import Captioner
def rss(key="VmRSS"):
    return [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith(key)][0] / 1024
models, memo, threads, images = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4:]
figures = {"rss_start_mib": rss()}
started = time.perf_counter()
captioner = Captioner(models / "blip", variant="fp32", threads=threads, checksum_memo=memo)
figures["construct_s"] = time.perf_counter() - started
started = time.perf_counter()
captioner.load()
figures["load_s"] = time.perf_counter() - started
figures["rss_loaded_mib"] = rss()
started = time.perf_counter()
captioner.caption(images[:1])
figures["first_caption_s"] = time.perf_counter() - started
figures["ready_to_first_caption_s"] = figures["construct_s"] + figures["load_s"] + figures["first_caption_s"]
captioner.caption(images)
figures["rss_after_page_mib"] = rss()
figures["peak_rss_captioning_mib"] = rss("VmHWM")
captioner.release()
gc.collect()
figures["rss_released_mib"] = rss()
started = time.perf_counter()
captioner.caption(images[:1])
figures["reload_and_caption_s"] = time.perf_counter() - started
print(json.dumps(figures))
"""


def bench_lifecycle(models: Path) -> dict[str, float]:
    """Start-up (hashing on a first run, memo afterwards), first-caption latency, memory before/after release."""
    memo = Path(tempfile.mkdtemp(prefix="fd-bench-memo-")) / "model-checks.json"
    figures: dict[str, float] = {}
    for label in ("first_run", "remembered"):
        out = subprocess.run(
            [sys.executable, "-c", LIFECYCLE_SCRIPT, str(models), str(memo), str(THREADS), *map(str, PAGE)],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "ORT_DISABLE_TELEMETRY": "1"},
        )
        run = json.loads(out.stdout.strip().splitlines()[-1])
        figures |= {f"lifecycle_{label}_{key}": value for key, value in run.items()}
    shutil.rmtree(memo.parent)
    print("\nCaptioner life cycle in a fresh process (page of 10 sample photos)")
    for label in ("first_run", "remembered"):
        f = {key.removeprefix(f"lifecycle_{label}_"): v for key, v in figures.items() if label in key}
        print(
            f"  {label:<11} construct {f['construct_s']:.2f} s, load {f['load_s']:.2f} s, first caption "
            f"{f['first_caption_s']:.2f} s -> ready+first caption {f['ready_to_first_caption_s']:.2f} s"
        )
    f = {key.removeprefix("lifecycle_remembered_"): v for key, v in figures.items() if "remembered" in key}
    print(
        f"  memory: loaded {f['rss_loaded_mib']:.0f} MiB, after a page {f['rss_after_page_mib']:.0f} MiB, peak "
        f"{f['peak_rss_captioning_mib']:.0f} MiB, after release() {f['rss_released_mib']:.0f} MiB "
        f"(process start {f['rss_start_mib']:.0f} MiB); reload + caption {f['reload_and_caption_s']:.2f} s"
    )
    return figures


# The longest time a thread that wants to run every millisecond is kept off the GIL while a page is captioned.
STALL_SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from stalls import StallMeter
from PIL import Image
from fashion_desktop.models.captioner import Captioner
captioner = Captioner(Path(sys.argv[2]) / "blip", variant="fp32", threads=int(sys.argv[3]))
images = [Image.open(p).convert("RGB") for p in sys.argv[4:]]
captioner.caption(images[:1], max_tokens=3)
with StallMeter() as idle:
    time.sleep(2)
with StallMeter() as meter:
    started = time.perf_counter()
    captioner.caption(images, batch_size=len(images))
    seconds = time.perf_counter() - started
print(json.dumps({"gil_ms": meter.worst_gil_ms, "gap_ms": meter.worst_gap_ms, "idle_gap_ms": idle.worst_gap_ms,
                  "page_s": seconds}))
"""


def bench_gil(models: Path, rounds: int, before: Path | None) -> dict[str, float]:
    checkouts = {"now": REPO} | ({"before": before} if before is not None else {})
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in checkouts}
    for _ in range(max(1, rounds // 2)):
        for name, checkout in checkouts.items():
            out = subprocess.run(
                [sys.executable, "-c", STALL_SCRIPT, str(REPO / "bench"), str(models), str(THREADS), *map(str, PAGE)],
                cwd=REPO,
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "PYTHONPATH": str(checkout), "ORT_DISABLE_TELEMETRY": "1"},
            )
            runs[name].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("\nLongest stall of a 1 ms ticker thread while captioning a page of 10 in-process (worst over runs)")
    figures: dict[str, float] = {}
    for name, values in runs.items():
        gil = max(v["gil_ms"] for v in values)
        gap = max(v["gap_ms"] for v in values)
        page = statistics.median(v["page_s"] for v in values)
        idle = max(v["idle_gap_ms"] for v in values)
        print(
            f"  {name:<7} GIL held {gil:6.1f} ms, any gap {gap:6.1f} ms (idle noise {idle:.1f} ms); page {page:.1f} s"
        )
        figures |= {f"{name}_gil_worst_ms": gil, f"{name}_gap_worst_ms": gap, f"{name}_page10_inprocess_s": page}
    return figures


# One variant of session options per process: peak memory and time of a page of 10 captions.
SESSION_OPTIONS_SCRIPT = """
import json, sys, time
from pathlib import Path
import onnxruntime as ort
from PIL import Image
import fashion_desktop.models.base as base
from fashion_desktop.models.captioner import Captioner
variant = sys.argv[3]
def create(path, threads=None):
    options = ort.SessionOptions()
    options.intra_op_num_threads, options.inter_op_num_threads, options.log_severity_level = int(sys.argv[2]), 1, 4
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if variant == "extended":
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED
    if variant == "no-prepack":
        options.add_session_config_entry("session.disable_prepacking", "1")
    if variant == "no-arena":
        options.enable_cpu_mem_arena = False
    if variant == "no-mem-pattern":
        options.enable_mem_pattern = False
    if variant == "saved-optimised":
        saved = Path(sys.argv[4]) / Path(path).name
        if not saved.exists():
            options.optimized_model_filepath = str(saved)
            ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            options.optimized_model_filepath = ""
        path, options.graph_optimization_level = saved, ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
base.create_session = create
captioner = Captioner(Path(sys.argv[1]) / "blip", variant="fp32")
images = [Image.open(p).convert("RGB") for p in sys.argv[5:]]
started = time.perf_counter()
captioner.load()
load = time.perf_counter() - started
started = time.perf_counter()
captioner.caption(images, batch_size=len(images))
page = time.perf_counter() - started
peak = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")][0] / 1024
print(json.dumps({"load_s": load, "page_s": page, "peak_mib": peak}))
"""


def bench_session_options(models: Path, rounds: int) -> dict[str, float]:
    """The session options that were candidates for faster start-up or less memory, each against the defaults
    (all optimisations, prepacked weights, memory arena and pattern), in separate processes, interleaved."""
    saved = Path(tempfile.mkdtemp(prefix="fd-bench-optimised-"))
    variants = ["default", "saved-optimised", "extended", "no-prepack", "no-arena", "no-mem-pattern"]
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}

    def run(name: str) -> dict[str, float]:
        out = subprocess.run(
            [sys.executable, "-c", SESSION_OPTIONS_SCRIPT, str(models), str(THREADS), name, str(saved)]
            + [str(p) for p in PAGE],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "ORT_DISABLE_TELEMETRY": "1"},
        )
        figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
        return figures

    run("saved-optimised")  # writes the optimised graphs once, outside the timed rounds
    for _ in range(max(1, rounds // 2)):
        for name in variants:
            runs[name].append(run(name))
    disk = sum(f.stat().st_size for f in saved.iterdir()) / 2**20
    shutil.rmtree(saved)
    print("\nBLIP session options (load = verify + create both sessions; page = 10 captions; medians)")
    figures: dict[str, float] = {"saved_optimised_disk_mib": disk}
    default = {key: statistics.median(run[key] for run in runs["default"]) for key in ("load_s", "page_s")}
    for name, values in runs.items():
        load = statistics.median(v["load_s"] for v in values)
        page = statistics.median(v["page_s"] for v in values)
        peak = max(v["peak_mib"] for v in values)
        print(
            f"  {name:<16} load {load:5.2f} s ({default['load_s'] / load:4.2f}x)  page {page:6.1f} s "
            f"({default['page_s'] / page:4.2f}x)  peak {peak:5.0f} MiB"
        )
        figures |= {f"session_{name}_load_s": load, f"session_{name}_page_s": page, f"session_{name}_peak_mib": peak}
    print(f"  (the saved optimised graphs take {disk:.0f} MiB on disk)")
    return figures


def main() -> None:
    sections = ["embeddings", "captions", "captions-process", "lifecycle", "gil", "session-options", "memory"]
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, default=REPO / "bench" / "models-full")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--before", type=Path, default=None, help="a checkout of earlier code to time beside this")
    parser.add_argument("--only", default=",".join(sections), help=f"comma-separated, of: {', '.join(sections)}")
    args = parser.parse_args()
    only = set(args.only.split(","))
    torch.set_num_threads(THREADS)
    ensure_models(args.models)
    figures: dict[str, object] = {"threads": THREADS, "cpus": os.cpu_count()}
    if "embeddings" in only:
        figures |= bench_embeddings(args.models, args.rounds)
    if "captions" in only:
        figures |= bench_captions(args.models, args.rounds)
    if "captions-process" in only:
        figures |= bench_caption_processes(args.models, max(1, args.rounds // 2), args.before)
    if "lifecycle" in only:
        figures |= bench_lifecycle(args.models)
    if "gil" in only:
        figures |= bench_gil(args.models, args.rounds, args.before)
    if "session-options" in only:
        figures |= bench_session_options(args.models, args.rounds)
    if "memory" in only:
        figures["peak_rss_mib_both_fp32_models"] = peak_memory_mib(args.models)
        print(f"\nPeak RSS with both fp32 models loaded and used: {figures['peak_rss_mib_both_fp32_models']:.0f} MiB")
    figures["bench_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    closing_line({k: round(v, 4) if isinstance(v, float) else v for k, v in figures.items()})


if __name__ == "__main__":
    main()
