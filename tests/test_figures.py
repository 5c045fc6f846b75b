"""A brief's figures for merged tables (`counting.figures`): each agrees with the merged
bounds of `counting.merged` (themselves checked by brute force in test_merged.py), and,
with one table, with the plain frequency figures."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_merged import SETTINGS, day, scenarios, table

from analysis.counting import figures, frequency, merged
from analysis.exceptions import DataError, ParameterError
from analysis.inputs import match

FIGURES = ["exact", "min", "max", "expected"]


def merged_or_none(scenario):
    tables, names, pairs, _, _ = scenario
    try:
        return merged.merge(tables, pairs, names)
    except DataError:
        return None


def window(a=0, b=9):
    return frequency.Window(day(a), day(b))


def as_tuple(figs):
    return (int(figs["exact"]), int(figs["min"]), int(figs["max"]),
            round(float(figs["expected"]), 9))


@SETTINGS
@given(scenarios(2, 5), st.sampled_from(["week", "month"]))
def test_per_period_equals_the_merged_bounds_of_each_period(scenario, freq):
    m = merged_or_none(scenario)
    if m is None:
        return
    got = figures.per_period(m, window(), freq)
    want = merged.counts(m, frequency.period_bounds(window(), freq))
    assert got[FIGURES].round(9).equals(want[FIGURES].round(9))


@SETTINGS
@given(scenarios(3, 3))
def test_cumulative_equals_the_merged_bounds_from_the_start_to_each_day(scenario):
    m = merged_or_none(scenario)
    if m is None:
        return
    got = figures.cumulative(m, window())
    for row in got.itertuples():
        want = merged.counts(m, frequency.Window(day(0), row.date)).iloc[0]
        assert as_tuple(row._asdict()) == as_tuple(want)


@SETTINGS
@given(scenarios(2, 5), st.integers(0, 9), st.integers(0, 9))
def test_on_a_span_of_days_the_figures_are_the_period_figures(scenario, a, b):
    m = merged_or_none(scenario)
    if m is None:
        return
    a, b = min(a, b), max(a, b)
    days = pd.Series(False, index=pd.date_range(day(0), day(9)))
    days.loc[day(a): day(b)] = True
    got = figures.on_days(m, window(), days)
    assert as_tuple(got) == as_tuple(merged.counts(m, frequency.Window(day(a), day(b))).iloc[0])


@SETTINGS
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 4)), max_size=12),
       st.lists(st.booleans(), min_size=10, max_size=10))
def test_on_chosen_days_one_row_at_a_time(rows, chosen):
    """With one table, each figure is a plain count over rows: certain when every day of
    the row's window is chosen, possible when any is, expected its share of chosen days."""
    attacks = table("A", *[(s, s + n) for s, n in rows]) if rows else table("A", (0, 0))[:0]
    days = pd.Series(chosen, index=pd.date_range(day(0), day(9)))
    got = figures.on_days(merged.Merged.single(attacks), window(), days)
    picked = {day(i) for i, c in enumerate(chosen) if c}
    shares = [sum(day(d) in picked for d in range(s, s + n + 1)) / (n + 1) for s, n in rows]
    inside = [s + n <= 9 for s, n in rows]
    certain = [share == 1 and ok for share, ok in zip(shares, inside, strict=True)]
    assert got["min"] == sum(certain)
    assert got["exact"] == sum(c and n == 0 for c, (_, n) in zip(certain, rows, strict=True))
    assert got["max"] == sum(share > 0 for share in shares)
    assert got["expected"] == pytest.approx(sum(shares))


def test_one_table_gives_the_frequency_figures():
    attacks = table("A", (0, 0), (1, 5), (3, 20), (8, 8))
    single = merged.Merged.single(attacks)
    w = window(0, 13)
    assert figures.per_period(single, w, "week").equals(
        frequency.attacks_per_period(attacks, w, "week"))
    assert figures.cumulative(single, w).equals(frequency.cumulative_counts(attacks, w))
    assert as_tuple(figures.in_period(single, day(0), day(13))) == as_tuple(
        frequency.window_counts(attacks, day(0), day(13)))


def test_breakdown_counts_a_possible_duplicate_once_at_least():
    """Two tables each with one rocket attack on the same day, unresolved: 1 to 2 rocket
    attacks; the unknown-weapon row is counted as unknown, not as a rocket."""
    a = table("A", (2, 2, "Baghdad", "rocket"), (4, 4))
    b = table("B", (2, 2, "Baghdad", "rocket"))
    pairs = match.candidate_pairs([a, b], ["a", "b"], tolerance_days=0)
    m = merged.merge([a, b], pairs, ["a", "b"])
    by_weapon = figures.breakdown(m, "weapon", window())
    rocket = by_weapon.set_index("value").loc["rocket"]
    assert (rocket["exact"], rocket["min"], rocket["max"]) == (1, 1, 2)
    assert by_weapon.attrs["unknown"] == 1


def test_a_merged_attack_takes_the_known_values_of_its_rows():
    a = table("A", (2, 2, None, "rocket"))
    b = table("B", (2, 2, "Baghdad", None))
    pairs = match.candidate_pairs([a, b], ["a", "b"]).assign(decision="same")
    attack = merged.merge([a, b], pairs, ["a", "b"]).attacks.iloc[0]
    assert (attack["event_id"], attack["governorate"], attack["weapon"]) == (
        "A1 = B1", "Baghdad", "rocket")


def test_before_after_gives_no_rate_where_no_day_is_covered():
    attacks = table("A", (1, 1), (6, 6), (7, 8))
    days = pd.Series(np.arange(10) >= 5, index=pd.date_range(day(0), day(9)))
    split = figures.before_after(merged.Merged.single(attacks), day(5), window(), days)
    assert split.loc["before", "rate_days"] == 0
    assert np.isnan(split.loc["before", "rate_per_week"])
    assert np.isnan(split.attrs["rate_ratio"])
    assert split.loc["before", "max"] == 1  # the attack is still counted, just not rated
    assert split.loc["after", "rate_per_week"] == pytest.approx(2 / 5 * 7)


def test_before_after_and_rate_ratio():
    attacks = table("A", (2, 2), (19, 19), (24, 24), (26, 26))
    w = window(0, 39)
    split = figures.before_after(merged.Merged.single(attacks), day(20), w)
    assert list(split.index) == ["before", "after"]
    assert list(split["days"]) == list(split["rate_days"]) == [20, 20]
    assert list(split["exact"]) == [2, 2]
    assert split.attrs["rate_ratio"] == pytest.approx(1.0)
    with pytest.raises(ParameterError, match="compare_at"):
        figures.before_after(merged.Merged.single(attacks), w.start, w)
    nothing_before = figures.before_after(merged.Merged.single(table("A", (31, 31))),
                                          day(20), w)
    assert np.isnan(nothing_before.attrs["rate_ratio"])
