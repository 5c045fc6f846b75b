"""Importers: turn an ACLED export, a UCDP GED file or a user's own table into an attacks
table that passes `validate`, plus the file's row in the sources table beside it.

`import_file` checks the options, hands the file to its format's converter (`acled`,
`ucdp`, `table`), sorts the rows, then checks both output tables whole before writing
either. Bad input raises DataError with every problem located in the input (or map)
file; nothing is written then. data/importers.md is the codebook of the mapping rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ... import config, dates
from ...exceptions import ParameterError
from .. import contract
from . import acled, common, table, ucdp

FORMATS = {"acled": acled, "ucdp": ucdp, "table": table}


@dataclass(frozen=True)
class ImportResult:
    rows: int
    source_id: str
    sources_path: Path
    out: Path


def _import_date(imported_on: str | None) -> str:
    if imported_on is None:
        return dt.date.today().isoformat()
    day = dates.parse_iso_day(imported_on)
    if day is None:
        raise ParameterError("--imported-on", imported_on,
                             "not a real calendar day in the form YYYY-MM-DD")
    return day.isoformat()


def _check_options(fmt: str, path: Path, out: Path, map_path: Path | None,
                   sheet: str | None) -> None:
    if fmt not in FORMATS:
        raise ParameterError("format", fmt, "must be one of: " + ", ".join(FORMATS))
    if fmt == "table" and map_path is None:
        raise ParameterError("--map", "", "format 'table' needs --map MAP.toml")
    if fmt != "table" and map_path is not None:
        raise ParameterError("--map", str(map_path), "only for format 'table'")
    if sheet is not None and not (fmt == "table" and table.is_excel(path)):
        raise ParameterError("--sheet", sheet, "only for an .xlsx file imported as 'table'")
    if not out.parent.is_dir():
        raise ParameterError("--out", str(out), "its folder does not exist")
    if out.name == "sources.csv":
        raise ParameterError("--out", str(out), "is the sources table the import updates")
    if out.suffix.lower() != ".csv":
        raise ParameterError("--out", str(out), "must be a .csv file")
    if path.exists() and out.exists() and out.resolve() == path.resolve():
        raise ParameterError("--out", str(out), "is the file being imported")


def import_file(fmt: str, path: Path, out: Path, *, map_path: Path | None = None,
                sheet: str | None = None, imported_on: str | None = None,
                max_bytes: int = config.MAX_FILE_BYTES,
                max_rows: int = config.MAX_ROWS) -> ImportResult:
    """Import `path` (format acled, ucdp or table) into the attacks table `out`, and add
    or replace the file's row in sources.csv beside `out`. Raises DataError or
    ParameterError, writing nothing, when the input or the options are wrong."""
    path, out = Path(path), Path(out)
    _check_options(fmt, path, out, map_path, sheet)
    imported = _import_date(imported_on)
    module = FORMATS[fmt]
    limits = {"max_bytes": max_bytes, "max_rows": max_rows}
    converted = module.convert(path, map_path=map_path, sheet=sheet, **limits)

    digest = common.sha256_of(path)
    row = common.source_row(fmt, path, digest, imported, module.TITLE, module.PUBLISHER,
                            converted.detail)
    columns = contract.column_names(contract.ATTACKS)
    attacks = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in converted.rows],
                           columns=columns, dtype=object)
    attacks["source_id"], attacks["quote"] = row["source_id"], ""
    attacks["_line"] = converted.lines
    attacks = attacks.sort_values(["date_start", "event_id"], kind="stable")
    lines = attacks.pop("_line").tolist()
    attacks = attacks.reset_index(drop=True)

    sources_path = common.write_outputs(attacks, lines, path, out, row, **limits)
    return ImportResult(rows=len(attacks), source_id=row["source_id"],
                        sources_path=sources_path, out=out)
