"""Readable terminal tables of a result: metrics in display units, and the findings in words.

This module owns how numbers look on a terminal. Each metric's display unit, scale and format
come from the table of outputs (:data:`tecmodel.model.outputs.METRICS`): money in EUR millions,
rates in percent, ratios as multiples, years as years. It formats; it computes nothing.
"""

from __future__ import annotations

import pandas as pd

from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.outputs import EQUITY_METRICS, METRICS
from tecmodel.model.tables import (
    conventions_line,
    metric_notes,
    metric_row_label,
    metric_text,
    sources_and_uses_frame,
)


def format_value(value: float, name: str) -> str:
    """One value of the metric `name` in its display unit (``-`` for NaN; a status in words);
    the rule of every table (:func:`tecmodel.model.tables.metric_text`)."""
    return metric_text(name, float(value))


def display_unit(name: str) -> str:
    """The display unit of the metric `name` (empty for a count or a status)."""
    return METRICS[name].display_units


def metrics_table(metrics, sites: list[str], names=None) -> pd.DataFrame:
    """Deterministic metrics as strings: rows are metrics (with display units), columns sites.

    ``names`` limits and orders the rows (default: every metric).
    """
    rows = {}
    for name in names if names is not None else list(metrics.data_vars):
        rows[metric_row_label(name)] = [
            format_value(float(metrics[name].sel(site=site)), name) for site in sites
        ]
    return pd.DataFrame(rows, index=sites).T


def horizon_value_lines(result) -> list[str]:
    """The NPV split into operations and the horizon value, per site, with the method and why."""
    terminal = result.case.terminal
    lines = [
        f"Horizon value: {terminal.label}, at the end of {result.case.end_year} "
        "(terminal.method; its source:)",
        f"  {terminal.source}",
    ]
    names = ["npv", "npv_operating", "npv_terminal"]
    metrics = join_portfolio(result.metrics[names], result.portfolio[names])
    for site in metrics["site"].values:
        at = metrics.sel(site=site)
        npv, operating, horizon = (
            format_value(float(at[name]), name) for name in ("npv", "npv_operating", "npv_terminal")
        )
        lines.append(
            f"  {site}: NPV {npv} = operating {operating} + horizon value after tax {horizon} EUR M"
        )
    return lines


def cushion_lines(result) -> list[str]:
    """The realised GPU-hour price beside the after-tax LCOC, and the three cushions: how far
    prices, utilisation and the discount rate may move before the NPV is zero."""
    lines = [
        "Cushions before NPV = 0 (price: realised GPU-hour price over the after-tax LCOC; "
        "utilisation and discount rate in points):"
    ]
    names = [
        "realised_gpu_hour_price",
        "lcoc",
        "price_cushion",
        "utilisation_cushion",
        "discount_rate_cushion",
    ]
    metrics = join_portfolio(result.metrics[names], result.portfolio[names])
    for site in metrics["site"].values:
        at = metrics.sel(site=site)
        realised, lcoc, cushion, utilisation, rate = (
            format_value(float(at[name]), name) for name in names
        )
        lines.append(
            f"  {site}: realised {realised} vs LCOC {lcoc} {display_unit('lcoc')}: price {cushion} %,"
            f" utilisation {utilisation} pp, discount rate {rate} pp"
        )
    return lines


def horizon_sensitivity_lines(sensitivity) -> list[str]:
    """The NPV at each horizon of :func:`tecmodel.analysis.horizon.horizon_sensitivity`."""
    lines = [
        "NPV by horizon (operating + horizon value after tax, EUR M; the case as stated at 0):"
    ]
    for index, shift in enumerate(sensitivity["horizon_shift"].values):
        end = int(sensitivity["end_year"].values[index])
        problem = str(sensitivity["problem"].values[index])
        if problem:
            lines.append(f"  {end} ({int(shift):+d} yr): not evaluated: {problem}")
            continue
        parts = []
        shift_values = sensitivity.isel(horizon_shift=index)
        owners = {str(site): shift_values.sel(site=site) for site in sensitivity["site"].values}
        owners[PORTFOLIO] = {
            name: shift_values[f"{PORTFOLIO}_{name}"]
            for name in ("npv", "npv_operating", "npv_terminal")
        }
        for site, at in owners.items():
            parts.append(
                f"{site} {format_value(float(at['npv']), 'npv')} "
                f"({format_value(float(at['npv_operating']), 'npv')} + "
                f"{format_value(float(at['npv_terminal']), 'npv')})"
            )
        lines.append(f"  {end} ({int(shift):+d} yr): " + "; ".join(parts))
    return lines


def generation_table(metrics, sites: list[str]) -> pd.DataFrame:
    """NPV, IRR and payback year of each generation as strings: rows generations, columns sites."""
    rows = {}
    for generation in metrics["generation"].values:
        at = {"generation": generation}
        rows[f"generation {int(generation)}"] = [
            " / ".join(
                format_value(float(metrics[name].sel(site=site, **at)), name)
                + (f" {display_unit(name)}" if display_unit(name) else "")
                for name in ("generation_npv", "generation_irr", "generation_payback_year")
            )
            for site in sites
        ]
    return pd.DataFrame(rows, index=sites).T


def summary_text(result) -> str:
    """The headline tables (project; equity and debt) and the findings of a deterministic result."""
    case = result.case
    metrics = join_portfolio(result.metrics, result.portfolio)
    sites = list(metrics["site"].values)
    project = [
        name
        for name in metrics.data_vars
        if name not in EQUITY_METRICS and METRICS[name].group != "generation"
    ]
    table = metrics_table(metrics, sites, project)
    lines = [f"{case.name}: {case.title}", conventions_line(case), "", table.to_string()]
    lines += [f"  {note}" for note in metric_notes(project)] + [""]
    lines += horizon_value_lines(result) + cushion_lines(result) + [""]
    if "generation" in metrics.dims:
        lines += [
            "Per generation of accelerators (pre-tax; NPV / IRR / payback year):",
            "",
            generation_table(metrics, sites).to_string(),
            "",
        ]
    if case.tranches:
        listing = ", ".join(
            f"{t.name} ({t.repayment.replace('_', ' ')}, {t.share:.0%} of {'+'.join(t.funds)})"
            for t in case.tranches
        )
        lines += [
            f"Equity and debt ({listing}):",
            "",
            metrics_table(metrics, sites, list(EQUITY_METRICS)).to_string(),
            "",
        ]
        notes = result.financing.attrs.get("notes", []) if result.financing is not None else []
        if notes:
            lines.append("Financing:")
            lines.extend(f"  - {note}" for note in notes)
            lines.append("")
    end = result.sources_and_uses["construction_end_year"]
    lines += [
        "Sources and uses of the construction period (to "
        + ", ".join(f"{site} {int(end.sel(site=site))}" for site in case.site_names)
        + "; EUR M):",
        "",
        sources_and_uses_frame(
            join_portfolio(result.sources_and_uses, result.portfolio_sources_and_uses),
            millions=True,
        ).to_string(),
        "",
    ]
    notes = result.budget.attrs.get("notes", [])
    if notes:
        lines.append("What the budget buys:")
        lines.extend(f"  - {note}" for note in notes)
    return "\n".join(lines)
