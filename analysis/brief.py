"""What one brief needs around the frequency math: its inputs (one attacks table or
several merged), its window, the days its sources cover, the summary numbers and the
files it leaves behind (`counts.csv`, `summary.json`, `figures/`). The sentences of the
narrative are in `narrative`."""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import config, handover
from .counting import coverage, figures, trend
from .counting.frequency import Window, awaiting_review, confirmed, possibly_in
from .counting.merged import Merged, merge
from .dates import day_problem
from .exceptions import DataError, DataWarning, ParameterError, Problem
from .files import write_atomic
from .inputs import contract, load, match
from .inputs.provenance import source_titles

FREQUENCIES = ("month", "week")
BREAKDOWN_COLUMNS = ("region", "governorate", "target_type", "weapon")


@dataclass
class Inputs:
    """Every table of a brief. `tables` are the attacks tables as loaded, `names` how
    each is named (its path as given), `matches` the duplicate decisions between them and
    `merged` the distinct attacks they make together."""

    tables: list[pd.DataFrame]
    names: list[str]
    matches: pd.DataFrame
    merged: Merged
    claims: pd.DataFrame
    context: pd.DataFrame
    sources: pd.DataFrame

    @property
    def attacks(self) -> pd.DataFrame:
        """The distinct attacks: each table's rows, with rows decided `same` as one."""
        return self.merged.attacks

    @property
    def rows(self) -> pd.DataFrame:
        """Every attack row of every table, as written (for quotes and sources)."""
        if len(self.tables) == 1:
            return self.tables[0]
        return pd.concat([t.astype({c: object for c in t.select_dtypes("category")})
                          for t in self.tables], ignore_index=True)


def _combined_sources(tables: list[pd.DataFrame]) -> pd.DataFrame | None:
    """Several sources tables as one; a source_id may appear in only one of them."""
    if not tables:
        return None
    if len(tables) == 1:
        return tables[0]
    combined = pd.concat(tables, ignore_index=True)
    seen: dict[str, str] = {}
    problems = []
    for table in tables:
        path = table.attrs["path"]
        ids = table["source_id"].astype(str)
        repeated = np.flatnonzero(ids.isin(list(seen)))
        if len(repeated):  # the file is read again only to locate its problems
            lines = load.record_lines(Path(path))[1:]
            problems += [Problem(path, int(lines[row]), "source_id", ids.iloc[row],
                                 f"also in {seen[ids.iloc[row]]}; a source_id must name one "
                                 "source across the sources tables") for row in repeated]
        seen.update(dict.fromkeys(set(ids) - set(seen), path))
    if problems:
        raise DataError(problems)
    return combined


def _decisions(tables, names, matches_path) -> pd.DataFrame:
    """The decisions to merge by: the matches file's, plus every candidate pair it does
    not list, as unresolved. Without a file, every candidate pair is unresolved."""
    candidates = match.candidate_pairs(tables, names)
    if config.resolve(matches_path) is None:
        return candidates
    decided = match.read_matches(config.resolve(matches_path), tables, names)
    listed = set(zip(decided["event_id_a"], decided["event_id_b"], strict=True))
    listed |= {(b, a) for a, b in listed}
    missing = candidates[[(a, b) not in listed for a, b in
                          zip(candidates["event_id_a"], candidates["event_id_b"], strict=True)]]
    if len(missing):
        warnings.warn(f"{matches_path}: {len(missing)} candidate pair"
                      f"{'s are' if len(missing) != 1 else ' is'} not listed and counted as "
                      "unresolved; run `match` again to decide them", DataWarning,
                      stacklevel=3)
    out = pd.concat([decided, missing.assign(line=0)], ignore_index=True)
    out.attrs["path"] = decided.attrs["path"]
    return out


def table_arguments(data_path, claims_path="", context_path="", sources_path="",
                    matches_path="") -> dict:
    """`load_inputs`'s table arguments by name: what a set of loaded tables is known by."""
    return {"data_path": data_path, "claims_path": claims_path, "context_path": context_path,
            "sources_path": sources_path, "matches_path": matches_path}


