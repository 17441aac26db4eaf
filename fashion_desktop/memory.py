"""Memory habits tuned for a long-running window: the C allocator's (memory kept after use) and Python's garbage
collector's (stalls).

glibc gives every thread that allocates its own heap arena (up to 8 per core) and keeps what is freed in each for
reuse, and it raises its threshold for serving large blocks from the heap each time one is freed; both keep memory
the app no longer uses counted as its own. The window has a dozen such threads (Qt's, the workers', onnxruntime's,
thumbnail decoding), and models free buffers of tens of MB per run: measured with bench/app.py on the 44k catalog,
the window's peak went from 2 872 MiB to 2 313 MiB with these settings alone, at the same speed. Elsewhere (musl,
macOS, Windows) there is no such allocator to tune. The garbage collector's habit is Python's, on every platform.
"""

from __future__ import annotations

import ctypes
import gc
import sys

# mallopt(3) parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8

ARENAS = 2  # heaps shared by all threads: the GUI thread's and one for the rest (allocations are few and large)
MAPPED_FROM_BYTES = 1 << 20  # blocks this large come straight from the system and go straight back when freed


def _glibc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt  # noqa: B018 - glibc has it; musl does not
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def limit_allocator() -> None:
    """Fewer heap arenas, and large blocks always returned to the system when freed. Called once, first thing in
    the process (arenas made before it stay)."""
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, ARENAS)
        libc.mallopt(_M_MMAP_THRESHOLD, MAPPED_FROM_BYTES)


def return_freed_memory() -> None:
    """Hand memory freed by dropped sessions or by loading a model back to the system. glibc keeps freed heap
    memory for reuse, so without this a released Captioner still shows ~800 MiB resident (measured: 875 MiB ->
    88 MiB after trimming, bench/models.py)."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def freeze_startup_objects() -> None:
    """Leave what start-up made (modules, classes, functions, the window's widgets: about 50k objects, all kept to
    the end) out of every later garbage collection.

    A full collection walks every object it tracks while holding the GIL, so no other thread runs Python meanwhile;
    the GUI thread cannot paint. Measured in bench/app.py on the 44k catalog (3 runs): each full collection took
    21-106 ms (20 ms on an idle machine), often on a worker thread of lowered priority, which on busy cores holds
    the GIL the longer; one made a 62 ms stall while scrolling. With these objects frozen (2 runs) they took 3-33 ms,
    the longest walking the rows of the 44k catalog being listed. The collector never frees a frozen object, so a
    reference cycle among them that becomes garbage later is kept: start-up makes objects that live as long as the
    process, so there is little to keep. Called once, after the window and its workers are up."""
    gc.freeze()
