"""Shared by the importers: governorate spellings and regions, finding columns and
repeated ids, the sources row of an imported file, and staging both output tables,
checked, in one transaction."""

from __future__ import annotations

import hashlib
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from ...exceptions import DataError, DataWarning, Problem
from ...files import Transaction
from .. import contract, load

UNKNOWN = contract.UNKNOWN
KURDISTAN, FEDERAL = "Kurdistan Region", "Federal Iraq"

# The governorate names written to the attacks table, each with the other spellings that
# ACLED, UCDP and trackers use for it. Spellings are compared by `spelling_key`, which
# ignores case, hyphens, underscores, apostrophes and repeated spaces. data/importers.md
# shows this table; a test checks that the two agree.
GOVERNORATES: dict[str, tuple[str, ...]] = {
    "Anbar": ("Al Anbar",),
    "Babil": ("Babylon", "Babel"),
    "Baghdad": (),
    "Basra": ("Basrah", "Al Basrah", "Al Basra"),
    "Dhi Qar": ("Thi Qar", "Thi-Qar", "Dhi-Qar", "Thiqar"),
    "Diyala": ("Diala",),
    "Duhok": ("Dohuk", "Dahuk", "Dihok"),
    "Erbil": ("Arbil", "Irbil", "Hawler"),
    "Halabja": (),
    "Karbala": ("Kerbala", "Karbala'"),
    "Kirkuk": ("At-Ta'mim", "Ta'mim"),
    "Maysan": ("Missan", "Misan"),
    "Muthanna": ("Al Muthanna", "Al-Muthanna"),
    "Najaf": ("An Najaf", "An-Najaf"),
    "Nineveh": ("Ninewa", "Ninawa"),
    "Qadisiyah": ("Al-Qadissiya", "Qadissiya", "Al-Qadisiyah", "Qadisiya"),
    "Salah al-Din": ("Salah al Din", "Salah ad Din", "Salah ad-Din", "Salahuddin", "Saladin"),
    "Sulaymaniyah": ("Sulaimaniya", "As Sulaymaniyah", "Sulaimaniyah", "Slemani"),
    "Wasit": ("Wassit",),
}
KURDISTAN_GOVERNORATES = ("Duhok", "Erbil", "Halabja", "Sulaymaniyah")


def spelling_key(text: str) -> str:
    text = re.sub(r"['’‘`ʼ]", "", text.lower())
    return " ".join(re.sub(r"[-_]", " ", text).split())


_SPELLINGS = {spelling_key(v): name for name, others in GOVERNORATES.items()
              for v in (name, *others)}


def governorate(raw: str) -> str:
    """The governorate's name as the attacks table writes it; unknown spellings pass
    through unchanged (stripped), so nothing is silently dropped."""
    raw = raw.strip()
    return _SPELLINGS.get(spelling_key(raw), raw)


def region(name: str, country: str = "Iraq") -> str:
    """Kurdistan Region for its four governorates, Federal Iraq for the other Iraqi ones,
    unknown for anything else, including any place outside Iraq."""
    if country.strip() not in ("", "Iraq") or name not in GOVERNORATES:
        return UNKNOWN
    return KURDISTAN if name in KURDISTAN_GOVERNORATES else FEDERAL


# ---------------------------------------------------------------------------------------
# Reading and locating


def find_columns(path: Path, headers, required, optional=()) -> dict[str, str]:
    """Wanted column -> the file's header for it, matched ignoring case. Every missing
    required column is reported at once, on line 1."""
    by_lower = {str(h).strip().lower(): h for h in headers}
    missing = [Problem(str(path), 1, name, "", load.MISSING_COLUMN)
               for name in required if name not in by_lower]
    if missing:
        raise DataError(missing)
    return {name: by_lower[name] for name in (*required, *optional) if name in by_lower}


def duplicate_ids(ids: np.ndarray, problems, column: str) -> None:
    """Each id met again after its first row, at its record, naming the first's line."""
    series = pd.Series(ids, dtype=object)
    filled = series != ""
    again = series.duplicated(keep="first") & filled
    if again.any():
        first = pd.Series(np.arange(len(series))).groupby(series.to_numpy()).transform("min")
        at = np.flatnonzero(again.to_numpy())
        problems.add(at, column, series.to_numpy()[at],
                     "duplicate value; must be unique (first on line {first})",
                     first=first.to_numpy()[at])


def is_count(text: str) -> bool:
    """A count, as the contract has it (see contract.COUNT_DIGITS)."""
    return text.isdigit() and text.isascii() and len(text) <= contract.COUNT_DIGITS


