"""The rows that a site's and a portfolio's cash-flow sheets share.

This module owns the timeline and discounting rows, the line items by category with their
subtotals, EBITDA and the pre-tax cash flow, and the free cash flow with its discounting,
cumulative sums and payback flag. A site writes its items as formulas of its quantities or as
the model's values; a portfolio writes each as the sum of its sites.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from tecmodel.model.cube import LINE_ITEMS
from tecmodel.report.excel.layout import (
    FORMAT_EUR,
    FORMAT_FACTOR,
    HEADER_FILL,
    MONEY_UNITS,
    RowWriter,
)
from tecmodel.report.excel.verify import site_series

CATEGORY_LABELS = {
    "revenue": "Revenue",
    "opex": "Operating costs",
    "capex": "Capital expenditure",
    "residual": "Horizon value (terminal.method), before tax",
}


def write_discounting_rows(writer: RowWriter, model_years: np.ndarray, rate: str) -> None:
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


def write_line_items(
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
                    MONEY_UNITS,
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
                    MONEY_UNITS,
                    "model value (fixed)",
                    site_series(result.cube.sel(item=item.name), site),
                    FORMAT_EUR,
                    total=True,
                )
        last_row = writer.row - 1
        writer.formulas(
            f"subtotal_{category}",
            f"Total {CATEGORY_LABELS[category].lower()}",
            MONEY_UNITS,
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
                MONEY_UNITS,
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
        MONEY_UNITS,
        "EBITDA + capital expenditure + residual value",
        lambda y: f"={at('ebitda', y)}+{at('subtotal_capex', y)}+{at('subtotal_residual', y)}",
        ("pre_tax",),
        FORMAT_EUR,
        total=True,
        bold=True,
        fill=HEADER_FILL,
    )


def write_free_cash_flow(writer: RowWriter, rate: str, tax_formula: Callable[[int], str]) -> None:
    at = writer.at
    n = len(writer.years)
    writer.section("Free cash flow and discounting")
    writer.formulas(
        "corporate_tax",
        "Corporate income tax",
        MONEY_UNITS,
        "outflow",
        tax_formula,
        ("item", "corporate_tax"),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "fcf",
        "Free cash flow",
        MONEY_UNITS,
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
        MONEY_UNITS,
        "free cash flow x discount factor",
        lambda y: f"={at('fcf', y)}*{at('discount_factor', y)}",
        ("discounted_fcf",),
        FORMAT_EUR,
        total=True,
    )
    writer.formulas(
        "cumulative_fcf",
        "Cumulative free cash flow",
        MONEY_UNITS,
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
        MONEY_UNITS,
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
    discounted_row = writer.row

    def discounted_flag(y: int) -> str:
        if y == n - 1:
            return f"=IF({at('cumulative_dcf', y)}>=0,1,0)"
        return (
            f"=IF(AND({at('cumulative_dcf', y)}>=0,{writer.letter(y + 1)}{discounted_row}=1),1,0)"
        )

    writer.formulas(
        "discounted_payback_flag",
        "Cumulative discounted free cash flow stays >= 0 from this year",
        "1 = yes",
        "the discounted payback year is the first year with 1",
        discounted_flag,
        ("discounted_payback_flag",),
        "0",
    )
