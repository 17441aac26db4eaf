"""Benchmark: what the background captions pay each time they resume (after every scroll, after a drop's captions)
on a big catalog: the counts of what is left and of what is indexed.

    python bench/resume.py [--items 1000000] [--rounds 5]

A synthetic store of `--items` indexed items, a third of them captioned, built straight into a CatalogStore (no
photos, no models). Each round writes a batch of 8 captions as the caption worker does, then asks for the counts
two ways, side by side: counted afresh by SQLite (as the app did before the store kept them) and as the store
gives them now (kept between changes, its own captions counted in). Not a test: run by hand; the last line is one
JSON object of the figures (medians, and their ratio).
"""

from __future__ import annotations

import argparse
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "bench")]

from common import closing_line  # noqa: E402

from fashion_desktop.catalog.store import DB_FILE, CatalogStore  # noqa: E402

MODEL = "blip"
BATCH = 8  # captions the caption worker writes at a time


def content_hash(index: int) -> str:
    return hashlib.sha1(str(index).encode()).hexdigest()


def build(folder: Path, root: Path, items: int) -> None:
    CatalogStore(folder, root, "bench", 4).close()  # the schema, as the app makes it
    db = sqlite3.connect(folder / DB_FILE)
    with db:
        rows = ((f"p/{i}.jpg", str(i), 1, 1, content_hash(i), "ok") for i in range(items))
        db.executemany("INSERT INTO items(path, stem, size, mtime_ns, content_hash, status) VALUES (?,?,?,?,?,?)", rows)
        db.executemany(
            "INSERT INTO captions(content_hash, model, caption) VALUES (?, ?, 'a top')",
            ((content_hash(i), MODEL) for i in range(0, items, 3)),
        )
    db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fd-bench-resume-") as work:
        folder, root = Path(work) / "store", Path(work) / "root"
        root.mkdir()
        started = time.perf_counter()
        build(folder, root, args.items)
        print(f"Store of {args.items} items built in {time.perf_counter() - started:.0f} s")
        store = CatalogStore(folder, root, "bench", 4)
        afresh_query = f"SELECT COUNT(*) {store._UNCAPTIONED}"
        times: dict[str, list[float]] = {"afresh": [], "kept": [], "write": []}
        expected = store.uncaptioned_count(MODEL)  # the first count: the store keeps it from here
        after = 0
        for _ in range(args.rounds):
            batch = store.uncaptioned_ids(MODEL, after, BATCH)
            after = batch[-1]
            hashes = [item.content_hash or "" for item in store.items(batch).values()]
            start = time.perf_counter()
            store.store_captions(MODEL, [(h, "a top") for h in hashes])
            times["write"].append(time.perf_counter() - start)
            expected -= len(batch)

            start = time.perf_counter()
            left = int(store.db.execute(afresh_query, (MODEL,)).fetchone()[0])
            indexed = dict(store.db.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())["ok"]
            times["afresh"].append(time.perf_counter() - start)

            start = time.perf_counter()
            kept_left, kept_indexed = store.uncaptioned_count(MODEL), store.counts()["ok"]
            times["kept"].append(time.perf_counter() - start)
            assert left == kept_left == expected and indexed == kept_indexed == args.items, "the counts disagree"
        store.close()
    medians = {name: 1000 * statistics.median(values) for name, values in times.items()}
    print(
        f"Counts on resuming, {args.items} items, median of {args.rounds}: counted afresh {medians['afresh']:.1f} ms, "
        f"kept {medians['kept']:.3f} ms; writing {BATCH} captions {medians['write']:.1f} ms"
    )
    closing_line(
        {
            "items": args.items,
            "resume_counts_afresh_ms": round(medians["afresh"], 1),
            "resume_counts_kept_ms": round(medians["kept"], 3),
            "ratio_afresh_to_kept": round(medians["afresh"] / max(medians["kept"], 1e-6)),
            "write_captions_ms": round(medians["write"], 2),
        }
    )


if __name__ == "__main__":
    main()
