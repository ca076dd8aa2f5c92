"""What the sensitivity analyses share: their factors, groups and metrics.

This module owns how a sensitivity analysis names what it moves and what it reads. A factor is
a registered parameter or an alias (``energy_price``, ``utilisation``, ``chip_cost``), made into
columns of uniforms by :func:`tecmodel.analysis.sampling.factor_columns` (``name@site`` moves
one site only). Groups (``{"power": ["energy_price", "power.contract_price"]}``) make several
factors one player; ungrouped factors keep their own. Metrics are the variables of
:attr:`tecmodel.model.evaluation.Result.metrics` declared in :data:`tecmodel.model.outputs.METRICS`,
read per site and for the portfolio.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import xarray as xr

from tecmodel.analysis.sampling import Column
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.inputs.registry import resolve
from tecmodel.model.evaluation import Result
from tecmodel.model.generations import GENERATION_METRICS
from tecmodel.model.metrics import join_portfolio
from tecmodel.model.outputs import METRICS

DEFAULT_FACTORS: tuple[str, ...] = ("energy_price", "utilisation", "chip_cost")
DEFAULT_METRICS: tuple[str, ...] = ("npv", "irr", "lcoc")


def check_metrics(metrics: Sequence[str]) -> list[str]:
    """Names of :data:`tecmodel.model.outputs.METRICS` over sites (not status flags, not the
    per-generation metrics), else InputError."""
    metrics = list(metrics)
    if not metrics:
        raise InputError(Problem("metrics", "expected at least one metric", metrics))

    def admissible(name: str) -> bool:
        return name in METRICS and not name.endswith("_status") and name not in GENERATION_METRICS

    for index, name in enumerate(metrics):
        if not admissible(name):
            known = ", ".join(m for m in METRICS if admissible(m))
            raise InputError(Problem(f"metrics[{index}]", f"expected one of {known}", name))
    return metrics


def group_members(
    factors: Sequence[str] | None,
    groups: Mapping[str, Sequence[str]] | None,
) -> Sequence[str]:
    """The factors, or with none given the groups' members in order."""
    if factors is not None:
        return factors
    if not groups:
        raise InputError(Problem("factors", "expected factors (or groups)", factors))
    return [member for members in groups.values() for member in members]


def grouping(
    columns: Sequence[Column],
    factors: Sequence[str],
    groups: Mapping[str, Sequence[str]] | None,
    fallback: Sequence[str] | None = None,
) -> list[str] | None:
    """Group name of each column (None without groups and fallback).

    A member names a factor as it was given (``chip_cost``), or its parameter by another name
    (``chips.unit_price``), and takes every column of it (``chip_cost@site`` too); a member
    ``name@site`` takes that site's column only.

    Parameters
    ----------
    columns : sequence of Column
    factors : sequence of str
        The factors as given (for messages).
    groups : mapping of str to sequence of str, optional
        Group name -> members.
    fallback : sequence of str, optional
        Name of each column outside every group (default: its label).

    Raises
    ------
    InputError
        For an empty group, a member that is not one of the factors, a factor in two groups, or
        a group named like an ungrouped factor.
    """
    names = [column.label for column in columns] if fallback is None else list(fallback)
    if not groups:
        return None if fallback is None else names
    assignment: dict[int, str] = {}
    for group, members in groups.items():
        path = f"groups[{group!r}]"
        if isinstance(members, str) or not members:
            raise InputError(Problem(path, "expected a non-empty list of factors", members))
        for member in members:
            matched = [i for i, column in enumerate(columns) if _is_member(str(member), column)]
            if not matched:
                raise InputError(
                    Problem(
                        path,
                        f"{member!r} is not one of the factors {list(factors)}; expected factors "
                        "listed in factors",
                        member,
                    )
                )
            for index in matched:
                if index in assignment and assignment[index] != group:
                    raise InputError(
                        Problem(
                            path,
                            f"{member!r} is already in group {assignment[index]!r}; expected "
                            "each factor in one group",
                            member,
                        )
                    )
                assignment[index] = group
    clash = set(groups).intersection(name for i, name in enumerate(names) if i not in assignment)
    if clash:
        raise InputError(
            Problem(
                "groups",
                f"group name(s) {sorted(clash)} equal an ungrouped factor's name; expected "
                "distinct names",
                sorted(clash),
            )
        )
    return [assignment.get(i, name) for i, name in enumerate(names)]


