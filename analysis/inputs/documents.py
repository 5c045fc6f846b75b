"""Where source documents may be read from. Light on purpose (no pandas): the build
hashes the documents before it decides whether anything needs loading at all.

A document's `path` in sources.csv is taken relative to the folder that holds
sources.csv. Resolved, symlinks included, it must lie inside that folder or inside the
project: a sources table handed over by someone else must not make the tools read, and
"confirm quotes" from, any file on the machine. And it must be a regular file: a FIFO,
a device or a folder is refused before anything opens it (opening a FIFO waits for a
writer, for ever).
"""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

from .. import config


def not_regular(path: Path) -> str:
    """Why `path` cannot be read as a file, found without opening it: "" for a regular
    file (links followed), else what it is instead, e.g. "a FIFO (named pipe), not a
    regular file"."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "does not exist"
    except OSError as err:
        return f"cannot be read: {err.strerror}"
    if stat.S_ISREG(mode):
        return ""
    kinds = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
             (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket"))
    what = next((name for is_kind, name in kinds if is_kind(mode)), "not a file")
    return f"{what}, not a regular file; only regular files are read"


def document_path(sources_csv: Path, relative: str) -> Path:
    """The document's real location: relative to sources.csv's folder, links resolved."""
    path = Path(relative).expanduser()
    if not path.is_absolute():
        path = Path(sources_csv).resolve().parent / path
    return path.resolve()


def allowed_roots(sources_csv: Path) -> tuple[Path, ...]:
    return (Path(sources_csv).resolve().parent, config.PROJECT_ROOT)


def outside_reason(sources_csv: Path, document: Path) -> str:
    """Why a resolved document path may not be read, or "" when it may."""
    roots = allowed_roots(sources_csv)
    if any(document.is_relative_to(root) for root in roots):
        return ""
    return (f"outside the sources table's folder ({roots[0]}) and the project "
            f"({roots[1]}): resolves to {document}")


def document_paths(sources_csv: Path) -> list[Path]:
    """The readable, confined documents a sources table names, for hashing. A table
    that cannot be read is reported by the loader, not here."""
    try:
        with Path(sources_csv).open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error):
        return []
    found = []
    for row in rows:
        relative = (row.get("path") or "").strip()
        if not relative:
            continue
        document = document_path(sources_csv, relative)
        if not outside_reason(sources_csv, document) and not not_regular(document):
            found.append(document)
    return found
