"""Writing files so that a reader, or a crash, never sees half of one: one file replaced
whole, a folder's lock, and several files of a folder replaced together as one step.

A transaction (`Transaction`) writes each new file as `.txn-TOKEN.NAME` beside the file
NAME it replaces. Once every one is written and flushed, an empty marker
`.txn-TOKEN.commit` is created (one atomic step: it exists or it does not), then each
file is renamed over its final name and the marker removed. A crash before the marker
leaves the old files and debris; a crash after it leaves a transaction to finish. The
next command that takes the folder's lock calls `recover`, which finishes every
committed transaction and removes every uncommitted one.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

LOCK_NAME = ".lock"
TXN_PREFIX = ".txn-"
COMMIT = "commit"
_TXN_FILE = re.compile(r"\.txn-([0-9a-f]{8})\.(.+)")
# What an import killed by an earlier version of this package left behind (its two
# temporary tables), and what `atomic_file` leaves when killed while writing.
_OLD_DEBRIS = (re.compile(r"\..+\.csv\.(?:attacks|sources)\.[a-z0-9_]{8}\.csv"),
               re.compile(r"\..+\.csv\.[a-z0-9_]{8}\.tmp"))


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[BinaryIO]:
    """A binary file to write `path` through, whole or not at all: a temporary file
    beside it, renamed over it when the block ends. On any failure the old file stays and
    the temporary one goes."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; outputs are for reading
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (see `atomic_file`)."""
    with atomic_file(path) as out:
        out.write(data)


@contextlib.contextmanager
def folder_lock(folder: Path, waiting: str = "") -> Iterator[None]:
    """Hold the exclusive lock of `folder` (the file `.lock` in it) for the block; a second
    command waits for the first, printing `waiting` to stderr if it has to. The lock is
    the operating system's (flock on Linux and macOS, LockFileEx on Windows, through the
    filelock package), so it is released when its holder dies, however it dies."""
    with warnings.catch_warnings():
        # Said on import where neither flock nor Windows' locks exist: filelock then
        # locks with a file of its own, which it takes over once its holder has died.
        warnings.filterwarnings("ignore", "only soft file lock is available")
        from filelock import FileLock, Timeout

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(folder / LOCK_NAME))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        if waiting:
            print(waiting, file=sys.stderr, flush=True)
        lock.acquire()
    try:
        yield
    finally:
        lock.release()


def _sync_folder(folder: Path) -> None:
    """Make renames in `folder` durable; folders cannot be opened on Windows."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Transaction:
    """Files of one folder replaced together or not at all (see the module's note).
    Use under the folder's lock:

        with Transaction(folder) as txn:
            txn.write(folder / "sources.csv", data)
            with txn.open(folder / "attacks.csv") as out: ...
            txn.check(...)          # anything that may still refuse the files
            txn.commit()
    Leaving the block without `commit` removes what was written."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.token = secrets.token_hex(4)
        self.staged: dict[str, Path] = {}  # final name -> its new contents

    def staged_path(self, final: Path) -> Path:
        final = Path(final)
        if final.parent.resolve() != self.folder.resolve():
            raise ValueError(f"{final} is not in {self.folder}")
        tmp = self.folder / f"{TXN_PREFIX}{self.token}.{final.name}"
        self.staged[final.name] = tmp
        return tmp

    @contextlib.contextmanager
    def open(self, final: Path) -> Iterator[BinaryIO]:
        with open(self.staged_path(final), "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())

    def write(self, final: Path, data: bytes) -> Path:
        with self.open(final) as out:
            out.write(data)
        return self.staged[Path(final).name]

    @property
    def marker(self) -> Path:
        return self.folder / f"{TXN_PREFIX}{self.token}.{COMMIT}"

    def commit(self) -> None:
        _sync_folder(self.folder)
        os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
        _sync_folder(self.folder)
        _roll_forward(self.folder, self.token)
        self.staged.clear()

    def __enter__(self) -> Transaction:
        return self

    def __exit__(self, *exc) -> None:
        if self.staged and not self.marker.exists():
            for tmp in self.staged.values():
                with contextlib.suppress(FileNotFoundError):
                    tmp.unlink()


def _roll_forward(folder: Path, token: str) -> None:
    prefix = f"{TXN_PREFIX}{token}."
    staged = [e for e in folder.iterdir()
              if e.name.startswith(prefix) and e.name != prefix + COMMIT]
    # sources.csv first: until the table follows, the old table's sources row is still
    # there, so the folder stays valid at every step, even for a reader without the lock.
    for entry in sorted(staged, key=lambda e: (e.name != prefix + "sources.csv", e.name)):
        os.chmod(entry, 0o644)
        os.replace(entry, folder / entry.name[len(prefix):])
    _sync_folder(folder)
    (folder / f"{prefix}{COMMIT}").unlink()


def recover(folder: Path) -> list[str]:
    """Under the folder's lock: finish every committed transaction, remove the files of
    every uncommitted one, and remove the temporary files of writes cut short. Returns
    the names finished or removed."""
    folder = Path(folder)
    touched: list[str] = []
    if not folder.is_dir():
        return touched
    names = sorted(entry.name for entry in folder.iterdir())
    committed = {m[1] for n in names if (m := _TXN_FILE.fullmatch(n)) and m[2] == COMMIT}
    for token in sorted(committed):
        touched += [n for n in names if n.startswith(f"{TXN_PREFIX}{token}.")]
        _roll_forward(folder, token)
    for name in names:
        m = _TXN_FILE.fullmatch(name)
        debris = (m and m[1] not in committed) or any(p.fullmatch(name) for p in _OLD_DEBRIS)
        if debris and (folder / name).is_file():
            (folder / name).unlink()
            touched.append(name)
    return touched


def _leftovers(folder: Path) -> bool:
    with contextlib.suppress(OSError):
        return any(_TXN_FILE.fullmatch(e.name) or any(p.fullmatch(e.name) for p in _OLD_DEBRIS)
                   for e in os.scandir(folder))
    return False


def recover_pending(folder: Path) -> list[str]:
    """For a command that only reads `folder`: if a command cut short left a transaction
    or temporary files there, take the lock and `recover`, so that what is read is whole."""
    folder = Path(folder)
    if not _leftovers(folder):
        return []
    with folder_lock(folder, f"waiting for another command writing into {folder}"):
        return recover(folder)
