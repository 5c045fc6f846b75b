"""A spreadsheet cell is read as the user sees it, or refused: a formula saved without its
value, an error value and a merged range each give Sheet!CELL, the row and what to do,
exit 2, and nothing is written. Workbooks are made with openpyxl here."""

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from analysis.cli import main

MAP = """\
[columns]
event_id = "Ref"
date_start = "Date (from)"
date_end = "Date (to)"
governorate = "Province"
notes = "Notes"

[dates]
format = "%d/%m/%Y"
"""
HEADER = ["Ref", "Date (from)", "Date (to)", "Province", "Notes"]
ROWS = [["A-1", dt.datetime(2021, 2, 15), None, "Erbil", "first"],
        ["A-2", dt.datetime(2021, 2, 16), None, "Baghdad", "second"],
        ["A-3", dt.datetime(2021, 2, 17), None, "Baghdad", "third"]]


def workbook(tmp_path: Path, change=None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Attacks"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    if change:
        change(sheet)
    path = tmp_path / "tracker.xlsx"
    book.save(path)
    (tmp_path / "map.toml").write_text(MAP, encoding="utf-8")
    return path


def run(tmp_path: Path, source: Path) -> int:
    return main(["import", "table", str(source), "--map", str(tmp_path / "map.toml"),
                 "--out", str(tmp_path / "out.csv")])


def test_a_plain_workbook_is_imported(tmp_path):
    assert run(tmp_path, workbook(tmp_path)) == 0


def test_a_formula_without_its_saved_value_is_refused(tmp_path, capsys):
    def formula(sheet):
        sheet["C3"] = "=B3+2"  # written by a program: no value saved with it

    source = workbook(tmp_path, formula)
    assert run(tmp_path, source) == 2
    err = capsys.readouterr().err
    assert (f"{source}:3: Date (to): '=B3+2': Attacks!C3: a formula saved without its "
            "value") in err
    assert "open and save the workbook in Excel" in err
    assert not (tmp_path / "out.csv").exists()


@pytest.mark.parametrize("error", ["#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?"])
def test_an_error_value_is_refused(tmp_path, capsys, error):
    def broken(sheet):
        sheet["D4"] = error

    source = workbook(tmp_path, broken)
    assert run(tmp_path, source) == 2
    err = capsys.readouterr().err
    assert f"{source}:4: Province: {error!r}: Attacks!D4: the cell shows an error" in err
    assert not (tmp_path / "out.csv").exists()


def test_a_merged_range_is_refused(tmp_path, capsys):
    def merged(sheet):
        sheet["D4"] = None
        sheet.merge_cells("D3:D4")

    source = workbook(tmp_path, merged)
    assert run(tmp_path, source) == 2
    err = capsys.readouterr().err
    assert f"{source}:3: Province: 'Baghdad': Attacks!D3:D4: merged cells" in err
    assert "unmerge the cells" in err


def test_every_hidden_value_is_reported_at_once(tmp_path, capsys):
    def several(sheet):
        sheet["C2"] = "=B2+1"
        sheet["D3"] = "#REF!"
        sheet.merge_cells("E3:E4")

    assert run(tmp_path, workbook(tmp_path, several)) == 2
    err = capsys.readouterr().err
    assert all(cell in err for cell in ("Attacks!C2", "Attacks!D3", "Attacks!E3:E4"))
