"""Scenario tables: named what-if scenarios of a case, and cases side by side.

This module owns two views that put results next to each other:

- **Named scenarios** (a case file's ``scenarios:`` block, validated into
  :class:`tecmodel.inputs.Scenario`): each is a set of parameter changes (absolute values or
  factors on the case's values, for every site or one). :func:`evaluate_scenarios` turns them
  into overrides along a ``scenario`` dimension (the case as stated first, labelled ``base``)
  and evaluates them all in ONE vectorised call of :func:`tecmodel.evaluate`, the same code path
  as a deterministic or Monte Carlo run. :func:`tecmodel.report.tables.scenario_table` tabulates the headline metrics.
- **Case comparison**: :func:`compare` evaluates several cases and returns their metrics as an
  ``xarray.Dataset`` over a ``case`` dimension with absolute and relative differences from a
  reference case (the first); :func:`tecmodel.report.tables.comparison_table` is its terminal view.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case, load_case
from tecmodel.inputs.registry import resolve
from tecmodel.inputs.terms import Scenario
from tecmodel.model.evaluation import Result, evaluate
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import STATUS_METRICS

BASE = "base"


# --------------------------------------------------------------------------- named scenarios


def select_scenarios(case: Case, names: Sequence[str] | None = None) -> tuple[Scenario, ...]:
    """The case's scenarios, all or those named (in the order given).

    Raises
    ------
    InputError
        For a name the case does not define.
    """
    if names is None:
        return case.scenarios
    known = {scenario.name: scenario for scenario in case.scenarios}
    unknown = [name for name in names if name not in known]
    if unknown:
        listing = ", ".join(known) or "none"
        raise InputError(
            Problem(
                "scenarios",
                f"unknown scenario(s) {unknown}; case {case.name!r} defines: {listing}",
                Problem.NO_VALUE,
            ),
            case.file,
        )
    return tuple(known[name] for name in names)


def scenario_overrides(
    case: Case, names: Sequence[str] | None = None, *, include_base: bool = True
) -> dict[str, xr.DataArray]:
    """Overrides that put the scenarios along a ``scenario`` dimension.

    Parameters
    ----------
    case : Case
    names : sequence of str, optional
        Scenarios to include (default: all the case defines).
    include_base : bool
        Put the case as stated first, labelled ``"base"``.

    Returns
    -------
    dict of str to xarray.DataArray
        One array per changed parameter, dims (scenario[, site]), in the registry unit; the
        case's value where a scenario leaves the parameter alone.
    """
    scenarios = select_scenarios(case, names)
    labels = ([BASE] if include_base else []) + [scenario.name for scenario in scenarios]
    rows: list[Scenario | None] = ([None] if include_base else []) + list(scenarios)
    touched = list(
        dict.fromkeys(change.parameter for scenario in scenarios for change in scenario.changes)
    )
    overrides: dict[str, xr.DataArray] = {}
    for name in touched:
        # The case's value: a number, per site, or (for a quantity that follows a process) its
        # central path over year; a `set` change replaces it by one level in every year, a
        # `scale` change multiplies it.
        base = case.value(name)
        base = base.astype(float) if isinstance(base, xr.DataArray) else xr.DataArray(float(base))
        values = []
        for scenario in rows:
            value = base.copy()
            for change in scenario.changes if scenario is not None else ():
                if change.parameter != name:
                    continue
                if change.site is None:
                    value = (
                        xr.full_like(value, change.value)
                        if change.kind == "set"
                        else value * change.value
                    )
                else:
                    where = {"site": change.site}
                    value.loc[where] = (
                        change.value if change.kind == "set" else value.loc[where] * change.value
                    )
            values.append(value)
        overrides[name] = xr.concat(values, dim="scenario").assign_coords(scenario=labels)
    return overrides


def evaluate_scenarios(
    case: Case,
    names: Sequence[str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
    include_base: bool = True,
    generations: bool = True,
):
    """Evaluate the case and its named scenarios in one vectorised run.

    Parameters
    ----------
    case : Case
    names : sequence of str, optional
        Scenarios to evaluate (default: all the case defines).
    overrides : mapping, optional
        Further overrides applied to every scenario (e.g. arrays over ``sample``); a parameter
        may not be both here and in a scenario.
    include_base : bool
        Include the case as stated, labelled ``"base"``.
    generations : bool
        Compute the per-generation metrics (:func:`tecmodel.model.evaluation.evaluate`).

    Returns
    -------
    Result
        Every array carries a ``scenario`` dimension (coordinate ``scenario_title`` on the
        metrics).

    Raises
    ------
    InputError
        For an unknown scenario, a case without scenarios, or a parameter both overridden and
        changed by a scenario.
    """
    scenarios = select_scenarios(case, names)
    if not scenarios and not include_base:
        raise InputError(
            Problem(
                "scenarios",
                "no scenario to evaluate (expected a `scenarios:` block in the case file)",
                Problem.NO_VALUE,
            ),
            case.file,
        )
    changes = scenario_overrides(case, names, include_base=include_base)
    if not changes:  # no scenario: a scenario dimension of the base alone
        changes = {
            "finance.discount_rate": xr.DataArray(
                [case.value("finance.discount_rate")], dims="scenario", coords={"scenario": [BASE]}
            )
        }
    extra = dict(overrides or {})
    clash = sorted({resolve(name).name for name in extra} & set(changes)) if extra else []
    if clash:
        raise InputError(
            Problem(
                "overrides",
                f"{clash} are also changed by a scenario; expected each parameter in one place",
                Problem.NO_VALUE,
            )
        )
    result = evaluate(case, {**changes, **extra}, generations=generations)
    titles = {scenario.name: scenario.title for scenario in scenarios}
    labels = list(result.metrics["scenario"].values)
    title = ("scenario", [titles.get(label, "The case as stated") for label in labels])

    def over_scenarios(metrics: xr.Dataset) -> xr.Dataset:
        # Metrics no scenario changes (e.g. capex under an energy shock) get the dimension too.
        metrics = metrics.copy()
        for name, variable in metrics.data_vars.items():
            if "scenario" not in variable.dims:
                metrics[name] = variable.expand_dims(scenario=labels).transpose(
                    *variable.dims, "scenario"
                )
        return metrics.assign_coords(scenario_title=title)

    return replace(
        result,
        metrics=over_scenarios(result.metrics),
        portfolio=over_scenarios(result.portfolio),
    )


# --------------------------------------------------------------------------- cases side by side


def _as_result(item):
    if isinstance(item, Result):
        return item
    if isinstance(item, Case):
        return evaluate(item)
    if isinstance(item, str | Path):
        return evaluate(load_case(item))
    raise TypeError(f"compare() takes cases, results or case-file paths, not {type(item).__name__}")


def compare(*cases, site: str = PORTFOLIO, reference: str | None = None) -> xr.Dataset:
    """Cases side by side, with absolute and relative differences from a reference case.

    Parameters
    ----------
    *cases : Case, Result or path
        At least two; cases and paths are evaluated deterministically.
    site : str
        The site compared (default the portfolio, which every case has).
    reference : str, optional
        Name of the reference case (default the first).

    Returns
    -------
    xarray.Dataset
        Over ``case`` (and any extra dims the results share): every metric but the
        per-generation ones (its units),
        ``<metric>_difference`` (same units: case - reference) and
        ``<metric>_relative_difference`` [1] (``difference / |reference|``; NaN where the reference
        is 0). Status codes get no differences, calendar years no relative difference.

    Raises
    ------
    InputError
        For fewer than two cases, duplicate case names, an unknown site or reference.

    Examples
    --------
    >>> table = tecmodel.compare("inputs/base_10b.yaml", "inputs/doubled_20b.yaml")  # doctest: +SKIP
    >>> float(table.npv_difference.sel(case="doubled_20b"))                          # doctest: +SKIP
    """
    if len(cases) < 2:
        raise InputError("compare needs at least two cases (expected CASE CASE ...)")
    results = [_as_result(item) for item in cases]
    names = [result.case.name for result in results]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise InputError(
            f"several cases are named {duplicates}; expected distinct case names to compare"
        )
    rows = []
    for result in results:
        available = [*result.metrics["site"].values, PORTFOLIO]
        if site not in available:
            raise InputError(
                Problem(
                    "--site",
                    f"case {result.case.name!r} has no site {site!r}; expected one of {available}",
                    site,
                )
            )
        # The per-generation metrics are left out: cases need not buy as many generations.
        metrics = (
            result.portfolio if site == PORTFOLIO else result.metrics.sel(site=site, drop=True)
        )
        rows.append(metrics.drop_dims("generation", errors="ignore"))
    values = xr.concat(rows, dim=pd.Index(names, name="case"), coords="minimal", compat="override")
    reference = names[0] if reference is None else reference
    if reference not in names:
        raise InputError(
            Problem("reference", f"expected one of the compared cases {names}", reference)
        )
    table = differences(values, reference)
    table.attrs.update(site=site, titles=" | ".join(result.case.title for result in results))
    return table


def differences(values: xr.Dataset, reference: str) -> xr.Dataset:
    table = values.copy()
    base = values.sel(case=reference)
    for name in list(values.data_vars):
        if name in STATUS_METRICS:
            continue
        units = values[name].attrs.get("units", "")
        difference = values[name] - base[name]
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = xr.where(base[name] != 0, difference / abs(base[name]), np.nan)
        difference.attrs = {"units": units, "long_name": f"Difference from {reference}: {name}"}
        relative.attrs = {
            "units": "1",
            "long_name": f"Relative difference from {reference}: {name}",
        }
        table[f"{name}_difference"] = difference.transpose(*values[name].dims)
        if units != "year":  # a calendar year has no meaningful relative change
            table[f"{name}_relative_difference"] = relative.transpose(*values[name].dims)
    table.attrs["reference"] = reference
    return table
