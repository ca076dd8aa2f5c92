"""The Inputs sheet: every parameter of every case, with the live input cells.

This module owns the table of parameters (value, unit, role in the workbook, description,
stated value, distribution, reference range, bounds, source, case-file location) and the
defined names of the live inputs, which come first in it.
"""

from __future__ import annotations

from typing import Any

from tecmodel.inputs.registry import PARAMETERS, REGISTRY
from tecmodel.report.excel.layout import (
    CASE_DRIVERS,
    INPUT_FILL,
    INPUT_FONT,
    LIVE_PARAMETERS,
    SITE_DRIVERS,
    Context,
    InputCell,
    column,
    put_header_row,
    put_text,
    put_title,
    put_value,
    quoted,
)

INPUT_COLUMNS = (
    "Case",
    "Site",
    "Parameter",
    "Value",
    "Unit",
    "In the workbook",
    "Description",
    "Stated in the case file",
    "Distribution",
    "Reference low",
    "Reference mode",
    "Reference high",
    "Admissible bounds",
    "Source",
    "Case file location",
)


INPUT_WIDTHS = (14, 18, 34, 14, 16, 34, 60, 22, 22, 12, 12, 12, 18, 80, 40)


def _input_rows(case) -> list[tuple[Any, str | None, str | None]]:
    """(parameter, site, driver key) of a case in the table's order: the named inputs first,
    then the other live parameters, then the rest in registry order."""
    drivers = [(REGISTRY[spec[0]], None, key) for key, spec in CASE_DRIVERS.items()]
    drivers += [
        (REGISTRY[spec[0]], site, key)
        for site in case.site_names
        for key, spec in SITE_DRIVERS.items()
    ]
    named = {(parameter.name, site) for parameter, site, _key in drivers}
    rest = [
        (parameter, site, None)
        for parameter in PARAMETERS
        for site in (case.site_names if parameter.scope == "site" else (None,))
        if (parameter.name, site) not in named
    ]
    live = [row for row in rest if row[0].name in LIVE_PARAMETERS]
    return drivers + live + [row for row in rest if row[0].name not in LIVE_PARAMETERS]


def write_inputs(context: Context, sheet) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    put_title(
        sheet,
        "Inputs",
        "Every parameter of every case. Live input cells (yellow, blue figures, with a defined "
        "name) come first: change them and every dependent figure of the workbook updates. "
        "Parameters marked 'live' (blue figures) are also used only through formulas; the others "
        "enter through the model's values (change them in the case file and re-run the model).",
    )
    header = 4
    put_header_row(sheet, header, INPUT_COLUMNS)
    row = header + 1
    for case_index, result in enumerate(context.results):
        case = result.case
        for parameter, site, driver in _input_rows(case):
            entry = case.entry(parameter.name, site)
            number_format = _parameter_format(parameter.unit)
            put_text(sheet, f"A{row}", case.name)
            put_text(sheet, f"B{row}", site or "(all sites)")
            put_text(sheet, f"C{row}", parameter.name)
            if driver is not None:
                name = context.driver(case_index, driver, site)
                put_value(
                    sheet,
                    f"D{row}",
                    entry.value,
                    number_format,
                    bold=True,
                    color=INPUT_FONT,
                    fill=INPUT_FILL,
                )
                context.workbook.defined_names[name] = DefinedName(
                    name, attr_text=f"{quoted(sheet.title)}!$D${row}"
                )
                context.layout.inputs[name] = InputCell(
                    name, case_index, parameter.name, site, sheet.title, f"D{row}"
                )
                label = (CASE_DRIVERS.get(driver) or SITE_DRIVERS[driver])[1]
                role = f"live input {name}: {label}"
            elif parameter.name in LIVE_PARAMETERS:
                put_value(sheet, f"D{row}", entry.value, number_format, color=INPUT_FONT)
                role = "live (used only through formulas)"
            else:
                put_value(sheet, f"D{row}", entry.value, number_format)
                role = "fixed (enters through model values)"
            context.layout.parameter_cells[(case_index, parameter.name, site)] = (
                sheet.title,
                f"D{row}",
            )
            put_text(sheet, f"E{row}", parameter.unit)
            put_text(sheet, f"F{row}", role, bold=driver is not None)
            put_text(sheet, f"G{row}", parameter.description)
            put_text(sheet, f"H{row}", f"{entry.stated_value:g} {entry.stated_unit}")
            distribution = getattr(entry, "distribution", None)
            put_text(
                sheet,
                f"I{row}",
                _describe_distribution(distribution, parameter.unit)
                if distribution
                else (
                    "none (deterministic)" if parameter.samplable else "structural (not sampled)"
                ),
            )
            for offset, bound in enumerate(parameter.reference):
                put_value(sheet, f"{column(10 + offset)}{row}", bound, number_format)
            low, high = parameter.bounds
            put_text(sheet, f"M{row}", f"[{low:g}, {high:g}]")
            put_text(sheet, f"N{row}", entry.source)
            where = f"{case.file.name if case.file else '(in memory)'}: {entry.path}"
            put_text(sheet, f"O{row}", where + (f", line {entry.line}" if entry.line else ""))
            row += 1
    for index, width in enumerate(INPUT_WIDTHS):
        sheet.column_dimensions[column(index + 1)].width = width
    sheet.freeze_panes = f"D{header + 1}"
    sheet.auto_filter.ref = f"A{header}:O{row - 1}"


def _describe_distribution(distribution, unit: str) -> str:
    """E.g. ``pert(low=45000, mode=55000, high=70000) USD/accelerator; source: ...``."""
    text = distribution.describe(unit) if hasattr(distribution, "describe") else str(distribution)
    source = getattr(distribution, "source", None)
    return f"{text}; source: {source}" if source else text


def _parameter_format(unit: str) -> str:
    if unit in ("1", "1/yr"):
        return "0.00%"
    if unit in ("EUR", "EUR/MW"):
        return "#,##0"
    if unit == "calendar year" or unit == "yr":
        return "0"
    return "#,##0.00##"
