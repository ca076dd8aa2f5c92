"""A case's parameters as one labelled dataset, with overrides.

This module owns the step ``Case -> xarray.Dataset`` that every evaluation starts from: one
variable per registered parameter (dotted name), scalar for case-level parameters and over
``site`` for site-level ones, in registry units. A parameter that follows a price process of the
case (``drives``) holds the process's central path over ``year`` (the case's model years).
Overrides replace values and may add dimensions: a Monte Carlo or Sobol run overrides the sampled
parameters with arrays over ``sample``, a scenario table with arrays over ``scenario``, and a
yearly parameter (:attr:`~tecmodel.inputs.registry.Parameter.yearly`) may be given a path over
``year`` (simulated paths: ``year`` and ``sample``). Because every component broadcasts, that is
the only difference between a deterministic and an uncertain run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.inputs.registry import (
    PARAMETERS,
    REGISTRY,
    Parameter,
    resolve,
    unknown_parameter_message,
)
from tecmodel.inputs.rules import RULE_PARAMETERS, check_rules

#: Dimensions an override may not carry: they belong to the model's own arrays.
RESERVED_DIMS = frozenset({"year", "phase", "item", "asset_class", "metric", "factor"})
#: Parameters only the case file sets: the horizon is the ``year`` dimension, built from the case.
CASE_FILE_ONLY = frozenset({"model.start_year", "model.end_year"})


def parameter_dataset(case: Case, overrides: Mapping[str, Any] | None = None) -> xr.Dataset:
    """Parameters of a case as an ``xarray.Dataset``.

    Parameters
    ----------
    case : Case
        A validated case.
    overrides : mapping, optional
        ``{name: value}`` with ``name`` a dotted parameter name or alias and ``value`` in the
        registry unit: a number (every site), a ``{site: number}`` mapping, or a
        ``xarray.DataArray`` whose dims may include ``site`` and any new dimension such as
        ``sample`` or ``scenario``.

    Returns
    -------
    xarray.Dataset
        One variable per registered parameter, with ``units`` and ``long_name`` attributes;
        coordinate ``site``.

    Raises
    ------
    InputError
        For an unknown name, a value outside the parameter's bounds, non-finite or non-integer
        where a whole number is required, or a structural parameter given a sample dimension.
    """
    sites = list(case.site_names)
    # The case's values as plain Variables (the dataset gives them the ``site`` coordinate once);
    # an override is a DataArray, whose own coordinates (``sample``, ``scenario`` ...) it keeps.
    variables: dict[str, xr.Variable | xr.DataArray] = {}
    years = list(case.years)
    for parameter in PARAMETERS:
        if case.markets.binding(parameter.name) is not None:
            path = case.markets.path(parameter.name, years)
            variables[parameter.name] = (
                xr.Variable("year", path)
                if parameter.scope == "case"
                else xr.Variable(("year", "site"), np.repeat(path[:, None], len(sites), axis=1))
            )
        elif parameter.scope == "case":
            variables[parameter.name] = xr.Variable(
                (), float(case.entries[(parameter.name, None)].value)
            )
        else:
            variables[parameter.name] = xr.Variable(
                "site",
                np.array(
                    [case.entries[(parameter.name, site)].value for site in sites], dtype=float
                ),
            )
    central = {p.name: variables[p.name] for p in PARAMETERS if p.yearly}
    given_names: dict[str, str] = {}
    for name, value in (overrides or {}).items():
        parameter = _resolve_override(name)
        given_names[parameter.name] = name
        base = variables[parameter.name]
        if isinstance(base, xr.Variable):
            coords = {dim: {"site": sites, "year": years}[dim] for dim in base.dims}
            base = xr.DataArray(base, coords=coords)
        array = _override_array(parameter, value, base, sites, name, years)
        if parameter.name in CASE_FILE_ONLY and not bool((array == base).all()):
            raise InputError(
                Problem(
                    f"overrides[{name!r}]",
                    "sets the model horizon, which only the case file's "
                    f"model section can change; expected the case's {base.item():g}",
                    value,
                )
            )
        variables[parameter.name] = array
    _check_override_rules(case, variables, given_names, sites)
    coords: dict[str, Any] = {"site": sites}
    if any("year" in variable.dims for variable in [*variables.values(), *central.values()]):
        coords["year"] = years
    dataset = xr.Dataset(
        variables,
        coords=coords,
        # The horizon method is structural (one per case): the model branches on it once.
        attrs={
            "terminal_method": case.terminal.method,
            "terminal_basis": case.terminal.basis or "",
        },
    )
    for parameter in PARAMETERS:
        dataset.variables[parameter.name].attrs.update(
            units=parameter.unit, long_name=parameter.description
        )
        if parameter.yearly:
            # The case's own value (its central path where a process drives it), which
            # overrides and sampled paths leave alone: the prices a case states are those of the
            # central path in their reference year, so a sample's path is read against it.
            dataset[central_name(parameter.name)] = xr.DataArray(
                central[parameter.name], coords={d: coords[d] for d in central[parameter.name].dims}
            ).assign_attrs(
                units=parameter.unit,
                long_name=f"{parameter.description} (the case's central value)",
            )
    return dataset


def central_name(name: str) -> str:
    """Name, in the parameter dataset, of the case's own (central) value of a yearly parameter.

    >>> central_name("markets.compute_price")
    'markets.compute_price@central'
    """
    return f"{name}@central"


def _check_override_rules(
    case: Case, variables: Mapping[str, Any], given_names: Mapping[str, str], sites: list[str]
) -> None:
    """Refuse overrides that break a cross-field rule of the case (:mod:`tecmodel.inputs.rules`).

    The rules a case file must keep hold for every value the model is evaluated at: a scenario,
    a solver's trial, every sampled draw (each element of an array is checked). A draw that
    breaks one stops the evaluation with an error naming the override and the rule: a case's
    distributions must keep the rules over their whole support.
    """
    checked = [name for name in given_names if name in RULE_PARAMETERS]
    if not checked:
        return
    values: dict[tuple[str, str | None], Any] = {}
    for name in checked:
        array = variables[name]
        if REGISTRY[name].scope == "case":
            values[(name, None)] = array if array.ndim else float(array)
            continue
        for site in sites:
            one = array.sel(site=site, drop=True)
            values[(name, site)] = one if one.ndim else float(one)
    problems = check_rules(case, values=values)
    if problems:
        raise InputError(
            [
                Problem(
                    f"overrides[{_involved(problem, checked, given_names)}]",
                    "would break a cross-field rule of the case, as a case file would: "
                    f"{_stated(problem)}{problem.message}",
                    Problem.NO_VALUE,
                )
                for problem in problems
            ],
            case.file,
        )


def _involved(problem: Problem, checked: list[str], given_names: Mapping[str, str]) -> str:
    """The overrides a rule's problem names (all the checked ones if it names none)."""
    text = f"{problem.path} {problem.message}"
    named = [name for name in checked if name in text or name.split(".", 1)[1] in problem.path]
    return ", ".join(repr(given_names[name]) for name in (named or checked))


