"""Distinct-attack bounds for merged tables: hand examples, the issue's acceptance
examples, and a brute force over every way of settling the unresolved pairs."""

import itertools
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.counting import frequency as f
from analysis.counting import merged
from analysis.exceptions import DataError
from analysis.inputs import match
from analysis.inputs.load import load_attacks

DATA = Path(__file__).resolve().parents[1] / "data"

DAY0 = pd.Timestamp("2021-01-01")
INAUGURATION, PUBLISHED = pd.Timestamp("2021-01-20"), pd.Timestamp("2021-04-20")


def day(n):
    return DAY0 + pd.Timedelta(days=n)


def table(prefix, *rows):
    """rows: (first day, last day[, governorate[, weapon]]) as day numbers from DAY0."""
    rows = [(*r, None, None)[:4] for r in rows]
    return pd.DataFrame({
        "event_id": [f"{prefix}{i}" for i in range(1, len(rows) + 1)],
        "date_start": pd.to_datetime([day(r[0]) for r in rows]).astype("datetime64[ns]"),
        "date_end": pd.to_datetime([day(r[1]) for r in rows]).astype("datetime64[ns]"),
        "governorate": pd.Series([r[2] for r in rows], dtype="string"),
        "weapon": pd.Series([r[3] or "unknown" for r in rows], dtype="object")})


def decide(pairs, **decisions):
    """Set decisions by "A1_B1" keys; every other candidate stays unresolved."""
    pairs = pairs.copy()
    for key, decision in decisions.items():
        a, b = key.split("_")
        chosen = (pairs["event_id_a"] == a) & (pairs["event_id_b"] == b)
        assert chosen.sum() == 1, key
        pairs.loc[chosen, "decision"] = decision
    return pairs


def figures(tables, a, b, exact_limit=merged.EXACT_LIMIT, **decisions):
    names = [f"t{i}" for i in range(len(tables))]
    pairs = decide(match.candidate_pairs(tables, names, tolerance_days=0), **decisions)
    got = merged.merged_window_counts(tables, pairs, day(a), day(b), names=names,
                                      exact_limit=exact_limit)
    return got["exact"], got["min"], got["max"]


# ---------------------------------------------------------------------------------------
# Hand examples


def test_two_certain_rows_that_may_be_one_attack():
    # Both certainly in days 0-9: one attack or two.
    assert figures([table("A", (3, 3)), table("B", (3, 3))], 0, 9) == (1, 1, 2)
    assert figures([table("A", (3, 3)), table("B", (3, 3))], 0, 9, A1_B1="different") == (
        2, 2, 2)
    assert figures([table("A", (3, 3)), table("B", (3, 3))], 0, 9, A1_B1="same") == (1, 1, 1)


def test_a_certain_row_and_a_possible_row_still_make_at_least_one():
    # B1 runs past the period: if it is A1, the attack is A1's day, still in the period.
    assert figures([table("A", (3, 3)), table("B", (0, 20))], 0, 9) == (1, 1, 2)


def test_two_possible_rows_make_no_certain_attack():
    # Merged, they would be days 5-9, certainly in the period; the fewest is still 0.
    assert figures([table("A", (0, 9)), table("B", (5, 20))], 5, 12) == (0, 0, 2)
    assert figures([table("A", (0, 9)), table("B", (5, 20))], 5, 12, A1_B1="same") == (
        0, 1, 1)


def test_same_keeps_the_intersection_of_the_windows():
    tables = [table("A", (0, 9)), table("B", (5, 20))]
    pairs = decide(match.candidate_pairs(tables, ["a", "b"]), A1_B1="same")
    result = merged.merge(tables, pairs, ["a", "b"]).attacks
    assert result["event_id"].tolist() == ["A1 = B1"]
    assert (result["date_start"].iloc[0], result["date_end"].iloc[0]) == (day(5), day(9))


