"""`import --covers START:END`: the analyst's claim that the export lists every event of
its scope on those days, written as the sources row's coverage_start and coverage_end."""

import csv
from pathlib import Path

import pytest

from analysis.cli import main

CURRENT = Path(__file__).parent / "fixtures" / "import" / "acled-current.csv"


def sources(folder: Path) -> list[dict]:
    with (folder / "sources.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_covers_writes_the_coverage_of_the_sources_row(tmp_path):
    assert main(["import", "acled", str(CURRENT), "--out", str(tmp_path / "a.csv"),
                 "--covers", "2020-01-01:2021-04-30"]) == 0
    (row,) = sources(tmp_path)
    assert (row["coverage_start"], row["coverage_end"]) == ("2020-01-01", "2021-04-30")
    assert main(["validate", str(tmp_path / "a.csv")]) == 0


def test_without_covers_coverage_stays_blank(tmp_path):
    assert main(["import", "acled", str(CURRENT), "--out", str(tmp_path / "a.csv")]) == 0
    (row,) = sources(tmp_path)
    assert (row["coverage_start"], row["coverage_end"]) == ("", "")


@pytest.mark.parametrize(("value", "why"), [
    ("2021-04-30:2020-01-01", "END is before START"),
    ("2021-02-30:2021-04-30", "two real days"),
    ("2020-01-01", "must be START:END"),
    ("2020-01-01:", "must be START:END"),
    ("1/1/2020:4/30/2021", "two real days"),
])
def test_bad_coverage_exits_2_and_writes_nothing(tmp_path, capsys, value, why):
    assert main(["import", "acled", str(CURRENT), "--out", str(tmp_path / "a.csv"),
                 "--covers", value]) == 2
    err = capsys.readouterr().err
    assert "--covers" in err and why in err
    assert list(tmp_path.iterdir()) == []
