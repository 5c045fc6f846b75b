"""How many distinct attacks several tables hold together, given decisions on duplicates.

Rows joined by `same` decisions (transitively) become one attack whose window is the
intersection of theirs; every other row is an attack of its own. A pair not listed in the
matches is different; an unresolved pair (blank decision) may or may not be one attack.
For a period [a, b], over the merged rows (data/matching.md says why):

- ``max``: the ordinary maximum (possibly in the period), every unresolved pair counted
  as two: merging never makes an attack possible in more periods, so this is the most.
- ``expected``: the ordinary expected figure, every unresolved pair counted as two. It
  always lies between ``min`` and ``max``.
- ``min``: the fewest distinct attacks certainly in the period over every way of settling
  the unresolved pairs. A certain row merged with a merely possible one is still one
  certain attack, so only merges among certain rows lower it.
- ``exact``: the fewest distinct attacks dated to one day in the period; at most ``min``.

An event awaiting review counts toward ``max`` only (`frequency.confirmed`); a merged attack
awaits review only when every row of it does, since one row taken in by a rule or by hand
confirms it.

With two tables the merges that can hold at once are a bipartite matching, so ``min`` is
exact (Hopcroft-Karp). With three or more a row can be one attack with a row of each other
table, so merges are cliques: ``min`` is exact for connected groups of up to `exact_limit`
attacks and otherwise a floor that is never above the true fewest.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from math import ceil
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..exceptions import DataError, Problem
from ..inputs import match
from . import frequency

if TYPE_CHECKING:
    # networkx is imported where it is used: only merged tables with possible
    # duplicates need it, and importing it costs every kernel and build about 0.15 s.
    import networkx as nx

EXACT_LIMIT = 16  # rows per connected group solved exactly when there are 3+ tables


# Columns a merged attack takes from its rows: the first known value among them.
CARRIED = ("location", "governorate", "region", "target_type", "target", "weapon",
           "source_id")


@dataclass(frozen=True)
class Merged:
    """The attacks after `same` decisions: `attacks` has event_id (the merged rows' ids
    joined by " = "), date_start, date_end and the CARRIED columns the tables have;
    `duplicates` lists pairs of attacks (positions in `attacks`) that may still be one;
    `table_sets` is a bitmask of the tables in each attack."""

    attacks: pd.DataFrame
    duplicates: np.ndarray
    table_sets: np.ndarray
    table_count: int

    @classmethod
    def single(cls, table: pd.DataFrame) -> Merged:
        """One table, nothing to merge: its rows are the attacks, as they are."""
        return cls(table, np.empty((0, 2), dtype=np.int64),
                   np.ones(len(table), dtype=np.int64), 1)

    def subset(self, keep: np.ndarray) -> Merged:
        """Only the attacks where `keep` is True, with the pairs among them."""
        position = np.cumsum(keep) - 1
        pairs = self.duplicates[keep[self.duplicates[:, 0]] & keep[self.duplicates[:, 1]]]
        return Merged(self.attacks[keep].reset_index(drop=True), position[pairs].reshape(-1, 2),
                      self.table_sets[keep], self.table_count)


def _global_rows(tables, names, matches) -> tuple[np.ndarray, np.ndarray]:
    """Positions of each pair's rows in the tables stacked in order."""
    offsets = np.cumsum([0] + [len(t) for t in tables])
    out = []
    for side in ("a", "b"):
        rows = np.empty(len(matches), dtype=np.int64)
        table_index = matches[f"table_{side}"].map(names.index).to_numpy()
        for t, table in enumerate(tables):
            chosen = table_index == t
            local = pd.Index(table["event_id"].astype(str)).get_indexer(
                matches.loc[chosen, f"event_id_{side}"].astype(str))
            rows[chosen] = offsets[t] + local
        out.append(rows)
    return out[0], out[1]


def _join_same(row_count: int, pairs, decisions) -> list[list[int]]:
    """Groups of rows joined, directly or through others, by `same` decisions."""
    from networkx.utils import UnionFind

    joined = UnionFind(range(row_count))
    for (u, v), decision in zip(pairs, decisions, strict=True):
        if decision == "same":
            joined.union(u, v)
    return sorted(sorted(group) for group in joined.to_sets())


