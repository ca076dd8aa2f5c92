"""The one declared table of outputs: every metric's unit, definition, label, format and direction.

The registry declares every input once; this module does the same for the outputs. From
:data:`METRICS` come the ``units`` and ``long_name`` attributes of the metric datasets
(:func:`set_metric_attributes`), the labels and display units of the terminal tables and figures
(:func:`display`, :func:`label`), the statistics' notion of a bad outcome (``direction``), the
headline rows (``headline``) and the text shown where a value is undefined. Status codes are
``IntEnum`` / ``IntFlag`` classes whose CF-style attributes (``flag_values`` or ``flag_masks``,
and ``flag_meanings``) are built one way (:func:`flag_attributes`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

import xarray as xr

from tecmodel.numerics.irr import IRR_STATUS


class Direction(enum.Enum):
    """Which way a metric is better: it decides the tail a downside statistic (CVaR) reads."""

    HIGHER_IS_BETTER = "higher is better"
    LOWER_IS_BETTER = "lower is better"
    NEUTRAL = "neither"


class FinancingStatus(enum.IntFlag):
    """Bits of the ``financing_status`` metric (0: nothing to report)."""

    DSCR_BELOW_ONE = 1
    SCULPTING_SHORT = 2
    DEBT_AT_HORIZON = 4
    LOCK_UP = 8
    DEFAULT = 16

    @property
    def reason(self) -> str:
        return _FINANCING_REASONS[self]

    @property
    def short(self) -> str:
        return _FINANCING_SHORT[self]


_FINANCING_REASONS = {
    FinancingStatus.DSCR_BELOW_ONE: "DSCR below 1.0 in some year (equity must support debt service)",
    FinancingStatus.SCULPTING_SHORT: "sculpting target not met in some year",
    FinancingStatus.DEBT_AT_HORIZON: "debt outstanding at the horizon (a balloon to refinance)",
    FinancingStatus.LOCK_UP: "distributions locked up in some year (DSCR below financing.lockup_dscr)",
    FinancingStatus.DEFAULT: "payment default in some year (DSCR below 1.0 after the reserve is used)",
}
_FINANCING_SHORT = {
    FinancingStatus.DSCR_BELOW_ONE: "DSCR<1",
    FinancingStatus.SCULPTING_SHORT: "target missed",
    FinancingStatus.DEBT_AT_HORIZON: "debt at horizon",
    FinancingStatus.LOCK_UP: "lock-up",
    FinancingStatus.DEFAULT: "default",
}


def flag_attributes(codes: dict[int, str], *, bits: bool = False) -> dict[str, object]:
    """CF-style attributes of a status variable from its codes and their reasons.

    Parameters
    ----------
    codes : dict of int to str
        Each code (or bit) and the reason it stands for.
    bits : bool
        The codes are bits that combine (``flag_masks``), not exclusive values (``flag_values``).
    """
    words = " ".join(reason.split(" (")[0].replace(" ", "_") for reason in codes.values())
    return {"flag_masks" if bits else "flag_values": list(codes), "flag_meanings": words}


def status_text(name: str, code: int) -> str:
    """A status code in words: the IRR reason, or the financing bits that are set ("ok" if none)."""
    if name == "financing_status":
        found = [flag.short for flag in FinancingStatus if int(code) & flag]
        return ", ".join(found) if found else "ok"
    return IRR_STATUS.get(int(code), "?")


@dataclass(frozen=True)
class Metric:
    """One output: what it is, in which unit, and how it is shown.

    Attributes
    ----------
    units : str
        CF unit of the stored value.
    long_name : str
        The definition, in words a committee reads (stored as ``long_name``).
    label : str
        Short label for tables and figures.
    display_units, display_scale, display_format
        How a value is shown: ``display_format.format(value * display_scale)`` followed by
        ``display_units``.
    direction : Direction
        Which way the metric is better.
    headline : bool
        Shown in the headline tables (run summary, scenarios, comparisons).
    undefined : str
        What an undefined (NaN) value means.
    group : str
        ``project`` (unlevered), ``equity`` (after financing), ``scale`` (size of the build-out) or
        ``status``.
    """

    units: str
    long_name: str
    label: str
    display_units: str
    display_scale: float
    display_format: str
    direction: Direction = Direction.NEUTRAL
    headline: bool = False
    undefined: str = "undefined"
    group: str = "project"


_UP, _DOWN = Direction.HIGHER_IS_BETTER, Direction.LOWER_IS_BETTER
_MONEY = ("EUR M", 1e-6, "{:,.1f}")
_RATE = ("%", 100.0, "{:.2f}")
_RATIO = ("x", 1.0, "{:.2f}")
_PRICE = ("EUR/GPU-h", 1.0, "{:.3f}")
_COMPUTE_PRICE = ("EUR/PFLOPS-h", 1.0, "{:.4f}")
_YEAR = ("", 1.0, "{:.0f}")

#: Every metric of ``Result.metrics``, in the order the tables show them.
METRICS: dict[str, Metric] = {
    "npv": Metric(
        "EUR",
        "Net present value of the unlevered free cash flow at finance.discount_rate",
        "NPV",
        *_MONEY,
        _UP,
        True,
        "not computed",
    ),
    "npv_operating": Metric(
        "EUR",
        "NPV of every cash flow but the horizon value: npv - npv_terminal (the tax the horizon "
        "sale causes belongs to npv_terminal; the write-off of the remaining tax book value and "
        "everything else to operations)",
        "NPV, operating",
        *_MONEY,
        _UP,
        True,
        "not computed",
    ),
    "npv_terminal": Metric(
        "EUR",
        "Present value of the horizon value (terminal.method: liquidation, going concern or "
        "none) after the tax its sale causes (the last year's tax with the sale less without "
        "it), discounted from the last model year; npv_operating + npv_terminal = npv",
        "NPV, horizon value",
        *_MONEY,
        _UP,
        True,
        "not computed",
    ),
    "irr": Metric(
        "1/yr",
        "Internal rate of return of the unlevered free cash flow",
        "IRR",
        *_RATE,
        _UP,
        True,
        "see irr_status",
    ),
    "irr_status": Metric(
        "1",
        "IRR status code (0 = defined; see flag_meanings)",
        "IRR status",
        "",
        1.0,
        "{:.0f}",
        group="status",
    ),
    "payback_year": Metric(
        "year",
        "Undiscounted payback: the first year from which the cumulative free cash flow stays "
        "non-negative; the portfolio's is that of its own cash flow (the sites' summed), so it "
        "can come before a site's when another site's early inflows cover that site's outlays",
        "Payback year",
        *_YEAR,
        _DOWN,
        True,
        "no payback within the horizon",
    ),
    "discounted_payback_year": Metric(
        "year",
        "Discounted payback: the first year from which the cumulative free cash flow "
        "discounted at finance.discount_rate stays non-negative (the portfolio's: of its own "
        "summed cash flow); none if the NPV is negative",
        "Discounted payback year",
        *_YEAR,
        _DOWN,
        True,
        "no discounted payback within the horizon",
    ),
    "lcoc": Metric(
        "EUR/GPU-hour",
        "Levelised cost of compute, after tax: the realised GPU-hour price at which the "
        "after-tax NPV is zero at finance.discount_rate (every GPU-hour price moved by one "
        "factor, the tax recomputed with its loss carry-forward, the horizon value included)",
        "LCOC",
        *_PRICE,
        _DOWN,
        True,
        "no GPU-hours sold",
    ),
    "realised_gpu_hour_price": Metric(
        "EUR/GPU-hour",
        "PV of revenue / PV of GPU-hours sold",
        "Realised GPU-hour price",
        *_PRICE,
        _UP,
        False,
        "no GPU-hours sold",
    ),
    "lcoc_compute": Metric(
        "EUR/PFLOPS-hour",
        "Levelised cost of compute per unit of compute, after tax: the realised compute-hour "
        "price (GPU-hours x dense FP4 PFLOP/s of their generation) at which the after-tax NPV "
        "is zero, as lcoc",
        "LCOC per compute-hour",
        *_COMPUTE_PRICE,
        _DOWN,
        False,
        "no compute-hours sold",
    ),
    "realised_compute_price": Metric(
        "EUR/PFLOPS-hour",
        "PV of revenue / PV of compute-hours sold (GPU-hours x dense FP4 PFLOP/s of their "
        "generation)",
        "Realised compute-hour price",
        *_COMPUTE_PRICE,
        _UP,
        False,
        "no compute-hours sold",
    ),
    "breakeven_gpu_hour_price": Metric(
        "EUR/GPU-hour",
        "Realised GPU-hour price at which the after-tax NPV is zero: the lcoc, as the price "
        "solvers name it",
        "Break-even GPU-hour price",
        *_PRICE,
        _DOWN,
        True,
        "no revenue earned",
    ),
    "breakeven_price_factor": Metric(
        "1",
        "Factor on every GPU-hour price that makes the after-tax NPV zero",
        "Break-even price factor",
        "",
        1.0,
        "{:.3f}",
        _DOWN,
        False,
        "no revenue earned",
    ),
    "price_cushion": Metric(
        "1",
        "Cushion of the realised GPU-hour price over the lcoc: realised / lcoc - 1 (the share "
        "by which every GPU-hour price may fall before the NPV is negative; negative when the "
        "NPV already is)",
        "Price cushion over LCOC",
        *_RATE,
        _UP,
        True,
        "no revenue earned, or NPV >= 0 even at a zero GPU-hour price",
    ),
    "utilisation_cushion": Metric(
        "1",
        "Points of billed utilisation every site may lose before the after-tax NPV is zero "
        "(steady utilisation less the break-even utilisation; negative when the NPV already "
        "is)",
        "Utilisation cushion",
        "pp",
        100.0,
        "{:.1f}",
        _UP,
        True,
        "NPV >= 0 even at zero utilisation, or merchant hours earn less than their energy",
    ),
    "discount_rate_cushion": Metric(
        "1/yr",
        "Project IRR less the discount rate: how far the discount rate may rise before the "
        "NPV is negative (when the cash flow changes sign once)",
        "Discount-rate cushion",
        "pp",
        100.0,
        "{:.2f}",
        _UP,
        True,
        "IRR undefined",
    ),
    "capex_total": Metric(
        "EUR",
        "Gross capex over the horizon (initial build, accelerator refreshes, replacements)",
        "Capex over the horizon",
        *_MONEY,
        _DOWN,
        group="scale",
    ),
    "initial_capex": Metric(
        "EUR",
        "Capex of the initial build-out (first generation of everything)",
        "Initial capex",
        *_MONEY,
        _DOWN,
        True,
        group="scale",
    ),
    "capex_per_mw_it": Metric(
        "EUR/MW",
        "Initial capex per MW IT",
        "Initial capex per MW IT",
        "EUR M/MW",
        1e-6,
        "{:,.2f}",
        _DOWN,
        group="scale",
    ),
    "it_mw": Metric(
        "MW",
        "IT capacity at full build-out",
        "IT capacity",
        "MW",
        1.0,
        "{:,.1f}",
        headline=True,
        group="scale",
    ),
    "facility_mw_peak": Metric(
        "MW",
        "Peak subscribed grid power at full build-out",
        "Peak grid power",
        "MW",
        1.0,
        "{:,.1f}",
        group="scale",
    ),
    "accelerators": Metric(
        "accelerator",
        "Accelerators at full build-out",
        "Accelerators",
        "",
        1.0,
        "{:,.0f}",
        headline=True,
        group="scale",
    ),
    "facility_energy_per_year": Metric(
        "MWh/yr",
        "Facility energy per year at full build-out",
        "Energy per year",
        "GWh/yr",
        1e-3,
        "{:,.0f}",
        group="scale",
    ),
    "water_m3_per_year": Metric(
        "m3/yr",
        "Cooling water per year at full build-out",
        "Water per year",
        "m3/yr",
        1.0,
        "{:,.0f}",
        group="scale",
    ),
    "gpu_hours_sold": Metric(
        "GPU-hour",
        "GPU-hours sold over the horizon",
        "GPU-hours sold",
        "bn GPU-h",
        1e-9,
        "{:,.2f}",
        _UP,
        group="scale",
    ),
    "equity_npv": Metric(
        "EUR",
        "Net present value of the equity cash flow at financing.cost_of_equity",
        "Equity NPV",
        *_MONEY,
        _UP,
        True,
        group="equity",
    ),
    "equity_irr": Metric(
        "1/yr",
        "Internal rate of return of the equity cash flow",
        "Equity IRR",
        *_RATE,
        _UP,
        True,
        "see equity_irr_status",
        group="equity",
    ),
    "equity_irr_status": Metric(
        "1",
        "Equity IRR status code (0 = defined; see flag_meanings)",
        "Equity IRR status",
        "",
        1.0,
        "{:.0f}",
        group="status",
    ),
    "moic": Metric(
        "1",
        "Multiple on invested capital: equity distributions / equity contributions",
        "MOIC",
        *_RATIO,
        _UP,
        True,
        "no equity invested",
        group="equity",
    ),
    "min_dscr": Metric(
        "1",
        "Lowest debt-service cover ratio over the years with debt service",
        "Min DSCR",
        *_RATIO,
        _UP,
        True,
        "no debt service",
        group="equity",
    ),
    "min_dscr_year": Metric(
        "year",
        "Year of the lowest debt-service cover ratio",
        "Min DSCR year",
        *_YEAR,
        headline=True,
        undefined="no debt service",
        group="equity",
    ),
    "average_dscr": Metric(
        "1",
        "Average debt-service cover ratio over the years with debt service",
        "Average DSCR",
        *_RATIO,
        _UP,
        False,
        "no debt service",
        group="equity",
    ),
    "debt_capacity": Metric(
        "EUR",
        "Largest debt the cash flow supports at financing.target_dscr",
        "Debt capacity",
        *_MONEY,
        _UP,
        group="equity",
    ),
    "debt_drawn": Metric(
        "EUR",
        "Debt drawn over the horizon, capitalised interest included",
        "Debt drawn",
        *_MONEY,
        headline=True,
        group="equity",
    ),
    "peak_debt": Metric(
        "EUR",
        "Largest debt outstanding at a year end",
        "Peak debt",
        *_MONEY,
        _DOWN,
        True,
        group="equity",
    ),
    "debt_at_horizon": Metric(
        "EUR",
        "Debt outstanding at the horizon: a balloon the borrower must refinance (refinancing "
        "risk, in the last model year)",
        "Debt at horizon",
        *_MONEY,
        _DOWN,
        group="equity",
    ),
    "reserve_target": Metric(
        "EUR",
        "Debt service reserve account: financing.reserve_period x the borrower's largest yearly "
        "scheduled debt service, funded at first operations, released at maturity",
        "Debt service reserve",
        *_MONEY,
        group="equity",
    ),
    "lock_up": Metric(
        "1",
        "1 if distributions are locked up in some year (DSCR below financing.lockup_dscr), else "
        "0; the portfolio's is 1 if any site's is (its mean over samples is P(lock-up))",
        "Lock-up",
        "",
        1.0,
        "{:.0f}",
        _DOWN,
        undefined="no debt service",
        group="equity",
    ),
    "debt_default": Metric(
        "1",
        "1 if some year's CFADS, locked-up cash and debt service reserve do not cover its debt "
        "service (DSCR below 1.0 after the reserve is used), else 0; the portfolio's is 1 if "
        "any site's is (its mean over samples is P(default))",
        "Default",
        "",
        1.0,
        "{:.0f}",
        _DOWN,
        undefined="no debt service",
        group="equity",
    ),
    "generation_npv": Metric(
        "EUR",
        "Net present value, at finance.discount_rate, of a generation of accelerators' pre-tax "
        "cash flow: its purchase, resale, residual value, revenue and IT support, its share of "
        "the other opex by the accelerator-hours it offers in the year and of the facility by "
        "those it offers over the horizon (over generation: 1 bought at each phase's online "
        "year, k + 1 at the k-th refresh)",
        "Generation NPV",
        *_MONEY,
        _UP,
        False,
        "not computed",
        "generation",
    ),
    "generation_irr": Metric(
        "1/yr",
        "Internal rate of return of a generation's pre-tax cash flow (see generation_npv)",
        "Generation IRR",
        *_RATE,
        _UP,
        False,
        "no unique rate (the cash flow has no sign change, or several roots)",
        "generation",
    ),
    "generation_payback_year": Metric(
        "year",
        "First year from which a generation's cumulative pre-tax cash flow (see generation_npv) "
        "stays non-negative",
        "Generation payback",
        *_YEAR,
        _DOWN,
        False,
        "the generation does not pay back within the horizon",
        "generation",
    ),
    "financing_status": Metric(
        "1",
        "Financing diagnostics, bit flags (0 = none; see flag_meanings)",
        "Financing status",
        "",
        1.0,
        "{:.0f}",
        group="status",
    ),
}

#: Attributes of the status variables, beyond units and long_name.
STATUS_ATTRIBUTES: dict[str, dict[str, object]] = {
    "irr_status": flag_attributes(IRR_STATUS),
    "equity_irr_status": flag_attributes(IRR_STATUS),
    "financing_status": flag_attributes(
        {flag.value: flag.reason for flag in FinancingStatus}, bits=True
    ),
}

#: The metrics of the headline tables, in the order they show them (each flagged ``headline``).
HEADLINE_METRICS: tuple[str, ...] = (
    "initial_capex",
    "it_mw",
    "accelerators",
    "npv",
    "irr",
    "payback_year",
    "discounted_payback_year",
    "lcoc",
    "breakeven_gpu_hour_price",
    "equity_npv",
    "equity_irr",
    "moic",
    "min_dscr",
    "min_dscr_year",
    "debt_drawn",
    "peak_debt",
)
#: Metrics added by the financing (shown in their own table).
EQUITY_METRICS: tuple[str, ...] = tuple(
    name
    for name, metric in METRICS.items()
    if metric.group == "equity" or name in ("equity_irr_status", "financing_status")
)
#: Metrics that are codes, not quantities: no statistics or differences are taken.
STATUS_METRICS: tuple[str, ...] = tuple(
    name for name, metric in METRICS.items() if metric.group == "status"
)
#: Metrics for which a higher value is the worse outcome.
HIGHER_IS_WORSE: frozenset[str] = frozenset(
    name for name, metric in METRICS.items() if metric.direction is Direction.LOWER_IS_BETTER
)


def metric_attributes(name: str) -> dict[str, object]:
    """``units``, ``long_name`` (and the flag attributes of a status) of one metric."""
    metric = METRICS[name]
    return {"units": metric.units, "long_name": metric.long_name, **STATUS_ATTRIBUTES.get(name, {})}


def set_metric_attributes(dataset: xr.Dataset, names: Iterable[str] | None = None) -> xr.Dataset:
    """Give each metric of `dataset` (or those `names`) its declared attributes (in place; returned)."""
    for name in dataset.data_vars if names is None else names:
        if name in METRICS:
            dataset[name].attrs = metric_attributes(name)
    return dataset


def display(name: str, value: float) -> str:
    """One value of a metric as the tables show it (display unit, not repeated; ``-`` for NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    metric = METRICS[name]
    if metric.group == "status":
        return status_text(name, int(value))
    return metric.display_format.format(value * metric.display_scale)


def label(name: str, *, with_units: bool = True) -> str:
    """The metric's short label, with its display unit in brackets (``NPV [EUR M]``)."""
    metric = METRICS[name]
    if with_units and metric.display_units:
        return f"{metric.label} [{metric.display_units}]"
    return metric.label
