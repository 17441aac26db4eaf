"""Write the NSIS include that installs a bundle file by file and uninstalls exactly those files.

    python installer/windows/nsis_payload.py BUNDLE_DIR OUT.nsh MANIFEST.txt

The uninstaller must never remove what the installer did not write (a user may install into a folder that holds her
own files, or add files later), so there is no `RMDir /r`: the include lists every payload file once for `File` and
once for `Delete`, and every payload folder for a non-recursive `RMDir`, deepest first. MANIFEST.txt (installed as
install-manifest.txt) lists the same files: it marks the folder as an installation of ours, and test_nsis.sh checks it
against the installer's contents. The image types for "Open with" come from the app's one list of image suffixes.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path


def image_suffixes() -> list[str]:
    for module in ("fashion_desktop.imaging", "fashion_desktop.catalog.scan"):
        try:
            suffixes = getattr(importlib.import_module(module), "IMAGE_SUFFIXES", None)
        except ImportError:
            continue
        if suffixes:
            return sorted(suffixes)
    raise SystemExit("nsis_payload: no IMAGE_SUFFIXES in fashion_desktop.imaging or fashion_desktop.catalog.scan")


def in_instdir(relative: Path) -> str:
    """A double-quoted NSIS string for a path under $INSTDIR, with the `$` of its own name escaped."""
    return '"$INSTDIR' + "".join("\\" + part.replace("$", "$$") for part in relative.parts) + '"'


def payload(bundle: Path) -> tuple[list[Path], list[Path]]:
    files = sorted(p.relative_to(bundle) for p in bundle.rglob("*") if p.is_file() or p.is_symlink())
    folders = sorted({parent for f in files for parent in f.parents if parent != Path(".")}, key=lambda p: p.parts)
    return files, folders


def include(bundle: Path, files: list[Path], folders: list[Path]) -> str:
    size_kb = sum((bundle / f).stat().st_size for f in files) // 1024 + 1
    lines = [f"!define PAYLOAD_SIZE_KB {size_kb}", f"!define PAYLOAD_FILES {len(files)}", "!macro INSTALL_PAYLOAD"]
    current: Path | None = None
    for file in files:
        if file.parent != current:
            lines.append("  SetOutPath " + in_instdir(file.parent))
            current = file.parent
        lines.append(f'  File "{bundle / file}"')  # a compile-time path: NSIS takes it as it is
    lines += ['  SetOutPath "$INSTDIR"', "!macroend", "!macro UNINSTALL_PAYLOAD"]
    lines += ["  Delete " + in_instdir(file) for file in files]
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        lines.append("  RMDir " + in_instdir(folder))
    lines += ["!macroend", "!macro FOR_EACH_IMAGE_SUFFIX MACRO"]
    lines += [f'  !insertmacro ${{MACRO}} "{suffix}"' for suffix in image_suffixes()]
    lines.append("!macroend")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    bundle, out, manifest = Path(argv[0]).resolve(), Path(argv[1]), Path(argv[2])
    files, folders = payload(bundle)
    if not files:
        raise SystemExit(f"nsis_payload: {bundle} is empty")
    out.write_text(include(bundle, files, folders), encoding="utf-8")
    manifest.write_text("".join("\\".join(f.parts) + "\r\n" for f in files), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
