"""Shared libraries that a Debian package owns on the build machine: the .deb depends on them instead of bundling.

PyInstaller copies every library a bundled binary links to, system ones included (libblkid, libmount, GLib,
libstdc++, ...). On Debian those belong to the system: they get security updates there, and bundling them is what
lintian calls an embedded library. The spec drops each library whose file a Debian package owns; build.sh then
computes the package's Depends from the bundle with dpkg-shlibdeps.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path

SHARED_LIBRARY = re.compile(r"^lib.+\.so(\.\d+)*$")


def candidates(path: Path) -> list[str]:
    """The names dpkg may know a file by: as given, resolved, and across the /lib -> /usr/lib merge."""
    names = {str(path), str(path.resolve())}
    for name in list(names):
        if name.startswith("/usr/lib/"):
            names.add(name.removeprefix("/usr"))
        elif name.startswith("/lib/"):
            names.add("/usr" + name)
    return sorted(names)


def debian_owned(paths: Iterable[str]) -> set[str]:
    """The given shared libraries (not Python itself) whose file belongs to an installed Debian package."""
    if shutil.which("dpkg-query") is None:
        return set()
    libraries = [p for p in paths if SHARED_LIBRARY.match(Path(p).name) and not Path(p).name.startswith("libpython")]
    names = {name: path for path in libraries for name in candidates(Path(path))}
    if not names:
        return set()
    result = subprocess.run(["dpkg-query", "-S", *names], capture_output=True, text=True, check=False)
    owned = set()
    for line in result.stdout.splitlines():
        _, _, name = line.partition(": ")
        if name in names:
            owned.add(names[name])
    return owned