def test_a_row_pairs_with_at_most_one_row_of_another_table():
    # Three certain B rows, one A row: at least three attacks, not one.
    assert figures([table("A", (3, 3)), table("B", (3, 3), (3, 3), (3, 3))], 0, 9) == (
        3, 3, 4)


def test_three_tables_merge_transitively():
    tables = [table("A", (0, 9)), table("B", (4, 12)), table("C", (2, 6))]
    pairs = decide(match.candidate_pairs(tables, ["a", "b", "c"]), A1_B1="same", B1_C1="same")
    result = merged.merge(tables, pairs, ["a", "b", "c"]).attacks
    assert result["event_id"].tolist() == ["A1 = B1 = C1"]
    assert (result["date_start"].iloc[0], result["date_end"].iloc[0]) == (day(4), day(6))


def test_three_rows_of_three_tables_can_be_one_attack():
    # A matching would merge only one pair and claim at least 2; all three can be one.
    tables = [table("A", (3, 3)), table("B", (3, 3)), table("C", (3, 3))]
    assert figures(tables, 0, 9) == (1, 1, 3)
    assert figures(tables, 0, 9, A1_C1="different") == (2, 2, 3)
    assert figures(tables, 0, 9, exact_limit=0) == (1, 1, 3)  # the floor is tight here


def test_cut_short_the_exact_floor_never_exceeds_the_certain_floor():
    """Five rows of three tables, every pair open. Without the search the certain floor
    is 2 (the truth is 3), while the exactly dated rows alone give 3: the two floors
    cross, and the exactly dated figure is kept at the certain one."""
    tables = [table("A", (0, 0)), table("B", (0, 0, None, "rocket"), (1, 1)),
              table("C", (0, 0, None, "ied"), (0, 1))]
    assert figures(tables, 0, 8, exact_limit=0) == (2, 2, 5)
    assert figures(tables, 0, 8) == (3, 3, 5)


def test_no_matches_gives_the_ordinary_figures():
    tables = [table("A", (0, 3), (10, 10), (20, 40)), table("B", (2, 2), (31, 33))]
    window = f.Window(day(0), day(45))
    periods = f.period_bounds(window, "week")
    none = pd.DataFrame({"event_id_a": [], "event_id_b": [], "decision": []}, dtype=object)
    got = merged.merged_counts(tables, none, periods)
    want = f.attacks_per_period(pd.concat(tables, ignore_index=True), window, "week")
    pd.testing.assert_frame_equal(got, want)
    assert merged.merged_counts(tables, none, window)["max"].tolist() == [5]


# ---------------------------------------------------------------------------------------
# Decisions that cannot all hold


def problems(tables, pairs):
    with pytest.raises(DataError) as caught:
        merged.merge(tables, pairs, [f"t{i}" for i in range(len(tables))])
    return [p.message for p in caught.value.problems]


def test_same_with_windows_that_share_no_day_is_an_error():
    tables = [table("A", (0, 3)), table("B", (4, 6))]
    pairs = decide(match.candidate_pairs(tables, ["t0", "t1"]), A1_B1="same")
    assert problems(tables, pairs) == [
        "A1 (t0), B1 (t1) are marked the same attack, but their date windows share no day"]


def test_a_chain_of_same_that_crosses_a_different_is_an_error(tmp_path):
    tables = [table("A", (0, 9)), table("B", (0, 9)), table("C", (0, 9))]
    names = ["t0", "t1", "t2"]
    path = tmp_path / "matches.csv"
    path.write_text("event_id_a,event_id_b,decision\nA1,B1,same\nA1,C1,different\n"
                    "B1,C1,same\n", encoding="utf-8")
    with pytest.raises(DataError) as caught:
        merged.merge(tables, match.read_matches(path), names)
    (problem,) = caught.value.problems
    assert (problem.file, problem.line, problem.column) == (str(path), 2, "decision")
    assert problem.message == ("A1 (t0), B1 (t1), C1 (t2) are marked the same attack, but "
                               "A1 and C1 are marked different on line 3")


