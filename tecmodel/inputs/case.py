"""Case files: reading, validating and representing one investment case.

This module owns the case-file format (YAML), its schema and every check made on it before a
number reaches the model. The schema is generated from the parameter registry
(:mod:`tecmodel.registry`), so a new parameter needs no change here.

A case file states every number as a mapping with its unit and source::

    power:
      market_price: {value: 60, unit: EUR/MWh, source: "agence203.net Cal-26 52.70 ..."}

Site-level values may be given once under ``site_defaults`` and overridden per site. Loading
checks, in order: YAML syntax (with line numbers), structure and types (pydantic), unknown keys
(with the closest valid name), units (converted to the registry unit), bounds, whole numbers,
and the cross-field rules (unique site names, phases inside the horizon, installed IT MW x
peak PUE within the grid capacity, tax lives within economic lives). Every problem becomes one
line of a single :class:`~tecmodel.errors.InputError` naming the file, the field path, the value
and what was expected.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import math
import re
import sys
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    ValidationError,
    create_model,
)

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.bundled import bundled_case_path
from tecmodel.inputs.distributions import (
    Distribution,
    correlation_problems,
    expanded_correlation,
    parse_distribution,
)
from tecmodel.inputs.registry import (
    CASE_GROUPS,
    PARAMETERS,
    REGISTRY,
    SITE_GROUPS,
    Parameter,
    resolve,
)
from tecmodel.inputs.units import UnitMismatch, conversion_factor

SITE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_\-]{0,63}$"
RESERVED_SITE_NAMES = frozenset({"portfolio"})
#: Longest model horizon [yr]: beyond it a -99 %/yr rate's discount factors leave the range of the
#: IRR solver (tecmodel.irr) and of float64 cash flows (tests/test_extremes.py).
MAX_HORIZON_YEARS = 100

# --------------------------------------------------------------------------- schema (pydantic)

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, str_strip_whitespace=True)


def _float_sized(value: float | int) -> float | int:
    """Refuse a whole number too large for a 64-bit float (it would overflow on conversion)."""
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise ValueError("expected a number of magnitude at most 1.8e308")
    return value


Number = Annotated[StrictFloat | StrictInt, AfterValidator(_float_sized)]
Text = Annotated[str, Field(min_length=1)]


class DistributionSpec(BaseModel):
    """A distribution of an uncertain value, in the Quantity's unit (see :mod:`tecmodel.distributions`)."""

    model_config = _STRICT
    type: Text
    low: Number | None = None
    mode: Number | None = None
    high: Number | None = None
    mean: Number | None = None
    std: Number | None = None
    alpha: Number | None = None
    beta: Number | None = None
    shape: Number | None = None
    source: str | None = None
    note: str | None = None


class Quantity(BaseModel):
    """One stated number: value, unit and source (and an optional note and distribution)."""

    model_config = _STRICT
    value: Number
    unit: Text
    source: Text
    note: str | None = None
    distribution: DistributionSpec | None = None


class RankCorrelationSpec(BaseModel):
    """Spearman rank correlations between uncertain parameters (a full symmetric matrix)."""

    model_config = _STRICT
    parameters: Annotated[list[Text], Field(min_length=2)]
    matrix: list[list[Number]]
    source: Text


class UncertaintySpec(BaseModel):
    """How the case's distributions are sampled together (see :mod:`tecmodel.sampling`)."""

    model_config = _STRICT
    per_site: list[Text] = Field(default_factory=list)
    rank_correlation: RankCorrelationSpec | None = None


class PhaseSpec(BaseModel):
    """A build phase: IT MW coming online in a year."""

    model_config = _STRICT
    name: Text | None = None
    online_year: StrictInt
    it_mw: Quantity


class CapacityStepSpec(BaseModel):
    """Grid capacity available at the meter from a year on."""

    model_config = _STRICT
    from_year: StrictInt
    capacity: Quantity


# --- financing tranches and what-if scenarios (schema; checks and objects at the end of the file)
class TrancheSpec(BaseModel):
    """A debt tranche as written under ``financing.tranches``."""

    model_config = _STRICT
    name: Text
    title: str | None = None
    funds: Annotated[list[Literal["facility", "chips"]], Field(min_length=1)]
    sites: Annotated[list[Text], Field(min_length=1)] | None = None
    share: Quantity
    interest_rate: Quantity
    tenor: Quantity
    grace: Quantity | None = None
    repayment: Literal["annuity", "straight_line", "sculpted"]
    target_dscr: Quantity | None = None
    upfront_fee: Quantity | None = None
    commitment_fee: Quantity | None = None
    recurring: StrictBool = False


class ScenarioChangesSpec(BaseModel):
    """Parameter changes of a scenario: absolute values and/or factors on the case's values."""

    model_config = _STRICT
    overrides: dict[str, Quantity] | None = None
    scale: dict[str, Quantity] | None = None


class ScenarioSpec(ScenarioChangesSpec):
    """A named what-if scenario as written under ``scenarios``; ``sites`` narrows changes to a site."""

    name: Text
    title: Text
    description: str | None = None
    sites: dict[str, ScenarioChangesSpec] | None = None
# --- end of financing and scenario schema


