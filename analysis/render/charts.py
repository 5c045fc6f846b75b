"""Charts for the briefs. Each function returns a matplotlib Figure and writes no files;
`fig.alt_text` holds a plain-language description for screen readers and the brief.

They share the house style (`house.mplstyle`) and one visual grammar: exactly dated
attacks are solid, the date-uncertain share is hatched, and whiskers or bands run from
the attacks certainly in a period to those possibly in it. Claims from articles are
drawn as claimed totals over their own period, never as per-period data.

Longer than most modules (about 360 lines) on purpose: the three charts share that one
grammar through private helpers (context lines, claim brackets, the shaded lead-in, the
date axis), and splitting them would scatter one style over several files.
"""

from __future__ import annotations

from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # charts are rendered to files and notebooks, never to a window

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.style  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.transforms import blended_transform_factory, offset_copy  # noqa: E402

from .. import config  # noqa: E402
from ..dates import short_day  # noqa: E402
from .text import count_range  # noqa: E402

EXACT_COLOR = "#8c2d19"
UNCERTAIN_COLOR = "#f4d3c8"
RANGE_COLOR = "#3d3d3d"
CONTEXT_COLOR = "#2b5c8a"
CLAIM_COLOR = "#6a3d9a"

FREQ_WORDS = {"month": ("month", "Monthly"), "week": ("week", "Weekly")}


@contextmanager
def house_style():
    with matplotlib.style.context(str(config.MPLSTYLE)):
        yield


def plain(text) -> str:
    """Text from data or parameters, shown as written: a `$` would otherwise start
    matplotlib's mathtext, and unbalanced mathtext stops the chart from drawing."""
    return str(text).replace("$", r"\$")


def _new_figure(height: float = 4.8) -> tuple[Figure, Axes]:
    # Figure(), not pyplot: nothing is kept in pyplot's global state between charts, and
    # no kernel pays for importing pyplot (0.2 s).
    fig = Figure(figsize=(9, height), layout="constrained")
    return fig, fig.add_subplot()


SOURCE_LINE_SIZE, SOURCE_LINE_X = 7.5, 0.005
# Points from the bottom of a breakdown chart's axes to the top of its legend's box: below
# the tick labels and the x axis label, with about the gap of the other charts (8 pt).
BREAKDOWN_LEGEND_DROP = 34


def _source_line(fig: Figure, text: str) -> None:
    # As the figure's x label, the line is laid out with the rest: constrained layout
    # keeps room for it below the legend, however many lines it wraps to. (A fixed strip
    # of the figure's height held one line: on short charts the legend ran over a second.)
    room = fig.get_figwidth() * 72 * (1 - 2 * SOURCE_LINE_X)
    fig.supxlabel(plain(wrapped(text, room, SOURCE_LINE_SIZE)), x=SOURCE_LINE_X,
                  ha="left", fontsize=SOURCE_LINE_SIZE, color="#666666")


def wrapped(text: str, width: float, size: float) -> str:
    """`text` broken at spaces into lines at most `width` points wide in the house font
    at `size` points.

    matplotlib's own wrapping (`wrap=True`) measures the line again for every word, each
    time the figure is drawn: a brief draws each chart three times (layout, SVG, PNG),
    and the source lines alone cost a fifth of its chart time. This measures the text
    once, guesses the characters per line from it, and checks the lines it made.

    A line is as wide as the wider of its two drawings: the SVG's, unhinted, and the
    PNG's, whose glyphs are hinted to the pixels of `savefig.dpi` and come out up to a
    few percent wider or narrower."""
    import textwrap

    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    font = FontProperties(size=size)
    dpi = matplotlib.rcParams["savefig.dpi"]
    dpi = float(matplotlib.rcParams["figure.dpi"] if dpi == "figure" else dpi)
    png = RendererAgg(1, 1, dpi)

    def points(line: str) -> float:
        svg_width = text_to_path.get_text_width_height_descent(line, font, ismath=False)[0]
        png_width = png.get_text_width_height_descent(line, font, ismath=False)[0]
        return max(svg_width, png_width * 72 / dpi)

    whole = points(text)
    if whole <= width:
        return text
    chars = max(int(len(text) * width / whole), 1)
    while True:
        lines = textwrap.wrap(text, chars, break_long_words=False, break_on_hyphens=False)
        if chars == 1 or all(points(line) <= width for line in lines):
            return "\n".join(lines)
        chars = max(int(chars * 0.95), 1)


def _text_side(ax, x) -> tuple[float, str]:
    """Labels in the right half of the axes end at their mark, so none runs off."""
    lo, hi = ax.get_xlim()
    return ("right", -1) if mdates.date2num(x) > (lo + hi) / 2 else ("left", 1)


