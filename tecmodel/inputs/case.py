"""The validated case: its objects, and loading and building one from a case file.

This module owns :class:`Case`, the one object the model reads a case from (sites, phases, grid
capacity, every parameter value in its registry unit with its provenance, how its distributions
are sampled together, its debt tranches and scenarios), and the order of the checks that build
it. :func:`load_case` reads a case file and checks, in order: YAML syntax, with line numbers
(:mod:`tecmodel.inputs.reading`); structure, types and unknown keys, with the closest valid name
(:mod:`tecmodel.inputs.schema`, :mod:`tecmodel.inputs.messages`); units, converted to the
registry unit, bounds and whole numbers (:mod:`tecmodel.inputs.quantities`); the cross-field
rules (:mod:`tecmodel.inputs.rules`); the tranches and scenarios
(:mod:`tecmodel.inputs.terms`). Every problem of one step becomes one line of a single
:class:`~tecmodel.errors.InputError` naming the file, the field path, the value and what was
expected.
"""

from __future__ import annotations

import dataclasses
import hashlib
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tecmodel.errors import InputError, InputWarning, Problem
from tecmodel.inputs.bundled import bundled_case_path
from tecmodel.inputs.decisions import Decision, build_decisions
from tecmodel.inputs.distributions import Distribution
from tecmodel.inputs.horizon import TerminalMethod, read_terminal_method
from tecmodel.inputs.markets import Markets, path_problems, read_markets
from tecmodel.inputs.messages import format_path, line_for, path_tuple, pydantic_problems
from tecmodel.inputs.plausibility import unit_slip_warnings
from tecmodel.inputs.quantities import convert_quantity
from tecmodel.inputs.reading import LazyLineIndex, read_yaml
from tecmodel.inputs.registry import PARAMETERS, REGISTRY, Parameter, resolve
from tecmodel.inputs.rules import check_rules
from tecmodel.inputs.schema import CaseSpec, Quantity
from tecmodel.inputs.terms import Scenario, Tranche, build_scenarios, build_tranches
from tecmodel.inputs.uncertainty import Uncertainty, uncertainty_from_spec
from tecmodel.inputs.units import UnitMismatch, conversion_factor


@dataclass(frozen=True)
class Entry:
    """One parameter value of a case, after unit conversion, with its provenance.

    Attributes
    ----------
    parameter : Parameter
        The registry entry.
    value : float
        Value in the registry unit.
    stated_value, stated_unit : float, str
        As written in the case file (``stated_unit`` is the registry unit for defaults).
    source : str
        Where the number comes from.
    path : str
        Field path in the case file (``"(registry default)"`` for a default).
    site : str or None
        Site name for a site-level parameter.
    note : str or None
        Free-text note from the case file.
    line : int or None
        Line in the case file.
    distribution : Distribution or None
        The value's distribution for uncertainty analyses (registry unit), if the case gives one.
    process : str or None
        The process the parameter follows (``drives``); `value` is then its central path's value
        in the first model year, and the path itself is :meth:`Case.path`.
    """

    parameter: Parameter
    value: float
    stated_value: float
    stated_unit: str
    source: str
    path: str
    site: str | None = None
    note: str | None = None
    line: int | None = None
    distribution: Distribution | None = None
    process: str | None = None


@dataclass(frozen=True)
class Phase:
    """A build phase of a site."""

    name: str
    online_year: int
    it_mw: float
    source: str


@dataclass(frozen=True)
class CapacityStep:
    """Grid capacity [MW] available at the meter from `from_year` on."""

    from_year: int
    mw: float
    source: str


@dataclass(frozen=True)
class Site:
    """Structure of one site: its phases and its grid-capacity schedule."""

    name: str
    title: str
    location: str
    phases: tuple[Phase, ...]
    grid_capacity: tuple[CapacityStep, ...]

    def capacity_in(self, year: int) -> float:
        """Grid capacity available at the meter in `year` [MW] (0 before the first step)."""
        available = 0.0
        for step in self.grid_capacity:
            if step.from_year <= year:
                available = step.mw
        return available


