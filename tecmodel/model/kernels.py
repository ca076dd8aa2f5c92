"""Compiled kernels: whole-number powers, the corporate tax loops, a debt tranche's schedule.

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

Both walk the years in order for each series, which is what the carry-forward needs (each
year's relief depends on the losses left by the previous years); the break-even solves the
series in parallel (``numba.prange``). The same holds for :func:`tranche_schedules`, a debt
tranche's drawing, capitalised interest, repayment and fees year by year (used by
:func:`tecmodel.financing.tranche_schedule`). A series is computed by the same instructions
whatever the other series in the batch, the batch size or the thread count, so results are
bit-identical however the samples of a Monte Carlo run are chunked. numba is imported when a
kernel is first used; compiled code is cached on disk (``cache=True``) so only the first run
after installation compiles.

Array layout: the tax schedule and the tranche schedule take (year, series) arrays, the
break-even (member, group, year); float64.
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
                profit[year, series], pool[series], rate[series], offset_fixed[series], offset_share[series])
            relief[year, series] = relief_year
            taxable[year, series] = taxable_year
            tax[year, series] = tax_year
            pool_path[year, series] = pool_out
            pool[series] = pool_out


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


#: Repayment kinds of :func:`_tranche_schedules` (``mode``).
STRAIGHT_LINE, ANNUITY, SCULPTED = 0, 1, 2
#: Series per block of :func:`_tranche_schedules` (copied to contiguous scratch).
BLOCK_SERIES = 256


def _tranche_schedules(funded, rate, cfads, other, share, grace, recurring, mode, tenor, upfront_fee,
                       commitment_fee, target_dscr, draw, capitalised, interest_paid, principal, at_horizon,
                       fees, balance, amount, shortfall, share_lent):
    """Every year of one debt tranche, for many series (the mechanics of :mod:`tecmodel.financing`).

    Arrays are (year, series) [EUR], except ``rate`` and ``share_lent`` (series,). Per series:

    1. Drawing periods: a loan opens in a year with capex to fund (``share * funded > 0``) when
       none is open (and, unless ``recurring``, none was opened before); it draws in that year
       and the ``grace`` years after it and closes at the end of them (or in the last year).
    2. While drawing, the interest on the balance is capitalised; the balance at the close is
       the loan amount.
    3. Sculpted: the service in the ``tenor`` years after the close is ``max(CFADS / target -
       other service, 0)``; the loan is the present value of that service at ``rate``, capped
       at the full-share amount (``scale``, at most 1, then scales the draws and the service);
       a repayment year whose CFADS cannot cover the other service at the target reports a
       shortfall of ``target * (other service - CFADS / target)``. The last repayment year
       clears the balance.
       Straight line: 1/tenor of the amount each year after the close; annuity:
       ``r (1 + r)^(k-1) / ((1 + r)^tenor - 1)`` in the k-th year (1/tenor where r = 0); the
       interest is paid on the balance at the previous year end (balances below 1e-12 of the
       amount lent so far count as repaid).
    4. Fees: ``upfront_fee`` x the loan amount in the opening year; ``commitment_fee`` x the
       amount not yet drawn in the other drawing years. The balance outstanding at the horizon
       is repaid in the last year (``at_horizon``), whose balance is then zero.

    Each series is computed by the same scalar operations whatever the other series, so results
    are bit-identical however the series are batched.
    """
    n_years, n_series = funded.shape
    block = min(BLOCK_SERIES, n_series)
    # Blocks of series are copied into (series, year) scratch so each series' years are
    # contiguous, then copied back: walking (year, series) arrays series by series would touch
    # a new memory page at every year.
    inputs = np.empty((3, block, n_years))
    outputs = np.empty((9, block, n_years))
    scratch = np.empty((6, n_years))
    flags = np.empty((3, n_years), dtype=np.bool_)
    shares = np.empty((2, tenor + 1))
    for first in range(0, n_series, block):
        count = min(block, n_series - first)
        for year in range(n_years):
            for j in range(count):
                inputs[0, j, year] = funded[year, first + j]
                if mode == SCULPTED:  # only a sculpted tranche reads the cash flow
                    inputs[1, j, year] = cfads[year, first + j]
                    inputs[2, j, year] = other[year, first + j]
        for j in range(count):
            share_lent[first + j] = _series_kernel(
                inputs[0, j], rate[first + j], inputs[1, j], inputs[2, j], share, grace, recurring, mode, tenor,
                upfront_fee, commitment_fee, target_dscr, outputs[0, j], outputs[1, j], outputs[2, j],
                outputs[3, j], outputs[4, j], outputs[5, j], outputs[6, j], outputs[7, j], outputs[8, j],
                scratch, flags, shares)
        for year in range(n_years):
            for j in range(count):
                draw[year, first + j] = outputs[0, j, year]
                capitalised[year, first + j] = outputs[1, j, year]
                interest_paid[year, first + j] = outputs[2, j, year]
                principal[year, first + j] = outputs[3, j, year]
                at_horizon[year, first + j] = outputs[4, j, year]
                fees[year, first + j] = outputs[5, j, year]
                balance[year, first + j] = outputs[6, j, year]
                amount[year, first + j] = outputs[7, j, year]
                shortfall[year, first + j] = outputs[8, j, year]


def _tranche_series(funded, r, cfads, other, share, grace, recurring, mode, tenor, upfront_fee, commitment_fee,
                    target_dscr, draw, capitalised, interest_paid, principal, at_horizon, fees, balance, amount,
                    shortfall, scratch, flags, shares):
    """One series of :func:`_tranche_schedules`: 1-D arrays over years; returns the share lent.

    ``scratch``, ``flags`` and ``shares`` are work space (6 x years, 3 x years booleans,
    2 x (tenor + 1)).
    """
    n_years = funded.shape[0]
    before, remaining, service, loan_of_year = scratch[0], scratch[1], scratch[2], scratch[3]
    drawing, opens, closes = flags[0], flags[1], flags[2]
    repaid_share, growth = shares[0], shares[1]
    # 1. drawing periods
    is_open = False
    opened_before = False
    close_year = -1
    any_funded = False
    for year in range(n_years):
        if funded[year] > 0.0:
            any_funded = True
        starts = share * funded[year] > 0.0 and not is_open and (recurring or not opened_before)
        if starts:
            close_year = year + grace
            is_open = True
            opened_before = True
        opens[year] = starts
        drawing[year] = is_open
        ending = is_open and (close_year == year or year == n_years - 1)
        closes[year] = ending
        if ending:
            is_open = False
    if not opened_before:  # nothing to fund at this series (a site the tranche does not lend to)
        for year in range(n_years):
            draw[year] = capitalised[year] = interest_paid[year] = principal[year] = 0.0
            at_horizon[year] = fees[year] = balance[year] = amount[year] = shortfall[year] = 0.0
        return share * 1.0 * (1.0 if any_funded else 0.0)
    # 2. draws, capitalised interest, loan amounts
    window = 0.0
    for year in range(n_years):
        wanted = share * funded[year]
        drawn = wanted if drawing[year] else 0.0
        draw[year] = drawn
        before[year] = window
        interest = r * window if drawing[year] else 0.0
        capitalised[year] = interest
        window = window + interest + drawn if drawing[year] else 0.0
        amount[year] = window if closes[year] else 0.0
        if closes[year]:
            window = 0.0
    # 3. repayment
    scale = 1.0
    if mode == SCULPTED:
        first_close = n_years
        for year in range(n_years):
            if closes[year]:
                first_close = year
                break
        capacity = 0.0
        discount = 1.0
        for year in range(n_years):
            repaying = first_close < year <= first_close + tenor
            room = cfads[year] / target_dscr - other[year]
            service[year] = max(room, 0.0) if repaying else 0.0
            shortfall[year] = target_dscr * max(-room, 0.0) if repaying else 0.0
            if year > first_close:
                discount = discount / (1.0 + r)
            capacity = capacity + service[year] * discount
        full = 0.0
        for year in range(n_years):
            full += amount[year]
        if full > 0.0:
            scale = min(max(capacity / full, 0.0), 1.0)
        for year in range(n_years):
            service[year] = service[year] * (scale * full / capacity) if capacity > 0.0 else 0.0
            draw[year] = draw[year] * scale
            capitalised[year] = capitalised[year] * scale
            amount[year] = amount[year] * scale
            before[year] = before[year] * scale
        last_year = min(first_close + tenor, n_years - 1)
        owed = 0.0
        for year in range(n_years):
            repaying = first_close < year <= last_year
            interest = r * owed if repaying else 0.0
            interest_paid[year] = interest
            paid = owed if year == last_year else service[year] - interest
            repaid = paid if repaying else 0.0
            principal[year] = repaid
            owed = (owed - repaid if repaying else owed) + amount[year]
            if repaying and year == last_year:
                owed = 0.0
            remaining[year] = owed
    else:
        for year in range(n_years):
            shortfall[year] = 0.0
            principal[year] = 0.0
        if mode == ANNUITY:
            growth[0] = 1.0
            for k in range(1, tenor + 1):
                growth[k] = growth[k - 1] * (1.0 + r)
            total = growth[tenor] - 1.0
            for k in range(1, tenor + 1):
                repaid_share[k] = 1.0 / tenor if r == 0.0 else r * growth[k - 1] / total
        else:
            for k in range(1, tenor + 1):
                repaid_share[k] = 1.0 / tenor
        for lag in range(1, min(tenor, n_years - 1) + 1):
            for year in range(lag, n_years):
                principal[year] += amount[year - lag] * repaid_share[lag]
        outstanding = 0.0
        lent = 0.0
        for year in range(n_years):
            outstanding = outstanding + (amount[year] - principal[year])
            lent = lent + amount[year]
            remaining[year] = 0.0 if outstanding <= 1e-12 * max(lent, 1.0) else outstanding
        interest_paid[0] = 0.0
        for year in range(1, n_years):
            interest_paid[year] = r * remaining[year - 1]
    # 4. fees, repayment at the horizon, balances
    current = 0.0
    for year in range(n_years - 1, -1, -1):
        if closes[year]:
            current = amount[year]
        loan_of_year[year] = current if drawing[year] else 0.0
    for year in range(n_years):
        upfront = loan_of_year[year] if opens[year] else 0.0
        undrawn = max(loan_of_year[year] - before[year], 0.0) if drawing[year] and not opens[year] else 0.0
        fees[year] = upfront_fee * upfront + commitment_fee * undrawn
        at_horizon[year] = 0.0
    at_horizon[n_years - 1] = remaining[n_years - 1]
    drawn_so_far = 0.0
    closed_so_far = 0.0
    for year in range(n_years):
        drawn_so_far = drawn_so_far + (draw[year] + capitalised[year])
        closed_so_far = closed_so_far + amount[year]
        balance[year] = remaining[year] + max(drawn_so_far - closed_so_far, 0.0)
    balance[n_years - 1] = 0.0
    return share * scale * (1.0 if any_funded else 0.0)


# Placeholders replaced by their compiled versions in _compiled(); the pure-Python bodies above
# read these module globals, so the same source is what numba compiles.
_prange = range
_step = _tax_step
_step_slope = _tax_step_slope
_npv = _npv_and_slope
_scalar_power = _integer_power
_series_kernel = _tranche_series


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
    schedule = numba.njit(**options)(_tax_schedule)
    breakeven = numba.njit(parallel=True, **options)(_breakeven)
    _scalar_power = numba.njit(inline="always", **options)(_integer_power)
    # A compiled loop rather than numba.vectorize: a ufunc built by vectorize is compiled again
    # in every process (about a second), a cached njit function is loaded from disk.
    power = numba.njit(**options)(_integer_power_loop)
    return schedule, breakeven, power


@cache
def _compiled_tranche():
    """Compile (or load from the on-disk cache) :func:`_tranche_schedules`."""
    global _series_kernel
    import numba

    options = dict(cache=True, nogil=True, error_model="numpy")
    _series_kernel = numba.njit(inline="always", **options)(_tranche_series)
    return numba.njit(**options)(_tranche_schedules)


#: Outputs of :func:`tranche_schedules`, (year, series) each.
TRANCHE_OUTPUTS = ("draw", "capitalised", "interest_paid", "principal", "at_horizon", "fees", "balance", "amount",
                   "shortfall")


def tranche_schedules(funded: np.ndarray, rate: np.ndarray, *, share: float, grace: int, recurring: bool,
                      mode: int, tenor: int, upfront_fee: float, commitment_fee: float, target_dscr: float,
                      cfads: np.ndarray | None = None, other: np.ndarray | None = None,
                      out: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Run :func:`_tranche_schedules` (compiled) and return its outputs by name.

    Parameters
    ----------
    funded : numpy.ndarray
        (year, series) capex the tranche would fund at full share [EUR].
    rate : numpy.ndarray
        (series,) interest rate [1/yr].
    share, grace, recurring, mode, tenor, upfront_fee, commitment_fee, target_dscr
        The tranche's terms (``mode``: :data:`STRAIGHT_LINE`, :data:`ANNUITY` or :data:`SCULPTED`).
    cfads, other : numpy.ndarray, optional
        (year, series) CFADS and the other tranches' debt service [EUR/yr]; sculpted only.
    out : dict of str to numpy.ndarray, optional
        Arrays to write the outputs into (C-contiguous float64, the shapes returned), e.g. one
        tranche's slice of arrays that hold every tranche.

    Returns
    -------
    dict of str to numpy.ndarray
        ``draw``, ``capitalised``, ``interest_paid``, ``principal``, ``at_horizon``, ``fees``,
        ``balance``, ``amount``, ``shortfall`` (year, series) [EUR] and ``share_lent`` (series,) [1].
    """
    funded = np.ascontiguousarray(funded, dtype=np.float64)
    rate = np.ascontiguousarray(np.broadcast_to(np.asarray(rate, dtype=np.float64), funded.shape[1:]))
    if mode == SCULPTED:
        cfads = np.ascontiguousarray(cfads, dtype=np.float64)
        other = np.ascontiguousarray(other, dtype=np.float64)
    else:  # not read
        cfads = other = funded
    outputs = dict(out) if out is not None else {}
    for name in TRANCHE_OUTPUTS:
        outputs.setdefault(name, np.empty_like(funded))
    outputs.setdefault("share_lent", np.empty(funded.shape[1:]))
    _compiled_tranche()(funded, rate, cfads, other, float(share), int(grace), bool(recurring), int(mode), int(tenor),
                        float(upfront_fee), float(commitment_fee), float(target_dscr),
                        *(outputs[name] for name in TRANCHE_OUTPUTS), outputs["share_lent"])
    return outputs


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
