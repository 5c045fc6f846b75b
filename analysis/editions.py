"""What changed in a brief since its previous edition.

A brief is rebuilt as new data arrives; each build is an *edition*, named by its as-of day
(the summary's ``window_end``). To say what changed, a brief keeps a small record of its
earlier editions in ``<brief>/editions/<as_of>/``: only ``summary.json``, ``counts.csv`` and
``attack-ids.csv`` (the ids of the attacks possibly in the window), never the HTML, PDF or
figures: a few kilobytes per edition for the article's data, and about ten bytes per
attack in the window on large tables.

A build writes a brief into a fresh staging folder and swaps it in, so before the notebook
runs, `carry_editions` copies the kept editions into the staging folder and snapshots the
brief being replaced as one more edition. It then names the edition to compare with: the
latest one *strictly before* the new as-of day. Rebuilding the same edition (new code, a
fixed row, same as-of day) therefore compares with the edition before it, as the first
build of that day did, rather than with itself, which would always report no change.

`compare` turns the previous edition and the new data into the ``previous_edition`` entry
of ``summary.json``; `changes_section` writes it in words for the brief.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pandas as pd

from . import config
from .counting.frequency import possibly_in
from .dates import as_date, iso_day, long_day, parse_iso_day
from .exceptions import DataError, ParameterError, Problem
from .render.text import esc_markdown

EDITIONS_DIR = "editions"
ATTACK_IDS = "attack-ids.csv"
# What an edition keeps: a few KB, never the brief itself.
KEPT = ("summary.json", "counts.csv", ATTACK_IDS)

ID_COLUMNS = ["event_id", "date_start", "date_end"]
COMPARED = ("attacks_exact", "attacks_min", "attacks_max", "attacks_expected")
MAX_LISTED = 30  # new attacks listed one by one in the brief; the rest are counted

_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
          "eleven", "twelve")


# --- the ids of an edition ---------------------------------------------------------------

def _possibly_in(attacks: pd.DataFrame, window) -> pd.DataFrame:
    """Attacks whose date window overlaps `window`, sorted by start day then id."""
    chosen = attacks.loc[possibly_in(attacks, window), ID_COLUMNS]
    return chosen.sort_values(["date_start", "event_id"], kind="mergesort", ignore_index=True)


def attack_ids(attacks: pd.DataFrame, window) -> bytes:
    """``attack-ids.csv`` for an edition: the id of each attack possibly in the window, in
    the data's order. Ids alone are enough to tell what is new or gone, and they keep the
    file small and quick to write on a million rows; dates come from the current data."""
    # As references to the ids' own strings: converting the array to text first made a
    # copy of each id, and a second one in a fixed-width array, 100 MB at a million rows.
    ids = [str(i) for i in attacks["event_id"].to_numpy(dtype=object)[
        possibly_in(attacks, window)]]
    text = "\n".join(["event_id", *ids, ""])
    # Only an id with a comma, a quote or a line break needs quoting. Ids rarely have
    # one: they are written as they are, unless one does, and then the csv module
    # quotes every id (its minimal quoting leaves a carriage return bare, and a reader
    # would split the id there). That is as fast on a small table, and twice as slow on
    # a million rows.
    if text.count("\n") != len(ids) + 1 or any(c in text for c in ',"\r'):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
        writer.writerow(["event_id"])
        writer.writerows([i] for i in ids)
        text = buffer.getvalue()
    return text.encode("utf-8")


# --- carrying editions from one build to the next ----------------------------------------

def _day_folders(editions: Path) -> list[Path]:
    """Edition folders named by a real ISO day, oldest first."""
    if not editions.is_dir():
        return []
    return sorted(p for p in editions.iterdir()
                  if p.is_dir() and not p.is_symlink() and parse_iso_day(p.name))


def _copy_kept(source: Path, target: Path) -> None:
    """Copy the KEPT files that `source` holds as regular files into `target`."""
    for name in KEPT:
        path = source / name
        if path.is_file() and not path.is_symlink():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target / name)


def _as_of_of(summary_path: Path) -> str:
    """The ISO ``window_end`` of a built brief's summary."""
    value = _read_summary(summary_path).get("window_end")
    if parse_iso_day(value) is None:
        raise _data_error(summary_path, f"window_end {value!r} is not an ISO day")
    return str(value)


