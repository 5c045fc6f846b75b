"""Labels that never collide: context labels, claim labels and the charts' notes placed so
that no two texts overlap and none runs past the axes.

The rule is simple and deterministic. Every label is a box of known size (measured with
matplotlib's renderer) at a fixed horizontal place (its date, kept inside the axes). The
boxes are taken in a fixed order and each drops from its wished-for height to the first
height at which it meets no box placed before it, as books settle on a shelf. Heights are
counted in points down from the top of the axes, so a box keeps its place when the
layout later gives the axes a little more or less height; the chart then sets its y
limit so that the data stay below the lowest box.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.transforms import Affine2D, ScaledTranslation, blended_transform_factory

GAP = 3.0  # points between two boxes, and between a box and the axes' edges
# Widths grow by this share, for the SVG's text, which a browser lays out in its own
# copy of the font.
WIDTH_SLACK = 1.02


@dataclass
class Box:
    """A label's box in points: x from the axes' left edge, `down` from its top."""

    left: float
    width: float
    height: float
    down: float = 0.0

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.down + self.height

    def meets(self, other: Box, down: float) -> bool:
        """Whether this box, placed at `down`, comes within GAP of `other`."""
        return (self.left < other.right + GAP and other.left < self.right + GAP
                and down < other.bottom + GAP and other.down < down + self.height + GAP)


def settle(boxes: list[Box], box: Box, wished: float = GAP,
           limit: float | None = None) -> Box:
    """Place `box` at the first height from `wished` down where it meets none of
    `boxes`, else, when `limit` (the lowest its bottom may go) stops it, the first
    height up from `wished`; adds it to `boxes` and returns it."""
    downs = sorted({wished, *(b.bottom + GAP for b in boxes if b.bottom + GAP > wished)})
    ups = sorted({b.down - GAP - box.height for b in boxes
                  if GAP <= b.down - GAP - box.height < wished}, reverse=True)
    box.down = downs[-1]
    for down in downs + ups:
        if limit is not None and down + box.height > limit:
            continue
        if not any(box.meets(b, down) for b in boxes):
            box.down = down
            break
    boxes.append(box)
    return box


def in_points(ax):
    """A transform for (x, y) in points from the top left corner of `ax`, y down."""
    fig = ax.get_figure(root=True)
    return (Affine2D().scale(1 / 72, -1 / 72) + fig.dpi_scale_trans
            + ScaledTranslation(0, 1, ax.transAxes))


def points_from_top(ax):
    """A transform for x as data and y in points down from the top of `ax`."""
    return blended_transform_factory(ax.transData, in_points(ax))


def renderer(fig):
    """A renderer for measuring, with the figure laid out as it will be drawn."""
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    fig.draw_without_rendering()
    return fig.canvas.get_renderer()


def text_size(fig, text: str, pad: float = 0.0, **props) -> tuple[float, float]:
    """Width and height in points of `text` drawn with `props`, with `pad` points of
    background on every side: the larger of its drawings at the figure's resolution
    and at the PNG's, whose glyphs are hinted to its pixels and come out wider."""
    import matplotlib
    from matplotlib.backends.backend_agg import RendererAgg

    measured = fig.text(0, 0, text, **props)
    dpi = matplotlib.rcParams["savefig.dpi"]
    dpi = fig.dpi if dpi == "figure" else float(dpi)
    width = height = 0.0
    for renderer in (renderer_for_measuring(fig), RendererAgg(1, 1, dpi)):
        box = measured.get_window_extent(renderer)
        width = max(width, box.width * 72 / renderer.dpi)
        height = max(height, box.height * 72 / renderer.dpi)
    measured.remove()
    return width * WIDTH_SLACK + 2 * pad, height + 2 * pad


def renderer_for_measuring(fig):
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    return fig.canvas.get_renderer()


def axes_size(ax) -> tuple[float, float]:
    """The axes' width and height in points, as laid out."""
    fig = ax.get_figure(root=True)
    renderer(fig)
    scale = 72 / fig.dpi
    return ax.bbox.width * scale, ax.bbox.height * scale


def x_points(ax, x) -> float:
    """Where data x falls, in points from the axes' left edge."""
    fig = ax.get_figure(root=True)
    return (ax.transData.transform((x, 0))[0] - ax.bbox.x0) * 72 / fig.dpi


def inside(left: float, width: float, axes_width: float) -> float:
    """`left` moved, if need be, so that a box of `width` lies inside the axes."""
    return min(max(left, GAP), max(axes_width - width - GAP, GAP))
