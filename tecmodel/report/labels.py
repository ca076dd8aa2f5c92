"""What the figures and the workbook say alike about an uncertainty result.

This module owns the reading of a tornado dataset that both views share: a factor's low, base
or high input value and the unit of those values. It imports neither openpyxl nor matplotlib,
so either view can use it without loading the other.
"""

from __future__ import annotations

import numpy as np
import xarray as xr


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
