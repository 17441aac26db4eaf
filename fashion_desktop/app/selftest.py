"""`fashion-desktop --self-test`: prove an installation works, end to end, without touching the user's data.

Loads both models, indexes the bundled sample catalog into a temporary data directory, searches, captions one
result, builds the window offscreen (so a bundle missing a Qt plugin fails here), reads the licence notices (the
bundle's NOTICES.txt when installed), puts the results on a board and exports it as a PDF lookbook (fonts found and
embedded), prints what it did.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from fashion_desktop.app.environment import app_paths
from fashion_desktop.licences import NOTICES_NAME
from fashion_desktop.paths import AppPaths


def run_self_test() -> int:
    started = time.perf_counter()
    # An explicit folder: tempfile would otherwise probe the temp directory by writing a file into it.
    temp_root = os.environ.get("TMPDIR") or os.environ.get("TEMP") or ("/tmp" if os.name == "posix" else None)
    with tempfile.TemporaryDirectory(prefix="fashion-desktop-self-test-", dir=temp_root) as data:
        paths = app_paths().with_data_dir(Path(data))
        from fashion_desktop.catalog.catalog import Catalog
        from fashion_desktop.models.captioner import Captioner

        catalog = Catalog.open(paths.sample_catalog, paths)
        captioner = Captioner.from_paths(paths)
        for manifest in (catalog.embedder.manifest, captioner.manifest):
            stand_in = " (RANDOM WEIGHTS: stand-in, results meaningless)" if manifest.random_weights else ""
            print(f"model {manifest.model}: {manifest.source}{stand_in}")
        report = catalog.index()
        print(f"indexed {report.embedded} sample images ({len(report.failed)} skipped) in {report.seconds:.1f} s")
        query = sorted(paths.sample_catalog.rglob("*.jpg"))[0]
        results = catalog.search_images([query], k=5)
        if len(results) != 5:
            print(f"self-test FAILED: expected 5 results, got {len(results)}")
            return 1
        best = results[0]
        print(f"searched with {query.name}: best match {best.path.name} (similarity {best.score:.3f})")
        caption = catalog.captions_for([best.item_id], captioner)[best.item_id]
        print(f"captioned {best.path.name}: {caption!r}")
        catalog.close()
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # the self-test needs no display
        from fashion_desktop.app.window import check_window

        check_window(paths, paths.sample_catalog)
        print("window: built and shown offscreen")
        from fashion_desktop.ui.licences import licence_notices

        shown = licence_notices(paths)
        source = f"the bundle's {NOTICES_NAME}" if shown.bundled else "the installed distributions' metadata"
        print(f"licences: {len(shown.notices)} components, from {source}")
        if not check_lookbook(paths, [result.item_id for result in results], Path(data) / "self-test.pdf"):
            return 1
    print(f"self-test passed in {time.perf_counter() - started:.1f} s")
    return 0


def check_lookbook(paths: AppPaths, item_ids: list[int], out: Path) -> bool:
    """Put items on a board and export its lookbook (needs the QApplication check_window made)."""
    from fashion_desktop.catalog.boards import Boards
    from fashion_desktop.catalog.catalog import Catalog
    from fashion_desktop.export.lookbook import export_pdf

    catalog = Catalog.open(paths.sample_catalog, paths)
    try:
        boards = Boards(catalog.store)
        board = boards.create("Self-test")
        boards.add(board.id, item_ids)
        report = export_pdf(boards.get(board.id), boards.items(board.id), out)
    finally:
        catalog.close()
    expected = 1 + (len(item_ids) + 3) // 4  # the cover, then 4 items a page
    if report.pages != expected or b"/FontFile" not in out.read_bytes():
        print(f"self-test FAILED: lookbook has {report.pages} pages (expected {expected}) or no embedded font")
        return False
    print(f"lookbook: {report.items} items on {report.pages} pages ({report.bytes / 1e3:.0f} kB)")
    return True