def _group_problems(rows, decided: dict, ids, labels, s, e, file) -> list[Problem]:
    """Why a group joined by `same` cannot be one attack: two of its rows are decided
    different, or not listed (so different), or the windows share no day."""
    pairs = [(u, v) for i, u in enumerate(rows) for v in rows[i + 1:]]
    lines = [decided[frozenset(p)][1] for p in pairs
             if decided.get(frozenset(p), ("",))[0] == "same"]
    where = dict(file=file, line=int(min(lines)), column="decision", value="same")
    said = ", ".join(f"{ids[r]} ({labels[r]})" for r in rows) + " are marked the same attack"
    found = []
    for u, v in pairs:
        decision, line = decided.get(frozenset((u, v)), (None, 0))
        if decision == "different":
            found.append(f"{said}, but {ids[u]} and {ids[v]} are marked different "
                         f"on line {line}")
        elif decision is None:
            found.append(f"{said}, but {ids[u]} and {ids[v]} are not a listed pair, so "
                         "they are different (rows of one table always are); list the pair, "
                         "or correct a decision")
    if s[rows].max() > e[rows].min():
        found.append(f"{said}, but their date windows share no day")
    return [Problem(**where, message=message) for message in found]


def merge(tables: list[pd.DataFrame], matches: pd.DataFrame,
          names: list[str] | None = None) -> Merged:
    """Merge rows by the `same` decisions and find the attacks that may still be one.
    Raises DataError when the decisions contradict each other or the dates."""
    names = names or [f"table {i + 1}" for i in range(len(tables))]
    if len(tables) > 62:
        raise ValueError("at most 62 tables can be merged")  # table sets are int64 masks
    checked = match.check_matches(matches, tables, names)
    ra, rb = _global_rows(tables, names, checked)
    s = np.concatenate([frequency.day_numbers(t["date_start"]) for t in tables])
    e = np.concatenate([frequency.day_numbers(t["date_end"]) for t in tables])
    table_of = np.repeat(np.arange(len(tables)), [len(t) for t in tables])
    ids = np.concatenate([t["event_id"].astype(str).to_numpy(dtype=object) for t in tables])
    decisions = checked["decision"].tolist()
    members = _join_same(len(s), zip(ra, rb, strict=True), decisions)
    decided = {frozenset(p): (d, line) for p, d, line in
               zip(zip(ra, rb, strict=True), decisions, checked["line"], strict=True)}
    labels = [names[t] for t in table_of]
    problems = [p for rows in members if len(rows) > 1 for p in
                _group_problems(rows, decided, ids, labels, s, e, checked.attrs["path"])]
    if problems:
        raise DataError(problems)
    g = np.empty(len(s), dtype=np.int64)
    for group, rows in enumerate(members):
        g[rows] = group
    gs = np.full(len(members), np.iinfo(np.int64).min)
    ge = np.full(len(members), np.iinfo(np.int64).max)
    np.maximum.at(gs, g, s)
    np.minimum.at(ge, g, e)
    table_sets = np.zeros(len(members), dtype=np.int64)
    np.bitwise_or.at(table_sets, g, np.left_shift(1, table_of))
    attacks = pd.DataFrame({
        "event_id": [" = ".join(ids[rows]) for rows in members],
        "date_start": gs.astype("datetime64[D]").astype("datetime64[ns]"),
        "date_end": ge.astype("datetime64[D]").astype("datetime64[ns]"),
        **_carried(tables, g, len(members)),
        **_carried_selection(tables, g, len(members)),
    })
    unresolved = (checked["decision"] == "").to_numpy()
    duplicates = _possible_duplicates(g[ra[unresolved]], g[rb[unresolved]],
                                      np.bincount(g, minlength=len(members)), gs, ge)
    return Merged(attacks, duplicates, table_sets, len(tables))