def carry_editions(final_dir: Path, staging: Path, new_as_of: str) -> str:
    """Copy the kept editions of the brief at `final_dir` into `staging`, snapshot the brief
    itself as an edition unless it has the new as-of day, and return the as-of day of the
    edition to compare with ("" if none)."""
    final_dir, staging = Path(final_dir), Path(staging)
    new_day = parse_iso_day(new_as_of)
    if new_day is None:
        raise ParameterError("as_of", new_as_of, "must be an ISO day, YYYY-MM-DD")
    for folder in _day_folders(final_dir / EDITIONS_DIR):
        _copy_kept(folder, staging / EDITIONS_DIR / folder.name)
    if (final_dir / "summary.json").is_file():
        old_as_of = _as_of_of(final_dir / "summary.json")
        if old_as_of != iso_day(new_day):
            snapshot = staging / EDITIONS_DIR / old_as_of
            shutil.rmtree(snapshot, ignore_errors=True)  # one edition's files, never a mix
            _copy_kept(final_dir, snapshot)
    earlier = [p.name for p in _day_folders(staging / EDITIONS_DIR)
               if parse_iso_day(p.name) < new_day
               and all((p / name).is_file() for name in ("summary.json", ATTACK_IDS))]
    return earlier[-1] if earlier else ""


# --- comparing with the previous edition -------------------------------------------------

def _data_error(path: Path, message: str) -> DataError:
    return DataError([Problem(str(path), 0, "-", "", message)])


def _read_summary(path: Path) -> dict:
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise _data_error(path, f"cannot read the previous edition's summary: {err}") from err
    if not isinstance(summary, dict):
        raise _data_error(path, "is not a JSON object")
    return summary


def _read_ids(path: Path) -> list[str]:
    try:
        text = path.read_bytes().decode("utf-8")
        ids = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (OSError, UnicodeDecodeError, pd.errors.ParserError,
            pd.errors.EmptyDataError) as err:
        raise _data_error(path, f"cannot read the previous edition's ids: {err}") from err
    if "event_id" not in ids:
        raise _data_error(path, "has no event_id column")
    return ids["event_id"].tolist()


def _plain(value):
    """A numpy number as the Python number json writes."""
    return value.item() if hasattr(value, "item") else value


def compare(output_dir: Path, previous_as_of: str, attacks: pd.DataFrame, window,
            summary: dict) -> dict | None:
    """The ``previous_edition`` entry of summary.json: which attacks are new in the window
    since the edition of `previous_as_of`, which left the data, and how the counts moved.
    None when there is no previous edition."""
    if not previous_as_of:
        return None
    if parse_iso_day(previous_as_of) is None:
        raise ParameterError("previous_edition", previous_as_of,
                             "must be an ISO day, YYYY-MM-DD")
    # Relative to the project root, like every path the notebook is given.
    folder = (config.resolve(output_dir) or config.NOTEBOOK_RUN_DIR) / EDITIONS_DIR / previous_as_of
    before = _read_summary(folder / "summary.json")
    missing = [key for key in COMPARED if key not in before]
    if missing:
        raise _data_error(folder / "summary.json", f"has no {', '.join(missing)}")
    old_ids = _read_ids(folder / ATTACK_IDS)
    old_set, all_ids = set(old_ids), set(attacks["event_id"].astype(str))
    now = _possibly_in(attacks, window)["event_id"].astype(str)
    return {
        "as_of": previous_as_of,
        "new_event_ids": [i for i in now if i not in old_set],
        "removed_event_ids": sorted(set(old_ids) - all_ids),
        "changes": {key: {"before": before[key], "after": _plain(summary[key])}
                    for key in COMPARED},
    }


# --- the brief's section ------------------------------------------------------------------

def _number(n: int) -> str:
    return _WORDS[n] if n < len(_WORDS) else str(n)


def _count(n: int, word: str, capital: bool = False) -> str:
    text = f"{_number(n)} {word if n == 1 else word + 's'}"
    return text[0].upper() + text[1:] if capital else text


def _code(event_id: str) -> str:
    """An id for the section's Markdown: shown in code type and as the characters it is.
    A Markdown code span is no escape (a backtick or a line break ends it), so the id is
    escaped character by character inside an HTML <code> element."""
    return f"<code>{esc_markdown(event_id)}</code>"


