"""The What-if scenarios sheet: each case's named scenarios beside the case as stated.

This module owns the table of a case file's ``scenarios:`` block: one row per scenario (the
case as stated first), its title, description and changes, then the headline metrics of the
portfolio (those of the table of outputs flagged ``headline``, so new ones flow in) and the
change of NPV from the case as stated. The numbers are the model's, from one vectorised
evaluation of every scenario (:func:`tecmodel.analysis.scenarios.evaluate_scenarios`).
"""

from __future__ import annotations

import numpy as np

from tecmodel.analysis.scenarios import BASE, evaluate_scenarios
from tecmodel.inputs.registry import REGISTRY
from tecmodel.model.outputs import HEADLINE_METRICS, METRICS, status_text
from tecmodel.report.excel.layout import (
    SECTION_FILL,
    Context,
    column,
    excel_number_format,
    put_header_row,
    put_text,
    put_title,
    put_value,
    set_column_widths,
)
from tecmodel.report.labels import metric_label, metric_units


def change_text(change) -> str:
    """One change of a scenario in words: ``power.market_price = 110 EUR/MWh`` or ``x 1.2``."""
    where = f" at {change.site}" if change.site else ""
    if change.kind == "scale":
        return f"{change.parameter}{where} x {change.value:g}"
    return f"{change.parameter}{where} = {change.value:g} {REGISTRY[change.parameter].unit}"


def write_whatif(context: Context, sheet) -> None:
    """Write every case's named what-if scenarios (a note where a case has none)."""
    put_title(
        sheet,
        "What-if scenarios: " + ", ".join(result.case.name for result in context.results),
        "The named scenarios of each case file, each a set of parameter changes, evaluated with "
        "the model in one run; portfolio metrics (model values). The case as stated comes first.",
    )
    row = 4
    for result in context.results:
        case = result.case
        put_text(sheet, f"A{row}", f"Case {case.name}: {case.title}", bold=True, size=12)
        row += 1
        if not case.scenarios:
            put_text(sheet, f"A{row}", "No named scenarios in this case file.", italic=True)
            row += 3
            continue
        evaluated = evaluate_scenarios(case).portfolio
        names = [name for name in HEADLINE_METRICS if name in evaluated]
        titles = ["Scenario", "Title", "Changes"]
        titles += [f"{metric_label(name)} [{metric_units(name)}]" for name in names]
        titles += [f"NPV change from {BASE} [{metric_units('npv')}]"]
        put_header_row(sheet, row, titles)
        row += 1
        scenarios = {scenario.name: scenario for scenario in case.scenarios}
        base_npv = float(evaluated["npv"].sel(scenario=BASE))
        for label in (str(s) for s in evaluated["scenario"].values):
            scenario = scenarios.get(label)
            put_text(sheet, f"A{row}", label, bold=label == BASE)
            put_text(
                sheet,
                f"B{row}",
                scenario.title if scenario else "The case as stated",
                wrap=True,
            )
            put_text(
                sheet,
                f"C{row}",
                "; ".join(change_text(c) for c in scenario.changes) if scenario else "none",
                wrap=True,
            )
            for index, name in enumerate(names):
                value = float(evaluated[name].sel(scenario=label))
                coordinate = f"{column(4 + index)}{row}"
                if METRICS[name].group == "status":
                    put_text(sheet, coordinate, status_text(name, int(value)))
                elif np.isfinite(value):
                    put_value(sheet, coordinate, value, excel_number_format(name))
                else:
                    put_text(sheet, coordinate, METRICS[name].undefined)
            npv = float(evaluated["npv"].sel(scenario=label))
            put_value(
                sheet,
                f"{column(4 + len(names))}{row}",
                npv - base_npv,
                excel_number_format("npv"),
            )
            sheet.row_dimensions[row].height = 45
            row += 1
        for scenario in case.scenarios:
            if scenario.description:
                put_text(sheet, f"A{row}", scenario.name, italic=True, fill=SECTION_FILL)
                put_text(sheet, f"B{row}", scenario.description.strip(), italic=True)
                row += 1
        row += 2
        for index in range(len(names) + 1):
            sheet.column_dimensions[column(4 + index)].width = 14
    set_column_widths(sheet, {"A": 18, "B": 44, "C": 48})
    sheet.freeze_panes = "B4"
