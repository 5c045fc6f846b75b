"""ACLED exports: one attacks row per ACLED event, dated to the window its time_precision
admits, with weapon and target type only where a rule below makes them unambiguous."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ... import dates
from .. import contract
from . import common, reading

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


def derive_all(column: str, sub_event_type: pd.Series, notes: pd.Series) -> np.ndarray:
    """The value the rules give `column` for each event, or unknown: the value of the
    rules that match, when they all give the same one."""
    matched: dict[str, np.ndarray] = {}
    for rule in RULES:
        if rule.column != column:
            continue
        hit = np.ones(len(notes), dtype=bool) if rule.sub_event_type == "*" else (
            sub_event_type == rule.sub_event_type).to_numpy(dtype=bool, copy=True)
        for words, wanted in ((rule.mentions, True), (rule.unless, False)):
            at = np.flatnonzero(hit)
            if words and len(at):
                hit[at] = reading.mentions(notes.iloc[at], words) == wanted
        matched[rule.value] = matched.get(rule.value, np.zeros(len(notes), dtype=bool)) | hit
    out = np.full(len(notes), common.UNKNOWN, dtype=object)
    if matched:
        agree = sum(m.astype(np.int8) for m in matched.values()) == 1
        for value, hit in matched.items():
            out[hit & agree] = value
    return out


def derive(column: str, sub_event_type: str, notes: str) -> str:
    """The value the rules give `column` for one event, or unknown."""
    return derive_all(column, pd.Series([sub_event_type], dtype=object),
                      pd.Series([notes], dtype=object))[0]


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


def _window(event_date: str, code: str) -> tuple[str, str, str]:
    words, window = PRECISION[code]
    start, end = window(parse_event_date(event_date))
    return start.isoformat(), end.isoformat(), f"time_precision {code}: {words}"


class Input(reading.CsvInput):
    """An ACLED export, checked and converted a chunk at a time."""

    title, publisher, id_column = TITLE, PUBLISHER, "event_id_cnty"
    group_column, group_label = "event_type", "event_type"

    def __init__(self, path: Path, *, max_bytes: int, max_rows: int, **_):
        super().__init__(path, max_bytes=max_bytes, max_rows=max_rows)
        found = common.find_columns(path, self.headers, REQUIRED, OPTIONAL + ("event_type",))
        self.columns = {name: found.get(name) for name in (*REQUIRED, *OPTIONAL)}
        self.group_header = found.get("event_type")
        self.detail = f"Read as {layout(self.headers)}."

    def check(self, chunk: pd.DataFrame,
              problems: reading.Problems) -> tuple[pd.Series, np.ndarray]:
        """The event ids, and which rows can be converted; every bad cell goes to
        `problems`."""
        cells = reading.strip(chunk, {n: self.columns[n] for n in (
            "event_id_cnty", "event_date", "time_precision", "fatalities")})
        records = chunk.index.to_numpy()
        ids = cells["event_id_cnty"]
        problems.add(records[(ids == "").to_numpy()], "event_id_cnty", "",
                     "required value is missing")
        days = reading.per_unique(lambda t: parse_event_date(t) is not None,
                                  cells["event_date"]).astype(bool)
        bad = ~days
        problems.add(records[bad], "event_date", cells["event_date"].to_numpy()[bad],
                     "not a date in a form ACLED writes: YYYY-MM-DD or 15 February 2021")
        known = cells["time_precision"].isin(list(PRECISION)).to_numpy(dtype=bool)
        problems.add(records[~known], "time_precision",
                     cells["time_precision"].to_numpy()[~known],
                     "unknown ACLED time_precision; expected 1, 2 or 3 (see data/importers.md)")
        fatal = cells["fatalities"]
        counts = reading.per_unique(lambda t: t == "" or common.is_count(t), fatal).astype(bool)
        problems.add(records[~counts], "fatalities", fatal.to_numpy()[~counts],
                     contract.NOT_A_COUNT)
        return ids, days & known

    def groups(self, chunk: pd.DataFrame) -> pd.Series:
        if self.group_header is None:
            return pd.Series("(no event_type column)", index=chunk.index, dtype=object)
        return reading.stripped(chunk[self.group_header]).replace("", "(blank)")

    def context(self, chunk: pd.DataFrame) -> pd.DataFrame:
        """What a decisions file shows beside each doubtful event."""
        cells = reading.strip(chunk, {n: self.columns[n] for n in (
            "event_date", "location", "notes")})
        return pd.DataFrame(cells, index=chunk.index)

    def convert(self, chunk: pd.DataFrame, target_type: bool = True) -> pd.DataFrame:
        """Attacks rows (contract columns as strings, without source_id and quote) for
        rows that `check` passed. `target_type`: derive it from the notes (else unknown,
        for the selection rules to set)."""
        get = reading.strip(chunk, self.columns)
        window = reading.per_unique(_window, get["event_date"], get["time_precision"])
        start = [w[0] for w in window]
        end = [w[1] for w in window]
        precision = pd.Series([w[2] for w in window], index=chunk.index, dtype=object)
        name = reading.per_unique(common.governorate, get["admin1"])
        region = reading.per_unique(common.region, name, get["country"])
        sub, notes = get["sub_event_type"], get["notes"]
        fatal = pd.Series(reading.per_unique(_fatalities, get["fatalities"]), index=chunk.index,
                          dtype=object)
        country = get["country"]
        elsewhere = ~country.isin(["", "Iraq"])
        facts = ("[ACLED: event_date " + get["event_date"].astype(object) + ", " + precision
                 + "; sub_event_type " + sub.astype(object).replace("", "(blank)") + "; "
                 + fatal)
        facts = facts.where(~elsewhere, facts + "; country " + country.astype(object)) + ".]"
        notes = notes.astype(object)
        return pd.DataFrame({
            "event_id": get["event_id_cnty"].astype(object), "date_start": start,
            "date_end": end, "location": get["location"].astype(object),
            "governorate": name, "region": region,
            "target_type": (derive_all("target_type", sub, notes) if target_type
                            else common.UNKNOWN),
            "weapon": derive_all("weapon", sub, notes),
            "notes": facts.where(notes == "", notes + " " + facts),
        }, index=chunk.index)