def _stated(problem: Problem) -> str:
    """``field = value: `` of a rule's problem, as a case file's problem reads."""
    if problem.value is Problem.NO_VALUE or problem.value is None:
        return f"{problem.path}: "
    return f"{problem.path} = {problem.value}: "


def _resolve_override(name: str) -> Parameter:
    try:
        return resolve(name)
    except KeyError:
        raise InputError(
            Problem(f"overrides[{name!r}]", unknown_parameter_message(name), Problem.NO_VALUE)
        ) from None


def _override_array(
    parameter: Parameter,
    value: Any,
    base: xr.DataArray,
    sites: list[str],
    given_name: str,
    years: list[int],
) -> xr.DataArray:
    path = f"overrides[{given_name!r}]"
    if isinstance(value, Mapping):
        if parameter.scope == "case":
            raise InputError(
                Problem(
                    path,
                    "is a case-level parameter: expected one number, not a mapping per site",
                    dict(value),
                )
            )
        unknown = set(value) - set(sites)
        if unknown:
            raise InputError(
                Problem(
                    path,
                    f"unknown site(s) {sorted(unknown)}; expected some of {sites}",
                    Problem.NO_VALUE,
                )
            )
        array = base.astype(float, copy=True)
        for site, number in value.items():
            array.loc[{"site": site}] = float(number)
    elif isinstance(value, xr.DataArray):
        array = value.astype(float)
        reserved = RESERVED_DIMS.intersection(array.dims) - (
            {"year"} if parameter.yearly else set()
        )
        if reserved:
            why = " (it does not vary by year)" if "year" in reserved else ""
            raise InputError(
                Problem(path, f"may not vary along {sorted(reserved)}{why}", Problem.NO_VALUE)
            )
        if "year" in array.dims:
            given = np.asarray(array["year"]).tolist() if "year" in array.coords else None
            if given != years:
                raise InputError(
                    Problem(
                        path,
                        "expected a path over every model year "
                        f"{years[0]}-{years[-1]} as the `year` coordinate, "
                        "in order",
                        given,
                    )
                )
        if "site" in array.dims:
            if parameter.scope == "case":
                raise InputError(
                    Problem(
                        path,
                        "is a case-level parameter: expected no 'site' dimension",
                        Problem.NO_VALUE,
                    )
                )
            missing = (
                set(sites) - set(np.asarray(array["site"]).tolist())
                if "site" in array.coords
                else set()
            )
            if missing or "site" not in array.coords:
                raise InputError(
                    Problem(path, f"expected values for every site {sites}", Problem.NO_VALUE)
                )
            array = array.sel(site=sites)
        elif parameter.scope == "site":
            array = array.expand_dims(site=sites)
        new_dims = [dim for dim in array.dims if dim != "site"]
        if new_dims and not parameter.samplable:
            raise InputError(
                Problem(
                    path,
                    f"is structural and cannot vary along {new_dims}; expected "
                    "one value (per site)",
                    Problem.NO_VALUE,
                )
            )
        leading = ["site"] if "site" in array.dims else []
        array = array.transpose(*leading, ...)
    else:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise InputError(
                Problem(path, f"expected a number in {parameter.unit}", value)
            ) from None
        array = xr.full_like(base, number, dtype=float)
    _check_values(parameter, array, path)
    return array


def _check_values(parameter: Parameter, array: xr.DataArray, path: str) -> None:
    values = np.asarray(array.values, dtype=float)
    low, high = parameter.bounds
    bad = ~np.isfinite(values) | (values < low) | (values > high)
    if parameter.integer:
        with np.errstate(invalid="ignore"):
            bad |= np.abs(values - np.round(values)) > 1e-9
    if bad.any():
        offending = values[bad].ravel()[0]
        count = int(bad.sum())
        suffix = f" ({count} of {values.size} values)" if values.size > 1 else ""
        raise InputError(Problem(path, f"expected {parameter.expected()}{suffix}", offending))


def registry_units() -> dict[str, str]:
    """Registry unit of every parameter (used to label exported datasets)."""
    return {name: parameter.unit for name, parameter in REGISTRY.items()}
