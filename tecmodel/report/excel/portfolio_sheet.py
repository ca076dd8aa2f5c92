"""The cash-flow sheet of a case's portfolio: the sum of its sites, each taxed standalone."""

from __future__ import annotations

from collections.abc import Callable

from tecmodel.model.cube import LINE_ITEMS
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.report.excel.cashflow_rows import (
    write_discounting_rows,
    write_free_cash_flow,
    write_line_items,
)
from tecmodel.report.excel.layout import (
    FORMAT_EUR,
    FORMAT_MILLIONS,
    FORMAT_NUMBER,
    MONEY_UNITS,
    CashFlowSheet,
    Context,
    RowWriter,
    sheet_header,
)
from tecmodel.report.excel.verify import site_series


def write_portfolio_sheet(context: Context, sheet, case: int) -> CashFlowSheet:
    result = context.results[case]
    years = result.cube["year"].values
    sites = [context.case_sheets[case][site] for site in result.case.site_names]
    writer = RowWriter(context, sheet, case, PORTFOLIO, years)
    sheet_header(
        context,
        writer,
        f"{result.case.title}: portfolio",
        f"Case {result.case.name}: the sum of its sites ({', '.join(result.case.site_names)}), "
        "each taxed standalone. EUR stored in full, shown in EUR millions; first model year t = 0.",
    )
    rate = context.driver(case, "discount_rate")

    def total_of(key: str) -> Callable[[int], str]:
        return lambda y: "=" + "+".join(site.ref(key, y) for site in sites)

    write_discounting_rows(writer, result.timeline["t"].values, rate)
    writer.section("Energy and compute (sum of the sites)")
    for key, label, unit, check, number_format in (
        ("it_energy", "IT energy", "MWh", ("quantity", "it_energy_mwh"), FORMAT_NUMBER),
        (
            "facility_energy",
            "Facility energy at the meter",
            "MWh",
            ("quantity", "facility_energy_mwh"),
            FORMAT_NUMBER,
        ),
        ("water", "Cooling water", "m3", ("quantity", "water_m3"), FORMAT_NUMBER),
        (
            "hours_sold",
            "GPU-hours sold",
            "M GPU-hours",
            ("quantity", "gpu_hours_sold"),
            FORMAT_MILLIONS,
        ),
        (
            "initial_chips",
            "Initial capex, accelerators",
            MONEY_UNITS,
            ("quantity", "initial_capex_chips"),
            FORMAT_EUR,
        ),
    ):
        writer.formulas(
            key, label, unit, "sum of the sites", total_of(key), check, number_format, total=True
        )
    writer.values(
        "initial_other",
        "Initial capex, facility",
        MONEY_UNITS,
        "sum of the sites (fixed)",
        sum(
            site_series(q, site.site)
            for site in sites
            for name, q in result.quantities.data_vars.items()
            if name.startswith("initial_capex_") and name != "initial_capex_chips"
        ),
        FORMAT_EUR,
        total=True,
    )
    items = {item.name: total_of(item.name) for item in LINE_ITEMS if item.category != "tax"}
    write_line_items(writer, result, PORTFOLIO, items, {name: "sum of the sites" for name in items})
    write_free_cash_flow(writer, rate, total_of("corporate_tax"))
    sheet.sheet_properties.tabColor = "548235"
    return writer.record
