"""Tables a build has already checked, handed over to its kernels.

A build loads and checks every brief's tables before any kernel starts (bad input stops
it there). Its kernels would then parse and check the same files again, once per brief:
seconds each for a million rows. Instead, the build writes each set of checked tables
into a folder of its own output directory and names that folder to its kernels in an
environment variable; `brief.load_inputs` takes them from there when the same tables
are asked for, and loads the files itself otherwise (in Jupyter, always).

The folder lives as long as the build and is written by the build alone, in the output
directory it holds the lock of; so the pickles in it are as trusted as the code itself.
A set is found by the arguments it was loaded with, and by the bytes of every file it
was read from: a file changed since the check is read again.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import warnings
from pathlib import Path

from . import config
from .exceptions import DataWarning
from .files import atomic_file

ENV = "IRAQ_BRIEFS_CHECKED_INPUTS"


def _key(arguments: dict) -> str:
    text = json.dumps(arguments, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _fingerprint(files: list[str]) -> list[tuple[str, int, int]]:
    """Each file's size and modification time: cheap, and changed by any rewrite."""
    out = []
    for name in files:
        stat = Path(name).stat()
        out.append((name, stat.st_size, stat.st_mtime_ns))
    return out


def store(folder: Path, arguments: dict, inputs, files: list[str],
          warned: list[str]) -> None:
    """Hand over `inputs`, loaded with `arguments` from `files`, and the DataWarnings
    the loading gave (the kernel gives them again, as if it had loaded the files)."""
    payload = (_fingerprint(files), inputs, warned)
    with atomic_file(Path(folder) / f"{_key(arguments)}.pickle") as fh:
        pickle.dump(payload, fh, protocol=pickle.HIGHEST_PROTOCOL)


def fetch(arguments: dict):
    """The inputs handed over for `arguments`, or None when there are none, or when a
    file they were read from has changed since."""
    folder = os.environ.get(ENV)
    if not folder:
        return None
    path = Path(folder) / f"{_key(arguments)}.pickle"
    try:
        with path.open("rb") as fh:  # read as it unpickles: no second copy in memory
            fingerprint, inputs, warned = pickle.load(fh)
        if _fingerprint([name for name, _, _ in fingerprint]) != fingerprint:
            return None
    except (OSError, pickle.UnpicklingError, EOFError, ValueError):
        return None
    for message in warned:
        warnings.warn(message, DataWarning, stacklevel=3)
    return inputs


def files_of(arguments: dict) -> list[str]:
    """Every file the tables named in `arguments` are read from (sources' documents
    aside: they are read only through the sources table, which is listed)."""
    files = []
    for value in arguments.values():
        for item in value if isinstance(value, list | tuple) else [value]:
            resolved = config.resolve(item) if item else None
            if resolved is not None and resolved.is_file():
                files.append(str(resolved))
    return files