@dataclass(frozen=True)
class Case:
    """A validated investment case: sites, parameter values in registry units, provenance.

    Build one with :func:`load_case`. Values are read with :meth:`value`; the model's parameter
    dataset is built by :func:`tecmodel.inputs.parameters.parameter_dataset`.
    """

    name: str
    title: str
    description: str
    sites: tuple[Site, ...]
    entries: Mapping[tuple[str, str | None], Entry]
    file: Path | None = None
    sha256: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)
    uncertainty: Uncertainty = field(default_factory=Uncertainty)
    #: Debt tranches (``financing.tranches``) and what-if scenarios (``scenarios``), see
    #: :mod:`tecmodel.inputs.terms`.
    tranches: tuple[Tranche, ...] = ()
    scenarios: tuple[Scenario, ...] = ()
    #: Price processes, their shock correlation and the parameters that follow them
    #: (``processes``, ``process_correlation``, ``drives``), see :mod:`tecmodel.inputs.markets`.
    markets: Markets = field(default_factory=Markets)
    #: How the campus is valued at the horizon (``terminal.method``), see
    #: :mod:`tecmodel.inputs.horizon`.
    terminal: TerminalMethod = field(default_factory=TerminalMethod)
    #: Real options on the sites (``decisions``), see :mod:`tecmodel.inputs.decisions`.
    decisions: tuple[Decision, ...] = ()

    def __repr__(self) -> str:
        where = f", file={str(self.file)!r}" if self.file else ""
        years = f"{self.start_year}-{self.end_year}"
        return f"Case(name={self.name!r}, sites={list(self.site_names)!r}, years={years}{where})"

    @property
    def site_names(self) -> tuple[str, ...]:
        return tuple(site.name for site in self.sites)

    @property
    def start_year(self) -> int:
        return int(self.entries[("model.start_year", None)].value)

    @property
    def end_year(self) -> int:
        return int(self.entries[("model.end_year", None)].value)

    @property
    def years(self) -> range:
        return range(self.start_year, self.end_year + 1)

    def site(self, name: str) -> Site:
        for site in self.sites:
            if site.name == name:
                return site
        raise KeyError(
            f"case {self.name!r} has no site {name!r}; sites: {', '.join(self.site_names)}"
        )

    def entry(self, name: str, site: str | None = None) -> Entry:
        """The stated entry of a parameter (for a site-level parameter, of one site)."""
        parameter = resolve(name)
        if parameter.scope == "site":
            if site is None:
                raise ValueError(f"{parameter.name} is per site; name the site")
            return self.entries[(parameter.name, site)]
        return self.entries[(parameter.name, None)]

    def path(self, name: str):
        """Central path of a parameter that follows a process [registry unit], over ``year``.

        Raises
        ------
        KeyError
            If the parameter follows no process.
        """
        import xarray as xr

        parameter = resolve(name)
        return xr.DataArray(
            self.markets.path(parameter.name, self.years),
            dims="year",
            coords={"year": list(self.years)},
            name=parameter.name,
            attrs={"units": parameter.unit, "long_name": parameter.description},
        )

    def value(self, name: str):
        """Base value of a parameter, in its registry unit: what a deterministic run uses.

        Parameters
        ----------
        name : str
            Dotted name or alias (``energy_price``, ``utilisation``, ``chip_cost``).

        Returns
        -------
        float or xarray.DataArray
            A float for a case-level parameter; a DataArray over ``site`` for a site-level one.
            A parameter that follows a process is its central path over ``year`` (and ``site``
            for a site-level one: the same path at every site).
        """
        parameter = resolve(name)
        if self.markets.binding(parameter.name) is not None:
            path = self.path(parameter.name)
            return (
                path
                if parameter.scope == "case"
                else path.expand_dims(site=list(self.site_names)).transpose("year", "site")
            )
        if parameter.scope == "case":
            return self.entries[(parameter.name, None)].value
        import xarray as xr

        values = [self.entries[(parameter.name, site)].value for site in self.site_names]
        return xr.DataArray(
            values,
            dims="site",
            coords={"site": list(self.site_names)},
            name=parameter.name,
            attrs={"units": parameter.unit, "long_name": parameter.description},
        )


