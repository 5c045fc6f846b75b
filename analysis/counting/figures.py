"""The figures a brief shows, for attacks that may come from several merged tables.

Each function gives its `frequency` namesake's figures for the merged attacks
(`merged.Merged`), with ``min`` and ``exact`` lowered wherever unresolved duplicates could
make two rows one attack (`merged.fewest_certain`); ``max`` and ``expected`` count every
unresolved pair as two (data/matching.md gives the rule). With one table, or no
unresolved pair left, they equal the frequency figures and cost no more. Events awaiting
review count toward ``max`` only, as in `frequency`.

`on_days` counts over any set of days of a window rather than a span, which is how rates
are taken over the days that the sources declare they cover (`coverage`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import frequency
from .frequency import Window, day_number, day_numbers, intervals
from .merged import Merged, fewest_certain


def per_period(merged: Merged, window: Window, freq: str) -> pd.DataFrame:
    """Exact, min, max and expected for each month or week of the window."""
    periods = frequency.attacks_per_period(merged.attacks, window, freq)
    if len(merged.duplicates):
        s, e = intervals(merged.attacks)
        for i, (a, b) in enumerate(zip(day_numbers(periods["period_start"]),
                                       day_numbers(periods["period_end"]), strict=True)):
            certain = (s >= a) & (e <= b)
            periods.loc[i, ["exact", "min"]] = fewest_certain(certain, s == e, merged)
    return periods


def on_days(merged: Merged, window: Window, chosen_days: pd.Series | None = None) -> dict:
    """The four figures over the chosen days of the window (a boolean Series indexed by
    every day of it; all of them when None). An attack is certainly on the chosen days
    when its whole date window is chosen, possibly when any day of it is; the expected
    figure adds each attack's share of days that are chosen."""
    first, last = day_number(window.start), day_number(window.end)
    chosen = (np.ones(last - first + 1, dtype=bool) if chosen_days is None
              else chosen_days.loc[window.start: window.end].to_numpy(dtype=bool))
    running = np.concatenate([[0], np.cumsum(chosen, dtype=np.int64)])
    s, e = intervals(merged.attacks)
    sure = frequency.confirmed(merged.attacks)
    certain, possible, expected = [], 0, 0.0
    for s_part, e_part, c_part in frequency.chunks(s, e, sure):
        inside = (s_part <= last) & (e_part >= first)
        lo = np.clip(s_part, first, last) - first
        hi = np.clip(e_part, first, last) - first
        days_chosen = np.where(inside, running[hi + 1] - running[lo], 0)
        length = e_part - s_part + 1
        certain.append(inside & (s_part >= first) & (e_part <= last)
                       & (days_chosen == length))
        possible += int((days_chosen > 0).sum())
        expected += float((c_part * days_chosen / length).sum())
    certain = np.concatenate(certain) if certain else np.zeros(0, dtype=bool)
    exact, minimum = fewest_certain(certain, s == e, merged)
    return {"exact": exact, "min": minimum, "max": possible, "expected": expected}


def in_period(merged: Merged, start, end) -> dict:
    """The four figures for one period [start, end]."""
    return on_days(merged, Window(start, end))


def cumulative(merged: Merged, window: Window) -> pd.DataFrame:
    """For each day t of the window, the figures for [window.start, t]."""
    table = frequency.cumulative_counts(merged.attacks, window)
    if not len(merged.duplicates):
        return table
    s, e = intervals(merged.attacks)
    first, last = day_number(window.start), day_number(window.end)
    certain = (s >= first) & (e <= last)
    # The certain set only grows on days when some certain attack's window ends.
    for day in np.unique(e[certain]):
        by_then = certain & (e <= day)
        at = table.index[day - first:]
        table.loc[at, ["exact", "min"]] = fewest_certain(by_then, s == e, merged)
    return table


def breakdown(merged: Merged, column: str, window: Window) -> pd.DataFrame:
    """The four figures over the window for each known value of a category column;
    attrs["unknown"] counts attacks possibly in the window whose value is unknown."""
    table = frequency.breakdown(merged.attacks, column, window)
    if len(merged.duplicates) and len(table):
        s, e = intervals(merged.attacks)
        certain = (s >= day_number(window.start)) & (e <= day_number(window.end))
        values = merged.attacks[column].astype(object).to_numpy()
        for i, value in enumerate(table["value"]):
            chosen = certain & (values == value)
            table.loc[i, ["exact", "min"]] = fewest_certain(chosen, s == e, merged)
    return table


def before_after(merged: Merged, pivot, window: Window,
                 rate_days: pd.Series | None = None) -> pd.DataFrame:
    """The window split at `pivot`: [start, pivot - 1 day] and [pivot, end]. Each part
    has its four figures over all its days, and its expected weekly rate over its
    `rate_days` (the days a source covers; all days when None): `rate_days` counts
    them, and `rate_per_week` is NaN when a part has none, since no rate can be taken
    where nothing is covered. attrs["rate_ratio"] is after over before, or NaN."""
    parts = frequency.split_at(pivot, window)
    rows = []
    for part in parts.values():
        chosen = None if rate_days is None else rate_days.loc[part.start: part.end]
        covered = part.days if chosen is None else int(chosen.sum())
        whole = on_days(merged, part)
        # Every day chosen: the rate's figures are the part's own.
        rated = whole if covered == part.days else on_days(merged, part, chosen)
        rows.append({"start": part.start, "end": part.end, "days": part.days,
                     **whole, "rate_days": covered,
                     "rate_per_week": rated["expected"] / covered * 7 if covered else np.nan})
    frame = pd.DataFrame(rows, index=list(parts))
    before, after = frame.loc["before", "rate_per_week"], frame.loc["after", "rate_per_week"]
    frame.attrs["rate_ratio"] = after / before if before > 0 else np.nan
    return frame
