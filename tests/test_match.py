"""Candidate duplicates across attack tables, and the matches file that decides them."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.exceptions import DataError
from analysis.inputs import match
from analysis.inputs.load import load_attacks

DATA = Path(__file__).resolve().parents[1] / "data"

COLUMNS = ["event_id_a", "event_id_b", "reason", "decision", "table_a", "table_b"]
FIELDS = ("governorate", "region", "target_type", "weapon")


def table(prefix, *rows):
    """rows: (start, end, governorate, region, target_type, weapon); None = unknown."""
    frame = pd.DataFrame(
        [(f"{prefix}{i}", *row) for i, row in enumerate(rows, 1)],
        columns=["event_id", "date_start", "date_end", *FIELDS])
    frame["date_start"] = pd.to_datetime(frame["date_start"])
    frame["date_end"] = pd.to_datetime(frame["date_end"])
    return frame


def ids(pairs):
    return list(zip(pairs["event_id_a"], pairs["event_id_b"], strict=True))


@pytest.fixture(scope="module")
def article_and_record():
    return (load_attacks(DATA / "attacks.csv"),
            load_attacks(DATA / "public-record" / "attacks.csv"))


def test_the_balad_attack_is_a_candidate_with_its_reason(article_and_record):
    pairs = match.candidate_pairs(list(article_and_record), ["article", "public record"])
    assert list(pairs.columns) == COLUMNS
    balad = pairs[pairs["event_id_a"] == "USIRQ-2021-001"]
    assert ids(balad) == [("USIRQ-2021-001", "PR-2021-04-04-1")]
    assert balad["reason"].iloc[0] == (
        "windows 2021-04-04..2021-04-04 and 2021-04-04..2021-04-04 overlap; "
        "same governorate (Salah al-Din), same region (Federal Iraq), "
        "same target_type (military_base), same weapon (rocket)")
    assert (pairs["decision"] == "").all()
    assert (pairs["table_a"] == "article").all() and (pairs["table_b"] == "public record").all()
    # 19 undated rows, each against the 13 record rows near their window.
    assert len(pairs) == 1 + 19 * 13


def test_known_fields_must_agree_and_unknown_contradicts_nothing():
    a = table("A", ("2021-01-01", "2021-01-01", "Baghdad", "Federal Iraq", "military_base",
                    "rocket"))
    b = table("B",
              ("2021-01-01", "2021-01-01", "baghdad ", None, "unknown", ""),  # case, blanks
              ("2021-01-01", "2021-01-01", "Anbar", None, None, None),  # governorate differs
              ("2021-01-01", "2021-01-01", None, "Kurdistan Region", None, None),
              ("2021-01-01", "2021-01-01", None, None, "other", None),
              ("2021-01-01", "2021-01-01", None, None, None, "ied"),
              ("2021-01-01", "2021-01-01", None, None, None, None))
    pairs = match.candidate_pairs([a, b], ["a", "b"])
    assert ids(pairs) == [("A1", "B1"), ("A1", "B6")]
    assert pairs["reason"].iloc[0] == (
        "windows 2021-01-01..2021-01-01 and 2021-01-01..2021-01-01 overlap; "
        "same governorate (Baghdad); region unknown in one, target_type unknown in one, "
        "weapon unknown in one")


def test_missing_columns_are_unknown():
    a = table("A", ("2021-01-01", "2021-01-01", None, None, None, None))[
        ["event_id", "date_start", "date_end"]]
    pairs = match.candidate_pairs([a, a.assign(event_id="B")], ["a", "b"])
    assert ids(pairs) == [("A1", "B")]
    assert pairs["reason"].iloc[0].endswith(
        "; governorate unknown in both, region unknown in both, "
        "target_type unknown in both, weapon unknown in both")


@pytest.mark.parametrize(("tolerance", "days_apart", "candidate"), [
    (0, 0, True), (0, 1, False), (1, 1, True), (1, 2, True), (1, 3, False), (3, 6, True)])
def test_each_window_is_widened_by_the_tolerance(tolerance, days_apart, candidate):
    a = table("A", ("2021-01-10", "2021-01-12", None, None, None, None))
    later = pd.Timestamp("2021-01-12") + pd.Timedelta(days=days_apart)
    earlier = pd.Timestamp("2021-01-10") - pd.Timedelta(days=days_apart)
    b = table("B", (later, later + pd.Timedelta(days=5), None, None, None, None),
              (earlier - pd.Timedelta(days=5), earlier, None, None, None, None))
    pairs = match.candidate_pairs([a, b], ["a", "b"], tolerance_days=tolerance)
    assert len(pairs) == (2 if candidate else 0)
    if candidate and days_apart:
        unit = "day" if days_apart == 1 else "days"
        assert f"are {days_apart} {unit} apart, within the tolerance of ±{tolerance}" \
            in pairs["reason"].iloc[0]


def test_rows_of_one_table_are_never_candidates_and_order_is_by_ids():
    rows = [("2021-01-01", "2021-01-31", None, None, None, None)] * 2
    a, b, c = table("A", *rows), table("B", *rows), table("C", *rows)
    pairs = match.candidate_pairs([c, a, b], ["c", "a", "b"])
    assert len(pairs) == 12
    assert ids(pairs) == sorted(ids(pairs))
    assert not any(x[0] == y[0] for x, y in ids(pairs))
    assert set(zip(pairs["table_a"], pairs["table_b"], strict=True)) == {
        ("c", "a"), ("c", "b"), ("a", "b")}
    assert match.candidate_pairs([a], ["a"]).empty
    assert list(match.candidate_pairs([a, b.iloc[:0]], ["a", "b"]).columns) == COLUMNS


windows = st.tuples(st.integers(0, 40), st.integers(0, 6))
values = st.sampled_from([None, "x", "y"])
rows = st.lists(st.tuples(windows, values), max_size=8)


@settings(max_examples=200, deadline=None)
@given(rows, rows, st.integers(0, 3))
def test_same_pairs_as_comparing_every_row_with_every_row(left, right, tolerance):
    def build(prefix, drawn):
        day = pd.Timestamp("2021-01-01")
        return table(prefix, *[(day + pd.Timedelta(days=s), day + pd.Timedelta(days=s + n),
                                v, None, None, None) for (s, n), v in drawn])

    a, b = build("A", left), build("B", right)
    want = [(x.event_id, y.event_id) for x in a.itertuples() for y in b.itertuples()
            if x.date_start - pd.Timedelta(days=tolerance)
            <= y.date_end + pd.Timedelta(days=tolerance)
            and y.date_start - pd.Timedelta(days=tolerance)
            <= x.date_end + pd.Timedelta(days=tolerance)
            and (pd.isna(x.governorate) or pd.isna(y.governorate)
                 or x.governorate == y.governorate)]
    assert ids(match.candidate_pairs([a, b], ["a", "b"], tolerance)) == sorted(want)


def test_ten_thousand_by_ten_thousand_is_fast():
    rng = np.random.default_rng(1)

    def random_table(prefix, n=10_000):
        start = pd.Timestamp("2019-01-01") + pd.to_timedelta(rng.integers(0, 1100, n), "D")
        return pd.DataFrame({
            "event_id": [f"{prefix}{i:05d}" for i in range(n)], "date_start": start,
            "date_end": start + pd.to_timedelta(rng.integers(0, 5, n), "D"),
            "governorate": rng.choice(["Baghdad", "Anbar", None], n),
            "weapon": pd.Categorical(rng.choice(["rocket", "ied", "unknown"], n))})

    a, b = random_table("A"), random_table("B")
    began = time.perf_counter()
    pairs = match.candidate_pairs([a, b], ["a", "b"])
    assert time.perf_counter() - began < 20  # about a second on a laptop
    assert len(pairs) > 100_000


# ---------------------------------------------------------------------------------------
# The matches file


def write(tmp_path, text):
    path = tmp_path / "matches.csv"
    path.write_text(text, encoding="utf-8")
    return path


TWO = [table("A", ("2021-01-01", "2021-01-01", None, None, None, None)),
       table("B", ("2021-01-01", "2021-01-01", None, None, None, None),
             ("2021-01-02", "2021-01-02", None, None, None, None))]


def test_read_matches_gives_lines_and_tables(tmp_path):
    path = write(tmp_path, 'event_id_a,event_id_b,reason,decision\n'
                           'A1,B1,"two\nlines",same\nA1,B2,,\n')
    matches = match.read_matches(path, TWO, ["a", "b"])
    assert matches["line"].tolist() == [2, 4]
    assert matches["decision"].tolist() == ["same", ""]
    assert matches["table_b"].tolist() == ["b", "b"]
    assert len(match.read_matches(path)) == 2  # unchecked without tables


def test_every_problem_is_reported_at_its_line(tmp_path):
    path = write(tmp_path, "event_id_a,event_id_b,decision\n"
                           "A1,B1,Same\n"
                           "A1,B9,\n"
                           "B1,B2,different\n"
                           "B1,A1,\n")
    with pytest.raises(DataError) as caught:
        match.read_matches(path, TWO, ["a", "b"])
    found = [(p.line, p.column, p.value, p.message.split(";")[0])
             for p in caught.value.problems]
    assert found == [
        (2, "decision", "Same", "not one of: same, different, or blank"),
        (3, "event_id_b", "B9", "no such event_id in the tables: a, b"),
        (4, "event_id_b", "B2", "both rows are in the same table"),
        (5, "event_id_b", "A1", "this pair is already listed on line 2"),
    ]
    assert all(p.file == str(path) for p in caught.value.problems)


def test_ambiguous_ids_need_table_columns(tmp_path):
    same_ids = [TWO[0], TWO[0]]
    path = write(tmp_path, "event_id_a,event_id_b,decision\nA1,A1,\n")
    with pytest.raises(DataError, match="in more than one table"):
        match.read_matches(path, same_ids, ["x", "y"])
    path = write(tmp_path, "event_id_a,event_id_b,decision,table_a,table_b\nA1,A1,,x,y\n"
                           "A1,A1,,x,z\n")
    with pytest.raises(DataError) as caught:
        match.read_matches(path, same_ids, ["x", "y"])
    assert [(p.line, p.column) for p in caught.value.problems] == [(3, "table_b")]


def test_a_missing_column_is_reported(tmp_path):
    with pytest.raises(DataError) as caught:
        match.read_matches(write(tmp_path, "event_id_a,event_id_b\nA1,B1\n"))
    assert [(p.line, p.column) for p in caught.value.problems] == [(1, "decision")]


def test_the_public_record_matches_file_lists_every_candidate(article_and_record):
    tables, names = list(article_and_record), ["article", "public record"]
    matches = match.read_matches(DATA / "public-record" / "matches.csv", tables, names)
    candidates = match.candidate_pairs(tables, names)
    assert ids(matches) == ids(candidates)
    assert all(m.startswith(c) for m, c in zip(matches["reason"], candidates["reason"],
                                               strict=True))
    decided = matches[matches["decision"] != ""]
    assert ids(decided[decided["decision"] == "same"]) == [("USIRQ-2021-001",
                                                           "PR-2021-04-04-1")]
    assert set(decided.loc[decided["decision"] == "different", "event_id_b"]) == {
        "PR-2021-04-22-1"}