# Behind a label drawn over the data, so that the dashed lines of context events and the
# bars do not run through its words.
LABEL_BACKGROUND = {"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none",
                    "alpha": 0.85}


def _mark_context(ax, context: pd.DataFrame | None, start, end) -> None:
    if context is None or context.empty:
        return
    top = blended_transform_factory(ax.transData, ax.transAxes)
    shown = context[(context["date"] >= start) & (context["date"] <= end)]
    for i, (date, label) in enumerate(zip(shown["date"], shown["label"], strict=True)):
        ax.axvline(date, color=CONTEXT_COLOR, linewidth=1, linestyle=(0, (4, 3)),
                   zorder=1)
        ha, sign = _text_side(ax, date)
        ax.annotate(plain(label), xy=(mdates.date2num(date), 0.985 - 0.065 * (i % 3)), xycoords=top,
                    xytext=(3 * sign, 0), textcoords="offset points", fontsize=8,
                    color=CONTEXT_COLOR, ha=ha, va="top", bbox=LABEL_BACKGROUND)


def claim_label(claim) -> str:
    """Short, so several fit on a chart; the claims table in the brief has the rest."""
    name = getattr(claim, "claim_id", None)
    prefix = f"{name}: " if isinstance(name, str) and name else ""
    return f"{prefix}{count_range(claim.count_min, claim.count_max)} claimed"


def claim_period(claim) -> str:
    return f"{short_day(claim.period_start)} – {short_day(claim.period_end)}"


def _claims_in(claims: pd.DataFrame | None, start, end) -> pd.DataFrame:
    """Claims whose whole period lies in the window. A claim that began earlier counts
    attacks the window does not cover, so it cannot be set against the window's data."""
    if claims is None or claims.empty or start is None:
        return pd.DataFrame(columns=["claim_id", "period_start", "period_end",
                                     "count_min", "count_max"])
    return claims[(claims["period_start"] >= start) & (claims["period_end"] <= end)]


def frequency_chart(counts: pd.DataFrame, *, freq: str = "month",
                    claims: pd.DataFrame | None = None,
                    context: pd.DataFrame | None = None,
                    title: str = "Attack frequency", source_line: str = "") -> Figure:
    """Attacks per period: exactly dated (solid) plus the expected date-uncertain share
    (hatched), with whiskers from the minimum (certainly in the period) to the maximum
    (possibly in it). Context events are dashed lines; claims are brackets above the
    bars labelled with their claimed total, since they are not per-period data."""
    unit, adjective = FREQ_WORDS[freq]
    starts = pd.to_datetime(counts["period_start"])
    ends = pd.to_datetime(counts["period_end"])
    days = counts["days"].to_numpy(dtype=float)
    exact = counts["exact"].to_numpy(dtype=float)
    expected = counts["expected"].to_numpy(dtype=float)
    uncertain = np.maximum(expected - exact, 0.0)
    centre = starts + pd.to_timedelta(days / 2, unit="D")
    with house_style():
        fig, ax = _new_figure()
        width = days * 0.8
        ax.bar(centre, exact, width=width, color=EXACT_COLOR, label="Exactly dated",
               zorder=2)
        ax.bar(centre, uncertain, bottom=exact, width=width, color=UNCERTAIN_COLOR,
               hatch="////", edgecolor=EXACT_COLOR, linewidth=0,
               label="Date uncertain (expected share)", zorder=2)
        lo, hi = counts["min"].to_numpy(dtype=float), counts["max"].to_numpy(dtype=float)
        # Periods with no possible attack get no whisker: a cap at zero reads as data.
        possible = hi > 0
        ax.errorbar(centre[possible], ((lo + hi) / 2)[possible],
                    yerr=((hi - lo) / 2)[possible], fmt="none",
                    ecolor=RANGE_COLOR, elinewidth=0.9, capsize=2.5, zorder=3,
                    label="Range: certainly to possibly in the " + unit)
        start, end = (starts.min(), ends.max()) if len(counts) else (None, None)
        ymax = max(float(np.max(hi, initial=0)), float(np.max(expected, initial=0)), 1.0)
        shown = _claims_in(claims, start, end)
        # Headroom above the bars for context labels (top 20%) and claim brackets.
        lowest_bracket = CLAIM_TOP - CLAIM_STEP * max(len(shown) - 1, 0) - 0.04
        ax.set_ylim(0, ymax / min(lowest_bracket, 0.8))
        if start is not None:
            ax.set_xlim(start - pd.Timedelta(days=2), end + pd.Timedelta(days=2))
            if counts.attrs.get("coverage_declared"):
                _mark_uncovered(ax, counts)
            else:
                _mark_no_rows(ax, counts)
            _mark_context(ax, context, start, end)
            _draw_claim_brackets(ax, shown, start, end)
        ax.set_ylabel(f"Attacks per {unit}")
        ax.set_xlabel(f"{adjective} periods" + (f", {short_day(start)} – {short_day(end)}"
                                                 if start is not None else ""))
        ax.yaxis.get_major_locator().set_params(integer=True)
        _date_axis(ax)
        ax.set_title(plain(title))
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncols=3)
        if source_line:
            _source_line(fig, source_line)
    fig.alt_text = _frequency_alt(counts, unit, shown)
    return fig


