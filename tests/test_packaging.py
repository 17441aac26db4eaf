"""The packaging helpers under installer/: licence notices, the man page, the Windows payload, system libraries.

They run at build time (in the PyInstaller spec and installer/build.sh); these tests run them on this environment's
own installed distributions and on small made-up bundles, so a fault shows here before a package is built.
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.support import REPO


def installer_module(name: str) -> ModuleType:
    for folder in (REPO / "installer", REPO / "installer" / "windows"):
        if str(folder) not in sys.path:
            sys.path.insert(0, str(folder))
    return importlib.import_module(name)


notices = installer_module("notices")


def paragraphs(text: str) -> list[dict[str, str]]:
    """A DEP-5 (deb822) file as a list of {field: value}; continuation lines must start with a space."""
    result = []
    for block in text.strip("\n").split("\n\n"):
        fields: dict[str, str] = {}
        last = None
        for line in block.split("\n"):
            if line.startswith(" "):
                assert last is not None, f"continuation line without a field: {line!r}"
                fields[last] += "\n" + line[1:]
            else:
                last, _, value = line.partition(":")
                assert re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", last), f"not a field: {line!r}"
                fields[last] = value.strip()
        result.append(fields)
    return result


def attributed(tmp_path: Path, files: list[tuple[str, Path]]) -> list[Any]:
    """The notices' components (installer/notices.py Component objects) for these (bundle path, source) files."""
    attribution = notices.Attribution(models_dir=tmp_path / "models", project_root=tmp_path / "project")
    for dest, source in files:
        attribution.add(dest, source)
    components: list[Any] = attribution.components()
    return components


def dist_file(name: str, suffix: str) -> Path:
    dist = importlib.metadata.distribution(name)
    file = next(f for f in dist.files or [] if str(f).endswith(suffix))
    return Path(str(dist.locate_file(file)))


def made_up_model(tmp_path: Path, model: str, **fields: object) -> Path:
    folder = tmp_path / "models" / model
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text(json.dumps({"model": model, **fields}))
    (folder / "graph.onnx").write_bytes(b"onnx")
    return folder


def test_every_bundled_file_is_attributed_to_its_distribution_with_its_licence(tmp_path: Path) -> None:
    numpy_init = dist_file("numpy", "numpy/__init__.py")
    pyside = dist_file("PySide6_Essentials", "PySide6/__init__.py")
    components = attributed(tmp_path, [("numpy/*", numpy_init), ("_internal/PySide6/__init__.py", pyside)])
    by_key = {c.key: c for c in components}
    assert by_key["numpy"].license == importlib.metadata.metadata("numpy")["License-Expression"]
    assert any("Copyright" in line for line in by_key["numpy"].copyright)
    assert by_key["numpy"].texts, "numpy's licence files"
    qt = by_key["pyside6-essentials"]
    assert qt.license.startswith("LGPL-3.0-only")
    assert not qt.texts and "LGPL-3.0-only" in qt.standard  # the wheel ships no licence file: the standard text
    assert any("replace them with your own build of Qt" in line for line in qt.comment)


def test_a_file_nobody_owns_stops_the_build(tmp_path: Path) -> None:
    stray = tmp_path / "elsewhere" / "libmystery.so"
    stray.parent.mkdir()
    stray.write_bytes(b"\x7fELF")
    with pytest.raises(notices.NoticeError, match="libmystery.so"):
        attributed(tmp_path, [("_internal/libmystery.so", stray)])


