"""Construction: shell and core, electrical plant, contingency, land and grid connection.

This module owns the facility capex other than cooling: shell, core and fit-out and the
electrical plant (HV substation, MV, UPS, generators) per MW IT, each with the construction
contingency, spent on each phase's construction schedule and renewed at the end of its economic
life (:mod:`tecmodel.components.facility`); land bought in the first construction year of each
phase and kept at its cost; and the grid connection (a fixed cost plus a cost per MW of
capacity, paid the year before each capacity step becomes available and in service, depreciated
and aged, from the year it becomes available). It also gives what the horizon value reads of
these assets (:mod:`tecmodel.model.terminal`): their depreciated replacement cost, the land's
cost and the sustaining capex of renewing them.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult, by_site, with_units
from tecmodel.model.components.facility import facility_asset
from tecmodel.model.timeline import at_horizon, escalation, residual_share
from tecmodel.numerics.ordered import year_total


def grid_connection_spend(connection_mw, fixed_cost, cost_per_mw, escalated):
    """Grid-connection capex per year [EUR] (positive outflow).

    Parameters
    ----------
    connection_mw : xarray.DataArray
        Capacity paid for in each year, over (year, site) [MW].
    fixed_cost : array_like
        Fixed connection cost, paid with the first capacity payment [EUR].
    cost_per_mw : array_like
        Cost per MW of capacity [EUR/MW].
    escalated : xarray.DataArray
        Escalation factor over years [1].
    """
    paid_before = (connection_mw > 0).cumsum("year") - (connection_mw > 0)
    first_payment = (connection_mw > 0) & (paid_before == 0)
    return (connection_mw * cost_per_mw + first_payment * fixed_cost) * escalated


def grid_connection_in_service(
    service_mw: xr.DataArray, fixed_cost, cost_per_mw, escalated: xr.DataArray
) -> xr.DataArray:
    """The cost of the grid capacity entering service each year, in the year it does [EUR].

    Capacity is paid the year before it is available (:func:`grid_connection_spend`), so its
    cost, escalated to the year it was paid, is placed in service a year later: the year its
    depreciation and its age start from, as for every other asset. Capacity available from the
    first model year is paid and in service that year. The fixed cost goes with the first
    capacity. The amounts add up to :func:`grid_connection_spend`'s.

    Parameters
    ----------
    service_mw : xarray.DataArray
        Capacity entering service per year (year, site) [MW].
    fixed_cost : array_like
        Fixed connection cost [EUR].
    cost_per_mw : array_like
        Cost per MW of capacity [EUR/MW].
    escalated : xarray.DataArray
        Escalation factor over years [1].
    """
    paid_escalation = escalated.shift(year=1).fillna(escalated.isel(year=0))
    served_before = (service_mw > 0).cumsum("year") - (service_mw > 0)
    first_service = (service_mw > 0) & (served_before == 0)
    return (service_mw * cost_per_mw + first_service * fixed_cost) * paid_escalation


def line_items(params: xr.Dataset, timeline: xr.Dataset) -> ComponentResult:
    """Construction capex, additions by asset class and horizon values [EUR].

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``construction.*``, ``grid.*`` and ``finance.inflation``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.

    Returns
    -------
    ComponentResult
        Items ``construction_shell_core``, ``construction_electrical``,
        ``construction_contingency``, ``construction_land``, ``construction_grid_connection``
        (negative); additions ``building``, ``electrical``, ``land``, ``grid_connection``;
        quantities ``grid_capacity_mw`` [MW], ``initial_capex_construction`` [EUR] and, in the
        last year, ``horizon_drc_construction`` (shell, electrical plant and grid connection at
        depreciated replacement cost), ``horizon_land`` (land at its cost) [EUR] and
        ``horizon_sustaining_capex_construction`` [EUR/yr].
    """
    inflation = params["finance.inflation"]
    contingency = params["construction.contingency"]
    escalated = escalation(timeline, inflation)

    shell = facility_asset(
        timeline,
        params["construction.shell_core_per_mw"] * (1 + contingency),
        params["construction.building_life"],
        inflation,
    )
    electrical = facility_asset(
        timeline,
        params["construction.electrical_per_mw"] * (1 + contingency),
        params["construction.electrical_life"],
        inflation,
    )
    without_contingency = 1.0 / (1.0 + contingency)
    contingency_spend = (shell.spend + electrical.spend) * (contingency * without_contingency)

    # Land: bought in the first construction year of each phase, kept at its nominal cost.
    first_spend_year = timeline["construction_share"] * (
        timeline["year"] == timeline["planned_online_year"] - params["construction.build_years"] + 1
    )
    land_cost_per_phase = timeline["phase_it_mw"] * params["construction.land_per_mw"]
    land_spend_per_phase = (first_spend_year > 0) * escalated * land_cost_per_phase
    land_spend = by_site(land_spend_per_phase)
    land_value = year_total(land_spend_per_phase)
    first_in_service = timeline["in_service"] * (timeline["year"] == timeline["online_year"])
    land_additions = by_site(first_in_service * land_value)
    land_at_horizon = at_horizon(timeline) * by_site(timeline["in_service"] * land_value)

    grid_spend = grid_connection_spend(
        timeline["grid_connection_mw"],
        params["grid.connection_fixed_cost"],
        params["grid.connection_cost_per_mw"],
        escalated,
    )
    grid_in_service = grid_connection_in_service(
        timeline["grid_service_mw"],
        params["grid.connection_fixed_cost"],
        params["grid.connection_cost_per_mw"],
        escalated,
    )
    # The grid connection at the horizon: the capacity in service, new at horizon-year prices,
    # aged from the year each step entered service.
    grid_new = grid_connection_in_service(
        timeline["grid_service_mw"],
        params["grid.connection_fixed_cost"],
        params["grid.connection_cost_per_mw"],
        escalation(timeline, 0.0),
    )
    end_year = timeline.attrs["end_year"]
    grid_age = (end_year - timeline["year"] + 1).astype(float)
    grid_remaining = residual_share(grid_age, params["grid.connection_life"])
    horizon_prices = at_horizon(timeline) * escalated
    grid_replacement = horizon_prices * year_total(grid_new)
    grid_drc = horizon_prices * year_total(grid_new * grid_remaining)
    grid_sustaining = grid_replacement / params["grid.connection_life"]

    return ComponentResult(
        items={
            "construction_shell_core": -shell.spend * without_contingency,
            "construction_electrical": -electrical.spend * without_contingency,
            "construction_contingency": -contingency_spend,
            "construction_land": -land_spend,
            "construction_grid_connection": -grid_spend,
        },
        additions={
            "building": shell.additions,
            "electrical": electrical.additions,
            "land": land_additions,
            "grid_connection": grid_in_service,
        },
        quantities={
            "grid_capacity_mw": with_units(
                timeline["grid_capacity_mw"], "MW", "Grid capacity available"
            ),
            "initial_capex_construction": with_units(
                shell.initial_spend + electrical.initial_spend + land_spend + grid_spend,
                "EUR",
                "Capex of the initial build-out: shell, electrical, contingency, land, grid connection",
            ),
            "horizon_drc_construction": with_units(
                shell.depreciated_replacement_cost
                + electrical.depreciated_replacement_cost
                + grid_drc,
                "EUR",
                "Depreciated replacement cost of shell, electrical plant and grid connection",
            ),
            "horizon_land": with_units(land_at_horizon, "EUR", "Land at its cost at the horizon"),
            "horizon_sustaining_capex_construction": with_units(
                shell.sustaining_capex + electrical.sustaining_capex + grid_sustaining,
                "EUR/yr",
                "Sustaining capex of shell, electrical plant and grid connection",
            ),
        },
    )
