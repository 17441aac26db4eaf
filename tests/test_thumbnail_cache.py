"""The thumbnail cache's keys: one thumbnail per photo however its path reaches it, a fresh one when it is edited,
and the path resolved once per folder rather than once per tile (a decoding thread holds the GIL while it walks a
path's components)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from fashion_desktop.ui.thumbnails import cache_path, real_path
from tests.images import gradient


@pytest.fixture
def shoot(tmp_path: Path) -> Path:
    """A folder of photos reached through links as stylists' shares are: a linked folder, linked files."""
    real = tmp_path / "real" / "spring"
    real.mkdir(parents=True)
    for number in range(3):
        gradient(40 + number, 30).save(real / f"look{number}.jpg")
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    (real / "relative-link.jpg").symlink_to("look0.jpg")
    (tmp_path / "absolute-link.jpg").symlink_to(real / "look1.jpg")
    return tmp_path


def test_a_photo_has_one_thumbnail_however_its_path_reaches_it(
    shoot: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    look0 = cache_path(shoot / "real" / "spring" / "look0.jpg", cache)
    look1 = cache_path(shoot / "real" / "spring" / "look1.jpg", cache)
    assert look0 != look1
    assert cache_path(shoot / "linked" / "spring" / "look0.jpg", cache) == look0
    assert cache_path(shoot / "linked" / "spring" / ".." / "spring" / "look0.jpg", cache) == look0
    assert cache_path(shoot / "real" / "spring" / "relative-link.jpg", cache) == look0
    assert cache_path(shoot / "linked" / "spring" / "relative-link.jpg", cache) == look0
    assert cache_path(shoot / "absolute-link.jpg", cache) == look1
    monkeypatch.chdir(shoot / "linked")
    assert cache_path(Path("spring/look0.jpg"), cache) == look0


def test_links_resolve_to_where_the_system_says_they_lead(shoot: Path) -> None:
    """Links followed one at a time land where the kernel's own resolution does, for every shape of link."""
    spring = shoot / "real" / "spring"
    elsewhere = shoot / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "chain.jpg").symlink_to(shoot / "absolute-link.jpg")  # a link to a link to a photo
    (elsewhere / "through-linked.jpg").symlink_to(Path("..") / "linked" / "spring" / "look2.jpg")
    (elsewhere / "dotdot.jpg").symlink_to(Path("..") / "linked" / "spring" / ".." / "spring" / "look0.jpg")
    (elsewhere / "dangling.jpg").symlink_to(shoot / "linked" / "gone.jpg")
    (elsewhere / "loop-a.jpg").symlink_to("loop-b.jpg")
    (elsewhere / "loop-b.jpg").symlink_to("loop-a.jpg")
    (shoot / "linked-elsewhere").symlink_to(elsewhere)
    paths = [spring / "relative-link.jpg", shoot / "linked" / "spring" / "relative-link.jpg"]
    paths += [folder / name for folder in (elsewhere, shoot / "linked-elsewhere") for name in os.listdir(elsewhere)]
    for path in paths:
        assert real_path(path, os.lstat(path)) == os.path.realpath(path), path
    assert real_path(elsewhere / "chain.jpg", os.lstat(elsewhere / "chain.jpg")) == str(spring / "look1.jpg")


def test_an_edited_photo_gets_a_fresh_thumbnail_and_a_missing_one_a_key(shoot: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    photo = shoot / "real" / "spring" / "look2.jpg"
    before = cache_path(photo, cache)
    gradient(90, 60).save(photo)
    stamp = photo.stat().st_mtime_ns
    os.utime(photo, ns=(stamp + 1_000_000, stamp + 1_000_000))
    assert cache_path(photo, cache) != before
    assert cache_path(shoot / "linked" / "spring" / "look2.jpg", cache) == cache_path(photo, cache)
    shutil.copy(photo, shoot / "copy.jpg")  # same picture, another file: its own entry
    assert cache_path(shoot / "copy.jpg", cache) != cache_path(photo, cache)
    missing = cache_path(shoot / "gone.jpg", cache)
    assert missing.parent == cache and missing != cache_path(shoot / "gone-too.jpg", cache)


def test_paths_are_resolved_once_per_folder_not_once_per_tile(
    tmp_path: Path, shoot: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = shoot / "linked" / "spring"
    for number in range(50):
        (folder / f"tile{number}.jpg").write_bytes(b"not decoded here")
    resolved: list[str] = []
    real_realpath = os.path.realpath

    def counted(path: str | os.PathLike[str], *, strict: bool = False) -> str:
        resolved.append(os.fspath(path))
        return real_realpath(path, strict=strict)

    monkeypatch.setattr(os.path, "realpath", counted)
    keys = {cache_path(folder / f"tile{number}.jpg", tmp_path / "cache") for _ in range(2) for number in range(50)}
    assert len(keys) == 50
    assert resolved == [str(folder)]
    links = shoot / "links"  # a catalog of links to photos elsewhere (as bench/app.py's): folders resolved once
    links.mkdir()
    for number in range(50):
        (links / f"link{number}.jpg").symlink_to(folder / f"tile{number % 5}.jpg")
    link_keys = {cache_path(links / f"link{number}.jpg", tmp_path / "cache") for number in range(50)}
    assert link_keys == {cache_path(folder / f"tile{number}.jpg", tmp_path / "cache") for number in range(5)}
    assert resolved == [str(folder), str(links)]
