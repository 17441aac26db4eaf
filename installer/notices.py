"""Licence notices of everything a bundle ships, generated at build time in Debian's machine-readable format (DEP-5).

The PyInstaller spec hands over every file it bundles (destination in the bundle, source on the build machine).
Each one is attributed to the component it comes from: a Python distribution (by the distribution's RECORD), the
Python runtime, PyInstaller's bootloader, an exported model (by its manifest.json), the sample catalog's artwork.
A file that cannot be attributed stops the build: nothing ships without its notice. Licence expressions, licence
files and copyright lines come from the distributions' own metadata (importlib.metadata); standard texts that a
distribution does not ship come from installer/licenses/.

Two variants of one content: the bundle's (every licence text in full, for Windows and macOS, and for the app's
"Open-source licences" window) and Debian's /usr/share/doc/fashion-desktop/copyright, where the full texts of the
licences Debian ships in /usr/share/common-licenses are replaced by a reference to that file (Debian policy 12.5).
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fashion_desktop import licences
from fashion_desktop.licences import (
    ARTWORK,
    MODEL_LICENSES,
    canonical,
    distribution_texts,
    metadata_field,
)

LICENSES = Path(__file__).resolve().with_name("licenses")
DEP5_FORMAT = "https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/"
APP_NAME = "Fashion Desktop"
APP_CONTACT = "Fashion Desktop <support@fashion-desktop.invalid>"
# The bundle's notices, in the fashion_desktop package's folder, where the app's licences window reads them.
NOTICES_NAME = licences.NOTICES_NAME

# Standard texts shipped in installer/licenses/, by SPDX id. LGPL-3.0 supplements the GPL-3.0: both are needed.
STANDARD_TEXTS = {
    "Apache-2.0": ["Apache-2.0"],
    "GPL-2.0": ["GPL-2.0"],
    "GPL-3.0": ["GPL-3.0"],
    "LGPL-3.0": ["LGPL-3.0", "GPL-3.0"],
    "CC-BY-4.0": ["CC-BY-4.0"],
    "OFL-1.1": ["OFL-1.1"],
}

# Full licence texts that Debian ships in /usr/share/common-licenses: (file there, where the text starts, where it
# ends, with its optional "how to apply" appendix). Matched across any line breaks and indentation.
COMMON_LICENSES = [
    (
        "Apache-2.0",
        r"Apache License\s+(?:Version 2\.0, January 2004\s+)?(?:https?://www\.apache\.org/licenses/?\s+)?"
        r"TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        r"END OF TERMS AND CONDITIONS"
        r"(?:.{0,4000}?limitations under the License\.)?",
    ),
    (
        "GPL-2",
        r"GNU GENERAL PUBLIC LICENSE\s+Version 2, June 1991",
        r"END OF TERMS AND CONDITIONS"
        r"(?:.{0,4000}?Public License instead of this License\.)?",
    ),
    (
        "GPL-3",
        r"GNU GENERAL PUBLIC LICENSE\s+Version 3, 29 June 2007",
        r"END OF TERMS AND CONDITIONS"
        r"(?:.{0,4000}?why-not-lgpl\.html>?\.)?",
    ),
    (
        "LGPL-2.1",
        r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 2\.1, February 1999",
        r"END OF TERMS AND CONDITIONS"
        r"(?:.{0,4000}?That's all there is to it!)?",
    ),
    (
        "LGPL-3",
        r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3, 29 June 2007",
        r"permanent\s+authorization\s+for\s+you\s+to\s+choose\s+that\s+version\s+for\s+the\s+Library\.",
    ),
]

# The licence text of a model whose licence is not a standard one (installer/licenses/), by model folder.
MODEL_TEXTS = {"blip": "BLIP-BSD-3-Clause"}


class NoticeError(Exception):
    """A bundled file without an owner, or a component without a licence text: the build must not go on."""


@dataclass
class Component:
    key: str
    title: str
    license: str
    copyright: list[str]
    texts: list[str] = field(default_factory=list)  # licence texts specific to this component (inline)
    standard: list[str] = field(default_factory=list)  # standard texts by installer/licenses/ name (standalone)
    comment: list[str] = field(default_factory=list)
    files: set[str] = field(default_factory=set)


def read_license(name: str) -> str:
    return (LICENSES / f"{name}.txt").read_text(encoding="utf-8")


# --- Components -------------------------------------------------------------------------------------------------


def standard_base(spdx: str) -> str:
    return re.sub(r"-(only|or-later)$|\+$", "", spdx)


def standard_texts_for(expression: str) -> list[str]:
    """The licence ids of an expression whose standard text installer/licenses/ has."""
    ids = re.findall(r"[A-Za-z0-9.+-]+", expression)
    return list(dict.fromkeys(spdx for spdx in ids if standard_base(spdx) in STANDARD_TEXTS))


def distribution_component(dist: importlib.metadata.Distribution) -> Component:
    texts = distribution_texts(dist)
    component = from_notice(canonical(dist.metadata["Name"]), licences.distribution_notice(dist, texts), texts=texts)
    if not texts:  # the distribution ships no licence file: the standard text of its licence
        component.standard = standard_texts_for(component.license)
        if not component.standard:
            raise NoticeError(f"{component.title} ({component.license}) ships no licence text and {LICENSES} has none")
    return component


def from_notice(
    key: str, notice: licences.Notice, texts: list[str] | None = None, standard: list[str] | None = None
) -> Component:
    """A component described by the app's own licence rules (fashion_desktop.licences), with its texts here:
    `texts` inline, or `standard` texts from installer/licenses/."""
    if notice.license is None:
        raise NoticeError(
            f"{notice.title}: no licence in its metadata; add it to LICENSE_OVERRIDES in {licences.__file__}"
        )
    return Component(
        key=key,
        title=notice.title,
        license=notice.license,
        copyright=notice.copyright.split("\n"),
        texts=texts or [],
        standard=standard or [],
        comment=notice.comment.split("\n"),
    )


def python_component() -> Component:
    """The interpreter and standard library (libpython, lib-dynload, base_library.zip)."""
    notice = licences.python_notice()
    if not notice.text:
        raise NoticeError("Python's LICENSE.txt not found (the standard library's folder, or sys.base_prefix)")
    return from_notice("python", notice, texts=[notice.text])


def model_component(folder: Path) -> Component:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    model = manifest["model"]
    if model not in MODEL_LICENSES:
        raise NoticeError(f"no licence recorded for model {model!r}: add it to MODEL_LICENSES in {licences.__file__}")
    notice = licences.model_notice(
        model, manifest.get("source"), manifest.get("revision"), manifest.get("random_weights")
    )
    text_name = MODEL_TEXTS.get(model)
    if text_name:
        return from_notice(f"model-{model}", notice, texts=[read_license(text_name)])
    return from_notice(f"model-{model}", notice, standard=standard_texts_for(str(notice.license)))


def artwork_component(folder: str) -> Component:
    notice = licences.artwork_notice(folder)
    return from_notice(folder, notice, standard=[str(notice.license)])


def windows_runtime_component() -> Component:
    """DLLs that PyInstaller takes from the Windows folder (the Visual C++ runtime that some wheels link to)."""
    return Component(
        key="windows-runtime",
        title="Microsoft Visual C++ runtime",
        license="LicenseRef-Microsoft-Visual-C-Runtime",
        copyright=["Microsoft Corporation"],
        standard=["LicenseRef-Microsoft-Visual-C-Runtime"],
        comment=[
            "Runtime libraries copied from the build machine's Windows folder; Microsoft allows applications "
            "to redistribute them (Visual C++ Redistributable files)."
        ],
    )


def app_component(project_dist: importlib.metadata.Distribution | None) -> Component:
    version = project_dist.metadata["Version"] if project_dist else "unknown"
    license_id = metadata_field(project_dist.metadata, "License-Expression") if project_dist else ""
    if not license_id:
        raise NoticeError(f"{APP_NAME}'s own licence is not in its metadata (pyproject.toml, project.license)")
    return Component(
        key="fashion-desktop",
        title=f"{APP_NAME} {version}",
        license=license_id,
        copyright=[f"{APP_NAME} authors"],
        standard=[],
        comment=[
            f"{APP_NAME} itself: the application's code, the sample catalog's metadata (styles.csv) and "
            "the files not named in a later paragraph."
        ],
    )


# --- Attribution ---------------------------------------------------------------------------------------------------


@functools.cache
def distribution_index() -> dict[Path, importlib.metadata.Distribution]:
    """Every file that an installed distribution's RECORD lists, resolved, mapped to that distribution."""
    index: dict[Path, importlib.metadata.Distribution] = {}
    for dist in importlib.metadata.distributions():
        for file in dist.files or []:
            index[Path(str(dist.locate_file(file))).resolve()] = dist
    return index


def inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


class Attribution:
    """Collects bundled files per component; `components()` then lists them, the application first."""

    def __init__(self, models_dir: Path, project_root: Path, app_dist_name: str = "fashion-desktop") -> None:
        self.models_dir = models_dir.resolve()
        self.project_root = project_root.resolve()
        self.index = distribution_index()
        self.base_prefix = Path(sys.base_prefix).resolve()
        self.app_dist_name = app_dist_name
        self.parts: dict[str, Component] = {}
        self.unattributed: list[str] = []

    def component(self, key: str, make: Callable[[], Component]) -> Component:
        if key not in self.parts:
            self.parts[key] = make()
        return self.parts[key]

    def add(self, dest: str, source: str | Path, pattern: str | None = None) -> None:
        """One bundled file: `dest` its path in the bundle, `source` where it came from; `pattern` how to name it."""
        dest = dest.replace("\\", "/")
        name = pattern or dest
        parts = dest.split("/")
        if "sample_catalog" in parts and parts[-2] in ARTWORK:
            self.component(parts[-2], lambda: artwork_component(parts[-2])).files.add(name)
            return
        path = Path(source).resolve()
        if inside(path, self.models_dir):
            folder = self.models_dir / path.relative_to(self.models_dir).parts[0]
            self.component(f"model-{folder.name}", lambda: model_component(folder)).files.add(name)
            return
        dist = self.index.get(path)
        if dist is not None and canonical(dist.metadata["Name"]) == canonical(self.app_dist_name):
            self.app_files.add(name)
        elif dist is not None:
            self.component(canonical(dist.metadata["Name"]), lambda: distribution_component(dist)).files.add(name)
        elif sys.platform == "win32" and inside(path, Path(os.environ.get("SystemRoot", "C:/Windows")).resolve()):
            self.component("windows-runtime", windows_runtime_component).files.add(name)
        elif inside(path, self.base_prefix) or path.name == "base_library.zip":
            self.component("python", python_component).files.add(name)
        elif inside(path, self.project_root):
            self.app_files.add(name)
        else:
            self.unattributed.append(f"{dest} (from {source})")

    @property
    def app_files(self) -> set[str]:
        return self.component("fashion-desktop", lambda: app_component(self.app_dist())).files

    def app_dist(self) -> importlib.metadata.Distribution | None:
        try:
            return importlib.metadata.distribution(self.app_dist_name)
        except importlib.metadata.PackageNotFoundError:
            return None

    def components(self) -> list[Component]:
        if self.unattributed:
            raise NoticeError(
                "bundled files whose licence is unknown (attribute them in installer/notices.py, or leave them "
                "out of the bundle):\n  " + "\n  ".join(sorted(self.unattributed))
            )
        app = self.app_files and self.parts["fashion-desktop"]
        rest = sorted((c for k, c in self.parts.items() if k != "fashion-desktop"), key=lambda c: c.key)
        return [app, *rest] if app else rest