def _periods_without_rows(counts: pd.DataFrame) -> int:
    """How many periods at the start of the window no attack in the data can fall in."""
    possible = counts["max"].to_numpy() > 0
    return len(counts) if not possible.any() else int(np.argmax(possible))


def _mark_no_rows(ax, counts: pd.DataFrame) -> None:
    """Shade a leading run of periods that no attack can fall in: the data have no rows
    there, which a reader must not take for a quiet spell."""
    leading = _periods_without_rows(counts)
    if leading < 2:
        return
    first, last = counts["period_start"].iloc[0], counts["period_end"].iloc[leading - 1]
    ax.axvspan(first, last + pd.Timedelta(days=1), color="#eeeeee", zorder=0, linewidth=0)
    ax.text(first + (last - first) / 2, 0.5, "No attack rows in the data here:\n"
            "the sources itemise none, which is\nnot evidence that none happened",
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            ha="center", va="center", fontsize=8.5, color="#777777")


def _uncovered_runs(counts: pd.DataFrame) -> list[tuple[int, int]]:
    """Runs of consecutive periods that no source declares wholly covered, as
    (first, last) positions."""
    flags = np.concatenate([[False], (counts["covered"] == 0).to_numpy(dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(flags.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _mark_uncovered(ax, counts: pd.DataFrame) -> None:
    """Shade the periods that no source declares it lists completely: a bar there is
    what was reported, and an empty period is no evidence of quiet. The longest run
    carries the explanation."""
    runs = _uncovered_runs(counts)
    for first, last in runs:
        ax.axvspan(counts["period_start"].iloc[first],
                   counts["period_end"].iloc[last] + pd.Timedelta(days=1),
                   color="#eeeeee", zorder=0, linewidth=0)
    if not runs:
        return
    first, last = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
    if last - first < 1:
        return
    a, b = counts["period_start"].iloc[first], counts["period_end"].iloc[last]
    ax.text(a + (b - a) / 2, 0.62, "Not covered by any source's complete list:\n"
            "counts here are what was reported,\nand empty periods are not evidence of quiet",
            transform=blended_transform_factory(ax.transData, ax.transAxes),
            ha="center", va="center", fontsize=8.5, color="#666666", zorder=1,
            bbox={"boxstyle": "square,pad=0.3", "facecolor": "#eeeeee",
                  "edgecolor": "none", "alpha": 0.9})


CLAIM_TOP, CLAIM_STEP = 0.76, 0.075


def _draw_claim_brackets(ax, claims: pd.DataFrame, start, end) -> None:
    top = blended_transform_factory(ax.transData, ax.transAxes)
    for i, claim in enumerate(claims.itertuples(index=False)):
        y = CLAIM_TOP - CLAIM_STEP * i
        a, b = max(claim.period_start, start), min(claim.period_end, end)
        ax.plot([a, a, b, b], [y - 0.02, y, y, y - 0.02], transform=top,
                color=CLAIM_COLOR, linewidth=1.2, clip_on=False, zorder=4)
        ha, _ = _text_side(ax, a)
        ax.text(b if ha == "right" else a, y + 0.008,
                plain(f" {claim_label(claim)} over this span (a total, not per period) "),
                transform=top, fontsize=7.5, color=CLAIM_COLOR, ha=ha, va="bottom",
                bbox=LABEL_BACKGROUND)


def _date_axis(ax) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))


def _frequency_alt(counts: pd.DataFrame, unit: str, claims: pd.DataFrame) -> str:
    if counts.empty:
        return f"Bar chart of attacks per {unit}: the window holds no periods."
    peak = counts.loc[counts["expected"].idxmax()]
    text = (
        f"Bar chart of attacks per {unit} from {short_day(counts['period_start'].iloc[0])} "
        f"to {short_day(counts['period_end'].iloc[-1])}, {len(counts)} {unit}s. "
        f"{int(counts['exact'].sum())} attacks are exactly dated and drawn solid; the "
        f"expected date-uncertain share is hatched. The highest expected count, "
        f"{peak['expected']:.1f}, is in the {unit} starting {short_day(peak['period_start'])}; "
        f"whiskers show for each {unit} the range from attacks certainly in it to those "
        f"possibly in it (at most {int(counts['max'].max())})."
    )
    if counts.attrs.get("coverage_declared"):
        shaded = sum(b - a + 1 for a, b in _uncovered_runs(counts))
        if shaded:
            text += (f" {shaded} of the {len(counts)} {unit}s are shaded: no source declares "
                     "that it lists every attack in them, so their bars are what was "
                     "reported, not totals.")
    elif (leading := _periods_without_rows(counts)) >= 2:
        text += (f" The first {leading} {unit}s are shaded: the data have no attack rows "
                 "there, which is not evidence that none happened.")
    for claim in claims.itertuples(index=False):
        text += (f" A bracket marks a claim from the source: {claim_label(claim)} "
                 f"attacks from {claim_period(claim)}.")
    return text


def cumulative_chart(cumulative: pd.DataFrame, *, claims: pd.DataFrame | None = None,
                     context: pd.DataFrame | None = None,
                     title: str = "Cumulative attacks", source_line: str = "") -> Figure:
    """Attacks counted since the window's start: the expected count as a step line, the
    band from attacks certainly to possibly counted by each day, and exactly dated
    attacks dashed. Claims whose period lies in the window are drawn at their period's
    end as the claimed total added to the expected count on the day before it began.
    Claims that began before the window are left out: they count attacks it does not
    cover."""
    dates = pd.to_datetime(cumulative["date"])
    with house_style():
        fig, ax = _new_figure()
        ax.fill_between(dates, cumulative["min"], cumulative["max"], step="post",
                        color=UNCERTAIN_COLOR, linewidth=0,
                        label="Range: certainly to possibly counted")
        ax.step(dates, cumulative["expected"], where="post", color=EXACT_COLOR,
                linewidth=2, label="Expected count")
        ax.step(dates, cumulative["exact"], where="post", color=EXACT_COLOR, linewidth=1,
                linestyle=(0, (2, 2)), label="Exactly dated")
        shown = pd.DataFrame()
        if len(dates):
            start, end = dates.iloc[0], dates.iloc[-1]
            shown = _claims_in(claims, start, end)
            _mark_context(ax, context, start, end)
            ymax = max(float(cumulative["max"].max()), 1.0)
            # Claims with the same mark share one label instead of overprinting.
            marks: dict[tuple, list[str]] = {}
            for claim in shown.itertuples(index=False):
                before = cumulative.loc[dates < claim.period_start, "expected"]
                base = float(before.iloc[-1]) if len(before) else 0.0
                lo = base + claim.count_min
                hi = base + (claim.count_max if pd.notna(claim.count_max) else claim.count_min)
                key = (min(claim.period_end, end), lo, hi, pd.isna(claim.count_max))
                marks.setdefault(key, []).append(claim_label(claim))
            for (x, lo, hi, open_ended), labels in marks.items():
                ax.plot([x, x], [lo, hi], color=CLAIM_COLOR, linewidth=2, zorder=5)
                ax.plot([x], [lo], marker="D", color=CLAIM_COLOR, zorder=5,
                        label="Claimed total")
                if open_ended:
                    ax.annotate("", xy=(x, lo + ymax * 0.15), xytext=(x, lo),
                                arrowprops={"arrowstyle": "->", "color": CLAIM_COLOR})
                ax.annotate(plain("; ".join(labels)), xy=(x, lo), xytext=(-8, 0),
                            textcoords="offset points", ha="right", va="center",
                            fontsize=7.5, color=CLAIM_COLOR, bbox=LABEL_BACKGROUND)
                ymax = max(ymax, hi)
            ax.set_ylim(0, ymax * 1.3)
            ax.set_xlim(start, end + pd.Timedelta(days=1))
            ax.set_xlabel(f"Day, {short_day(start)} – {short_day(end)}")
        ax.set_ylabel("Attacks since the start of the window")
        _date_axis(ax)
        ax.set_title(plain(title))
        handles, labels = ax.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), loc="upper left",
                  bbox_to_anchor=(0, -0.14), ncols=4)
        if source_line:
            _source_line(fig, source_line)
    fig.alt_text = _cumulative_alt(cumulative, shown)
    return fig


