"""ACLED exports: one attacks row per ACLED event, dated to the window its time_precision
admits, with weapon and target type only where a rule below makes them unambiguous."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from ... import dates
from ...exceptions import DataError, Problem
from .. import contract, load
from . import common

TITLE, PUBLISHER = "ACLED export", "ACLED"

REQUIRED = ("event_id_cnty", "event_date", "time_precision", "sub_event_type", "admin1",
            "location", "notes", "fatalities")
OPTIONAL = ("country",)
# ACLED's column change of March 2023 removed the first set and added the second.
OLDER_ONLY = ("data_id", "event_id_no_cnty", "iso3")
CURRENT_ONLY = ("disorder_type", "civilian_targeting", "tags")


def _month(day: dt.date) -> tuple[dt.date, dt.date]:
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


# time_precision -> (our window, in words; the window as a function of event_date).
# ACLED codebook, "Time precision codes": 1 = the source gives the actual date; 2 = the
# event happened sometime during a week or a similar period (a weekend), and "the middle of
# the period is used as the reference date"; 3 = only the month is known (event_date is the
# month's midpoint, or its first or last day when the source says beginning or end).
PRECISION = {
    "1": ("event_date only", lambda d: (d, d)),
    "2": ("the 7 days centred on event_date (3 days before to 3 days after)",
          lambda d: (d - dt.timedelta(days=3), d + dt.timedelta(days=3))),
    "3": ("the calendar month of event_date", _month),
}


@dataclass(frozen=True)
class Rule:
    """Set `column` to `value` when sub_event_type is `sub_event_type` ("*": any) and the
    notes mention one of `mentions` (empty: no condition) and none of `unless`."""

    column: str
    sub_event_type: str
    mentions: tuple[str, ...]
    unless: tuple[str, ...]
    value: str


# The one place these rules live; data/importers.md shows the same table (a test checks).
# A column gets a value only when the rules that match a row all give the same one;
# when none match, or matching rules disagree, it is unknown.
RULES = (
    Rule("weapon", "Remote explosive/landmine/IED", (), (), "ied"),
    Rule("weapon", "Air/drone strike", ("drone", "drones", "UAV", "UAVs"), (), "drone"),
    Rule("weapon", "Shelling/artillery/missile attack",
         ("rocket", "rockets", "Katyusha", "Katyushas"), (), "rocket"),
    Rule("weapon", "Shelling/artillery/missile attack", ("mortar", "mortars"), (), "other"),
    Rule("weapon", "Grenade", (), (), "other"),
    Rule("target_type", "*", ("base", "bases", "airbase", "airbases", "camp", "camps"),
         ("IDP", "IDPs", "refugee", "refugees", "displaced"), "military_base"),
    Rule("target_type", "*", ("embassy", "embassies", "consulate", "consulates"), (),
         "diplomatic_facility"),
    Rule("target_type", "*", ("convoy", "convoys"), (), "logistics_convoy"),
)


def _words(words: tuple[str, ...]) -> re.Pattern | None:
    """Whole words, any case; a word joined to another by a hyphen does not count, so
    "rocket-propelled grenade" is not a rocket."""
    if not words:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, words)) + r")(?![\w-])",
                      re.IGNORECASE)


_COMPILED = [(rule, _words(rule.mentions), _words(rule.unless)) for rule in RULES]


def derive(column: str, sub_event_type: str, notes: str) -> str:
    """The value the rules give `column` for one event, or unknown."""
    found = {rule.value for rule, mentions, unless in _COMPILED
             if rule.column == column
             and rule.sub_event_type in ("*", sub_event_type)
             and (mentions is None or mentions.search(notes))
             and not (unless and unless.search(notes))}
    return found.pop() if len(found) == 1 else common.UNKNOWN


_LONG_DATE = re.compile(r"(\d{1,2}) ([A-Za-z]+) (\d{4})")
_MONTHS = {name.lower(): i for i, name in enumerate(dates.MONTHS, start=1)}


def parse_event_date(text: str) -> dt.date | None:
    """2021-02-15, or ACLED's older long form 15 February 2021; else None."""
    text = text.strip()
    day = dates.parse_iso_day(text)
    if day is not None:
        return day
    match = _LONG_DATE.fullmatch(text)
    if not match or match[2].lower() not in _MONTHS:
        return None
    try:
        return dt.date(int(match[3]), _MONTHS[match[2].lower()], int(match[1]))
    except ValueError:
        return None


def layout(headers) -> str:
    names = {str(h).strip().lower() for h in headers}
    if set(CURRENT_ONLY) <= names:
        return "the current ACLED columns (since March 2023)"
    if set(OLDER_ONLY) <= names:
        return "the older ACLED columns (before March 2023)"
    return "neither ACLED column set in full (only the columns used were checked)"


def _fatalities(value: str) -> str:
    if value == "0":
        return "ACLED fatalities: 0 (ACLED writes 0 when no deaths are reported)"
    return f"ACLED fatalities: {value or 'not given'}"


def convert(path: Path, *, max_bytes: int, max_rows: int, **_) -> common.Converted:
    frame = load.read_strings(path, max_bytes=max_bytes, max_rows=max_rows)
    found = common.find_columns(path, frame.columns, REQUIRED, OPTIONAL)
    cells = {name: [v.strip() for v in frame[header]] for name, header in found.items()}
    cells.setdefault("country", [""] * len(frame))
    lines = common.csv_lines(path)
    out = common.Converted(detail=f"Read as {layout(frame.columns)}.")
    problems = common.id_problems(path, "event_id_cnty", cells["event_id_cnty"], lines)

    def bad(row, column, value, message):
        problems.append(Problem(str(path), common.line_of(lines, row), column, value, message))

    for row in range(len(frame)):
        get = {name: values[row] for name, values in cells.items()}
        day = parse_event_date(get["event_date"])
        if day is None:
            bad(row, "event_date", get["event_date"],
                "not a date in a form ACLED writes: YYYY-MM-DD or 15 February 2021")
        code = get["time_precision"]
        if code not in PRECISION:
            bad(row, "time_precision", code,
                "unknown ACLED time_precision; expected 1, 2 or 3 (see data/importers.md)")
        if get["fatalities"] and not common.is_count(get["fatalities"]):
            bad(row, "fatalities", get["fatalities"], contract.NOT_A_COUNT)
        if day is None or code not in PRECISION:
            continue
        words, window = PRECISION[code]
        start, end = window(day)
        name = common.governorate(get["admin1"])
        sub, notes = get["sub_event_type"], get["notes"]
        facts = [f"event_date {get['event_date']}, time_precision {code}: {words}",
                 f"sub_event_type {sub or '(blank)'}", _fatalities(get["fatalities"])]
        if get["country"] not in ("", "Iraq"):
            facts.append(f"country {get['country']}")
        out.rows.append({
            "event_id": get["event_id_cnty"], "date_start": start.isoformat(),
            "date_end": end.isoformat(), "location": get["location"],
            "governorate": name, "region": common.region(name, get["country"]),
            "target_type": derive("target_type", sub, notes),
            "weapon": derive("weapon", sub, notes),
            "notes": " ".join(filter(None, [notes, f"[ACLED: {'; '.join(facts)}.]"])),
        })
        out.lines.append(common.line_of(lines, row))
    if problems:
        raise DataError(problems)
    return out