def test_sample_artwork_and_models_carry_their_own_licences(tmp_path: Path) -> None:
    resnet = made_up_model(tmp_path, "resnet50", source="microsoft/resnet-50", revision="abc123", random_weights=None)
    blip = made_up_model(tmp_path, "blip", source="random-weights:tiny", revision=None, random_weights="tiny")
    artwork = REPO / "fashion_desktop" / "sample_catalog"
    twemoji = next((artwork / "twemoji").iterdir())
    noto = next((artwork / "noto").iterdir())
    components = attributed(
        tmp_path,
        [
            (f"_internal/fashion_desktop/sample_catalog/twemoji/{twemoji.name}", twemoji),
            (f"_internal/fashion_desktop/sample_catalog/noto/{noto.name}", noto),
            ("_internal/models/onnx/resnet50/graph.onnx", resnet / "graph.onnx"),
            ("_internal/models/onnx/blip/graph.onnx", blip / "graph.onnx"),
        ],
    )
    by_key = {c.key: c for c in components}
    assert (by_key["twemoji"].license, by_key["noto"].license) == ("CC-BY-4.0", "OFL-1.1")
    assert by_key["model-resnet50"].license == "Apache-2.0"
    assert "source microsoft/resnet-50, revision abc123" in by_key["model-resnet50"].comment[0]
    assert by_key["model-blip"].license == "BSD-3-Clause"
    assert "Salesforce.com" in by_key["model-blip"].texts[0]
    assert any("random-weight stand-ins" in line for line in by_key["model-blip"].comment)


def test_a_model_without_a_recorded_licence_stops_the_build(tmp_path: Path) -> None:
    other = made_up_model(tmp_path, "clip", source="openai/clip", random_weights=None)
    with pytest.raises(notices.NoticeError, match="clip"):
        attributed(tmp_path, [("_internal/models/onnx/clip/graph.onnx", other / "graph.onnx")])


@pytest.mark.parametrize("debian", [False, True])
def test_the_notices_are_machine_readable_and_every_licence_name_has_its_text(tmp_path: Path, debian: bool) -> None:
    numpy_init = dist_file("numpy", "numpy/__init__.py")
    pyside = dist_file("PySide6_Essentials", "PySide6/__init__.py")
    twemoji = next((REPO / "fashion_desktop" / "sample_catalog" / "twemoji").iterdir())
    components = attributed(
        tmp_path,
        [
            ("_internal/numpy/__init__.py", numpy_init),
            ("_internal/PySide6/__init__.py", pyside),
            (f"_internal/fashion_desktop/sample_catalog/twemoji/{twemoji.name}", twemoji),
        ],
    )
    parsed = paragraphs(notices.render(components, debian=debian))
    assert parsed[0]["Format"] == notices.DEP5_FORMAT
    files = [p for p in parsed if "Files" in p]
    standalone = {p["License"].partition("\n")[0] for p in parsed if "Files" not in p and "License" in p}
    assert {"numpy/*", "PySide6/*"} <= {pattern for p in files for pattern in p["Files"].split()} | {
        pattern.removeprefix("_internal/") for p in files for pattern in p["Files"].split()
    }
    for paragraph in files:
        assert paragraph["Copyright"] and paragraph["License"]
        name, _, text = paragraph["License"].partition("\n")
        if not text:  # the text must be in a standalone paragraph, for each licence the expression names
            ids = {i for i in re.findall(r"[A-Za-z0-9.+-]+", name) if i not in ("AND", "OR", "WITH")}
            assert ids & standalone, f"{name}: no licence text"


def test_debian_copyright_points_to_common_licenses_instead_of_repeating_them(tmp_path: Path) -> None:
    """What lintian looks for (copyright-file-contains-full-*-license) is gone; the bundle's copy keeps it."""
    pyside = dist_file("PySide6_Essentials", "PySide6/__init__.py")
    components = attributed(tmp_path, [("_internal/PySide6/__init__.py", pyside)])
    full, debian = notices.render(components, debian=False), notices.render(components, debian=True)
    gpl3 = re.compile(r"GNU GENERAL PUBLIC LICENSE\s*Version 3.*TERMS AND CONDITIONS\s", re.DOTALL)
    assert gpl3.search(full) and not gpl3.search(debian)
    assert "/usr/share/common-licenses/LGPL-3" in debian and "/usr/share/common-licenses/GPL-3" in debian
    apache = "Apache License\n Version 2.0, January 2004\n http://www.apache.org/licenses/\n\n TERMS AND CONDITIONS"
    assert "common-licenses/Apache-2.0" in notices.debian_text(f"before\n{notices.read_license('Apache-2.0')}")
    assert "TERMS AND CONDITIONS FOR USE" not in notices.debian_text(
        apache.replace("TERMS AND CONDITIONS", "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION\n x\n")
        + "\nEND OF TERMS AND CONDITIONS\n"
    )


