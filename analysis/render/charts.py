"""Charts for the briefs. Each function returns a matplotlib Figure and writes no files;
`fig.alt_text` holds a plain-language description for screen readers and the brief.

They share the house style (`house.mplstyle`) and one visual grammar: exactly dated
attacks are solid, the date-uncertain share is hatched, and whiskers or bands run from
the attacks certainly in a period to those possibly in it. Claims from articles are
drawn as claimed totals over their own period, never as per-period data.

Every bar, whisker, band segment and marker is named with its figures (`marks.titled`),
which the SVG carries as a hover title, and `fig.data_table` holds the numbers the chart
draws, for the table the brief shows after it. Context labels, claim brackets and the
notes on shading are placed by `labels`, so that no two overlap.

Longer than most modules (about 700 lines) on purpose: the charts share that one
grammar through private helpers (context lines, claim brackets, the shaded lead-in, the
date axis, the placing of their labels), and splitting them would scatter one style over
several files.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import matplotlib

matplotlib.use("Agg")  # charts are rendered to files and notebooks, never to a window

import matplotlib.dates as mdates  # noqa: E402
import matplotlib.style  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.transforms import offset_copy  # noqa: E402

from .. import config  # noqa: E402
from ..counting.frequency import Window, period_bounds  # noqa: E402
from ..dates import short_day  # noqa: E402
from . import labels  # noqa: E402
from .marks import mark_titles, titled, with_titles  # noqa: E402
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


def set_data_table(fig: Figure, frame: pd.DataFrame, numeric: tuple[str, ...] = ()) -> None:
    """The numbers the chart draws, as a table the brief shows after it
    (`fig.data_table`: the frame and its numeric columns)."""
    fig.data_table = (frame.reset_index(drop=True), numeric)


def figures_text(exact, minimum, maximum, expected) -> str:
    """The four figures of a mark's title, in the order the brief gives them."""
    return (f"exactly dated {int(exact)}; certainly {int(minimum)}; "
            f"possibly {int(maximum)}; expected {float(expected):.1f}")


SOURCE_LINE_SIZE, SOURCE_LINE_X = 7.5, 0.005
# Points from the bottom of a breakdown chart's axes to the top of its legend's box: below
# the tick labels and the x axis label, with about the gap of the other charts (8 pt).
BREAKDOWN_LEGEND_DROP = 34


def add_source_line(fig: Figure, text: str) -> None:
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


CONTEXT_TEXT = {"fontsize": 8, "color": CONTEXT_COLOR}
CLAIM_TEXT = {"fontsize": 7.5, "color": CLAIM_COLOR}
NOTE_TEXT = {"fontsize": 8.5, "ha": "center", "linespacing": 1.2}
LABEL_PAD = 0.8  # points of background around a label (LABEL_BACKGROUND's pad)
NOTE_PAD = 2.5
BRACKET = 6.0  # points from a claim's label down to the ends of its bracket


def _context_in(context: pd.DataFrame | None, start, end) -> pd.DataFrame:
    if context is None or context.empty:
        return pd.DataFrame(columns=["date", "label"])
    return context[(context["date"] >= start) & (context["date"] <= end)]


def _context_title(event) -> str:
    description = getattr(event, "description", None)
    more = f". {description}" if isinstance(description, str) and description else ""
    return f"{short_day(event.date)}: {event.label}{more}"


def _draw_context_lines(fig, ax, shown: pd.DataFrame) -> None:
    for event in shown.itertuples(index=False):
        titled(fig, ax.axvline(event.date, color=CONTEXT_COLOR, linewidth=1,
                               linestyle=(0, (4, 3)), zorder=1), _context_title(event))


def _context_boxes(fig, ax, shown: pd.DataFrame, boxes: list, width: float) -> list:
    """Each context label beside its line, on its inner side, settled from the top."""
    placed = []
    for event in shown.itertuples(index=False):
        w, h = labels.text_size(fig, plain(event.label), LABEL_PAD, **CONTEXT_TEXT)
        x = labels.x_points(ax, mdates.date2num(event.date))
        ha, _ = _text_side(ax, event.date)
        left = x - 3 - w if ha == "right" else x + 3
        box = labels.settle(boxes, labels.Box(labels.inside(left, w, width), w, h))
        placed.append((box, plain(event.label)))
    return placed


