"""Power: draw, energy and the cost of electricity under a long-term contract and the market.

This module owns electricity: the average IT draw of the installed IT MW (an idle floor plus
the busy share at the billed utilisation, which a phase reaches over its first two years), the
facility draw through the annual PUE, the energy per year, and its cost: during the long-term
(nuclear, CAPN) contract's term (``power.contract_start_year``, ``power.contract_term_years``)
the contracted share at the contract price indexed yearly, the rest and all energy outside the
term at the market price of the year (``power.market_price``, a single value escalated yearly
or the path of a process), plus the TURPE grid tariff (per MW subscribed at peak PUE, and per
MWh), the excise (accise) and the capacity mechanism, these three escalated with inflation.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult, by_site, with_units
from tecmodel.model.components.cooling import annual_pue, peak_pue
from tecmodel.model.components.markets import in_power_contract, ramp
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


def line_items(
    params: xr.Dataset, timeline: xr.Dataset, accelerators_running: xr.DataArray | float = 1.0
) -> ComponentResult:
    """Electricity cost by component [EUR] and the energy quantities.

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``power.*``, ``revenue.utilisation``, ``revenue.ramp_*``, ``cooling.overhead_*``
        and ``finance.inflation``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.
    accelerators_running : xarray.DataArray or float
        1 while a phase's accelerators run, 0 after they are stopped and sold (year, site,
        phase[, policy]) [1]: a stopped phase draws no energy, while its subscribed power (the
        grid capacity tariff, and the staff, local taxes and network costs that scale with it)
        is a fixed cost that continues.

    Returns
    -------
    ComponentResult
        Items ``power_contract_energy``, ``power_market_energy``,
        ``power_grid_capacity_tariff``, ``power_grid_energy_tariff``, ``power_excise`` and
        ``power_capacity_mechanism`` (all negative); quantities ``it_energy_mwh`` and
        ``facility_energy_mwh`` [MWh/yr], ``subscribed_mw`` [MW] (operating IT MW x peak PUE),
        ``ramped_it_mw`` [MW] (operating IT MW weighted by the utilisation ramp: the MW whose
        busy draw scales with the utilisation), ``power_contract_in_term`` [1] (1 in the
        contract's years) and
        ``power_cost_per_utilisation`` [EUR/yr] (the change of the energy-driven costs per unit
        of utilisation, negative).
    """
    operating_fraction = timeline["operating_fraction"]
    # IT MW of stopped accelerators (0 unless a refresh policy stops a phase): no energy drawn.
    stopped_it_mw = by_site(
        operating_fraction * timeline["phase_it_mw"] * (1.0 - accelerators_running)
    )
    subscribed_it_mw = timeline["operating_it_mw"]
    operating_it_mw = subscribed_it_mw - stopped_it_mw
    # IT MW in operation weighted by each phase's utilisation ramp (year, site[, sample]).
    ramped_it_mw = by_site(
        operating_fraction * timeline["phase_it_mw"] * ramp(params, timeline) * accelerators_running
    )
    idle, busy = params["power.idle_share"], params["power.active_load_share"]
    utilisation = params["revenue.utilisation"]
    # Draw = idle floor on all operating MW + the busy increment at the ramped utilisation:
    # it_power_draw(MW, idle, busy, utilisation) with the ramp applied per phase.
    busy_mwh = ramped_it_mw * energy_mwh(busy - idle)
    it_energy = operating_it_mw * energy_mwh(idle) + busy_mwh * utilisation
    pue = annual_pue(params)
    facility_energy = it_energy * pue
    subscribed_mw = subscribed_it_mw * peak_pue(params)
    inflation = escalation(timeline, params["finance.inflation"])
    in_term = in_power_contract(params, timeline)
    contract_share = params["power.contract_share"] * in_term
    contract_price = params["power.contract_price"] * escalation(
        timeline, params["power.contract_indexation"]
    )
    market_price = params["power.market_price"] * escalation(
        timeline, params["power.market_escalation"]
    )
    per_mwh = (
        contract_share * contract_price
        + (1.0 - contract_share) * market_price
        + (
            params["power.grid_tariff_energy"]
            + params["power.excise"]
            + params["power.capacity_cost"]
        )
        * inflation
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
            "ramped_it_mw": with_units(
                ramped_it_mw,
                "MW",
                "Operating IT capacity weighted by each phase's utilisation ramp",
            ),
            "power_contract_in_term": with_units(
                in_term, "1", "1 in the years of the nuclear contract"
            ),
            "power_cost_per_utilisation": with_units(
                busy_mwh * pue * -per_mwh,
                "EUR/yr",
                "Change of the energy-driven costs per unit of utilisation",
            ),
        },
    )
