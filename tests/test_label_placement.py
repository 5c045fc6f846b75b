"""Labels that never collide: on the frequency and cumulative charts, no two texts in the
axes overlap, none runs past the axes, and the data stay below the labels at the top, in
the committed briefs and on a chart crowded with context events and claims."""

import itertools

import pandas as pd
import pytest
from committed_charts import BRIEFS, frequency_and_cumulative
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis.counting import frequency
from analysis.render import charts


def label_boxes(fig, dpi):
    """Each text of the axes (its background included) as drawn at `dpi`, and the axes."""
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    with charts.house_style():
        canvas.draw()
    renderer = canvas.get_renderer()
    ax = fig.axes[0]
    boxes = []
    for text in ax.texts:
        if not text.get_text().strip():
            continue  # an arrow without words
        # A label's background holds its words (an annotation's extent would also hold
        # the line to its marker).
        patch = text.get_bbox_patch()
        box = (patch.get_window_extent(renderer) if patch is not None
               else text.get_window_extent(renderer))
        boxes.append((text.get_text(), box))
    return boxes, ax.bbox, fig.bbox


def assert_no_collision(fig):
    charts.to_svg(fig)  # laid out as in the brief
    for dpi in (100, 150):  # the figure's and the PNG's resolution
        boxes, axes, figure = label_boxes(fig, dpi)
        for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2):
            assert not box_a.overlaps(box_b), f"{a!r} overlaps {b!r} at {dpi} dpi"
        for text, box in boxes:
            assert axes.x0 <= box.x0 and box.x1 <= axes.x1, f"{text!r} runs past the axes"
            assert axes.y0 <= box.y0 and box.y1 <= axes.y1, f"{text!r} runs past the axes"
            assert figure.contains(box.x0, box.y0) and figure.contains(box.x1, box.y1)
    return boxes


@pytest.mark.parametrize("name", BRIEFS)
def test_no_label_collides_on_the_committed_briefs(name):
    _, frequency_fig, cumulative_fig = frequency_and_cumulative(name)
    assert len(assert_no_collision(frequency_fig)) >= 3
    assert_no_collision(cumulative_fig)


def crowded(freq):
    """Eight context events and six claims in the last three months of a window."""
    days = pd.date_range("2021-01-01", "2021-04-20")
    data = pd.DataFrame({"date_start": days[::3], "date_end": days[::3] + pd.Timedelta(days=20)})
    data["date_end"] = data["date_end"].clip(upper=days[-1])
    window = frequency.Window(pd.Timestamp("2019-01-01"), days[-1])
    context = pd.DataFrame({
        "date": pd.to_datetime([f"2021-{m:02d}-{d:02d}" for m, d in
                                [(2, 1), (2, 3), (3, 1), (3, 2), (3, 20), (4, 1), (4, 7),
                                 (4, 19)]]),
        "label": [f"A long context label number {i}" for i in range(8)]})
    claims = pd.DataFrame({
        "claim_id": [f"C{i}" for i in range(6)],
        "period_start": pd.to_datetime(["2021-02-01", "2021-03-01", "2021-03-15",
                                        "2021-04-01", "2021-04-05", "2020-01-01"]),
        "period_end": pd.to_datetime(["2021-04-20"] * 5 + ["2021-04-10"]),
        "count_min": pd.array([20, 12, 5, 3, 2, 60], dtype="Int64"),
        "count_max": pd.array([20, pd.NA, 5, pd.NA, 2, 60], dtype="Int64")})
    return (frequency.attacks_per_period(data, window, freq),
            frequency.cumulative_counts(data, window), claims, context)


@pytest.mark.parametrize("freq", ["month", "week"])
def test_no_label_collides_on_a_crowded_chart(freq):
    counts, cumulative, claims, context = crowded(freq)
    fig = charts.frequency_chart(counts, freq=freq, claims=claims, context=context)
    assert len(assert_no_collision(fig)) == 8 + 6 + 1  # and the note on the shading
    assert_no_collision(charts.cumulative_chart(cumulative, claims=claims, context=context))


def test_the_bars_stay_below_the_labels():
    counts, _, claims, context = crowded("week")
    fig = charts.frequency_chart(counts, freq="week", claims=claims, context=context)
    boxes, axes, _ = label_boxes(fig, 100)
    ax = fig.axes[0]
    top = ax.transData.transform((0, counts["max"].max()))[1]
    assert top < min(box.y0 for _, box in boxes)


def test_placement_is_deterministic():
    counts, _, claims, context = crowded("month")
    first = charts.to_svg(charts.frequency_chart(counts, claims=claims, context=context))
    assert first == charts.to_svg(charts.frequency_chart(counts, claims=claims,
                                                         context=context))