def load_inputs(data_path, claims_path="", context_path="", sources_path="",
                matches_path="", checked_inputs="", **limits) -> Inputs:
    """Load every table of a brief. `data_path` and `sources_path` take one path or a
    list; several attacks tables are merged, by the decisions in `matches_path` when
    given. An empty path means "none": a user's own event list often has only the
    attacks table. Quotes are checked when sources are given.

    Every table is checked even when an earlier one fails, and one DataError lists
    every problem in all of them. `checked_inputs` is the file in which a build hands
    over these tables, already checked (see `handover`); "" to load the files."""
    handed = handover.fetch(checked_inputs, table_arguments(
        data_path, claims_path, context_path, sources_path, matches_path))
    if handed is not None:
        return handed
    data_paths = config.paths(data_path)
    if not data_paths:
        raise ParameterError("data_path", data_path, "an attacks table is required")
    if config.resolve(matches_path) is not None and len(data_paths) < 2:
        raise ParameterError("matches_path", matches_path, "decides between attacks tables, "
                                                           "so it needs two or more")
    problems = []

    def attempt(loader, *args):
        try:
            return loader(*args, **limits)
        except DataError as err:
            problems.extend(err.problems)
            return None

    loaded_sources = [attempt(load.load_sources, p) for p in config.paths(sources_path)]
    sources = None
    if all(t is not None for t in loaded_sources):
        try:
            sources = _combined_sources(loaded_sources)
        except DataError as err:
            problems.extend(err.problems)
    tables = [attempt(load.load_attacks, p, sources) for p in data_paths]
    claims = (attempt(load.load_claims, claims_path, sources) if config.resolve(claims_path)
              else load.empty_table(contract.CLAIMS))
    context = (attempt(load.load_context, context_path, sources)
               if config.resolve(context_path) else load.empty_table(contract.CONTEXT))
    if problems:
        raise DataError(problems)
    if len(tables) == 1:
        matches, merged = match.candidate_pairs(tables, data_paths), Merged.single(tables[0])
    else:
        matches = _decisions(tables, data_paths, matches_path)
        merged = merge(tables, matches, data_paths)
    return Inputs(tables, data_paths, matches, merged, claims, context,
                  sources if sources is not None else load.empty_table(contract.SOURCES))


def parse_day(name: str, value) -> pd.Timestamp:
    """A parameter that must be an ISO day (YYYY-MM-DD) that a window can hold."""
    problem = day_problem(value)
    if problem:
        raise ParameterError(name, value, problem)
    return pd.Timestamp(str(value).strip())


def check_freq(freq: str) -> str:
    if freq not in FREQUENCIES:
        raise ParameterError("freq", freq, "must be 'month' or 'week'")
    return freq


def resolve_window(start, as_of, attacks: pd.DataFrame, sources: pd.DataFrame) -> Window:
    """The window [start, as_of]. An empty start means the data's first day (the
    earliest date_start); an empty as_of the sources' latest as_of, or else the latest
    date_end in the data."""
    if str(start or "").strip():
        first = parse_day("start", start)
    elif len(attacks):
        first = attacks["date_start"].min()
    else:
        raise ParameterError("start", start, "is empty and the data hold no dates to "
                                             "take it from; give a date")
    if str(as_of or "").strip():
        last = parse_day("as_of", as_of)
    elif sources["as_of"].notna().any():
        last = sources["as_of"].max()
    elif len(attacks):
        last = attacks["date_end"].max()
    else:
        raise ParameterError("as_of", as_of, "is empty and the data hold no dates to "
                                             "take it from; give a date")
    if last < first:
        raise ParameterError("as_of", f"{last:%Y-%m-%d}",
                             f"is before start ({first:%Y-%m-%d})")
    return Window(first, last)


def check_breakdowns(breakdowns) -> tuple[str, ...]:
    """The columns a brief breaks its counts down by: a list of them (one name alone is
    a list of one; an empty list, none). Each must be one of BREAKDOWN_COLUMNS."""
    names = [breakdowns] if isinstance(breakdowns, str) else breakdowns
    if not isinstance(names, list | tuple):
        raise ParameterError("breakdowns", breakdowns, "must be a list of columns, from: "
                             + ", ".join(BREAKDOWN_COLUMNS))
    names = [str(n).strip() for n in names if str(n).strip()]
    for name in names:
        if name not in BREAKDOWN_COLUMNS:
            raise ParameterError("breakdowns", name, "not a column a brief breaks down by; "
                                 "one of: " + ", ".join(BREAKDOWN_COLUMNS))
    return tuple(dict.fromkeys(names))


def check_parameters(parameters: dict, inputs: Inputs) -> Window:
    """What the notebook's first cells check, done before any kernel starts: the
    frequency, the breakdowns, the trend's periods, the window and the comparison day.
    Returns the window; raises the first problem (`parameter_problems` gives them all)."""
    window, problems = parameter_problems(parameters, inputs)
    if problems:
        raise problems[0]
    return window


