"""The rate grid of the IRR solver and the NPV polynomial in its bounded variable x.

With the discount factor g = 1/(1 + r), NPV is the polynomial ``P(g) = sum_t cf_t g**t``.  The
rate range is split at r = 0 so that every evaluation stays bounded: from r = 0 on the solver
evaluates ``P(x)`` with x = 1/(1 + r) in (0, 1]; below r = 0 the future-value polynomial
``F(x) = x**(T-1) P(1/x)`` with x = 1 + r in (0, 1), which has the sign of NPV(r) and the
coefficients of P in reverse order.  :mod:`tecmodel.numerics.irr.solver` describes the method.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["BAND", "BAND_DENSITY", "Grid", "horner", "orient", "rate_grid", "x_to_rate"]

BAND = (-0.5, 1.0)
"""Rates [1/yr] where project IRRs are expected; the grid is ``BAND_DENSITY`` times denser
there."""

BAND_DENSITY = 4.0


@lru_cache(maxsize=32)
def _cached_grid(low: float, high: float, grid_points: int) -> np.ndarray:
    y_low, y_high = np.log1p(low), np.log1p(high)
    y_band = np.log1p(np.clip(np.array(BAND), low, high))
    # Piecewise-constant node density in y = ln(1 + r): BAND_DENSITY inside the
    # band, 1 outside.  Nodes are the quantiles of that density on either side
    # of y = 0 (so r = 0 is a node whenever low < 0 < high).
    breaks = np.array([y_low, y_band[0], y_band[1], y_high])
    density = np.array([1.0, BAND_DENSITY, 1.0])

    def mass(y):
        lengths = np.clip(np.minimum(y, breaks[1:]) - breaks[:-1], 0.0, None)
        return float(np.sum(lengths * density))

    def inverse_mass(m):
        cum = np.concatenate([[0.0], np.cumsum(np.diff(breaks) * density)])
        return np.interp(m, cum, breaks)

    if low < 0.0 < high:
        m0, m_total = mass(0.0), mass(y_high)
        n_neg = int(round((grid_points - 1) * m0 / m_total))
        n_neg = min(max(n_neg, 1), grid_points - 2)
        n_pos = grid_points - 1 - n_neg
        y = np.concatenate(
            [
                inverse_mass(np.linspace(0.0, m0, n_neg + 1))[:-1],
                inverse_mass(np.linspace(m0, m_total, n_pos + 1)),
            ]
        )
        y[n_neg] = 0.0
    else:
        y = inverse_mass(np.linspace(0.0, mass(y_high), grid_points))
    rates = np.expm1(y)
    rates[0], rates[-1] = low, high
    if low < 0.0 < high:
        rates[n_neg] = 0.0
    rates.setflags(write=False)
    return rates


def rate_grid(low: float = -0.99, high: float = 10.0, grid_points: int = 16) -> np.ndarray:
    """Rates [1/yr] at which :func:`~tecmodel.numerics.irr.irr` brackets the roots of NPV.

    The nodes are uniform in the continuously compounded rate
    y = ln(1 + r) = -ln(g): a step dy changes every discount factor g**t by
    the same relative amount t*dy, so equal steps in y resolve the NPV
    polynomial equally well at all rates, and ``(1 + r)`` is spaced
    geometrically (from 1% of the principal at r = -0.99 to 11 times it at
    r = 10).  Inside the band of expected project rates, ``BAND`` = -50 % ...
    +100 %, the nodes are ``BAND_DENSITY`` = 4 times denser.  ``low``,
    ``high`` and, when ``low < 0 < high``, r = 0 are nodes.

    The root count of the solver does not rest on the grid (see
    :mod:`tecmodel.numerics.irr.solver`), so the grid only has to supply
    brackets for Newton's method and pivots for the certificate.  Each node
    costs one Horner pass per series, while halving the bracket saves less
    than one Newton iteration (two passes); timed on project cash flows, 12
    to 20 nodes are equally fast and the default is 16.  With the default
    range the band nodes are then 0.19 apart in y (-17 %, 0, 20.5 %, 45 %,
    75 %), the outer ones 0.74.

    Parameters
    ----------
    low, high : float
        Admissible range of the IRR [1/yr], ``-1 < low < high``.
    grid_points : int
        Number of nodes [-], at least 8.

    Returns
    -------
    numpy.ndarray of float64
        Increasing rates [1/yr], read-only, shape ``(grid_points,)``.
    """
    low, high, grid_points = float(low), float(high), int(grid_points)
    if not (np.isfinite(low) and np.isfinite(high) and -1.0 < low < high):
        raise ValueError("irr: need -1 < low < high < inf [1/yr]")
    if grid_points < 8:
        raise ValueError("irr: grid_points must be at least 8")
    return _cached_grid(low, high, grid_points)


class Grid:
    """Nodes of a rate grid with the variable x of each node's half.

    Parameters
    ----------
    rates : numpy.ndarray of float64
        Increasing node rates [1/yr], from :func:`rate_grid`.

    Attributes
    ----------
    rates : numpy.ndarray of float64
        The node rates [1/yr].
    n_neg : int
        Number of nodes below r = 0; they come first.
    x : numpy.ndarray of float64
        Each node in its half's variable [-]: 1 + r below r = 0, 1/(1 + r) from r = 0 on.
    """

    def __init__(self, rates: np.ndarray):
        self.rates = rates
        self.n_neg = int(np.count_nonzero(rates < 0.0))
        self.x = np.where(rates < 0.0, 1.0 + rates, 1.0 / (1.0 + rates))


def horner(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Evaluate ``sum_k coef[k] * x**k`` for every series, by Horner's scheme.

    Parameters
    ----------
    coef : numpy.ndarray of float64, shape (T, m)
        Coefficients [-], power k in row k, one series per column.
    x : numpy.ndarray of float64, shape (G, 1) or (m,)
        Points [-]: the same G points for every series, or one per series.

    Returns
    -------
    numpy.ndarray of float64, shape (G, m) or (m,)
        Polynomial values [-].
    """
    acc = np.empty(np.broadcast_shapes(x.shape, coef.shape[1:]))
    acc[...] = coef[-1]
    for k in range(coef.shape[0] - 2, -1, -1):
        np.multiply(acc, x, out=acc)
        np.add(acc, coef[k], out=acc)
    return acc


def orient(c: np.ndarray, negative_half: np.ndarray) -> np.ndarray:
    """Coefficients in x of each series' half: reversed (F) below r = 0, as they are (P) above.

    Parameters
    ----------
    c : numpy.ndarray of float64, shape (T, m)
        Normalised cash flows [-], time on axis 0.
    negative_half : numpy.ndarray of bool, shape (m,)
        True for the series evaluated below r = 0.

    Returns
    -------
    numpy.ndarray of float64, shape (T, m)
        Polynomial coefficients [-], power k in row k (``c`` itself when no series is
        reversed).
    """
    if not negative_half.any():
        return c
    if negative_half.all():
        return np.ascontiguousarray(c[::-1])
    return np.where(negative_half, c[::-1], c)


def x_to_rate(x: np.ndarray, negative_half: np.ndarray) -> np.ndarray:
    """Rate [1/yr] from the half's variable x [-]: r = x - 1 below 0, (1 - x)/x from 0 on."""
    return np.where(negative_half, x - 1.0, (1.0 - x) / x)
