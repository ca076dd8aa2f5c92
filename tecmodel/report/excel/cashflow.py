"""The cash-flow sheets: one per site and one per portfolio of each case.

This module owns their rows: years as columns; the timeline and discount factors; the
quantities the live formulas need (energy at the operating IT capacity, GPU-hours offered,
accelerators weighted by the price index of their generation, the insured facility value ...);
the line items by category with subtotals and EBITDA; tax depreciation, the write-off of the
remaining book value and the tax with the French loss carry-forward; the free cash flow, its
discounting and cumulative sums. Items that depend on a live input are formulas of it and of
those quantities; the others are the model's values.

The quantities come from the component functions themselves, run at unit values of the
drivers (:func:`_unit_runs`): every driver enters its items linearly once the model's
quantities are known, so the workbook holds no second copy of the model's logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.model.cube import LINE_ITEMS
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.timeline import HOURS_PER_YEAR
from tecmodel.report.excel.layout import (
    CASE_DRIVERS,
    FORMAT_EUR,
    FORMAT_FACTOR,
    FORMAT_MILLIONS,
    FORMAT_NUMBER,
    HEADER_FILL,
    CashFlowSheet,
    Context,
    RowWriter,
    sheet_header,
)
from tecmodel.report.excel.verify import scalar, site_series


@dataclass(frozen=True)
class _UnitRuns:
    """Component outputs at unit driver values (the per-unit quantities of the formulas)."""

    per_eur_of_chip_price: Any  # components with the accelerator price at 1 EUR
    full_utilisation: Any  # components at 100 % utilisation, no accelerators, insurance rate 1
    base: Any  # components at the case values (capital additions)


def _unit_runs(result) -> _UnitRuns:
    """Run the component functions at unit values of the drivers.

    Every driver enters its items linearly, so an item at the case values is the item at a
    unit value times the driver: the accelerator items are the items at a price of 1 EUR per
    accelerator (USD price = USD per EUR) times the price; merchant revenue is the revenue at
    100 % utilisation times the utilisation; the insured facility value is the insurance at a
    rate of 1 with no accelerators.
    """
    from tecmodel.model.components.pipeline import run_components

    params, timeline = result.parameters, result.timeline
    unit_chip = params.assign(
        {"chips.unit_price": params["fx.usd_per_eur"] * xr.ones_like(params["chips.unit_price"])}
    )
    full = params.assign(
        {
            "revenue.utilisation": xr.ones_like(params["revenue.utilisation"]),
            "chips.unit_price": xr.zeros_like(params["chips.unit_price"]),
            "operations.insurance_rate": xr.ones_like(params["operations.insurance_rate"]),
        }
    )
    return _UnitRuns(
        run_components(unit_chip, timeline),
        run_components(full, timeline),
        run_components(params, timeline),
    )


#: Items written as formulas (they depend on a live input); the others are the model's values.
FORMULA_ITEMS = frozenset(
    {
        "revenue_merchant",
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


CATEGORY_LABELS = {
    "revenue": "Revenue",
    "opex": "Operating costs",
    "capex": "Capital expenditure",
    "residual": "Residual value at the horizon",
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
    rows = _Site(context, writer, result, case, site, _unit_runs(result))
    _write_timeline_rows(rows)
    _write_constant_rows(rows)
    _write_energy_rows(rows)
    _write_accelerator_rows(rows)
    _write_line_items(writer, result, site, _item_formulas(rows), ITEM_HOWS)
    _write_tax_rows(rows)
    rate = context.driver(case, "discount_rate")
    _write_free_cash_flow(writer, rate, lambda y: f"=-{writer.at('tax', y)}")
    sheet.sheet_properties.tabColor = "2F75B5"
    return writer.record


@dataclass(frozen=True)
class _Site:
    """What the row writers of one site sheet share."""

    context: Context
    writer: RowWriter
    result: Any
    case: int
    site: str
    runs: _UnitRuns

    def parameter(self, name: str) -> str:
        """Reference to a parameter's cell on the Inputs sheet."""
        return self.context.parameter(self.case, name, self.site)

    def driver(self, key: str) -> str:
        """Defined name of a live input of this site (or of the case: the discount rate)."""
        site = None if key in CASE_DRIVERS else self.site
        return self.context.driver(self.case, key, site)

    def per_site(self, array) -> np.ndarray:
        """Values over years of this site."""
        return site_series(array, self.site)