def parameter_problems(parameters: dict, inputs: Inputs) -> tuple[Window | None,
                                                                  list[ParameterError]]:
    """Every problem of the frequency, the breakdowns, the trend's periods, the window's
    days and the comparison day at once, and the window (None when it cannot be made)."""
    problems = []

    def attempt(check, *args):
        try:
            return check(*args)
        except ParameterError as err:
            problems.append(err)
            return None

    attempt(check_freq, parameters.get("freq", "month"))
    attempt(check_breakdowns, parameters.get("breakdowns", list(BREAKDOWN_COLUMNS)))
    for name in ("trend_recent", "trend_baseline"):
        attempt(trend.check_periods, name, parameters.get(name, 0), 1)
    days_ok = [attempt(parse_day, name, parameters[name]) is not None
               for name in ("start", "as_of", "compare_at")
               if str(parameters.get(name) or "").strip()]
    window = None
    if all(days_ok):
        window = attempt(resolve_window, parameters.get("start", ""),
                         parameters.get("as_of", ""), inputs.attacks, inputs.sources)
    return window, problems


def in_window(day, window: Window) -> bool:
    """Whether a comparison date splits the window into two non-empty parts."""
    if not str(day or "").strip():
        return False
    day = parse_day("compare_at", day)
    return window.start < day <= window.end


@dataclass(frozen=True)
class Coverage:
    """The days of a window that the brief's sources declare they list completely
    (`days`: a boolean per day), the days its rates are taken over. When no cited source
    declares any, `declared` is False and `days` are the days of the window from the
    data's first day (`data_start`, the earliest date_start of any row) on: before it the
    data hold nothing, which is no data rather than no attacks, so no rate is taken
    there; and the brief says how to declare coverage."""

    declared: bool
    days: pd.Series
    data_start: pd.Timestamp | None = None

    @property
    def day_count(self) -> int | None:
        """Covered days, or None when nothing is declared (unknown, not zero)."""
        return int(self.days.sum()) if self.declared else None


def coverage_of(inputs: Inputs, window: Window) -> Coverage:
    rows = inputs.rows
    data_start = rows["date_start"].min() if len(rows) else None
    if not coverage.has_declared_coverage(rows, inputs.sources):
        every_day = pd.date_range(window.start, window.end, freq="D").astype("datetime64[ns]")
        with_data = every_day >= data_start if data_start is not None else False
        return Coverage(False, pd.Series(with_data, index=every_day, name="covered"),
                        data_start)
    return Coverage(True, coverage.covered_days(rows, inputs.sources, window), data_start)


def per_period(inputs: Inputs, window: Window, freq: str, covered: Coverage) -> pd.DataFrame:
    """The frequency chart's figures for each month or week, with `covered` (1 when a
    source declares every day of the period covered, 0 when not, blank when no source
    declares anything)."""
    counts = figures.per_period(inputs.merged, window, freq)
    counts["covered"] = (coverage.period_covered(counts, covered.days) if covered.declared
                         else pd.NA)
    counts["covered"] = counts["covered"].astype("Int64")
    counts.attrs["coverage_declared"] = covered.declared
    return counts


def exactly_dated(attacks: pd.DataFrame) -> int:
    """Attacks in the data dated to a single day (events awaiting review are not)."""
    return int(((attacks["date_start"] == attacks["date_end"]).to_numpy()
                & confirmed(attacks)).sum())


def unselected_rows(inputs: Inputs) -> int:
    """Rows imported without selection: every event of an export, whatever its target."""
    return sum(int(t["selection"].isin(["unselected"]).sum()) for t in inputs.tables
               if "selection" in t)


def source_line(inputs: Inputs, summary: dict) -> str:
    """The line under every chart: where the data come from and how exact they are, of
    the same attacks as the key numbers (distinct attacks in the window, `summarise`)."""
    from .render.text import count_range

    titles = source_titles(inputs.sources)
    if len(titles) > 3:
        origin = f"Sources: {len(titles)} documents and reports, listed in the brief."
    elif titles:
        origin = "Source: " + "; ".join(titles) + "."
    else:
        origin = "Source: " + ", ".join(Path(n).name for n in inputs.names) + "."
    counted = count_range(summary["attacks_min"], summary["attacks_max"])
    exact = summary["attacks_exact"]
    line = (f"{origin} Of the {counted} distinct attacks in the window, "
            f"{exact} {'is' if exact == 1 else 'are'} dated to the day; the others carry "
            "date windows.")
    waiting = summary.get("awaiting_review") or 0
    if waiting:
        line += (f" The upper figure includes {waiting} event"
                 f"{'s' if waiting != 1 else ''} awaiting review.")
    return line


def duplicate_decisions(inputs: Inputs) -> dict[str, int]:
    """How many candidate duplicate pairs are decided same, different, or unresolved."""
    decided = inputs.matches["decision"].fillna("")
    return {"same": int((decided == "same").sum()),
            "different": int((decided == "different").sum()),
            "unresolved": int((decided == "").sum())}


