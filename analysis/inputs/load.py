"""Load the attacks, claims, context-event and source tables as typed DataFrames, after
checking them against the data contract in `contract.py`.

Every problem in a file is collected and raised at once as a `DataError`, each located
as `file:line: column: value: what is wrong`. Raw data files are only ever read.
"""

from __future__ import annotations

import csv
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .. import config
from ..exceptions import DataError, DataWarning, Problem
from . import contract, provenance
from .documents import not_regular

csv.field_size_limit(2**31 - 1)


# ---------------------------------------------------------------------------------------
# Reading


def _fail(path, line, column, value, message):
    raise DataError([Problem(str(path), line, column, value, message)])


def _check_file(path: Path, max_bytes: int) -> None:
    """Refuse, before opening it, a file that cannot be read as a table."""
    refused = not_regular(path)
    if refused:
        _fail(path, 0, "-", "", "file does not exist" if refused == "does not exist" else refused)
    size = path.stat().st_size
    if size == 0:
        _fail(path, 0, "-", "", "file is empty; expected a header row")
    if size > max_bytes:
        _fail(path, 0, "-", f"{size} bytes",
              f"file is larger than the limit of {max_bytes} bytes (see --max-bytes)")


def _first_bad_utf8(path: Path) -> tuple[int, bytes] | None:
    """Line and bytes of the first invalid UTF-8 sequence, scanning in blocks."""
    line, carry = 1, b""
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            data = carry + block
            try:
                data.decode("utf-8")
                carry = b""
            except UnicodeDecodeError as err:
                # An incomplete sequence at the end of a block is not an error yet.
                if err.reason == "unexpected end of data" and err.start >= len(data) - 3:
                    data, carry = data[: err.start], data[err.start:]
                else:
                    return line + data.count(b"\n", 0, err.start), data[err.start: err.end]
            line += data.count(b"\n")
    return (line, carry) if carry else None


def record_lines(path: Path, *, with_blank: bool = False) -> np.ndarray:
    """The physical line on which each row of the table starts (header = row 0 on line 1).

    Only computed when problems must be located: quoted fields may hold newlines, so
    the row index alone does not give the line. Lines that are empty or hold only spaces
    and tabs are no rows (pandas skips them); `with_blank` counts them as records too, as
    pandas' parser errors number the records."""
    starts = []
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        record: list[str] = []  # the physical lines of the record being read

        def physical_lines():
            for line in fh:
                record.append(line)
                yield line

        reader = csv.reader(physical_lines())
        start = 1
        try:
            for _ in reader:
                blank = len(record) == 1 and not record[0].strip(" \t\r\n")
                if with_blank or not blank:
                    starts.append(start)
                start = reader.line_num + 1
                record.clear()
        except csv.Error:
            pass
    return np.asarray(starts, dtype=np.int64)


def _header(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as fh:
        try:
            return next(csv.reader(fh), [])
        except csv.Error:
            return []


_OTHER_DELIMITERS = {";": "';' (semicolons)", "\t": "tabs", "|": "'|'"}


def refuse_header(path: Path, header: list[str]) -> None:
    """Raise DataError, at line 1, for a header that names no column, names one twice or
    leaves one unnamed, or that shows the file is separated by something else than
    commas."""
    stripped = [h.strip() for h in header]
    if len(stripped) == 1:
        found = [(stripped[0].count(d), d) for d in _OTHER_DELIMITERS if d in stripped[0]]
        if found:
            delimiter = max(found)[1]
            _fail(path, 1, "-", delimiter, f"this file is separated by "
                  f"{_OTHER_DELIMITERS[delimiter]}, not by commas; save it as "
                  "comma-separated (CSV) and try again")
    if not any(stripped):
        _fail(path, 1, "-", "", "no header row; the first line must name the columns")
    problems = [Problem(str(path), 1, name or "-", name, "column name appears more than once")
                for i, name in enumerate(stripped) if name in stripped[:i]]
    problems += [Problem(str(path), 1, "-", "", f"column {i + 1} has no name")
                 for i, name in enumerate(stripped) if not name]
    if problems:
        raise DataError(problems)


def not_utf8(path: Path) -> DataError:
    bad = _first_bad_utf8(path)
    line, raw = bad if bad else (0, b"")
    return DataError([Problem(str(path), line, "-", raw.hex(" "),
                              "not valid UTF-8; save the file as UTF-8 (the bytes are shown "
                              "in hex)")])


def parser_error(path: Path, err: Exception) -> DataError:
    """pandas' parser error, located at the physical line it is about."""
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(err))
    if match:
        expected, record, saw = (int(g) for g in match.groups())
        lines = record_lines(path, with_blank=True)
        line = int(lines[record - 1]) if record - 1 < len(lines) else record
        return DataError([Problem(str(path), line, "-", f"{saw} fields",
                                  f"row has {saw} fields but the header has {expected}; "
                                  "quote fields that contain commas")])
    return DataError([Problem(str(path), 0, "-", "",
                              f"not readable as CSV: {str(err).strip()}")])


