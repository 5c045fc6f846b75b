"""A user's own table (a CSV, or one sheet of an .xlsx workbook), turned into attacks rows
by a TOML map: which header is which column, the date format, and value mappings.

About 320 lines: reading the map and locating its mistakes at map.toml lines is half of
it; the map's parsing is the part to move into a module of its own if this grows.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ... import dates
from ...exceptions import DataError, ParameterError, Problem
from .. import contract, load
from . import common

TITLE, PUBLISHER = "Tracker table", ""
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
SET_BY_IMPORTER = ("source_id", "quote", "selection", "selection_reason")
UNMAPPED, UNKNOWN = "unmapped", common.UNKNOWN


def is_excel(path: Path) -> bool:
    return Path(path).suffix.lower() in EXCEL_SUFFIXES


@dataclass
class Sheet:
    headers: list[str]
    rows: list[list]  # cells as text, except days from Excel date cells (dt.date)
    lines: list[int]  # line of each row in a CSV, row number in a sheet (header = 1)
    detail: str = ""


def _fail(path: Path, line: int, message: str):
    raise DataError([Problem(str(path), line, "-", "", message)])


def _cell(value):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_excel(path: Path, sheet: str | None, max_bytes: int, max_rows: int) -> Sheet:
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        _fail(path, 0, "file does not exist")
    if path.stat().st_size > max_bytes:
        _fail(path, 0, f"file is larger than the limit of {max_bytes} bytes (see --max-bytes)")
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError)
    try:
        with pd.ExcelFile(path, engine="openpyxl") as book:
            names, sheet = book.sheet_names, book.sheet_names[0] if sheet is None else sheet
            raw = (pd.read_excel(book, sheet_name=sheet, header=None, dtype=object)
                   if sheet in names else None)
    except unreadable as err:
        _fail(path, 0, f"not readable as an .xlsx workbook: {err}")
    if raw is None:
        raise ParameterError("--sheet", sheet, f"no such sheet in {path.name}; its sheets "
                             "are: " + ", ".join(names))
    table = [[_cell(v) for v in row] for row in raw.itertuples(index=False)]
    if not table or not any(table[0]):
        _fail(path, 1, f"sheet {sheet!r} has no header row; row 1 must name the columns")
    headers = [c.isoformat() if isinstance(c, dt.date) else c for c in table[0]]
    duplicates = [Problem(str(path), 1, h, h, "column name appears more than once")
                  for i, h in enumerate(headers) if h and h in headers[:i]]
    if duplicates:
        raise DataError(duplicates)
    kept = [(cells, n) for n, cells in enumerate(table[1:], start=2) if any(c != "" for c in cells)]
    if len(kept) > max_rows:
        _fail(path, 0, f"sheet has more rows than the limit of {max_rows} (see --max-rows)")
    return Sheet(headers, [c for c, _ in kept], [n for _, n in kept],
                 f"Sheet {sheet!r}; line numbers in problems are its row numbers.")


def read_sheet(path: Path, sheet: str | None, max_bytes: int, max_rows: int) -> Sheet:
    if is_excel(path):
        return _read_excel(path, sheet, max_bytes, max_rows)
    frame = load.read_strings(path, max_bytes=max_bytes, max_rows=max_rows)
    rows = [[str(v).strip() for v in row] for row in frame.itertuples(index=False)]
    return Sheet(list(frame.columns), rows, common.csv_lines(path))


# ---------------------------------------------------------------------------------------
# The map


@dataclass
class Map:
    path: Path
    digest: str
    columns: dict[str, str] = field(default_factory=dict)  # contract column -> header
    date_format: str | None = None
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    lenient: set[str] = field(default_factory=set)  # columns where unmapped -> unknown


def _name(text: str) -> str:
    return ".".join(p.strip().strip("\"'") for p in text.split("."))


class _Locator:
    """Line of a key or table in the TOML text (0 when it cannot be found)."""

    def __init__(self, text: str):
        self.keys, self.tables, table = {}, {}, ""
        for n, raw in enumerate(text.splitlines(), start=1):
            head = re.fullmatch(r"\s*\[\s*([^\[\]]*?)\s*\]\s*(?:#.*)?", raw)
            if head:
                table = _name(head[1])
                self.tables.setdefault(table, n)
                continue
            key = re.match(r"\s*(\"[^\"]*\"|'[^']*'|[A-Za-z0-9_-]+)\s*=", raw)
            if key:
                self.keys.setdefault((table, key[1].strip("\"'")), n)

    def __call__(self, table: str, key: str | None = None) -> int:
        """The key's line, else the line of the table it names or sits in, else 0."""
        parent, _, last = table.rpartition(".")
        return (self.keys.get((table, key)) or self.tables.get(".".join(filter(None, [
            table, key]))) or self.tables.get(table) or self.keys.get((parent, last)) or 0)


