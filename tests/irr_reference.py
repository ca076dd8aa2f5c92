"""Whole-array numpy reference of the IRR solver's grid pass, certificate and Newton step.

The compiled kernel (:mod:`tecmodel.numerics.irr.kernel`) settles each series in one compiled
loop; this module does steps 1 to 3 of the method (:mod:`tecmodel.numerics.irr.solver`) on
whole (year, series) arrays instead, block by block, with the package's own grid, Newton
iteration and exact isolation.  The kernel performs the same floating-point operations in the
same order for the grid values, the repeated sums and Newton's method, so the tests expect
identical statuses and bit-identical rates from both, except for the series that the kernel's
Mobius test settles and this reference isolates (rates then agree to about 1e-15).
``benchmarks/bench_irr.py`` times it against the kernel.
"""

from __future__ import annotations

import numpy as np

from tecmodel.numerics.irr import IrrStatus
from tecmodel.numerics.irr.certificate import CERTIFICATE_LEVELS, TAIL_MATRICES, fold_weights
from tecmodel.numerics.irr.grid import Grid, horner, orient, rate_grid, x_to_rate
from tecmodel.numerics.irr.isolation import Isolator, newton
from tecmodel.numerics.irr.solver import ISOLATION_BATCH

BLOCK_SERIES = 8_192
"""Series processed together by :meth:`ReferenceSolver.run`.  A temporary holds at most (grid
points or periods) x ``BLOCK_SERIES`` float64 values (3.9 MB for 60 periods), so memory does
not grow with the number of series; the block also keeps the Horner arrays close to the CPU
cache (1 MB L2 per core here), which measured faster than blocks of 16,384 or more."""

EPS = float(np.finfo(np.float64).eps)
UNPROVEN = 1_000_000
"""Sign-change count of a Descartes test with an uncertain sign: proves nothing."""


def grid_values(grid: Grid, c: np.ndarray) -> np.ndarray:
    """Sign-exact NPV surrogates of normalised series at every node, rate order.

    Rows for r < 0 hold F(1 + r) (future value at the final period), rows for r >= 0 hold
    P(1/(1 + r)) (present value); both have the sign of NPV(r) and are bounded by the sum of
    the absolute flows.

    Parameters
    ----------
    grid : Grid
        The rate grid.
    c : numpy.ndarray of float64, shape (T, m)
        Normalised cash flows [-].

    Returns
    -------
    numpy.ndarray of float64, shape (G, m)
        Values [-] per node and series.
    """
    out = np.empty((grid.rates.size, c.shape[1]))
    if grid.n_neg:
        out[: grid.n_neg] = horner(c[::-1], grid.x[: grid.n_neg, None])
    if grid.n_neg < grid.rates.size:
        out[grid.n_neg :] = horner(c, grid.x[grid.n_neg :, None])
    return out


def column_count(flags: np.ndarray) -> np.ndarray:
    """Number of True entries per column of a 2-D bool array.

    Summing the bytes with a small accumulator is about ten times faster
    than ``count_nonzero(axis=0)``.
    """
    dtype = np.uint16 if flags.shape[0] < 2**16 else np.int64
    return np.add.reduce(flags.view(np.uint8), axis=0, dtype=dtype)


def count_brackets(values: np.ndarray):
    """Count the roots that grid values reveal, per series (column).

    A root is a node where the value is exactly zero, or a cell whose two
    (non-zero) end values differ in sign, so a root on a node is counted once.

    Returns
    -------
    count : (m,) int
    where : (m,) int
        Where ``count == 1``: the zero node, or else the first node j of the
        sign-changing cell (j, j + 1).  Meaningless elsewhere.
    on_node : (m,) bool
        A node value is exactly zero.
    """
    negative = np.signbit(values)
    change = negative[1:] != negative[:-1]
    zero = values == 0.0
    on_node = zero.any(axis=0)
    node = np.arange(values.shape[0], dtype=np.uint16)[:, None]
    where = np.add.reduce(change * node[:-1], axis=0, dtype=np.int64)
    count = column_count(change).astype(np.int64)
    if on_node.any():
        change &= ~zero[1:]
        change &= ~zero[:-1]
        count = column_count(change) + column_count(zero).astype(np.int64)
        where = np.where(
            on_node,
            np.add.reduce(zero * node, axis=0, dtype=np.int64),
            np.add.reduce(change * node[:-1], axis=0, dtype=np.int64),
        )
    return count, where, on_node