def _is_member(member: str, column: Column) -> bool:
    """A group member names the column: its label, the label's factor, or its parameter."""
    if column.label == member or column.label.startswith(f"{member}@"):
        return True
    name, _, site = member.partition("@")
    try:
        parameter = resolve(name)
    except KeyError:
        return False
    if parameter.name != column.parameter.name:
        return False
    return not site or column.sites == (site,)


def describe(columns: Sequence[Column], groups: Sequence[str] | None) -> list[dict]:
    """Each column's factor, group, parameter, sites and distributions (for a dataset's attrs)."""
    described = []
    for index, column in enumerate(columns):
        described.append(
            {
                "factor": column.label,
                "group": groups[index] if groups else column.label,
                "parameter": column.parameter.name,
                "sites": list(column.sites),
                "distributions": [d.describe(column.parameter.unit) for d in column.distributions],
            }
        )
    return described


def sample_first(array: xr.DataArray, dims: Sequence[str], rows: int) -> np.ndarray:
    """Values of `array` as ``(sample, *dims)``, repeated along ``sample`` if it does not vary."""
    if "sample" not in array.dims:
        array = array.expand_dims(sample=rows)
    return array.transpose("sample", *dims).values


def metric_values(result: Result, metrics: Sequence[str], rows: int) -> np.ndarray:
    """The metrics of an evaluation over samples as (sample, metric, site), portfolio last."""
    joined = join_portfolio(result.metrics[list(metrics)], result.portfolio[list(metrics)])
    return np.stack([sample_first(joined[name], ("site",), rows) for name in metrics], axis=1)


#: The value of `factors` that takes every distributed input of the case.
ALL = "all"
#: Named groups of the inputs for ``factors="all"`` (Sobol'): a parameter belongs to the first
#: group whose prefixes it starts with; one index per group, so the model runs grow with the
#: number of groups, not of inputs. Parameters outside every prefix form "operations and other".
NAMED_GROUPS: dict[str, tuple[str, ...]] = {
    "energy, all-in": ("power.", "cooling.overhead_"),
    "delivery": ("construction.", "timeline.", "grid.", "cooling.capex", "revenue.ramp_"),
    "compute prices and hardware": (
        "chips.",
        "revenue.",
        "fx.",
        "markets.",
        "operations.it_",
        "terminal.chip_",
    ),
}
OTHER_GROUP = "operations and other"


def named_groups(
    parameters: Sequence[str], grouped_as: Mapping[str, str] | None = None
) -> dict[str, list[str]]:
    """The parameters in the named groups of :data:`NAMED_GROUPS` (empty groups left out).

    Parameters
    ----------
    parameters : sequence of str
        Registry names (or process parameters), in the order the groups list them.
    grouped_as : mapping of str to str, optional
        A registry name whose group a parameter joins (:func:`process_groups_as`: a process
        parameter joins the group of the quantity the process drives).

    Returns
    -------
    dict of str to list of str
        Group name -> its parameters.
    """
    groups: dict[str, list[str]] = {name: [] for name in (*NAMED_GROUPS, OTHER_GROUP)}
    grouped_as = grouped_as or {}
    for parameter in parameters:
        key = grouped_as.get(parameter, parameter)
        group = next(
            (name for name, prefixes in NAMED_GROUPS.items() if key.startswith(prefixes)),
            OTHER_GROUP,
        )
        groups[group].append(parameter)
    return {name: members for name, members in groups.items() if members}


def process_groups_as(case: Case, names: Sequence[str]) -> dict[str, str]:
    """Process parameter -> the registry name of the first quantity its process drives."""
    driven: dict[str, str] = {}
    for binding in case.markets.bindings:
        driven.setdefault(binding.process, binding.parameter)
    return {
        name: driven[name.partition(".")[0]] for name in names if name.partition(".")[0] in driven
    }