#: How each formula item is computed (the "How it is computed" column).
ITEM_HOWS = {
    "revenue_merchant": "merchant revenue at 100 % x utilisation",
    "power_contract_energy": (
        "facility energy x contract share x contract price x (1 + indexation)^t"
    ),
    "power_market_energy": (
        "facility energy x (1 - contract share) x energy price x (1 + escalation)^t"
    ),
    "power_grid_energy_tariff": "facility energy x TURPE energy tariff x inflation index",
    "power_excise": "facility energy x excise x inflation index",
    "power_capacity_mechanism": "facility energy x capacity cost x inflation index",
    "operations_it_support": "purchase value of operating accelerators x IT support rate",
    "operations_insurance": ("(insured facility value + operating accelerators) x insurance rate"),
    "chips_purchase": "accelerators bought x price index x accelerator price",
    "chips_resale": "accelerators resold x price index x resale share x accelerator price",
    "chips_residual": "remaining-value accelerators x accelerator price",
}


def _write_timeline_rows(s: _Site) -> None:
    """Model year, discount factors, inflation index and the IT capacity in operation."""
    writer = s.writer
    per_site = s.per_site
    timeline = s.result.timeline
    _write_discounting_rows(writer, timeline["t"].values, s.driver("discount_rate"))
    writer.values(
        "inflation",
        "Inflation index",
        "1",
        "(1 + inflation)^t (fixed)",
        _escalation_series(s.result, "finance.inflation", s.site),
        FORMAT_FACTOR,
    )
    writer.values(
        "operating_mw",
        "Operating IT capacity (year average)",
        "MW",
        "IT MW of the phases in operation x operating fraction",
        per_site(timeline["operating_it_mw"]),
        "#,##0.0",
    )
    writer.values(
        "installed_mw",
        "Installed IT capacity (year end)",
        "MW",
        "",
        per_site(timeline["installed_it_mw"]),
        "#,##0.0",
    )


def _write_discounting_rows(writer: RowWriter, model_years: np.ndarray, rate: str) -> None:
    """The section heading, the model year t and the discount factor of a cash-flow sheet.

    Parameters
    ----------
    writer : RowWriter
        The sheet's row writer (a site or a portfolio).
    model_years : numpy.ndarray
        Model year t of each year column [yr] (0 for the first model year).
    rate : str
        Defined name of the case's discount rate [1/yr].
    """
    writer.section("Timeline and discounting")
    writer.values("t", "Model year t", "yr", "years since the first model year", model_years, "0")
    writer.formulas(
        "discount_factor",
        "Discount factor",
        "1",
        "1 / (1 + discount rate)^t",
        lambda y: f"=1/(1+{rate})^{writer.at('t', y)}",
        ("discount_factor",),
        FORMAT_FACTOR,
    )


def _write_constant_rows(s: _Site) -> None:
    """PUE, hours, the IT load factor (utilisation) and the accelerator price in EUR."""
    writer = s.writer
    p = s.parameter
    writer.section("Site constants")
    pue = scalar(s.result.quantities["pue_annual"], s.site)
    writer.scalar_value(
        "pue",
        "Annual-average PUE",
        "1",
        "1 + electrical losses + annual cooling overhead (fixed)",
        pue,
        "0.000",
    )
    writer.scalar_value("hours", "Hours per year", "h", "", HOURS_PER_YEAR, "#,##0")
    writer.scalar_formula(
        "load_factor",
        "IT load factor",
        "1",
        "idle share + (busy share - idle share) x utilisation",
        f"={p('power.idle_share')}+({p('power.active_load_share')}-{p('power.idle_share')})"
        f"*{s.driver('utilisation')}",
        ("load_factor",),
        "0.0000",
    )
    writer.scalar_formula(
        "chip_price",
        "Accelerator price in the reference year",
        "EUR/accelerator",
        "accelerator price (USD) / USD per EUR",
        f"={s.driver('chip_cost')}/{p('fx.usd_per_eur')}",
        ("chip_price_eur",),
        "#,##0.00",
    )
    reference_year = int(scalar(s.result.timeline["reference_year"], s.site))
    writer.scalar_value(
        "reference_year",
        "Reference year of the site's prices",
        "year",
        "planned first online year",
        reference_year,
        "0",
    )


