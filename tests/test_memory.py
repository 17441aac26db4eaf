"""The allocator settings of fashion_desktop.memory: buffers a model run frees go back to the system."""

from __future__ import annotations

import ctypes
import subprocess
import sys
import textwrap

import pytest

FREE_AND_MEASURE = textwrap.dedent(
    """
    import sys
    import numpy as np
    from fashion_desktop.memory import limit_allocator

    if sys.argv[1] == "limited":
        limit_allocator()

    def resident_mib():
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmRSS")) // 1024

    np.ones(8 << 20, dtype=np.uint8)  # one large buffer freed at once, as after a model run
    before = resident_mib()
    buffers, small = [], []
    for _ in range(60):  # 240 MiB of 4 MiB buffers, each followed by small objects that stay (Python's own)
        buffers.append(np.ones(4 << 20, dtype=np.uint8))
        small.append(b"x" * 6400)
    del buffers
    print(resident_mib() - before)
    """
)


def glibc() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        ctypes.CDLL(None).mallopt  # noqa: B018
    except (OSError, AttributeError):
        return False
    return True


@pytest.mark.skipif(not glibc(), reason="the settings are glibc's; elsewhere limit_allocator does nothing")
def test_freed_model_buffers_go_back_to_the_system() -> None:
    def kept_mib(mode: str) -> int:
        run = subprocess.run([sys.executable, "-c", FREE_AND_MEASURE, mode], capture_output=True, text=True, check=True)
        return int(run.stdout)

    # glibc by default serves blocks the size of a freed large buffer from its heap and keeps them when freed.
    assert kept_mib("default") > 150
    assert kept_mib("limited") < 20
