"""Names and paths: names that are not UTF-8, hold newlines or terminal escapes, are too long for the system;
folder links leading out of the catalog; a catalog folder that is suddenly empty or partly unreadable."""

from __future__ import annotations

import base64
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from fashion_desktop.paths import shown
from tests.conftest import OpenCatalog
from tests.hostile.support import cli, json_lines, stored_vectors, write_photos
from tests.images import gradient

NOT_UTF8 = [b"caf\xe9.jpg", b"\xff\xfe\xfd.png", b"d\xe9cor/robe.jpg", b"mixed-\xc3\xa9-\xe9.jpg"]


def by_bytes(root: Path, name: bytes) -> Path:
    """The path of a file whose name is given as bytes (as the file system holds it)."""
    return Path(os.fsdecode(os.fsencode(root) + b"/" + name))


def write_non_utf8_catalog(root: Path) -> list[Path]:
    write_photos(root, 3)
    paths = []
    for index, name in enumerate(NOT_UTF8):
        path = by_bytes(root, name)
        path.parent.mkdir(exist_ok=True)
        gradient(90, 110, seed=50 + index).save(path, format="PNG" if name.endswith(b".png") else "JPEG")
        paths.append(path)
    return paths


def test_names_that_are_not_utf8_are_indexed_kept_exactly_and_searchable(
    tmp_path: Path, open_catalog: OpenCatalog
) -> None:
    root = tmp_path / "catalog"
    odd = write_non_utf8_catalog(root)
    catalog = open_catalog(root)
    report = catalog.index()
    assert report.embedded == 3 + len(NOT_UTF8) and not report.failed
    results = catalog.search_images([odd[0]], k=10)
    assert {r.path for r in results} >= set(odd[1:]), "every odd name is found, with its exact path"
    assert all(r.path.exists() for r in results)
    assert odd[0] not in {r.path for r in results}, "the query item itself is left out"
    assert open_catalog(root).index().scan.unchanged == 3 + len(NOT_UTF8), "kept exactly: unchanged next time"
    moved = by_bytes(root, b"moved-\xe9.jpg")
    odd[0].rename(moved)
    again = open_catalog(root).index()
    assert (again.scan.new, again.scan.removed, again.reused, again.embedded) == (1, 1, 1, 0)


def test_json_and_text_output_of_odd_names_are_valid_and_readable(
    models_env: Path, tmp_path: Path, data_dir: Path
) -> None:
    root = tmp_path / "catalog"
    odd = write_non_utf8_catalog(root)
    (root / "broken\nline.jpg").write_bytes(b"\xff\xd8 not really")
    (root / "\x1b[31mred.jpg").write_bytes(b"junk")
    by_bytes(root, b"bad-\xff.jpg").write_bytes(b"junk")
    indexed = cli("index", str(root))
    assert indexed.returncode == 0 and "Traceback" not in indexed.stderr + indexed.stdout
    assert "skipped broken\\nline.jpg:" in indexed.stdout, "a newline in a name is shown, not obeyed"
    assert "skipped \\x1b[31mred.jpg:" in indexed.stdout and "\x1b" not in indexed.stdout
    assert "skipped bad-\ufffd.jpg:" in indexed.stdout
    searched = cli("search", str(odd[1]), "--catalog", str(root), "-k", "20", "--json")
    assert searched.returncode == 0, searched.stderr
    rows = json_lines(searched.stdout)
    odd_rows = [row for row in rows if "path_bytes" in row]
    assert len(odd_rows) == len(NOT_UTF8) - 1
    for row in odd_rows:
        exact = Path(os.fsdecode(base64.b64decode(row["path_bytes"])))
        assert exact in odd and "\ufffd" in row["path"]
    text = cli("search", str(odd[1]), "--catalog", str(root), "-k", "20")
    assert text.returncode == 0 and "caf\ufffd.jpg" in text.stdout
    added = cli("board", "add", "Odd names", *map(str, odd), "--catalog", str(root))
    listed = cli("board", "list", "--json", "--catalog", str(root))
    assert added.returncode == 0 and listed.returncode == 0, added.stderr + listed.stderr
    items = json_lines(listed.stdout)[0]["items"]
    assert {Path(os.fsdecode(base64.b64decode(item["path_bytes"]))) for item in items} == set(odd)
    status = cli("status", str(by_bytes(tmp_path, b"catalog")), "--json")
    assert status.returncode == 0 and json_lines(status.stdout)[0]["indexed"] == 3 + len(NOT_UTF8)
    log = (data_dir / "logs" / "fashion-desktop.log").read_text(encoding="utf-8")
    assert "Logging error" not in log and "Logging error" not in indexed.stderr + searched.stderr


