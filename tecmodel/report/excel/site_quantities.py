"""The rows of a site's cash-flow sheet that hold what its live formulas multiply.

This module owns the site's quantities: the timeline, discount factors and inflation index;
the site constants (PUE, hours, IT load factor, accelerator price in EUR); energy, water and
GPU-hours; accelerators weighted by the price index of their generation and the insured
facility value. Those that depend on a live input are formulas; the others are the model's
values.

The per-unit quantities come from the component functions themselves, run at unit values of
the drivers (:func:`unit_runs`): every driver enters its items linearly once the model's
quantities are known, so the workbook holds no second copy of the model's logic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.inputs.parameters import central_name
from tecmodel.model.components.markets import reference_rate
from tecmodel.model.components.pipeline import run_components
from tecmodel.model.timeline import HOURS_PER_YEAR, escalation
from tecmodel.report.excel.cashflow_rows import write_discounting_rows
from tecmodel.report.excel.layout import (
    CASE_DRIVERS,
    FORMAT_EUR,
    FORMAT_FACTOR,
    FORMAT_MILLIONS,
    FORMAT_NUMBER,
    MONEY_UNITS,
    Context,
    RowWriter,
)
from tecmodel.report.excel.verify import scalar, site_series


@dataclass(frozen=True)
class UnitRuns:
    """Component outputs at unit driver values (the per-unit quantities of the formulas)."""

    per_eur_of_chip_price: Any  # components with the accelerator price at 1 EUR
    full_utilisation: Any  # 100 % utilisation, GPU-hour prices 1 EUR, no accelerators, insurance 1
    base: Any  # components at the case values (capital additions)


def unit_runs(result) -> UnitRuns:
    """Run the component functions at unit values of the drivers.

    Every driver enters its items linearly, so an item at the case values is the item at a
    unit value times the driver: the accelerator items are the items at a price of 1 EUR per
    accelerator in the reference year (USD price = USD per EUR of that year) times the price;
    merchant revenue is the revenue at 100 % utilisation, a merchant GPU-hour price of 1 EUR
    and no USD quotes times the utilisation, the price and the year's currency factor; contract
    revenue is the revenue at a contract price of 1 EUR (no USD quotes) times the contract price
    and the currency factor; the insured facility value is the insurance at a rate of 1
    with no accelerators.
    """
    params, timeline = result.parameters, result.timeline
    # USD price = USD per EUR in the reference year: 1 EUR for the reference generation there.
    unit_chip = params.assign(
        {
            "chips.unit_price": reference_rate(params, timeline)
            * xr.ones_like(params["chips.unit_price"])
        }
    )
    full = params.assign(
        {
            "revenue.utilisation": xr.ones_like(params["revenue.utilisation"]),
            "revenue.gpu_hour_price": xr.ones_like(params["revenue.gpu_hour_price"]),
            "revenue.contract_price": xr.ones_like(params["revenue.contract_price"]),
            # EUR-quoted: the exchange rate's effect is the live currency rows' (write_path_rows).
            "revenue.merchant_usd_share": xr.zeros_like(params["revenue.merchant_usd_share"]),
            "revenue.contract_usd_share": xr.zeros_like(params["revenue.contract_usd_share"]),
            "chips.unit_price": xr.zeros_like(params["chips.unit_price"]),
            "operations.insurance_rate": xr.ones_like(params["operations.insurance_rate"]),
        }
    )
    return UnitRuns(
        run_components(unit_chip, timeline),
        run_components(full, timeline),
        run_components(params, timeline),
    )


@dataclass(frozen=True)
class SiteRows:
    """What the row writers of one site sheet share."""

    context: Context
    writer: RowWriter
    result: Any
    case: int
    site: str
    runs: UnitRuns

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


def write_timeline_rows(s: SiteRows) -> None:
    """Model year, discount factors, inflation index and the IT capacity in operation."""
    writer = s.writer
    per_site = s.per_site
    timeline = s.result.timeline
    write_discounting_rows(writer, timeline["t"].values, s.driver("discount_rate"))
    writer.values(
        "inflation",
        "Inflation index",
        "1",
        "(1 + inflation)^t (fixed)",
        escalation_series(s.result, "finance.inflation", s.site),
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


def path_ratio(result, name: str, site: str) -> np.ndarray:
    """A parameter's value in each model year over its first-year value [1]: the shape of the
    central path of the process it follows, 1 in every year for a parameter without one."""
    values = result.parameters[name]
    years = result.timeline["year"].values
    if "year" not in values.dims:
        return np.ones(len(years))
    series = site_series(values, site) if "site" in values.dims else values.values
    series = np.asarray(series, dtype=float)
    return series / series[0]


def write_path_rows(s: SiteRows) -> None:
    """The shapes of the price paths the live inputs scale, and the nuclear contract's term.

    A live input that follows a process (the energy price, the exchange rate) is its central
    path's first-year value; the later years keep the path's ratio to it (these rows), so that
    changing the input moves the whole path in proportion.
    """
    writer = s.writer
    writer.section("Price paths (ratio to the first model year) and the nuclear contract")
    writer.values(
        "market_price_path",
        "Energy price (market) path",
        "1",
        "central path of the power-price process / its first-year value (fixed; 1 without a process)",
        path_ratio(s.result, "power.market_price", s.site),
        FORMAT_FACTOR,
    )
    writer.values(
        "fx_path",
        "USD per EUR path",
        "1",
        "central path of the exchange-rate process / its first-year value (fixed; 1 without a process)",
        path_ratio(s.result, "fx.usd_per_eur", s.site),
        FORMAT_FACTOR,
    )
    p = s.parameter
    central = s.result.parameters[central_name("fx.usd_per_eur")]
    if "year" in central.dims:
        central = central.sel(year=int(scalar(s.result.timeline["reference_year"], s.site)))
    fx_central = scalar(central, s.site)
    writer.scalar_value(
        "fx_central_reference",
        "USD per EUR of the case's central path in the reference year",
        "USD/EUR",
        "the rate at which the stated GPU-hour prices are quoted (fixed)",
        fx_central,
        "0.0000",
    )
    for key, label, share in (
        ("merchant_currency", "Merchant revenue: currency factor", "revenue.merchant_usd_share"),
        ("contract_currency", "Contract revenue: currency factor", "revenue.contract_usd_share"),
    ):
        writer.formulas(
            key,
            label,
            "1",
            "1 + USD-quoted share x (central USD per EUR in the reference year / the year's USD "
            "per EUR - 1)",
            lambda y, share=share: (
                f"=1+{p(share)}*({writer.scalar_at('fx_central_reference')}"
                f"/({p('fx.usd_per_eur')}*{writer.at('fx_path', y)})-1)"
            ),
            ("currency_factor", share),
            FORMAT_FACTOR,
        )
    writer.values(
        "in_contract_term",
        "Nuclear contract in force",
        "1",
        "1 from the contract's start year for its term, else 0 (fixed)",
        s.per_site(s.result.quantities["power_contract_in_term"]),
        "0",
    )


def write_constant_rows(s: SiteRows) -> None:
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
    reference_year = int(scalar(s.result.timeline["reference_year"], s.site))
    first_year = int(s.result.timeline["year"].values[0])
    fx_reference = float(
        path_ratio(s.result, "fx.usd_per_eur", s.site)[reference_year - first_year]
    )
    writer.scalar_value(
        "fx_reference_ratio",
        "USD per EUR in the reference year / in the first model year",
        "1",
        "the USD per EUR path in the reference year (fixed)",
        fx_reference,
        "0.0000",
    )
    writer.scalar_formula(
        "chip_price",
        "Accelerator price in the reference year",
        "EUR/accelerator",
        "accelerator price (USD) / USD per EUR in the reference year",
        f"={s.driver('chip_cost')}/({p('fx.usd_per_eur')}*{writer.scalar_at('fx_reference_ratio')})",
        ("chip_price_eur",),
        "#,##0.00",
    )
    writer.scalar_value(
        "reference_year",
        "Reference year of the site's prices",
        "year",
        "planned first online year",
        reference_year,
        "0",
    )


def write_energy_rows(s: SiteRows) -> None:
    """Energy, water and GPU-hours; those that depend on utilisation as formulas."""
    writer = s.writer
    at = s.writer.at
    per_site = s.per_site
    quantities = s.result.quantities
    utilisation = s.driver("utilisation")
    writer.section("Energy and compute")
    p = s.parameter
    idle, busy = p("power.idle_share"), p("power.active_load_share")
    writer.values(
        "ramped_mw",
        "Operating IT capacity at the utilisation ramp",
        "MW",
        "operating IT MW of each phase x its ramp (first and second year online) (fixed)",
        per_site(quantities["ramped_it_mw"]),
        "#,##0.0",
    )
    writer.formulas(
        "it_energy",
        "IT energy",
        "MWh",
        "(operating IT MW x idle share + ramped IT MW x (busy share - idle share) x utilisation)"
        " x hours",
        lambda y: (
            f"=({at('operating_mw', y)}*{idle}+{at('ramped_mw', y)}*({busy}-{idle})"
            f"*{utilisation})*{writer.scalar_at('hours')}"
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
    for key, label, how, hours in (
        (
            "hours_available",
            "GPU-hours available",
            "accelerators x hours x operating fraction",
            per_site(quantities["gpu_hours_available"]),
        ),
        (
            "hours_contract",
            "GPU-hours under take-or-pay contracts",
            "available x contract share x availability, within each generation's tenor",
            per_site(quantities["gpu_hours_contracted"]),
        ),
        (
            "hours_offered",
            "GPU-hours offered on the merchant market",
            "available hours not under contract x utilisation ramp",
            per_site(quantities["gpu_hours_offered"]),
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
        "merchant_hours_indexed",
        "Merchant GPU-hours offered x price index",
        "M GPU-hours",
        "price index of a generation = its merchant price / the GPU-hour price input: launch "
        "trend and yearly decline (fixed)",
        per_site(s.runs.full_utilisation.items["revenue_merchant"]),
        FORMAT_MILLIONS,
        total=True,
    )
    writer.values(
        "contract_hours_indexed",
        "Contract GPU-hours x price index",
        "M GPU-hours",
        "price index of a generation = its contract price / the contract price input: launch "
        "trend (fixed)",
        per_site(s.runs.full_utilisation.items["revenue_contract"]),
        FORMAT_MILLIONS,
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


def write_accelerator_rows(s: SiteRows) -> None:
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
            "Accelerators at the horizon x price index x market resale share",
            "horizon value (liquidation): retention^age of each generation in service",
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
        MONEY_UNITS,
        "operating accelerators x price index x accelerator price",
        lambda y: f"={at('operating_equivalent', y)}*{writer.scalar_at('chip_price')}",
        ("quantity", "it_value_operating"),
        FORMAT_EUR,
    )
    writer.formulas(
        "initial_chips",
        "Initial capex, accelerators",
        MONEY_UNITS,
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
        MONEY_UNITS,
        "shell, electrical, contingency, land, grid connection, cooling (fixed)",
        initial_other,
        FORMAT_EUR,
        total=True,
    )
    insured = -per_site(runs.full_utilisation.items["operations_insurance"])
    writer.values(
        "insured_facility",
        "Insured facility value",
        MONEY_UNITS,
        "current cost of the operating shell, electrical and cooling plant (fixed)",
        insured,
        FORMAT_EUR,
    )


def escalation_series(result, rate_name: str, site: str) -> np.ndarray:
    values = escalation(result.timeline, result.parameters[rate_name])
    if "site" in values.dims:
        values = values.sel(site=site)
    return np.asarray(values.transpose("year", ...).values, dtype=float)
