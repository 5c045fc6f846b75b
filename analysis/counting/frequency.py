"""How many attacks fall in a period, when many are known only to a date window.

Each attack covers the inclusive day interval [s, e]; each period the inclusive interval
[a, b]. For every period:

- ``exact``: attacks with s = e and a <= s <= b
- ``min`` (certainly in the period): attacks with a <= s and e <= b
- ``max`` (possibly in the period): attacks with s <= b and e >= a
- ``expected``: the sum over attacks of overlap / (e - s + 1), where
  overlap = max(0, min(e, b) - max(s, a) + 1) days

An event that awaits review (its `selection` is ``review``: a rule found it doubtful and
no analyst has kept it yet) may not be an attack at all, so it widens the range and
nothing else: it counts toward ``max`` only, never toward ``exact``, ``min`` or
``expected``. Every count here applies that rule (`confirmed`), so every figure built on
them follows it.

Everything is vectorised over attacks with numpy: one million rows count in well under a
second. Periods partition a window, which is what makes the vectorised forms exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..exceptions import ParameterError

UNKNOWN = "unknown"
AWAITING_REVIEW = "review"  # the `selection` of an event counted as possible only
# Attacks counted at a time: the arrays counting derives from them stay a few megabytes,
# however long the table. Sums of whole numbers do not depend on it; a table of fewer
# attacks is one chunk, counted as it always was.
CHUNK = 1 << 17


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
    """Dates as integer day numbers (days since 1970-01-01).

    32 bits hold every date pandas can represent, and halve the memory of the arrays
    that counting derives from these, at a million attacks tens of megabytes a kernel."""
    days = np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]")
    return days.view(np.int64).astype(np.int32)


def day_number(ts) -> int:
    """One date as its day number."""
    return int(np.datetime64(pd.Timestamp(ts).date(), "D").astype(np.int64))


def intervals(attacks: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each attack's first and last day, as day numbers."""
    return day_numbers(attacks["date_start"]), day_numbers(attacks["date_end"])


def confirmed(attacks: pd.DataFrame) -> np.ndarray:
    """Which attacks count toward every figure: all but the events awaiting review,
    which count toward ``max`` (possibly) only."""
    if "selection" not in attacks:
        return np.ones(len(attacks), dtype=bool)
    return ~attacks["selection"].isin([AWAITING_REVIEW]).to_numpy(dtype=bool)


def awaiting_review(attacks: pd.DataFrame) -> np.ndarray:
    """Which attacks await review: counted as possible only."""
    return ~confirmed(attacks)


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


def chunks(*arrays: np.ndarray):
    """The arrays cut into aligned slices of CHUNK attacks (views, not copies)."""
    for at in range(0, len(arrays[0]), CHUNK):
        yield tuple(array[at:at + CHUNK] for array in arrays)


def _in_window(starts: np.ndarray, ends: np.ndarray, sure: np.ndarray, first: int,
               last: int):
    """Chunk by chunk, the attacks that share a day with [first, last]: their first and
    last days, whether each is `confirmed`, and those days clipped to the window."""
    for s, e, c in chunks(starts, ends, sure):
        inside = (s <= last) & (e >= first)
        s, e, c = s[inside], e[inside], c[inside]
        yield s, e, c, np.maximum(s, first), np.minimum(e, last)


def _spread(s, e, c, lo, hi, first: int, days: int) -> np.ndarray:
    """Each confirmed attack's weight of 1/length on every day of it in the window, as a
    per-day difference array (`days` + 1 long): its cumulative sum is the expected count
    of attacks on each day. An event awaiting review weighs nothing."""
    weight = c / (e - s + 1)
    return (np.bincount(lo - first, weights=weight, minlength=days + 1)
            - np.bincount(hi - first + 1, weights=weight, minlength=days + 1))