def _group_model(group: str, scope: str, extra_fields: Mapping[str, Any] | None = None):
    fields: dict[str, Any] = {
        p.field: (Quantity | None, None) for p in PARAMETERS if p.group == group and p.scope == scope
    }
    fields.update(extra_fields or {})
    return create_model(f"{scope.title()}{group.title()}Section", __config__=_STRICT, **fields)


_CASE_SECTIONS = {group: _group_model(
    group, "case", {"tranches": (list[TrancheSpec] | None, None)} if group == "financing" else None)
    for group in CASE_GROUPS}
_SITE_SECTIONS = {
    group: _group_model(
        group, "site",
        {"capacity": (list[CapacityStepSpec] | None, None)} if group == "grid" else None)
    for group in SITE_GROUPS
}

SiteDefaultsSpec = create_model(
    "SiteDefaults", __config__=_STRICT,
    **{group: (model | None, None) for group, model in _SITE_SECTIONS.items()})

SiteSpec = create_model(
    "Site", __config__=_STRICT,
    name=(Text, ...),
    title=(str | None, None),
    location=(str | None, None),
    phases=(Annotated[list[PhaseSpec], Field(min_length=1)], ...),
    **{group: (model | None, None) for group, model in _SITE_SECTIONS.items()})

CaseSpec = create_model(
    "Case", __config__=_STRICT,
    name=(Text, ...),
    title=(Text, ...),
    description=(str, ""),
    **{group: (model | None, None) for group, model in _CASE_SECTIONS.items()},
    site_defaults=(SiteDefaultsSpec | None, None),
    sites=(Annotated[list[SiteSpec], Field(min_length=1)], ...),
    uncertainty=(UncertaintySpec | None, None),
    scenarios=(list[ScenarioSpec] | None, None),
)

# --------------------------------------------------------------------------- validated case


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


@dataclass(frozen=True)
class Uncertainty:
    """How a case's distributions are sampled together (the case file's ``uncertainty`` section).

    Attributes
    ----------
    per_site : tuple of str
        Site-level parameters drawn independently for each site; every other site-level
        distribution is shared: one draw moves every site to the same quantile of its own
        distribution.
    correlated : tuple of str
        Registry names of the parameters in the rank-correlation matrix.
    rank_correlation : tuple of tuple of float
        Spearman rank correlations between them (symmetric, unit diagonal).
    source : str
        Where the correlations come from.
    """

    per_site: tuple[str, ...] = ()
    correlated: tuple[str, ...] = ()
    rank_correlation: tuple[tuple[float, ...], ...] = ()
    source: str = ""


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
    dataset is built by :func:`tecmodel.parameters.parameter_dataset`.
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
    #: Debt tranches (``financing.tranches``) and what-if scenarios (``scenarios``); see the end of this file.
    tranches: tuple[Tranche, ...] = ()
    scenarios: tuple[Scenario, ...] = ()

    def __repr__(self) -> str:
        where = f", file={str(self.file)!r}" if self.file else ""
        return f"Case(name={self.name!r}, sites={list(self.site_names)!r}, years={self.start_year}-{self.end_year}{where})"

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
        raise KeyError(f"case {self.name!r} has no site {name!r}; sites: {', '.join(self.site_names)}")

    def entry(self, name: str, site: str | None = None) -> Entry:
        """The stated entry of a parameter (for a site-level parameter, of one site)."""
        parameter = resolve(name)
        if parameter.scope == "site":
            if site is None:
                raise ValueError(f"{parameter.name} is per site; name the site")
            return self.entries[(parameter.name, site)]
        return self.entries[(parameter.name, None)]

    def value(self, name: str):
        """Base value of a parameter, in its registry unit.

        Parameters
        ----------
        name : str
            Dotted name or alias (``energy_price``, ``utilisation``, ``chip_cost``).

        Returns
        -------
        float or xarray.DataArray
            A float for a case-level parameter; a DataArray over ``site`` for a site-level one.
        """
        parameter = resolve(name)
        if parameter.scope == "case":
            return self.entries[(parameter.name, None)].value
        import xarray as xr

        values = [self.entries[(parameter.name, site)].value for site in self.site_names]
        return xr.DataArray(values, dims="site", coords={"site": list(self.site_names)},
                            name=parameter.name, attrs={"units": parameter.unit,
                                                         "long_name": parameter.description})


# --------------------------------------------------------------------------- YAML reading


#: libyaml's parser when PyYAML was built with it (about ten times faster), else the pure-Python one.
#: Either way only the safe constructors run: no object construction from tags.
_SafeLoaderBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoaderBase):
    """Safe loader (no object construction) that refuses duplicate keys."""


def _construct_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"unhashable key {key!r}", key_node.start_mark) from None
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_index(text: str) -> dict[tuple, int]:
    """Map every key path of the YAML document to its 1-based line."""
    lines: dict[tuple, int] = {}
    try:
        root = yaml.compose(text, Loader=_SafeLoaderBase)
    except yaml.YAMLError:
        return lines

    def walk(node, path: tuple):
        if node is None:
            return
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
                lines[path + (key,)] = key_node.start_mark.line + 1
                walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    walk(root, ())
    return lines


