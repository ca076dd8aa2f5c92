"""Compiled kernels: whole-number powers, and the corporate tax loops (carry-forward, break-even).

This module owns the loops that numpy cannot express as whole-array operations without many
passes over memory:

- :func:`integer_power_values`: ``base ** exponent`` for whole-number exponents by repeated
  squaring, element by element in one pass (the discounting, escalation and price-trend factors
  of the whole model go through it);

and the one implementation of the French loss carry-forward rule (:func:`_tax_step`) with the
two loops built on it:

- :func:`tax_schedule`: the tax of every year of every series (used by
  :func:`tecmodel.finance.loss_carry_forward_tax`);
- :func:`breakeven_factors`: the factor on every GPU-hour price that makes the after-tax NPV
  zero, solved per series by safeguarded Newton with the tax derivative carried through the
  carry-forward (used by :func:`tecmodel.finance.breakeven_revenue_factor`).

Both loop over years *inside* each series, which is what the carry-forward needs (each year's
relief depends on the losses left by the previous years), and over series in parallel
(``numba.prange``). A series is computed by the same instructions whatever the other series in
the batch, the batch size or the thread count, so results are bit-identical however the samples
of a Monte Carlo run are chunked. numba is imported when a kernel is first used; compiled code is
cached on disk (``cache=True``) so only the first run after installation compiles.

Array layout: series on axis 0, years on axis 1 (each series contiguous), float64.
"""

from __future__ import annotations

from functools import cache

import numpy as np

#: Newton iterations before the break-even solver gives up on a series (it then reports
#: ``converged = False``); bracket doublings allowed to find an upper bound.
MAX_ITERATIONS = 100
MAX_DOUBLINGS = 60


def _tax_step(current, pool, rate, offset_fixed, offset_share):
    """One year of the carry-forward for one series (scalar arithmetic).

    With profit P before relief and losses L carried in:
    relief = min(L, P, fixed + share * max(P - fixed, 0)) if P > 0 else 0;
    taxable = max(P - relief, 0); tax = rate * taxable; losses carried out:
    L - relief + max(-P, 0).

    Returns (relief, taxable, tax, pool_out, limit, cap): ``limit`` and ``cap`` tell the
    derivative which bound of the relief binds.
    """
    cap = offset_fixed + offset_share * max(current - offset_fixed, 0.0)
    limit = min(cap, current)
    relief = min(pool, limit) if current > 0.0 else 0.0
    taxable = max(current - relief, 0.0)
    pool_out = pool - relief + max(-current, 0.0)
    return relief, taxable, rate * taxable, pool_out, limit, cap


def _tax_step_slope(current, slope, pool, pool_slope, limit, cap, offset_fixed, offset_share):
    """Derivative of one year's taxable income and of the losses carried out (forward mode).

    ``slope`` is d(profit)/dm this year, ``pool_slope`` d(losses carried in)/dm.
    Returns (taxable_slope, pool_out_slope).
    """
    if current > 0.0:
        if pool <= limit:
            relief_slope = pool_slope
        elif cap < current:
            relief_slope = offset_share * slope if current > offset_fixed else 0.0
        else:
            relief_slope = slope
        return slope - relief_slope, pool_slope - relief_slope
    return 0.0, pool_slope - slope


def _tax_schedule(profit, rate, offset_fixed, offset_share, tax, relief, taxable, pool_path):
    for series in _prange(profit.shape[0]):
        pool = 0.0
        for year in range(profit.shape[1]):
            relief_year, taxable_year, tax_year, pool, _limit, _cap = _step(
                profit[series, year], pool, rate[series], offset_fixed[series], offset_share[series])
            relief[series, year] = relief_year
            taxable[series, year] = taxable_year
            tax[series, year] = tax_year
            pool_path[series, year] = pool


