"""UCDP GED files: one attacks row per GED event, dated to GED's own date_start..date_end
window; weapon and target type are left unknown."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ... import dates
from .. import contract
from . import common, reading

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


# UCDP GED codebook, type_of_violence.
VIOLENCE = {"1": "1 state-based conflict", "2": "2 non-state conflict",
            "3": "3 one-sided violence"}
_DATE_FORM = ("not a date in the form YYYY-MM-DD, optionally followed by a time "
              "(2021-02-15 00:00:00.000)")


def _day_iso(text: str) -> str:
    day = parse_day(text)
    return day.isoformat() if day else ""


class Input(reading.CsvInput):
    """A UCDP GED event file, checked and converted a chunk at a time."""

    title, publisher, id_column = TITLE, PUBLISHER, "id"
    group_label = "type_of_violence"

    def __init__(self, path: Path, *, max_bytes: int, max_rows: int, **_):
        super().__init__(path, max_bytes=max_bytes, max_rows=max_rows)
        found = common.find_columns(path, self.headers, REQUIRED,
                                    OPTIONAL + ("type_of_violence",))
        self.columns = {name: found.get(name) for name in (*REQUIRED, *OPTIONAL)}
        self.group_header = found.get("type_of_violence")
        self.detail = "Read as a UCDP GED event file."

    def check(self, chunk: pd.DataFrame, problems: reading.Problems):
        cells = reading.strip(chunk, {n: self.columns[n] for n in (
            "id", "date_start", "date_end", "best")})
        records = chunk.index.to_numpy()
        ids = cells["id"]
        problems.add(records[(ids == "").to_numpy()], "id", "", "required value is missing")
        days = {}
        for column in ("date_start", "date_end"):
            days[column] = reading.per_unique(_day_iso, cells[column])
            bad = days[column] == ""
            problems.add(records[bad], column, cells[column].to_numpy()[bad], _DATE_FORM)
        both = (days["date_start"] != "") & (days["date_end"] != "")
        backwards = both & (days["date_end"] < days["date_start"])
        problems.add(records[backwards], "date_end", cells["date_end"].to_numpy()[backwards],
                     "date_end is before date_start")
        best = cells["best"]
        counts = reading.per_unique(lambda t: t == "" or common.is_count(t), best).astype(bool)
        problems.add(records[~counts], "best", best.to_numpy()[~counts], contract.NOT_A_COUNT)
        return ids, both & ~backwards

    def groups(self, chunk: pd.DataFrame) -> pd.Series:
        if self.group_header is None:
            return pd.Series("(no type_of_violence column)", index=chunk.index, dtype=object)
        raw = reading.stripped(chunk[self.group_header])
        return raw.map(lambda v: VIOLENCE.get(v, v or "(blank)"))

    def context(self, chunk: pd.DataFrame) -> pd.DataFrame:
        cells = reading.strip(chunk, {"event_date": self.columns["date_start"],
                                      "location": self.columns["where_description"]})
        cells["notes"] = self._facts(chunk)
        return pd.DataFrame(cells, index=chunk.index)

    def _facts(self, chunk: pd.DataFrame) -> pd.Series:
        get = {k: v.astype(object) for k, v in reading.strip(chunk, self.columns).items()}

        def text(column, blank):
            return get[column].replace("", blank)

        ranged = (get["low"] != "") | (get["high"] != "")
        deaths = ("UCDP deaths: best " + text("best", "not given")).where(
            ~ranged, "UCDP deaths: best " + text("best", "not given") + " (low "
            + text("low", "?") + ", high " + text("high", "?") + ")")
        facts = ("[UCDP GED: event " + get["id"] + "; date_prec "
                 + text("date_prec", "(blank)") + "; " + deaths)
        facts = facts.where(get["dyad_name"] == "", facts + "; dyad " + get["dyad_name"])
        elsewhere = ~get["country"].isin(["", "Iraq"])
        facts = facts.where(~elsewhere, facts + "; country " + get["country"])
        return facts + ".]"

    def convert(self, chunk: pd.DataFrame, target_type: bool = True) -> pd.DataFrame:
        get = reading.strip(chunk, self.columns)
        name = reading.per_unique(adm1_governorate, get["adm_1"])
        return pd.DataFrame({
            "event_id": get["id"].astype(object),
            "date_start": reading.per_unique(_day_iso, get["date_start"]),
            "date_end": reading.per_unique(_day_iso, get["date_end"]),
            "location": get["where_description"].astype(object),
            "governorate": name,
            "region": reading.per_unique(common.region, name, get["country"]),
            "target_type": common.UNKNOWN, "weapon": common.UNKNOWN,
            "notes": self._facts(chunk),
        }, index=chunk.index)
