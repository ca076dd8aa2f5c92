"""The cash-flow cube: every line item of every site in every year.

This module owns the declared table of line items (name, label, category, component, whether
it enters taxable income), the one cash-flow builder (:class:`CashFlows`: the components' rows,
each at its own shape, and the ordered totals every metric reads) and the stacked cube
``item x year x site[ x sample]`` in nominal EUR, inflows positive (:meth:`CashFlows.to_cube`)
that reports and users see. The free cash flow of a site is the sum of its rows; nothing else
computes cash flows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import xarray as xr

from tecmodel.numerics.labelled import labelled

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
    LineItem(
        "power_grid_capacity_tariff", "Grid tariff, subscribed power (TURPE)", "opex", "power", True
    ),
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
    LineItem(
        "construction_contingency", "Construction contingency", "capex", "construction", False
    ),
    LineItem("construction_land", "Land", "capex", "construction", False),
    LineItem("construction_grid_connection", "Grid connection", "capex", "construction", False),
    LineItem("cooling_plant", "Cooling plant", "capex", "cooling", False),
    # The horizon value (tecmodel.model.terminal): liquidation rows or the going-concern row.
    LineItem(
        "chips_residual",
        "Horizon value, accelerators at market resale by age",
        "residual",
        "chips",
        True,
    ),
    LineItem(
        "construction_residual",
        "Horizon value, shell, electrical plant and grid at depreciated replacement cost, land",
        "residual",
        "construction",
        True,
    ),
    LineItem(
        "cooling_residual",
        "Horizon value, cooling plant at depreciated replacement cost",
        "residual",
        "cooling",
        True,
    ),
    LineItem(
        "terminal_going_concern",
        "Horizon value, the campus sold as a going concern",
        "residual",
        "terminal",
        True,
    ),
    LineItem("corporate_tax", "Corporate income tax", "tax", "finance", False),
    # Financing (tecmodel/financing.py): the equity cash flow is the sum of every row; the
    # unlevered free cash flow the sum of every row but these.
    LineItem("debt_drawdown", "Debt drawdowns funding capex", "financing", "financing", False),
    LineItem(
        "debt_drawdown_interest",
        "Debt drawdowns funding interest during construction",
        "financing",
        "financing",
        False,
    ),
    LineItem(
        "debt_interest",
        "Interest (including interest capitalised during construction)",
        "financing",
        "financing",
        False,
    ),
    LineItem("debt_fees", "Debt fees (upfront and commitment)", "financing", "financing", False),
    LineItem("debt_repayment", "Scheduled debt repayment", "financing", "financing", False),
    LineItem(
        "debt_repayment_at_horizon",
        "Debt outstanding at the horizon: a balloon to refinance, paid in the last year",
        "financing",
        "financing",
        False,
    ),
    LineItem(
        "cash_held_back",
        "Cash held back in the borrower (debt service reserve, locked-up distributions)",
        "financing",
        "financing",
        False,
    ),
    LineItem(
        "interest_tax_shield",
        "Tax saved by deducting interest and fees",
        "financing",
        "financing",
        False,
    ),
)
ITEMS: dict[str, LineItem] = {item.name: item for item in LINE_ITEMS}
#: Items computed by the finance layer on top of the components' items.
FINANCE_ITEMS = ("corporate_tax",)
#: Items computed by the financing layer (:mod:`tecmodel.financing`); category "financing".
FINANCING_ITEMS = tuple(item.name for item in LINE_ITEMS if item.category == "financing")


def union_dims(arrays) -> tuple[tuple[str, ...], dict[str, int], dict[str, xr.DataArray]]:
    """Dims (year, site, then the extra dims in order of appearance), their sizes and coordinates."""
    dims: list[str] = ["year", "site"]
    sizes: dict[str, int] = {}
    coords: dict[str, xr.DataArray] = {}
    for array in arrays:
        for dim in array.dims:
            if dim not in dims:
                dims.append(dim)
            size = array.sizes[dim]
            if sizes.setdefault(dim, size) != size:
                raise ValueError(
                    f"line items disagree on the size of {dim!r}: {sizes[dim]} vs {size}"
                )
            if dim in array.coords and dim not in coords:
                coords[dim] = array.coords[dim]
    return tuple(dims), sizes, coords


def aligned(array: xr.DataArray, dims: tuple[str, ...]) -> np.ndarray:
    """The values of `array` as a view broadcastable to `dims` (missing dims as length-1 axes)."""
    variable = array.variable
    present = tuple(dim for dim in dims if dim in variable.dims)
    values = variable.transpose(*present).values if present != variable.dims else variable.values
    return values[tuple(slice(None) if dim in variable.dims else np.newaxis for dim in dims)]


def broadcast_values(value, template: xr.DataArray) -> np.ndarray:
    """`value` (a DataArray, or a number) broadcast to `template`'s dims and shape, as a new
    numpy array (the arrays share their coordinates: nothing is aligned by label)."""
    value = value if isinstance(value, xr.DataArray) else xr.DataArray(value)
    return np.array(np.broadcast_to(aligned(value, template.dims), template.shape))


#: A row's group: (category, taxable). Totals are ordered sums of group subtotals.
Group = tuple[str, bool]


class CashFlows(Mapping):
    """The cube's rows, each kept at its own shape: the cash-flow builder every metric reads.

    A row that does not vary along ``sample`` (construction of a site whose inputs are not
    sampled, say) has no ``sample`` dimension here, so a Monte Carlo chunk never materialises
    the ``item x year x site x sample`` array; :meth:`to_cube` stacks the rows when a report
    wants the cube.

    Totals are defined once, here: each row is added, in the order of :data:`LINE_ITEMS`, to the
    subtotal of its group (category, taxable); a total is the ordered sum of the subtotals of
    the groups it selects. Every addition is elementwise in a fixed order, so a series' total is
    bit-identical whatever it is stacked with (sites, samples, chunks); and a spreadsheet reads
    the same structure (rows, subtotals, free cash flow).

    Parameters
    ----------
    items : mapping of str to xarray.DataArray
        Declared line items [EUR] over (year, site) plus any extra dims; rows not given are zero.
    """

    def __init__(
        self, items: Mapping[str, xr.DataArray], *, _subtotals: dict | None = None
    ) -> None:
        unknown = set(items) - set(ITEMS)
        if unknown:
            raise KeyError(
                f"undeclared line items {sorted(unknown)}; declare them in tecmodel.cube.LINE_ITEMS"
            )
        self._items = {item.name: items[item.name] for item in LINE_ITEMS if item.name in items}
        self.dims, sizes, self.coords = union_dims(self._items.values())
        self.shape = tuple(sizes[dim] for dim in self.dims)
        self._subtotals: dict[Group, np.ndarray] = dict(_subtotals or {})

    # Mapping interface: the rows as given.
    def __getitem__(self, name: str) -> xr.DataArray:
        return self._items[name]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"CashFlows({len(self)} rows, dims={dict(zip(self.dims, self.shape, strict=True))})"

    def with_item(self, name: str, value: xr.DataArray) -> CashFlows:
        """A copy with row `name` set to `value` (subtotals of other groups are reused)."""
        changed = _group(ITEMS[name])
        kept = {group: total for group, total in self._subtotals.items() if group != changed}
        same_shape = set(value.dims) <= set(self.dims)
        return CashFlows({**self._items, name: value}, _subtotals=kept if same_shape else None)

    def _template(self, values: np.ndarray) -> xr.DataArray:
        return labelled(values, self.dims, self.coords)

    def _subtotal(self, group: Group) -> np.ndarray:
        if group not in self._subtotals:
            total = np.zeros(self.shape)
            for item in LINE_ITEMS:
                if _group(item) == group and item.name in self._items:
                    total += aligned(self._items[item.name], self.dims)
            self._subtotals[group] = total
            self._subtotals[group].flags.writeable = False
        return self._subtotals[group]

    def total(
        self,
        *,
        outflows_only: bool = False,
        category: str | tuple[str, ...] | None = None,
        taxable: bool | None = None,
        exclude: tuple[str, ...] = (),
        component: str | tuple[str, ...] | None = None,
    ) -> xr.DataArray:
        """Sum of the selected rows [EUR] over (year, site, ...extra).

        Parameters
        ----------
        outflows_only : bool
            Add only the negative part of each row (gross capex, for example), row by row.
        category : str or tuple of str, optional
            Keep rows of these categories.
        taxable : bool, optional
            Keep rows that do (True) or do not (False) enter taxable income as they are.
        exclude : tuple of str
            Drop rows of these categories.
        component : str or tuple of str, optional
            Keep rows computed by these components (added row by row, in order).
        """
        selected = [
            item for item in LINE_ITEMS if _selected(item, category, taxable, exclude, component)
        ]
        total = np.zeros(self.shape)
        if component is not None and not outflows_only:
            for item in selected:
                if item.name in self._items:
                    total += aligned(self._items[item.name], self.dims)
            return self._template(total)
        if outflows_only:
            for item in selected:
                if item.name in self._items:
                    total += np.minimum(aligned(self._items[item.name], self.dims), 0.0)
            return self._template(total)
        for group in dict.fromkeys(_group(item) for item in selected):
            total += self._subtotal(group)
        return self._template(total)

    def to_cube(self, exclude: tuple[str, ...] = ()) -> xr.DataArray:
        """The rows stacked: dims (item, year, site, ...extra) [EUR], rows in :data:`LINE_ITEMS`
        order (absent rows zero), with ``category``, ``component``, ``label`` and ``taxable``
        along ``item``.

        Parameters
        ----------
        exclude : tuple of str
            Categories left out (``("financing",)``: the unlevered project cash flows).
        """
        rows = [item for item in LINE_ITEMS if item.category not in exclude]
        data = np.zeros((len(rows),) + self.shape)
        for index, item in enumerate(rows):
            if item.name in self._items:
                data[index] = aligned(self._items[item.name], self.dims)
        return xr.DataArray(
            data,
            dims=("item",) + self.dims,
            coords={
                "item": [item.name for item in rows],
                "category": ("item", [item.category for item in rows]),
                "component": ("item", [item.component for item in rows]),
                "label": ("item", [item.label for item in rows]),
                "taxable": ("item", [item.taxable for item in rows]),
                **{dim: self.coords[dim] for dim in self.dims if dim in self.coords},
            },
            name="cash_flow",
            attrs={
                "units": "EUR",
                "long_name": "Cash flow by line item (nominal EUR, inflows positive)",
            },
        )

    @classmethod
    def from_cube(cls, cube: xr.DataArray) -> CashFlows:
        """The rows of a stacked cube (the inverse of :meth:`to_cube`)."""
        rows = {}
        for index, name in enumerate(cube["item"].values):
            row = cube.isel(item=index, drop=True)
            rows[str(name)] = row.drop_vars(
                [c for c in ("category", "component", "label", "taxable") if c in row.coords]
            )
        return cls(rows)


def _group(item: LineItem) -> Group:
    return (item.category, item.taxable)


def _selected(item: LineItem, category, taxable, exclude, component=None) -> bool:
    if component is not None and item.component not in (
        (component,) if isinstance(component, str) else component
    ):
        return False
    if category is not None and item.category not in (
        (category,) if isinstance(category, str) else category
    ):
        return False
    if taxable is not None and item.taxable != taxable:
        return False
    return item.category not in exclude


def assemble_cube(items: Mapping[str, xr.DataArray]) -> xr.DataArray:
    """Stack line items into the cash-flow cube (see :meth:`CashFlows.to_cube`).

    Raises
    ------
    KeyError
        If an item is not declared in :data:`LINE_ITEMS`.
    """
    return CashFlows(items).to_cube()


def item_mask(
    cube: xr.DataArray,
    *,
    category: str | tuple[str, ...] | None = None,
    taxable: bool | None = None,
    exclude: tuple[str, ...] = (),
    component: str | tuple[str, ...] | None = None,
) -> np.ndarray:
    """Boolean mask over the cube's ``item``: rows of the given categories / tax treatment / components."""
    return np.array(
        [
            _selected(ITEMS[str(name)], category, taxable, exclude, component)
            for name in cube["item"].values
        ]
    )


def select_items(cube: xr.DataArray, **criteria) -> xr.DataArray:
    """Rows of the cube by category and/or tax treatment (see :func:`item_mask`)."""
    return cube.isel(item=np.flatnonzero(item_mask(cube, **criteria)))


def item_total(
    flows: xr.DataArray | CashFlows, *, outflows_only: bool = False, **criteria
) -> xr.DataArray:
    """Sum of the selected rows [EUR], over (year, site, ...extra) (:meth:`CashFlows.total`).

    Parameters
    ----------
    flows : CashFlows or xarray.DataArray
        The rows, or the stacked cube (``item`` first).
    outflows_only : bool
        Add only the negative part of each row (gross capex, for example).
    **criteria
        ``category``, ``taxable``, ``exclude``, ``component``; none: every row.
    """
    if not isinstance(flows, CashFlows):
        flows = CashFlows.from_cube(flows)
    return flows.total(outflows_only=outflows_only, **criteria)
