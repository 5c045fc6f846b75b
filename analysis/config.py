"""Every path and fixed setting the project uses, in one place."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent

DATA_DIR = PROJECT_ROOT / "data"
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
REPORTS_DIR = PROJECT_ROOT / "reports"

ATTACKS_CSV = DATA_DIR / "attacks.csv"
CLAIMS_CSV = DATA_DIR / "claims.csv"
CONTEXT_CSV = DATA_DIR / "context_events.csv"
SOURCES_CSV = DATA_DIR / "sources.csv"
DATAPACKAGE_JSON = DATA_DIR / "datapackage.json"

NOTEBOOK = NOTEBOOKS_DIR / "attack-frequency.ipynb"
BRIEFS_TOML = NOTEBOOKS_DIR / "briefs.toml"
# The briefs `build --data` makes when no --briefs is given: about the user's data only.
STARTER_BRIEFS_TOML = NOTEBOOKS_DIR / "briefs-for-your-data.toml"
# The days a brief's window may start and end on. Wide enough for any event anyone records,
# narrow enough that a mistyped year (2999, 0201) is refused up front, and that the
# counting's arithmetic (a period or a few days beyond either end) stays far inside the
# days that pandas' nanosecond timestamps hold (1677-09-22 to 2262-04-11).
EARLIEST_DAY, LATEST_DAY = "1900-01-01", "2200-12-31"

RENDER_DIR = PACKAGE_DIR / "render"
TEMPLATES_DIR = RENDER_DIR / "templates"
MPLSTYLE = RENDER_DIR / "house.mplstyle"

# The page listing every brief, at the top of a build's output folder (render/index.py).
INDEX_FILE = "index.html"

# The attacks behind a brief's numbers (listing.py): the brief lists the most recent of
# them, as many as a reader can use, and this file beside it holds them all.
ATTACK_LIST_FILE = "attacks.csv"
ATTACK_LIST_SHOWN = 300

# Where the notebook writes when run by hand in Jupyter with its defaults (git-ignored).
NOTEBOOK_RUN_DIR = REPORTS_DIR / "notebook-run"

# Guards against inputs that would exhaust memory. Set on the command line with
# --max-bytes and --max-rows; the build hands them to the notebook's kernel through
# these environment variables.
MAX_BYTES_ENV, MAX_ROWS_ENV = "IRAQ_BRIEFS_MAX_BYTES", "IRAQ_BRIEFS_MAX_ROWS"
MAX_FILE_BYTES = int(os.environ.get(MAX_BYTES_ENV, 2 * 1024**3))
MAX_ROWS = int(os.environ.get(MAX_ROWS_ENV, 10_000_000))

# Seconds one notebook cell may run before its kernel counts as hung (--cell-timeout):
# far above the few seconds a cell takes on ten million rows.
CELL_TIMEOUT = 1800.0


def resolve(path: str | Path | None) -> Path | None:
    """Resolve a user-given path: absolute paths stay, relative ones are taken from the
    project root, so the notebook finds its data from any working directory.
    Empty means "none"."""
    if path is None or str(path).strip() == "":
        return None
    p = Path(path).expanduser()
    return p if p.is_absolute() else PROJECT_ROOT / p


def paths(value) -> list[str]:
    """A table parameter's paths as a list: one path, several (a list), or none ("");
    blanks dropped."""
    values = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in values if resolve(v) is not None]


@contextlib.contextmanager
def temporary_environ(**values: str):
    """Set environment variables for the duration of a block, then restore them."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