class _LazyLineIndex(Mapping):
    """The line index of a YAML text, built on first use (only when a problem is reported)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._lines: dict[tuple, int] | None = None

    def _index(self) -> dict[tuple, int]:
        if self._lines is None:
            self._lines = _line_index(self._text)
        return self._lines

    def __getitem__(self, key: tuple) -> int:
        return self._index()[key]

    def __iter__(self):
        return iter(self._index())

    def __len__(self) -> int:
        return len(self._index())


def read_yaml(path: str | Path) -> tuple[Any, str]:
    """Read a YAML file safely; return the data and its text.

    Raises
    ------
    InputError
        If the file is missing, unreadable, not UTF-8, empty or not valid YAML (with its line).
    """
    path = Path(path)
    try:
        raw_bytes = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found (expected a case file, e.g. inputs/base_10b.yaml)", path) from None
    except IsADirectoryError:
        raise InputError("is a directory (expected a YAML case file)", path) from None
    except OSError as error:
        raise InputError(f"cannot be read ({error.strerror})", path) from None
    try:
        text = raw_bytes.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(f"is not UTF-8 text (byte {error.start}); expected a YAML case file", path) from None
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else None
        what = error.problem or error.context or "invalid YAML"
        raise InputError(Problem("", f"invalid YAML: {what}", Problem.NO_VALUE, line), path) from None
    except yaml.YAMLError as error:
        raise InputError(f"invalid YAML: {error}", path) from None
    if data is None:
        raise InputError("is empty (expected a case: name, title, model, finance, tax, fx, sites)", path)
    return data, text


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
    """
    bundled = bundled_case_path(path) if isinstance(path, str) and not Path(path).exists() else None
    path = bundled or Path(path)
    data, text = read_yaml(path)
    return case_from_data(data, file=path, lines=_LazyLineIndex(text),
                          sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())


def case_from_data(data: Any, *, file: str | Path | None = None,
                   lines: Mapping[tuple, int] | None = None, sha256: str | None = None) -> Case:
    """Validate already-parsed case data (a mapping as read from YAML)."""
    lines = {} if lines is None else lines
    if not isinstance(data, dict):
        raise InputError(Problem("", f"expected a mapping of sections at the top of the file, got "
                                     f"{type(data).__name__}", Problem.NO_VALUE, 1), file)
    try:
        spec = CaseSpec.model_validate(data)
    except ValidationError as error:
        raise InputError(_pydantic_problems(error, lines), file) from None
    problems: list[Problem] = []
    case = _build_case(spec, data, problems, lines, file, sha256)
    if problems:
        raise InputError(problems, file)
    _check_rules(case, problems, lines)
    if problems:
        raise InputError(problems, file)
    case = _with_tranches_and_scenarios(case, spec, problems, lines)
    if problems:
        raise InputError(problems, file)
    return case


# --------------------------------------------------------------------------- error translation


def format_path(loc: tuple) -> str:
    """``('sites', 1, 'power', 'market_price')`` -> ``sites[1].power.market_price``."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text


def _line_for(loc: tuple, lines: Mapping[tuple, int]) -> int | None:
    for end in range(len(loc), -1, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return None


def _unwrap(annotation: Any) -> list[Any]:
    """Candidate model classes inside Optional / list / Annotated annotations."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, list):
        found = []
        for argument in typing.get_args(annotation):
            found.extend(_unwrap(argument))
        return found
    return [annotation]


def _model_at(loc: tuple) -> type[BaseModel] | None:
    model: Any = CaseSpec
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        candidates = [c for c in _unwrap(info.annotation)
                      if isinstance(c, type) and issubclass(c, BaseModel)]
        model = candidates[0] if candidates else None
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _expected_keys(loc: tuple) -> list[str]:
    model = _model_at(loc)
    return list(model.model_fields) if model is not None else []


_TYPE_MESSAGES = {
    "float_type": "expected a number",
    "int_type": "expected a whole number",
    "int_from_float": "expected a whole number",
    "finite_number": "expected a finite number (not NaN or infinity)",
    "string_type": "expected text",
    "string_too_short": "expected non-empty text",
    "dict_type": "expected a mapping (key: value pairs)",
    "model_type": "expected a mapping (key: value pairs)",
    "model_attributes_type": "expected a mapping (key: value pairs)",
    "list_type": "expected a list",
    "too_short": "expected at least one entry",
}


