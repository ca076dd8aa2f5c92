"""What the figures and the workbook say alike about a metric and an uncertainty result.

This module owns the words both views put beside a number: a metric's label and display unit
(from the table of outputs, :data:`tecmodel.model.outputs.METRICS`) and the reading of a tornado
dataset (a factor's low, base or high input value and the unit of those values). It imports
neither openpyxl nor matplotlib, so either view can use it without loading the other.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.outputs import METRICS, display


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
