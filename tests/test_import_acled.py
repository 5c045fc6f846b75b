"""`python -m analysis import acled`: both ACLED layouts, the time_precision windows, the
weapon and target rules, governorate spellings, provenance, and the all-or-nothing
writing shared by every importer. The fixtures are invented rows in ACLED's layouts."""

import csv
import hashlib
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import config, files
from analysis.cli import main
from analysis.counting.frequency import window_counts
from analysis.inputs import contract
from analysis.inputs.importers import acled, common, reading
from analysis.inputs.load import load_attacks

FIXTURES = Path(__file__).parent / "fixtures" / "import"
CURRENT, OLDER = FIXTURES / "acled-current.csv", FIXTURES / "acled-older.csv"
CODEBOOK = Path(__file__).resolve().parents[1] / "data" / "importers.md"
DAY = "2024-05-01"


def run(*args) -> int:
    return main(["import", *map(str, args)])


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def by_id(path: Path) -> dict[str, dict]:
    return {row["event_id"]: row for row in read_rows(path)}


def write_rows(path: Path, header: list[str], rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def acled_file(tmp_path: Path, *rows: dict, name: str = "acled.csv") -> Path:
    """An ACLED export in the current layout with the given cells; others filled in."""
    header = next(csv.reader(CURRENT.open(encoding="utf-8")))
    base = dict.fromkeys(header, "") | {
        "country": "Iraq", "admin1": "Baghdad", "location": "Baghdad", "fatalities": "0",
        "sub_event_type": "Attack", "time_precision": "1", "event_date": "2021-02-15"}
    full = [base | {"event_id_cnty": f"IRQ7000{i}"} | row for i, row in enumerate(rows)]
    return write_rows(tmp_path / name, header, full)


def imported(tmp_path: Path, source: Path, name: str = "out.csv") -> Path:
    out = tmp_path / name
    assert run("acled", source, "--out", out, "--imported-on", DAY) == 0
    return out


# ---------------------------------------------------------------------------------------
# Layouts and rows


def test_current_layout_is_imported_and_validates(tmp_path, capsys):
    out = imported(tmp_path, CURRENT)
    assert main(["validate", str(out)]) == 0
    assert "valid attacks table, 7 rows" in capsys.readouterr().out
    rows = by_id(out)
    assert rows["IRQ90001"] | {"notes": ""} == {
        "event_id": "IRQ90001", "date_start": "2021-02-15", "date_end": "2021-02-15",
        "location": "Erbil", "governorate": "Erbil", "region": "Kurdistan Region",
        "target_type": "military_base", "target": "", "weapon": "rocket", "munitions": "",
        "casualties": "", "source_id": rows["IRQ90001"]["source_id"], "quote": "",
        "notes": "", "selection": "unselected", "selection_reason": ""}
    assert rows["IRQ90002"]["governorate"] == "Qadisiyah"
    assert (rows["IRQ90002"]["weapon"], rows["IRQ90002"]["target_type"]) == (
        "ied", "logistics_convoy")
    assert rows["IRQ90007"]["weapon"] == "unknown"  # rockets and mortars: the rules disagree
    assert [r["event_id"] for r in read_rows(out)] == [
        "IRQ90006", "IRQ90003", "IRQ90005", "IRQ90002", "IRQ90001", "IRQ90007", "IRQ90004"]


def test_older_layout_with_long_dates_is_imported_and_validates(tmp_path, capsys):
    out = imported(tmp_path, OLDER)
    assert main(["validate", str(out)]) == 0
    assert "valid attacks table, 4 rows" in capsys.readouterr().out
    rows = by_id(out)
    assert rows["IRQ80001"]["date_start"] == rows["IRQ80001"]["date_end"] == "2021-02-15"
    assert (rows["IRQ80002"]["date_start"], rows["IRQ80002"]["date_end"]) == (
        "2021-02-28", "2021-03-06")
    assert [rows[i]["governorate"] for i in ("IRQ80001", "IRQ80002", "IRQ80003")] == [
        "Salah al-Din", "Dhi Qar", "Sulaymaniyah"]
    assert rows["IRQ80003"]["region"] == "Kurdistan Region"
    assert rows["IRQ80004"]["weapon"] == "other"  # Grenade


@pytest.mark.parametrize(("source", "words"), [
    (CURRENT, "the current ACLED columns"), (OLDER, "the older ACLED columns")])
def test_sources_row_names_the_layout(tmp_path, source, words):
    imported(tmp_path, source)
    assert words in read_rows(tmp_path / "sources.csv")[0]["notes"]


@pytest.mark.parametrize(("code", "event_date", "start", "end"), [
    ("1", "2021-02-15", "2021-02-15", "2021-02-15"),
    ("2", "2021-02-17", "2021-02-14", "2021-02-20"),
    ("2", "2021-01-02", "2020-12-30", "2021-01-05"),
    ("3", "2021-01-15", "2021-01-01", "2021-01-31"),  # 31 days
    ("3", "2021-04-15", "2021-04-01", "2021-04-30"),  # 30 days
    ("3", "2021-02-15", "2021-02-01", "2021-02-28"),  # 28 days
    ("3", "2020-02-29", "2020-02-01", "2020-02-29"),  # 29 days, leap year
    ("3", "2021-12-01", "2021-12-01", "2021-12-31"),  # "beginning of the month"
])
def test_each_precision_code_gives_the_documented_window(tmp_path, code, event_date, start,
                                                         end):
    source = acled_file(tmp_path, {"time_precision": code, "event_date": event_date})
    (row,) = read_rows(imported(tmp_path, source))
    assert (row["date_start"], row["date_end"]) == (start, end)
    assert f"time_precision {code}: {acled.PRECISION[code][0]}" in row["notes"]


@pytest.mark.parametrize(("text", "day"), [
    ("15 February 2021", "2021-02-15"), ("5 February 2021", "2021-02-05"),
    ("05 february 2021", "2021-02-05"), ("2021-02-15", "2021-02-15")])
def test_event_date_forms(tmp_path, text, day):
    (row,) = read_rows(imported(tmp_path, acled_file(tmp_path, {"event_date": text})))
    assert row["date_start"] == day


def test_fatalities_go_to_notes_not_casualties(tmp_path):
    source = acled_file(tmp_path, {"fatalities": "4"}, {"fatalities": "0"})
    rows = read_rows(imported(tmp_path, source))
    assert [r["casualties"] for r in rows] == ["", ""]
    assert "ACLED fatalities: 4." in rows[0]["notes"]
    assert "ACLED fatalities: 0 (ACLED writes 0 when no deaths are reported)" in rows[1]["notes"]


def test_other_countries_keep_their_admin1_with_unknown_region(tmp_path):
    source = acled_file(tmp_path, {"country": "Syria", "admin1": "Deir ez Zor"})
    (row,) = read_rows(imported(tmp_path, source))
    assert (row["governorate"], row["region"]) == ("Deir ez Zor", "unknown")
    assert "country Syria" in row["notes"]


# ---------------------------------------------------------------------------------------
# Rules and spellings


@pytest.mark.parametrize(("sub_event_type", "notes", "weapon", "target_type"), [
    ("Remote explosive/landmine/IED", "A roadside bomb went off.", "ied", "unknown"),
    ("Air/drone strike", "A drone hit Ain al-Asad airbase.", "drone", "military_base"),
    ("Air/drone strike", "A UAV struck.", "drone", "unknown"),
    ("Air/drone strike", "An airstrike hit a position.", "unknown", "unknown"),
    ("Shelling/artillery/missile attack", "Katyusha rockets hit the embassy.", "rocket",
     "diplomatic_facility"),
    ("Shelling/artillery/missile attack", "Shells fell near the town.", "unknown", "unknown"),
    ("Shelling/artillery/missile attack", "Mortars were fired.", "other", "unknown"),
    ("Shelling/artillery/missile attack", "Rockets and mortars hit Camp Taji.", "unknown",
     "military_base"),
    ("Armed clash", "Fighters fired a rocket-propelled grenade at a convoy.", "unknown",
     "logistics_convoy"),
    ("Grenade", "A grenade was thrown at the consulate.", "other", "diplomatic_facility"),
    ("Suicide bomb", "A bomber struck a base.", "unknown", "military_base"),
    ("Attack", "Gunmen raided an IDP camp.", "unknown", "unknown"),
    ("Attack", "A convoy heading to the base was hit.", "unknown", "unknown"),
])
def test_weapon_and_target_rules(sub_event_type, notes, weapon, target_type):
    assert acled.derive("weapon", sub_event_type, notes) == weapon
    assert acled.derive("target_type", sub_event_type, notes) == target_type


@pytest.mark.parametrize(("raw", "name", "region"), [
    ("Al Anbar", "Anbar", "Federal Iraq"), ("Salah al Din", "Salah al-Din", "Federal Iraq"),
    ("Salah ad Din", "Salah al-Din", "Federal Iraq"), ("Ninewa", "Nineveh", "Federal Iraq"),
    ("Dohuk", "Duhok", "Kurdistan Region"), ("Sulaimaniya", "Sulaymaniyah", "Kurdistan Region"),
    ("Sulaymaniyah", "Sulaymaniyah", "Kurdistan Region"), ("Thi-Qar", "Dhi Qar", "Federal Iraq"),
    ("Dhi-Qar", "Dhi Qar", "Federal Iraq"), ("Al-Qadissiya", "Qadisiyah", "Federal Iraq"),
    ("Qadissiya", "Qadisiyah", "Federal Iraq"), ("Babylon", "Babil", "Federal Iraq"),
    ("Basrah", "Basra", "Federal Iraq"), ("Missan", "Maysan", "Federal Iraq"),
    ("Muthanna", "Muthanna", "Federal Iraq"), ("Kerbala", "Karbala", "Federal Iraq"),
    ("Wassit", "Wasit", "Federal Iraq"), ("  ERBIL ", "Erbil", "Kurdistan Region"),
    ("Halabja", "Halabja", "Kurdistan Region"), ("Kirkuk", "Kirkuk", "Federal Iraq"),
    ("Atlantis", "Atlantis", "unknown"), ("", "", "unknown"),
])
def test_governorate_spellings_and_regions(raw, name, region):
    assert common.governorate(raw) == name
    assert common.region(name) == region


def test_no_spelling_names_two_governorates():
    keys = [common.spelling_key(v) for name, others in common.GOVERNORATES.items()
            for v in {common.spelling_key(s) for s in (name, *others)}]
    assert len(keys) == len(set(keys))


# ---------------------------------------------------------------------------------------
# The codebook shows the same tables as the code


def codebook_table(heading: str) -> list[list[str]]:
    section = CODEBOOK.read_text(encoding="utf-8").split(heading, 1)[1]
    section = re.split(r"\n##+ ", section, maxsplit=1)[0]
    rows = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows]