def _pydantic_problems(error: ValidationError, lines: Mapping[tuple, int]) -> list[Problem]:
    problems: list[Problem] = []
    details = error.errors(include_url=False)
    # Union members add their own tag to loc (e.g. 'float' / 'int'): strip them.
    for detail in details:
        detail["loc"] = tuple(part for part in detail["loc"] if part not in {"float", "int", "str", "list", "none"})
    not_numbers = {detail["loc"] for detail in details if detail["type"] in {"float_type", "finite_number"}}
    for detail in details:
        loc = tuple(detail["loc"])
        kind = detail["type"]
        value = detail.get("input", Problem.NO_VALUE)
        if kind in {"int_type", "int_from_float"} and loc in not_numbers:
            continue  # a number (float or whole) was expected: one message, not one per member
        if kind == "extra_forbidden":
            parent, key = loc[:-1], loc[-1]
            valid = _expected_keys(parent)
            close = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.5)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            listing = ", ".join(valid)
            problems.append(Problem(format_path(loc), f"unknown key{hint} (valid keys here: {listing})",
                                    Problem.NO_VALUE, _line_for(loc, lines)))
            continue
        if kind == "missing":
            what = "a mapping {value, unit, source}" if loc[-1:] in (("it_mw",), ("capacity",)) else None
            message = "is missing (required" + (f": expected {what})" if what else ")")
            problems.append(Problem(format_path(loc), message, Problem.NO_VALUE, _line_for(loc, lines)))
            continue
        message = _TYPE_MESSAGES.get(kind, detail["msg"])
        if kind == "value_error":  # raised by a validator of ours: its own message
            message = str(detail["ctx"]["error"])
        if kind == "float_type" and isinstance(value, str) and _reads_as_number(value):
            message += f" (YAML reads {value!r} as text: write it with a decimal point, e.g. 1.0e+3)"
        if kind in {"model_type", "model_attributes_type", "dict_type"} and _model_at(loc) is Quantity:
            message = "expected a mapping {value: <number>, unit: <unit>, source: <text>}"
        problems.append(Problem(format_path(loc), message, _displayable(value), _line_for(loc, lines)))
    return _deduplicate(problems)


def _reads_as_number(text: str) -> bool:
    """Whether Python reads `text` as a number (YAML 1.1 reads ``1e3`` as text: no decimal point)."""
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _displayable(value: Any) -> Any:
    if isinstance(value, dict | list):
        return Problem.NO_VALUE if len(repr(value)) > 60 else value
    return value


