"""What one brief needs around the frequency math: its inputs, its window, the summary
numbers and the files it leaves behind (`counts.csv`, `summary.json`, `figures/`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import config
from .counting.frequency import Window, rate_per_week, window_counts
from .dates import long_day, parse_iso_day
from .exceptions import DataError, ParameterError
from .files import write_atomic
from .inputs import contract, load
from .inputs.provenance import source_titles

FREQUENCIES = ("month", "week")
BREAKDOWN_COLUMNS = ("region", "target_type", "weapon")


@dataclass
class Inputs:
    attacks: pd.DataFrame
    claims: pd.DataFrame
    context: pd.DataFrame
    sources: pd.DataFrame


def load_inputs(data_path, claims_path="", context_path="", sources_path="",
                **limits) -> Inputs:
    """Load every table of a brief. An empty path means "none": a user's own event list
    often has only the attacks table. Quotes are checked when sources are given.

    Every table is checked even when an earlier one fails, and one DataError lists
    every problem in all of them."""
    if config.resolve(data_path) is None:
        raise ParameterError("data_path", data_path, "an attacks table is required")
    problems = []

    def attempt(loader, *args):
        try:
            return loader(*args, **limits)
        except DataError as err:
            problems.extend(err.problems)
            return None

    sources = (attempt(load.load_sources, sources_path) if config.resolve(sources_path)
               else None)
    attacks = attempt(load.load_attacks, data_path, sources)
    claims = (attempt(load.load_claims, claims_path, sources) if config.resolve(claims_path)
              else load.empty_table(contract.CLAIMS))
    context = (attempt(load.load_context, context_path, sources)
               if config.resolve(context_path) else load.empty_table(contract.CONTEXT))
    if problems:
        raise DataError(problems)
    return Inputs(attacks, claims, context,
                  sources if sources is not None else load.empty_table(contract.SOURCES))


def parse_day(name: str, value) -> pd.Timestamp:
    """A parameter that must be an ISO day (YYYY-MM-DD)."""
    parsed = parse_iso_day(value)
    if parsed is None:
        raise ParameterError(name, value, "must be a date in the form YYYY-MM-DD")
    return pd.Timestamp(parsed)


def check_freq(freq: str) -> str:
    if freq not in FREQUENCIES:
        raise ParameterError("freq", freq, "must be 'month' or 'week'")
    return freq


def resolve_window(start, as_of, attacks: pd.DataFrame, sources: pd.DataFrame) -> Window:
    """The window [start, as_of]. An empty as_of means the sources' latest as_of, or
    else the latest date_end in the data."""
    first = parse_day("start", start)
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


def check_parameters(parameters: dict, inputs: Inputs) -> Window:
    """What the notebook's first cells check, done before any kernel starts: the
    frequency, the window and the comparison day. Returns the window."""
    check_freq(parameters.get("freq", "month"))
    window = resolve_window(parameters.get("start", ""), parameters.get("as_of", ""),
                            inputs.attacks, inputs.sources)
    in_window(parameters.get("compare_at", ""), window)
    return window


def in_window(day, window: Window) -> bool:
    """Whether a comparison date splits the window into two non-empty parts."""
    if not str(day or "").strip():
        return False
    day = parse_day("compare_at", day)
    return window.start < day <= window.end


def exactly_dated(attacks: pd.DataFrame) -> int:
    """Attacks in the data dated to a single day."""
    return int((attacks["date_start"] == attacks["date_end"]).sum())


def source_line(inputs: Inputs) -> str:
    """The line under every chart: where the data come from and how exact they are."""
    attacks = inputs.attacks
    exact = exactly_dated(attacks)
    titles = source_titles(inputs.sources)
    origin = ("Source: " + "; ".join(titles) + "." if titles
              else "Source: " + Path(attacks.attrs.get("path", "attack data")).name + ".")
    return (f"{origin} {exact} of {len(attacks)} attacks in the data are exactly dated; "
            f"the rest carry date windows.")


def summarise(inputs: Inputs, window: Window, freq: str) -> dict:
    """The brief's key numbers, every one computed from the data."""
    attacks = inputs.attacks
    counts = window_counts(attacks, window.start, window.end)
    rates = rate_per_week(attacks, window)
    return {
        "window_start": f"{window.start:%Y-%m-%d}",
        "window_end": f"{window.end:%Y-%m-%d}",
        "window_days": window.days,
        "freq": freq,
        "attacks_exact": counts["exact"],
        "attacks_min": counts["min"],
        "attacks_max": counts["max"],
        "attacks_expected": round(counts["expected"], 6),
        "rate_per_week_expected": round(rates["expected"], 6),
        "rate_per_week_min": round(rates["min"], 6),
        "rate_per_week_max": round(rates["max"], 6),
        "attacks_in_data": len(attacks),
        "attacks_exactly_dated_in_data": exactly_dated(attacks),
        "sources": source_titles(inputs.sources),
    }


