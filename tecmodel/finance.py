"""Finance on top of the cube: depreciation, tax with loss carry-forward, and the metrics.

This module owns every number derived from the cash-flow cube:

- tax depreciation, straight line by asset class over its tax life, from the additions the
  components place in service (full year in the year of service; the remaining tax book value
  is written off in the last model year, when the assets are sold at their residual value);
- corporate tax on taxable income (taxable cube items less depreciation) with the French loss
  carry-forward: losses carried forward without limit in time, offsetting in a year at most
  ``tax.loss_offset_fixed`` plus ``tax.loss_offset_share`` of the profit above it;
- the metrics per site and for the portfolio: NPV, IRR (with a status saying why it is
  undefined), payback year, levelised cost of compute, break-even GPU-hour price.

Conventions (also in the README and the workbook): nominal EUR; cash flows at year end; the
first model year is t = 0 and is not discounted, so NPV = sum_t FCF_t / (1 + r)^t, as
``numpy_financial.npv`` and Excel's ``=FCF_0 + NPV(r, FCF_1:FCF_n)``. Sites are taxed
standalone (one company per site); the portfolio is the sum of the sites' cash flows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from .cube import item_total
from .irr import IRR_STATUS, irr
from .timeline import integer_power, year_total

#: Asset class -> (registry parameter holding its tax life or None if not depreciated, label)
ASSET_CLASSES: dict[str, tuple[str | None, str]] = {
    "it_equipment": ("chips.tax_life_years", "IT equipment (accelerators, servers, network)"),
    "building": ("construction.building_tax_life", "Shell, core and fit-out"),
    "electrical": ("construction.electrical_tax_life", "Electrical plant"),
    "cooling": ("cooling.tax_life_years", "Cooling plant"),
    "grid_connection": ("grid.connection_tax_life", "Grid connection"),
    "land": (None, "Land (not depreciated)"),
}

PORTFOLIO = "portfolio"


# --------------------------------------------------------------------------- depreciation


def straight_line_depreciation(additions: np.ndarray, life: np.ndarray) -> np.ndarray:
    """Straight-line depreciation of yearly additions [EUR/yr].

    Each year's additions are depreciated in equal parts over `life` years, starting in the
    year they are placed in service (full-year convention).

    Parameters
    ----------
    additions : numpy.ndarray
        Capital placed in service, year on axis 0 [EUR].
    life : numpy.ndarray
        Tax life in whole years (>= 1), broadcastable against ``additions[0]`` [yr].

    Returns
    -------
    numpy.ndarray
        Depreciation charge per year, same shape as `additions` [EUR/yr].

    Examples
    --------
    >>> straight_line_depreciation(np.array([300.0, 0, 0, 0]), np.array(3)).tolist()
    [100.0, 100.0, 100.0, 0.0]
    """
    n_years = additions.shape[0]
    cumulative = np.zeros((n_years + 1,) + additions.shape[1:])
    np.cumsum(additions, axis=0, out=cumulative[1:])
    life = np.broadcast_to(np.asarray(life, dtype=float), additions.shape[1:])
    upper = np.arange(1, n_years + 1).reshape((n_years,) + (1,) * (additions.ndim - 1))
    lower = np.maximum(upper - life.astype(np.int64)[None], 0)
    lower = np.broadcast_to(lower, additions.shape)
    window = cumulative[1:] - np.take_along_axis(cumulative, lower, axis=0)
    return window / life[None]


def tax_depreciation(additions: dict[str, xr.DataArray], params: xr.Dataset,
                     template: xr.DataArray) -> xr.DataArray:
    """Tax depreciation by asset class [EUR/yr].

    Parameters
    ----------
    additions : dict of str to xarray.DataArray
        Capital placed in service by asset class (keys of :data:`ASSET_CLASSES`) [EUR].
    params : xarray.Dataset
        Supplies the tax lives.
    template : xarray.DataArray
        An array over (year, site, ...extra) giving the output's dims and coordinates.

    Returns
    -------
    xarray.DataArray
        Dims (asset_class, year, site, ...extra).
    """
    rows = []
    for asset_class, (life_name, _label) in ASSET_CLASSES.items():
        added = additions.get(asset_class)
        if added is None or life_name is None:
            rows.append(xr.zeros_like(template))
            continue
        added = xr.broadcast(added, template)[0].transpose(*template.dims)
        life = xr.broadcast(params[life_name], template.isel(year=0))[0].transpose(*template.dims[1:])
        rows.append(template.copy(data=straight_line_depreciation(added.values, life.values)))
    depreciation = xr.concat(rows, dim="asset_class", coords="minimal", compat="override")
    depreciation = depreciation.assign_coords(asset_class=list(ASSET_CLASSES))
    depreciation.attrs = {"units": "EUR/yr", "long_name": "Tax depreciation by asset class"}
    return depreciation


# --------------------------------------------------------------------------- tax


@dataclass(frozen=True)
class TaxSchedule:
    """Result of :func:`loss_carry_forward_tax`; arrays have the profit's shape [EUR]."""

    tax: np.ndarray
    loss_relief: np.ndarray
    loss_pool: np.ndarray
    taxable_income: np.ndarray
    tax_derivative: np.ndarray | None = None


