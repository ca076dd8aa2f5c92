"""pandas tables for notebooks and the terminal: a case's inputs, scenarios and comparisons.

This module owns the tabular views: one row per parameter value of a validated
:class:`~tecmodel.inputs.case.Case` with its unit, the value as the case file states it, its
distribution and its source (:func:`inputs_table`); the headline metrics of named scenarios and
of cases side by side, as display strings (:func:`scenario_table`, :func:`comparison_table`).
They are views, never a source of numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.analysis.scenarios import differences
from tecmodel.inputs.case import Case
from tecmodel.inputs.registry import ALIASES, PARAMETERS
from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.outputs import HEADLINE_METRICS
from tecmodel.model.tables import readable_number
from tecmodel.report.text import display_unit, format_value

#: Significant figures of the values of :func:`inputs_table` (the float noise of unit
#: conversion, 0.7000000000000001, is dropped; the values stay exact to a part in 10^12).
INPUT_DIGITS = 12
#: Columns of :func:`inputs_table`, in order.
INPUT_COLUMNS: tuple[str, ...] = (
    "parameter",
    "alias",
    "site",
    "value",
    "unit",
    "stated",
    "distribution",
    "source",
    "location",
    "description",
)


def inputs_table(case: Case) -> pd.DataFrame:
    """Every parameter value of a case with its unit, distribution and source.

    Parameters
    ----------
    case : Case
        From :func:`tecmodel.load_case`.

    Returns
    -------
    pandas.DataFrame
        One row per case-level parameter and one per site for a site-level parameter, in
        registry order, with the columns of :data:`INPUT_COLUMNS`: ``parameter`` (registry
        name), ``alias`` (``energy_price``, ``utilisation``, ``chip_cost`` or empty), ``site``
        (empty for a case-level parameter), ``value`` (what the model uses, in ``unit``, the
        registry unit; an int when whole), ``stated`` (value and unit as written in the case file), ``distribution``
        (its description in the registry unit, empty when the value is fixed), ``source``,
        ``location`` (field path and line in the case file, or ``(registry default)``) and
        ``description`` (what the parameter means).

    Examples
    --------
    >>> table = tecmodel.inputs_table(case)                          # doctest: +SKIP
    >>> table[table.alias != ""][["site", "value", "unit", "source"]]  # doctest: +SKIP
    """
    aliases = {target: alias for alias, target in ALIASES.items()}
    rows = []
    for parameter in PARAMETERS:
        sites = case.site_names if parameter.scope == "site" else (None,)
        for site in sites:
            entry = case.entries[(parameter.name, site)]
            location = entry.path if entry.line is None else f"{entry.path} (line {entry.line})"
            rows.append(
                {
                    "parameter": parameter.name,
                    "alias": aliases.get(parameter.name, ""),
                    "site": site or "",
                    "value": readable_number(float(entry.value), digits=INPUT_DIGITS),
                    "unit": parameter.unit,
                    "stated": f"{entry.stated_value:g} {entry.stated_unit}",
                    "distribution": entry.distribution.describe(parameter.unit)
                    if entry.distribution
                    else "",
                    "source": entry.source,
                    "location": location,
                    "description": parameter.description,
                }
            )
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS), dtype=object)


__all__ = ["INPUT_COLUMNS", "inputs_table"]


def scenario_table(
    result, site: str = PORTFOLIO, metrics: Sequence[str] = HEADLINE_METRICS
) -> pd.DataFrame:
    """Headline metrics of a scenario result as display strings: rows metrics, columns scenarios
    (each non-base scenario followed by its difference from the base)."""
    if "scenario" not in result.metrics.dims:
        raise ValueError("scenario_table() needs a result of evaluate_scenarios()")
    values = (
        join_portfolio(result.metrics, result.portfolio)
        .drop_dims("generation", errors="ignore")
        .sel(site=site, drop=True)
        .rename(scenario="case")
    )
    table = differences(values, reference=values["case"].values[0])
    return comparison_table(table, metrics=metrics, absolute=False)


def comparison_table(
    table: xr.Dataset, metrics: Sequence[str] = HEADLINE_METRICS, *, absolute: bool = True
) -> pd.DataFrame:
    """A comparison (or scenario) dataset as display strings.

    Rows: metrics with display units; columns: the reference case, then each other case with
    ``Δ`` (absolute difference, if `absolute`) and ``Δ%`` (relative difference) columns.
    """
    extra = [dim for dim in table.dims if dim != "case"]
    if extra:
        raise ValueError(
            f"comparison_table() needs deterministic results; these vary along {extra}"
        )
    reference = table.attrs["reference"]
    cases = list(table["case"].values)
    columns: dict[str, list[str]] = {}
    labels = []
    shown = [name for name in metrics if name in table.data_vars]
    for name in shown:
        unit = display_unit(name)
        labels.append(f"{name} [{unit}]" if unit else name)
    for case in cases:
        columns[case] = [format_value(float(table[name].sel(case=case)), name) for name in shown]
        if case == reference:
            continue
        if absolute:
            columns[f"Δ {case}"] = [
                _signed(format_value(float(table[f"{name}_difference"].sel(case=case)), name))
                for name in shown
            ]
        columns[f"Δ% {case}"] = [
            _percent(float(table[f"{name}_relative_difference"].sel(case=case)))
            if f"{name}_relative_difference" in table
            else "-"
            for name in shown
        ]
    return pd.DataFrame(columns, index=labels)


def _signed(text: str) -> str:
    return text if text.startswith(("-", "+")) or text == "-" else f"+{text}"


def _percent(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:+.1%}"
