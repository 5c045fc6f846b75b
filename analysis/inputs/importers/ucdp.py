"""UCDP GED files: one attacks row per GED event, dated to GED's own date_start..date_end
window; weapon and target type are left unknown."""

from __future__ import annotations

import re
from pathlib import Path

from ... import dates
from ...exceptions import DataError, Problem
from .. import contract, load
from . import common

TITLE, PUBLISHER = "UCDP GED file", "UCDP"

REQUIRED = ("id", "date_start", "date_end", "date_prec", "adm_1", "where_description",
            "best")
OPTIONAL = ("country", "low", "high", "dyad_name")

# A day, optionally followed by a time of day: 2021-02-15 or 2021-02-15 00:00:00.000.
_DAY_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?")
# GED writes adm_1 with its kind of unit after the name: "Baghdad governorate".
_ADM1_SUFFIX = re.compile(r"\s+(?:governorate|province|muhafazah|muhafazat)$", re.IGNORECASE)


def parse_day(text: str):
    match = _DAY_TIME.fullmatch(text.strip())
    return dates.parse_iso_day(match[1]) if match else None


def adm1_governorate(text: str) -> str:
    return common.governorate(_ADM1_SUFFIX.sub("", text.strip()))


def convert(path: Path, *, max_bytes: int, max_rows: int, **_) -> common.Converted:
    frame = load.read_strings(path, max_bytes=max_bytes, max_rows=max_rows)
    found = common.find_columns(path, frame.columns, REQUIRED, OPTIONAL)
    cells = {name: [v.strip() for v in frame[header]] for name, header in found.items()}
    for name in OPTIONAL:
        cells.setdefault(name, [""] * len(frame))
    lines = common.csv_lines(path)
    out = common.Converted(detail="Read as a UCDP GED event file.")
    problems = common.id_problems(path, "id", cells["id"], lines)

    def bad(row, column, value, message):
        problems.append(Problem(str(path), common.line_of(lines, row), column, value, message))

    for row in range(len(frame)):
        get = {name: values[row] for name, values in cells.items()}
        start, end = parse_day(get["date_start"]), parse_day(get["date_end"])
        for column, day in (("date_start", start), ("date_end", end)):
            if day is None:
                bad(row, column, get[column],
                    "not a date in the form YYYY-MM-DD, optionally followed by a time "
                    "(2021-02-15 00:00:00.000)")
        if start and end and end < start:
            bad(row, "date_end", get["date_end"], "date_end is before date_start")
        if get["best"] and not common.is_count(get["best"]):
            bad(row, "best", get["best"], contract.NOT_A_COUNT)
        if start is None or end is None or end < start:
            continue
        name = adm1_governorate(get["adm_1"])
        deaths = f"UCDP deaths: best {get['best'] or 'not given'}"
        if get["low"] or get["high"]:
            deaths += f" (low {get['low'] or '?'}, high {get['high'] or '?'})"
        facts = [f"event {get['id']}", f"date_prec {get['date_prec'] or '(blank)'}", deaths]
        if get["dyad_name"]:
            facts.append(f"dyad {get['dyad_name']}")
        if get["country"] not in ("", "Iraq"):
            facts.append(f"country {get['country']}")
        out.rows.append({
            "event_id": get["id"], "date_start": start.isoformat(),
            "date_end": end.isoformat(), "location": get["where_description"],
            "governorate": name, "region": common.region(name, get["country"]),
            "target_type": common.UNKNOWN, "weapon": common.UNKNOWN,
            "notes": f"[UCDP GED: {'; '.join(facts)}.]",
        })
        out.lines.append(common.line_of(lines, row))
    if problems:
        raise DataError(problems)
    return out