# ---------------------------------------------------------------------------------------
# Provenance


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def source_id(fmt: str, path: Path, digest: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "file"
    return f"{fmt}-{stem}-{digest[:12]}"


def source_row(fmt: str, path: Path, digest: str, imported_on: str, title: str,
               publisher: str, detail: str, coverage: tuple[str, str] | None = None
               ) -> dict[str, str]:
    """The sources row of an imported file: cited, not stored (blank path), so its rows
    carry no quote. `coverage`: the days the analyst declares the file lists completely."""
    row = dict.fromkeys(contract.column_names(contract.SOURCES), "")
    row.update(
        source_id=source_id(fmt, path, digest), publisher=publisher,
        title=f"{title} {path.name} (sha256 {digest[:12]}…)",
        notes=" ".join(filter(None, [
            f"Imported from {path.name} with `python -m analysis import {fmt}` on "
            f"{imported_on}.", f"SHA-256 of the file: {digest}.", detail,
            "See data/importers.md for the mapping rules."])),
    )
    if coverage:
        row["coverage_start"], row["coverage_end"] = coverage
    return row


# ---------------------------------------------------------------------------------------
# Checking and writing


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _merged_sources(existing: pd.DataFrame | None, row: dict[str, str]) -> pd.DataFrame:
    """The existing sources with this file's row replaced (same source_id) or appended.
    Every other row, and any column outside the contract, is kept as it was."""
    columns = contract.column_names(contract.SOURCES)
    if existing is None:
        return pd.DataFrame([row], columns=columns)
    extra = [c for c in existing.columns if c not in columns]
    records = existing.reindex(columns=columns + extra, fill_value="").to_dict("records")
    new = {**dict.fromkeys(extra, ""), **row}
    at = [i for i, r in enumerate(records) if r["source_id"] == row["source_id"]]
    if at:
        records[at[0]] = {**records[at[0]], **row}
    else:
        records.append(new)
    return pd.DataFrame(records, columns=columns + extra)


def _check(path: Path, kind: str, sources=None, **limits) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)  # columns kept on purpose
        table, _ = load.check_table(path, kind, sources=sources, **limits)
    return table


def _relocated(err: DataError, checked: Path, source: Path, records: np.ndarray,
               lines_of) -> DataError:
    """Problems found in the imported table, located at the input row each came from
    (`records`: the input record of each row)."""
    record_at = {int(line): i for i, line in enumerate(load.record_lines(checked))}
    problems = []
    for p in err.problems:
        row = record_at.get(p.line, 0) - 1
        line = int(lines_of(records[[row]])[0]) if 0 <= row < len(records) else 0
        problems.append(Problem(str(source), line, p.column, p.value,
                                f"{p.message} (in the imported row)"))
    return DataError(problems)


def write_outputs(txn: Transaction, held: list[pd.DataFrame], source: Path, out: Path,
                  row: dict[str, str], lines_of, decisions: tuple[Path, bytes] | None = None,
                  **limits) -> tuple[Path, int]:
    """Stage the attacks table (`held`: its one frame, let go of once written), the updated
    sources table and the decisions file in `txn`, and check both tables as they will be
    written; the caller commits. The folder is locked, so sources.csv is read here, not
    before. Returns the sources table's path and the number of rows."""
    sources_path = out.parent / "sources.csv"
    existing = None
    if sources_path.exists():
        _check(sources_path, contract.SOURCES, **limits)  # its own problems, located in it
        existing = load.read_strings(sources_path, **limits)
    staged_sources = txn.write(sources_path, _csv_bytes(_merged_sources(existing, row)))
    attacks = held.pop()
    with txn.open(out) as fh:
        attacks.to_csv(fh, index=False, lineterminator="\n", encoding="utf-8")
    # The check reads the table back: the rows held are no longer needed, only which
    # input record each came from.
    records = attacks.index.to_numpy()
    del attacks
    staged_out = txn.staged[out.name]
    if decisions is not None:
        txn.write(*decisions)
    try:
        sources = _check(staged_sources, contract.SOURCES, **limits)
    except DataError as err:
        raise DataError([Problem(str(sources_path), 0, p.column, p.value,
                                 f"{p.message} (in the sources table as it would be "
                                 "written)") for p in err.problems]) from None
    try:
        _check(staged_out, contract.ATTACKS, sources=sources, **limits)
    except DataError as err:
        raise _relocated(err, staged_out, source, records, lines_of) from None
    return sources_path, len(records)
