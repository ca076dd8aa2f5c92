"""Exact root isolation of the IRR solver: Descartes' rule on Mobius transforms, then Newton.

The few series that the compiled kernel cannot settle (a root exactly on a grid node, or no
proof of their root count) are counted exactly here, in numpy, by :class:`Isolator` (the
Vincent-Collins-Akritas method), and their single root, if any, is refined by the safeguarded
Newton iteration :func:`newton`.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .grid import horner, orient, x_to_rate
from .kernel import NEWTON_MAX_ITER, NEWTON_RTOL
from .status import IrrStatus

__all__ = [
    "ISOLATION_CACHE_DEPTH",
    "ISOLATION_MAX_DEPTH",
    "Isolator",
    "binomial_table",
    "newton",
]

ISOLATION_MAX_DEPTH = 40
"""Halvings of a half of the range before roots that cannot be separated
(closer than about 1e-12 in x, or a multiple root) are reported as several."""

ISOLATION_CACHE_DEPTH = 7
"""Transform matrices of dyadic pieces up to this depth are cached per call
(at most 2 x 255 matrices of T x T values, 7.4 MB for 60 periods)."""

_EPS = float(np.finfo(np.float64).eps)


def _horner_with_derivative(coef: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Value and derivative of ``sum_k coef[k] * x**k`` per series (Horner)."""
    p = coef[-1].copy()
    dp = np.zeros_like(p)
    for k in range(coef.shape[0] - 2, -1, -1):
        np.multiply(dp, x, out=dp)
        np.add(dp, p, out=dp)
        np.multiply(p, x, out=p)
        np.add(p, coef[k], out=p)
    return p, dp


def newton(coef: np.ndarray, a: np.ndarray, b: np.ndarray, pa: np.ndarray, pb: np.ndarray):
    """Root of ``sum_k coef[k] x**k`` in (a, b) per series, safeguarded Newton.

    A Newton step that leaves the current bracket, or that is not at most
    half the previous step, is replaced by bisection; the bracket shrinks
    with every evaluation.  Iteration stops when the step is below
    ``NEWTON_RTOL`` relative to x, the polynomial is exactly zero, or the
    bracket is narrower than that tolerance.  The compiled kernel takes the
    same steps (``_newton_tile`` in :mod:`~tecmodel.numerics.irr.kernel`).

    Parameters
    ----------
    coef : numpy.ndarray of float64, shape (T, m)
        Polynomial coefficients [-], power k in row k, one series per column.
    a, b : numpy.ndarray of float64, shape (m,)
        Bracket ends in x [-], ``a < b``.
    pa, pb : numpy.ndarray of float64, shape (m,)
        Polynomial values [-] at ``a`` and ``b``, of opposite signs.

    Returns
    -------
    numpy.ndarray of float64, shape (m,)
        Root in x [-].
    """
    m = coef.shape[1]
    a, b = a.copy(), b.copy()
    x = np.clip(a - pa * ((b - a) / (pb - pa)), a, b)  # false position
    negative_at_a = np.signbit(pa)
    previous = b - a
    root = np.empty(m)
    index = np.arange(m)  # output column of each working column
    running = np.ones(m, dtype=bool)  # working columns not yet converged
    # dp == 0 gives an infinite or NaN step, which fails the bracket test
    # below and is replaced by bisection; the warnings are therefore muted.
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(NEWTON_MAX_ITER):
            p, dp = _horner_with_derivative(coef, x)
            same_as_a = np.signbit(p) == negative_at_a
            np.copyto(a, x, where=same_as_a)
            np.copyto(b, x, where=~same_as_a)
            step = p / dp
            candidate = x - step
            done = np.abs(step) <= NEWTON_RTOL * x
            exact = p == 0.0
            if exact.any():
                np.copyto(candidate, x, where=exact)
                done |= exact
            bisect = ~((candidate > a) & (candidate < b))
            bisect |= np.abs(step) > 0.5 * np.abs(previous)
            bisect &= ~done
            np.copyto(candidate, 0.5 * (a + b), where=bisect)
            previous = candidate - x
            done |= b - a <= NEWTON_RTOL * b
            x = candidate
            done &= running
            if done.any():
                root[index[done]] = x[done]
                running &= ~done
                n_running = np.count_nonzero(running)
                if n_running == 0:
                    return root
                # converged columns ride along until a quarter can be dropped
                if n_running <= 0.75 * running.size:
                    keep = running
                    coef = coef[:, keep]
                    x, a, b, previous = x[keep], a[keep], b[keep], previous[keep]
                    negative_at_a, index = negative_at_a[keep], index[keep]
                    running = np.ones(n_running, dtype=bool)
    root[index[running]] = 0.5 * (a + b)[running]  # unreachable: width < 2**-100
    return root


