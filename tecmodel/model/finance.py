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

from tecmodel.model.cube import CashFlows, _aligned, _union_dims, broadcast_values
from tecmodel.numerics.irr import IRR_STATUS_ATTRS, irr
from tecmodel.model.kernels import breakeven_factors, tax_schedule
from tecmodel.numerics.labelled import dataset, dimension_coordinate, labelled, set_attributes
from tecmodel.model.timeline import integer_power, ordered_sum, year_total

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
    # Running total year by year: whole-slice additions (numpy's cumsum along axis 0 walks
    # the year axis innermost, with a stride of the whole slice).
    for year in range(n_years):
        cumulative[year + 1] = cumulative[year] + additions[year]
    life = np.broadcast_to(np.asarray(life, dtype=float), additions.shape[1:])
    lives = np.unique(life)
    if lives.size == 1:  # one life for every series: the window is a slice
        whole = int(lives[0])
        window = cumulative[1:].copy()
        if whole < n_years:
            window[whole:] -= cumulative[1:n_years + 1 - whole]
        return window / lives[0]
    upper = np.arange(1, n_years + 1).reshape((n_years,) + (1,) * (additions.ndim - 1))
    lower = np.maximum(upper - life.astype(np.int64)[None], 0)
    lower = np.broadcast_to(lower, additions.shape)
    window = cumulative[1:] - np.take_along_axis(cumulative, lower, axis=0)
    return window / life[None]


def tax_depreciation(additions: dict[str, xr.DataArray], params: xr.Dataset) -> dict[str, xr.DataArray]:
    """Tax depreciation by asset class [EUR/yr], each at the shape of its additions and tax life.

    Parameters
    ----------
    additions : dict of str to xarray.DataArray
        Capital placed in service by asset class (keys of :data:`ASSET_CLASSES`), each over
        (year, site[, ...extra]) [EUR].
    params : xarray.Dataset
        Supplies the tax lives.

    Returns
    -------
    dict of str to xarray.DataArray
        One entry per depreciated class present in `additions`, dims (year, site, ...extra).
    """
    charges = {}
    for asset_class, (life_name, _label) in ASSET_CLASSES.items():
        added = additions.get(asset_class)
        if added is None or life_name is None:
            continue
        life = params[life_name]
        dims, sizes, coords = _union_dims((added, life))
        shape = tuple(sizes[dim] for dim in dims)
        values = np.broadcast_to(_aligned(added, dims), shape)
        lives = np.broadcast_to(_aligned(life, dims)[0], shape[1:])
        charges[asset_class] = labelled(straight_line_depreciation(values, lives), dims, coords, attrs=added.attrs)
    return charges


# --------------------------------------------------------------------------- tax


@dataclass(frozen=True)
class TaxSchedule:
    """Tax, relief and carried-forward losses per year (year on axis 0) [EUR]."""

    tax: np.ndarray
    loss_relief: np.ndarray
    loss_pool: np.ndarray
    taxable_income: np.ndarray


def loss_carry_forward_tax(profit: np.ndarray, rate, offset_fixed, offset_share) -> TaxSchedule:
    """Corporate tax with losses carried forward under a yearly offset cap.

    In year t with profit P_t before loss relief and carried-forward losses L:
    relief = min(L, P_t, fixed + share * max(P_t - fixed, 0)) if P_t > 0, else 0;
    tax = rate * (P_t - relief); losses carried to the next year: L - relief + max(-P_t, 0).
    The rule is implemented once, in ``tecmodel.kernels._tax_step``.

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

    Returns
    -------
    TaxSchedule
        ``tax``, ``loss_relief``, ``taxable_income`` per year and ``loss_pool`` (losses carried
        forward at each year end) [EUR], shaped like `profit`.

    Examples
    --------
    Losses of 10 M offset 1 M + 50 % of the next 9 M of profit (5.5 M); 25 % tax on the rest:

    >>> schedule = loss_carry_forward_tax(np.array([-10e6, 10e6]), 0.25, 1e6, 0.5)
    >>> schedule.tax.tolist(), schedule.loss_pool.tolist()
    ([0.0, 1125000.0], [10000000.0, 4500000.0])
    """
    profit = np.asarray(profit, dtype=float)
    shape = profit.shape[1:]
    parameters = [np.broadcast_to(np.asarray(value, dtype=float), shape).reshape(-1)
                  for value in (rate, offset_fixed, offset_share)]
    tax, relief, taxable, pool = tax_schedule(profit.reshape(profit.shape[0], -1), *parameters)
    return TaxSchedule(*(values.reshape(profit.shape) for values in (tax, relief, pool, taxable)))


