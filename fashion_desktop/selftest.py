"""`fashion-desktop --self-test`: prove an installation works, end to end, without touching the user's data.

Loads both models, indexes the bundled sample catalog into a temporary data directory, searches, captions one
result, builds the window offscreen (so a bundle missing a Qt plugin fails here), prints what it did.
"""

from __future__ import annotations

import os
import tempfile
import time

from fashion_desktop import paths


def run_self_test() -> int:
    started = time.perf_counter()
    # An explicit folder: tempfile would otherwise probe the temp directory by writing a file into it.
    temp_root = os.environ.get("TMPDIR") or os.environ.get("TEMP") or ("/tmp" if os.name == "posix" else None)
    with tempfile.TemporaryDirectory(prefix="fashion-desktop-self-test-", dir=temp_root) as data:
        os.environ[paths.DATA_DIR_ENV] = data
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.models.captioner import Captioner
        from fashion_desktop.models.embedder import ImageEmbedder
        from fashion_desktop.sample import sample_catalog_dir

        embedder, captioner = ImageEmbedder(), Captioner()
        for manifest in (embedder.manifest, captioner.manifest):
            stand_in = " (RANDOM WEIGHTS: stand-in, results meaningless)" if manifest.random_weights else ""
            print(f"model {manifest.model}: {manifest.source}{stand_in}")
        catalog = Catalog(sample_catalog_dir(), embedder)
        report = catalog.index()
        print(f"indexed {report.embedded} sample images ({len(report.failed)} skipped) in {report.seconds:.1f} s")
        query = sorted(sample_catalog_dir().rglob("*.jpg"))[0]
        results = catalog.search_images([query], k=5)
        if len(results) != 5:
            print(f"self-test FAILED: expected 5 results, got {len(results)}")
            return 1
        print(f"searched with {query.name}: best match {results[0].path.name} (similarity {results[0].score:.3f})")
        items = catalog.store.items([results[0].item_id])
        caption = catalog.captions_for(list(items.values()), captioner)[results[0].item_id]
        print(f"captioned {results[0].path.name}: {caption!r}")
        catalog.close()
        from fashion_desktop.ui.smoke import check_window

        check_window(sample_catalog_dir())
        print("window: built and shown offscreen")
    print(f"self-test passed in {time.perf_counter() - started:.1f} s")
    return 0
