"""The Metrics and Case comparison sheets.

This module owns the metrics as workbook formulas over the cash-flow rows (NPV with Excel's
``NPV()`` adjusted to the model's t = 0, IRR, payback, LCOC, realised and break-even price,
capex, energy, GPU-hours) beside the model's values, and the side-by-side view of the cases.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.cube import LINE_ITEMS
from tecmodel.model.metrics import PORTFOLIO, owner_values
from tecmodel.model.outputs import HEADLINE_METRICS, METRICS, status_text
from tecmodel.report.excel.layout import (
    FIRST_YEAR_COLUMN,
    HEADER_FILL,
    SECTION_FILL,
    CellCheck,
    Context,
    case_names,
    column,
    excel_number_format,
    put_header_row,
    put_text,
    put_title,
    put_value,
    quoted,
    set_column_widths,
)
from tecmodel.report.excel.verify import metric_value
from tecmodel.report.labels import metric_label, metric_units

#: Metrics with a workbook formula, in the order of the Metrics sheet. Their labels, units and
#: number formats come from the table of outputs (:data:`METRICS`).
FORMULA_METRICS: tuple[str, ...] = (
    "npv",
    "npv_operating",
    "npv_terminal",
    "irr",
    "payback_year",
    "discounted_payback_year",
    "lcoc",
    "realised_gpu_hour_price",
    "breakeven_price_factor",
    "breakeven_gpu_hour_price",
    "price_cushion",
    "discount_rate_cushion",
    "initial_capex",
    "capex_total",
    "capex_per_mw_it",
    "facility_energy_per_year",
    "water_m3_per_year",
    "gpu_hours_sold",
)


def sheet_metrics() -> list[str]:
    """The metrics of the Metrics sheet: every project and scale metric of the table of outputs
    (:data:`METRICS`), in its order; those without a formula show the model's value."""
    return [name for name, metric in METRICS.items() if metric.group in ("project", "scale")]


def _metric_formula(
    context: Context, case: int, owner: str, name: str, cells: dict[str, str]
) -> str:
    """Excel formula of a metric over the cash-flow rows of `owner` (a site or the portfolio)."""
    sheet = context.case_sheets[case][owner]
    result = context.results[case]
    rate = context.driver(case, "discount_rate")
    n = sheet.n_years
    fcf_first = sheet.ref("fcf", 0)
    fcf_rest = (
        f"{quoted(sheet.title)}!{column(FIRST_YEAR_COLUMN + 1)}{sheet.rows['fcf']}:"
        f"{column(FIRST_YEAR_COLUMN + n - 1)}{sheet.rows['fcf']}"
    )
    hours_pv = sheet.present_value("hours_sold")
    sites = [context.case_sheets[case][s] for s in result.case.site_names]
    if name == "npv":
        return f"={fcf_first}+NPV({rate},{fcf_rest})"
    if name == "irr":
        # A second guess near zero: from 10 % the spreadsheet's Newton iteration can fail to
        # reach a root close to zero within its iteration limit.
        span = sheet.span("fcf")
        # three starting guesses: LibreOffice's IRR() misses a negative root from a positive one;
        # a root outside the model's range [-99 %, 1000 %] is passed over for the next guess
        return "=" + irr_formula(span)
    if name in ("payback_year", "discounted_payback_year"):
        flag = "payback_flag" if name == "payback_year" else "discounted_payback_flag"
        return f'=IFERROR(INDEX({sheet.span("year")},MATCH(1,{sheet.span(flag)},0)),"none")'
    if name == "npv_terminal":
        if owner == PORTFOLIO:
            return "=" + "+".join(
                context.metric_cells[(case, s.site, "npv_terminal")] for s in sites
            )
        return f"={_horizon_value_after_tax(context, case, owner)}*{sheet.ref('discount_factor', n - 1)}"
    if name == "npv_operating":
        return f"={cells['npv']}-{cells['npv_terminal']}"
    if name in ("lcoc", "breakeven_gpu_hour_price"):
        # The after-tax levelised cost: the realised price moved by the break-even factor.
        return (
            f'=IFERROR({cells["breakeven_price_factor"]}*{cells["realised_gpu_hour_price"]},"none")'
        )
    if name == "price_cushion":
        factor = cells["breakeven_price_factor"]
        return f'=IFERROR(IF({factor}>0,1/{factor}-1,"none"),"none")'
    if name == "discount_rate_cushion":
        return f'=IFERROR({cells["irr"]}-{rate},"undefined")'
    if name == "realised_gpu_hour_price":
        return f"={sheet.present_value('subtotal_revenue')}/{hours_pv}"
    if name == "breakeven_price_factor":
        return f"={context.breakeven_cells[(case, owner)]}"
    if name == "initial_capex":
        return f"=SUM({sheet.span('initial_other')})+SUM({sheet.span('initial_chips')})"
    if name == "capex_total":
        if owner == PORTFOLIO:
            return "=" + "+".join(
                context.metric_cells[(case, s.site, "capex_total")] for s in sites
            )
        capex_items = [item.name for item in LINE_ITEMS if item.category == "capex"]
        return "=-(" + "+".join(f'SUMIF({sheet.span(item)},"<0")' for item in capex_items) + ")"
    if name == "capex_per_mw_it":
        return f'=IF({cells["it_mw"]}>0,{cells["initial_capex"]}/{cells["it_mw"]},"n/a")'
    if name == "facility_energy_per_year":
        return f"=MAX({sheet.span('facility_energy')})"
    if name == "water_m3_per_year":
        return f"=MAX({sheet.span('water')})"
    if name == "gpu_hours_sold":
        return f"=SUM({sheet.span('hours_sold')})"
    raise KeyError(name)


