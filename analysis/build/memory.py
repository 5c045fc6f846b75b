"""Memory a build's processes have let go of, given back to the system.

A table of a million rows is millions of small Python objects. Freed, they go back to
the C allocator, which keeps their pages for later use: the process's resident memory
stays at its peak for as long as it lives, although it holds nothing. On glibc (Linux),
`malloc_trim` returns the free pages; elsewhere there is nothing to call, and nothing is
done.
"""

from __future__ import annotations

import ctypes
import gc
import sys


def give_back() -> None:
    """Collect what is unreachable, then return the allocator's free pages."""
    gc.collect()
    if not sys.platform.startswith("linux"):
        return
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # another C library (musl): no such call
        return
    trim(0)
