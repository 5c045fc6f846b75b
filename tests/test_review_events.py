"""Events awaiting review (selection `review`) widen the range and nothing else: in every
figure a brief shows they count toward possibly (max) only, never toward exactly dated,
certainly (min) or expected; and the brief says how many there are."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import brief, narrative
from analysis.counting import figures, frequency, merged
from analysis.inputs import contract, load, match
from analysis.render import fragments

DAY0 = pd.Timestamp("2021-01-01")
WINDOW = frequency.Window(DAY0, DAY0 + pd.Timedelta(days=69))
FIGURES = ["exact", "min", "max", "expected"]


def day(n):
    return DAY0 + pd.Timedelta(days=int(n))


def table(rows, prefix="a"):
    """rows: (first day, length in days, selection or None, weapon)."""
    return pd.DataFrame({
        "event_id": [f"{prefix}{i}" for i in range(len(rows))],
        "date_start": pd.to_datetime([day(s) for s, *_ in rows]).astype("datetime64[ns]"),
        "date_end": pd.to_datetime([day(s + n - 1) for s, n, *_ in rows])
        .astype("datetime64[ns]"),
        "selection": pd.Categorical([r[2] for r in rows],
                                    categories=["selected", "review", "kept", "unselected"]),
        "weapon": [r[3] for r in rows],
    })


rows = st.lists(st.tuples(st.integers(-10, 75), st.integers(1, 30),
                          st.sampled_from([None, "selected", "review", "kept", "unselected"]),
                          st.sampled_from(["rocket", "ied", "unknown"])), max_size=25)


def figures_of(attacks: pd.DataFrame) -> list[pd.DataFrame]:
    """Every figure a brief draws or tabulates, each as a frame of the four counts."""
    m = merged.Merged.single(attacks)
    days = pd.Series(np.arange(WINDOW.days) % 3 > 0,
                     index=pd.date_range(WINDOW.start, WINDOW.end))
    split = figures.before_after(m, day(30), WINDOW, days)
    return [figures.per_period(m, WINDOW, "week")[FIGURES],
            figures.per_period(m, WINDOW, "month")[FIGURES],
            figures.cumulative(m, WINDOW)[FIGURES],
            pd.DataFrame([figures.on_days(m, WINDOW), figures.on_days(m, WINDOW, days),
                          figures.in_period(m, day(5), day(40))]),
            split[FIGURES],
            figures.breakdown(m, "weapon", WINDOW).set_index("value").sort_index()[FIGURES]]


@settings(max_examples=25, deadline=None)
@given(rows)
def test_review_rows_count_toward_possibly_only_in_every_figure(given_rows):
    attacks = table(given_rows)
    review = attacks["selection"].isin(["review"]).to_numpy()
    got = figures_of(attacks)
    without = figures_of(attacks[~review].reset_index(drop=True))
    as_if_confirmed = figures_of(attacks.assign(selection=None))
    for all_rows, confirmed, everything in zip(got, without, as_if_confirmed, strict=True):
        # A value only events awaiting review hold still gets its row (possible only).
        confirmed = confirmed.reindex(everything.index, fill_value=0)
        for column in ("exact", "min", "expected"):
            assert np.allclose(all_rows[column].to_numpy(float),
                               confirmed[column].to_numpy(float)), column
        assert all_rows["max"].to_numpy().tolist() == everything["max"].to_numpy().tolist()


def test_a_merged_attack_awaits_review_only_when_every_row_of_it_does():
    # a0 and b0 decided the same attack: b0 is confirmed, so the merged attack is too.
    # a1 and b1, both awaiting review, merge into one that still awaits it.
    # a2 (review) and b2 stay an unresolved pair: b2 alone is certain.
    a = table([(3, 1, "review", "rocket"), (10, 1, "review", "rocket"),
               (20, 1, "review", "ied")], "a")
    b = table([(3, 1, "selected", "rocket"), (10, 1, "review", "rocket"),
               (20, 1, None, "ied")], "b")
    pairs = match.candidate_pairs([a, b], ["a", "b"], tolerance_days=0)
    pairs.loc[pairs["event_id_a"].isin(["a0", "a1"]), "decision"] = "same"
    m = merged.merge([a, b], pairs, ["a", "b"])
    carried = [v if isinstance(v, str) else None for v in m.attacks["selection"]]
    assert carried == ["selected", "review", "review", None]
    got = figures.on_days(m, WINDOW)
    # Confirmed: a0=b0 and b2. Possibly: those, a1=b1, and a2 (unresolved, counted apart).
    assert (got["exact"], got["min"], got["max"], got["expected"]) == (2, 2, 4, 2.0)
    claims = pd.DataFrame({"claim_id": ["c"], "description": ["d"],
                           "period_start": [WINDOW.start], "period_end": [WINDOW.end],
                           "count_min": [1], "count_max": [9]})
    vs = brief.claims_against_data(claims, m).iloc[0]
    assert (vs["data_min"], vs["data_max"], vs["data_expected"]) == (2, 4, 2.0)


def inputs_of(attacks: pd.DataFrame) -> brief.Inputs:
    return brief.Inputs([attacks], ["attacks.csv"], pd.DataFrame({"decision": []}),
                        merged.Merged.single(attacks), load.empty_table(contract.CLAIMS),
                        load.empty_table(contract.CONTEXT), load.empty_table(contract.SOURCES))


def test_a_brief_says_how_many_events_await_review_and_the_rule():
    attacks = table([(3, 1, None, "rocket"), (5, 1, "review", "rocket"),
                     (6, 10, "review", "ied"), (90, 1, "review", "ied")])
    inputs = inputs_of(attacks)
    covered = brief.coverage_of(inputs, WINDOW)
    summary = brief.summarise(inputs, WINDOW, "week", covered)
    # The fourth falls after the window: it widens nothing here.
    assert summary["awaiting_review"] == 2
    assert (summary["attacks_exact"], summary["attacks_min"], summary["attacks_max"],
            summary["attacks_expected"]) == (1, 1, 3, 1.0)
    assert summary["attacks_exactly_dated_in_data"] == 1
    said = narrative.scope_sentence(summary)
    assert said.startswith("2 events possibly in the window await review")
    note = narrative.selection_note(summary)
    assert ("counted as possible only, not in the expected count, until a decision keeps it"
            in note)
    assert "(2 of the possible await review)" in fragments.key_numbers(summary).html
    assert ("Of the 1–3 distinct attacks in the window, 1 is dated to the day; the others "
            "carry date windows. The upper figure includes 2 events awaiting review."
            in brief.source_line(inputs, summary))


def test_without_review_events_a_brief_says_nothing_of_them():
    inputs = inputs_of(table([(3, 1, "selected", "rocket")]))
    summary = brief.summarise(inputs, WINDOW, "week", brief.coverage_of(inputs, WINDOW))
    assert summary["awaiting_review"] == 0
    assert narrative.scope_sentence(summary) == narrative.selection_note(summary) == ""
    assert "review" not in fragments.key_numbers(summary).html


@pytest.mark.parametrize("selection", ["selected", "kept", "unselected", None])
def test_every_other_selection_counts_in_full(selection):
    attacks = table([(3, 1, selection, "rocket")])
    assert frequency.window_counts(attacks, WINDOW.start, WINDOW.end) == {
        "exact": 1, "min": 1, "max": 1, "expected": 1.0}
