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
from tecmodel.model.cube import item_total
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.timeline import build_timeline
from tecmodel.numerics.labelled import set_attributes
from tecmodel.numerics.ordered import year_total
from tecmodel.numerics.powers import integer_power

if TYPE_CHECKING:
    from tecmodel.model.evaluation import Result

#: Relative difference above which stated and implied accelerator counts are called inconsistent.
CONSISTENCY_TOLERANCE = 0.05
#: Relative difference above which a stated budget and the modelled build-out's uses disagree.
BUDGET_TOLERANCE = 0.01


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
        Over ``site`` (sites and ``"portfolio"``, which :class:`~tecmodel.model.evaluation.Result`
        splits into ``budget`` and ``portfolio_budget``): ``budget``, ``initial_capex`` and ``uses``
        (as modelled), ``plan_capex``, ``plan_uses``, ``funding_gap`` [EUR];
        ``budget_coverage``, ``initial_capex_to_budget`` and ``uses_to_budget`` [1];
        ``capex_per_it_mw`` and ``uses_per_it_mw`` [EUR/MW]; ``plan_it_mw``,
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
    metrics = result.metrics.sel(site=list(case.site_names))
    # What the budget buys is priced on the uses of funds, not the capex alone: the modelled
    # build-out's uses per MW IT, for the budget's MW and for the plan's alike.
    table = sources_and_uses(result)["amount"].sel(site=list(case.site_names))
    uses = table.sel(line=TOTAL_USES, drop=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        uses_per_it_mw = xr.where(metrics["it_mw"] > 0, uses / metrics["it_mw"], np.nan)
    plan_uses = plan_it_mw * uses_per_it_mw
    funded_it_mw = (budget / uses_per_it_mw).clip(min=0.0)

    sites = xr.Dataset(
        {
            "budget": budget,
            "initial_capex": metrics["initial_capex"],
            "uses": uses,
            "plan_capex": plan_capex,
            "plan_uses": plan_uses,
            "funding_gap": plan_uses - budget,
            "capex_per_it_mw": per_mw,
            "uses_per_it_mw": uses_per_it_mw,
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
    intensive = ("capex_per_it_mw", "uses_per_it_mw")
    extensive = [name for name in sites.data_vars if name not in intensive]
    total = sites[extensive].sum("site").expand_dims(site=[PORTFOLIO])
    # Portfolio: the sites' per-MW figures weighted by their modelled IT MW.
    weights = sites["modelled_it_mw"]
    for name in intensive:
        total[name] = ((sites[name] * weights).sum("site") / weights.sum("site")).expand_dims(
            site=[PORTFOLIO]
        )
    analysis = xr.concat(
        [sites, total], dim="site", data_vars="all", coords="minimal", compat="override"
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        analysis["budget_coverage"] = xr.where(
            analysis["plan_uses"] > 0, analysis["budget"] / analysis["plan_uses"], np.nan
        )
        analysis["initial_capex_to_budget"] = xr.where(
            analysis["budget"] > 0, analysis["initial_capex"] / analysis["budget"], np.nan
        )
        analysis["uses_to_budget"] = xr.where(
            analysis["budget"] > 0, analysis["uses"] / analysis["budget"], np.nan
        )
    set_attributes(analysis, BUDGET_ATTRS)
    if not [dim for dim in analysis.dims if dim != "site"]:
        analysis.attrs["notes"] = budget_notes(analysis, case, pue)
    return analysis


BUDGET_ATTRS = {
    "budget": ("EUR", "Stated initial investment budget"),
    "initial_capex": ("EUR", "Initial capex of the modelled build-out"),
    "uses": (
        "EUR",
        "Uses of funds of the modelled build-out: capex, interest during construction, fees, "
        "debt service reserve, working capital, development and owner's costs",
    ),
    "plan_capex": ("EUR", "Capex of the full stated plan, fully equipped"),
    "plan_uses": ("EUR", "Uses of funds of the full stated plan: plan IT MW x uses per MW IT"),
    "funding_gap": ("EUR", "Plan uses less budget"),
    "capex_per_it_mw": (
        "EUR/MW",
        "Initial capex of one MW IT fully equipped (grid connection excluded)",
    ),
    "uses_per_it_mw": (
        "EUR/MW",
        "Uses of funds per MW IT of the modelled build-out, all in (the price of one MW IT)",
    ),
    "plan_it_mw": ("MW", "IT MW the plan's grid MW holds at peak PUE"),
    "funded_it_mw": ("MW", "IT MW the budget funds all in: budget / uses per MW IT"),
    "modelled_it_mw": ("MW", "IT MW of the modelled build-out"),
    "plan_accelerators": ("accelerator", "Stated accelerator count (0 = not stated)"),
    "plan_accelerators_fit": ("accelerator", "Accelerators the plan's grid MW holds at peak PUE"),
    "plan_accelerators_it_reading": ("accelerator", "Accelerators if the plan's MW were IT load"),
    "funded_accelerators": ("accelerator", "Accelerators the budget funds fully equipped"),
    "modelled_accelerators": ("accelerator", "Accelerators of the modelled build-out"),
    "budget_coverage": ("1", "Budget / plan uses"),
    "initial_capex_to_budget": ("1", "Modelled initial capex / budget"),
    "uses_to_budget": ("1", "Modelled uses of funds / budget"),
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
            f"({value['funded_accelerators']:,.0f} accelerators) at EUR "
            f"{value['uses_per_it_mw'] / 1e6:,.1f} M per MW IT all in (the uses of funds: capex, "
            "interest during construction, fees, reserve, working capital, development costs), "
            f"{value['budget_coverage']:.0%} of the EUR {value['plan_uses'] / 1e9:,.1f} bn the full "
            f"{value['plan_it_mw'] * site_pue:,.0f} MW plan needs (funding gap EUR "
            f"{value['funding_gap'] / 1e9:,.1f} bn)."
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
        ratio = value["uses_to_budget"]
        if abs(ratio - 1.0) > BUDGET_TOLERANCE:
            notes.append(
                f"{site.name}: the stated budget and the modelled build-out disagree: the build-out "
                f"needs EUR {value['uses'] / 1e9:,.2f} bn of uses (capex EUR "
                f"{value['initial_capex'] / 1e9:,.2f} bn, {value['initial_capex_to_budget'] - 1.0:+.1%}), "
                f"{ratio - 1.0:+.1%} against the stated EUR {value['budget'] / 1e9:,.2f} bn."
            )
    return notes


#: Lines of the sources and uses, in order: (line, side, definition).
USES_LINES: tuple[tuple[str, str], ...] = (
    ("capex", "Initial capex of the modelled build-out (facility, grid, first accelerators)"),
    (
        "interest_during_construction",
        "Interest during the construction period, capitalised or paid",
    ),
    ("fees", "Upfront and commitment fees paid in the construction period"),
    ("debt_service_reserve", "Debt service reserve account funded at first operations"),
    (
        "working_capital",
        "Receivables less payables of the first full year of operations "
        "(plan.receivable_period x revenue - plan.payable_period x operating costs)",
    ),
    (
        "development_and_owner_costs",
        "Development and owner's costs: plan.development_cost_share x initial capex",
    ),
)
TOTAL_USES, EQUITY, TOTAL_SOURCES = "total_uses", "equity", "total_sources"
#: Prefix of a tranche's line (``debt.<tranche>``).
DEBT_PREFIX = "debt."


def construction_end_year(result: Result) -> xr.DataArray:
    """Last year of each site's construction period: its last year with initial capex [year]."""
    initial = result.quantities["initial_capex"]
    spending = (initial > 0).any([dim for dim in initial.dims if dim not in ("year", "site")])
    years = initial["year"].where(spending)
    return years.max("year").fillna(initial["year"].values[0])


def _cents(values: xr.DataArray) -> xr.DataArray:
    """EUR rounded to whole cents, held as a number of cents (exact in float64 below 9e13 EUR)."""
    return np.round(values * 100.0)


def sources_and_uses(result: Result) -> xr.Dataset:
    """Each site's sources and uses of funds over its construction period, balanced to the cent.

    Uses = initial capex + interest during construction (capitalised or paid) + fees + the debt
    service reserve + working capital + development and owner's costs; sources = each tranche's
    drawings (capitalised interest included) + equity. The construction period runs from the
    first model year to the site's last year with initial capex
    (:func:`construction_end_year`); working capital is that of the first full year after it.
    Every line is rounded to the cent; the totals are the sums of the rounded lines and equity
    is total uses less the debt, so sources equal uses exactly. Development and owner's costs and
    working capital are uses to fund, not rows of the cash flows (the NPV leaves them out).

    Parameters
    ----------
    result : Result
        An evaluation with its financing (any extra dims are kept).

    Returns
    -------
    xarray.Dataset
        ``amount`` [EUR] over (line, site incl. portfolio, ...; ``Result`` splits it into
        ``sources_and_uses`` and ``portfolio_sources_and_uses``), with coordinates ``side``
        ("uses" or "sources") and ``definition`` along ``line``; ``construction_end_year``
        [year] over site.
    """
    params = result.parameters
    flows = result.cash_flows
    financing = result.financing
    end = construction_end_year(result)
    years = result.quantities["initial_capex"]["year"]
    period = years <= end
    initial = result.quantities["initial_capex"].sum("year")
    reserve = financing["reserve_target"]
    first_full = xr.where(end + 1 <= years[-1], end + 1, years[-1])
    in_first_full = years == first_full
    revenue = item_total(flows, category="revenue").where(in_first_full, 0.0).sum("year")
    costs = -item_total(flows, category="opex").where(in_first_full, 0.0).sum("year")
    working_capital = (
        params["plan.receivable_period"] * revenue - params["plan.payable_period"] * costs
    )

    def in_period(values: xr.DataArray) -> xr.DataArray:
        return values.where(period, 0.0).sum("year")

    interest = in_period(
        financing["capitalised_interest"].sum("tranche") + financing["interest_paid"].sum("tranche")
    )
    uses = {
        "capex": initial,
        "interest_during_construction": interest,
        "fees": in_period(financing["fees"].sum("tranche")),
        "debt_service_reserve": reserve,
        "working_capital": working_capital,
        "development_and_owner_costs": params["plan.development_cost_share"] * initial,
    }
    lines = {name: _cents(values) for name, values in uses.items()}
    lines[TOTAL_USES] = sum(lines[name] for name, _ in USES_LINES)
    debt_total = None
    definitions = dict(USES_LINES)
    definitions[TOTAL_USES] = "Sum of the uses"
    for tranche in result.case.tranches:
        drawn = _cents(
            in_period(
                financing["drawdown"].sel(tranche=tranche.name, drop=True)
                + financing["capitalised_interest"].sel(tranche=tranche.name, drop=True)
            )
        )
        lines[DEBT_PREFIX + tranche.name] = drawn
        definitions[DEBT_PREFIX + tranche.name] = (
            f"Tranche {tranche.name}: drawn in the construction period, capitalised interest "
            "included"
        )
        debt_total = drawn if debt_total is None else debt_total + drawn
    debt_total = 0.0 * lines[TOTAL_USES] if debt_total is None else debt_total
    lines[EQUITY] = lines[TOTAL_USES] - debt_total
    definitions[EQUITY] = "Equity: total uses less the debt (early operating cash included)"
    lines[TOTAL_SOURCES] = debt_total + lines[EQUITY]
    definitions[TOTAL_SOURCES] = "Sum of the sources"
    names = list(lines)
    stacked = xr.concat(
        [lines[name].broadcast_like(lines[TOTAL_USES]) for name in names],
        dim="line",
        coords="minimal",
        compat="override",
    )
    stacked = xr.concat([stacked, stacked.sum("site").expand_dims(site=[PORTFOLIO])], dim="site")
    sides = [
        "sources" if name.startswith(DEBT_PREFIX) or name in (EQUITY, TOTAL_SOURCES) else "uses"
        for name in names
    ]
    table = xr.Dataset(
        {
            "amount": (stacked / 100.0).assign_attrs(
                units="EUR", long_name="Sources and uses of funds of the construction period"
            )
        },
        coords={
            "line": names,
            "side": ("line", sides),
            "definition": ("line", [definitions[name] for name in names]),
        },
    )
    end = xr.concat([end, end.max("site").expand_dims(site=[PORTFOLIO])], dim="site")
    table["construction_end_year"] = end.assign_attrs(
        units="year",
        long_name="Last year of the construction period (last year with initial capex)",
    )
    return table