def loss_carry_forward_tax(profit: np.ndarray, rate, offset_fixed, offset_share,
                           profit_derivative: np.ndarray | None = None) -> TaxSchedule:
    """Corporate tax with losses carried forward under a yearly offset cap.

    In year t with profit P_t before loss relief and carried-forward losses L:
    relief = min(L, P_t, fixed + share * max(P_t - fixed, 0)) if P_t > 0, else 0;
    tax = rate * (P_t - relief); losses carried to the next year: L - relief + max(-P_t, 0).

    Parameters
    ----------
    profit : numpy.ndarray
        Taxable income before loss relief, year on axis 0 [EUR].
    rate : array_like
        Tax rate [1], broadcastable against ``profit[0]``.
    offset_fixed : array_like
        Profit fully offsettable by carried-forward losses each year [EUR].
    offset_share : array_like
        Share of the profit above `offset_fixed` offsettable [1].
    profit_derivative : numpy.ndarray, optional
        Derivative of `profit` with respect to a scalar parameter; if given, the derivative of
        the tax is propagated (forward mode) and returned as ``tax_derivative``.

    Returns
    -------
    TaxSchedule
        ``tax``, ``loss_relief``, ``taxable_income`` per year and ``loss_pool`` (losses carried
        forward at each year end) [EUR].

    Examples
    --------
    Losses of 10 M offset 1 M + 50 % of the next 9 M of profit (5.5 M); 25 % tax on the rest:

    >>> schedule = loss_carry_forward_tax(np.array([-10e6, 10e6]), 0.25, 1e6, 0.5)
    >>> schedule.tax.tolist(), schedule.loss_pool.tolist()
    ([0.0, 1125000.0], [10000000.0, 4500000.0])
    """
    shape = profit.shape[1:]
    rate = np.broadcast_to(np.asarray(rate, dtype=float), shape)
    offset_fixed = np.broadcast_to(np.asarray(offset_fixed, dtype=float), shape)
    offset_share = np.broadcast_to(np.asarray(offset_share, dtype=float), shape)
    tax = np.empty_like(profit)
    relief = np.empty_like(profit)
    pool_path = np.empty_like(profit)
    taxable = np.empty_like(profit)
    pool = np.zeros(shape)
    with_derivative = profit_derivative is not None
    if with_derivative:
        tax_derivative = np.empty_like(profit)
        pool_derivative = np.zeros(shape)
    for year in range(profit.shape[0]):
        current = profit[year]
        positive = current > 0
        above_fixed = current > offset_fixed
        cap = offset_fixed + offset_share * np.maximum(current - offset_fixed, 0.0)
        limit = np.minimum(cap, current)
        relief_year = np.where(positive, np.minimum(pool, limit), 0.0)
        taxable_year = np.maximum(current - relief_year, 0.0)
        if with_derivative:
            slope = profit_derivative[year]
            # Which bound of the relief binds: the pool, the cap, or the profit itself.
            limit_slope = np.where(cap < current, np.where(above_fixed, offset_share * slope, 0.0), slope)
            relief_slope = np.where(positive, np.where(pool <= limit, pool_derivative, limit_slope), 0.0)
            taxable_slope = np.where(positive, slope - relief_slope, 0.0)
            pool_derivative = pool_derivative - relief_slope - np.where(positive, 0.0, slope)
            tax_derivative[year] = rate * taxable_slope
        pool = pool - relief_year + np.maximum(-current, 0.0)
        relief[year] = relief_year
        taxable[year] = taxable_year
        tax[year] = rate * taxable_year
        pool_path[year] = pool
    return TaxSchedule(tax, relief, pool_path, taxable, tax_derivative if with_derivative else None)