def read_strings(path: str | Path, *, max_bytes: int = config.MAX_FILE_BYTES,
                 max_rows: int = config.MAX_ROWS) -> pd.DataFrame:
    """Read a CSV with every cell as a string (blank = ""), header in row 1.

    Raises DataError for files that cannot be read as CSV at all."""
    path = Path(path)
    _check_file(path, max_bytes)
    header = _header(path)
    refuse_header(path, header)
    stripped = [h.strip() for h in header]
    try:
        with warnings.catch_warnings():
            # Checked above and reported below, located; pandas' own words would repeat it.
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_filter=False, index_col=False,
                encoding="utf-8-sig", engine="c", skipinitialspace=False,
                nrows=max_rows + 1,
            )
    except UnicodeDecodeError:
        raise not_utf8(path) from None
    except pd.errors.ParserError as err:
        raise parser_error(path, err) from None
    if len(frame) > max_rows:
        _fail(path, 0, "-", f"more than {max_rows} rows",
              f"file has more rows than the limit of {max_rows} (see --max-rows)")
    frame.columns = stripped
    return frame


# ---------------------------------------------------------------------------------------
# Checking


MISSING_COLUMN = "required column is missing"
_PANDERA_CHECK_MESSAGES = {
    "column_in_dataframe": MISSING_COLUMN,
    "field_uniqueness": "duplicate value; must be unique",
}


def _locate(path: Path, failure_cases: pd.DataFrame, lines_for) -> list[Problem]:
    problems = []
    for case in failure_cases.itertuples(index=False):
        check = str(case.check)
        message = _PANDERA_CHECK_MESSAGES.get(check, check)
        if check == "column_in_dataframe":
            problems.append(Problem(str(path), 1, str(case.failure_case), "", message))
            continue
        line = int(lines_for(int(case.index))) if pd.notna(case.index) else 0
        value = "" if pd.isna(case.failure_case) else str(case.failure_case)
        problems.append(Problem(str(path), line, str(case.column), value, message))
    return problems


class _Lines:
    """Row index -> physical line, computed once and only if needed."""

    def __init__(self, path: Path):
        self.path, self._lines = path, None

    def __call__(self, row: int) -> int:
        if self._lines is None:
            self._lines = record_lines(self.path)
        record = row + 1
        return int(self._lines[record]) if record < len(self._lines) else record + 1


def _typed_column(raw: pd.Series, field: contract.Field, parsed: dict | None = None):
    """`parsed`: what the raw checks worked out about this column (see
    `contract.raw_schema`), reused where it is there."""
    if field.type == "date":
        return contract.days(raw, parsed)
    if field.type == "integer":
        # Each count fits in 64 bits (see contract.COUNT_DIGITS), so the digits convert
        # as they are: six times quicker than parsing them as numbers of any size.
        counts = contract.counts(raw, parsed).to_numpy(dtype=bool)
        values = np.zeros(len(raw), dtype=np.int64)
        values[counts] = raw[counts].astype("int64").to_numpy()
        return pd.Series(pd.arrays.IntegerArray(values, ~counts), index=raw.index)
    if field.enum:
        # A column whose values have no "unknown" (selection) leaves a blank missing.
        other = contract.UNKNOWN if contract.UNKNOWN in field.enum else None
        return pd.Categorical(raw.where(contract.allowed(raw, field.enum, parsed), other),
                              categories=list(field.enum))
    return raw.where(~contract.blanks(raw, parsed), pd.NA).astype("string")


