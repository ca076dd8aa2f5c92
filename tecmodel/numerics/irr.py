"""Internal rate of return (IRR) and net present value (NPV) kernels.

This module owns the two discounting kernels of the package and their
conventions; every other module computes NPV and IRR through it.

Conventions
-----------
* A cash-flow series ``cf_0, cf_1, ..., cf_{T-1}`` [EUR] is indexed by period,
  and the first value is at t = 0 (undiscounted), as in
  ``numpy_financial.npv`` and ``numpy_financial.irr``::

      NPV(r) = sum_t cf_t / (1 + r)**t

  with the discount rate r [1/yr] per period (a year in this package).
* The internal rate of return is a rate r with NPV(r) = 0.  It is reported
  only when it is *unique* inside the admissible range ``[low, high]``; every
  other situation gets a status code (:data:`IRR_STATUS`) and a NaN rate.  No
  root is ever chosen silently among several.
* Arrays may have any number of dimensions; ``axis`` names the time axis.  The
  fast layout is time on axis 0 with the series contiguous along the last
  axis, shape ``(year, sample)`` ("sample last").

How :func:`irr` works
---------------------
With the discount factor g = 1/(1 + r), NPV is the polynomial
``P(g) = sum_t cf_t g**t``.  To keep every evaluation bounded (no overflow for
any series length, flows of any magnitude) the rate range is split at r = 0:

* r >= 0: evaluate ``P(x)`` with x = 1/(1 + r) in (0, 1];
* r < 0: evaluate the future-value polynomial ``F(x) = x**(T-1) * P(1/x)
  = sum_t cf_t x**(T-1-t)`` with x = 1 + r in (0, 1), which has the sign of
  NPV(r).

Both are polynomials in a variable x in (0, 1] (one with the coefficients in
reverse order), evaluated by Horner's scheme over the time axis.  Each series
is first normalised by its largest absolute flow, so every value is bounded
by T.

The common path is one compiled loop (numba, :func:`_solve_tiles`): the
series are cut into tiles of ``TILE_SERIES``, the tiles are shared among
numba's threads, and each tile goes through steps 1 to 3 without leaving
compiled code (:func:`_solve_tile`).  Loops that treat every series of a tile
alike (normalisation, grid values, Newton's Horner passes) run across the
series, so that the compiler can vectorise them; the rest runs series by
series.

1. *Grid pass.*  The NPV sign is evaluated on a grid of ``grid_points``
   rates (:func:`rate_grid`).  A node value of exactly zero is a root on
   that node, and a cell whose end values differ in sign holds an odd
   number of roots, so each observed root is counted once.  Two or more
   observed roots prove status 2.
2. *Certificate.*  The grid cannot see two roots inside one cell, nor a
   tangent root, so one observed sign change does not prove one root.
   Descartes' rule of signs on repeated partial sums proves it for most
   series at the cost of a few passes: with the discounted flows
   ``d_t = cf_t / (1 + p)**t`` at a pivot rate p (an end of the bracket),
   the IRRs above p are at most the sign changes of the prefix sums of d
   (the cumulative discounted cash flow) and the IRRs below p at most those
   of the suffix sums; repeating the summation (``CERTIFICATE_LEVELS`` = 5
   times) can only tighten the bounds (p = 0 with one summation is
   Norstrom's criterion).  When the bounds add up to at most one, the one
   observed sign change is the only root.  With no observed sign change it
   proves status 3.  Signs within their rounding-error bound count as
   unknown and the certificate then fails.  That certificate counts the
   roots at all rates above -100 %; where it fails, Descartes' rule on the
   Mobius transforms of the cell, the rest of its half and the other half
   of the admissible range (:func:`_descartes_proves`) counts the roots of
   the range only, and settles most of the rest.
3. *Refinement.*  A series with one proven root is solved by safeguarded
   Newton iteration inside its cell (a step leaving the shrinking bracket,
   or not halving the previous step, is replaced by bisection) until the
   step is below 1e-14 relative to x; the derivative comes from the same
   Horner pass.  The Newton iterations of a tile run side by side.
4. *Exact isolation.*  The few series left (a root exactly on a node, or
   no proof: typically several roots, or complex roots close to the real
   axis) are counted exactly in numpy by :class:`_Isolator`: Descartes' rule
   on Mobius-transformed intervals with bisection (the Vincent-Collins-Akritas
   method), then Newton on the isolated root, in batches of
   ``ISOLATION_BATCH``.  Of a million project cash flows (those of the
   benchmark), a few dozen 21-year series get there, about 8,000 30-year
   series.

So the status is an exact root count, not a grid artefact: two IRRs inside
one grid cell give status 2, a simple root on a grid node is counted once.
The remaining limit is float64 resolution: roots that cannot be separated
(a tangent, i.e. double, root, or roots closer than about 1e-12 in x after
``ISOLATION_MAX_DEPTH`` halvings, or a complex pair that close to the real
axis) are counted as several: such a series gets status 2 and never a
rate.  Apart from that, the only perturbation of the polynomial is the
normalisation of the flows (one rounding per flow).

The whole-array numpy implementation of steps 1 to 3
(:meth:`_Solver.run_reference`, blocks of ``BLOCK_SERIES``) is kept as the
reference the compiled path is tested against: the compiled loop performs
the same floating-point operations in the same order for the grid values,
the repeated sums and Newton's method, so statuses are identical and rates
bit-identical, except for the series settled by the Mobius test, which the
reference isolates instead (rates then agree to about 1e-15).

Reproducibility and threads
---------------------------
The result of a series depends on its own flows only: every operation of
the compiled loop involves one series, the same instructions run whatever
the tile, the batch or the thread that computes it, and the isolation is
per series too.  So results are bit-identical however a batch is split or
ordered, and whatever the number of threads.  The compiled loop uses
numba's thread count (``NUMBA_NUM_THREADS``, or ``numba.set_num_threads``
in the calling thread), fewer for small batches (one thread per
``TILES_PER_THREAD`` tiles); calls from several Python threads are
serialised.
numba is imported on the first call of :func:`irr`, and the compiled code
is cached on disk (``tecmodel/__pycache__``): the first call after an
installation or a change of this file compiles it (several seconds), later
processes load it (a fraction of a second, plus numba's import).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["IRR_STATUS", "IrrResult", "irr", "npv", "rate_grid"]

IRR_STATUS: dict[int, str] = {
    0: "ok",
    1: "no sign change in the cash flows",
    2: "several IRRs in the admissible range",
    3: "no IRR in the admissible range",
    4: "non-finite cash flows",
}
"""Status code of an IRR result -> reason.  Only code 0 carries a rate."""

#: CF-style attributes of a status variable: its codes and their reasons.
IRR_STATUS_ATTRS: dict[str, object] = {
    "flag_values": list(IRR_STATUS),
    "flag_meanings": " ".join(reason.replace(" ", "_") for reason in IRR_STATUS.values()),
}

STATUS_OK = 0
STATUS_NO_SIGN_CHANGE = 1
STATUS_SEVERAL = 2
STATUS_NONE_IN_RANGE = 3
STATUS_NON_FINITE = 4

BLOCK_SERIES = 8_192
"""Series processed together by the numpy reference path
(:meth:`_Solver.run_reference`).  A temporary holds at most (grid points or
periods) x ``BLOCK_SERIES`` float64 values (3.9 MB for 60 periods), so memory
does not grow with the number of series; the block also keeps the Horner
arrays close to the CPU cache (1 MB L2 per core here), which measured faster
than blocks of 16,384 or more."""

NEWTON_RTOL = 1e-14
"""Newton stops when its step in x is below this fraction of x [-]."""

NEWTON_MAX_ITER = 200
"""Iteration cap; bisection halves the bracket at least every second
iteration, so 200 iterations reach the float64 resolution of any bracket."""

ISOLATION_MAX_DEPTH = 40
"""Halvings of a half of the range before roots that cannot be separated
(closer than about 1e-12 in x, or a multiple root) are reported as several."""

ISOLATION_CACHE_DEPTH = 7
"""Transform matrices of dyadic pieces up to this depth are cached per call
(at most 2 x 255 matrices of T x T values, 7.4 MB for 60 periods)."""

ISOLATION_BATCH = 2_048
"""Series left to the exact isolation are collected over blocks and solved
together, so that its per-round overhead is shared."""

BAND = (-0.5, 1.0)
"""Rates [1/yr] where project IRRs are expected; the grid is
``BAND_DENSITY`` times denser there."""

BAND_DENSITY = 4.0

CERTIFICATE_LEVELS = 5
"""Deepest repeated partial sum (j-fold) tried by the root-count certificate."""

_EPS = float(np.finfo(np.float64).eps)
_UNPROVEN = 1_000_000
_TINY_POWER = 1e-280


@dataclass(frozen=True)
class IrrResult:
    """Internal rates of return of many cash-flow series with their status.

    Attributes
    ----------
    rate : numpy.ndarray of float64
        Internal rate of return per series [1/yr]; NaN where ``status != 0``.
    status : numpy.ndarray of int8
        Status code per series, a key of :data:`IRR_STATUS`; same shape as
        ``rate``.
    """

    rate: np.ndarray
    status: np.ndarray

    def reasons(self) -> np.ndarray:
        """Return the reason text of every status code.

        Returns
        -------
        numpy.ndarray of object
            ``IRR_STATUS[status]`` per series, same shape as ``status``.
        """
        table = np.empty(max(IRR_STATUS) + 1, dtype=object)
        for code, reason in IRR_STATUS.items():
            table[code] = reason
        return table[self.status]


def npv(rate, cash_flows, axis=0) -> np.ndarray:
    """Net present value of cash-flow series, first flow at t = 0.

    ``NPV = sum_t cf_t / (1 + rate)**t``, evaluated by Horner's scheme over the
    time axis (one vectorised multiply-add per period for all series).

    Parameters
    ----------
    rate : float or array_like
        Discount rate per period [1/yr], greater than -1.  Broadcast against
        the series, i.e. against the shape of ``cash_flows`` without ``axis``
        (a scalar, or one rate per series).  NaN rates give NaN.
    cash_flows : array_like
        Cash flows [EUR]; ``axis`` is the time axis.
    axis : int, optional
        Time axis of ``cash_flows``.  Default 0 (the fast layout).

    Returns
    -------
    numpy.ndarray of float64
        NPV per series [EUR], shape ``broadcast(rate, series shape)``.

    Raises
    ------
    ValueError
        If a rate is at most -1 or ``cash_flows`` has no time axis.

    Examples
    --------
    >>> round(float(npv(0.08, [-40_000, 5_000, 8_000, 12_000, 30_000])), 5)
    3065.22267
    """
    flows = np.moveaxis(np.asarray(cash_flows, dtype=np.float64), axis, 0)
    rate = np.asarray(rate, dtype=np.float64)
    if np.any(rate <= -1.0):
        raise ValueError("npv: discount rates must be greater than -1 [1/yr]")
    shape = np.broadcast_shapes(rate.shape, flows.shape[1:])
    if flows.shape[0] == 0:
        return np.zeros(shape)
    g = 1.0 / (1.0 + rate)
    acc = np.array(np.broadcast_to(flows[-1], shape), dtype=np.float64)
    for t in range(flows.shape[0] - 2, -1, -1):
        acc *= g
        acc += flows[t]
    return acc


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
    """Rates [1/yr] at which :func:`irr` brackets the roots of NPV.

    The nodes are uniform in the continuously compounded rate
    y = ln(1 + r) = -ln(g): a step dy changes every discount factor g**t by
    the same relative amount t*dy, so equal steps in y resolve the NPV
    polynomial equally well at all rates, and ``(1 + r)`` is spaced
    geometrically (from 1% of the principal at r = -0.99 to 11 times it at
    r = 10).  Inside the band of expected project rates, ``BAND`` = -50 % ...
    +100 %, the nodes are ``BAND_DENSITY`` = 4 times denser.  ``low``,
    ``high`` and, when ``low < 0 < high``, r = 0 are nodes.

    The root count of :func:`irr` does not rest on the grid (see the module
    docstring), so the grid only has to supply brackets for Newton's method
    and pivots for the certificate.  Each node costs one Horner pass per
    series, while halving the bracket saves less than one Newton iteration
    (two passes); timed on project cash flows, 12 to 20 nodes are equally
    fast and the default is 16.  With the default range the band nodes are
    then 0.19 apart in y (-17 %, 0, 20.5 %, 45 %, 75 %), the outer ones 0.74.

    Parameters
    ----------
    low, high : float
        Admissible range of the IRR [1/yr], ``-1 < low < high``.
    grid_points : int
        Number of nodes, at least 8.

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


