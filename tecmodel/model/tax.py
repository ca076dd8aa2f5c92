"""Tax: depreciation by asset class and corporate tax with the French loss carry-forward.

This module owns the tax accounts of every site-year:

- tax depreciation, straight line by asset class over its tax life, from the additions the
  components place in service (full year in the year of service; the remaining tax book value
  is written off in the last model year, when the assets are sold at their residual value);
- corporate tax on taxable income (taxable cube rows less depreciation) with the French loss
  carry-forward: losses carried forward without limit in time, offsetting in a year at most
  ``tax.loss_offset_fixed`` plus ``tax.loss_offset_share`` of the profit above it
  (:mod:`tecmodel.model.tax_kernels`).

Sites are taxed standalone (one company per site).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import xarray as xr

from tecmodel.model.cube import CashFlows, aligned, broadcast_values, union_dims
from tecmodel.model.tax_kernels import tax_schedule
from tecmodel.numerics.labelled import labelled
from tecmodel.numerics.ordered import ordered_sum

#: Asset class -> (registry parameter holding its tax life or None if not depreciated, label)
ASSET_CLASSES: dict[str, tuple[str | None, str]] = {
    "it_equipment": ("chips.tax_life_years", "IT equipment (accelerators, servers, network)"),
    "building": ("construction.building_tax_life", "Shell, core and fit-out"),
    "electrical": ("construction.electrical_tax_life", "Electrical plant"),
    "cooling": ("cooling.tax_life_years", "Cooling plant"),
    "grid_connection": ("grid.connection_tax_life", "Grid connection"),
    "land": (None, "Land (not depreciated)"),
}


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
            window[whole:] -= cumulative[1 : n_years + 1 - whole]
        return window / lives[0]
    upper = np.arange(1, n_years + 1).reshape((n_years,) + (1,) * (additions.ndim - 1))
    lower = np.maximum(upper - life.astype(np.int64)[None], 0)
    lower = np.broadcast_to(lower, additions.shape)
    window = cumulative[1:] - np.take_along_axis(cumulative, lower, axis=0)
    return window / life[None]


def tax_depreciation(
    additions: dict[str, xr.DataArray], params: xr.Dataset
) -> dict[str, xr.DataArray]:
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
        dims, sizes, coords = union_dims((added, life))
        shape = tuple(sizes[dim] for dim in dims)
        values = np.broadcast_to(aligned(added, dims), shape)
        lives = np.broadcast_to(aligned(life, dims)[0], shape[1:])
        charges[asset_class] = labelled(
            straight_line_depreciation(values, lives), dims, coords, attrs=added.attrs
        )
    return charges


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
    The rule is implemented once, in ``tecmodel.model.tax_kernels.tax_step``.

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
    parameters = [
        np.broadcast_to(np.asarray(value, dtype=float), shape).reshape(-1)
        for value in (rate, offset_fixed, offset_share)
    ]
    tax, relief, taxable, pool = tax_schedule(profit.reshape(profit.shape[0], -1), *parameters)
    return TaxSchedule(*(values.reshape(profit.shape) for values in (tax, relief, pool, taxable)))


def _broadcast_total(arrays, dims: tuple[str, ...], shape: tuple[int, ...]) -> np.ndarray:
    """Ordered elementwise sum of DataArrays broadcast to (dims, shape)."""
    total = np.zeros(shape)
    for array in arrays:
        total += aligned(array, dims)
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
        return labelled(
            values, self.dims, self.coords, attrs={"units": units, "long_name": long_name}
        )

    def to_dataset(self) -> xr.Dataset:
        """``depreciation`` (asset_class, year, site, ...extra) [EUR], ``nbv_write_off``,
        ``taxable_income_before_losses``, ``loss_relief``, ``taxable_income``, ``loss_pool`` and
        ``tax`` (year, site, ...extra) [EUR]."""
        template = self.array(np.zeros(self.nbv_write_off.shape))
        rows = [
            xr.broadcast(self.depreciation[name], template)[0].transpose(*self.dims)
            if name in self.depreciation
            else template
            for name in ASSET_CLASSES
        ]
        depreciation = xr.concat(rows, dim="asset_class", coords="minimal", compat="override")
        depreciation = depreciation.assign_coords(asset_class=list(ASSET_CLASSES))
        # EUR in each year, as every other yearly flow of the cube (cash_flow, tax)
        depreciation.attrs = {"units": "EUR", "long_name": "Tax depreciation by asset class"}
        return xr.Dataset(
            {
                "depreciation": depreciation,
                "nbv_write_off": self.array(
                    self.nbv_write_off,
                    long_name="Remaining tax book value written off in the last year",
                ),
                "taxable_income_before_losses": self.array(
                    self.taxable_income_before_losses, long_name="Taxable income before loss relief"
                ),
                "loss_relief": self.array(
                    self.schedule.loss_relief, long_name="Carried-forward losses offset"
                ),
                "taxable_income": self.array(
                    self.schedule.taxable_income, long_name="Taxable income"
                ),
                "loss_pool": self.array(
                    self.schedule.loss_pool, long_name="Losses carried forward at year end"
                ),
                "tax": self.array(self.schedule.tax, long_name="Corporate income tax"),
            }
        )


def apply_tax(
    flows: CashFlows, additions: dict[str, xr.DataArray], params: xr.Dataset
) -> tuple[CashFlows, TaxAccounts]:
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
    coords = {
        **{dim: flows.coords[dim] for dim in flows.dims if dim in flows.coords},
        **{dim: params.coords[dim] for dim in extra if dim in params.coords},
    }
    depreciation = tax_depreciation(additions, params)
    depreciation_total = _broadcast_total(depreciation.values(), dims, shape)
    added_total = _broadcast_total(additions.values(), dims, shape)
    nbv_write_off = np.zeros(shape)
    nbv_write_off[-1] = ordered_sum(added_total, 0) - ordered_sum(depreciation_total, 0)
    taxable_rows = aligned(flows.total(taxable=True), dims)
    profit = taxable_rows - depreciation_total - nbv_write_off
    site_template = labelled(np.zeros(shape[1:]), dims[1:], coords)
    schedule = loss_carry_forward_tax(profit, *tax_terms(params, site_template))
    accounts = TaxAccounts(dims, coords, depreciation, nbv_write_off, profit, schedule)
    tax_row = accounts.array(-schedule.tax, long_name="Corporate income tax")
    return flows.with_item("corporate_tax", tax_row), accounts


def tax_terms(
    params: xr.Dataset, template: xr.DataArray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The tax rate [1], the fully offsettable profit [EUR] and the offsettable share [1] of
    each series, broadcast to `template`'s shape (one value per site-and-sample series)."""
    return tuple(
        broadcast_values(params[name], template)
        for name in ("tax.corporate_rate", "tax.loss_offset_fixed", "tax.loss_offset_share")
    )
