"""The Real options sheet: a real-options study's results as stored values, with units and
definitions (:data:`tecmodel.analysis.options.outputs.OPTION_OUTPUTS`).

The values are simulation results of :func:`tecmodel.real_options` (means over price paths with
their standard errors), not workbook formulas: no input cell changes them, and the sheet says so.
"""

from __future__ import annotations

import math

import xarray as xr

from tecmodel.analysis.options.outputs import OPTION_OUTPUTS
from tecmodel.report.excel.layout import (
    put_header_row,
    put_text,
    put_title,
    put_value,
    set_column_widths,
)
from tecmodel.report.options import (
    HEADLINE_ROWS,
    REFRESH_ROWS,
    answer_sentence,
    is_refresh,
    trigger_sentence,
)

#: Excel number format of each unit of the declared outputs.
UNIT_FORMATS = {"EUR": "#,##0", "1": "0.000", "year": "0", "yr": "0"}
#: Rows of the summary table.
SUMMARY_ROWS = (*HEADLINE_ROWS, "trigger_threshold", "trigger_persistence")
#: Columns of the table by decision year: output and whether it is read per rule.
YEAR_COLUMNS = (
    ("value_by_decision_year", None),
    ("exercise_probability", "least_squares"),
    ("cumulative_exercise_probability", "least_squares"),
    ("exercise_probability", "trigger"),
    ("cumulative_exercise_probability", "trigger"),
    ("exercise_boundary", None),
)


def number_format(name: str) -> str:
    """The Excel format of an output: shares as percentages, money in whole EUR."""
    output = OPTION_OUTPUTS[name]
    if output.display_units == "%":
        return "0.0%"
    return UNIT_FORMATS.get(output.units, "General")


def write_options(sheet, datasets: list[xr.Dataset]) -> None:
    """Write every real-options study, one block per decision."""
    cases = ", ".join(str(dataset.attrs.get("case", "")) for dataset in datasets)
    put_title(
        sheet,
        f"Real options: {cases}",
        "Simulation results of tecmodel.real_options (least-squares Monte Carlo, Longstaff & "
        "Schwartz 2001, on the case's simulated price paths): stored values, not formulas; no "
        "input cell of this workbook changes them. Money in EUR discounted to the first model "
        "year; s.e. = Monte Carlo standard error.",
    )
    row = 4
    for dataset in datasets:
        for decision in dataset["decision"].values:
            row = _write_decision(sheet, dataset, str(decision), row) + 2
    set_column_widths(
        sheet, {"A": 34, "B": 8, "C": 16, "D": 14, "E": 16, "F": 14, "G": 14, "H": 90}
    )


def _write_decision(sheet, dataset: xr.Dataset, decision: str, row: int) -> int:
    one = dataset.sel(decision=decision)
    attrs = dataset.attrs
    refresh = is_refresh(one)
    put_text(
        sheet,
        f"A{row}",
        f"Case {attrs.get('case', '')}, decision {decision} (site {one['site'].item()})",
        bold=True,
        size=12,
    )
    put_text(
        sheet,
        f"A{row + 1}",
        f"{attrs.get('n_regression')} regression paths (seed {attrs.get('seed')}) and "
        f"{attrs.get('n')} independent valuation paths (seed {attrs.get('valuation_seed')}); "
        f"basis: {attrs.get('basis')} of degree {attrs.get('degree')} in the states "
        f"{attrs.get('states')}. "
        + (
            "At each accelerator refresh: refresh, skip, or stop and sell (no trigger rule)."
            if refresh
            else f"Trigger rule: {trigger_sentence(dataset, decision)}."
        ),
        italic=True,
    )
    row += 3
    put_header_row(
        sheet,
        row,
        ["Output", "Unit", "Least squares", "s.e.", "Trigger rule", "s.e.", "", "Definition"],
    )
    row += 1
    for name in REFRESH_ROWS if refresh else SUMMARY_ROWS:
        output = OPTION_OUTPUTS[name]
        put_text(sheet, f"A{row}", output.label)
        put_text(sheet, f"B{row}", output.units)
        rules = list(dataset["rule"].values) if "rule" in one[name].dims else [None]
        for position, rule in enumerate(rules):
            where = {} if rule is None else {"rule": rule}
            put_value(
                sheet, f"{'CE'[position]}{row}", _value(one, name, where), number_format(name)
            )
            error = f"{name}_standard_error"
            if error in one:
                put_value(
                    sheet, f"{'DF'[position]}{row}", _value(one, error, where), number_format(name)
                )
        put_text(sheet, f"H{row}", output.long_name, wrap=True)
        row += 1
    row += 1
    if refresh:
        row = _write_refresh_years(sheet, one, row)
    else:
        row = _write_years(sheet, one, row)
    row += 1
    put_text(sheet, f"A{row}", answer_sentence(dataset, decision), wrap=True)
    sheet.merge_cells(f"A{row}:H{row}")
    sheet.row_dimensions[row].height = 75
    return row