def irr_formula(span: str, guesses: tuple[float, ...] = (0.1, 0.01, -0.1)) -> str:
    """Formula text (no ``=``) of the IRR of `span` in the model's range [-99 %, 1000 %].

    Each starting guess in turn; a guess whose root falls outside the range (LibreOffice's
    Newton iteration can reach a far root such as -700 %) counts as failed (``NA()``), and when
    every guess fails the cell reads "undefined".
    """
    formula = '"undefined"'
    for guess in reversed(guesses):
        root = f"IRR({span},{guess})"
        formula = f"IFERROR(IF(AND({root}>-0.99,{root}<10),{root},NA()),{formula})"
    return formula


def _horizon_value_after_tax(context: Context, case: int, site: str) -> str:
    """Formula text of a site's horizon value less the tax its sale causes, in the last year.

    The tax without the sale is the last year's tax rule (the French loss carry-forward with its
    cap) applied to the taxable income less the horizon value, with the losses carried in.
    """
    sheet = context.case_sheets[case][site]
    last = sheet.n_years - 1
    value = sheet.ref("subtotal_residual", last)
    profit = f"({sheet.ref('profit', last)}-{value})"
    pool = sheet.ref("loss_pool", last - 1) if last > 0 else "0"
    fixed = context.parameter(case, "tax.loss_offset_fixed", site)
    share = context.parameter(case, "tax.loss_offset_share", site)
    rate = context.parameter(case, "tax.corporate_rate", site)
    relief = f"IF({profit}>0,MIN({pool},{fixed}+{share}*MAX({profit}-{fixed},0),{profit}),0)"
    without_sale = f"{rate}*MAX({profit}-{relief},0)"
    return f"({value}-({sheet.ref('tax', last)}-{without_sale}))"


def write_metrics(context: Context, sheet) -> None:
    put_title(
        sheet,
        f"Metrics: {case_names(context)}",
        "Workbook formulas over the cash-flow sheets beside the Python model's values at the "
        "inputs the workbook was written with; the difference column is 0 (to rounding) until an "
        "input cell is changed. NPV = FCF(first year) + NPV(rate, FCF(second year ... last year)): "
        "Excel's NPV() discounts its first value by one period, the model's first year is t = 0.",
    )
    headers = (
        "Case",
        "Site",
        "Metric",
        "Unit",
        "Workbook",
        "Python model",
        "Relative difference",
        "Note",
        "Definition",
    )
    put_header_row(sheet, 4, headers)
    row = 5
    names = sheet_metrics()
    for case, result in enumerate(context.results):
        for owner in list(result.case.site_names) + [PORTFOLIO]:
            # Every cell is placed first: a formula may read a metric written below it.
            cells = {
                name: f"${'E' if name in FORMULA_METRICS else 'F'}${row + index}"
                for index, name in enumerate(names)
            }
            for name in names:
                formula = None
                if name in FORMULA_METRICS:
                    context.metric_cells[(case, owner, name)] = f"{quoted(sheet.title)}!$E${row}"
                    formula = _metric_formula(context, case, owner, name, cells)
                _metric_row(context, sheet, row, case, owner, name, formula=formula)
                row += 1
            row += 1
    set_column_widths(
        sheet,
        {"A": 14, "B": 18, "C": 28, "D": 14, "E": 16, "F": 16, "G": 18, "H": 50, "I": 80},
    )
    sheet.freeze_panes = "E5"


