"""Facility assets built with a phase and renewed at the end of their life (shared kernel).

Shell and core, the electrical plant and the cooling plant all follow one pattern, which this
module owns so that construction and cooling do not each write it again: a cost per MW IT (in
first-model-year EUR, escalated with inflation) is spent on the phase's construction schedule;
the asset is placed in service (capitalised) in the phase's online year; it is renewed at the
then-escalated cost every ``life`` years. At the horizon it gives what a liquidation and a going
concern read (:mod:`tecmodel.model.terminal`): its replacement cost (new, at horizon-year prices),
its depreciated replacement cost (that times the straight-line remaining share of its economic
life, aged from its year of service) and the yearly sustaining capex of renewing it (replacement
cost / life).
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from tecmodel.model.components import by_site
from tecmodel.model.timeline import at_horizon, escalation, residual_share, vintages
from tecmodel.numerics.ordered import year_total


@dataclass(frozen=True)
class FacilityAsset:
    """Cash and book flows of one facility asset class [EUR], each over (year, site[, sample])."""

    spend: xr.DataArray
    initial_spend: xr.DataArray
    additions: xr.DataArray
    replacement_cost: xr.DataArray
    depreciated_replacement_cost: xr.DataArray
    sustaining_capex: xr.DataArray


def facility_asset(timeline: xr.Dataset, cost_per_mw, life, inflation) -> FacilityAsset:
    """Spend, capitalised additions and horizon values of a facility asset [EUR].

    Parameters
    ----------
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.
    cost_per_mw : array_like
        Cost per MW IT in first-model-year EUR [EUR/MW], over (site[, sample]).
    life : array_like
        Economic life [yr]; the asset is renewed at its end.
    inflation : array_like
        Yearly escalation of the cost [1/yr].

    Returns
    -------
    FacilityAsset
        ``spend`` (positive outflow: construction schedule plus renewals), ``initial_spend``
        (the construction schedule alone, the first generation), ``additions``
        (placed in service: the phase's whole initial cost in its online year, renewals in their
        year); in the last year only (0 elsewhere): ``replacement_cost`` (the assets in service,
        new, at that year's prices), ``depreciated_replacement_cost`` (times the remaining
        straight-line share of their life) and ``sustaining_capex`` (replacement cost / life)
        [EUR/yr].
    """
    # The cost per MW, (site[, sample]), multiplies every result: each flow is built per unit
    # of it over (year, site, phase) and scaled once per result, after the phases are summed,
    # so that an uncertain cost never widens the per-phase arrays (sample-late evaluation).
    unit = _per_unit_cost(timeline, life, inflation)
    return FacilityAsset(
        spend=unit.spend * cost_per_mw,
        initial_spend=unit.initial_spend * cost_per_mw,
        additions=unit.additions * cost_per_mw,
        replacement_cost=unit.replacement_cost * cost_per_mw,
        depreciated_replacement_cost=unit.depreciated_replacement_cost * cost_per_mw,
        sustaining_capex=unit.sustaining_capex * cost_per_mw,
    )


def _per_unit_cost(timeline: xr.Dataset, life, inflation) -> FacilityAsset:
    """:func:`facility_asset` at a cost of 1 EUR per MW IT [EUR/(EUR/MW)]."""
    escalated = escalation(timeline, inflation)
    base_cost = timeline["phase_it_mw"]
    initial_spend = timeline["construction_share"] * escalated * base_cost
    initial_value = year_total(initial_spend)
    generations = vintages(timeline, life)
    renewal_spend = generations["renewal"] * escalated * base_cost
    first_generation = generations["purchase"] - generations["renewal"]
    remaining = residual_share(generations["age"], life)
    # At the horizon (the mask keeps the last year): the assets in service, new, at that year's
    # escalated cost.
    new_at_horizon = at_horizon(timeline) * escalated * timeline["in_service"] * base_cost
    replacement_cost = by_site(new_at_horizon)
    return FacilityAsset(
        spend=by_site(initial_spend + renewal_spend),
        initial_spend=by_site(initial_spend),
        additions=by_site(first_generation * initial_value + renewal_spend),
        replacement_cost=replacement_cost,
        depreciated_replacement_cost=by_site(new_at_horizon * remaining),
        sustaining_capex=replacement_cost / life,
    )
