"""The worker's malloc arenas: at most two, so memory freed by one thread is reused by the others.

glibc gives each thread that allocates under contention an arena of its own, up to 8 per core; the
worker's GitHub threads and the SDK's Rust threads each keep freed memory in theirs, which a
thousand waiting hotfixes' worth of churn leaves as RSS nobody uses (bench/burst.py measures it).
Two arenas is the usual setting for such servers (MALLOC_ARENA_MAX=2; the image sets it). Set
MALLOC_ARENA_MAX to choose another number: glibc reads it at start, and this then does nothing.
"""

from __future__ import annotations

import ctypes
import os

# mallopt's parameter for the arena limit (glibc's malloc.h).
M_ARENA_MAX = -8
ARENAS = 2


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Call before any thread starts; True when the limit was set here (glibc, not set already)."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl, macOS): their allocators differ
        return False
    return bool(mallopt(M_ARENA_MAX, arenas))
