"""The trend: the latest periods against those before, over covered days, and a verdict
that never claims a change that some placing of the undated attacks contradicts."""

from itertools import product

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import brief, narrative
from analysis.counting import trend
from analysis.counting.frequency import Window
from analysis.counting.merged import Merged
from analysis.exceptions import ParameterError

START = pd.Timestamp("2021-01-04")


def merged(spans) -> Merged:
    """Attacks from (first day, last day) offsets after START."""
    return Merged.single(pd.DataFrame({
        "event_id": [f"a{i}" for i in range(len(spans))],
        "date_start": [START + pd.Timedelta(days=a) for a, _ in spans],
        "date_end": [START + pd.Timedelta(days=b) for _, b in spans],
    }).astype({"date_start": "datetime64[ns]", "date_end": "datetime64[ns]"}))


def every_day(window: Window, value=True) -> pd.Series:
    days = pd.date_range(window.start, window.end, freq="D").astype("datetime64[ns]")
    return pd.Series(value, index=days)


def test_defaults_are_four_weeks_or_three_months_against_twelve():
    window = Window(START, START + pd.Timedelta(days=16 * 7 - 1))
    weekly = trend.compare(merged([]), window, "week", every_day(window))
    assert (weekly.recent.periods, weekly.baseline.periods) == (4, 12)
    assert weekly.recent.start == START + pd.Timedelta(days=12 * 7)
    assert (weekly.recent.days, weekly.baseline.days) == (28, 84)
    window = Window("2020-01-01", "2021-04-20")
    monthly = trend.compare(merged([]), window, "month", every_day(window))
    assert monthly.as_dict()["recent"]["start"] == "2021-02-01"
    assert monthly.as_dict()["recent"]["end"] == "2021-04-20"
    assert monthly.as_dict()["baseline"]["start"] == "2020-02-01"


def test_baseline_is_cut_short_where_the_window_begins_and_says_so():
    window = Window(START, START + pd.Timedelta(days=6 * 7 - 1))
    found = trend.compare(merged([(i, i) for i in range(0, 42, 3)]), window, "week",
                          every_day(window))
    assert (found.baseline.periods, found.baseline.asked) == (2, 12)
    assert "2 weeks (of 12 asked; the window begins there)" in narrative.trend_sentence(found)


def test_summary_names_are_the_ones_readers_rely_on():
    window = Window(START, START + pd.Timedelta(days=16 * 7 - 1))
    found = trend.compare(merged([(90, 90)]), window, "week", every_day(window)).as_dict()
    assert set(found) == {"recent", "baseline", "verdict"}
    for side in ("recent", "baseline"):
        assert set(found[side]) == {"start", "end", "days", "min", "max", "expected"}


def test_a_clear_rise_a_clear_fall_and_too_few():
    window = Window(START, START + pd.Timedelta(days=16 * 7 - 1))
    days = every_day(window)
    recent = [(84 + i, 84 + i) for i in range(8)]
    rise = trend.compare(merged(recent), window, "week", days)
    assert rise.verdict == "higher"
    assert "**higher**" in narrative.trend_sentence(rise)
    fall = trend.compare(merged([(i * 5, i * 5) for i in range(12)]), window, "week", days)
    assert fall.verdict == "lower"
    few = trend.compare(merged(recent[:3]), window, "week", days)
    assert (few.verdict, few.reason) == ("cannot tell", "too few")
    assert "certainly holds 3" in narrative.trend_sentence(few)


def test_an_undated_attack_spanning_both_sides_counts_against_the_claim():
    """Seven attacks dated in the latest four weeks (7 in 28 days), and 25 undated ones
    whose windows run across both sides: placed in the baseline (84 days) they would make
    it busier, though each could also fall in the latest weeks."""
    window = Window(START, START + pd.Timedelta(days=16 * 7 - 1))
    spans = [(90 + i, 90 + i) for i in range(7)] + [(0, 111)] * 25
    found = trend.compare(merged(spans), window, "week", every_day(window))
    assert (found.recent.min, found.recent.max, found.baseline.max) == (7, 32, 25)
    assert found.verdict == "no clear change"
    spans = spans[:7] + [(0, 111)] * 20  # 20 in 84 days is below 7 in 28 however placed
    assert trend.compare(merged(spans), window, "week", every_day(window)).verdict == "higher"


def test_a_side_with_no_covered_day_cannot_tell():
    window = Window(START, START + pd.Timedelta(days=16 * 7 - 1))
    days = every_day(window, False)
    days.iloc[84:] = True  # only the latest four weeks are covered
    found = trend.compare(merged([(84 + i, 84 + i) for i in range(8)]), window, "week", days)
    assert (found.baseline.days, found.verdict, found.reason) == (0, "cannot tell",
                                                                  "no covered day")
    assert "no day that a source declares it covers" in narrative.trend_sentence(found)