def load_case(path: str | Path) -> Case:
    """Read and validate a case file.

    Parameters
    ----------
    path : str or Path
        A YAML case file (see ``inputs/base_10b.yaml``), or the name of a bundled case
        (``"base_10b"``, ``"doubled_20b"``), which is found wherever the package is installed.

    Returns
    -------
    Case

    Raises
    ------
    InputError
        Naming the file, each bad field's path, its value and what was expected.

    Warns
    -----
    InputWarning
        For a value that is admissible but looks like a unit slip
        (:mod:`tecmodel.inputs.plausibility`), naming the likely intended value.
    """
    bundled = bundled_case_path(str(path)) if not Path(path).exists() else None
    path = bundled or Path(path)
    data, text = read_yaml(path)
    case = case_from_data(
        data,
        file=path,
        lines=LazyLineIndex(text),
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )
    for problem in unit_slip_warnings(case.entries.values()):
        warnings.warn(problem.render(str(path)), InputWarning, stacklevel=2)
    return case


def case_from_data(
    data: Any,
    *,
    file: str | Path | None = None,
    lines: Mapping[tuple, int] | None = None,
    sha256: str | None = None,
) -> Case:
    """Validate already-parsed case data (a mapping as read from YAML).

    Parameters
    ----------
    data : Any
        The case file's content, e.g. from :func:`~tecmodel.inputs.reading.read_yaml`.
    file : str or Path, optional
        Where it was read from (named in the problems and kept on the case).
    lines : mapping of tuple to int, optional
        Line index of the file (key path -> 1-based line), for the problems' lines.
    sha256 : str, optional
        Hash of the file's text, kept on the case.

    Returns
    -------
    Case

    Raises
    ------
    InputError
        Naming the file, each bad field's path, its value and what was expected.
    """
    lines = {} if lines is None else lines
    if not isinstance(data, dict):
        raise InputError(
            Problem(
                "",
                f"expected a mapping of sections at the top of the file, got {type(data).__name__}",
                Problem.NO_VALUE,
                1,
            ),
            file,
        )
    try:
        spec = CaseSpec.model_validate(data)
    except ValidationError as error:
        raise InputError(pydantic_problems(error, lines), file) from None
    problems: list[Problem] = []
    case = _build_case(spec, data, problems, lines, file, sha256)
    if problems:
        raise InputError(problems, file)
    problems = check_rules(case, lines)
    if problems:
        raise InputError(problems, file)
    case = _with_tranches_and_scenarios(case, spec, problems, lines)
    if problems:
        raise InputError(problems, file)
    return case


def _with_tranches_and_scenarios(
    case: Case, spec: Any, problems: list[Problem], lines: Mapping[tuple, int]
) -> Case:
    tranches = build_tranches(case, spec, problems, lines)
    scenarios = build_scenarios(case, spec, problems, lines)
    decisions = build_decisions(case, spec.decisions, problems, lines)
    return dataclasses.replace(case, tranches=tranches, scenarios=scenarios, decisions=decisions)


def _entry(
    parameter: Parameter,
    quantity: Quantity,
    loc: tuple,
    problems: list[Problem],
    lines: Mapping[tuple, int],
    site: str | None,
) -> Entry | None:
    """The Entry of a stated quantity, or None after recording its problems."""
    converted = convert_quantity(parameter, quantity, loc, problems, lines)
    if converted is None:
        return None
    value, distribution = converted
    return Entry(
        parameter,
        value,
        float(quantity.value),
        quantity.unit,
        quantity.source,
        format_path(loc),
        site,
        quantity.note,
        line_for(loc + ("value",), lines),
        distribution,
    )


