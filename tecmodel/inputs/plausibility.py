"""Values that are admissible but probably mistyped: a unit slip of 100x or 1000x.

This module owns the warnings of a case file: a value inside its parameter's bounds but far
outside the sourced reference range, by about the factor of a unit slip (100 for a percentage
written as a fraction or the reverse, 1,000 for k/M or M/bn), gets a warning that names the
likely intended value. ``discount_rate: {value: 0.09, unit: "%"}`` is 0.0009 per year, valid,
and 100 times below the reference range: the warning suggests 9 %. A warning never stops a run;
the command line prints it, and :func:`tecmodel.inputs.case.load_case` issues it as an
:class:`~tecmodel.errors.InputWarning` (a Python warning).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from tecmodel.errors import Problem

if TYPE_CHECKING:
    from tecmodel.inputs.case import Entry

#: Unit slips looked for: the factor the value is off by, and how the slip reads.
SLIPS: tuple[tuple[float, str], ...] = (
    (100.0, "a percentage given as a fraction, or the reverse"),
    (1000.0, "k, M or bn mixed up"),
)
#: How far outside the reference range a value must be before a slip is suspected [1]: a
#: value within a factor of this of the range is taken as meant.
MARGIN = 5.0


def likely_intended(entry: Entry) -> tuple[float, str] | None:
    """The stated value corrected for a unit slip, and the slip, if that puts it in range.

    Returns None when the value lies within :data:`MARGIN` of the reference range, or when no
    slip brings it inside the reference range.
    """
    low, _, high = entry.parameter.reference
    value = entry.value
    # A range through zero, a single reference value (a scale such as a plan's budget, which
    # varies legitimately by orders of magnitude) or zero itself: no factor to read.
    if low <= 0 or not low < high or value == 0:
        return None
    magnitude = abs(value)
    if low / MARGIN <= magnitude <= high * MARGIN:
        return None
    for factor, reading in SLIPS:
        for corrected in (value * factor, value / factor):
            if low <= abs(corrected) <= high:
                return entry.stated_value * corrected / value, reading
    return None


def unit_slip_warnings(entries: Iterable[Entry]) -> list[Problem]:
    """One warning per stated value that looks like a unit slip (see the module docstring).

    Parameters
    ----------
    entries : iterable of Entry
        A case's parameter values (``case.entries.values()``).
    """
    warnings = []
    for entry in _stated_entries(entries):
        found = likely_intended(entry)
        if found is None:
            continue
        intended, reading = found
        low, _, high = entry.parameter.reference
        unit = entry.parameter.unit
        warnings.append(
            Problem(
                entry.path,
                f"far outside its reference range [{low:g}, {high:g}] {unit} ({reading}?); did you mean "
                f"{intended:g} {entry.stated_unit}?",
                f"{entry.stated_value:g} {entry.stated_unit}",
                entry.line,
            )
        )
    return warnings


def _stated_entries(entries: Iterable[Entry]) -> list[Entry]:
    """The entries the case file states (registry defaults are in range by construction)."""
    return [entry for entry in entries if entry.line is not None or not entry.path.startswith("(")]


__all__ = ["unit_slip_warnings", "likely_intended", "SLIPS", "MARGIN"]