def test_a_catalog_folder_whose_own_name_is_not_utf8(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = by_bytes(tmp_path, b"collection-\xe9t\xe9")
    write_photos(root, 3)
    catalog = open_catalog(root)
    assert catalog.index().embedded == 3
    assert len(catalog.search_images([root / "photo000.jpg"], k=5)) == 2
    assert shown(catalog.root).endswith("collection-\ufffdt\ufffd")


def _deep_folder(root: Path, total_bytes: int) -> str:
    """Nested folders whose path passes the system's limit (created through folder descriptors); returns the
    relative path of the deepest."""
    parts: list[str] = []
    descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        while len(str(root)) + sum(len(p) + 1 for p in parts) < total_bytes:
            name = f"{len(parts):02}" + "d" * 200
            os.mkdir(name, dir_fd=descriptor)
            child = os.open(name, os.O_RDONLY | os.O_DIRECTORY, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = child
            parts.append(name)
        image = os.open("deep.jpg", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=descriptor)
        try:
            os.write(image, (root.parent / "seed.jpg").read_bytes())
        finally:
            os.close(image)
    finally:
        os.close(descriptor)
    return "/".join(parts)


def test_paths_too_long_for_the_system_are_reported_readably(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = tmp_path / "catalog"
    write_photos(root, 2)
    gradient(40, 40).save(tmp_path / "seed.jpg")
    long_name = "n" * 250 + ".jpg"  # the longest a name may be (255 bytes) is fine
    gradient(40, 40).save(root / long_name)
    deep = _deep_folder(root, 4200)
    report = open_catalog(root).index()
    reasons = dict(report.failed)
    assert report.embedded == 3 and long_name not in reasons
    too_long = [path for path in reasons if path.startswith(deep.split("/")[0])]
    assert too_long and all("too long for the system" in reasons[path] for path in too_long), reasons
    shutil.rmtree(root)  # fd-based: copes with the deep tree


def test_folder_links_out_of_the_catalog_are_not_followed(tmp_path: Path, open_catalog: OpenCatalog) -> None:
    root = tmp_path / "catalog"
    write_photos(root / "inside", 2)
    write_photos(tmp_path / "elsewhere", 3, start=10)
    os.symlink(tmp_path / "elsewhere", root / "shared")
    os.symlink("/", root / "everything")
    os.symlink(root / "inside", root / "alias")  # inside the catalog: the same photos, once
    report = open_catalog(root).index()
    paths = {item.path for item in open_catalog(root).store.items_by_path().values()}
    assert report.embedded == 2 and len(paths) == 2
    assert not any(p.startswith(("shared/", "everything/")) for p in paths)


def test_a_suddenly_empty_catalog_folder_keeps_its_index(
    tmp_path: Path, open_catalog: OpenCatalog, models_env: Path
) -> None:
    """An unmounted share looks like an empty folder: the index is kept and the stylist is told."""
    root = tmp_path / "catalog"
    write_photos(root / "spring", 4)
    write_photos(root, 2, start=20)
    catalog = open_catalog(root)
    catalog.index()
    shutil.move(root, tmp_path / "unplugged")
    root.mkdir()
    report = catalog.index()
    assert report.warnings and "empty" in report.warnings[0] and (report.scan.removed, report.embedded) == (0, 0)
    assert catalog.status()["indexed"] == 6
    result = cli("index", str(root))
    assert result.returncode == 1 and "disconnected" in result.stderr and "6 photos is kept" in result.stderr
    assert len(catalog.search_images([tmp_path / "unplugged" / "photo020.jpg"], k=10)) == 5  # all but the query
    shutil.rmtree(root)
    shutil.move(tmp_path / "unplugged", root)
    back = catalog.index()
    assert (back.scan.unchanged, back.embedded, back.warnings) == (6, 0, [])


def test_a_folder_that_cannot_be_listed_keeps_its_items(
    tmp_path: Path, open_catalog: OpenCatalog, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A subfolder that fails to list (permissions, a flaky share: root ignores modes, so the failure is made)
    is reported, and its photos stay in the index instead of being dropped."""
    root = tmp_path / "catalog"
    write_photos(root / "spring", 3)
    write_photos(root / "summer", 2, start=10)
    catalog = open_catalog(root)
    catalog.index()
    vectors = stored_vectors(catalog.store)[1]
    real_scandir = os.scandir

    def flaky(path: str | Path) -> object:
        if Path(path).name == "spring":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", flaky)  # what the scan lists folders with
    report = catalog.index()
    assert report.scan.removed == 0 and catalog.status()["indexed"] == 5
    assert dict(report.failed) == {"spring/": "folder not readable: permission denied"}
    np.testing.assert_array_equal(stored_vectors(catalog.store)[1], vectors)
