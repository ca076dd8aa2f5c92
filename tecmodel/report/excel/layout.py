"""Where things are in the workbook and how cells are written.

This module owns the workbook's conventions: the live inputs (:data:`SITE_DRIVERS`,
:data:`CASE_DRIVERS`, :data:`LIVE_PARAMETERS`), number formats and colours, the layout record of
every formula cell (:class:`CellCheck`, :class:`WorkbookLayout`), the writers of text (always
text, never a formula), numbers and formulas, and the row writer of the cash-flow sheets
(years as columns from :data:`FIRST_YEAR_COLUMN`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tecmodel.inputs.registry import REGISTRY
from tecmodel.model.outputs import METRICS

#: Live inputs with a defined name, per site: driver key -> (parameter, label, number format).
SITE_DRIVERS: dict[str, tuple[str, str, str]] = {
    "energy_price": ("power.market_price", "Energy price (market, first model year)", "0.00"),
    "utilisation": ("revenue.utilisation", "Utilisation (billed, merchant capacity)", "0.0%"),
    "chip_cost": ("chips.unit_price", "Accelerator price (all-in, reference year)", "#,##0"),
    "gpu_hour_price": (
        "revenue.gpu_hour_price",
        "GPU-hour price (merchant, new accelerator, first model year)",
        "0.00",
    ),
}


#: Live input with a defined name, per case.
CASE_DRIVERS: dict[str, tuple[str, str, str]] = {
    "discount_rate": ("finance.discount_rate", "Discount rate (nominal, post-tax)", "0.00%"),
}


#: Parameters whose every effect on the results is a workbook formula: changing them in the
#: Inputs sheet updates the workbook exactly as a re-run of the model would (the LibreOffice
#: test changes all of them). Every other parameter enters through the model's values.
LIVE_PARAMETERS: tuple[str, ...] = (
    "power.market_price",
    "revenue.utilisation",
    "chips.unit_price",
    "finance.discount_rate",
    "tax.corporate_rate",
    "tax.loss_offset_fixed",
    "tax.loss_offset_share",
    "fx.usd_per_eur",
    "financing.cost_of_equity",
    "financing.lockup_dscr",
    "revenue.gpu_hour_price",
    "revenue.contract_price",
    "revenue.merchant_usd_share",
    "revenue.contract_usd_share",
    "power.contract_share",
    "power.contract_price",
    "power.contract_indexation",
    "power.market_escalation",
    "power.idle_share",
    "power.active_load_share",
    "power.grid_tariff_energy",
    "power.excise",
    "power.capacity_cost",
    "cooling.water_use",
    "operations.it_support_rate",
    "operations.insurance_rate",
)


#: Newton iterations laid out on the Break-even sheet (the model converges in 3-4 on the
#: bundled cases; see the sheet's convergence check).
BREAKEVEN_ITERATIONS = 6


#: First column of the years on the cash-flow sheets (A label, B unit, C how, D total/value).
FIRST_YEAR_COLUMN = 5


def excel_number_format(name: str) -> str:
    """The Excel number format that shows the metric `name` as the tables and figures do.

    Derived from the metric's display in the table of outputs (:data:`METRICS`): the decimals
    and thousands separator of its ``display_format``; its ``display_scale`` as one trailing
    comma per factor of 1,000 (EUR stored in full, shown in millions); a rate (display unit
    ``%``, or ``pp``: points of a share) as a percent; a ratio (display unit ``x``: DSCR,
    MOIC) as a multiple, ``0.00"x"``.
    Amounts shown in EUR millions show a loss in red and zero as a dash.

    Parameters
    ----------
    name : str
        A metric of :data:`METRICS`.

    Raises
    ------
    ValueError
        If the metric's display has no number format of this kind.
    """
    metric = METRICS[name]
    match = re.fullmatch(r"\{:(,?)\.(\d+)f\}", metric.display_format)
    if match is None:
        raise ValueError(f"no Excel format for the display format {metric.display_format!r}")
    separator, decimals = match.group(1), int(match.group(2))
    number = ("#,##0" if separator else "0") + ("." + "0" * decimals if decimals else "")
    if metric.display_units in ("%", "pp"):  # points of a share are shown as a percent too
        if metric.display_scale != 100.0:
            raise ValueError(f"a percent is shown x 100, not x {metric.display_scale}")
        return number + "%"  # Excel's % multiplies by 100 itself
    thousands = round(-math.log10(metric.display_scale) / 3)
    if thousands < 0 or 1000.0**-thousands != metric.display_scale:
        raise ValueError(f"no Excel format shows a value x {metric.display_scale}")
    number += "," * thousands
    if metric.display_units == "x":
        return number + '"x"'
    if metric.display_units.startswith("EUR M"):
        return f'{number};[Red]-{number};"-"'
    return number


#: Amounts in EUR: stored in full, shown in millions like the money metrics (a loss in red).
FORMAT_EUR = excel_number_format("npv")


#: The display unit of those amounts.
MONEY_UNITS = METRICS["npv"].display_units


FORMAT_MILLIONS = "#,##0.0,,"


FORMAT_NUMBER = "#,##0"


FORMAT_FACTOR = "0.000000"


ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


@dataclass(frozen=True)
class CellCheck:
    """What a formula cell shows, so that it can be compared with the model.

    Attributes
    ----------
    case : int
        Index of the result (in the order given to :func:`build_workbook`).
    site : str
        Site name or ``"portfolio"``.
    key : tuple
        The quantity (see :func:`model_values`).
    year : int or None
        Index of the model year; None for a scalar or a total over the years.
    """

    case: int
    site: str
    key: tuple
    year: int | None = None


@dataclass(frozen=True)
class InputCell:
    """A live input cell with a defined name."""

    name: str
    case: int
    parameter: str
    site: str | None
    sheet: str
    coordinate: str


@dataclass
class WorkbookLayout:
    """Where things are in a built workbook.

    Attributes
    ----------
    checks : dict
        ``(sheet title, coordinate) -> CellCheck`` for every formula cell.
    inputs : dict
        Defined name -> :class:`InputCell` of the driver inputs.
    parameter_cells : dict
        ``(case, parameter, site) -> (sheet title, coordinate)`` of every parameter's value.
    written : list
        The results the workbook was written from (their values sit beside the formulas).
    stored_note : (str, str) or None
        (sheet title, coordinate) of the Cover's note saying whether formula values are stored.
    sized_at_written_inputs : set
        ``(sheet title, coordinate)`` of the formula cells that read schedules the model sized
        at the written inputs (the Financing sheet's): they equal the model there only.
    """

    checks: dict[tuple[str, str], CellCheck] = field(default_factory=dict)
    inputs: dict[str, InputCell] = field(default_factory=dict)
    parameter_cells: dict[tuple[int, str, str | None], tuple[str, str]] = field(
        default_factory=dict
    )
    written: list = field(default_factory=list)
    stored_note: tuple[str, str] | None = None
    sized_at_written_inputs: set[tuple[str, str]] = field(default_factory=set)


def clean_text(value: Any) -> str:
    """Text as it will be stored: a str without the control characters XML forbids."""
    return ILLEGAL_CHARACTERS.sub("", str(value))


def put_text(sheet, coordinate: str, value: Any, **style):
    """Write `value` as text, never as a formula or a link, whatever its first character."""
    cell = sheet[coordinate]
    text = clean_text(value)
    cell.value = text
    cell.data_type = "s"  # openpyxl would otherwise store "=..." as a formula
    if text[:1] in ("=", "+", "-", "@"):
        cell.quotePrefix = True  # Excel keeps it text when the cell is edited
    style_cell(cell, **style)
    return cell


def put_value(sheet, coordinate: str, value, number_format: str | None = None, **style):
    """Write a number (NaN and None as an empty cell)."""
    cell = sheet[coordinate]
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        cell.value = None
    else:
        cell.value = float(value) if not isinstance(value, (int, np.integer)) else int(value)
    if number_format:
        cell.number_format = number_format
    style_cell(cell, **style)
    return cell


def put_title(sheet, title: str, subtitle: str | None = None, size: float = 14) -> None:
    """Write a sheet's title in A1 and, if given, the sentence under it in A2.

    Parameters
    ----------
    sheet : openpyxl.worksheet.worksheet.Worksheet
    title : str
        Written bold at `size`.
    subtitle : str, optional
        Written italic in A2.
    size : float
        Font size of the title [pt].
    """
    put_text(sheet, "A1", title, bold=True, size=size)
    if subtitle is not None:
        put_text(sheet, "A2", subtitle, italic=True)


def case_names(context) -> str:
    """The names of the workbook's cases, for sheet titles (``base_10b, doubled_20b``)."""
    return ", ".join(result.case.name for result in context.results)


def put_header_row(sheet, row: int, titles, first_column: int = 1) -> None:
    """Write column titles along one row, bold on the header fill.

    Parameters
    ----------
    sheet : openpyxl.worksheet.worksheet.Worksheet
    row : int
        The row (1-based).
    titles : iterable of str
        One title a column, left to right.
    first_column : int
        Column of the first title (1-based: 1 is column A).
    """
    for index, title in enumerate(titles):
        put_text(sheet, f"{column(first_column + index)}{row}", title, bold=True, fill=HEADER_FILL)


def set_column_widths(sheet, widths: Mapping[str, float]) -> None:
    """Set the width of columns by letter.

    Parameters
    ----------
    sheet : openpyxl.worksheet.worksheet.Worksheet
    widths : Mapping of str to float
        Column letter -> width [characters of the default font], applied in order.
    """
    for letter, width in widths.items():
        sheet.column_dimensions[letter].width = width


def style_cell(
    cell,
    bold: bool = False,
    italic: bool = False,
    fill: str | None = None,
    color: str | None = None,
    wrap: bool = False,
    size: float | None = None,
) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    if bold or italic or color or size:
        cell.font = Font(bold=bold, italic=italic, color=color, size=size)
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


INPUT_FILL = "FFF2CC"  # live input cells: light yellow, blue font (the usual convention)


INPUT_FONT = "1F4E9A"


FIXED_FILL = "EDEDED"  # fixed values on the Inputs sheet: grey, dark grey figures, locked


FIXED_FONT = "404040"


HEADER_FILL = "DDEBF7"


SECTION_FILL = "F2F2F2"


def protect_sheet(sheet) -> None:
    """Protect a sheet without a password: locked cells (all but the live inputs) cannot be
    edited; columns and rows can still be resized, and tables filtered and sorted."""
    from openpyxl.worksheet.protection import SheetProtection

    sheet.protection = SheetProtection(
        sheet=True, formatColumns=False, formatRows=False, autoFilter=False, sort=False
    )


def sheet_title(workbook, wanted: str) -> str:
    """A valid, unique sheet title (<= 31 characters, no ``[]:*?/\\``)."""
    title = re.sub(r"[\[\]:*?/\\']", "_", wanted)[:31]
    existing = {name.lower() for name in workbook.sheetnames}
    candidate, counter = title, 2
    while candidate.lower() in existing:
        suffix = f" ~{counter}"
        candidate, counter = title[: 31 - len(suffix)] + suffix, counter + 1
    return candidate


def defined_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def quoted(sheet_title: str) -> str:
    return "'" + sheet_title.replace("'", "''") + "'"


def chart_title(text: str, size: float = 10):
    """A chart title in bold at `size` points (openpyxl's default is larger; a long one wraps).

    Parameters
    ----------
    text : str
        The title.
    size : float
        Font size [pt].

    Returns
    -------
    openpyxl.chart.title.Title
    """
    from openpyxl.chart.text import RichText, Text
    from openpyxl.chart.title import Title
    from openpyxl.drawing.text import (
        CharacterProperties,
        Paragraph,
        ParagraphProperties,
        RegularTextRun,
    )

    font = CharacterProperties(sz=round(size * 100), b=True)
    paragraph = Paragraph(
        pPr=ParagraphProperties(defRPr=font), r=[RegularTextRun(t=text, rPr=font)]
    )
    return Title(tx=Text(rich=RichText(p=[paragraph])), overlay=False)


def column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


class Context:
    """State shared by the sheet writers: the workbook, the layout, the results, the rows."""

    def __init__(self, workbook, layout: WorkbookLayout, results: list) -> None:
        self.workbook = workbook
        self.layout = layout
        self.results = results
        self.case_sheets: dict[int, dict[str, CashFlowSheet]] = {}
        self.breakeven_cells: dict[tuple[int, str], str] = {}
        self.metric_cells: dict[tuple[int, str, str], str] = {}

    def formula(
        self,
        sheet,
        coordinate: str,
        formula: str,
        check: CellCheck,
        number_format: str | None = None,
        **style,
    ):
        cell = sheet[coordinate]
        cell.value = formula
        if number_format:
            cell.number_format = number_format
        style_cell(cell, **style)
        self.layout.checks[(sheet.title, coordinate)] = check
        return cell

    def parameter(self, case: int, name: str, site: str | None = None) -> str:
        """Absolute reference to a parameter's value cell on the Inputs sheet."""
        scope_site = site if REGISTRY[name].scope == "site" else None
        sheet, coordinate = self.layout.parameter_cells[(case, name, scope_site)]
        letters, digits = re.match(r"([A-Z]+)(\d+)", coordinate).groups()
        return f"{quoted(sheet)}!${letters}${digits}"

    def driver(self, case: int, key: str, site: str | None = None) -> str:
        """Defined name of a driver input."""
        result = self.results[case]
        return (
            defined_name(key, result.case.name, site)
            if site
            else defined_name(key, result.case.name)
        )


@dataclass
class CashFlowSheet:
    """Row numbers of one cash-flow sheet (site or portfolio), for references from elsewhere."""

    title: str
    site: str
    case: int
    rows: dict[str, int] = field(default_factory=dict)
    n_years: int = 0

    def ref(self, key: str, year: int | None = None, absolute_row: bool = False) -> str:
        """Reference to the cell of row `key` in year index `year` (None: column D)."""
        letter = column(FIRST_YEAR_COLUMN + year) if year is not None else "D"
        row = f"${self.rows[key]}" if absolute_row else str(self.rows[key])
        return f"{quoted(self.title)}!{letter}{row}"

    def span(self, key: str) -> str:
        """Reference to the whole year range of row `key`."""
        first, last = column(FIRST_YEAR_COLUMN), column(FIRST_YEAR_COLUMN + self.n_years - 1)
        row = self.rows[key]
        return f"{quoted(self.title)}!${first}${row}:${last}${row}"

    def present_value(self, key: str) -> str:
        """Formula text (no leading ``=``) of the present value of row `key` at t = 0.

        Parameters
        ----------
        key : str
            A row of this sheet with one value a year (units of that row).

        Returns
        -------
        str
            ``SUMPRODUCT(row, discount factors)`` over the sheet's years (units of the row).
        """
        return f"SUMPRODUCT({self.span(key)},{self.span('discount_factor')})"


class RowWriter:
    """Writes labelled rows with one column per model year on a cash-flow sheet."""

    def __init__(self, context: Context, sheet, case: int, site: str, years: np.ndarray) -> None:
        self.context = context
        self.sheet = sheet
        self.case = case
        self.site = site
        self.years = years
        self.row = 5
        self.record = CashFlowSheet(sheet.title, site, case, n_years=len(years))

    def letter(self, year: int) -> str:
        return column(FIRST_YEAR_COLUMN + year)

    def at(self, key: str, year: int) -> str:
        """Same-sheet reference to row `key` in year index `year`."""
        return f"{self.letter(year)}{self.record.rows[key]}"

    def scalar_at(self, key: str) -> str:
        return f"$D${self.record.rows[key]}"

    def span(self, key: str) -> str:
        row = self.record.rows[key]
        return f"{self.letter(0)}{row}:{self.letter(len(self.years) - 1)}{row}"

    def _label(
        self, label: str, unit: str, how: str, bold: bool = False, fill: str | None = None
    ) -> None:
        put_text(self.sheet, f"A{self.row}", label, bold=bold, fill=fill)
        put_text(self.sheet, f"B{self.row}", unit, fill=fill)
        put_text(self.sheet, f"C{self.row}", how, italic=True, color="595959", fill=fill)

    def section(self, label: str) -> None:
        self.row += 1
        put_text(self.sheet, f"A{self.row}", label, bold=True, fill=SECTION_FILL)
        for index in range(2, FIRST_YEAR_COLUMN + len(self.years)):
            style_cell(self.sheet.cell(self.row, index), fill=SECTION_FILL)
        self.row += 1

    def values(
        self,
        key: str,
        label: str,
        unit: str,
        how: str,
        values,
        number_format: str,
        total: bool = False,
        bold: bool = False,
    ) -> int:
        self._label(label, unit, how, bold=bold)
        values = np.asarray(values, dtype=float)
        for year in range(len(self.years)):
            put_value(
                self.sheet, f"{self.letter(year)}{self.row}", values[year], number_format, bold=bold
            )
        if total:
            put_value(self.sheet, f"D{self.row}", float(np.sum(values)), number_format, bold=bold)
        return self._next(key)

    def formulas(
        self,
        key: str,
        label: str,
        unit: str,
        how: str,
        formula: Callable[[int], str | None],
        check: tuple,
        number_format: str,
        total: bool = False,
        bold: bool = False,
        fill: str | None = None,
        values=None,
    ) -> int:
        """A row of formulas; ``formula(year)`` may return None to write ``values[year]``."""
        self.record.rows[key] = self.row  # a formula may refer to its own row (the previous year)
        self._label(label, unit, how, bold=bold, fill=fill)
        for year in range(len(self.years)):
            coordinate = f"{self.letter(year)}{self.row}"
            text = formula(year)
            if text is None:
                put_value(self.sheet, coordinate, values[year], number_format, bold=bold, fill=fill)
            else:
                self.context.formula(
                    self.sheet,
                    coordinate,
                    text,
                    CellCheck(self.case, self.site, check, year),
                    number_format,
                    bold=bold,
                    fill=fill,
                )
        if total:
            first, last = self.letter(0), self.letter(len(self.years) - 1)
            self.context.formula(
                self.sheet,
                f"D{self.row}",
                f"=SUM({first}{self.row}:{last}{self.row})",
                CellCheck(self.case, self.site, ("total", check)),
                number_format,
                bold=bold,
                fill=fill,
            )
        return self._next(key)

    def scalar_value(
        self, key: str, label: str, unit: str, how: str, value: float, number_format: str
    ) -> int:
        self._label(label, unit, how)
        put_value(self.sheet, f"D{self.row}", value, number_format)
        return self._next(key)

    def scalar_formula(
        self,
        key: str,
        label: str,
        unit: str,
        how: str,
        formula: str,
        check: tuple,
        number_format: str,
    ) -> int:
        self._label(label, unit, how)
        self.context.formula(
            self.sheet,
            f"D{self.row}",
            formula,
            CellCheck(self.case, self.site, check),
            number_format,
        )
        return self._next(key)

    def _next(self, key: str) -> int:
        self.record.rows[key] = self.row
        self.row += 1
        return self.row - 1


def sheet_header(context: Context, writer: RowWriter, title: str, subtitle: str) -> None:
    sheet = writer.sheet
    put_title(sheet, title, subtitle)
    put_header_row(sheet, 4, ("Line item", "Unit", "How it is computed", "Total / value"))
    for year_index, year in enumerate(writer.years):
        put_value(
            sheet, f"{writer.letter(year_index)}4", int(year), "0", bold=True, fill=HEADER_FILL
        )
    writer.record.rows["year"] = 4
    sheet.freeze_panes = f"{writer.letter(0)}5"
    set_column_widths(sheet, {"A": 52, "B": 16, "C": 58, "D": 15})
    for year_index in range(len(writer.years)):
        sheet.column_dimensions[writer.letter(year_index)].width = 12


BREAKEVEN_ROWS = (
    ("profit", "Taxable income before losses at the trial factor", "profit + (m - 1) x revenue"),
    ("relief", "Losses offset", "as on the cash-flow sheet"),
    ("pool", "Losses carried forward", "carried in - offset + loss of the year"),
    ("tax", "Tax", "tax rate x max(profit - offset, 0)"),
    ("relief_slope", "d(losses offset)/dm", "the bound of the offset that binds"),
    ("pool_slope", "d(losses carried forward)/dm", ""),
    ("tax_slope", "d(tax)/dm", "tax rate x (d profit/dm - d offset/dm) where profit > 0"),
)
