"""Selection rules: reading a TOML rule table, locating its mistakes, and deciding for every
event of an export whether it is the subject (`selected`), doubtful (`review`) or not
(`rejected`), with the rule that decided in words and the target type the rules give.

Precedence: every `reject` rule is tried first, then every `select` rule, then every
`review` rule; the first class with a matching rule decides, and within it the first
matching rule in the file names the reason. An event no rule matches is rejected.
`data/selection.md` documents the rule files and the bundled rules.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import re2

from ...exceptions import DataError, Problem
from .. import contract

FORMATS = ("acled", "ucdp", "table")
BUNDLED = Path(__file__).parent
SELECT, REVIEW, REJECT = "select", "review", "reject"
PRECEDENCE = (REJECT, SELECT, REVIEW)
OUTCOME = {SELECT: "selected", REVIEW: "review", REJECT: "rejected"}
NO_RULE = "no rule matched: rejected by default"
UNKNOWN = contract.UNKNOWN

# Condition kinds, in the order they are tried (cheap exact values before patterns).
IS, IS_NOT, MENTIONS, NOT_MENTIONS = "is", "is_not", "mentions", "not_mentions"
CONDITIONS = (IS, IS_NOT, MENTIONS, NOT_MENTIONS)
WORDS = {IS: "is", IS_NOT: "is not", MENTIONS: "mentions", NOT_MENTIONS: "does not mention"}
RULE_KEYS = ("id", "description", "decision", "target_type", *CONDITIONS)
TARGET_TYPES = tuple(v for v in next(f.enum for f in contract.fields(contract.ATTACKS)
                                     if f.name == "target_type") if v != UNKNOWN)
ID_FORM = re.compile(r"[a-z0-9][a-z0-9-]*")
SHOWN_CHARS = 60  # matched text longer than this is cut in a reason
PLAIN_CHARS = 2000  # longer text is searched by `re` alone (see _Prefilter)

_ACLED_CURRENT = (
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type",
    "sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2",
    "inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1",
    "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source",
    "source_scale", "notes", "fatalities", "tags", "timestamp")
_UCDP_GED = (
    "id", "relid", "year", "active_year", "code_status", "type_of_violence",
    "conflict_dset_id", "conflict_new_id", "conflict_name", "dyad_dset_id", "dyad_new_id",
    "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a", "side_b_dset_id",
    "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates",
    "where_description", "adm_1", "adm_2", "latitude", "longitude", "geom_wkt",
    "priogrid_gid", "country", "country_id", "region", "event_clarity", "date_prec",
    "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians", "deaths_unknown",
    "best", "high", "low", "gwnoa", "gwnob")
# The columns a rule may name, per format: ACLED's current and older layouts, UCDP GED's
# event file, and for `table` the attacks columns a map can fill.
KNOWN_COLUMNS = {
    "acled": _ACLED_CURRENT + ("data_id", "event_id_no_cnty", "iso3"),
    "ucdp": _UCDP_GED,
    "table": tuple(c for c in contract.column_names(contract.ATTACKS)
                   if c not in ("source_id", "quote", "selection", "selection_reason")),
}


@dataclass(frozen=True)
class Condition:
    kind: str  # one of CONDITIONS
    column: str  # lower case
    values: tuple[str, ...]  # exact values (IS, IS_NOT) or patterns (MENTIONS, ...)
    line: int

    @property
    def pattern(self) -> re.Pattern:
        """Any of the patterns, as whole words in any case."""
        return whole_words(self.values)


@dataclass(frozen=True)
class Rule:
    id: str
    description: str
    decision: str  # select, review or reject
    target_type: str | None
    conditions: tuple[Condition, ...]
    line: int


def whole_words(patterns) -> re.Pattern:
    """Patterns (Python regular expressions) matched as whole words, in any case: no
    letter, digit or underscore may touch a match on either side."""
    body = "|".join(f"(?:{p})" for p in patterns)
    return re.compile(rf"(?<!\w)({body})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Rules:
    """A checked rule table (see `load_rules`)."""

    fmt: str
    path: Path
    sha256: str
    rules: tuple[Rule, ...]
    description: str = ""

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def columns(self) -> tuple[str, ...]:
        """The input columns the rules read, lower case, in the order first named."""
        return tuple(dict.fromkeys(c.column for r in self.rules for c in r.conditions))

    def check_columns(self, headers, source) -> None:
        """Raise DataError, located in the rules file, for every column the rules read
        that the input `source` lacks (headers compared ignoring case and spaces)."""
        have = {str(h).strip().lower() for h in headers}
        shown = ", ".join(str(h) for h in headers if str(h).strip())
        problems = [Problem(str(self.path), c.line, c.column, c.column,
                            f"the rules read this column, and {Path(source).name} has no "
                            f"column of that name; its headers are: {shown}")
                    for r in self.rules for c in r.conditions if c.column not in have]
        if problems:
            raise DataError(problems)


# ---------------------------------------------------------------------------------------
# Reading a rules file


class _Lines:
    """Lines of a rule's keys in the TOML text: `[[rule]]` headers, `[rule.is]` tables,
    `key =` and dotted `is.notes =` keys, and each pattern's own line in a long list."""

    def __init__(self, text: str):
        self.text_lines = text.splitlines()
        self.rules: list[int] = []
        self.keys: dict[tuple, int] = {}
        index, table = -1, ""
        for n, raw in enumerate(self.text_lines, start=1):
            line = raw.strip()
            if re.fullmatch(r"\[\[\s*rule\s*\]\]\s*(#.*)?", line):
                index, table = index + 1, ""
                self.rules.append(n)
                continue
            head = re.fullmatch(r"\[\s*([^\[\]]+?)\s*\]\s*(#.*)?", line)
            if head:
                parts = [p.strip().strip("\"'") for p in head[1].split(".")]
                table = parts[1] if parts[0] == "rule" and len(parts) == 2 else head[1]
                if index >= 0:
                    self.keys.setdefault((index, table, None), n)
                else:
                    self.keys.setdefault((-1, "", parts[0]), n)
                continue
            key = re.match(r"([A-Za-z0-9_\-\"'. ]+?)\s*=", line)
            if key:
                parts = [p.strip().strip("\"'") for p in key[1].split(".")]
                where = (index, table) if table in CONDITIONS or index < 0 else (index, "")
                if len(parts) == 2:
                    self.keys.setdefault((index, parts[0], None), n)
                    self.keys.setdefault((index, parts[0], parts[1]), n)
                else:
                    self.keys.setdefault((*where, parts[0]), n)

    def rule(self, index: int) -> int:
        return self.rules[index] if index < len(self.rules) else 0

    def key(self, index: int, table: str, key: str | None = None) -> int:
        return (self.keys.get((index, table, key)) or self.keys.get((index, "", table))
                or self.keys.get((index, table, None)) or self.rule(index))

    def value(self, start: int, text: str) -> int:
        """The first line from `start` on that holds `text` (as TOML would write it)."""
        if start <= 0:
            return start
        for n in range(start, min(start + 200, len(self.text_lines) + 1)):
            raw = self.text_lines[n - 1]
            if text in raw or text.replace("\\", "\\\\") in raw:
                return n
        return start


