"""Sentences of a brief's narrative. Each number in them is computed from the data or
from the summary (`brief.summarise`), never written by hand. The sentences are Markdown,
and each piece of text from the data or the parameters in them is escaped
(`esc_markdown`); `scope_sentence` alone is plain text, which the title block escapes."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from .brief import Coverage, Inputs, duplicate_decisions
from .counting import frequency
from .counting.frequency import Window
from .counting.trend import MIN_ATTACKS, Side, Trend
from .dates import long_day
from .inputs.contract import describe_filters
from .render.text import count_range, esc_markdown


def _plural(n: int, word: str, plural: str | None = None) -> str:
    return f"{n} {word if n == 1 else plural or word + 's'}"


def lead_sentence(summary: dict, window: Window, attacks: pd.DataFrame,
                  covered: Coverage) -> str:
    """The brief's opening paragraph: the window's count as a range, the expected
    count and rate, how many attacks are dated to the day, and what the sources cover."""
    text = (
        f"Between {long_day(window.start)} and {long_day(window.end)}, "
        f"**{summary['attacks_min']}** distinct attacks in the data certainly fall in the "
        f"window and **{summary['attacks_max']}** possibly do; spreading each attack evenly "
        f"over its date window gives an expected **{summary['attacks_expected']:.1f}**. "
        f"Only **{summary['attacks_exact']}** of them are dated to the day. ")
    rate = summary["rate_per_week_expected"]
    if not covered.declared and rate is None:
        text += "The data begin after the window ends, so no weekly rate is given."
    elif not covered.declared and summary["rate_days"] == window.days:
        text += f"That is **{rate:.2f}** a week over the whole window."
    elif not covered.declared:
        text += (f"That is **{rate:.2f}** a week over the **{summary['rate_days']}** days "
                 f"from the data's first day, {long_day(covered.data_start)}.")
    elif rate is None:
        text += ("No source declares that it lists every attack on any day of the window, "
                 "so no weekly rate is given.")
    else:
        text += (f"Over the **{summary['covered_days']}** days that a source declares it "
                 f"lists completely, that is **{rate:.2f}** a week.")
    return f"{text} {coverage_sentence(attacks, window, covered)}".strip()


def scope_sentence(summary: dict) -> str:
    """What the brief counts, under its title: every event of an export imported without
    selection, the events awaiting review, and what a limited brief is limited to, with
    how many attacks it cannot place. Plain text, not Markdown: the title block shows it,
    escaped."""
    return " ".join(filter(None, [unselected_sentence(summary), review_sentence(summary),
                                  _limits_sentence(summary)]))


def unselected_sentence(summary: dict) -> str:
    """The title is a claim: say so when the data cannot back it."""
    rows = summary.get("unselected_rows") or 0
    if not rows:
        return ""
    every = rows == summary.get("rows_in_data")
    of = "Every row" if every else f"{rows} of the {summary.get('rows_in_data')} rows"
    return (f"{of} in the data {'was' if every or rows == 1 else 'were'} imported without "
            "selection: "
            "every event of the export was counted, whatever its target, so this brief "
            "does not check that they are what its title says.")


def review_sentence(summary: dict) -> str:
    """How many events possibly in the window await review, and what that does."""
    waiting = summary.get("awaiting_review") or 0
    if not waiting:
        return ""
    return (f"{_plural(waiting, 'event')} possibly in the window "
            f"{'awaits' if waiting == 1 else 'await'} review: counted as possibly in it, "
            "not as certain, exactly dated or expected, until a decision keeps "
            f"{'it' if waiting == 1 else 'them'}.")


def _limits_sentence(summary: dict) -> str:
    """What a limited brief is limited to, and how many attacks it cannot place."""
    filters = summary.get("filters") or {}
    if not filters:
        return ""
    text = f"Limited to {describe_filters(filters)}."
    for column, count in (summary.get("unplaced") or {}).items():
        if count:
            text += (f" {_plural(count, 'attack')} possibly in the window "
                     f"{'has' if count == 1 else 'have'} no known {column.replace('_', ' ')} "
                     "and cannot be placed, so the counts leave "
                     f"{'it' if count == 1 else 'them'} out.")
    return (text + " The totals that the sources claim are about every attack, so this "
            "brief does not set them against its counts.")


def _runs(days: pd.Series) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """The spans of consecutive True days."""
    flags = np.concatenate([[False], days.to_numpy(dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(flags.astype(np.int8)))
    return [(days.index[a], days.index[b - 1]) for a, b in zip(edges[::2], edges[1::2],
                                                                strict=True)]


def coverage_sentence(attacks: pd.DataFrame, window: Window, covered: Coverage) -> str:
    """What an empty period means in this brief. With declared coverage: which days the
    sources cover, where no row is a real zero, and that elsewhere it is not. Without:
    a warning when the rows start well after the window does."""
    if covered.declared:
        spans = _runs(covered.days)
        if not spans:
            return ("No source declares that it lists every attack on any day of the "
                    "window: a period without rows means that no source itemises an "
                    "attack there, not that none happened.")
        listed = ", ".join(f"{long_day(a)} to {long_day(b)}" if a != b else long_day(a)
                           for a, b in spans)
        if covered.day_count == window.days:
            return (f"The sources declare that they list every attack from {listed}, the "
                    "whole window: a period without attacks had none that they know of.")
        return (f"The sources declare that they list every attack from {listed} "
                f"({covered.day_count} of the window's {window.days} days). On other days "
                "a period without rows means that no source itemises an attack there, not "
                "that none happened, and its count is what was reported, not a total.")
    if attacks.empty:
        return "The data hold no attacks."
    earliest = attacks["date_start"].min()
    if earliest > window.start + pd.Timedelta(days=31):
        return (f"The attack rows begin on {long_day(earliest)}: periods before that are empty "
                "because the sources itemise no attack there, not because none happened.")
    return ""


def shading_caption(counts: pd.DataFrame, freq: str) -> str:
    """What the frequency chart's shading marks, for its caption ("" when none is)."""
    if counts.attrs.get("coverage_declared"):
        uncovered = int((counts["covered"] == 0).sum())
        if not uncovered:
            return ""
        return (f"Shaded: {_plural(uncovered, freq)} that no source declares it lists "
                "completely; their bars are what was reported, not totals.")
    possible = counts["max"].to_numpy() > 0
    leading = len(counts) if not possible.any() else int(np.argmax(possible))
    if leading < 2:
        return ""
    return (f"Shaded: the first {leading} {freq}s, before the first attack row, where the "
            "sources itemise nothing (no source declares what it covers).")