def _usable(fmt: str) -> bool:
    """True when the format reads back a whole day (year, month and day)."""
    probe = dt.date(2021, 11, 23)
    try:
        return dt.datetime.strptime(probe.strftime(fmt), fmt).date() == probe
    except ValueError:
        return False


def read_map(map_path: Path, headers: list[str], source: Path) -> Map:
    where = str(map_path)
    if not map_path.is_file():
        raise DataError([Problem(where, 0, "-", "", "map file does not exist")])
    try:
        text = map_path.read_bytes().decode("utf-8")
        doc = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        at = re.search(r"at line (\d+)", str(err))
        raise DataError([Problem(where, int(at[1]) if at else 0, "-", "",
                                 f"not valid TOML in UTF-8: {err}")]) from None
    fields = {f.name: f for f in contract.fields(contract.ATTACKS)}
    fillable = [n for n in fields if n not in SET_BY_IMPORTER]
    locate, problems = _Locator(text), []
    result = Map(map_path, common.sha256_of(map_path))

    def bad(table, key, column, value, message):
        problems.append(Problem(where, locate(table, key), column, str(value), message))

    def table_of(key: str) -> dict:
        value = doc.get(key, {})
        if not isinstance(value, dict):
            bad("", key, key, value, f"must be a table: [{key}]")
            return {}
        return value

    for key in doc:
        if key not in ("columns", "dates", "values", UNMAPPED):
            bad("", key, key, "", "unknown key; a map has [columns], [dates], "
                "[values.COLUMN] and unmapped")
    columns = table_of("columns")
    for name, header in columns.items():
        if name not in fillable:
            bad("columns", name, f"columns.{name}", name, "not a column the map can fill; "
                "expected one of: " + ", ".join(fillable))
        elif not isinstance(header, str) or header not in headers:
            bad("columns", name, f"columns.{name}", header, f"no column with this header in "
                f"{source.name}; its headers are: " + ", ".join(h for h in headers if h))
        else:
            result.columns[name] = header
    for name in ("event_id", "date_start"):
        if name not in columns:
            bad("columns", None, "columns", "", f"{name} must be mapped: it is required")
    for key, value in table_of("dates").items():
        if key != "format":
            bad("dates", key, f"dates.{key}", value, "unknown key; [dates] has only format")
        elif not isinstance(value, str) or not _usable(value):
            bad("dates", key, "dates.format", value,
                "not a date format that reads a whole day, such as %d/%m/%Y")
        else:
            result.date_format = value
    if UNMAPPED in doc:
        if doc[UNMAPPED] != UNKNOWN:
            bad("", UNMAPPED, UNMAPPED, doc[UNMAPPED], 'the only setting is unmapped = "unknown"')
        else:
            result.lenient.update(fields)
    for name, words in table_of("values").items():
        column, f = f"values.{name}", fields.get(name)
        if f is None or name in SET_BY_IMPORTER or f.type == "date":
            bad(column, None, column, name, "not a column whose values can be mapped "
                "(dates are read with [dates] format)")
        elif not isinstance(words, dict):
            bad(column, None, column, "", f'must be a table: [values.{name}] "word" = "value"')
        elif name not in columns:
            bad(column, None, column, name, "this column is not mapped in [columns]")
        else:
            result.values[name] = {}
            for word, value in words.items():
                if word == UNMAPPED:
                    if value == UNKNOWN:
                        result.lenient.add(name)
                    else:
                        bad(column, word, f"{column}.{UNMAPPED}", value,
                            'the only setting is unmapped = "unknown"')
                elif not isinstance(value, str):
                    bad(column, word, column, value, "must be a value in quotes")
                elif f.enum and value not in (*f.enum, ""):
                    bad(column, word, column, value, "not one of: " + ", ".join(f.enum))
                elif f.type == "integer" and value and not common.is_count(value):
                    bad(column, word, column, value, contract.NOT_A_COUNT)
                else:
                    result.values[name][word.strip()] = value
    if problems:
        raise DataError(problems)
    return result


