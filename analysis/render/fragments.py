"""HTML fragments that make up a brief: title block, key numbers, figures, tables and
the sources list. Every piece of text that comes from data is escaped here, so a
location named `<script>` shows as text in Jupyter, in the HTML brief and in the PDF.

Fragments display themselves in Jupyter (`_repr_mimebundle_`) and have a stable plain-text
repr, so executed notebooks stay byte-identical between runs.
"""

from __future__ import annotations

import pandas as pd

from ..counting.frequency import Window
from ..dates import long_day as day
from ..inputs.contract import describe_filters
from ..inputs.provenance import source_titles
from .charts import to_svg
from .marks import inline_svg
from .text import count_range, esc


class Fragment:
    """A piece of the brief as HTML, with optional output metadata for the exporter."""

    def __init__(self, html_text: str, text: str = "", metadata: dict | None = None):
        self.html, self.text, self.metadata = html_text, text, metadata

    def _repr_mimebundle_(self, include=None, exclude=None):
        # Output metadata at the top level, where the brief exporter looks for it.
        return {"text/html": self.html, "text/plain": repr(self)}, (self.metadata or {})

    def __repr__(self) -> str:
        return self.text or "brief fragment"

    def __str__(self) -> str:
        return self.html


def title_block(title: str, window: Window, sources: pd.DataFrame,
                scope: str = "") -> Fragment:
    """The brief's title, window, as-of date and sources. Its metadata gives the
    exporter the document title and date."""
    titles = source_titles(sources)
    meta = [f"Window: {day(window.start)} – {day(window.end)}",
            f"As of {day(window.end)}"]
    if len(titles) > 3:
        meta.append(f"Sources: {esc(titles[0])}; and {len(titles) - 1} more, listed at "
                    "the end")
    elif titles:
        meta.append("Sources: " + "; ".join(esc(t) for t in titles))
    limited = f'<p class="brief-scope">{esc(scope)}</p>' if scope else ""
    body = (f'<header class="brief-title"><h1>{esc(title)}</h1>'
            f'<p class="brief-meta">{" · ".join(meta)}</p>{limited}</header>')
    return Fragment(body, text=str(title), metadata={"brief": {
        "title": str(title), "as_of": f"{window.end:%Y-%m-%d}",
        "window_start": f"{window.start:%Y-%m-%d}", "sources": titles}})


def key_numbers(summary: dict) -> Fragment:
    """The numbers up front, straight from `summary.json`."""
    certain, possible = summary["attacks_min"], summary["attacks_max"]
    rate, rate_lo, rate_hi = (summary[f"rate_per_week_{k}"] for k in ("expected", "min", "max"))
    over = " over covered days" if summary.get("coverage_declared") else ""
    if rate is None:
        rate_box = ("–", "attacks per week: no rate, since no source declares that it "
                         "lists every attack on any day of the window")
    else:
        rate_box = (f"{rate:.2f}", f"attacks per week expected{over}"
                    + (f" (range {rate_lo:.2f}–{rate_hi:.2f})"
                       if f"{rate_lo:.2f}" != f"{rate_hi:.2f}" else ""))
    filters = summary.get("filters") or {}
    only = f"; limited to {describe_filters(filters)}" if filters else ""
    if summary.get("unselected_rows"):
        only += ("; every event of an export imported without selection, whatever its "
                 "target")
    waiting = summary.get("awaiting_review") or 0
    review = (f" ({waiting} of the possible await{'s' if waiting == 1 else ''} review)"
              if waiting else "")
    boxes = [
        (f"{summary['attacks_expected']:.1f}", "attacks expected in the window, "
         f"spreading each undated attack evenly over its date window{only}"),
        (count_range(certain, possible),
         ("attacks certainly in the window" if certain == possible
          else "attacks certainly to possibly in the window") + review),
        (f"{summary['attacks_exact']}", "attacks exactly dated in the window"),
        rate_box,
    ]
    items = "".join(f'<div class="key-number"><span class="value">{esc(v)}</span>'
                    f'<span class="label">{esc(label)}</span></div>' for v, label in boxes)
    return Fragment(f'<section class="key-numbers">{items}</section>',
                    text="; ".join(f"{v} {label}" for v, label in boxes))


def figure(fig, caption: str) -> Fragment:
    """A chart as inline SVG, each of its marks titled with its figures (the reader's
    pointer shows them), with its alt text, a caption and, after it, the numbers it
    draws as a table that opens on demand (`<details>`; printed open)."""
    caption = caption.strip()
    alt = getattr(fig, "alt_text", "") or caption
    data = getattr(fig, "data_table", None)
    numbers = ""
    if data is not None and len(data[0]):
        frame, numeric = data
        numbers = (f'<details class="chart-data"><summary>The numbers behind this chart'
                   f"</summary>{table(frame, numeric=numeric).html}</details>")
    return Fragment(f'<figure class="chart">{inline_svg(to_svg(fig), alt)}'
                    f"<figcaption>{esc(caption)}</figcaption></figure>{numbers}",
                    text=f"Figure: {caption}")


def table(frame: pd.DataFrame, caption: str = "", numeric: tuple[str, ...] = ()) -> Fragment:
    """A small table, every cell escaped. Columns in `numeric` are right-aligned."""
    head = "".join(f'<th{" class=num" if c in numeric else ""}>{esc(c)}</th>'
                   for c in frame.columns)
    body = "".join(
        "<tr>" + "".join(f'<td{" class=num" if c in numeric else ""}>{esc(v)}</td>'
                         for c, v in zip(frame.columns, row, strict=True)) + "</tr>"
        for row in frame.itertuples(index=False))
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return Fragment(f'<table class="data-table">{cap}<thead><tr>{head}</tr></thead>'
                    f"<tbody>{body}</tbody></table>", text=caption or "table")


