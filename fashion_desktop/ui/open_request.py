"""Files handed to the app from outside the window: "Open with Fashion Desktop" (the command line's arguments, the
desktop entry's `%F`, Windows' "Open with"), a second launch passing them to the running window, and macOS's
file-open events. Each becomes one `OpenRequest`: the images to search with, the folder to open as a catalog, and
what could not be opened, said plainly. No Qt here: the command line reads arguments with it before any window.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TypeVar
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from fashion_desktop.paths import shown

MAX_PATH_CHARS = 4096  # PATH_MAX on Linux; longer is not a path any program could have handed over
SHOWN_NAMES = 3  # a message names at most this many files, then says how many more
Item = TypeVar("Item")


@dataclass(frozen=True)
class OpenRequest:
    """What to open. Every path is absolute; images and folders existed when the request was read."""

    images: tuple[Path, ...] = ()
    folders: tuple[Path, ...] = ()
    not_found: tuple[str, ...] = ()
    not_images: tuple[str, ...] = ()
    unusable: tuple[str, ...] = ()  # web addresses, and arguments that are not paths at all

    @property
    def folder(self) -> Path | None:
        """The catalog to open: one at a time, the first folder given."""
        return self.folders[0] if self.folders else None

    @property
    def problems(self) -> list[str]:
        """What could not be opened, one sentence per kind."""
        said = []
        if self.not_found:
            said.append(f"Not found: {_names(self.not_found)}.")
        if self.not_images:
            said.append(f"Not an image: {_names(self.not_images)} (JPEG, PNG, WebP, BMP, GIF and TIFF open).")
        if self.unusable:
            said.append(
                f"Cannot open {_names(self.unusable, whole=True)}: only files and folders on this computer open."
            )
        if len(self.folders) > 1:
            ignored = _names(tuple(f.name or str(f) for f in self.folders[1:]))
            said.append(f"One catalog at a time: {self.folders[0].name or self.folders[0]} opened, not {ignored}.")
        return said

    def without_folders(self) -> OpenRequest:
        return OpenRequest(self.images, (), self.not_found, self.not_images, self.unusable)

    def merged(self, later: OpenRequest) -> OpenRequest:
        """Two requests as one (several files opened at once arrive one by one on Windows and macOS)."""
        return OpenRequest(
            _unique(self.images + later.images),
            _unique(self.folders + later.folders),
            _unique(self.not_found + later.not_found),
            _unique(self.not_images + later.not_images),
            _unique(self.unusable + later.unusable),
        )


def absolute_paths(arguments: Iterable[str], cwd: Path | None = None) -> tuple[list[Path], list[str]]:
    """Command-line arguments as absolute paths (relative ones against `cwd`, `file://` addresses as the path they
    name), and the arguments that are no local path at all."""
    base = cwd if cwd is not None else Path.cwd()
    paths: list[Path] = []
    unusable: list[str] = []
    for argument in arguments:
        path = _local_path(argument)
        if path is None:
            unusable.append(_shown(argument))
        else:
            paths.append(path if path.is_absolute() else base / path)
    return paths, unusable


def read_paths(paths: Iterable[Path]) -> OpenRequest:
    """Sort absolute paths into images, folders and what cannot be opened. Paths may come from another process:
    anything unreadable, too long or malformed is reported by name, never raised."""
    from fashion_desktop.imaging import is_image_file  # numpy and PIL: not needed to hand paths to a running window

    images: list[Path] = []
    folders: list[Path] = []
    not_found: list[str] = []
    not_images: list[str] = []
    unusable: list[str] = []
    for path in paths:
        text = str(path)
        if not path.is_absolute() or len(text) > MAX_PATH_CHARS or "\0" in text:
            unusable.append(_shown(text))
            continue
        try:
            if path.is_dir():
                folders.append(path)
            elif not path.is_file():
                not_found.append(_shown(text))
            elif is_image_file(path):
                images.append(path)
            else:
                not_images.append(_shown(path.name))
        except (OSError, ValueError):  # unreadable, a name the file system refuses, …
            not_found.append(_shown(text))
    return OpenRequest(
        _unique(tuple(images)),
        _unique(tuple(folders)),
        _unique(tuple(not_found)),
        _unique(tuple(not_images)),
        _unique(tuple(unusable)),
    )


def read_arguments(arguments: Sequence[str], cwd: Path | None = None) -> OpenRequest:
    """`fashion-desktop [FILE_OR_FOLDER …]`'s arguments as a request."""
    paths, unusable = absolute_paths(arguments, cwd)
    request = read_paths(paths)
    return request.merged(OpenRequest(unusable=tuple(unusable))) if unusable else request


def _local_path(argument: str) -> Path | None:
    if not argument or "\0" in argument or len(argument) > MAX_PATH_CHARS:
        return None
    if argument.startswith("file:"):
        parts = urlsplit(argument)
        if parts.netloc not in ("", "localhost") or not parts.path:
            return None
        return Path(url2pathname(unquote(parts.path)))
    scheme = urlsplit(argument).scheme
    if len(scheme) > 1 and "://" in argument:  # http://, smb://, …  (a one-letter "scheme" is a Windows drive)
        return None
    return Path(argument).expanduser()


def _shown(text: str) -> str:
    """A name fit for a one-line message (another process may send anything)."""
    printable = shown(text)
    return printable if len(printable) <= 120 else f"…{printable[-117:]}"


def _names(names: tuple[str, ...], whole: bool = False) -> str:
    shown = ", ".join(n if whole else PurePath(n).name or n for n in names[:SHOWN_NAMES])
    return shown + (f" and {len(names) - SHOWN_NAMES} more" if len(names) > SHOWN_NAMES else "")


def _unique(items: tuple[Item, ...]) -> tuple[Item, ...]:
    return tuple(dict.fromkeys(items))