def _deduplicate(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.path, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


# --------------------------------------------------------------------------- semantic checks


def _convert(parameter: Parameter, quantity: Quantity, loc: tuple, problems: list[Problem],
             lines: Mapping[tuple, int], site: str | None) -> Entry | None:
    path = format_path(loc)
    try:
        factor = conversion_factor(quantity.unit, parameter.unit)
    except UnitMismatch as error:
        problems.append(Problem(path + ".unit", str(error), quantity.unit, _line_for(loc + ("unit",), lines)))
        return None
    value = float(quantity.value) * factor
    line = _line_for(loc + ("value",), lines)
    shown = f"{quantity.value:g} {quantity.unit}"
    low, high = parameter.bounds
    if not math.isfinite(value):
        problems.append(Problem(path, f"expected {parameter.expected()} (conversion overflowed)", shown, line))
        return None
    if parameter.integer and abs(value - round(value)) > 1e-9:
        problems.append(Problem(path, f"expected {parameter.expected()}", shown, line))
        return None
    if not low <= value <= high:
        problems.append(Problem(path, f"out of range: expected {parameter.expected()}", shown, line))
        return None
    if parameter.integer:
        value = float(round(value))
    distribution = None
    if quantity.distribution is not None:
        distribution = _distribution(parameter, quantity, factor, value, loc, problems, lines)
        if distribution is None:
            return None
    return Entry(parameter, value, float(quantity.value), quantity.unit, quantity.source, path,
                 site, quantity.note, line, distribution)


def _distribution(parameter: Parameter, quantity: Quantity, factor: float, value: float, loc: tuple,
                  problems: list[Problem], lines: Mapping[tuple, int]) -> Distribution | None:
    """The Quantity's distribution in registry units, or None after recording its problems."""
    loc = loc + ("distribution",)
    if not parameter.samplable:
        problems.append(Problem(format_path(loc), f"is not allowed: {parameter.name} is structural (not "
                                                  "samplable); expected a fixed value", Problem.NO_VALUE,
                                _line_for(loc, lines)))
        return None
    distribution, found = parse_distribution(
        quantity.distribution.model_dump(), factor, parameter.bounds, parameter.unit,
        integer=parameter.integer, base=value)
    for sub, message, shown in found:
        key = (sub.lstrip("."),) if sub else ()
        problems.append(Problem(format_path(loc) + sub, message, shown, _line_for(loc + key, lines)))
    return distribution


def _no_distribution(quantity: Quantity, loc: tuple, problems: list[Problem], lines: Mapping[tuple, int]) -> None:
    if quantity.distribution is not None:
        loc = loc + ("distribution",)
        problems.append(Problem(format_path(loc), "is not allowed here: phases and grid capacity are the "
                                                  "case's structure; expected distributions on registered "
                                                  "parameters only", Problem.NO_VALUE, _line_for(loc, lines)))


def _default_entry(parameter: Parameter, site: str | None) -> Entry:
    assert parameter.default is not None
    return Entry(parameter, float(parameter.default), float(parameter.default), parameter.unit,
                 f"registry default: {parameter.source}", "(registry default)", site)


def _build_case(spec: Any, data: dict, problems: list[Problem], lines: Mapping[tuple, int],
                file: str | Path | None, sha256: str | None) -> Case:
    entries: dict[tuple[str, str | None], Entry] = {}
    for parameter in PARAMETERS:
        if parameter.scope != "case":
            continue
        section = getattr(spec, parameter.group)
        quantity = getattr(section, parameter.field) if section is not None else None
        loc = (parameter.group, parameter.field)
        if quantity is None:
            if parameter.required:
                problems.append(Problem(format_path(loc), f"is missing (required: {parameter.expected()})",
                                        Problem.NO_VALUE, _line_for(loc, lines)))
            else:
                entries[(parameter.name, None)] = _default_entry(parameter, None)
            continue
        entry = _convert(parameter, quantity, loc, problems, lines, None)
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
                quantity = getattr(default_section, parameter.field) if default_section is not None else None
                loc = ("site_defaults", parameter.group, parameter.field)
            if quantity is None:
                if parameter.required:
                    where = format_path(site_loc + (parameter.group, parameter.field))
                    problems.append(Problem(
                        where, f"is missing (required: {parameter.expected()}; give it in the site "
                               f"or under site_defaults.{parameter.group})",
                        Problem.NO_VALUE, _line_for(site_loc, lines)))
                else:
                    entries[(parameter.name, name)] = _default_entry(parameter, name)
                continue
            entry = _convert(parameter, quantity, loc, problems, lines, name)
            if entry is not None:
                entries[(parameter.name, name)] = entry
        phases = []
        for phase_index, phase in enumerate(site_spec.phases):
            loc = site_loc + ("phases", phase_index, "it_mw")
            _no_distribution(phase.it_mw, loc, problems, lines)
            try:
                factor = conversion_factor(phase.it_mw.unit, "MW")
            except UnitMismatch as error:
                problems.append(Problem(format_path(loc) + ".unit", str(error), phase.it_mw.unit,
                                        _line_for(loc + ("unit",), lines)))
                continue
            it_mw = float(phase.it_mw.value) * factor
            if not (0.0 < it_mw <= 1e5):
                problems.append(Problem(format_path(loc), "out of range: expected IT MW in (0, 100000] MW",
                                        f"{phase.it_mw.value:g} {phase.it_mw.unit}", _line_for(loc, lines)))
                continue
            phases.append(Phase(phase.name or f"phase {phase_index + 1}", phase.online_year, it_mw,
                                phase.it_mw.source))
        steps = []
        grid_section = site_spec.grid if site_spec.grid is not None and site_spec.grid.capacity else (
            defaults.grid if defaults is not None and defaults.grid is not None else None)
        capacity_specs = grid_section.capacity if grid_section is not None else None
        capacity_root = site_loc + ("grid", "capacity") if (
            site_spec.grid is not None and site_spec.grid.capacity) else ("site_defaults", "grid", "capacity")
        if not capacity_specs:
            problems.append(Problem(format_path(site_loc + ("grid", "capacity")),
                                    "is missing (required: a list of {from_year, capacity} steps)",
                                    Problem.NO_VALUE, _line_for(site_loc, lines)))
        for step_index, step in enumerate(capacity_specs or []):
            loc = capacity_root + (step_index, "capacity")
            _no_distribution(step.capacity, loc, problems, lines)
            try:
                factor = conversion_factor(step.capacity.unit, "MW")
            except UnitMismatch as error:
                problems.append(Problem(format_path(loc) + ".unit", str(error), step.capacity.unit,
                                        _line_for(loc + ("unit",), lines)))
                continue
            mw = float(step.capacity.value) * factor
            if not (0.0 <= mw <= 1e5):
                problems.append(Problem(format_path(loc), "out of range: expected MW in [0, 100000] MW",
                                        f"{step.capacity.value:g} {step.capacity.unit}", _line_for(loc, lines)))
                continue
            steps.append(CapacityStep(step.from_year, mw, step.capacity.source))
        sites.append(Site(name, site_spec.title or name, site_spec.location or "", tuple(phases),
                          tuple(steps)))
    uncertainty = _uncertainty(spec.uncertainty, entries, tuple(site.name for site in sites), problems, lines)
    return Case(spec.name, spec.title, spec.description or "", tuple(sites), entries,
                Path(file) if file is not None else None, sha256, data, uncertainty)


def _uncertainty(spec: Any, entries: Mapping[tuple[str, str | None], Entry], site_names: tuple[str, ...],
                 problems: list[Problem], lines: Mapping[tuple, int]) -> Uncertainty:
    """Check the ``uncertainty`` section against the case's distributions."""
    if spec is None:
        return Uncertainty()
    start = len(problems)

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, _line_for(loc, lines)))

    def distributed_sites(name: str) -> list[str | None]:
        keys = [(name, None)] + [(name, site) for site in site_names]
        return [key[1] for key in keys if key in entries and entries[key].distribution is not None]

    def resolved(names: list[str], root: tuple, *, site_level: bool) -> list[str]:
        found: list[str] = []
        for index, name in enumerate(names):
            loc = root + (index,)
            try:
                parameter = resolve(name)
            except KeyError as error:
                add(loc, str(error.args[0]), name)
                continue
            if parameter.name in found:
                add(loc, f"{parameter.name} is listed twice; expected each parameter once", name)
            elif site_level and parameter.scope != "site":
                add(loc, f"{parameter.name} is a case-level parameter (one value for the case); expected a "
                         "site-level parameter", name)
            elif not distributed_sites(parameter.name):
                add(loc, f"{parameter.name} has no distribution in this case; expected a parameter with a "
                         "`distribution`", name)
            found.append(parameter.name)
        return found

    per_site = resolved(list(spec.per_site), ("uncertainty", "per_site"), site_level=True)
    correlated: list[str] = []
    matrix: tuple[tuple[float, ...], ...] = ()
    source = ""
    block = spec.rank_correlation
    if block is not None:
        root = ("uncertainty", "rank_correlation")
        correlated = resolved(list(block.parameters), root + ("parameters",), site_level=False)
        for sub, message, shown in correlation_problems(block.matrix, block.parameters):
            problems.append(Problem(format_path(root) + sub, message, shown, _line_for(root + ("matrix",), lines)))
        matrix = tuple(tuple(float(x) for x in row) for row in block.matrix)
        source = block.source
        if len(problems) == start:
            columns = [(name, site) for name in correlated
                       for site in (distributed_sites(name) if name in per_site else [None])]
            try:
                expanded_correlation(matrix, correlated, columns)
            except ValueError as error:
                add(root + ("matrix",), str(error))
    return Uncertainty(tuple(per_site), tuple(correlated), matrix, source)


