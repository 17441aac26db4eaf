"""Benchmark: indexing throughput, and the search index's open time, search time and memory up to a million items.

    python bench/index.py [--models DIR] [--sizes 44000,200000,1000000] [--skip-indexing] [--skip-search]

1. Indexing generated catalogs of small (60×80) and large (2400×3200) JPEGs with the full-size random-weight
   ResNet50 (2 threads), round after round on one warm session per variant: the bare batched model (`embed_pixels`
   on ready [32, 3, 224, 224] batches), this pipeline (hashing, decoding threads, the model on its own thread,
   committed store), the previous pipeline (main at commit 4413877c: its indexer on the same store) and the
   seed-style pipeline (transformers image processor + PyTorch, one image at a time). Pipeline efficiency = pipeline
   ÷ bare model of the same round. The int8 graph (static quantization, calibrated at export) runs the bare model
   and this pipeline too, in the same rounds: the app uses it where `--check-quality` passed on real weights, so
   here (random weights) only its speed means anything.
2. The search index at each size on synthetic 2048-d unit vectors, clustered (CNN-like) and uniform, written into a
   real catalog store. Each approach runs in a fresh process, so its memory is its own: this version (vectors read
   by position from the vector file; projection and tree cached beside it) and the previous one (main at commit
   4413877c: every vector copied into memory, scikit-learn KD-tree over a PCA projection built on open). Open time
   (store, rows, index ready), the first open after indexing (this version makes its cache then), search time (k=10,
   half catalog items, half held-out vectors), peak and final resident memory (VmHWM, VmRSS = anonymous + file
   pages); every answer checked against brute force. `--baseline COMMIT` adds that commit's catalog package (from
   git archive) as one more approach in the same run, for ratios side by side; `--keep-caches` reuses the search
   caches already beside the stores (no "first open", which makes them: minutes at a million). Each child closes
   its store as the app does.
Not a test: run by hand; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import numpy as np  # noqa: E402
from common import bench_paths, closing_line  # noqa: E402

from fashion_desktop.models.base import Variant  # noqa: E402

DIM = 2048
BATCH = 32
PREVIOUS = "4413877c"  # main before this branch: the indexer, vector loading and search index compared with
MODEL = "bench-model"
SEED = "seed (HF processor + PyTorch, 1 by 1)"
VARIANTS: tuple[Variant, ...] = ("fp32", "int8")
QUERIES = 30


# -- 1. indexing -------------------------------------------------------------------------------------------------------
def make_jpegs(folder: Path, count: int, size: tuple[int, int]) -> None:
    from model_export.common import synthetic_images

    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(synthetic_images(count, seed=index_seed(size))):
        image.resize(size).save(folder / f"img{index:05}.jpg", quality=90)


def index_seed(size: tuple[int, int]) -> int:
    return size[0] % 97


def bench_indexing(models: Path, counts: dict[str, int], rounds: int, work: Path) -> dict[str, float]:
    import torch

    from fashion_desktop.models.embedder import ImageEmbedder
    from model_export import resnet
    from model_export.common import Source

    torch.set_num_threads(2)
    model, processor = resnet.load(Source("microsoft/resnet-50", random_weights="full"))
    ready = np.random.default_rng(0).standard_normal((BATCH, 3, 224, 224)).astype(np.float32)
    embedders = {variant: ImageEmbedder(models / "resnet50", variant=variant, threads=2) for variant in VARIANTS}
    for variant, embedder in embedders.items():
        started = time.perf_counter()
        embedder.embed_pixels(ready)
        print(f"\nSession {variant}: first batch of {BATCH} in {time.perf_counter() - started:.1f}s (warm-up)")
    sys.path.insert(0, str(previous_module(work, "indexer")))
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label, size in (("small", (60, 80)), ("large", (2400, 3200))):
            folder = Path(tmp) / label
            make_jpegs(folder, counts[label], size)
            rates = indexing_rounds(folder, models, embedders, ready, (model, processor), rounds)
            medians = {name: statistics.median(values) for name, values in rates.items()}
            files = len(list(folder.glob("*.jpg")))
            print(f"\nIndexing {files} {label} JPEGs {size[0]}×{size[1]}: images/s, {rounds} interleaved rounds")
            for name, values in rates.items():
                print(f"  {name:<34} {medians[name]:7.2f}  (rounds: {', '.join(f'{v:.2f}' for v in values)})")
            seed = medians[SEED]
            for variant in VARIANTS:
                efficiency = ratios(rates[f"this pipeline {variant}"], rates[f"bare model {variant}"])
                speedup = medians[f"this pipeline {variant}"] / seed
                print(
                    f"  {variant}: this pipeline / bare model {statistics.median(efficiency):.0%} "
                    f"(rounds: {', '.join(f'{e:.0%}' for e in efficiency)}); this pipeline / seed {speedup:.2f}x"
                )
                suffix = "" if variant == "fp32" else f"_{variant}"
                figures[f"index_{label}_bare_images_per_s{suffix}"] = medians[f"bare model {variant}"]
                figures[f"index_{label}_images_per_s{suffix}"] = medians[f"this pipeline {variant}"]
                figures[f"index_{label}_efficiency{suffix}"] = statistics.median(efficiency)
                figures[f"index_{label}_speedup_vs_seed{suffix}"] = speedup
            before = ratios(rates["previous pipeline fp32"], rates["bare model fp32"])
            print(
                f"  previous pipeline / bare model fp32: {statistics.median(before):.0%} "
                f"(rounds: {', '.join(f'{e:.0%}' for e in before)})"
            )
            figures[f"index_{label}_previous_images_per_s"] = medians["previous pipeline fp32"]
            figures[f"index_{label}_previous_efficiency"] = statistics.median(before)
    return figures


def ratios(numerators: list[float], denominators: list[float]) -> list[float]:
    """Round by round: both figures of a ratio come from the same round, under the same load."""
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


def indexing_rounds(
    folder: Path,
    models: Path,
    embedders: dict[Variant, Any],
    ready: np.ndarray,
    seed_model: tuple[Any, Any],
    rounds: int,
) -> dict[str, list[float]]:
    """Images per second of each way of indexing `folder`, round after round (the machine's other load hits them
    alike): per model variant the bare batched model on ready batches and this pipeline; the previous pipeline
    (commit PREVIOUS, fp32); the seed."""
    import previous_indexer  # type: ignore[import-not-found]
    from PIL import Image

    from fashion_desktop.catalog.catalog import Catalog
    from model_export import resnet

    files = sorted(folder.glob("*.jpg"))
    seed_files = files[:48]  # the seed is slow: its rate on a few files

    def bare(embedder: Any) -> float:
        batches = -(-len(files) // BATCH)
        start = time.perf_counter()
        for _ in range(batches):
            embedder.embed_pixels(ready)
        return batches * BATCH / (time.perf_counter() - start)

    def pipeline(embedder: Any, indexer: Callable[[Catalog], Any]) -> float:
        catalog = Catalog.open(folder, bench_paths(models), embedder=embedder)  # a fresh data folder each time
        start = time.perf_counter()
        report = indexer(catalog)
        seconds = time.perf_counter() - start
        assert report.embedded == len(files), report
        catalog.close()
        return len(files) / seconds

    def seed() -> float:
        model, processor = seed_model
        start = time.perf_counter()
        for path in seed_files:
            with Image.open(path) as image:
                pixels = processor(images=image.convert("RGB"), return_tensors="pt")["pixel_values"]
            resnet.torch_pooled(model, pixels)
        return len(seed_files) / (time.perf_counter() - start)

    def index(catalog: Catalog) -> Any:
        return catalog.index()

    def previous(catalog: Catalog) -> Any:
        return previous_indexer.Indexer(catalog.store, embedders["fp32"]).run()

    ways: dict[str, Callable[[], float]] = {}
    for variant, embedder in embedders.items():
        ways[f"bare model {variant}"] = functools.partial(bare, embedder)
        ways[f"this pipeline {variant}"] = functools.partial(pipeline, embedder, index)
    ways["previous pipeline fp32"] = functools.partial(pipeline, embedders["fp32"], previous)
    ways[SEED] = seed
    rates: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(rounds):
        for name, way in ways.items():
            rates[name].append(way())
    return rates


def previous_module(work: Path, name: str) -> Path:
    """Module `name` of fashion_desktop/catalog at commit PREVIOUS, importable as `previous_<name>`."""
    folder = work / "previous"
    folder.mkdir(parents=True, exist_ok=True)
    source = subprocess.run(
        ["git", "show", f"{PREVIOUS}:fashion_desktop/catalog/{name}.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (folder / f"previous_{name}.py").write_text(source)
    return folder


# -- 2. search index -------------------------------------------------------------------------------------------------
def clustered_blocks(count: int, seed: int, block: int = 50_000) -> Iterator[np.ndarray]:
    """CNN-feature-like: mixtures around low-rank cluster centres (rank 48) plus isotropic noise."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((48, DIM), dtype=np.float32)
    centres = rng.standard_normal((400, 48), dtype=np.float32) @ basis
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    for start in range(0, count, block):
        size = min(count, start + block) - start
        rows = centres[rng.integers(0, 400, size)]
        rows += rng.standard_normal((size, DIM), dtype=np.float32) * np.float32(0.5 / np.sqrt(DIM))
        yield rows / np.linalg.norm(rows, axis=1, keepdims=True)


