"""The Financing sheet of a case: the fixed debt schedule, CFADS, DSCR, covenants, equity returns.

This module owns the sheet that puts the case's debt structure (:mod:`tecmodel.model.financing`)
beside its cash-flow sheets. What follows the model's rules as formulas is live: the cash flow
available for debt service of each site (revenue + operating costs + corporate tax + capex, from
the site's sheet, + the drawdowns funding the capex), the financing rows of the equity cash flow
as sums of the tranches' rows, the equity cash flow (free cash flow + financing rows), the debt
service, DSCR, the lock-up flag and the equity metrics (equity NPV at the cost of equity, IRR,
MOIC, DSCR statistics, lock-up, debt drawn, peak debt, debt at the horizon), and the totals of
the sources and uses. What the model computes rather than states in closed form is written as
its values, marked as such: each tranche's schedule, sized once on the case as stated and held
fixed (a sculpted loan is sized on that cash flow; interest during construction is capitalised),
the debt service reserve account and locked-up cash year by year and the default flag (a
sequential account at the written inputs), the interest tax shield (the tax with loss
carry-forward recomputed after interest) and the debt capacity. A check at the top says whether
the CFADS and capex the covenant accounts were computed on still hold; the debt schedule itself
does not move with an input change (it is fixed), the accounts do.
"""

from __future__ import annotations

from tecmodel.model.cube import LINE_ITEMS
from tecmodel.model.metrics import PORTFOLIO, join_portfolio, owner_values
from tecmodel.model.outputs import EQUITY_METRICS, METRICS, status_text
from tecmodel.report.excel.layout import (
    FIRST_YEAR_COLUMN,
    FORMAT_EUR,
    HEADER_FILL,
    MONEY_UNITS,
    CellCheck,
    Context,
    RowWriter,
    column,
    excel_number_format,
    put_header_row,
    put_text,
    put_value,
    sheet_header,
)
from tecmodel.report.excel.verify import NOT_A_NUMBER, metric_value, site_series
from tecmodel.report.labels import metric_label, metric_units

#: Tranche rows of the sheet: (variable of ``Result.financing``, label).
TRANCHE_ROWS = (
    ("drawdown", "Drawdown"),
    ("capitalised_interest", "Interest capitalised"),
    ("interest_paid", "Interest paid"),
    ("principal", "Principal repaid"),
    ("fees", "Fees"),
    ("repayment_at_horizon", "Balloon at the horizon: refinancing risk"),
    ("balance", "Balance at year end"),
)

#: Financing rows of the equity cash flow as sums of the tranches' rows: item -> (sign, rows).
FINANCING_ROW_FORMULAS = {
    "debt_drawdown": (1, ("drawdown",)),
    "debt_drawdown_interest": (1, ("capitalised_interest",)),
    "debt_interest": (-1, ("capitalised_interest", "interest_paid")),
    "debt_fees": (-1, ("fees",)),
    "debt_repayment": (-1, ("principal",)),
    "debt_repayment_at_horizon": (-1, ("repayment_at_horizon",)),
}

#: Covenant account rows of each site, the model's values: (variable of ``Result.financing``,
#: label, how it is computed).
COVENANT_ROWS = (
    (
        "reserve_funding",
        "Reserve funded (+) / released (-)",
        "funded by the equity the year before the first debt service; released at maturity",
    ),
    (
        "reserve_draw",
        "Reserve used (+) / refilled (-)",
        "used when CFADS falls short of debt service; refilled from later surpluses",
    ),
    ("reserve_balance", "Debt service reserve at year end", "model value"),
    ("locked_cash", "Distributions locked up, held at year end", "model value"),
    (
        "default",
        "Default (1 = CFADS + locked-up cash + reserve < debt service)",
        "model value: DSCR below 1.0 after the reserve is used",
    ),
)

#: Kinds of cell that read the model's schedules: they equal the model at the written inputs
#: only (the recalculation test compares them there).
SIZED_AT_WRITTEN_INPUTS = frozenset(
    {
        "tranche",
        "financing_debt",
        "equity_item",
        "equity_cash_flow",
        "dscr",
        "metric",
        "sources_and_uses",
    }
)


