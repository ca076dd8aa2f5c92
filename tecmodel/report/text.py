"""Readable terminal tables of a result: metrics with units, and the budget findings.

This module owns how numbers look on a terminal: money in EUR millions, rates in percent,
years as years. It formats; it computes nothing.
"""

from __future__ import annotations

import math

import pandas as pd

from tecmodel.numerics.irr import IRR_STATUS

#: units -> (scale, column suffix, format)
_FORMATS = {
    "EUR": (1e-6, "EUR M", "{:,.1f}"),
    "1/yr": (100.0, "%", "{:.2f}"),
    "1": (1.0, "", "{:.3f}"),
    "year": (1.0, "", "{:.0f}"),
    "EUR/GPU-hour": (1.0, "EUR/GPU-h", "{:.3f}"),
    "EUR/MW": (1e-6, "EUR M/MW", "{:,.2f}"),
    "MW": (1.0, "MW", "{:,.1f}"),
    "accelerator": (1.0, "", "{:,.0f}"),
    "MWh/yr": (1e-3, "GWh/yr", "{:,.0f}"),
    "m3/yr": (1.0, "m3/yr", "{:,.0f}"),
    "GPU-hour": (1e-9, "bn GPU-h", "{:,.2f}"),
}


def format_value(value: float, units: str) -> str:
    """One number in its display unit (``-`` for NaN)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    scale, _, pattern = _FORMATS.get(units, (1.0, units, "{:,.4g}"))
    return pattern.format(value * scale)


def display_unit(units: str) -> str:
    return _FORMATS.get(units, (1.0, units, ""))[1]


def metrics_table(metrics, sites: list[str], names=None) -> pd.DataFrame:
    """Deterministic metrics as strings: rows are metrics (with display units), columns sites.

    ``names`` limits and orders the rows (default: every metric).
    """
    rows = {}
    for name in (names if names is not None else list(metrics.data_vars)):
        variable = metrics[name]
        units = variable.attrs.get("units", "")
        if name in ("irr_status", "equity_irr_status"):
            rows[name.replace("_", " ")] = [IRR_STATUS.get(int(variable.sel(site=s)), "?") for s in sites]
            continue
        if name == "financing_status":
            rows["financing status"] = [_flags(int(variable.sel(site=s))) for s in sites]
            continue
        unit = display_unit(units)
        label = f"{name} [{unit}]" if unit else name
        rows[label] = [format_value(float(variable.sel(site=s)), units) for s in sites]
    return pd.DataFrame(rows, index=sites).T


def _flags(value: int) -> str:
    """Financing status bits as short words."""
    from tecmodel.model.financing import FINANCING_STATUS

    words = {1: "DSCR<1", 2: "target missed", 4: "debt at horizon"}
    found = [words[bit] for bit in FINANCING_STATUS if value & bit]
    return ", ".join(found) if found else "ok"


def summary_text(result) -> str:
    """The headline tables (project; equity and debt) and the findings of a deterministic result."""
    from tecmodel.model.financing import EQUITY_METRICS

    case = result.case
    sites = list(result.metrics["site"].values)
    project = [name for name in result.metrics.data_vars if name not in EQUITY_METRICS]
    table = metrics_table(result.metrics, sites, project)
    lines = [f"{case.name}: {case.title}", "", table.to_string(), ""]
    if case.tranches:
        listing = ", ".join(f"{t.name} ({t.repayment.replace('_', ' ')}, {t.share:.0%} of {'+'.join(t.funds)})"
                            for t in case.tranches)
        lines += [f"Equity and debt ({listing}):", "",
                  metrics_table(result.metrics, sites, list(EQUITY_METRICS)).to_string(), ""]
        notes = result.financing.attrs.get("notes", []) if result.financing is not None else []
        if notes:
            lines.append("Financing:")
            lines.extend(f"  - {note}" for note in notes)
            lines.append("")
    notes = result.budget.attrs.get("notes", [])
    if notes:
        lines.append("What the budget buys:")
        lines.extend(f"  - {note}" for note in notes)
    return "\n".join(lines)
