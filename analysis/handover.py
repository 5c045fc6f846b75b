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

Each long column of Python objects (strings, mostly) is pickled on its own, and
unpickled before the tables that hold it. Unpickled in one piece, every such column's
list of cells would stay in the unpickler's memo until the last table was built: at a
million rows, some 60 MB more in each kernel, at the moment every kernel loads. One by
one, only one column's list is alive at a time, in the kernels and in the build. A
column of distinct strings (ids) is pickled as one text, its cells joined.
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
SEPARATE_CELLS = 1 << 16  # object arrays of at least this many cells are pickled alone
SAMPLE_CELLS = 4096  # cells whose objects tell a column of ids from one of repeated values


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


class _TablesPickler(pickle.Pickler):
    """Pickles everything but the long object arrays, which it collects in `columns`
    (once each, however many tables share them) and names by their place there."""

    def __init__(self, fh):
        # numpy only now: the build imports this module before it starts its workers,
        # and the workers wait on nothing else.
        import numpy

        super().__init__(fh, protocol=pickle.HIGHEST_PROTOCOL)
        self._ndarray = numpy.ndarray
        self.columns: list = []
        self._place: dict[int, int] = {}

    def persistent_id(self, obj):
        if (type(obj) is self._ndarray and obj.dtype == object
                and obj.size >= SEPARATE_CELLS):
            if id(obj) not in self._place:
                self._place[id(obj)] = len(self.columns)
                self.columns.append(obj)
            return self._place[id(obj)]
        return None


class _JoinedStrings:
    """A long column of strings as one text, its cells apart by a NUL character: a
    million ids pickled one by one took 0.19 s to store, while this process had the
    other core idle; joined, 0.03 s. They load as fast either way."""

    SEPARATOR = "\x00"

    def __init__(self, text: str):
        self.text = text

    def __reduce__(self):
        return (_JoinedStrings, (self.text,))

    @classmethod
    def of(cls, column):
        """`column` joined, if its cells are distinct strings without the separator;
        else `column` itself."""
        cells = column.tolist()
        # pandas' parser gives equal cells of a column one string object, and pickle
        # keeps it shared; split from one text, they would be a million strings again
        # (some 55 MB in each kernel). Ids, the column worth joining, are all distinct.
        head = cells[:SAMPLE_CELLS]
        if len(set(map(id, head))) < len(head):
            return column
        try:
            text = cls.SEPARATOR.join(cells)
        except TypeError:  # a cell that is not a string: a missing value, say
            return column
        if text.count(cls.SEPARATOR) != len(column) - 1:  # a cell holds a NUL
            return column
        return cls(text)

    @staticmethod
    def cells(stored):
        """The column that `of` gave `stored` for, as an array of objects again."""
        if not isinstance(stored, _JoinedStrings):
            return stored
        import numpy

        cells = stored.text.split(_JoinedStrings.SEPARATOR)
        column = numpy.empty(len(cells), dtype=object)
        column[:] = cells
        return column


class _TablesUnpickler(pickle.Unpickler):
    def __init__(self, fh, columns: list):
        super().__init__(fh)
        self._columns = columns

    def persistent_load(self, pid):
        return self._columns[pid]


def store(folder: Path, arguments: dict, inputs, files: list[str],
          warned: list[str]) -> None:
    """Hand over `inputs`, loaded with `arguments` from `files`, and the DataWarnings
    the loading gave (the kernel gives them again, as if it had loaded the files).

    The file holds, one pickle after another: the files' fingerprint and the warnings;
    the tables, without their long object arrays; each of those arrays; and, in its last
    8 bytes, where the first of those arrays begins."""
    with atomic_file(Path(folder) / f"{_key(arguments)}.pickle") as fh:
        pickle.dump((_fingerprint(files), warned), fh, protocol=pickle.HIGHEST_PROTOCOL)
        pickler = _TablesPickler(fh)
        pickler.dump(inputs)
        columns_at = fh.tell()
        for column in pickler.columns:
            pickle.dump(_JoinedStrings.of(column), fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.write(columns_at.to_bytes(8, "little"))


def fetch(arguments: dict):
    """The inputs handed over for `arguments`, or None when there are none, or when a
    file they were read from has changed since."""
    folder = os.environ.get(ENV)
    if not folder:
        return None
    path = Path(folder) / f"{_key(arguments)}.pickle"
    try:
        with path.open("rb") as fh:  # read as it unpickles: no second copy in memory
            fingerprint, warned = pickle.load(fh)
            if _fingerprint([name for name, _, _ in fingerprint]) != fingerprint:
                return None
            tables_at = fh.tell()
            end = fh.seek(-8, os.SEEK_END)
            fh.seek(int.from_bytes(fh.read(8), "little"))
            columns = []
            while fh.tell() < end:
                columns.append(_JoinedStrings.cells(pickle.load(fh)))
            fh.seek(tables_at)
            inputs = _TablesUnpickler(fh, columns).load()
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, IndexError):
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
