"""Memory that the build's processes let go of goes back to the system, so that a
kernel or a build does not keep a dataset's worth of resident memory after it is done
with the data."""

import ctypes
import sys

import psutil
import pytest

from analysis.batch.memory import give_back

GLIBC = pytest.mark.skipif(not sys.platform.startswith("linux")
                           or not hasattr(ctypes.CDLL(None), "malloc_trim"),
                           reason="glibc's malloc_trim")

MB = 2**20


@GLIBC
def test_freed_memory_between_live_objects_is_given_back():
    # Blocks too big for Python's small-object pools and too small for mmap: they live on
    # the C heap, where one live block among freed ones keeps the pages resident.
    blocks = [bytes(600) + i.to_bytes(4, "little") for i in range(200_000)]
    kept = blocks[::50]
    del blocks
    held = psutil.Process().memory_info().rss
    give_back()
    assert psutil.Process().memory_info().rss < held - 60 * MB
    assert len(kept) == 4_000


def test_without_malloc_trim_nothing_is_done(monkeypatch):
    monkeypatch.setattr(ctypes, "CDLL", lambda name: object())  # no malloc_trim
    give_back()
    monkeypatch.setattr(sys, "platform", "darwin")
    give_back()