def write_financing_sheet(context: Context, sheet, case: int) -> None:
    """Write the Financing sheet of one case."""
    result = context.results[case]
    tranches = result.case.tranches
    writer = RowWriter(context, sheet, case, PORTFOLIO, result.cube["year"].values)
    sheet_header(
        context,
        writer,
        f"{result.case.title}: financing",
        f"Case {result.case.name}: each site borrows standalone; year-end flows, EUR shown in "
        "EUR millions. Live formulas: CFADS, debt service, DSCR, lock-up, the equity cash flow "
        "and the equity metrics. The tranche schedules are sized once on the case as stated and "
        "held fixed; they, the reserve account and the interest tax shield are the model's "
        "values (grey labels 'model value').",
    )
    sites = list(result.case.site_names)
    site_sheets = context.case_sheets[case]
    check_row = writer.row
    writer.row += 2
    at = writer.at
    items = [*FINANCING_ROW_FORMULAS, "cash_held_back", "interest_tax_shield"]
    lockup = context.parameter(case, "financing.lockup_dscr")
    for site in sites:
        site_sheet = site_sheets[site]
        writer.site = site
        serving = [tranche for tranche in tranches if site in tranche.sites]
        for tranche in serving:
            writer.section(f"{site}: tranche {tranche.name} ({tranche.repayment}), fixed as sized")
            for variable, label in TRANCHE_ROWS:
                writer.values(
                    f"{variable} {tranche.name} {site}",
                    label,
                    MONEY_UNITS,
                    "model value: sized once on the case as stated",
                    site_series(result.financing[variable].sel(tranche=tranche.name), site),
                    FORMAT_EUR,
                    total=variable != "balance",
                )
        writer.section(f"{site}: debt service and the financing rows")

        def tranche_sum(variables, y: int, names=tuple(t.name for t in serving), s=site) -> str:
            terms = [at(f"{v} {n} {s}", y) for n in names for v in variables]
            return "+".join(terms) if terms else "0"

        writer.formulas(
            f"debt_service {site}",
            "Debt service",
            MONEY_UNITS,
            "interest paid + principal, all tranches",
            lambda y: f"={tranche_sum(('interest_paid', 'principal'), y)}",
            ("financing_debt", "debt_service"),
            FORMAT_EUR,
            total=True,
        )
        writer.formulas(
            f"balance {site}",
            "Debt balance at year end",
            MONEY_UNITS,
            "all tranches",
            lambda y: f"={tranche_sum(('balance',), y)}",
            ("financing_debt", "debt_balance"),
            FORMAT_EUR,
        )
        for item, (sign, variables) in FINANCING_ROW_FORMULAS.items():
            writer.formulas(
                f"{item} {site}",
                _item_label(item),
                MONEY_UNITS,
                ("inflow" if sign > 0 else "outflow") + ": sum of the tranches",
                lambda y, v=variables, g=sign: f"={'-' if g < 0 else ''}({tranche_sum(v, y)})",
                ("equity_item", item),
                FORMAT_EUR,
                total=True,
            )
        writer.section(f"{site}: cash flow available for debt service and covenants")

        def cfads(y: int, s=site_sheet, name=site) -> str:
            return (
                f"={s.ref('subtotal_revenue', y)}+{s.ref('subtotal_opex', y)}"
                f"+{s.ref('corporate_tax', y)}+{s.ref('subtotal_capex', y)}"
                f"+{at(f'debt_drawdown {name}', y)}"
            )

        writer.formulas(
            f"cfads {site}",
            "CFADS",
            MONEY_UNITS,
            "revenue + operating costs + corporate tax + capex (site sheet) + debt drawdowns; "
            "no horizon sale",
            cfads,
            ("financing", "cfads"),
            FORMAT_EUR,
            total=True,
            bold=True,
        )
        writer.values(
            f"cfads_written {site}",
            "CFADS the covenant accounts were computed on",
            MONEY_UNITS,
            "model value at the written inputs",
            site_series(result.financing["cfads"], site),
            FORMAT_EUR,
        )
        writer.values(
            f"capex_written {site}",
            "Capex at the written inputs (all capex)",
            MONEY_UNITS,
            "model value at the written inputs",
            site_series(_capex(result), site),
            FORMAT_EUR,
        )
        writer.formulas(
            f"dscr {site}",
            "DSCR",
            "x",
            f"CFADS / debt service ('{NOT_A_NUMBER}' in years without debt service)",
            lambda y, s=site: (
                f"=IF({at(f'debt_service {s}', y)}>0.5,"
                f'{at(f"cfads {s}", y)}/{at(f"debt_service {s}", y)},"{NOT_A_NUMBER}")'
            ),
            ("dscr",),
            excel_number_format("min_dscr"),
        )
        writer.formulas(
            f"lock_up {site}",
            "Lock-up (1 = distributions blocked)",
            "",
            "1 where DSCR < financing.lockup_dscr (Inputs)",
            lambda y, s=site: (
                f"=IF(AND({at(f'debt_service {s}', y)}>0.5,"
                f"{at(f'cfads {s}', y)}<{lockup}*{at(f'debt_service {s}', y)}),1,0)"
            ),
            ("financing", "lock_up"),
            "0",
        )
        for variable, label, how in COVENANT_ROWS:
            writer.values(
                f"{variable} {site}",
                label,
                "" if variable == "default" else MONEY_UNITS,
                how,
                site_series(result.financing[variable], site),
                "0" if variable == "default" else FORMAT_EUR,
                total=variable in ("reserve_funding", "reserve_draw"),
            )
        for item, how in (
            ("cash_held_back", "model value: - (change of the reserve and of locked-up cash)"),
            (
                "interest_tax_shield",
                "model value: unlevered tax - tax after interest and fees (loss carry-forward)",
            ),
        ):
            writer.values(
                f"{item} {site}",
                _item_label(item),
                MONEY_UNITS,
                how,
                site_series(result.equity_cube.sel(item=item), site),
                FORMAT_EUR,
                total=True,
            )
        writer.formulas(
            f"equity {site}",
            "Equity cash flow",
            MONEY_UNITS,
            "free cash flow (site sheet) + financing rows",
            lambda y, s=site, sh=site_sheet: (
                f"={sh.ref('fcf', y)}+" + "+".join(at(f"{i} {s}", y) for i in items)
            ),
            ("equity_cash_flow",),
            FORMAT_EUR,
            total=True,
            bold=True,
            fill=HEADER_FILL,
        )
    writer.site = PORTFOLIO
    writer.section("Portfolio: the sum of the sites, each its own borrower")
    for key, label in (("equity", "Equity cash flow"), ("balance", "Debt balance at year end")):
        writer.formulas(
            f"{key} {PORTFOLIO}",
            label,
            MONEY_UNITS,
            "sum of the sites",
            lambda y, k=key: "=" + "+".join(writer.at(f"{k} {s}", y) for s in sites),
            ("equity_cash_flow",) if key == "equity" else ("financing_debt", "debt_balance"),
            FORMAT_EUR,
            total=key == "equity",
            bold=key == "equity",
        )
    _write_validity_check(context, writer, sites, check_row)
    writer.row += 1
    _write_equity_metrics(context, writer, sites)
    writer.row += 1
    _write_sources_and_uses(context, writer, sites)
    sheet.sheet_properties.tabColor = "7030A0"
    for sheet_key, check in list(context.layout.checks.items()):
        kind = check.key[1][0] if check.key[0] == "total" else check.key[0]
        if sheet_key[0] == sheet.title and kind in SIZED_AT_WRITTEN_INPUTS:
            context.layout.sized_at_written_inputs.add(sheet_key)


