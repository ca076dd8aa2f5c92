"""The Break-even sheet: the after-tax break-even GPU-hour price, by Newton's method.

This module owns the sheet that solves for the factor m on every GPU-hour price that makes the
after-tax NPV zero, as :func:`tecmodel.model.tax_kernels.breakeven_factors` does: from the pre-tax
break-even, each iteration recomputes the tax with loss carry-forward and its derivative at the
trial factor (:data:`tecmodel.report.excel.layout.BREAKEVEN_ROWS`) and steps
m(k+1) = m(k) - NPV(m(k)) / NPV'(m(k)). The portfolio shares one factor across its sites.
"""

from __future__ import annotations

from tecmodel.model.metrics import PORTFOLIO
from tecmodel.report.excel.layout import (
    BREAKEVEN_ITERATIONS,
    BREAKEVEN_ROWS,
    FIRST_YEAR_COLUMN,
    FORMAT_EUR,
    FORMAT_FACTOR,
    HEADER_FILL,
    MONEY_UNITS,
    SECTION_FILL,
    CellCheck,
    Context,
    case_names,
    column,
    put_text,
    put_title,
    put_value,
    quoted,
    set_column_widths,
)


def write_breakeven(context: Context, sheet) -> None:
    """Newton's method on the price factor m that makes the after-tax NPV zero.

    NPV(m) = PV(pre-tax cash flow) + (m - 1) PV(revenue) - PV(tax at profit + (m - 1) revenue);
    each iteration recomputes the tax schedule and its derivative at the trial factor, exactly
    as :func:`tecmodel.model.tax_kernels.breakeven_factors` does; it starts from the pre-tax
    break-even.
    """
    put_title(
        sheet,
        f"Break-even GPU-hour price: {case_names(context)}",
        "The factor m on every GPU-hour price that makes the after-tax NPV zero, by Newton's "
        "method from the pre-tax break-even: m(k+1) = m(k) - NPV(m(k)) / NPV'(m(k)). The tax "
        "(with loss carry-forward) is recomputed at each trial factor; the portfolio shares one "
        "factor across its sites, each taxed standalone. Break-even price = m x realised price.",
    )
    set_column_widths(sheet, {"A": 52, "B": 14, "C": 48, "D": 16})
    row = 4
    for case, result in enumerate(context.results):
        years = result.cube["year"].values
        for index in range(len(years)):
            sheet.column_dimensions[column(FIRST_YEAR_COLUMN + index)].width = 12
        owners = list(result.case.site_names) + [PORTFOLIO]
        for owner in owners:
            members = list(result.case.site_names) if owner == PORTFOLIO else [owner]
            row = _write_breakeven_block(context, sheet, case, owner, members, years, row) + 2
    sheet.freeze_panes = f"{column(FIRST_YEAR_COLUMN)}4"