def _broadcast_total(arrays, dims: tuple[str, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Ordered elementwise sum of DataArrays broadcast to (dims, shape)."""
    total = np.zeros(shape)
    for array in arrays:
        total += _aligned(array, dims)
    return total


@dataclass(frozen=True)
class TaxAccounts:
    """Depreciation, taxable income and tax of every site-year [EUR], from :func:`apply_tax`.

    ``depreciation`` holds one array per asset class at its own shape; the other fields are
    numpy arrays over ``dims`` (year, site, ...extra) with ``coords``.
    """

    dims: tuple[str, ...]
    coords: dict
    depreciation: dict[str, xr.DataArray]
    nbv_write_off: np.ndarray
    taxable_income_before_losses: np.ndarray
    schedule: TaxSchedule

    def array(self, values: np.ndarray, units: str = "EUR", long_name: str = "") -> xr.DataArray:
        """`values` over (year, site, ...extra) as a DataArray with this evaluation's coordinates."""
        return labelled(values, self.dims, self.coords, attrs={"units": units, "long_name": long_name})

    def to_dataset(self) -> xr.Dataset:
        """``depreciation`` (asset_class, year, site, ...extra) [EUR/yr], ``nbv_write_off``,
        ``taxable_income_before_losses``, ``loss_relief``, ``taxable_income``, ``loss_pool`` and
        ``tax`` (year, site, ...extra) [EUR]."""
        template = self.array(np.zeros(self.nbv_write_off.shape))
        rows = [xr.broadcast(self.depreciation[name], template)[0].transpose(*self.dims)
                if name in self.depreciation else template for name in ASSET_CLASSES]
        depreciation = xr.concat(rows, dim="asset_class", coords="minimal", compat="override")
        depreciation = depreciation.assign_coords(asset_class=list(ASSET_CLASSES))
        depreciation.attrs = {"units": "EUR/yr", "long_name": "Tax depreciation by asset class"}
        return xr.Dataset({
            "depreciation": depreciation,
            "nbv_write_off": self.array(self.nbv_write_off, long_name="Remaining tax book value written off in the last year"),
            "taxable_income_before_losses": self.array(self.taxable_income_before_losses,
                                                       long_name="Taxable income before loss relief"),
            "loss_relief": self.array(self.schedule.loss_relief, long_name="Carried-forward losses offset"),
            "taxable_income": self.array(self.schedule.taxable_income, long_name="Taxable income"),
            "loss_pool": self.array(self.schedule.loss_pool, long_name="Losses carried forward at year end"),
            "tax": self.array(self.schedule.tax, long_name="Corporate income tax"),
        })


def apply_tax(flows: CashFlows, additions: dict[str, xr.DataArray], params: xr.Dataset) -> tuple[CashFlows, TaxAccounts]:
    """Compute depreciation and tax; return the cash flows with the ``corporate_tax`` row.

    Taxable income before losses = taxable rows - tax depreciation - the tax book value left
    in the last year (written off when the assets are sold at their residual value).

    Parameters
    ----------
    flows : CashFlows
        Pre-tax rows (no ``corporate_tax`` row).
    additions : dict of str to xarray.DataArray
        Capital placed in service by asset class [EUR].
    params : xarray.Dataset
        Supplies tax lives and tax parameters.

    Returns
    -------
    flows : CashFlows
        With ``corporate_tax`` (negative).
    accounts : TaxAccounts
    """
    # The accounts vary along every dim of the rows and of the parameters: a parameter that only
    # tax, metrics or financing read (the tax rate, the discount rate ...) may be the only one
    # that carries a ``sample`` dimension.
    extra = tuple(dim for dim in params.dims if dim not in flows.dims)
    dims = flows.dims + extra
    shape = flows.shape + tuple(params.sizes[dim] for dim in extra)
    coords = {**{dim: flows.coords[dim] for dim in flows.dims if dim in flows.coords},
              **{dim: params.coords[dim] for dim in extra if dim in params.coords}}
    depreciation = tax_depreciation(additions, params)
    depreciation_total = _broadcast_total(depreciation.values(), dims, shape)
    added_total = _broadcast_total(additions.values(), dims, shape)
    nbv_write_off = np.zeros(shape)
    nbv_write_off[-1] = ordered_sum(added_total, 0) - ordered_sum(depreciation_total, 0)
    taxable_rows = _aligned(flows.total(taxable=True), dims)
    profit = taxable_rows - depreciation_total - nbv_write_off
    site_template = labelled(np.zeros(shape[1:]), dims[1:], coords)
    schedule = loss_carry_forward_tax(
        profit,
        broadcast_values(params["tax.corporate_rate"], site_template),
        broadcast_values(params["tax.loss_offset_fixed"], site_template),
        broadcast_values(params["tax.loss_offset_share"], site_template),
    )
    accounts = TaxAccounts(dims, coords, depreciation, nbv_write_off, profit, schedule)
    tax_row = accounts.array(-schedule.tax, long_name="Corporate income tax")
    return flows.with_item("corporate_tax", tax_row), accounts


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


def breakeven_revenue_factor(pre_tax_pv: np.ndarray, revenue_pv: np.ndarray, profit: np.ndarray,
                             revenue: np.ndarray, factors: np.ndarray, rate, offset_fixed, offset_share,
                             *, sites_axis: int | None = None,
                             tolerance: float = 1e-10) -> tuple[np.ndarray, np.ndarray]:
    """Factor m on every GPU-hour price that makes the after-tax NPV zero.

    NPV(m) = PV(pre-tax FCF) + (m - 1) PV(revenue) - PV(tax(profit + (m - 1) revenue)); it
    increases with m. Solved per series by safeguarded Newton (the tax derivative is carried
    through the loss carry-forward), starting from the pre-tax break-even, inside a bracket
    (:func:`tecmodel.kernels.breakeven_factors`).

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
        Convergence when |NPV| <= tolerance x max(|PV pre-tax|, PV revenue).

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
        grouped_years(profit), grouped_years(revenue), grouped_years(factors),
        grouped(pre_tax_pv), grouped(revenue_pv), grouped(rate), grouped(offset_fixed),
        grouped(offset_share), tolerance)
    return factor.reshape(out_shape), converged.reshape(out_shape)


def compute_metrics(flows: CashFlows, accounts: TaxAccounts, quantities: xr.Dataset, params: xr.Dataset,
                    timeline: xr.Dataset) -> xr.Dataset:
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
        Over ``site`` (the sites and ``"portfolio"``) and any extra dims: ``npv`` [EUR],
        ``irr`` [1/yr] and ``irr_status``, ``payback_year`` [year], ``lcoc``,
        ``realised_gpu_hour_price`` and ``breakeven_gpu_hour_price`` [EUR/GPU-hour],
        ``breakeven_price_factor`` [1], ``capex_total`` and ``initial_capex`` [EUR],
        ``capex_per_mw_it`` [EUR/MW], ``it_mw`` [MW], ``facility_mw_peak`` [MW],
        ``accelerators`` [accelerator], ``energy_mwh_per_year`` [MWh/yr],
        ``water_m3_per_year`` [m3/yr], ``gpu_hours_sold`` [GPU-hour] (over the horizon).
    """
    site_revenue = flows.total(category="revenue")
    free_cash_flow = with_portfolio(flows.total())
    revenue = with_portfolio(site_revenue)
    costs = with_portfolio(flows.total(category=("opex", "capex", "residual")))
    gross_capex = with_portfolio(-flows.total(category="capex", outflows_only=True))
    hours_sold = with_portfolio(quantities["gpu_hours_sold"])
    factors = discount_factors(params["finance.discount_rate"], timeline["t"])

    npv = present_value(free_cash_flow, factors)
    hours_pv = present_value(hours_sold, factors)
    revenue_pv = present_value(revenue, factors)
    with np.errstate(divide="ignore", invalid="ignore"):
        lcoc = xr.where(hours_pv > 0, -present_value(costs, factors) / hours_pv, np.nan)
        realised = xr.where(hours_pv > 0, revenue_pv / hours_pv, np.nan)
    rate, status = project_irr(free_cash_flow)

    factor = _breakeven_factor(flows.total(exclude=("tax",)), site_revenue, accounts, params, factors)
    with np.errstate(invalid="ignore"):
        breakeven = factor * realised

    installed_mw = with_portfolio(timeline["installed_it_mw"])
    initial = year_total(with_portfolio(quantities["initial_capex"]))
    max_mw = installed_mw.max("year")
    with np.errstate(divide="ignore", invalid="ignore"):
        capex_per_mw = xr.where(max_mw > 0, initial / max_mw, np.nan)

    metrics = dataset({
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
    set_attributes(metrics, METRIC_ATTRS)
    metrics["irr_status"].attrs.update(IRR_STATUS_ATTRS)
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


def _breakeven_factor(pre_tax: xr.DataArray, revenue: xr.DataArray, accounts: TaxAccounts, params: xr.Dataset,
                      factors: xr.DataArray) -> xr.DataArray:
    """Break-even price factor per site and for the portfolio (sites taxed standalone)."""
    profit = accounts.array(accounts.taxable_income_before_losses)
    dims = profit.dims
    site_template = profit.isel(year=0, drop=True)
    factors_np = xr.broadcast(factors, profit)[0].transpose(*dims).values
    pre_tax_pv = present_value(pre_tax, factors).transpose(*dims[1:]).values
    revenue_pv = present_value(revenue, factors).transpose(*dims[1:]).values
    tax_arguments = [broadcast_values(params[name], site_template)
                     for name in ("tax.corporate_rate", "tax.loss_offset_fixed", "tax.loss_offset_share")]
    arrays = (pre_tax_pv, revenue_pv, profit.transpose(*dims).values, revenue.transpose(*dims).values, factors_np)
    per_site, _ = breakeven_revenue_factor(*arrays, *tax_arguments)
    portfolio, _ = breakeven_revenue_factor(*arrays, *tax_arguments, sites_axis=dims[1:].index("site"))
    site_axis = dims[1:].index("site")
    combined = np.concatenate([per_site, np.expand_dims(portfolio, site_axis)], axis=site_axis)
    coords = {d: site_template[d] for d in site_template.dims if d in site_template.coords and d != "site"}
    coords["site"] = list(site_template["site"].values) + [PORTFOLIO]
    return xr.DataArray(combined, dims=site_template.dims, coords=coords)
