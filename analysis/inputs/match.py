"""Which rows of different attack tables may be the same attack, and the decisions on them.

A pair (a row of table i, a row of table j, i < j) is a candidate duplicate when the two
date windows overlap once each is widened by ±tolerance days, and no field known in both
rows contradicts the other. This follows the practice of MELTT (Donnay, Dunford, McGrath,
Backer & Cunningham, "Integrating Conflict Event Data", Journal of Conflict Resolution
63(5), 2019): match on time and attributes, then let a person decide. Decisions live in a
matches table: `same`, `different`, or blank (unresolved). `data/matching.md` documents it.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import DataError, Problem
from . import contract, load
from .documents import not_regular

FIELDS = ("governorate", "region", "target_type", "weapon")
DECISIONS = ("same", "different", "")
COLUMNS = ["event_id_a", "event_id_b", "reason", "decision", "table_a", "table_b"]
# Columns that name a row or a table: plain text on one line, as ids are in every table.
NAMES = ("event_id_a", "event_id_b", "table_a", "table_b")
UNKNOWN = "unknown"


# ---------------------------------------------------------------------------------------
# Candidates


def _days(values) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def _window_texts(table: pd.DataFrame) -> list[str]:
    start = pd.to_datetime(table["date_start"]).dt.strftime("%Y-%m-%d")
    end = pd.to_datetime(table["date_end"]).dt.strftime("%Y-%m-%d")
    return list(start + ".." + end)


def _field_codes(tables: list[pd.DataFrame], field: str) -> tuple[list[np.ndarray], list[str]]:
    """One integer code per value across all tables, -1 where the value is unknown
    (blank, missing or 'unknown'); codes ignore case and surrounding spaces. Also the
    value to show for each code, as first written."""
    def shown(table):
        if field not in table:
            return pd.Series([""] * len(table), dtype=object)
        values = table[field].astype("object")
        return values.where(values.notna(), "").astype(str)

    written = pd.concat([shown(t) for t in tables], ignore_index=True)
    key = written.str.strip().str.casefold()
    codes, _ = pd.factorize(key.where((key != "") & (key != UNKNOWN), None))
    values, first = np.unique(codes, return_index=True)
    labels = [written[int(i)].strip() for i in first[values >= 0]]
    return np.split(codes, np.cumsum([len(t) for t in tables])[:-1]), labels


def _pairs_in_range(keys: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """For each query q, every index j with lo[q] <= keys[j] <= hi[q]. The work is a
    sort plus the size of the answer: no comparison of every row with every row."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    first = np.searchsorted(sorted_keys, lo, side="left")
    counts = np.maximum(np.searchsorted(sorted_keys, hi, side="right") - first, 0)
    query = np.repeat(np.arange(len(lo)), counts)
    offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
    return query, order[np.repeat(first, counts) + offset]


def _near_pairs(sa, ea, sb, eb, slack: int) -> tuple[np.ndarray, np.ndarray]:
    """Pairs whose windows overlap once A's is widened by `slack` days on each side.
    Two intervals overlap when one starts inside the other, so two range queries on
    sorted starts find them all, each once."""
    a_start = sa - slack
    ia1, ib1 = _pairs_in_range(sb, a_start, ea + slack)  # B starts inside widened A
    ib2, ia2 = _pairs_in_range(a_start, sb + 1, eb)  # widened A starts inside B, later
    return np.concatenate([ia1, ia2]), np.concatenate([ib1, ib2])


def _field_texts(states: np.ndarray, labels: list[list[str]]) -> np.ndarray:
    """What the fields say, per pair. `states` holds, per pair and field, the shared
    value's code, or -1 (unknown in one) or -2 (unknown in both). Few combinations
    occur, so each text is written once and shared."""
    combos, inverse = np.unique(states, axis=0, return_inverse=True)
    texts = []
    for combo in combos:
        same = [f"same {name} ({labels[k][code]})"
                for k, (name, code) in enumerate(zip(FIELDS, combo, strict=True)) if code >= 0]
        unknown = [f"{name} unknown in {'one' if code == -1 else 'both'}"
                   for name, code in zip(FIELDS, combo, strict=True) if code < 0]
        texts.append("; ".join(filter(None, [", ".join(same), ", ".join(unknown)])))
    return np.asarray(texts, dtype=object)[inverse.reshape(-1)]