def _draw_label(ax, box, text: str, style: dict, pad: float = LABEL_PAD,
                background: dict | None = None) -> None:
    ha = style.get("ha", "left")
    x = {"left": box.left + pad, "center": box.left + box.width / 2,
         "right": box.right - pad}[ha]
    props = {**style, "ha": ha}
    # Out of the layout: placed inside the axes, a label has no say in their size.
    ax.text(x, box.down + pad, text, transform=labels.in_points(ax), va="top",
            bbox=background or LABEL_BACKGROUND, zorder=6, in_layout=False, **props)


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
    declared = bool(counts.attrs.get("coverage_declared"))
    with house_style():
        fig, ax = _new_figure()
        width = days * 0.8
        solid = ax.bar(centre, exact, width=width, color=EXACT_COLOR, label="Exactly dated",
                       zorder=2)
        hatched = ax.bar(centre, uncertain, bottom=exact, width=width, color=UNCERTAIN_COLOR,
                         hatch="////", edgecolor=EXACT_COLOR, linewidth=0,
                         label="Date uncertain (expected share)", zorder=2)
        lo, hi = counts["min"].to_numpy(dtype=float), counts["max"].to_numpy(dtype=float)
        # The legend's sign for the whiskers; each whisker is a line of its own, so that
        # it can carry its period's title.
        ax.errorbar([np.nan], [np.nan], yerr=[np.nan], fmt="none", ecolor=RANGE_COLOR,
                    elinewidth=0.9, capsize=2.5,
                    label="Range: certainly to possibly in the " + unit)
        for i, row in enumerate(counts.itertuples(index=False)):
            text = _period_title(row, unit, declared)
            titled(fig, solid.patches[i], text)
            titled(fig, hatched.patches[i], text)
            # Periods with no possible attack get no whisker: a cap at zero reads as data.
            if hi[i] > 0:
                titled(fig, ax.plot([centre.iloc[i]] * 2, [lo[i], hi[i]], color=RANGE_COLOR,
                                    linewidth=0.9, marker="_", markersize=5,
                                    markeredgewidth=0.9, zorder=3)[0], text)
        start, end = (starts.min(), ends.max()) if len(counts) else (None, None)
        ymax = max(float(np.max(hi, initial=0)), float(np.max(expected, initial=0)), 1.0)
        shown = _claims_in(claims, start, end)
        ax.set_ylabel(f"Attacks per {unit}")
        ax.set_xlabel(f"{adjective} periods" + (f", {short_day(start)} – {short_day(end)}"
                                                 if start is not None else ""))
        ax.yaxis.get_major_locator().set_params(integer=True)
        _date_axis(ax)
        ax.set_title(plain(title))
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.14), ncols=3)
        if source_line:
            add_source_line(fig, source_line)
        if start is not None:
            ax.set_xlim(start - pd.Timedelta(days=2), end + pd.Timedelta(days=2))
            note = _mark_uncovered(ax, counts) if declared else _mark_no_rows(ax, counts)
            events = _context_in(context, start, end)
            _draw_context_lines(fig, ax, events)
            _place_labels(fig, ax, events, shown, note, start, end, ymax)
        else:
            ax.set_ylim(0, ymax)
    set_data_table(fig, _period_table(counts, unit, declared),
                numeric=("Exactly dated", "Certainly", "Possibly", "Expected"))
    fig.alt_text = _frequency_alt(counts, unit, shown)
    return fig


def _period_title(row, unit: str, declared: bool) -> str:
    text = (f"{unit.capitalize()} {short_day(row.period_start)} – {short_day(row.period_end)}: "
            + figures_text(row.exact, row.min, row.max, row.expected))
    if declared and row.covered == 0:
        text += "; not covered by any source's complete list"
    return text


def _period_table(counts: pd.DataFrame, unit: str, declared: bool) -> pd.DataFrame:
    """The chart's periods with any possible attack, with the figures each mark gives."""
    rows = counts[counts["max"] > 0]
    table = pd.DataFrame({
        unit.capitalize(): [f"{short_day(a)} – {short_day(b)}" for a, b in
                            zip(rows["period_start"], rows["period_end"], strict=True)],
        "Exactly dated": rows["exact"].astype(int).to_numpy(),
        "Certainly": rows["min"].astype(int).to_numpy(),
        "Possibly": rows["max"].astype(int).to_numpy(),
        "Expected": [f"{x:.1f}" for x in rows["expected"]],
    })
    if declared:
        table["Covered"] = ["yes" if c == 1 else "no" for c in rows["covered"]]
    return table


