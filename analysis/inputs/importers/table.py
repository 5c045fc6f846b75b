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

import numpy as np
import pandas as pd

from ... import dates
from ...exceptions import DataError, ParameterError, Problem
from .. import contract
from . import common, reading

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


# What Excel shows in a cell whose formula fails.
EXCEL_ERRORS = ("#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                "#GETTING_DATA", "#SPILL!", "#CALC!")


def _hidden_values(path: Path, name: str, sheet, formulas, headers) -> list[Problem]:
    """Cells whose value the user sees but the file does not hold as such: a formula
    saved without its result, an error value, cells merged over several. Each at its row,
    named as Sheet!CELL, with what to do."""
    problems = []

    def header_of(column: int) -> str:
        return (headers[column - 1] if column - 1 < len(headers) and headers[column - 1]
                else "-")

    for cells, written in zip(sheet.iter_rows(), formulas.iter_rows(), strict=True):
        for cell, raw in zip(cells, written, strict=True):
            if cell.data_type == "e" or (isinstance(cell.value, str)
                                         and cell.value in EXCEL_ERRORS):
                problems.append(Problem(
                    str(path), cell.row, header_of(cell.column), str(cell.value),
                    f"{name}!{cell.coordinate}: the cell shows an error, not a value; "
                    "correct its formula in Excel (or type the value) and save the workbook"))
            elif raw.data_type == "f" and cell.value is None:
                problems.append(Problem(
                    str(path), cell.row, header_of(cell.column), str(raw.value)[:80],
                    f"{name}!{cell.coordinate}: a formula saved without its value (the "
                    "workbook was written by a program, never opened in Excel); open and "
                    "save the workbook in Excel, then import again"))
    for merged in sheet.merged_cells.ranges:
        if merged.size["rows"] * merged.size["columns"] > 1:
            first = sheet.cell(merged.min_row, merged.min_col)
            problems.append(Problem(
                str(path), merged.min_row, header_of(merged.min_col), _text(first.value),
                f"{name}!{merged.coord}: merged cells; only the first cell holds the value "
                "the others show; unmerge the cells and fill in each row's value"))
    return problems


def _text(value) -> str:
    cell = _cell(value)
    return cell.isoformat() if isinstance(cell, dt.date) else cell


def _read_excel(path: Path, sheet: str | None, max_bytes: int, max_rows: int) -> Sheet:
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    if not path.is_file():
        _fail(path, 0, "file does not exist")
    if path.stat().st_size > max_bytes:
        _fail(path, 0, f"file is larger than the limit of {max_bytes} bytes (see --max-bytes)")
    unreadable = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError)
    try:
        # Twice: the values Excel saved with the file, and what was typed (formulas).
        values = openpyxl.load_workbook(path, data_only=True)
        formulas = openpyxl.load_workbook(path, data_only=False)
    except unreadable as err:
        _fail(path, 0, f"not readable as an .xlsx workbook: {err}")
    names = values.sheetnames
    name = names[0] if sheet is None else sheet
    if name not in names:
        raise ParameterError("--sheet", sheet, f"no such sheet in {path.name}; its sheets "
                             "are: " + ", ".join(names))
    ws = values[name]
    table = [[_cell(c.value) for c in row] for row in ws.iter_rows()]
    if not table or not any(table[0]):
        _fail(path, 1, f"sheet {name!r} has no header row; row 1 must name the columns")
    width = len(table[0])
    headers = [c.isoformat() if isinstance(c, dt.date) else c for c in table[0]]
    duplicates = [Problem(str(path), 1, h, h, "column name appears more than once")
                  for i, h in enumerate(headers) if h and h in headers[:i]]
    hidden = _hidden_values(path, name, ws, formulas[name], headers)
    if duplicates or hidden:
        raise DataError(duplicates + hidden)
    kept = [(cells + [""] * (width - len(cells)), n)
            for n, cells in enumerate(table[1:], start=2) if any(c != "" for c in cells)]
    if len(kept) > max_rows:
        _fail(path, 0, f"sheet has more rows than the limit of {max_rows} (see --max-rows)")
    return Sheet(headers, [c for c, _ in kept], [n for _, n in kept],
                 f"Sheet {name!r}; line numbers in problems are its row numbers.")


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


