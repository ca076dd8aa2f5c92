"""Conversion of one stated quantity into its parameter's registry unit, with its checks.

This module owns what makes one stated number admissible for a parameter: its unit converts to
the parameter's registry unit, the converted value is finite, inside the parameter's bounds and
whole where the parameter counts something, and its distribution (if any) is allowed (samplable
parameters only) and valid (:mod:`tecmodel.inputs.distributions`). It serves the registered
parameters of a case (:mod:`tecmodel.inputs.case`) as well as the terms of a debt tranche and a
scenario's absolute values (:mod:`tecmodel.inputs.terms`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from tecmodel.errors import Problem
from tecmodel.inputs.distributions import Distribution, parse_distribution
from tecmodel.inputs.messages import format_path, line_for
from tecmodel.inputs.registry import Parameter
from tecmodel.inputs.schema import Quantity
from tecmodel.inputs.units import UnitMismatch, conversion_factor


def convert_quantity(
    parameter: Parameter,
    quantity: Quantity,
    loc: tuple,
    problems: list[Problem],
    lines: Mapping[tuple, int],
) -> tuple[float, Distribution | None] | None:
    """A stated quantity in the parameter's registry unit, or None after recording its problems.

    Parameters
    ----------
    parameter : Parameter
        What the quantity states (unit, bounds, whole number, samplable).
    quantity : Quantity
        As written in the case file.
    loc : tuple
        Its key path in the case file, e.g. ``("sites", 0, "power", "market_price")``.
    problems : list of Problem
        Each problem found is appended here.
    lines : mapping of tuple to int
        Line index of the case file (key path -> 1-based line).

    Returns
    -------
    (float, Distribution or None) or None
        The value [registry unit] (rounded for a whole-number parameter) and its distribution
        [registry unit]; None if the quantity has a problem.
    """
    path = format_path(loc)
    try:
        factor = conversion_factor(quantity.unit, parameter.unit)
    except UnitMismatch as error:
        problems.append(
            Problem(path + ".unit", str(error), quantity.unit, line_for(loc + ("unit",), lines))
        )
        return None
    value = float(quantity.value) * factor
    line = line_for(loc + ("value",), lines)
    shown = f"{quantity.value:g} {quantity.unit}"
    low, high = parameter.bounds
    if not math.isfinite(value):
        problems.append(
            Problem(path, f"expected {parameter.expected()} (conversion overflowed)", shown, line)
        )
        return None
    if parameter.integer and abs(value - round(value)) > 1e-9:
        problems.append(Problem(path, f"expected {parameter.expected()}", shown, line))
        return None
    if not low <= value <= high:
        problems.append(
            Problem(path, f"out of range: expected {parameter.expected()}", shown, line)
        )
        return None
    if parameter.integer:
        value = float(round(value))
    distribution = None
    if quantity.distribution is not None:
        distribution = _distribution(parameter, quantity, factor, value, loc, problems, lines)
        if distribution is None:
            return None
    return value, distribution


def _distribution(
    parameter: Parameter,
    quantity: Quantity,
    factor: float,
    value: float,
    loc: tuple,
    problems: list[Problem],
    lines: Mapping[tuple, int],
) -> Distribution | None:
    """The Quantity's distribution in registry units, or None after recording its problems."""
    loc = loc + ("distribution",)
    if not parameter.samplable:
        problems.append(
            Problem(
                format_path(loc),
                f"is not allowed: {parameter.name} is structural (not samplable); expected a "
                "fixed value",
                Problem.NO_VALUE,
                line_for(loc, lines),
            )
        )
        return None
    distribution, found = parse_distribution(
        quantity.distribution.model_dump(),
        factor,
        parameter.bounds,
        parameter.unit,
        integer=parameter.integer,
        base=value,
    )
    for sub, message, shown in found:
        key = (sub.lstrip("."),) if sub else ()
        problems.append(Problem(format_path(loc) + sub, message, shown, line_for(loc + key, lines)))
    return distribution


__all__ = ["convert_quantity"]