def _npv_and_slope(factor, group, profit, revenue, discount, pre_tax_pv, revenue_pv, rate, offset_fixed,
                   offset_share):
    """After-tax NPV at price factor m of one group of series, summed, and its derivative in m."""
    value = 0.0
    slope = 0.0
    for member in range(profit.shape[0]):
        pool = 0.0
        pool_slope = 0.0
        tax_pv = 0.0
        tax_slope_pv = 0.0
        for year in range(profit.shape[2]):
            current = profit[member, group, year] + (factor - 1.0) * revenue[member, group, year]
            pool_in = pool
            _relief, _taxable, tax, pool, limit, cap = _step(
                current, pool_in, rate[member, group], offset_fixed[member, group], offset_share[member, group])
            taxable_slope, pool_slope = _step_slope(
                current, revenue[member, group, year], pool_in, pool_slope, limit, cap,
                offset_fixed[member, group], offset_share[member, group])
            tax_pv += tax * discount[member, group, year]
            tax_slope_pv += rate[member, group] * taxable_slope * discount[member, group, year]
        value += pre_tax_pv[member, group] + (factor - 1.0) * revenue_pv[member, group] - tax_pv
        slope += revenue_pv[member, group] - tax_slope_pv
    return value, slope


def _breakeven(profit, revenue, discount, pre_tax_pv, revenue_pv, rate, offset_fixed, offset_share,
               tolerance, factors, converged):
    for group in _prange(profit.shape[1]):
        total_pre_tax = 0.0
        total_revenue = 0.0
        for member in range(profit.shape[0]):
            total_pre_tax += pre_tax_pv[member, group]
            total_revenue += revenue_pv[member, group]
        if not total_revenue > 0.0:
            factors[group] = np.nan
            converged[group] = False
            continue
        scale = max(abs(total_pre_tax), total_revenue)
        # Before tax NPV is linear in m: its root bounds the after-tax root from below.
        low = max(1.0 - total_pre_tax / total_revenue, 0.0)
        value, slope = _npv(low, group, profit, revenue, discount, pre_tax_pv, revenue_pv, rate,
                            offset_fixed, offset_share)
        if value >= 0.0:  # no tax at the pre-tax break-even: it is the answer
            factors[group] = low
            converged[group] = True
            continue
        high = max(2.0 * low, low + 1.0)
        value_high, _ = _npv(high, group, profit, revenue, discount, pre_tax_pv, revenue_pv, rate,
                             offset_fixed, offset_share)
        doublings = 0
        while value_high <= 0.0 and doublings < MAX_DOUBLINGS:
            high = 2.0 * high
            value_high, _ = _npv(high, group, profit, revenue, discount, pre_tax_pv, revenue_pv, rate,
                                 offset_fixed, offset_share)
            doublings += 1
        factor = low
        done = False
        for _ in range(MAX_ITERATIONS):
            newton = factor - value / slope if slope != 0.0 else np.nan
            if np.isfinite(newton) and low < newton < high:
                candidate = newton
            else:
                candidate = 0.5 * (low + high)
            value, slope = _npv(candidate, group, profit, revenue, discount, pre_tax_pv, revenue_pv, rate,
                                offset_fixed, offset_share)
            if value < 0.0:
                low = candidate
            else:
                high = candidate
            factor = candidate
            if abs(value) <= tolerance * scale or high - low <= 1e-15 * max(high, 1.0):
                done = True
                break
        factors[group] = factor
        converged[group] = done


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


# Placeholders replaced by their compiled versions in _compiled(); the pure-Python bodies above
# read these module globals, so the same source is what numba compiles.
_prange = range
_step = _tax_step
_step_slope = _tax_step_slope
_npv = _npv_and_slope
_scalar_power = _integer_power


