"""Power: draw, energy and the cost of electricity under a long-term contract and the market.

This module owns electricity: the average IT draw of the installed IT MW (an idle floor plus
the busy share at the billed utilisation), the facility draw through the annual PUE, the energy
per year, and its cost: the contracted share at the long-term (nuclear, CAPN) contract price
indexed yearly, the rest at the market price with its own escalation, plus the TURPE grid
tariff (per MW subscribed at peak PUE, and per MWh), the excise (accise) and the capacity
mechanism, these three escalated with inflation.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult, with_units
from tecmodel.model.components.cooling import annual_pue, peak_pue
from tecmodel.model.timeline import HOURS_PER_YEAR, escalation


def it_power_draw(it_mw, idle_share, active_load_share, utilisation):
    """Average IT power draw [MW].

    ``it_mw * (idle_share + (active_load_share - idle_share) * utilisation)``.

    Parameters
    ----------
    it_mw : array_like
        IT nameplate in operation [MW].
    idle_share : array_like
        Draw of an idle slot as a share of nameplate [1].
    active_load_share : array_like
        Average draw of a busy slot as a share of nameplate [1].
    utilisation : array_like
        Share of the time slots are busy [1].
    """
    return it_mw * (idle_share + (active_load_share - idle_share) * utilisation)


def energy_mwh(draw_mw, hours=HOURS_PER_YEAR):
    """Energy of an average draw over a year [MWh/yr] (8,760 h)."""
    return draw_mw * hours


def line_items(params: xr.Dataset, timeline: xr.Dataset) -> ComponentResult:
    """Electricity cost by component [EUR] and the energy quantities.

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``power.*``, ``revenue.utilisation``, ``cooling.overhead_*`` and
        ``finance.inflation``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.

    Returns
    -------
    ComponentResult
        Items ``power_contract_energy``, ``power_market_energy``,
        ``power_grid_capacity_tariff``, ``power_grid_energy_tariff``, ``power_excise`` and
        ``power_capacity_mechanism`` (all negative); quantities ``it_energy_mwh`` and
        ``facility_energy_mwh`` [MWh/yr], ``subscribed_mw`` [MW] (operating IT MW x peak PUE).
    """
    operating_it_mw = timeline["operating_it_mw"]
    # Average draw per MW of IT nameplate, (site[, sample]): applied to the (year, site) MW in
    # one pass per quantity (sample-late evaluation).
    load_share = it_power_draw(
        1.0,
        params["power.idle_share"],
        params["power.active_load_share"],
        params["revenue.utilisation"],
    )
    it_energy = operating_it_mw * energy_mwh(load_share)
    facility_energy = operating_it_mw * (energy_mwh(load_share) * annual_pue(params))
    subscribed_mw = operating_it_mw * peak_pue(params)
    inflation = escalation(timeline, params["finance.inflation"])
    contract_share = params["power.contract_share"]
    contract_price = params["power.contract_price"] * escalation(
        timeline, params["power.contract_indexation"]
    )
    market_price = params["power.market_price"] * escalation(
        timeline, params["power.market_escalation"]
    )
    # Prices first, then one pass over the (possibly sampled) energy per item.
    return ComponentResult(
        items={
            "power_contract_energy": facility_energy * -(contract_share * contract_price),
            "power_market_energy": facility_energy * -((1.0 - contract_share) * market_price),
            "power_grid_capacity_tariff": subscribed_mw
            * -(params["power.grid_tariff_capacity"] * inflation),
            "power_grid_energy_tariff": facility_energy
            * -(params["power.grid_tariff_energy"] * inflation),
            "power_excise": facility_energy * -(params["power.excise"] * inflation),
            "power_capacity_mechanism": facility_energy
            * -(params["power.capacity_cost"] * inflation),
        },
        quantities={
            "it_energy_mwh": with_units(it_energy, "MWh/yr", "IT energy"),
            "facility_energy_mwh": with_units(
                facility_energy, "MWh/yr", "Facility energy at the meter"
            ),
            "subscribed_mw": with_units(
                subscribed_mw, "MW", "Subscribed grid power (operating IT x peak PUE)"
            ),
        },
    )
