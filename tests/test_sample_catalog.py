"""The sample catalog shipped with the app."""

from __future__ import annotations

from PIL import Image

from fashion_desktop.catalog.styles import open_styles
from fashion_desktop.sample import sample_catalog_dir


def test_sample_catalog_is_big_varied_and_attributed() -> None:
    root = sample_catalog_dir()
    images = sorted(root.rglob("*.jpg"))
    assert len(images) >= 48
    assert {p.parent.name for p in images} == {"twemoji", "noto"}  # two visual styles
    for path in images:
        with Image.open(path) as image:
            assert min(image.size) >= 256, path
    with open_styles(root / "styles.csv") as styles:
        rows = list(styles.rows())
    assert styles.report.encoding == "utf-8" and not styles.report.unreadable and not styles.report.error
    assert {r["stem"] for r in rows} == {p.stem for p in images}
    assert len({r["article_type"] for r in rows}) >= 8
    attribution = (root / "ATTRIBUTION.md").read_text()
    assert "CC-BY 4.0" in attribution and "Open Font License" in attribution
