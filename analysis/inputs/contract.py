"""The data contract, read from `data/datapackage.json` (Frictionless Table Schema) and
enforced with pandera. The JSON file is the one description of every column; the
codebook documents it and the loader checks it, so the two cannot drift apart."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache

from .. import config

# Table kinds, keyed by the datapackage resource name.
ATTACKS, CLAIMS, CONTEXT, SOURCES = "attacks", "claims", "context_events", "sources"

# Written in category columns for "not known"; a blank cell means the same.
UNKNOWN = "unknown"

# Attack columns a brief can be limited to, or swept over (see `filters`).
FILTER_COLUMNS = ("region", "governorate", "target_type", "weapon")


def describe_filters(filters) -> str:
    """Filters (column -> values) in words, e.g. "region Kurdistan Region; weapon rocket
    or drone": one wording for the brief's title block, key numbers and charts."""
    return "; ".join(f"{column.replace('_', ' ')} {' or '.join(values)}"
                     for column, values in filters.items())


def parse_iso_days(s):
    """Strings to days; anything but a real YYYY-MM-DD day becomes NaT. One parse per
    column: the fixed length rules out forms such as 2021-1-5 that the parser would
    take, and the parser rules out 2021-02-30."""
    import pandas as pd

    return pd.to_datetime(s.where(s.str.len() == 10, None), format="%Y-%m-%d",
                          errors="coerce").astype("datetime64[ns]")


# A count is a whole number of 0 or more in ASCII digits, at most 18 of them: every such
# number fits in a 64-bit integer. No source counts attacks, munitions or casualties in
# the quintillions, and a longer number used to stop the typing of its table with a crash.
COUNT_DIGITS = 18
NOT_A_COUNT = f"not a whole number of 0 or more, of at most {COUNT_DIGITS} digits"


def is_count(s):
    """Counts (see COUNT_DIGITS), written in ASCII digits (isdigit alone would take other
    scripts' digits and superscripts)."""
    return s.str.isdigit() & s.str.isascii() & (s.str.len() <= COUNT_DIGITS)


# An id (a key of its table, or a reference to another's) is plain text on one line. It
# may hold no control character (Unicode category Cc: NUL, tab, line feed, carriage
# return, NEL, ...), no line or paragraph separator (Zl, Zp), and none of the direction
# controls that make text read otherwise than its characters (U+061C, U+200E, U+200F,
# U+202A-U+202E, U+2066-U+2069). Ids are written into the brief, summary.json, the
# editions' files and error messages, and matched against each other: a line break in
# one used to carry markup out of the brief's Markdown.
NOT_PLAIN_TEXT = re.compile(
    r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
NOT_PLAIN_ID = ("an id must be one line of plain text, without control characters, line "
                "breaks or direction controls")


def plain_text(s, known: dict | None = None):
    """Where a column holds plain text on one line (see NOT_PLAIN_TEXT)."""
    import pandas as pd

    def work_out(s):
        # One search over the column's cells joined, and a pass per cell only when it
        # finds something: a million ids are checked in a third of the time.
        if NOT_PLAIN_TEXT.search("".join(s.tolist())) is None:
            return pd.Series(True, index=s.index)
        return ~s.str.contains(NOT_PLAIN_TEXT.pattern, regex=True)

    return worked_out(known, "plain", s, work_out)


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # "string", "date" or "integer"
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] | None = None
    identifier: bool = False  # the table's key, or a reference to another table's


@cache
def _datapackage() -> dict:
    return json.loads(config.DATAPACKAGE_JSON.read_text(encoding="utf-8"))


def _names(value) -> list[str]:
    """A Table Schema field list: one name, or a list of them."""
    return [value] if isinstance(value, str) else list(value or [])


def _identifiers(schema: dict) -> set[str]:
    """The columns that hold ids: the primary key and every foreign key."""
    return {*_names(schema.get("primaryKey")),
            *(name for key in schema.get("foreignKeys", []) for name in _names(key["fields"]))}


@cache
def fields(kind: str) -> tuple[Field, ...]:
    """The columns of one table kind, in their documented order."""
    for resource in _datapackage()["resources"]:
        if resource["name"] == kind:
            identifiers = _identifiers(resource["schema"])
            return tuple(
                Field(
                    name=f["name"],
                    type=f["type"],
                    description=f.get("description", ""),
                    required=f.get("constraints", {}).get("required", False),
                    unique=f.get("constraints", {}).get("unique", False),
                    enum=tuple(f["constraints"]["enum"]) if "enum" in f.get("constraints", {})
                    else None,
                    identifier=f["name"] in identifiers,
                )
                for f in resource["schema"]["fields"]
            )
    raise KeyError(kind)


def column_names(kind: str) -> list[str]:
    return [f.name for f in fields(kind)]