def _typed(frame: pd.DataFrame, kind: str, parsed: dict | None = None) -> pd.DataFrame:
    """Convert a string table to its types. Optional columns absent from the file are
    added as unknown, so analyses never need to ask whether a column exists. Values
    that break the contract become missing here; the checks report them."""
    out = {}
    one_blank = pd.Series([""], dtype=object)
    for f in contract.fields(kind):
        if f.name in frame:
            out[f.name] = _typed_column(frame[f.name], f, (parsed or {}).get(f.name))
        else:
            # Every row blank: one blank cell typed, and its value given to every row,
            # rather than a column of blanks converted row by row (0.4 s for a
            # million-row file without its optional columns).
            blank = pd.Series(_typed_column(one_blank, f))
            out[f.name] = pd.Series(blank.iloc[0], index=frame.index, dtype=blank.dtype)
    return pd.DataFrame(out, index=frame.index)


def check_table(path: str | Path, kind: str | None = None, *,
                sources: pd.DataFrame | None = None,
                max_bytes: int = config.MAX_FILE_BYTES,
                max_rows: int = config.MAX_ROWS) -> tuple[pd.DataFrame, str]:
    """Read and check one table; return it typed, and its kind.

    `kind` is detected from the columns when not given. `sources` (from
    `load_sources`) enables the source_id and quote checks; without it they are skipped.
    Unknown columns give a DataWarning and are left out of the result."""
    import pandera.pandas as pa

    path = Path(path)
    frame = read_strings(path, max_bytes=max_bytes, max_rows=max_rows)
    kind = kind or contract.detect_kind(list(frame.columns))
    known = set(contract.column_names(kind))
    for name in frame.columns:
        if name not in known:
            warnings.warn(f"{path}:1: {name}: unknown column, ignored", DataWarning,
                          stacklevel=2)
    lines = _Lines(path)
    problems: list[Problem] = []
    parsed: dict = {}
    # In place: the checks change nothing, and pandera would otherwise copy the whole
    # table first (0.1 s at a million rows).
    try:
        contract.raw_schema(kind, parsed).validate(frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        problems += _locate(path, err.failure_cases, lines)
    if any(p.message == MISSING_COLUMN for p in problems):
        raise DataError(problems)  # nothing further can be checked without it

    typed = _typed(frame, kind, parsed)
    try:
        contract.row_schema(kind).validate(typed, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        # A wide check reports every column of a failing row; keep the one it is about.
        cases = err.failure_cases
        blamed = cases["check"].map(contract.ROW_RULE_COLUMN)
        cases = cases[cases["column"] == blamed].copy()
        cases["failure_case"] = [frame[c].iloc[i] for c, i in
                                 zip(cases["column"], cases["index"], strict=True)]
        bad_lines = {p.line for p in problems}
        problems += [p for p in _locate(path, cases, lines) if p.line not in bad_lines]
    if kind == contract.SOURCES and not problems:
        problems += provenance.attach_texts(path, typed, lines)
    elif sources is not None and "source_id" in frame:
        problems += provenance.check(path, frame, sources, lines)
    if problems:
        raise DataError(problems)
    typed.attrs["path"] = str(path)
    return typed, kind


def _load(path, kind, sources, **limits) -> pd.DataFrame:
    if sources is not None and not isinstance(sources, pd.DataFrame):
        sources = load_sources(sources) if config.resolve(sources) else None
    table, _ = check_table(config.resolve(path), kind, sources=sources, **limits)
    return table


def load_attacks(path: str | Path, sources: str | Path | pd.DataFrame | None = None,
                 **limits) -> pd.DataFrame:
    """The attacks table, typed: dates as datetime64, categories as categoricals,
    counts as nullable integers. With `sources` (a path, or a table from
    `load_sources`), source ids and quotes are checked against the source documents."""
    return _load(path, contract.ATTACKS, sources, **limits)


def load_claims(path: str | Path, sources: str | Path | pd.DataFrame | None = None,
                **limits) -> pd.DataFrame:
    """The aggregate claims table, typed like `load_attacks`."""
    return _load(path, contract.CLAIMS, sources, **limits)


def load_context(path: str | Path, sources: str | Path | pd.DataFrame | None = None,
                 **limits) -> pd.DataFrame:
    """The dated context events table, typed like `load_attacks`."""
    return _load(path, contract.CONTEXT, sources, **limits)


def load_sources(path: str | Path, **limits) -> pd.DataFrame:
    """The sources table, with each document's text checked to exist. Relative
    document paths are taken from the folder above the one holding sources.csv."""
    table, _ = check_table(config.resolve(path), contract.SOURCES, **limits)
    return table


def empty_table(kind: str) -> pd.DataFrame:
    """A typed table of a kind with no rows, for "none given"."""
    frame = pd.DataFrame({name: pd.Series([], dtype=object) for name in
                          contract.column_names(kind)})
    return _typed(frame, kind)