def folders(name: str) -> list[str]:
    """The folders above a bundled file, outermost first (the bundle's top folder itself excluded)."""
    parts = name.split("/")[:-1]
    start = 2 if parts[:1] == ["_internal"] else 1
    return ["/".join(parts[:end]) for end in range(start, len(parts) + 1)]


def files_field(component: Component, owners: dict[str, set[str]]) -> list[str]:
    """A component's paths, each shortened to the outermost `folder/*` that holds files of nobody else."""
    patterns = set()
    for name in component.files:
        if name.endswith("/*"):
            patterns.add(name)
            continue
        mine = [folder for folder in folders(name) if owners[folder] == {component.key}]
        patterns.add(f"{mine[0]}/*" if mine else name)
    return sorted(patterns)


# --- The DEP-5 file -------------------------------------------------------------------------------------------------


def field_text(text: str) -> str:
    """A multi-line field value: each line indented by one space, empty lines as ' .'."""
    lines = text.replace("\t", "    ").rstrip().splitlines()
    return "\n".join(f" {line.rstrip()}" if line.strip() else " ." for line in lines)


def debian_text(text: str) -> str:
    """Replace each full text of a licence that Debian ships with a pointer to /usr/share/common-licenses."""
    for name, start, end in COMMON_LICENSES:
        pattern = re.compile(f"{start}.*?{end}", re.DOTALL)
        text = pattern.sub(
            f"[The full text of this licence is not repeated here: on Debian systems it is in "
            f"/usr/share/common-licenses/{name}.]",
            text,
        )
    return text