def _check_rules(case: Case, problems: list[Problem], lines: Mapping[tuple, int]) -> None:
    """Cross-field rules; each violation names the fields involved."""

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, _line_for(loc, lines)))

    if not re.match(SITE_NAME_PATTERN, case.name):
        add(("name",), "expected a case name of letters, digits, '_' or '-' starting with a letter",
            case.name)
    start, end = case.start_year, case.end_year
    if end <= start:
        add(("model", "end_year"), f"expected a year after model.start_year ({start})", end)
        return
    if end - start + 1 > MAX_HORIZON_YEARS:
        add(("model", "end_year"), f"expected a horizon of at most {MAX_HORIZON_YEARS} years: a year up to "
                                   f"{start + MAX_HORIZON_YEARS - 1} (model.start_year {start})", end)
        return
    seen: dict[str, int] = {}
    for index, site in enumerate(case.sites):
        loc = ("sites", index)
        if not re.match(SITE_NAME_PATTERN, site.name) or site.name.lower() in RESERVED_SITE_NAMES:
            add(loc + ("name",), "expected a site name of letters, digits, '_' or '-' starting with a "
                                 "letter (at most 64 characters; 'portfolio' is reserved)", site.name)
        if site.name in seen:
            add(loc + ("name",), f"duplicate site name (already used by sites[{seen[site.name]}]); "
                                 "expected unique site names", site.name)
        seen.setdefault(site.name, index)

        def value(name: str) -> float:
            return case.entries[(name, site.name)].value

        build_years = int(value("construction.build_years"))
        for phase_index, phase in enumerate(site.phases):
            ploc = loc + ("phases", phase_index, "online_year")
            if not start <= phase.online_year <= end:
                add(ploc, f"outside the model horizon: expected a year in [{start}, {end}]", phase.online_year)
            elif phase.online_year - build_years + 1 < start:
                add(ploc, f"construction ({build_years} years, construction.build_years) would start in "
                          f"{phase.online_year - build_years + 1}, before model.start_year {start}; "
                          f"expected an online year >= {start + build_years - 1}", phase.online_year)
        years = [step.from_year for step in site.grid_capacity]
        for step_index, year in enumerate(years):
            if not start - 10 <= year <= end:
                add(loc + ("grid", "capacity", step_index, "from_year"),
                    f"expected a year in [{start - 10}, {end}]", year)
        if years != sorted(years) or len(set(years)) != len(years):
            add(loc + ("grid", "capacity"), "expected capacity steps in strictly increasing from_year order",
                years)
        capacities = [step.mw for step in site.grid_capacity]
        if capacities != sorted(capacities):
            add(loc + ("grid", "capacity"), "expected grid capacity that never decreases from step to step",
                capacities)
        pue_peak = 1.0 + value("power.electrical_losses") + value("cooling.overhead_peak")
        installed = 0.0
        for phase in sorted(site.phases, key=lambda p: p.online_year):
            installed += phase.it_mw
            # Capacity must hold from this phase's online year on (later phases only add load).
            for year in range(phase.online_year, end + 1):
                needed = installed * pue_peak
                available = site.capacity_in(year)
                if needed > available * (1 + 1e-9):
                    add(loc + ("phases",),
                        f"installed IT {installed:g} MW x peak PUE {pue_peak:.3f} = {needed:,.0f} MW exceeds "
                        f"the grid capacity of {available:,.0f} MW available in {year} (grid.capacity); "
                        f"expected at most {available / pue_peak:,.0f} MW IT by then", f"{installed:g} MW IT")
                    break
        pairs = [
            ("power.idle_share", "power.active_load_share", "at most power.active_load_share"),
            ("chips.tax_life_years", "chips.refresh_years", "at most chips.refresh_years (retired "
             "accelerators must be fully depreciated for tax)"),
            ("cooling.tax_life_years", "cooling.replacement_years", "at most cooling.replacement_years"),
            ("construction.building_tax_life", "construction.building_life", "at most construction.building_life"),
            ("construction.electrical_tax_life", "construction.electrical_life",
             "at most construction.electrical_life"),
            ("grid.connection_tax_life", "grid.connection_life", "at most grid.connection_life"),
        ]
        for smaller, larger, expectation in pairs:
            if value(smaller) > value(larger):
                entry = case.entries[(smaller, site.name)]
                add(_loc_of(entry), f"expected {expectation} ({value(larger):g})", entry.value)