def _write_energy_rows(s: _Site) -> None:
    """Energy, water and GPU-hours; those that depend on utilisation as formulas."""
    writer = s.writer
    at = s.writer.at
    per_site = s.per_site
    quantities = s.result.quantities
    utilisation = s.driver("utilisation")
    writer.section("Energy and compute")
    writer.formulas(
        "it_energy",
        "IT energy",
        "MWh",
        "operating IT MW x IT load factor x hours",
        lambda y: (
            f"={at('operating_mw', y)}*{writer.scalar_at('load_factor')}"
            f"*{writer.scalar_at('hours')}"
        ),
        ("quantity", "it_energy_mwh"),
        FORMAT_NUMBER,
        total=True,
    )
    writer.formulas(
        "facility_energy",
        "Facility energy at the meter",
        "MWh",
        "IT energy x annual PUE",
        lambda y: f"={at('it_energy', y)}*{writer.scalar_at('pue')}",
        ("quantity", "facility_energy_mwh"),
        FORMAT_NUMBER,
        total=True,
    )
    writer.formulas(
        "water",
        "Cooling water",
        "m3",
        "IT energy x water use (L/kWh = m3/MWh)",
        lambda y: f"={at('it_energy', y)}*{s.parameter('cooling.water_use')}",
        ("quantity", "water_m3"),
        FORMAT_NUMBER,
        total=True,
    )
    writer.values(
        "subscribed_mw",
        "Subscribed grid power",
        "MW",
        "operating IT MW x peak PUE (fixed)",
        per_site(quantities["subscribed_mw"]),
        "#,##0.0",
    )
    available = per_site(quantities["gpu_hours_available"])
    contract_share = scalar(s.result.parameters["revenue.contract_share"], s.site)
    for key, label, how, hours in (
        (
            "hours_available",
            "GPU-hours available",
            "accelerators x hours x operating fraction",
            available,
        ),
        (
            "hours_contract",
            "GPU-hours under take-or-pay contracts",
            "available x contract share (billed in full)",
            available * contract_share,
        ),
        (
            "hours_offered",
            "GPU-hours offered on the merchant market",
            "available x (1 - contract share)",
            available * (1.0 - contract_share),
        ),
    ):
        writer.values(key, label, "M GPU-hours", how, hours, FORMAT_MILLIONS, total=True)
    writer.formulas(
        "hours_merchant",
        "GPU-hours sold on the merchant market",
        "M GPU-hours",
        "offered x utilisation",
        lambda y: f"={at('hours_offered', y)}*{utilisation}",
        ("merchant_hours",),
        FORMAT_MILLIONS,
        total=True,
    )
    writer.formulas(
        "hours_sold",
        "GPU-hours sold",
        "M GPU-hours",
        "contract + merchant",
        lambda y: f"={at('hours_contract', y)}+{at('hours_merchant', y)}",
        ("quantity", "gpu_hours_sold"),
        FORMAT_MILLIONS,
        total=True,
    )
    writer.values(
        "merchant_revenue_full",
        "Merchant revenue at 100 % utilisation",
        "EUR m",
        "offered GPU-hours x merchant price of their generation (fixed)",
        per_site(s.runs.full_utilisation.items["revenue_merchant"]),
        FORMAT_EUR,
        total=True,
    )
    writer.values(
        "accelerators",
        "Accelerators installed (year end)",
        "accelerator",
        "",
        per_site(quantities["accelerators_installed"]),
        FORMAT_NUMBER,
    )


