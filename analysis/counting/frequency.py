"""How many attacks fall in a period, when many are known only to a date window.

Each attack covers the inclusive day interval [s, e]; each period the inclusive interval
[a, b]. For every period:

- ``exact``: attacks with s = e and a <= s <= b
- ``min`` (certainly in the period): attacks with a <= s and e <= b
- ``max`` (possibly in the period): attacks with s <= b and e >= a
- ``expected``: the sum over attacks of overlap / (e - s + 1), where
  overlap = max(0, min(e, b) - max(s, a) + 1) days

Everything is vectorised over attacks with numpy: one million rows count in well under a
second. Periods partition a window, which is what makes the vectorised forms exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import ParameterError

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Window:
    """An inclusive range of days."""

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self):
        object.__setattr__(self, "start", pd.Timestamp(self.start).normalize())
        object.__setattr__(self, "end", pd.Timestamp(self.end).normalize())
        if self.end < self.start:
            raise ParameterError("window", f"{self.start:%Y-%m-%d} to {self.end:%Y-%m-%d}",
                                 "ends before it starts")

    @property
    def days(self) -> int:
        return int((self.end - self.start).days) + 1


def day_numbers(values) -> np.ndarray:
    """Dates as integer day numbers (days since 1970-01-01)."""
    return np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def day_number(ts) -> int:
    """One date as its day number."""
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def intervals(attacks: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each attack's first and last day, as day numbers."""
    return day_numbers(attacks["date_start"]), day_numbers(attacks["date_end"])


def possibly_in(attacks: pd.DataFrame, window: Window) -> np.ndarray:
    """Which attacks' date windows share a day with the window."""
    s, e = intervals(attacks)
    return (s <= day_number(window.end)) & (e >= day_number(window.start))


def known(values) -> np.ndarray:
    """Which cells of a category column hold a value: not blank, not "unknown"."""
    values = np.asarray(values, dtype=object)
    present = pd.notna(values)
    present[present] = values[present] != UNKNOWN
    return present


def period_bounds(window: Window, freq: str) -> pd.DataFrame:
    """Periods that partition the window: calendar months clipped to it, or 7-day weeks
    anchored on its first day (the last one clipped at its end)."""
    if freq == "month":
        starts = pd.date_range(window.start.to_period("M").to_timestamp(), window.end,
                               freq="MS")
        starts = starts.where(starts >= window.start, window.start)
    elif freq == "week":
        starts = pd.date_range(window.start, window.end, freq="7D")
    else:
        raise ParameterError("freq", freq, "must be 'month' or 'week'")
    starts = pd.DatetimeIndex(starts).unique()
    ends = pd.DatetimeIndex(list(starts[1:] - pd.Timedelta(days=1)) + [window.end])
    return pd.DataFrame({
        "period_start": starts.astype("datetime64[ns]"),
        "period_end": ends.astype("datetime64[ns]"),
        "days": ((ends - starts).days + 1).astype(np.int64),
    })


def _counts(s: np.ndarray, e: np.ndarray, edges: np.ndarray, last: int) -> dict:
    """The four figures for periods starting at `edges` (day numbers, ascending) and
    ending the day before the next edge, the last one on day `last`."""
    first = int(edges[0])
    n = len(edges)
    inside = (s <= last) & (e >= first)
    s, e = s[inside], e[inside]
    lo, hi = np.maximum(s, first), np.minimum(e, last)
    # Period of the first and last day of each attack's overlap with the window.
    p_lo = np.searchsorted(edges, lo, side="right") - 1
    p_hi = np.searchsorted(edges, hi, side="right") - 1

    is_exact = s == e
    exact = np.bincount(p_lo[is_exact], minlength=n)
    certain = (s >= first) & (e <= last) & (p_lo == p_hi)
    minimum = np.bincount(p_lo[certain], minlength=n)
    # Each attack is possible in every period from p_lo to p_hi: a difference array.
    maximum = np.cumsum(np.bincount(p_lo, minlength=n + 1)
                        - np.bincount(p_hi + 1, minlength=n + 1))[:n]
    # Expected: each attack spreads weight 1/length over its days; sum the days of each
    # period from a per-day difference array.
    weight = 1.0 / (e - s + 1)
    days = last - first + 1
    daily = np.cumsum(np.bincount(lo - first, weights=weight, minlength=days + 1)
                      - np.bincount(hi - first + 1, weights=weight, minlength=days + 1))[:days]
    expected = np.add.reduceat(daily, edges - first) if days else np.zeros(n)
    return {"exact": exact.astype(np.int64), "min": minimum.astype(np.int64),
            "max": maximum.astype(np.int64), "expected": expected.astype(float)}