def coverage_note(covered: Coverage) -> str:
    """The notes' paragraph on what the sources cover, and which rule the brief used."""
    if covered.declared:
        return ("**What the sources cover.** A source may declare the days over which it "
                "sets out to list every attack in its scope. This brief's covered days are "
                "the union of the days declared by the sources its rows cite. Weekly rates, "
                "and the before/after comparison, are taken over covered days only, and "
                "the frequency chart shades the periods that are not wholly covered.")
    return ("**What the sources cover.** None of this brief's sources declares the days "
            "over which it lists every attack, so the brief cannot tell a quiet period from "
            "one that no source looked at. Rates, and the before/after comparison, are "
            "taken over the days from the data's first day"
            + (f" ({long_day(covered.data_start)})" if covered.data_start is not None else "")
            + " to the end of the window, never over days before the data begin, where "
            "there are no data rather than no attacks; the chart shades the periods before "
            "the first attack row. An import can declare what its source covers: "
            "`python -m analysis import ... --covers START:END` writes `coverage_start` and "
            "`coverage_end` into the file's row of `sources.csv`; a table coded by hand "
            "declares it in the same two columns.")


def selection_note(summary: dict) -> str:
    """The notes' paragraph on events an import's selection step did not settle: the rule
    for those awaiting review, and what a table imported without selection counts."""
    parts = []
    if summary.get("unselected_rows"):
        parts.append(unselected_sentence(summary) + " Importing the export again with "
                     "`--select` keeps only the events that its rules take in.")
    waiting = summary.get("awaiting_review") or 0
    if waiting:
        parts.append(f"{_plural(waiting, 'event')} possibly in the window "
                     f"{'awaits' if waiting == 1 else 'await'} review: a selection rule "
                     "found {} doubtful. An event awaiting review is counted as possible "
                     "only, not in the expected count, until a decision keeps it: it widens "
                     "the range, never the certain or exactly dated counts. `keep` or `drop` "
                     "in the import's decisions file settles it on the next import."
                     .format("it" if waiting == 1 else "them"))
    return "**What the selection left open.** " + " ".join(parts) if parts else ""


def merge_note(inputs: Inputs) -> str:
    """The notes' paragraph on how several tables were merged, with this brief's counts
    of decisions. Empty for a brief of one table."""
    if len(inputs.tables) < 2:
        return ""
    tables = "; ".join(f"{esc_markdown(Path(name).as_posix())} ({_plural(len(t), 'row')})"
                       for name, t in zip(inputs.names, inputs.tables, strict=True))
    decided = duplicate_decisions(inputs)
    return (
        f"**Several sources, counted once.** This brief merges {len(inputs.tables)} attack "
        f"tables: {tables}. Pairs of rows from different tables whose date windows can "
        "meet and whose known place, target and weapon agree are candidate duplicates. "
        f"Of the {sum(decided.values())} candidate pairs, {decided['same']} "
        f"{'is' if decided['same'] == 1 else 'are'} decided the same attack (counted once, "
        f"over the days the two windows share), {decided['different']} different, and "
        f"{decided['unresolved']} unresolved. Every count in the brief is of distinct "
        "attacks: the certain and exactly dated figures assume as many unresolved pairs "
        "are duplicates as can be at once (no row is the same attack as two rows of "
        "another table), and the possible and expected figures count each unresolved "
        "pair as two attacks. The whiskers and bands show that range.")