def _window_text(a: str, b: str, gap: int, tolerance: int) -> str:
    if gap <= 0:
        return f"windows {a} and {b} overlap"
    unit = "day" if tolerance == 1 else "days"
    return (f"windows {a} and {b} are {gap} {'day' if gap == 1 else 'days'} apart, "
            f"within the tolerance of ±{tolerance} {unit} each")


def _table_pair(ta, tb, codes_a, codes_b, labels, tolerance: int):
    sa, ea = _days(ta["date_start"]), _days(ta["date_end"])
    sb, eb = _days(tb["date_start"]), _days(tb["date_end"])
    ia, ib = _near_pairs(sa, ea, sb, eb, 2 * tolerance)
    keep = np.ones(len(ia), dtype=bool)
    codes = []
    for code_a, code_b in zip(codes_a, codes_b, strict=True):
        ca, cb = code_a[ia], code_b[ib]
        keep &= (ca < 0) | (cb < 0) | (ca == cb)  # two known values that differ contradict
        codes.append((ca, cb))
    ia, ib = ia[keep], ib[keep]
    states = np.column_stack(
        [np.where((ca >= 0) & (cb >= 0), ca, np.where((ca < 0) & (cb < 0), -2, -1))[keep]
         for ca, cb in codes]) if len(ia) else np.zeros((0, len(FIELDS)), dtype=np.int64)
    fields = _field_texts(states, labels) if len(ia) else []
    gaps = np.maximum(sb[ib] - ea[ia], sa[ia] - eb[ib])
    wa, wb = _window_texts(ta), _window_texts(tb)
    reasons = [_window_text(wa[i], wb[j], int(g), tolerance) + (f"; {f}" if f else "")
               for i, j, g, f in zip(ia, ib, gaps, fields, strict=True)]
    return ia, ib, reasons


def candidate_pairs(tables: list[pd.DataFrame], names: list[str],
                    tolerance_days: int = 1) -> pd.DataFrame:
    """Every candidate duplicate pair across the tables (never within one), with the
    reason in words and a blank decision, ordered by event_id_a, event_id_b.

    Columns: event_id_a, event_id_b, reason, decision, table_a, table_b (the names of the
    tables the two rows come from; a comes from the earlier table in `tables`)."""
    if len(tables) != len(names):
        raise ValueError("give one name per table")
    if tolerance_days < 0:
        raise ValueError("tolerance_days must be 0 or more")
    if len(tables) < 2:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
    coded = [_field_codes(tables, name) for name in FIELDS]
    labels = [field_labels for _, field_labels in coded]
    frames = []
    for i, ta in enumerate(tables):
        for j in range(i + 1, len(tables)):
            tb = tables[j]
            ia, ib, reason = _table_pair(ta, tb, [c[i] for c, _ in coded],
                                         [c[j] for c, _ in coded], labels, tolerance_days)
            frames.append(pd.DataFrame({
                "event_id_a": ta["event_id"].to_numpy(dtype=object)[ia],
                "event_id_b": tb["event_id"].to_numpy(dtype=object)[ib],
                "reason": reason, "decision": "", "table_a": names[i], "table_b": names[j],
                "_order": i * len(tables) + j}))
    pairs = pd.concat(frames, ignore_index=True)
    pairs = pairs.sort_values(["event_id_a", "event_id_b", "_order"], ignore_index=True)
    return pairs[COLUMNS].astype(object)


# ---------------------------------------------------------------------------------------
# Decisions


