"""The look the figures share: the canvas, the colours, how a chart picks and names a metric.

Each figure is a :class:`matplotlib.figure.Figure` on the Agg canvas (no pyplot state, safe in
threads); matplotlib is imported when the first figure is drawn, so importing the figures does
not load it.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.metrics import PORTFOLIO

BILLION = 1e9
UP, DOWN, TOTAL = "#2e7d32", "#c62828", "#1f4e9a"
SERIES_COLOURS = ("#1f4e9a", "#e08a00", "#6a3d9a", "#2e7d32", "#b15928")


def new_figure(width: float = 9.0, height: float = 5.5):
    """An empty figure of `width` x `height` inches on the Agg canvas, laid out by constraints."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def pick(dataset: xr.Dataset, metric: str | None, site: str | None) -> tuple[str, str]:
    metrics = [str(m) for m in dataset["metric"].values]
    sites = [str(s) for s in dataset["site"].values]
    metric = metric or ("npv" if "npv" in metrics else metrics[0])
    site = site or (PORTFOLIO if PORTFOLIO in sites else sites[-1])
    return metric, site


def compact(value: float) -> str:
    """A number short enough to label a bar: 62,247 / 65.1 / 0.778."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def metric_name(metric: str) -> str:
    """Display name of a metric."""
    return {"npv": "NPV", "irr": "IRR", "lcoc": "LCOC", "payback_year": "payback year"}.get(
        metric, metric
    )


def dataset_units(dataset: xr.Dataset, metric: str) -> str:
    units = dataset["base"].attrs.get("units")
    if isinstance(units, dict):
        return units.get(metric, "")
    if "units" in dataset.coords:
        return str(dataset["units"].sel(metric=metric).values)
    return units or ""