def _cumulative_alt(cumulative: pd.DataFrame, claims: pd.DataFrame) -> str:
    if cumulative.empty:
        return "Cumulative chart: the window holds no days."
    last = cumulative.iloc[-1]
    text = (
        f"Step chart of attacks counted since {short_day(cumulative['date'].iloc[0])}. By "
        f"{short_day(last['date'])} the expected count is {last['expected']:.1f}; between "
        f"{int(last['min'])} (certainly) and {int(last['max'])} (possibly) attacks fall in "
        f"the window, {int(last['exact'])} of them exactly dated."
    )
    for claim in claims.itertuples(index=False):
        text += (f" A marker shows a claim from the source: {claim_label(claim)} "
                 f"attacks from {claim_period(claim)}.")
    return text


def breakdown_chart(breakdown: pd.DataFrame, *, title: str = "",
                    source_line: str = "") -> Figure:
    """Horizontal bars of the expected count per known value of one column, with
    min–max whiskers. The number of attacks with an unknown value is stated, not drawn."""
    column = breakdown.attrs.get("column", "value")
    unknown = int(breakdown.attrs.get("unknown", 0))
    label = column.replace("_", " ")
    rows = breakdown.iloc[::-1]
    with house_style():
        fig, ax = _new_figure(height=1.8 + 0.35 * max(len(rows), 1))
        y = np.arange(len(rows))
        ax.barh(y, rows["exact"], color=EXACT_COLOR, label="Exactly dated", zorder=2)
        ax.barh(y, np.maximum(rows["expected"] - rows["exact"], 0), left=rows["exact"],
                color=UNCERTAIN_COLOR, hatch="////", edgecolor=EXACT_COLOR, linewidth=0,
                label="Date uncertain (expected share)", zorder=2)
        lo, hi = rows["min"].to_numpy(dtype=float), rows["max"].to_numpy(dtype=float)
        ax.errorbar((lo + hi) / 2, y, xerr=(hi - lo) / 2, fmt="none", ecolor=RANGE_COLOR,
                    elinewidth=0.9, capsize=2.5, zorder=3, label="Range")
        ax.set_yticks(y, [plain(v).replace("_", " ") for v in rows["value"]])
        ax.grid(axis="x")
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Attacks in the window")
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.set_title(plain(title or f"Attacks by {label}"))
        # A fixed drop below the axes, not a fraction of their height, which shrinks
        # with the number of bars: on a chart of two bars the legend ran into the label.
        ax.legend(loc="upper left", bbox_to_anchor=(0, 0), ncols=3,
                  bbox_transform=offset_copy(ax.transAxes, fig=fig, y=-BREAKDOWN_LEGEND_DROP,
                                             units="points"))
        note = f"{unknown} attack{'s' if unknown != 1 else ''} with unknown {label} not shown."
        _source_line(fig, f"{note} {source_line}".strip())
    known = ", ".join(f"{v} {e:.1f}" for v, e in zip(breakdown["value"],
                                                      breakdown["expected"], strict=True))
    fig.alt_text = (f"Bar chart of attacks by {label} (expected counts): {known}. "
                    f"{note}")
    return fig