def _write_accelerator_rows(s: _Site) -> None:
    """Accelerators weighted by the price index of their generation, and the insured value."""
    writer = s.writer
    at = s.writer.at
    per_site = s.per_site
    runs = s.runs
    quantities = s.result.quantities
    writer.section(
        "Accelerators, weighted by the price index of their generation "
        "(x the accelerator price gives EUR)"
    )
    unit = runs.per_eur_of_chip_price
    for key, label, how, series, total in (
        (
            "bought",
            "Accelerators bought x price index",
            "price index = (1 + chip price trend)^(purchase year - reference year)",
            -per_site(unit.items["chips_purchase"]),
            True,
        ),
        (
            "resold",
            "Accelerators resold x price index x resale share",
            "the retired generation at each refresh",
            per_site(unit.items["chips_resale"]),
            True,
        ),
        (
            "residual_equivalent",
            "Accelerators at the horizon x price index x remaining value",
            "remaining straight-line value share x terminal value share",
            per_site(unit.items["chips_residual"]),
            True,
        ),
        (
            "operating_equivalent",
            "Operating accelerators x price index",
            "weighted by the operating fraction",
            per_site(unit.quantities["it_value_operating"]),
            False,
        ),
        (
            "first_generation_equivalent",
            "First-generation accelerators x price index",
            "the initial build-out",
            per_site(unit.quantities["initial_capex_chips"]),
            True,
        ),
    ):
        writer.values(key, label, "accelerator", how, series, FORMAT_NUMBER, total=total)
    writer.formulas(
        "it_value",
        "Purchase value of operating accelerators",
        "EUR m",
        "operating accelerators x price index x accelerator price",
        lambda y: f"={at('operating_equivalent', y)}*{writer.scalar_at('chip_price')}",
        ("quantity", "it_value_operating"),
        FORMAT_EUR,
    )
    writer.formulas(
        "initial_chips",
        "Initial capex, accelerators",
        "EUR m",
        "first-generation accelerators x price index x accelerator price",
        lambda y: f"={at('first_generation_equivalent', y)}*{writer.scalar_at('chip_price')}",
        ("quantity", "initial_capex_chips"),
        FORMAT_EUR,
        total=True,
    )
    initial_other = sum(
        per_site(quantities[name])
        for name in quantities.data_vars
        if name.startswith("initial_capex_") and name != "initial_capex_chips"
    )
    writer.values(
        "initial_other",
        "Initial capex, facility",
        "EUR m",
        "shell, electrical, contingency, land, grid connection, cooling (fixed)",
        initial_other,
        FORMAT_EUR,
        total=True,
    )
    insured = -per_site(runs.full_utilisation.items["operations_insurance"])
    writer.values(
        "insured_facility",
        "Insured facility value",
        "EUR m",
        "current cost of the operating shell, electrical and cooling plant (fixed)",
        insured,
        FORMAT_EUR,
    )


def _write_tax_rows(s: _Site) -> None:
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
        "EUR m",
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
        "EUR m",
        "building, electrical, cooling, grid connection (fixed)",
        other_depreciation,
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "depreciation",
        "Tax depreciation",
        "EUR m",
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
        "EUR m",
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
        "EUR m",
        "last year: all additions - all depreciation",
        write_off,
        ("finance", "nbv_write_off"),
        FORMAT_EUR,
        values=np.zeros(n),
    )
    writer.formulas(
        "taxable_items",
        "Taxable cash items",
        "EUR m",
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
        "EUR m",
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
        "EUR m",
        "if profit > 0: min(losses carried in, EUR 1 M + 50 % of profit above it, profit)",
        relief,
        ("finance", "loss_relief"),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "taxable_income",
        "Taxable income",
        "EUR m",
        "max(profit - losses offset, 0)",
        lambda y: f"=MAX({at('profit', y)}-{at('loss_relief', y)},0)",
        ("finance", "taxable_income"),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "tax",
        "Corporate income tax due",
        "EUR m",
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
        "EUR m",
        "carried in - offset + loss of the year",
        lambda y: f"={pool_before(y)}-{at('loss_relief', y)}+MAX(-{at('profit', y)},0)",
        ("finance", "loss_pool"),
        FORMAT_EUR,
    )


