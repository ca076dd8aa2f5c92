"""The cash-flow cube: every line item of every site in every year, in one DataArray.

This module owns the declared table of line items (name, label, category, component, whether
it enters taxable income) and the assembly of the components' items into the cube
``item x year x site[ x sample]`` in nominal EUR, inflows positive. The free cash flow of a site
is the sum of the cube over ``item``; every metric (:mod:`tecmodel.finance`) reads the cube and
nothing else computes cash flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

CATEGORIES = ("revenue", "opex", "capex", "residual", "tax", "financing")


@dataclass(frozen=True)
class LineItem:
    """A declared row of the cube.

    Attributes
    ----------
    name : str
        Identifier used as the ``item`` coordinate.
    label : str
        Human-readable label (reports).
    category : str
        One of :data:`CATEGORIES`.
    component : str
        Module that computes it.
    taxable : bool
        Enters taxable income as it is (revenue, opex, disposal proceeds, residual value);
        capex enters only through tax depreciation.
    """

    name: str
    label: str
    category: str
    component: str
    taxable: bool


LINE_ITEMS: tuple[LineItem, ...] = (
    LineItem("revenue_contract", "Take-or-pay contract GPU-hours", "revenue", "revenue", True),
    LineItem("revenue_merchant", "Merchant GPU-hours", "revenue", "revenue", True),
    LineItem("power_contract_energy", "Energy, long-term nuclear contract", "opex", "power", True),
    LineItem("power_market_energy", "Energy, market purchases", "opex", "power", True),
    LineItem("power_grid_capacity_tariff", "Grid tariff, subscribed power (TURPE)", "opex", "power", True),
    LineItem("power_grid_energy_tariff", "Grid tariff, energy (TURPE)", "opex", "power", True),
    LineItem("power_excise", "Electricity excise (accise)", "opex", "power", True),
    LineItem("power_capacity_mechanism", "Capacity mechanism", "opex", "power", True),
    LineItem("cooling_maintenance", "Cooling maintenance", "opex", "cooling", True),
    LineItem("operations_staff", "Staff", "opex", "operations", True),
    LineItem("operations_facility_maintenance", "Facility maintenance", "opex", "operations", True),
    LineItem("operations_it_support", "IT support, spares and RMA", "opex", "operations", True),
    LineItem("operations_insurance", "Insurance", "opex", "operations", True),
    LineItem("operations_local_taxes", "Local taxes", "opex", "operations", True),
    LineItem("operations_network", "Network and bandwidth", "opex", "operations", True),
    LineItem("chips_purchase", "Accelerator purchases", "capex", "chips", False),
    LineItem("chips_resale", "Resale of retired accelerators", "capex", "chips", True),
    LineItem("construction_shell_core", "Shell, core and fit-out", "capex", "construction", False),
    LineItem("construction_electrical", "Electrical plant", "capex", "construction", False),
    LineItem("construction_contingency", "Construction contingency", "capex", "construction", False),
    LineItem("construction_land", "Land", "capex", "construction", False),
    LineItem("construction_grid_connection", "Grid connection", "capex", "construction", False),
    LineItem("cooling_plant", "Cooling plant", "capex", "cooling", False),
    LineItem("chips_residual", "Residual value, accelerators", "residual", "chips", True),
    LineItem("construction_residual", "Residual value, facility, land and grid", "residual", "construction", True),
    LineItem("cooling_residual", "Residual value, cooling plant", "residual", "cooling", True),
    LineItem("corporate_tax", "Corporate income tax", "tax", "finance", False),
    # Financing (tecmodel/financing.py): the equity cash flow is the sum of every row; the
    # unlevered free cash flow the sum of every row but these.
    LineItem("debt_drawdown", "Debt drawdowns funding capex", "financing", "financing", False),
    LineItem("debt_drawdown_interest", "Debt drawdowns funding interest during construction", "financing",
             "financing", False),
    LineItem("debt_interest", "Interest (including interest capitalised during construction)", "financing",
             "financing", False),
    LineItem("debt_fees", "Debt fees (upfront and commitment)", "financing", "financing", False),
    LineItem("debt_repayment", "Scheduled debt repayment", "financing", "financing", False),
    LineItem("debt_repayment_at_horizon", "Debt outstanding at the horizon, repaid from the residual value",
             "financing", "financing", False),
    LineItem("interest_tax_shield", "Tax saved by deducting interest and fees", "financing", "financing", False),
)
ITEMS: dict[str, LineItem] = {item.name: item for item in LINE_ITEMS}
#: Items computed by the finance layer on top of the components' items.
FINANCE_ITEMS = ("corporate_tax",)
#: Items computed by the financing layer (:mod:`tecmodel.financing`); category "financing".
FINANCING_ITEMS = tuple(item.name for item in LINE_ITEMS if item.category == "financing")


def assemble_cube(items: Mapping[str, xr.DataArray], order: tuple[LineItem, ...] = LINE_ITEMS) -> xr.DataArray:
    """Stack line items into the cash-flow cube.

    Parameters
    ----------
    items : mapping of str to xarray.DataArray
        Each item [EUR] over (year, site) plus any extra dims (``sample``, ``scenario``);
        items not given (e.g. ``corporate_tax`` before the tax is computed) are zero.
    order : tuple of LineItem
        Rows of the cube, in order.

    Returns
    -------
    xarray.DataArray
        Dims (item, year, site, ...extra) in nominal EUR, with coordinates ``category``,
        ``component``, ``label`` and ``taxable`` along ``item``.

    Raises
    ------
    KeyError
        If an item is not declared in :data:`LINE_ITEMS`.
    """
    unknown = set(items) - {item.name for item in order}
    if unknown:
        raise KeyError(f"undeclared line items {sorted(unknown)}; declare them in tecmodel.cube.LINE_ITEMS")
    arrays = list(items.values())
    dims: list[str] = ["year", "site"]
    sizes: dict[str, int] = {}
    coords: dict[str, xr.DataArray] = {}
    for array in arrays:
        for dim in array.dims:
            if dim not in dims:
                dims.append(dim)
            size = array.sizes[dim]
            if sizes.setdefault(dim, size) != size:
                raise ValueError(f"line items disagree on the size of {dim!r}: {sizes[dim]} vs {size}")
            if dim in array.coords and dim not in coords:
                coords[dim] = array.coords[dim]
    shape = tuple(sizes[dim] for dim in dims)
    data = np.zeros((len(order),) + shape)
    for index, item in enumerate(order):
        array = items.get(item.name)
        if array is None:
            continue
        missing = [dim for dim in dims if dim not in array.dims]
        expanded = array.expand_dims(missing) if missing else array
        data[index] = expanded.transpose(*dims).values
    cube = xr.DataArray(
        data,
        dims=("item",) + tuple(dims),
        coords={
            "item": [item.name for item in order],
            "category": ("item", [item.category for item in order]),
            "component": ("item", [item.component for item in order]),
            "label": ("item", [item.label for item in order]),
            "taxable": ("item", [item.taxable for item in order]),
            **{dim: coords[dim] for dim in dims if dim in coords},
        },
        name="cash_flow",
        attrs={"units": "EUR", "long_name": "Cash flow by line item (nominal EUR, inflows positive)"},
    )
    return cube


def item_mask(cube: xr.DataArray, *, category: str | tuple[str, ...] | None = None,
              taxable: bool | None = None, exclude: tuple[str, ...] = (),
              component: str | tuple[str, ...] | None = None, names: tuple[str, ...] | None = None) -> np.ndarray:
    """Boolean mask over ``item``: rows of the given categories / tax treatment / components / names.

    ``exclude`` names categories to leave out.
    """
    mask = np.ones(cube.sizes["item"], dtype=bool)
    if component is not None:
        mask &= np.isin(cube["component"].values, (component,) if isinstance(component, str) else component)
    if names is not None:
        mask &= np.isin(cube["item"].values, names)
    if category is not None:
        wanted = (category,) if isinstance(category, str) else category
        mask &= np.isin(cube["category"].values, wanted)
    if taxable is not None:
        mask &= cube["taxable"].values == taxable
    if exclude:
        mask &= ~np.isin(cube["category"].values, exclude)
    return mask


def select_items(cube: xr.DataArray, **criteria) -> xr.DataArray:
    """Rows of the cube by category and/or tax treatment (see :func:`item_mask`)."""
    return cube.isel(item=np.flatnonzero(item_mask(cube, **criteria)))


def item_total(cube: xr.DataArray, *, outflows_only: bool = False, **criteria) -> xr.DataArray:
    """Sum of the selected rows of the cube [EUR], over (year, site, ...extra).

    Rows are added one after the other (no copy of the selection, the same order whatever the
    other dimensions), so a total is bit-identical however samples are stacked.

    Parameters
    ----------
    cube : xarray.DataArray
        The cash-flow cube, ``item`` first.
    outflows_only : bool
        Add only the negative part of each row (gross capex, for example).
    **criteria
        ``category``, ``taxable``, ``exclude``, ``component``, ``names`` as in :func:`item_mask`;
        none: every row.
    """
    data = cube.values
    total = np.zeros(data.shape[1:])
    for index in np.flatnonzero(item_mask(cube, **criteria)):
        total += np.minimum(data[index], 0.0) if outflows_only else data[index]
    template = cube.isel(item=0, drop=True)
    for name in ("category", "component", "label", "taxable"):
        template = template.drop_vars(name, errors="ignore")
    return template.copy(data=total)
