"""The look the figures share: the canvas, the colours, the markers and line styles.

Each figure is a :class:`matplotlib.figure.Figure` on the Agg canvas (no pyplot state, safe in
threads); matplotlib is imported when the first figure is drawn, so importing the figures does
not load it.
"""

from __future__ import annotations

UP, DOWN, TOTAL = "#2e7d32", "#c62828", "#1f4e9a"
SERIES_COLOURS = ("#1f4e9a", "#e08a00", "#6a3d9a", "#2e7d32", "#b15928")
#: Line styles of the sites of a case (its portfolio is solid) and markers of lines that may
#: coincide: together with the colour they tell every line apart.
SITE_STYLES = ("--", ":", "-.", (0, (5, 1, 1, 1, 1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")


def new_figure(width: float = 9.0, height: float = 5.5):
    """An empty figure of `width` x `height` inches on the Agg canvas, laid out by constraints."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def compact(value: float) -> str:
    """A number short enough to label a bar: 62,247 / 65.1 / 0.778."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"
