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
    FIXED_FILL,
    FIXED_FONT,
    INPUT_FILL,
    INPUT_FONT,
    LIVE_PARAMETERS,
    SITE_DRIVERS,
    Context,
    InputCell,
    case_names,
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
    """Write the table of parameters; record the cells of the live inputs and their names.

    Every parameter that a workbook formula reads (:data:`LIVE_PARAMETERS`) is a live input:
    yellow with blue figures and unlocked, so it can be changed on the protected sheet; the
    named drivers come first. Every other value is fixed (grey, locked): it enters the workbook
    through the model's values, so only a re-run of the model changes its effect.
    """
    from openpyxl.styles import Alignment, Protection
    from openpyxl.workbook.defined_name import DefinedName

    put_title(
        sheet,
        f"Inputs: {case_names(context)}",
        "Every parameter of every case. Live inputs (yellow, blue figures, unlocked) drive the "
        "workbook's formulas: change one and every dependent figure updates as a re-run of the "
        "model would. The named live inputs come first. Fixed values (grey) enter through the "
        "model's values: change them in the case file and re-run the model.",
    )
    header = 4
    put_header_row(sheet, header, INPUT_COLUMNS)
    for index in range(len(INPUT_COLUMNS)):
        sheet.cell(header, index + 1).alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[header].height = 30
    row = header + 1
    for case_index, result in enumerate(context.results):
        case = result.case
        for parameter, site, driver in _input_rows(case):
            entry = case.entry(parameter.name, site)
            number_format = parameter_format(parameter)
            put_text(sheet, f"A{row}", case.name)
            put_text(sheet, f"B{row}", site or "(all sites)")
            put_text(sheet, f"C{row}", parameter.name)
            live = parameter.name in LIVE_PARAMETERS
            if live:
                cell = put_value(
                    sheet,
                    f"D{row}",
                    entry.value,
                    number_format,
                    bold=True,
                    color=INPUT_FONT,
                    fill=INPUT_FILL,
                )
                cell.protection = Protection(locked=False)
            else:
                put_value(
                    sheet, f"D{row}", entry.value, number_format, color=FIXED_FONT, fill=FIXED_FILL
                )
            if driver is not None:
                name = context.driver(case_index, driver, site)
                context.workbook.defined_names[name] = DefinedName(
                    name, attr_text=f"{quoted(sheet.title)}!$D${row}"
                )
                context.layout.inputs[name] = InputCell(
                    name, case_index, parameter.name, site, sheet.title, f"D{row}"
                )
                label = (CASE_DRIVERS.get(driver) or SITE_DRIVERS[driver])[1]
                role = f"live input {name}: {label}"
            elif live:
                role = "live input"
            else:
                role = "fixed: enters through the model's values"
            context.layout.parameter_cells[(case_index, parameter.name, site)] = (
                sheet.title,
                f"D{row}",
            )
            put_text(sheet, f"E{row}", parameter.unit)
            put_text(sheet, f"F{row}", role, bold=live)
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
            put_text(
                sheet,
                f"M{row}",
                f"[{bound_text(low, number_format)}, {bound_text(high, number_format)}]",
            )
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


def parameter_format(parameter) -> str:
    """The number format of a parameter's value, by its unit.

    A share (unit ``1``, at most 1: utilisation, a tax rate) and a rate per year (``1/yr``)
    show as percents; any other dimensionless number (a ratio such as a DSCR target, a PUE
    overhead that may exceed 1) as a plain number, never as a percent; money without decimals;
    years as whole numbers.
    """
    unit = parameter.unit
    if unit == "1/yr" or (unit == "1" and parameter.bounds[1] <= 1.0):
        return "0.00%"
    if unit == "1":
        return "0.00"
    if unit in ("EUR", "EUR/MW"):
        return "#,##0"
    if unit in ("calendar year", "yr"):
        return "0"
    return "#,##0.00##"


def bound_text(value: float, number_format: str) -> str:
    """A bound as the value column shows it (a percent as a percent, thousands separated)."""
    if number_format.endswith("%"):
        return f"{value * 100:g} %"
    return f"{value:,.10g}"