def uniform_blocks(count: int, seed: int, block: int = 50_000) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(seed)
    for start in range(0, count, block):
        rows = rng.standard_normal((min(count, start + block) - start, DIM), dtype=np.float32)
        yield rows / np.linalg.norm(rows, axis=1, keepdims=True)


def clustered_vectors(count: int, seed: int) -> np.ndarray:
    """All at once (bench/app.py fills its 44k catalog with these)."""
    return np.concatenate(list(clustered_blocks(count, seed)))


KINDS: dict[str, Callable[[int, int], Iterator[np.ndarray]]] = {
    "clustered": clustered_blocks,
    "uniform": uniform_blocks,
}


def build_store(folder: Path, kind: str, size: int) -> np.ndarray:
    """A catalog store of `size` items with synthetic vectors (written as the indexer writes them), and QUERIES/2
    held-out vectors of the same distribution. Kept in `folder` for the next run."""
    from fashion_desktop.catalog.scan import ScannedFile
    from fashion_desktop.catalog.store import CatalogStore, IndexResult

    held_out_file = folder / "held_out.npy"
    if held_out_file.exists():
        held_out: np.ndarray = np.load(held_out_file)
        return held_out
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    store = CatalogStore(folder / "store", folder, MODEL, DIM)
    store.apply_scan([ScannedFile(f"img{i:07}.jpg", 1000 + i, i) for i in range(size)])
    done = 0
    with store.writing():
        for block in KINDS[kind](size + QUERIES // 2, 1):
            kept = block[: max(0, size - done)]
            held_out = block[len(kept) :]  # the stream's last rows stay out of the catalog
            for start in range(0, len(kept), 5000):
                chunk = kept[start : start + 5000]
                first = done + start
                results = [IndexResult(first + i + 1, f"h{first + i}", 100, 100, True) for i in range(len(chunk))]
                store.record_results(results, chunk)
            done += len(kept)
    store.close()
    np.save(held_out_file, held_out)
    print(f"  (made a {size}-item {kind} store in {time.perf_counter() - started:.0f}s)")
    return held_out


CHILD = """
import json, sys, time
t0 = time.perf_counter()
import numpy as np
from pathlib import Path
approach, folder, queries_file = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
sys.path[:0] = [sys.argv[4], sys.argv[5]]
from fashion_desktop.catalog.store import CatalogStore
store = CatalogStore(folder / "store", folder, "bench-model", 2048)
ids, rows = store.load_vector_rows()
if approach == "previous":
    import previous_search
    vectors = np.empty((store.vectors.rows, 2048), dtype=np.float32)  # what the previous load_vectors did: a copy
    for first, block in store.vectors.blocks(store.vectors.rows):
        vectors[first : first + len(block)] = block
    if not np.array_equal(rows, np.arange(len(vectors))):
        vectors = vectors[rows]
    index = previous_search.ExactIndex(ids, vectors).build()
else:
    from fashion_desktop.catalog.search import ExactIndex
    cache = store.search_cache_path(store.vectors.file_id)
    index = ExactIndex(ids, store.vectors, rows=rows, cache=cache).build()
opened = time.perf_counter() - t0
def memory():
    fields = {}
    for line in open("/proc/self/status"):
        key, _, value = line.partition(":")
        if key in ("VmHWM", "VmRSS", "RssAnon", "RssFile"):
            fields[key] = int(value.split()[0]) / 1024
    return fields
after_open = memory()
queries = np.load(queries_file)
times, hits = [], []
for query in queries:
    start = time.perf_counter()
    found = index.search(query, 10)
    times.append(time.perf_counter() - start)
    hits.append([[h.item_id, h.score] for h in found])
after_search = memory()
store.close()
print(json.dumps({"open_s": opened, "mode": index.mode, "search_s": times, "hits": hits,
                  "after_open": after_open, "after_search": after_search}))
"""


def run_child(approach: str, folder: Path, queries: Path, previous_dir: Path, repo: Path = REPO) -> dict[str, Any]:
    """`repo`: the checkout whose fashion_desktop the child imports (this one, or a baseline's archive)."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, approach, str(folder), str(queries), str(repo), str(previous_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    if out.returncode != 0:
        raise RuntimeError(f"{approach} child failed: {out.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def brute_force(folder: Path, queries: np.ndarray) -> list[np.ndarray]:
    """The exact top 10 (item ids, scores) of each query, in one pass over the vector file."""
    from fashion_desktop.catalog.store import CatalogStore

    store = CatalogStore(folder / "store", folder, MODEL, DIM)
    ids, rows = store.load_vector_rows()
    scores = np.empty((len(queries), int(rows.max()) + 1), dtype=np.float32)
    for first, block in store.vectors.blocks(int(rows.max()) + 1):
        scores[:, first : first + len(block)] = queries @ block.T
    store.close()
    per_item = scores[:, rows]
    return [np.stack([ids[np.argsort(-row)[:10]], np.sort(row)[::-1][:10]]) for row in per_item]


def check_exact(name: str, hits: list[list[list[float]]], expected: list[np.ndarray]) -> None:
    for got, want in zip(hits, expected, strict=True):
        got_scores = np.array([score for _, score in got])
        assert np.allclose(got_scores, want[1], atol=1e-5), f"{name}: not exact"
        assert set(int(i) for i, _ in got) <= set(int(i) for i in want[0]) or np.isclose(
            got_scores[-1], want[1][-1], atol=1e-5
        ), f"{name}: other items"


def baseline_checkout(work: Path, commit: str) -> Path:
    """The fashion_desktop package at `commit`, extracted once under `work` (git archive; no second worktree)."""
    folder = work / f"baseline-{commit}"
    if not (folder / "fashion_desktop").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(
            ["git", "archive", commit, "fashion_desktop"], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def bench_search(
    sizes: list[int],
    kinds: list[str],
    work: Path,
    previous_up_to: int,
    baseline: str | None = None,
    keep_caches: bool = False,
) -> dict[str, float]:
    previous = previous_module(work, "search")
    base = baseline_checkout(work, baseline) if baseline else None
    figures: dict[str, float] = {}
    for kind in kinds:
        for size in sizes:
            label = f"{kind}_{size // 1000}k"
            folder = work / label
            print(f"\nSearch index, {size} {kind} vectors")
            queries_file, expected = prepare_search(folder, kind, size)
            results: dict[str, dict[str, Any]] = {}
            if not keep_caches:
                for cache in folder.glob("store/search-*"):
                    cache.unlink()
                results["first open"] = run_child("current", folder, queries_file, previous)
            results["this version"] = run_child("current", folder, queries_file, previous)
            if base is not None:
                results[f"main {baseline}"] = run_child("current", folder, queries_file, previous, base)
                results["this version again"] = run_child("current", folder, queries_file, previous)
            if size <= previous_up_to:  # it holds every vector in memory: 8 GiB at a million
                results["previous"] = run_child("previous", folder, queries_file, previous)
            for name, result in results.items():
                check_exact(f"{label} {name}", result["hits"], expected)
            figures |= report_search(label, results, size, baseline)
    return figures


def prepare_search(folder: Path, kind: str, size: int) -> tuple[Path, list[np.ndarray]]:
    """The store (made once), QUERIES queries (half catalog items, half held out) and their exact answers."""
    from fashion_desktop.catalog.store import CatalogStore

    held_out = build_store(folder, kind, size)
    rng = np.random.default_rng(2)
    store = CatalogStore(folder / "store", folder, MODEL, DIM)
    _, rows = store.load_vector_rows()
    members, _ = store.vectors.read(rows[rng.choice(len(rows), QUERIES - len(held_out), replace=False)])
    store.close()
    queries_file = folder / "queries.npy"
    queries = np.concatenate([members, held_out]).astype(np.float32)
    np.save(queries_file, queries)
    return queries_file, brute_force(folder, queries)


def report_search(
    label: str, results: dict[str, dict[str, Any]], size: int, baseline: str | None = None
) -> dict[str, float]:
    heads = f"{'open s':>8} {'search ms':>10} {'p90 ms':>8} {'VmHWM MiB':>10} {'VmRSS':>8} {'anon':>8} {'file':>8}"
    print(f"  {'':30} {heads}")
    for name, result in results.items():
        memory = result["after_search"]
        print(
            f"  {name + ' (' + result['mode'] + ')':30} {result['open_s']:8.2f}"
            f" {1000 * statistics.median(result['search_s']):10.1f}"
            f" {1000 * float(np.quantile(result['search_s'], 0.9)):8.1f} {memory['VmHWM']:10.0f}"
            f" {memory['VmRSS']:8.0f} {memory['RssAnon']:8.0f} {memory['RssFile']:8.0f}"
        )
    now = results["this version"]
    search_now = statistics.median(now["search_s"])
    figures = {
        f"search_{label}_open_s": now["open_s"],
        f"search_{label}_ms": 1000 * search_now,
        f"search_{label}_p90_ms": 1000 * float(np.quantile(now["search_s"], 0.9)),
        f"search_{label}_peak_mib": now["after_search"]["VmHWM"],
        f"search_{label}_rss_mib": now["after_search"]["VmRSS"],
        f"search_{label}_mode_tree": float(now["mode"] == "tree"),
    }
    if "first open" in results:
        figures[f"search_{label}_first_open_s"] = results["first open"]["open_s"]
    main = results.get(f"main {baseline}")
    if main is not None:
        again = results["this version again"]
        ratios = {
            "open": statistics.median([now["open_s"], again["open_s"]]) / main["open_s"],
            "search": statistics.median(now["search_s"] + again["search_s"]) / statistics.median(main["search_s"]),
            "p90": float(np.quantile(now["search_s"] + again["search_s"], 0.9) / np.quantile(main["search_s"], 0.9)),
            "peak memory": max(now["after_search"]["VmHWM"], again["after_search"]["VmHWM"])
            / main["after_search"]["VmHWM"],
        }
        print(f"  this version / main {baseline}: " + ", ".join(f"{k} {v:.2f}" for k, v in ratios.items()))
        figures |= {f"search_{label}_{k.replace(' ', '_')}_vs_baseline": v for k, v in ratios.items()}
    before = results.get("previous")
    if before is None:
        vectors_gib = size * DIM * 4 / 2**30
        print(f"  previous: not run at this size (the vectors alone, copied into memory: {vectors_gib:.1f} GiB)")
        return figures
    search_before = statistics.median(before["search_s"])
    peak_ratio = now["after_search"]["VmHWM"] / before["after_search"]["VmHWM"]
    print(
        f"  this version / previous: open {now['open_s'] / before['open_s']:.2f}, "
        f"search {search_now / search_before:.2f}, peak memory {peak_ratio:.2f}  (all answers exact)"
    )
    return figures | {
        f"search_{label}_previous_open_s": before["open_s"],
        f"search_{label}_previous_ms": 1000 * search_before,
        f"search_{label}_previous_peak_mib": before["after_search"]["VmHWM"],
        f"search_{label}_peak_ratio": peak_ratio,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, default=REPO / "bench" / "models-full")
    parser.add_argument("--sizes", default="44000,200000,1000000")
    parser.add_argument("--kinds", default="clustered,uniform")
    parser.add_argument("--previous-up-to", type=int, default=200_000, help="largest size to run the previous index at")
    parser.add_argument("--small", type=int, default=384)
    parser.add_argument("--large", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "results" / "index", help="stores kept here")
    parser.add_argument("--skip-indexing", action="store_true")
    parser.add_argument("--skip-search", action="store_true")
    parser.add_argument("--baseline", help="a commit whose search to run side by side (e.g. main)")
    parser.add_argument("--keep-caches", action="store_true", help="reuse the search caches (no first open)")
    args = parser.parse_args()
    figures: dict[str, float] = {"cpus": float(os.cpu_count() or 0)}
    if not args.skip_indexing:
        export = [
            sys.executable,
            str(REPO / "export_models.py"),
            "--random-weights",
            "full",
            "--only",
            "resnet",
            "--quantize",
            "int8",
        ]
        subprocess.run([*export, "--out", str(args.models)], check=True)
        figures |= bench_indexing(args.models, {"small": args.small, "large": args.large}, args.rounds, args.work)
    if not args.skip_search:
        sizes = [int(size) for size in args.sizes.split(",")]
        figures |= bench_search(
            sizes, args.kinds.split(","), args.work, args.previous_up_to, args.baseline, args.keep_caches
        )
    closing_line({k: round(v, 4) for k, v in figures.items()})


if __name__ == "__main__":
    main()
