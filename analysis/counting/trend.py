"""Whether attacks got more or less frequent: the latest periods of a brief's window
against the periods before them, rates over covered days only, with a verdict that
claims a change only where every placing of the undated attacks agrees.

The two sides are spans of whole periods (months or weeks, as the brief counts them):
``recent`` is the last `recent` periods of the window, ``baseline`` the `baseline`
periods before them, cut short where the window begins. Each side's figures are
`figures.on_days` over its covered days, so ``min`` and ``max`` are the fewest and the
most distinct attacks that can fall on those days, and ``days`` is how many there are.

The verdict, with r = recent and b = baseline:

- ``higher`` when min_r / days_r > max_b / days_b, and the recent side certainly holds
  at least `MIN_ATTACKS` attacks;
- ``lower`` when max_r / days_r < min_b / days_b, and the baseline certainly holds at
  least `MIN_ATTACKS`;
- ``cannot tell`` when a side has no covered day; when no source declares coverage and a
  side holds no attack row (there, no row is no data, not zero); when the bounds would
  call a change but the side it rests on holds fewer than `MIN_ATTACKS`; or when neither
  side certainly holds that many;
- ``no clear change`` otherwise: some placings give a higher recent rate, others not.

Why comparing one side's min with the other's max is exact, not merely safe. Placing
every undated attack on one day of its window (and settling every unresolved duplicate
pair) gives one recent and one baseline count. The recent rate is lowest against the
baseline when each attack that can fall on a covered baseline day is put there, and each
other attack is put outside the recent covered days when its window allows. An attack
whose window spans both sides therefore counts toward the baseline's max and never
toward the recent side's min: the two worst cases are taken jointly, by one placing,
because the attacks counted by min_r (windows wholly on recent covered days) and by
max_b (windows touching a baseline covered day) are disjoint sets, and nothing one side
needs constrains the other. Likewise for duplicates: min_r merges only pairs of attacks
that both lie wholly on recent covered days, which touch no baseline day, and max_b
merges none. So min_r / days_r > max_b / days_b is exactly "every placing gives a higher
recent rate", and the mirror for ``lower``. What would be wrong is to compare both
maxima, or both minima: an attack spanning the sides would be counted on both, or on
neither. Events left to review count toward max only (the counting functions' rule),
which fits the same argument: for the worst case each is an attack where it raises the
baseline and not one where it would raise the recent side. Where `merged.fewest_distinct`
gives a floor rather than the exact fewest, min_r is lower than the truth, and a
``higher`` verdict is only harder to reach.

`MIN_ATTACKS`, from ACLED's Trendfinder: its change map calls no change for a country
with two events or fewer a week on average before and five or fewer in the latest week,
"to account for low baseline activity". So a rise needs a latest side of more than five
events, and a fall a baseline that was not small. Here the side a change rests on (the
recent side for a rise, the baseline for a fall) must certainly hold at least six
distinct attacks, five being ACLED's "too few"; the other side may hold none, since on
covered days none is a true zero. ACLED's baseline floor is a weekly average because its
recent side is always one week; our sides are several periods long, so one count of
attacks serves both.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ..exceptions import ParameterError
from . import figures, frequency
from .frequency import Window
from .merged import Merged

MIN_ATTACKS = 6
DEFAULT_RECENT = {"week": 4, "month": 3}
DEFAULT_BASELINE = 12
VERDICTS = ("higher", "lower", "no clear change", "cannot tell")


@dataclass(frozen=True)
class Side:
    """One side of the comparison: its span (None when it has no period), its covered
    days, its periods (how many it was given, and how many were asked for) and the
    distinct-attack figures on its covered days."""

    start: pd.Timestamp | None
    end: pd.Timestamp | None
    days: int
    periods: int
    asked: int
    min: int
    max: int
    expected: float

    def rate(self, count: float) -> float | None:
        """A count per week over the covered days (None without a covered day)."""
        return count / self.days * 7 if self.days else None

    def as_dict(self) -> dict:
        return {"start": f"{self.start:%Y-%m-%d}" if self.start is not None else None,
                "end": f"{self.end:%Y-%m-%d}" if self.end is not None else None,
                "days": self.days, "min": self.min, "max": self.max,
                "expected": round(self.expected, 6)}


@dataclass(frozen=True)
class Trend:
    """The two sides, the verdict and why: `reason` is "bounds" (the verdict follows from
    min and max), "no covered day", "no rows" (no declared coverage and a side without
    an attack row), or "too few" (fewer than `MIN_ATTACKS` where a change would rest)."""

    recent: Side
    baseline: Side
    verdict: str
    reason: str
    freq: str
    coverage_declared: bool

    def as_dict(self) -> dict:
        """`summary.json["trend"]`."""
        return {"recent": self.recent.as_dict(), "baseline": self.baseline.as_dict(),
                "verdict": self.verdict}


def check_periods(name: str, value, default: int) -> int:
    """A count of periods: a whole number of at least 1; 0 (or blank) for the default."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ParameterError(name, value, "must be a whole number of periods")
    try:
        number = int(value)
    except ValueError:
        raise ParameterError(name, value, "must be a whole number of periods") from None
    if number < 0:
        raise ParameterError(name, value, "must be 1 or more periods (0 for the default)")
    return number or default


def _side(merged: Merged, periods: pd.DataFrame, asked: int, covered: pd.Series) -> Side:
    if not len(periods):
        return Side(None, None, 0, 0, asked, 0, 0, 0.0)
    span = Window(periods["period_start"].iloc[0], periods["period_end"].iloc[-1])
    chosen = covered.loc[span.start: span.end]
    counts = figures.on_days(merged, span, chosen)
    return Side(span.start, span.end, int(chosen.sum()), len(periods), asked,
                int(counts["min"]), int(counts["max"]), float(counts["expected"]))


def verdict(recent: Side, baseline: Side, coverage_declared: bool = True) -> tuple[str, str]:
    """The verdict and its reason, from the two sides' figures alone (see the module's
    docstring). Rates are compared as cross products of whole numbers, exactly."""
    if not recent.days or not baseline.days:
        return "cannot tell", "no covered day"
    if not coverage_declared and (not recent.max or not baseline.max):
        return "cannot tell", "no rows"
    if recent.min * baseline.days > baseline.max * recent.days:
        return ("higher", "bounds") if recent.min >= MIN_ATTACKS else ("cannot tell",
                                                                        "too few")
    if recent.max * baseline.days < baseline.min * recent.days:
        return ("lower", "bounds") if baseline.min >= MIN_ATTACKS else ("cannot tell",
                                                                         "too few")
    if recent.min < MIN_ATTACKS and baseline.min < MIN_ATTACKS:
        return "cannot tell", "too few"
    return "no clear change", "bounds"


def compare(merged: Merged, window: Window, freq: str, covered: pd.Series, *,
            coverage_declared: bool = True, recent=0, baseline=0) -> Trend:
    """The last `recent` periods of the window against the `baseline` periods before
    them (0 for the defaults: 4 weeks or 3 months, against 12), over the `covered` days
    (a boolean per day of the window, as `brief.Coverage.days`)."""
    recent = check_periods("trend_recent", recent, DEFAULT_RECENT[freq])
    baseline = check_periods("trend_baseline", baseline, DEFAULT_BASELINE)
    periods = frequency.period_bounds(window, freq)
    cut = max(len(periods) - recent, 0)
    sides = (_side(merged, periods.iloc[cut:], recent, covered),
             _side(merged, periods.iloc[max(cut - baseline, 0):cut], baseline, covered))
    said, why = verdict(*sides, coverage_declared)
    return Trend(*sides, said, why, freq, coverage_declared)