def _capex(result):
    """Capex outflows of every site (year, site) [EUR], the rows the tranches fund."""
    capex = [item.name for item in LINE_ITEMS if item.category == "capex"]
    return result.cube.sel(item=capex).sum("item")


def _item_label(item: str) -> str:
    return next(line.label for line in LINE_ITEMS if line.name == item)


def _write_validity_check(context: Context, writer: RowWriter, sites, row: int) -> None:
    """The cell that says whether the schedules still fit the cash flow the sheet now shows."""
    sheet = writer.sheet
    n = len(writer.years)
    first, last = column(FIRST_YEAR_COLUMN), column(FIRST_YEAR_COLUMN + n - 1)
    terms = []
    for site in sites:
        site_sheet = context.case_sheets[writer.case][site]
        rows = writer.record.rows
        terms.append(
            f"SUMPRODUCT(ABS({first}{rows[f'cfads {site}']}:{last}{rows[f'cfads {site}']}"
            f"-{first}{rows[f'cfads_written {site}']}:{last}{rows[f'cfads_written {site}']}))"
        )
        terms.append(
            f"SUMPRODUCT(ABS({site_sheet.span('subtotal_capex')}"
            f"-{first}{rows[f'capex_written {site}']}:{last}{rows[f'capex_written {site}']}))"
        )
    put_text(sheet, f"A{row}", "Covenant accounts computed on the cash flow shown here", bold=True)
    put_text(sheet, f"B{row}", "yes / no")
    put_text(
        sheet,
        f"C{row}",
        "no: an input change moved CFADS or capex; the debt schedule stays as sized (fixed), "
        "re-run the model for the reserve account, default and tax shield",
        italic=True,
    )
    context.formula(
        sheet,
        f"D{row}",
        f'=IF({"+".join(terms)}<=1,"yes","no")',
        CellCheck(writer.case, PORTFOLIO, ("schedules_valid",)),
        None,
        bold=True,
    )


