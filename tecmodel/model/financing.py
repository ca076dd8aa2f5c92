"""Debt financing on top of the unlevered cash flow: tranches sized once, covenants, equity returns.

This module owns the financing structure of a case (``financing.tranches`` in the case file,
validated into :class:`tecmodel.inputs.Tranche`) and everything derived from it:

- the debt, sized once on the sizing case (:func:`size_debt`) and then held fixed: each
  tranche's drawdowns, interest during construction (capitalised, funded by drawing more),
  upfront and commitment fees and repayment (annuity, straight line, or sculpted to a target
  DSCR on the sizing case's CFADS);
- the rows of category ``financing`` of the cash-flow cube (debt drawdowns, interest, fees,
  repayment, cash held back in the borrower, the interest tax shield). The unlevered free cash
  flow is the sum of every other row and is not changed by financing; the equity cash flow is
  the sum of every row;
- the covenants of each borrower (site): DSCR, the debt service reserve account, the lock-up and
  the default test, and the equity metrics: equity NPV at ``financing.cost_of_equity``, equity
  IRR, MOIC, minimum and average DSCR and the year of the minimum, the debt capacity at
  ``financing.target_dscr``, and a status saying where the structure needs attention, with
  notes naming the year and the amount.

**Sizing.** Debt is sized once, on the sizing case: the case as stated (no overrides, no
samples), :func:`tecmodel.model.evaluation.debt_schedule`. Every other evaluation of the case
(Monte Carlo samples, scenarios, solvers, scalar overrides) carries that schedule unchanged:
amounts, drawing years and repayment schedules do not depend on a sample's own cash flow (a
lender commits to a schedule; it does not re-shape it to each outcome). A capex that differs from
the sizing case is funded by the equity (more capex) or returned to it (less). The one exception
is ``financing.rate_shift``: a base-rate move against the sizing case changes the interest paid
on the fixed balances (floating-rate debt), in cash, and nothing else.

Mechanics of a tranche (each site borrows standalone on the tranche's terms; year-end flows):

- A loan opens in the first year in which the funded assets are bought. During its drawing
  period (the opening year and the ``grace`` years after it) it draws ``share`` of the funded
  capex each year, and the interest on its balance is capitalised (drawn, not paid). At the end
  of the drawing period the balance (the loan amount) is repaid over ``tenor`` years. With
  ``recurring``, a purchase after the drawing period opens a new loan on the same terms (a GPU
  loan per accelerator generation); otherwise later purchases are funded by equity.
- Annuity: equal yearly payments of interest and principal; straight line: equal principal.
- Sculpted (at most one tranche per site; never recurring): the yearly debt service is the
  sizing case's CFADS divided by ``target_dscr``, less the other tranches' debt service; the loan
  amount is the present value of that service at the loan's rate, capped at ``share`` of the
  funded capex (then the service keeps the sculpted shape, scaled down). A repayment year in
  which the cash flow cannot cover even the other tranches at the target gets no sculpted
  repayment and is reported (``sculpting_shortfall``). Interest is paid in full every year, and
  no principal is ever negative: a year whose sculpted service is below the interest repays no
  principal and the loan clears earlier.
- Fees: ``upfront_fee`` x the loan amount in the opening year; ``commitment_fee`` per year on
  the commitment not yet drawn during the drawing period.
- A balance still outstanding at the horizon (a loan whose tenor runs past the last model
  year) is a balloon the borrower must refinance: reported as refinancing risk with its amount
  and year (``debt_at_horizon``, a note per tranche), and paid in the model's last year in its
  own row, outside the DSCR.

**CFADS** (cash flow available for debt service) = revenue + opex + corporate tax of the
unlevered cash flow + every capex (negative) + the debt drawdowns that fund capex in that year:
the cash flow after every capex the debt does not fund, the equity half of each accelerator
refresh included. The horizon sale (the residual value) is left out: a lender does not count on
the sale of the assets at the end of the model for debt service, so a loan still outstanding then
is refinancing risk, not covered. The interest tax shield is kept out of CFADS (conservative, and
it keeps sculpting free of the circularity between interest and tax); it flows to equity as its
own row. Interest (capitalised or paid) and fees are deductible when incurred; the shield is the
unlevered tax less the tax on the taxable income after interest and fees, both with the loss
carry-forward.

**Covenants**, per borrower (site), in each year with scheduled debt service:

- DSCR = CFADS / debt service. The portfolio's figure is the worst of its sites', never a ratio
  of pooled cash.
- Debt service reserve account: ``financing.reserve_period`` x the site's largest yearly
  scheduled debt service (6 months = 0.5 yr), funded by the equity at the end of the year before
  the first scheduled debt service (first operations), released at the end of the last year with
  scheduled debt service (maturity). A year whose CFADS does not cover its debt service draws on
  cash locked up by earlier years, then on the reserve; later surpluses refill the reserve before
  anything is distributed.
- Lock-up: in a year whose DSCR is below ``financing.lockup_dscr``, the surplus (after the reserve
  is refilled) is not distributed but held in the borrower, and released in the first later year
  that passes the test (or at maturity).
- Default: a year whose DSCR, after the locked-up cash and the reserve are used, is still below
  1.0 (CFADS + locked-up cash + reserve < debt service). The model then lets the equity cure the
  gap (its cash flow turns negative) and counts the default; it does not model acceleration.

Not modelled: the French cap on net financial charges (CGI art. 212 bis), cash sweeps,
refinancing terms.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from tecmodel.inputs.terms import Tranche
from tecmodel.model.covenants import EUR_TOLERANCE, covenant_accounts, financing_notes
from tecmodel.model.cube import (
    FINANCING_ITEMS,
    CashFlows,
    aligned,
    broadcast_values,
    item_total,
)
from tecmodel.model.metrics import (
    append_portfolio,
    discount_factors,
    present_value,
    project_irr,
    with_portfolio,
)
from tecmodel.model.outputs import FinancingStatus, set_metric_attributes
from tecmodel.model.tax import loss_carry_forward_tax, tax_terms
from tecmodel.model.tranches import TRANCHE_OUTPUTS, tranche_schedule
from tecmodel.numerics.labelled import dataset, dimension_coordinate, labelled, like, set_attributes
from tecmodel.numerics.ordered import dim_total, ordered_sum, year_total

#: Asset group -> the capex rows it covers (selection criteria of :func:`tecmodel.cube.item_total`).
ASSET_GROUPS: dict[str, dict] = {
    "facility": {"category": "capex", "component": ("construction", "cooling")},
    "chips": {"category": "capex", "component": "chips"},
}


# --------------------------------------------------------------------------- one tranche (compiled kernel)


# --------------------------------------------------------------------------- the structure on the cash flows


def _series(array: xr.DataArray, template: xr.DataArray) -> np.ndarray:
    """Values broadcast to `template` (year first), as (year, series)."""
    return broadcast_values(array, template).reshape(template.shape[0], -1)


def funded_capex(flows: CashFlows | xr.DataArray, funds: Sequence[str]) -> xr.DataArray:
    """Capex of the given asset groups (positive) [EUR], over (year, site, ...)."""
    total = None
    for group in funds:
        spend = -item_total(flows, outflows_only=True, **ASSET_GROUPS[group])
        total = spend if total is None else total + spend
    return total


def operating_cash_flow(flows: CashFlows | xr.DataArray) -> xr.DataArray:
    """Revenue + opex + corporate tax of the unlevered cash flow [EUR/yr] (no capex, no sale)."""
    return item_total(flows, category=("revenue", "opex", "tax"))


def cash_flow_available_for_debt_service(
    flows: CashFlows | xr.DataArray, drawdown: xr.DataArray | np.ndarray | float = 0.0
) -> xr.DataArray:
    """CFADS: revenue + opex + corporate tax + capex + the drawdowns funding it [EUR/yr].

    The cash flow after every capex the debt does not fund in the year (the equity half of an
    accelerator refresh included), before the horizon sale (the residual value is not counted).

    Parameters
    ----------
    flows : CashFlows or xarray.DataArray
        The unlevered rows (tax included).
    drawdown : xarray.DataArray, numpy.ndarray or float
        Debt drawn in cash to fund capex, over the same (year, site, ...) [EUR/yr].
    """
    return item_total(flows, category=("revenue", "opex", "tax", "capex")) + drawdown


#: The fixed schedule of every tranche (:func:`size_debt`): variable -> kernel output.
SCHEDULE_VARIABLES = {
    "drawdown": "draw",
    "capitalised_interest": "capitalised",
    "interest_paid": "interest_paid",
    "principal": "principal",
    "fees": "fees",
    "repayment_at_horizon": "at_horizon",
    "balance": "balance",
    "loan_amount": "amount",
    "sculpting_shortfall": "shortfall",
}


def size_debt(flows: CashFlows, params: xr.Dataset, tranches: Sequence[Tranche]) -> xr.Dataset:
    """Size every tranche once, on the cash flow of the sizing case.

    Parameters
    ----------
    flows : CashFlows
        The sizing case's unlevered rows (tax included), over (year, site) only.
    params : xarray.Dataset
        The sizing case's parameters (``financing.rate_shift``).
    tranches : sequence of Tranche
        The case's tranches; the sculpted one (at most one per site) is sized after the others.

    Returns
    -------
    xarray.Dataset
        Per tranche (tranche, year, site): the variables of :data:`SCHEDULE_VARIABLES` [EUR];
        ``share_lent`` (tranche, site) [1]; ``sizing_cfads`` (year, site) [EUR], the sizing
        case's CFADS (a sculpted tranche is sized on it); ``sizing_rate_shift`` [1/yr], the
        rate shift the debt was sized at.
    """
    operating = operating_cash_flow(flows)
    extra = [dim for dim in operating.dims if dim not in ("year", "site")]
    if extra:
        raise ValueError(f"debt is sized on one case, not along {extra}")
    template = xr.zeros_like(operating).transpose("year", "site")
    site_template = template.isel(year=0, drop=True)
    capex = _series(item_total(flows, category="capex"), template)
    before_draws = _series(operating, template) + capex
    shift = params["financing.rate_shift"]
    ordered = sorted(tranches, key=lambda tranche: tranche.repayment == "sculpted")
    names = [tranche.name for tranche in tranches]
    shape = before_draws.shape
    per_tranche = {name: np.zeros((len(names),) + shape) for name in TRANCHE_OUTPUTS}
    per_tranche["share_lent"] = np.zeros((len(names),) + shape[1:])
    sites = list(template["site"].values)
    service = np.zeros(shape)
    drawn = np.zeros(shape)
    for tranche in ordered:
        lends = xr.DataArray(
            [site in tranche.sites for site in sites], dims="site", coords={"site": sites}
        )
        funded = _series(funded_capex(flows, tranche.funds) * lends, template)
        rate = broadcast_values(tranche.interest_rate + shift, site_template).ravel()
        position = names.index(tranche.name)
        # A sculpted loan draws only in its drawing period, before it repays: the CFADS it is
        # sized on holds the other tranches' drawdowns, which are known by then.
        sizing_cfads = before_draws + drawn
        schedule = tranche_schedule(
            funded,
            rate,
            tranche,
            cfads=sizing_cfads,
            other_debt_service=service.copy(),
            out={name: values[position] for name, values in per_tranche.items()},
        )
        service = service + schedule.debt_service
        drawn = drawn + schedule.drawdown
    coords = {"tranche": dimension_coordinate("tranche", tuple(names)), **template.coords}
    dims = ("tranche",) + template.dims
    variables = {
        field: labelled(per_tranche[output], dims, coords)
        for field, output in SCHEDULE_VARIABLES.items()
    }
    variables["share_lent"] = labelled(per_tranche["share_lent"], ("tranche", "site"), coords)
    variables["sizing_cfads"] = like(template, before_draws + drawn)
    schedule = dataset(variables)
    schedule["sizing_rate_shift"] = xr.DataArray(float(shift))
    set_attributes(schedule, {name: FINANCING_ATTRS[name] for name in schedule.data_vars})
    return schedule


def _tranche_values(schedule: xr.Dataset, variable: str, template: xr.DataArray) -> np.ndarray:
    """A schedule variable over (tranche,) + `template`'s shape, as a read-only broadcast view.

    The schedule is sized once (no ``sample`` dimension); a copy per sample of a large call
    would be the largest array of the financing step, for values that do not vary.
    """
    values = schedule[variable]
    shape = (values.sizes["tranche"],) + template.shape
    if values.sizes["tranche"] == 0:
        return np.zeros(shape)
    return np.broadcast_to(aligned(values, ("tranche",) + template.dims), shape)


def apply_financing(
    flows: CashFlows,
    profit: xr.DataArray,
    tax: xr.DataArray,
    params: xr.Dataset,
    tranches: Sequence[Tranche],
    schedule: xr.Dataset | None = None,
) -> tuple[CashFlows, xr.Dataset]:
    """Lay the fixed debt schedule on the cash flows and test each borrower's covenants.

    Parameters
    ----------
    flows : CashFlows
        The rows after :func:`tecmodel.model.tax.apply_tax` (tax included, no financing rows).
    profit : xarray.DataArray
        Taxable income before loss relief (year, site, ...) [EUR] (from the tax accounts).
    tax : xarray.DataArray
        The unlevered corporate tax (year, site, ...) [EUR], positive.
    params : xarray.Dataset
        Reads ``financing.*`` and the ``tax.*`` parameters.
    tranches : sequence of Tranche
        The case's tranches (none: every financing row is zero and equity = project).
    schedule : xarray.Dataset, optional
        The debt sized on the sizing case (:func:`size_debt`); None sizes it on `flows`, which
        must then have no dimension but year and site.

    Returns
    -------
    flows : CashFlows
        With the financing rows (full shape).
    financing : xarray.Dataset
        Per tranche (tranche, year, site, ...): the variables of :data:`SCHEDULE_VARIABLES`
        (``interest_paid`` after any rate shift against the sizing case) [EUR]; per site
        (year, site, ...): ``cfads``, ``debt_service``, ``debt_balance``,
        ``deductible_financing_cost``, ``levered_tax``, ``reserve_balance``, ``locked_cash``,
        ``reserve_funding``, ``reserve_draw``, ``cash_held_back`` [EUR], ``dscr`` [1] (NaN in
        years without debt service), ``lock_up`` and ``default`` [1] (0/1); per site
        (site, ...): ``debt_capacity`` and ``reserve_target`` [EUR]. Attribute ``notes``: the
        diagnostics in words (deterministic runs).
    """
    if schedule is None:
        schedule = size_debt(flows, params, tranches)
    operating = operating_cash_flow(flows)
    template = xr.zeros_like(operating).transpose("year", "site", ...)
    dims = template.dims
    shape = template.shape
    site_template = template.isel(year=0, drop=True)
    names = [tranche.name for tranche in tranches]
    per_tranche = {
        field: _tranche_values(schedule, field, template) for field in SCHEDULE_VARIABLES
    }
    # A base-rate move against the sizing case: floating interest on the fixed balances.
    shift = broadcast_values(
        params["financing.rate_shift"] - schedule["sizing_rate_shift"], site_template
    )
    sized_interest = per_tranche["interest_paid"]
    previous_balance = _tranche_values(
        schedule.assign(balance=schedule["balance"].shift(year=1, fill_value=0.0)),
        "balance",
        template,
    )
    per_tranche["interest_paid"] = sized_interest + shift * previous_balance

    def total(field: str) -> np.ndarray:
        """Sum over the tranches, in their order, of one schedule variable (year, series)."""
        return ordered_sum(per_tranche[field], 0).reshape(shape[0], -1)

    drawdown, capitalised = total("drawdown"), total("capitalised_interest")
    interest_paid, principal = total("interest_paid"), total("principal")
    fees, at_horizon = total("fees"), total("repayment_at_horizon")
    debt_service = interest_paid + principal
    sized_service = ordered_sum(sized_interest, 0).reshape(shape[0], -1) + principal
    deductible = capitalised + interest_paid + fees
    cfads_series = _series(
        cash_flow_available_for_debt_service(flows), template
    ) + drawdown.reshape(shape[0], -1)

    accounts = covenant_accounts(
        cfads_series,
        debt_service,
        sized_service,
        broadcast_values(params["financing.reserve_period"], site_template).ravel(),
        broadcast_values(params["financing.lockup_dscr"], site_template).ravel(),
    )

    tax_arguments = tax_terms(params, site_template)
    unlevered = broadcast_values(tax, template)
    if names:
        levered = loss_carry_forward_tax(
            broadcast_values(profit, template) - deductible.reshape(shape), *tax_arguments
        ).tax
    else:
        levered = unlevered
    shield = unlevered - levered

    rows = {
        "debt_drawdown": drawdown,
        "debt_drawdown_interest": capitalised,
        "debt_interest": -(capitalised + interest_paid),
        "debt_fees": -fees,
        "debt_repayment": -principal,
        "debt_repayment_at_horizon": -at_horizon,
        "cash_held_back": accounts["cash_held_back"],
        "interest_tax_shield": shield,
    }
    assert set(rows) == set(FINANCING_ITEMS)
    for name, values in rows.items():
        flows = flows.with_item(name, like(template, values))

    def as_array(values: np.ndarray) -> xr.DataArray:
        return like(template, values)

    with np.errstate(divide="ignore", invalid="ignore"):
        dscr = np.where(
            debt_service > EUR_TOLERANCE,
            cfads_series / np.where(debt_service > 0, debt_service, 1.0),
            np.nan,
        )
    variables = {
        "cfads": as_array(cfads_series),
        "debt_service": as_array(debt_service),
        "debt_balance": as_array(total("balance")),
        "dscr": as_array(dscr),
        "deductible_financing_cost": as_array(deductible),
        "levered_tax": as_array(levered.reshape(cfads_series.shape)),
        "debt_capacity": like(
            site_template,
            debt_capacity(
                cfads_series,
                debt_service,
                {
                    name: (
                        broadcast_values(
                            tranche.interest_rate + params["financing.rate_shift"],
                            site_template,
                        ).ravel(),
                        (
                            per_tranche["drawdown"][k] + per_tranche["capitalised_interest"][k]
                        ).reshape(shape[0], -1),
                    )
                    for k, (name, tranche) in enumerate(zip(names, tranches, strict=True))
                },
                broadcast_values(params["financing.target_dscr"], site_template).ravel(),
            ),
        ),
        "reserve_target": like(site_template, accounts["reserve_target"]),
    }
    for name in ("reserve_balance", "locked_cash", "reserve_funding", "reserve_draw"):
        variables[name] = as_array(accounts[name])
    variables["cash_held_back"] = as_array(accounts["cash_held_back"])
    for name in ("lock_up", "default"):
        variables[name] = as_array(accounts[name].astype(np.int8))
    tranche_coords = {"tranche": dimension_coordinate("tranche", tuple(names)), **template.coords}
    for field in SCHEDULE_VARIABLES:
        variables[field] = labelled(per_tranche[field], ("tranche",) + dims, tranche_coords)
    variables["share_lent"] = schedule["share_lent"]
    financing = dataset(variables)
    set_attributes(financing, {name: FINANCING_ATTRS[name] for name in financing.data_vars})
    if len(dims) == 2:
        financing.attrs["notes"] = financing_notes(financing, tranches)
    return flows, financing


def debt_capacity(
    cfads: np.ndarray,
    debt_service: np.ndarray,
    tranche_draws: dict[str, tuple[np.ndarray, np.ndarray]],
    target_dscr: np.ndarray,
) -> np.ndarray:
    """Largest debt the cash flow supports at the target DSCR [EUR], per series.

    The present value, at the drawn-weighted average interest rate of the tranches, of
    max(CFADS, 0) / target DSCR over the years from the first to the last year with scheduled
    debt service, valued at the end of the year before the first: the debt a loan sculpted to
    the target over the structure's repayment years could carry. NaN where there is no debt.
    """
    n_years = cfads.shape[0]
    weights = sum(
        (draws.sum(axis=0) for _, draws in tranche_draws.values()), np.zeros(cfads.shape[1:])
    )
    weighted = sum(
        (rate * draws.sum(axis=0) for rate, draws in tranche_draws.values()),
        np.zeros(cfads.shape[1:]),
    )
    serviced = debt_service > EUR_TOLERANCE
    has_debt = serviced.any(axis=0) & (weights > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(has_debt, weighted / np.where(weights > 0, weights, 1.0), 0.0)
    first = np.argmax(serviced, axis=0)
    last = n_years - 1 - np.argmax(serviced[::-1], axis=0)
    capacity = np.zeros(cfads.shape[1:])
    discount = np.ones(cfads.shape[1:])
    for year in range(n_years):
        inside = (year >= first) & (year <= last)
        discount = np.where(inside, discount / (1.0 + rate), discount)
        capacity = capacity + np.where(
            inside, np.maximum(cfads[year], 0.0) / target_dscr * discount, 0.0
        )
    return np.where(has_debt, capacity, np.nan)


FINANCING_ATTRS: dict[str, tuple[str, str]] = {
    "cfads": (
        "EUR",
        "Cash flow available for debt service: revenue + opex + unlevered corporate tax + capex + "
        "the drawdowns funding it (after every capex the debt does not fund; no horizon sale)",
    ),
    "sizing_cfads": ("EUR", "CFADS of the sizing case, on which the debt was sized"),
    "sizing_rate_shift": ("1/yr", "financing.rate_shift of the sizing case"),
    "debt_service": ("EUR", "Scheduled debt service: interest paid plus principal"),
    "debt_balance": ("EUR", "Debt outstanding at year end"),
    "dscr": (
        "1",
        "Debt-service cover ratio: CFADS / debt service (NaN in years without debt service)",
    ),
    "deductible_financing_cost": (
        "EUR",
        "Interest (paid or capitalised) and fees deducted from taxable income",
    ),
    "levered_tax": ("EUR", "Corporate income tax after deducting interest and fees"),
    "debt_capacity": ("EUR", "Largest debt the cash flow supports at financing.target_dscr"),
    "reserve_target": (
        "EUR",
        "Debt service reserve: financing.reserve_period x the largest yearly scheduled debt service",
    ),
    "reserve_balance": ("EUR", "Debt service reserve account at year end"),
    "locked_cash": ("EUR", "Distributions locked up by the lock-up test, held at year end"),
    "reserve_funding": (
        "EUR",
        "Reserve funded by the equity at first operations (positive), released at maturity "
        "(negative)",
    ),
    "reserve_draw": (
        "EUR",
        "Reserve used to pay debt service (positive) or refilled from surplus cash (negative)",
    ),
    "cash_held_back": (
        "EUR",
        "Cash the borrower holds back from (negative) or pays out to (positive) its equity: the "
        "change of the reserve account and of locked-up cash",
    ),
    "lock_up": ("1", "1 in a year whose DSCR is below financing.lockup_dscr"),
    "default": (
        "1",
        "1 in a year whose CFADS, locked-up cash and reserve together do not cover its debt "
        "service (DSCR below 1.0 after the reserve is used)",
    ),
    "drawdown": ("EUR", "Drawdowns funding capex"),
    "capitalised_interest": (
        "EUR",
        "Interest during the drawing period, capitalised (funded by drawing)",
    ),
    "interest_paid": ("EUR", "Interest paid in cash"),
    "principal": ("EUR", "Scheduled principal repayment (never negative)"),
    "fees": ("EUR", "Upfront and commitment fees"),
    "repayment_at_horizon": (
        "EUR",
        "Balance outstanding at the horizon: a balloon to refinance, paid in the last year",
    ),
    "balance": ("EUR", "Tranche balance at year end"),
    "loan_amount": ("EUR", "Loan amount at the close of a drawing period"),
    "sculpting_shortfall": (
        "EUR",
        "CFADS missing to meet the sculpting target in a repayment year",
    ),
    "share_lent": (
        "1",
        "Share of the funded assets' capex the tranche lends (a sculpted tranche: as sized)",
    ),
}


# --------------------------------------------------------------------------- equity metrics


def equity_metrics(
    flows: CashFlows | xr.DataArray, financing: xr.Dataset, params: xr.Dataset, timeline: xr.Dataset
) -> xr.Dataset:
    """Equity and debt metrics per site and for the portfolio.

    Returns
    -------
    xarray.Dataset
        Over ``site`` (sites and ``"portfolio"``) and any extra dims: ``equity_npv`` [EUR] at
        ``financing.cost_of_equity``; ``equity_irr`` [1/yr] and ``equity_irr_status``; ``moic``
        [1] (equity distributions / contributions, undiscounted; the portfolio's are the sums
        of the sites', each site being its own company); ``min_dscr``, ``average_dscr``
        [1] and ``min_dscr_year`` [year] (NaN without debt service); ``debt_capacity``,
        ``debt_drawn`` (drawdowns incl. capitalised interest), ``peak_debt``, ``debt_at_horizon``
        (the balloon to refinance), ``reserve_target`` [EUR]; ``lock_up`` and ``debt_default``
        [1] (1 when any year locks up or defaults; the portfolio's when any site's does);
        ``financing_status`` [1] (bit flags, :class:`tecmodel.model.outputs.FinancingStatus`).
    """
    site_equity = item_total(flows)
    equity = with_portfolio(site_equity)
    factors = discount_factors(params["financing.cost_of_equity"], timeline["t"])
    rate, status = project_irr(equity)
    # Each site is its own company: the portfolio's equity goes in and comes out site by site.
    contributions = with_portfolio(year_total(np.maximum(-site_equity, 0.0)))
    distributions = with_portfolio(year_total(np.maximum(site_equity, 0.0)))
    with np.errstate(divide="ignore", invalid="ignore"):
        moic = xr.where(contributions > 0, distributions / contributions, np.nan)

    lowest, lowest_year, average, any_service = cover_ratios(
        financing["cfads"], financing["debt_service"]
    )
    drawn = with_portfolio(
        year_total(
            dim_total(financing["drawdown"], "tranche")
            + dim_total(financing["capitalised_interest"], "tranche")
        )
    )
    balance = with_portfolio(financing["debt_balance"])
    at_horizon = with_portfolio(year_total(dim_total(financing["repayment_at_horizon"], "tranche")))
    shortfall = with_portfolio(year_total(dim_total(financing["sculpting_shortfall"], "tranche")))
    below_one = (lowest < 1.0) & any_service
    # Each borrower's covenant events; the portfolio has one when any of its sites has.
    lock_up = with_portfolio(financing["lock_up"].max("year")).clip(max=1)
    default = with_portfolio(financing["default"].max("year")).clip(max=1)
    flags = (
        below_one * FinancingStatus.DSCR_BELOW_ONE
        + (shortfall > EUR_TOLERANCE) * FinancingStatus.SCULPTING_SHORT
        + (at_horizon > EUR_TOLERANCE) * FinancingStatus.DEBT_AT_HORIZON
        + (lock_up > 0) * FinancingStatus.LOCK_UP
        + (default > 0) * FinancingStatus.DEFAULT
    )
    metrics = dataset(
        {
            "equity_npv": present_value(equity, factors),
            "equity_irr": rate,
            "equity_irr_status": status,
            "moic": moic,
            "min_dscr": lowest,
            "min_dscr_year": lowest_year,
            "average_dscr": average,
            "debt_capacity": with_portfolio(financing["debt_capacity"]),
            "debt_drawn": drawn,
            "peak_debt": balance.max("year", skipna=False),
            "debt_at_horizon": at_horizon,
            "reserve_target": with_portfolio(financing["reserve_target"]),
            "lock_up": lock_up.astype(float),
            "debt_default": default.astype(float),
            "financing_status": flags.astype(np.int64),
        }
    )
    set_metric_attributes(metrics)
    return metrics


def cover_ratios(
    cfads: xr.DataArray, debt_service: xr.DataArray
) -> tuple[xr.DataArray, xr.DataArray, xr.DataArray, xr.DataArray]:
    """Each borrower's debt-service cover, and the portfolio's as the worst of its sites'.

    Each site is a standalone borrower (its own company): its covenant is tested on its own cash
    flow. The portfolio's minimum DSCR is the lowest of the sites' minima (in the year of the
    site that sets it) and its average DSCR the lowest of the sites' averages, never a ratio of
    pooled cash, which one site's surplus could lift above another's breach.

    Parameters
    ----------
    cfads, debt_service : xarray.DataArray
        (year, site, ...) cash flow available for debt service and scheduled debt service [EUR/yr].

    Returns
    -------
    lowest, lowest_year, average, any_service : xarray.DataArray
        Over (site incl. portfolio, ...): minimum DSCR [1], its year [year], average DSCR over
        the years with debt service [1] (NaN without debt service) and whether there is any.
    """
    serviced = debt_service > EUR_TOLERANCE
    with np.errstate(divide="ignore", invalid="ignore"):
        dscr = xr.where(serviced, cfads / xr.where(serviced, debt_service, 1.0), np.inf).transpose(
            "year", ...
        )
    any_service = serviced.any("year")
    lowest = dscr.min("year", skipna=False)
    lowest_year = lowest.copy(data=dscr["year"].values[dscr.argmin("year").values].astype(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        average = year_total(xr.where(serviced, dscr, 0.0)) / serviced.sum("year")
    lowest, lowest_year, average = (
        xr.where(any_service, value, np.nan) for value in (lowest, lowest_year, average)
    )
    worst_site = lowest.fillna(np.inf).argmin("site")
    portfolio_lowest = lowest.min("site")
    portfolio_year = xr.where(portfolio_lowest.notnull(), lowest_year.isel(site=worst_site), np.nan)
    return (
        append_portfolio(lowest, portfolio_lowest),
        append_portfolio(lowest_year, portfolio_year),
        append_portfolio(average, average.min("site")),
        append_portfolio(any_service, any_service.any("site")),
    )
