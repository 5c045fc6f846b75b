"""Which days the sources behind a table of attacks declare they cover completely.

A source may declare, in sources.csv's `coverage_start` and `coverage_end`, that it sets
out to list every attack in that span of days. A brief's covered days are the union of the
declared spans of the sources its attack rows cite (by `source_id`); a source that no row
cites covers nothing. On a covered day, no row means no attack; elsewhere, no row means
only that nothing was recorded. A brief whose sources declare nothing falls back to the
old rule (shading from the first attack row): see `has_declared_coverage`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .frequency import Window


def _declared_spans(attacks: pd.DataFrame, sources: pd.DataFrame) -> pd.DataFrame:
    """coverage_start and coverage_end of every cited source that declares both."""
    needed = {"source_id", "coverage_start", "coverage_end"}
    if "source_id" not in attacks or not needed <= set(sources.columns):
        return pd.DataFrame({"coverage_start": [], "coverage_end": []},
                            dtype="datetime64[ns]")
    cited = set(attacks["source_id"].dropna().astype(str))
    chosen = sources["source_id"].astype(str).isin(cited)
    spans = sources.loc[chosen, ["coverage_start", "coverage_end"]]
    return spans.dropna().astype("datetime64[ns]")


def has_declared_coverage(attacks: pd.DataFrame, sources: pd.DataFrame) -> bool:
    """True when at least one source the rows cite declares a coverage span."""
    return len(_declared_spans(attacks, sources)) > 0


def covered_days(attacks: pd.DataFrame, sources: pd.DataFrame, window: Window) -> pd.Series:
    """For each day of the window (the index), whether a cited source declares it
    covered. Spans may overlap or leave gaps; days are counted once."""
    days = pd.date_range(window.start, window.end, freq="D").astype("datetime64[ns]")
    spans = _declared_spans(attacks, sources)
    first = days[0]
    lo = ((spans["coverage_start"] - first).dt.days.to_numpy()).clip(0, len(days))
    hi = ((spans["coverage_end"] - first).dt.days.to_numpy() + 1).clip(0, len(days))
    inside = lo < hi
    # +1 where a span starts, -1 the day after it ends: a day is covered while the
    # running total is above zero.
    steps = (np.bincount(lo[inside], minlength=len(days) + 1)
             - np.bincount(hi[inside], minlength=len(days) + 1))
    return pd.Series(np.cumsum(steps)[: len(days)] > 0, index=days, name="covered")


def period_covered(periods: pd.DataFrame, covered: pd.Series) -> pd.Series:
    """1 for each period (period_start, period_end) whose every day is covered, else 0.
    Days outside `covered`'s index count as not covered."""
    running = np.concatenate([[0], np.cumsum(covered.to_numpy(dtype=np.int64))])
    index = covered.index
    starts = pd.DatetimeIndex(periods["period_start"])
    ends = pd.DatetimeIndex(periods["period_end"])
    lo = index.searchsorted(starts, side="left")
    hi = index.searchsorted(ends, side="right")
    days = (ends - starts).days.to_numpy() + 1
    if not len(index):
        return pd.Series(0, index=periods.index, name="covered", dtype=np.int64)
    # Every day of the period is in the index and covered: the period's days are
    # consecutive, so a span of the index as long as the period, all True, is it.
    within = np.asarray((starts >= index[0]) & (ends <= index[-1]))
    full = within & (hi - lo == days) & (running[hi] - running[lo] == days)
    return pd.Series(full.astype(np.int64), index=periods.index, name="covered")


def covered_day_count(window: Window, covered: pd.Series) -> int:
    """How many days of the window are covered."""
    return int(covered.loc[window.start: window.end].sum())
