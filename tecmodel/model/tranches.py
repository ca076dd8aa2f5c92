"""The loan rules: one debt tranche's drawing, interest, fees and repayment, year by year.

This module owns the mechanics of a tranche (stated in :mod:`tecmodel.model.financing`'s
docstring) as one compiled loop per series (:func:`tranche_schedules`) and its typed wrapper
(:func:`tranche_schedule`). A series is computed by the same instructions whatever the other
series in the batch, so results do not depend on how samples are chunked. The kernel copies
blocks of series into contiguous scratch: walking (year, series) arrays one series at a time
touches a new memory page every year.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from tecmodel.inputs.terms import Tranche

#: Repayment kinds of :func:`_tranche_schedules` (``mode``).
STRAIGHT_LINE, ANNUITY, SCULPTED = 0, 1, 2


#: Series per block of :func:`_tranche_schedules` (copied to contiguous scratch).
BLOCK_SERIES = 256


def _tranche_schedules(
    funded,
    rate,
    cfads,
    other,
    share,
    grace,
    recurring,
    mode,
    tenor,
    upfront_fee,
    commitment_fee,
    target_dscr,
    draw,
    capitalised,
    interest_paid,
    principal,
    at_horizon,
    fees,
    balance,
    amount,
    shortfall,
    share_lent,
):
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
       shortfall of ``target * (other service - CFADS / target)``. Interest is paid in full
       every repayment year; the principal is ``min(max(service - interest, 0), balance)``,
       never negative, so a year whose sculpted service is below the interest repays nothing
       and the loan clears no later than sculpted. The last repayment year clears the balance.
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
                inputs[0, j],
                rate[first + j],
                inputs[1, j],
                inputs[2, j],
                share,
                grace,
                recurring,
                mode,
                tenor,
                upfront_fee,
                commitment_fee,
                target_dscr,
                outputs[0, j],
                outputs[1, j],
                outputs[2, j],
                outputs[3, j],
                outputs[4, j],
                outputs[5, j],
                outputs[6, j],
                outputs[7, j],
                outputs[8, j],
                scratch,
                flags,
                shares,
            )
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


def _tranche_series(
    funded,
    r,
    cfads,
    other,
    share,
    grace,
    recurring,
    mode,
    tenor,
    upfront_fee,
    commitment_fee,
    target_dscr,
    draw,
    capitalised,
    interest_paid,
    principal,
    at_horizon,
    fees,
    balance,
    amount,
    shortfall,
    scratch,
    flags,
    shares,
):
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
            # Interest is always paid in full; a year whose sculpted service falls short of it
            # repays no principal (never a negative one: the balance does not grow), and the
            # later years' principal, capped at what is owed, clears the loan earlier.
            paid = owed if year == last_year else min(max(service[year] - interest, 0.0), owed)
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
        undrawn = (
            max(loan_of_year[year] - before[year], 0.0)
            if drawing[year] and not opens[year]
            else 0.0
        )
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


_series_kernel = _tranche_series


@cache
def _compiled_tranche():
    """Compile (or load from the on-disk cache) :func:`_tranche_schedules`."""
    global _series_kernel
    import numba

    options = dict(cache=True, nogil=True, error_model="numpy")
    _series_kernel = numba.njit(inline="always", **options)(_tranche_series)
    return numba.njit(**options)(_tranche_schedules)


#: Outputs of :func:`tranche_schedules`, (year, series) each.
TRANCHE_OUTPUTS = (
    "draw",
    "capitalised",
    "interest_paid",
    "principal",
    "at_horizon",
    "fees",
    "balance",
    "amount",
    "shortfall",
)


def tranche_schedules(
    funded: np.ndarray,
    rate: np.ndarray,
    *,
    share: float,
    grace: int,
    recurring: bool,
    mode: int,
    tenor: int,
    upfront_fee: float,
    commitment_fee: float,
    target_dscr: float,
    cfads: np.ndarray | None = None,
    other: np.ndarray | None = None,
    out: dict[str, np.ndarray] | None = None,
) -> dict[str, np.ndarray]:
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
    rate = np.ascontiguousarray(
        np.broadcast_to(np.asarray(rate, dtype=np.float64), funded.shape[1:])
    )
    if mode == SCULPTED:
        cfads = np.ascontiguousarray(cfads, dtype=np.float64)
        other = np.ascontiguousarray(other, dtype=np.float64)
    else:  # not read
        cfads = other = funded
    outputs = dict(out) if out is not None else {}
    for name in TRANCHE_OUTPUTS:
        outputs.setdefault(name, np.empty_like(funded))
    outputs.setdefault("share_lent", np.empty(funded.shape[1:]))
    _compiled_tranche()(
        funded,
        rate,
        cfads,
        other,
        float(share),
        int(grace),
        bool(recurring),
        int(mode),
        int(tenor),
        float(upfront_fee),
        float(commitment_fee),
        float(target_dscr),
        *(outputs[name] for name in TRANCHE_OUTPUTS),
        outputs["share_lent"],
    )
    return outputs


@dataclass(frozen=True)
class TrancheSchedule:
    """Cash flows of one tranche, each (year, series) [EUR], all non-negative."""

    drawdown: np.ndarray
    capitalised_interest: np.ndarray
    interest_paid: np.ndarray
    principal: np.ndarray
    repayment_at_horizon: np.ndarray
    fees: np.ndarray
    balance: np.ndarray
    loan_amount: np.ndarray
    sculpting_shortfall: np.ndarray
    share_lent: np.ndarray

    @property
    def debt_service(self) -> np.ndarray:
        """Scheduled debt service: interest paid plus principal [EUR/yr]."""
        return self.interest_paid + self.principal


def tranche_schedule(
    funded: np.ndarray,
    rate: np.ndarray,
    tranche: Tranche,
    *,
    cfads: np.ndarray | None = None,
    other_debt_service: np.ndarray | None = None,
    out: dict[str, np.ndarray] | None = None,
) -> TrancheSchedule:
    """Drawdowns, interest, fees, repayment and balance of one tranche [EUR].

    The year-by-year mechanics (drawing periods, capitalised interest, annuity, straight-line
    or sculpted repayment, fees) are one compiled loop per series,
    :func:`tecmodel.model.tranches.tranche_schedules`, whose docstring states them.

    Parameters
    ----------
    funded : numpy.ndarray
        Capex of the assets the tranche funds at the sites it lends to, (year, series) [EUR]
        (positive; zero at other sites).
    rate : numpy.ndarray
        Interest rate per series, ``funded[0]``'s shape [1/yr].
    tranche : Tranche
        Terms (share, tenor, grace, repayment, fees, recurring).
    cfads : numpy.ndarray, optional
        Cash flow available for debt service [EUR/yr]; needed by a sculpted tranche.
    other_debt_service : numpy.ndarray, optional
        The other tranches' debt service [EUR/yr]; needed by a sculpted tranche.
    out : dict of str to numpy.ndarray, optional
        Where the kernel writes (see :func:`tecmodel.model.tranches.tranche_schedules`).

    Returns
    -------
    TrancheSchedule
    """
    if tranche.repayment == "sculpted" and (cfads is None or other_debt_service is None):
        raise ValueError(
            f"tranche {tranche.name!r} is sculpted: cfads and other_debt_service are needed"
        )
    mode = {"straight_line": STRAIGHT_LINE, "annuity": ANNUITY, "sculpted": SCULPTED}[
        tranche.repayment
    ]
    shape = funded.shape
    flat = np.asarray(funded, dtype=float).reshape(shape[0], -1)

    def as_years(values):
        return None if values is None else np.asarray(values, dtype=float).reshape(flat.shape)

    out = tranche_schedules(
        flat,
        np.asarray(rate, dtype=float).reshape(-1),
        share=tranche.share,
        grace=tranche.grace,
        recurring=tranche.recurring,
        mode=mode,
        tenor=tranche.tenor,
        upfront_fee=tranche.upfront_fee,
        commitment_fee=tranche.commitment_fee,
        target_dscr=np.nan if tranche.target_dscr is None else tranche.target_dscr,
        cfads=as_years(cfads),
        other=as_years(other_debt_service),
        out=out,
    )
    yearly = {name: values.reshape(shape) for name, values in out.items() if name != "share_lent"}
    return TrancheSchedule(
        yearly["draw"],
        yearly["capitalised"],
        yearly["interest_paid"],
        yearly["principal"],
        yearly["at_horizon"],
        yearly["fees"],
        yearly["balance"],
        yearly["amount"],
        yearly["shortfall"],
        out["share_lent"].reshape(shape[1:]),
    )