def _megawatts(
    quantity: Quantity,
    loc: tuple,
    problems: list[Problem],
    lines: Mapping[tuple, int],
    *,
    zero_allowed: bool,
) -> float | None:
    """A phase's IT load or a grid-capacity step [MW], or None after recording its problems."""
    if quantity.distribution is not None:
        where = loc + ("distribution",)
        message = (
            "is not allowed here: phases and grid capacity are the case's structure; expected "
            "distributions on registered parameters only"
        )
        problems.append(
            Problem(format_path(where), message, Problem.NO_VALUE, line_for(where, lines))
        )
    try:
        factor = conversion_factor(quantity.unit, "MW")
    except UnitMismatch as error:
        line = line_for(loc + ("unit",), lines)
        problems.append(Problem(format_path(loc) + ".unit", str(error), quantity.unit, line))
        return None
    mw = float(quantity.value) * factor
    if not ((0.0 <= mw <= 1e5) if zero_allowed else (0.0 < mw <= 1e5)):
        expected = "MW in [0, 100000] MW" if zero_allowed else "IT MW in (0, 100000] MW"
        shown = f"{quantity.value:g} {quantity.unit}"
        message = f"out of range: expected {expected}"
        problems.append(Problem(format_path(loc), message, shown, line_for(loc, lines)))
        return None
    return mw


def _default_entry(parameter: Parameter, site: str | None) -> Entry:
    assert parameter.default is not None
    return Entry(
        parameter,
        float(parameter.default),
        float(parameter.default),
        parameter.unit,
        f"registry default: {parameter.source}",
        "(registry default)",
        site,
    )


def _follows_process(
    parameter: Parameter,
    quantity: Quantity | None,
    loc: tuple,
    markets: Markets,
    problems: list[Problem],
    lines: Mapping[tuple, int],
) -> bool:
    """Whether `parameter` follows a process (its entry comes from the path); a stated value
    of such a parameter is a problem."""
    binding = markets.binding(parameter.name)
    if binding is None:
        return False
    if quantity is not None:
        problems.append(
            Problem(
                format_path(loc),
                f"follows process {binding.process!r} ({binding.path}), which gives "
                "its value in every year; expected no value here (or no binding)",
                f"{quantity.value:g} {quantity.unit}",
                line_for(loc, lines),
            )
        )
    return True


def _process_entries(
    markets: Markets,
    entries: dict,
    sites: tuple[str, ...],
    problems: list[Problem],
    lines: Mapping[tuple, int],
) -> None:
    """Entries of the parameters that follow a process: the central path's first-year value."""
    if not markets.bindings or problems or ("model.start_year", None) not in entries:
        return
    years = range(
        int(entries[("model.start_year", None)].value),
        int(entries[("model.end_year", None)].value) + 1,
    )
    if not len(years):
        return  # an empty horizon is reported by the rules
    found = path_problems(markets, years, lines)
    problems.extend(found)
    if found:
        return
    for binding in markets.bindings:
        parameter = REGISTRY[binding.parameter]
        process = next(p for p in markets.processes.processes if p.name == binding.process)
        first = float(markets.path(parameter.name, years)[0])
        for site in (None,) if parameter.scope == "case" else sites:
            entries[(parameter.name, site)] = Entry(
                parameter,
                first,
                first,
                parameter.unit,
                f"process {process.name} (central path): {process.source}",
                binding.path,
                site,
                line=line_for(path_tuple(binding.path), lines),
                process=process.name,
            )