def _as_numpy(value, template: xr.DataArray) -> np.ndarray:
    """Broadcast a parameter against a (site, ...extra) template and return its values."""
    return xr.broadcast(xr.DataArray(value) if not isinstance(value, xr.DataArray) else value,
                        template)[0].transpose(*template.dims).values


def taxable_income_before_losses(cube: xr.DataArray, depreciation: xr.DataArray,
                                 nbv_write_off: xr.DataArray) -> xr.DataArray:
    """Taxable cube items less depreciation and the final write-off [EUR]."""
    return item_total(cube, taxable=True) - depreciation.sum("asset_class", skipna=False) - nbv_write_off


def apply_tax(cube: xr.DataArray, additions: dict[str, xr.DataArray], params: xr.Dataset) -> tuple[xr.DataArray, xr.Dataset]:
    """Compute depreciation and tax and write the tax into the cube's ``corporate_tax`` row.

    Parameters
    ----------
    cube : xarray.DataArray
        Pre-tax cube from :func:`tecmodel.cube.assemble_cube` (its ``corporate_tax`` row zero).
    additions : dict of str to xarray.DataArray
        Capital placed in service by asset class [EUR].
    params : xarray.Dataset
        Supplies tax lives and tax parameters.

    Returns
    -------
    cube : xarray.DataArray
        The same cube, with ``corporate_tax`` filled (negative).
    finance : xarray.Dataset
        ``depreciation`` (asset_class, year, site...), ``nbv_write_off``, ``taxable_income_before_losses``,
        ``loss_relief``, ``taxable_income``, ``loss_pool`` and ``tax`` (year, site...) [EUR].
    """
    template = cube.isel(item=0, drop=True)
    for name in ("category", "component", "label", "taxable"):
        template = template.drop_vars(name, errors="ignore")
    depreciation = tax_depreciation(additions, params, template)
    added = sum((xr.broadcast(value, template)[0] for value in additions.values()), xr.zeros_like(template))
    book_value_left = year_total(added) - year_total(depreciation.sum("asset_class", skipna=False))
    last_year = (template["year"] == template["year"][-1])
    nbv_write_off = (last_year * book_value_left).transpose(*template.dims)
    profit = taxable_income_before_losses(cube, depreciation, nbv_write_off).transpose(*template.dims)
    site_template = template.isel(year=0, drop=True)
    schedule = loss_carry_forward_tax(
        profit.values,
        _as_numpy(params["tax.corporate_rate"], site_template),
        _as_numpy(params["tax.loss_offset_fixed"], site_template),
        _as_numpy(params["tax.loss_offset_share"], site_template),
    )
    cube.loc[{"item": "corporate_tax"}] = -schedule.tax
    finance = xr.Dataset({
        "depreciation": depreciation,
        "nbv_write_off": nbv_write_off,
        "taxable_income_before_losses": profit,
        "loss_relief": template.copy(data=schedule.loss_relief),
        "taxable_income": template.copy(data=schedule.taxable_income),
        "loss_pool": template.copy(data=schedule.loss_pool),
        "tax": template.copy(data=schedule.tax),
    })
    long_names = {
        "nbv_write_off": "Remaining tax book value written off in the last year",
        "taxable_income_before_losses": "Taxable income before loss relief",
        "loss_relief": "Carried-forward losses offset",
        "taxable_income": "Taxable income",
        "loss_pool": "Losses carried forward at year end",
        "tax": "Corporate income tax",
    }
    for name, long_name in long_names.items():
        finance[name].attrs = {"units": "EUR", "long_name": long_name}
    return cube, finance