def _write_refresh_years(sheet, one: xr.Dataset, row: int) -> int:
    """A refresh decision's action probabilities by refresh year, then its fixed policies."""
    put_header_row(
        sheet,
        row,
        ["Refresh year", "Refresh", "s.e.", "Skip", "s.e.", "Stop and sell", "s.e."],
    )
    row += 1
    share = number_format("action_probability")
    for year in one["year"].values:
        at = one.sel(year=year)
        if not math.isfinite(float(at["action_probability"].sel(action="refresh"))):
            continue
        put_value(sheet, f"A{row}", int(year), "0")
        for position, action in enumerate(("refresh", "skip", "stop")):
            where = {"action": action}
            put_value(
                sheet, f"{'BDF'[position]}{row}", _value(at, "action_probability", where), share
            )
            put_value(
                sheet,
                f"{'CEG'[position]}{row}",
                _value(at, "action_probability_standard_error", where),
                share,
            )
        row += 1
    row += 1
    output = OPTION_OUTPUTS["value_by_policy"]
    put_header_row(sheet, row, ["Policy", "Unit", output.label, "s.e."])
    row += 1
    for policy in one["value_by_policy"].dropna("policy")["policy"].values:
        where = {"policy": policy}
        put_text(sheet, f"A{row}", str(policy))
        put_text(sheet, f"B{row}", output.units)
        put_value(sheet, f"C{row}", _value(one, "value_by_policy", where), "#,##0")
        put_value(sheet, f"D{row}", _value(one, "value_by_policy_standard_error", where), "#,##0")
        row += 1
    return row


def _write_years(sheet, one: xr.Dataset, row: int) -> int:
    """A build decision's values, probabilities and boundary by decision year."""
    titles = ["Decision year"]
    for name, rule in YEAR_COLUMNS:
        label = OPTION_OUTPUTS[name].label
        titles.append(label if rule is None else f"{label} ({rule.replace('_', ' ')})")
    titles.append("Boundary s.e.")
    put_header_row(sheet, row, titles)
    row += 1
    for year in one["year"].values:
        at = one.sel(year=year)
        if not math.isfinite(float(at["value_by_decision_year"])):
            continue
        put_value(sheet, f"A{row}", int(year), "0")
        for position, (name, rule) in enumerate(YEAR_COLUMNS):
            where = {} if rule is None else {"rule": rule}
            put_value(
                sheet, f"{'BCDEFG'[position]}{row}", _value(at, name, where), number_format(name)
            )
        put_value(
            sheet,
            f"H{row}",
            _value(at, "exercise_boundary_standard_error", {}),
            number_format("exercise_boundary"),
        )
        row += 1
    return row


def _value(dataset: xr.Dataset, name: str, where: dict) -> float:
    return float(dataset[name].sel(**where))