def test_two_rows_of_one_table_cannot_be_one_attack():
    tables = [table("A", (0, 9)), table("B", (0, 9), (0, 9))]
    pairs = decide(match.candidate_pairs(tables, ["t0", "t1"]), A1_B1="same", A1_B2="same")
    (message,) = problems(tables, pairs)
    assert "B1 and B2 are not a listed pair" in message


# ---------------------------------------------------------------------------------------
# Acceptance examples


@pytest.fixture(scope="module")
def article():
    return load_attacks(DATA / "attacks.csv")


def nine_exactly_dated():
    """A record of 9 exactly dated attacks since the inauguration; one is Balad."""
    days = ["2021-02-04", "2021-02-11", "2021-02-15", "2021-02-20", "2021-02-22",
            "2021-03-03", "2021-03-15", "2021-04-04", "2021-04-18"]
    record = pd.DataFrame({
        "event_id": [f"R{i}" for i in range(1, 10)],
        "date_start": pd.to_datetime(days).astype("datetime64[ns]"),
        "governorate": ["Baghdad"] * 7 + ["Salah al-Din", "Anbar"],
        "region": "Federal Iraq", "target_type": "military_base", "weapon": "rocket"})
    return record.assign(date_end=record["date_start"])


def test_the_article_and_nine_dated_attacks_make_20_to_29(article):
    tables, names = [article, nine_exactly_dated()], ["article", "record"]
    pairs = match.candidate_pairs(tables, names)
    got = merged.merged_window_counts(tables, pairs, INAUGURATION, PUBLISHED, names=names)
    assert (got["min"], got["max"]) == (20, 29)
    confirmed = decide(pairs, **{"USIRQ-2021-001_R8": "same"})
    got = merged.merged_window_counts(tables, confirmed, INAUGURATION, PUBLISHED, names=names)
    assert (got["min"], got["max"]) == (20, 28)


def test_the_article_and_the_public_record_with_its_decisions(article):
    record = load_attacks(DATA / "public-record" / "attacks.csv")
    tables, names = [article, record], ["article", "public record"]
    matches = match.read_matches(DATA / "public-record" / "matches.csv", tables, names)
    window = f.Window(INAUGURATION, PUBLISHED)
    got = merged.merged_counts(tables, matches, window, names=names).iloc[0]
    assert (got["min"], got["max"]) == (20, 31)  # 12 record rows in the window, Balad shared
    weeks = merged.merged_counts(tables, matches, f.period_bounds(window, "week"), names=names)
    balad = weeks[weeks["period_start"] == pd.Timestamp("2021-03-31")].iloc[0]
    assert (balad["exact"], balad["min"], balad["max"]) == (1, 1, 20)


# ---------------------------------------------------------------------------------------
# Against a brute force over every settling of the unresolved pairs


def brute_force(tables, names, pairs, a, b):
    """The fewest certain and exactly dated attacks and the most possible ones over every
    consistent way to settle the blank decisions, or None when none is consistent. A
    settling is consistent when each group joined by `same` has every pair of its rows
    listed and set `same` (a pair not listed is different), and a day in common."""
    rows = [(names[t], r.event_id, r.date_start, r.date_end)
            for t, frame in enumerate(tables) for r in frame.itertuples()]
    where = {(t, i): n for n, (t, i, _, _) in enumerate(rows)}
    decision = {frozenset((where[(p.table_a, p.event_id_a)], where[(p.table_b, p.event_id_b)])):
                p.decision for p in pairs.itertuples()}
    fixed = {p for p, d in decision.items() if d == "same"}
    unresolved = [p for p, d in decision.items() if d == ""]
    found = None
    for chosen in itertools.product([False, True], repeat=len(unresolved)):
        same = fixed | {p for p, c in zip(unresolved, chosen, strict=True) if c}
        group = list(range(len(rows)))
        for u, v in map(sorted, same):  # join groups: relabel v's group as u's
            old, new = group[v], group[u]
            group = [new if g == old else g for g in group]
        members = {}
        for n, g in enumerate(group):
            members.setdefault(g, []).append(n)
        windows = []
        for rs in members.values():
            if any(frozenset(p) not in same for p in itertools.combinations(rs, 2)):
                break
            start, end = max(rows[n][2] for n in rs), min(rows[n][3] for n in rs)
            if start > end:
                break
            windows.append((start, end))
        else:
            count = {"exact": sum(s == e and a <= s <= b for s, e in windows),
                     "min": sum(a <= s and e <= b for s, e in windows),
                     "max": sum(s <= b and e >= a for s, e in windows)}
            found = count if found is None else {
                "exact": min(found["exact"], count["exact"]),
                "min": min(found["min"], count["min"]), "max": max(found["max"], count["max"])}
    return found


