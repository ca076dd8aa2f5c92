"""What the stated budget buys against the stated plan, and whether the seed figures agree.

This module owns the "what does EUR 10B actually buy" question. For each site it prices one MW
IT fully equipped (first accelerator generation, shell and core, electrical plant with
contingency, cooling, land) by running the very same component functions on a one-phase, 1 MW
copy of the site, so the answer can never drift from the model. From that it reports:

- the capex of the full stated plan (the plan's grid MW turned into IT MW at the site's peak
  PUE, plus its grid connection) and the share of it the budget covers, and the funding gap;
- the IT MW and accelerator count the budget funds fully equipped;
- the consistency of the stated plan (MW at the meter against the stated accelerator count at
  the case's kW per accelerator and PUE), with a note where they disagree and which reading
  would reconcile them.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from tecmodel.inputs.case import CapacityStep, Phase
from tecmodel.model.components.cooling import peak_pue
from tecmodel.model.components.pipeline import run_components
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.timeline import build_timeline
from tecmodel.numerics.labelled import set_attributes
from tecmodel.numerics.ordered import year_total
from tecmodel.numerics.powers import integer_power

if TYPE_CHECKING:
    from tecmodel.model.evaluation import Result

#: Relative difference above which stated and implied accelerator counts are called inconsistent.
CONSISTENCY_TOLERANCE = 0.05


def capex_per_it_mw(result: Result) -> xr.DataArray:
    """Initial capex of one MW IT fully equipped, per site [EUR/MW].

    Priced in each site's reference year (its planned first online year) with the model's own
    component functions on a one-phase, 1 MW copy of the site; the grid connection is excluded
    (it scales with grid MW, see :func:`grid_connection_cost`).
    """
    case = result.case
    unit_sites = []
    for site in case.sites:
        first_year = min(phase.online_year for phase in site.phases)
        unit_sites.append(
            dataclasses.replace(
                site,
                phases=(Phase("1 MW IT", first_year, 1.0, "budget pricing"),),
                grid_capacity=(CapacityStep(case.start_year - 1, 0.0, "budget pricing"),),
            )
        )
    unit_case = dataclasses.replace(case, sites=tuple(unit_sites))
    # The stated plan, on time: neither a delay nor a later start moves the pricing year.
    params = result.parameters.assign(
        {
            name: result.parameters[name] * 0
            for name in ("timeline.delay_years", "timeline.start_shift_years")
        }
    )
    outputs = run_components(params, build_timeline(unit_case, params))
    return year_total(outputs.quantities["initial_capex"])


def grid_connection_cost(params: xr.Dataset, facility_mw, year_offset) -> xr.DataArray:
    """Grid connection of `facility_mw` at the meter, escalated `year_offset` years [EUR]."""
    escalated = integer_power(1.0 + params["finance.inflation"], year_offset)
    return (
        params["grid.connection_fixed_cost"] + params["grid.connection_cost_per_mw"] * facility_mw
    ) * escalated


def budget_analysis(result: Result) -> xr.Dataset:
    """What each site's budget buys and how it compares with the stated plan.

    Parameters
    ----------
    result : Result
        A deterministic or sampled evaluation.

    Returns
    -------
    xarray.Dataset
        Over ``site`` (sites and ``"portfolio"``): ``budget``, ``initial_capex`` (as modelled),
        ``plan_capex``, ``funding_gap`` [EUR]; ``budget_coverage`` and
        ``initial_capex_to_budget`` [1]; ``capex_per_it_mw`` [EUR/MW]; ``plan_it_mw``,
        ``funded_it_mw``, ``modelled_it_mw`` [MW]; ``plan_accelerators`` (stated),
        ``plan_accelerators_fit`` (what the plan's grid MW holds at peak PUE),
        ``plan_accelerators_it_reading`` (if the plan MW were IT load), ``funded_accelerators``,
        ``modelled_accelerators`` [accelerator]. The attribute ``notes`` holds one sentence per
        finding (plan consistency, budget against modelled capex).
    """
    params = result.parameters
    case = result.case
    per_mw = capex_per_it_mw(result)
    pue = peak_pue(params)
    kw = params["chips.it_kw_per_accelerator"]
    reference = xr.DataArray(
        [min(p.online_year for p in site.phases) for site in case.sites],
        dims="site",
        coords={"site": list(case.site_names)},
    )
    offset = reference - 1 - case.start_year
    plan_facility_mw = params["plan.facility_mw"]
    plan_it_mw = plan_facility_mw / pue
    plan_capex = plan_it_mw * per_mw + grid_connection_cost(params, plan_facility_mw, offset)
    budget = params["plan.budget"]
    # budget = fixed grid + per-MW grid x IT x PUE + capex per MW x IT  ->  funded IT MW
    escalated = integer_power(1.0 + params["finance.inflation"], offset)
    fixed_grid = params["grid.connection_fixed_cost"] * escalated
    per_mw_all_in = per_mw + params["grid.connection_cost_per_mw"] * escalated * pue
    funded_it_mw = ((budget - fixed_grid) / per_mw_all_in).clip(min=0.0)
    metrics = result.metrics.sel(site=list(case.site_names))

    sites = xr.Dataset(
        {
            "budget": budget,
            "initial_capex": metrics["initial_capex"],
            "plan_capex": plan_capex,
            "funding_gap": plan_capex - budget,
            "capex_per_it_mw": per_mw,
            "plan_it_mw": plan_it_mw,
            "funded_it_mw": funded_it_mw,
            "modelled_it_mw": metrics["it_mw"],
            "plan_accelerators": params["plan.accelerators"],
            "plan_accelerators_fit": plan_it_mw * 1000.0 / kw,
            "plan_accelerators_it_reading": plan_facility_mw * 1000.0 / kw,
            "funded_accelerators": funded_it_mw * 1000.0 / kw,
            "modelled_accelerators": metrics["accelerators"],
        }
    )
    extensive = [name for name in sites.data_vars if name != "capex_per_it_mw"]
    total = sites[extensive].sum("site").expand_dims(site=[PORTFOLIO])
    # Portfolio: the sites' per-MW capex weighted by their modelled IT MW.
    weights = sites["modelled_it_mw"]
    total["capex_per_it_mw"] = (
        (sites["capex_per_it_mw"] * weights).sum("site") / weights.sum("site")
    ).expand_dims(site=[PORTFOLIO])
    analysis = xr.concat(
        [sites, total], dim="site", data_vars="all", coords="minimal", compat="override"
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        analysis["budget_coverage"] = xr.where(
            analysis["plan_capex"] > 0, analysis["budget"] / analysis["plan_capex"], np.nan
        )
        analysis["initial_capex_to_budget"] = xr.where(
            analysis["budget"] > 0, analysis["initial_capex"] / analysis["budget"], np.nan
        )
    set_attributes(analysis, BUDGET_ATTRS)
    if not [dim for dim in analysis.dims if dim != "site"]:
        analysis.attrs["notes"] = budget_notes(analysis, case, pue)
    return analysis


BUDGET_ATTRS = {
    "budget": ("EUR", "Stated initial investment budget"),
    "initial_capex": ("EUR", "Initial capex of the modelled build-out"),
    "plan_capex": ("EUR", "Capex of the full stated plan, fully equipped"),
    "funding_gap": ("EUR", "Plan capex less budget"),
    "capex_per_it_mw": (
        "EUR/MW",
        "Initial capex of one MW IT fully equipped (grid connection excluded)",
    ),
    "plan_it_mw": ("MW", "IT MW the plan's grid MW holds at peak PUE"),
    "funded_it_mw": ("MW", "IT MW the budget funds fully equipped, grid connection included"),
    "modelled_it_mw": ("MW", "IT MW of the modelled build-out"),
    "plan_accelerators": ("accelerator", "Stated accelerator count (0 = not stated)"),
    "plan_accelerators_fit": ("accelerator", "Accelerators the plan's grid MW holds at peak PUE"),
    "plan_accelerators_it_reading": ("accelerator", "Accelerators if the plan's MW were IT load"),
    "funded_accelerators": ("accelerator", "Accelerators the budget funds fully equipped"),
    "modelled_accelerators": ("accelerator", "Accelerators of the modelled build-out"),
    "budget_coverage": ("1", "Budget / plan capex"),
    "initial_capex_to_budget": ("1", "Modelled initial capex / budget"),
}


def budget_notes(analysis: xr.Dataset, case, pue: xr.DataArray) -> list[str]:
    """One sentence per finding, computed from the analysis (never pasted prose)."""
    notes = []
    for site in case.sites:
        row = analysis.sel(site=site.name)
        value = {name: float(row[name]) for name in analysis.data_vars}
        site_pue = float(pue.sel(site=site.name))
        notes.append(
            f"{site.name}: EUR {value['budget'] / 1e9:,.1f} bn buys {value['funded_it_mw']:,.0f} MW IT "
            f"({value['funded_accelerators']:,.0f} accelerators) fully equipped at EUR "
            f"{value['capex_per_it_mw'] / 1e6:,.1f} M per MW IT, {value['budget_coverage']:.0%} of the "
            f"EUR {value['plan_capex'] / 1e9:,.1f} bn the full {value['plan_it_mw'] * site_pue:,.0f} MW plan "
            f"needs (funding gap EUR {value['funding_gap'] / 1e9:,.1f} bn)."
        )
        stated = value["plan_accelerators"]
        fit = value["plan_accelerators_fit"]
        if stated > 0 and fit > 0:  # fit = 0: no plan MW to compare with
            difference = stated / fit - 1.0
            if abs(difference) > CONSISTENCY_TOLERANCE:
                it_reading = value["plan_accelerators_it_reading"]
                notes.append(
                    f"{site.name}: the plan's {stated:,.0f} accelerators do not fit "
                    f"{value['plan_it_mw'] * site_pue:,.0f} MW at the meter: at peak PUE {site_pue:.2f} it holds "
                    f"{value['plan_it_mw']:,.0f} MW IT = {fit:,.0f} accelerators at the case's kW per "
                    f"accelerator ({difference:+.0%} stated vs fit). Read as IT load, the same MW would hold "
                    f"{it_reading:,.0f} ({stated / it_reading - 1.0:+.0%})."
                )
            else:
                notes.append(
                    f"{site.name}: the plan's {stated:,.0f} accelerators fit its grid MW "
                    f"({stated / fit - 1.0:+.0%} against {fit:,.0f})."
                )
        ratio = value["initial_capex_to_budget"]
        if abs(ratio - 1.0) > CONSISTENCY_TOLERANCE:
            notes.append(
                f"{site.name}: the modelled build-out costs EUR {value['initial_capex'] / 1e9:,.2f} bn, "
                f"{ratio:.0%} of the stated budget."
            )
    return notes
