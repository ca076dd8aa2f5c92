"""Facility assets built with a phase and renewed at the end of their life (shared kernel).

Shell and core, the electrical plant and the cooling plant all follow one pattern, which this
module owns so that construction and cooling do not each write it again: a cost per MW IT (in
first-model-year EUR, escalated with inflation) is spent on the phase's construction schedule;
the asset is placed in service (capitalised) in the phase's online year; it is renewed at the
then-escalated cost every ``life`` years; at the horizon the generation in service is worth its
straight-line remaining share.
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from tecmodel.model.components import by_site
from tecmodel.model.timeline import at_horizon, escalation, residual_share, vintages
from tecmodel.numerics.ordered import year_total
from tecmodel.numerics.powers import integer_power


@dataclass(frozen=True)
class FacilityAsset:
    """Cash and book flows of one facility asset class [EUR], each over (year, site[, sample])."""

    spend: xr.DataArray
    initial_spend: xr.DataArray
    additions: xr.DataArray
    residual: xr.DataArray


def facility_asset(
    timeline: xr.Dataset, cost_per_mw, life, inflation, terminal_value_share
) -> FacilityAsset:
    """Spend, capitalised additions and residual value of a facility asset [EUR].

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
    terminal_value_share : array_like
        Share of the remaining value realised at the horizon [1].

    Returns
    -------
    FacilityAsset
        ``spend`` (positive outflow: construction schedule plus renewals), ``initial_spend``
        (the construction schedule alone, the first generation), ``additions``
        (placed in service: the phase's whole initial cost in its online year, renewals in their
        year) and ``residual`` (in the last year only).
    """
    # The cost per MW, (site[, sample]), multiplies every result: each flow is built per unit
    # of it over (year, site, phase) and scaled once per result, after the phases are summed,
    # so that an uncertain cost never widens the per-phase arrays (sample-late evaluation).
    unit = _per_unit_cost(timeline, life, inflation, terminal_value_share)
    return FacilityAsset(
        spend=unit.spend * cost_per_mw,
        initial_spend=unit.initial_spend * cost_per_mw,
        additions=unit.additions * cost_per_mw,
        residual=unit.residual * cost_per_mw,
    )


def _per_unit_cost(timeline: xr.Dataset, life, inflation, terminal_value_share) -> FacilityAsset:
    """:func:`facility_asset` at a cost of 1 EUR per MW IT [EUR/(EUR/MW)]."""
    escalated = escalation(timeline, inflation)
    base_cost = timeline["phase_it_mw"]
    initial_spend = timeline["construction_share"] * escalated * base_cost
    initial_value = year_total(initial_spend)
    generations = vintages(timeline, life)
    renewal_spend = generations["renewal"] * escalated * base_cost
    first_generation = generations["purchase"] - generations["renewal"]
    start_year = timeline.attrs["start_year"]
    renewal_value = (
        integer_power(1.0 + inflation, generations["vintage_year"] - start_year) * base_cost
    )
    is_first = generations["vintage_year"] == timeline["online_year"]
    generation_value = xr.where(is_first, initial_value, renewal_value)
    remaining = residual_share(generations["age"], life)
    residual = (
        at_horizon(timeline)
        * by_site(timeline["in_service"] * generation_value * remaining)
        * terminal_value_share
    )
    return FacilityAsset(
        spend=by_site(initial_spend + renewal_spend),
        initial_spend=by_site(initial_spend),
        additions=by_site(first_generation * initial_value + renewal_spend),
        residual=residual,
    )
