"""How each sheet of the workbook prints: landscape A4, fitted to the page width, titles repeated.

This module owns the page setup of every sheet (:func:`set_print_setup`): landscape A4 with
narrow margins; each sheet scaled to the width of one page (two for the wide year-by-year
sheets and the Inputs table, whose label columns then repeat on every page) and as many pages
down as it needs; the title and header rows repeated at the top of every page; the print area
the sheet's used range; the sheet name and page number in the footer.
"""

from __future__ import annotations

from tecmodel.report.excel.layout import FIRST_YEAR_COLUMN

#: Row of the column headers on the sheets that have one at a fixed place (the cash-flow,
#: financing, Inputs and Metrics sheets): rows 1 to it repeat on every printed page.
HEADER_ROW = 4

#: Sheets wider than this many columns print on two pages across, their label columns repeated.
WIDE_COLUMNS = 12


def set_print_setup(sheet, header_row: int | None = None, label_columns: str = "A:A") -> None:
    """Set the page setup, print titles and print area of one sheet.

    Parameters
    ----------
    sheet : openpyxl.worksheet.worksheet.Worksheet
    header_row : int, optional
        Last row of the titles repeated on every page (None: the title row alone).
    label_columns : str
        Columns repeated on every page of a sheet printed two pages across (``"A:B"``).
    """
    from openpyxl.worksheet.properties import PageSetupProperties

    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    wide = sheet.max_column > WIDE_COLUMNS
    sheet.page_setup.fitToWidth = 2 if wide else 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.5
    sheet.print_options.horizontalCentered = False
    sheet.print_title_rows = f"1:{header_row or 1}"
    if wide:
        sheet.print_title_cols = label_columns
    sheet.print_area = sheet.dimensions
    sheet.oddFooter.left.text = "&A"
    sheet.oddFooter.right.text = "page &P of &N"


def apply_print_setup(workbook) -> None:
    """Set the print setup of every sheet of the report workbook.

    The year-by-year sheets (their years start in column :data:`FIRST_YEAR_COLUMN`) and the
    Inputs and Metrics tables repeat their header rows; the year-by-year sheets and the Inputs
    table repeat their label columns when printed two pages across.
    """
    for sheet in workbook.worksheets:
        year_sheet = sheet.freeze_panes == f"{_column_letter(FIRST_YEAR_COLUMN)}{HEADER_ROW + 1}"
        if year_sheet:
            set_print_setup(sheet, HEADER_ROW, "A:B")
        elif sheet.title in ("Inputs", "Metrics"):
            set_print_setup(sheet, HEADER_ROW, "A:C")
        else:
            set_print_setup(sheet)


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)