def test_without_declared_coverage_an_empty_side_is_no_data_not_zero():
    window = Window(START, START + pd.Timedelta(days=16 * 7 - 1))
    found = trend.compare(merged([(84 + i, 84 + i) for i in range(8)]), window, "week",
                          every_day(window), coverage_declared=False)
    assert (found.verdict, found.reason) == ("cannot tell", "no rows")


@pytest.mark.parametrize("value", [-1, "x", 1.5, True])
def test_bad_period_counts_are_refused_by_name(value):
    window = Window(START, START + pd.Timedelta(days=30))
    with pytest.raises(ParameterError) as info:
        trend.compare(merged([]), window, "week", every_day(window), recent=value)
    assert info.value.name == "trend_recent"


def test_the_build_checks_the_trend_parameters_before_any_kernel():
    from analysis import config

    inputs = brief.load_inputs(config.ATTACKS_CSV)
    with pytest.raises(ParameterError) as info:
        brief.check_parameters({"start": "2021-01-20", "trend_baseline": -2}, inputs)
    assert info.value.name == "trend_baseline"


# --- properties ------------------------------------------------------------------------

sides = st.builds(
    lambda days, lo, extra: trend.Side(None, None, days, 1, 1, lo, lo + extra, 0.0),
    st.integers(0, 400), st.integers(0, 60), st.integers(0, 60))


@given(sides, sides, st.booleans())
def test_the_verdict_never_claims_more_than_min_max_and_days_allow(recent, baseline,
                                                                   declared):
    said, _ = trend.verdict(recent, baseline, declared)
    assert said in trend.VERDICTS
    if said == "higher":
        assert recent.days and baseline.days and recent.min >= trend.MIN_ATTACKS
        assert recent.min / recent.days > baseline.max / baseline.days
    if said == "lower":
        assert recent.days and baseline.days and baseline.min >= trend.MIN_ATTACKS
        assert recent.max / recent.days < baseline.min / baseline.days
    if not recent.days or not baseline.days:
        assert said == "cannot tell"


@st.composite
def cases(draw):
    """Up to 9 attacks of 1 to 3 days in a 5-week window, some days uncovered, and the
    two sides' lengths."""
    n = draw(st.integers(0, 9))
    spans = []
    for _ in range(n):
        first = draw(st.integers(0, 34))
        spans.append((first, min(first + draw(st.integers(0, 2)), 34)))
    covered = draw(st.lists(st.booleans(), min_size=35, max_size=35))
    return spans, covered, draw(st.integers(1, 3)), draw(st.integers(1, 4))


@settings(max_examples=150, deadline=None)
@given(cases())
def test_higher_or_lower_holds_for_every_placing_of_the_undated_attacks(case):
    """Every way of putting each attack on one day of its window: the sides' min and max
    are the fewest and most attacks any placing puts on their covered days, and a verdict
    of higher (lower) means every placing gives a higher (lower) latest rate; when every
    placing does and the guard allows, the verdict says so."""
    spans, covered, recent, baseline = case
    window = Window(START, START + pd.Timedelta(days=34))
    days = every_day(window)
    days[:] = covered
    found = trend.compare(merged(spans), window, "week", days, recent=recent,
                          baseline=baseline)
    offsets = (days.index - START).days.to_numpy()
    on_side = {}
    for name, side in (("recent", found.recent), ("baseline", found.baseline)):
        inside = np.zeros(35, dtype=bool)
        if side.start is not None:
            inside[(side.start - START).days:(side.end - START).days + 1] = True
        on_side[name] = inside & np.asarray(covered)[offsets]
    placings = (np.array(list(product(*[range(a, b + 1) for a, b in spans])), dtype=np.int64)
                if spans else np.zeros((1, 0), dtype=np.int64))
    counts = {name: on_side[name][placings].sum(axis=1) for name in on_side}
    for name, side in (("recent", found.recent), ("baseline", found.baseline)):
        assert (side.min, side.max) == (counts[name].min(), counts[name].max())
    r_days, b_days = found.recent.days, found.baseline.days
    every_higher = bool(r_days and b_days and
                        (counts["recent"] * b_days > counts["baseline"] * r_days).all())
    every_lower = bool(r_days and b_days and
                       (counts["recent"] * b_days < counts["baseline"] * r_days).all())
    assert (found.verdict == "higher") <= every_higher
    assert (found.verdict == "lower") <= every_lower
    if every_higher and found.recent.min >= trend.MIN_ATTACKS:
        assert found.verdict == "higher"
    if every_lower and found.baseline.min >= trend.MIN_ATTACKS:
        assert found.verdict == "lower"
