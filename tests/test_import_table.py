"""`python -m analysis import table`: a user's CSV or .xlsx mapped by a TOML map (headers,
day-first dates, value mappings, unmapped = "unknown"), with errors located in the table
(line, or spreadsheet row) or in the map (map.toml:LINE). Workbooks are made in the tests."""

import csv
import datetime as dt
import tomllib
from pathlib import Path
from textwrap import dedent

import openpyxl
import pytest

from analysis.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "import"
TRACKER, MAP = FIXTURES / "tracker.csv", FIXTURES / "tracker-map.toml"
DAY = "2024-05-01"
HEADER = ["Ref", "Date (from)", "Date (to)", "Province", "Means", "Notes"]
BASE_MAP = """\
[columns]
event_id = "Ref"
date_start = "Date (from)"
date_end = "Date (to)"
governorate = "Province"
weapon = "Means"
notes = "Notes"

[dates]
format = "%d/%m/%Y"
"""
WEAPONS = """
[values.weapon]
Katyusha = "rocket"
UAV = "drone"
"Roadside bomb" = "ied"
"""


def run(*args) -> int:
    return main(["import", *map(str, args)])


def read_rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def write_csv(path: Path, rows: list[list], header=HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerows([header, *rows])
    return path


def write_map(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(dedent(text), encoding="utf-8")
    return path


def workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


SHEET = [
    HEADER,
    ["X-1", dt.datetime(2021, 2, 15), None, "Ninawa", "Katyusha", "typed date"],
    [None] * 6,  # a blank row 3 is skipped and keeps its number
    ["X-2", "16/02/2021", "18/02/2021", "Dohuk", "UAV", "dates as text"],
    [101, dt.datetime(2021, 2, 20), dt.datetime(2021, 2, 21), "Basrah", "rocket",
     "a number as id; a contract value needs no mapping"],
]


def test_csv_with_day_first_dates_and_value_mappings(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert run("table", TRACKER, "--map", MAP, "--out", out, "--imported-on", DAY) == 0
    assert main(["validate", str(out)]) == 0
    assert "valid attacks table, 3 rows" in capsys.readouterr().out
    rows = {r["event_id"]: r for r in read_rows(out)}
    assert {k: rows["TR-001"][k] for k in (
        "date_start", "date_end", "governorate", "region", "weapon", "target_type",
        "casualties")} == {
        "date_start": "2021-02-15", "date_end": "2021-02-15", "governorate": "Erbil",
        "region": "Kurdistan Region", "weapon": "rocket", "target_type": "military_base",
        "casualties": "3"}
    assert (rows["TR-002"]["date_start"], rows["TR-002"]["date_end"]) == (
        "2021-03-01", "2021-03-07")  # day first: 1 March, not 3 January
    assert (rows["TR-002"]["governorate"], rows["TR-002"]["weapon"]) == ("Nineveh", "ied")
    assert (rows["TR-003"]["target_type"], rows["TR-003"]["casualties"]) == ("unknown", "0")
    (source,) = read_rows(tmp_path / "sources.csv")
    assert source["title"].startswith("Tracker table tracker.csv (sha256 ")
    assert source["publisher"] == "" and "tracker-map.toml" in source["notes"]


def test_xlsx_sheet_chosen_with_sheet_option(tmp_path, capsys):
    book = workbook(tmp_path / "tracker.xlsx", {"Readme": [["not the data"]], "Attacks": SHEET})
    out = tmp_path / "out.csv"
    assert run("table", book, "--map", write_map(tmp_path, BASE_MAP + WEAPONS),
               "--sheet", "Attacks", "--out", out, "--imported-on", DAY) == 0
    assert main(["validate", str(out)]) == 0
    rows = {r["event_id"]: r for r in read_rows(out)}
    assert list(rows) == ["X-1", "X-2", "101"]
    assert (rows["X-1"]["date_start"], rows["X-1"]["date_end"]) == ("2021-02-15", "2021-02-15")
    assert (rows["X-2"]["date_start"], rows["X-2"]["date_end"]) == ("2021-02-16", "2021-02-18")
    assert [rows[i]["governorate"] for i in rows] == ["Nineveh", "Duhok", "Basra"]
    assert [rows[i]["weapon"] for i in rows] == ["rocket", "drone", "rocket"]
    assert "Sheet 'Attacks'" in read_rows(tmp_path / "sources.csv")[0]["notes"]


def test_xlsx_first_sheet_by_default(tmp_path):
    book = workbook(tmp_path / "tracker.xlsx", {"Attacks": SHEET, "Other": [["x"]]})
    out = tmp_path / "out.csv"
    assert run("table", book, "--map", write_map(tmp_path, BASE_MAP + WEAPONS),
               "--out", out) == 0
    assert len(read_rows(out)) == 3


def test_xlsx_problems_name_spreadsheet_rows(tmp_path, capsys):
    rows = [row[:] for row in SHEET]
    rows[3][1], rows[4][4] = "31/02/2021", "Mortar"
    rows[1][4] = "Mortar"
    book = workbook(tmp_path / "tracker.xlsx", {"Attacks": rows})
    out = tmp_path / "out.csv"
    assert run("table", book, "--map", write_map(tmp_path, BASE_MAP + WEAPONS),
               "--out", out) == 2
    err = capsys.readouterr().err
    assert (f"{book}:4: Date (from): '31/02/2021': date_start: not a date in the form "
            "%d/%m/%Y") in err
    assert f"{book}:2: Means: 'Mortar': weapon: no mapping" in err
    assert f"{book}:5: Means: 'Mortar': weapon: no mapping" in err
    assert not out.exists() and not (tmp_path / "sources.csv").exists()


def test_unmapped_values_name_every_line(tmp_path, capsys):
    source = write_csv(tmp_path / "t.csv", [
        ["A", "01/02/2021", "", "Erbil", "Mortar", ""],
        ["B", "02/02/2021", "", "Erbil", "Katyusha", ""],
        ["C", "03/02/2021", "", "Erbil", "Mortar", ""],
        ["D", "04/02/2021", "", "Erbil", "Rocket", ""],  # not the contract's "rocket"
    ])
    out = tmp_path / "out.csv"
    assert run("table", source, "--map", write_map(tmp_path, BASE_MAP + WEAPONS),
               "--out", out) == 2
    err = capsys.readouterr().err
    for line, value in ((2, "Mortar"), (4, "Mortar"), (5, "Rocket")):
        assert (f"{source}:{line}: Means: {value!r}: weapon: no mapping for this value in "
                "[values.weapon] of map.toml") in err
    assert f"{source}:3:" not in err
    assert not out.exists()


def test_enum_column_without_a_table_needs_contract_values(tmp_path, capsys):
    source = write_csv(tmp_path / "t.csv", [["A", "01/02/2021", "", "", "rocket", ""],
                                            ["B", "01/02/2021", "", "", "RPG", ""]])
    assert run("table", source, "--map", write_map(tmp_path, BASE_MAP),
               "--out", tmp_path / "out.csv") == 2
    assert (f"{source}:3: Means: 'RPG': weapon: not one of: rocket, ied, drone, other, "
            "unknown; map it in [values.weapon]") in capsys.readouterr().err


@pytest.mark.parametrize("where", ["top", "column"])
def test_unmapped_unknown(tmp_path, capsys, where):
    source = write_csv(tmp_path / "t.csv", [["A", "01/02/2021", "", "Ninawa", "Mortar", ""],
                                            ["B", "02/02/2021", "", "Erbil", "UAV", ""]])
    text = BASE_MAP + WEAPONS + '\n[values.governorate]\nNinawa = "Nineveh"\n'
    if where == "top":
        text = 'unmapped = "unknown"\n' + text
    else:
        text = text.replace("[values.weapon]\n", '[values.weapon]\nunmapped = "unknown"\n')
    out = tmp_path / "out.csv"
    assert run("table", source, "--map", write_map(tmp_path, text), "--out", out) == (
        0 if where == "top" else 2)
    if where == "top":  # every column: Erbil has no mapping either, so it becomes blank
        assert [(r["weapon"], r["governorate"]) for r in read_rows(out)] == [
            ("unknown", "Nineveh"), ("drone", "")]
    else:  # weapon only: Mortar is unknown, but the governorate table is still strict
        err = capsys.readouterr().err
        assert f"{source}:3: Province: 'Erbil': governorate: no mapping" in err
        assert "Mortar" not in err


def test_iso_dates_by_default_and_blank_end(tmp_path, capsys):
    source = write_csv(tmp_path / "t.csv", [["A", "2021-02-01", "", "", "", ""],
                                            ["B", "01/02/2021", "", "", "", ""]])
    text = BASE_MAP.replace('[dates]\nformat = "%d/%m/%Y"\n', "")
    assert run("table", source, "--map", write_map(tmp_path, text),
               "--out", tmp_path / "out.csv") == 2
    err = capsys.readouterr().err
    assert f"{source}:3: Date (from): '01/02/2021': date_start: not a date in the form " \
           "YYYY-MM-DD" in err
    assert f"{source}:2:" not in err


def test_row_problems_all_at_once(tmp_path, capsys):
    source = write_csv(tmp_path / "t.csv", [
        ["A", "", "", "", "", ""], ["A", "05/02/2021", "04/02/2021", "", "", ""],
        ["", "05/02/2021", "", "", "", ""]])
    assert run("table", source, "--map", write_map(tmp_path, BASE_MAP),
               "--out", tmp_path / "out.csv") == 2
    err = capsys.readouterr().err
    assert f"{source}:2: Date (from): '': date_start: required value is missing" in err
    assert f"{source}:3: Date (to): '04/02/2021': date_end: date_end is before date_start" in err
    assert f"{source}:3: Ref: 'A': duplicate value; must be unique (first on line 2)" in err
    assert f"{source}:4: Ref: '': required value is missing" in err


# Map errors are located in the map file, at the line of the key (or its table).
@pytest.mark.parametrize(("text", "expected"), [
    (BASE_MAP.replace('weapon = "Means"', 'weapons = "Means"'),
     ":6: columns.weapons: 'weapons': not a column the map can fill"),
    (BASE_MAP.replace('weapon = "Means"', 'weapon = "Weapon"'),
     ":6: columns.weapon: 'Weapon': no column with this header in t.csv; its headers are: "
     "Ref, Date (from)"),
    (BASE_MAP.replace('event_id = "Ref"\n', 'event_id = "Ref\n'), ":2: -: '': not valid TOML"),
    ('columns = 3\n[dates]\nformat = "%Y"\n', ":1: columns: '3': must be a table: [columns]"),
    (BASE_MAP + '\n[values.weapon]\nKatyusha = "rockets"\n',
     ":13: values.weapon: 'rockets': not one of: rocket, ied, drone, other, unknown"),
    (BASE_MAP.replace('event_id = "Ref"\n', ""), ":1: columns: '': event_id must be mapped"),
    (BASE_MAP.replace("%d/%m/%Y", "%d/%m"), ":10: dates.format: '%d/%m': not a date format"),
    (BASE_MAP.replace("[columns]", "[colums]"), ":1: colums: '': unknown key"),
    (BASE_MAP + '\n[values.weapons]\nx = "y"\n', ":12: values.weapons: 'weapons': not a column"),
    (BASE_MAP + '\n[values.target]\nx = "y"\n',
     ":12: values.target: 'target': this column is not mapped in [columns]"),
    ('unmapped = "skip"\n' + BASE_MAP, ":1: unmapped: 'skip': the only setting is"),
    (BASE_MAP + '\n[values.weapon]\nunmapped = "blank"\n',
     ":13: values.weapon.unmapped: 'blank': the only setting is"),
    (BASE_MAP.replace('notes = "Notes"', 'quote = "Notes"'),
     ":7: columns.quote: 'quote': not a column the map can fill"),
])
def test_map_errors_are_located_in_the_map(tmp_path, capsys, text, expected):
    source = write_csv(tmp_path / "t.csv", [["A", "01/02/2021", "", "", "", ""]])
    map_path = write_map(tmp_path, text)
    out = tmp_path / "out.csv"
    assert run("table", source, "--map", map_path, "--out", out) == 2
    assert f"{map_path}{expected}" in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "sources.csv").exists()


@pytest.mark.parametrize(("args", "expected"), [
    (["table", TRACKER], "--map: '': format 'table' needs --map"),
    (["acled", TRACKER, "--map", MAP], "--map:"),
    (["table", TRACKER, "--map", MAP, "--sheet", "Attacks"], "--sheet: 'Attacks': only for"),
    (["table", TRACKER, "--map", FIXTURES / "absent.toml"], "map file does not exist"),
])
def test_option_errors_exit_2(tmp_path, capsys, args, expected):
    assert run(*args, "--out", tmp_path / "out.csv") == 2
    assert expected in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_unknown_sheet_is_refused(tmp_path, capsys):
    book = workbook(tmp_path / "t.xlsx", {"Attacks": SHEET})
    assert run("table", book, "--map", write_map(tmp_path, BASE_MAP), "--sheet", "Nope",
               "--out", tmp_path / "out.csv") == 2
    assert "--sheet: 'Nope': no such sheet in t.xlsx; its sheets are: Attacks" in (
        capsys.readouterr().err)


def test_reimport_is_byte_identical(tmp_path):
    out = tmp_path / "out.csv"
    args = ("table", TRACKER, "--map", MAP, "--out", out, "--imported-on", DAY)
    assert run(*args) == 0
    snapshot = out.read_bytes(), (tmp_path / "sources.csv").read_bytes()
    assert run(*args) == 0
    assert (out.read_bytes(), (tmp_path / "sources.csv").read_bytes()) == snapshot


def test_openpyxl_is_a_declared_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "openpyxl>=3.1" in project["project"]["dependencies"]
