"""Synthetic attack tables in the column contract, for the benchmark.

The same seed and size give the same file, byte for byte. About 20% of rows are
date-uncertain, with windows of 1 to 90 days; rows span 2018-2022, so some fall
outside the briefs' windows.

    python bench/generate.py 100000 bench/data/attacks-100000.csv [--seed 2021]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

FIRST, LAST = np.datetime64("2018-01-01"), np.datetime64("2022-12-31")
REGIONS = ["Kurdistan Region", "Federal Iraq", "unknown"]
TARGETS = ["military_base", "diplomatic_facility", "logistics_convoy", "other", "unknown"]
WEAPONS = ["rocket", "ied", "drone", "other", "unknown"]
# Twelve governorates, so that a sweep over them makes twelve briefs.
GOVERNORATES = ["Anbar", "Babil", "Baghdad", "Basra", "Dhi Qar", "Diyala", "Erbil", "Kirkuk",
                "Nineveh", "Qadisiyah", "Salah al-Din", "Wasit"]


def generate(rows: int, seed: int = 2021) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    span = int((LAST - FIRST).astype(int))
    start = FIRST + rng.integers(0, span + 1, rows).astype("timedelta64[D]")
    uncertain = rng.random(rows) < 0.2
    length = np.where(uncertain, rng.integers(1, 91, rows), 1)  # window of 1-90 days
    end = start + (length - 1).astype("timedelta64[D]")
    return pd.DataFrame({
        "event_id": [f"SYN-{i:08d}" for i in range(rows)],
        "date_start": np.datetime_as_string(start, unit="D"),
        "date_end": np.datetime_as_string(end, unit="D"),
        "governorate": rng.choice(GOVERNORATES, rows),
        "region": rng.choice(REGIONS, rows),
        "target_type": rng.choice(TARGETS, rows),
        "weapon": rng.choice(WEAPONS, rows),
        "munitions": rng.integers(1, 6, rows),
    })


def write(rows: int, path: Path, seed: int = 2021) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    generate(rows, seed).to_csv(path, index=False, lineterminator="\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int)
    parser.add_argument("path", type=Path)
    parser.add_argument("--seed", type=int, default=2021)
    args = parser.parse_args()
    write(args.rows, args.path, args.seed)


if __name__ == "__main__":
    main()