def cell_bracket(grid: Grid, values: np.ndarray, where: np.ndarray, columns: np.ndarray):
    """Bracket in x of the sign-changing cell of the given series (columns).

    Returns the half of each cell (True below r = 0), its ends a < b in x and
    the values pa, pb there.
    """
    j0 = where[columns]
    v0, v1 = values[j0, columns], values[j0 + 1, columns]
    x0, x1 = grid.x[j0], grid.x[j0 + 1]
    negative_half = grid.rates[j0] < 0.0
    # below 0, x = 1 + r grows with the rate; from 0 on, x = 1/(1 + r) falls
    a = np.where(negative_half, x0, x1)
    b = np.where(negative_half, x1, x0)
    pa = np.where(negative_half, v0, v1)
    pb = np.where(negative_half, v1, v0)
    return negative_half, a, b, pa, pb


def sign_changes(values: np.ndarray, counted: np.ndarray | None, tol: float) -> np.ndarray:
    """Sign changes along axis 0, or ``UNPROVEN`` where a sign is uncertain.

    ``counted`` (same shape, or None for all) marks the entries that take
    part; the entries before it are exact zeros (leading zero flows) and are
    skipped, as Descartes' rule skips zero coefficients.  An entry not above
    ``tol`` in magnitude has an uncertain sign.
    """
    negative = np.signbit(values)
    change = negative[1:] != negative[:-1]
    magnitude = np.abs(values)
    if counted is not None:
        change &= counted[:-1]
        magnitude[~counted] = np.inf
    changes = column_count(change).astype(np.int64)
    changes[magnitude.min(axis=0) <= tol] = UNPROVEN
    return changes


def accumulate(sums: np.ndarray) -> None:
    """Prefix sums along axis 0, in place (row by row: fast for C order)."""
    for k in range(1, sums.shape[0]):
        np.add(sums[k], sums[k - 1], out=sums[k])


