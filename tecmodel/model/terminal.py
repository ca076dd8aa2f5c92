"""The value of a campus at the horizon, by the method its case states, apart from operations.

This module owns the horizon value: the cash a site receives at the end of its last model year
for what it still holds, by the method of the case file's ``terminal.method``
(:mod:`tecmodel.inputs.horizon`):

- ``liquidation``: the assets are sold. Accelerators at their market resale value by age: a
  generation bought in year V sells at the horizon T for ``retention^(T - V + 1)`` of its purchase
  price (``terminal.chip_value_retention``; the purchase year counts as a year of use). The
  shell, electrical plant, cooling plant and grid connection at ``terminal.facility_share`` of
  their depreciated replacement cost (the cost new at horizon-year prices times the remaining
  straight-line share of the economic life, aged from the year of service). Land at its cost.
- ``going_concern``: the campus is sold as a business. ``exit_multiple``: the last year's EBITDA
  (revenue + opex) times ``terminal.exit_multiple``. ``perpetuity``: the normalised free cash flow
  ``(EBITDA - S) x (1 - tax rate)`` grown at ``g`` and discounted at ``r`` (the discount rate):
  ``FCF x (1 + g) / (r - g)``, where S is the sustaining capex of keeping the campus as it is at
  the horizon (the accelerators refreshed every ``chips.refresh_years`` at that year's prices net
  of the resale of the retired generation, the facility renewed at the end of each asset's life),
  and the tax is levied on EBITDA less depreciation, which in a steady state equals S. A business
  with a negative value sells for nothing.
- ``none``: nothing.

The value enters the cube as rows of category ``residual`` in the last model year (one row per
asset group under liquidation, ``terminal_going_concern`` otherwise), taxable as a disposal:
the remaining tax book value is written off that year (:mod:`tecmodel.model.tax`), so the tax
falls on the gain. :func:`horizon_tax` gives the tax the sale causes, so that the NPV splits into
an operating part and the horizon value after its tax (:mod:`tecmodel.model.metrics`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import xarray as xr

from tecmodel.model.cube import ITEMS
from tecmodel.model.tax import loss_carry_forward_tax
from tecmodel.model.timeline import at_horizon
from tecmodel.numerics.powers import integer_power

#: The rows of the horizon value, by method (all of them are in the cube, 0 where unused).
LIQUIDATION_ROWS = ("chips_residual", "construction_residual", "cooling_residual")
GOING_CONCERN_ROW = "terminal_going_concern"
HORIZON_ROWS = LIQUIDATION_ROWS + (GOING_CONCERN_ROW,)


def accelerator_resale_share(age, retention):
    """Market resale value of a used accelerator over its purchase price [1]: retention^age.

    Parameters
    ----------
    age : array_like
        Whole years of use at the sale, the purchase year included [yr].
    retention : array_like
        Share of its value an accelerator keeps per year of age [1].

    Examples
    --------
    >>> round(float(accelerator_resale_share(3, 0.67)), 4)   # 25-35 % after 3 years
    0.3008
    """
    return integer_power(retention, age)


def exit_multiple_value(ebitda, multiple):
    """Going-concern value as a multiple of the last year's EBITDA, never below 0 [EUR].

    Parameters
    ----------
    ebitda : array_like
        Revenue + opex of the last model year [EUR/yr].
    multiple : array_like
        Enterprise value per EUR of yearly EBITDA [1].

    Examples
    --------
    >>> float(exit_multiple_value(100.0, 8.0))
    800.0
    """
    return np.maximum(multiple * ebitda, 0.0)


def normalised_free_cash_flow(ebitda, sustaining_capex, tax_rate):
    """Free cash flow of a steady-state year: (EBITDA - S) x (1 - tax rate) [EUR/yr].

    In a steady state the tax depreciation equals the sustaining capex S, so the tax is levied
    on EBITDA - S.

    Examples
    --------
    >>> float(normalised_free_cash_flow(100.0, 40.0, 0.25))
    45.0
    """
    return (ebitda - sustaining_capex) * (1.0 - tax_rate)


def perpetuity_value(free_cash_flow, rate, growth):
    """Value at the end of year T of FCF x (1 + g)^k received at T + k, k >= 1 [EUR].

    ``FCF x (1 + g) / (r - g)`` (Gordon growth), never below 0; requires ``rate > growth`` (a
    cross-field rule of the case).

    Examples
    --------
    >>> round(float(perpetuity_value(45.0, 0.09, 0.02)), 6)   # 45 x 1.02 / 0.07
    655.714286
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.maximum(free_cash_flow * (1.0 + growth) / (rate - growth), 0.0)


