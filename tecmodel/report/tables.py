"""pandas tables of a case's inputs, for notebooks and reports.

This module owns the tabular view of a validated :class:`~tecmodel.inputs.Case`: one row per
parameter value with its unit, the value as the case file states it, its distribution and its
source. It is a view of the case object the model reads, never a source of numbers.
"""

from __future__ import annotations

import pandas as pd

from tecmodel.inputs.case import Case
from tecmodel.inputs.registry import ALIASES, PARAMETERS

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
        registry unit), ``stated`` (value and unit as written in the case file), ``distribution``
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
                    "value": float(entry.value),
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
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS))


__all__ = ["INPUT_COLUMNS", "inputs_table"]