def day_span(start, end) -> str:
    """18 March 2021; 1 – 20 March 2021; 28 February – 3 March 2021; or across years,
    30 December 2020 – 2 January 2021."""
    first, last = as_date(start), as_date(end)
    if first == last:
        return long_day(first)
    if (first.year, first.month) == (last.year, last.month):
        return f"{first.day} – {long_day(last)}"
    if first.year == last.year:
        return f"{long_day(first).rsplit(' ', 1)[0]} – {long_day(last)}"
    return f"{long_day(first)} – {long_day(last)}"


def _new_lines(new_ids: list[str], attacks: pd.DataFrame, as_of) -> tuple[list[str], int]:
    """One bullet per new attack (at most MAX_LISTED), and how many were reported late:
    dated to a window that starts on or before the previous as-of day."""
    dates = attacks.assign(event_id=attacks["event_id"].astype(str)).drop_duplicates(
        "event_id").set_index("event_id")[["date_start", "date_end"]]
    lines, late = [], 0
    for event_id in new_ids:
        known = event_id in dates.index
        is_late = known and as_date(dates.at[event_id, "date_start"]) <= as_of
        late += is_late
        if len(lines) < MAX_LISTED:
            when = day_span(*dates.loc[event_id]) if known else "date not in the data"
            lines.append(f"- {_code(event_id)}, {when}" + (" (reported only later)"
                                                            if is_late else ""))
    if len(new_ids) > MAX_LISTED:
        lines.append(f"- and {len(new_ids) - MAX_LISTED} more, listed in summary.json")
    return lines, late


def _new_paragraph(previous: dict, attacks: pd.DataFrame) -> str:
    as_of = as_date(previous["as_of"])
    new_ids = previous["new_event_ids"]
    if not new_ids:
        return (f"Since the edition of {long_day(as_of)}, no attack is new: every attack "
                f"possibly in the window was already in that edition.")
    lines, late = _new_lines(new_ids, attacks, as_of)
    head = f"Since the edition of {long_day(as_of)}, {_count(len(new_ids), 'attack')} "
    head += "is new" if len(new_ids) == 1 else "are new"
    if late:
        which = ("it is" if len(new_ids) == 1 else
                 f"{_number(late)} of them " + ("is" if late == 1 else "are"))
        was = "was" if late == 1 else "were"
        head += f"; {which} dated on or before {long_day(as_of)} and so {was} reported only later"
    return head + ":\n\n" + "\n".join(lines)


def _removed_sentence(removed: list[str]) -> str:
    if not removed:
        return "None removed: every attack in that edition is still in the data."
    ids = ", ".join(_code(i) for i in removed)
    verb = "is" if len(removed) == 1 else "are"
    return f"{_count(len(removed), 'attack', capital=True)} of that edition {verb} no longer " \
           f"in the data: {ids}."


def _moves_sentence(changes: dict) -> str:
    def move(key: str, fmt: str) -> str:
        cast = float if fmt == ".1f" else int
        before, after = (format(cast(changes[key][side]), fmt) for side in ("before", "after"))
        return before if before == after else f"{before} → {after}"

    unchanged = all(c["before"] == c["after"] for c in changes.values())
    head = "The counts for the window are unchanged" if unchanged else \
        "The counts for the window moved"
    return (f"{head}: expected {move('attacks_expected', '.1f')}; certainly "
            f"{move('attacks_min', 'd')}, possibly {move('attacks_max', 'd')}; dated to the "
            f"day {move('attacks_exact', 'd')}.")


def changes_section(previous: dict | None, attacks: pd.DataFrame) -> str:
    """Markdown for the brief's "changes since the previous edition" section, its
    heading included (it names the previous edition's day); one line for a first
    edition."""
    if previous is None:
        # One quiet line: a heading over nothing would push the first chart off page one.
        return "*This is the first edition of this brief: there is no earlier one to compare.*"
    return "\n\n".join([f"## What changed since the edition of {long_day(previous['as_of'])}",
                        _new_paragraph(previous, attacks),
                        _removed_sentence(previous["removed_event_ids"]),
                        _moves_sentence(previous["changes"])])
