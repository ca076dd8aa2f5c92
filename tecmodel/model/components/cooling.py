"""Cooling: the water-free plant, its share of the PUE, maintenance, replacement and water use.

This module owns the cooling of the campus: the plant's capex per MW IT (CDUs, secondary
loops, dry coolers; no chillers), spent with each phase's construction and replaced every
``cooling.replacement_years``; its maintenance; its contribution to the power usage
effectiveness (PUE = 1 + electrical losses + cooling overhead, annual average for energy and
peak for grid sizing); and the water it consumes (zero for a water-free design).
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult, with_units
from tecmodel.model.components.facility import facility_asset
from tecmodel.model.timeline import escalation


def pue(electrical_losses, cooling_overhead):
    """Power usage effectiveness [1]: facility power / IT power.

    Parameters
    ----------
    electrical_losses : array_like
        PUE contribution of transformers, UPS and lighting [1].
    cooling_overhead : array_like
        PUE contribution of cooling [1] (annual average or peak).
    """
    return 1.0 + electrical_losses + cooling_overhead


def annual_pue(params: xr.Dataset):
    """Annual-average PUE of each site [1] (drives energy)."""
    return pue(params["power.electrical_losses"], params["cooling.overhead_annual"])


def peak_pue(params: xr.Dataset):
    """Peak (hot-summer) PUE of each site [1] (sizes the grid subscription)."""
    return pue(params["power.electrical_losses"], params["cooling.overhead_peak"])


def water_use_m3(it_energy_mwh, water_use_l_per_kwh):
    """Water consumed by cooling [m3/yr].

    Parameters
    ----------
    it_energy_mwh : array_like
        IT energy [MWh/yr].
    water_use_l_per_kwh : array_like
        Water-use effectiveness [L/kWh]; L/kWh x 1,000 kWh/MWh / 1,000 L/m3 = m3/MWh.
    """
    return it_energy_mwh * water_use_l_per_kwh


def line_items(
    params: xr.Dataset, timeline: xr.Dataset, it_energy_mwh: xr.DataArray
) -> ComponentResult:
    """Cooling capex (initial and replacements), maintenance, horizon values and water [EUR].

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``cooling.*``, ``power.electrical_losses`` and ``finance.inflation``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.
    it_energy_mwh : xarray.DataArray
        IT energy per year [MWh/yr] (from :mod:`tecmodel.components.power`).

    Returns
    -------
    ComponentResult
        Items ``cooling_plant`` and ``cooling_maintenance`` (negative); additions ``cooling``;
        quantities ``water_m3`` [m3/yr], ``initial_capex_cooling`` [EUR], ``pue_annual`` and
        ``pue_peak`` [1], and in the last year ``horizon_drc_cooling`` [EUR] and
        ``horizon_sustaining_capex_cooling`` [EUR/yr] (:mod:`tecmodel.model.terminal`).
    """
    inflation = params["finance.inflation"]
    plant = facility_asset(
        timeline,
        params["cooling.capex_per_mw"],
        params["cooling.replacement_years"],
        inflation,
    )
    maintenance = (
        timeline["operating_it_mw"]
        * params["cooling.capex_per_mw"]
        * params["cooling.maintenance_rate"]
        * escalation(timeline, inflation)
    )
    return ComponentResult(
        items={
            "cooling_plant": -plant.spend,
            "cooling_maintenance": -maintenance,
        },
        additions={"cooling": plant.additions},
        quantities={
            "water_m3": with_units(
                water_use_m3(it_energy_mwh, params["cooling.water_use"]),
                "m3/yr",
                "Cooling water consumption",
            ),
            "initial_capex_cooling": with_units(
                plant.initial_spend, "EUR", "Capex of the initial cooling plant"
            ),
            "pue_annual": with_units(annual_pue(params), "1", "Annual-average PUE"),
            "pue_peak": with_units(peak_pue(params), "1", "Peak PUE"),
            "horizon_drc_cooling": with_units(
                plant.depreciated_replacement_cost,
                "EUR",
                "Depreciated replacement cost of the cooling plant at the horizon",
            ),
            "horizon_sustaining_capex_cooling": with_units(
                plant.sustaining_capex, "EUR/yr", "Sustaining capex of the cooling plant"
            ),
        },
    )