def _svg_is_current(fig: Figure) -> bool:
    """Whether the figure was drawn to SVG (by `to_svg`) and has not changed since."""
    return getattr(fig, "_brief_svg", None) is not None and not fig.stale


def to_svg(fig: Figure) -> bytes:
    """The figure as SVG, byte-identical between runs (fixed salt, no date).

    A brief both shows each chart and saves it: the SVG is drawn once, and drawn again
    only if the figure changed since. Matplotlib marks a figure `stale` when any of its
    artists changes (it redraws interactive windows by the same flag); drawing to a file
    leaves the flag set, so it is cleared here, after the drawing."""
    import io

    if _svg_is_current(fig):
        return fig._brief_svg
    buffer = io.BytesIO()
    with house_style():
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    fig._brief_svg = buffer.getvalue()
    fig.stale = False
    return fig._brief_svg


def to_png(fig: Figure) -> bytes:
    """The figure as PNG. When it has not changed since its SVG was drawn, the PNG keeps
    that drawing's layout instead of laying the figure out again: it then matches the
    chart in the brief exactly (constrained layout moves labels by a fraction of a point
    each time it runs), and costs one drawing instead of two."""
    import io

    engine = fig.get_layout_engine()
    keep_layout = _svg_is_current(fig)
    buffer = io.BytesIO()
    try:
        if keep_layout:
            fig.set_layout_engine(None)  # no engine, so no trial drawing before the real one
        with house_style():
            fig.savefig(buffer, format="png")
    finally:
        if keep_layout:
            fig.set_layout_engine(engine)
    return buffer.getvalue()
