"""The governorate map: Iraq's governorates as a grid of tiles, each shaded by its expected
count and printing its certain–possible range. A tile grid needs no boundary file.

The grid is laid out by hand to follow the country's shape: Duhok and Erbil at the top,
the Kurdistan Region's governorates in the north-east, Anbar in the west, Basra in the
south-east. It has a tile for each of the 19 names the importers write
(`importers.common.GOVERNORATES`): Iraq's 18 governorates and Halabja, which the
Kurdistan Region made a governorate of its own in 2014, out of Sulaymaniyah. Sources
and ACLED's exports name it; without its tile an attack coded there would have nowhere
to go.

A tile's figures are those of `counting.figures.breakdown(merged, "governorate",
window)`. A governorate without a row is a true zero only where a source declares that
it lists every attack on every day of the window and every attack has its governorate:
the tile then says 0. Otherwise it says "no rows", which is not a zero, and the note
beside the map says why (days not covered, or attacks that could be anywhere). Attacks
whose governorate is unknown, and any governorate name the grid does not hold, are
stated beside the map.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..inputs.importers.common import GOVERNORATES
from .charts import (
    EXACT_COLOR,
    add_source_line,
    figures_table,
    figures_text,
    house_style,
    plain,
    set_data_table,
    wrapped,
)
from .marks import titled
from .text import count_range

# (column, row) of each governorate's tile; row 0 at the top.
TILES: dict[str, tuple[int, int]] = {
    "Duhok": (2, 0), "Erbil": (3, 0),
    "Nineveh": (1, 1), "Salah al-Din": (2, 1), "Kirkuk": (3, 1), "Sulaymaniyah": (4, 1),
    "Halabja": (5, 1),
    "Anbar": (1, 2), "Baghdad": (2, 2), "Diyala": (3, 2),
    "Karbala": (1, 3), "Babil": (2, 3), "Wasit": (3, 3),
    "Najaf": (1, 4), "Qadisiyah": (2, 4), "Dhi Qar": (3, 4), "Maysan": (4, 4),
    "Muthanna": (2, 5), "Basra": (4, 5),
}
assert set(TILES) == set(GOVERNORATES), "every governorate the importers write has a tile"

# Names too wide for a tile, broken where a reader would break them.
NAME_LINES = {"Salah al-Din": "Salah\nal-Din", "Sulaymaniyah": "Sulay-\nmaniyah"}
SHADES = LinearSegmentedColormap.from_list("expected", ["#fbf1ed", EXACT_COLOR])
EMPTY_EDGE = "#9a9a9a"
SIDE_NOTE = {"fontsize": 8.5, "color": "#333333", "va": "top", "ha": "left",
             "linespacing": 1.4}


def _empty_words(covered_days: int | None, window_days: int,
                 unknown: int) -> tuple[str, str]:
    """What a tile without rows says, and why: 0 only when a source covers every day of
    the window and no attack lacks a governorate (one that does could be there)."""
    if covered_days and covered_days >= window_days:
        if not unknown:
            return "0", ("A tile reading 0 is a true zero: a source lists every attack of "
                         "the window, and each has its governorate.")
        return "no rows", ("A source lists every attack of the window, but some have no "
                           "governorate: a tile reading 'no rows' had none placed there, "
                           "which is not a zero.")
    if covered_days:
        return ("no rows", f"A tile reading 'no rows' had no attack placed there on the "
                f"{covered_days} covered days of {window_days}; on the others, nothing was "
                "recorded.")
    return ("no rows", "'No rows': the sources record no attack there, which is not a "
            "zero, since none declares that it lists every attack.")


def governorate_map(by_governorate: pd.DataFrame, *, covered_days: int | None = None,
                    window_days: int = 0, title: str = "Attacks by governorate",
                    source_line: str = "") -> Figure:
    """Tiles shaded by each governorate's expected count, each printing its
    certain–possible range; `covered_days` (None when no source declares coverage)
    and `window_days` decide what a tile without rows says."""
    figures = by_governorate.set_index("value") if len(by_governorate) else None
    unknown = int(by_governorate.attrs.get("unknown", 0))
    elsewhere = by_governorate[~by_governorate["value"].isin(list(TILES))]
    top = float(by_governorate["expected"].max()) if len(by_governorate) else 0.0
    norm = Normalize(0, max(top, 1.0))
    empty, empty_reason = _empty_words(covered_days, window_days, unknown)
    with house_style():
        fig = Figure(figsize=(9, 6.2), layout="constrained")
        ax = fig.add_subplot()
        for name, (col, row) in TILES.items():
            x, y = col, -row
            has_rows = figures is not None and name in figures.index
            if has_rows:
                f = figures.loc[name]
                shade = SHADES(norm(f["expected"]))
                tile = Rectangle((x + 0.04, y + 0.04), 0.92, 0.92, facecolor=shade,
                                 edgecolor="white", linewidth=1)
                ink = "white" if norm(f["expected"]) > 0.55 else "#1d1d1d"
                figure = count_range(int(f["min"]), int(f["max"]))
                text = f"{name}: " + figures_text(f["exact"], f["min"], f["max"],
                                                  f["expected"])
            else:
                zero = empty == "0"
                tile = Rectangle((x + 0.04, y + 0.04), 0.92, 0.92,
                                 facecolor=SHADES(0.0) if zero else "white",
                                 edgecolor=EMPTY_EDGE, linewidth=0.8,
                                 linestyle="-" if zero else (0, (2, 2)))
                ink, figure = "#555555", empty
                text = f"{name}: " + ("no attack (a true zero)" if zero else
                                      "no rows in the data")
            titled(fig, ax.add_patch(tile), text)
            ax.text(x + 0.5, y + 0.8, plain(NAME_LINES.get(name, name)), ha="center",
                    va="top", fontsize=7.5, color=ink, linespacing=1.0)
            ax.text(x + 0.5, y + 0.2, plain(figure), ha="center", va="bottom",
                    fontsize=11 if has_rows else 8, fontweight="bold" if has_rows else
                    "normal", color=ink)
        # The notes and the shade's key stand in the grid's empty north-east and east.
        ax.set_xlim(0.95, 9.6)
        ax.set_ylim(-5.05, 1.05)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(plain(title))
        key = ax.inset_axes([6.35, 0.55, 3.1, 0.16], transform=ax.transData)
        bar = fig.colorbar(_mappable(norm), cax=key, orientation="horizontal")
        # Drawn as vector shapes, not the raster image matplotlib makes of a long key: the
        # page then holds no embedded image at all, and the PDF prints it sharp.
        bar.solids.set_rasterized(False)
        bar.set_label("Expected attacks: the tile's shade", fontsize=8)
        bar.ax.tick_params(labelsize=7.5)
        notes = ["Each tile: the governorate, and the attacks certainly to possibly in it.",
                 empty_reason]
        if unknown:
            notes.append(f"Not on the map: {unknown} attack{'s' if unknown != 1 else ''} "
                         "whose governorate is unknown: they count in the brief's totals, and any "
                         "tile could hold some of them.")
        for row in elsewhere.itertuples(index=False):
            figure = count_range(int(row.min), int(row.max))
            notes.append(f"Not on the map: {row.value}, {figure} "
                         f"attack{'' if figure == '1' else 's'} "
                         "(a name that is not one of the governorates).")
        room = 3.1 / 8.65 * fig.get_figwidth() * 72 * 0.9
        ax.text(6.35, -0.15, plain("\n\n".join(wrapped(n, room, SIDE_NOTE["fontsize"])
                                                for n in notes)), **SIDE_NOTE)
        if source_line:
            add_source_line(fig, source_line)
    table = figures_table(by_governorate, "Governorate")
    set_data_table(fig, table, numeric=("Exactly dated", "Certainly", "Possibly", "Expected"))
    placed = [v for v in by_governorate["value"] if v in TILES]
    fig.alt_text = (
        "Tile map of Iraq's governorates, shaded by expected attacks: "
        + (", ".join(f"{v} {count_range(int(a), int(b))}" for v, a, b in
                     zip(by_governorate["value"], by_governorate["min"],
                         by_governorate["max"], strict=True) if v in TILES)
           if placed else "no governorate has attack rows")
        + f". Every other governorate reads '{empty}'."
        + (f" {unknown} attack{'s' if unknown != 1 else ''} with unknown governorate "
           f"{'are' if unknown != 1 else 'is'} not on the map." if unknown else ""))
    return fig


def _mappable(norm):
    from matplotlib.cm import ScalarMappable

    mappable = ScalarMappable(norm=norm, cmap=SHADES)
    mappable.set_array(np.array([]))
    return mappable
