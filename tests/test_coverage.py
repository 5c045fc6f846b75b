"""Declared coverage: the days a brief's cited sources say they list completely."""

import csv

import pandas as pd

from analysis.counting import coverage as cov
from analysis.counting import frequency as f
from analysis.inputs import load

D = pd.Timestamp
ARTICLE = "us-iraq-attacks-2021-04"
SINCE_2019 = f.Window(D("2019-09-01"), D("2021-04-20"))
INAUGURATION = D("2021-01-20")


def sources(*spans):
    """A sources table like the loader's: (source_id, coverage_start, coverage_end)."""
    return pd.DataFrame({
        "source_id": pd.Series([s for s, _, _ in spans], dtype="string"),
        "coverage_start": pd.to_datetime([a for _, a, _ in spans]).astype("datetime64[ns]"),
        "coverage_end": pd.to_datetime([b for _, _, b in spans]).astype("datetime64[ns]"),
    })


def attacks(*source_ids):
    return pd.DataFrame({"source_id": pd.Series(source_ids, dtype="string")})


def weeks_covered(attack_rows, source_rows, window=SINCE_2019):
    periods = f.period_bounds(window, "week")
    covered = cov.covered_days(attack_rows, source_rows, window)
    return periods.assign(covered=cov.period_covered(periods, covered))


def test_the_article_covers_every_week_since_the_inauguration_and_nothing_before():
    weeks = weeks_covered(attacks(ARTICLE, ARTICLE),
                          sources((ARTICLE, "2021-01-20", "2021-04-20")))
    after = weeks["period_start"] >= INAUGURATION
    before = weeks["period_end"] < INAUGURATION
    assert weeks.loc[after, "covered"].eq(1).all() and after.sum() == 13
    assert weeks.loc[before, "covered"].eq(0).all()
    # The week the inauguration falls in is only partly covered.
    assert weeks.loc[~after & ~before, "covered"].tolist() == [0]
    assert not weeks.loc[weeks["period_start"].dt.year < 2021, "covered"].any()


def test_a_record_covering_2019_to_2021_covers_every_week():
    weeks = weeks_covered(attacks("record"), sources(("record", "2019-01-01", "2021-12-31")))
    assert weeks["covered"].eq(1).all()


def test_union_of_overlapping_and_disjoint_spans():
    window = f.Window(D("2021-01-01"), D("2021-01-31"))
    source_rows = sources(("a", "2021-01-03", "2021-01-10"), ("b", "2021-01-08", "2021-01-12"),
                          ("c", "2021-01-20", "2021-01-21"), ("d", "2020-12-01", "2021-01-01"))
    covered = cov.covered_days(attacks("a", "b", "c", "d", "b"), source_rows, window)
    days = set(covered[covered].index.day)
    assert days == {1} | set(range(3, 13)) | {20, 21}
    assert cov.covered_day_count(window, covered) == 13
    assert cov.covered_day_count(f.Window(D("2021-01-10"), D("2021-01-20")), covered) == 4


def test_sources_cited_by_no_row_do_not_count():
    source_rows = sources(("cited", "2021-02-01", "2021-02-07"),
                          ("uncited", "2021-01-01", "2021-12-31"))
    window = f.Window(D("2021-01-01"), D("2021-03-31"))
    covered = cov.covered_days(attacks("cited", None), source_rows, window)
    assert cov.covered_day_count(window, covered) == 7
    assert cov.has_declared_coverage(attacks("cited"), source_rows)
    assert not cov.has_declared_coverage(attacks("neither"), source_rows)
    assert not cov.has_declared_coverage(attacks(None), source_rows)


def test_sources_without_coverage_fall_back():
    undeclared = sources(("a", None, None))
    assert not cov.has_declared_coverage(attacks("a"), undeclared)
    assert not cov.has_declared_coverage(attacks("a"), undeclared[["source_id"]])
    assert not cov.has_declared_coverage(pd.DataFrame(index=range(2)), undeclared)
    covered = cov.covered_days(attacks("a"), undeclared, SINCE_2019)
    assert len(covered) == SINCE_2019.days and not covered.any()


def test_periods_must_be_covered_on_every_day():
    covered = pd.Series(True, index=pd.date_range("2021-01-01", "2021-01-10"))
    covered[D("2021-01-05")] = False
    periods = pd.DataFrame({"period_start": pd.to_datetime(["2021-01-01", "2021-01-06",
                                                            "2021-01-08", "2020-12-31"]),
                            "period_end": pd.to_datetime(["2021-01-04", "2021-01-10",
                                                          "2021-01-11", "2021-01-02"])})
    assert cov.period_covered(periods, covered).tolist() == [1, 1, 0, 0]
    assert cov.period_covered(periods, covered.iloc[:0]).tolist() == [0, 0, 0, 0]


def test_loaded_sources_are_typed_for_coverage(dataset):
    # Declare the article's coverage, whether or not the file has the columns yet.
    path = dataset / "sources.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = list(dict.fromkeys([*rows[0], "coverage_start", "coverage_end"]))
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, columns)
        writer.writeheader()
        writer.writerows({**row, "coverage_start": "2021-01-20", "coverage_end": "2021-04-20"}
                         for row in rows)
    source_rows = load.load_sources(path)
    attack_rows = load.load_attacks(dataset / "attacks.csv")
    assert cov.has_declared_coverage(attack_rows, source_rows)
    weeks = weeks_covered(attack_rows, source_rows)
    assert weeks.loc[weeks["period_start"] >= INAUGURATION, "covered"].eq(1).all()
    assert weeks.loc[weeks["period_end"] < INAUGURATION, "covered"].eq(0).all()