def _periods_without_rows(counts: pd.DataFrame) -> int:
    """How many periods at the start of the window no attack in the data can fall in."""
    possible = counts["max"].to_numpy() > 0
    return len(counts) if not possible.any() else int(np.argmax(possible))


def _mark_no_rows(ax, counts: pd.DataFrame) -> tuple | None:
    """Shade a leading run of periods that no attack can fall in: the data have no rows
    there, which a reader must not take for a quiet spell. Returns the note to place
    over the run (its middle, its text), if any."""
    leading = _periods_without_rows(counts)
    if leading < 2:
        return None
    first, last = counts["period_start"].iloc[0], counts["period_end"].iloc[leading - 1]
    ax.axvspan(first, last + pd.Timedelta(days=1), color="#eeeeee", zorder=0, linewidth=0)
    return (first + (last - first) / 2, "No attack rows in the data here:\n"
            "the sources itemise none, which is\nnot evidence that none happened")


def _uncovered_runs(counts: pd.DataFrame) -> list[tuple[int, int]]:
    """Runs of consecutive periods that no source declares wholly covered, as
    (first, last) positions."""
    flags = np.concatenate([[False], (counts["covered"] == 0).to_numpy(dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(flags.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2], strict=True)]


def _mark_uncovered(ax, counts: pd.DataFrame) -> tuple | None:
    """Shade the periods that no source declares it lists completely: a bar there is
    what was reported, and an empty period is no evidence of quiet. Returns the note
    for the longest run (its middle, its text), if any."""
    runs = _uncovered_runs(counts)
    for first, last in runs:
        ax.axvspan(counts["period_start"].iloc[first],
                   counts["period_end"].iloc[last] + pd.Timedelta(days=1),
                   color="#eeeeee", zorder=0, linewidth=0)
    if not runs:
        return None
    first, last = max(runs, key=lambda r: (r[1] - r[0], -r[0]))
    if last - first < 1:
        return None
    a, b = counts["period_start"].iloc[first], counts["period_end"].iloc[last]
    return (a + (b - a) / 2, "Not covered by any source's complete list:\n"
            "counts here are what was reported,\nand empty periods are not evidence of quiet")


def claim_title(claim) -> str:
    """A claim's hover title: what it claims, over when, and where it comes from."""
    text = f"{claim_label(claim)}, {claim_period(claim)}"
    description = getattr(claim, "description", None)
    if isinstance(description, str) and description:
        text += f". {description}"
    source = getattr(claim, "source_id", None)
    if isinstance(source, str) and source:
        text += f". Source: {source}"
        quote = getattr(claim, "quote", None)
        if isinstance(quote, str) and quote:
            text += f", which says: \u201c{quote}\u201d"
    return text


def _claim_boxes(fig, ax, claims: pd.DataFrame, start, end, boxes: list,
                 width: float) -> list:
    """Each claim's label with its bracket under it, settled below the boxes above."""
    placed = []
    for claim in claims.itertuples(index=False):
        a, b = max(claim.period_start, start), min(claim.period_end, end)
        text = plain(f"{claim_label(claim)} over this span (a total, not per period)")
        w, h = labels.text_size(fig, text, LABEL_PAD, **CLAIM_TEXT)
        xa, xb = (labels.x_points(ax, mdates.date2num(d)) for d in (a, b))
        ha, _ = _text_side(ax, a)
        left = labels.inside(xb - w if ha == "right" else xa, w, width)
        lo, hi = min(left, xa), max(left + w, xb)
        box = labels.settle(boxes, labels.Box(lo, hi - lo, h + BRACKET))
        placed.append((box, labels.Box(left, w, h, box.down), text, claim, a, b))
    return placed


def _draw_claims(fig, ax, placed: list) -> None:
    along = labels.points_from_top(ax)
    for box, label_box, text, claim, a, b in placed:
        y = box.down + label_box.height + 1
        titled(fig, ax.plot([a, a, b, b], [y + BRACKET - 1, y, y, y + BRACKET - 1],
                            transform=along, color=CLAIM_COLOR, linewidth=1.2,
                            clip_on=False, zorder=4, in_layout=False)[0], claim_title(claim))
        _draw_label(ax, label_box, text, CLAIM_TEXT)


def _place_labels(fig, ax, context, claims, note, start, end, data_top: float) -> list:
    """Context labels, then claim brackets, then the chart's note, settled from the top
    of the axes; the y limit then keeps `data_top` below the lowest of them. A chart
    whose labels would take more than half its height grows taller instead. Returns the
    boxes placed, for labels placed after them."""
    ax.set_ylim(0, data_top * 1.25)
    for _ in range(4):
        width, height = labels.axes_size(ax)
        boxes: list = []
        context_placed = _context_boxes(fig, ax, context, boxes, width)
        claims_placed = _claim_boxes(fig, ax, claims, start, end, boxes, width)
        note_placed = None
        if note is not None:
            x, text = note
            w, h = labels.text_size(fig, text, NOTE_PAD, **NOTE_TEXT)
            left = labels.x_points(ax, mdates.date2num(x)) - w / 2
            note_placed = (labels.settle(boxes, labels.Box(labels.inside(left, w, width),
                                                           w, h)), text)
        lowest = max((b.bottom for b in boxes), default=0.0) + labels.GAP
        if lowest > 0.55 * height:
            fig.set_figheight(fig.get_figheight() + (lowest / 0.55 - height) / 72)
            continue
        ax.set_ylim(0, data_top * height / max(height - lowest, 1.0))
        # A new y limit may widen the tick labels and narrow the axes: place again.
        if np.allclose(labels.axes_size(ax), (width, height), atol=0.5):
            break
    ax.set_ylim(0, data_top * height / max(height - lowest, 1.0))
    for box, text in context_placed:
        _draw_label(ax, box, text, CONTEXT_TEXT)
    _draw_claims(fig, ax, claims_placed)
    if note_placed is not None:
        box, text = note_placed
        _draw_label(ax, box, text, {**NOTE_TEXT, "color": "#666666"}, NOTE_PAD,
                    {"boxstyle": "square,pad=0.3", "facecolor": "#eeeeee",
                     "edgecolor": "none", "alpha": 0.9})
    return boxes


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
                     title: str = "Cumulative attacks", source_line: str = "",
                     freq: str | None = None) -> Figure:
    """Attacks counted since the window's start: the expected count as a step line, the
    band from attacks certainly to possibly counted by each day, and exactly dated
    attacks dashed. Claims whose period lies in the window are drawn at their period's
    end as the claimed total added to the expected count on the day before it began.
    Claims that began before the window are left out: they count attacks it does not
    cover."""
    dates = pd.to_datetime(cumulative["date"])
    with house_style():
        fig, ax = _new_figure()
        # The band is drawn period by period, so that each segment carries its title;
        # an edge of its own colour closes the hairline between two segments.
        band = {"color": UNCERTAIN_COLOR, "linewidth": 0.4, "edgecolor": UNCERTAIN_COLOR}
        ax.fill_between([], [], [], label="Range: certainly to possibly counted", **band)
        segments = _segments(cumulative, freq)
        for a, b, text in segments:
            days = dates.iloc[a:b + 1].tolist() + [dates.iloc[b] + pd.Timedelta(days=1)]
            low = cumulative["min"].iloc[a:b + 1].tolist()
            high = cumulative["max"].iloc[a:b + 1].tolist()
            titled(fig, ax.fill_between(days, low + low[-1:], high + high[-1:], step="post",
                                        **band), text)
        ax.step(dates, cumulative["expected"], where="post", color=EXACT_COLOR,
                linewidth=2, label="Expected count")
        ax.step(dates, cumulative["exact"], where="post", color=EXACT_COLOR, linewidth=1,
                linestyle=(0, (2, 2)), label="Exactly dated")
        shown = pd.DataFrame()
        ax.set_ylabel("Attacks since the start of the window")
        _date_axis(ax)
        ax.set_title(plain(title))
        if source_line:
            add_source_line(fig, source_line)
        marks: dict[tuple, list] = {}
        if len(dates):
            start, end = dates.iloc[0], dates.iloc[-1]
            shown = _claims_in(claims, start, end)
            ax.set_xlim(start, end + pd.Timedelta(days=1))
            ax.set_xlabel(f"Day, {short_day(start)} – {short_day(end)}")
            ymax = max(float(cumulative["max"].max()), 1.0)
            # Claims with the same mark share one label instead of overprinting.
            for claim in shown.itertuples(index=False):
                before = cumulative.loc[dates < claim.period_start, "expected"]
                base = float(before.iloc[-1]) if len(before) else 0.0
                lo = base + claim.count_min
                hi = base + (claim.count_max if pd.notna(claim.count_max) else claim.count_min)
                key = (min(claim.period_end, end), lo, hi, pd.isna(claim.count_max))
                marks.setdefault(key, []).append(claim)
            arrow = ymax * 0.15
            for (x, lo, hi, open_ended), group in marks.items():
                text = "\n".join(claim_title(c) for c in group)
                titled(fig, ax.plot([x, x], [lo, hi], color=CLAIM_COLOR, linewidth=2,
                                    zorder=5)[0], text)
                titled(fig, ax.plot([x], [lo], marker="D", color=CLAIM_COLOR, zorder=5,
                                    label="Claimed total")[0], text)
                if open_ended:
                    ax.annotate("", xy=(x, lo + arrow), xytext=(x, lo),
                                arrowprops={"arrowstyle": "->", "color": CLAIM_COLOR})
                ymax = max(ymax, hi, lo + arrow if open_ended else hi)
        handles, names = ax.get_legend_handles_labels()
        unique = dict(zip(names, handles, strict=True))
        ax.legend(unique.values(), unique.keys(), loc="upper left",
                  bbox_to_anchor=(0, -0.14), ncols=4)
        if len(dates):
            events = _context_in(context, start, end)
            _draw_context_lines(fig, ax, events)
            boxes = _place_labels(fig, ax, events, shown.iloc[0:0], None, start, end, ymax)
            _place_claim_labels(fig, ax, marks, boxes)
        else:
            ax.set_ylim(0, 1)
    set_data_table(fig, _segment_table(cumulative, segments),
                numeric=("Exactly dated", "Certainly", "Possibly", "Expected"))
    fig.alt_text = _cumulative_alt(cumulative, shown)
    return fig


