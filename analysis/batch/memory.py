"""Memory a build's processes have let go of, given back to the system.

A table of a million rows is millions of small Python objects and arrays of megabytes.
Freed, they go back to the C allocator, which keeps their pages for later use: the
process's resident memory stays at its peak for as long as it lives, although it holds
nothing. On glibc (Linux), `malloc_trim` returns the free pages, and `mallopt` keeps
large blocks in pages of their own; elsewhere there is nothing to call, and nothing is
done.
"""

from __future__ import annotations

import ctypes
import gc
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
# Bytes. The arrays of a long table's columns are larger; the arrays of one chunk of it
# (`counting.frequency.CHUNK`) are smaller, and come and go too often to be mapped anew
# each time: the heap keeps reusing the same pages for them.
LARGE_BLOCK = 2 * 1024 * 1024


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    library = ctypes.CDLL(None)
    if not hasattr(library, "malloc_trim"):  # another C library (musl): no such calls
        return None
    return library


def give_back() -> None:
    """Collect what is unreachable, then return the allocator's free pages."""
    gc.collect()
    glibc = _glibc()
    if glibc is not None:
        glibc.malloc_trim(0)


def map_large_blocks() -> None:
    """From now on, give every block of LARGE_BLOCK bytes or more pages of its own,
    returned to the system as soon as the block is freed.

    glibc maps blocks of 128 KiB and up so at first, but raises that threshold each time
    such a block is freed, up to 32 MB. Once the first arrays of a large table had come
    and gone, the next ones came from the heap, whose pages stay resident after them: a
    kernel's memory crept up cell after cell. A threshold that is set stays where it
    is."""
    glibc = _glibc()
    if glibc is not None:
        glibc.mallopt(M_MMAP_THRESHOLD, LARGE_BLOCK)