def _write_equity_metrics(context: Context, writer: RowWriter, sites) -> None:
    """Every equity metric of the table of outputs, per site and for the portfolio: a formula
    where the sheet's rows give it, else the model's value; the model's values beside them."""
    sheet = writer.sheet
    case = writer.case
    result = context.results[case]
    owners = [*sites, PORTFOLIO]
    row = writer.row + 1
    put_text(sheet, f"A{row}", "Equity and debt metrics", bold=True, size=12)
    row += 1
    owner_columns = {owner: column(4 + index) for index, owner in enumerate(owners)}
    model_columns = {owner: column(5 + len(owners) + index) for index, owner in enumerate(owners)}
    put_header_row(sheet, row, ("Metric", "Unit", "How it is computed"))
    for owner in owners:
        put_text(sheet, f"{owner_columns[owner]}{row}", owner, bold=True, fill=HEADER_FILL)
        put_text(
            sheet, f"{model_columns[owner]}{row}", f"model: {owner}", bold=True, fill=HEADER_FILL
        )
    row += 1
    cells: dict[str, dict[str, str]] = {}
    for name in EQUITY_METRICS:
        number_format = None if METRICS[name].group == "status" else excel_number_format(name)
        cells[name] = {owner: f"{owner_columns[owner]}{row}" for owner in owners}
        put_text(sheet, f"A{row}", metric_label(name))
        put_text(sheet, f"B{row}", metric_units(name))
        how = None
        for owner in owners:
            formula = _equity_formula(context, writer, name, owner, sites, cells)
            coordinate = f"{owner_columns[owner]}{row}"
            value = metric_value(result, owner, name)
            if METRICS[name].group == "status":
                owned = owner_values(result.metrics, result.portfolio, owner)
                value = status_text(name, int(owned[name]))
            if formula is None:
                how = "model value"
                _put_model(sheet, coordinate, value, number_format)
            else:
                how = "formula"
                context.formula(
                    sheet,
                    coordinate,
                    formula,
                    CellCheck(case, owner, ("metric", name)),
                    number_format,
                )
            _put_model(sheet, f"{model_columns[owner]}{row}", value, number_format)
        put_text(sheet, f"C{row}", how or "", italic=True, color="595959")
        row += 1
    writer.row = row


def _write_sources_and_uses(context: Context, writer: RowWriter, sites) -> None:
    """Each site's sources and uses of its construction period: the model's lines, with the
    totals and the equity as formulas (equity = total uses - debt, so the table balances)."""
    sheet = writer.sheet
    case = writer.case
    result = context.results[case]
    table = join_portfolio(result.sources_and_uses, result.portfolio_sources_and_uses)
    owners = [*sites, PORTFOLIO]
    row = writer.row + 1
    end = ", ".join(
        f"{site} {int(table['construction_end_year'].sel(site=site))}" for site in sites
    )
    put_text(
        sheet,
        f"A{row}",
        f"Sources and uses of the construction period (to {end}), EUR",
        bold=True,
        size=12,
    )
    row += 1
    columns = {owner: column(4 + index) for index, owner in enumerate(owners)}
    put_header_row(sheet, row, ("Line", "Side", "Definition"))
    for owner in owners:
        put_text(sheet, f"{columns[owner]}{row}", owner, bold=True, fill=HEADER_FILL)
    row += 1
    lines = [str(line) for line in table["line"].values]
    rows = {line: row + index for index, line in enumerate(lines)}
    debt = [line for line in lines if line.startswith("debt.")]
    uses = [line for line, side in zip(lines, table["side"].values, strict=True) if side == "uses"]
    uses = [line for line in uses if line != "total_uses"]
    for line, side, definition in zip(
        lines, table["side"].values, table["definition"].values, strict=True
    ):
        put_text(sheet, f"A{rows[line]}", line, bold=line.startswith("total"))
        put_text(sheet, f"B{rows[line]}", str(side))
        put_text(sheet, f"C{rows[line]}", str(definition), italic=True, color="595959")
        for owner in owners:
            letter = columns[owner]
            coordinate = f"{letter}{rows[line]}"
            value = float(table["amount"].sel(line=line, site=owner))
            if line == "total_uses":
                formula = "=" + "+".join(f"{letter}{rows[u]}" for u in uses)
            elif line == "equity":
                formula = f"={letter}{rows['total_uses']}" + "".join(
                    f"-{letter}{rows[d]}" for d in debt
                )
            elif line == "total_sources":
                formula = "=" + "+".join(f"{letter}{rows[d]}" for d in [*debt, "equity"])
            else:
                put_value(sheet, coordinate, value, "#,##0.00")
                continue
            context.formula(
                sheet,
                coordinate,
                formula,
                CellCheck(case, owner, ("sources_and_uses", line)),
                "#,##0.00",
                bold=line.startswith("total"),
            )
    writer.row = row + len(lines)