def attacks_per_period(attacks: pd.DataFrame, window: Window, freq: str) -> pd.DataFrame:
    """Exact, min, max and expected counts for each month or week of the window."""
    periods = period_bounds(window, freq)
    s, e = intervals(attacks)
    counts = _counts(s, e, day_numbers(periods["period_start"]), day_number(window.end))
    return periods.assign(**counts)


def window_counts(attacks: pd.DataFrame, start, end) -> dict:
    """The four figures for one period [start, end]."""
    s, e = intervals(attacks)
    counts = _counts(s, e, np.array([day_number(start)]), day_number(end))
    return {"exact": int(counts["exact"][0]), "min": int(counts["min"][0]),
            "max": int(counts["max"][0]), "expected": float(counts["expected"][0])}


def cumulative_counts(attacks: pd.DataFrame, window: Window) -> pd.DataFrame:
    """For each day t of the window, the figures for [window.start, t]: attacks exactly
    dated by t, certainly happened by t, possibly happened by t, expected by t."""
    first, last = day_number(window.start), day_number(window.end)
    days = last - first + 1
    s, e = intervals(attacks)
    inside = (s <= last) & (e >= first)
    s, e = s[inside], e[inside]
    starts_in = s >= first

    def by_day(day_numbers, weights=None):
        return np.cumsum(np.bincount(day_numbers - first, weights=weights, minlength=days))

    exact = by_day(s[(s == e) & starts_in])
    # Certainly in [A, t] once its window has ended, if it began on or after A.
    certain = starts_in & (e <= last)
    minimum = by_day(e[certain])
    maximum = by_day(np.maximum(s, first))
    lo, hi = np.maximum(s, first), np.minimum(e, last)
    weight = 1.0 / (e - s + 1)
    daily = np.cumsum(np.bincount(lo - first, weights=weight, minlength=days + 1)
                      - np.bincount(hi - first + 1, weights=weight, minlength=days + 1))[:days]
    return pd.DataFrame({
        "date": pd.date_range(window.start, window.end, freq="D").astype("datetime64[ns]"),
        "exact": exact.astype(np.int64), "min": minimum.astype(np.int64),
        "max": maximum.astype(np.int64), "expected": np.cumsum(daily),
    })


def split_at(pivot, window: Window) -> dict[str, Window]:
    """The window split at `pivot`: before, [start, pivot - 1 day], and after, [pivot,
    end]. Both parts must hold a day."""
    pivot = pd.Timestamp(pivot).normalize()
    if not window.start < pivot <= window.end:
        raise ParameterError("compare_at", f"{pivot:%Y-%m-%d}",
                             f"must fall after {window.start:%Y-%m-%d} and on or before "
                             f"{window.end:%Y-%m-%d}")
    return {"before": Window(window.start, pivot - pd.Timedelta(days=1)),
            "after": Window(pivot, window.end)}


def breakdown(attacks: pd.DataFrame, column: str, window: Window) -> pd.DataFrame:
    """The four figures over the window for each known value of a category column.
    attrs["unknown"] counts attacks possibly in the window whose value is unknown."""
    columns = ["value", "exact", "min", "max", "expected"]
    s, e = intervals(attacks)
    first, last = day_number(window.start), day_number(window.end)
    possible = possibly_in(attacks, window)
    values = (attacks[column].astype("object").to_numpy() if column in attacks
              else np.full(len(attacks), None, dtype=object))
    is_known = known(values)
    rows = []
    for value in pd.unique(values[is_known & possible]):
        chosen = is_known & (values == value)
        counts = _counts(s[chosen], e[chosen], np.array([first]), last)
        rows.append({"value": value, **{k: v[0] for k, v in counts.items()}})
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame = frame.sort_values(["expected", "value"], ascending=[False, True],
                                  ignore_index=True)
    frame.attrs.update(column=column, unknown=int((possible & ~is_known).sum()))
    return frame
