"""Per-generation economics: what each generation of accelerators earns against what it costs.

This module owns the cash flow of a generation (the accelerators a site buys at a phase's online
year are generation 1, those of its k-th refresh generation k + 1) and its metrics,
``generation_npv``, ``generation_irr`` and ``generation_payback_year`` over ``generation``. A
generation's pre-tax cash flow in a year is:

- its own rows: its purchase, its resale when it is retired and its residual value at the
  horizon (the accelerators it holds, at the purchase index of its year: the chips component's
  ``generation_*`` quantities), its take-or-pay and merchant revenue (the revenue component's
  per-generation weights of each item, which differ only by factors common to every generation
  of a site-year) and its IT support (in proportion to the purchase value it has in operation);
- its share of every other row (energy, facility opex, insurance, local taxes, network): in
  proportion to the accelerator-hours it offers in the year;
- its share of the facility (construction, cooling plant, grid connection and their residual
  values): in proportion to the accelerator-hours it offers over the whole horizon, in the years
  the facility spends; the same share carries opex of years in which no generation operates.

Summed over the generations, the cash flows are the site's pre-tax free cash flow (corporate tax
is a site's, not a generation's, so it is left out). The portfolio's generation k is the sum of
the sites' generation k. NPV is at ``finance.discount_rate`` with t = 0 in the first model year,
as the site's.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.cube import ITEMS, CashFlows
from tecmodel.model.metrics import (
    discount_factors,
    payback_year,
    present_value,
    project_irr,
    with_portfolio,
)
from tecmodel.model.outputs import set_metric_attributes
from tecmodel.numerics.labelled import dataset
from tecmodel.numerics.ordered import dim_total

#: The metrics over ``generation`` (declared in :mod:`tecmodel.model.outputs`).
GENERATION_METRICS = ("generation_npv", "generation_irr", "generation_payback_year")
#: Rows a generation carries itself, and the quantity that splits each among the generations.
OWN_ROWS = {
    "revenue_contract": "generation_contract_weight",
    "revenue_merchant": "generation_merchant_weight",
    "operations_it_support": "generation_operating",
}
#: Rows of the facility, shared by the generations' accelerator-hours over the horizon.
FACILITY_CATEGORIES = ("capex", "residual")
#: Accelerator rows, computed per generation from the chips component's quantities.
CHIP_ROWS = ("chips_purchase", "chips_resale", "chips_residual")


def shares(weights: xr.DataArray, dim: str = "generation") -> xr.DataArray:
    """Each generation's share of the sum of `weights` over `dim` (0 where the sum is 0) [1]."""
    # Summed in index order: a share must not depend on what it is computed beside.
    total = dim_total(weights, dim)
    with np.errstate(divide="ignore", invalid="ignore"):
        return xr.where(total > 0, weights / total, 0.0)


def chip_flows(quantities: xr.Dataset, flows: CashFlows) -> xr.DataArray:
    """Purchase, resale and residual value of each generation [EUR] (year, site, generation).

    Each row of the site is split by the generation's accelerators at their purchase index
    (``generation_bought``, ``generation_retired``, ``generation_installed``): the row is that
    count times factors common to the generations of a site-year.
    """
    parts = []
    for row, weight in zip(
        CHIP_ROWS,
        ("generation_bought", "generation_retired", "generation_installed"),
        strict=True,
    ):
        parts.append(flows[row] * shares(quantities[weight]))
    return parts[0] + parts[1] + parts[2]


def generation_cash_flows(flows: CashFlows, quantities: xr.Dataset) -> xr.DataArray:
    """Pre-tax cash flow of each generation [EUR] (year, site, generation[, sample]).

    Parameters
    ----------
    flows : CashFlows
        The site's rows (tax excluded here).
    quantities : xarray.Dataset
        The components' quantities, with the per-generation ones of the chips and revenue
        components and ``generation_hours_available`` [GPU-hour/yr].

    Returns
    -------
    xarray.DataArray
        Sums over ``generation`` to the site's pre-tax free cash flow.
    """
    hours = quantities["generation_hours_available"]
    yearly = shares(hours)
    lifetime = shares(dim_total(hours, "year"))
    # Years in which no generation offers hours take the horizon's shares.
    operating = xr.where(dim_total(hours, "generation") > 0, yearly, lifetime)
    total = chip_flows(quantities, flows)
    for row, weight in OWN_ROWS.items():
        total = total + flows[row] * shares(quantities[weight])
    own = set(OWN_ROWS) | set(CHIP_ROWS)
    others = [name for name in flows if name not in own]
    facility = [name for name in others if ITEMS[name].category in FACILITY_CATEGORIES]
    shared = [name for name in others if ITEMS[name].category == "opex"]
    for name in facility:
        total = total + flows[name] * lifetime
    for name in shared:
        total = total + flows[name] * operating
    return total.transpose("year", "site", "generation", ...)


def generation_metrics(
    flows: CashFlows, quantities: xr.Dataset, params: xr.Dataset, timeline: xr.Dataset
) -> xr.Dataset:
    """NPV [EUR], IRR [1/yr] and payback year of each generation, per site and the portfolio.

    Returns
    -------
    xarray.Dataset
        ``generation_npv``, ``generation_irr`` and ``generation_payback_year`` over (site,
        generation[, sample]); the IRR is NaN where the generation's cash flow has no unique
        root (as the project IRR), the payback year where it never pays back.
    """
    cash = with_portfolio(generation_cash_flows(flows, quantities))
    factors = discount_factors(params["finance.discount_rate"], timeline["t"])
    rate, _ = project_irr(cash)
    metrics = dataset(
        {
            "generation_npv": present_value(cash, factors),
            "generation_irr": rate,
            "generation_payback_year": payback_year(cash),
        }
    )
    set_metric_attributes(metrics)
    return metrics


__all__ = ["GENERATION_METRICS", "generation_cash_flows", "generation_metrics"]