class Input:
    """A tracker table (CSV in chunks, or one sheet of a workbook) and its map; `check`
    maps a chunk's cells to contract values, each bad one going to `problems`."""

    title, publisher = TITLE, PUBLISHER
    group_label = None  # one line of counts: a tracker has no event types of its own

    def __init__(self, path: Path, *, map_path: Path, sheet: str | None, max_bytes: int,
                 max_rows: int, **_):
        self.path, self.map_path = path, map_path
        if is_excel(path):
            data = _read_excel(path, sheet, max_bytes, max_rows)
            self.headers, self._sheet, detail, self._csv = data.headers, data, data.detail, None
        else:
            self._csv = reading.CsvInput(path, max_bytes=max_bytes, max_rows=max_rows)
            self.headers, self._sheet, detail = self._csv.headers, None, ""
        self.tmap = read_map(map_path, self.headers, path)
        self.id_column = self.tmap.columns["event_id"]
        self.at = {name: self.headers.index(header)
                   for name, header in self.tmap.columns.items()}
        self.detail = " ".join(filter(None, [
            detail, f"Map {map_path.name} (SHA-256 {self.tmap.digest})."]))
        self._converted: pd.DataFrame | None = None

    @property
    def rule_columns(self) -> list[str]:
        """The rules read the attacks columns, after the map (unmapped ones are blank)."""
        return [f.name for f in contract.fields(contract.ATTACKS)
                if f.name not in SET_BY_IMPORTER]

    def chunks(self):
        if self._csv is not None:
            yield from self._csv.chunks()
            return
        frame = pd.DataFrame(self._sheet.rows, dtype=object)
        yield frame.reindex(columns=range(len(self.headers)), fill_value="")

    def lines(self, records: np.ndarray) -> np.ndarray:
        if self._csv is not None:
            return self._csv.lines(records)
        return np.asarray(self._sheet.lines, dtype=np.int64)[np.asarray(records, dtype=np.int64)]

    def _cells(self, chunk: pd.DataFrame, name: str) -> pd.Series:
        i = self.at.get(name)
        if i is None:
            return pd.Series("", index=chunk.index, dtype=object)
        column = chunk.iloc[:, i]
        return reading.stripped(column) if self._csv is not None else column

    def check(self, chunk: pd.DataFrame, problems: reading.Problems):
        tmap, records = self.tmap, chunk.index.to_numpy()
        fields = [f for f in contract.fields(contract.ATTACKS) if f.name not in SET_BY_IMPORTER]
        form = (f"{tmap.date_format} ([dates] format of {self.map_path.name})"
                if tmap.date_format else "YYYY-MM-DD")
        usable = np.ones(len(chunk), dtype=bool)

        def bad(name, mask, values, message):
            usable[mask] = False
            problems.add(records[mask], tmap.columns[name], np.asarray(values)[mask],
                         f"{name}: {message}")

        rows = {}
        for f in fields:
            if f.type == "date":
                continue
            if f.name not in self.at:
                rows[f.name] = np.full(len(chunk), UNKNOWN if f.enum else "", dtype=object)
                continue
            text = reading.per_unique(_text, self._cells(chunk, f.name))
            value = reading.per_unique(lambda t, f=f: _value(tmap, f, t), text)
            missing = np.asarray([v is None for v in value], dtype=bool)
            if missing.any():
                where = f"[values.{f.name}] of {self.map_path.name}"
                bad(f.name, missing, text, (
                    f"no mapping for this value in {where}" if f.name in tmap.values
                    else "not one of: " + ", ".join(f.enum) + f"; map it in {where}")
                    + ', or set unmapped = "unknown"')
            if f.type == "integer":
                counts = reading.per_unique(lambda v: not v or common.is_count(v), value)
                bad(f.name, ~missing & ~counts.astype(bool), text, contract.NOT_A_COUNT)
            value[missing] = ""
            rows[f.name] = value
        start_cells = self._cells(chunk, "date_start")
        end_cells = self._cells(chunk, "date_end")

        def iso(cell):
            day = _day(cell, tmap.date_format)
            return day.isoformat() if day else ""

        start = reading.per_unique(iso, start_cells)
        end_text = reading.per_unique(_text, end_cells)
        end = np.where(end_text == "", start, reading.per_unique(iso, end_cells))
        for name, cells, day in (("date_start", start_cells, start),
                                 ("date_end", end_cells, end)):
            if name in self.at:
                raw = reading.per_unique(_text, cells)
                bad(name, (day == "") & (raw != ""), raw, f"not a date in the form {form}")
        blank_start = reading.per_unique(_text, start_cells) == ""
        bad("date_start", blank_start, np.full(len(chunk), "", dtype=object),
            "required value is missing")
        backwards = (start != "") & (end != "") & (end < start)
        bad("date_end", backwards, end_text, "date_end is before date_start")
        rows["governorate"] = reading.per_unique(common.governorate, rows["governorate"])
        if "region" not in self.at:
            rows["region"] = reading.per_unique(common.region, rows["governorate"])
        rows["date_start"], rows["date_end"] = start, end
        ids = pd.Series(rows["event_id"], index=chunk.index, dtype=object)
        problems.add(records[(ids == "").to_numpy()], self.id_column, "",
                     "required value is missing")
        self._converted = pd.DataFrame({f.name: rows[f.name] for f in fields},
                                       index=chunk.index)
        return ids, usable

    def rules_frame(self, chunk: pd.DataFrame, columns) -> pd.DataFrame:
        converted = self._converted.loc[chunk.index]
        return converted.reindex(columns=list(columns), fill_value="")

    def groups(self, chunk: pd.DataFrame) -> pd.Series:
        return pd.Series("all rows", index=chunk.index, dtype=object)

    def context(self, chunk: pd.DataFrame) -> pd.DataFrame:
        converted = self._converted.loc[chunk.index]
        return pd.DataFrame({"event_date": converted["date_start"],
                             "location": converted["location"],
                             "notes": converted["notes"]}, index=chunk.index)

    def convert(self, chunk: pd.DataFrame, target_type: bool = True) -> pd.DataFrame:
        return self._converted.loc[chunk.index]