def _loc_of(entry: Entry) -> tuple:
    parts: list[Any] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", entry.path):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


# --------------------------------------------------------------------------- financing tranches and scenarios
# Validated objects for the `financing.tranches` and `scenarios` blocks (issue 3). The scalar
# financing inputs (cost of equity, rate shift, target DSCR) are ordinary registry parameters.

#: Asset groups a tranche may fund (their capex items are listed in tecmodel.financing.ASSET_GROUPS).
FUNDED_ASSETS = ("facility", "chips")
RESERVED_SCENARIO_NAMES = frozenset({"base"})


def _term(name: str, unit: str, bounds: tuple[float, float], description: str, *,
          integer: bool = False) -> Parameter:
    return Parameter(f"financing.tranches[].{name}", "case", unit, bounds, (bounds[0], bounds[0], bounds[1]),
                     description, "case file", integer=integer, samplable=False)


#: Terms of a tranche: unit, admissible bounds and meaning (converted like registry parameters).
TRANCHE_TERMS: dict[str, Parameter] = {
    "share": _term("share", "1", (0.0, 1.0), "Share of the funded assets' capex the tranche lends "
                   "(for a sculpted tranche: the largest share)"),
    "interest_rate": _term("interest_rate", "1/yr", (0.0, 0.5), "Interest rate (plus financing.rate_shift)"),
    "tenor": _term("tenor", "yr", (1, 50), "Years of repayment after the drawing period", integer=True),
    "grace": _term("grace", "yr", (0, 10), "Years after the first drawdown during which the loan keeps "
                   "drawing and its interest is capitalised", integer=True),
    "target_dscr": _term("target_dscr", "1", (1.0, 10.0), "DSCR a sculpted repayment is sized to"),
    "upfront_fee": _term("upfront_fee", "1", (0.0, 0.2), "Arrangement fee on the loan amount, paid at the "
                         "first drawdown"),
    "commitment_fee": _term("commitment_fee", "1/yr", (0.0, 0.1), "Fee on the undrawn commitment during the "
                            "drawing period"),
}


