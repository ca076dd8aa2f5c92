"""What the figures and the workbook say alike about a metric and an uncertainty result.

This module owns the words and colours both views put beside a number, so that a PNG and the
workbook's chart of the same result agree: a metric's label and display unit (from the table of
outputs, :data:`tecmodel.model.outputs.METRICS`), and the reading of a tornado dataset (the
order of its factors, the quantiles its bars end at, its title, a factor's low, base or high
input value and their unit) with its colour rule: :data:`WORSE_COLOUR` (red) marks a change
that makes the metric worse than its base, :data:`BETTER_COLOUR` (green) one that makes it
better. It imports neither openpyxl nor matplotlib, so either view can use it without loading
the other.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import METRICS, Direction, display

#: Colours of the tornado's bars (RGB hex, no ``#``): a change that makes the metric worse than
#: its base, and one that makes it better.
WORSE_COLOUR, BETTER_COLOUR = "C62828", "2E7D32"


def chart_selection(
    dataset: xr.Dataset, metric: str | None = None, site: str | None = None
) -> tuple[str, str]:
    """The metric and site a chart of `dataset` shows: those given, else NPV (or the first
    metric) of the portfolio (or the last site)."""
    metrics = [str(m) for m in dataset["metric"].values]
    sites = [str(s) for s in dataset["site"].values]
    metric = metric or ("npv" if "npv" in metrics else metrics[0])
    site = site or (PORTFOLIO if PORTFOLIO in sites else sites[-1])
    return metric, site


def metric_label(name: str) -> str:
    """The metric's short label (``NPV``); a name outside the table of outputs as it is."""
    return METRICS[name].label if name in METRICS else name


def metric_units(name: str, dataset: xr.Dataset | None = None) -> str:
    """The unit a metric is shown in: its display unit, else its stored unit (``year``, ``1``).

    A name outside the table of outputs takes the unit `dataset` gives it: the ``units``
    coordinate along ``metric``, or the ``units`` attribute of its variable.
    """
    if name in METRICS:
        return METRICS[name].display_units or METRICS[name].units
    if dataset is None:
        return ""
    if "units" in dataset.coords and "metric" in dataset["units"].dims:
        return str(dataset["units"].sel(metric=name).values)
    if name in dataset.data_vars:
        return str(dataset[name].attrs.get("units", ""))
    return ""


def metric_scale(name: str) -> float:
    """Factor from the stored value to the shown one (1e-6: EUR shown in millions)."""
    return METRICS[name].display_scale if name in METRICS else 1.0


def metric_text(name: str, value: float) -> str:
    """One value of a metric as the tables show it, in its display unit (not repeated)."""
    if name in METRICS:
        return display(name, value)
    return f"{value:,.3g}"


def axis_label(name: str, dataset: xr.Dataset | None = None) -> str:
    """``NPV [EUR M]``: the label of an axis of the metric, in the unit it is shown in."""
    units = metric_units(name, dataset)
    return f"{metric_label(name)} [{units}]" if units else metric_label(name)


def tornado_input(dataset: xr.Dataset, name: str, factor: str, site: str) -> float | None:
    """A factor's low, base or high input value of a tornado (``name``: ``input_low`` ...).

    Site-level inputs are given per site (none for the portfolio): the value of `site`, or
    of the first site that has one.
    """
    if name not in dataset:
        return None
    array = dataset[name].sel(factor=factor)
    if "site" not in array.dims:
        return float(array)
    if site in array["site"].values and np.isfinite(float(array.sel(site=site))):
        return float(array.sel(site=site))
    finite = array.values[np.isfinite(array.values)]
    return float(finite[0]) if finite.size else None


def tornado_input_unit(dataset: xr.Dataset, factor: str) -> str:
    """Unit of a tornado factor's input values (``factor_units`` coordinate, else attributes)."""
    if "factor_units" in dataset.coords:
        return str(dataset["factor_units"].sel(factor=factor).values)
    if "input_low" in dataset:
        return str(dataset["input_low"].attrs.get("units", ""))
    return ""


def is_worse(name: str, change: float) -> bool:
    """Whether a change of the metric `name` from its base is a worse outcome.

    The metric's direction in the table of outputs decides (a higher LCOC is worse, a lower NPV
    is worse); a metric without a direction counts a decrease as worse.
    """
    lower_is_better = name in METRICS and METRICS[name].direction is Direction.LOWER_IS_BETTER
    return change > 0 if lower_is_better else change < 0


def outcome_colour(name: str, change: float) -> str:
    """:data:`WORSE_COLOUR` or :data:`BETTER_COLOUR` for a change of the metric `name`."""
    return WORSE_COLOUR if is_worse(name, change) else BETTER_COLOUR


def tornado_order(dataset: xr.Dataset, metric: str, site: str) -> list[str]:
    """The tornado's factors by swing (``|high - low|``), largest first (ties: dataset order)."""
    factors = [str(f) for f in dataset["factor"].values]
    low = dataset["low"].sel(metric=metric, site=site).values
    high = dataset["high"].sel(metric=metric, site=site).values
    swing = np.abs(np.asarray(high, dtype=float) - np.asarray(low, dtype=float))
    return [factors[index] for index in np.argsort(-swing, kind="stable")]


def tornado_quantiles(dataset: xr.Dataset) -> tuple[str, str]:
    """The quantiles the tornado's bars end at, as ``("P10", "P90")`` (its low and high)."""
    low = float(dataset.attrs.get("quantile_low", 0.1))
    high = float(dataset.attrs.get("quantile_high", 0.9))
    return f"P{low * 100:g}", f"P{high * 100:g}"


def tornado_title(dataset: xr.Dataset, metric: str, site: str) -> tuple[str, str]:
    """The tornado chart's title: (what it shows and for which case, how to read it)."""
    case = dataset.attrs.get("case", "")
    low, high = tornado_quantiles(dataset)
    headline = f"Tornado of {metric_label(metric)} ({site})" + (f", case {case}" if case else "")
    reading = (
        f"bars end at each factor's {low} and {high}, the others at base; "
        "red: worse than base, green: better"
    )
    return headline, reading