def _counts(starts: np.ndarray, ends: np.ndarray, sure: np.ndarray, edges: np.ndarray,
            last: int) -> dict:
    """The four figures, for attacks from day `starts` to day `ends` (`sure`: which are
    `confirmed`; the others count toward max only), for periods
    starting at `edges` (day numbers, ascending) and ending the day before the next
    edge, the last one on day `last`."""
    first = int(edges[0])
    n = len(edges)
    days = last - first + 1
    exact = np.zeros(n, dtype=np.int64)
    minimum = np.zeros(n, dtype=np.int64)
    # Each attack is possible in every period from p_lo to p_hi: a difference array.
    possible = np.zeros(n + 1, dtype=np.int64)
    # Expected: the days of each period summed from the per-day weights (`_spread`).
    weights = np.zeros(days + 1)
    for s, e, c, lo, hi in _in_window(starts, ends, sure, first, last):
        # Period of the first and last day of each attack's overlap with the window.
        p_lo = np.searchsorted(edges, lo, side="right") - 1
        p_hi = np.searchsorted(edges, hi, side="right") - 1
        exact += np.bincount(p_lo[(s == e) & c], minlength=n)
        certain = (s >= first) & (e <= last) & (p_lo == p_hi) & c
        minimum += np.bincount(p_lo[certain], minlength=n)
        possible += (np.bincount(p_lo, minlength=n + 1)
                     - np.bincount(p_hi + 1, minlength=n + 1))
        weights += _spread(s, e, c, lo, hi, first, days)
    daily = np.cumsum(weights)[:days]
    expected = np.add.reduceat(daily, edges - first) if days else np.zeros(n)
    return {"exact": exact, "min": minimum, "max": np.cumsum(possible)[:n],
            "expected": expected.astype(float)}


def attacks_per_period(attacks: pd.DataFrame, window: Window, freq: str) -> pd.DataFrame:
    """Exact, min, max and expected counts for each month or week of the window."""
    periods = period_bounds(window, freq)
    s, e = intervals(attacks)
    counts = _counts(s, e, confirmed(attacks), day_numbers(periods["period_start"]),
                     day_number(window.end))
    return periods.assign(**counts)


def window_counts(attacks: pd.DataFrame, start, end) -> dict:
    """The four figures for one period [start, end]."""
    s, e = intervals(attacks)
    counts = _counts(s, e, confirmed(attacks), np.array([day_number(start)]), day_number(end))
    return {"exact": int(counts["exact"][0]), "min": int(counts["min"][0]),
            "max": int(counts["max"][0]), "expected": float(counts["expected"][0])}


def cumulative_counts(attacks: pd.DataFrame, window: Window) -> pd.DataFrame:
    """For each day t of the window, the figures for [window.start, t]: attacks exactly
    dated by t, certainly happened by t, possibly happened by t, expected by t."""
    first, last = day_number(window.start), day_number(window.end)
    days = last - first + 1
    # Attacks per day, cumulated at the end: exactly dated on it; certain once their
    # window has ended, if it began on or after the window's start; possible from their
    # first day in the window; and the expected weights, as a difference array.
    exact, certain, possible = (np.zeros(days, dtype=np.int64) for _ in range(3))
    weights = np.zeros(days + 1)
    for s, e, c, lo, hi in _in_window(*intervals(attacks), confirmed(attacks), first, last):
        starts_in = (s >= first) & c
        exact += np.bincount(s[(s == e) & starts_in] - first, minlength=days)
        certain += np.bincount(e[starts_in & (e <= last)] - first, minlength=days)
        possible += np.bincount(lo - first, minlength=days)
        weights += _spread(s, e, c, lo, hi, first, days)
    daily = np.cumsum(weights)[:days]
    return pd.DataFrame({
        "date": pd.date_range(window.start, window.end, freq="D").astype("datetime64[ns]"),
        "exact": np.cumsum(exact), "min": np.cumsum(certain),
        "max": np.cumsum(possible), "expected": np.cumsum(daily),
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
    sure = confirmed(attacks)
    first, last = day_number(window.start), day_number(window.end)
    possible = possibly_in(attacks, window)
    # Each cell as the number of its value (-1 when blank): a million cells are compared
    # as integers, once per value, rather than as strings.
    codes, values = (pd.factorize(attacks[column]) if column in attacks
                     else (np.full(len(attacks), -1), np.array([], dtype=object)))
    values = np.asarray(values, dtype=object)
    is_known = np.append(known(values), False)[codes]
    rows = []
    for code in np.unique(codes[is_known & possible]):
        chosen = codes == code
        counts = _counts(s[chosen], e[chosen], sure[chosen], np.array([first]), last)
        rows.append({"value": values[code], **{k: v[0] for k, v in counts.items()}})
    frame = pd.DataFrame(rows, columns=columns)
    if len(frame):
        frame = frame.sort_values(["expected", "value"], ascending=[False, True],
                                  ignore_index=True)
    frame.attrs.update(column=column, unknown=int((possible & ~is_known).sum()))
    return frame