# --------------------------------------------------------------------------- metrics


def with_portfolio(array: xr.DataArray) -> xr.DataArray:
    """Append the portfolio (sum over sites) as one more ``site`` label."""
    total = array.sum("site", skipna=False).expand_dims(site=[PORTFOLIO])
    combined = xr.concat([array, total], dim="site", coords="minimal", compat="override")
    return combined.transpose(*array.dims)


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
    cumulative = free_cash_flow.cumsum("year")
    non_negative = (cumulative >= 0).transpose("year", ...)
    # stays[t]: cumulative >= 0 in every year from t to the horizon.
    stays = np.flip(np.logical_and.accumulate(np.flip(non_negative.values, 0), axis=0), 0)
    first = np.argmax(stays, axis=0)
    years = free_cash_flow["year"].values.astype(float)
    result = np.where(stays.any(axis=0), years[first], np.nan)
    return xr.DataArray(result, dims=non_negative.dims[1:],
                        coords={d: non_negative[d] for d in non_negative.dims[1:] if d in non_negative.coords})


def project_irr(free_cash_flow: xr.DataArray) -> tuple[xr.DataArray, xr.DataArray]:
    """IRR of each series and the status code saying why it is undefined where it is [1]."""
    ordered = free_cash_flow.transpose("year", ...)
    result = irr(ordered.values, axis=0)
    coords = {d: ordered[d] for d in ordered.dims[1:] if d in ordered.coords}
    rate = xr.DataArray(result.rate, dims=ordered.dims[1:], coords=coords)
    status = xr.DataArray(result.status, dims=ordered.dims[1:], coords=coords)
    return rate, status


