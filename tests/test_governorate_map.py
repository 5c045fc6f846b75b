"""The governorate map: a tile for every governorate the importers write, shaded by its
expected count and printing its certain–possible range; "no rows" is not a zero unless a
source covers the whole window and every attack is placed; unplaced attacks are stated
beside the map."""

import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from committed_charts import brief_inputs

from analysis.counting import figures, frequency
from analysis.inputs.importers.common import GOVERNORATES
from analysis.render import charts, marks
from analysis.render.map import TILES, governorate_map

WINDOW = frequency.Window(pd.Timestamp("2021-01-01"), pd.Timestamp("2021-03-31"))


def by_governorate(rows):
    data = pd.DataFrame({
        "date_start": pd.to_datetime([r[0] for r in rows]),
        "date_end": pd.to_datetime([r[1] for r in rows]),
        "governorate": [r[2] for r in rows]})
    return frequency.breakdown(data, "governorate", WINDOW)


@pytest.fixture
def table():
    return by_governorate([("2021-01-05", "2021-01-05", "Baghdad"),
                           ("2021-01-06", "2021-01-06", "Baghdad"),
                           ("2021-01-10", "2021-04-20", "Baghdad"),
                           ("2021-02-01", "2021-02-01", "Anbar"),
                           ("2021-02-02", "2021-02-02", None),  # blank, as loaded
                           ("2021-02-03", "2021-02-03", "Atlantis")])


def tile_texts(fig):
    return [t.get_text() for t in fig.axes[0].texts]


def test_every_governorate_has_one_tile_of_its_own():
    assert set(TILES) == set(GOVERNORATES) and len(TILES) == 19  # 18 and Halabja
    assert len(set(TILES.values())) == len(TILES)


def test_tiles_are_shaded_by_expected_count_and_print_the_range(table):
    fig = governorate_map(table, covered_days=None, window_days=WINDOW.days)
    ax = fig.axes[0]
    tiles = {t.get_gid(): t for t in ax.patches if t.get_gid()}
    titles = marks.mark_titles(fig)
    shade = {titles[g].split(":")[0]: tiles[g].get_facecolor() for g in tiles}
    assert len(shade) == 19
    # Darker (a lower sum of RGB) where more attacks are expected.
    assert sum(shade["Baghdad"][:3]) < sum(shade["Anbar"][:3]) < sum(shade["Erbil"][:3])
    texts = tile_texts(fig)
    assert "2–3" in texts and "1" in texts  # Baghdad: 2 certain, 3 possible
    assert texts.count("no rows") == 19 - 2
    assert any(t.startswith("Baghdad: exactly dated 2; certainly 2; possibly 3")
               for t in titles.values())


def test_no_rows_is_a_zero_only_where_a_source_covers_the_whole_window(table):
    placed = table[table["value"] != "Atlantis"]
    placed.attrs = {**table.attrs, "unknown": 0}
    covered = governorate_map(placed, covered_days=WINDOW.days, window_days=WINDOW.days)
    assert tile_texts(covered).count("0") == 17 and "no rows" not in tile_texts(covered)
    # An attack without a governorate could be in any tile: none reads 0.
    anywhere = governorate_map(table, covered_days=WINDOW.days, window_days=WINDOW.days)
    assert "0" not in tile_texts(anywhere) and tile_texts(anywhere).count("no rows") == 17
    partly = governorate_map(table, covered_days=30, window_days=WINDOW.days)
    assert tile_texts(partly).count("no rows") == 17
    assert "on the 30 covered days of 90" in " ".join(" ".join(tile_texts(partly)).split())
    uncovered = governorate_map(table, covered_days=None, window_days=WINDOW.days)
    assert any("which is not a zero" in t for t in tile_texts(uncovered))


def test_unplaced_attacks_and_unknown_names_are_stated_beside_the_map(table):
    fig = governorate_map(table, window_days=WINDOW.days)
    note = next(t for t in tile_texts(fig) if "Not on the map" in t)
    flat = " ".join(note.split())
    assert "1 attack whose governorate is unknown" in flat
    assert "Not on the map: Atlantis, 1 attack (a name" in flat
    assert "1 attacks with unknown governorate" not in fig.alt_text
    assert "Baghdad 2–3" in fig.alt_text
    assert list(fig.data_table[0]["Governorate"]) == ["Baghdad", "Anbar", "Atlantis"]


def test_every_tile_carries_its_title_in_the_svg(table):
    svg = charts.to_svg(governorate_map(table, window_days=WINDOW.days))
    found = [t.text for t in ET.fromstring(svg).iter(marks.TITLE)]
    assert len(found) == 19
    assert "Erbil: no rows in the data" in found


def test_a_table_without_governorates_draws_an_empty_map():
    data = pd.DataFrame({"date_start": pd.to_datetime(["2021-01-05"]),
                         "date_end": pd.to_datetime(["2021-01-05"])})
    fig = governorate_map(frequency.breakdown(data, "governorate", WINDOW),
                          window_days=WINDOW.days)
    assert tile_texts(fig).count("no rows") == 19
    assert "1 attack whose governorate is unknown" in " ".join(" ".join(tile_texts(fig)).split())


def test_the_all_sources_brief_places_its_attacks():
    inputs, window, covered, _ = brief_inputs("since-2019-all-sources")
    table = figures.breakdown(inputs.merged, "governorate", window)
    fig = governorate_map(table, covered_days=covered.day_count, window_days=window.days)
    placed = table[table["value"].isin(list(TILES))]
    assert len(placed) >= 5
    expected = np.array([float(v) for v in fig.data_table[0]["Expected"]])
    np.testing.assert_allclose(expected, table["expected"].round(1))
