"""Giving freed memory back to the system after a large load.

A snapshot of 100,000 jobs arrives as one 150 MB response; what loading it allocates
besides the jobs (the response, read in chunks; lists of changes) comes from glibc's
heap, and once it is freed the heap keeps the pages while anything allocated later sits
above them: the monitor's RSS stayed 87 MB higher than its live objects needed
(``python -m bench memory``).
``malloc_trim`` returns every free page of the heap to the system. Elsewhere (macOS,
Windows, musl) there is no such call, and nothing is done.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import sys
from collections.abc import Callable


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError):  # no C library found, or not glibc
        return None
    return trim


def release_free_memory() -> bool:
    """Return the C heap's free pages to the system; False where that cannot be done."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True