@dataclass(frozen=True)
class Tranche:
    """A debt tranche, terms in model units (see :mod:`tecmodel.financing` for the mechanics).

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


def _with_tranches_and_scenarios(case: Case, spec: Any, problems: list[Problem],
                                 lines: Mapping[tuple, int]) -> Case:
    tranches = _build_tranches(case, spec, problems, lines)
    scenarios = _build_scenarios(case, spec, problems, lines)
    return dataclasses.replace(case, tranches=tranches, scenarios=scenarios)


def _build_tranches(case: Case, spec: Any, problems: list[Problem], lines: Mapping[tuple, int]) -> tuple[Tranche, ...]:
    section = spec.financing
    specs = section.tranches if section is not None and section.tranches else []

    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, _line_for(loc, lines)))

    tranches: list[Tranche] = []
    seen: dict[str, int] = {}
    for index, tranche in enumerate(specs):
        loc = ("financing", "tranches", index)
        if not re.match(SITE_NAME_PATTERN, tranche.name):
            add(loc + ("name",), "expected a tranche name of letters, digits, '_' or '-' starting with a letter",
                tranche.name)
        if tranche.name in seen:
            add(loc + ("name",), f"duplicate tranche name (already used by financing.tranches[{seen[tranche.name]}])",
                tranche.name)
        seen.setdefault(tranche.name, index)
        sites = tuple(tranche.sites) if tranche.sites else case.site_names
        for position, site in enumerate(sites if tranche.sites else ()):
            if site not in case.site_names:
                add(loc + ("sites", position), f"unknown site; expected one of {list(case.site_names)}", site)
        if len(set(tranche.funds)) != len(tranche.funds):
            add(loc + ("funds",), "lists an asset group twice; expected distinct groups", list(tranche.funds))
        sculpted = tranche.repayment == "sculpted"
        if sculpted and tranche.target_dscr is None:
            add(loc + ("target_dscr",), "is missing (required for repayment: sculpted: a mapping {value, unit, source})")
        if not sculpted and tranche.target_dscr is not None:
            add(loc + ("target_dscr",), f"applies only to repayment: sculpted (this tranche is {tranche.repayment}); "
                                        "expected no target_dscr")
        if sculpted and tranche.recurring:
            add(loc + ("recurring",), "a sculpted tranche is one loan sized against the cash flow; expected "
                                      "recurring: false", True)
        values: dict[str, float] = {}
        sources: dict[str, str] = {}
        for term, parameter in TRANCHE_TERMS.items():
            quantity = getattr(tranche, term)
            if quantity is None:
                continue
            entry = _convert(parameter, quantity, loc + (term,), problems, lines, None)
            if entry is not None:
                values[term] = entry.value
                sources[term] = entry.source
        if not {"share", "interest_rate", "tenor"} <= set(values):
            continue
        tranches.append(Tranche(
            name=tranche.name, title=tranche.title or tranche.name, funds=tuple(tranche.funds), sites=sites,
            share=values["share"], interest_rate=values["interest_rate"], tenor=int(values["tenor"]),
            grace=int(values.get("grace", 0)), repayment=tranche.repayment,
            target_dscr=values.get("target_dscr"), upfront_fee=values.get("upfront_fee", 0.0),
            commitment_fee=values.get("commitment_fee", 0.0), recurring=tranche.recurring,
            sources=sources, path=format_path(loc)))
    if problems:
        return tuple(tranches)
    for site in case.site_names:
        lending = [t for t in tranches if site in t.sites]
        sculpted = [t for t in lending if t.repayment == "sculpted"]
        if len(sculpted) > 1:
            names = ", ".join(t.name for t in sculpted)
            add(("financing", "tranches"), f"site {site}: several sculpted tranches ({names}); expected at most one "
                                           "per site (it is sized against what the others leave)")
        for group in FUNDED_ASSETS:
            funding = [t for t in lending if group in t.funds]
            total = sum(t.share for t in funding)
            if total > 1.0 + 1e-12:
                parts = " + ".join(f"{t.name} {t.share:.0%}" for t in funding)
                add(_path_tuple(funding[-1].path) + ("share",),
                    f"site {site}: tranches funding {group} capex lend {parts} = {total:.0%} of it, "
                    f"{total - 1:.0%} more than the capex; expected a total debt share of at most 100 %",
                    f"{funding[-1].share:.0%}")
    return tuple(tranches)


def _path_tuple(path: str) -> tuple:
    parts: list[Any] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", path):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    return tuple(parts)


def _build_scenarios(case: Case, spec: Any, problems: list[Problem], lines: Mapping[tuple, int]) -> tuple[Scenario, ...]:
    def add(loc: tuple, message: str, value: Any = Problem.NO_VALUE) -> None:
        problems.append(Problem(format_path(loc), message, value, _line_for(loc, lines)))

    scenarios: list[Scenario] = []
    seen: dict[str, int] = {}
    for index, scenario in enumerate(spec.scenarios or []):
        loc = ("scenarios", index)
        if not re.match(SITE_NAME_PATTERN, scenario.name) or scenario.name in RESERVED_SCENARIO_NAMES:
            add(loc + ("name",), "expected a scenario name of letters, digits, '_' or '-' starting with a letter "
                                 "('base' is reserved for the case as stated)", scenario.name)
        if scenario.name in seen:
            add(loc + ("name",), f"duplicate scenario name (already used by scenarios[{seen[scenario.name]}])",
                scenario.name)
        seen.setdefault(scenario.name, index)
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
                    change = _scenario_change(case, name, quantity, kind, site,
                                              group_loc + ("overrides" if kind == "set" else "scale", name),
                                              add, problems, lines)
                    if change is not None:
                        changes.append(change)
        targets = [(c.parameter, site) for c in changes
                   for site in ((c.site,) if c.site is not None else case.site_names)]
        duplicated = sorted({f"{name} at {site}" for name, site in targets if targets.count((name, site)) > 1})
        if duplicated:
            add(loc, f"changes the same parameter twice ({', '.join(duplicated)}); expected one change each")
        if not changes and not problems:
            add(loc, "changes nothing; expected overrides, scale or sites with parameter changes")
        scenarios.append(Scenario(scenario.name, scenario.title, scenario.description or "", tuple(changes)))
    return tuple(scenarios)


def _scenario_change(case: Case, name: str, quantity: Quantity, kind: str, site: str | None, loc: tuple,
                     add, problems: list[Problem], lines: Mapping[tuple, int]) -> ScenarioChange | None:
    try:
        parameter = resolve(name)
    except KeyError as error:
        add(loc, str(error.args[0]))
        return None
    if not parameter.samplable:
        add(loc, f"{parameter.name} is structural and cannot vary by scenario; expected a samplable parameter")
        return None
    if site is not None and parameter.scope == "case":
        add(loc, f"{parameter.name} is a case-level parameter; give it under the scenario's overrides/scale, "
                 "not under sites")
        return None
    if kind == "set":
        entry = _convert(parameter, quantity, loc, problems, lines, site)
        if entry is None:
            return None
        return ScenarioChange(parameter.name, site, "set", entry.value, quantity.source, format_path(loc))
    try:
        factor = float(quantity.value) * conversion_factor(quantity.unit, "1")
    except UnitMismatch as error:
        add(loc + ("unit",), str(error), quantity.unit)
        return None
    shown = f"{quantity.value:g} {quantity.unit}"
    if not (math.isfinite(factor) and factor >= 0):
        add(loc, "expected a non-negative factor (e.g. 60 %)", shown)
        return None
    sites = (None,) if parameter.scope == "case" else ((site,) if site is not None else case.site_names)
    low, high = parameter.bounds
    for target in sites:
        scaled = case.entries[(parameter.name, target)].value * factor
        integral = not parameter.integer or abs(scaled - round(scaled)) <= 1e-9
        if not (low <= scaled <= high and integral):
            where = f" at {target}" if target else ""
            add(loc, f"scales {parameter.name}{where} to {scaled:g} {parameter.unit}: expected {parameter.expected()}",
                shown)
            return None
    return ScenarioChange(parameter.name, site, "scale", factor, quantity.source, format_path(loc))


__all__ = ["Case", "Entry", "Phase", "CapacityStep", "Site", "load_case", "case_from_data",
           "read_yaml", "format_path", "REGISTRY", "Tranche", "Scenario", "ScenarioChange", "TRANCHE_TERMS"]