def terminal_value(
    method: str,
    params: xr.Dataset,
    quantities: Mapping[str, xr.DataArray],
    items: Mapping[str, xr.DataArray],
    timeline: xr.Dataset,
    basis: str | None = None,
) -> dict[str, xr.DataArray]:
    """The horizon-value rows of each site by `method` [EUR], in the last model year only.

    Parameters
    ----------
    method : {"liquidation", "going_concern", "none"}
    params : xarray.Dataset
        Reads ``terminal.*``, ``finance.discount_rate`` and ``tax.corporate_rate``.
    quantities : mapping
        The components' horizon quantities: ``horizon_resale_chips``, ``horizon_drc_construction``,
        ``horizon_land``, ``horizon_drc_cooling`` [EUR] and ``horizon_sustaining_capex_*``
        [EUR/yr], each over (year, site[, sample]) and 0 but in the last year.
    items : mapping
        The components' line items [EUR] (revenue and opex give the EBITDA).
    timeline : xarray.Dataset
    basis : {"exit_multiple", "perpetuity"}, optional
        For ``going_concern``.

    Returns
    -------
    dict of str to xarray.DataArray
        Every row of :data:`HORIZON_ROWS`, each (year, site[, sample]); the rows another method
        uses are 0.

    Examples
    --------
    >>> import tecmodel                                            # doctest: +SKIP
    >>> result = tecmodel.evaluate(tecmodel.load_case("base_10b"))  # doctest: +SKIP
    >>> rows = tecmodel.finance.terminal_value("none", result.parameters, result.quantities,
    ...     result.cash_flows, result.timeline)                     # doctest: +SKIP
    """
    zero = 0.0 * quantities["horizon_land"]
    rows = dict.fromkeys(HORIZON_ROWS, zero)
    if method == "liquidation":
        share = params["terminal.facility_share"]
        rows["chips_residual"] = quantities["horizon_resale_chips"]
        rows["construction_residual"] = (
            quantities["horizon_drc_construction"] * share + quantities["horizon_land"]
        )
        rows["cooling_residual"] = quantities["horizon_drc_cooling"] * share
    elif method == "going_concern":
        ebitda = horizon_ebitda(items, timeline)
        if basis == "exit_multiple":
            value = exit_multiple_value(ebitda, params["terminal.exit_multiple"])
        elif basis == "perpetuity":
            sustaining = (
                quantities["horizon_sustaining_capex_chips"]
                + quantities["horizon_sustaining_capex_construction"]
                + quantities["horizon_sustaining_capex_cooling"]
            )
            flow = normalised_free_cash_flow(ebitda, sustaining, params["tax.corporate_rate"])
            value = perpetuity_value(
                flow, params["finance.discount_rate"], params["terminal.perpetuity_growth"]
            )
        else:
            raise ValueError(
                f"going_concern needs a basis (exit_multiple or perpetuity): {basis!r}"
            )
        rows[GOING_CONCERN_ROW] = at_horizon(timeline) * value
    elif method != "none":
        raise ValueError(f"unknown horizon method {method!r}")
    return {name: row.transpose("year", "site", ...) for name, row in rows.items()}


def horizon_ebitda(items: Mapping[str, xr.DataArray], timeline: xr.Dataset) -> xr.DataArray:
    """Revenue + opex of the last model year [EUR/yr] over (year, site[, ...]), 0 in other years."""
    total = None
    for name, row in items.items():  # in the items' order: a fixed order of additions
        if name in ITEMS and ITEMS[name].category in ("revenue", "opex"):
            total = row if total is None else total + row
    return at_horizon(timeline) * total


def horizon_tax(
    taxable_income: np.ndarray, loss_pool: np.ndarray, horizon_value: np.ndarray, tax_terms
) -> np.ndarray:
    """The tax the horizon sale causes: the last year's tax with it less the tax without it [EUR].

    Only the last year changes, so the tax without the sale is that year's tax on the taxable
    income less the sale, with the losses carried into it (the French cap applies as in every
    year, :func:`tecmodel.model.tax.loss_carry_forward_tax`).

    Parameters
    ----------
    taxable_income : numpy.ndarray
        Taxable income before loss relief, year on axis 0 [EUR].
    loss_pool : numpy.ndarray
        Losses carried forward at each year end, like `taxable_income` [EUR].
    horizon_value : numpy.ndarray
        The horizon value of each series (the last year's), like ``taxable_income[-1]`` [EUR].
    tax_terms : tuple
        Tax rate, fixed offset and offset share, each like ``taxable_income[-1]``.

    Returns
    -------
    numpy.ndarray
        Like ``taxable_income[-1]``.
    """
    carried = loss_pool[-2] if loss_pool.shape[0] > 1 else np.zeros_like(loss_pool[-1])
    # Two years: a loss equal to the pool carried into the last year (taxed at 0, it makes
    # that pool), then the last year without the sale.
    profit = np.stack([-carried, taxable_income[-1]])
    with_sale = loss_carry_forward_tax(profit, *tax_terms).tax[1]
    profit[1] = taxable_income[-1] - horizon_value
    without_sale = loss_carry_forward_tax(profit, *tax_terms).tax[1]
    return with_sale - without_sale


__all__ = [
    "HORIZON_ROWS",
    "LIQUIDATION_ROWS",
    "GOING_CONCERN_ROW",
    "accelerator_resale_share",
    "exit_multiple_value",
    "normalised_free_cash_flow",
    "perpetuity_value",
    "terminal_value",
    "horizon_ebitda",
    "horizon_tax",
]