@lru_cache(maxsize=16)
def binomial_table(n_periods: int) -> np.ndarray:
    """Binomial coefficients C(d, j) for d, j < n_periods.

    The compiled kernel builds its Mobius transforms with them
    (``_mobius_sign_changes`` in :mod:`~tecmodel.numerics.irr.kernel`).

    Parameters
    ----------
    n_periods : int
        Number of periods T [-].

    Returns
    -------
    numpy.ndarray of float64, shape (T, T)
        ``C(d, j)`` [-] in row d, column j; zero for j > d.
    """
    table = np.zeros((n_periods, n_periods))
    for degree in range(n_periods):
        for j in range(degree + 1):
            table[degree, j] = math.comb(degree, j)
    return table


def _mobius_matrix(n: int, alpha: float, beta: float) -> np.ndarray:
    """Matrix of the Mobius transform of a degree-n polynomial onto (alpha, beta).

    ``q = B @ c`` gives the coefficients (powers of u) of
    ``q(u) = (1 + u)**n * p((alpha + beta u)/(1 + u))`` for
    ``p(x) = sum_k c[k] x**k``; u in (0, inf) maps onto x in (alpha, beta),
    ``q[0] = p(alpha)`` and ``q[n] = p(beta)``.  Column k holds the
    coefficients of ``(alpha + beta u)**k (1 + u)**(n-k)``: sums of products
    of positive numbers, so the entries are positive and accurate.
    """
    matrix = np.empty((n + 1, n + 1))
    binomial = [np.ones(1)]
    for _ in range(n):
        binomial.append(np.convolve(binomial[-1], [1.0, 1.0]))
    power = np.ones(1)
    for k in range(n + 1):
        matrix[:, k] = np.convolve(power, binomial[n - k])
        power = np.convolve(power, [alpha, beta])
    return matrix


def _depth(heap: np.ndarray) -> np.ndarray:
    """Depth of dyadic pieces numbered 2**depth + index."""
    return np.floor(np.log2(heap.astype(np.float64))).astype(np.int64)


def _orient_columns(c: np.ndarray, columns: np.ndarray, negative_half: np.ndarray) -> np.ndarray:
    """Coefficients in x of the given columns, reversed for the negative half."""
    return orient(c[:, columns], negative_half)


