"""Importers: turn an ACLED export, a UCDP GED file or a user's own table into an attacks
table that passes `validate`, plus the file's row in the sources table beside it.

`import_file` checks the options, then, holding the lock of OUT's folder, streams the
file a chunk of rows at a time through its format's reader (`acled`, `ucdp`, `table`):
each chunk is checked, selected (`--select`, with the analyst's `--decisions`) and
converted, and only the events kept are held. Bad input raises DataError with every
problem located in the input (or map, rules or decisions) file; nothing is written then.
The table, its sources row and the decisions file are written as one transaction
(`files.Transaction`). data/importers.md is the codebook of the mapping rules.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ... import config, dates, files
from ...exceptions import ParameterError
from .. import contract
from . import acled, common, reading, table, ucdp
from .tally import Tally

FORMATS = {"acled": acled, "ucdp": ucdp, "table": table}
KEPT = ("selected", "review", "kept")
UNSELECTED_NOTE = ("Imported without --select: every event of the export became a row "
                   "of the attacks table (selection 'unselected'), whatever its target.")


@dataclass(frozen=True)
class ImportResult:
    rows: int
    source_id: str
    sources_path: Path
    out: Path
    tally: Tally
    selected: bool
    decisions: Path | None = None
    recovered: list[str] = field(default_factory=list)


def _import_date(imported_on: str | None) -> str:
    if imported_on is None:
        return dt.date.today().isoformat()
    day = dates.parse_iso_day(imported_on)
    if day is None:
        raise ParameterError("--imported-on", imported_on,
                             "not a real calendar day in the form YYYY-MM-DD")
    return day.isoformat()


def parse_covers(text: str | None) -> tuple[str, str] | None:
    """START:END as two days, START not after END."""
    if text is None:
        return None
    start, sep, end = text.partition(":")
    days = dates.parse_iso_day(start), dates.parse_iso_day(end)
    if not sep or None in days:
        raise ParameterError("--covers", text, "must be START:END, two real days in the "
                             "form YYYY-MM-DD (2019-10-01:2021-04-30)")
    if days[1] < days[0]:
        raise ParameterError("--covers", text, "END is before START")
    return days[0].isoformat(), days[1].isoformat()


def _check_options(fmt: str, path: Path, out: Path, map_path: Path | None,
                   sheet: str | None, select: str | None, decisions: Path | None) -> None:
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
    if decisions is not None:
        if select is None:
            raise ParameterError("--decisions", str(decisions), "needs --select: decisions "
                                 "are about the events the selection rules leave to review")
        if decisions.suffix.lower() != ".csv":
            raise ParameterError("--decisions", str(decisions), "must be a .csv file")
        if decisions.parent.resolve() != out.parent.resolve():
            raise ParameterError("--decisions", str(decisions), "must be in the folder of "
                                 f"--out ({out.parent}): the table, its sources row and the "
                                 "decisions are written together, as one step")
        if decisions.name in (out.name, "sources.csv"):
            raise ParameterError("--decisions", str(decisions), "names a table the import "
                                 "writes")


class _Selection:
    """The selection step of one import: the rules, the analyst's decisions, and what
    the decisions file will list."""

    def __init__(self, fmt: str, select: str | None, decisions_path: Path | None):
        from .. import selection

        self.module = selection
        self.rules = selection.load_rules(fmt, Path(select) if select else None)
        self.decisions_path, self.decisions = decisions_path, None
        self.doubtful: list[pd.DataFrame] = []

    def read_decisions(self) -> None:
        if self.decisions_path is not None:
            self.decisions = self.module.read_decisions(self.decisions_path)

    def decide(self, source, chunk: pd.DataFrame, ids: pd.Series) -> tuple[pd.DataFrame,
                                                                           pd.Series]:
        """The decided selection of each row, and what happened to it (for the counts)."""
        decided = self.module.decide(source.rules_frame(chunk, self.rules.columns), self.rules)
        by_rules = decided["selection"].astype(object)
        reason = decided["selection_reason"].astype(object)
        outcome = by_rules.copy()
        if self.decisions is not None:
            decided = self.decisions.apply(ids, decided)
            after = decided["selection"].astype(object)
            # An event the analyst decided on is listed again, whatever the rules said.
            changed = (after != by_rules) | (decided["selection_reason"] != reason)
            outcome = after.where(~((after == "rejected") & (by_rules != "rejected")),
                                  "dropped")
            listed = (by_rules == "review") | changed
        else:
            listed = by_rules == "review"
        if listed.any():
            rows = chunk[listed.to_numpy()]
            context = source.context(rows)
            self.doubtful.append(pd.DataFrame({
                "event_id": ids[listed.to_numpy()].to_numpy(),
                "selection": by_rules[listed].to_numpy(),
                "reason": reason[listed].to_numpy(),
                **{c: context[c].to_numpy() for c in context.columns}}))
        return decided, outcome

    def decisions_file(self) -> tuple[Path, bytes] | None:
        if self.decisions_path is None:
            return None
        columns = ["event_id", "selection", "reason", "event_date", "location", "notes"]
        doubtful = (pd.concat(self.doubtful, ignore_index=True) if self.doubtful
                    else pd.DataFrame({c: pd.Series([], dtype=object) for c in columns}))
        return self.decisions_path, self.module.decisions_csv(doubtful, self.decisions)

    def note(self, tally: Tally) -> str:
        rules = self.rules
        text = (f"Selected with the rules {rules.name} (SHA-256 {rules.sha256}): of "
                f"{tally.total():,} events read, {tally.total('selected'):,} selected, "
                f"{tally.total('review'):,} left to review, {tally.total('rejected'):,} "
                "rejected")
        if self.decisions_path is not None:
            text += (f"; the analyst's decisions in {self.decisions_path.name} kept "
                     f"{tally.total('kept'):,} and dropped {tally.total('dropped'):,}")
        return text + ". Rejected events are not in the table."


def _convert(source, fmt: str, path: Path, selection: _Selection | None):
    """Every chunk checked, selected and converted; returns the kept rows (indexed by
    input record), the counts and the problems."""
    problems = reading.Problems(path)
    tally = Tally(source.group_label, selection is not None)
    kept, ids_seen = [], []
    for chunk in source.chunks():
        ids, usable = source.check(chunk, problems)
        ids_seen.append(ids.to_numpy(dtype=object))
        if problems:
            continue  # still checked, for every problem at once; no longer converted
        groups = source.groups(chunk)
        if selection is None:
            rows = source.convert(chunk)
            rows["selection"], rows["selection_reason"] = "unselected", ""
            tally.add(groups, pd.Series("unselected", index=chunk.index))
        else:
            decided, outcome = selection.decide(source, chunk, ids)
            tally.add(groups, outcome)
            keep = decided["selection"].isin(KEPT).to_numpy(dtype=bool) & usable
            rows = source.convert(chunk[keep], target_type=False)
            picked = decided[keep]
            rows["selection"] = picked["selection"].astype(object).to_numpy()
            rows["selection_reason"] = picked["selection_reason"].astype(object).to_numpy()
            ruled = picked["target_type"].astype(object).to_numpy()
            rows["target_type"] = (np.where(rows["target_type"].to_numpy() == common.UNKNOWN,
                                            ruled, rows["target_type"].to_numpy())
                                   if fmt == "table" else ruled)
        kept.append(rows)
    every_id = np.concatenate(ids_seen) if ids_seen else np.empty(0, dtype=object)
    common.duplicate_ids(every_id, problems, source.id_column)
    if selection is not None and selection.decisions is not None:
        problems.located += selection.decisions.unknown(pd.Series(every_id, dtype=object))
    return kept, tally, problems


def import_file(fmt: str, path: Path, out: Path, *, map_path: Path | None = None,
                sheet: str | None = None, imported_on: str | None = None,
                select: str | None = None, decisions: Path | None = None,
                covers: str | None = None,
                max_bytes: int = config.MAX_FILE_BYTES,
                max_rows: int = config.MAX_ROWS) -> ImportResult:
    """Import `path` (format acled, ucdp or table) into the attacks table `out`, and add
    or replace the file's row in sources.csv beside `out`. `select`: None for no
    selection (every event becomes a row), "" for the format's bundled rules, else a
    rules file. Raises DataError or ParameterError, writing nothing, when the input or
    the options are wrong."""
    path, out = Path(path), Path(out)
    decisions = Path(decisions) if decisions is not None else None
    _check_options(fmt, path, out, map_path, sheet, select, decisions)
    imported, coverage = _import_date(imported_on), parse_covers(covers)
    limits = {"max_bytes": max_bytes, "max_rows": max_rows}
    folder = out.parent
    # The file's header, its map and the rules are checked before the lock is taken;
    # the decisions file and sources.csv, which this import rewrites, are read under it.
    source = FORMATS[fmt].Input(path, map_path=map_path, sheet=sheet, **limits)
    selection = _Selection(fmt, select, decisions) if select is not None else None
    if selection is not None:
        selection.rules.check_columns(source.rule_columns, path)
    with files.folder_lock(folder, f"waiting for another command writing into {folder}"):
        recovered = files.recover(folder)
        if selection is not None:
            selection.read_decisions()
        kept, tally, problems = _convert(source, fmt, path, selection)
        if problems:
            raise problems.error(source.lines)

        digest = common.sha256_of(path)
        detail = " ".join([source.detail, selection.note(tally) if selection
                           else UNSELECTED_NOTE])
        row = common.source_row(fmt, path, digest, imported, source.title,
                                source.publisher, detail, coverage)
        columns = contract.column_names(contract.ATTACKS)
        attacks = (pd.concat(kept) if kept else pd.DataFrame(columns=columns))
        kept.clear()
        attacks = attacks.reindex(columns=columns, fill_value="")
        attacks["source_id"], attacks["quote"] = row["source_id"], ""
        held = [attacks.sort_values(["date_start", "event_id"], kind="stable")]
        del attacks
        with files.Transaction(folder) as txn:
            sources_path, rows = common.write_outputs(
                txn, held, path, out, row, source.lines,
                selection.decisions_file() if selection else None, **limits)
            txn.commit()
    return ImportResult(rows=rows, source_id=row["source_id"],
                        sources_path=sources_path, out=out, tally=tally,
                        selected=selection is not None, decisions=decisions,
                        recovered=recovered)
