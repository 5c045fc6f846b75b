"""The four figures (exact, min, max, expected) on hand-made intervals, against a
brute-force reference, and as properties over random data."""

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.counting import frequency as f
from analysis.exceptions import ParameterError

D = pd.Timestamp


def attacks(*intervals, **columns):
    frame = pd.DataFrame({"date_start": pd.to_datetime([a for a, _ in intervals]),
                          "date_end": pd.to_datetime([b for _, b in intervals])})
    return frame.assign(**columns)


def reference(frame, a, b):
    """The contract, written as plainly as possible: one attack at a time."""
    a, b = D(a), D(b)
    out = {"exact": 0, "min": 0, "max": 0, "expected": 0.0}
    for s, e in zip(frame["date_start"], frame["date_end"], strict=True):
        out["exact"] += int(s == e and a <= s <= b)
        out["min"] += int(a <= s and e <= b)
        out["max"] += int(s <= b and e >= a)
        overlap = max(0, (min(e, b) - max(s, a)).days + 1)
        out["expected"] += overlap / ((e - s).days + 1)
    return out


def check_against_reference(frame, window, freq):
    counts = f.attacks_per_period(frame, window, freq)
    for row in counts.itertuples(index=False):
        want = reference(frame, row.period_start, row.period_end)
        assert (row.exact, row.min, row.max) == (want["exact"], want["min"], want["max"])
        assert row.expected == pytest.approx(want["expected"], abs=1e-9)
    return counts


JAN_MAR = f.Window(D("2021-01-01"), D("2021-03-31"))


def test_exact_day_counts_everywhere():
    counts = check_against_reference(attacks(("2021-02-14", "2021-02-14")), JAN_MAR, "month")
    assert list(counts["exact"]) == [0, 1, 0]
    assert list(counts["min"]) == [0, 1, 0]
    assert list(counts["max"]) == [0, 1, 0]
    assert list(counts["expected"]) == [0, 1, 0]


def test_crossing_a_month_edge():
    # 10 days: 6 in January (26-31), 4 in February (1-4).
    counts = check_against_reference(attacks(("2021-01-26", "2021-02-04")), JAN_MAR, "month")
    assert list(counts["exact"]) == [0, 0, 0]
    assert list(counts["min"]) == [0, 0, 0]
    assert list(counts["max"]) == [1, 1, 0]
    assert counts["expected"].tolist() == pytest.approx([0.6, 0.4, 0.0])


def test_crossing_the_window_start():
    # 20 days, 10 of them before the window: half the attack is expected inside.
    counts = check_against_reference(attacks(("2020-12-22", "2021-01-10")), JAN_MAR, "month")
    assert list(counts["min"]) == [0, 0, 0]
    assert list(counts["max"]) == [1, 0, 0]
    assert counts["expected"].tolist() == pytest.approx([0.5, 0, 0])
    whole = f.window_counts(attacks(("2020-12-22", "2021-01-10")), JAN_MAR.start, JAN_MAR.end)
    assert whole == {"exact": 0, "min": 0, "max": 1, "expected": pytest.approx(0.5)}


def test_wholly_outside_counts_nothing():
    frame = attacks(("2020-01-01", "2020-12-31"), ("2021-04-01", "2021-04-01"))
    counts = check_against_reference(frame, JAN_MAR, "week")
    assert counts[["exact", "min", "max", "expected"]].to_numpy().sum() == 0


def test_a_year_long_window_spreads_evenly():
    frame = attacks(("2021-01-01", "2021-12-31"))
    counts = check_against_reference(frame, f.Window(D("2021-01-01"), D("2021-12-31")),
                                      "month")
    assert counts["expected"].tolist() == pytest.approx(
        [d / 365 for d in counts["days"]])
    assert counts["expected"].sum() == pytest.approx(1)
    assert list(counts["max"]) == [1] * 12 and list(counts["min"]) == [0] * 12


def test_weeks_are_anchored_on_the_window_start_and_the_last_is_clipped():
    window = f.Window(D("2021-01-20"), D("2021-02-10"))
    periods = f.period_bounds(window, "week")
    assert list(periods["period_start"]) == [D("2021-01-20"), D("2021-01-27"),
                                             D("2021-02-03"), D("2021-02-10")]
    assert list(periods["days"]) == [7, 7, 7, 1]
    assert periods["period_end"].iloc[-1] == window.end


def test_months_are_clipped_to_the_window():
    periods = f.period_bounds(f.Window(D("2021-01-20"), D("2021-03-05")), "month")
    assert list(periods["period_start"]) == [D("2021-01-20"), D("2021-02-01"),
                                             D("2021-03-01")]
    assert list(periods["period_end"]) == [D("2021-01-31"), D("2021-02-28"), D("2021-03-05")]
    assert list(periods["days"]) == [12, 28, 5]


def test_bad_freq_and_backwards_window_are_parameter_errors():
    with pytest.raises(ParameterError, match="freq"):
        f.period_bounds(JAN_MAR, "day")
    with pytest.raises(ParameterError, match="ends before it starts"):
        f.Window(D("2021-02-01"), D("2021-01-01"))


