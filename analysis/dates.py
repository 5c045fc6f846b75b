"""Days as the project reads and writes them, without pandas: ISO `YYYY-MM-DD` in files
and parameters, "20 April 2021" for readers, whatever the machine's locale."""

from __future__ import annotations

import datetime as dt
import re

from . import config

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_iso_day(text: object) -> dt.date | None:
    """A real calendar day written exactly as YYYY-MM-DD, else None (so 2021-1-5,
    2021-02-30 and 2021-02-15T00:00 are all refused)."""
    text = str(text if text is not None else "").strip()
    if not _ISO_DAY.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def day_problem(value) -> str:
    """What is wrong with a day a brief's window may start or end on, or "" when nothing
    is: it must be an ISO day from config.EARLIEST_DAY to config.LATEST_DAY."""
    day = parse_iso_day(value)
    if day is None:
        return "must be a date in the form YYYY-MM-DD"
    if not config.EARLIEST_DAY <= day.isoformat() <= config.LATEST_DAY:
        return (f"must fall between {config.EARLIEST_DAY} and {config.LATEST_DAY}, the "
                "days a brief can count over")
    return ""


def as_date(value) -> dt.date:
    """A date, datetime, pandas Timestamp, numpy datetime64 or ISO string as a date."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp, without importing pandas
        return value.to_pydatetime().date()
    text = str(value)[:10]
    parsed = parse_iso_day(text)
    if parsed is None:
        raise ValueError(f"not a day: {value!r}")
    return parsed


def iso_day(value) -> str:
    """2021-04-20."""
    return as_date(value).isoformat()


def long_day(value) -> str:
    """20 April 2021."""
    day = as_date(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def short_day(value) -> str:
    """20 Apr 2021, for chart labels where space is short."""
    day = as_date(value)
    return f"{day.day} {MONTHS[day.month - 1][:3]} {day.year}"
