"""An analyst's decisions on doubtful events (`keep`, `drop` or blank), read from and
written back to one CSV, so that every decision holds on every rerun of an import."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ...exceptions import DataError, Problem
from .. import load

COLUMNS = ("event_id", "selection", "reason", "decision")
KEEP, DROP = "keep", "drop"
DECISIONS = (KEEP, DROP, "")


@dataclass
class Decisions:
    """The rows of a decisions file, in file order: every column as text, the decision
    normalised (lower case, no surrounding spaces), and each row's line."""

    path: Path | None
    rows: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {c: pd.Series([], dtype=object) for c in (*COLUMNS, "line")}))

    def __len__(self) -> int:
        return len(self.rows)

    @property
    def name(self) -> str:
        return self.path.name if self.path is not None else "the decisions file"

    def decided(self) -> pd.DataFrame:
        return self.rows[self.rows["decision"] != ""]

    def apply(self, ids: pd.Series, decided: pd.DataFrame) -> pd.DataFrame:
        """`decided` (from `decide`, aligned row by row with `ids`) with each decision
        applied: keep -> selection kept, drop -> rejected, each with a reason saying
        the analyst decided; a blank decision leaves the row as the rules decided it."""
        out = decided.copy()
        rows = self.decided()
        if rows.empty or out.empty:
            return out
        by_id = rows.set_index("event_id")
        id_text = pd.Series(np.asarray(ids, dtype=object), dtype=object).astype(str)
        # A chunk none of whose ids was decided maps to all-missing floats: as objects,
        # they fill with text.
        decision = id_text.map(by_id["decision"]).astype(object).fillna("").to_numpy()
        given = id_text.map(by_id["reason"]).astype(object).fillna("").str.strip()
        said = np.where(given != "", ": " + given, "")
        for value, outcome, verb in ((KEEP, "kept", "kept"), (DROP, "rejected", "dropped")):
            hit = decision == value
            if hit.any():
                out.loc[out.index[hit], "selection"] = outcome
                out.loc[out.index[hit], "selection_reason"] = (
                    f"{verb} by the analyst in {self.name}" + said[hit])
        return out

    def unknown(self, seen_ids) -> list[Problem]:
        """A problem for every keep or drop whose event_id is not among `seen_ids` (every
        id of the export), at its line in the decisions file."""
        seen = {str(i) for i in seen_ids}
        where = str(self.path) if self.path is not None else "decisions"
        return [Problem(where, int(line), "event_id", event_id,
                        f"no event with this id in the export; this {decision} cannot be "
                        "applied (remove the row, or correct the id)")
                for event_id, decision, line in zip(
                    self.rows["event_id"], self.rows["decision"], self.rows["line"],
                    strict=True)
                if decision and event_id not in seen]


def read_decisions(path: str | Path | None) -> Decisions:
    """The decisions file at `path`; a missing file (or None) has no decisions yet.
    Raises DataError listing every problem at its line: a required column missing from
    the header, a decision other than keep, drop or blank, a blank or repeated event_id."""
    if path is None or not Path(path).exists():
        return Decisions(Path(path) if path is not None else None)
    path = Path(path)
    where = str(path)
    frame = load.read_strings(path)
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise DataError([Problem(where, 1, c, "", f"{load.MISSING_COLUMN}; a decisions file "
                                 "has the columns " + ", ".join(COLUMNS)) for c in missing])
    lines = load.record_lines(path)[1:len(frame) + 1]
    frame = frame.astype(object)
    written = frame["decision"].copy()
    frame["event_id"] = frame["event_id"].str.strip()
    frame["decision"] = frame["decision"].str.strip().str.lower()
    frame["line"] = lines
    problems, first = [], {}
    for event_id, decision, raw, line in zip(frame["event_id"], frame["decision"],
                                             written, lines, strict=True):
        line = int(line)
        if decision not in DECISIONS:
            problems.append(Problem(where, line, "decision", raw,
                                    "not one of: keep, drop, or blank"))
        if not event_id:
            problems.append(Problem(where, line, "event_id", "", "required value is missing"))
        elif event_id in first:
            problems.append(Problem(where, line, "event_id", event_id,
                                    f"this event is already on line {first[event_id]}; "
                                    "give each event one row"))
        else:
            first[event_id] = line
    if problems:
        raise DataError(problems)
    return Decisions(path, frame.reset_index(drop=True))


def decisions_csv(doubtful: pd.DataFrame, decisions: Decisions) -> bytes:
    """The new decisions file: every row already there that has a decision or is still
    doubtful, kept as written and in its order; then each doubtful event not yet listed,
    in the order given, with a blank decision. `doubtful` has event_id, selection and
    reason, and may have context columns (event_date, location, notes, ...), written
    after the four columns. UTF-8, `\\n` line ends: a rerun on the same input gives the
    same bytes."""
    for column in ("event_id", "selection", "reason"):
        if column not in doubtful.columns:
            raise ValueError(f"doubtful events need a {column} column")
    new = doubtful.astype(object).where(doubtful.notna(), "").astype(str)
    new = new.assign(event_id=new["event_id"].str.strip(), decision="")
    new = new.drop_duplicates("event_id")
    old = decisions.rows.drop(columns="line")
    listed = set(new["event_id"])
    old = old[(old["decision"] != "") | old["event_id"].isin(listed)]
    context = [c for c in new.columns if c not in COLUMNS]
    extra = [c for c in old.columns if c not in COLUMNS and c not in context]
    header = [*COLUMNS, *context, *extra]
    by_id = new.set_index("event_id")
    old = old.reindex(columns=header)
    for column in context:  # a context column the old file lacked is filled in
        empty = old[column].isna()
        old.loc[empty, column] = old.loc[empty, "event_id"].map(by_id[column])
    fresh = new[~new["event_id"].isin(set(decisions.rows["event_id"]))]
    table = pd.concat([old, fresh.reindex(columns=header)], ignore_index=True)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(table.fillna("").astype(str).itertuples(index=False, name=None))
    return out.getvalue().encode("utf-8")