def _build_case(
    spec: Any,
    data: dict,
    problems: list[Problem],
    lines: Mapping[tuple, int],
    file: str | Path | None,
    sha256: str | None,
) -> Case:
    entries: dict[tuple[str, str | None], Entry] = {}
    markets = read_markets(spec, problems, lines)
    terminal = read_terminal_method(spec, problems, lines)
    for parameter in PARAMETERS:
        if parameter.scope != "case":
            continue
        section = getattr(spec, parameter.group)
        quantity = getattr(section, parameter.field) if section is not None else None
        loc = (parameter.group, parameter.field)
        if _follows_process(parameter, quantity, loc, markets, problems, lines):
            continue
        if quantity is None:
            if parameter.required:
                problems.append(
                    Problem(
                        format_path(loc),
                        f"is missing (required: {parameter.expected()})",
                        Problem.NO_VALUE,
                        line_for(loc, lines),
                    )
                )
            else:
                entries[(parameter.name, None)] = _default_entry(parameter, None)
            continue
        entry = _entry(parameter, quantity, loc, problems, lines, None)
        if entry is not None:
            entries[(parameter.name, None)] = entry

    sites: list[Site] = []
    defaults = spec.site_defaults
    for index, site_spec in enumerate(spec.sites):
        site_loc = ("sites", index)
        name = site_spec.name
        for parameter in PARAMETERS:
            if parameter.scope != "site":
                continue
            section = getattr(site_spec, parameter.group)
            quantity = getattr(section, parameter.field) if section is not None else None
            loc = site_loc + (parameter.group, parameter.field)
            if quantity is None and defaults is not None:
                default_section = getattr(defaults, parameter.group)
                quantity = (
                    getattr(default_section, parameter.field)
                    if default_section is not None
                    else None
                )
                loc = ("site_defaults", parameter.group, parameter.field)
            if _follows_process(parameter, quantity, loc, markets, problems, lines):
                continue
            if quantity is None:
                if parameter.required:
                    where = format_path(site_loc + (parameter.group, parameter.field))
                    problems.append(
                        Problem(
                            where,
                            f"is missing (required: {parameter.expected()}; give it in the site "
                            f"or under site_defaults.{parameter.group})",
                            Problem.NO_VALUE,
                            line_for(site_loc, lines),
                        )
                    )
                else:
                    entries[(parameter.name, name)] = _default_entry(parameter, name)
                continue
            entry = _entry(parameter, quantity, loc, problems, lines, name)
            if entry is not None:
                entries[(parameter.name, name)] = entry
        phases = []
        for phase_index, phase in enumerate(site_spec.phases):
            loc = site_loc + ("phases", phase_index, "it_mw")
            it_mw = _megawatts(phase.it_mw, loc, problems, lines, zero_allowed=False)
            if it_mw is not None:
                phase_name = phase.name or f"phase {phase_index + 1}"
                phases.append(Phase(phase_name, phase.online_year, it_mw, phase.it_mw.source))
        steps = []
        grid_section = (
            site_spec.grid
            if site_spec.grid is not None and site_spec.grid.capacity
            else (defaults.grid if defaults is not None and defaults.grid is not None else None)
        )
        capacity_specs = grid_section.capacity if grid_section is not None else None
        capacity_root = (
            site_loc + ("grid", "capacity")
            if (site_spec.grid is not None and site_spec.grid.capacity)
            else ("site_defaults", "grid", "capacity")
        )
        if not capacity_specs:
            problems.append(
                Problem(
                    format_path(site_loc + ("grid", "capacity")),
                    "is missing (required: a list of {from_year, capacity} steps)",
                    Problem.NO_VALUE,
                    line_for(site_loc, lines),
                )
            )
        for step_index, step in enumerate(capacity_specs or []):
            loc = capacity_root + (step_index, "capacity")
            mw = _megawatts(step.capacity, loc, problems, lines, zero_allowed=True)
            if mw is not None:
                steps.append(CapacityStep(step.from_year, mw, step.capacity.source))
        sites.append(
            Site(
                name, site_spec.title or name, site_spec.location or "", tuple(phases), tuple(steps)
            )
        )
    uncertainty = uncertainty_from_spec(
        spec.uncertainty, entries, tuple(site.name for site in sites), problems, lines
    )
    _process_entries(markets, entries, tuple(site.name for site in sites), problems, lines)
    return Case(
        spec.name,
        spec.title,
        spec.description or "",
        tuple(sites),
        entries,
        Path(file) if file is not None else None,
        sha256,
        data,
        uncertainty,
        markets=markets,
        terminal=terminal,
    )


__all__ = [
    "Entry",
    "Uncertainty",
    "Phase",
    "CapacityStep",
    "Site",
    "Case",
    "load_case",
    "case_from_data",
]
