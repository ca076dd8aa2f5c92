"""The metrics of a cash flow: NPV, IRR, payback, levelised cost of compute, break-even price.

This module owns every headline number derived from the cash flows and the tax accounts, per
site and for the portfolio (the sites' cash flows added in order): NPV and its split into the
operating part and the horizon value after the tax its sale causes, IRR (with a status saying
why it is undefined), payback (undiscounted and discounted), the after-tax levelised cost of
compute (the break-even GPU-hour price) and the cushion of the realised price over it, capex and
the physical scale of the build-out. Their units and definitions are declared once,
in :data:`tecmodel.model.outputs.METRICS`.

The portfolio is computed here as one more ``site`` label (:func:`with_portfolio`), where each
of its figures is defined; :func:`split_portfolio` then parts every result once into the sites
and the portfolio, so that no sum over ``site`` counts the portfolio twice, and
:func:`join_portfolio` puts them side by side again for a table (the portfolio the last column).

Conventions (also in the README and the workbook): nominal EUR; cash flows at year end; the
first model year is t = 0 and is not discounted, so NPV = sum_t FCF_t / (1 + r)^t, as
``numpy_financial.npv`` and Excel's ``=FCF_0 + NPV(r, FCF_1:FCF_n)``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.model.cube import CashFlows, aligned
from tecmodel.model.outputs import set_metric_attributes
from tecmodel.model.tax import TaxAccounts, tax_terms
from tecmodel.model.tax_kernels import breakeven_factors
from tecmodel.model.terminal import horizon_tax
from tecmodel.numerics.irr import irr
from tecmodel.numerics.labelled import dataset, dimension_coordinate, labelled
from tecmodel.numerics.ordered import ordered_sum, year_total
from tecmodel.numerics.powers import integer_power

PORTFOLIO = "portfolio"


# --------------------------------------------------------------------------- depreciation


# --------------------------------------------------------------------------- tax


# --------------------------------------------------------------------------- metrics


def with_portfolio(array: xr.DataArray) -> xr.DataArray:
    """Append the portfolio (the sites added in order) as one more ``site`` label."""
    axis = array.get_axis_num("site")
    values = array.values
    shape = list(values.shape)
    shape[axis] += 1
    combined = np.empty(shape)
    sites = [slice(None)] * len(shape)
    sites[axis] = slice(0, values.shape[axis])
    combined[tuple(sites)] = values
    total = [slice(None)] * len(shape)
    total[axis] = values.shape[axis]
    combined[tuple(total)] = ordered_sum(values, axis)
    coords = {name: coord for name, coord in array.coords.items() if "site" not in coord.dims}
    if all(name in array.dims for name in coords):  # dimension coordinates only: share them
        coords["site"] = dimension_coordinate("site", tuple(array["site"].values) + (PORTFOLIO,))
        return labelled(combined, array.dims, coords, attrs=array.attrs)
    coords["site"] = list(array["site"].values) + [PORTFOLIO]
    return xr.DataArray(combined, dims=array.dims, coords=coords, attrs=array.attrs)


def append_portfolio(site_values: xr.DataArray, portfolio_value: xr.DataArray) -> xr.DataArray:
    """Site values with a given portfolio value appended as the ``"portfolio"`` site label.

    For the figures that are not sums of the sites' (a covenant of standalone borrowers is the
    worst of theirs, not a ratio of pooled cash).
    """
    portfolio_value = portfolio_value.drop_vars("site", errors="ignore")
    others = tuple(dim for dim in site_values.dims if dim != "site")
    if (
        isinstance(site_values.data, np.ndarray)
        and isinstance(portfolio_value.data, np.ndarray)
        and set(portfolio_value.dims) == set(others)
        and all(portfolio_value.sizes[dim] == site_values.sizes[dim] for dim in others)
        and portfolio_value.dtype == site_values.dtype
        and set(site_values.coords) <= set(site_values.dims)
        and set(portfolio_value.coords) <= set(portfolio_value.dims)
    ):
        # The common case (numpy values of the same dims and type, dimension coordinates only):
        # one numpy concatenation with the sites' coordinates shared, what xr.concat with
        # join="override" gives, in a fraction of its time.
        axis = site_values.get_axis_num("site")
        appended = np.expand_dims(portfolio_value.transpose(*others).values, axis)
        coords = dict(site_values.coords)
        # The labels' index appended as xr.concat appends it (an object-dtype pandas index).
        coords["site"] = site_values.indexes["site"].append(pd.Index([PORTFOLIO]))
        return xr.DataArray(
            np.concatenate([site_values.values, appended], axis=axis),
            dims=site_values.dims,
            coords=coords,
            attrs=site_values.attrs,
            name=site_values.name,
        )
    portfolio_value = portfolio_value.expand_dims(site=[PORTFOLIO])
    portfolio_value = portfolio_value.transpose(*site_values.dims)
    combined = xr.concat(
        [site_values, portfolio_value],
        dim="site",
        coords="minimal",
        compat="override",
        join="override",
    )
    combined.attrs = site_values.attrs
    return combined


def split_portfolio(combined: xr.Dataset | xr.DataArray):
    """The sites and the portfolio of a result computed with the portfolio as a ``site`` label.

    The one place where a result leaves the combined form: what a user sums over ``site`` then
    holds the sites only, so no sum counts the portfolio twice.

    Parameters
    ----------
    combined : xarray.Dataset or xarray.DataArray
        Over ``site``: the sites, then ``"portfolio"``.

    Returns
    -------
    sites : xarray.Dataset or xarray.DataArray
        The same over the sites only.
    portfolio : xarray.Dataset or xarray.DataArray
        The portfolio's values, the same names and units, without ``site``.
    """
    names = [name for name in combined["site"].values if name != PORTFOLIO]
    sites = combined.sel(site=names)
    portfolio = combined.sel(site=PORTFOLIO, drop=True)
    if isinstance(combined, xr.Dataset):
        # A variable without site (a case-level value) belongs to both, unchanged.
        portfolio = portfolio[
            [name for name in combined.data_vars if "site" in combined[name].dims]
        ]
    return sites, portfolio


def join_portfolio(sites: xr.Dataset | xr.DataArray, portfolio: xr.Dataset | xr.DataArray):
    """The sites and the portfolio side by side: ``"portfolio"`` as the last ``site`` label.

    The inverse of :func:`split_portfolio`, for a table or a figure whose columns are the sites
    and then the portfolio; a variable of `sites` that `portfolio` lacks is NaN there.
    """
    if isinstance(sites, xr.Dataset):
        joined = {}
        for name, variable in sites.data_vars.items():
            if "site" in variable.dims and name in portfolio.data_vars:
                joined[name] = append_portfolio(variable, portfolio[name])
            elif "site" in variable.dims:
                joined[name] = append_portfolio(
                    variable, xr.full_like(variable.isel(site=0), np.nan, dtype=float)
                )
            else:
                joined[name] = variable
        # In the order of `sites`' variables, coordinates included: a file written from the
        # joined form is the one written before the split.
        return xr.Dataset(joined, attrs=sites.attrs)[list(sites.variables)]
    return append_portfolio(sites, portfolio)


def owner_values(
    sites: xr.Dataset | xr.DataArray, portfolio: xr.Dataset | xr.DataArray, owner: str
):
    """The values of one owner, a site (selected from `sites`) or ``"portfolio"``, without ``site``."""
    return portfolio if owner == PORTFOLIO else sites.sel(site=owner, drop=True)


def discount_factors(rate, t: xr.DataArray) -> xr.DataArray:
    """Year-end discount factors 1 / (1 + rate)^t, t = 0 in the first model year [1]."""
    return integer_power(1.0 + rate, -t)


def present_value(flows: xr.DataArray, factors: xr.DataArray) -> xr.DataArray:
    """Sum over years of flows x discount factors."""
    return year_total(flows * factors)


def payback_year(free_cash_flow: xr.DataArray) -> xr.DataArray:
    """First year from which the cumulative free cash flow stays non-negative [year].

    NaN where the cumulative cash flow ends negative (no payback within the horizon).
    """
    ordered = free_cash_flow.transpose("year", ...)
    values = ordered.values
    # Walk the years once, keeping the cumulative position (added in year order) and the
    # index of the last year it was negative; payback is the year after that.
    cumulative = np.zeros(values.shape[1:])
    last_negative = np.full(values.shape[1:], -1)
    for index in range(values.shape[0]):
        cumulative += values[index]
        last_negative[cumulative < 0] = index
    years = ordered["year"].values.astype(float)
    first = last_negative + 1
    result = np.where(first < len(years), years[np.minimum(first, len(years) - 1)], np.nan)
    dims = ordered.dims[1:]
    return labelled(result, dims, ordered.coords)


def project_irr(free_cash_flow: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """IRR of each series and the status code saying why it is undefined where it is [1]."""
    ordered = free_cash_flow.transpose("year", ...)
    result = irr(ordered.values, axis=0)
    coords = {d: ordered[d] for d in ordered.dims[1:] if d in ordered.coords}
    rate = labelled(result.rate, ordered.dims[1:], coords)
    status = labelled(result.status, ordered.dims[1:], coords)
    return rate, status


def breakeven_revenue_factor(
    pre_tax_pv: np.ndarray,
    revenue_pv: np.ndarray,
    profit: np.ndarray,
    revenue: np.ndarray,
    factors: np.ndarray,
    rate,
    offset_fixed,
    offset_share,
    *,
    sites_axis: int | None = None,
    tolerance: float = 1e-10,
) -> tuple[np.ndarray, np.ndarray]:
    """Factor m on every GPU-hour price that makes the after-tax NPV zero.

    NPV(m) = PV(pre-tax FCF) + (m - 1) PV(revenue) - PV(tax(profit + (m - 1) revenue)); it
    increases with m. Solved per series by safeguarded Newton (the tax derivative is carried
    through the loss carry-forward), starting from the pre-tax break-even, inside a bracket
    (:func:`tecmodel.model.tax_kernels.breakeven_factors`).

    Parameters
    ----------
    pre_tax_pv, revenue_pv : numpy.ndarray
        PV of pre-tax free cash flow and of revenue per series [EUR].
    profit, revenue : numpy.ndarray
        Taxable income before losses and revenue, year on axis 0 [EUR].
    factors : numpy.ndarray
        Discount factors broadcastable against `profit` [1].
    rate, offset_fixed, offset_share : array_like
        Tax parameters, broadcastable against ``profit[0]``.
    sites_axis : int, optional
        If given, the series along this axis of ``profit[0]`` (the sites) share one factor and
        their NPVs are summed (the portfolio break-even).
    tolerance : float
        Convergence when ``|NPV| <= tolerance x max(|PV pre-tax|, PV revenue)``.

    Returns
    -------
    factor : numpy.ndarray
        The break-even factor (NaN where revenue is never earned).
    converged : numpy.ndarray of bool
    """
    profit = np.asarray(profit, dtype=float)
    shape = profit.shape[1:]
    n_years = profit.shape[0]

    def by_year(values):  # (year, *shape) -> (year, series)
        return np.broadcast_to(np.asarray(values, dtype=float), profit.shape).reshape(n_years, -1)

    def by_series(values):  # (*shape) -> (series,)
        return np.broadcast_to(np.asarray(values, dtype=float), shape).reshape(-1)

    if sites_axis is None:
        members = 1
        out_shape = shape
        order = np.arange(int(np.prod(shape)))
    else:
        # Put the sites first so that each portfolio problem is the column of one member axis.
        members = shape[sites_axis]
        moved = np.moveaxis(np.arange(int(np.prod(shape))).reshape(shape), sites_axis, 0)
        out_shape = moved.shape[1:]
        order = moved.reshape(-1)
    groups = order.size // members

    def grouped_years(values):  # -> (member, group, year)
        return by_year(values)[:, order].T.reshape(members, groups, n_years)

    def grouped(values):  # -> (member, group)
        return by_series(values)[order].reshape(members, groups)

    factor, converged = breakeven_factors(
        grouped_years(profit),
        grouped_years(revenue),
        grouped_years(factors),
        grouped(pre_tax_pv),
        grouped(revenue_pv),
        grouped(rate),
        grouped(offset_fixed),
        grouped(offset_share),
        tolerance,
    )
    return factor.reshape(out_shape), converged.reshape(out_shape)


def compute_metrics(
    flows: CashFlows,
    accounts: TaxAccounts,
    quantities: xr.Dataset,
    params: xr.Dataset,
    timeline: xr.Dataset,
) -> xr.Dataset:
    """Headline metrics per site and for the portfolio.

    Parameters
    ----------
    flows : CashFlows
        Every row, tax included (from :func:`apply_tax`).
    accounts : TaxAccounts
        From :func:`apply_tax`.
    quantities : xarray.Dataset
        Physical quantities from the components.
    params : xarray.Dataset
    timeline : xarray.Dataset

    Returns
    -------
    xarray.Dataset
        Over ``site`` (the sites and ``"portfolio"``) and any extra dims: ``npv``,
        ``npv_operating`` and ``npv_terminal`` [EUR], ``irr`` [1/yr] and ``irr_status``,
        ``payback_year`` and ``discounted_payback_year`` [year], ``lcoc`` (after tax, the
        break-even), ``realised_gpu_hour_price`` and ``breakeven_gpu_hour_price`` [EUR/GPU-hour],
        ``lcoc_compute`` and ``realised_compute_price`` [EUR/PFLOPS-hour],
        ``breakeven_price_factor`` and ``price_cushion`` [1], ``utilisation_cushion`` [1]
        (points of utilisation), ``discount_rate_cushion`` [1/yr], ``capex_total`` and ``initial_capex`` [EUR],
        ``capex_per_mw_it`` [EUR/MW], ``it_mw`` [MW], ``facility_mw_peak`` [MW],
        ``accelerators`` [accelerator], ``facility_energy_per_year`` [MWh/yr],
        ``water_m3_per_year`` [m3/yr], ``gpu_hours_sold`` [GPU-hour] (over the horizon).
    """
    site_revenue = flows.total(category="revenue")
    free_cash_flow = with_portfolio(flows.total())
    revenue = with_portfolio(site_revenue)
    gross_capex = with_portfolio(-flows.total(category="capex", outflows_only=True))
    hours_sold = with_portfolio(quantities["gpu_hours_sold"])
    factors = discount_factors(params["finance.discount_rate"], timeline["t"])

    npv = present_value(free_cash_flow, factors)
    npv_terminal = with_portfolio(
        _horizon_value_after_tax(flows, accounts, params) * factors.isel(year=-1, drop=True)
    )
    hours_pv = present_value(hours_sold, factors)
    revenue_pv = present_value(revenue, factors)
    compute_pv = present_value(with_portfolio(quantities["compute_hours_sold"]), factors)
    with np.errstate(divide="ignore", invalid="ignore"):
        realised = xr.where(hours_pv > 0, revenue_pv / hours_pv, np.nan)
        # The same per unit of compute-hour (PFLOP/s x hour): generations of different
        # performance, and sites of different accelerators, compare.
        realised_compute = xr.where(compute_pv > 0, revenue_pv / compute_pv, np.nan)
    rate, status = project_irr(free_cash_flow)

    pre_tax = flows.total(exclude=("tax",))
    factor = _breakeven_factor(pre_tax, site_revenue, accounts, params, factors)
    utilisation_cushion = _utilisation_cushion(pre_tax, quantities, accounts, params, factors)
    with np.errstate(invalid="ignore", divide="ignore"):
        # The after-tax levelised cost: the realised price moved by the break-even factor.
        breakeven = factor * realised
        lcoc_compute = factor * realised_compute
        # Undefined where the NPV is non-negative even at a zero price (factor 0).
        cushion = xr.where(factor > 0, 1.0 / factor - 1.0, np.nan)

    installed_mw = with_portfolio(timeline["installed_it_mw"])
    initial = year_total(with_portfolio(quantities["initial_capex"]))
    max_mw = installed_mw.max("year")
    with np.errstate(divide="ignore", invalid="ignore"):
        capex_per_mw = xr.where(max_mw > 0, initial / max_mw, np.nan)

    metrics = dataset(
        {
            "npv": npv,
            "npv_operating": npv - npv_terminal,
            "npv_terminal": npv_terminal,
            "irr": rate,
            "irr_status": status,
            "payback_year": payback_year(free_cash_flow),
            "discounted_payback_year": payback_year(free_cash_flow * factors),
            "lcoc": breakeven,
            "realised_gpu_hour_price": realised,
            "lcoc_compute": lcoc_compute,
            "realised_compute_price": realised_compute,
            "breakeven_gpu_hour_price": breakeven,
            "breakeven_price_factor": factor,
            "price_cushion": cushion,
            "utilisation_cushion": utilisation_cushion,
            "discount_rate_cushion": rate - params["finance.discount_rate"],
            "capex_total": year_total(gross_capex),
            "initial_capex": initial,
            "capex_per_mw_it": capex_per_mw,
            "it_mw": max_mw,
            "facility_mw_peak": with_portfolio(quantities["subscribed_mw"]).max("year"),
            "accelerators": with_portfolio(quantities["accelerators_installed"]).max("year"),
            "facility_energy_per_year": with_portfolio(quantities["facility_energy_mwh"]).max(
                "year"
            ),
            "water_m3_per_year": with_portfolio(quantities["water_m3"]).max("year"),
            "gpu_hours_sold": year_total(hours_sold),
        }
    )
    set_metric_attributes(metrics)
    return metrics


def _horizon_value_after_tax(
    flows: CashFlows, accounts: TaxAccounts, params: xr.Dataset
) -> xr.DataArray:
    """Each site's horizon value less the tax its sale causes, in the last year [EUR]."""
    dims = accounts.dims
    shape = accounts.taxable_income_before_losses.shape
    horizon = np.broadcast_to(aligned(flows.total(category="residual"), dims), shape)[-1]
    template = accounts.array(np.zeros(shape)).isel(year=0, drop=True)
    tax = horizon_tax(
        accounts.taxable_income_before_losses,
        accounts.schedule.loss_pool,
        horizon,
        tax_terms(params, template),
    )
    return template.copy(data=horizon - tax)