def claims_against_data(claims: pd.DataFrame, attacks: pd.DataFrame) -> pd.DataFrame:
    """For each claim, what the data say about the same period."""
    rows = []
    for claim in claims.itertuples(index=False):
        data = window_counts(attacks, claim.period_start, claim.period_end)
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


def write_outputs(output_dir, counts: pd.DataFrame, summary: dict, figures: dict) -> Path:
    """Write the data behind every chart: counts.csv, summary.json and each figure as
    SVG and PNG under figures/. Files are replaced whole, never left half-written."""
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
    for name, fig in figures.items():
        write_atomic(out / "figures" / f"{name}.svg", to_svg(fig))
        write_atomic(out / "figures" / f"{name}.png", to_png(fig))
    return out


# Sentences of the brief's narrative. Each number in them is computed here from the data.


def lead_sentence(summary: dict, window: Window, attacks: pd.DataFrame) -> str:
    """The brief's opening paragraph: the window's count as a range, the expected
    count and rate, how many attacks are dated to the day, and where the rows begin."""
    text = (
        f"Between {long_day(window.start)} and {long_day(window.end)}, "
        f"**{summary['attacks_min']}** attacks in the data certainly fall in the window and "
        f"**{summary['attacks_max']}** possibly do; spreading each attack evenly over its "
        f"date window gives an expected **{summary['attacks_expected']:.1f}**, or "
        f"**{summary['rate_per_week_expected']:.2f}** a week. "
        f"Only **{summary['attacks_exact']}** of them are dated to the day.")
    rows_begin = coverage(attacks, window)
    return f"{text} {rows_begin}" if rows_begin else text

def coverage(attacks: pd.DataFrame, window: Window) -> str:
    """Warn when the rows start well after the window does: empty early periods mean
    the sources itemise nothing there, not that nothing happened."""
    if attacks.empty:
        return "The data hold no attacks."
    earliest = attacks["date_start"].min()
    if earliest > window.start + pd.Timedelta(days=31):
        return (f"The attack rows begin on {long_day(earliest)}: periods before that are empty "
                "because the sources itemise no attack there, not because none happened.")
    return ""


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


def comparison_sentence(before_after: pd.DataFrame) -> str:
    before, after = before_after.loc["before"], before_after.loc["after"]
    pivot = long_day(after["start"])
    if before["max"] == 0:
        return (f"The data hold no attack before {pivot}, so no rate ratio is given: "
                "before that day the sources itemise no attack, which is not the same as "
                "none happening.")
    ratio = before_after.attrs["rate_ratio"]
    return (f"Expected attacks per week: {before['rate_per_week']:.2f} before {pivot} and "
            f"{after['rate_per_week']:.2f} from that day on, a ratio of {ratio:.2f}.")


def uncertainty_sentence(attacks: pd.DataFrame) -> str:
    if attacks.empty:
        return "The data hold no attacks."
    lengths = (attacks["date_end"] - attacks["date_start"]).dt.days + 1
    windowed = lengths[lengths > 1]
    n = len(attacks)
    if windowed.empty:
        return f"All {n} attack rows are dated to the day."
    shortest, longest = int(windowed.min()), int(windowed.max())
    spread = (f"Each of those windows is {shortest} days long." if shortest == longest
              else f"Their windows run from {shortest} to {longest} days "
                   f"(median {windowed.median():g}).")
    return (f"In these data, {len(windowed)} of {n} attack rows "
            f"({100 * len(windowed) / n:.0f}%) carry a date window rather than a day. "
            + spread)


def breakdown_sentence(by_value: pd.DataFrame) -> str:
    """For a column with too few known values to chart: say what is known instead."""
    label = by_value.attrs.get("column", "value").replace("_", " ")
    unknown = int(by_value.attrs.get("unknown", 0))
    known = int(by_value["max"].sum())
    if known == 0:
        return f"No attack in the window has a known {label}."
    values = ", ".join(f"{v} ({int(n)})" for v, n in zip(by_value["value"], by_value["max"],
                                                          strict=True))
    return (f"Only {known} of {known + unknown} attacks possibly in the window "
            f"{'has' if known == 1 else 'have'} a known {label}: {values}. "
            "Too few known values to chart.")
