"""Without declared coverage no rate is taken over days before the data begin: rates
start on the data's first day (the earliest date_start), the brief says so and how to
declare coverage, and a side of a comparison that lies before the data has no rate
rather than a rate of zero."""

import math

import pandas as pd
import pytest

from analysis import brief, narrative
from analysis.counting import figures
from analysis.render import fragments


def weekly_attacks(tmp_path, first: str, last: str):
    """One attack dated to each Monday from `first` to `last`: one a week, steadily."""
    days = pd.date_range(first, last, freq="W-MON")
    path = tmp_path / "attacks.csv"
    path.write_text("event_id,date_start,date_end\n" + "".join(
        f"e{i},{d:%Y-%m-%d},{d:%Y-%m-%d}\n" for i, d in enumerate(days)))
    return brief.load_inputs(str(path))


def test_a_steady_rate_is_steady_across_the_comparison(tmp_path):
    # The case: a window from 2019, data from October 2020, the same rate on both
    # sides of the inauguration. Rates over the whole window made that a rise of 1.7 or so.
    inputs = weekly_attacks(tmp_path, "2020-10-05", "2021-04-19")
    window = brief.resolve_window("2019-01-01", "2021-04-20", inputs.attacks, inputs.sources)
    covered = brief.coverage_of(inputs, window)
    assert not covered.declared and covered.data_start == pd.Timestamp("2020-10-05")
    split = figures.before_after(inputs.merged, pd.Timestamp("2021-01-20"), window,
                                 covered.days)
    assert split.loc["before", "rate_days"] == (pd.Timestamp("2021-01-19")
                                                - pd.Timestamp("2020-10-05")).days + 1
    assert split.attrs["rate_ratio"] == pytest.approx(1.0, abs=0.06)
    summary = brief.summarise(inputs, window, "month", covered)
    assert summary["data_start"] == "2020-10-05"
    assert summary["rate_days"] == (window.end - covered.data_start).days + 1
    lead = narrative.lead_sentence(summary, window, inputs.attacks, covered)
    assert f"over the **{summary['rate_days']}** days from the data's first day, " \
           "5 October 2020" in lead
    table = fragments.comparison_table(split).html
    assert "Days with data" in table and "days from the data&#x27;s first day" in table
    assert "(over the days from the data's first day)" in narrative.comparison_sentence(
        split, covered)


def test_no_rate_before_the_data_begin(tmp_path):
    inputs = weekly_attacks(tmp_path, "2021-02-01", "2021-04-19")
    window = brief.resolve_window("2020-06-01", "2021-04-20", inputs.attacks, inputs.sources)
    covered = brief.coverage_of(inputs, window)
    split = figures.before_after(inputs.merged, pd.Timestamp("2021-01-20"), window,
                                 covered.days)
    assert split.loc["before", "rate_days"] == 0
    assert math.isnan(split.loc["before", "rate_per_week"])
    assert math.isnan(split.attrs["rate_ratio"])
    assert "no rate" in fragments.comparison_table(split).html
    assert narrative.comparison_sentence(split, covered).startswith(
        "The data begin on 1 February 2021, so no rate is taken before 20 January 2021")
    note = narrative.coverage_note(covered)
    assert "never over days before the data begin" in note
    assert "python -m analysis import ... --covers START:END" in note


def test_data_older_than_the_window_rate_over_the_whole_window(tmp_path):
    inputs = weekly_attacks(tmp_path, "2020-01-06", "2021-04-19")
    window = brief.resolve_window("2021-01-01", "2021-04-20", inputs.attacks, inputs.sources)
    covered = brief.coverage_of(inputs, window)
    summary = brief.summarise(inputs, window, "week", covered)
    assert summary["rate_days"] == window.days
    assert "a week over the whole window" in narrative.lead_sentence(
        summary, window, inputs.attacks, covered)


def test_an_empty_start_is_the_datas_first_day(tmp_path):
    inputs = weekly_attacks(tmp_path, "2020-03-02", "2020-06-29")
    window = brief.resolve_window("", "", inputs.attacks, inputs.sources)
    assert (window.start, window.end) == (pd.Timestamp("2020-03-02"),
                                          pd.Timestamp("2020-06-29"))
