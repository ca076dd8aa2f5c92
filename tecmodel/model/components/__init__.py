"""Component modules: the capex, opex and revenue of a campus, one module per domain.

Each module is a set of small pure functions of the parameters and the timeline; each
module's ``line_items`` function returns a :class:`ComponentResult`: signed cash line items in
nominal EUR over (year, site[, sample]) (outflows negative), the capital additions it places in
service by asset class (for tax depreciation), and the physical quantities it computes. No
component loops over samples, does I/O or keeps state; broadcasting over ``sample`` (or
``scenario``) is all an uncertain run needs. :func:`tecmodel.model.run_components` hands them
the parameters and the timeline as ``xr.Variable`` objects (named dimensions, no coordinates:
see :class:`tecmodel.timeline.VariableView`); the same functions accept DataArrays.

Order of evaluation (each takes what it needs from the ones before, explicitly):
chips -> cooling -> construction -> power -> revenue -> operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import xarray as xr

from tecmodel.numerics.ordered import dim_total


@dataclass(frozen=True)
class ComponentResult:
    """What a component contributes to the cash-flow cube.

    Attributes
    ----------
    items : dict of str to xarray.DataArray
        Cash line items [EUR], signed (inflows positive), dims (year, site[, sample]); names
        must be declared in :data:`tecmodel.cube.LINE_ITEMS`.
    additions : dict of str to xarray.DataArray
        Capital placed in service [EUR] by asset class (see :data:`tecmodel.model.tax.ASSET_CLASSES`),
        dims (year, site[, sample]).
    quantities : dict of str to xarray.DataArray
        Physical and other non-cash quantities, each with a ``units`` attribute.
    """

    items: dict[str, xr.DataArray]
    additions: dict[str, xr.DataArray] = field(default_factory=dict)
    quantities: dict[str, xr.DataArray] = field(default_factory=dict)


def with_units(array: xr.DataArray, units: str, long_name: str) -> xr.DataArray:
    """Return `array` with CF-style ``units`` and ``long_name`` attributes set afresh."""
    array = array.copy(deep=False)
    array.attrs = {"units": units, "long_name": long_name}
    return array


def by_site(per_phase):
    """Sum a (year, site, phase[, ...]) array over phases in phase order, keeping (year, site, ...)."""
    return dim_total(per_phase, "phase")
