"""Charts hold the computed values, carry alt text and follow the house style."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from analysis.counting import frequency
from analysis.render import charts


def attacks(rows):
    return pd.DataFrame({
        "date_start": pd.to_datetime([r[0] for r in rows]),
        "date_end": pd.to_datetime([r[1] for r in rows]),
    })


@pytest.fixture
def data():
    return attacks([("2021-01-05", "2021-01-05"), ("2021-01-10", "2021-02-20"),
                    ("2021-03-01", "2021-03-31"), ("2021-02-14", "2021-02-14")])


@pytest.fixture
def window():
    return frequency.Window(pd.Timestamp("2021-01-01"), pd.Timestamp("2021-03-31"))


def bar_heights(ax, label):
    container = next(c for c in ax.containers if c.get_label() == label)
    return np.array([p.get_height() for p in container.patches])


def test_frequency_chart_holds_the_counts(data, window):
    counts = frequency.attacks_per_period(data, window, "month")
    fig = charts.frequency_chart(counts, freq="month", title="T", source_line="S")
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    np.testing.assert_allclose(bar_heights(ax, "Exactly dated"), counts["exact"])
    np.testing.assert_allclose(bar_heights(ax, "Date uncertain (expected share)"),
                               counts["expected"] - counts["exact"])
    # Each whisker is a line of its own, with its period's title.
    whiskers = [line for line in ax.lines if line.get_gid()]
    spans = [tuple(line.get_ydata()) for line in whiskers]
    assert spans == list(zip(counts["min"], counts["max"], strict=True))
    assert ax.get_title(loc="left") == "T"
    assert ax.get_ylabel() == "Attacks per month"
    assert any(t.get_text() == "S" for t in fig.texts)
    assert "3 months" in fig.alt_text and "2 attacks are exactly dated" in fig.alt_text


def test_frequency_chart_marks_claims_and_context(data, window):
    counts = frequency.attacks_per_period(data, window, "week")
    claims = pd.DataFrame({"claim_id": ["C1"], "period_start": pd.to_datetime(["2021-01-20"]),
                           "period_end": pd.to_datetime(["2021-03-31"]),
                           "count_min": pd.array([24], dtype="Int64"),
                           "count_max": pd.array([pd.NA], dtype="Int64")})
    context = pd.DataFrame({"date": pd.to_datetime(["2021-01-20", "2022-01-01"]),
                            "label": ["Inauguration", "Outside"]})
    fig = charts.frequency_chart(counts, freq="week", claims=claims, context=context)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("C1: at least 24 claimed" in t and "not per period" in t for t in texts)
    assert any("Inauguration" in t for t in texts)
    assert not any("Outside" in t for t in texts)
    assert "claim from the source" in fig.alt_text
    # Context lines run through the claims' labels: each label has a background of its own.
    labels = [t for t in fig.axes[0].texts if "claimed" in t.get_text()
              or "Inauguration" in t.get_text()]
    assert labels and all(t.get_bbox_patch() is not None for t in labels)


def test_cumulative_chart_holds_the_cumulative_counts(data, window):
    cumulative = frequency.cumulative_counts(data, window)
    claims = pd.DataFrame({"period_start": pd.to_datetime(["2021-01-01"]),
                           "period_end": pd.to_datetime(["2021-03-31"]),
                           "count_min": pd.array([4], dtype="Int64"),
                           "count_max": pd.array([4], dtype="Int64")})
    fig = charts.cumulative_chart(cumulative, claims=claims)
    ax = fig.axes[0]
    expected_line = next(line for line in ax.lines if line.get_label() == "Expected count")
    np.testing.assert_allclose(expected_line.get_ydata(), cumulative["expected"])
    exact_line = next(line for line in ax.lines if line.get_label() == "Exactly dated")
    np.testing.assert_allclose(exact_line.get_ydata(), cumulative["exact"])
    claim = next(line for line in ax.lines if line.get_label() == "Claimed total")
    assert claim.get_ydata()[0] == 4
    assert "certainly" in fig.alt_text


def test_breakdown_chart_draws_known_values_and_states_unknown(window):
    data = attacks([("2021-01-05", "2021-01-05")] * 3 + [("2021-02-01", "2021-02-03")])
    data["weapon"] = pd.Categorical(["rocket", "rocket", "unknown", "drone"],
                                    categories=["rocket", "ied", "drone", "other", "unknown"])
    table = frequency.breakdown(data, "weapon", window)
    fig = charts.breakdown_chart(table)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert sorted(labels) == ["drone", "rocket"]
    assert any("1 attack with unknown weapon not shown" in t.get_text() for t in fig.texts)


def test_a_long_source_line_stays_clear_of_the_legend(window):
    """On a short chart, a source line that wraps to a second line ran under the legend:
    the layout must keep room for all of it."""
    data = attacks([("2021-01-05", "2021-01-05"), ("2021-02-01", "2021-02-03")])
    data["weapon"] = pd.Categorical(["rocket", "drone"],
                                    categories=["rocket", "ied", "drone", "other", "unknown"])
    fig = charts.breakdown_chart(frequency.breakdown(data, "weapon", window),
                                 source_line="Sources: " + "a long list of reports, " * 12)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    with charts.house_style():
        canvas.draw()  # laid out as for the brief and its files
        renderer = canvas.get_renderer()
        legend = fig.axes[0].get_legend().get_window_extent(renderer)
        line = next(t for t in fig.texts if "a long list" in t.get_text())
        source = line.get_window_extent(renderer)
    assert source.y1 <= legend.y0
    assert source.y0 >= 0
    # Nor does it run off the right edge in the PNG, whose glyphs are hinted to 150 dpi
    # and make a line wider than its SVG.
    with charts.house_style():
        fig.set_dpi(150)
        canvas.draw()
        assert line.get_window_extent(canvas.get_renderer()).x1 <= fig.bbox.x1


@pytest.mark.parametrize("bars", [1, 2, 5])
def test_the_legend_keeps_the_same_distance_below_the_axis_label_however_short_the_chart(
        window, bars):
    """Placed at a fraction of the axes' height, the legend sat close under the x axis
    label on a chart of two bars and further down on a chart of five."""
    weapons = ["rocket", "ied", "drone", "other", "small_arms"][:bars]
    data = attacks([("2021-01-05", "2021-01-05")] * max(bars, 2))
    data["weapon"] = pd.Categorical((weapons * 2)[:len(data)], categories=[
        "rocket", "ied", "drone", "other", "small_arms", "unknown"])
    fig = charts.breakdown_chart(frequency.breakdown(data, "weapon", window),
                                 source_line="Sources: one report.")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    with charts.house_style():
        canvas.draw()
        renderer = canvas.get_renderer()
        ax = fig.axes[0]
        label = ax.xaxis.label.get_window_extent(renderer)
        legend = ax.get_legend().get_window_extent(renderer)
    gap_in_points = (label.y0 - legend.y1) * 72 / fig.dpi
    assert 4 <= gap_in_points <= 12


def test_empty_data_still_draws(window):
    empty = attacks([])
    counts = frequency.attacks_per_period(empty, window, "month")
    assert isinstance(charts.frequency_chart(counts), Figure)
    assert isinstance(charts.cumulative_chart(frequency.cumulative_counts(empty, window)),
                      Figure)


def test_svg_output_is_reproducible(data, window):
    counts = frequency.attacks_per_period(data, window, "month")
    first = charts.to_svg(charts.frequency_chart(counts))
    second = charts.to_svg(charts.frequency_chart(counts))
    assert first == second
    assert b"<dc:date>" not in first


def test_leading_periods_without_rows_are_shaded_and_said(window):
    late = attacks([("2021-03-10", "2021-03-10")])
    counts = frequency.attacks_per_period(late, window, "week")
    fig = charts.frequency_chart(counts, freq="week")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert any("No attack rows in the data here" in t for t in texts)
    assert "The first 9 weeks are shaded" in fig.alt_text
    early = charts.frequency_chart(frequency.attacks_per_period(
        attacks([("2021-01-02", "2021-01-02")]), window, "week"), freq="week")
    assert not any("No attack rows" in t.get_text() for t in early.axes[0].texts)


def test_a_chart_is_drawn_once_for_the_brief_and_its_file_until_it_changes():
    from matplotlib.figure import Figure

    fig = Figure()
    ax = fig.subplots()
    ax.plot([1, 2], [3, 4])
    shown = charts.to_svg(fig)
    assert charts.to_svg(fig) is shown  # the same drawing, not drawn again
    ax.set_title("changed after it was shown")
    redrawn = charts.to_svg(fig)
    assert redrawn != shown and b"changed after it was shown" in redrawn
    charts.to_png(fig)
    assert charts.to_svg(fig) == redrawn


def test_the_png_is_laid_out_as_the_chart_in_the_brief(data, window):
    fig = charts.frequency_chart(frequency.attacks_per_period(data, window, "month"))
    engine = fig.get_layout_engine()
    charts.to_svg(fig)
    # original=True: reading the active position would mark the figure changed
    shown_at = [ax.get_position(original=True).bounds for ax in fig.axes]
    png = charts.to_png(fig)
    assert png.startswith(b"\x89PNG")
    assert [ax.get_position(original=True).bounds for ax in fig.axes] == shown_at
    assert fig.get_layout_engine() is engine  # a later change is laid out as before
    again = charts.frequency_chart(frequency.attacks_per_period(data, window, "month"))
    charts.to_svg(again)
    assert charts.to_png(again) == png


def test_source_lines_are_wrapped_to_the_figure_once_not_at_every_drawing(window):
    """matplotlib's own wrapping measured the line again for every word at every drawing;
    the line is now broken once, at spaces, and each line fits."""
    from matplotlib.backends.backend_agg import RendererAgg
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import text_to_path

    text = "Sources: " + " ".join(f"report{i} (W. Publisher, 2021)" for i in range(30))
    with charts.house_style():
        lines = charts.wrapped(text, 400, 7.5).split("\n")
        font = FontProperties(size=7.5)
        widths = [text_to_path.get_text_width_height_descent(line, font, ismath=False)[0]
                  for line in lines]
        # In the PNG, glyphs are hinted to the pixels and lines come out wider.
        png = RendererAgg(1, 1, 150)
        png_widths = [png.get_text_width_height_descent(line, font, ismath=False)[0]
                      * 72 / 150 for line in lines]
    assert len(lines) > 2
    assert max(widths) <= 400 and max(png_widths) <= 400
    assert min(widths[:-1]) > 300  # lines are filled, not broken early
    assert " ".join(lines) == text
    assert charts.wrapped("Source: short.", 400, 7.5) == "Source: short."
    fig = charts.frequency_chart(frequency.attacks_per_period(attacks([]), window, "month"),
                                 source_line=text)
    assert all(not t.get_wrap() for t in fig.texts)
