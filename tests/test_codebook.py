"""The codebook (data/README.md) documents every column of the schema, and the CSVs'
headers are the schema's columns."""

import csv
import json
import re
from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
SCHEMA = json.loads((DATA / "datapackage.json").read_text(encoding="utf-8"))
RESOURCES = {r["name"]: r for r in SCHEMA["resources"]}


def codebook_tables() -> dict[str, dict[str, list[str]]]:
    """The column tables of data/README.md: file name -> column -> cells."""
    tables, current = {}, None
    for line in (DATA / "README.md").read_text(encoding="utf-8").splitlines():
        heading = re.match(r"^### `([a-z_]+\.csv)`", line)
        if heading:
            current = tables.setdefault(heading.group(1), {})
        elif current is not None and line.startswith("| `"):
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            current[cells[0].strip("`")] = cells
    return tables


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_every_schema_column_is_documented(name):
    resource = RESOURCES[name]
    table = codebook_tables()[resource["path"]]
    fields = [f["name"] for f in resource["schema"]["fields"]]
    assert list(table) == fields
    for field in resource["schema"]["fields"]:
        cells = table[field["name"]]
        assert len(cells) == 6, cells
        description, type_, example, allowed, unknown = cells[1:]
        assert description and unknown
        assert type_.startswith(field["type"])
        for value in field.get("constraints", {}).get("enum", []):
            assert f"`{value}`" in allowed


@pytest.mark.parametrize("name", sorted(RESOURCES))
def test_csv_headers_are_the_schema_columns(name):
    resource = RESOURCES[name]
    with (DATA / resource["path"]).open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == [f["name"] for f in resource["schema"]["fields"]]


def test_codebook_states_the_coding_decisions():
    text = (DATA / "README.md").read_text(encoding="utf-8")
    section = text.split("## Coding decisions", 1)[1]
    for phrase in ("late January", "Dozens", "fall of 2019", "recent days", "as_of",
                   "Balad", "A series"):
        assert phrase in section, phrase


def test_every_count_column_is_bounded_as_the_contract_checks_it():
    """The data package tells other tools what the loader enforces: a count is a whole
    number of 0 or more, of at most COUNT_DIGITS digits."""
    from analysis.inputs.contract import COUNT_DIGITS

    counts = [f for r in SCHEMA["resources"] for f in r["schema"]["fields"]
              if f["type"] == "integer"]
    assert counts
    for f in counts:
        assert f["constraints"]["minimum"] == 0, f["name"]
        assert f["constraints"]["maximum"] == 10 ** COUNT_DIGITS - 1, f["name"]
    codebook = codebook_tables()
    for name, resource in RESOURCES.items():
        for f in resource["schema"]["fields"]:
            if f["type"] == "integer":
                assert f"at most {COUNT_DIGITS} digits" in codebook[f"{name}.csv"][f["name"]][4]