def _segments(cumulative: pd.DataFrame, freq: str | None) -> list[tuple[int, int, str]]:
    """The band's segments: the positions of each period's first and last day, and the
    segment's title (the figures by the period's last day). Periods are the brief's
    (`freq`), else weeks for a window of up to 120 days and months for a longer one."""
    if cumulative.empty:
        return []
    dates = pd.to_datetime(cumulative["date"])
    window = Window(dates.iloc[0], dates.iloc[-1])
    freq = freq or ("week" if window.days <= 120 else "month")
    bounds = period_bounds(window, freq)
    first = dates.iloc[0]
    segments = []
    for a, b in zip(bounds["period_start"], bounds["period_end"], strict=True):
        i, j = (pd.Timestamp(a) - first).days, (pd.Timestamp(b) - first).days
        row = cumulative.iloc[j]
        segments.append((i, j, f"{short_day(a)} – {short_day(b)}: by {short_day(b)}, "
                               f"counted since {short_day(first)}: "
                               + figures_text(row["exact"], row["min"], row["max"],
                                              row["expected"])))
    return segments


def _segment_table(cumulative: pd.DataFrame, segments: list) -> pd.DataFrame:
    """The count by the end of each period, for the periods in which it changed."""
    rows, last = [], (0, 0, 0, 0.0)
    for _, b, _ in segments:
        row = cumulative.iloc[b]
        now = (int(row["exact"]), int(row["min"]), int(row["max"]), round(row["expected"], 1))
        if now != last:
            rows.append({"By": short_day(row["date"]), "Exactly dated": now[0],
                         "Certainly": now[1], "Possibly": now[2],
                         "Expected": f"{row['expected']:.1f}"})
        last = now
    return pd.DataFrame(rows, columns=["By", "Exactly dated", "Certainly", "Possibly",
                                       "Expected"])