def _write_breakeven_block(
    context: Context, sheet, case: int, owner: str, members: list[str], years, row: int
) -> int:
    result = context.results[case]
    n = len(years)
    rate_cell = context.parameter(case, "tax.corporate_rate")
    fixed = context.parameter(case, "tax.loss_offset_fixed")
    share = context.parameter(case, "tax.loss_offset_share")
    site_sheets = context.case_sheets[case]

    def check(*key) -> CellCheck:
        return CellCheck(case, owner, ("breakeven",) + key)

    put_text(sheet, f"A{row}", f"{result.case.name}: {owner}", bold=True, fill=HEADER_FILL, size=12)
    for index, year in enumerate(years):
        put_value(
            sheet,
            f"{column(FIRST_YEAR_COLUMN + index)}{row}",
            int(year),
            "0",
            bold=True,
            fill=HEADER_FILL,
        )
    row += 1
    pv_pre_tax, pv_revenue = {}, {}
    for member in members:
        member_sheet = site_sheets[member]
        for row_key, check_key, label, cells in (
            ("pre_tax", "pv_pre_tax", "PV of pre-tax cash flow", pv_pre_tax),
            ("subtotal_revenue", "pv_revenue", "PV of revenue", pv_revenue),
        ):
            cells[member] = _put_labelled_formula(
                context,
                sheet,
                row,
                f"{label}, {member}",
                MONEY_UNITS,
                None,
                f"={member_sheet.present_value(row_key)}",
                check(check_key, member),
                FORMAT_EUR,
            )
            row += 1
    total_pre_tax = "+".join(pv_pre_tax.values())
    total_revenue = "+".join(pv_revenue.values())
    factor_cells = [
        _put_labelled_formula(
            context,
            sheet,
            row,
            "Pre-tax break-even factor (start)",
            "1",
            "max(1 - PV pre-tax / PV revenue, 0)",
            f"=IF(({total_revenue})>0,MAX(1-({total_pre_tax})/({total_revenue}),0),0)",
            check("factor", 0),
            FORMAT_FACTOR,
        )
    ]
    row += 1
    npv_cells, slope_cells = [], []
    for iteration in range(BREAKEVEN_ITERATIONS + 1):
        m = factor_cells[iteration]
        put_text(
            sheet,
            f"A{row}",
            f"Iteration {iteration}: trial factor m = "
            + ("start" if iteration == 0 else "previous - NPV / slope"),
            bold=True,
            fill=SECTION_FILL,
        )
        row += 1
        tax_rows, slope_rows = {}, {}
        for member in members:
            member_sheet = site_sheets[member]
            rows = {key: row + offset for offset, (key, _label, _how) in enumerate(BREAKEVEN_ROWS)}
            for key, label, how in BREAKEVEN_ROWS:
                put_text(
                    sheet,
                    f"A{rows[key]}",
                    f"{label}" + (f" ({member})" if len(members) > 1 else ""),
                )
                put_text(sheet, f"B{rows[key]}", MONEY_UNITS)
                put_text(sheet, f"C{rows[key]}", how, italic=True, color="595959")
            for y in range(n):
                letter = column(FIRST_YEAR_COLUMN + y)
                previous = column(FIRST_YEAR_COLUMN + y - 1)
                profit = f"{letter}{rows['profit']}"
                revenue = member_sheet.ref("subtotal_revenue", y)
                pool_in = "0" if y == 0 else f"{previous}{rows['pool']}"
                pool_slope_in = "0" if y == 0 else f"{previous}{rows['pool_slope']}"
                cap = f"({fixed}+{share}*MAX({profit}-{fixed},0))"
                relief = f"{letter}{rows['relief']}"
                relief_slope = f"{letter}{rows['relief_slope']}"
                formulas = {
                    "profit": f"={member_sheet.ref('profit', y)}+({m}-1)*{revenue}",
                    "relief": f"=IF({profit}>0,MIN({pool_in},{cap},{profit}),0)",
                    "pool": f"={pool_in}-{relief}+MAX(-{profit},0)",
                    "tax": f"={rate_cell}*MAX({profit}-{relief},0)",
                    "relief_slope": (
                        f"=IF({profit}>0,IF({pool_in}<=MIN({cap},{profit}),{pool_slope_in},"
                        f"IF({cap}<{profit},IF({profit}>{fixed},{share}*{revenue},0),{revenue})),0)"
                    ),
                    "pool_slope": f"={pool_slope_in}-{relief_slope}-IF({profit}>0,0,{revenue})",
                    "tax_slope": f"={rate_cell}*IF({profit}>0,{revenue}-{relief_slope},0)",
                }
                for key, formula in formulas.items():
                    context.formula(
                        sheet,
                        f"{letter}{rows[key]}",
                        formula,
                        CellCheck(case, owner, ("breakeven", "row", member, key, iteration), y),
                        FORMAT_EUR,
                    )
            first, last = column(FIRST_YEAR_COLUMN), column(FIRST_YEAR_COLUMN + n - 1)
            discount = member_sheet.span("discount_factor")
            tax_rows[member] = f"SUMPRODUCT({first}{rows['tax']}:{last}{rows['tax']},{discount})"
            slope_rows[member] = (
                f"SUMPRODUCT({first}{rows['tax_slope']}:{last}{rows['tax_slope']},{discount})"
            )
            row += len(BREAKEVEN_ROWS)
        npv = "+".join(f"({pv_pre_tax[s]}+({m}-1)*{pv_revenue[s]}-{tax_rows[s]})" for s in members)
        npv_cells.append(
            _put_labelled_formula(
                context,
                sheet,
                row,
                "After-tax NPV at the trial factor",
                MONEY_UNITS,
                "PV pre-tax + (m - 1) x PV revenue - PV tax",
                f"={npv}",
                check("npv", iteration),
                FORMAT_EUR,
            )
        )
        row += 1
        slope = "+".join(f"({pv_revenue[s]}-{slope_rows[s]})" for s in members)
        slope_cells.append(
            _put_labelled_formula(
                context,
                sheet,
                row,
                "dNPV/dm at the trial factor",
                MONEY_UNITS,
                "PV revenue - PV d(tax)/dm",
                f"={slope}",
                check("slope", iteration),
                FORMAT_EUR,
            )
        )
        row += 1
        if iteration < BREAKEVEN_ITERATIONS:
            factor_cells.append(
                _put_labelled_formula(
                    context,
                    sheet,
                    row,
                    f"Factor after iteration {iteration + 1}",
                    "1",
                    "m - NPV / slope (the start if NPV there is already >= 0)",
                    f"=IF({npv_cells[0]}>=0,{factor_cells[0]},{m}-{npv_cells[-1]}/{slope_cells[-1]})",
                    check("factor", iteration + 1),
                    FORMAT_FACTOR,
                )
            )
            row += 1
    factor_cell = _put_labelled_formula(
        context,
        sheet,
        row,
        "Break-even price factor",
        "1",
        None,
        f'=IF(({total_revenue})>0,{factor_cells[-1]},"none")',
        CellCheck(case, owner, ("metric", "breakeven_price_factor")),
        FORMAT_FACTOR,
        bold=True,
    )
    context.breakeven_cells[(case, owner)] = f"{quoted(sheet.title)}!{factor_cell}"
    row += 1
    _put_labelled_formula(
        context,
        sheet,
        row,
        "Converged: |NPV| at the factor below 1e-9 of PV revenue",
        None,
        None,
        f'=IF(ABS({npv_cells[-1]})<=1E-9*ABS({total_revenue}),"yes","no")',
        check("converged"),
        None,
    )
    return row