def summarise(inputs: Inputs, window: Window, freq: str, covered: Coverage, *,
              title: str = "", filters: dict | None = None,
              unplaced: dict | None = None) -> dict:
    """The brief's key numbers, every one computed from the data. Counts are distinct
    attacks (see `counting.figures`); rates are over the covered days. `filters` and
    `unplaced` say what a limited brief is limited to, and how many attacks possibly in
    the window it cannot place (see `filters`)."""
    counts = figures.on_days(inputs.merged, window)
    # Over every day (no coverage declared, or all of it covered) the rates' figures are
    # the window's: count once.
    rated = (counts if covered.days.all()
             else figures.on_days(inputs.merged, window, covered.days))
    rate_days = int(covered.days.sum())

    def weekly(value) -> float | None:
        return round(value / rate_days * 7, 6) if rate_days else None

    return {
        "title": str(title),
        "window_start": f"{window.start:%Y-%m-%d}",
        "window_end": f"{window.end:%Y-%m-%d}",
        "window_days": window.days,
        "freq": freq,
        "attacks_exact": counts["exact"],
        "attacks_min": counts["min"],
        "attacks_max": counts["max"],
        "attacks_expected": round(counts["expected"], 6),
        "coverage_declared": covered.declared,
        "covered_days": covered.day_count,
        "rate_days": rate_days,
        "data_start": (f"{covered.data_start:%Y-%m-%d}" if covered.data_start is not None
                       else None),
        "rate_per_week_expected": weekly(rated["expected"]),
        "rate_per_week_min": weekly(rated["min"]),
        "rate_per_week_max": weekly(rated["max"]),
        "attacks_in_data": len(inputs.attacks),
        # Events possibly in the window that a rule flagged and no analyst has kept yet:
        # counted toward attacks_max only.
        "awaiting_review": int((awaiting_review(inputs.attacks)
                                & possibly_in(inputs.attacks, window)).sum()),
        "unselected_rows": unselected_rows(inputs),
        "attacks_exactly_dated_in_data": exactly_dated(inputs.attacks),
        "rows_in_data": sum(len(t) for t in inputs.tables),
        "tables": list(inputs.names),
        "duplicate_pairs": duplicate_decisions(inputs),
        "filters": filters or {},
        "unplaced": unplaced or {},
        "sources": source_titles(inputs.sources),
    }


def claims_against_data(claims: pd.DataFrame, merged: Merged) -> pd.DataFrame:
    """For each claim, what the data say about the same period, in distinct attacks."""
    rows = []
    for claim in claims.itertuples(index=False):
        data = figures.in_period(merged, claim.period_start, claim.period_end)
        rows.append({
            "claim_id": claim.claim_id, "description": claim.description,
            "period_start": claim.period_start, "period_end": claim.period_end,
            "count_min": claim.count_min, "count_max": claim.count_max,
            "data_min": data["min"], "data_expected": data["expected"],
            "data_max": data["max"],
        })
    return pd.DataFrame(rows, columns=["claim_id", "description", "period_start",
                                       "period_end", "count_min", "count_max", "data_min",
                                       "data_expected", "data_max"])


def write_outputs(output_dir, counts: pd.DataFrame, summary: dict, charts: dict,
                  attacks: pd.DataFrame, window: Window,
                  attack_lines: pd.DataFrame | None = None) -> Path:
    """Write the data behind every chart: counts.csv, summary.json, each figure as SVG
    and PNG under figures/, attack-ids.csv, which the next edition compares with, and
    attacks.csv, every line of the brief's table of attacks (`listing`) when given.
    Files are replaced whole, never left half-written."""
    from .editions import ATTACK_IDS, attack_ids
    from .render.charts import to_png, to_svg

    out = config.resolve(output_dir) or config.NOTEBOOK_RUN_DIR
    (out / "figures").mkdir(parents=True, exist_ok=True)
    table = counts.copy()
    for column in ("period_start", "period_end"):
        table[column] = pd.to_datetime(table[column]).dt.strftime("%Y-%m-%d")
    write_atomic(out / "counts.csv", table.to_csv(index=False, lineterminator="\n",
                                                   float_format="%.6f").encode())
    write_atomic(out / "summary.json",
                  (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode())
    write_atomic(out / ATTACK_IDS, attack_ids(attacks, window))
    if attack_lines is not None:
        write_atomic(out / config.ATTACK_LIST_FILE,
                     attack_lines.to_csv(index=False, lineterminator="\n").encode())
    for name, fig in charts.items():
        write_atomic(out / "figures" / f"{name}.svg", to_svg(fig))
        write_atomic(out / "figures" / f"{name}.png", to_png(fig))
    return out
