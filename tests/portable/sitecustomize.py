"""Python as Windows has it, for the portable run of the test suite (`make test-portable`).

On PYTHONPATH, this module is imported at the start of every Python process of that run:
pytest, and the builds, workers and kernels it starts. In each, `fcntl` cannot be
imported, `os.fork` does not exist, and multiprocessing knows only the `spawn` start
method."""

import multiprocessing
import os
import sys

sys.modules["fcntl"] = None  # an import of it raises ImportError
for name in ("fork", "forkpty", "register_at_fork"):
    if hasattr(os, name):
        delattr(os, name)

_get_context = multiprocessing.get_context


def _spawn_only(method=None):
    if method not in (None, "spawn"):
        raise ValueError(f"cannot find context for {method!r}")
    return _get_context("spawn")


multiprocessing.get_context = _spawn_only
multiprocessing.set_start_method("spawn", force=True)