def words(cell: str) -> tuple[str, ...]:
    return () if cell in ("", "(no condition)") else tuple(cell.split(", "))


def test_codebook_rules_table_is_the_code_table():
    table = [acled.Rule(column.strip("`"), "*" if sub == "any" else sub, words(mentions),
                        words(unless), value.strip("`"))
             for column, sub, mentions, unless, value in
             codebook_table("### ACLED weapon and target rules")]
    assert tuple(table) == acled.RULES


def test_codebook_governorate_table_is_the_code_table():
    table = {name: (region, words(others))
             for name, region, others in codebook_table("## Governorate spellings")}
    assert table == {name: (common.region(name), others)
                     for name, others in common.GOVERNORATES.items()}


def test_codebook_precision_table_has_every_code():
    codes = [row[0] for row in codebook_table("### ACLED time_precision")]
    assert codes == list(acled.PRECISION)


@pytest.mark.parametrize("heading", ["## `acled`", "## `ucdp`", "## `table`"])
def test_codebook_maps_every_contract_column(heading):
    columns = [row[0].strip("`") for row in codebook_table(heading)
               if row[0].startswith("`")]
    assert columns == contract.column_names(contract.ATTACKS)


# ---------------------------------------------------------------------------------------
# Bad input: every problem, located, and nothing written