def test_the_man_page_documents_every_command_and_option() -> None:
    manpage = installer_module("make_manpage")
    module = manpage.cli_module()
    parser = module.build_parser()
    page = manpage.manpage(parser, module, "9.9", "2026-01-01")
    assert page.startswith('.TH FASHION-DESKTOP 1 "2026-01-01" "fashion-desktop 9.9"')
    for name, _, sub in manpage.subcommands(parser):
        assert f'.SS "{name}"' in page
        for action in manpage.visible(sub._actions):
            for flag in action.option_strings:
                assert manpage.roff(flag) in page
    assert "\\fB\\-\\-self\\-test\\fR" in page


def test_the_windows_payload_is_installed_and_removed_file_by_file(tmp_path: Path) -> None:
    payload = installer_module("nsis_payload")
    bundle = tmp_path / "bundle"
    (bundle / "_internal" / "a $dir").mkdir(parents=True)
    (bundle / "fashion-desktop.exe").write_bytes(b"MZ" * 1000)
    (bundle / "_internal" / "a $dir" / "b.txt").write_text("b")
    include, manifest = tmp_path / "payload.nsh", tmp_path / "manifest.txt"
    assert payload.main([str(bundle), str(include), str(manifest)]) == 0
    text = include.read_text()
    assert manifest.read_bytes() == b"_internal\\a $dir\\b.txt\r\nfashion-desktop.exe\r\n"
    assert 'Delete "$INSTDIR\\_internal\\a $$dir\\b.txt"' in text  # the folder's own $ escaped, $INSTDIR not
    assert 'Delete "$INSTDIR\\fashion-desktop.exe"' in text
    removals = [line.strip() for line in text.splitlines() if line.strip().startswith("RMDir")]
    assert removals == ['RMDir "$INSTDIR\\_internal\\a $$dir"', 'RMDir "$INSTDIR\\_internal"']  # deepest first
    assert "/r" not in text
    assert "!define PAYLOAD_SIZE_KB 2" in text
    for suffix in (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff"):
        assert f'!insertmacro ${{MACRO}} "{suffix}"' in text


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs a Debian system")
def test_libraries_that_debian_packages_own_are_left_to_them(tmp_path: Path) -> None:
    system_libraries = installer_module("system_libraries")
    zlib = next(
        Path(p) for p in ("/lib/x86_64-linux-gnu/libz.so.1", "/usr/lib/x86_64-linux-gnu/libz.so.1") if Path(p).exists()
    )
    ours = tmp_path / "libours.so.1"
    ours.write_bytes(b"\x7fELF")
    python_lib = tmp_path / "libpython3.11.so.1.0"
    python_lib.write_bytes(b"\x7fELF")
    assert system_libraries.debian_owned([str(zlib), str(ours), str(python_lib)]) == {str(zlib)}


def test_the_bundle_excludes_nothing_the_app_imports() -> None:
    """The PyInstaller spec's excludes trim the bundle; excluding a module the app imports breaks the installed app
    only at run time (as QtNetwork, which the single-instance hand-over needs, once did)."""
    spec = (REPO / "installer" / "fashion_desktop.spec").read_text()
    found = re.search(r"^excludes = \[(.*?)\]", spec, re.MULTILINE | re.DOTALL)
    assert found, "the spec lists its excludes"
    excludes = set(re.findall(r'"([\w.]+)"', found.group(1)))
    imported: set[str] = set()
    for source in (REPO / "fashion_desktop").rglob("*.py"):
        for line in source.read_text().splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in ("import", "from"):
                imported.add(words[1].rstrip(","))
    shipped_needed = {
        module
        for module in imported
        if any(module == excluded or module.startswith(excluded + ".") for excluded in excludes)
    }
    assert "PySide6.QtNetwork" in imported and "PySide6.QtGui" in imported, "the scan sees the app's imports"
    assert shipped_needed == set(), f"excluded from the bundle but imported by the app: {sorted(shipped_needed)}"
