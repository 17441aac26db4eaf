"""Benchmark: bringing an unchanged catalog up to date at launch (issue 12: ≤ 2 s at 44k items).

    python bench/relaunch.py [--count 44000] [--rounds 5] [--compare OTHER_CHECKOUT]

Builds (once, cached in bench/.relaunch-cache) a catalog of COUNT small JPEGs with a styles.csv row for each, indexes
it, then times what a relaunch does before the catalog is usable and up to date: open the store, scan, apply the
scan, import styles.csv if it changed, refresh the full-text rows, and build the search index. Each relaunch runs in
a fresh process. With --compare, the same is timed for another checkout's code (e.g. an export of main), one
relaunch of each in turn, each with its own store. Tiny random-weight models are used: the time measured here is
the store's and the scan's, not the model's. Not a test; the last line is one JSON object of the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CACHE = REPO / "bench" / ".relaunch-cache"

MEASURE = """
import json, sys, time
from pathlib import Path
started = time.perf_counter()
from fashion_desktop.catalog.catalog import Catalog
from fashion_desktop.paths import AppPaths
from fashion_desktop.sample import sample_catalog_dir
root, data, models = map(Path, sys.argv[1:4])
imported = time.perf_counter()
catalog = Catalog.open(root, AppPaths(data, (models,), sample_catalog_dir()))
opened = time.perf_counter()
report = catalog.index()
indexed = time.perf_counter()
catalog.search_index()
searchable = time.perf_counter()
print(json.dumps({
    "open": opened - imported, "index": indexed - opened, "search_index": searchable - indexed,
    "total": searchable - imported, "unchanged": report.scan.unchanged, "embedded": report.embedded,
    "module": __import__("fashion_desktop").__file__,
}))
"""


def build_catalog(root: Path, count: int) -> None:
    """COUNT 60×80 JPEGs in 100 folders and a styles.csv naming each (made once, then reused)."""
    import numpy as np
    from PIL import Image

    marker = root / ".complete"
    if marker.exists():
        return
    rows = ["id,gender,masterCategory,subCategory,articleType,baseColour,season,year,usage,productDisplayName"]
    colours = ["Red", "Blue", "Black", "White", "Green"]
    for index in range(count):
        folder = root / f"set{index % 100:02}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = np.random.default_rng(index).integers(0, 256, (80, 60, 3), dtype=np.uint8)  # every photo distinct
        Image.fromarray(pixels).save(folder / f"{index}.jpg")
        colour = colours[index % 5]
        rows.append(f"{index},Women,Apparel,Topwear,Tops,{colour},Summer,2012,Casual,{colour} top number {index}")
    (root / "styles.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    marker.write_text("")


def tiny_models() -> Path:
    folder = CACHE / "models"
    if not (folder / "resnet50" / "manifest.json").exists():
        subprocess.run(
            [sys.executable, str(REPO / "export_models.py"), "--random-weights", "tiny", "--out", str(folder)],
            check=True,
        )
    return folder


def relaunch(code: Path, root: Path, data: Path, models: Path) -> dict[str, float]:
    environment = {**os.environ, "PYTHONPATH": str(code)}
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, str(root), str(data), str(models)],
        capture_output=True,
        text=True,
        env=environment,
        cwd=CACHE,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=44_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, default=None, help="another checkout holding fashion_desktop/")
    args = parser.parse_args()
    CACHE.mkdir(exist_ok=True)
    root = CACHE / f"catalog-{args.count}"
    started = time.perf_counter()
    build_catalog(root, args.count)
    models = tiny_models()
    print(f"catalog of {args.count} photos ready in {time.perf_counter() - started:.0f}s")
    variants = {"this": REPO} | ({"compare": args.compare.resolve()} if args.compare else {})
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    for name, code in variants.items():  # the first index of each variant's own store, untimed
        first = relaunch(code, root, CACHE / f"data-{name}-{args.count}", models)
        print(f"{name} ({first['module']}): first run embedded {first['embedded']:.0f}")
    for _ in range(args.rounds):
        for name, code in variants.items():
            samples[name].append(relaunch(code, root, CACHE / f"data-{name}-{args.count}", models))
    figures: dict[str, float] = {}
    for name, runs in samples.items():
        assert all(run["unchanged"] == args.count and run["embedded"] == 0 for run in runs)
        medians = {
            key: statistics.median(run[key] for run in runs) for key in ("open", "index", "search_index", "total")
        }
        print(
            f"{name:>8}: up to date and searchable in {medians['total']:.2f}s "
            f"(open {medians['open']:.2f}s, index {medians['index']:.2f}s, search index {medians['search_index']:.2f}s)"
        )
        figures |= {f"{name}_{key}_s": round(value, 3) for key, value in medians.items()}
    if args.compare:
        figures["speedup_total"] = round(figures["compare_total_s"] / figures["this_total_s"], 2)
        print(f"this checkout is {figures['speedup_total']:.1f}x faster to relaunch than {args.compare}")
    print(json.dumps(figures, sort_keys=True))


if __name__ == "__main__":
    main()
