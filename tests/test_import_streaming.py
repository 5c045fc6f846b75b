"""Imports stream their input a chunk of rows at a time: the output does not depend on
the chunk size, problems keep their exact physical lines (quoted line breaks and blank
lines counted) across chunks, and a flood of problems is capped with a count of the
rest."""

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis.cli import main
from analysis.inputs import load
from analysis.inputs.importers import reading

FIXTURES = Path(__file__).parent / "fixtures"
CURRENT = FIXTURES / "import" / "acled-current.csv"
MIXED = FIXTURES / "select" / "acled-mixed.csv"
DAY = "2024-05-01"


def run(*args) -> int:
    return main(["import", *map(str, args), "--imported-on", DAY])


@pytest.mark.parametrize("select", [[], ["--select"]])
def test_the_output_does_not_depend_on_the_chunk_size(tmp_path, monkeypatch, select):
    outputs = []
    for rows in (reading.CHUNK_ROWS, 50, 7):
        monkeypatch.setattr(reading, "CHUNK_ROWS", rows)
        folder = tmp_path / str(rows)
        folder.mkdir()
        assert run("acled", MIXED, "--out", folder / "a.csv", *select) == 0
        outputs.append(((folder / "a.csv").read_bytes(), (folder / "sources.csv").read_bytes()))
    assert outputs[0] == outputs[1] == outputs[2]


def rows_of(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as fh:
        return list(csv.reader(fh))


def test_problems_keep_their_physical_lines_across_chunks(tmp_path, monkeypatch, capsys):
    header, *rows = rows_of(CURRENT)
    at = header.index("event_date")
    text = ",".join(header) + "\n"
    line, expected = 2, []
    for i in range(40):
        row = list(rows[i % len(rows)])
        row[0] = f"IRQ{i:05d}"
        if i % 9 == 4:
            row[at] = "2021-02-30"
            expected.append(line)
        cells = [f'"{c}"' if ("\n" in c or "," in c) else c for c in row]
        text += ",".join(cells) + "\n"
        line += 1 + row[header.index("notes")].count("\n")
        if i % 5 == 0:
            text += "\n  \n"  # blank lines: skipped, and counted
            line += 2
    source = tmp_path / "long.csv"
    source.write_text(text, encoding="utf-8")
    monkeypatch.setattr(reading, "CHUNK_ROWS", 3)
    assert run("acled", source, "--out", tmp_path / "a.csv") == 2
    err = capsys.readouterr().err
    found = [int(e.split(":")[1]) for e in err.splitlines()]
    assert found == expected


def test_a_repeated_id_names_the_line_of_its_first_row_in_another_chunk(tmp_path,
                                                                          monkeypatch,
                                                                          capsys):
    header, *rows = rows_of(CURRENT)
    rows[5][0] = rows[0][0]
    source = tmp_path / "dup.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *rows])
    monkeypatch.setattr(reading, "CHUNK_ROWS", 2)
    assert run("acled", source, "--out", tmp_path / "a.csv") == 2
    lines = load.record_lines(source)
    assert (f"{source}:{lines[6]}: event_id_cnty: {rows[0][0]!r}: duplicate value; must be "
            f"unique (first on line {lines[1]})") in capsys.readouterr().err


def test_a_flood_of_problems_is_capped_and_the_rest_counted(tmp_path, monkeypatch, capsys):
    header, *rows = rows_of(CURRENT)
    at = header.index("time_precision")
    many = []
    for i in range(30):
        row = list(rows[0])
        row[0], row[at] = f"IRQ{i:05d}", "9"
        many.append(row)
    source = tmp_path / "bad.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows([header, *many])
    monkeypatch.setattr(reading, "MAX_PROBLEMS", 10)
    monkeypatch.setattr(reading, "CHUNK_ROWS", 4)
    assert run("acled", source, "--out", tmp_path / "a.csv") == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 11
    assert "30 problems in all: the first 10 by line are listed, 20 more are not" in err[0]
    assert [int(e.split(":")[1]) for e in err[1:]] == list(range(2, 12))


# ---------------------------------------------------------------------------------------
# Record lines, vectorised, against the csv module's


@pytest.mark.parametrize("text", [
    'a,b\n1,2\n',
    'a,b\n1,"x\ny"\n\n3,4',
    'a,b\r\n1,"x\r\ny"\r\n \t\r\n3,4\r\n',
    'a,b\n"q""uote",2\n"",""\n',
    'a,b\n1,ab"c\n2,3\n',  # a quote inside an unquoted field: read record by record
    'a,b\n"x"y,1\n2,3\n',
    'a\n1\n\n   \n2\n',
    'a,b\n1,"unterminated\n2,3\n',
])
def test_record_starts_agree_with_the_csv_module(tmp_path, text):
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode())
    assert reading.record_starts(path).tolist() == load.record_lines(path).tolist()


cells = st.lists(st.sampled_from(["a", " ", ",", '"', "\n", "\r\n", "é"]),
                 max_size=6).map("".join)


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.lists(cells, min_size=2, max_size=2), max_size=12),
       blank=st.lists(st.booleans(), max_size=12), block=st.integers(1, 40))
def test_record_starts_agree_on_any_file_and_block(tmp_path_factory, rows, blank, block):
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["a", "b"])
    for row, empty in zip(rows, blank + [False] * len(rows), strict=False):
        writer.writerow(row)
        if empty:
            buffer.write("\n")
    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_bytes(buffer.getvalue().encode())
    assert (reading.record_starts(path, block_bytes=block).tolist()
            == load.record_lines(path).tolist())


def test_per_unique_calls_once_per_distinct_value():
    calls = []
    values = reading.per_unique(lambda v: calls.append(v) or v.upper(), ["a", "b", "a", "a"])
    assert values.tolist() == ["A", "B", "A", "A"] and calls == ["a", "b"]
    assert reading.per_unique(lambda a, b: a + b, ["x", "x"], ["1", "2"]).tolist() == [
        "x1", "x2"]
    assert len(reading.per_unique(str, np.empty(0, dtype=object))) == 0