def breakeven_revenue_factor(pre_tax_pv: np.ndarray, revenue_pv: np.ndarray, profit: np.ndarray,
                             revenue: np.ndarray, factors: np.ndarray, rate, offset_fixed, offset_share,
                             *, sites_axis: int | None = None, tolerance: float = 1e-10,
                             max_iterations: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Factor m on every GPU-hour price that makes the after-tax NPV zero.

    NPV(m) = PV(pre-tax FCF) + (m - 1) PV(revenue) - PV(tax(profit + (m - 1) revenue)); it
    increases with m. Solved by safeguarded Newton (the tax derivative is propagated through
    the loss carry-forward), starting from the pre-tax break-even, inside a bracket.

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

    Returns
    -------
    factor : numpy.ndarray
        The break-even factor (NaN where revenue is never earned).
    converged : numpy.ndarray of bool
    """

    def combine(values):
        return values.sum(axis=sites_axis) if sites_axis is not None else values

    def expand(values):
        return np.expand_dims(values, sites_axis) if sites_axis is not None else values

    def npv_and_slope(factor):
        shifted = profit + (expand(factor)[None] - 1.0) * revenue
        schedule = loss_carry_forward_tax(shifted, rate, offset_fixed, offset_share, profit_derivative=revenue)
        tax_pv = np.add.accumulate(schedule.tax * factors, axis=0)[-1]
        tax_slope = np.add.accumulate(schedule.tax_derivative * factors, axis=0)[-1]
        value = pre_tax_pv + (expand(factor) - 1.0) * revenue_pv - tax_pv
        return combine(value), combine(revenue_pv - tax_slope)

    total_revenue_pv = combine(revenue_pv)
    earns = total_revenue_pv > 0
    safe_revenue_pv = np.where(earns, total_revenue_pv, 1.0)
    scale = np.maximum(np.abs(combine(pre_tax_pv)), safe_revenue_pv)
    low = np.where(earns, np.maximum(1.0 - combine(pre_tax_pv) / safe_revenue_pv, 0.0), np.nan)
    low = np.nan_to_num(low, nan=0.0)
    value_low, _ = npv_and_slope(low)
    high = np.maximum(2.0 * low, low + 1.0)
    value_high, _ = npv_and_slope(high)
    for _ in range(60):
        need = earns & (value_high <= 0)
        if not need.any():
            break
        high = np.where(need, 2.0 * high, high)
        value_high, _ = npv_and_slope(high)
    done_at_low = value_low >= 0  # no tax at the pre-tax break-even: it is the answer
    factor = low.copy()
    converged = done_at_low | ~earns
    value = value_low
    _, slope = npv_and_slope(factor)
    for _ in range(max_iterations):
        active = earns & ~converged
        if not active.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = factor - value / slope
        inside = np.isfinite(newton) & (newton > low) & (newton < high)
        candidate = np.where(inside, newton, 0.5 * (low + high))
        candidate = np.where(active, candidate, factor)
        value_new, slope_new = npv_and_slope(candidate)
        low = np.where(active & (value_new < 0), candidate, low)
        high = np.where(active & (value_new >= 0), candidate, high)
        factor, value, slope = candidate, value_new, slope_new
        converged = converged | (np.abs(value) <= tolerance * scale) | (high - low <= 1e-15 * np.maximum(high, 1.0))
    return np.where(earns, factor, np.nan), converged & earns


def compute_metrics(cube: xr.DataArray, finance: xr.Dataset, quantities: xr.Dataset, params: xr.Dataset,
                    timeline: xr.Dataset) -> xr.Dataset:
    """Headline metrics per site and for the portfolio.

    Parameters
    ----------
    cube : xarray.DataArray
        The full cube (tax included).
    finance : xarray.Dataset
        From :func:`apply_tax`.
    quantities : xarray.Dataset
        Physical quantities from the components.
    params : xarray.Dataset
    timeline : xarray.Dataset

    Returns
    -------
    xarray.Dataset
        Over ``site`` (the sites and ``"portfolio"``) and any extra dims: ``npv`` [EUR],
        ``irr`` [1/yr] and ``irr_status``, ``payback_year`` [year], ``lcoc``,
        ``realised_gpu_hour_price`` and ``breakeven_gpu_hour_price`` [EUR/GPU-hour],
        ``breakeven_price_factor`` [1], ``capex_total`` and ``initial_capex`` [EUR],
        ``capex_per_mw_it`` [EUR/MW], ``it_mw`` [MW], ``facility_mw_peak`` [MW],
        ``accelerators`` [accelerator], ``energy_mwh_per_year`` [MWh/yr],
        ``water_m3_per_year`` [m3/yr], ``gpu_hours_sold`` [GPU-hour] (over the horizon).
    """
    free_cash_flow = with_portfolio(item_total(cube, exclude=("financing",)))  # unlevered: no financing rows
    revenue = with_portfolio(item_total(cube, category="revenue"))
    costs = with_portfolio(item_total(cube, category=("opex", "capex", "residual")))
    gross_capex = with_portfolio(-item_total(cube, category="capex", outflows_only=True))
    hours_sold = with_portfolio(quantities["gpu_hours_sold"])
    factors = discount_factors(params["finance.discount_rate"], timeline["t"])

    npv = present_value(free_cash_flow, factors)
    hours_pv = present_value(hours_sold, factors)
    revenue_pv = present_value(revenue, factors)
    with np.errstate(divide="ignore", invalid="ignore"):
        lcoc = xr.where(hours_pv > 0, -present_value(costs, factors) / hours_pv, np.nan)
        realised = xr.where(hours_pv > 0, revenue_pv / hours_pv, np.nan)
    rate, status = project_irr(free_cash_flow)

    factor = _breakeven_factor(cube, finance, params, factors)
    with np.errstate(invalid="ignore"):
        breakeven = factor * realised

    installed_mw = with_portfolio(timeline["installed_it_mw"])
    initial = year_total(with_portfolio(quantities["initial_capex"]))
    max_mw = installed_mw.max("year")
    with np.errstate(divide="ignore", invalid="ignore"):
        capex_per_mw = xr.where(max_mw > 0, initial / max_mw, np.nan)

    metrics = xr.Dataset({
        "npv": npv,
        "irr": rate,
        "irr_status": status,
        "payback_year": payback_year(free_cash_flow),
        "lcoc": lcoc,
        "realised_gpu_hour_price": realised,
        "breakeven_gpu_hour_price": breakeven,
        "breakeven_price_factor": factor,
        "capex_total": year_total(gross_capex),
        "initial_capex": initial,
        "capex_per_mw_it": capex_per_mw,
        "it_mw": max_mw,
        "facility_mw_peak": with_portfolio(quantities["subscribed_mw"]).max("year"),
        "accelerators": with_portfolio(quantities["accelerators_installed"]).max("year"),
        "energy_mwh_per_year": with_portfolio(quantities["facility_energy_mwh"]).max("year"),
        "water_m3_per_year": with_portfolio(quantities["water_m3"]).max("year"),
        "gpu_hours_sold": year_total(hours_sold),
    })
    for name, (units, long_name) in METRIC_ATTRS.items():
        metrics[name].attrs = {"units": units, "long_name": long_name}
    metrics["irr_status"].attrs.update(
        flag_values=list(IRR_STATUS), flag_meanings=" ".join(r.replace(" ", "_") for r in IRR_STATUS.values()))
    return metrics


METRIC_ATTRS: dict[str, tuple[str, str]] = {
    "npv": ("EUR", "Net present value of unlevered free cash flow"),
    "irr": ("1/yr", "Internal rate of return of unlevered free cash flow"),
    "irr_status": ("1", "IRR status code (0 = defined; see flag_meanings)"),
    "payback_year": ("year", "First year from which cumulative free cash flow stays non-negative"),
    "lcoc": ("EUR/GPU-hour", "Levelised cost of compute: PV of pre-tax costs net of residual value / PV of GPU-hours sold"),
    "realised_gpu_hour_price": ("EUR/GPU-hour", "PV of revenue / PV of GPU-hours sold"),
    "breakeven_gpu_hour_price": ("EUR/GPU-hour", "Realised GPU-hour price at which the after-tax NPV is zero"),
    "breakeven_price_factor": ("1", "Factor on every GPU-hour price that makes the after-tax NPV zero"),
    "capex_total": ("EUR", "Gross capex over the horizon (initial build, refreshes, replacements)"),
    "initial_capex": ("EUR", "Capex of the initial build-out (first generation of everything)"),
    "capex_per_mw_it": ("EUR/MW", "Initial capex per MW IT"),
    "it_mw": ("MW", "IT capacity at full build-out"),
    "facility_mw_peak": ("MW", "Peak subscribed grid power at full build-out"),
    "accelerators": ("accelerator", "Accelerators at full build-out"),
    "energy_mwh_per_year": ("MWh/yr", "Facility energy per year at full build-out"),
    "water_m3_per_year": ("m3/yr", "Cooling water per year at full build-out"),
    "gpu_hours_sold": ("GPU-hour", "GPU-hours sold over the horizon"),
}


def _breakeven_factor(cube: xr.DataArray, finance: xr.Dataset, params: xr.Dataset,
                      factors: xr.DataArray) -> xr.DataArray:
    """Break-even price factor per site and for the portfolio (sites taxed standalone)."""
    pre_tax = item_total(cube, exclude=("tax", "financing"))
    revenue = item_total(cube, category="revenue")
    profit = finance["taxable_income_before_losses"]
    dims = profit.dims
    site_template = profit.isel(year=0, drop=True)
    factors_np = xr.broadcast(factors, profit)[0].transpose(*dims).values
    pre_tax_pv = present_value(pre_tax, factors).transpose(*dims[1:]).values
    revenue_pv = present_value(revenue, factors).transpose(*dims[1:]).values
    tax_arguments = [_as_numpy(params[name], site_template)
                     for name in ("tax.corporate_rate", "tax.loss_offset_fixed", "tax.loss_offset_share")]
    arrays = (pre_tax_pv, revenue_pv, profit.transpose(*dims).values, revenue.transpose(*dims).values, factors_np)
    per_site, _ = breakeven_revenue_factor(*arrays, *tax_arguments)
    portfolio, _ = breakeven_revenue_factor(*arrays, *tax_arguments, sites_axis=dims[1:].index("site"))
    site_axis = dims[1:].index("site")
    combined = np.concatenate([per_site, np.expand_dims(portfolio, site_axis)], axis=site_axis)
    coords = {d: site_template[d] for d in site_template.dims if d in site_template.coords and d != "site"}
    coords["site"] = list(site_template["site"].values) + [PORTFOLIO]
    return xr.DataArray(combined, dims=site_template.dims, coords=coords)
