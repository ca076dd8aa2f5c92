"""Sums in a fixed order, so that a value never depends on what it is computed beside.

numpy sums an axis pairwise when it is the only one with extent and row by row otherwise, so
the sum of one series alone and of the same series stacked with others (sites, samples, chunks)
can differ in the last bit. This module owns the sums that add whole slices one after the other
in index order: every series sees the same sequence of roundings, in one pass over memory.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.numerics.labelled import labelled


def ordered_sum(values: np.ndarray, axis: int) -> np.ndarray:
    """Sum of `values` along `axis`, adding the slices one after the other in index order.

    numpy sums an axis pairwise (8-way unrolled) when it is the only one with extent, and row
    by row otherwise, so ``values.sum(axis)`` of one series and of the same series beside
    others can differ in the last bit. Adding whole slices in order gives every series the same
    sequence of roundings whatever it is stacked with (sites, samples, chunks), in one pass
    over memory.
    """
    values = np.moveaxis(np.asarray(values), axis, 0)
    if values.shape[0] == 0:
        return np.zeros(values.shape[1:])
    total = np.array(values[0], dtype=float)
    for index in range(1, values.shape[0]):
        total += values[index]
    return total


def running_total(values: np.ndarray) -> np.ndarray:
    """Cumulative sum along axis 0 (years), slice by slice in order.

    The same values as ``np.cumsum(values, axis=0)`` (the same additions in the same order),
    several times faster on (year, ...) arrays: numpy's cumsum walks axis 0 innermost, with a
    stride of a whole slice.
    """
    values = np.asarray(values)
    rows = values.reshape(values.shape[0], -1) if values.ndim else values.reshape(1, 1)
    total = np.empty(rows.shape, dtype=np.result_type(values.dtype, np.float64))
    if rows.shape[0]:
        total[0] = rows[0]
    for index in range(1, rows.shape[0]):
        np.add(total[index - 1], rows[index], out=total[index])
    return total.reshape(values.shape)


def dim_total(array, dim: str):
    """Sum over `dim`, accumulated in index order (:func:`ordered_sum`).

    Works on a DataArray (keeping its other coordinates) or a Variable.
    """
    totals = ordered_sum(array.values, array.get_axis_num(dim))
    if isinstance(array, xr.Variable):
        return array.isel({dim: 0}).copy(data=totals)
    if set(array.coords) <= set(array.dims):  # dimension coordinates only: shared, not copied
        return labelled(
            totals, tuple(d for d in array.dims if d != dim), array.coords, attrs=array.attrs
        )
    return array.isel({dim: 0}, drop=True).copy(data=totals)


def year_total(array):
    """Sum over ``year``, accumulated in year order (:func:`ordered_sum`) [unit of `array`]."""
    return dim_total(array, "year")