def certify(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Prove that ``f(x) = sum_k coef[k] x**k`` has at most one positive root.

    Descartes' rule of signs on the ``CERTIFICATE_LEVELS``-fold prefix and suffix sums of the
    discounted coefficients ``coef[k] x_p**k`` and on their polynomial tails, every sign within
    twice its rounding-error bound counted as unknown (the mathematics is in
    :mod:`tecmodel.numerics.irr.certificate`).

    Parameters
    ----------
    coef : numpy.ndarray of float64, shape (T, m)
        Polynomial coefficients [-], power k in row k, columns normalised to max |coef| = 1.
    x : numpy.ndarray of float64, shape (m,)
        Pivot x_p in (0, 1] [-], not a root.

    Returns
    -------
    numpy.ndarray of bool, shape (m,)
        True where at most one positive root (counted with multiplicity) is proven.
    """
    n_t, m = coef.shape
    level = CERTIFICATE_LEVELS
    prefix = np.empty_like(coef)
    prefix[0] = coef[0]
    power = x.copy()
    for k in range(1, n_t):
        np.multiply(coef[k], power, out=prefix[k])
        power *= x
    suffix = prefix[::-1].copy()
    if bool(np.all(coef[0] != 0.0)) and bool(np.all(coef[-1] != 0.0)):
        counted = (None, None)
    else:
        nonzero = coef != 0.0
        k = np.arange(n_t)[:, None]
        counted = (k >= np.argmax(nonzero, axis=0), k >= np.argmax(nonzero[::-1], axis=0))
    # Rounding-error bound of the level-fold sums: every entry is at most
    # (level + 1) T eps times the same sums of |d| (powers, additions), and
    # those grow with the index, so their last entry bounds all of them.
    # (einsum, not matmul: no BLAS threads, and every column is summed the
    # same way whatever the other columns, so results do not depend on blocks)
    scale = np.einsum("sk,km->sm", fold_weights(n_t, level), np.abs(prefix))
    tol = 2.0 * (level + 1) * n_t * EPS * scale
    bound = np.zeros(m, dtype=np.int64)
    for side, (sums, skip) in enumerate(((prefix, counted[0]), (suffix, counted[1]))):
        last = np.empty((level, m))  # S_level(T-1), ..., S_1(T-1)
        for j in range(1, level + 1):
            accumulate(sums)
            last[level - j] = sums[-1]
        bound += sign_changes(sums, skip, tol[side])
        if level > 1:
            tail = np.einsum("ij,jm->im", TAIL_MATRICES[level], last)
            bound += sign_changes(tail, None, level * tol[side])
    return bound <= 1


class ReferenceSolver:
    """Steps 1 to 3 on whole arrays, then the package's exact isolation.

    Parameters
    ----------
    low, high : float
        Admissible range of the IRR [1/yr], ``-1 < low < high``.
    grid_points : int
        Nodes of the rate grid [-].
    n_periods : int
        Number of periods T of the series [-].
    """

    def __init__(self, low: float, high: float, grid_points: int, n_periods: int):
        self.grid = Grid(rate_grid(low, high, grid_points))
        self.isolator = Isolator(float(low), float(high), n_periods)

    def run(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rates [1/yr] and int8 statuses of all series of ``flat`` (T, n) [EUR].

        Series that neither the grid nor the certificate settle are collected over blocks of
        ``BLOCK_SERIES`` and isolated exactly in batches of ``ISOLATION_BATCH``.
        """
        n_series = flat.shape[1]
        rate = np.full(n_series, np.nan)
        status = np.full(n_series, IrrStatus.NO_SIGN_CHANGE, dtype=np.int8)
        pending_index: list[np.ndarray] = []
        pending_flows: list[np.ndarray] = []
        n_pending = 0
        for start in range(0, n_series, BLOCK_SERIES):
            stop = min(start + BLOCK_SERIES, n_series)
            index, c = self._solve_block(flat[:, start:stop], rate[start:stop], status[start:stop])
            if index.size:
                pending_index.append(index + start)
                pending_flows.append(c)
                n_pending += index.size
            if n_pending >= ISOLATION_BATCH or (stop == n_series and n_pending):
                index = np.concatenate(pending_index)
                rate[index], status[index] = self.isolator.solve(np.concatenate(pending_flows, 1))
                pending_index, pending_flows, n_pending = [], [], 0
        return rate, status

    def _solve_block(self, flows: np.ndarray, rate: np.ndarray, status: np.ndarray):
        """Fill ``rate`` and ``status`` (m,) for the flows (T, m) of one block.

        Returns the block columns left to the exact isolation, with their normalised flows.
        """
        largest, smallest = flows.max(axis=0), flows.min(axis=0)
        finite = np.isfinite(largest) & np.isfinite(smallest)
        both_signs = finite & (largest > 0.0) & (smallest < 0.0)
        status[:] = np.where(finite, IrrStatus.NO_SIGN_CHANGE, IrrStatus.NON_FINITE)
        if not both_signs.any():
            return np.empty(0, dtype=np.int64), None
        if both_signs.all():
            index = np.arange(flows.shape[1])
            c = flows * (1.0 / np.maximum(largest, -smallest))
        else:
            index = np.flatnonzero(both_signs)
            c = flows[:, index] * (1.0 / np.maximum(largest[index], -smallest[index]))
        r, s, hard = self._solve_normalised(c)
        rate[index], status[index] = r, s
        return index[hard], c[:, hard]

    def _solve_normalised(self, c: np.ndarray):
        """Grid, Newton and certificate for normalised series (T, m).

        Returns rates, statuses and the columns that need exact isolation.
        """
        m = c.shape[1]
        rate = np.full(m, np.nan)
        status = np.full(m, IrrStatus.SEVERAL, dtype=np.int8)
        values = grid_values(self.grid, c)
        count, where, on_node = count_brackets(values)
        hard = on_node.copy()  # a root on a node: left to the isolation

        one = np.flatnonzero((count == 1) & ~on_node)
        if one.size:
            c_one = c if one.size == m else c[:, one]
            negative_half, a, b, pa, pb = cell_bracket(self.grid, values, where, one)
            coef = orient(c_one, negative_half)
            x = newton(coef, a, b, pa, pb)
            proven = certify(coef, a)
            if not proven.all():
                retry = np.flatnonzero(~proven)
                proven[retry] = certify(coef[:, retry], b[retry])
            rate[one] = np.where(proven, x_to_rate(x, negative_half), np.nan)
            status[one] = IrrStatus.OK
            hard[one[~proven]] = True

        none = np.flatnonzero(count == 0)
        if none.size:
            # pivot: the node with the smallest |NPV surrogate|, nearest to a root
            pivot = np.argmin(np.abs(values[:, none]), axis=0)
            coef = orient(c[:, none], self.grid.rates[pivot] < 0.0)
            proven = certify(coef, self.grid.x[pivot])
            status[none] = IrrStatus.NONE_IN_RANGE
            hard[none[~proven]] = True
        return rate, status, hard