def peak_sentence(counts: pd.DataFrame, freq: str) -> str:
    if counts.empty or counts["max"].max() == 0:
        return "No attack in the data falls in the window."
    peak = counts.loc[counts["expected"].idxmax()]
    certain = counts.loc[counts["min"].idxmax()]
    text = (f"The highest expected count, {peak['expected']:.1f}, is in the {freq} "
            f"starting {long_day(peak['period_start'])}. ")
    if certain["min"] > 0:
        text += (f"The most attacks certainly in one {freq}, {int(certain['min'])}, "
                 f"fall in the {freq} starting {long_day(certain['period_start'])}. ")
    else:
        text += f"No {freq} certainly holds an attack, because none is dated to within one. "
    return text + (f"Up to {int(counts['max'].max())} attacks could fall in a single "
                   f"{freq}, since undated attacks could have happened in any {freq} of "
                   "their window.")


def comparison_sentence(before_after: pd.DataFrame, covered: Coverage) -> str:
    """The before/after rates in words; no ratio where a side has no rate to give."""
    before, after = before_after.loc["before"], before_after.loc["after"]
    pivot = long_day(after["start"])
    unrated = [name for name in ("before", "after")
               if math.isnan(before_after.loc[name, "rate_per_week"])]
    if unrated and not covered.declared:
        return (f"The data begin on {long_day(covered.data_start)}, so no rate is taken "
                f"before {pivot}, and no ratio: a rate there would average days without data."
                if covered.data_start is not None else "The data hold no attacks.")
    if unrated:
        side = "before" if unrated == ["before"] else "after" if unrated == ["after"] else ""
        where = f"{side} {pivot}" if side else f"on either side of {pivot}"
        return (f"No source declares that it lists every attack on any day {where}, so no "
                "rate is given there and no ratio: the attacks counted there are what was "
                "reported, not a total.")
    if before["max"] == 0 and not covered.declared:
        return (f"The data hold no attack before {pivot}, so no rate ratio is given: "
                "before that day the sources itemise no attack, which is not the same as "
                "none happening.")
    ratio = before_after.attrs["rate_ratio"]
    over = (" (over covered days)" if covered.declared
            else " (over the days from the data's first day)"
            if (before_after["rate_days"] < before_after["days"]).any() else "")
    text = (f"Expected attacks per week{over}: {before['rate_per_week']:.2f} before {pivot} "
            f"and {after['rate_per_week']:.2f} from that day on")
    return text + (f", a ratio of {ratio:.2f}." if not math.isnan(ratio) else ".")


def uncertainty_sentence(attacks: pd.DataFrame, window: Window) -> str:
    """How many of the distinct attacks possibly in the window carry a date window
    rather than a day, and how long those windows are."""
    attacks = attacks[frequency.possibly_in(attacks, window)]
    if attacks.empty:
        return "No attack in the data can fall in the window."
    lengths = (attacks["date_end"] - attacks["date_start"]).dt.days + 1
    windowed = lengths[lengths > 1]
    n = len(attacks)
    if windowed.empty:
        return f"All {n} distinct attacks possibly in the window are dated to the day."
    shortest, longest = int(windowed.min()), int(windowed.max())
    spread = (f"Each of those windows is {shortest} days long." if shortest == longest
              else f"Their windows run from {shortest} to {longest} days "
                   f"(median {windowed.median():g}).")
    return (f"Of the {_plural(n, 'distinct attack')} possibly in the window, "
            f"{len(windowed)} ({100 * len(windowed) / n:.0f}%) "
            f"{'carries' if len(windowed) == 1 else 'carry'} a date window rather than a "
            "day. " + spread
            + _commonest_window(attacks[(lengths > 1).to_numpy()]))


def _commonest_window(windowed: pd.DataFrame) -> str:
    """An example from the data: the window most attacks share, when several do."""
    shared = windowed.groupby(["date_start", "date_end"]).size()
    if shared.empty or shared.max() < 2:
        return ""
    (start, end), rows = shared.idxmax(), int(shared.max())
    which = f"All {rows}" if rows == len(windowed) else f"For example, {rows} of them"
    return (f" {which} are known only to fall between {long_day(start)} and "
            f"{long_day(end)}.")



