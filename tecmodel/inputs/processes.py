"""Stochastic price processes in a case file: what a process spec means and when it is admissible.

This module owns the spec of a process (its type, unit, source and parameters, each plain or
``{value, unit, source}`` with an optional ``distribution``), its validation into
:class:`ProcessSpec` / :class:`ProcessSet` with one :class:`~tecmodel.errors.Problem` per bad
field (file, field path, value, expectation), and the correlation matrix of the yearly shocks
(symmetric, unit diagonal, positive semi-definite). How the paths are drawn is
:mod:`tecmodel.analysis.processes`, whose docstring states the dynamics and the seeding.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.distributions import Distribution, parse_distribution
from tecmodel.inputs.units import UnitMismatch, conversion_factor

MEAN_REVERTING = "mean_reverting"
GBM = "gbm"

#: type -> (required parameter fields, optional parameter fields); ``jumps`` is a group.
TYPES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    MEAN_REVERTING: (("start", "level", "speed", "volatility"), ("level_scale", "jumps")),
    GBM: (("start", "drift", "volatility"), ("jumps",)),
}
#: Fields every type takes besides its parameters.
COMMON_REQUIRED = ("type", "unit", "source")
COMMON_OPTIONAL = ("note", "description")
LONG_NAMES = {
    MEAN_REVERTING: "mean-reverting log process (Schwartz 1997)",
    GBM: "geometric Brownian motion",
}

#: Most jumps per year admitted: more is a diffusion, not jumps, and exp(-rate) stays normal.
MAX_JUMP_RATE = 100.0
#: Stands for the process's own unit in :data:`FIELDS`.
PROCESS_UNIT = "<process unit>"


@dataclass(frozen=True)
class FieldRule:
    """What a scalar parameter of a process admits.

    Attributes
    ----------
    unit : str
        Unit of plain numbers and of the simulation (``PROCESS_UNIT``: the process's ``unit``).
    low, high : float
        Admissible interval.
    open_low : bool
        The value must exceed `low` (a log is taken of it, or of ``1 + value``).
    meaning : str
        Short description, for messages.
    """

    unit: str
    low: float
    high: float
    open_low: bool
    meaning: str

    def admits(self, value: float) -> bool:
        above = value > self.low if self.open_low else value >= self.low
        return above and value <= self.high

    def expected(self, unit: str) -> str:
        """What an admissible value is, e.g. ``mean-reversion speed >= 0 [1/yr]``."""
        if math.isinf(self.low) and math.isinf(self.high):
            condition = "as a finite number"
        elif math.isinf(self.high):
            condition = f"> {self.low:g}" if self.open_low else f">= {self.low:g}"
        else:
            condition = f"in [{self.low:g}, {self.high:g}]"
        return f"{self.meaning} {condition} [{unit}]"


#: Scalar parameters by field path inside a process; the order numbers the parameter streams.
FIELDS: dict[str, FieldRule] = {
    "start": FieldRule(PROCESS_UNIT, 0.0, math.inf, True, "value in the first simulated year"),
    "level": FieldRule(PROCESS_UNIT, 0.0, math.inf, True, "long-run level"),
    "level_scale": FieldRule("1", 0.0, math.inf, True, "multiplier of the level"),
    "level.escalation": FieldRule(
        "1/yr", -1.0, math.inf, True, "yearly escalation of the level after its path"
    ),
    "speed": FieldRule("1/yr", 0.0, math.inf, False, "mean-reversion speed"),
    "volatility": FieldRule("1/sqrt(yr)", 0.0, math.inf, False, "volatility of the log value"),
    "drift": FieldRule("1/yr", -math.inf, math.inf, False, "drift"),
    "jumps.rate": FieldRule("1/yr", 0.0, MAX_JUMP_RATE, False, "jumps per year"),
    "jumps.mean": FieldRule("1", -math.inf, math.inf, False, "mean log jump size"),
    "jumps.std": FieldRule("1", 0.0, math.inf, False, "standard deviation of the log jump size"),
}
FIELD_POSITION = {name: position for position, name in enumerate(FIELDS)}
DEFAULTS = {"level_scale": 1.0, "level.escalation": 0.0}
QUANTITY_KEYS = ("value", "unit", "source", "note", "distribution")
LEVEL_PATH_KEYS = ("path", "escalation", "unit", "source", "note")
JUMP_KEYS = ("rate", "mean", "std")
#: Spellings of the volatility's unit, 1/sqrt(yr), and their factors (pint has no sqrt(yr)).
VOLATILITY_UNITS = {
    "1/sqrt(yr)": 1.0,
    "1/sqrt(year)": 1.0,
    "1/\u221ayr": 1.0,
    "1": 1.0,
    "%": 0.01,
    "%/sqrt(yr)": 0.01,
    "%/sqrt(year)": 0.01,
}


@dataclass(frozen=True)
class ProcessParameter:
    """One scalar parameter of a process.

    Attributes
    ----------
    value : float
        Base value: what the central path and a run without parameter sampling use [the
        field's unit, :data:`FIELDS`].
    distribution : Distribution or None
        Its uncertainty, in the same unit.
    """

    value: float
    distribution: Distribution | None = None


@dataclass(frozen=True)
class ProcessSpec:
    """A validated price process.

    Attributes
    ----------
    name : str
    kind : str
        One of :data:`TYPES`.
    unit : str
        Unit of the value, e.g. ``EUR/MWh`` (``1`` for an index).
    source : str
    parameters : tuple of (str, ProcessParameter)
        By field path of :data:`FIELDS`, in that order; defaults filled in (``level_scale`` 1,
        ``level.escalation`` 0 with a level path).
    level_path : tuple of (int, float)
        The level's forward curve, consecutive years [unit]; empty for a constant level.
    description : str or None
    """

    name: str
    kind: str
    unit: str
    source: str
    parameters: tuple[tuple[str, ProcessParameter], ...]
    level_path: tuple[tuple[int, float], ...] = ()
    description: str | None = None

    def parameter(self, name: str) -> ProcessParameter:
        return dict(self.parameters)[name]

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.parameters)

    @property
    def has_jumps(self) -> bool:
        return "jumps.rate" in self.fields

    @property
    def long_name(self) -> str:
        return self.description or f"{self.name}: {LONG_NAMES[self.kind]}"


@dataclass(frozen=True, eq=False)
class ProcessSet:
    """Processes simulated together and the correlation of their yearly shocks.

    Attributes
    ----------
    processes : tuple of ProcessSpec
        In the order given; the order fixes the random streams.
    correlation : numpy.ndarray
        Pearson correlation of the normal shocks, (process, process) [1].
    factor : numpy.ndarray or None
        F with F F^T = `correlation` (None for independent shocks).
    """

    processes: tuple[ProcessSpec, ...]
    correlation: np.ndarray = field(repr=False)
    factor: np.ndarray | None = field(default=None, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(process.name for process in self.processes)


# --------------------------------------------------------------------------- validation


def process_problems(name: str, spec: Any, path: str | None = None) -> list[Problem]:
    """Why a process spec is not admissible (empty list when it is).

    Parameters
    ----------
    name : str
        The process's name.
    spec : mapping
        As read from the case file.
    path : str, optional
        Field path of the spec, default ``processes.<name>``.

    Returns
    -------
    list of Problem
    """
    return _parse_process(name, spec, _spec_path(name, path))[1]


def parse_process(name: str, spec: Any, path: str | None = None) -> ProcessSpec:
    """A validated process from its case-file form.

    Parameters
    ----------
    name : str
    spec : mapping or ProcessSpec
    path : str, optional
        Field path of the spec in messages, default ``processes.<name>``.

    Returns
    -------
    ProcessSpec

    Raises
    ------
    InputError
        With every problem found.
    """
    if isinstance(spec, ProcessSpec):
        return spec
    process, problems = _parse_process(name, spec, _spec_path(name, path))
    if problems:
        raise InputError(problems)
    assert process is not None
    return process


def _spec_path(name: str, path: str | None) -> str:
    return f"processes.{name}" if path is None else path


def _parse_process(name: str, spec: Any, path: str) -> tuple[ProcessSpec | None, list[Problem]]:
    if not isinstance(spec, Mapping):
        return None, [
            Problem(
                path, "expected a mapping with type, unit, source and the type's parameters", spec
            )
        ]
    kind = spec.get("type")
    if kind not in TYPES:
        if kind is None:
            return None, [
                Problem(
                    f"{path}.type",
                    f"is missing; expected one of {', '.join(TYPES)}",
                    Problem.NO_VALUE,
                )
            ]
        return None, [
            Problem(
                f"{path}.type",
                f"unknown process type; {hint(kind, TYPES)}expected one of {', '.join(TYPES)}",
                kind,
            )
        ]
    required, optional = TYPES[kind]
    allowed = COMMON_REQUIRED + required + optional + COMMON_OPTIONAL
    listing = ", ".join(COMMON_REQUIRED + required + tuple(f"[{key}]" for key in optional))
    problems = []
    for key in COMMON_REQUIRED + required:
        if key not in spec:
            problems.append(
                Problem(
                    f"{path}.{key}",
                    f"is missing: a {kind} process needs {listing}",
                    Problem.NO_VALUE,
                )
            )
    for key in spec:
        if key not in allowed:
            problems.append(
                Problem(
                    f"{path}.{key}",
                    f"is not a field of a {kind} process; {hint(key, allowed)}expected {listing}",
                    Problem.NO_VALUE,
                )
            )
    for key in ("unit", "source"):
        if key in spec and not (isinstance(spec[key], str) and spec[key].strip()):
            problems.append(Problem(f"{path}.{key}", "expected a non-empty text", spec[key]))
    if problems:
        return None, problems
    unit = spec["unit"].strip()
    parameters: dict[str, ProcessParameter] = {}
    level_path: tuple[tuple[int, float], ...] = ()
    for key in ("start", "speed", "volatility", "drift", "level_scale"):
        if key in spec:
            parameters[key] = _quantity(spec[key], key, f"{path}.{key}", unit, problems)
    if "level" in spec:
        level_path = _level(spec["level"], f"{path}.level", unit, parameters, problems)
    if "jumps" in spec:
        _jumps(spec["jumps"], f"{path}.jumps", unit, parameters, problems)
    if problems:
        return None, problems
    if kind == MEAN_REVERTING:
        parameters.setdefault("level_scale", ProcessParameter(DEFAULTS["level_scale"]))
    ordered = tuple((key, parameters[key]) for key in FIELDS if key in parameters)
    description = spec.get("description")
    return ProcessSpec(
        name,
        kind,
        unit,
        spec["source"],
        ordered,
        level_path,
        str(description) if description is not None else None,
    ), []


def hint(given: Any, choices) -> str:
    close = difflib.get_close_matches(str(given), list(choices), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _field_unit(name: str, process_unit: str) -> str:
    unit = FIELDS[name].unit
    return process_unit if unit == PROCESS_UNIT else unit


def _factor(stated: str, expected: str) -> float:
    """Factor from a stated unit to a field's unit (the volatility's 1/sqrt(yr) by table)."""
    stated = stated.strip()
    if expected == FIELDS["volatility"].unit:
        if stated in VOLATILITY_UNITS:
            return VOLATILITY_UNITS[stated]
        raise UnitMismatch(f"expected one of {', '.join(VOLATILITY_UNITS)}, got {stated!r}")
    return conversion_factor(stated, expected)


def _quantity(
    given: Any, name: str, path: str, process_unit: str, problems: list[Problem]
) -> ProcessParameter:
    """A scalar parameter from a plain number or a ``{value, unit, ...}`` mapping.

    Problems are appended to `problems`; the returned placeholder is then meaningless.
    """
    rule = FIELDS[name]
    unit = _field_unit(name, process_unit)
    placeholder = ProcessParameter(math.nan)
    count = len(problems)
    if is_number(given):
        value, factor, distribution_spec = float(given), 1.0, None
    elif isinstance(given, Mapping):
        for key in given:
            if key not in QUANTITY_KEYS:
                problems.append(
                    Problem(
                        f"{path}.{key}",
                        f"is not a field of a quantity; "
                        f"{hint(key, QUANTITY_KEYS)}expected "
                        f"value, [unit], [source], [note], "
                        "[distribution]",
                        Problem.NO_VALUE,
                    )
                )
        if "value" not in given:
            problems.append(
                Problem(
                    f"{path}.value", f"is missing; expected {rule.expected(unit)}", Problem.NO_VALUE
                )
            )
        elif not is_number(given["value"]):
            problems.append(
                Problem(f"{path}.value", f"expected {rule.expected(unit)}", given["value"])
            )
        factor = 1.0
        if "unit" in given:
            try:
                factor = _factor(str(given["unit"]), unit)
            except UnitMismatch as error:
                problems.append(Problem(f"{path}.unit", str(error), given["unit"]))
        if len(problems) > count:
            return placeholder
        value, distribution_spec = float(given["value"]) * factor, given.get("distribution")
    else:
        problems.append(
            Problem(
                path,
                f"expected {rule.expected(unit)}, as a number or "
                "{value: ..., unit: ..., source: ...}",
                given,
            )
        )
        return placeholder
    if not (math.isfinite(value) and rule.admits(value)):
        problems.append(
            Problem(
                path,
                f"expected {rule.expected(unit)}",
                given if is_number(given) else given["value"],
            )
        )
        return placeholder
    distribution = None
    if distribution_spec is not None:
        distribution = _distribution(
            distribution_spec, rule, factor, value, unit, f"{path}.distribution", problems
        )
    return ProcessParameter(value, distribution)


def _distribution(
    spec: Any,
    rule: FieldRule,
    factor: float,
    value: float,
    unit: str,
    path: str,
    problems: list[Problem],
) -> Distribution | None:
    if not isinstance(spec, Mapping):
        problems.append(Problem(path, "expected a mapping {type: ..., <fields>...}", spec))
        return None
    for key, number in spec.items():
        if key not in ("type", "source", "note") and number is not None and not is_number(number):
            problems.append(Problem(f"{path}.{key}", "expected a number", number))
            return None
    distribution, found = parse_distribution(spec, factor, (rule.low, rule.high), unit, base=value)
    problems.extend(Problem(path + sub, message, shown) for sub, message, shown in found)
    if distribution is not None and rule.open_low and not distribution.support()[0] > rule.low:
        problems.append(
            Problem(
                path,
                f"reaches {distribution.support()[0]:g} {unit}; expected "
                f"values > {rule.low:g} {unit} (a log is taken)",
                distribution.describe(),
            )
        )
        return None
    return distribution


def _level(
    given: Any,
    path: str,
    unit: str,
    parameters: dict[str, ProcessParameter],
    problems: list[Problem],
) -> tuple[tuple[int, float], ...]:
    """A constant level (into `parameters`) or a level path (returned; escalation into
    `parameters`)."""
    if not (isinstance(given, Mapping) and "path" in given):
        parameters["level"] = _quantity(given, "level", path, unit, problems)
        return ()
    for key in given:
        if key not in LEVEL_PATH_KEYS:
            problems.append(
                Problem(
                    f"{path}.{key}",
                    f"is not a field of a level path; "
                    f"{hint(key, LEVEL_PATH_KEYS)}expected path, "
                    "[escalation], [unit], [source], [note]",
                    Problem.NO_VALUE,
                )
            )
    factor = 1.0
    if "unit" in given:
        try:
            factor = conversion_factor(str(given["unit"]), unit)
        except UnitMismatch as error:
            problems.append(Problem(f"{path}.unit", str(error), given["unit"]))
    parameters["level.escalation"] = (
        _quantity(given["escalation"], "level.escalation", f"{path}.escalation", unit, problems)
        if "escalation" in given
        else ProcessParameter(DEFAULTS["level.escalation"])
    )
    curve = given["path"]
    expected = f"a mapping year: level [{unit}] over consecutive years"
    if not isinstance(curve, Mapping) or not curve:
        problems.append(Problem(f"{path}.path", f"expected {expected}", curve))
        return ()
    points: dict[int, float] = {}
    for year, value in curve.items():
        if not is_whole(year):
            problems.append(
                Problem(f"{path}.path", f"expected whole calendar years as keys ({expected})", year)
            )
        elif not (is_number(value) and math.isfinite(value) and value > 0):
            problems.append(
                Problem(f"{path}.path[{year}]", f"expected a level > 0 [{unit}]", value)
            )
        else:
            points[int(year)] = float(value) * factor
    years = sorted(points)
    if len(points) == len(curve) and years[-1] - years[0] + 1 != len(years):
        missing = sorted(set(range(years[0], years[-1] + 1)) - set(years))
        problems.append(
            Problem(
                f"{path}.path",
                f"has a gap: no level for {years_text(missing)}; expected {expected}",
                years_text(years),
            )
        )
    return tuple((year, points[year]) for year in years)


def is_whole(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().isdigit()
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def years_text(years: Sequence[int]) -> str:
    return ", ".join(str(year) for year in years)


def _jumps(
    given: Any,
    path: str,
    unit: str,
    parameters: dict[str, ProcessParameter],
    problems: list[Problem],
) -> None:
    expected = "rate [1/yr], mean [1], std [1], [source], [note]"
    if not isinstance(given, Mapping):
        problems.append(Problem(path, f"expected a mapping of {expected}", given))
        return
    for key in given:
        if key not in JUMP_KEYS + ("source", "note"):
            problems.append(
                Problem(
                    f"{path}.{key}",
                    f"is not a field of jumps; {hint(key, JUMP_KEYS)}expected {expected}",
                    Problem.NO_VALUE,
                )
            )
    for key in JUMP_KEYS:
        if key not in given:
            problems.append(
                Problem(f"{path}.{key}", f"is missing: jumps need {expected}", Problem.NO_VALUE)
            )
        else:
            parameters[f"jumps.{key}"] = _quantity(
                given[key], f"jumps.{key}", f"{path}.{key}", unit, problems
            )


def shock_correlation_problems(matrix: Any, names: Sequence[str], path: str) -> list[Problem]:
    """Why a Pearson correlation matrix of yearly shocks is not admissible (empty when it is).

    Checks: square and matching the names, finite numbers, unit diagonal, entries in [-1, 1],
    symmetric, positive semi-definite.

    Parameters
    ----------
    matrix : sequence of sequence of float
    names : sequence of str
        The processes of the rows, in order.
    path : str
        Field path of the matrix.

    Returns
    -------
    list of Problem
    """
    size = len(names)
    try:
        array = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        return [Problem(path, f"expected a {size} x {size} matrix of numbers", Problem.NO_VALUE)]
    if array.shape != (size, size):
        return [
            Problem(
                path,
                f"expected a {size} x {size} matrix (a row and a column for each of "
                f"{', '.join(names)}), got shape {array.shape}",
                Problem.NO_VALUE,
            )
        ]
    if not np.isfinite(array).all():
        return [Problem(path, "expected finite numbers", Problem.NO_VALUE)]
    problems = []
    for i in range(size):
        if array[i, i] != 1.0:
            problems.append(
                Problem(
                    f"{path}[{i}][{i}]",
                    f"expected 1 on the diagonal ({names[i]} with itself)",
                    array[i, i],
                )
            )
        for j in range(i + 1, size):  # the lower triangle must mirror it
            if abs(array[i, j]) > 1.0:
                problems.append(
                    Problem(f"{path}[{i}][{j}]", "expected a correlation in [-1, 1]", array[i, j])
                )
            elif abs(array[i, j] - array[j, i]) > 1e-12:
                problems.append(
                    Problem(
                        f"{path}[{i}][{j}]",
                        f"not symmetric: [{j}][{i}] is {array[j, i]:g}; expected equal entries",
                        array[i, j],
                    )
                )
    if problems:
        return problems
    smallest = float(np.linalg.eigvalsh(array).min())
    if smallest < -1e-10:
        return [
            Problem(
                path,
                f"is not positive semi-definite (smallest eigenvalue "
                f"{smallest:.3g}): no joint distribution has these correlations; "
                "expected a consistent matrix",
                Problem.NO_VALUE,
            )
        ]
    return []


def correlation_factor(matrix: np.ndarray) -> np.ndarray:
    """F with F F^T = `matrix`: Cholesky when positive definite, else V sqrt(max(lambda, 0))."""
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(matrix)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def parse_process_set(
    specs: Mapping[str, Any],
    correlation: Any = None,
    *,
    path: str = "processes",
    correlation_path: str = "correlation",
) -> ProcessSet:
    """Validated processes and their shock correlation.

    Parameters
    ----------
    specs : mapping of str to (mapping or ProcessSpec)
        Processes by name, in simulation order.
    correlation : mapping, square sequence or None
        ``{processes: [names...], matrix: [[...]], [source], [note]}`` (unlisted processes are
        independent), a matrix over all processes in order, or None (independent shocks).
    path, correlation_path : str
        Field paths of the two in messages.

    Returns
    -------
    ProcessSet

    Raises
    ------
    InputError
        With every problem of every process and of the correlation.
    """
    if not isinstance(specs, Mapping) or not specs:
        raise InputError(
            Problem(path, "expected a non-empty mapping of process name to spec", specs)
        )
    problems: list[Problem] = []
    processes = []
    for name, spec in specs.items():
        if not (isinstance(name, str) and name):
            problems.append(Problem(path, "expected process names as non-empty texts", name))
            continue
        if isinstance(spec, ProcessSpec):
            processes.append(spec)
            continue
        process, found = _parse_process(name, spec, f"{path}.{name}")
        problems.extend(found)
        if process is not None:
            processes.append(process)
    names = list(specs)
    matrix = _correlation_matrix(correlation, names, correlation_path, problems)
    if problems:
        raise InputError(problems)
    identity = np.array_equal(matrix, np.eye(len(names)))
    return ProcessSet(tuple(processes), matrix, None if identity else correlation_factor(matrix))


def _correlation_matrix(
    correlation: Any, names: list[str], path: str, problems: list[Problem]
) -> np.ndarray:
    full = np.eye(len(names))
    if correlation is None:
        return full
    if not isinstance(correlation, Mapping):
        found = shock_correlation_problems(correlation, names, path)
        problems.extend(found)
        return full if found else np.asarray(correlation, dtype=float)
    expected = "processes, matrix, [source], [note]"
    for key in correlation:
        if key not in ("processes", "matrix", "source", "note"):
            problems.append(
                Problem(
                    f"{path}.{key}",
                    f"is not a field of a correlation; expected {expected}",
                    Problem.NO_VALUE,
                )
            )
    for key in ("processes", "matrix"):
        if key not in correlation:
            problems.append(
                Problem(f"{path}.{key}", f"is missing; expected {expected}", Problem.NO_VALUE)
            )
    if problems:
        return full
    listed = correlation["processes"]
    if isinstance(listed, str) or not isinstance(listed, Sequence) or len(listed) < 2:
        problems.append(
            Problem(f"{path}.processes", "expected a list of at least two process names", listed)
        )
        return full
    count = len(problems)
    for index, name in enumerate(listed):
        if name not in names:
            problems.append(
                Problem(
                    f"{path}.processes[{index}]",
                    f"names no process; {hint(name, names)}expected one of {', '.join(names)}",
                    name,
                )
            )
        elif list(listed).index(name) != index:
            problems.append(
                Problem(
                    f"{path}.processes[{index}]",
                    "is listed twice; expected each process once",
                    name,
                )
            )
    if len(problems) > count:
        return full
    found = shock_correlation_problems(correlation["matrix"], listed, f"{path}.matrix")
    if found:
        problems.extend(found)
        return full
    positions = [names.index(name) for name in listed]
    full[np.ix_(positions, positions)] = np.asarray(correlation["matrix"], dtype=float)
    return full


# --------------------------------------------------------------------------- maths
