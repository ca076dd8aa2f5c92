"""The cash-flow sheet of one site.

This module owns the sheet's order and its live formulas: the site's quantities
(:mod:`.site_quantities`), the line items by category, those that depend on a live input as
formulas of the quantities and the input cells (:func:`item_formulas`), the tax depreciation,
the write-off of the remaining book value and the tax with the French loss carry-forward
(:func:`write_tax_rows`), then the free cash flow and its discounting.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tecmodel.report.excel.cashflow_rows import write_free_cash_flow, write_line_items
from tecmodel.report.excel.layout import (
    FORMAT_EUR,
    MONEY_UNITS,
    CashFlowSheet,
    Context,
    RowWriter,
    sheet_header,
)
from tecmodel.report.excel.site_quantities import (
    SiteRows,
    unit_runs,
    write_accelerator_rows,
    write_constant_rows,
    write_energy_rows,
    write_path_rows,
    write_timeline_rows,
)
from tecmodel.report.excel.verify import scalar

#: Items written as formulas (they depend on a live input); the others are the model's values.
FORMULA_ITEMS = frozenset(
    {
        "revenue_merchant",
        "revenue_contract",
        "power_contract_energy",
        "power_market_energy",
        "power_grid_energy_tariff",
        "power_excise",
        "power_capacity_mechanism",
        "operations_it_support",
        "operations_insurance",
        "chips_purchase",
        "chips_resale",
        "chips_residual",
        "corporate_tax",
    }
)


#: How each formula item is computed (the "How it is computed" column).
ITEM_HOWS = {
    "revenue_merchant": "merchant GPU-hours offered x price index x GPU-hour price x utilisation"
    " x currency factor",
    "revenue_contract": "contract GPU-hours x price index x contract price x currency factor",
    "power_contract_energy": (
        "facility energy x contract share x in force x contract price x (1 + indexation)^t"
    ),
    "power_market_energy": (
        "facility energy x (1 - contract share x in force) x energy price x path"
        " x (1 + escalation)^t"
    ),
    "power_grid_energy_tariff": "facility energy x TURPE energy tariff x inflation index",
    "power_excise": "facility energy x excise x inflation index",
    "power_capacity_mechanism": "facility energy x capacity cost x inflation index",
    "operations_it_support": "purchase value of operating accelerators x IT support rate",
    "operations_insurance": ("(insured facility value + operating accelerators) x insurance rate"),
    "chips_purchase": "accelerators bought x price index x accelerator price",
    "chips_resale": "accelerators resold x price index x resale share x accelerator price",
    "chips_residual": "accelerators at market resale share x accelerator price (liquidation)",
}


def write_site_sheet(context: Context, sheet, case: int, site: str) -> CashFlowSheet:
    """Write the cash-flow sheet of one site; return its row numbers."""
    result = context.results[case]
    writer = RowWriter(context, sheet, case, site, result.cube["year"].values)
    sheet_header(
        context,
        writer,
        f"{result.case.title}: {site}",
        f"Case {result.case.name}, site {site}. Nominal EUR stored in full, shown in EUR millions; "
        "inflows positive; year-end cash flows; the first model year is t = 0 (undiscounted).",
    )
    rows = SiteRows(context, writer, result, case, site, unit_runs(result))
    write_timeline_rows(rows)
    write_path_rows(rows)
    write_constant_rows(rows)
    write_energy_rows(rows)
    write_accelerator_rows(rows)
    write_line_items(writer, result, site, item_formulas(rows), ITEM_HOWS)
    write_tax_rows(rows)
    rate = context.driver(case, "discount_rate")
    write_free_cash_flow(writer, rate, lambda y: f"=-{writer.at('tax', y)}")
    sheet.sheet_properties.tabColor = "2F75B5"
    return writer.record


def item_formulas(s: SiteRows) -> dict[str, Callable[[int], str]]:
    """Formulas of the line items that depend on a live input, by item."""
    writer = s.writer
    at = s.writer.at
    p = s.parameter
    utilisation = s.driver("utilisation")
    energy_price = s.driver("energy_price")
    return {
        "revenue_merchant": lambda y: (
            f"={at('merchant_hours_indexed', y)}*{s.driver('gpu_hour_price')}*{utilisation}"
            f"*{at('merchant_currency', y)}"
        ),
        "revenue_contract": lambda y: (
            f"={at('contract_hours_indexed', y)}*{p('revenue.contract_price')}"
            f"*{at('contract_currency', y)}"
        ),
        "power_contract_energy": lambda y: (
            f"=-({at('facility_energy', y)}*{p('power.contract_share')}*{at('in_contract_term', y)}"
            f"*({p('power.contract_price')}*(1+{p('power.contract_indexation')})"
            f"^{at('t', y)}))"
        ),
        "power_market_energy": lambda y: (
            f"=-({at('facility_energy', y)}*(1-{p('power.contract_share')}"
            f"*{at('in_contract_term', y)})*({energy_price}*{at('market_price_path', y)}"
            f"*(1+{p('power.market_escalation')})^{at('t', y)}))"
        ),
        "power_grid_energy_tariff": lambda y: (
            f"=-({at('facility_energy', y)}*{p('power.grid_tariff_energy')}*{at('inflation', y)})"
        ),
        "power_excise": lambda y: (
            f"=-({at('facility_energy', y)}*{p('power.excise')}*{at('inflation', y)})"
        ),
        "power_capacity_mechanism": lambda y: (
            f"=-({at('facility_energy', y)}*{p('power.capacity_cost')}*{at('inflation', y)})"
        ),
        "operations_it_support": lambda y: (
            f"=-({at('it_value', y)}*{p('operations.it_support_rate')})"
        ),
        "operations_insurance": lambda y: (
            f"=-(({at('insured_facility', y)}+{at('it_value', y)})"
            f"*{p('operations.insurance_rate')})"
        ),
        "chips_purchase": lambda y: f"=-({at('bought', y)}*{writer.scalar_at('chip_price')})",
        "chips_resale": lambda y: f"={at('resold', y)}*{writer.scalar_at('chip_price')}",
        "chips_residual": lambda y: (
            f"={at('residual_equivalent', y)}*{writer.scalar_at('chip_price')}"
        ),
    }


def write_tax_rows(s: SiteRows) -> None:
    """Depreciation, write-off, taxable income and the tax with the French loss carry-forward."""
    writer = s.writer
    at = s.writer.at
    per_site = s.per_site
    n = len(s.writer.years)
    writer.section("Corporate income tax (the site is taxed standalone)")
    life = int(scalar(s.result.parameters["chips.tax_life_years"], s.site))

    def depreciation(y: int) -> str:
        first = writer.letter(max(0, y - life + 1))
        return (
            f"=-SUM({first}{writer.record.rows['chips_purchase']}:{at('chips_purchase', y)})/{life}"
        )

    writer.formulas(
        "depreciation_it",
        "Tax depreciation, IT equipment",
        MONEY_UNITS,
        f"straight line over {life} years from the year of purchase (full first year)",
        depreciation,
        ("depreciation", "it_equipment"),
        FORMAT_EUR,
        total=True,
    )
    other_classes = [
        name for name in s.result.finance["asset_class"].values if name != "it_equipment"
    ]
    other_depreciation = per_site(
        s.result.finance["depreciation"].sel(asset_class=other_classes).sum("asset_class")
    )
    writer.values(
        "depreciation_other",
        "Tax depreciation, facility assets",
        MONEY_UNITS,
        "building, electrical, cooling, grid connection (fixed)",
        other_depreciation,
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "depreciation",
        "Tax depreciation",
        MONEY_UNITS,
        "IT equipment + facility assets",
        lambda y: f"={at('depreciation_it', y)}+{at('depreciation_other', y)}",
        ("depreciation_total",),
        FORMAT_EUR,
        total=True,
    )
    additions_other = sum(
        per_site(s.runs.base.additions[name])
        for name in s.runs.base.additions
        if name != "it_equipment"
    )
    writer.values(
        "additions_other",
        "Capital additions, facility assets",
        MONEY_UNITS,
        "building, electrical, land, grid connection, cooling placed in service (fixed)",
        additions_other,
        FORMAT_EUR,
        total=True,
    )
    last = n - 1

    def write_off(y: int) -> str | None:
        if y != last:
            return None
        return (
            f"=SUM({writer.span('additions_other')})-SUM({writer.span('chips_purchase')})"
            f"-SUM({writer.span('depreciation')})"
        )

    writer.formulas(
        "write_off",
        "Remaining tax book value written off",
        MONEY_UNITS,
        "last year: all additions - all depreciation",
        write_off,
        ("finance", "nbv_write_off"),
        FORMAT_EUR,
        values=np.zeros(n),
    )
    writer.formulas(
        "taxable_items",
        "Taxable cash items",
        MONEY_UNITS,
        "revenue + operating costs + resale of accelerators + residual value",
        lambda y: (
            f"={at('subtotal_revenue', y)}+{at('subtotal_opex', y)}+{at('chips_resale', y)}"
            f"+{at('subtotal_residual', y)}"
        ),
        ("taxable_items",),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "profit",
        "Taxable income before loss relief",
        MONEY_UNITS,
        "taxable cash items - depreciation - write-off",
        lambda y: f"={at('taxable_items', y)}-{at('depreciation', y)}-{at('write_off', y)}",
        ("finance", "taxable_income_before_losses"),
        FORMAT_EUR,
        total=True,
    )
    fixed, share = s.parameter("tax.loss_offset_fixed"), s.parameter("tax.loss_offset_share")
    tax_rate = s.parameter("tax.corporate_rate")

    def pool_before(y: int) -> str:
        return "0" if y == 0 else at("loss_pool", y - 1)

    def relief(y: int) -> str:
        profit = at("profit", y)
        cap = f"{fixed}+{share}*MAX({profit}-{fixed},0)"
        return f"=IF({profit}>0,MIN({pool_before(y)},{cap},{profit}),0)"

    # The loss pool row is referenced before it is written: reserve its row number.
    pool_row = writer.row + 3
    writer.record.rows["loss_pool"] = pool_row
    writer.formulas(
        "loss_relief",
        "Carried-forward losses offset",
        MONEY_UNITS,
        "if profit > 0: min(losses carried in, EUR 1 M + 50 % of profit above it, profit)",
        relief,
        ("finance", "loss_relief"),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "taxable_income",
        "Taxable income",
        MONEY_UNITS,
        "max(profit - losses offset, 0)",
        lambda y: f"=MAX({at('profit', y)}-{at('loss_relief', y)},0)",
        ("finance", "taxable_income"),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "tax",
        "Corporate income tax due",
        MONEY_UNITS,
        "tax rate x taxable income",
        lambda y: f"={tax_rate}*{at('taxable_income', y)}",
        ("finance", "tax"),
        FORMAT_EUR,
        total=True,
    )
    assert writer.row == pool_row
    writer.formulas(
        "loss_pool",
        "Losses carried forward (year end)",
        MONEY_UNITS,
        "carried in - offset + loss of the year",
        lambda y: f"={pool_before(y)}-{at('loss_relief', y)}+MAX(-{at('profit', y)},0)",
        ("finance", "loss_pool"),
        FORMAT_EUR,
    )
