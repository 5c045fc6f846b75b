"""`python -m analysis import ucdp`: GED's date_start..date_end window (with or without a
time part), adm_1 suffixes, deaths and date_prec in the notes, provenance. The fixture is
invented rows in the GED column layout."""

import csv
import hashlib
from pathlib import Path

import pytest

from analysis.cli import main
from analysis.inputs.importers import ucdp

FIXTURES = Path(__file__).parent / "fixtures" / "import"
GED = FIXTURES / "ucdp-ged.csv"
DAY = "2024-05-01"


def run(*args) -> int:
    return main(["import", *map(str, args)])


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def ged_copy(tmp_path: Path, row: int = 0, drop: str = "", **cells) -> Path:
    rows = read_rows(GED)
    rows[row].update(cells)
    header = [c for c in rows[0] if c != drop]
    path = tmp_path / "ged.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def imported(tmp_path: Path, source: Path = GED) -> Path:
    out = tmp_path / "out.csv"
    assert run("ucdp", source, "--out", out, "--imported-on", DAY) == 0
    return out


def test_ged_file_with_time_carrying_dates_is_imported_and_validates(tmp_path, capsys):
    out = imported(tmp_path)
    assert main(["validate", str(out)]) == 0
    assert "valid attacks table, 3 rows" in capsys.readouterr().out
    rows = {r["event_id"]: r for r in read_rows(out)}
    assert list(rows) == ["400001", "400002", "400003"]
    assert (rows["400001"]["date_start"], rows["400001"]["date_end"]) == (
        "2021-02-15", "2021-02-15")
    assert (rows["400002"]["date_start"], rows["400002"]["date_end"]) == (
        "2021-03-01", "2021-03-07")
    assert [(r["governorate"], r["region"]) for r in rows.values()] == [
        ("Erbil", "Kurdistan Region"), ("Anbar", "Federal Iraq"),
        ("Salah al-Din", "Federal Iraq")]
    assert rows["400002"]["location"] == "Anbar province, along the highway"
    for row in rows.values():
        assert (row["weapon"], row["target_type"], row["casualties"]) == (
            "unknown", "unknown", "")
    assert "date_prec 3" in rows["400002"]["notes"]
    assert "UCDP deaths: best 2 (low 2, high 3)" in rows["400002"]["notes"]


@pytest.mark.parametrize(("text", "day"), [
    ("2021-02-15", "2021-02-15"), ("2021-02-15 00:00:00.000", "2021-02-15"),
    ("2021-02-15 13:45:00", "2021-02-15"), ("2021-02-15T00:00:00", "2021-02-15"),
    ("2021-02-15 00:00", "2021-02-15")])
def test_accepted_date_forms(tmp_path, text, day):
    source = ged_copy(tmp_path, date_start=text, date_end=text)
    row = next(r for r in read_rows(imported(tmp_path, source)) if r["event_id"] == "400001")
    assert row["date_start"] == row["date_end"] == day


@pytest.mark.parametrize("text", [
    "15/02/2021", "2021-02-30 00:00:00.000", "2021-2-15", "2021-02-15 junk", "",
    "15 February 2021"])
def test_other_dates_exit_2_naming_the_line(tmp_path, capsys, text):
    source = ged_copy(tmp_path, row=1, date_start=text)
    out = tmp_path / "out.csv"
    assert run("ucdp", source, "--out", out) == 2
    assert f"{source}:3: date_start: {text!r}" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "sources.csv").exists()


def test_end_before_start_is_an_error(tmp_path, capsys):
    source = ged_copy(tmp_path, row=2, date_start="2021-04-05", date_end="2021-04-04")
    assert run("ucdp", source, "--out", tmp_path / "out.csv") == 2
    assert f"{source}:4: date_end: '2021-04-04': date_end is before date_start" in (
        capsys.readouterr().err)


def test_missing_column_exits_2_at_line_1(tmp_path, capsys):
    source = ged_copy(tmp_path, drop="date_end")
    out = tmp_path / "out.csv"
    out.write_bytes(b"kept\n")
    assert run("ucdp", source, "--out", out) == 2
    assert f"{source}:1: date_end: '': required column is missing" in capsys.readouterr().err
    assert out.read_bytes() == b"kept\n"


@pytest.mark.parametrize(("adm_1", "governorate"), [
    ("Baghdad governorate", "Baghdad"), ("Erbil province", "Erbil"),
    ("Ninawa governorate", "Nineveh"), ("Al Anbar Province", "Anbar"),
    ("Dahuk governorate", "Duhok"), ("Karbala'", "Karbala"), ("", "")])
def test_adm1_suffix_is_removed_and_spelling_normalised(adm_1, governorate):
    assert ucdp.adm1_governorate(adm_1) == governorate


def test_sources_row_and_identical_reimport(tmp_path):
    out = imported(tmp_path)
    snapshot = out.read_bytes(), (tmp_path / "sources.csv").read_bytes()
    digest = hashlib.sha256(GED.read_bytes()).hexdigest()
    (row,) = read_rows(tmp_path / "sources.csv")
    assert row["source_id"] == f"ucdp-ucdp-ged-{digest[:12]}"
    assert row["title"] == f"UCDP GED file ucdp-ged.csv (sha256 {digest[:12]}…)"
    assert row["publisher"] == "UCDP" and digest in row["notes"] and DAY in row["notes"]
    imported(tmp_path)
    assert (out.read_bytes(), (tmp_path / "sources.csv").read_bytes()) == snapshot
