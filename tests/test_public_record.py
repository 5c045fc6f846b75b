"""The cited public record: its file format, its citations, and its record of corrections."""

import csv
import re

import pandas as pd
import pytest

from analysis import config
from analysis.inputs import contract as schema

RECORD = config.DATA_DIR / "public-record"
ATTACKS = RECORD / "attacks.csv"
README = RECORD / "README.md"
RECHECK = "## Re-check against the coding rules"


def raw_rows():
    with open(ATTACKS, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


@pytest.fixture(scope="module")
def attacks():
    return pd.read_csv(ATTACKS, dtype=str, keep_default_na=False).set_index("event_id")


def recheck_table():
    """The rows of the README's re-check table: (row, fields, now)."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(RECHECK):]
    section = section[:section.index("\n## ", len(RECHECK))]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].startswith("`PR-"):
            rows.append((cells[0].strip("`"), re.findall(r"`([a-z_]+)`", cells[1]), cells[3]))
    return rows


def test_the_file_keeps_its_header_line_ends_and_blank_selection_columns():
    data = ATTACKS.read_bytes()
    assert b"\r" not in data and data.endswith(b"\n")
    rows = raw_rows()
    assert rows[0] == schema.column_names("attacks")
    assert all(len(r) == len(rows[0]) and r[-2:] == ["", ""] for r in rows[1:])


def test_every_row_keeps_its_publisher_title_date_and_address(attacks):
    sources = pd.read_csv(RECORD / "sources.csv", dtype=str,
                          keep_default_na=False).set_index("source_id")
    cited = sources.loc[attacks["source_id"]]
    for column in ("publisher", "title", "published", "url"):
        assert (cited[column] != "").all(), column


def test_every_correction_in_the_readme_is_what_the_table_holds(attacks):
    table = recheck_table()
    assert len(table) >= 20
    for row, fields, now in table:
        assert row in attacks.index, row
        if fields == ["notes"]:
            continue
        values = [v.strip() for v in now.split(",")]
        assert len(values) == len(fields), row
        for field, value in zip(fields, values, strict=True):
            assert attacks.at[row, field] == ("" if value == "blank" else value), (row, field)
