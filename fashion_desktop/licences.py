"""The licences of what the app is made of: read by Help ▸ Open-source licences, and by the build's notices.

An installed app carries `NOTICES.txt`, written at build time by installer/notices.py from exactly what the bundle
holds, in Debian's machine-readable copyright format (DEP-5): the window shows it. A source checkout has none; there
the window lists what a bundle would hold, read as the build reads it: the Python distributions the app needs at
run time (importlib.metadata), Python itself, the exported models and the sample catalog's artwork. The rules that
find a distribution's licence in its metadata live here once, for the build and the window alike.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import re
import sys
import sysconfig
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

# Where the bundle keeps its notices (in the fashion_desktop package's folder); present only in a built bundle.
NOTICES_NAME = "NOTICES.txt"
APP_DISTRIBUTION = "fashion-desktop"

QT_NOTE = (
    "Qt and Qt for Python are used under the GNU Lesser General Public License version 3 (the first of the "
    "licences offered). They are shared libraries loaded at run time from the bundle (the files named in this "
    "paragraph: PySide6/Qt/lib/libQt6*.so.6 on Linux, PySide6/Qt6*.dll on Windows, the Qt*.framework folders "
    "inside the .app on macOS). You may replace them with your own build of Qt {version} (for instance one "
    "built from modified sources) by copying it over the bundled files; the application then uses yours. The "
    "source code of Qt {version} and Qt for Python {version} is available from https://download.qt.io/ and "
    "https://code.qt.io/."
)
QT_DISTRIBUTIONS = ("pyside6-essentials", "shiboken6", "pyside6")

# Licences that a distribution's metadata does not state as an SPDX expression or an unambiguous classifier.
LICENSE_OVERRIDES = {
    "pyinstaller": "GPL-2.0-or-later WITH LicenseRef-PyInstaller-Bootloader-exception",
    "pyinstaller-hooks-contrib": "Apache-2.0 OR GPL-2.0-or-later",
}
CLASSIFIERS = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "ISC License (ISCL)": "ISC",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0-only",
}
SPDX_EXPRESSION = re.compile(r"^\(?[A-Za-z0-9.+-]+\)?(?: (?:AND|OR|WITH) \(?[A-Za-z0-9.+-]+\)?)*$")
LICENSE_FILE = re.compile(r"^(LICEN[CS]E|COPYING|NOTICE|COPYRIGHT|ThirdPartyNotices)", re.IGNORECASE)
COPYRIGHT_LINE = re.compile(r"^\s*(?:Copyright\b|\(c\)\s*\d|©)", re.IGNORECASE)
LICENSE_ID = re.compile(r"[A-Za-z0-9.+-]+")

# Each exported model's licence as published (by the model folder's name): source, SPDX id, copyright holder. The
# source actually exported, its revision and whether the weights are stand-ins are read from its manifest.json.
MODEL_LICENSES = {
    "resnet50": ("microsoft/resnet-50", "Apache-2.0", "Microsoft Corporation (model card microsoft/resnet-50)"),
    "blip": ("Salesforce/blip-image-captioning-base", "BSD-3-Clause", "2022, Salesforce.com, Inc."),
}

# The sample catalog's artwork, by its folder: (title, licence, copyright, where it comes from).
ARTWORK = {
    "twemoji": (
        "Twemoji artwork",
        "CC-BY-4.0",
        "2019 Twitter, Inc and other contributors",
        "Twemoji graphics (npm @twemoji/svg 15.0.0), rendered and placed on a backdrop",
    ),
    "noto": (
        "Noto Color Emoji artwork",
        "OFL-1.1",
        "2013 Google LLC",
        "Noto Color Emoji glyphs (Debian fonts-noto-color-emoji), rendered, enlarged and placed on a backdrop",
    ),
}


@dataclass(frozen=True)
class Notice:
    """One component: what it is, its licence (an SPDX expression), who holds the copyright, and the licence texts."""

    title: str
    license: str | None  # None: the metadata states none (the build stops; the window says so)
    copyright: str
    comment: str = ""
    files: str = ""
    text: str = ""


# --- A distribution's licence, from its metadata (the build and the window) -----------------------------------------


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def metadata_field(meta: importlib.metadata.PackageMetadata, key: str) -> str:
    values = meta.get_all(key)
    return str(values[0]) if values else ""


def distribution_license(dist: importlib.metadata.Distribution, texts: list[str]) -> str | None:
    """The distribution's licence as an SPDX expression, from the most precise metadata it has; None if it has
    none (the build then stops; the window says so)."""
    meta = dist.metadata
    name = canonical(meta["Name"])
    if name in LICENSE_OVERRIDES:
        return LICENSE_OVERRIDES[name]
    if metadata_field(meta, "License-Expression"):
        return metadata_field(meta, "License-Expression").strip()
    declared = metadata_field(meta, "License").strip()
    if declared and SPDX_EXPRESSION.match(declared):
        return declared
    found = []
    for classifier in meta.get_all("Classifier") or []:
        label = classifier.rsplit(" :: ", 1)[-1]
        if classifier.startswith("License ::") and label in CLASSIFIERS:
            found.append(CLASSIFIERS[label])
        elif classifier.startswith("License ::") and label == "BSD License":
            found.append("BSD-3-Clause" if any("Neither the name" in text for text in texts) else "BSD-2-Clause")
    return " OR ".join(dict.fromkeys(found)) if found else None


def distribution_texts(dist: importlib.metadata.Distribution) -> list[str]:
    """Every licence file the distribution installs (its dist-info's and those of code it vendors)."""
    texts = []
    for file in sorted(dist.files or [], key=str):
        if LICENSE_FILE.match(file.name) and not file.name.endswith((".py", ".pyc", ".pyi")):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                text = path.read_text(encoding="utf-8", errors="replace").strip()
                texts.append(f"[{file}]\n{text}" if text else "")
    return [text for text in dict.fromkeys(texts) if text]


def copyright_lines(texts: Iterable[str], fallback: str) -> list[str]:
    lines = []
    for text in texts:
        lines += [line.strip() for line in text.splitlines() if COPYRIGHT_LINE.match(line)]
    return list(dict.fromkeys(lines))[:40] or [fallback]


def distribution_authors(meta: importlib.metadata.PackageMetadata) -> str:
    keys = ("Author", "Author-email", "Maintainer", "Maintainer-email")
    return ", ".join(value for key in keys if (value := metadata_field(meta, key)))


def python_license_text() -> str | None:
    """The interpreter's own LICENSE.txt (the standard library's folder, or the installation's root)."""
    candidates = [Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"]
    found = next((path for path in candidates if path.is_file()), None)
    return found.read_text(encoding="utf-8", errors="replace").strip() if found else None


def python_version() -> str:
    return ".".join(map(str, sys.version_info[:3]))


# --- The bundle's NOTICES.txt ---------------------------------------------------------------------------------------


def read_bundled_notices() -> str | None:
    """The notices the build put into the bundle; None in a source checkout."""
    resource = importlib.resources.files("fashion_desktop") / NOTICES_NAME
    return resource.read_text(encoding="utf-8") if resource.is_file() else None


def parse_notices(text: str) -> list[Notice]:
    """A DEP-5 file as components, each with its licence texts (inline, or from the standalone License
    paragraphs that its licence expression names)."""
    paragraphs = [_fields(block) for block in re.split(r"\n(?:[ \t]*\n)+", text.strip("\n")) if block.strip()]
    standalone = {
        name: body
        for fields in paragraphs
        if "Files" not in fields and "License" in fields
        for name, _, body in [fields["License"].partition("\n")]
    }
    notices = []
    for fields in paragraphs:
        if "Files" not in fields:
            continue
        expression, _, inline = fields.get("License", "").partition("\n")
        title, _, comment = fields.get("Comment", "").partition("\n")
        named = [standalone[i] for i in dict.fromkeys(LICENSE_ID.findall(expression)) if i in standalone]
        notices.append(
            Notice(
                title=title.strip() or fields["Files"].partition("\n")[0],
                license=expression.strip(),
                copyright=fields.get("Copyright", ""),
                comment=comment.strip(),
                files=fields["Files"].strip(),
                text="\n\n".join(part for part in [inline.strip(), *named] if part),
            )
        )
    return notices


def _fields(block: str) -> dict[str, str]:
    """One deb822 paragraph: `Field: value` lines, continued by lines starting with a space (` .` is empty)."""
    fields: dict[str, str] = {}
    last = None
    for line in block.split("\n"):
        if line[:1] in (" ", "\t") and last is not None:
            rest = line[1:]
            fields[last] += "\n" + ("" if rest.strip() == "." else rest)
        elif ":" in line:
            last, _, value = line.partition(":")
            fields[last] = value.strip()
    return fields


# --- A source checkout: what a bundle would ship, from the installed distributions ------------------------------


def installed_notices(app: str = APP_DISTRIBUTION) -> list[Notice]:
    """The app, Python, and every distribution the app needs at run time (its requirements, followed through,
    without optional extras), each with the licence its metadata states and the licence files it installs."""
    notices = [python_notice()]
    for dist in runtime_distributions(app):
        notice = distribution_notice(dist, distribution_texts(dist))
        if notice.license is None:
            notice = replace(notice, license="not stated in its metadata")
        if canonical(dist.metadata["Name"]) == canonical(app):
            notices.insert(0, notice)  # the app first
        else:
            notices.append(notice)
    return notices


def distribution_notice(dist: importlib.metadata.Distribution, texts: list[str]) -> Notice:
    """A Python distribution as its metadata describes it, with `texts` (its licence files); the licence is None
    when the metadata states none."""
    meta = dist.metadata
    authors = distribution_authors(meta)
    comment = [f"Python distribution {meta['Name']} {meta['Version']}; licence from its metadata."]
    if canonical(meta["Name"]) in QT_DISTRIBUTIONS:
        comment.append(QT_NOTE.format(version=meta["Version"]))
    fallback = f"the authors of {meta['Name']}" + (f": {authors}" if authors else "")
    return Notice(
        title=f"{meta['Name']} {meta['Version']}",
        license=distribution_license(dist, texts),
        copyright="\n".join(copyright_lines(texts, fallback)),
        comment="\n".join(comment),
        text="\n\n".join(texts),
    )


def runtime_distributions(app: str = APP_DISTRIBUTION) -> list[importlib.metadata.Distribution]:
    """`app` and the installed distributions it requires, directly or not; requirements of an optional extra are
    left out (the export and test tools are never part of the app)."""
    found: dict[str, importlib.metadata.Distribution] = {}
    waiting = [app]
    while waiting:
        name = canonical(waiting.pop())
        if name in found:
            continue
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # a requirement for another platform or Python
        found[name] = dist
        for requirement in dist.requires or []:
            spec, _, marker = requirement.partition(";")
            if "extra" not in marker:
                match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
                if match:
                    waiting.append(match.group(1))
    return sorted(found.values(), key=lambda d: canonical(d.metadata["Name"]))


def python_notice() -> Notice:
    """The interpreter and standard library, with Python's own LICENSE.txt (empty if it cannot be found)."""
    version = python_version()
    text = python_license_text() or ""
    return Notice(
        title=f"Python {version}",
        license="PSF-2.0",
        copyright="\n".join(copyright_lines([text], "Python Software Foundation")),
        comment=f"The Python {version} interpreter and standard library.",
        text=text,
    )


def model_notice(model: str, source: str | None, revision: str | None, random_weights: str | None) -> Notice:
    """An exported model (from its manifest.json): the licence of the published model it was made from."""
    published, license_id, holder = MODEL_LICENSES.get(model, (model, "not recorded", "unknown"))
    comment = [
        f"Exported model {model}: source {source or published}" + (f", revision {revision}" if revision else "") + "."
    ]
    if random_weights:
        comment.append(
            f"These are random-weight stand-ins ({random_weights}) made by export_models.py with the architecture of "
            f"{published}; they hold none of its published weights. The licence shown is the published model's."
        )
    else:
        comment.append(f"Weights converted to ONNX from {published}, published under {license_id}.")
    return Notice(title=f"{model} model weights", license=license_id, copyright=holder, comment="\n".join(comment))


def artwork_notice(folder: str, text: str = "") -> Notice:
    """The sample catalog's artwork in `folder` (twemoji/, noto/); `text` the catalog's ATTRIBUTION.md."""
    title, license_id, holder, origin = ARTWORK[folder]
    comment = f"Sample catalog images: {origin} by scripts/make_sample_catalog.py."
    return Notice(title, license_id, holder, comment, files=f"fashion_desktop/sample_catalog/{folder}/*", text=text)
