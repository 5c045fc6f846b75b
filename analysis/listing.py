"""The attacks behind a brief's numbers, one line each: every distinct attack possibly in
the window, with its day or date window in words, place, target, weapon, the numbered
sources it rests on (numbered as the brief's list of sources), its ids, and what may
still change its count (an unresolved candidate duplicate, an event left to review).

The lines are the same population as every count of the brief: the distinct attacks of
`Inputs.merged` (rows decided the same attack are one line, with all their ids) whose
date window touches the window. The brief shows the most recent `config.ATTACK_LIST_SHOWN` of
them and `attacks.csv`, beside it, holds them all with the same columns.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .counting import frequency
from .counting.frequency import Window
from .dates import MONTHS, as_date, long_day

if TYPE_CHECKING:
    from .brief import Inputs

COLUMNS = ["When", "Governorate", "Location", "Target", "Weapon", "Sources", "Attack ids",
           "Note"]
ID_SEPARATOR = " = "  # how `merged.merge` joins the ids of rows decided the same attack


def when(start, end) -> str:
    """"4 April 2021", or the window in words: "between 20 January and 20 April 2021",
    "between 27 and 30 October 2019", "between 27 December 2020 and 3 January 2021"."""
    a, b = as_date(start), as_date(end)
    if a == b:
        return long_day(a)
    if a.year != b.year:
        return f"between {long_day(a)} and {long_day(b)}"
    if a.month != b.month:
        return f"between {a.day} {MONTHS[a.month - 1]} and {long_day(b)}"
    return f"between {a.day} and {long_day(b)}"


def _known(value) -> str | None:
    """A cell's text, or None when blank or unknown."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    text = str(value).strip()
    return text if text and text != frequency.UNKNOWN else None


def _rows_by_id(rows: pd.DataFrame) -> dict[str, list[int]]:
    by_id: dict[str, list[int]] = {}
    for position, event_id in enumerate(rows["event_id"].astype(str)):
        by_id.setdefault(event_id, []).append(position)
    return by_id


def _member_rows(event_id: str, by_id: dict[str, list[int]]) -> list[int]:
    """The rows an attack is made of: its own id's, or those of each id it joins."""
    if event_id in by_id:
        return by_id[event_id]
    return [r for part in event_id.split(ID_SEPARATOR) for r in by_id.get(part, [])]


def _column(rows: pd.DataFrame, name: str) -> np.ndarray:
    if name not in rows:
        return np.full(len(rows), None, dtype=object)
    return rows[name].astype(object).to_numpy()


def attack_lines(inputs: Inputs, window: Window) -> pd.DataFrame:
    """One line per distinct attack possibly in the window, earliest first (by first
    possible day, then last, then id). attrs["event_ids"] lists each line's ids."""
    attacks = inputs.merged.attacks
    chosen = np.flatnonzero(frequency.possibly_in(attacks, window))
    rows = inputs.rows
    by_id = _rows_by_id(rows)
    number = {str(s): i + 1 for i, s in enumerate(inputs.sources["source_id"])}
    row_sources, row_selection = _column(rows, "source_id"), _column(rows, "selection")
    ids = attacks["event_id"].astype(str).to_numpy(dtype=object)
    candidates: dict[int, list[int]] = {}
    for u, v in inputs.merged.duplicates.tolist():
        candidates.setdefault(u, []).append(v)
        candidates.setdefault(v, []).append(u)

    # Each column taken out once: indexing the frame cell by cell cost more than all the
    # rest of a brief at a hundred thousand attacks.
    cells = {column: _column(attacks, column)
             for column in ("governorate", "location", "target", "target_type", "weapon")}
    starts, ends = _column(attacks, "date_start"), _column(attacks, "date_end")
    said: dict[tuple, str] = {}  # "when" in words, once per distinct window

    def value(column: str, at: int):
        return _known(cells[column][at])

    lines = []
    for at in chosen:
        members = _member_rows(ids[at], by_id)
        cited = dict.fromkeys(str(s) for s in row_sources[members] if _known(s))
        numbers = sorted({number[s] for s in cited if s in number})
        notes = []
        # Rows decided the same attack: it awaits review only if each of them does.
        if members and all(_known(s) == "review" for s in row_selection[members]):
            notes.append("left to review: counted as possible only")
        others = [ids[o] for o in sorted(candidates.get(at, []))]
        if others:
            more = len(others) - 1
            notes.append(f"unresolved: perhaps one attack with {others[0]}"
                         + (f" or {more} other{'s' if more != 1 else ''}" if more else ""))
        target = value("target", at) or (value("target_type", at) or "").replace("_", " ")
        span = (starts[at], ends[at])
        if span not in said:
            said[span] = when(*span)
        lines.append({
            "When": said[span],
            "Governorate": value("governorate", at),
            "Location": value("location", at),
            "Target": target or None,
            "Weapon": value("weapon", at),
            "Sources": ", ".join(map(str, numbers)) or None,
            "Attack ids": ids[at],
            "Note": "; ".join(notes) or None,
            "_start": starts[at], "_end": ends[at],
            "_ids": ids[at],
        })
    frame = pd.DataFrame(lines, columns=[*COLUMNS, "_start", "_end", "_ids"])
    frame = frame.sort_values(["_start", "_end", "_ids"], kind="stable", ignore_index=True)
    event_ids = [i.split(ID_SEPARATOR) if i not in by_id else [i] for i in frame["_ids"]]
    out = frame[COLUMNS].copy()
    out.attrs["event_ids"] = event_ids
    return out