def render(components: list[Component], debian: bool) -> str:
    owners: dict[str, set[str]] = defaultdict(set)
    for component in components:
        for name in component.files:
            for folder in folders(name.removesuffix("/*") + "/x" if name.endswith("/*") else name):
                owners[folder].add(component.key)
    header = [
        f"Format: {DEP5_FORMAT}",
        f"Upstream-Name: {APP_NAME}",
        f"Upstream-Contact: {APP_CONTACT}",
        "Comment:"
        + field_text(
            "Generated by installer/notices.py when this package was built, from what the bundle holds. Files "
            "patterns are paths in the application's folder (/opt/fashion-desktop on Debian); Python modules kept "
            "in the executable's archive are named by their package path (e.g. platformdirs/*).\n"
            "Each component's licence comes from its own metadata; its licence files follow in full."
        ),
    ]
    out = ["\n".join(header)]
    standard: list[str] = []
    for index, component in enumerate(components):
        files = ["*"] if index == 0 and component.key == "fashion-desktop" else files_field(component, owners)
        paragraph = [
            "Files:" + field_text("\n".join(files)),
            "Copyright:" + field_text("\n".join(component.copyright)),
        ]
        texts = "\n\n".join(component.texts)
        if debian:
            texts = debian_text(texts)
        paragraph.append(f"License: {component.license}" + ("\n" + field_text(texts) if texts else ""))
        paragraph.append("Comment:" + field_text("\n".join([component.title, *component.comment])))
        out.append("\n".join(paragraph))
        standard += component.standard
        if not component.texts and not component.standard and component.license.startswith("LicenseRef-"):
            standard.append(component.license)
    for name in dict.fromkeys(standard):
        if standard_base(name) in STANDARD_TEXTS:
            text = "\n\n".join(read_license(file) for file in STANDARD_TEXTS[standard_base(name)])
        elif name == "LicenseRef-Microsoft-Visual-C-Runtime":
            text = "Distributable code under the Microsoft Software License Terms of Microsoft Visual Studio."
        else:
            text = f"The licence of {APP_NAME} itself is given by its publisher."
        out.append(f"License: {name}\n" + field_text(debian_text(text) if debian else text))
    return "\n\n".join(out) + "\n"


def bundled_distributions(components: Iterable[Component]) -> list[str]:
    """Titles of the Python distributions named in the notices (for the package's tests)."""
    return [c.title for c in components if c.comment and c.comment[0].startswith("Python distribution")]