def population_note(inputs: Inputs, window: Window) -> str:
    """The one sentence that says how the tables' rows became the attacks every number
    of the brief counts, when they differ: rows decided the same attack, and attacks
    that cannot fall in the window. Empty when every row is an attack in the window."""
    rows = sum(len(t) for t in inputs.tables)
    attacks = len(inputs.attacks)
    inside = int(frequency.possibly_in(inputs.attacks, window).sum())
    if rows == attacks == inside:
        return ""
    parts = []
    if attacks != rows:
        parts.append("rows decided the same attack make them "
                     + _plural(attacks, "distinct attack"))
    if inside != attacks:
        outside = attacks - inside
        parts.append(f"{_plural(outside, 'attack')} {'falls' if outside == 1 else 'fall'} "
                     f"wholly outside the window, which leaves {inside}")
    return (f"**Rows and attacks.** The attack tables hold {_plural(rows, 'row')}; "
            + "; ".join(parts) + ". Every number of this brief, in the key numbers, charts, "
            "captions and tables, counts those distinct attacks in the window.")


def trend_sentence(trend: Trend) -> str:
    """The trend's verdict in words, and why, in numbers."""
    unit = trend.freq
    recent, baseline = trend.recent, trend.baseline

    def side(s: Side, name: str) -> str:
        if s.start is None:
            return f"{name} has no {unit} to compare with"
        span = f"{long_day(s.start)} – {long_day(s.end)}"
        got = _plural(s.periods, unit) if s.periods == s.asked else (
            f"{_plural(s.periods, unit)} (of {s.asked} asked; the window begins there)")
        if not s.days:
            return f"{name}, {got}, {span}, has no day that a source declares it covers"
        lo, hi = s.rate(s.min), s.rate(s.max)
        counted = count_range(s.min, s.max)
        rates = f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}"
        return (f"{name}, {got}, {span}, holds {counted} distinct "
                f"attack{'s' if s.max != 1 else ''} on {_plural(s.days, 'covered day')} "
                f"(expected {s.expected:.1f}): {rates} a week")

    text = (f"{side(recent, 'The latest span')}; "
            f"{side(baseline, 'the span before it')}. ")
    r_lo, r_hi, b_lo, b_hi = (recent.rate(recent.min), recent.rate(recent.max),
                              baseline.rate(baseline.min), baseline.rate(baseline.max))
    if trend.reason == "no covered day":
        text += "No rate can be taken where no day is covered, so the brief cannot tell."
    elif trend.reason == "no rows":
        text += ("No source declares what it covers, and a span without attack rows may "
                 "be one that no source looked at, so the brief cannot tell.")
    elif trend.verdict == "higher":
        text += (f"Even at its lowest the latest rate ({r_lo:.2f} a week) is above the "
                 f"highest the span before allows ({b_hi:.2f}): **higher**, wherever in "
                 "their windows the undated attacks fell.")
    elif trend.verdict == "lower":
        text += (f"Even at its highest the latest rate ({r_hi:.2f} a week) is below the "
                 f"lowest the span before allows ({b_lo:.2f}): **lower**, wherever in "
                 "their windows the undated attacks fell.")
    elif trend.reason == "too few":
        text += (f"A change is called only where the span it rests on certainly holds at "
                 f"least {MIN_ATTACKS} attacks (as ACLED's trend map calls no change on five "
                 f"events or fewer); here the latest span certainly holds {recent.min} and the "
                 f"span before {baseline.min}, so the brief **cannot tell**.")
    else:
        text += (f"The ranges overlap ({r_lo:.2f}–{r_hi:.2f} a week against "
                 f"{b_lo:.2f}–{b_hi:.2f}): some placings of the undated attacks give a "
                 "higher latest rate and others do not, so the data show **no clear "
                 "change**.")
    if not trend.coverage_declared and trend.reason != "no rows":
        text += (" No source declares what it covers, so both rates are of what was "
                 "reported, not totals.")
    return text


def breakdown_sentence(by_value: pd.DataFrame) -> str:
    """For a column with too few known values to chart: say what is known instead."""
    label = by_value.attrs.get("column", "value").replace("_", " ")
    unknown = int(by_value.attrs.get("unknown", 0))
    known = int(by_value["max"].sum())
    if known == 0:
        return f"No attack in the window has a known {label}."
    values = ", ".join(f"{esc_markdown(v)} ({int(n)})"
                       for v, n in zip(by_value["value"], by_value["max"], strict=True))
    return (f"Only {known} of {known + unknown} attacks possibly in the window "
            f"{'has' if known == 1 else 'have'} a known {label}: {values}. "
            "Too few known values to chart.")
