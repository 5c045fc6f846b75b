"""Publishing briefs whole: staging folders, the atomic swap into place, the output
folder's lock, and recovery from a build that was killed halfway.

A brief is built in `.NAME.staging-XXXX` beside its final folder and renamed into place
only when complete. The old brief is renamed aside to `.NAME.old` first and removed only
after the new one is in place, so a crash at any moment leaves either the old brief or
the new one, plus leftovers that `recover` clears at the start of the next build.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from ..files import folder_lock

STAGING_MARK = ".staging-"


def failed_notebook_path(out_dir: Path, name: str) -> Path:
    return out_dir / f"{name}.failed.ipynb"


def make_staging(out_dir: Path, name: str) -> Path:
    staging = Path(tempfile.mkdtemp(prefix=f".{name}{STAGING_MARK}", dir=out_dir))
    staging.chmod(0o755)  # mkdtemp makes it private; a brief is for reading
    return staging


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, final: Path) -> None:
    """Move a complete brief into place (see the module's note on crashes)."""
    old = final.with_name(f".{final.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if final.exists():
        os.rename(final, old)
    os.rename(staging, final)
    shutil.rmtree(old, ignore_errors=True)
    # A failure saved by an earlier build no longer describes this brief.
    failed_notebook_path(final.parent, final.name).unlink(missing_ok=True)


def recover(out_dir: Path) -> list[str]:
    """Under the lock no other build is running: put back any brief left aside by a
    crash and remove every half-built staging folder, whichever brief it was for.
    Returns the names of the folders removed or restored."""
    touched = []
    if not out_dir.is_dir():
        return touched
    for entry in sorted(out_dir.iterdir()):
        name = entry.name
        if not (name.startswith(".") and entry.is_dir()):
            continue
        if STAGING_MARK in name:
            shutil.rmtree(entry, ignore_errors=True)
            touched.append(name)
        elif name.endswith(".old"):
            final = out_dir / name[1:-len(".old")]
            if final.exists():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                os.rename(entry, final)
            touched.append(name)
    return touched


class OutputLock:
    """The output folder's lock (`files.folder_lock`), held for the whole build. A second
    build waits for the first, then finds its briefs up to date; an import or match
    writing into the same folder waits too. The operating system releases the lock when
    its holder dies, however it dies."""

    def __init__(self, out_dir: Path):
        self.out_dir, self._held = out_dir, contextlib.ExitStack()

    def __enter__(self):
        self._held.enter_context(folder_lock(
            self.out_dir, f"waiting for another build writing into {self.out_dir}"))
        return self

    def __exit__(self, *exc):
        self._held.close()