def broken_copy(tmp_path: Path, row: int, **cells) -> Path:
    rows = read_rows(CURRENT)
    rows[row].update(cells)
    return write_rows(tmp_path / "broken.csv", list(rows[0]), rows)


def assert_nothing_written(tmp_path: Path, out: Path, before: bytes | None = None):
    assert (out.read_bytes() if out.exists() else None) == before
    assert not (tmp_path / "sources.csv").exists()
    # The folder's lock file stays (see files.folder_lock); nothing else hidden does.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")
            and p.name != files.LOCK_NAME] == []


@pytest.mark.parametrize(("column", "value"), [
    ("event_date", "2021-02-30"), ("event_date", "15-February-2021"),
    ("event_date", "15/02/2021"), ("event_date", ""), ("time_precision", "4"),
    ("time_precision", ""), ("time_precision", "x"), ("time_precision", "1.0"),
    ("fatalities", "several"), ("event_id_cnty", "IRQ90001"),
])
def test_bad_cell_exits_2_naming_file_and_line(tmp_path, capsys, column, value):
    # Row 3 starts on line 5: row 2's notes hold a quoted line break.
    source = broken_copy(tmp_path, 2, **{column: value})
    out = tmp_path / "out.csv"
    assert run("acled", source, "--out", out) == 2
    assert f"{source}:5: {column}: {value!r}" in capsys.readouterr().err
    assert_nothing_written(tmp_path, out)