def detect_kind(columns: list[str]) -> str:
    """Which table a header belongs to. Anything that is not recognisably claims,
    context events or sources is checked as an attacks table, whatever its name."""
    cols = set(columns)
    if "claim_id" in cols:
        return CLAIMS
    if "context_id" in cols:
        return CONTEXT
    if {"source_id", "path"} <= cols and "event_id" not in cols:
        return SOURCES
    return ATTACKS


def worked_out(known: dict | None, what: str, s, work_out):
    """`work_out(s)`, kept in `known` under `what` for the next rule, or the typing, that
    asks it of the same rows; `known` None keeps nothing."""
    if known is None:
        return work_out(s)
    result = known.get(what)
    if result is None or not result.index.equals(s.index):
        known[what] = result = work_out(s)
    return result


# What the checks and then the typing ask of a column's raw strings, each worked out once
# for the same rows when given the column's `known` (see `worked_out`).

def blanks(s, known: dict | None = None):
    """Where the column is blank."""
    return worked_out(known, "blank", s, lambda s: s == "")


def days(s, known: dict | None = None):
    """The day of each cell of a date column (NaT where it holds none)."""
    return worked_out(known, "days", s, parse_iso_days)


def counts(s, known: dict | None = None):
    """Where a count column holds a count."""
    return worked_out(known, "counts", s, is_count)


def allowed(s, values, known: dict | None = None):
    """Where a category column holds one of `values`."""
    return worked_out(known, "allowed", s, lambda s: s.isin(values))


def raw_schema(kind: str, parsed: dict | None = None):
    """A pandera schema for a table read as strings (blank = ""): presence of required
    columns, required values, uniqueness, ids as plain text on one line, date and count
    syntax, real calendar dates, and allowed category values. Cross-column rules live in
    `row_schema`.

    Given `parsed`, the checks work out once what several of them ask of a column (where
    it is blank), and leave in it, by column name, what they worked out on the way: where
    each column is blank, the days of each date column, where each count column holds a
    count and where each category column holds an allowed value. The other rules, and
    then the typing of the table, reuse them instead of passing over every cell again:
    each pass over a million strings costs 25 ms or more."""
    import pandera.pandas as pa

    def known(s):
        return None if parsed is None else parsed.setdefault(s.name, {})

    def not_blank(s):
        return ~blanks(s, known(s))

    def real_date(s):
        return blanks(s, known(s)) | days(s, known(s)).notna()

    def check(rule, error):
        # Read as strings, a table has no missing cells, only blanks, which each rule
        # handles: pandera need not look for missing cells (a pass over every cell, twice
        # per rule, a quarter of the check's time on a million rows).
        return pa.Check(rule, error=error, ignore_na=False)

    columns = {}
    for f in fields(kind):
        checks = []
        if f.required:
            checks.append(check(not_blank, "required value is missing"))
        if f.identifier:
            checks.append(check(lambda s: plain_text(s, known(s)), NOT_PLAIN_ID))
        if f.type == "date":
            checks.append(check(real_date, "not a real calendar date in the form YYYY-MM-DD"))
        elif f.type == "integer":
            checks.append(check(lambda s: blanks(s, known(s)) | counts(s, known(s)),
                                NOT_A_COUNT))
        if f.enum:
            checks.append(check(
                lambda s, values=f.enum: blanks(s, known(s)) | allowed(s, values, known(s)),
                "not one of: " + ", ".join(f.enum)))
        columns[f.name] = pa.Column(
            None, checks, required=f.required, nullable=True,
            unique=f.unique, report_duplicates="exclude_first",
        )
    return pa.DataFrameSchema(columns, strict=False, coerce=False)


# Cross-column rules, checked on typed tables: message -> (column blamed, rule that is
# True where the row is fine). Rows whose values are already wrong are left to the
# column checks, so each problem is reported once.
ROW_RULES = {
    ATTACKS: {"date_end is before date_start": (
        "date_end", lambda d: ~(d["date_end"] < d["date_start"]))},
    CLAIMS: {
        "period_end is before period_start": (
            "period_end", lambda d: ~(d["period_end"] < d["period_start"])),
        "count_max is below count_min": (
            "count_max", lambda d: ~(d["count_max"] < d["count_min"]).fillna(False)),
    },
    CONTEXT: {},
    SOURCES: {
        "coverage_end is before coverage_start": (
            "coverage_end", lambda d: ~(d["coverage_end"] < d["coverage_start"])),
        "coverage_start and coverage_end are given together or not at all": (
            "coverage_end", lambda d: d["coverage_start"].isna() == d["coverage_end"].isna()),
    },
}
ROW_RULE_COLUMN = {message: column for rules in ROW_RULES.values()
                   for message, (column, _) in rules.items()}


def row_schema(kind: str):
    """A pandera schema of the cross-column rules of a typed table."""
    import pandera.pandas as pa

    return pa.DataFrameSchema(checks=[pa.Check(rule, error=message)
                                      for message, (_, rule) in ROW_RULES[kind].items()])
