import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SEEDS = ROOT / "seeds"

# Fixed salts and dates so every rendering in the tests is reproducible.
os.environ.setdefault("SOURCE_DATE_EPOCH", "1618876800")
os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def dataset(tmp_path) -> Path:
    """A writable copy of the article's dataset: tmp/data/*.csv and tmp/seeds/."""
    shutil.copytree(DATA, tmp_path / "data")
    shutil.copytree(SEEDS, tmp_path / "seeds")
    return tmp_path / "data"
