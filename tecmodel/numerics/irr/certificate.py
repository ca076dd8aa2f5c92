"""The root-count certificate of the IRR solver: its mathematics and the tables it needs.

The certificate proves that ``f(x) = sum_k coef[k] x**k`` (a series' NPV polynomial in its
half's variable x, :mod:`~tecmodel.numerics.irr.grid`) has at most one positive root.

Let ``d_k = coef[k] * x_p**k`` at a pivot ``x_p`` > 0 (not a root).  The roots of f in
(0, x_p) are the roots of ``f(x_p u)`` for u in (0, 1); dividing by ``(1 - u)**j`` (positive
there) gives a power series whose coefficients are the j-fold prefix sums of ``d``, so by
Descartes' rule of signs (valid for power series inside their disc of convergence) the roots in
(0, x_p), with multiplicity, number at most the sign changes of the j-fold prefix sums continued
to infinity; likewise the roots in (x_p, inf) with the j-fold suffix sums (from
``u**(T-1) f(x_p/u)``).  j = 1 with x_p = 1 is Norstrom's cumulative-cash-flow criterion; the
sign changes do not increase with j, and j = ``CERTIFICATE_LEVELS`` is used.  Beyond the last
period the j-fold sums are a polynomial in the index (:func:`tail_matrix`) whose sign changes
are bounded by Descartes' rule on its coefficients.

Magnitudes stay bounded (x_p <= 1, normalised coefficients, ``|j-fold sums| <= T**j``).  A sign
is trusted only above twice the rounding-error bound ``(j + 1) T eps A``, with A the j-fold sum
of ``|d|`` at the last index (:func:`fold_weights`), which bounds the sums of ``|d|`` at every
index; an uncertain sign leaves the series unproven.

The compiled kernel evaluates the certificate series by series (``_certify_series`` in
:mod:`~tecmodel.numerics.irr.kernel`); this module builds the tables it receives.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

__all__ = ["CERTIFICATE_LEVELS", "TAIL_MATRICES", "fold_weights", "tail_matrix"]

CERTIFICATE_LEVELS = 5
"""Deepest repeated partial sum (j-fold) tried by the root-count certificate."""


def tail_matrix(level: int) -> np.ndarray:
    """Monomial coefficients of the tail of the level-fold partial sums.

    Beyond the last period the level-j partial sums continue as
    ``S_j(T-1+n) = sum_{i=1..j} S_i(T-1) * C(n + j - i - 1, j - i)`` for
    n >= 0, a polynomial in n.

    Parameters
    ----------
    level : int
        Fold j of the partial sums [-], at least 1.

    Returns
    -------
    numpy.ndarray of float64, shape (level, level)
        Row q holds the coefficient of n**q as a combination of
        ``[S_j(T-1), ..., S_1(T-1)]`` [-].
    """
    matrix = np.zeros((level, level))
    for column, i in enumerate(range(level, 0, -1)):
        order = level - i
        # C(n + order - 1, order) = prod_{q < order} (n + order - 1 - q) / order!
        roots = [q - (order - 1) for q in range(order)]
        coefficients = np.polynomial.polynomial.polyfromroots(roots) / math.factorial(order)
        matrix[: coefficients.size, column] = coefficients
    return matrix


TAIL_MATRICES = {level: tail_matrix(level) for level in range(1, CERTIFICATE_LEVELS + 1)}
""":func:`tail_matrix` of every level up to ``CERTIFICATE_LEVELS``."""


@lru_cache(maxsize=64)
def fold_weights(n_periods: int, level: int) -> np.ndarray:
    """Weights of the level-fold prefix (row 0) and suffix (row 1) sums at the last index.

    The level-fold prefix sum of a sequence ``a`` at index T-1 is
    ``sum_k a_k C(T-1-k+level-1, level-1)``.

    Parameters
    ----------
    n_periods : int
        Length T of the sequence [-].
    level : int
        Fold of the sums [-], at least 1.

    Returns
    -------
    numpy.ndarray of float64, shape (2, n_periods)
        Binomial weights [-], read-only.
    """
    weight = np.array(
        [math.comb(n_periods - 1 - k + level - 1, level - 1) for k in range(n_periods)],
        dtype=float,
    )
    weights = np.stack([weight, weight[::-1]])
    weights.setflags(write=False)
    return weights