def _place_claim_labels(fig, ax, marks: dict, boxes: list) -> None:
    """Each claim mark's label left of its marker, moved up or down, with a line to the
    marker, where another label holds its place."""
    width, height = labels.axes_size(ax)
    top = ax.get_ylim()[1]
    for (x, lo, _hi, _open), group in marks.items():
        text = plain("; ".join(claim_label(c) for c in group))
        w, h = labels.text_size(fig, text, LABEL_PAD, **CLAIM_TEXT)
        mark_down = height * (1 - lo / top)
        right = labels.x_points(ax, mdates.date2num(x)) - 8
        box = labels.settle(boxes, labels.Box(labels.inside(right - w, w, width), w, h),
                            wished=max(mark_down - h / 2, labels.GAP),
                            limit=height - labels.GAP)
        moved = abs(box.down + h / 2 - mark_down) > 2
        ax.annotate(text, xy=(x, lo), xytext=(box.left + LABEL_PAD, box.down + LABEL_PAD),
                    textcoords=labels.in_points(ax), ha="left", va="top",
                    bbox=LABEL_BACKGROUND, zorder=6, in_layout=False, **CLAIM_TEXT,
                    arrowprops={"arrowstyle": "-", "color": CLAIM_COLOR, "linewidth": 0.6,
                                "shrinkA": 0, "shrinkB": 4} if moved else None)


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
        solid = ax.barh(y, rows["exact"], color=EXACT_COLOR, label="Exactly dated", zorder=2)
        hatched = ax.barh(y, np.maximum(rows["expected"] - rows["exact"], 0),
                          left=rows["exact"], color=UNCERTAIN_COLOR, hatch="////",
                          edgecolor=EXACT_COLOR, linewidth=0,
                          label="Date uncertain (expected share)", zorder=2)
        lo, hi = rows["min"].to_numpy(dtype=float), rows["max"].to_numpy(dtype=float)
        ax.errorbar([np.nan], [np.nan], xerr=[np.nan], fmt="none", ecolor=RANGE_COLOR,
                    elinewidth=0.9, capsize=2.5, label="Range")
        for i, row in enumerate(rows.itertuples(index=False)):
            text = (f"{label.capitalize()} {str(row.value).replace('_', ' ')}: "
                    + figures_text(row.exact, row.min, row.max, row.expected))
            titled(fig, solid.patches[i], text)
            titled(fig, hatched.patches[i], text)
            titled(fig, ax.plot([lo[i], hi[i]], [y[i]] * 2, color=RANGE_COLOR, linewidth=0.9,
                                marker="|", markersize=5, markeredgewidth=0.9,
                                zorder=3)[0], text)
        ax.set_yticks(y, [plain(value_label(v)) for v in rows["value"]])
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
        add_source_line(fig, f"{note} {source_line}".strip())
    set_data_table(fig, figures_table(breakdown, label.capitalize()),
                numeric=("Exactly dated", "Certainly", "Possibly", "Expected"))
    known = ", ".join(f"{v} {e:.1f}" for v, e in zip(breakdown["value"],
                                                      breakdown["expected"], strict=True))
    fig.alt_text = (f"Bar chart of attacks by {label} (expected counts): {known}. "
                    f"{note}")
    return fig