def test_missing_column_exits_2_at_line_1_and_keeps_an_existing_out(tmp_path, capsys):
    rows = read_rows(CURRENT)
    header = [c for c in rows[0] if c != "time_precision"]
    source = write_rows(tmp_path / "no-precision.csv", header,
                        [{c: r[c] for c in header} for r in rows])
    out = tmp_path / "out.csv"
    out.write_bytes(b"old contents\n")
    assert run("acled", source, "--out", out) == 2
    assert f"{source}:1: time_precision: '': required column is missing" in (
        capsys.readouterr().err)
    assert_nothing_written(tmp_path, out, b"old contents\n")


def test_every_problem_is_reported_at_once(tmp_path, capsys):
    rows = read_rows(CURRENT)
    rows[0]["time_precision"], rows[3]["event_date"] = "5", "April 2021"
    source = write_rows(tmp_path / "two.csv", list(rows[0]), rows)
    assert run("acled", source, "--out", tmp_path / "out.csv") == 2
    err = capsys.readouterr().err
    assert f"{source}:2: time_precision: '5'" in err
    assert f"{source}:6: event_date: 'April 2021'" in err


def test_bad_import_date_is_refused(tmp_path, capsys):
    assert run("acled", CURRENT, "--out", tmp_path / "o.csv", "--imported-on", "2024-02-30") == 2
    assert "--imported-on" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------
# Provenance and reproducibility


def test_sources_row_records_the_file(tmp_path):
    out = imported(tmp_path, CURRENT)
    digest = hashlib.sha256(CURRENT.read_bytes()).hexdigest()
    (row,) = read_rows(tmp_path / "sources.csv")
    assert list(row) == contract.column_names(contract.SOURCES)
    assert row["source_id"] == f"acled-acled-current-{digest[:12]}"
    assert row["title"] == f"ACLED export acled-current.csv (sha256 {digest[:12]}…)"
    assert (row["path"], row["publisher"], row["url"]) == ("", "ACLED", "")
    assert all(part in row["notes"] for part in ("acled-current.csv", digest, DAY))
    assert {(r["source_id"], r["quote"]) for r in read_rows(out)} == {(row["source_id"], "")}


def test_update_replaces_its_row_and_keeps_the_others(dataset, capsys):
    before = read_rows(dataset / "sources.csv")
    out = imported(dataset, CURRENT, "imported.csv")
    assert run("acled", CURRENT, "--out", out, "--imported-on", "2024-06-01") == 0
    after = read_rows(dataset / "sources.csv")
    assert len(after) == len(before) + 1
    for old, new in zip(before, after, strict=False):
        assert {k: v for k, v in new.items() if k in old} == old
    assert "2024-06-01" in after[-1]["notes"] and DAY not in after[-1]["notes"]
    assert main(["validate", str(dataset / "attacks.csv"), str(out)]) == 0
    assert capsys.readouterr().out.count("valid attacks table") == 2


