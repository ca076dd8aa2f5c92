"""The Excel report: a live, auditable workbook generated from the model's results.

This module owns the workbook layout and :func:`export_excel`. The workbook is a view of the
model, never a second source of numbers, but a live one: the line items that depend on the
energy price, the utilisation and the accelerator price, the tax with the French loss
carry-forward, the free cash flow and the metrics are spreadsheet formulas of marked input
cells (defined names), so a user who changes those inputs sees every dependent figure update.
Items that do not depend on them are written as the model's values.

How the formulas reproduce the model without a second copy of its logic: every driver enters
the components linearly once the quantities the model computes are known, so each site's sheet
holds those quantities (energy at the operating IT capacity, accelerators bought weighted by
the price index of their generation, GPU-hours offered, the insured facility value ...) and
each dependent item is a short formula of them and of the input cells. The quantities come from
the component functions themselves, evaluated at a unit price or a full utilisation
(:func:`.site_quantities.unit_runs`). ``tests/test_excel.py`` recalculates the workbook with
LibreOffice and compares every formula cell with the model, at the base inputs and at changed
ones.

Modules: :mod:`.layout` (conventions, cell writers, the layout record), :mod:`.inputs_sheet`,
:mod:`.site_quantities` and :mod:`.site_sheet` (a site's cash-flow sheet),
:mod:`.portfolio_sheet`, :mod:`.cashflow_rows` (the rows both share), :mod:`.breakeven`,
:mod:`.summary` (Metrics, Case comparison), :mod:`.whatif_sheet`, :mod:`.financing_sheet`,
:mod:`.sensitivity_sheet` (Sobol' and Shapley), :mod:`.uncertainty` (tornado, Monte Carlo),
:mod:`.cover`, :mod:`.verify` (the model's value of every cell; the LibreOffice recalculation),
:mod:`.stored_values` (formula values in the file), :mod:`.print_setup`.

Sheets: Cover (manifest, conventions, whether formula values are stored), Inputs (every
parameter; the live input cells highlighted and unlocked, the rest fixed; every sheet is
protected without a password), Metrics (formulas beside the model's values), Case comparison,
What-if scenarios (each case file's named scenarios), one cash-flow sheet per site, one per
portfolio and one of financing (tranches, CFADS, DSCR, equity cash flow and metrics) for each
case, Break-even (the after-tax break-even price by Newton's method on the price factor, as the
model solves it), Sensitivity (Sobol' indices beside Shapley effects, tornado) and Monte Carlo
(a wide summary, histogram and CDF). Amounts are stored in EUR and shown in EUR millions by
their number format. When LibreOffice is installed, the file also stores the value of every
formula as LibreOffice computes it (:mod:`.stored_values`).

Text from the case files (names, titles, sources) is always written as text, never as a
formula, whatever its first character. The file is written to a temporary name and renamed
into place (:func:`tecmodel.io.atomic_path`).
"""

from __future__ import annotations

from pathlib import Path

from tecmodel.model.evaluation import Result
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.report.arguments import as_list
from tecmodel.report.excel.breakeven import write_breakeven
from tecmodel.report.excel.cover import write_cover
from tecmodel.report.excel.financing_sheet import write_financing_sheet
from tecmodel.report.excel.inputs_sheet import write_inputs
from tecmodel.report.excel.layout import (
    LIVE_PARAMETERS,
    CellCheck,
    Context,
    InputCell,
    WorkbookLayout,
    clean_text,
    protect_sheet,
    put_text,
    sheet_title,
)
from tecmodel.report.excel.options_sheet import write_options
from tecmodel.report.excel.portfolio_sheet import write_portfolio_sheet
from tecmodel.report.excel.print_setup import apply_print_setup
from tecmodel.report.excel.sensitivity_sheet import write_sensitivity
from tecmodel.report.excel.site_sheet import write_site_sheet
from tecmodel.report.excel.stored_values import find_libreoffice, write_workbook
from tecmodel.report.excel.summary import write_metrics, write_scenarios
from tecmodel.report.excel.uncertainty import write_monte_carlo
from tecmodel.report.excel.verify import expected_values, model_values, recalculate_with_libreoffice
from tecmodel.report.excel.whatif_sheet import write_whatif

__all__ = [
    "export_excel",
    "build_workbook",
    "expected_values",
    "model_values",
    "recalculate_with_libreoffice",
    "CellCheck",
    "InputCell",
    "WorkbookLayout",
    "LIVE_PARAMETERS",
    "clean_text",
    "put_text",
]