_CODE = re.compile(r"[a-z]+(?:_[a-z]+)+")


def value_label(value) -> str:
    """A breakdown's value for a reader: a contract code such as military_base in words;
    any other value, free text from the data, exactly as written."""
    text = str(value)
    return text.replace("_", " ") if _CODE.fullmatch(text) else text


def figures_table(breakdown: pd.DataFrame, name: str) -> pd.DataFrame:
    """A breakdown's values with the four figures, as the brief's table shows them."""
    return pd.DataFrame({
        name: [value_label(v) for v in breakdown["value"]],
        "Exactly dated": breakdown["exact"].astype(int).to_numpy(),
        "Certainly": breakdown["min"].astype(int).to_numpy(),
        "Possibly": breakdown["max"].astype(int).to_numpy(),
        "Expected": [f"{x:.1f}" for x in breakdown["expected"]],
    })


def _svg_is_current(fig: Figure) -> bool:
    """Whether the figure was drawn to SVG (by `to_svg`) and has not changed since."""
    return getattr(fig, "_brief_svg", None) is not None and not fig.stale


def to_svg(fig: Figure) -> bytes:
    """The figure as SVG, byte-identical between runs (fixed salt, no date), with a
    `<title>` in each mark the chart named (see `marks`).

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
    fig._brief_svg = with_titles(buffer.getvalue(), mark_titles(fig))
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