def claims_table(comparison: pd.DataFrame) -> Fragment:
    """Claims from the sources beside the distinct attacks counted in the same period."""
    shown = pd.DataFrame({
        "ID": comparison["claim_id"],
        "Claim": comparison["description"],
        "Period": [f"{day(a)} – {day(b)}" for a, b in
                   zip(comparison["period_start"], comparison["period_end"], strict=True)],
        "Claimed": [count_range(a, b) for a, b in
                    zip(comparison["count_min"], comparison["count_max"], strict=True)],
        "Data: certain–possible": [count_range(a, b) for a, b in
                                   zip(comparison["data_min"], comparison["data_max"],
                                       strict=True)],
        "Data: expected": [f"{x:.1f}" for x in comparison["data_expected"]],
    })
    return table(shown, "Claims in the sources against the distinct attacks counted, same period",
                 numeric=("Claimed", "Data: certain–possible", "Data: expected"))


def comparison_table(before_after: pd.DataFrame, covered_declared: bool = False) -> Fragment:
    """Before and after a date: counts, days and the weekly rate (over the covered days
    when a source declares coverage; "no rate" where none is covered)."""
    shown = pd.DataFrame({
        "Period": [f"{name.capitalize()}: {day(a)} – {day(b)}" for name, a, b in
                   zip(before_after.index, before_after["start"], before_after["end"],
                       strict=True)],
        "Days": before_after["days"],
        "Exactly dated": before_after["exact"],
        "Certain–possible": [count_range(a, b) for a, b in
                             zip(before_after["min"], before_after["max"], strict=True)],
        "Expected": [f"{x:.1f}" for x in before_after["expected"]],
    })
    from_data = not covered_declared and (before_after["rate_days"] < before_after["days"]).any()
    if covered_declared:
        shown["Days covered"] = before_after["rate_days"].to_numpy()
    elif from_data:
        shown["Days with data"] = before_after["rate_days"].to_numpy()
    shown["Expected per week"] = [f"{x:.2f}" if pd.notna(x) else "no rate"
                                  for x in before_after["rate_per_week"]]
    caption = ("Attack rate before and after, per week over the days a source covers"
               if covered_declared else "Attack rate before and after, per week over the "
               "days from the data's first day" if from_data else "Attack rate before and after")
    return table(shown, caption, numeric=tuple(shown.columns[1:]))


def counts_table(counts: pd.DataFrame, unit: str) -> Fragment:
    """The numbers behind the frequency chart, for periods with any possible attack."""
    rows = counts[counts["max"] > 0]
    shown = pd.DataFrame({
        unit.capitalize(): [f"{day(a)} – {day(b)}" for a, b in
                            zip(rows["period_start"], rows["period_end"], strict=True)],
        "Exactly dated": rows["exact"],
        "Certainly in it": rows["min"],
        "Possibly in it": rows["max"],
        "Expected": [f"{x:.1f}" for x in rows["expected"]],
    })
    if counts.attrs.get("coverage_declared"):
        shown["Covered"] = ["yes" if c == 1 else "no" for c in rows["covered"]]
    return table(shown, f"Attacks per {unit}, for {unit}s with any possible attack",
                 numeric=tuple(shown.columns[1:5]))


def sources_list(sources: pd.DataFrame, *tables: pd.DataFrame) -> Fragment:
    """Each source with the sentences the data quote from it, and how many rows each
    sentence supports."""
    items = []
    for source in sources.itertuples(index=False):
        quoted: dict[str, int] = {}
        for frame in tables:
            rows = frame[(frame["source_id"] == source.source_id).fillna(False)]
            for quote in rows["quote"].dropna():
                quoted[quote] = quoted.get(quote, 0) + 1
        details = [esc(source.publisher)] if pd.notna(source.publisher) else []
        if pd.notna(source.published):
            details.append(f"published {day(source.published)}")
        quotes = "".join(f'<blockquote>{esc(q)}<span class="rows"> (supports {n} '
                         f'row{"s" if n != 1 else ""})</span></blockquote>'
                         for q, n in quoted.items())
        url = getattr(source, "url", None)
        where = (f"text: {esc(source.path)}" if pd.notna(source.path)
                 else esc(url) if pd.notna(url) else "not stored")
        items.append(f"<li><cite>{esc(source.title)}</cite>"
                     f'{" (" + ", ".join(details) + ")" if details else ""}'
                     f'<span class="path"> — {where}</span>{quotes}</li>')
    if not items:
        return Fragment('<section class="sources"><p>No source documents were given; '
                        "the attack table is the only input.</p></section>", text="sources")
    return Fragment(f'<section class="sources"><ol>{"".join(items)}</ol></section>',
                    text="sources")


def trend_table(trend) -> Fragment:
    """The trend's two sides (`counting.trend.Trend`): span, covered days, distinct
    attacks on them, and the weekly rate over them."""
    rows = []
    for name, side in (("Latest", trend.recent), ("Before", trend.baseline)):
        span = f"{day(side.start)} – {day(side.end)}" if side.start is not None else "none"
        lo, hi = side.rate(side.min), side.rate(side.max)
        rows.append({
            "Span": f"{name}: {span}", trend.freq.capitalize() + "s": side.periods,
            "Days covered": side.days,
            "Certain–possible": count_range(side.min, side.max),
            "Expected": f"{side.expected:.1f}",
            "Per week": "no rate" if lo is None else
                        f"{lo:.2f}" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}–{hi:.2f}",
        })
    shown = pd.DataFrame(rows)
    return table(shown, f"The latest {trend.freq}s against those before: {trend.verdict}",
                 numeric=tuple(shown.columns[1:]))