def export_excel(
    results,
    path: str | Path,
    sensitivity=None,
    tornado=None,
    monte_carlo=None,
    recalculate: bool | None = None,
    shapley=None,
    options=None,
) -> Path:
    """Write the live Excel report of one or more deterministic results.

    Parameters
    ----------
    results : Result or sequence of Result
        From :func:`tecmodel.evaluate` (no ``sample`` dimension); case names must differ.
    path : str or Path
        The ``.xlsx`` file; written to a temporary name and renamed into place, so a failed
        export leaves any previous file untouched.
    sensitivity : xarray.Dataset or sequence/mapping of them, optional
        Sobol indices (:func:`tecmodel.sobol`): ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over
        (factor, metric, site), optionally ``S2``/``S2_conf``.
    tornado : xarray.Dataset or sequence/mapping of them, optional
        One-at-a-time ranges (:func:`tecmodel.tornado`): ``low``, ``high`` over (factor, metric,
        site), ``base`` over (metric, site), ``input_low``/``input_base``/``input_high``.
    monte_carlo : MonteCarloResult or sequence/mapping of them, optional
        From :func:`tecmodel.monte_carlo`: ``.summary`` and ``.samples`` (the sites),
        ``.portfolio_summary`` and ``.portfolio_samples``.
    recalculate : bool, optional
        Store every formula's value in the file, computed by LibreOffice (headless): None (the
        default) when LibreOffice is installed, True always (an error if it is missing or
        fails), False never. Without stored values the workbook is marked for a full
        calculation on load and its Cover sheet says so.
    shapley : xarray.Dataset or sequence/mapping of them, optional
        Shapley effects (:func:`tecmodel.shapley`), shown beside the Sobol' indices of the same
        case with a sentence on where and why they differ.
    options : xarray.Dataset or sequence of them, optional
        Real-options studies (:func:`tecmodel.real_options`), shown on a "Real options" sheet
        as stored simulation results with their units and definitions.

    Returns
    -------
    Path
        `path`.
    """
    workbook, layout = build_workbook(
        results,
        sensitivity=sensitivity,
        tornado=tornado,
        monte_carlo=monte_carlo,
        shapley=shapley,
        options=options,
    )
    soffice = find_libreoffice() if recalculate is not False else None
    path = Path(path)
    write_workbook(
        workbook,
        path,
        layout.checks,
        soffice,
        note_cell=layout.stored_note,
        required=bool(recalculate),
    )
    return path


def build_workbook(
    results, sensitivity=None, tornado=None, monte_carlo=None, shapley=None, options=None
):
    """Build the report workbook in memory.

    Returns
    -------
    workbook : openpyxl.Workbook
    layout : WorkbookLayout
        The formula cells and what each shows (used by the recalculation test).
    """
    from openpyxl import Workbook
    from openpyxl.workbook.properties import CalcProperties

    results = _as_results(results)
    workbook = Workbook()
    workbook.calculation = CalcProperties(fullCalcOnLoad=True)
    layout = WorkbookLayout(written=list(results))
    context = Context(workbook, layout, results)
    cover = workbook.active
    cover.title = "Cover"
    inputs_sheet = workbook.create_sheet("Inputs")
    write_inputs(context, inputs_sheet)
    for case_index, result in enumerate(results):
        context.case_sheets[case_index] = {}
        for site in result.case.site_names:
            sheet = workbook.create_sheet(sheet_title(workbook, f"{result.case.name} {site}"))
            context.case_sheets[case_index][site] = write_site_sheet(
                context, sheet, case_index, site
            )
        sheet = workbook.create_sheet(sheet_title(workbook, f"{result.case.name} {PORTFOLIO}"))
        context.case_sheets[case_index][PORTFOLIO] = write_portfolio_sheet(
            context, sheet, case_index
        )
        if result.case.tranches:
            sheet = workbook.create_sheet(sheet_title(workbook, f"{result.case.name} financing"))
            write_financing_sheet(context, sheet, case_index)
    breakeven_sheet = workbook.create_sheet("Break-even")
    write_breakeven(context, breakeven_sheet)
    metrics_sheet = workbook.create_sheet("Metrics", index=2)
    write_metrics(context, metrics_sheet)
    sensitivity_sheet = workbook.create_sheet("Sensitivity")
    write_sensitivity(
        context, sensitivity_sheet, as_list(sensitivity), as_list(tornado), as_list(shapley)
    )
    monte_carlo_sheet = workbook.create_sheet("Monte Carlo")
    write_monte_carlo(context, monte_carlo_sheet, as_list(monte_carlo))
    if options is not None:
        write_options(workbook.create_sheet("Real options"), as_list(options))
    whatif_sheet = workbook.create_sheet("What-if scenarios", index=3)
    write_whatif(context, whatif_sheet)
    scenarios_sheet = workbook.create_sheet("Case comparison", index=3)
    write_scenarios(context, scenarios_sheet, as_list(monte_carlo))
    write_cover(
        context,
        cover,
        as_list(sensitivity),
        as_list(tornado),
        as_list(monte_carlo),
        as_list(shapley),
    )
    apply_print_setup(workbook)
    for sheet in workbook.worksheets:
        protect_sheet(sheet)
    return workbook, layout


def _as_results(results) -> list:
    results = [results] if isinstance(results, Result) else list(results)
    if not results:
        raise ValueError("export_excel needs at least one result")
    names = [result.case.name for result in results]
    if len(set(names)) != len(names):
        raise ValueError(f"case names must differ in one workbook; got {names}")
    for result in results:
        extra = [dim for dim in result.cube.dims if dim not in ("item", "year", "site")]
        if extra:
            raise ValueError(
                f"the workbook shows deterministic results; {result.case.name!r} varies "
                f"along {extra}"
            )
    return results