class Isolator:
    """Exact root count in the admissible range by Descartes' rule and bisection.

    Each half of the range (r < 0 with x = 1 + r, r >= 0 with x = 1/(1 + r))
    is an x-interval; the number of sign changes V of the Mobius-transformed
    coefficients (:func:`_mobius_matrix`) bounds the roots inside an
    interval and has their parity: V = 0 proves no root, V = 1 exactly one.
    Intervals with V >= 2 (or an uncertain coefficient sign) are halved
    (Vincent-Collins-Akritas), down to ``ISOLATION_MAX_DEPTH`` halvings.
    Values at the ends of the range and at every split point come from one
    Horner evaluation per node, shared by the intervals that meet there; a
    value within its rounding-error bound of zero is a root on that node,
    counted once.

    Parameters
    ----------
    low, high : float
        Admissible range of the IRR [1/yr], ``-1 < low < high``.
    n_periods : int
        Number of periods T of the series [-].
    """

    def __init__(self, low: float, high: float, n_periods: int):
        self.n = n_periods - 1
        # (negative half, x at the lower end, x at the upper end, their rates)
        self.halves: list[tuple[bool, float, float, float, float]] = []
        if low < 0.0:
            top = min(high, 0.0)
            self.halves.append((True, 1.0 + low, 1.0 + top, low, top))
        if high > 0.0:
            bottom = max(low, 0.0)
            self.halves.append((False, 1.0 / (1.0 + high), 1.0 / (1.0 + bottom), high, bottom))
        self.negative = np.array([half[0] for half in self.halves])
        self.node_rates = sorted({low, high} | ({0.0} if low < 0.0 < high else set()))
        self._matrices: dict[tuple[int, int], np.ndarray] = {}

    def _matrix(self, half: int, heap: int) -> np.ndarray:
        """Transform onto dyadic piece ``heap`` (2**depth + index) of a half."""
        key = (half, heap)
        matrix = self._matrices.get(key)
        if matrix is None:
            depth = heap.bit_length() - 1
            _, x_low, x_high, _, _ = self.halves[half]
            width = (x_high - x_low) / 2.0**depth
            alpha = x_low + (heap - 2**depth) * width
            matrix = _mobius_matrix(self.n, alpha, alpha + width)
            if depth <= ISOLATION_CACHE_DEPTH:
                self._matrices[key] = matrix
        return matrix

    @staticmethod
    def _value(coef: np.ndarray, x) -> tuple[np.ndarray, np.ndarray]:
        """Horner value per column and whether it is zero within rounding."""
        value = horner(coef, x)
        bound = horner(np.abs(coef), x)
        return value, np.abs(value) <= 4.0 * coef.shape[0] * _EPS * bound

    def solve(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rates and statuses of normalised series that change sign.

        Parameters
        ----------
        c : numpy.ndarray of float64, shape (T, m)
            Cash flows divided by their largest absolute value [-], time on axis 0; every
            series has flows of both signs.

        Returns
        -------
        rate : numpy.ndarray of float64, shape (m,)
            The IRR [1/yr] where the status is OK, else NaN.
        status : numpy.ndarray of int8, shape (m,)
            :class:`~tecmodel.numerics.irr.status.IrrStatus` code per series.
        """
        n_t, m = c.shape
        roots = np.zeros(m, dtype=np.int64)
        unresolved = np.zeros(m, dtype=bool)
        # the single root of a series, if it ends up with one: node or bracket
        node_rate = np.full(m, np.nan)
        bracket = np.full((4, m), np.nan)  # a, b, p(a), p(b)
        bracket_half = np.zeros(m, dtype=np.int64)

        # nodes at the ends of the range (low, 0, high): value with the sign of NPV
        node_value = {}
        for rate in self.node_rates:
            if rate < 0.0:
                value, zero = self._value(c[::-1], np.array([1.0 + rate]))
            else:
                value, zero = self._value(c, np.array([1.0 / (1.0 + rate)]))
            value = np.where(zero, 0.0, value)
            roots += zero
            node_rate[zero] = rate
            node_value[rate] = value

        series, half, heap, p_low, p_high = [], [], [], [], []
        for h, (_, _, _, rate_low, rate_high) in enumerate(self.halves):
            v_low, v_high = node_value[rate_low], node_value[rate_high]
            series.append(np.arange(m))
            half.append(np.full(m, h))
            heap.append(np.ones(m, dtype=np.int64))
            p_low.append(v_low)
            p_high.append(v_high)
        series, half, heap = map(np.concatenate, (series, half, heap))
        p_low, p_high = np.concatenate(p_low), np.concatenate(p_high)
        tolerance = 8.0 * n_t * _EPS

        while series.size:
            alive = (roots[series] < 2) & ~unresolved[series]
            series, half, heap = series[alive], half[alive], heap[alive]
            p_low, p_high = p_low[alive], p_high[alive]
            if not series.size:
                break
            negative = self.negative[half]
            coef = _orient_columns(c, series, negative)
            transformed = np.empty((n_t, series.size))
            scale = np.empty((n_t, series.size))
            key = heap * len(self.halves) + half
            order = np.argsort(key, kind="stable")
            bounds = np.flatnonzero(np.diff(key[order])) + 1
            for group in np.split(order, bounds):
                matrix = self._matrix(int(half[group[0]]), int(heap[group[0]]))
                block = coef[:, group]
                transformed[:, group] = np.einsum("jk,km->jm", matrix, block)
                scale[:, group] = np.einsum("jk,km->jm", matrix, np.abs(block))
            transformed[0], transformed[-1] = p_low, p_high
            uncertain = np.abs(transformed[1:-1]) <= tolerance * scale[1:-1]
            unknown = uncertain.any(axis=0)
            sign = np.sign(transformed)
            changes = np.count_nonzero(sign[1:] * sign[:-1] < 0.0, axis=0)

            isolated = ~unknown & (changes == 1)
            if isolated.any():
                np.add.at(roots, series[isolated], 1)
                depth = _depth(heap[isolated])
                x_low, width = self._piece(half[isolated], heap[isolated], depth)
                target = series[isolated]
                bracket[0, target] = x_low
                bracket[1, target] = x_low + width
                bracket[2, target] = p_low[isolated]
                bracket[3, target] = p_high[isolated]
                bracket_half[target] = half[isolated]

            split = unknown | (changes >= 2)
            too_deep = split & (_depth(heap) >= ISOLATION_MAX_DEPTH)
            unresolved[series[too_deep]] = True
            split &= ~too_deep
            if not split.any():
                break
            series, half, heap = series[split], half[split], heap[split]
            p_low, p_high, coef = p_low[split], p_high[split], coef[:, split]
            x_low, width = self._piece(half, heap, _depth(heap))
            middle = x_low + 0.5 * width
            p_middle, zero = self._value(coef, middle)
            p_middle = np.where(zero, 0.0, p_middle)
            if zero.any():
                np.add.at(roots, series[zero], 1)
                negative = self.negative[half]
                node_rate[series[zero]] = x_to_rate(middle, negative)[zero]
            series = np.concatenate([series, series])
            half = np.concatenate([half, half])
            heap = np.concatenate([2 * heap, 2 * heap + 1])
            p_low, p_high = np.concatenate([p_low, p_middle]), np.concatenate([p_middle, p_high])

        rate = np.full(m, np.nan)
        status = np.full(m, IrrStatus.SEVERAL, dtype=np.int8)
        status[roots == 0] = IrrStatus.NONE_IN_RANGE
        single = (roots == 1) & ~unresolved
        status[single] = IrrStatus.OK
        status[unresolved] = IrrStatus.SEVERAL
        on_node = single & np.isfinite(node_rate)
        rate[on_node] = node_rate[on_node]
        inside = np.flatnonzero(single & ~on_node)
        if inside.size:
            negative = self.negative
            negative = negative[bracket_half[inside]]
            coef = _orient_columns(c, inside, negative)
            a, b, pa, pb = bracket[:, inside]
            rate[inside] = x_to_rate(newton(coef, a, b, pa, pb), negative)
        return rate, status

    def _piece(self, half: np.ndarray, heap: np.ndarray, depth: np.ndarray):
        """Lower end and width in x of dyadic pieces."""
        x_low = np.array([h[1] for h in self.halves])[half]
        x_high = np.array([h[2] for h in self.halves])[half]
        width = (x_high - x_low) / 2.0**depth
        return x_low + (heap - 2**depth) * width, width