def _put_model(sheet, coordinate: str, value, number_format) -> None:
    if isinstance(value, str):
        put_text(sheet, coordinate, value)
    else:
        put_value(sheet, coordinate, value, number_format)


def _equity_formula(context, writer: RowWriter, name: str, owner: str, sites, cells) -> str | None:
    """The workbook formula of an equity metric, or None where the model's value is shown."""
    rows = writer.record.rows
    n = len(writer.years)
    first, second, last = (
        column(FIRST_YEAR_COLUMN),
        column(FIRST_YEAR_COLUMN + 1),
        column(FIRST_YEAR_COLUMN + n - 1),
    )

    def span(key: str, start: str = first) -> str:
        return f"{start}{rows[key]}:{last}{rows[key]}"

    equity = f"equity {owner}"

    def across_sites(metric: str) -> str:
        """The sites' cells of a metric: one range along the metrics row."""
        return f"{cells[metric][sites[0]]}:{cells[metric][sites[-1]]}"

    if name == "equity_npv":
        rate = context.parameter(writer.case, "financing.cost_of_equity")
        return f"={first}{rows[equity]}+NPV({rate},{span(equity, second)})"
    if name == "equity_irr":
        # three starting guesses: LibreOffice's IRR() misses a negative root from a positive one
        return (
            f"=IFERROR(IRR({span(equity)},0.1),IFERROR(IRR({span(equity)},0.01),"
            f'IFERROR(IRR({span(equity)},-0.1),"undefined")))'
        )
    if name == "moic":
        owners = sites if owner == PORTFOLIO else [owner]
        gains = "+".join(f'SUMIF({span(f"equity {s}")},">0")' for s in owners)
        costs = "+".join(f'SUMIF({span(f"equity {s}")},"<0")' for s in owners)
        return f'=IF(-({costs})>0,({gains})/-({costs}),"n/a")'
    if name in ("min_dscr", "average_dscr"):
        if owner == PORTFOLIO:  # the worst borrower's, never a pooled ratio
            return f'=IF(COUNT({across_sites(name)})=0,"n/a",MIN({across_sites(name)}))'
        dscr = span(f"dscr {owner}")
        statistic = "MIN" if name == "min_dscr" else "AVERAGE"
        return f'=IF(COUNT({dscr})=0,"n/a",{statistic}({dscr}))'
    if name == "min_dscr_year":
        if owner == PORTFOLIO:  # the year of the site with the lowest DSCR
            lowest = across_sites("min_dscr")
            return (
                f'=IF(COUNT({lowest})=0,"n/a",'
                f"INDEX({across_sites(name)},MATCH(MIN({lowest}),{lowest},0)))"
            )
        dscr = span(f"dscr {owner}")
        return f'=IF(COUNT({dscr})=0,"n/a",INDEX({span("year")},MATCH(MIN({dscr}),{dscr},0)))'
    if name in ("debt_drawn", "debt_at_horizon"):
        if owner == PORTFOLIO:
            return f"={'+'.join(cells[name][s] for s in sites)}"
        items = (
            ("debt_drawdown", "debt_drawdown_interest")
            if name == "debt_drawn"
            else ("debt_repayment_at_horizon",)
        )
        sign = "" if name == "debt_drawn" else "-"
        return "=" + sign + "(" + "+".join(f"SUM({span(f'{i} {owner}')})" for i in items) + ")"
    if name == "peak_debt":
        return f"=MAX({span(f'balance {owner}')})"
    if name == "lock_up":  # any year of the site; the portfolio's: any site
        if owner == PORTFOLIO:
            return f"=MAX({across_sites(name)})"
        return f"=MAX({span(f'lock_up {owner}')})"
    return None