def _table_of_ids(tables, names, ids, given, column, problem) -> list[int | None]:
    """The table index of each id: the named table when a table column is given,
    otherwise the one table that holds it."""
    where: dict[str, list[int]] = {}
    for index, table in enumerate(tables):
        for event_id in table["event_id"].astype(str):
            where.setdefault(event_id, []).append(index)
    out = []
    for row, (event_id, name) in enumerate(zip(ids, given, strict=True)):
        holders = where.get(event_id, [])
        if name:
            index = names.index(name) if name in names else None
            if index is None:
                problem(row, f"table_{column[-1]}", name,
                        "not the name of a table: " + ", ".join(names))
            elif index not in holders:
                problem(row, column, event_id, f"no such event_id in table {name}")
            out.append(index)
            continue
        if not holders:
            problem(row, column, event_id, "no such event_id in the tables: " + ", ".join(names))
        elif len(holders) > 1:
            problem(row, column, event_id, "event_id is in more than one table ("
                    + ", ".join(names[h] for h in holders) + "); add table_a and table_b")
        out.append(holders[0] if len(holders) == 1 else None)
    return out


def check_matches(matches: pd.DataFrame, tables: list[pd.DataFrame],
                  names: list[str]) -> pd.DataFrame:
    """Check decisions against the tables; return the matches with table_a and table_b
    filled in and a `line` column. Raises DataError listing every problem. Problems are
    located at matches.attrs["path"] and its `line` column when read from a file."""
    file = matches.attrs.get("path", "matches")
    lines = matches["line"].to_numpy() if "line" in matches else np.zeros(len(matches), int)
    problems: list[Problem] = []

    def problem(row, column, value, message):
        problems.append(Problem(file, int(lines[row]), column, str(value), message))

    matches = matches.assign(decision=matches["decision"].fillna(""))
    problems += _decision_problems(matches, file, lines)
    problems += _name_problems(matches, file, lines)
    ids = {c: matches[c].astype(str).to_numpy() for c in ("event_id_a", "event_id_b")}
    given = {c: (matches[f"table_{c[-1]}"].fillna("").astype(str).to_numpy()
                 if f"table_{c[-1]}" in matches else [""] * len(matches)) for c in ids}
    found = {c: _table_of_ids(tables, names, ids[c], given[c], c, problem) for c in ids}
    seen: dict[frozenset, int] = {}
    for row, (ta, tb) in enumerate(zip(found["event_id_a"], found["event_id_b"], strict=True)):
        if ta is not None and ta == tb:
            problem(row, "event_id_b", ids["event_id_b"][row],
                    "both rows are in the same table; only rows of different tables match")
        key = frozenset([(ta, ids["event_id_a"][row]), (tb, ids["event_id_b"][row])])
        if key in seen:
            problem(row, "event_id_b", ids["event_id_b"][row],
                    f"this pair is already listed on line {int(lines[seen[key]])}")
        seen.setdefault(key, row)
    if problems:
        raise DataError(problems)
    out = matches.assign(table_a=[names[i] for i in found["event_id_a"]],
                         table_b=[names[i] for i in found["event_id_b"]], line=lines)
    out.attrs["path"] = file
    return out


def _decision_problems(matches: pd.DataFrame, file: str, lines) -> list[Problem]:
    return [Problem(file, int(line), "decision", str(decision),
                    "not one of: same, different, or blank")
            for decision, line in zip(matches["decision"].fillna(""), lines, strict=True)
            if decision not in DECISIONS]


def _name_problems(matches: pd.DataFrame, file: str, lines) -> list[Problem]:
    problems = []
    for column in NAMES:
        if column in matches:
            names = matches[column].fillna("").astype(str)
            bad = np.flatnonzero(~contract.plain_text(names).to_numpy(dtype=bool))
            problems += [Problem(file, int(lines[row]), column, names.iloc[row],
                                 contract.NOT_PLAIN_ID) for row in bad]
    return problems


def check_decisions(matches: pd.DataFrame) -> None:
    """What a matches file read by `read_matches` can be checked for without its tables:
    each decision is same, different or blank, and the ids and table names are plain
    text on one line. Raises DataError listing every problem."""
    file, lines = matches.attrs["path"], matches["line"].to_numpy()
    problems = _decision_problems(matches, file, lines) + _name_problems(matches, file, lines)
    if problems:
        raise DataError(problems)


