"""The French loss carry-forward rule, written once, and the two compiled loops built on it.

- :func:`tax_schedule`: the tax of every year of every series (read by
  :func:`tecmodel.model.tax.loss_carry_forward_tax`);
- :func:`breakeven_factors`: the factor on every GPU-hour price that makes the after-tax NPV
  zero, solved per series by safeguarded Newton inside a bracket, with the tax derivative
  carried through the carry-forward (read by :func:`tecmodel.model.metrics.breakeven_revenue_factor`).

Both walk the years in order for each series, which is what the carry-forward needs (each
year's relief depends on the losses left by the previous years); the break-even solves the
series in parallel (``numba.prange``). A series is computed by the same instructions whatever
the other series in the batch, the batch size or the thread count, so results are bit-identical
however the samples of a Monte Carlo run are chunked. :func:`tax_step` is the rule itself, in
plain Python as well, for the workbook's verification. numba is imported when a kernel is first
used; compiled code is cached on disk.

Array layout: the tax schedule takes (year, series) arrays, the break-even (member, group,
year); float64.
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
    # (year, series) arrays: the years in order outside, the series (contiguous) inside, each
    # series carrying its own pool of losses from one year to the next. One thread: the inner
    # loop streams through memory, and a parallel region per year costs more than it saves.
    n_years, n_series = profit.shape
    pool = np.zeros(n_series)
    for year in range(n_years):
        for series in range(n_series):
            relief_year, taxable_year, tax_year, pool_out, _limit, _cap = _step(
                profit[year, series],
                pool[series],
                rate[series],
                offset_fixed[series],
                offset_share[series],
            )
            relief[year, series] = relief_year
            taxable[year, series] = taxable_year
            tax[year, series] = tax_year
            pool_path[year, series] = pool_out
            pool[series] = pool_out


def _npv_and_slope(
    factor,
    group,
    profit,
    revenue,
    discount,
    pre_tax_pv,
    revenue_pv,
    rate,
    offset_fixed,
    offset_share,
):
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
                current,
                pool_in,
                rate[member, group],
                offset_fixed[member, group],
                offset_share[member, group],
            )
            taxable_slope, pool_slope = _step_slope(
                current,
                revenue[member, group, year],
                pool_in,
                pool_slope,
                limit,
                cap,
                offset_fixed[member, group],
                offset_share[member, group],
            )
            tax_pv += tax * discount[member, group, year]
            tax_slope_pv += rate[member, group] * taxable_slope * discount[member, group, year]
        value += pre_tax_pv[member, group] + (factor - 1.0) * revenue_pv[member, group] - tax_pv
        slope += revenue_pv[member, group] - tax_slope_pv
    return value, slope


def _breakeven(
    profit,
    revenue,
    discount,
    pre_tax_pv,
    revenue_pv,
    rate,
    offset_fixed,
    offset_share,
    tolerance,
    factors,
    converged,
):
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
        value, slope = _npv(
            low,
            group,
            profit,
            revenue,
            discount,
            pre_tax_pv,
            revenue_pv,
            rate,
            offset_fixed,
            offset_share,
        )
        if value >= 0.0:  # no tax at the pre-tax break-even: it is the answer
            factors[group] = low
            converged[group] = True
            continue
        high = max(2.0 * low, low + 1.0)
        value_high, _ = _npv(
            high,
            group,
            profit,
            revenue,
            discount,
            pre_tax_pv,
            revenue_pv,
            rate,
            offset_fixed,
            offset_share,
        )
        doublings = 0
        while value_high <= 0.0 and doublings < MAX_DOUBLINGS:
            high = 2.0 * high
            value_high, _ = _npv(
                high,
                group,
                profit,
                revenue,
                discount,
                pre_tax_pv,
                revenue_pv,
                rate,
                offset_fixed,
                offset_share,
            )
            doublings += 1
        factor = low
        done = False
        for _ in range(MAX_ITERATIONS):
            newton = factor - value / slope if slope != 0.0 else np.nan
            if np.isfinite(newton) and low < newton < high:
                candidate = newton
            else:
                candidate = 0.5 * (low + high)
            value, slope = _npv(
                candidate,
                group,
                profit,
                revenue,
                discount,
                pre_tax_pv,
                revenue_pv,
                rate,
                offset_fixed,
                offset_share,
            )
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


_prange = range
_step = _tax_step
_step_slope = _tax_step_slope
_npv = _npv_and_slope
#: The carry-forward rule of one year (plain Python), as the compiled loops apply it.
tax_step = _tax_step
#: Its derivative in the price factor (plain Python).
tax_step_slope = _tax_step_slope


@cache
def _compiled():
    """Compile (or load from the on-disk cache) the kernels; returns (schedule, breakeven)."""
    global _prange, _step, _step_slope, _npv
    import numba

    options = dict(cache=True, nogil=True, error_model="numpy")
    _step = numba.njit(inline="always", **options)(_tax_step)
    _step_slope = numba.njit(inline="always", **options)(_tax_step_slope)
    _npv = numba.njit(**options)(_npv_and_slope)
    _prange = numba.prange
    schedule = numba.njit(**options)(_tax_schedule)
    breakeven = numba.njit(parallel=True, **options)(_breakeven)
    return schedule, breakeven


def _as_series(values, n_series: int) -> np.ndarray:
    return np.ascontiguousarray(np.broadcast_to(np.asarray(values, dtype=np.float64), (n_series,)))


def tax_schedule(profit: np.ndarray, rate, offset_fixed, offset_share) -> tuple[np.ndarray, ...]:
    """Tax per year with losses carried forward, for many series.

    Parameters
    ----------
    profit : numpy.ndarray
        Taxable income before loss relief, shape (year, series) [EUR].
    rate, offset_fixed, offset_share : array_like
        Tax rate [1], profit fully offsettable each year [EUR], share of the profit above it
        offsettable [1]; scalars or one value per series.

    Returns
    -------
    tax, relief, taxable, pool : numpy.ndarray
        Each (year, series) [EUR]: tax, losses offset, taxable income after relief, losses
        carried forward at year end.
    """
    profit = np.ascontiguousarray(profit, dtype=np.float64)
    n_series = profit.shape[1]
    outputs = tuple(np.empty_like(profit) for _ in range(4))
    schedule, _ = _compiled()
    schedule(
        profit,
        _as_series(rate, n_series),
        _as_series(offset_fixed, n_series),
        _as_series(offset_share, n_series),
        *outputs,
    )
    return outputs


def breakeven_factors(
    profit: np.ndarray,
    revenue: np.ndarray,
    discount: np.ndarray,
    pre_tax_pv: np.ndarray,
    revenue_pv: np.ndarray,
    rate: np.ndarray,
    offset_fixed: np.ndarray,
    offset_share: np.ndarray,
    tolerance: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
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
        Convergence when ``|NPV| <= tolerance x max(|PV pre-tax|, PV revenue)``.

    Returns
    -------
    factor : numpy.ndarray
        (group,) the break-even factor [1]; NaN where no revenue is earned.
    converged : numpy.ndarray of bool
        (group,) False where no revenue is earned or the iteration limit was reached.
    """
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (profit, revenue, discount)]
    shape = arrays[0].shape[:2]
    per_series = [
        np.ascontiguousarray(np.broadcast_to(np.asarray(a, dtype=np.float64), shape))
        for a in (pre_tax_pv, revenue_pv, rate, offset_fixed, offset_share)
    ]
    factors = np.empty(shape[1])
    converged = np.empty(shape[1], dtype=np.bool_)
    _, breakeven = _compiled()
    breakeven(*arrays, *per_series, float(tolerance), factors, converged)
    return factors, converged