def test_empty_data_gives_zeros():
    empty = attacks()
    counts = f.attacks_per_period(empty, JAN_MAR, "month")
    assert len(counts) == 3 and counts[["exact", "min", "max", "expected"]].sum().sum() == 0
    assert f.window_counts(empty, JAN_MAR.start, JAN_MAR.end)["max"] == 0
    assert f.cumulative_counts(empty, JAN_MAR)["max"].max() == 0
    assert f.breakdown(empty, "region", JAN_MAR).empty


def test_cumulative_counts():
    frame = attacks(("2021-01-05", "2021-01-05"), ("2021-01-10", "2021-01-19"),
                    ("2020-12-30", "2021-01-02"))
    window = f.Window(D("2021-01-01"), D("2021-01-31"))
    cumulative = f.cumulative_counts(frame, window).set_index("date")
    day = cumulative.loc[D("2021-01-14")]
    assert (day["exact"], day["min"], day["max"]) == (1, 1, 3)
    # Certainly happened by the 14th: only the exact one; the early one began before
    # the window, so it is never certainly inside it.
    assert day["expected"] == pytest.approx(1 + 5 / 10 + 2 / 4)
    last = cumulative.iloc[-1]
    assert (last["exact"], last["min"], last["max"]) == (1, 2, 3)
    assert last["expected"] == pytest.approx(2.5)


@pytest.mark.parametrize("column", [pd.Categorical, lambda cells: pd.array(cells, "string"),
                                    lambda cells: pd.Series(cells, dtype=object)],
                         ids=["category", "string", "object"])
def test_breakdown_counts_known_values_and_states_unknown(column):
    frame = attacks(("2021-01-05", "2021-01-05"), ("2021-01-06", "2021-02-04"),
                    ("2021-01-07", "2021-01-07"), ("2021-01-08", "2021-01-08"),
                    ("2022-01-01", "2022-01-01"),
                    weapon=column(["rocket", "drone", "unknown", None, "rocket"]))
    window = f.Window(D("2021-01-01"), D("2021-01-31"))
    table = f.breakdown(frame, "weapon", window)
    assert list(table["value"]) == ["rocket", "drone"]
    assert list(table["max"]) == [1, 1]
    assert table["expected"].tolist() == pytest.approx([1.0, 26 / 30])
    assert table.attrs == {"column": "weapon", "unknown": 2}
    missing = f.breakdown(frame, "region", window)
    assert missing.empty and missing.attrs["unknown"] == 4


# ---------------------------------------------------------------------------------------
# Properties over random data

FIRST = D("2020-06-01")
days = st.integers(min_value=0, max_value=500)


@st.composite
def random_attacks(draw):
    rows = draw(st.lists(st.tuples(days, st.integers(0, 120)), max_size=40))
    return attacks(*[(FIRST + pd.Timedelta(days=s), FIRST + pd.Timedelta(days=s + n))
                     for s, n in rows])


@st.composite
def windows(draw):
    start = draw(days)
    length = draw(st.integers(0, 400))
    return f.Window(FIRST + pd.Timedelta(days=start),
                    FIRST + pd.Timedelta(days=start + length))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(random_attacks(), windows(), st.sampled_from(["month", "week"]))
def test_properties(frame, window, freq):
    counts = f.attacks_per_period(frame, window, freq)
    assert (counts["exact"] <= counts["min"]).all()
    assert (counts["min"] <= counts["expected"] + 1e-9).all()
    assert (counts["expected"] <= counts["max"] + 1e-9).all()
    # The periods partition the window, so their expected values add up to its own.
    whole = f.window_counts(frame, window.start, window.end)
    assert counts["expected"].sum() == pytest.approx(whole["expected"], abs=1e-9)
    assert counts["exact"].sum() == whole["exact"]
    assert counts["min"].sum() <= whole["min"] <= whole["max"] <= counts["max"].sum()
    assert counts["days"].sum() == window.days


@settings(max_examples=60, deadline=None, derandomize=True)
@given(random_attacks(), windows(), st.sampled_from(["month", "week"]))
def test_vectorised_equals_reference(frame, window, freq):
    check_against_reference(frame, window, freq)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(random_attacks(), windows())
def test_cumulative_ends_at_the_window_figures(frame, window):
    last = f.cumulative_counts(frame, window).iloc[-1]
    whole = f.window_counts(frame, window.start, window.end)
    assert (last["exact"], last["min"], last["max"]) == (whole["exact"], whole["min"],
                                                         whole["max"])
    assert last["expected"] == pytest.approx(whole["expected"], abs=1e-9)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(random_attacks(), windows(), st.sampled_from(["month", "week"]))
def test_counting_in_chunks_gives_the_figures_of_counting_at_once(frame, window, freq):
    """Long tables are counted a chunk of attacks at a time (to bound memory): whole
    numbers must not change at all, expected values only in the last bits."""
    from analysis.counting import figures, merged

    def everything():
        single = merged.Merged.single(frame)
        return [f.attacks_per_period(frame, window, freq), f.cumulative_counts(frame, window),
                pd.DataFrame([f.window_counts(frame, window.start, window.end),
                              figures.on_days(single, window)])]

    at_once = everything()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(f, "CHUNK", 3)
        in_chunks = everything()
    for want, got in zip(at_once, in_chunks, strict=True):
        pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-12, atol=1e-9)
        whole = ["exact", "min", "max"]
        assert got[whole].equals(want[whole])