def _item_formulas(s: _Site) -> dict[str, Callable[[int], str]]:
    """Formulas of the line items that depend on a live input, by item."""
    writer = s.writer
    at = s.writer.at
    p = s.parameter
    utilisation = s.driver("utilisation")
    energy_price = s.driver("energy_price")
    return {
        "revenue_merchant": lambda y: f"={at('merchant_revenue_full', y)}*{utilisation}",
        "power_contract_energy": lambda y: (
            f"=-({at('facility_energy', y)}*{p('power.contract_share')}*"
            f"({p('power.contract_price')}*(1+{p('power.contract_indexation')})"
            f"^{at('t', y)}))"
        ),
        "power_market_energy": lambda y: (
            f"=-({at('facility_energy', y)}*(1-{p('power.contract_share')})*"
            f"({energy_price}*(1+{p('power.market_escalation')})^{at('t', y)}))"
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


def _escalation_series(result, rate_name: str, site: str) -> np.ndarray:
    from tecmodel.model.timeline import escalation

    values = escalation(result.timeline, result.parameters[rate_name])
    if "site" in values.dims:
        values = values.sel(site=site)
    return np.asarray(values.transpose("year", ...).values, dtype=float)


def _write_line_items(
    writer: RowWriter,
    result,
    site: str,
    item_formulas: Mapping[str, Callable[[int], str]],
    item_hows: Mapping[str, str],
) -> None:
    """Revenue, opex, EBITDA, capex, residual value and the pre-tax cash flow rows."""
    at = writer.at
    for category in ("revenue", "opex", "capex", "residual"):
        writer.section(CATEGORY_LABELS[category])
        first = writer.row
        for item in LINE_ITEMS:
            if item.category != category:
                continue
            label = item.label
            if item.name in item_formulas:
                writer.formulas(
                    item.name,
                    label,
                    "EUR m",
                    item_hows.get(item.name, ""),
                    item_formulas[item.name],
                    ("item", item.name),
                    FORMAT_EUR,
                    total=True,
                )
            else:
                writer.values(
                    item.name,
                    label,
                    "EUR m",
                    "model value (fixed)",
                    site_series(result.cube.sel(item=item.name), site),
                    FORMAT_EUR,
                    total=True,
                )
        last_row = writer.row - 1
        writer.formulas(
            f"subtotal_{category}",
            f"Total {CATEGORY_LABELS[category].lower()}",
            "EUR m",
            "sum",
            lambda y, a=first, b=last_row: f"=SUM({writer.letter(y)}{a}:{writer.letter(y)}{b})",
            ("category", category),
            FORMAT_EUR,
            total=True,
            bold=True,
        )
        if category == "opex":
            writer.formulas(
                "ebitda",
                "EBITDA",
                "EUR m",
                "revenue + operating costs",
                lambda y: f"={at('subtotal_revenue', y)}+{at('subtotal_opex', y)}",
                ("ebitda",),
                FORMAT_EUR,
                total=True,
                bold=True,
                fill=HEADER_FILL,
            )
    writer.row += 1
    writer.formulas(
        "pre_tax",
        "Pre-tax cash flow",
        "EUR m",
        "EBITDA + capital expenditure + residual value",
        lambda y: f"={at('ebitda', y)}+{at('subtotal_capex', y)}+{at('subtotal_residual', y)}",
        ("pre_tax",),
        FORMAT_EUR,
        total=True,
        bold=True,
        fill=HEADER_FILL,
    )


def _write_free_cash_flow(writer: RowWriter, rate: str, tax_formula: Callable[[int], str]) -> None:
    at = writer.at
    n = len(writer.years)
    writer.section("Free cash flow and discounting")
    writer.formulas(
        "corporate_tax",
        "Corporate income tax",
        "EUR m",
        "outflow",
        tax_formula,
        ("item", "corporate_tax"),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "fcf",
        "Free cash flow",
        "EUR m",
        "pre-tax cash flow + corporate income tax",
        lambda y: f"={at('pre_tax', y)}+{at('corporate_tax', y)}",
        ("fcf",),
        FORMAT_EUR,
        total=True,
        bold=True,
        fill=HEADER_FILL,
    )
    writer.formulas(
        "discounted_fcf",
        "Discounted free cash flow",
        "EUR m",
        "free cash flow x discount factor",
        lambda y: f"={at('fcf', y)}*{at('discount_factor', y)}",
        ("discounted_fcf",),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "cumulative_fcf",
        "Cumulative free cash flow",
        "EUR m",
        "",
        lambda y: (
            f"={at('fcf', y)}" if y == 0 else f"={at('cumulative_fcf', y - 1)}+{at('fcf', y)}"
        ),
        ("cumulative_fcf",),
        FORMAT_EUR,
    )
    writer.formulas(
        "cumulative_dcf",
        "Cumulative discounted free cash flow",
        "EUR m",
        "its last value is the NPV",
        lambda y: (
            f"={at('discounted_fcf', y)}"
            if y == 0
            else f"={at('cumulative_dcf', y - 1)}+{at('discounted_fcf', y)}"
        ),
        ("cumulative_dcf",),
        FORMAT_EUR,
        bold=True,
    )
    flag_row = writer.row

    def flag(y: int) -> str:
        if y == n - 1:
            return f"=IF({at('cumulative_fcf', y)}>=0,1,0)"
        return f"=IF(AND({at('cumulative_fcf', y)}>=0,{writer.letter(y + 1)}{flag_row}=1),1,0)"

    writer.formulas(
        "payback_flag",
        "Cumulative free cash flow stays >= 0 from this year",
        "1 = yes",
        "the payback year is the first year with 1",
        flag,
        ("payback_flag",),
        "0",
    )


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

    _write_discounting_rows(writer, result.timeline["t"].values, rate)
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
            "EUR m",
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
        "EUR m",
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
    _write_line_items(
        writer, result, PORTFOLIO, items, {name: "sum of the sites" for name in items}
    )
    _write_free_cash_flow(writer, rate, total_of("corporate_tax"))
    sheet.sheet_properties.tabColor = "548235"
    return writer.record