def _put_labelled_formula(
    context: Context,
    sheet,
    row: int,
    label: str,
    unit: str | None,
    how: str | None,
    formula: str,
    check: CellCheck,
    number_format: str | None,
    bold: bool = False,
) -> str:
    """Write one labelled row of the Break-even sheet: label, unit, how, and a formula in D.

    Parameters
    ----------
    context : Context
    sheet : openpyxl.worksheet.worksheet.Worksheet
    row : int
        The row (1-based).
    label : str
        Column A (bold if `bold`).
    unit : str or None
        Column B; None leaves it empty.
    how : str or None
        Column C, in italics; None leaves it empty.
    formula : str
        The formula of column D (with its leading ``=``).
    check : CellCheck
        What the formula shows (for the recalculation test).
    number_format : str or None
        Number format of D; None keeps the default.
    bold : bool
        Label and formula in bold.

    Returns
    -------
    str
        The absolute reference of the formula cell on this sheet, e.g. ``$D$12``.
    """
    put_text(sheet, f"A{row}", label, bold=bold)
    if unit is not None:
        put_text(sheet, f"B{row}", unit)
    if how is not None:
        put_text(sheet, f"C{row}", how, italic=True)
    context.formula(sheet, f"D{row}", formula, check, number_format, bold=bold)
    return f"$D${row}"
