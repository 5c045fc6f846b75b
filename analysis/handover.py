"""Tables a build has already checked, handed over to its kernels.

A build loads and checks every brief's tables before any kernel starts (bad input stops
it there). Its kernels would then parse and check the same files again, once per brief:
seconds each for a million rows. Instead, the build writes each set of checked tables to
a file in its output directory and gives that file's path to the notebook, as its
`checked_inputs` parameter; `brief.load_inputs` takes the tables from there when they
are the ones it is asked for, and loads the files itself otherwise (in Jupyter, where
the parameter is "", always).

The file lives as long as the build and is written by the build alone, in the output
directory it holds the lock of; so the pickle in it is as trusted as the code itself. It
holds the arguments its tables were loaded with, and the size and modification time of
every file they were read from: tables asked for with other arguments, or a file
changed since the check, are read from the files.

Each long column of Python objects (strings, mostly) is pickled on its own, and
unpickled before the tables that hold it. Unpickled in one piece, every such column's
list of cells would stay in the unpickler's memo until the last table was built: at a
million rows, some 60 MB more in each kernel, at the moment every kernel loads. One by
one, only one column's list is alive at a time, in the kernels and in the build. A
column of distinct strings (ids) is pickled as one text, its cells joined.
"""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

from . import config
from .exceptions import DataWarning
from .files import atomic_file

SEPARATE_CELLS = 1 << 16  # object arrays of at least this many cells are pickled alone
SAMPLE_CELLS = 4096  # cells whose objects tell a column of ids from one of repeated values


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


def store(path: Path, arguments: dict, inputs, files: list[str],
          warned: list[str]) -> None:
    """Hand over `inputs`, loaded with `arguments` from `files`, and the DataWarnings
    the loading gave (the kernel gives them again, as if it had loaded the files).

    The file holds, one pickle after another: the arguments, the files' fingerprint and
    the warnings;
    the tables, without their long object arrays; each of those arrays; and, in its last
    8 bytes, where the first of those arrays begins."""
    with atomic_file(Path(path)) as fh:
        pickle.dump((arguments, _fingerprint(files), warned), fh,
                    protocol=pickle.HIGHEST_PROTOCOL)
        pickler = _TablesPickler(fh)
        pickler.dump(inputs)
        columns_at = fh.tell()
        for column in pickler.columns:
            pickle.dump(_JoinedStrings.of(column), fh, protocol=pickle.HIGHEST_PROTOCOL)
        fh.write(columns_at.to_bytes(8, "little"))


def fetch(path, arguments: dict):
    """The inputs handed over in the file at `path` ("" for none), if they were loaded
    with `arguments` and no file they were read from has changed since; else None."""
    if not str(path or "").strip():
        return None
    try:
        with Path(path).open("rb") as fh:  # read as it unpickles: no second copy in memory
            loaded_with, fingerprint, warned = pickle.load(fh)
            if (loaded_with != arguments
                    or _fingerprint([name for name, _, _ in fingerprint]) != fingerprint):
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
    files = [config.resolve(item) for value in arguments.values()
             for item in config.paths(value)]
    return [str(path) for path in files if path.is_file()]