MAX_UNRESOLVED = 10  # 1024 settlings at most


@st.composite
def scenarios(draw, table_count, max_rows):
    """Small tables crowded into a few days, so that rows often may be one attack."""
    tables = []
    for t in range(table_count):
        rows = draw(st.lists(st.tuples(st.integers(0, 5), st.sampled_from([0, 0, 1, 3]),
                                       st.sampled_from([None, None, None, "Baghdad", "Anbar"]),
                                       st.sampled_from([None, None, "rocket", "ied"])),
                             min_size=1, max_size=max_rows))
        tables.append(table("ABC"[t], *[(s, s + n, g, w) for s, n, g, w in rows]))
    names = [f"t{i}" for i in range(table_count)]
    pairs = match.candidate_pairs(tables, names, tolerance_days=draw(st.integers(0, 1)))
    decisions = draw(st.lists(st.sampled_from(["", "", "", "", "different", "same"]),
                              min_size=len(pairs), max_size=len(pairs)))
    blank = [i for i, d in enumerate(decisions) if d == ""]
    for i in blank[MAX_UNRESOLVED:]:
        decisions[i] = "different"
    a, b = draw(st.sampled_from([(0, 8), (0, 3), (2, 5), (4, 8)]) | st.tuples(
        st.integers(0, 4), st.integers(4, 9)))
    return tables, names, pairs.assign(decision=decisions), a, b


def check_against_brute_force(scenario, exact_limit=merged.EXACT_LIMIT):
    tables, names, pairs, a, b = scenario
    want = brute_force(tables, names, pairs, day(a), day(b))
    if want is None:
        with pytest.raises(DataError):
            merged.merge(tables, pairs, names)
        return None, None
    got = merged.merged_window_counts(tables, pairs, day(a), day(b), names=names,
                                      exact_limit=exact_limit)
    assert got["exact"] <= got["min"] <= got["expected"] + 1e-9
    assert got["expected"] <= got["max"] + 1e-9
    return got, want


SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios(2, 5))
def test_two_tables_bounds_are_exact(scenario):
    """Two tables: min and exact are the fewest, max the most, over every settling."""
    got, want = check_against_brute_force(scenario)
    if want is not None:
        assert (got["exact"], got["min"], got["max"]) == (
            want["exact"], want["min"], want["max"])


@SETTINGS
@given(scenarios(3, 3))
def test_three_tables_bounds_are_exact_for_small_groups(scenario):
    """Three tables: exact while each connected group of rows is small enough to search
    (always, at this size); max is always the most."""
    got, want = check_against_brute_force(scenario)
    if want is not None:
        assert (got["exact"], got["min"], got["max"]) == (
            want["exact"], want["min"], want["max"])


@SETTINGS
@given(scenarios(3, 3))
def test_three_tables_floor_never_claims_more_attacks_than_are_certain(scenario):
    """Without the search, min and exact are floors: never above the true fewest, so
    the range always holds every settling."""
    got, want = check_against_brute_force(scenario, exact_limit=0)
    if want is not None:
        assert got["min"] <= want["min"] and got["exact"] <= want["exact"]
        assert got["max"] == want["max"]