def _metric_row(
    context: Context,
    sheet,
    row: int,
    case: int,
    owner: str,
    name: str,
    formula: str | None,
) -> None:
    """One row of the Metrics sheet: the workbook's formula (if any) beside the model's value."""
    result = context.results[case]
    number_format = excel_number_format(name)
    put_text(sheet, f"A{row}", result.case.name)
    put_text(sheet, f"B{row}", owner)
    put_text(sheet, f"C{row}", metric_label(name))
    put_text(sheet, f"D{row}", metric_units(name))
    put_text(sheet, f"I{row}", METRICS[name].long_name)
    value = metric_value(result, owner, name)
    if isinstance(value, str):
        put_text(sheet, f"F{row}", value)
    else:
        put_value(sheet, f"F{row}", value, number_format)
    if formula is None:
        put_text(sheet, f"H{row}", "the model's value (no workbook formula)")
        if not isinstance(value, str):
            put_value(sheet, f"E{row}", value, number_format)
        return
    context.formula(
        sheet,
        f"E{row}",
        formula,
        CellCheck(case, owner, ("metric", name)),
        number_format,
        bold=True,
    )
    context.formula(
        sheet,
        f"G{row}",
        f"=IFERROR(ABS(E{row}-F{row})/ABS(F{row}),IF(E{row}=F{row},0,1))",
        CellCheck(case, owner, ("metric_difference", name)),
        "0.0E+00",
    )
    notes = {
        "irr": "unique root required by the model; Excel's IRR() returns the root it finds",
        "payback_year": "first year from which the cumulative free cash flow stays >= 0",
        "breakeven_price_factor": "from the Break-even sheet",
        "lcoc": "after tax: break-even price factor x realised price (Break-even sheet)",
        "npv_terminal": f"{result.case.terminal.label} (terminal.method): the horizon value "
        "less the tax it causes (last year's tax with and without it), discounted",
        "price_cushion": "realised / LCOC - 1: negative when the NPV is",
        "discount_rate_cushion": "IRR - discount rate: negative when the NPV is",
    }
    if name == "irr":
        status = int(owner_values(result.metrics, result.portfolio, owner)["irr_status"])
        if status:
            notes["irr"] = (
                f"IRR undefined: {status_text('irr_status', status)} (model status {status})"
            )
    if name in notes:
        put_text(sheet, f"H{row}", notes[name])


def comparison_metrics() -> list[str]:
    """The metrics of the Case comparison sheet: the headline metrics of the table of outputs
    (new ones flow in), then the capex over the horizon, the realised price and the scale."""
    extra = ("capex_total", "realised_gpu_hour_price", "facility_energy_per_year", "gpu_hours_sold")
    return [name for name in (*HEADLINE_METRICS, *extra) if name in METRICS]


#: Width of a case's column on the Case comparison sheet [characters].
COMPARISON_WIDTH = 40


