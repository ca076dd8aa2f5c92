"""Whole-number powers, element by element, by repeated squaring (compiled).

This module owns ``base ** exponent`` for the whole-number exponents the model uses (years of
discounting, escalation and price trends). numpy's ``power`` rounds the last bit differently in
its vectorised body and its scalar tail, so a value would depend on the length of the array it
sits in, and a Monte Carlo result on its chunk size. Squaring and multiplying are exactly
rounded, and each element here goes through the same sequence of them whatever the array
around it, so results are bit-identical however samples are chunked. numba is imported on first
use; compiled code is cached on disk, so only the first run after installation compiles.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import xarray as xr

_scalar_power = None


def _integer_power(exponent, base):
    """base ** exponent for a whole-number exponent, by repeated squaring (scalar)."""
    remaining = int(abs(exponent))
    square = base
    result = 1.0
    while True:
        if remaining & 1:
            result = result * square
        remaining >>= 1
        if remaining == 0:
            break
        square = square * square
    if exponent < 0:
        return 1.0 / result if result != 0.0 else np.inf  # base 0: as numpy's 1 / 0
    return result


def _integer_power_loop(exponent, base, out):
    for index in range(out.size):
        out[index] = _scalar_power(exponent[index], base[index])


@cache
def _compiled_power():
    """Compile (or load from the on-disk cache) the elementwise power loop."""
    global _scalar_power
    import numba

    options = dict(cache=True, nogil=True, error_model="numpy")
    _scalar_power = numba.njit(inline="always", **options)(_integer_power)
    # A compiled loop rather than numba.vectorize: a ufunc built by vectorize is compiled again
    # in every process (about a second), a cached njit function is loaded from disk.
    return numba.njit(**options)(_integer_power_loop)


def integer_power_values(exponent: np.ndarray, base: np.ndarray) -> np.ndarray:
    """``base ** exponent`` elementwise for whole-number exponents [1] (numpy broadcasting).

    Each element is computed by the same sequence of multiplications (repeated squaring, then
    a reciprocal for a negative exponent) whatever the array around it, so a factor is
    bit-identical for a series alone or stacked with others; numpy's ``power`` may take SIMD
    paths that round the last bit differently with the array's length and alignment.

    Raises
    ------
    ValueError
        If an exponent is not a whole number.
    """
    exponent = np.asarray(exponent, dtype=np.float64)
    if not np.array_equal(exponent, np.round(exponent)):
        raise ValueError("integer_power needs whole-number exponents")
    power = _compiled_power()
    exponent, base = np.broadcast_arrays(exponent, np.asarray(base, dtype=np.float64))
    out = np.empty(exponent.shape)
    power(
        np.ascontiguousarray(exponent).reshape(-1),
        np.ascontiguousarray(base).reshape(-1),
        out.reshape(-1),
    )
    return out


def integer_power(base, exponent):
    """``base ** exponent`` for whole-number exponents, by repeated squaring [1].

    Every exponent in the model is a whole number of years. numpy's ``power`` rounds the last
    bit differently in its vectorised body and its scalar tail, so a value would depend on the
    length of the array it sits in (and a Monte Carlo result on its chunk size). Squaring and
    multiplying are exactly rounded, and each element here goes through the same sequence of
    them whatever the array, so results are bit-identical however the samples are chunked.

    Parameters
    ----------
    base : array_like or xarray.DataArray
        Base, e.g. ``1 + rate``.
    exponent : array_like or xarray.DataArray
        Whole numbers (negative allowed: the reciprocal is taken).

    Returns
    -------
    xarray.DataArray
        Dims of `exponent` first, then those only `base` has.

    Examples
    --------
    >>> float(integer_power(1.1, 2))
    1.2100000000000002
    """
    # The exponent's dims come first (years before sites before samples), keeping ``sample``
    # last; apply_ufunc broadcasts DataArrays, Variables and scalars alike.
    result = xr.apply_ufunc(integer_power_values, exponent, base)
    return result if isinstance(result, (xr.DataArray, xr.Variable)) else xr.DataArray(result)