def _carried(tables, group_of_row: np.ndarray, groups: int) -> dict[str, np.ndarray]:
    """For each CARRIED column any table has, each attack's first known value among its
    rows (in table order), or "unknown"/None when no row knows it."""
    out = {}
    for column in CARRIED:
        if not any(column in t for t in tables):
            continue
        values = np.concatenate([
            t[column].astype(object).to_numpy() if column in t
            else np.full(len(t), None, dtype=object) for t in tables])
        known = frequency.known(values)
        unknown = frequency.UNKNOWN if any(
            (t[column].astype(object) == frequency.UNKNOWN).any() for t in tables
            if column in t) else None
        picked = np.full(groups, unknown, dtype=object)
        rows = np.flatnonzero(known)[::-1]  # the first known row is written last
        picked[group_of_row[rows]] = values[rows]
        out[column] = picked
    return out


# How strongly each row's selection confirms that it is an attack: a merged attack takes
# its selection from its most confirming row, so it awaits review only if all its rows do.
_SELECTION_RANK = {"review": 2, "unselected": 1}


def _carried_selection(tables, group_of_row: np.ndarray, groups: int) -> dict[str, np.ndarray]:
    """Each attack's `selection`: that of its first row among those that confirm it most
    (blank, selected or kept before unselected, unselected before review)."""
    if not any("selection" in t for t in tables):
        return {}
    values = np.concatenate([
        t["selection"].astype(object).to_numpy() if "selection" in t
        else np.full(len(t), None, dtype=object) for t in tables])
    values[pd.isna(values)] = None
    rank = pd.Series(values, dtype=object).map(_SELECTION_RANK).fillna(0).to_numpy(np.int64)
    best = np.full(groups, np.iinfo(np.int64).max)
    np.minimum.at(best, group_of_row, rank)
    rows = np.flatnonzero(rank == best[group_of_row])[::-1]  # the first row is written last
    picked = np.full(groups, None, dtype=object)
    picked[group_of_row[rows]] = values[rows]
    return {"selection": picked}


def _possible_duplicates(ga, gb, sizes, gs, ge) -> np.ndarray:
    """Pairs of attacks that one decision could still merge: every pair of their rows is
    unresolved (so none is different, and no table appears twice), and their windows
    share a day."""
    lo, hi = np.minimum(ga, gb), np.maximum(ga, gb)
    between = np.column_stack([lo, hi])[lo != hi].reshape(-1, 2)
    if not len(between):
        return between
    pairs, counts = np.unique(between, axis=0, return_counts=True)
    u, v = pairs[:, 0], pairs[:, 1]
    keep = (counts == sizes[u] * sizes[v]) & (np.maximum(gs[u], gs[v]) <= np.minimum(ge[u], ge[v]))
    return pairs[keep]


# ---------------------------------------------------------------------------------------
# Fewest distinct attacks among rows that may merge


def _fewest_cliques(nodes: list[int], graph: nx.Graph) -> int:
    """Fewest cliques that partition the nodes: exact, exponential, for small groups.
    The lowest node left always joins a maximal clique: moving a node into its clique
    from another never adds a clique."""
    index = {v: i for i, v in enumerate(nodes)}
    adjacent = [sum(1 << index[w] for w in graph[v]) for v in nodes]

    def maximal_cliques(clique: int, candidates: int):
        if not candidates:
            yield clique
        while candidates:
            w = candidates & -candidates
            candidates &= ~w
            yield from maximal_cliques(clique | w, candidates & adjacent[w.bit_length() - 1])

    @cache
    def fewest(left: int) -> int:
        if not left:
            return 0
        v = (left & -left).bit_length() - 1
        return 1 + min(fewest(left & ~c) for c in maximal_cliques(1 << v, adjacent[v] & left))

    return fewest((1 << len(nodes)) - 1)


def _floor(nodes: list[int], graph: nx.Graph, merged: Merged) -> int:
    """A number of groups no partition into cliques can beat: a clique of c rows holds a
    matching of c // 2 pairs and c - 1 <= 2 * (c // 2); it holds at most one row of each
    table; and its tables are distinct."""
    import networkx as nx

    matched = len(nx.max_weight_matching(graph, maxcardinality=True))
    sets = merged.table_sets[nodes]
    per_table = max(int(((sets >> t) & 1).sum()) for t in range(merged.table_count))
    rows = sum(int(x).bit_count() for x in sets)
    return max(len(nodes) - 2 * matched, per_table, ceil(rows / merged.table_count))