def bundled_path(fmt: str) -> Path:
    return BUNDLED / f"{fmt}.toml"


def load_rules(fmt: str, path: str | Path | None = None) -> Rules:
    """The rules for an input format ("acled", "ucdp" or "table"): the bundled default
    when `path` is None, else the user's TOML file. Raises DataError listing every problem,
    each at its line in the rules file."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    path = Path(path) if path is not None else bundled_path(fmt)
    where = str(path)
    if not path.is_file():
        raise DataError([Problem(where, 0, "-", "", "rules file does not exist")])
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
        doc = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        at = re.search(r"at line (\d+)", str(err))
        raise DataError([Problem(where, int(at[1]) if at else 0, "-", "",
                                 f"not valid TOML in UTF-8: {err}")]) from None
    lines, problems = _Lines(text), []

    def bad(line, column, value, message):
        problems.append(Problem(where, line, column, str(value), message))

    for key in doc:
        if key not in ("description", "rule"):
            bad(lines.keys.get((-1, "", key), 0), key, key,
                "unknown key; a rules file has description and [[rule]] tables")
    description = doc.get("description", "")
    if not isinstance(description, str):
        bad(lines.keys.get((-1, "", "description"), 0), "description", description,
            "must be text in quotes")
        description = ""
    entries = doc.get("rule", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        bad(lines.keys.get((-1, "", "rule"), 0), "rule", "", "must be [[rule]] tables")
        entries = []
    if not entries and not problems:
        bad(0, "rule", "", "no [[rule]] table; a rules file needs at least one rule")
    known = KNOWN_COLUMNS[fmt]
    rules, first_line = [], {}
    for index, entry in enumerate(entries):
        rule_id = entry.get("id")
        if isinstance(rule_id, str) and rule_id in first_line:
            bad(lines.key(index, "id"), "id", rule_id,
                f"this id is already used on line {first_line[rule_id]}; ids must be unique")
        elif isinstance(rule_id, str):
            first_line[rule_id] = lines.key(index, "id")
        rule = _rule(fmt, index, entry, lines, bad, known)
        if rule is not None:
            rules.append(rule)
    if problems:
        raise DataError(problems)
    return Rules(fmt, path, hashlib.sha256(data).hexdigest(), tuple(rules), description)


def _text(value) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _rule(fmt, index, entry, lines, bad, known) -> Rule | None:
    ok = True
    for key in entry:
        if key not in RULE_KEYS:
            bad(lines.key(index, key), key, key,
                "unknown key in a rule; a rule has " + ", ".join(RULE_KEYS))
            ok = False
    rule_id = entry.get("id")
    if not (isinstance(rule_id, str) and ID_FORM.fullmatch(rule_id)):
        bad(lines.key(index, "id"), "id", rule_id if rule_id is not None else "",
            "every rule needs an id of lower-case letters, digits and hyphens")
        ok = False
    if not _text(entry.get("description")):
        bad(lines.key(index, "description"), "description", entry.get("description", ""),
            "every rule needs a description in plain words (it is the rule's why)")
        ok = False
    decision = entry.get("decision")
    if decision not in (SELECT, REVIEW, REJECT):
        bad(lines.key(index, "decision"), "decision", decision if decision is not None else "",
            "not one of: select, review, reject")
        ok = False
    target = entry.get("target_type")
    if target is not None and target not in TARGET_TYPES:
        bad(lines.key(index, "target_type"), "target_type", target,
            "not one of: " + ", ".join(TARGET_TYPES))
        ok = False
    conditions = []
    for kind in CONDITIONS:
        table = entry.get(kind, {})
        if not isinstance(table, dict):
            bad(lines.key(index, kind), kind, "", f"must be a table: [rule.{kind}] "
                'column = ["value", ...]')
            ok = False
            continue
        for column, values in table.items():
            line = lines.key(index, kind, column)
            name = column.strip().lower()
            if name not in known:
                bad(line, f"{kind}.{column}", column, f"not a column of a {fmt} input; "
                    "the columns are: " + ", ".join(known))
                ok = False
                continue
            if (not isinstance(values, list) or not values
                    or not all(isinstance(v, str) and v.strip() for v in values)):
                bad(line, f"{kind}.{column}", "", "must be a list of one or more values "
                    'in quotes: column = ["value", ...]')
                ok = False
                continue
            if kind in (MENTIONS, NOT_MENTIONS):
                for pattern in values:
                    message = _pattern_problem(pattern)
                    if message:
                        bad(lines.value(line, pattern), f"{kind}.{column}", pattern, message)
                        ok = False
            conditions.append(Condition(kind, name, tuple(v.strip() for v in values), line))
    if not ok:
        return None
    return Rule(rule_id, entry["description"].strip(), decision, target, tuple(conditions),
                lines.rule(index))


def _pattern_problem(pattern: str) -> str | None:
    try:
        compiled = re.compile(pattern, re.IGNORECASE)
    except re.error as err:
        return f"not a regular expression that compiles: {err}"
    if compiled.fullmatch(""):
        return "matches empty text, so it would match every event"
    return None


# ---------------------------------------------------------------------------------------
# Deciding


class _Columns:
    """The frame's columns, each factorized once: a condition is worked out once per
    distinct cell value (a category column has few), and kept for the next rule."""

    def __init__(self, frame: pd.DataFrame, rules: Rules):
        self.frame = frame
        self.rules = rules
        self.names = {str(c).strip().lower(): c for c in frame.columns}
        self.coded: dict[str, tuple[np.ndarray, pd.Series]] = {}
        self.known: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        self.prefilters: dict[str, _Prefilter] = {}

    def prefilter(self, column: str) -> _Prefilter:
        if column not in self.prefilters:
            self.prefilters[column] = _Prefilter(
                self.codes(column)[1],
                [c.values for r in self.rules.rules for c in r.conditions
                 if c.column == column and c.kind in (MENTIONS, NOT_MENTIONS)])
        return self.prefilters[column]

    def codes(self, column: str) -> tuple[np.ndarray, pd.Series]:
        if column not in self.coded:
            values = self.frame[self.names[column]]
            values = values.where(values.notna(), "").astype(str)
            codes, uniques = pd.factorize(values.to_numpy(dtype=object), sort=False)
            self.coded[column] = codes, pd.Series(uniques, dtype=object)
        return self.coded[column]

    def holds(self, condition: Condition, rows: np.ndarray) -> np.ndarray:
        """Whether each of `rows` (positions) meets the condition's positive test (its
        values are in the cell, or a pattern is)."""
        codes, uniques = self.codes(condition.column)
        key = (condition.column, condition.kind in (IS, IS_NOT), condition.values)
        result, done = self.known.get(key, (None, None))
        if result is None:
            result = np.zeros(len(uniques), dtype=bool)
            done = np.zeros(len(uniques), dtype=bool)
            self.known[key] = result, done
        # The distinct values among `rows` not yet worked out (a mask, not a sort: with
        # distinct notes there are as many values as rows).
        todo = np.zeros(len(uniques), dtype=bool)
        todo[codes[rows]] = True
        todo = np.flatnonzero(todo & ~done)
        if len(todo):
            cells = uniques.iloc[todo]
            if condition.kind in (IS, IS_NOT):
                result[todo] = _exact(cells, condition.values).notna().to_numpy()
            else:
                maybe = self.prefilter(condition.column).may_match(condition.values, todo)
                result[todo[~maybe]] = False
                done[todo[~maybe]] = True
                todo, cells = todo[maybe], cells[maybe]
                with warnings.catch_warnings():  # the patterns' groups are not wanted here
                    warnings.filterwarnings("ignore", "This pattern is interpreted",
                                            UserWarning)
                    found = cells.str.contains(condition.pattern)
                result[todo] = found.to_numpy(dtype=bool)
            done[todo] = True
        return result[codes[rows]]

    def shown(self, condition: Condition, codes: np.ndarray) -> pd.Series:
        """What in each of the cells `codes` (distinct values of the condition's column)
        met the condition: the value, or the matched text, cut to SHOWN_CHARS."""
        cells = self.codes(condition.column)[1].iloc[codes]
        if condition.kind == IS:
            found = _exact(cells, condition.values)
        else:
            found = cells.reset_index(drop=True).str.extract(condition.pattern, expand=True)[0]
        found = found.fillna("").astype(str).str.replace('"', "'", regex=False)
        long = found.str.len() > SHOWN_CHARS
        return found.where(~long, found.str.slice(0, SHOWN_CHARS - 1) + "…")


class _Prefilter:
    """Which of the rules' pattern lists each distinct value of a text column may match,
    found for all the lists in one linear-time pass (an RE2 set) instead of one Python
    search per list; a list RE2 does not find cannot match, so `re` searches only the
    rest. RE2 and `re` agree on whether a pattern occurs only where both are plain: so it
    is used only on values of printable ASCII, and only for lists of ASCII patterns that
    RE2 compiles (no look-around or back-reference) and that hold no `[:` (a POSIX class
    in RE2, a set in `re`). Any other value or list is left to `re` alone, and so is a
    value longer than PLAIN_CHARS, as RE2 answers "no match" when a search runs out of
    memory, which a short one cannot."""

    def __init__(self, uniques: pd.Series, pattern_lists):
        options = re2.Options()
        options.case_sensitive = False
        options.log_errors = False
        options.max_mem = 64 << 20
        self.set = re2.Set.SearchSet(options)
        self.index: dict[tuple[str, ...], int] = {}
        for values in dict.fromkeys(pattern_lists):
            body = "|".join(f"(?:{p})" for p in values)  # the whole words left to `re`
            if not body.isascii() or "[:" in body:
                continue
            try:
                self.index[values] = self.set.Add(body)
            except re2.error:
                continue
        if self.index:
            self.set.Compile()
        self.uniques = uniques.to_numpy(dtype=object)
        self.seen = np.zeros(len(uniques), dtype=bool)
        self.plain = np.zeros(len(uniques), dtype=bool)  # printable ASCII
        self.found = np.zeros((len(uniques), len(self.index)), dtype=bool)  # lists RE2 found

    def may_match(self, values: tuple[str, ...], codes: np.ndarray) -> np.ndarray:
        """For each of the distinct values `codes`, False when it cannot match `values`."""
        index = self.index.get(values)
        if index is None:
            return np.ones(len(codes), dtype=bool)
        new = codes[~self.seen[codes]]
        texts = self.uniques[new]
        plain = np.fromiter((len(t) <= PLAIN_CHARS and t.isascii() and t.isprintable()
                             for t in texts), dtype=bool, count=len(texts))
        self.plain[new] = plain
        for code, found in zip(new[plain].tolist(), map(self.set.Match, texts[plain]),
                               strict=True):
            if found:
                self.found[code, found] = True
        self.seen[new] = True
        return ~self.plain[codes] | self.found[codes, index]


def _exact(cells: pd.Series, values: tuple[str, ...]) -> pd.Series:
    """The part of each cell equal to one of `values` (ignoring case and surrounding
    spaces), or NA: the whole cell, or one of its `;`-separated parts, as ACLED lists
    several associated actors in one cell."""
    wanted = {v.casefold() for v in values}
    cells = cells.reset_index(drop=True)
    whole = cells.str.strip()
    found = whole.where(whole.str.casefold().isin(wanted))
    several = found.isna() & cells.str.contains(";", regex=False)
    if several.any():
        parts = cells[several].str.split(";").explode().str.strip()
        parts = parts[parts.str.casefold().isin(wanted)]
        found.loc[parts.index.unique()] = parts.groupby(level=0).first()
    return found


def _matching(columns: _Columns, rule: Rule, rows: np.ndarray) -> np.ndarray:
    """The positions among `rows` that the rule matches."""
    for condition in rule.conditions:
        if not len(rows):
            break
        holds = columns.holds(condition, rows)
        rows = rows[holds if condition.kind in (IS, MENTIONS) else ~holds]
    return rows


def _reasons(columns: _Columns, rule: Rule, rows: np.ndarray) -> np.ndarray:
    """The reason for each of `rows`, decided by `rule`: its id and what matched. Each
    distinct combination of the cells shown is worded once."""
    shown = [c for c in rule.conditions if c.kind in (IS, MENTIONS)]
    if not shown:
        return np.full(len(rows), f"rule {rule.id}: {rule.description}", dtype=object)
    keys = np.column_stack([columns.codes(c.column)[0][rows] for c in shown])
    combos, inverse = np.unique(keys, axis=0, return_inverse=True)
    text = pd.Series([f"rule {rule.id}: "] * len(combos), dtype=object)
    for i, condition in enumerate(shown):
        found = columns.shown(condition, combos[:, i]).to_numpy(dtype=object)
        text = text + ("; " if i else "") + f'{condition.column} {WORDS[condition.kind]} "' \
            + found + '"'
    return text.to_numpy(dtype=object)[inverse.reshape(-1)]


def decide(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """For each row of `frame` (input columns named by its headers in any case; values
    as text), its selection (selected, review or rejected), the reason in words, and the
    target_type the deciding rules give (unknown when none does, or they disagree).
    Same index as `frame`. Every condition is worked out over whole columns at once, and
    only where it can still change the outcome: a rule's exact values before its patterns,
    and only on the rows its other conditions, and the classes before, left open."""
    n = len(frame)
    columns = _Columns(frame, rules)
    missing = [c for c in rules.columns if c not in columns.names]
    if missing:
        raise ValueError("the frame lacks columns the rules read: " + ", ".join(missing)
                         + "; Rules.check_columns reports them in the rules file")
    selection = np.full(n, OUTCOME[REJECT], dtype=object)
    reason = np.full(n, NO_RULE, dtype=object)
    target = np.full(n, UNKNOWN, dtype=object)
    open_rows = np.arange(n)
    for decision in PRECEDENCE:
        deciding = np.full(n, -1)
        given = np.full(n, None, dtype=object)
        clash = np.zeros(n, dtype=bool)
        class_rules = [r for r in rules.rules if r.decision == decision]
        for k, rule in enumerate(class_rules):
            # A row an earlier rule of the class matched needs this rule only for its
            # target type: when it has one, the row's rules do not yet disagree, and it
            # is not the type they already give.
            tried = deciding[open_rows] < 0
            if rule.target_type:
                tried |= ~clash[open_rows] & (given[open_rows] != rule.target_type)
            hit = _matching(columns, rule, open_rows[tried])
            first = hit[deciding[hit] < 0]
            deciding[first] = k
            if rule.target_type:
                clash[hit] |= (given[hit] != None) & (given[hit] != rule.target_type)  # noqa: E711
                fresh = hit[given[hit] == None]  # noqa: E711
                given[fresh] = rule.target_type
        for k, rule in enumerate(class_rules):
            rows = np.flatnonzero(deciding == k)
            if len(rows):
                reason[rows] = _reasons(columns, rule, rows)
        decided = deciding >= 0
        selection[decided] = OUTCOME[decision]
        typed = decided & (given != None) & ~clash  # noqa: E711
        target[typed] = given[typed]
        open_rows = open_rows[~decided[open_rows]]
    return pd.DataFrame({"selection": selection, "selection_reason": reason,
                         "target_type": target}, index=frame.index)
