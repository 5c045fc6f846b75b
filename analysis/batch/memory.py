"""Memory a build's processes have let go of, given back to the system.

A table of a million rows is millions of small Python objects and arrays of megabytes.
Freed, they go back to the C allocator, which keeps their pages for later use: the
process's resident memory stays at its peak for as long as it lives, although it holds
nothing. On glibc (Linux), `malloc_trim` returns the free pages; elsewhere there is
nothing to call, and nothing is done.
"""

from __future__ import annotations

import ctypes
import gc
import sys


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    library = ctypes.CDLL(None)
    if not hasattr(library, "malloc_trim"):  # another C library (musl): no such call
        return None
    return library


def give_back() -> None:
    """Collect what is unreachable, then return the allocator's free pages."""
    gc.collect()
    glibc = _glibc()
    if glibc is not None:
        glibc.malloc_trim(0)
