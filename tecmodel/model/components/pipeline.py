"""The components run in dependency order: one pass from parameters and timeline to line items.

This module owns the order in which the component modules are called and the collection of
their outputs (line items, capital additions, quantities); :func:`tecmodel.model.evaluation.evaluate`
and the budget's 1 MW pricing (:mod:`tecmodel.model.budget`) both use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from tecmodel.model.components import (
    ComponentResult,
    chips,
    construction,
    cooling,
    operations,
    power,
    revenue,
)
from tecmodel.model.terminal import terminal_value
from tecmodel.model.timeline import VariableView
from tecmodel.numerics.labelled import dataset, labelled


@dataclass(frozen=True)
class ComponentOutputs:
    """Everything the components produced for one evaluation."""

    items: dict[str, xr.DataArray]
    additions: dict[str, xr.DataArray]
    quantities: xr.Dataset


def _with_coordinates(value, coordinates) -> xr.DataArray:
    """A component output (Variable, DataArray or scalar) as a DataArray with its coordinates."""
    if isinstance(value, xr.DataArray):
        return value
    if not isinstance(value, xr.Variable):
        value = xr.Variable((), value)
    return labelled(value, None, coordinates)


def run_components(params: xr.Dataset, timeline: xr.Dataset) -> ComponentOutputs:
    """Evaluate every component in dependency order and collect their outputs.

    Parameters
    ----------
    params : xarray.Dataset
        From :func:`tecmodel.parameters.parameter_dataset`.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.

    Returns
    -------
    ComponentOutputs
        Line items [EUR], the horizon value's rows included (:mod:`tecmodel.model.terminal`, by
        the method in ``params.attrs["terminal_method"]``), additions by asset class [EUR] and
        quantities (with units); the quantity ``initial_capex`` [EUR] is the sum of the
        components' initial-capex quantities.
    """
    coordinates = {**timeline.coords, **params.coords}
    params_view, timeline_view = VariableView(params), VariableView(timeline)
    chip_result = chips.line_items(params_view, timeline_view)
    construction_result = construction.line_items(params_view, timeline_view)
    running = chip_result.quantities["accelerators_running"]
    power_result = power.line_items(params_view, timeline_view, running)
    cooling_result = cooling.line_items(
        params_view, timeline_view, power_result.quantities["it_energy_mwh"]
    )
    revenue_result = revenue.line_items(
        params_view,
        timeline_view,
        chip_result.quantities["accelerators_per_phase"],
        chip_result.quantities["chip_vintage_year"],
        chip_result.quantities["generation_number"],
        running,
    )
    operations_result = operations.line_items(
        params_view,
        timeline_view,
        power_result.quantities["subscribed_mw"],
        chip_result.quantities["it_value_operating"],
    )
    results: list[ComponentResult] = [
        chip_result,
        construction_result,
        power_result,
        cooling_result,
        revenue_result,
        operations_result,
    ]
    items: dict[str, xr.DataArray] = {}
    additions: dict[str, xr.DataArray] = {}
    quantities: dict[str, xr.DataArray] = {}
    for result in results:
        for target, source in (
            (items, result.items),
            (additions, result.additions),
            (quantities, result.quantities),
        ):
            overlap = set(target) & set(source)
            if overlap:
                raise ValueError(f"two components produce {sorted(overlap)}")
            target.update(
                {name: _with_coordinates(value, coordinates) for name, value in source.items()}
            )
    # The horizon value by the case's method, after every component (it reads their rows).
    items.update(
        terminal_value(
            params.attrs.get("terminal_method", "liquidation"),
            params,
            quantities,
            items,
            timeline,
            params.attrs.get("terminal_basis") or None,
        )
    )
    initial = [name for name in quantities if name.startswith("initial_capex_")]
    total = sum(quantities[name] for name in initial)
    quantities["initial_capex"] = total.transpose("year", "site", ...)
    quantities["initial_capex"].attrs = {
        "units": "EUR",
        "long_name": "Capex of the initial build-out",
    }
    return ComponentOutputs(items, additions, dataset(quantities))