def write_scenarios(context: Context, sheet, monte_carlo: list) -> None:
    results = context.results
    put_title(
        sheet,
        "Case comparison: " + ", ".join(result.case.name for result in results),
        "The cases side by side (portfolio of each case); figures are live links to the Metrics "
        "sheet.",
    )
    put_header_row(sheet, 4, ("Metric", "Unit"))
    for case, result in enumerate(results):
        put_text(sheet, f"{column(3 + case)}4", result.case.name, bold=True, fill=HEADER_FILL)
        put_text(sheet, f"{column(3 + case)}3", result.case.title, italic=True, wrap=True)
    compare = len(results) == 2
    if compare:
        put_text(
            sheet,
            "E4",
            f"{results[1].case.name} - {results[0].case.name}",
            bold=True,
            fill=HEADER_FILL,
        )
    row = 5
    for name in comparison_metrics():
        number_format = excel_number_format(name)
        put_text(sheet, f"A{row}", metric_label(name))
        put_text(sheet, f"B{row}", metric_units(name))
        for case, result in enumerate(results):
            coordinate = f"{column(3 + case)}{row}"
            if name in FORMULA_METRICS:
                context.formula(
                    sheet,
                    coordinate,
                    f"={context.metric_cells[(case, PORTFOLIO, name)]}",
                    CellCheck(case, PORTFOLIO, ("metric", name)),
                    number_format,
                )
            else:
                put_value(
                    sheet,
                    coordinate,
                    float(result.portfolio[name]),
                    number_format,
                )
        if compare:
            difference_means_something = METRICS[name].units != "year"  # no "years later"
            if name in FORMULA_METRICS and difference_means_something:
                context.formula(
                    sheet,
                    f"E{row}",
                    f'=IFERROR(D{row}-C{row},"n/a")',
                    CellCheck(1, PORTFOLIO, ("scenario_difference", name, 0, 1)),
                    number_format,
                )
            elif name not in FORMULA_METRICS and difference_means_something:
                difference = float(results[1].portfolio[name] - results[0].portfolio[name])
                put_value(sheet, f"E{row}", difference, number_format)
        row += 1
    row += 1
    put_text(sheet, f"A{row}", "Sites", bold=True, fill=SECTION_FILL)
    for case, result in enumerate(results):
        put_text(sheet, f"{column(3 + case)}{row}", ", ".join(result.case.site_names), wrap=True)
    row += 1
    put_text(sheet, f"A{row}", "What the stated budget buys", bold=True, fill=SECTION_FILL)
    longest = 0
    for case, result in enumerate(results):
        notes = result.budget.attrs.get("notes", [])
        text = " ".join(notes) if isinstance(notes, list) else str(notes)
        longest = max(longest, len(text))
        put_text(sheet, f"{column(3 + case)}{row}", text, wrap=True)
    # Tall enough for the longest note at about one character per unit of column width.
    sheet.row_dimensions[row].height = max(30, 15 * (longest // COMPARISON_WIDTH + 2))
    row += 2
    if monte_carlo:
        put_text(
            sheet, f"A{row}", "Risk (Monte Carlo, portfolio NPV)", bold=True, fill=SECTION_FILL
        )
        row += 1
        by_case = {getattr(mc.summary, "attrs", {}).get("case"): mc for mc in monte_carlo}
        for statistic, label in (
            ("p10", "P10"),
            ("p50", "P50"),
            ("p90", "P90"),
            ("mean", "Mean"),
            ("prob_negative", "Probability of a loss (NPV < 0)"),
        ):
            put_text(sheet, f"A{row}", f"NPV {label}" if statistic != "prob_negative" else label)
            put_text(sheet, f"B{row}", "1" if statistic == "prob_negative" else metric_units("npv"))
            for case, result in enumerate(results):
                mc = by_case.get(result.case.name)
                if mc is None:
                    continue
                value = _summary_value(mc.portfolio_summary, statistic, "npv")
                put_value(
                    sheet,
                    f"{column(3 + case)}{row}",
                    value,
                    "0.0%" if statistic == "prob_negative" else excel_number_format("npv"),
                )
            row += 1
    set_column_widths(
        sheet,
        {"A": 44, "B": 14, **{column(3 + i): COMPARISON_WIDTH for i in range(len(results) + 1)}},
    )
    titles = max(len(result.case.title) for result in results)
    sheet.row_dimensions[3].height = 15 * (titles // COMPARISON_WIDTH + 2)
    sheet.freeze_panes = "C5"


def _summary_value(summary: xr.Dataset, statistic: str, metric: str) -> float | None:
    try:
        return float(summary["value"].sel(statistic=statistic, metric=metric))
    except (KeyError, ValueError):
        return None
