"""The cross-field rules of a case: checks no single field can make on its own.

This module owns what a case must satisfy once each value is admissible by itself: valid and
unique names, a horizon of at most :data:`MAX_HORIZON_YEARS` years, phases (and their
construction) inside the horizon, grid-capacity steps in order and never decreasing, installed
IT MW x peak PUE within the grid capacity, shares and tax lives within what they are part of,
the nuclear contract's term inside the horizon, no escalation on top of a price that follows a
process, a perpetuity growth below the discount rate when the horizon value is a perpetuity.
:func:`check_rules` takes a built :class:`~tecmodel.inputs.case.Case` and returns its problems;
given ``values`` (the overrides of an evaluation: a scenario, a solver's trial, sampled draws),
it checks the case with those values instead, every element of an array separately, so one set
of rules applies to a case as stated and to every value the model is evaluated at
(:func:`tecmodel.inputs.parameters.parameter_dataset`).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from tecmodel.errors import Problem
from tecmodel.inputs.messages import format_path, line_for, path_tuple

if TYPE_CHECKING:
    from tecmodel.inputs.case import Case

#: Names of cases, sites, tranches and scenarios: a letter, then letters, digits, '_' or '-'.
SITE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"
RESERVED_SITE_NAMES = frozenset({"portfolio"})
#: Longest model horizon [yr]: beyond it a -99 %/yr rate's discount factors leave the range of the
#: IRR solver (tecmodel.numerics.irr) and of float64 cash flows (tests/test_extremes.py).
MAX_HORIZON_YEARS = 100

#: (smaller, larger, expectation): per site, the first parameter may not exceed the second.
_ORDERED_PAIRS = (
    ("power.idle_share", "power.active_load_share", "at most power.active_load_share"),
    (
        "chips.tax_life_years",
        "chips.refresh_years",
        "at most chips.refresh_years (retired accelerators must be fully depreciated for tax)",
    ),
    ("cooling.tax_life_years", "cooling.replacement_years", "at most cooling.replacement_years"),
    (
        "construction.building_tax_life",
        "construction.building_life",
        "at most construction.building_life",
    ),
    (
        "construction.electrical_tax_life",
        "construction.electrical_life",
        "at most construction.electrical_life",
    ),
    ("grid.connection_tax_life", "grid.connection_life", "at most grid.connection_life"),
    (
        "revenue.contract_tenor_years",
        "chips.refresh_years",
        "at most chips.refresh_years (a take-or-pay contract is on one generation)",
    ),
)
#: A yearly parameter that follows a process and the escalation that would apply on top of it.
_ESCALATED_BY = {"power.market_price": "power.market_escalation"}
#: Every parameter a rule reads: an override of one of these is checked against the rules.
RULE_PARAMETERS = frozenset(
    {name for pair in _ORDERED_PAIRS for name in pair[:2]}
    | set(_ESCALATED_BY.values())
    | {
        "construction.build_years",
        "power.electrical_losses",
        "cooling.overhead_peak",
        "power.contract_start_year",
        "power.contract_term_years",
        "terminal.perpetuity_growth",
        "finance.discount_rate",
    }
)


def check_entry_name(
    add,
    loc: tuple,
    name: str,
    index: int,
    seen: dict[str, int],
    *,
    kind: str,
    listing: str,
    reserved: Collection[str] = (),
    reserved_note: str = "",
) -> None:
    """One entry's name in a list of named entries (sites, tranches, scenarios, decisions).

    A name is well formed when it matches :data:`SITE_NAME_PATTERN` (letters, digits, '_' or
    '-', starting with a letter, at most 64 characters) and is none of `reserved` in any case.
    Reports a malformed name, and a name an earlier entry already uses; `seen` maps each name to
    the index of its first entry and is updated.

    Parameters
    ----------
    add : callable
        ``add(loc, message, value)``: records one problem.
    loc : tuple
        Field path of the entry (its ``name`` is appended).
    kind, listing : str
        What the entries are (``"site"``) and where they are listed (``"sites"``).
    reserved : collection of str
        Names the package gives a meaning of its own (``"portfolio"`` for sites).
    reserved_note : str
        Why, in words, appended to the expectation (``"'portfolio' is reserved"``).
    """
    taken = {word.lower() for word in reserved}
    if not re.match(SITE_NAME_PATTERN, name) or name.lower() in taken:
        note = f"; {reserved_note}" if reserved_note else ""
        add(
            loc + ("name",),
            f"expected a {kind} name of letters, digits, '_' or '-' starting with a letter "
            f"(at most 64 characters{note})",
            name,
        )
    if name in seen:
        add(
            loc + ("name",),
            f"duplicate {kind} name (already used by {listing}[{seen[name]}]); "
            f"expected unique {kind} names",
            name,
        )
    seen.setdefault(name, index)


def _largest(value) -> float:
    """The largest element of a value (a number or an array of draws)."""
    return float(np.max(value))


def _smallest(value) -> float:
    return float(np.min(value))


def check_rules(
    case: Case,
    lines: Mapping[tuple, int] | None = None,
    values: Mapping[tuple[str, str | None], Any] | None = None,
) -> list[Problem]:
    """The cross-field rules a case breaks; each problem names the fields involved.

    Parameters
    ----------
    case : Case
        A case whose values are each admissible (units converted, within bounds).
    lines : mapping of tuple to int, optional
        Line index of the case file (key path -> 1-based line), for the problems' lines.
    values : mapping, optional
        ``{(name, site or None): value}`` replacing the case's values, in registry units; a value
        may be an array (``numpy`` or ``xarray``, e.g. draws over ``sample``): every element must
        keep the rules, and two arrays are compared element by element (xarray aligns them by
        dimension name).

    Returns
    -------
    list of Problem
        Empty if the case keeps every rule. A horizon that is empty or too long is reported
        alone: the rules that depend on the years are then not checked.
    """
    lines = {} if lines is None else lines
    values = {} if values is None else values
    problems: list[Problem] = []

    def given(name: str, site_name: str | None):
        key = (name, site_name)
        return values[key] if key in values else case.entries[key].value

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, line_for(loc, lines)))

    if not re.match(SITE_NAME_PATTERN, case.name):
        add(
            ("name",),
            "expected a case name of letters, digits, '_' or '-' starting with a letter",
            case.name,
        )
    start, end = case.start_year, case.end_year
    if end <= start:
        add(("model", "end_year"), f"expected a year after model.start_year ({start})", end)
        return problems
    if end - start + 1 > MAX_HORIZON_YEARS:
        add(
            ("model", "end_year"),
            f"expected a horizon of at most {MAX_HORIZON_YEARS} years: a year up to "
            f"{start + MAX_HORIZON_YEARS - 1} (model.start_year {start})",
            end,
        )
        return problems
    seen: dict[str, int] = {}
    for index, site in enumerate(case.sites):
        loc = ("sites", index)
        check_entry_name(
            add,
            loc,
            site.name,
            index,
            seen,
            kind="site",
            listing="sites",
            reserved=RESERVED_SITE_NAMES,
            reserved_note="'portfolio' is reserved",
        )

        def value(name: str, site_name: str = site.name):
            return given(name, site_name)

        build_years = int(_largest(value("construction.build_years")))
        for phase_index, phase in enumerate(site.phases):
            ploc = loc + ("phases", phase_index, "online_year")
            if not start <= phase.online_year <= end:
                add(
                    ploc,
                    f"outside the model horizon: expected a year in [{start}, {end}]",
                    phase.online_year,
                )
            elif phase.online_year - build_years + 1 < start:
                add(
                    ploc,
                    f"construction ({build_years} years, construction.build_years) would start in "
                    f"{phase.online_year - build_years + 1}, before model.start_year {start}; "
                    f"expected an online year >= {start + build_years - 1}",
                    phase.online_year,
                )
        years = [step.from_year for step in site.grid_capacity]
        for step_index, year in enumerate(years):
            if not start - 10 <= year <= end:
                add(
                    loc + ("grid", "capacity", step_index, "from_year"),
                    f"expected a year in [{start - 10}, {end}]",
                    year,
                )
        if years != sorted(years) or len(set(years)) != len(years):
            add(
                loc + ("grid", "capacity"),
                "expected capacity steps in strictly increasing from_year order",
                years,
            )
        capacities = [step.mw for step in site.grid_capacity]
        if capacities != sorted(capacities):
            add(
                loc + ("grid", "capacity"),
                "expected grid capacity that never decreases from step to step",
                capacities,
            )
        # The largest peak PUE of any draw: the rule binds on the largest.
        pue_peak = _largest(1.0 + value("power.electrical_losses") + value("cooling.overhead_peak"))
        installed = 0.0
        for phase in sorted(site.phases, key=lambda p: p.online_year):
            installed += phase.it_mw
            # Capacity must hold from this phase's online year on (later phases only add load).
            for year in range(phase.online_year, end + 1):
                needed = installed * pue_peak
                available = site.capacity_in(year)
                if needed > available * (1 + 1e-9):
                    add(
                        loc + ("phases",),
                        f"installed IT {installed:g} MW x peak PUE {pue_peak:.3f} = {needed:,.0f} "
                        f"MW exceeds the grid capacity of {available:,.0f} MW available in {year} "
                        f"(grid.capacity); expected at most {available / pue_peak:,.0f} MW IT by "
                        "then",
                        f"{installed:g} MW IT",
                    )
                    break
        _check_power_contract(case, site.name, add, value)
        for smaller, larger, expectation in _ORDERED_PAIRS:
            broken = np.asarray(value(smaller) > value(larger))
            if broken.any():
                entry = case.entries[(smaller, site.name)]
                add(
                    path_tuple(entry.path),
                    f"expected {expectation} ({_smallest(value(larger)):g})",
                    _largest(value(smaller)),
                )
    for followed, escalation in _ESCALATED_BY.items():
        for site in case.sites:
            entry = case.entries[(escalation, site.name)]
            stated = given(escalation, site.name)
            if case.markets.binding(followed) is not None and np.any(np.asarray(stated) != 0.0):
                add(
                    path_tuple(entry.path),
                    f"{followed} follows process "
                    f"{case.markets.binding(followed).process!r}, whose path carries the trend; "
                    "expected 0 (or no value)",
                    _largest(np.abs(stated)),
                )
    if case.terminal.method == "going_concern" and case.terminal.basis == "perpetuity":
        growth = given("terminal.perpetuity_growth", None)
        rate = given("finance.discount_rate", None)
        if np.asarray(growth >= rate).any():
            entry = case.entries[("terminal.perpetuity_growth", None)]
            add(
                path_tuple(entry.path),
                "a perpetuity needs a growth below finance.discount_rate "
                f"({_smallest(rate):g}); expected a smaller growth",
                _largest(growth),
            )
    return problems


def _check_power_contract(case: Case, site: str, add, value) -> None:
    """The nuclear contract starts inside the horizon and its term ends inside it."""
    start, end = case.start_year, case.end_year
    first = case.entries[("power.contract_start_year", site)]
    term = case.entries[("power.contract_term_years", site)]
    first_year = int(_largest(value("power.contract_start_year")))
    if not start <= first_year <= end:
        add(
            path_tuple(first.path),
            f"outside the model horizon: expected a year in [{start}, {end}]",
            first_year,
        )
        return
    stated = _largest(value("power.contract_term_years"))
    longest = (
        max(term.distribution.support()[1], stated) if term.distribution is not None else stated
    )
    last = int(first_year + longest - 1)
    if last > end:
        allowed = end - first_year + 1
        what = "its distribution reaches" if longest != stated else "is"
        add(
            path_tuple(term.path),
            f"the contract from {first_year} would run to {last}, beyond the model horizon "
            f"({end}): the energy it fixes after {end} has no place in the model; expected a term "
            f"of at most {allowed} years ({what} {longest:g})",
            stated,
        )


__all__ = [
    "SITE_NAME_PATTERN",
    "RESERVED_SITE_NAMES",
    "MAX_HORIZON_YEARS",
    "RULE_PARAMETERS",
    "check_rules",
]