def test_an_invalid_sources_table_stops_the_import(tmp_path, capsys):
    (tmp_path / "sources.csv").write_text("source_id,path,title\n,,Untitled\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    assert run("acled", CURRENT, "--out", out) == 2
    assert f"{tmp_path / 'sources.csv'}:2: source_id" in capsys.readouterr().err
    assert not out.exists()


def test_columns_outside_the_contract_are_kept(tmp_path):
    (tmp_path / "sources.csv").write_text("source_id,path,title,comment\nother,,Other,keep me\n",
                                          encoding="utf-8")
    imported(tmp_path, CURRENT)
    rows = read_rows(tmp_path / "sources.csv")
    assert list(rows[0]) == [*contract.column_names(contract.SOURCES), "comment"]
    assert (rows[0]["source_id"], rows[0]["title"], rows[0]["comment"]) == (
        "other", "Other", "keep me")
    assert rows[1]["comment"] == ""


def test_out_folder_must_exist(tmp_path, capsys):
    assert run("acled", CURRENT, "--out", tmp_path / "absent" / "out.csv") == 2
    assert "--out" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_same_file_and_date_give_identical_bytes(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    out_a, out_b = imported(first, CURRENT), imported(second, CURRENT)
    assert out_a.read_bytes() == out_b.read_bytes()
    assert (first / "sources.csv").read_bytes() == (second / "sources.csv").read_bytes()
    snapshot = out_a.read_bytes(), (first / "sources.csv").read_bytes()
    imported(first, CURRENT)
    assert (out_a.read_bytes(), (first / "sources.csv").read_bytes()) == snapshot
    assert b"\r\n" not in out_a.read_bytes()


# ---------------------------------------------------------------------------------------
# End to end: counts of an import follow from the documented windows


@pytest.mark.parametrize(("start", "end", "exact", "minimum", "maximum", "expected"), [
    # IRQ90001 (15 Feb), IRQ90002 (14-20 Feb, 3 of 7 days in), IRQ90005 (Feb, 7 of 28).
    ("2021-02-10", "2021-02-16", 1, 1, 3, 1 + 3 / 7 + 7 / 28),
    # The whole of February 2021 holds those three windows whole.
    ("2021-02-01", "2021-02-28", 1, 3, 3, 3.0),
    # IRQ90003 (Jan, 12 of 31 days), IRQ90005 (14 of 28), IRQ90002 (1 of 7).
    ("2021-01-20", "2021-02-14", 0, 0, 3, 12 / 31 + 14 / 28 + 1 / 7),
    # February 2020 (leap): IRQ90006 alone.
    ("2020-02-01", "2020-02-29", 0, 1, 1, 1.0),
])
def test_frequency_counts_of_an_import(tmp_path, start, end, exact, minimum, maximum,
                                       expected):
    table = load_attacks(imported(tmp_path, CURRENT))
    counts = window_counts(table, start, end)
    assert (counts["exact"], counts["min"], counts["max"]) == (exact, minimum, maximum)
    assert counts["expected"] == pytest.approx(expected)


@pytest.mark.slow
def test_a_build_from_an_import_agrees_with_the_frequency_contract(tmp_path):
    """The rest just works: an ACLED import builds a brief, with the default workers,
    whose numbers are the contract's numbers on the imported rows."""
    import json
    import subprocess
    import sys

    out = imported(tmp_path, FIXTURES / "acled-current.csv")
    table = load_attacks(out)
    end = table["date_end"].max().strftime("%Y-%m-%d")
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "build", "--briefs", str(config.BRIEFS_TOML),
         "--data", str(out), "--sources",
         str(out.parent / "sources.csv"), "--claims", "", "--context", "", "--as-of", end,
         "--out", str(tmp_path / "reports")], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    summary = json.loads((tmp_path / "reports" / "since-2019" / "summary.json").read_text())
    expected = window_counts(table, "2019-01-01", end)
    assert (summary["attacks_min"], summary["attacks_max"]) == (expected["min"],
                                                                 expected["max"])
    assert summary["attacks_expected"] == pytest.approx(expected["expected"], abs=1e-6)
    assert any(title.startswith("ACLED export") for title in summary["sources"])


texts = st.lists(st.sampled_from(["rocket", "Rockets", "-", " ", "rocket-propelled", "x",
                                  "ROCKET", "é", "\n", "bases", "base", ","]),
                 max_size=8).map("".join)


@settings(max_examples=200, deadline=None)
@given(notes=st.lists(texts, max_size=6))
def test_word_search_over_joined_notes_is_the_regular_expression(notes):
    """The rules look for words in all notes at once; row by row, a regular expression
    gives the same answer."""
    words = ("rocket", "rockets", "base")
    pattern = reading.words_pattern(words)
    series = pd.Series(notes, dtype=object)
    assert reading.mentions(series, words).tolist() == [bool(pattern.search(n)) for n in notes]