def _fewest_in_component(nodes: list[int], graph: nx.Graph, merged: Merged,
                         exact_limit: int) -> int:
    import networkx as nx
    from networkx.algorithms import bipartite

    if merged.table_count == 2:
        top = [v for v in nodes if merged.table_sets[v] & 1]
        return len(nodes) - len(bipartite.maximum_matching(graph, top_nodes=top)) // 2
    if sum(nx.triangles(graph).values()) == 0:  # no clique beyond a pair: a matching
        return len(nodes) - len(nx.max_weight_matching(graph, maxcardinality=True))
    if len(nodes) <= exact_limit:
        return _fewest_cliques(nodes, graph)
    return _floor(nodes, graph, merged)


def fewest_distinct(chosen: np.ndarray, merged: Merged,
                    exact_limit: int = EXACT_LIMIT) -> int:
    """Fewest distinct attacks among the chosen ones (a boolean mask over
    `merged.attacks`), over every settling of the unresolved pairs."""
    pairs = merged.duplicates
    pairs = pairs[chosen[pairs[:, 0]] & chosen[pairs[:, 1]]]
    if not len(pairs):
        return int(chosen.sum())
    import networkx as nx

    graph = nx.Graph(pairs.tolist())
    total = int(chosen.sum()) - graph.number_of_nodes()  # rows no pair can merge
    for component in nx.connected_components(graph):
        nodes = sorted(component)
        total += _fewest_in_component(nodes, graph.subgraph(nodes), merged, exact_limit)
    return total


def fewest_certain(certain: np.ndarray, exactly_dated: np.ndarray, merged: Merged,
                   exact_limit: int = EXACT_LIMIT) -> tuple[int, int]:
    """The fewest distinct attacks among the exactly dated certain ones, and among all
    certain ones. The first never exceeds the second: each is a floor when the search is
    cut short, and floors of a set and its subset can cross, so the smaller is kept.
    Events awaiting review are never certain (`frequency.confirmed`)."""
    certain = certain & frequency.confirmed(merged.attacks)
    fewest = fewest_distinct(certain, merged, exact_limit)
    return min(fewest_distinct(certain & exactly_dated, merged, exact_limit), fewest), fewest


# ---------------------------------------------------------------------------------------
# Figures per period


def _period_counts(merged: Merged, start, end, exact_limit: int) -> dict:
    a, b = frequency.day_number(start), frequency.day_number(end)
    s, e = frequency.intervals(merged.attacks)
    certain = (s >= a) & (e <= b)
    ordinary = frequency.window_counts(merged.attacks, start, end)
    exact, minimum = fewest_certain(certain, s == e, merged, exact_limit)
    return {"exact": exact, "min": minimum, "max": ordinary["max"],
            "expected": ordinary["expected"]}


def counts(merged: Merged, periods: pd.DataFrame | frequency.Window,
           exact_limit: int = EXACT_LIMIT) -> pd.DataFrame:
    """Exact, min, max and expected for each period (rows with period_start and
    period_end, as from `frequency.period_bounds`), or for one Window."""
    if isinstance(periods, frequency.Window):
        periods = pd.DataFrame({"period_start": [periods.start], "period_end": [periods.end],
                                "days": [periods.days]})
    rows = [_period_counts(merged, a, b, exact_limit)
            for a, b in zip(periods["period_start"], periods["period_end"], strict=True)]
    figures = pd.DataFrame(rows, index=periods.index, columns=["exact", "min", "max",
                                                               "expected"])
    return periods.assign(**figures.astype({"exact": np.int64, "min": np.int64,
                                            "max": np.int64, "expected": float}))


def merged_counts(tables: list[pd.DataFrame], matches: pd.DataFrame,
                  periods: pd.DataFrame | frequency.Window, *, names: list[str] | None = None,
                  exact_limit: int = EXACT_LIMIT) -> pd.DataFrame:
    """The four figures per period for the tables merged under the decisions."""
    return counts(merge(tables, matches, names), periods, exact_limit)


def merged_window_counts(tables: list[pd.DataFrame], matches: pd.DataFrame, start, end, *,
                         names: list[str] | None = None,
                         exact_limit: int = EXACT_LIMIT) -> dict:
    """The four figures for one period [start, end], like `frequency.window_counts`."""
    return _period_counts(merge(tables, matches, names), start, end, exact_limit)