def _utilisation_cushion(
    pre_tax: xr.DataArray,
    quantities: xr.Dataset,
    accounts: TaxAccounts,
    params: xr.Dataset,
    factors: xr.DataArray,
) -> xr.DataArray:
    """Points of utilisation every site may lose before the after-tax NPV is zero [1].

    The billed utilisation moves merchant revenue and the busy power draw linearly (the
    components' ``merchant_revenue_per_utilisation`` and ``power_cost_per_utilisation``), so a
    shift d of every site's utilisation moves the pre-tax flows by d x that margin: the
    break-even of :func:`breakeven_revenue_factor` with the margin as its direction gives
    m = 1 + d, and the cushion is -d (the portfolio's sites shift together). Undefined where
    the NPV is non-negative even at zero utilisation.
    """
    margin = (
        quantities["merchant_revenue_per_utilisation"] + quantities["power_cost_per_utilisation"]
    )
    shift = _breakeven_factor(pre_tax, margin, accounts, params, factors) - 1.0
    utilisation = params["revenue.utilisation"].broadcast_like(margin.isel(year=0, drop=True))
    lowest = append_portfolio(utilisation, utilisation.min("site"))
    return xr.where(lowest + shift >= 0.0, -shift, np.nan)


def _breakeven_factor(
    pre_tax: xr.DataArray,
    revenue: xr.DataArray,
    accounts: TaxAccounts,
    params: xr.Dataset,
    factors: xr.DataArray,
) -> xr.DataArray:
    """Break-even factor on `revenue` per site and for the portfolio (sites taxed standalone).

    `revenue` is the direction the factor scales: the revenue (the price break-even) or any
    other flow the NPV is linear in with a positive coefficient each year.
    """
    profit = accounts.array(accounts.taxable_income_before_losses)
    dims = profit.dims
    site_template = profit.isel(year=0, drop=True)
    factors_np = xr.broadcast(factors, profit)[0].transpose(*dims).values
    # A direction that does not vary along a dim of the accounts (e.g. a margin independent of
    # a swept input) still needs one series per problem.
    revenue = xr.broadcast(revenue, profit)[0]
    pre_tax_pv = present_value(pre_tax, factors).transpose(*dims[1:]).values
    revenue_pv = present_value(revenue, factors).transpose(*dims[1:]).values
    tax_arguments = tax_terms(params, site_template)
    arrays = (
        pre_tax_pv,
        revenue_pv,
        profit.transpose(*dims).values,
        revenue.transpose(*dims).values,
        factors_np,
    )
    per_site, _ = breakeven_revenue_factor(*arrays, *tax_arguments)
    portfolio, _ = breakeven_revenue_factor(
        *arrays, *tax_arguments, sites_axis=dims[1:].index("site")
    )
    site_axis = dims[1:].index("site")
    combined = np.concatenate([per_site, np.expand_dims(portfolio, site_axis)], axis=site_axis)
    coords = {
        d: site_template[d] for d in site_template.dims if d in site_template.coords and d != "site"
    }
    coords["site"] = list(site_template["site"].values) + [PORTFOLIO]
    return xr.DataArray(combined, dims=site_template.dims, coords=coords)