def _horner(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Evaluate ``sum_k coef[k] * x**k`` for every row of ``x``.

    ``coef`` has shape (T, m) (power k in row k), ``x`` shape (G, 1) or (m,);
    the result has shape (G, m) or (m,).
    """
    acc = np.empty(np.broadcast_shapes(x.shape, coef.shape[1:]))
    acc[...] = coef[-1]
    for k in range(coef.shape[0] - 2, -1, -1):
        np.multiply(acc, x, out=acc)
        np.add(acc, coef[k], out=acc)
    return acc


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


class _Grid:
    """Nodes of a rate grid with their bounded variable x (see module docstring)."""

    def __init__(self, rates: np.ndarray):
        self.rates = rates
        self.n_neg = int(np.count_nonzero(rates < 0.0))
        # x of every node in its own half: 1 + r below 0, 1/(1 + r) from 0 on
        self.x = np.where(rates < 0.0, 1.0 + rates, 1.0 / (1.0 + rates))

    def values(self, c: np.ndarray) -> np.ndarray:
        """Sign-exact NPV surrogates at every node, shape (G, m), rate order.

        Rows for r < 0 hold F(1 + r) (future value at the final period), rows
        for r >= 0 hold P(1/(1 + r)) (present value); both have the sign of
        NPV(r) and are bounded by the sum of the absolute flows.
        """
        out = np.empty((self.rates.size, c.shape[1]))
        if self.n_neg:
            out[: self.n_neg] = _horner(c[::-1], self.x[: self.n_neg, None])
        if self.n_neg < self.rates.size:
            out[self.n_neg :] = _horner(c, self.x[self.n_neg :, None])
        return out


def _column_count(flags: np.ndarray) -> np.ndarray:
    """Number of True entries per column of a 2-D bool array.

    Summing the bytes with a small accumulator is about ten times faster
    than ``count_nonzero(axis=0)``.
    """
    dtype = np.uint16 if flags.shape[0] < 2**16 else np.int64
    return np.add.reduce(flags.view(np.uint8), axis=0, dtype=dtype)


def _count_brackets(values: np.ndarray):
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
    count = _column_count(change).astype(np.int64)
    if on_node.any():
        change &= ~zero[1:]
        change &= ~zero[:-1]
        count = _column_count(change) + _column_count(zero).astype(np.int64)
        where = np.where(
            on_node,
            np.add.reduce(zero * node, axis=0, dtype=np.int64),
            np.add.reduce(change * node[:-1], axis=0, dtype=np.int64),
        )
    return count, where, on_node


def _orient(c: np.ndarray, negative_half: np.ndarray) -> np.ndarray:
    """Coefficients of the polynomial in x for each series' half (T, m)."""
    if not negative_half.any():
        return c
    if negative_half.all():
        return np.ascontiguousarray(c[::-1])
    return np.where(negative_half, c[::-1], c)


def _cell_bracket(grid: _Grid, values: np.ndarray, where: np.ndarray, columns: np.ndarray):
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


def _newton(coef: np.ndarray, a: np.ndarray, b: np.ndarray, pa: np.ndarray, pb: np.ndarray):
    """Root of ``sum_k coef[k] x**k`` in (a, b) per series, safeguarded Newton.

    ``pa`` and ``pb`` are the polynomial values at ``a`` and ``b`` and have
    opposite signs.  A Newton step that leaves the current bracket, or that
    is not at most half the previous step, is replaced by bisection; the
    bracket shrinks with every evaluation.  Iteration stops when the step is
    below ``NEWTON_RTOL`` relative to x, the polynomial is exactly zero, or
    the bracket is narrower than that tolerance.

    Returns
    -------
    (m,) float64
        Root in x.
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


def _x_to_rate(x: np.ndarray, negative_half: np.ndarray) -> np.ndarray:
    """Rate [1/yr] from the half's variable: r = x - 1 below 0, (1 - x)/x from 0 on."""
    return np.where(negative_half, x - 1.0, (1.0 - x) / x)


def _tail_matrix(level: int) -> np.ndarray:
    """Monomial coefficients of the tail of the level-fold partial sums.

    Beyond the last period the level-j partial sums continue as
    ``S_j(T-1+n) = sum_{i=1..j} S_i(T-1) * C(n + j - i - 1, j - i)`` for
    n >= 0, a polynomial in n.  Row q of the returned (j, j) matrix holds the
    coefficient of n**q as a combination of ``[S_j(T-1), ..., S_1(T-1)]``.
    """
    matrix = np.zeros((level, level))
    for column, i in enumerate(range(level, 0, -1)):
        order = level - i
        # C(n + order - 1, order) = prod_{q < order} (n + order - 1 - q) / order!
        roots = [q - (order - 1) for q in range(order)]
        coefficients = np.polynomial.polynomial.polyfromroots(roots) / math.factorial(order)
        matrix[: coefficients.size, column] = coefficients
    return matrix


_TAIL_MATRICES = {level: _tail_matrix(level) for level in range(1, CERTIFICATE_LEVELS + 1)}


@lru_cache(maxsize=64)
def _fold_weights(n_periods: int, level: int) -> np.ndarray:
    """Weights of the level-fold prefix (row 0) and suffix (row 1) sums at the end.

    The level-fold prefix sum of a sequence ``a`` at index T-1 is
    ``sum_k a_k C(T-1-k+level-1, level-1)``.
    """
    weight = np.array(
        [math.comb(n_periods - 1 - k + level - 1, level - 1) for k in range(n_periods)],
        dtype=float,
    )
    weights = np.stack([weight, weight[::-1]])
    weights.setflags(write=False)
    return weights


@lru_cache(maxsize=16)
def _binomial_table(n_periods: int) -> np.ndarray:
    """Binomial coefficients C(d, j) [1] for d, j < n_periods, shape (T, T), float64."""
    table = np.zeros((n_periods, n_periods))
    for degree in range(n_periods):
        for j in range(degree + 1):
            table[degree, j] = math.comb(degree, j)
    return table


def _sign_changes(values: np.ndarray, counted: np.ndarray | None, tol: float) -> np.ndarray:
    """Sign changes along axis 0, or ``_UNPROVEN`` where a sign is uncertain.

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
    changes = _column_count(change).astype(np.int64)
    changes[magnitude.min(axis=0) <= tol] = _UNPROVEN
    return changes


def _accumulate(sums: np.ndarray) -> None:
    """Prefix sums along axis 0, in place (row by row: fast for C order)."""
    for k in range(1, sums.shape[0]):
        np.add(sums[k], sums[k - 1], out=sums[k])


def _certify(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Prove that ``f(x) = sum_k coef[k] x**k`` has at most one positive root.

    Let ``d_k = coef[k] * x_p**k`` at the pivot ``x_p`` > 0 (not a root).
    The roots of f in (0, x_p) are the roots of ``f(x_p u)`` for u in (0, 1);
    dividing by ``(1 - u)**j`` (positive there) gives a power series whose
    coefficients are the j-fold prefix sums of ``d``, so by Descartes' rule
    of signs (valid for power series inside their disc of convergence) the
    roots in (0, x_p), with multiplicity, number at most the sign changes of
    the j-fold prefix sums continued to infinity; likewise the roots in
    (x_p, inf) with the j-fold suffix sums (from ``u**(T-1) f(x_p/u)``).
    j = 1 with x_p = 1 is Norstrom's cumulative-cash-flow criterion; the
    sign changes do not increase with j, and j = ``CERTIFICATE_LEVELS`` is
    used.  Beyond the last period the j-fold sums are a polynomial in the
    index whose sign changes are bounded by Descartes' rule on its
    coefficients (:func:`_tail_matrix`).

    Magnitudes stay bounded (x_p <= 1, normalised coefficients, |j-fold
    sums| <= T**j).  A sign is trusted only above twice the rounding-error
    bound ``(j + 1) T eps A`` with A the j-fold sum of |d| at the last index
    (which bounds the sums of |d| at every index); an uncertain sign leaves
    the series unproven.

    Parameters
    ----------
    coef : (T, m) float64, columns normalised to max |coef| = 1
    x : (m,) float64 pivot in (0, 1]

    Returns
    -------
    (m,) bool
        True where at most one positive root (counted with multiplicity) is
        proven.
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
    scale = np.einsum("sk,km->sm", _fold_weights(n_t, level), np.abs(prefix))
    tol = 2.0 * (level + 1) * n_t * _EPS * scale
    bound = np.zeros(m, dtype=np.int64)
    for side, (sums, skip) in enumerate(((prefix, counted[0]), (suffix, counted[1]))):
        last = np.empty((level, m))  # S_level(T-1), ..., S_1(T-1)
        for j in range(1, level + 1):
            _accumulate(sums)
            last[level - j] = sums[-1]
        bound += _sign_changes(sums, skip, tol[side])
        if level > 1:
            tail = np.einsum("ij,jm->im", _TAIL_MATRICES[level], last)
            bound += _sign_changes(tail, None, level * tol[side])
    return bound <= 1


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


class _Isolator:
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
        value = _horner(coef, x)
        bound = _horner(np.abs(coef), x)
        return value, np.abs(value) <= 4.0 * coef.shape[0] * _EPS * bound

    def solve(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rates [1/yr] and statuses of normalised series (T, m) that change sign."""
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
                node_rate[series[zero]] = _x_to_rate(middle, negative)[zero]
            series = np.concatenate([series, series])
            half = np.concatenate([half, half])
            heap = np.concatenate([2 * heap, 2 * heap + 1])
            p_low, p_high = np.concatenate([p_low, p_middle]), np.concatenate([p_middle, p_high])

        rate = np.full(m, np.nan)
        status = np.full(m, STATUS_SEVERAL, dtype=np.int8)
        status[roots == 0] = STATUS_NONE_IN_RANGE
        single = (roots == 1) & ~unresolved
        status[single] = STATUS_OK
        status[unresolved] = STATUS_SEVERAL
        on_node = single & np.isfinite(node_rate)
        rate[on_node] = node_rate[on_node]
        inside = np.flatnonzero(single & ~on_node)
        if inside.size:
            negative = self.negative
            negative = negative[bracket_half[inside]]
            coef = _orient_columns(c, inside, negative)
            a, b, pa, pb = bracket[:, inside]
            rate[inside] = _x_to_rate(_newton(coef, a, b, pa, pb), negative)
        return rate, status

    def _piece(self, half: np.ndarray, heap: np.ndarray, depth: np.ndarray):
        """Lower end and width in x of dyadic pieces."""
        x_low = np.array([h[1] for h in self.halves])[half]
        x_high = np.array([h[2] for h in self.halves])[half]
        width = (x_high - x_low) / 2.0**depth
        return x_low + (heap - 2**depth) * width, width


def _depth(heap: np.ndarray) -> np.ndarray:
    """Depth of dyadic pieces numbered 2**depth + index."""
    return np.floor(np.log2(heap.astype(np.float64))).astype(np.int64)


def _orient_columns(c: np.ndarray, columns: np.ndarray, negative_half: np.ndarray) -> np.ndarray:
    """Coefficients in x of the given columns, reversed for the negative half."""
    return _orient(c[:, columns], negative_half)


# --------------------------------------------------------------------------
# compiled path: the grid pass, the proofs and Newton in one parallel loop over tiles
# --------------------------------------------------------------------------

TILE_SERIES = 64
"""Series of one work item of the compiled loop: normalised into a (year,
tile) scratch array (64 series of 60 periods take 30 kB, inside the per-core
caches) and solved together.  64, 128 and 256 measured equally fast."""

TILES_PER_THREAD = 16
"""A compiled call uses at most one thread per this many tiles (about 1,000
series, half a millisecond of work): launching threads costs more than
smaller shares are worth."""

_KERNEL_LOCK = threading.Lock()
"""Serialises launches of the parallel kernel: numba's fallback threading
layer (workqueue) must not be entered from two Python threads at once."""


def _negative(value: float) -> bool:
    """Sign bit of a float (``numpy.signbit`` for one value, also for -0.0)."""
    return math.copysign(1.0, value) < 0.0


def _normalise_tile(flows, start, size, c, largest, smallest, check, status):
    """Copy series ``start`` to ``start + size`` of ``flows`` (T, n), normalised, into ``c``.

    ``c`` (T, ``TILE_SERIES``) receives the flows divided by their largest
    absolute value, computed as in :meth:`_Solver._solve_block` (one
    multiply by the reciprocal, so bit-identical).  ``status`` of a series
    with a non-finite flow is set to 4, of one without flows of both signs
    to 1, and to -1 (open) otherwise.  ``largest``, ``smallest`` and
    ``check`` (``TILE_SERIES``,) are scratch space.  The loops run over the
    series, so they vectorise.
    """
    n_t = flows.shape[0]
    for s in range(size):
        largest[s] = -np.inf
        smallest[s] = np.inf
        check[s] = 0.0
    for t in range(n_t):
        for s in range(size):
            value = flows[t, start + s]
            c[t, s] = value
            largest[s] = value if value > largest[s] else largest[s]
            smallest[s] = value if value < smallest[s] else smallest[s]
            check[s] += value - value  # NaN once a flow is NaN or infinite
    for s in range(size):
        if check[s] != 0.0:
            status[start + s] = STATUS_NON_FINITE
            check[s] = 0.0
        elif largest[s] > 0.0 and smallest[s] < 0.0:
            status[start + s] = -1
            check[s] = 1.0 / max(largest[s], -smallest[s])
        else:
            status[start + s] = STATUS_NO_SIGN_CHANGE
            check[s] = 0.0
    for t in range(n_t):
        for s in range(size):
            c[t, s] *= check[s]


def _grid_values_tile(c, size, grid_x, n_neg, values):
    """NPV surrogates of the normalised series ``c[:, :size]`` at every grid node.

    The tile twin of :meth:`_Grid.values`: ``values[k, s]`` is
    ``F(1 + r_k)`` for the ``n_neg`` nodes below r = 0 and
    ``P(1/(1 + r_k))`` from r = 0 on, by the same multiplies and adds in the
    same order (Horner), so the values are bit-identical.  The series are
    the inner loop, so one Horner step is one vectorised multiply-add.
    """
    n_t = c.shape[0]
    for k in range(grid_x.size):
        x = grid_x[k]
        if k < n_neg:
            for s in range(size):
                values[k, s] = c[0, s]
            for t in range(1, n_t):
                for s in range(size):
                    values[k, s] = values[k, s] * x + c[t, s]
        else:
            for s in range(size):
                values[k, s] = c[n_t - 1, s]
            for t in range(n_t - 2, -1, -1):
                for s in range(size):
                    values[k, s] = values[k, s] * x + c[t, s]


def _count_series(values, s):
    """Roots that the grid values ``values[:, s]`` of one series reveal.

    The per-series twin of :func:`_count_brackets`.

    Returns
    -------
    count : int
        Nodes with a value of exactly zero plus sign-changing cells between
        non-zero values.
    where : int
        Where ``count == 1`` and no node is zero: the first node j of the
        sign-changing cell (j, j + 1).
    on_node : bool
        A node value is exactly zero.
    """
    n_nodes = values.shape[0]
    zeros = 0
    for k in range(n_nodes):
        if values[k, s] == 0.0:
            zeros += 1
    count = zeros
    where = 0
    for k in range(n_nodes - 1):
        if values[k, s] == 0.0 or values[k + 1, s] == 0.0:
            continue
        if _negative(values[k, s]) != _negative(values[k + 1, s]):
            count += 1
            where = k
    return count, where, zeros > 0


def _orient_series(c, s, negative_half, coef):
    """Coefficients in x of series ``c[:, s]``'s half into ``coef``: reversed below r = 0."""
    n_t = c.shape[0]
    for t in range(n_t):
        coef[t] = c[n_t - 1 - t, s] if negative_half else c[t, s]


def _newton_tile(coef, m, a, b, x, previous, negative_at_a, order, p, dp, finished):
    """Roots in x of the first ``m`` columns of ``coef`` (T, tile), side by side.

    The tile twin of :func:`_newton`: the same safeguarded Newton iteration
    per series, step for step (a Newton step replaced by bisection when it
    leaves the shrinking bracket ``(a, b)`` or is not at most half the
    ``previous`` step; the same stopping rules), so every root is
    bit-identical to the numpy path's.  ``x`` holds the false-position
    start on entry.  Each iteration is one Horner pass over all running
    columns (a vectorised multiply-add per period) and one update of their
    brackets written with selects (the outcomes are unpredictable, so
    branches would be mispredicted); then the columns that converged are
    swapped behind the running ones, with their state and their entry of
    ``order`` (the tile position of each column).  On return ``x[j]`` is
    the root of the series ``order[j]``.  ``p``, ``dp`` and ``finished``
    are scratch space.
    """
    n_t = coef.shape[0]
    running = m
    for _ in range(NEWTON_MAX_ITER):
        if running == 0:
            return
        for j in range(running):
            p[j] = coef[n_t - 1, j]
            dp[j] = 0.0
        for k in range(n_t - 2, -1, -1):
            for j in range(running):
                dp[j] = dp[j] * x[j] + p[j]
                p[j] = p[j] * x[j] + coef[k, j]
        for j in range(running):
            x_j, p_j, previous_j = x[j], p[j], previous[j]
            same_as_a = _negative(p_j) == negative_at_a[j]
            a_j = x_j if same_as_a else a[j]
            b_j = b[j] if same_as_a else x_j
            step = p_j / dp[j]  # dp == 0: an infinite or NaN step, replaced by bisection
            exact = p_j == 0.0
            candidate = x_j if exact else x_j - step
            done = (abs(step) <= NEWTON_RTOL * x_j) | exact
            outside = ~((candidate > a_j) & (candidate < b_j))
            bisect = (outside | (abs(step) > 0.5 * abs(previous_j))) & ~done
            candidate = 0.5 * (a_j + b_j) if bisect else candidate
            finished[j] = done | (b_j - a_j <= NEWTON_RTOL * b_j)
            a[j], b[j], x[j], previous[j] = a_j, b_j, candidate, candidate - x_j
        for j in range(running - 1, -1, -1):
            if finished[j]:  # swap behind the running columns (those above j are running)
                running -= 1
                for k in range(n_t):
                    coef[k, j], coef[k, running] = coef[k, running], coef[k, j]
                a[j], a[running] = a[running], a[j]
                b[j], b[running] = b[running], b[j]
                x[j], x[running] = x[running], x[j]
                previous[j], previous[running] = previous[running], previous[j]
                negative_at_a[j], negative_at_a[running] = negative_at_a[running], negative_at_a[j]
                order[j], order[running] = order[running], order[j]
    for j in range(running):  # unreachable: the bracket is below 2**-100 wide by now
        x[j] = 0.5 * (a[j] + b[j])


def _certify_series(coef, x, weights, tail_matrix, discounted):
    """Prove that one series' ``sum_k coef[k] x**k`` has at most one positive root.

    The per-series twin of :func:`_certify` (read its docstring for the
    mathematics): Descartes' rule on the 5-fold prefix and suffix sums of
    the discounted coefficients at the pivot ``x`` and on their polynomial
    tails (``tail_matrix``), with every sign within twice its rounding-error
    bound counted as unknown.  The repeated sums are streamed: one pass
    keeps the running 1- to 5-fold sums of both sides in registers, adding
    the same operands in the same order as the in-place accumulation of the
    numpy twin, so they are bit-identical; the error bounds (with the
    ``weights`` of :func:`_fold_weights`) and the tails are summed in
    another order, a difference of a rounding in bounds that carry a safety
    factor of two.  Written out for ``CERTIFICATE_LEVELS`` = 5.
    ``discounted`` (T,) is scratch space.

    Returns
    -------
    bool
        True where at most one positive root (with multiplicity) is proven.
    """
    n_t = coef.size
    # discounted coefficients d_k = coef_k x**k and the error-bound scales
    discounted[0] = coef[0]
    scale_prefix = weights[0, 0] * abs(coef[0])
    scale_suffix = weights[1, 0] * abs(coef[0])
    power = x
    for k in range(1, n_t):
        value = coef[k] * power
        power *= x
        discounted[k] = value
        scale_prefix += weights[0, k] * abs(value)
        scale_suffix += weights[1, k] * abs(value)
    bound = 2.0 * (5 + 1) * n_t * _EPS
    tol_prefix = bound * scale_prefix
    tol_suffix = bound * scale_suffix
    # leading zero coefficients of either side are skipped, as by Descartes' rule
    skip_prefix = 0
    while coef[skip_prefix] == 0.0:
        skip_prefix += 1
    skip_suffix = 0
    while coef[n_t - 1 - skip_suffix] == 0.0:
        skip_suffix += 1
    p1 = p2 = p3 = p4 = p5 = discounted[0]
    q1 = q2 = q3 = q4 = q5 = discounted[n_t - 1]
    changes = 0
    smallest_prefix = abs(p5) if skip_prefix == 0 else np.inf
    smallest_suffix = abs(q5) if skip_suffix == 0 else np.inf
    negative_prefix = p5 < 0.0
    negative_suffix = q5 < 0.0
    for i in range(1, n_t):
        p1 += discounted[i]
        p2 += p1
        p3 += p2
        p4 += p3
        p5 += p4
        q1 += discounted[n_t - 1 - i]
        q2 += q1
        q3 += q2
        q4 += q3
        q5 += q4
        if i >= skip_prefix:
            if i > skip_prefix and (p5 < 0.0) != negative_prefix:
                changes += 1
            negative_prefix = p5 < 0.0
            smallest_prefix = min(smallest_prefix, abs(p5))
        if i >= skip_suffix:
            if i > skip_suffix and (q5 < 0.0) != negative_suffix:
                changes += 1
            negative_suffix = q5 < 0.0
            smallest_suffix = min(smallest_suffix, abs(q5))
    if smallest_prefix <= tol_prefix or smallest_suffix <= tol_suffix or changes > 1:
        return False
    # the polynomial tails beyond the last period: tail_matrix @ [S_5, ..., S_1]
    for side in range(2):
        s5, s4, s3, s2, s1 = (p5, p4, p3, p2, p1) if side == 0 else (q5, q4, q3, q2, q1)
        tol = 5 * (tol_prefix if side == 0 else tol_suffix)
        was_negative = False
        for row in range(5):
            value = (
                tail_matrix[row, 0] * s5
                + tail_matrix[row, 1] * s4
                + tail_matrix[row, 2] * s3
                + tail_matrix[row, 3] * s2
                + tail_matrix[row, 4] * s1
            )
            if abs(value) <= tol:
                return False
            if row > 0 and (value < 0.0) != was_negative:
                changes += 1
            was_negative = value < 0.0
    return changes <= 1


def _mobius_sign_changes(coef, reverse, alpha, beta, binomial, q, q_abs):
    """Descartes' bound on the roots in [alpha, beta] of one polynomial in x.

    The sign changes of the coefficients (powers of u) of
    ``(1 + u)**n p((alpha + beta u)/(1 + u))``, ``p(x) = sum_k coef[k] x**k``
    (``coef`` read backwards when ``reverse``): the transform of
    :func:`_mobius_matrix`, here built by Horner's scheme on polynomials,
    ``Q <- Q (alpha + beta u) + coef[k] (1 + u)**(n - k)``, which combines
    values with positive weights only (``binomial[d, j]`` = C(d, j)).  The
    same steps on ``|coef|`` bound the rounding error: a coefficient not
    above ``8 (n + 1) eps`` times its bound has an uncertain sign, and the
    result is then ``_UNPROVEN``.  The coefficients of degree 0 and n are
    ``p(alpha)`` and ``p(beta)``, so 0 proves that p has no root in
    [alpha, beta] and 1 that it has exactly one, a simple root inside.
    ``q`` and ``q_abs`` (T,) are scratch space.
    """
    n = coef.size - 1
    top = coef[0] if reverse else coef[n]
    q[0] = top
    q_abs[0] = abs(top)
    for k in range(n - 1, -1, -1):
        degree = n - k
        value = coef[n - k] if reverse else coef[k]
        magnitude = abs(value)
        # Q (alpha + beta u), then + coef[k] (1 + u)**degree
        q[degree] = beta * q[degree - 1]
        q_abs[degree] = beta * q_abs[degree - 1]
        for j in range(degree - 1, 0, -1):
            q[j] = alpha * q[j] + beta * q[j - 1]
            q_abs[j] = alpha * q_abs[j] + beta * q_abs[j - 1]
        q[0] = alpha * q[0]
        q_abs[0] = alpha * q_abs[0]
        for j in range(degree + 1):
            q[j] += value * binomial[degree, j]
            q_abs[j] += magnitude * binomial[degree, j]
    tolerance = 8.0 * (n + 1) * _EPS
    changes = 0
    was_negative = False
    for j in range(n + 1):
        if abs(q[j]) <= tolerance * q_abs[j]:
            return _UNPROVEN
        if j > 0 and (q[j] < 0.0) != was_negative:
            changes += 1
        was_negative = q[j] < 0.0
    return changes


def _half_ends(grid_x, n_neg, negative):
    """Whether a half of the range exists, and its ends in x (ascending).

    Below r = 0 the nodes 0 ... n_neg (r = 0, or ``high`` if it is
    negative) with x = 1 + r; from r = 0 on the nodes n_neg ... last with
    x = 1/(1 + r), present when ``high`` > 0.
    """
    last = grid_x.size - 1
    if negative:
        return n_neg > 0, grid_x[0], grid_x[min(n_neg, last)]
    return n_neg <= last and grid_x[last] < 1.0, grid_x[last], grid_x[min(n_neg, last)]


def _descartes_proves(
    column, column_negative, cell_negative, a, b, grid_x, n_neg, binomial, q, q_abs
):
    """Prove a series' root count in the range by Descartes' rule on whole intervals.

    The second test when the certificate (:func:`_certify_series`) fails:
    it counts the roots of the admissible range only, not of all rates
    above -100 %.  With a cell ``a < b`` (x, in the half ``cell_negative``)
    it proves exactly one root, inside the cell: one sign change on the
    cell and none on the rest of its half and on the other half.  Without a
    cell (``a`` NaN) it proves no root in range.  ``column`` holds the
    coefficients in x of the half ``column_negative``.  Each interval costs
    one :func:`_mobius_sign_changes`; an interval where complex roots lie
    close to it fails the test (the exact isolation then halves it).
    """
    for half_negative in (cell_negative, not cell_negative):
        present, start, end = _half_ends(grid_x, n_neg, half_negative)
        if not present:
            continue
        reverse = half_negative != column_negative
        if half_negative == cell_negative and a == a:  # the half holding the cell
            pieces = ((start, a, 0), (a, b, 1), (b, end, 0))
        else:  # the whole half, padded with empty pieces (one tuple type for numba)
            pieces = ((start, end, 0), (start, start, 0), (start, start, 0))
        for alpha, beta, expected in pieces:
            if alpha < beta and expected != _mobius_sign_changes(
                column, reverse, alpha, beta, binomial, q, q_abs
            ):
                return False
    return True


def _solve_tile(
    flows, start, size, grid_x, n_neg, weights, tail_matrix, binomial, certify, rate, status, hard
):
    """Rate, status and isolation flag of series ``start`` to ``start + size`` of ``flows``.

    The compiled common path for one tile of at most ``TILE_SERIES`` series:
    normalisation (:func:`_normalise_tile`: status 4 for non-finite flows,
    1 without flows of both signs) and the grid values
    (:func:`_grid_values_tile`), then per series the observed roots
    (:func:`_count_series`): two or more give status 2; one observed sign
    change must be proven the only root, by the certificate at either end
    of its cell (:func:`_certify_series`) or else by Descartes' rule on the
    range (:func:`_descartes_proves`), and is then refined by Newton
    (:func:`_newton_tile`, all proven series of the tile side by side;
    status 0); none must be proven rootless the same ways, the certificate
    pivoting at the node of smallest value (status 3).  A root on a node, a
    failed proof, or ``certify`` False set ``hard``: the series is left to
    the exact isolation (:class:`_Isolator`), which settles its status and
    rate.  Writes ``rate``, ``status`` and ``hard`` at ``start`` to
    ``start + size``.
    """
    n_t = flows.shape[0]
    c = np.empty((n_t, TILE_SERIES))
    values = np.empty((grid_x.size, TILE_SERIES))
    coef = np.empty((n_t, TILE_SERIES))
    work = np.empty((9, max(TILE_SERIES, n_t)))
    flags = np.empty((3, TILE_SERIES), dtype=np.bool_)
    members = np.empty(TILE_SERIES, dtype=np.int64)
    discounted = np.empty(n_t)
    a, b, x, previous = work[3], work[4], work[5], work[6]
    negative_at_a, negative_half = flags[0], flags[1]
    _normalise_tile(flows, start, size, c, work[0], work[1], work[2], status)
    _grid_values_tile(c, size, grid_x, n_neg, values)
    m = 0  # series proven to have one root, their coefficients in coef[:, :m]
    for s in range(size):
        i = start + s
        rate[i] = np.nan
        hard[i] = False
        if status[i] >= 0:  # settled: non-finite, or no sign change
            continue
        count, where, on_node = _count_series(values, s)
        if on_node or count >= 2:
            status[i] = STATUS_SEVERAL
            hard[i] = on_node
        elif count == 1:
            status[i] = STATUS_SEVERAL  # until proven
            below = where < n_neg
            # below 0, x = 1 + r grows with the rate; from 0 on, x = 1/(1 + r) falls
            low, high = (where, where + 1) if below else (where + 1, where)
            column = coef[:, m]
            _orient_series(c, s, below, column)
            if certify and (
                _certify_series(column, grid_x[high], weights, tail_matrix, discounted)
                or _certify_series(column, grid_x[low], weights, tail_matrix, discounted)
                or _descartes_proves(
                    column, below, below, grid_x[low], grid_x[high], grid_x, n_neg, binomial,
                    discounted, work[0],
                )
            ):
                pa, pb = values[low, s], values[high, s]
                a[m], b[m] = grid_x[low], grid_x[high]
                x[m] = min(max(a[m] - pa * ((b[m] - a[m]) / (pb - pa)), a[m]), b[m])
                previous[m] = b[m] - a[m]
                negative_at_a[m] = _negative(pa)
                negative_half[s] = below
                members[m] = s
                m += 1
            else:
                hard[i] = True
        else:
            status[i] = STATUS_NONE_IN_RANGE
            # pivot: the node with the smallest |NPV surrogate|, nearest to a root
            pivot = 0
            for k in range(1, values.shape[0]):
                if abs(values[k, s]) < abs(values[pivot, s]):
                    pivot = k
            column = coef[:, m]  # scratch
            _orient_series(c, s, pivot < n_neg, column)
            hard[i] = not (
                certify
                and (
                    _certify_series(column, grid_x[pivot], weights, tail_matrix, discounted)
                    or _descartes_proves(
                        column, pivot < n_neg, True, np.nan, np.nan, grid_x, n_neg, binomial,
                        discounted, work[0],
                    )
                )
            )
    _newton_tile(
        coef, m, a, b, x, previous, negative_at_a, members, work[7], work[8], flags[2]
    )
    for j in range(m):
        s = members[j]
        rate[start + s] = x[j] - 1.0 if negative_half[s] else (1.0 - x[j]) / x[j]
        status[start + s] = STATUS_OK


def _solve_tiles(flows, grid_x, n_neg, weights, tail_matrix, binomial, certify, rate, status, hard):
    """Solve every column of ``flows`` (T, n) into ``rate``, ``status``, ``hard`` (n,).

    Work items are tiles of ``TILE_SERIES`` series (:func:`_solve_tile`),
    shared among numba's threads.  Every operation on a series' values
    involves that series only (loops across the series of a tile vectorise,
    but do the same operations on each), so nothing depends on the tile, the
    thread or the thread count.
    """
    n_series = flows.shape[1]
    for tile in _prange((n_series + TILE_SERIES - 1) // TILE_SERIES):
        start = tile * TILE_SERIES
        size = min(TILE_SERIES, n_series - start)
        _tile_solver(
            flows, start, size, grid_x, n_neg, weights, tail_matrix, binomial, certify,
            rate, status, hard,
        )


# Placeholders replaced in _compiled_kernel(): the plain-Python bodies above
# read these module globals, so the same source is what numba compiles.
_prange = range
_tile_solver = _solve_tile

@lru_cache(maxsize=1)
def _compiled_kernel():
    """Compile (or load from numba's on-disk cache) the parallel kernel :func:`_solve_tiles`.

    numba is imported here, on the first :func:`irr` call, not at package
    import.  The per-tile and per-series functions above are plain Python;
    ``register_jitable`` makes the helpers callable from compiled code, and
    :func:`_solve_tile` becomes one compiled function (``_tile_solver``)
    called by the parallel loop (``_prange``).  Everything is compiled with
    ``fastmath`` off and numpy's error model (division by zero gives inf or
    NaN, as in the numpy path).

    One signature is compiled, float64 only: the flows (T, n) in any
    layout and read-only (a writable array converts to it without a copy),
    then the grid nodes, the node count below r = 0, the certificate's
    weights and tail matrix, the binomial table, the certificate switch and
    the three outputs.  The on-disk cache (``cache=True``, in
    ``tecmodel/__pycache__``, or numba's cache folder when that is not
    writable) holds it and is invalidated by any change to this file.
    """
    global _prange, _tile_solver
    if CERTIFICATE_LEVELS != 5:
        raise NotImplementedError("the compiled certificate is written out for 5 levels")
    import numba
    from numba.extending import register_jitable

    options = dict(fastmath=False, error_model="numpy", nogil=True)
    for function in (
        _negative,
        _normalise_tile,
        _grid_values_tile,
        _count_series,
        _orient_series,
        _newton_tile,
        _certify_series,
        _mobius_sign_changes,
        _half_ends,
        _descartes_proves,
    ):
        register_jitable(**options)(function)
    _tile_solver = numba.njit(**options)(_solve_tile)
    _prange = numba.prange
    types = numba.types
    vector, matrix = types.float64[::1], types.float64[:, ::1]
    signature = types.void(
        types.Array(types.float64, 2, "A", readonly=True),
        vector,
        types.int64,
        matrix,
        matrix,
        matrix,
        types.boolean,
        vector,
        types.int8[::1],
        types.boolean[::1],
    )
    return numba.njit(signature, parallel=True, cache=True, **options)(_solve_tiles)


class _Solver:
    """Per-call state: the grid, the exact isolator, and how many series it isolated."""

    def __init__(self, low: float, high: float, grid_points: int, n_periods: int):
        rates = rate_grid(low, high, grid_points)
        x_min = min(1.0 + low, 1.0 / (1.0 + high))
        if n_periods > 1 and (n_periods - 1) * np.log(x_min) < np.log(_TINY_POWER):
            raise ValueError(
                f"irr: {n_periods} periods are too many for the range [{low}, {high}]: "
                f"discount factors would underflow; narrow the range"
            )
        self.grid = _Grid(rates)
        self.isolator = _Isolator(float(low), float(high), n_periods)
        self.isolated = 0  # series the last run() left to the exact isolation

    def run(self, flat: np.ndarray, certify: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Rates and statuses of all series of ``flat`` (T, n): the compiled path.

        One parallel compiled loop (:func:`_compiled_kernel`) settles every
        series it can; the series it flags (a root on a grid node, or no
        certificate) are normalised here exactly as in the numpy path and
        isolated exactly in batches of ``ISOLATION_BATCH``.  ``certify``
        False switches the certificate off (every series that changes sign
        then goes to the isolation), for tests.
        """
        n_t, n_series = flat.shape
        rate = np.empty(n_series)
        status = np.empty(n_series, dtype=np.int8)
        hard = np.empty(n_series, dtype=np.bool_)
        level = CERTIFICATE_LEVELS
        kernel = _compiled_kernel()
        import numba  # imported by _compiled_kernel()

        # a parallel launch costs more than a few tiles are worth: small
        # batches use fewer threads (results do not depend on the count)
        threads = numba.get_num_threads()
        tiles = -(-n_series // TILE_SERIES)
        wanted = max(1, min(threads, tiles // TILES_PER_THREAD))
        with _KERNEL_LOCK:
            numba.set_num_threads(wanted)
            try:
                kernel(
                    flat,
                    self.grid.x,
                    self.grid.n_neg,
                    np.array(_fold_weights(n_t, level)),  # a writable copy
                    np.ascontiguousarray(_TAIL_MATRICES[level]),
                    _binomial_table(n_t),
                    bool(certify),
                    rate,
                    status,
                    hard,
                )
            finally:
                numba.set_num_threads(threads)
        index = np.flatnonzero(hard)
        self.isolated = index.size
        for start in range(0, index.size, ISOLATION_BATCH):
            batch = index[start : start + ISOLATION_BATCH]
            flows = flat[:, batch]
            c = flows * (1.0 / np.maximum(flows.max(axis=0), -flows.min(axis=0)))
            rate[batch], status[batch] = self.isolator.solve(c)
        return rate, status

    def run_reference(self, flat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rates and statuses of all series of ``flat`` (T, n), block by block.

        The whole-array numpy path, kept as the reference the compiled path
        (:meth:`run`) is tested against; :func:`irr` does not use it.

        Series that neither the grid nor the certificate settle are collected
        over blocks and isolated exactly in batches of ``ISOLATION_BATCH``.
        """
        n_series = flat.shape[1]
        rate = np.full(n_series, np.nan)
        status = np.full(n_series, STATUS_NO_SIGN_CHANGE, dtype=np.int8)
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

        Returns the block columns left to the exact isolation, with their
        normalised flows.
        """
        largest, smallest = flows.max(axis=0), flows.min(axis=0)
        finite = np.isfinite(largest) & np.isfinite(smallest)
        both_signs = finite & (largest > 0.0) & (smallest < 0.0)
        status[:] = np.where(finite, STATUS_NO_SIGN_CHANGE, STATUS_NON_FINITE)
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
        status = np.full(m, STATUS_SEVERAL, dtype=np.int8)
        values = self.grid.values(c)
        count, where, on_node = _count_brackets(values)
        hard = on_node.copy()  # a root on a node: left to the isolation

        one = np.flatnonzero((count == 1) & ~on_node)
        if one.size:
            c_one = c if one.size == m else c[:, one]
            negative_half, a, b, pa, pb = _cell_bracket(self.grid, values, where, one)
            coef = _orient(c_one, negative_half)
            x = _newton(coef, a, b, pa, pb)
            proven = _certify(coef, a)
            if not proven.all():
                retry = np.flatnonzero(~proven)
                proven[retry] = _certify(coef[:, retry], b[retry])
            rate[one] = np.where(proven, _x_to_rate(x, negative_half), np.nan)
            status[one] = STATUS_OK
            hard[one[~proven]] = True

        none = np.flatnonzero(count == 0)
        if none.size:
            # pivot: the node with the smallest |NPV surrogate|, nearest to a root
            pivot = np.argmin(np.abs(values[:, none]), axis=0)
            coef = _orient(c[:, none], self.grid.rates[pivot] < 0.0)
            proven = _certify(coef, self.grid.x[pivot])
            status[none] = STATUS_NONE_IN_RANGE
            hard[none[~proven]] = True
        return rate, status, hard


def irr(cash_flows, axis=0, *, low=-0.99, high=10.0, grid_points=16) -> IrrResult:
    """Internal rate of return of many cash-flow series, with a status per series.

    The IRR is the rate r with ``sum_t cf_t / (1 + r)**t = 0``, first flow at
    t = 0 (the ``numpy_financial.irr`` convention).  It is returned only when
    it is the one root inside ``[low, high]``; see the module docstring for
    the method and its resolution limit.

    Status per series (:data:`IRR_STATUS`):

    * 4 -- a NaN or infinite flow (no warning is emitted);
    * 1 -- no sign change among the non-zero flows (including all-zero);
    * 0 -- exactly one root in range (whatever the number of sign changes of
      the flows); ``rate`` holds it, refined to about 1e-14 relative in
      1/(1 + r);
    * 2 -- two or more roots in range, or roots that float64 cannot
      separate (a tangent, i.e. double, root);
    * 3 -- the flows change sign but no root lies in range.

    Parameters
    ----------
    cash_flows : array_like
        Cash flows [EUR] of any shape; ``axis`` is the time axis.  The fast
        layout is ``(year, sample)``: time on axis 0 and the series
        contiguous along the last axis.  Other layouts are handled by moving
        the time axis to the front: when the remaining axes still merge into
        one strided axis (any 2-D input, or time as the last axis of a
        C-ordered array) each tile is read with strides into the compiled
        loop's scratch space; otherwise numpy first makes one time-first
        copy of the whole input.  Values are converted to float64 once.
    axis : int, optional
        Time axis.  Default 0.
    low, high : float, keyword-only
        Admissible IRR range [1/yr], ``-1 < low < high``.  Defaults -0.99 and
        10.
    grid_points : int, keyword-only
        Nodes of the bracketing grid (:func:`rate_grid`), at least 8.  It
        affects speed only, not the results beyond Newton's tolerance.
        Default 16.

    Returns
    -------
    IrrResult
        ``rate`` [1/yr] and ``status``, shape of ``cash_flows`` without
        ``axis``.

    Raises
    ------
    ValueError
        For a 0-d input, an invalid range or grid, or a series so long that
        ``min(1 + low, 1/(1 + high))**(T - 1)`` underflows (T > 141 with the
        default range).

    Notes
    -----
    The compiled loop needs, besides the results, a few kB of scratch space
    per tile of ``TILE_SERIES`` series; the series left to the exact
    isolation are copied and solved in batches of ``ISOLATION_BATCH``, so
    a (grid, year, series) array is never formed.  The result of a series
    does not depend on the tile, batch or thread it is computed in, nor on
    the layout of the input (see the module docstring).  The first call in
    a process imports numba and loads the compiled loop from its on-disk
    cache (or compiles it, after an installation).

    Examples
    --------
    >>> result = irr([-100, 39, 59, 55, 20])
    >>> round(float(result.rate), 5), int(result.status)
    (0.28095, 0)
    >>> result = irr([-100, 100, 0, -7])  # roots at -8.3 % and -67.9 %
    >>> str(result.reasons())
    'several IRRs in the admissible range'
    """
    flows = np.asarray(cash_flows, dtype=np.float64)
    if flows.ndim == 0:
        raise ValueError("irr: cash_flows needs a time axis")
    flows = np.moveaxis(flows, axis, 0)
    n_periods, shape = flows.shape[0], flows.shape[1:]
    solver = _Solver(low, high, grid_points, n_periods)
    flat = flows.reshape(n_periods, math.prod(shape))
    if n_periods == 0:
        rate = np.full(flat.shape[1], np.nan)
        status = np.full(flat.shape[1], STATUS_NO_SIGN_CHANGE, dtype=np.int8)
    else:
        rate, status = solver.run(flat)
    return IrrResult(rate=rate.reshape(shape), status=status.reshape(shape))