@cache
def _compiled():
    """Compile (or load from the on-disk cache) the kernels; returns (schedule, breakeven, power)."""
    global _prange, _step, _step_slope, _npv, _scalar_power
    import numba

    options = dict(cache=True, nogil=True, error_model="numpy")
    _step = numba.njit(inline="always", **options)(_tax_step)
    _step_slope = numba.njit(inline="always", **options)(_tax_step_slope)
    _npv = numba.njit(**options)(_npv_and_slope)
    _prange = numba.prange
    schedule = numba.njit(parallel=True, **options)(_tax_schedule)
    breakeven = numba.njit(parallel=True, **options)(_breakeven)
    _scalar_power = numba.njit(inline="always", **options)(_integer_power)
    # A compiled loop rather than numba.vectorize: a ufunc built by vectorize is compiled again
    # in every process (about a second), a cached njit function is loaded from disk.
    power = numba.njit(**options)(_integer_power_loop)
    return schedule, breakeven, power


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
    _, _, power = _compiled()
    exponent, base = np.broadcast_arrays(exponent, np.asarray(base, dtype=np.float64))
    out = np.empty(exponent.shape)
    power(np.ascontiguousarray(exponent).reshape(-1), np.ascontiguousarray(base).reshape(-1), out.reshape(-1))
    return out


def _as_series(values, n_series: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), (n_series,)))


def tax_schedule(profit: np.ndarray, rate, offset_fixed, offset_share) -> tuple[np.ndarray, ...]:
    """Tax per year with losses carried forward, for many series.

    Parameters
    ----------
    profit : numpy.ndarray
        Taxable income before loss relief, shape (series, year) [EUR].
    rate, offset_fixed, offset_share : array_like
        Tax rate [1], profit fully offsettable each year [EUR], share of the profit above it
        offsettable [1]; scalars or one value per series.

    Returns
    -------
    tax, relief, taxable, pool : numpy.ndarray
        Each (series, year) [EUR]: tax, losses offset, taxable income after relief, losses
        carried forward at year end.
    """
    profit = np.ascontiguousarray(profit, dtype=np.float64)
    n_series = profit.shape[0]
    outputs = tuple(np.empty_like(profit) for _ in range(4))
    schedule, _, _ = _compiled()
    schedule(profit, _as_series(rate, n_series), _as_series(offset_fixed, n_series),
             _as_series(offset_share, n_series), *outputs)
    return outputs


def breakeven_factors(profit: np.ndarray, revenue: np.ndarray, discount: np.ndarray, pre_tax_pv: np.ndarray,
                      revenue_pv: np.ndarray, rate: np.ndarray, offset_fixed: np.ndarray,
                      offset_share: np.ndarray, tolerance: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Price factor m making the summed after-tax NPV of each group of series zero.

    Each problem (axis 1) is a group of series (axis 0: the sites of a portfolio, or one series
    alone) that share the factor m on revenue; each series keeps its own tax (standalone
    companies). NPV(m) = sum_k [PV(pre-tax FCF_k) + (m - 1) PV(revenue_k)
    - PV(tax_k(profit_k + (m - 1) revenue_k))] increases with m.

    Parameters
    ----------
    profit, revenue, discount : numpy.ndarray
        (member, group, year): taxable income before losses [EUR], revenue [EUR], discount
        factors [1].
    pre_tax_pv, revenue_pv : numpy.ndarray
        (member, group): PV of pre-tax free cash flow and of revenue [EUR].
    rate, offset_fixed, offset_share : numpy.ndarray
        (member, group): tax parameters.
    tolerance : float
        Convergence when |NPV| <= tolerance x max(|PV pre-tax|, PV revenue).

    Returns
    -------
    factor : numpy.ndarray
        (group,) the break-even factor [1]; NaN where no revenue is earned.
    converged : numpy.ndarray of bool
        (group,) False where no revenue is earned or the iteration limit was reached.
    """
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (profit, revenue, discount)]
    shape = arrays[0].shape[:2]
    per_series = [np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), shape))
                  for a in (pre_tax_pv, revenue_pv, rate, offset_fixed, offset_share)]
    factors = np.empty(shape[1])
    converged = np.empty(shape[1], dtype=np.bool_)
    _, breakeven, _ = _compiled()
    breakeven(*arrays, *per_series, float(tolerance), factors, converged)
    return factors, converged
