"""A large ACLED-shaped frame for timing `selection.decide`, and the timing itself.

The rows are drawn from the labelled fixture (tests/fixtures/select/acled-mixed.csv) in the
mix of a broad Iraq export: about 7% attacks on US interests, 40% protests and riots, 35%
battles and explosions aimed at others (Iraqi forces, IS, the PKK), the rest violence against
civilians and strategic developments. Every row's notes are made distinct, as an export's
are. The same size and seed give the same frame.

    python bench/selection_frame.py [ROWS] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "select"
MIX = {"attack": 0.07, "protest or riot": 0.40, "battle or explosion": 0.35,
       "civilians": 0.08, "strategic": 0.10}


def _read(name: str) -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / name, dtype=str, keep_default_na=False)
    frame.columns = [c.lower() for c in frame.columns]
    return frame


def selection_frame(rows: int, seed: int = 2021) -> pd.DataFrame:
    export, truth = _read("acled-mixed.csv"), _read("acled-mixed-truth.csv")
    kind = np.select(
        [truth["is_attack"] == "1", export["event_type"].isin(["Protests", "Riots"]),
         export["event_type"].isin(["Battles", "Explosions/Remote violence"]),
         export["event_type"] == "Violence against civilians"],
        ["attack", "protest or riot", "battle or explosion", "civilians"], "strategic")
    weight = pd.Series(kind).map(MIX) / pd.Series(kind).map(pd.Series(kind).value_counts())
    rng = np.random.default_rng(seed)
    picked = rng.choice(len(export), size=rows, p=(weight / weight.sum()).to_numpy())
    frame = export.iloc[picked].reset_index(drop=True)
    number = pd.Series(np.arange(rows)).astype(str)
    frame["notes"] = frame["notes"] + " Report " + number + "."
    frame["event_id_cnty"] = "IRQ" + number
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from analysis.inputs import selection

    frame = selection_frame(args.rows)
    rules = selection.load_rules("acled")
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        decided = selection.decide(frame, rules)
        times.append(time.perf_counter() - start)
    counts = decided["selection"].value_counts().to_dict()
    print(f"decide() on {args.rows:,} rows: median {statistics.median(times):.2f} s over "
          f"{args.runs} runs ({', '.join(f'{t:.2f}' for t in times)}); {counts}")


if __name__ == "__main__":
    main()
