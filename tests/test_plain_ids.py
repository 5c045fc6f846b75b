"""Ids are plain text on one line: the contract refuses a control character, a line break
or a direction control in any id column, located at its line with the value escaped."""

import csv
from pathlib import Path

import pandas as pd
import pytest

from analysis.cli import main
from analysis.exceptions import DataError
from analysis.inputs import contract, load, match

BAD = ["a\nb", "a\r\nb", "a\rb", "tab\there", "nul\x00x", "del\x7fx", "nel\x85x",
       "line\u2028sep", "para\u2029sep", "over\u202eride", "iso\u2066late\u2069", "mark\u200f",
       "\n<style>body{display:none}</style>"]
GOOD = ["USIRQ-2021-001", "<img src=x onerror=alert(1)> `x` *y*", "حادثة-١", "a b",
        "zero\u200bwidth", "non\u00a0breaking", "🚀"]

# The smallest valid row of each table, and its id columns.
ROWS = {
    "attacks": {"event_id": "e1", "date_start": "2021-01-01", "date_end": "2021-01-01",
                "source_id": ""},
    "claims": {"claim_id": "c1", "period_start": "2021-01-01", "period_end": "2021-01-31",
               "count_min": "1", "description": "d", "source_id": ""},
    "context_events": {"context_id": "x1", "date": "2021-01-01", "label": "l",
                       "source_id": ""},
    "sources": {"source_id": "s1", "path": "", "title": "t"},
}
ID_COLUMNS = [(kind, f.name) for kind in ROWS for f in contract.fields(kind) if f.identifier]


def write(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n",
                                quoting=csv.QUOTE_ALL)  # a bare \r too
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_every_key_and_reference_is_an_id_column():
    assert ID_COLUMNS == [("attacks", "event_id"), ("attacks", "source_id"),
                          ("claims", "claim_id"), ("claims", "source_id"),
                          ("context_events", "context_id"), ("context_events", "source_id"),
                          ("sources", "source_id")]


@pytest.mark.parametrize(("kind", "column"), ID_COLUMNS)
def test_an_id_that_is_not_one_line_of_plain_text_is_refused_at_its_line(tmp_path, kind,
                                                                         column):
    rows = [{**ROWS[kind], column: f"{value}-{i}"} for i, value in enumerate(BAD)]
    rows.append({**ROWS[kind]})  # a good row after them, to check the lines
    path = write(tmp_path / f"{kind}.csv", rows)
    with pytest.raises(DataError) as err:
        load.check_table(path, kind)
    problems = [p for p in err.value.problems if p.message == contract.NOT_PLAIN_ID]
    assert [p.value for p in problems] == [f"{value}-{i}" for i, value in enumerate(BAD)]
    assert {p.column for p in problems} == {column}
    # Lines as in the file: a line break inside a quoted id moves every later row down.
    lines, line = [], 2
    for value in BAD:
        lines.append(line)
        line += 1 + value.count("\n") + value.replace("\r\n", "\n").count("\r")
    assert [p.line for p in problems] == lines
    for problem in problems:
        shown = str(problem)
        assert len(shown.splitlines()) == 1 and "\x00" not in shown and "\u202e" not in shown
    assert "tab\\there-3" in str(err.value) and "line\\u2028sep-7" in str(err.value)


@pytest.mark.parametrize("value", GOOD)
def test_ids_in_any_script_and_with_markup_are_accepted(tmp_path, value):
    """Markup in an id is inert text wherever the id is shown; the contract takes it."""
    table, _ = load.check_table(write(tmp_path / "a.csv", [{**ROWS["attacks"],
                                                            "event_id": value}]))
    assert table["event_id"].tolist() == [value]


def test_the_check_finds_one_bad_id_among_many(tmp_path):
    ids = [f"e{i}" for i in range(20_000)]
    ids[12_345] = "e\u0007bell"
    rows = [{**ROWS["attacks"], "event_id": i} for i in ids]
    with pytest.raises(DataError) as err:
        load.check_table(write(tmp_path / "a.csv", rows))
    assert [(p.line, p.value) for p in err.value.problems] == [(12_347, "e\u0007bell")]


def test_plain_text_is_worked_out_once_per_column():
    known: dict = {}
    s = pd.Series(["a", "b\nc"], dtype=str)
    first = contract.plain_text(s, known)
    assert first.tolist() == [True, False]
    assert contract.plain_text(s, known) is first


def test_a_matches_file_with_an_id_that_is_not_plain_text_is_refused(tmp_path, capsys):
    path = write(tmp_path / "matches.csv", [
        {"event_id_a": "a1", "event_id_b": "b\n1", "decision": "same", "table_a": "",
         "table_b": "t\u202e"},
        {"event_id_a": "a\t2", "event_id_b": "b2", "decision": "", "table_a": "",
         "table_b": ""}])
    with pytest.raises(DataError) as err:
        match.check_decisions(match.read_matches(path))
    assert [(p.line, p.column, p.value) for p in err.value.problems] == [
        (2, "event_id_b", "b\n1"), (2, "table_b", "t\u202e"), (4, "event_id_a", "a\t2")]
    assert main(["validate", str(path)]) == 2
    assert f"{path}:4: event_id_a: 'a\\t2': {contract.NOT_PLAIN_ID}" in capsys.readouterr().err
