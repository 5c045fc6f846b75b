"""Memory that the build's processes let go of goes back to the system, so that a
kernel or a build does not keep a dataset's worth of resident memory after it is done
with the data."""

import ctypes
import subprocess
import sys

import psutil
import pytest

from analysis.batch.memory import LARGE_BLOCK, give_back, map_large_blocks

GLIBC = pytest.mark.skipif(not sys.platform.startswith("linux")
                           or not hasattr(ctypes.CDLL(None), "malloc_trim"),
                           reason="glibc's malloc_trim and mallopt")

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
    map_large_blocks()
    monkeypatch.setattr(sys, "platform", "darwin")
    give_back()
    map_large_blocks()


FREED_ARRAYS = """
import sys, psutil
from analysis.batch.memory import LARGE_BLOCK, map_large_blocks
if sys.argv[1:] == ["map"]:
    map_large_blocks()
first = bytearray(8 * LARGE_BLOCK)
del first  # glibc would now take smaller blocks from the heap
blocks = [bytearray(2 * LARGE_BLOCK) for _ in range(30)]
last = blocks[-1]  # on the heap, it would keep the freed ones below it resident
del blocks
print(psutil.Process().memory_info().rss)
"""


@GLIBC
def test_once_large_blocks_are_mapped_freed_arrays_leave_at_once():
    def rss_after(*argv):  # a process of its own: the setting lasts a process's life
        out = subprocess.run([sys.executable, "-c", FREED_ARRAYS, *argv], check=True,
                             capture_output=True, text=True).stdout
        return int(out)

    assert rss_after("map") < rss_after() - 20 * 2 * LARGE_BLOCK  # of 29 freed
