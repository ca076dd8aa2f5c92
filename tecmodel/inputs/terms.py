"""Financing tranches and named what-if scenarios of a case, validated against the case.

This module owns the two lists of a case file that are not registry parameters: the debt
tranches (``financing.tranches``, one :class:`Tranche` each, terms converted and bounded like
registry parameters by :data:`TRANCHE_TERMS`) and the named scenarios (``scenarios``, one
:class:`Scenario` each: parameter values set or scaled, for every site or for one). Both are
built once the case itself is valid, because they are checked against it (its sites, its values).
The scalar financing inputs (cost of equity, rate shift, target DSCR) are ordinary registry
parameters; the mechanics of a tranche are :mod:`tecmodel.model.financing`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tecmodel.errors import Problem
from tecmodel.inputs.messages import format_path, line_for, path_tuple
from tecmodel.inputs.quantities import convert_quantity
from tecmodel.inputs.registry import Parameter, resolve
from tecmodel.inputs.rules import check_entry_name
from tecmodel.inputs.schema import Quantity
from tecmodel.inputs.units import UnitMismatch, conversion_factor

if TYPE_CHECKING:
    from tecmodel.inputs.case import Case

#: Asset groups a tranche may fund (their capex items: tecmodel.model.financing.ASSET_GROUPS).
FUNDED_ASSETS = ("facility", "chips")
RESERVED_SCENARIO_NAMES = frozenset({"base"})


def _term(
    name: str, unit: str, bounds: tuple[float, float], description: str, *, integer: bool = False
) -> Parameter:
    return Parameter(
        f"financing.tranches[].{name}",
        "case",
        unit,
        bounds,
        (bounds[0], bounds[0], bounds[1]),
        description,
        "case file",
        integer=integer,
        samplable=False,
    )


#: Terms of a tranche: unit, admissible bounds and meaning (converted like registry parameters).
TRANCHE_TERMS: dict[str, Parameter] = {
    "share": _term(
        "share",
        "1",
        (0.0, 1.0),
        "Share of the funded assets' capex the tranche lends (for a sculpted tranche: the largest "
        "share)",
    ),
    "interest_rate": _term(
        "interest_rate", "1/yr", (0.0, 0.5), "Interest rate (plus financing.rate_shift)"
    ),
    "tenor": _term(
        "tenor", "yr", (1, 50), "Years of repayment after the drawing period", integer=True
    ),
    "grace": _term(
        "grace",
        "yr",
        (0, 10),
        "Years after the first drawdown during which the loan keeps drawing and its interest is "
        "capitalised",
        integer=True,
    ),
    "target_dscr": _term("target_dscr", "1", (1.0, 10.0), "DSCR a sculpted repayment is sized to"),
    "upfront_fee": _term(
        "upfront_fee",
        "1",
        (0.0, 0.2),
        "Arrangement fee on the loan amount, paid at the first drawdown",
    ),
    "commitment_fee": _term(
        "commitment_fee",
        "1/yr",
        (0.0, 0.1),
        "Fee on the undrawn commitment during the drawing period",
    ),
}


@dataclass(frozen=True)
class Tranche:
    """A debt tranche, terms in model units (see :mod:`tecmodel.model.financing` for the mechanics).

    Attributes
    ----------
    name, title : str
    funds : tuple of str
        Asset groups whose capex it funds (``facility``, ``chips``).
    sites : tuple of str
        Sites it lends to (each site borrows standalone on these terms).
    share : float
        Share of the funded capex lent [1]; for a sculpted tranche, the largest share.
    interest_rate : float
        [1/yr], before ``financing.rate_shift``.
    tenor, grace : int
        Repayment years; years of drawing and capitalised interest after the first drawdown [yr].
    repayment : {"annuity", "straight_line", "sculpted"}
    target_dscr : float or None
        For a sculpted tranche [1].
    upfront_fee : float
        [1] of the loan amount.
    commitment_fee : float
        [1/yr] on the undrawn commitment.
    recurring : bool
        A purchase of the funded assets after the drawing period opens a new loan on the same terms.
    sources : mapping of str to str
        Source of each stated term.
    path : str
        Field path in the case file.
    """

    name: str
    title: str
    funds: tuple[str, ...]
    sites: tuple[str, ...]
    share: float
    interest_rate: float
    tenor: int
    grace: int
    repayment: str
    target_dscr: float | None
    upfront_fee: float
    commitment_fee: float
    recurring: bool
    sources: Mapping[str, str]
    path: str


@dataclass(frozen=True)
class ScenarioChange:
    """One change of a scenario: set a parameter (``kind="set"``) or scale it (``"scale"``).

    ``value`` is in the registry unit for ``set`` and a factor [1] for ``scale``; ``site`` is
    None for every site (or for a case-level parameter).
    """

    parameter: str
    site: str | None
    kind: str
    value: float
    source: str
    path: str


@dataclass(frozen=True)
class Scenario:
    """A named what-if scenario: a set of parameter changes against the case."""

    name: str
    title: str
    description: str
    changes: tuple[ScenarioChange, ...]


def build_tranches(
    case: Case, spec: Any, problems: list[Problem], lines: Mapping[tuple, int]
) -> tuple[Tranche, ...]:
    """The case file's debt tranches, checked against the case.

    Parameters
    ----------
    case : Case
        The validated case (its sites).
    spec : CaseSpec
        The validated case file (:class:`~tecmodel.inputs.schema.CaseSpec`).
    problems : list of Problem
        Each problem found is appended here.
    lines : mapping of tuple to int
        Line index of the case file (key path -> 1-based line).

    Returns
    -------
    tuple of Tranche
        The tranches whose terms are admissible (all of them when no problem was found).
    """
    section = spec.financing
    specs = section.tranches if section is not None and section.tranches else []

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, line_for(loc, lines)))

    tranches: list[Tranche] = []
    seen: dict[str, int] = {}
    for index, tranche in enumerate(specs):
        loc = ("financing", "tranches", index)
        check_entry_name(
            add,
            loc,
            tranche.name,
            index,
            seen,
            kind="tranche",
            listing="financing.tranches",
        )
        sites = tuple(tranche.sites) if tranche.sites else case.site_names
        for position, site in enumerate(sites if tranche.sites else ()):
            if site not in case.site_names:
                add(
                    loc + ("sites", position),
                    f"unknown site; expected one of {list(case.site_names)}",
                    site,
                )
        if len(set(tranche.funds)) != len(tranche.funds):
            add(
                loc + ("funds",),
                "lists an asset group twice; expected distinct groups",
                list(tranche.funds),
            )
        sculpted = tranche.repayment == "sculpted"
        if sculpted and tranche.target_dscr is None:
            add(
                loc + ("target_dscr",),
                "is missing (required for repayment: sculpted: a mapping {value, unit, source})",
            )
        if not sculpted and tranche.target_dscr is not None:
            add(
                loc + ("target_dscr",),
                f"applies only to repayment: sculpted (this tranche is {tranche.repayment}); "
                "expected no target_dscr",
            )
        if sculpted and tranche.recurring:
            add(
                loc + ("recurring",),
                "a sculpted tranche is one loan sized against the cash flow; expected "
                "recurring: false",
                True,
            )
        values: dict[str, float] = {}
        sources: dict[str, str] = {}
        for term, parameter in TRANCHE_TERMS.items():
            quantity = getattr(tranche, term)
            if quantity is None:
                continue
            converted = convert_quantity(parameter, quantity, loc + (term,), problems, lines)
            if converted is not None:
                values[term] = converted[0]
                sources[term] = quantity.source
        if not {"share", "interest_rate", "tenor"} <= set(values):
            continue
        tranches.append(
            Tranche(
                name=tranche.name,
                title=tranche.title or tranche.name,
                funds=tuple(tranche.funds),
                sites=sites,
                share=values["share"],
                interest_rate=values["interest_rate"],
                tenor=int(values["tenor"]),
                grace=int(values.get("grace", 0)),
                repayment=tranche.repayment,
                target_dscr=values.get("target_dscr"),
                upfront_fee=values.get("upfront_fee", 0.0),
                commitment_fee=values.get("commitment_fee", 0.0),
                recurring=tranche.recurring,
                sources=sources,
                path=format_path(loc),
            )
        )
    if problems:
        return tuple(tranches)
    for site in case.site_names:
        lending = [t for t in tranches if site in t.sites]
        sculpted = [t for t in lending if t.repayment == "sculpted"]
        if len(sculpted) > 1:
            names = ", ".join(t.name for t in sculpted)
            add(
                ("financing", "tranches"),
                f"site {site}: several sculpted tranches ({names}); expected at most one per site "
                "(it is sized against what the others leave)",
            )
        for group in FUNDED_ASSETS:
            funding = [t for t in lending if group in t.funds]
            total = sum(t.share for t in funding)
            if total > 1.0 + 1e-12:
                parts = " + ".join(f"{t.name} {t.share:.0%}" for t in funding)
                add(
                    path_tuple(funding[-1].path) + ("share",),
                    f"site {site}: tranches funding {group} capex lend {parts} = {total:.0%} of "
                    f"it, {total - 1:.0%} more than the capex; expected a total debt share of at "
                    "most 100 %",
                    f"{funding[-1].share:.0%}",
                )
    return tuple(tranches)


def build_scenarios(
    case: Case, spec: Any, problems: list[Problem], lines: Mapping[tuple, int]
) -> tuple[Scenario, ...]:
    """The case file's named scenarios, each change checked against the case.

    Parameters
    ----------
    case : Case
        The validated case (its sites and values: a scaled value must stay within bounds).
    spec : CaseSpec
        The validated case file (:class:`~tecmodel.inputs.schema.CaseSpec`).
    problems : list of Problem
        Each problem found is appended here.
    lines : mapping of tuple to int
        Line index of the case file (key path -> 1-based line).

    Returns
    -------
    tuple of Scenario
        Every scenario, with its admissible changes.
    """

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, line_for(loc, lines)))

    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, scenario in enumerate(spec.scenarios or []):
        loc = ("scenarios", index)
        check_entry_name(
            add,
            loc,
            scenario.name,
            index,
            seen,
            kind="scenario",
            listing="scenarios",
            reserved=RESERVED_SCENARIO_NAMES,
            reserved_note="'base' is reserved for the case as stated",
        )
        groups = [(loc, None, scenario)]
        for site, changes in (scenario.sites or {}).items():
            if site not in case.site_names:
                add(loc + ("sites", site), f"unknown site; expected one of {list(case.site_names)}")
                continue
            groups.append((loc + ("sites", site), site, changes))
        changes: list[ScenarioChange] = []
        for group_loc, site, group in groups:
            for kind, mapping in (("set", group.overrides), ("scale", group.scale)):
                for name, quantity in (mapping or {}).items():
                    change = _scenario_change(
                        case,
                        name,
                        quantity,
                        kind,
                        site,
                        group_loc + ("overrides" if kind == "set" else "scale", name),
                        add,
                        problems,
                        lines,
                    )
                    if change is not None:
                        changes.append(change)
        targets = [
            (c.parameter, site)
            for c in changes
            for site in ((c.site,) if c.site is not None else case.site_names)
        ]
        duplicated = sorted(
            {f"{name} at {site}" for name, site in targets if targets.count((name, site)) > 1}
        )
        if duplicated:
            add(
                loc,
                f"changes the same parameter twice ({', '.join(duplicated)}); expected one change "
                "each",
            )
        if not changes and not problems:
            add(loc, "changes nothing; expected overrides, scale or sites with parameter changes")
        scenarios.append(
            Scenario(scenario.name, scenario.title, scenario.description or "", tuple(changes))
        )
    return tuple(scenarios)


def _scenario_change(
    case: Case,
    name: str,
    quantity: Quantity,
    kind: str,
    site: str | None,
    loc: tuple,
    add: Callable[..., None],
    problems: list[Problem],
    lines: Mapping[tuple, int],
) -> ScenarioChange | None:
    try:
        parameter = resolve(name)
    except KeyError as error:
        add(loc, str(error.args[0]))
        return None
    if not parameter.samplable:
        add(
            loc,
            f"{parameter.name} is structural and cannot vary by scenario; expected a samplable "
            "parameter",
        )
        return None
    if site is not None and parameter.scope == "case":
        add(
            loc,
            f"{parameter.name} is a case-level parameter; give it under the scenario's "
            "overrides/scale, not under sites",
        )
        return None
    if kind == "set":
        converted = convert_quantity(parameter, quantity, loc, problems, lines)
        if converted is None:
            return None
        return ScenarioChange(
            parameter.name, site, "set", converted[0], quantity.source, format_path(loc)
        )
    try:
        factor = float(quantity.value) * conversion_factor(quantity.unit, "1")
    except UnitMismatch as error:
        add(loc + ("unit",), str(error), quantity.unit)
        return None
    shown = f"{quantity.value:g} {quantity.unit}"
    if not (math.isfinite(factor) and factor >= 0):
        add(loc, "expected a non-negative factor (e.g. 60 %)", shown)
        return None
    sites = (
        (None,) if parameter.scope == "case" else ((site,) if site is not None else case.site_names)
    )
    low, high = parameter.bounds
    for target in sites:
        scaled = case.entries[(parameter.name, target)].value * factor
        integral = not parameter.integer or abs(scaled - round(scaled)) <= 1e-9
        if not (low <= scaled <= high and integral):
            where = f" at {target}" if target else ""
            add(
                loc,
                f"scales {parameter.name}{where} to {scaled:g} {parameter.unit}: expected "
                f"{parameter.expected()}",
                shown,
            )
            return None
    return ScenarioChange(parameter.name, site, "scale", factor, quantity.source, format_path(loc))


__all__ = [
    "FUNDED_ASSETS",
    "RESERVED_SCENARIO_NAMES",
    "TRANCHE_TERMS",
    "Tranche",
    "ScenarioChange",
    "Scenario",
    "build_tranches",
    "build_scenarios",
]