def is_matches_file(path: str | Path) -> bool:
    """Whether a CSV's first line names the two ids of a matches file. Anything but a
    regular file is not opened (a FIFO would wait for ever): checking it as a table says
    what it is."""
    if not_regular(Path(path)):
        return False
    try:
        with Path(path).open(encoding="utf-8-sig", errors="replace", newline="") as fh:
            first = fh.readline(1 << 16)  # a header, not a whole file without newlines
    except OSError:  # missing or unreadable: checking it as a table says so
        return False
    names = next(csv.reader([first]), [])
    return {"event_id_a", "event_id_b"} <= {name.strip() for name in names}


def read_matches(path: str | Path, tables: list[pd.DataFrame] | None = None,
                 names: list[str] | None = None, **limits) -> pd.DataFrame:
    """Read a matches file (event_id_a, event_id_b, decision; reason, table_a and
    table_b optional) as strings, with each row's physical `line`, refused past the size
    `limits` (max_bytes, max_rows) like any table. With `tables` and `names`, the
    decisions are checked against them (see `check_matches`)."""
    path = Path(path)
    frame = load.read_strings(path, **limits)
    missing = [c for c in ("event_id_a", "event_id_b", "decision") if c not in frame]
    if missing:
        raise DataError([Problem(str(path), 1, c, "", load.MISSING_COLUMN) for c in missing])
    if "reason" not in frame:
        frame["reason"] = ""
    frame["line"] = load.record_lines(path)[1:len(frame) + 1]
    frame.attrs["path"] = str(path)
    if tables is None:
        return frame
    return check_matches(frame, tables, names or [f"table {i + 1}" for i in range(len(tables))])


def carry_decisions(candidates: pd.DataFrame, existing: pd.DataFrame,
                    tables: list[pd.DataFrame]) -> tuple[pd.DataFrame, int, list[str]]:
    """The candidates with the decisions of an earlier matches table carried over, so
    rerunning `match` after new rows arrive never loses a judgment.

    A decided pair keeps its decision and reason. A decided pair that is no longer a
    candidate (a date was corrected, say) is kept too while both its rows exist. Returns
    the table, how many decisions were carried, and the pairs dropped because a row is
    gone (as "A / B")."""
    ids = set().union(*(set(t["event_id"].astype(str)) for t in tables))
    decided = existing[existing["decision"].fillna("") != ""]
    by_pair = {frozenset((a, b)): (d, r) for a, b, d, r in
               zip(decided["event_id_a"], decided["event_id_b"], decided["decision"],
                   decided["reason"].fillna(""), strict=True)}
    out = candidates.copy()
    carried = 0
    for row, (a, b) in enumerate(zip(out["event_id_a"], out["event_id_b"], strict=True)):
        found = by_pair.pop(frozenset((a, b)), None)
        if found:
            out.loc[row, "decision"], out.loc[row, "reason"] = found[0], found[1] or \
                out.loc[row, "reason"]
            carried += 1
    kept, dropped = [], []
    for pair, (decision, reason) in by_pair.items():
        a, b = sorted(pair)
        if a in ids and b in ids:
            kept.append({"event_id_a": a, "event_id_b": b, "decision": decision,
                         "reason": reason or "decided earlier; no longer a candidate"})
        else:
            dropped.append(f"{a} / {b}")
    if kept:
        carried += len(kept)
        out = pd.concat([out, pd.DataFrame(kept)], ignore_index=True)
        out = out.sort_values(["event_id_a", "event_id_b"], ignore_index=True)
    return out, carried, sorted(dropped)


def matches_csv(matches: pd.DataFrame, tables: list[pd.DataFrame]) -> bytes:
    """A matches table as CSV: event_id_a, event_id_b, reason, decision, and table_a and
    table_b only when some event_id appears in more than one table."""
    ids = pd.concat([t["event_id"].astype(str).drop_duplicates() for t in tables])
    columns = COLUMNS if ids.duplicated().any() else COLUMNS[:4]
    return matches[columns].fillna("").to_csv(index=False, lineterminator="\n").encode()