# ---------------------------------------------------------------------------------------
# Rows


def _value(tmap: Map, f, text: str) -> str | None:
    """The contract value for one cell, or None when it has no mapping."""
    if text == "":
        return UNKNOWN if f.enum else ""
    words = tmap.values.get(f.name)
    if words is not None and text in words:
        return words[text]
    if (f.enum and text in f.enum) or (f.type == "integer" and common.is_count(text)):
        return text
    if words is None and not f.enum:
        return text
    return (UNKNOWN if f.enum else "") if f.name in tmap.lenient else None


def _day(cell, fmt: str | None) -> dt.date | None:
    if isinstance(cell, dt.date):
        return cell
    if fmt is None:
        return dates.parse_iso_day(cell)
    try:
        return dt.datetime.strptime(cell, fmt).date()
    except ValueError:
        return None


def convert(path: Path, *, map_path: Path, sheet: str | None, max_bytes: int,
            max_rows: int, **_) -> common.Converted:
    data = read_sheet(path, sheet, max_bytes, max_rows)
    tmap = read_map(map_path, data.headers, path)
    fields = [f for f in contract.fields(contract.ATTACKS) if f.name not in SET_BY_IMPORTER]
    at = {name: data.headers.index(header) for name, header in tmap.columns.items()}
    form = (f"{tmap.date_format} ([dates] format of {map_path.name})" if tmap.date_format
            else "YYYY-MM-DD")
    out = common.Converted(detail=" ".join(filter(None, [
        data.detail, f"Map {map_path.name} (SHA-256 {tmap.digest})."])))
    problems, ids = [], []

    for cells, line in zip(data.rows, data.lines, strict=True):
        def cell(name, cells=cells):
            i = at.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        def bad(name, value, message, line=line):
            text = value.isoformat() if isinstance(value, dt.date) else value
            problems.append(Problem(str(path), line, tmap.columns[name], text,
                                    f"{name}: {message}"))

        row = {}
        for f in fields:
            if f.type == "date":
                continue
            raw = cell(f.name)
            text = raw.isoformat() if isinstance(raw, dt.date) else raw
            value = _value(tmap, f, text) if f.name in at else (UNKNOWN if f.enum else "")
            if value is None:
                where = f"[values.{f.name}] of {map_path.name}"
                bad(f.name, text, (f"no mapping for this value in {where}" if f.name in
                                   tmap.values else "not one of: " + ", ".join(f.enum) +
                                   f"; map it in {where}") + ', or set unmapped = "unknown"')
            elif f.type == "integer" and value and not common.is_count(value):
                bad(f.name, text, contract.NOT_A_COUNT)
            row[f.name] = value or ""
        ids.append(row["event_id"])
        start = _day(cell("date_start"), tmap.date_format)
        end = start if cell("date_end") == "" else _day(cell("date_end"), tmap.date_format)
        for name, day in (("date_start", start), ("date_end", end)):
            if name in at and day is None and cell(name) != "":
                bad(name, cell(name), f"not a date in the form {form}")
        if cell("date_start") == "":
            bad("date_start", "", "required value is missing")
        elif start and end and end < start:
            bad("date_end", cell("date_end"), "date_end is before date_start")
        row["governorate"] = common.governorate(row["governorate"])
        if "region" not in at:
            row["region"] = common.region(row["governorate"])
        row["date_start"] = start.isoformat() if start else ""
        row["date_end"] = end.isoformat() if end else ""
        out.rows.append(row)
        out.lines.append(line)
    problems += common.id_problems(path, tmap.columns["event_id"], ids, data.lines)
    if problems:
        raise DataError(problems)
    return out
