"""Readable tables of results: the one rule by which a number is shown.

This module owns how a value reads in a table, whatever the table: ``Result.summary()``, the
terminal tables, ``metrics.csv`` and ``budget.csv``, :func:`tecmodel.inputs_table` and the
HTML view of a result in Jupyter. The rule:

- a metric is shown in its display unit (:data:`tecmodel.model.outputs.METRICS`: EUR millions,
  percent, multiples), with that unit in the row's header (``npv [EUR M]``);
- a whole quantity (a year, a count of accelerators) is an integer;
- any other number keeps the decimals of its display format, and never fewer than
  :data:`SIGNIFICANT_DIGITS` significant figures;
- a status code is written with its meaning (``0: ok``).

It formats; it computes nothing.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.model.outputs import METRICS, FinancingStatus, status_text
from tecmodel.numerics.irr import IRR_STATUS

#: The fewest significant figures a non-whole number is shown with.
SIGNIFICANT_DIGITS = 3
#: Significant figures of a quantity without a display format (budget.csv, inputs_table).
QUANTITY_DIGITS = 6
#: Stored unit -> (shown unit, factor): money reads in millions.
SHOWN_UNITS: dict[str, tuple[str, float]] = {"EUR": ("EUR M", 1e-6), "EUR/MW": ("EUR M/MW", 1e-6)}
#: Units whose values are whole numbers (calendar years, counts).
WHOLE_UNITS: frozenset[str] = frozenset({"year", "calendar year", "accelerator", "accelerators"})


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """`value` rounded to `digits` significant figures (NaN and infinities as they are).

    Examples
    --------
    >>> significant(1884.5598, 4), significant(0.0012345, 3), significant(-2.0e9, 2)
    (1885.0, 0.00123, -2000000000.0)
    """
    if not math.isfinite(value) or value == 0:
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


def readable_number(
    value: float, decimals: int | None = None, whole: bool = False, digits: int | None = None
):
    """A number as a table shows it: an int if `whole`, else rounded to `decimals` decimals
    (at least :data:`SIGNIFICANT_DIGITS` significant figures; :data:`QUANTITY_DIGITS` if
    `decimals` is None).

    Parameters
    ----------
    value : float
        The number, already in the unit it is shown in.
    decimals : int, optional
        Decimals of the display format.
    whole : bool
        The quantity is whole (a year, a count): shown as an int.
    digits : int, optional
        Significant figures without `decimals` (default :data:`QUANTITY_DIGITS`).

    Examples
    --------
    >>> readable_number(140540.54, whole=True), readable_number(1884.5598, 1)
    (140541, 1884.6)
    >>> readable_number(0.043218, 1), readable_number(2025.0), readable_number(27745.9945684)
    (0.0432, 2025, 27746)
    """
    value = float(value)
    if not math.isfinite(value):
        return value
    if whole or decimals == 0 or (decimals is None and value.is_integer() and abs(value) < 2**53):
        return int(round(value))
    if decimals is None:
        rounded = significant(value, digits or QUANTITY_DIGITS)
        return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded
    rounded = round(value, decimals)
    if value != 0 and (rounded == 0 or abs(rounded) < 10 ** (SIGNIFICANT_DIGITS - 1 - decimals)):
        return significant(value)
    return rounded


def _decimals(display_format: str) -> int | None:
    """Decimals of a format such as ``{:,.2f}`` (None if it names none)."""
    spec = display_format.strip("{}").lstrip(":")
    if "." in spec and spec.endswith("f"):
        return int(spec.split(".")[1][:-1])
    return None


#: Metrics whose sign is a finding (a loss): the only ones of which a probability of a negative
#: value is shown; a negative LCOC, payback year or DSCR is not a question anyone asks.
SIGNED_METRICS: frozenset[str] = frozenset({"npv", "irr", "equity_npv", "equity_irr"})
#: Rows of the run summary whose meaning is not in their name, explained beneath the table.
EXPLAINED_METRICS: tuple[str, ...] = ("capex_total", "breakeven_price_factor")


def metric_notes(names: Iterable[str]) -> list[str]:
    """``name: definition`` of the rows of :data:`EXPLAINED_METRICS` among `names`."""
    return [f"{name}: {METRICS[name].long_name}" for name in EXPLAINED_METRICS if name in names]


def metric_row_label(name: str) -> str:
    """The row header of a metric: its name and display unit (``npv [EUR M]``; ``irr status``)."""
    metric = METRICS[name]
    if metric.group == "status":
        return name.replace("_", " ")
    return f"{name} [{metric.display_units}]" if metric.display_units else name


def metric_value(name: str, value: float, *, codes: bool = False):
    """One metric value as a table shows it: in its display unit, whole or rounded; a status
    code with its meaning (``"4: debt at horizon"``, or the bare code if `codes`); NaN when
    undefined."""
    metric = METRICS[name]
    value = float(value)
    if metric.group == "status":
        if not math.isfinite(value):
            return value
        return int(value) if codes else f"{int(value)}: {status_text(name, int(value))}"
    decimals = _decimals(metric.display_format)
    whole = decimals == 0 and metric.display_scale == 1.0
    return readable_number(value * metric.display_scale, decimals, whole)


def metric_text(name: str, value: float) -> str:
    """One metric value as the terminal shows it: :func:`metric_value` with thousands
    separators; a status in words; ``-`` when undefined.

    Examples
    --------
    >>> metric_text("npv", 1_884_559_812.4), metric_text("npv", 43_218.0), metric_text("payback_year", 2038)
    ('1,884.6', '0.0432', '2038')
    """
    value = float(value)
    if not math.isfinite(value):
        return "-"
    if METRICS[name].group == "status":
        return status_text(name, int(value))
    shown = metric_value(name, value)
    if isinstance(shown, int):
        return f"{shown:,}" if "," in METRICS[name].display_format else str(shown)
    decimals = max(_decimals(METRICS[name].display_format) or 0, _places(shown))
    return f"{shown:,.{decimals}f}"


def _places(value: float) -> int:
    """Decimal places `value` is written with (``0.04322`` -> 5)."""
    text = repr(value)
    return 0 if "e" in text or "." not in text else len(text.split(".")[1].rstrip("0"))


def metrics_frame(
    metrics: xr.Dataset,
    sites: Sequence[str],
    names: Iterable[str] | None = None,
    *,
    codes: bool = False,
) -> pd.DataFrame:
    """Deterministic metrics as a readable table: rows metrics (display units in the headers),
    columns sites; numbers stay numbers (whole ones as ints), statuses read as words.

    Parameters
    ----------
    metrics : xarray.Dataset
        Metrics over ``site`` only.
    sites : sequence of str
        The columns, in order.
    names : iterable of str, optional
        The rows, in order (default: every metric of `metrics`).
    codes : bool
        Statuses as bare codes (for a file whose columns stay numeric; :func:`metrics_file_frame`
        explains them), not as codes with their meanings.
    """
    names = list(metrics.data_vars) if names is None else list(names)
    rows = {
        metric_row_label(name): [
            metric_value(name, float(metrics[name].sel(site=site)), codes=codes) for site in sites
        ]
        for name in names
    }
    table = pd.DataFrame(rows, index=list(sites), dtype=object).T
    table.columns.name = "site"
    return table


def status_codes_text(name: str) -> str:
    """Every code of a status metric with its meaning, e.g. ``0 = ok; 1 = no sign change ...``."""
    if name == "financing_status":
        bits = "; ".join(f"+{flag.value} = {flag.reason}" for flag in FinancingStatus)
        return f"0 = ok; bits: {bits}"
    return "; ".join(f"{code} = {meaning}" for code, meaning in IRR_STATUS.items())


def metrics_file_frame(metrics: xr.Dataset, sites: Sequence[str]) -> pd.DataFrame:
    """The metrics table as ``metrics.csv`` holds it: numbers in display units, statuses as
    codes, and a last column ``definition`` (each metric's definition; each status's codes and
    their meanings), so that every column of sites reads as numbers.
    """
    names = [name for name, variable in metrics.data_vars.items() if variable.dims == ("site",)]
    table = metrics_frame(metrics, sites, names, codes=True)
    table["definition"] = [
        METRICS[name].long_name
        + (f" (codes: {status_codes_text(name)})" if METRICS[name].group == "status" else "")
        for name in names
    ]
    return table


def generation_file_frame(metrics: xr.Dataset, sites: Sequence[str]) -> pd.DataFrame | None:
    """The per-generation metrics as ``generations.csv`` holds them: rows (generation, metric
    with its display unit), columns the sites, then each metric's definition; None when the
    metrics have no ``generation`` dimension.
    """
    if "generation" not in metrics.dims:
        return None
    names = [name for name, variable in metrics.data_vars.items() if "generation" in variable.dims]
    tables = {
        int(generation): metrics_frame(metrics.sel(generation=generation), sites, names)
        for generation in metrics["generation"].values
    }
    table = pd.concat(tables, names=["generation", "metric"])
    table["definition"] = [METRICS[name].long_name for _ in tables for name in names]
    return table


def quantity_frame(dataset: xr.Dataset, dim: str = "site") -> pd.DataFrame:
    """Variables over one dimension as a readable table: rows ``name [units]``, columns `dim`.

    Money reads in millions (:data:`SHOWN_UNITS`); whole quantities (years, counts) are ints;
    other numbers keep :data:`QUANTITY_DIGITS` significant figures, so a CSV written from the
    table carries no float noise such as ``27745994568.400002``.
    """
    rows = {}
    for name, variable in dataset.data_vars.items():
        units = str(variable.attrs.get("units", ""))
        shown, factor = SHOWN_UNITS.get(units, (units, 1.0))
        whole = units in WHOLE_UNITS
        values = [readable_number(float(v) * factor, None, whole) for v in np.ravel(variable)]
        rows[f"{name} [{shown}]" if shown else name] = values
    table = pd.DataFrame(rows, index=list(dataset[dim].values), dtype=object).T
    table.columns.name = dim
    return table


def conventions_line(case) -> str:
    """The discount rate, the horizon and the money conventions of a case, in one line.

    Parameters
    ----------
    case : Case
        A validated case.

    Examples
    --------
    >>> import tecmodel
    >>> print(conventions_line(tecmodel.load_case("base_10b")))  # doctest: +ELLIPSIS
    Discount rate 9.00 %/yr (nominal, post-tax); horizon 2025-2045 (21 years); nominal EUR, ...
    """
    rate = float(case.value("finance.discount_rate"))
    inflation = float(case.value("finance.inflation"))
    years = case.end_year - case.start_year + 1
    return (
        f"Discount rate {rate * 100:.2f} %/yr (nominal, post-tax); horizon {case.start_year}-"
        f"{case.end_year} ({years} years); nominal EUR, year-end cash flows, discounted to "
        f"{case.start_year} (t = 0); inflation {inflation * 100:.2f} %/yr"
    )


def result_html(result, table: pd.DataFrame) -> str:
    """A result as HTML for Jupyter: the case's title, its conventions, the metrics table and
    what the budget buys.

    Parameters
    ----------
    result : Result
        A deterministic evaluation.
    table : pandas.DataFrame
        Its metrics table (``Result.summary()``).
    """
    case = result.case
    notes = result.budget.attrs.get("notes", [])
    parts = [
        f"<h4>{html.escape(case.name)}: {html.escape(case.title)}</h4>",
        f"<p><small>{html.escape(conventions_line(case))}</small></p>",
        table.to_html(na_rep="-", float_format=lambda value: f"{value:,.10g}"),
    ]
    if notes:
        items = "".join(f"<li>{html.escape(note)}</li>" for note in notes)
        parts.append(f"<p>What the budget buys:</p><ul>{items}</ul>")
    return "\n".join(parts)


def sources_and_uses_frame(table: xr.Dataset, *, millions: bool = False) -> pd.DataFrame:
    """The sources and uses as a table: rows ``side: line``, columns the sites and portfolio.

    Parameters
    ----------
    table : xarray.Dataset
        :attr:`tecmodel.Result.sources_and_uses` (deterministic).
    millions : bool
        EUR millions with one decimal (the terminal); else EUR to the cent (the CSV, which
        balances exactly).
    """
    amount = table["amount"]
    factor, digits = (1e-6, 1) if millions else (1.0, 2)
    rows = {
        f"{side}: {line}": [round(float(v) * factor, digits) for v in amount.sel(line=line).values]
        for line, side in zip(table["line"].values, table["side"].values, strict=True)
    }
    frame = pd.DataFrame(rows, index=list(amount["site"].values)).T
    frame.columns.name = "EUR M" if millions else "EUR"
    return frame
