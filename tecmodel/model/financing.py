"""Debt financing on top of the unlevered cash flow: tranches, debt service and equity returns.

This module owns the financing structure of a case (``financing.tranches`` in the case file,
validated into :class:`tecmodel.inputs.Tranche`) and everything derived from it:

- each tranche's loans: drawdowns funding a share of the capex of the assets it funds
  (``facility``: construction and cooling capex; ``chips``: accelerator purchases), interest
  during construction capitalised (funded by drawing more), upfront and commitment fees, and
  repayment as an annuity, straight line, or sculpted to a target DSCR;
- the rows of category ``financing`` of the cash-flow cube (debt drawdowns, interest, fees,
  repayment, the interest tax shield). The unlevered free cash flow is the sum of every other
  row and is not changed by financing; the equity cash flow is the sum of every row;
- the equity metrics: equity NPV at ``financing.cost_of_equity``, equity IRR, MOIC, minimum and
  average DSCR and the year of the minimum, the debt capacity at ``financing.target_dscr``, and
  a status saying where the structure needs attention (DSCR below 1, a sculpting target the cash
  flow cannot meet, debt outstanding at the horizon), with notes naming the year and the amount.

Mechanics of a tranche (each site borrows standalone on the tranche's terms; year-end flows):

- A loan opens in the first year in which the funded assets are bought. During its drawing
  period (the opening year and the ``grace`` years after it) it draws ``share`` of the funded
  capex each year, and the interest on its balance is capitalised (drawn, not paid). At the end
  of the drawing period the balance (the loan amount) is repaid over ``tenor`` years. With
  ``recurring``, a purchase after the drawing period opens a new loan on the same terms (a GPU
  loan per accelerator generation); otherwise later purchases are funded by equity.
- Annuity: equal yearly payments of interest and principal; straight line: equal principal.
- Sculpted (at most one tranche per site; never recurring): the yearly debt service is the cash
  flow available for debt service (CFADS) divided by ``target_dscr``, less the other tranches'
  debt service; the loan amount is the present value of that service at the loan's rate,
  capped at ``share`` of the funded capex (then the service keeps the sculpted shape, scaled
  down, and the DSCR exceeds the target). A repayment year in which the cash flow cannot cover
  even the other tranches at the target gets no sculpted repayment and is reported
  (``sculpting_shortfall``, with its year and amount).
- Fees: ``upfront_fee`` x the loan amount in the opening year; ``commitment_fee`` per year on
  the commitment not yet drawn during the drawing period.
- A balance still outstanding at the horizon is repaid in the last year from the residual
  value (row ``debt_repayment_at_horizon``; not part of the scheduled debt service).

CFADS = revenue + opex + corporate tax of the unlevered cash flow, plus the residual value in
the last year (the horizon sale, whose tax the last year's corporate tax includes); capex is
funded by the drawdowns and the equity and is not part of it. The interest tax shield is kept out
of CFADS (conservative, and it keeps sculpting free of the circularity between interest and tax);
it flows to equity as its own row. Interest (capitalised or paid) and fees are deductible when
incurred; the shield is the unlevered tax less the tax on the taxable income after interest and
fees, both with the loss carry-forward. Not modelled: the French cap on net financial charges
(CGI art. 212 bis), debt service reserve accounts, cash sweeps, refinancing.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from tecmodel.inputs.terms import Tranche
from tecmodel.model.cube import FINANCING_ITEMS, CashFlows, broadcast_values, item_total
from tecmodel.model.metrics import (
    append_portfolio,
    discount_factors,
    present_value,
    project_irr,
    with_portfolio,
)
from tecmodel.model.outputs import FinancingStatus, set_metric_attributes
from tecmodel.model.tax import loss_carry_forward_tax, tax_terms
from tecmodel.model.tranches import TRANCHE_OUTPUTS, TrancheSchedule, tranche_schedule
from tecmodel.numerics.labelled import dataset, dimension_coordinate, labelled, like, set_attributes
from tecmodel.numerics.ordered import dim_total, ordered_sum, year_total

#: Asset group -> the capex rows it covers (selection criteria of :func:`tecmodel.cube.item_total`).
ASSET_GROUPS: dict[str, dict] = {
    "facility": {"category": "capex", "component": ("construction", "cooling")},
    "chips": {"category": "capex", "component": "chips"},
}

#: Amounts below this many EUR are rounding, not debt.
EUR_TOLERANCE = 0.5


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


def cash_flow_available_for_debt_service(flows: CashFlows | xr.DataArray) -> xr.DataArray:
    """CFADS: revenue + opex + corporate tax (+ residual value at the horizon) of the unlevered cash flow [EUR/yr]."""
    return item_total(flows, category=("revenue", "opex", "residual", "tax"))


def apply_financing(
    flows: CashFlows,
    profit: xr.DataArray,
    tax: xr.DataArray,
    params: xr.Dataset,
    tranches: Sequence[Tranche],
) -> tuple[CashFlows, xr.Dataset]:
    """Compute every tranche and set the ``financing`` rows of the cash flows.

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

    Returns
    -------
    flows : CashFlows
        With the financing rows (full shape).
    financing : xarray.Dataset
        Per tranche (tranche, year, site, ...): ``drawdown``, ``capitalised_interest``,
        ``interest_paid``, ``principal``, ``fees``, ``repayment_at_horizon``, ``balance`` [EUR]
        and ``sculpting_shortfall`` [EUR]; per site (year, site, ...): ``cfads``,
        ``debt_service``, ``debt_balance``, ``deductible_financing_cost``, ``levered_tax`` [EUR]
        and ``dscr`` [1] (NaN in years without debt service); ``debt_capacity`` (site, ...) [EUR].
        Attribute ``notes``: the diagnostics in words (deterministic runs).
    """
    cfads = cash_flow_available_for_debt_service(flows)
    template = xr.zeros_like(cfads)
    dims = template.dims
    shape = template.shape
    site_template = template.isel(year=0, drop=True)
    cfads_series = _series(cfads, template)
    shift = params["financing.rate_shift"]
    ordered = sorted(tranches, key=lambda tranche: tranche.repayment == "sculpted")
    names = [tranche.name for tranche in tranches]
    # Every tranche's schedule is written into its slice of one (tranche, year, series) array
    # per output: the per-tranche variables of the result need no stacking.
    per_tranche = {name: np.empty((len(names),) + cfads_series.shape) for name in TRANCHE_OUTPUTS}
    per_tranche["share_lent"] = np.empty((len(names),) + cfads_series.shape[1:])
    schedules: dict[str, TrancheSchedule] = {}
    rates: dict[str, np.ndarray] = {}
    sites = list(template["site"].values)
    for tranche in ordered:
        lends = xr.DataArray(
            [site in tranche.sites for site in sites], dims="site", coords={"site": sites}
        )
        funded = _series(funded_capex(flows, tranche.funds) * lends, template)
        rate = broadcast_values(tranche.interest_rate + shift, site_template).ravel()
        other = sum(
            (schedule.debt_service for schedule in schedules.values()), np.zeros_like(funded)
        )
        position = names.index(tranche.name)
        schedules[tranche.name] = tranche_schedule(
            funded,
            rate,
            tranche,
            cfads=cfads_series,
            other_debt_service=other,
            out={name: values[position] for name, values in per_tranche.items()},
        )
        rates[tranche.name] = rate

    def total(output: str) -> np.ndarray:
        """Sum over the tranches, in their order, of one kernel output (year, series)."""
        return ordered_sum(per_tranche[output], 0)

    drawdown, capitalised = total("draw"), total("capitalised")
    interest_paid, principal = total("interest_paid"), total("principal")
    fees, at_horizon = total("fees"), total("at_horizon")
    debt_service = interest_paid + principal
    deductible = capitalised + interest_paid + fees

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
                        rates[name],
                        schedules[name].drawdown + schedules[name].capitalised_interest,
                    )
                    for name in names
                },
                broadcast_values(params["financing.target_dscr"], site_template).ravel(),
            ),
        ),
    }
    kernel_outputs = {
        "drawdown": "draw",
        "capitalised_interest": "capitalised",
        "interest_paid": "interest_paid",
        "principal": "principal",
        "fees": "fees",
        "repayment_at_horizon": "at_horizon",
        "balance": "balance",
        "sculpting_shortfall": "shortfall",
    }
    tranche_coords = {"tranche": dimension_coordinate("tranche", tuple(names)), **template.coords}
    for field, output in kernel_outputs.items():
        variables[field] = labelled(
            per_tranche[output].reshape((len(names),) + shape), ("tranche",) + dims, tranche_coords
        )
    variables["share_lent"] = labelled(
        per_tranche["share_lent"].reshape((len(names),) + site_template.shape),
        ("tranche",) + site_template.dims,
        tranche_coords,
    )
    financing = dataset(variables)
    set_attributes(financing, FINANCING_ATTRS)
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
        "Cash flow available for debt service (revenue + opex + unlevered corporate tax + residual value)",
    ),
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
    "drawdown": ("EUR", "Drawdowns funding capex"),
    "capitalised_interest": (
        "EUR",
        "Interest during the drawing period, capitalised (funded by drawing)",
    ),
    "interest_paid": ("EUR", "Interest paid in cash"),
    "principal": ("EUR", "Scheduled principal repayment"),
    "fees": ("EUR", "Upfront and commitment fees"),
    "repayment_at_horizon": (
        "EUR",
        "Balance outstanding at the horizon, repaid from the residual value",
    ),
    "balance": ("EUR", "Tranche balance at year end"),
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
        [EUR]; ``financing_status`` [1] (bit flags, :class:`tecmodel.model.outputs.FinancingStatus`).
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
    flags = (
        below_one * FinancingStatus.DSCR_BELOW_ONE
        + (shortfall > EUR_TOLERANCE) * FinancingStatus.SCULPTING_SHORT
        + (at_horizon > EUR_TOLERANCE) * FinancingStatus.DEBT_AT_HORIZON
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


# --------------------------------------------------------------------------- diagnostics in words


def _eur(amount: float) -> str:
    """EUR amount in bn from EUR 1 bn, else in M."""
    return f"EUR {amount / 1e9:,.2f} bn" if abs(amount) >= 1e9 else f"EUR {amount / 1e6:,.1f} M"


def financing_notes(financing: xr.Dataset, tranches: Sequence[Tranche]) -> list[str]:
    """One sentence per finding of a deterministic structure: year and amount, never just a flag."""
    notes: list[str] = []
    if not tranches:
        return notes
    years = financing["year"].values
    for site in financing["site"].values:
        row = financing.sel(site=site)
        for tranche in tranches:
            if site not in tranche.sites:
                continue
            part = row.sel(tranche=tranche.name)
            drawn = float(part["drawdown"].sum())
            if tranche.repayment == "sculpted":
                for year, short in zip(years, part["sculpting_shortfall"].values, strict=True):
                    if short > EUR_TOLERANCE:
                        cfads = float(row["cfads"].sel(year=year))
                        notes.append(
                            f"{site}: tranche {tranche.name} (sculpted to DSCR {tranche.target_dscr:.2f}x) "
                            f"cannot meet its target in {year}: CFADS of EUR {cfads / 1e6:,.0f} M is "
                            f"EUR {short / 1e6:,.0f} M short of {tranche.target_dscr:.2f}x the other "
                            "tranches' debt service; no sculpted repayment that year."
                        )
                lent = float(part["share_lent"])
                if drawn <= EUR_TOLERANCE:
                    notes.append(
                        f"{site}: tranche {tranche.name} draws nothing: the cash flow supports no sculpted "
                        f"debt at {tranche.target_dscr:.2f}x."
                    )
                elif lent < tranche.share * (1 - 1e-9):
                    notes.append(
                        f"{site}: tranche {tranche.name} is sized by its {tranche.target_dscr:.2f}x DSCR target "
                        f"to {lent:.1%} of the funded capex ({_eur(drawn)}; up to "
                        f"{tranche.share:.0%} allowed)."
                    )
                else:
                    notes.append(
                        f"{site}: tranche {tranche.name} lends its full {tranche.share:.0%} of the funded "
                        f"capex ({_eur(drawn)}); where it repays, its DSCR is at or above the "
                        f"{tranche.target_dscr:.2f}x target."
                    )
        service = row["debt_service"].values
        cfads = row["cfads"].values
        for year, flow, owed in zip(years, cfads, service, strict=True):
            if owed > EUR_TOLERANCE and flow < owed:
                notes.append(
                    f"{site}: DSCR {flow / owed:.2f}x in {year}: CFADS of EUR {flow / 1e6:,.0f} M does not "
                    f"cover debt service of EUR {owed / 1e6:,.0f} M; equity must add EUR "
                    f"{(owed - flow) / 1e6:,.0f} M."
                )
        left = float(row["repayment_at_horizon"].sum())
        if left > EUR_TOLERANCE:
            notes.append(
                f"{site}: EUR {left / 1e6:,.0f} M of debt is outstanding at the horizon ({years[-1]}) and "
                "repaid from the residual value."
            )
    return notes
