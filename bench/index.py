"""Benchmark: catalog indexing throughput and exact search latency.

    python bench/index.py [--models DIR] [--sizes 44000,200000,1000000] [--skip-indexing]

1. Indexing generated catalogs of small (60×80) and large (2400×3200) JPEGs: the app's pipeline (reduced-scale
   decoding in threads + onnxruntime fp32 batches + committed store) against the seed-style pipeline
   (transformers image processor + PyTorch ResNet50, one image at a time). Full-size random-weight models.
2. Search (k=10, one query) on synthetic L2-normalised 2048-d vectors, clustered and uniform, at each size:
   the KD-tree index against numpy brute force, checking that every answer is identical.
3. Store load time at 44k items and memory per 100k items.
Not a test: run by hand; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

import numpy as np  # noqa: E402
from common import bench_paths, closing_line  # noqa: E402

DIM = 2048


def make_jpegs(folder: Path, count: int, size: tuple[int, int]) -> None:
    from model_export.common import synthetic_images

    folder.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(synthetic_images(count, seed=index_seed(size))):
        image.resize(size).save(folder / f"img{index:05}.jpg", quality=90)


def index_seed(size: tuple[int, int]) -> int:
    return size[0] % 97


def bench_indexing(models: Path, counts: dict[str, int]) -> dict[str, float]:
    import torch

    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.models.embedder import ImageEmbedder
    from model_export import resnet
    from model_export.common import Source

    torch.set_num_threads(2)
    model, processor = resnet.load(Source("microsoft/resnet-50", random_weights="full"))
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["FASHION_DESKTOP_DATA_DIR"] = str(Path(tmp) / "data")
        for label, size in (("small", (60, 80)), ("large", (2400, 3200))):
            folder = Path(tmp) / label
            make_jpegs(folder, counts[label], size)
            files = sorted(folder.glob("*.jpg"))
            from PIL import Image

            start = time.perf_counter()
            for path in files:  # the seed: one image at a time through transformers
                with Image.open(path) as image:
                    pixels = processor(images=image.convert("RGB"), return_tensors="pt")["pixel_values"]
                resnet.torch_pooled(model, pixels)
            seed_seconds = time.perf_counter() - start

            embedder = ImageEmbedder(models / "resnet50", variant="fp32", threads=2)
            embedder.load()
            start = time.perf_counter()
            report = Catalog.open(folder, bench_paths(models), embedder=embedder).index()
            app_seconds = time.perf_counter() - start
            assert report.embedded == len(files), report
            print(f"\nIndexing {len(files)} {label} JPEGs {size[0]}×{size[1]}")
            print(f"  seed pipeline (HF processor + PyTorch, 1 by 1)  {len(files) / seed_seconds:7.1f} images/s")
            print(
                f"  app pipeline (fp32, batched, threads)          {len(files) / app_seconds:7.1f} images/s"
                f"  {seed_seconds / app_seconds:5.2f}x"
            )
            figures[f"index_{label}_images_per_s"] = len(files) / app_seconds
            figures[f"index_{label}_speedup_vs_seed"] = seed_seconds / app_seconds
    return figures


def clustered_vectors(count: int, seed: int) -> np.ndarray:
    """CNN-feature-like: mixtures around low-rank cluster centres (rank 48) plus isotropic noise."""
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((48, DIM), dtype=np.float32)
    centres = rng.standard_normal((400, 48), dtype=np.float32) @ basis
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((count, DIM), dtype=np.float32)
    for start in range(0, count, 50_000):
        stop = min(count, start + 50_000)
        block = centres[rng.integers(0, 400, stop - start)]
        block += rng.standard_normal((stop - start, DIM), dtype=np.float32) * np.float32(0.5 / np.sqrt(DIM))
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def uniform_vectors(count: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((count, DIM), dtype=np.float32)
    for start in range(0, count, 50_000):
        stop = min(count, start + 50_000)
        block = rng.standard_normal((stop - start, DIM), dtype=np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def brute_force(vectors: np.ndarray, query: np.ndarray, k: int) -> np.ndarray:
    scores = vectors @ query
    top = np.argpartition(-scores, k - 1)[:k]
    return top[np.argsort(-scores[top])]


def bench_search(sizes: list[int], queries: int = 30) -> dict[str, float]:
    from fashion_desktop.catalog.search import ExactIndex

    figures: dict[str, float] = {}
    for kind, make in (("clustered", clustered_vectors), ("uniform", uniform_vectors)):
        for size in sizes:
            held_out = queries // 2  # items of the same distribution that are not in the catalog
            everything = make(size + held_out, seed=1)
            vectors, outside = everything[:size], everything[size:]
            ids = np.arange(size, dtype=np.int64)
            start = time.perf_counter()
            index = ExactIndex(ids, vectors).build()
            build = time.perf_counter() - start
            rng = np.random.default_rng(2)
            probes = np.concatenate([vectors[rng.choice(size, queries - len(outside))], outside])
            tree_times, brute_times = [], []
            for query in probes:  # interleaved, and every answer checked
                t0 = time.perf_counter()
                hits = index.search(query, 10)
                t1 = time.perf_counter()
                expected = brute_force(vectors, query, 10)
                t2 = time.perf_counter()
                tree_times.append(t1 - t0)
                brute_times.append(t2 - t1)
                got = np.array([h.item_id for h in hits])
                scores = vectors @ query
                assert np.allclose(np.sort(scores[got]), np.sort(scores[expected]), atol=1e-6), "not exact"
            tree_ms, brute_ms = 1000 * statistics.median(tree_times), 1000 * statistics.median(brute_times)
            label = f"{kind}_{size // 1000}k"
            print(f"\nSearch k=10, {size} {kind} vectors: index {index.mode} mode, built in {build:.1f}s")
            print(
                f"  brute force {brute_ms:8.2f} ms   index {tree_ms:8.2f} ms   ratio {tree_ms / brute_ms:5.2f}"
                "  (all answers exact)"
            )
            figures[f"search_{label}_ratio_to_brute"] = tree_ms / brute_ms
            figures[f"search_{label}_ms"] = tree_ms
            figures[f"search_{label}_brute_ms"] = brute_ms
            figures[f"search_{label}_build_s"] = build
            figures[f"search_{label}_mode_tree"] = float(index.mode == "tree")
            del vectors, index
    return figures


def bench_store_load(count: int = 44_000) -> dict[str, float]:
    """Time to load 44k vectors from a catalog store, in a fresh process (cold import, warm page cache)."""
    from fashion_desktop.catalog.scan import ScannedFile
    from fashion_desktop.catalog.store import CatalogStore, IndexResult

    with tempfile.TemporaryDirectory() as tmp:
        store = CatalogStore(Path(tmp) / "store", Path(tmp), "bench-model", DIM)
        store.apply_scan([ScannedFile(f"img{i:06}.jpg", 1000 + i, i) for i in range(count)])
        vectors = uniform_vectors(count, seed=5)
        for start in range(0, count, 1000):
            batch = [IndexResult(start + i + 1, f"hash{start + i}", 100, 100, True) for i in range(1000)]
            store.record_results(batch, vectors[start : start + 1000])
        store.close()
        script = (
            "import time, sys; from pathlib import Path; t=time.perf_counter();"
            "from fashion_desktop.catalog.store import CatalogStore;"
            f"s=CatalogStore(Path(r'{tmp}')/'store', Path(r'{tmp}'), 'bench-model', {DIM});"
            "ids, v = s.load_vectors(); print(time.perf_counter()-t, len(ids))"
        )
        out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=REPO)
        seconds, loaded = out.stdout.split()
    assert int(loaded) == count
    print(f"\nStore load: {count} vectors in {float(seconds):.2f} s (fresh process, including imports)")
    per_100k_mib = 100_000 * (DIM * 4 + 32 * 8) / 2**20  # vectors + projected float64 copy in the KD-tree
    print(f"Memory per 100k items in the search index: {per_100k_mib:.0f} MiB")
    return {"store_load_44k_s": float(seconds), "index_mib_per_100k": per_100k_mib}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", type=Path, default=REPO / "bench" / "models-full")
    parser.add_argument("--sizes", default="44000,200000,1000000")
    parser.add_argument("--small", type=int, default=400)
    parser.add_argument("--large", type=int, default=40)
    parser.add_argument("--skip-indexing", action="store_true")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    if not args.skip_indexing:
        subprocess.run(
            [
                sys.executable,
                str(REPO / "export_models.py"),
                "--random-weights",
                "full",
                "--only",
                "resnet",
                "--out",
                str(args.models),
            ],
            check=True,
        )
        figures |= bench_indexing(args.models, {"small": args.small, "large": args.large})
    figures |= bench_store_load()
    figures |= bench_search([int(s) for s in args.sizes.split(",")])
    closing_line({k: round(v, 4) for k, v in figures.items()})


if __name__ == "__main__":
    main()
