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
(:func:`_unit_runs`). ``tests/test_excel.py`` recalculates the workbook with LibreOffice and
compares every formula cell with the model, at the base inputs and at changed ones.

Sheets: Cover (manifest, conventions), Inputs (every parameter; the live input cells), one
cash-flow sheet per site and one per portfolio for each case, Metrics (formulas beside the
model's values), Break-even (the after-tax break-even price by Newton's method on the price
factor, as the model solves it), Sensitivity (Sobol indices, tornado), Monte Carlo and
Scenarios. Amounts are stored in EUR and shown in EUR millions by their number format.

Text from the case files (names, titles, sources) is always written as text, never as a
formula, whatever its first character. The file is written to a temporary name and renamed
into place (:func:`tecmodel.io.atomic_path`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from ..cube import LINE_ITEMS, item_total
from ..finance import PORTFOLIO, discount_factors
from ..io import atomic_path
from ..registry import PARAMETERS
from ..timeline import HOURS_PER_YEAR

# --------------------------------------------------------------------------- layout constants

#: Live inputs with a defined name, per site: driver key -> (parameter, label, number format).
SITE_DRIVERS: dict[str, tuple[str, str, str]] = {
    "energy_price": ("power.market_price", "Energy price (market, first model year)", "0.00"),
    "utilisation": ("revenue.utilisation", "Utilisation (billed, merchant capacity)", "0.0%"),
    "chip_cost": ("chips.unit_price", "Accelerator price (all-in, reference year)", "#,##0"),
}
#: Live input with a defined name, per case.
CASE_DRIVERS: dict[str, tuple[str, str, str]] = {
    "discount_rate": ("finance.discount_rate", "Discount rate (nominal, post-tax)", "0.00%"),
}
#: Parameters whose every effect on the results is a workbook formula: changing them in the
#: Inputs sheet updates the workbook exactly as a re-run of the model would (the LibreOffice
#: test changes all of them). Every other parameter enters through the model's values.
LIVE_PARAMETERS: tuple[str, ...] = (
    "power.market_price", "revenue.utilisation", "chips.unit_price", "finance.discount_rate",
    "tax.corporate_rate", "tax.loss_offset_fixed", "tax.loss_offset_share", "fx.usd_per_eur",
    "power.contract_share", "power.contract_price", "power.contract_indexation",
    "power.market_escalation", "power.idle_share", "power.active_load_share",
    "power.grid_tariff_energy", "power.excise", "power.capacity_cost", "cooling.water_use",
    "operations.it_support_rate", "operations.insurance_rate",
)
#: Newton iterations laid out on the Break-even sheet (the model converges in 3-4 on the
#: bundled cases; see the sheet's convergence check).
BREAKEVEN_ITERATIONS = 6
#: First column of the years on the cash-flow sheets (A label, B unit, C how, D total/value).
FIRST_YEAR_COLUMN = 5

FORMAT_EUR = '#,##0.0,,;[Red]-#,##0.0,,;"-"'
FORMAT_MILLIONS = '#,##0.0,,'
FORMAT_NUMBER = '#,##0'
FORMAT_DECIMAL = '0.000'
FORMAT_FACTOR = '0.000000'
FORMAT_PERCENT = '0.00%'
FORMAT_PRICE = '0.000'

ILLEGAL_CHARACTERS = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


# --------------------------------------------------------------------------- public API


def export_excel(results, path: str | Path, sensitivity=None, tornado=None, monte_carlo=None) -> Path:
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
        From :func:`tecmodel.monte_carlo`: ``.summary`` and ``.samples``.

    Returns
    -------
    Path
        `path`.
    """
    workbook, _layout = build_workbook(results, sensitivity=sensitivity, tornado=tornado, monte_carlo=monte_carlo)
    path = Path(path)
    with atomic_path(path) as temporary:
        workbook.save(temporary)
    return path


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
    """

    checks: dict[tuple[str, str], CellCheck] = field(default_factory=dict)
    inputs: dict[str, InputCell] = field(default_factory=dict)
    parameter_cells: dict[tuple[int, str, str | None], tuple[str, str]] = field(default_factory=dict)
    written: list = field(default_factory=list)


def build_workbook(results, sensitivity=None, tornado=None, monte_carlo=None):
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
    context = _Context(workbook, layout, results)
    cover = workbook.active
    cover.title = "Cover"
    inputs_sheet = workbook.create_sheet("Inputs")
    _write_inputs(context, inputs_sheet)
    for case_index, result in enumerate(results):
        context.case_sheets[case_index] = {}
        for site in result.case.site_names:
            sheet = workbook.create_sheet(_sheet_title(workbook, f"{result.case.name} {site}"))
            context.case_sheets[case_index][site] = _write_site_sheet(context, sheet, case_index, site)
        sheet = workbook.create_sheet(_sheet_title(workbook, f"{result.case.name} {PORTFOLIO}"))
        context.case_sheets[case_index][PORTFOLIO] = _write_portfolio_sheet(context, sheet, case_index)
    breakeven_sheet = workbook.create_sheet("Break-even")
    _write_breakeven(context, breakeven_sheet)
    metrics_sheet = workbook.create_sheet("Metrics", index=2)
    _write_metrics(context, metrics_sheet)
    sensitivity_sheet = workbook.create_sheet("Sensitivity")
    _write_sensitivity(context, sensitivity_sheet, _as_list(sensitivity), _as_list(tornado))
    monte_carlo_sheet = workbook.create_sheet("Monte Carlo")
    _write_monte_carlo(context, monte_carlo_sheet, _as_list(monte_carlo))
    scenarios_sheet = workbook.create_sheet("Scenarios", index=3)
    _write_scenarios(context, scenarios_sheet, _as_list(monte_carlo))
    _write_cover(context, cover, _as_list(sensitivity), _as_list(tornado), _as_list(monte_carlo))
    return workbook, layout


def _as_results(results) -> list:
    from ..model import Result

    results = [results] if isinstance(results, Result) else list(results)
    if not results:
        raise ValueError("export_excel needs at least one result")
    names = [result.case.name for result in results]
    if len(set(names)) != len(names):
        raise ValueError(f"case names must differ in one workbook; got {names}")
    for result in results:
        extra = [dim for dim in result.cube.dims if dim not in ("item", "year", "site")]
        if extra:
            raise ValueError(f"the workbook shows deterministic results; {result.case.name!r} varies along {extra}")
    return results


def _as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, xr.Dataset):  # a Dataset is a Mapping too
        return [value]
    if isinstance(value, Mapping):
        return list(value.values())
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


# --------------------------------------------------------------------------- cell writing


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
    _style(cell, **style)
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
    _style(cell, **style)
    return cell


def _style(cell, bold: bool = False, italic: bool = False, fill: str | None = None, color: str | None = None,
           wrap: bool = False, size: float | None = None) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill

    if bold or italic or color or size:
        cell.font = Font(bold=bold, italic=italic, color=color, size=size)
    if fill:
        cell.fill = PatternFill("solid", fgColor=fill)
    if wrap:
        cell.alignment = Alignment(wrap_text=True, vertical="top")


INPUT_FILL = "FFF2CC"    # live input cells: light yellow, blue font (the usual convention)
INPUT_FONT = "1F4E9A"
HEADER_FILL = "DDEBF7"
SECTION_FILL = "F2F2F2"


def _sheet_title(workbook, wanted: str) -> str:
    """A valid, unique sheet title (<= 31 characters, no []:*?/\\)."""
    title = re.sub(r"[\[\]:*?/\\']", "_", wanted)[:31]
    existing = {name.lower() for name in workbook.sheetnames}
    candidate, counter = title, 2
    while candidate.lower() in existing:
        suffix = f" ~{counter}"
        candidate, counter = title[:31 - len(suffix)] + suffix, counter + 1
    return candidate


def _defined_name(*parts: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", "_".join(parts))


def _quoted(sheet_title: str) -> str:
    return "'" + sheet_title.replace("'", "''") + "'"


def column(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index)


class _Context:
    """State shared by the sheet writers: the workbook, the layout, the results, the rows."""

    def __init__(self, workbook, layout: WorkbookLayout, results: list) -> None:
        self.workbook = workbook
        self.layout = layout
        self.results = results
        self.case_sheets: dict[int, dict[str, _CashFlowSheet]] = {}
        self.breakeven_cells: dict[tuple[int, str], str] = {}
        self.metric_cells: dict[tuple[int, str, str], str] = {}

    def formula(self, sheet, coordinate: str, formula: str, check: CellCheck, number_format: str | None = None,
                **style):
        cell = sheet[coordinate]
        cell.value = formula
        if number_format:
            cell.number_format = number_format
        _style(cell, **style)
        self.layout.checks[(sheet.title, coordinate)] = check
        return cell

    def parameter(self, case: int, name: str, site: str | None = None) -> str:
        """Absolute reference to a parameter's value cell on the Inputs sheet."""
        scope_site = site if _parameter(name).scope == "site" else None
        sheet, coordinate = self.layout.parameter_cells[(case, name, scope_site)]
        letters, digits = re.match(r"([A-Z]+)(\d+)", coordinate).groups()
        return f"{_quoted(sheet)}!${letters}${digits}"

    def driver(self, case: int, key: str, site: str | None = None) -> str:
        """Defined name of a driver input."""
        result = self.results[case]
        return _defined_name(key, result.case.name, site) if site else _defined_name(key, result.case.name)


def _parameter(name: str):
    from ..registry import REGISTRY

    return REGISTRY[name]


# --------------------------------------------------------------------------- model values


@dataclass(frozen=True)
class _UnitRuns:
    """Component outputs at unit driver values (the per-unit quantities of the formulas)."""

    per_eur_of_chip_price: Any    # components with the accelerator price at 1 EUR
    full_utilisation: Any         # components at 100 % utilisation, no accelerators, insurance rate 1
    base: Any                     # components at the case values (capital additions)


def _unit_runs(result) -> _UnitRuns:
    """Run the component functions at unit values of the drivers.

    Every driver enters its items linearly, so an item at the case values is the item at a
    unit value times the driver: the accelerator items are the items at a price of 1 EUR per
    accelerator (USD price = USD per EUR) times the price; merchant revenue is the revenue at
    100 % utilisation times the utilisation; the insured facility value is the insurance at a
    rate of 1 with no accelerators.
    """
    from ..model import run_components

    params, timeline = result.parameters, result.timeline
    unit_chip = params.assign({"chips.unit_price": params["fx.usd_per_eur"] * xr.ones_like(params["chips.unit_price"])})
    full = params.assign({
        "revenue.utilisation": xr.ones_like(params["revenue.utilisation"]),
        "chips.unit_price": xr.zeros_like(params["chips.unit_price"]),
        "operations.insurance_rate": xr.ones_like(params["operations.insurance_rate"]),
    })
    return _UnitRuns(run_components(unit_chip, timeline), run_components(full, timeline),
                     run_components(params, timeline))


def _site_series(array: xr.DataArray, site: str) -> np.ndarray:
    """Values over years of one site, or the sum over sites for the portfolio."""
    array = array.transpose("year", ...)
    if site == PORTFOLIO:
        values = np.zeros(array.sizes["year"])
        for name in array["site"].values:
            if name != PORTFOLIO:
                values = values + array.sel(site=name).values
        return values
    return np.asarray(array.sel(site=site).values, dtype=float)


def _scalar(array, site: str | None = None) -> float:
    if isinstance(array, xr.DataArray) and "site" in array.dims:
        array = array.sel(site=site)
    return float(np.asarray(array))


def model_values(result, site: str, key: tuple, written=None):
    """The model's value of a workbook quantity: an array over years, a scalar or a text.

    Parameters
    ----------
    result : Result
        The evaluation to compare with (at the inputs the workbook holds).
    site : str
        Site name or ``"portfolio"``.
    key : tuple
        What the cells show, e.g. ``("item", "power_market_energy")``, ``("fcf",)``,
        ``("metric", "npv")``.
    written : Result, optional
        The result the workbook was written from (for the difference cells).
    """
    kind = key[0]
    params = result.parameters
    if kind == "metric_difference":
        now = _metric_value(result, site, key[1])
        then = _metric_value(written, site, key[1])
        if isinstance(now, str) or isinstance(then, str) or then == 0:
            return 0.0 if now == then else 1.0
        return abs(now - then) / abs(then)
    if kind == "scenario_difference":
        raise KeyError("scenario differences are computed from two results")  # handled in expected_values
    if kind == "metric":
        return _metric_value(result, site, key[1])
    if kind == "load_factor":
        from ..components.power import it_power_draw

        return _scalar(it_power_draw(1.0, params["power.idle_share"], params["power.active_load_share"],
                                     params["revenue.utilisation"]), site)
    if kind == "chip_price_eur":
        from ..components.chips import unit_price_eur

        return _scalar(unit_price_eur(params["chips.unit_price"], params["fx.usd_per_eur"]), site)
    if kind == "breakeven":
        return _breakeven_values(result, site)[key[1:]]
    if kind == "total":
        return float(np.sum(model_values(result, site, key[1])))
    if kind == "last":
        return float(model_values(result, site, key[1])[-1])
    return _series(result, site, key)


def _metric_value(result, site: str, name: str):
    value = float(result.metrics[name].sel(site=site))
    if np.isnan(value):
        return {"payback_year": "none", "irr": "undefined", "breakeven_gpu_hour_price": "none",
                "breakeven_price_factor": "none"}.get(name, "n/a")
    return value


def _series(result, site: str, key: tuple) -> np.ndarray:
    kind = key[0]
    cube = result.cube
    params, timeline = result.parameters, result.timeline
    if kind == "discount_factor":
        return np.asarray(discount_factors(params["finance.discount_rate"], timeline["t"]).values, dtype=float)
    if kind == "item":
        return _site_series(cube.sel(item=key[1]), site)
    if kind == "category":
        return _site_series(item_total(cube, category=key[1]), site)
    if kind == "ebitda":
        return _site_series(item_total(cube, category=("revenue", "opex")), site)
    if kind == "pre_tax":
        return _site_series(item_total(cube, exclude=("tax",)), site)
    if kind == "taxable_items":
        return _site_series(item_total(cube, taxable=True), site)
    if kind == "fcf":
        return _site_series(item_total(cube), site)
    if kind == "discounted_fcf":
        return _series(result, site, ("fcf",)) * _series(result, site, ("discount_factor",))
    if kind == "cumulative_fcf":
        return np.cumsum(_series(result, site, ("fcf",)))
    if kind == "cumulative_dcf":
        return np.cumsum(_series(result, site, ("discounted_fcf",)))
    if kind == "payback_flag":
        cumulative = _series(result, site, ("cumulative_fcf",))
        return np.flip(np.logical_and.accumulate(np.flip(cumulative >= 0))).astype(float)
    if kind == "quantity":
        return _site_series(result.quantities[key[1]], site)
    if kind == "merchant_hours":
        contract = result.quantities["gpu_hours_available"] * params["revenue.contract_share"]
        return _site_series(result.quantities["gpu_hours_sold"] - contract, site)
    if kind == "depreciation":
        return _site_series(result.finance["depreciation"].sel(asset_class=key[1]), site)
    if kind == "depreciation_total":
        return _site_series(result.finance["depreciation"].sum("asset_class"), site)
    if kind == "finance":
        return _site_series(result.finance[key[1]], site)
    raise KeyError(f"unknown workbook quantity {key!r}")


def expected_values(layout: WorkbookLayout, results: Sequence) -> dict[tuple[str, str], Any]:
    """The model's value of every formula cell, for results at the inputs the workbook holds.

    Parameters
    ----------
    layout : WorkbookLayout
        From :func:`build_workbook`.
    results : sequence of Result
        One per case, in the workbook's order, evaluated at the inputs now in the workbook
        (the written results for an untouched workbook).

    Returns
    -------
    dict
        ``(sheet title, coordinate) -> float or str``.
    """
    cache: dict[tuple, Any] = {}
    expected = {}
    for address, check in layout.checks.items():
        if check.key[0] == "scenario_difference":
            first, second = check.key[2], check.key[3]
            values = [_metric_value(results[index], PORTFOLIO, check.key[1]) for index in (first, second)]
            expected[address] = (values[1] - values[0]) if not any(isinstance(v, str) for v in values) else "n/a"
            continue
        memo = (check.case, check.site, check.key)
        if memo not in cache:
            cache[memo] = model_values(results[check.case], check.site, check.key, layout.written[check.case])
        value = cache[memo]
        if check.year is not None:
            value = float(np.asarray(value)[check.year])
        elif isinstance(value, np.ndarray):
            value = float(np.sum(value))
        expected[address] = value
    return expected


# --------------------------------------------------------------------------- Inputs sheet

INPUT_COLUMNS = ("Case", "Site", "Parameter", "Value", "Unit", "In the workbook", "Description",
                 "Stated in the case file", "Distribution", "Reference low", "Reference mode",
                 "Reference high", "Admissible bounds", "Source", "Case file location")
INPUT_WIDTHS = (14, 18, 34, 14, 16, 34, 60, 22, 22, 12, 12, 12, 18, 80, 40)


def _input_rows(case) -> list[tuple[Any, str | None, str | None]]:
    """(parameter, site, driver key) of a case in the table's order: the named inputs first,
    then the other live parameters, then the rest in registry order."""
    drivers = [(_parameter(spec[0]), None, key) for key, spec in CASE_DRIVERS.items()]
    drivers += [(_parameter(spec[0]), site, key) for site in case.site_names for key, spec in SITE_DRIVERS.items()]
    named = {(parameter.name, site) for parameter, site, _key in drivers}
    rest = [(parameter, site, None) for parameter in PARAMETERS
            for site in (case.site_names if parameter.scope == "site" else (None,))
            if (parameter.name, site) not in named]
    live = [row for row in rest if row[0].name in LIVE_PARAMETERS]
    return drivers + live + [row for row in rest if row[0].name not in LIVE_PARAMETERS]


def _write_inputs(context: _Context, sheet) -> None:
    from openpyxl.workbook.defined_name import DefinedName

    put_text(sheet, "A1", "Inputs", bold=True, size=14)
    put_text(sheet, "A2", "Every parameter of every case. Live input cells (yellow, blue figures, with a defined name) "
                          "come first: change them and every dependent figure of the workbook updates. Parameters "
                          "marked 'live' (blue figures) are also used only through formulas; the others enter "
                          "through the model's values (change them in the case file and re-run the model).",
             italic=True)
    header = 4
    for index, title in enumerate(INPUT_COLUMNS):
        put_text(sheet, f"{column(index + 1)}{header}", title, bold=True, fill=HEADER_FILL)
    row = header + 1
    for case_index, result in enumerate(context.results):
        case = result.case
        for parameter, site, driver in _input_rows(case):
            entry = case.entry(parameter.name, site)
            number_format = _parameter_format(parameter.unit)
            put_text(sheet, f"A{row}", case.name)
            put_text(sheet, f"B{row}", site or "(all sites)")
            put_text(sheet, f"C{row}", parameter.name)
            if driver is not None:
                name = context.driver(case_index, driver, site)
                put_value(sheet, f"D{row}", entry.value, number_format, bold=True, color=INPUT_FONT, fill=INPUT_FILL)
                context.workbook.defined_names[name] = DefinedName(name, attr_text=f"{_quoted(sheet.title)}!$D${row}")
                context.layout.inputs[name] = InputCell(name, case_index, parameter.name, site, sheet.title, f"D{row}")
                label = (CASE_DRIVERS.get(driver) or SITE_DRIVERS[driver])[1]
                role = f"live input {name}: {label}"
            elif parameter.name in LIVE_PARAMETERS:
                put_value(sheet, f"D{row}", entry.value, number_format, color=INPUT_FONT)
                role = "live (used only through formulas)"
            else:
                put_value(sheet, f"D{row}", entry.value, number_format)
                role = "fixed (enters through model values)"
            context.layout.parameter_cells[(case_index, parameter.name, site)] = (sheet.title, f"D{row}")
            put_text(sheet, f"E{row}", parameter.unit)
            put_text(sheet, f"F{row}", role, bold=driver is not None)
            put_text(sheet, f"G{row}", parameter.description)
            put_text(sheet, f"H{row}", f"{entry.stated_value:g} {entry.stated_unit}")
            distribution = getattr(entry, "distribution", None)
            put_text(sheet, f"I{row}", _describe_distribution(distribution) if distribution else
                     ("none (deterministic)" if parameter.samplable else "structural (not sampled)"))
            for offset, bound in enumerate(parameter.reference):
                put_value(sheet, f"{column(10 + offset)}{row}", bound, number_format)
            low, high = parameter.bounds
            put_text(sheet, f"M{row}", f"[{low:g}, {high:g}]")
            put_text(sheet, f"N{row}", entry.source)
            where = f"{case.file.name if case.file else '(in memory)'}: {entry.path}"
            put_text(sheet, f"O{row}", where + (f", line {entry.line}" if entry.line else ""))
            row += 1
    for index, width in enumerate(INPUT_WIDTHS):
        sheet.column_dimensions[column(index + 1)].width = width
    sheet.freeze_panes = f"D{header + 1}"
    sheet.auto_filter.ref = f"A{header}:O{row - 1}"


def _describe_distribution(distribution) -> str:
    if isinstance(distribution, Mapping):
        return ", ".join(f"{key}={value}" for key, value in distribution.items())
    return str(distribution)


def _parameter_format(unit: str) -> str:
    if unit in ("1", "1/yr"):
        return "0.00%"
    if unit in ("EUR", "EUR/MW"):
        return "#,##0"
    if unit == "calendar year" or unit == "yr":
        return "0"
    return "#,##0.00##"


# --------------------------------------------------------------------------- cash-flow sheets


@dataclass
class _CashFlowSheet:
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
        return f"{_quoted(self.title)}!{letter}{row}"

    def span(self, key: str) -> str:
        """Reference to the whole year range of row `key`."""
        first, last = column(FIRST_YEAR_COLUMN), column(FIRST_YEAR_COLUMN + self.n_years - 1)
        row = self.rows[key]
        return f"{_quoted(self.title)}!${first}${row}:${last}${row}"


class _RowWriter:
    """Writes labelled rows with one column per model year on a cash-flow sheet."""

    def __init__(self, context: _Context, sheet, case: int, site: str, years: np.ndarray) -> None:
        self.context = context
        self.sheet = sheet
        self.case = case
        self.site = site
        self.years = years
        self.row = 5
        self.record = _CashFlowSheet(sheet.title, site, case, n_years=len(years))

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

    def _label(self, label: str, unit: str, how: str, bold: bool = False, fill: str | None = None) -> None:
        put_text(self.sheet, f"A{self.row}", label, bold=bold, fill=fill)
        put_text(self.sheet, f"B{self.row}", unit, fill=fill)
        put_text(self.sheet, f"C{self.row}", how, italic=True, color="595959", fill=fill)

    def section(self, label: str) -> None:
        self.row += 1
        put_text(self.sheet, f"A{self.row}", label, bold=True, fill=SECTION_FILL)
        for index in range(2, FIRST_YEAR_COLUMN + len(self.years)):
            _style(self.sheet.cell(self.row, index), fill=SECTION_FILL)
        self.row += 1

    def values(self, key: str, label: str, unit: str, how: str, values, number_format: str,
               total: bool = False, bold: bool = False) -> int:
        self._label(label, unit, how, bold=bold)
        values = np.asarray(values, dtype=float)
        for year in range(len(self.years)):
            put_value(self.sheet, f"{self.letter(year)}{self.row}", values[year], number_format, bold=bold)
        if total:
            put_value(self.sheet, f"D{self.row}", float(np.sum(values)), number_format, bold=bold)
        return self._next(key)

    def formulas(self, key: str, label: str, unit: str, how: str, formula: Callable[[int], str | None],
                 check: tuple, number_format: str, total: bool = False, bold: bool = False,
                 fill: str | None = None, values=None) -> int:
        """A row of formulas; ``formula(year)`` may return None to write ``values[year]`` instead."""
        self.record.rows[key] = self.row  # a formula may refer to its own row (the previous year)
        self._label(label, unit, how, bold=bold, fill=fill)
        for year in range(len(self.years)):
            coordinate = f"{self.letter(year)}{self.row}"
            text = formula(year)
            if text is None:
                put_value(self.sheet, coordinate, values[year], number_format, bold=bold, fill=fill)
            else:
                self.context.formula(self.sheet, coordinate, text, CellCheck(self.case, self.site, check, year),
                                     number_format, bold=bold, fill=fill)
        if total:
            first, last = self.letter(0), self.letter(len(self.years) - 1)
            self.context.formula(self.sheet, f"D{self.row}", f"=SUM({first}{self.row}:{last}{self.row})",
                                 CellCheck(self.case, self.site, ("total", check)), number_format, bold=bold,
                                 fill=fill)
        return self._next(key)

    def scalar_value(self, key: str, label: str, unit: str, how: str, value: float, number_format: str) -> int:
        self._label(label, unit, how)
        put_value(self.sheet, f"D{self.row}", value, number_format)
        return self._next(key)

    def scalar_formula(self, key: str, label: str, unit: str, how: str, formula: str, check: tuple,
                       number_format: str) -> int:
        self._label(label, unit, how)
        self.context.formula(self.sheet, f"D{self.row}", formula, CellCheck(self.case, self.site, check),
                             number_format)
        return self._next(key)

    def _next(self, key: str) -> int:
        self.record.rows[key] = self.row
        self.row += 1
        return self.row - 1


def _sheet_header(context: _Context, writer: _RowWriter, title: str, subtitle: str) -> None:
    sheet = writer.sheet
    put_text(sheet, "A1", title, bold=True, size=14)
    put_text(sheet, "A2", subtitle, italic=True)
    for index, text in enumerate(("Line item", "Unit", "How it is computed", "Total / value")):
        put_text(sheet, f"{column(index + 1)}4", text, bold=True, fill=HEADER_FILL)
    for year_index, year in enumerate(writer.years):
        put_value(sheet, f"{writer.letter(year_index)}4", int(year), "0", bold=True, fill=HEADER_FILL)
    writer.record.rows["year"] = 4
    sheet.freeze_panes = f"{writer.letter(0)}5"
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 16
    sheet.column_dimensions["C"].width = 58
    sheet.column_dimensions["D"].width = 15
    for year_index in range(len(writer.years)):
        sheet.column_dimensions[writer.letter(year_index)].width = 12


#: Items written as formulas (they depend on a live input); the others are the model's values.
FORMULA_ITEMS = frozenset({
    "revenue_merchant", "power_contract_energy", "power_market_energy", "power_grid_energy_tariff",
    "power_excise", "power_capacity_mechanism", "operations_it_support", "operations_insurance",
    "chips_purchase", "chips_resale", "chips_residual", "corporate_tax",
})
CATEGORY_LABELS = {"revenue": "Revenue", "opex": "Operating costs", "capex": "Capital expenditure",
                   "residual": "Residual value at the horizon"}


def _write_site_sheet(context: _Context, sheet, case: int, site: str) -> _CashFlowSheet:
    result = context.results[case]
    params, timeline, quantities = result.parameters, result.timeline, result.quantities
    runs = _unit_runs(result)
    years = result.cube["year"].values
    writer = _RowWriter(context, sheet, case, site, years)
    _sheet_header(context, writer, f"{result.case.title}: {site}",
                  f"Case {result.case.name}, site {site}. Nominal EUR stored in full, shown in EUR millions; "
                  "inflows positive; year-end cash flows; the first model year is t = 0 (undiscounted).")

    def p(name: str) -> str:
        return context.parameter(case, name, site)

    rate = context.driver(case, "discount_rate")
    energy_price = context.driver(case, "energy_price", site)
    utilisation = context.driver(case, "utilisation", site)
    chip_cost = context.driver(case, "chip_cost", site)
    n = len(years)
    at = writer.at

    def per_site(array) -> np.ndarray:
        return _site_series(array, site)

    writer.section("Timeline and discounting")
    writer.values("t", "Model year t", "yr", "years since the first model year", timeline["t"].values, "0")
    writer.formulas("discount_factor", "Discount factor", "1", "1 / (1 + discount rate)^t",
                    lambda y: f"=1/(1+{rate})^{at('t', y)}", ("discount_factor",), FORMAT_FACTOR)
    writer.values("inflation", "Inflation index", "1", "(1 + inflation)^t (fixed)",
                  _escalation_series(result, "finance.inflation", site), FORMAT_FACTOR)
    writer.values("operating_mw", "Operating IT capacity (year average)", "MW",
                  "IT MW of the phases in operation x operating fraction", per_site(timeline["operating_it_mw"]),
                  "#,##0.0")
    writer.values("installed_mw", "Installed IT capacity (year end)", "MW", "", per_site(timeline["installed_it_mw"]),
                  "#,##0.0")

    writer.section("Site constants")
    pue = _scalar(quantities["pue_annual"], site)
    writer.scalar_value("pue", "Annual-average PUE", "1", "1 + electrical losses + annual cooling overhead (fixed)",
                        pue, "0.000")
    writer.scalar_value("hours", "Hours per year", "h", "", HOURS_PER_YEAR, "#,##0")
    writer.scalar_formula("load_factor", "IT load factor", "1",
                          "idle share + (busy share - idle share) x utilisation",
                          f"={p('power.idle_share')}+({p('power.active_load_share')}-{p('power.idle_share')})"
                          f"*{utilisation}", ("load_factor",), "0.0000")
    writer.scalar_formula("chip_price", "Accelerator price in the reference year", "EUR/accelerator",
                          "accelerator price (USD) / USD per EUR", f"={chip_cost}/{p('fx.usd_per_eur')}",
                          ("chip_price_eur",), "#,##0.00")
    reference_year = int(_scalar(timeline["reference_year"], site))
    writer.scalar_value("reference_year", "Reference year of the site's prices", "year",
                        "planned first online year", reference_year, "0")

    writer.section("Energy and compute")
    writer.formulas("it_energy", "IT energy", "MWh", "operating IT MW x IT load factor x hours",
                    lambda y: f"={at('operating_mw', y)}*{writer.scalar_at('load_factor')}*{writer.scalar_at('hours')}",
                    ("quantity", "it_energy_mwh"), FORMAT_NUMBER, total=True)
    writer.formulas("facility_energy", "Facility energy at the meter", "MWh", "IT energy x annual PUE",
                    lambda y: f"={at('it_energy', y)}*{writer.scalar_at('pue')}",
                    ("quantity", "facility_energy_mwh"), FORMAT_NUMBER, total=True)
    writer.formulas("water", "Cooling water", "m3", "IT energy x water use (L/kWh = m3/MWh)",
                    lambda y: f"={at('it_energy', y)}*{p('cooling.water_use')}", ("quantity", "water_m3"),
                    FORMAT_NUMBER, total=True)
    writer.values("subscribed_mw", "Subscribed grid power", "MW", "operating IT MW x peak PUE (fixed)",
                  per_site(quantities["subscribed_mw"]), "#,##0.0")
    available = per_site(quantities["gpu_hours_available"])
    contract_share = _scalar(params["revenue.contract_share"], site)
    writer.values("hours_available", "GPU-hours available", "M GPU-hours",
                  "accelerators x hours x operating fraction", available, FORMAT_MILLIONS, total=True)
    writer.values("hours_contract", "GPU-hours under take-or-pay contracts", "M GPU-hours",
                  "available x contract share (billed in full)", available * contract_share, FORMAT_MILLIONS,
                  total=True)
    writer.values("hours_offered", "GPU-hours offered on the merchant market", "M GPU-hours",
                  "available x (1 - contract share)", available * (1.0 - contract_share), FORMAT_MILLIONS,
                  total=True)
    writer.formulas("hours_merchant", "GPU-hours sold on the merchant market", "M GPU-hours",
                    "offered x utilisation", lambda y: f"={at('hours_offered', y)}*{utilisation}",
                    ("merchant_hours",), FORMAT_MILLIONS, total=True)
    writer.formulas("hours_sold", "GPU-hours sold", "M GPU-hours", "contract + merchant",
                    lambda y: f"={at('hours_contract', y)}+{at('hours_merchant', y)}",
                    ("quantity", "gpu_hours_sold"), FORMAT_MILLIONS, total=True)
    writer.values("merchant_revenue_full", "Merchant revenue at 100 % utilisation", "EUR m",
                  "offered GPU-hours x merchant price of their generation (fixed)",
                  per_site(runs.full_utilisation.items["revenue_merchant"]), FORMAT_EUR, total=True)
    writer.values("accelerators", "Accelerators installed (year end)", "accelerator", "",
                  per_site(quantities["accelerators_installed"]), FORMAT_NUMBER)

    writer.section("Accelerators, weighted by the price index of their generation "
                   "(x the accelerator price gives EUR)")
    unit = runs.per_eur_of_chip_price
    writer.values("bought", "Accelerators bought x price index", "accelerator",
                  "price index = (1 + chip price trend)^(purchase year - reference year)",
                  -per_site(unit.items["chips_purchase"]), FORMAT_NUMBER, total=True)
    writer.values("resold", "Accelerators resold x price index x resale share", "accelerator",
                  "the retired generation at each refresh", per_site(unit.items["chips_resale"]), FORMAT_NUMBER,
                  total=True)
    writer.values("residual_equivalent", "Accelerators at the horizon x price index x remaining value",
                  "accelerator", "remaining straight-line value share x terminal value share",
                  per_site(unit.items["chips_residual"]), FORMAT_NUMBER, total=True)
    writer.values("operating_equivalent", "Operating accelerators x price index", "accelerator",
                  "weighted by the operating fraction", per_site(unit.quantities["it_value_operating"]),
                  FORMAT_NUMBER)
    writer.values("first_generation_equivalent", "First-generation accelerators x price index", "accelerator",
                  "the initial build-out", per_site(unit.quantities["initial_capex_chips"]), FORMAT_NUMBER,
                  total=True)
    writer.formulas("it_value", "Purchase value of operating accelerators", "EUR m",
                    "operating accelerators x price index x accelerator price",
                    lambda y: f"={at('operating_equivalent', y)}*{writer.scalar_at('chip_price')}",
                    ("quantity", "it_value_operating"), FORMAT_EUR)
    writer.formulas("initial_chips", "Initial capex, accelerators", "EUR m",
                    "first-generation accelerators x price index x accelerator price",
                    lambda y: f"={at('first_generation_equivalent', y)}*{writer.scalar_at('chip_price')}",
                    ("quantity", "initial_capex_chips"), FORMAT_EUR, total=True)
    initial_other = sum(per_site(quantities[name]) for name in quantities.data_vars
                        if name.startswith("initial_capex_") and name != "initial_capex_chips")
    writer.values("initial_other", "Initial capex, facility", "EUR m",
                  "shell, electrical, contingency, land, grid connection, cooling (fixed)", initial_other,
                  FORMAT_EUR, total=True)
    insured = -per_site(runs.full_utilisation.items["operations_insurance"])
    writer.values("insured_facility", "Insured facility value", "EUR m",
                  "current cost of the operating shell, electrical and cooling plant (fixed)", insured, FORMAT_EUR)

    item_formulas: dict[str, Callable[[int], str]] = {
        "revenue_merchant": lambda y: f"={at('merchant_revenue_full', y)}*{utilisation}",
        "power_contract_energy": lambda y: (f"=-({at('facility_energy', y)}*{p('power.contract_share')}*"
                                            f"({p('power.contract_price')}*(1+{p('power.contract_indexation')})"
                                            f"^{at('t', y)}))"),
        "power_market_energy": lambda y: (f"=-({at('facility_energy', y)}*(1-{p('power.contract_share')})*"
                                          f"({energy_price}*(1+{p('power.market_escalation')})^{at('t', y)}))"),
        "power_grid_energy_tariff": lambda y: (f"=-({at('facility_energy', y)}*{p('power.grid_tariff_energy')}"
                                               f"*{at('inflation', y)})"),
        "power_excise": lambda y: f"=-({at('facility_energy', y)}*{p('power.excise')}*{at('inflation', y)})",
        "power_capacity_mechanism": lambda y: (f"=-({at('facility_energy', y)}*{p('power.capacity_cost')}"
                                               f"*{at('inflation', y)})"),
        "operations_it_support": lambda y: f"=-({at('it_value', y)}*{p('operations.it_support_rate')})",
        "operations_insurance": lambda y: (f"=-(({at('insured_facility', y)}+{at('it_value', y)})"
                                           f"*{p('operations.insurance_rate')})"),
        "chips_purchase": lambda y: f"=-({at('bought', y)}*{writer.scalar_at('chip_price')})",
        "chips_resale": lambda y: f"={at('resold', y)}*{writer.scalar_at('chip_price')}",
        "chips_residual": lambda y: f"={at('residual_equivalent', y)}*{writer.scalar_at('chip_price')}",
    }
    item_hows = {
        "revenue_merchant": "merchant revenue at 100 % x utilisation",
        "power_contract_energy": "facility energy x contract share x contract price x (1 + indexation)^t",
        "power_market_energy": "facility energy x (1 - contract share) x energy price x (1 + escalation)^t",
        "power_grid_energy_tariff": "facility energy x TURPE energy tariff x inflation index",
        "power_excise": "facility energy x excise x inflation index",
        "power_capacity_mechanism": "facility energy x capacity cost x inflation index",
        "operations_it_support": "purchase value of operating accelerators x IT support rate",
        "operations_insurance": "(insured facility value + operating accelerators) x insurance rate",
        "chips_purchase": "accelerators bought x price index x accelerator price",
        "chips_resale": "accelerators resold x price index x resale share x accelerator price",
        "chips_residual": "remaining-value accelerators x accelerator price",
    }
    _write_line_items(writer, result, site, item_formulas, item_hows)

    writer.section("Corporate income tax (the site is taxed standalone)")
    life = int(_scalar(params["chips.tax_life_years"], site))

    def depreciation(y: int) -> str:
        first = writer.letter(max(0, y - life + 1))
        return f"=-SUM({first}{writer.record.rows['chips_purchase']}:{at('chips_purchase', y)})/{life}"

    writer.formulas("depreciation_it", "Tax depreciation, IT equipment", "EUR m",
                    f"straight line over {life} years from the year of purchase (full first year)", depreciation,
                    ("depreciation", "it_equipment"), FORMAT_EUR, total=True)
    other_classes = [name for name in result.finance["asset_class"].values if name != "it_equipment"]
    other_depreciation = per_site(result.finance["depreciation"].sel(asset_class=other_classes).sum("asset_class"))
    writer.values("depreciation_other", "Tax depreciation, facility assets", "EUR m",
                  "building, electrical, cooling, grid connection (fixed)", other_depreciation, FORMAT_EUR, total=True)
    writer.formulas("depreciation", "Tax depreciation", "EUR m", "IT equipment + facility assets",
                    lambda y: f"={at('depreciation_it', y)}+{at('depreciation_other', y)}",
                    ("depreciation_total",), FORMAT_EUR, total=True)
    additions_other = sum(per_site(runs.base.additions[name]) for name in runs.base.additions
                          if name != "it_equipment")
    writer.values("additions_other", "Capital additions, facility assets", "EUR m",
                  "building, electrical, land, grid connection, cooling placed in service (fixed)",
                  additions_other, FORMAT_EUR, total=True)
    last = n - 1

    def write_off(y: int) -> str | None:
        if y != last:
            return None
        return (f"=SUM({writer.span('additions_other')})-SUM({writer.span('chips_purchase')})"
                f"-SUM({writer.span('depreciation')})")

    writer.formulas("write_off", "Remaining tax book value written off", "EUR m",
                    "last year: all additions - all depreciation", write_off, ("finance", "nbv_write_off"),
                    FORMAT_EUR, values=np.zeros(n))
    writer.formulas("taxable_items", "Taxable cash items", "EUR m",
                    "revenue + operating costs + resale of accelerators + residual value",
                    lambda y: (f"={at('subtotal_revenue', y)}+{at('subtotal_opex', y)}+{at('chips_resale', y)}"
                               f"+{at('subtotal_residual', y)}"), ("taxable_items",), FORMAT_EUR, total=True)
    writer.formulas("profit", "Taxable income before loss relief", "EUR m",
                    "taxable cash items - depreciation - write-off",
                    lambda y: f"={at('taxable_items', y)}-{at('depreciation', y)}-{at('write_off', y)}",
                    ("finance", "taxable_income_before_losses"), FORMAT_EUR, total=True)
    fixed, share = context.parameter(case, "tax.loss_offset_fixed"), context.parameter(case, "tax.loss_offset_share")
    tax_rate = context.parameter(case, "tax.corporate_rate")

    def pool_before(y: int) -> str:
        return "0" if y == 0 else at("loss_pool", y - 1)

    def relief(y: int) -> str:
        profit = at("profit", y)
        return (f"=IF({profit}>0,MIN({pool_before(y)},{fixed}+{share}*MAX({profit}-{fixed},0),{profit}),0)")

    # The loss pool row is referenced before it is written: reserve its row number.
    pool_row = writer.row + 3
    writer.record.rows["loss_pool"] = pool_row
    writer.formulas("loss_relief", "Carried-forward losses offset", "EUR m",
                    "if profit > 0: min(losses carried in, EUR 1 M + 50 % of profit above it, profit)", relief,
                    ("finance", "loss_relief"), FORMAT_EUR, total=True)
    writer.formulas("taxable_income", "Taxable income", "EUR m", "max(profit - losses offset, 0)",
                    lambda y: f"=MAX({at('profit', y)}-{at('loss_relief', y)},0)", ("finance", "taxable_income"),
                    FORMAT_EUR, total=True)
    writer.formulas("tax", "Corporate income tax due", "EUR m", "tax rate x taxable income",
                    lambda y: f"={tax_rate}*{at('taxable_income', y)}", ("finance", "tax"), FORMAT_EUR, total=True)
    assert writer.row == pool_row
    writer.formulas("loss_pool", "Losses carried forward (year end)", "EUR m",
                    "carried in - offset + loss of the year",
                    lambda y: f"={pool_before(y)}-{at('loss_relief', y)}+MAX(-{at('profit', y)},0)",
                    ("finance", "loss_pool"), FORMAT_EUR)

    _write_free_cash_flow(writer, rate, lambda y: f"=-{at('tax', y)}")
    sheet.sheet_properties.tabColor = "2F75B5"
    return writer.record


def _escalation_series(result, rate_name: str, site: str) -> np.ndarray:
    from ..timeline import escalation

    values = escalation(result.timeline, result.parameters[rate_name])
    if "site" in values.dims:
        values = values.sel(site=site)
    return np.asarray(values.transpose("year", ...).values, dtype=float)


def _write_line_items(writer: _RowWriter, result, site: str, item_formulas: Mapping[str, Callable[[int], str]],
                      item_hows: Mapping[str, str]) -> None:
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
                writer.formulas(item.name, label, "EUR m", item_hows.get(item.name, ""), item_formulas[item.name],
                                ("item", item.name), FORMAT_EUR, total=True)
            else:
                writer.values(item.name, label, "EUR m", "model value (fixed)",
                              _site_series(result.cube.sel(item=item.name), site), FORMAT_EUR, total=True)
        last_row = writer.row - 1
        writer.formulas(f"subtotal_{category}", f"Total {CATEGORY_LABELS[category].lower()}", "EUR m", "sum",
                        lambda y, a=first, b=last_row: f"=SUM({writer.letter(y)}{a}:{writer.letter(y)}{b})",
                        ("category", category), FORMAT_EUR, total=True, bold=True)
        if category == "opex":
            writer.formulas("ebitda", "EBITDA", "EUR m", "revenue + operating costs",
                            lambda y: f"={at('subtotal_revenue', y)}+{at('subtotal_opex', y)}", ("ebitda",),
                            FORMAT_EUR, total=True, bold=True, fill=HEADER_FILL)
    writer.row += 1
    writer.formulas("pre_tax", "Pre-tax cash flow", "EUR m", "EBITDA + capital expenditure + residual value",
                    lambda y: f"={at('ebitda', y)}+{at('subtotal_capex', y)}+{at('subtotal_residual', y)}",
                    ("pre_tax",), FORMAT_EUR, total=True, bold=True, fill=HEADER_FILL)


def _write_free_cash_flow(writer: _RowWriter, rate: str, tax_formula: Callable[[int], str]) -> None:
    at = writer.at
    n = len(writer.years)
    writer.section("Free cash flow and discounting")
    writer.formulas("corporate_tax", "Corporate income tax", "EUR m", "outflow", tax_formula,
                    ("item", "corporate_tax"), FORMAT_EUR, total=True)
    writer.formulas("fcf", "Free cash flow", "EUR m", "pre-tax cash flow + corporate income tax",
                    lambda y: f"={at('pre_tax', y)}+{at('corporate_tax', y)}", ("fcf",), FORMAT_EUR, total=True,
                    bold=True, fill=HEADER_FILL)
    writer.formulas("discounted_fcf", "Discounted free cash flow", "EUR m", "free cash flow x discount factor",
                    lambda y: f"={at('fcf', y)}*{at('discount_factor', y)}", ("discounted_fcf",), FORMAT_EUR,
                    total=True)
    writer.formulas("cumulative_fcf", "Cumulative free cash flow", "EUR m", "",
                    lambda y: f"={at('fcf', y)}" if y == 0 else f"={at('cumulative_fcf', y - 1)}+{at('fcf', y)}",
                    ("cumulative_fcf",), FORMAT_EUR)
    writer.formulas("cumulative_dcf", "Cumulative discounted free cash flow", "EUR m", "its last value is the NPV",
                    lambda y: (f"={at('discounted_fcf', y)}" if y == 0
                               else f"={at('cumulative_dcf', y - 1)}+{at('discounted_fcf', y)}"),
                    ("cumulative_dcf",), FORMAT_EUR, bold=True)
    flag_row = writer.row

    def flag(y: int) -> str:
        if y == n - 1:
            return f"=IF({at('cumulative_fcf', y)}>=0,1,0)"
        return f"=IF(AND({at('cumulative_fcf', y)}>=0,{writer.letter(y + 1)}{flag_row}=1),1,0)"

    writer.formulas("payback_flag", "Cumulative free cash flow stays >= 0 from this year", "1 = yes",
                    "the payback year is the first year with 1", flag, ("payback_flag",), "0")


def _write_portfolio_sheet(context: _Context, sheet, case: int) -> _CashFlowSheet:
    result = context.results[case]
    years = result.cube["year"].values
    sites = [context.case_sheets[case][site] for site in result.case.site_names]
    writer = _RowWriter(context, sheet, case, PORTFOLIO, years)
    _sheet_header(context, writer, f"{result.case.title}: portfolio",
                  f"Case {result.case.name}: the sum of its sites ({', '.join(result.case.site_names)}), each "
                  "taxed standalone. EUR stored in full, shown in EUR millions; first model year t = 0.")
    rate = context.driver(case, "discount_rate")
    at = writer.at

    def total_of(key: str) -> Callable[[int], str]:
        return lambda y: "=" + "+".join(site.ref(key, y) for site in sites)

    writer.section("Timeline and discounting")
    writer.values("t", "Model year t", "yr", "years since the first model year", result.timeline["t"].values, "0")
    writer.formulas("discount_factor", "Discount factor", "1", "1 / (1 + discount rate)^t",
                    lambda y: f"=1/(1+{rate})^{at('t', y)}", ("discount_factor",), FORMAT_FACTOR)
    writer.section("Energy and compute (sum of the sites)")
    for key, label, unit, check, number_format in (
            ("it_energy", "IT energy", "MWh", ("quantity", "it_energy_mwh"), FORMAT_NUMBER),
            ("facility_energy", "Facility energy at the meter", "MWh", ("quantity", "facility_energy_mwh"),
             FORMAT_NUMBER),
            ("water", "Cooling water", "m3", ("quantity", "water_m3"), FORMAT_NUMBER),
            ("hours_sold", "GPU-hours sold", "M GPU-hours", ("quantity", "gpu_hours_sold"), FORMAT_MILLIONS),
            ("initial_chips", "Initial capex, accelerators", "EUR m", ("quantity", "initial_capex_chips"),
             FORMAT_EUR)):
        writer.formulas(key, label, unit, "sum of the sites", total_of(key), check, number_format, total=True)
    writer.values("initial_other", "Initial capex, facility", "EUR m", "sum of the sites (fixed)",
                  sum(_site_series(q, site.site) for site in sites
                      for name, q in result.quantities.data_vars.items()
                      if name.startswith("initial_capex_") and name != "initial_capex_chips"),
                  FORMAT_EUR, total=True)
    items = {item.name: total_of(item.name) for item in LINE_ITEMS if item.category != "tax"}
    _write_line_items(writer, result, PORTFOLIO, items, {name: "sum of the sites" for name in items})
    _write_free_cash_flow(writer, rate, total_of("corporate_tax"))
    sheet.sheet_properties.tabColor = "548235"
    return writer.record


# --------------------------------------------------------------------------- break-even sheet

BREAKEVEN_ROWS = (
    ("profit", "Taxable income before losses at the trial factor", "profit + (m - 1) x revenue"),
    ("relief", "Losses offset", "as on the cash-flow sheet"),
    ("pool", "Losses carried forward", "carried in - offset + loss of the year"),
    ("tax", "Tax", "tax rate x max(profit - offset, 0)"),
    ("relief_slope", "d(losses offset)/dm", "the bound of the offset that binds"),
    ("pool_slope", "d(losses carried forward)/dm", ""),
    ("tax_slope", "d(tax)/dm", "tax rate x (d profit/dm - d offset/dm) where profit > 0"),
)


def _write_breakeven(context: _Context, sheet) -> None:
    """Newton's method on the price factor m that makes the after-tax NPV zero.

    NPV(m) = PV(pre-tax cash flow) + (m - 1) PV(revenue) - PV(tax at profit + (m - 1) revenue);
    each iteration recomputes the tax schedule and its derivative at the trial factor, exactly
    as :func:`tecmodel.tax_kernels.breakeven_factors` does; it starts from the pre-tax break-even.
    """
    put_text(sheet, "A1", "Break-even GPU-hour price", bold=True, size=14)
    put_text(sheet, "A2", "The factor m on every GPU-hour price that makes the after-tax NPV zero, by Newton's "
                          "method from the pre-tax break-even: m(k+1) = m(k) - NPV(m(k)) / NPV'(m(k)). The tax "
                          "(with loss carry-forward) is recomputed at each trial factor; the portfolio shares one "
                          "factor across its sites, each taxed standalone. Break-even price = m x realised price.",
             italic=True)
    sheet.column_dimensions["A"].width = 52
    sheet.column_dimensions["B"].width = 14
    sheet.column_dimensions["C"].width = 48
    sheet.column_dimensions["D"].width = 16
    row = 4
    for case, result in enumerate(context.results):
        years = result.cube["year"].values
        for index, year in enumerate(years):
            sheet.column_dimensions[column(FIRST_YEAR_COLUMN + index)].width = 12
        owners = list(result.case.site_names) + [PORTFOLIO]
        for owner in owners:
            members = list(result.case.site_names) if owner == PORTFOLIO else [owner]
            row = _write_breakeven_block(context, sheet, case, owner, members, years, row) + 2
    sheet.freeze_panes = f"{column(FIRST_YEAR_COLUMN)}4"


def _write_breakeven_block(context: _Context, sheet, case: int, owner: str, members: list[str], years, row: int) -> int:
    result = context.results[case]
    n = len(years)
    rate_cell = context.parameter(case, "tax.corporate_rate")
    fixed = context.parameter(case, "tax.loss_offset_fixed")
    share = context.parameter(case, "tax.loss_offset_share")
    site_sheets = context.case_sheets[case]

    def check(*key) -> CellCheck:
        return CellCheck(case, owner, ("breakeven",) + key)

    put_text(sheet, f"A{row}", f"{result.case.name}: {owner}", bold=True, fill=HEADER_FILL, size=12)
    for index, year in enumerate(years):
        put_value(sheet, f"{column(FIRST_YEAR_COLUMN + index)}{row}", int(year), "0", bold=True, fill=HEADER_FILL)
    row += 1
    pv_pre_tax, pv_revenue = {}, {}
    for member in members:
        member_sheet = site_sheets[member]
        put_text(sheet, f"A{row}", f"PV of pre-tax cash flow, {member}")
        put_text(sheet, f"B{row}", "EUR m")
        context.formula(sheet, f"D{row}", f"=SUMPRODUCT({member_sheet.span('pre_tax')},{member_sheet.span('discount_factor')})",
                        check("pv_pre_tax", member), FORMAT_EUR)
        pv_pre_tax[member] = f"$D${row}"
        row += 1
        put_text(sheet, f"A{row}", f"PV of revenue, {member}")
        put_text(sheet, f"B{row}", "EUR m")
        context.formula(sheet, f"D{row}", f"=SUMPRODUCT({member_sheet.span('subtotal_revenue')},{member_sheet.span('discount_factor')})",
                        check("pv_revenue", member), FORMAT_EUR)
        pv_revenue[member] = f"$D${row}"
        row += 1
    total_pre_tax = "+".join(pv_pre_tax.values())
    total_revenue = "+".join(pv_revenue.values())
    put_text(sheet, f"A{row}", "Pre-tax break-even factor (start)")
    put_text(sheet, f"B{row}", "1")
    put_text(sheet, f"C{row}", "max(1 - PV pre-tax / PV revenue, 0)", italic=True)
    context.formula(sheet, f"D{row}", f"=IF(({total_revenue})>0,MAX(1-({total_pre_tax})/({total_revenue}),0),0)",
                    check("factor", 0), FORMAT_FACTOR)
    factor_cells = [f"$D${row}"]
    row += 1
    npv_cells, slope_cells = [], []
    for iteration in range(BREAKEVEN_ITERATIONS + 1):
        m = factor_cells[iteration]
        put_text(sheet, f"A{row}", f"Iteration {iteration}: trial factor m = {'start' if iteration == 0 else 'previous - NPV / slope'}",
                 bold=True, fill=SECTION_FILL)
        row += 1
        tax_rows, slope_rows = {}, {}
        for member in members:
            member_sheet = site_sheets[member]
            rows = {key: row + offset for offset, (key, _label, _how) in enumerate(BREAKEVEN_ROWS)}
            for key, label, how in BREAKEVEN_ROWS:
                put_text(sheet, f"A{rows[key]}", f"{label}" + (f" ({member})" if len(members) > 1 else ""))
                put_text(sheet, f"B{rows[key]}", "EUR m")
                put_text(sheet, f"C{rows[key]}", how, italic=True, color="595959")
            for y in range(n):
                letter = column(FIRST_YEAR_COLUMN + y)
                previous = column(FIRST_YEAR_COLUMN + y - 1)
                profit = f"{letter}{rows['profit']}"
                revenue = member_sheet.ref("subtotal_revenue", y)
                pool_in = "0" if y == 0 else f"{previous}{rows['pool']}"
                pool_slope_in = "0" if y == 0 else f"{previous}{rows['pool_slope']}"
                cap = f"({fixed}+{share}*MAX({profit}-{fixed},0))"
                relief = f"{letter}{rows['relief']}"
                relief_slope = f"{letter}{rows['relief_slope']}"
                formulas = {
                    "profit": f"={member_sheet.ref('profit', y)}+({m}-1)*{revenue}",
                    "relief": f"=IF({profit}>0,MIN({pool_in},{cap},{profit}),0)",
                    "pool": f"={pool_in}-{relief}+MAX(-{profit},0)",
                    "tax": f"={rate_cell}*MAX({profit}-{relief},0)",
                    "relief_slope": (f"=IF({profit}>0,IF({pool_in}<=MIN({cap},{profit}),{pool_slope_in},"
                                     f"IF({cap}<{profit},IF({profit}>{fixed},{share}*{revenue},0),{revenue})),0)"),
                    "pool_slope": f"={pool_slope_in}-{relief_slope}-IF({profit}>0,0,{revenue})",
                    "tax_slope": f"={rate_cell}*IF({profit}>0,{revenue}-{relief_slope},0)",
                }
                for key, formula in formulas.items():
                    context.formula(sheet, f"{letter}{rows[key]}", formula,
                                    CellCheck(case, owner, ("breakeven", "row", member, key, iteration), y), FORMAT_EUR)
            first, last = column(FIRST_YEAR_COLUMN), column(FIRST_YEAR_COLUMN + n - 1)
            discount = member_sheet.span("discount_factor")
            tax_rows[member] = f"SUMPRODUCT({first}{rows['tax']}:{last}{rows['tax']},{discount})"
            slope_rows[member] = f"SUMPRODUCT({first}{rows['tax_slope']}:{last}{rows['tax_slope']},{discount})"
            row += len(BREAKEVEN_ROWS)
        put_text(sheet, f"A{row}", "After-tax NPV at the trial factor")
        put_text(sheet, f"B{row}", "EUR m")
        put_text(sheet, f"C{row}", "PV pre-tax + (m - 1) x PV revenue - PV tax", italic=True)
        npv = "+".join(f"({pv_pre_tax[s]}+({m}-1)*{pv_revenue[s]}-{tax_rows[s]})" for s in members)
        context.formula(sheet, f"D{row}", f"={npv}", check("npv", iteration), FORMAT_EUR)
        npv_cells.append(f"$D${row}")
        row += 1
        put_text(sheet, f"A{row}", "dNPV/dm at the trial factor")
        put_text(sheet, f"B{row}", "EUR m")
        put_text(sheet, f"C{row}", "PV revenue - PV d(tax)/dm", italic=True)
        slope = "+".join(f"({pv_revenue[s]}-{slope_rows[s]})" for s in members)
        context.formula(sheet, f"D{row}", f"={slope}", check("slope", iteration), FORMAT_EUR)
        slope_cells.append(f"$D${row}")
        row += 1
        if iteration < BREAKEVEN_ITERATIONS:
            put_text(sheet, f"A{row}", f"Factor after iteration {iteration + 1}")
            put_text(sheet, f"B{row}", "1")
            put_text(sheet, f"C{row}", "m - NPV / slope (the start if NPV there is already >= 0)", italic=True)
            context.formula(sheet, f"D{row}",
                            f"=IF({npv_cells[0]}>=0,{factor_cells[0]},{m}-{npv_cells[-1]}/{slope_cells[-1]})",
                            check("factor", iteration + 1), FORMAT_FACTOR)
            factor_cells.append(f"$D${row}")
            row += 1
    put_text(sheet, f"A{row}", "Break-even price factor", bold=True)
    put_text(sheet, f"B{row}", "1")
    context.formula(sheet, f"D{row}", f"=IF(({total_revenue})>0,{factor_cells[-1]},\"none\")",
                    CellCheck(case, owner, ("metric", "breakeven_price_factor")), FORMAT_FACTOR, bold=True)
    context.breakeven_cells[(case, owner)] = f"{_quoted(sheet.title)}!$D${row}"
    row += 1
    put_text(sheet, f"A{row}", "Converged: |NPV| at the factor below 1e-9 of PV revenue")
    context.formula(sheet, f"D{row}",
                    f"=IF(ABS({npv_cells[-1]})<=1E-9*ABS({total_revenue}),\"yes\",\"no\")",
                    check("converged"), None)
    return row


def _breakeven_values(result, owner: str) -> dict[tuple, Any]:
    """The Break-even sheet's iterations computed with the model's own tax step functions."""
    from ..tax_kernels import _tax_step, _tax_step_slope

    cube, finance, params = result.cube, result.finance, result.parameters
    factors = _series(result, result.case.site_names[0], ("discount_factor",))
    members = list(result.case.site_names) if owner == PORTFOLIO else [owner]
    rate = float(params["tax.corporate_rate"])
    fixed = float(params["tax.loss_offset_fixed"])
    share = float(params["tax.loss_offset_share"])
    profit = {s: _site_series(finance["taxable_income_before_losses"], s) for s in members}
    revenue = {s: _site_series(item_total(cube, category="revenue"), s) for s in members}
    pre_tax = {s: _site_series(item_total(cube, exclude=("tax",)), s) for s in members}
    values: dict[tuple, Any] = {}
    for s in members:
        values[("pv_pre_tax", s)] = float(np.sum(pre_tax[s] * factors))
        values[("pv_revenue", s)] = float(np.sum(revenue[s] * factors))
    total_pre_tax = sum(values[("pv_pre_tax", s)] for s in members)
    total_revenue = sum(values[("pv_revenue", s)] for s in members)
    m = max(1.0 - total_pre_tax / total_revenue, 0.0) if total_revenue > 0 else 0.0
    values[("factor", 0)] = m
    first_npv = None
    for iteration in range(BREAKEVEN_ITERATIONS + 1):
        npv, slope = 0.0, 0.0
        for s in members:
            rows = {key: np.zeros(len(factors)) for key, _l, _h in BREAKEVEN_ROWS}
            pool, pool_slope = 0.0, 0.0
            for y in range(len(factors)):
                current = profit[s][y] + (m - 1.0) * revenue[s][y]
                relief, _taxable, tax, pool_out, limit, cap = _tax_step(current, pool, rate, fixed, share)
                taxable_slope, pool_slope_out = _tax_step_slope(current, revenue[s][y], pool, pool_slope, limit,
                                                                cap, fixed, share)
                rows["profit"][y] = current
                rows["relief"][y] = relief
                rows["pool"][y] = pool_out
                rows["tax"][y] = tax
                rows["relief_slope"][y] = pool_slope - pool_slope_out if current > 0 else 0.0
                rows["pool_slope"][y] = pool_slope_out
                rows["tax_slope"][y] = rate * taxable_slope
                pool, pool_slope = pool_out, pool_slope_out
            for key, array in rows.items():
                values[("row", s, key, iteration)] = array
            npv += values[("pv_pre_tax", s)] + (m - 1.0) * values[("pv_revenue", s)] - float(np.sum(rows["tax"] * factors))
            slope += values[("pv_revenue", s)] - float(np.sum(rows["tax_slope"] * factors))
        values[("npv", iteration)] = npv
        values[("slope", iteration)] = slope
        if first_npv is None:
            first_npv = npv
        if iteration < BREAKEVEN_ITERATIONS:
            m = values[("factor", 0)] if first_npv >= 0 else m - npv / slope
            values[("factor", iteration + 1)] = m
    values[("converged",)] = "yes" if abs(values[("npv", BREAKEVEN_ITERATIONS)]) <= 1e-9 * abs(total_revenue) else "no"
    return values


# --------------------------------------------------------------------------- metrics sheet

#: Metrics with a workbook formula: name -> (label, number format).
FORMULA_METRICS: dict[str, tuple[str, str]] = {
    "npv": ("Net present value", FORMAT_EUR),
    "irr": ("Internal rate of return", FORMAT_PERCENT),
    "payback_year": ("Payback year", "0"),
    "lcoc": ("Levelised cost of compute (pre-tax)", FORMAT_PRICE),
    "realised_gpu_hour_price": ("Realised GPU-hour price", FORMAT_PRICE),
    "breakeven_price_factor": ("Break-even price factor", FORMAT_FACTOR),
    "breakeven_gpu_hour_price": ("Break-even GPU-hour price (after tax)", FORMAT_PRICE),
    "initial_capex": ("Initial capex", FORMAT_EUR),
    "capex_total": ("Gross capex over the horizon", FORMAT_EUR),
    "capex_per_mw_it": ("Initial capex per MW IT", FORMAT_EUR),
    "energy_mwh_per_year": ("Facility energy per year at full build-out", FORMAT_NUMBER),
    "water_m3_per_year": ("Cooling water per year at full build-out", FORMAT_NUMBER),
    "gpu_hours_sold": ("GPU-hours sold over the horizon", FORMAT_MILLIONS),
}
#: Metrics that no live input changes: the model's values.
VALUE_METRICS: dict[str, tuple[str, str]] = {
    "it_mw": ("IT capacity at full build-out", "#,##0.0"),
    "facility_mw_peak": ("Peak subscribed grid power", "#,##0.0"),
    "accelerators": ("Accelerators at full build-out", FORMAT_NUMBER),
}
METRIC_UNITS = {"npv": "EUR m", "initial_capex": "EUR m", "capex_total": "EUR m", "capex_per_mw_it": "EUR m/MW",
                "gpu_hours_sold": "M GPU-hours", "irr": "%/yr", "lcoc": "EUR/GPU-hour",
                "realised_gpu_hour_price": "EUR/GPU-hour", "breakeven_gpu_hour_price": "EUR/GPU-hour",
                "breakeven_price_factor": "1", "payback_year": "year", "energy_mwh_per_year": "MWh/yr",
                "water_m3_per_year": "m3/yr", "it_mw": "MW", "facility_mw_peak": "MW",
                "accelerators": "accelerator"}


def _metric_formula(context: _Context, case: int, owner: str, name: str, cells: dict[str, str]) -> str:
    """Excel formula of a metric over the cash-flow rows of `owner` (a site or the portfolio)."""
    sheet = context.case_sheets[case][owner]
    result = context.results[case]
    rate = context.driver(case, "discount_rate")
    n = sheet.n_years
    fcf_first = sheet.ref("fcf", 0)
    fcf_rest = f"{_quoted(sheet.title)}!{column(FIRST_YEAR_COLUMN + 1)}{sheet.rows['fcf']}:" \
               f"{column(FIRST_YEAR_COLUMN + n - 1)}{sheet.rows['fcf']}"
    discount = sheet.span("discount_factor")
    hours_pv = f"SUMPRODUCT({sheet.span('hours_sold')},{discount})"
    sites = [context.case_sheets[case][s] for s in result.case.site_names]
    if name == "npv":
        return f"={fcf_first}+NPV({rate},{fcf_rest})"
    if name == "irr":
        return f"=IFERROR(IRR({sheet.span('fcf')},0.1),\"undefined\")"
    if name == "payback_year":
        return f"=IFERROR(INDEX({sheet.span('year')},MATCH(1,{sheet.span('payback_flag')},0)),\"none\")"
    if name == "lcoc":
        costs = "+".join(f"SUMPRODUCT({sheet.span(f'subtotal_{c}')},{discount})" for c in ("opex", "capex", "residual"))
        return f"=-({costs})/{hours_pv}"
    if name == "realised_gpu_hour_price":
        return f"=SUMPRODUCT({sheet.span('subtotal_revenue')},{discount})/{hours_pv}"
    if name == "breakeven_price_factor":
        return f"={context.breakeven_cells[(case, owner)]}"
    if name == "breakeven_gpu_hour_price":
        return f"=IFERROR({cells['breakeven_price_factor']}*{cells['realised_gpu_hour_price']},\"none\")"
    if name == "initial_capex":
        return f"=SUM({sheet.span('initial_other')})+SUM({sheet.span('initial_chips')})"
    if name == "capex_total":
        if owner == PORTFOLIO:
            return "=" + "+".join(context.metric_cells[(case, s.site, "capex_total")] for s in sites)
        capex_items = [item.name for item in LINE_ITEMS if item.category == "capex"]
        return "=-(" + "+".join(f"SUMIF({sheet.span(item)},\"<0\")" for item in capex_items) + ")"
    if name == "capex_per_mw_it":
        return f"=IF({cells['it_mw']}>0,{cells['initial_capex']}/{cells['it_mw']},\"n/a\")"
    if name == "energy_mwh_per_year":
        return f"=MAX({sheet.span('facility_energy')})"
    if name == "water_m3_per_year":
        return f"=MAX({sheet.span('water')})"
    if name == "gpu_hours_sold":
        return f"=SUM({sheet.span('hours_sold')})"
    raise KeyError(name)


def _write_metrics(context: _Context, sheet) -> None:
    put_text(sheet, "A1", "Metrics", bold=True, size=14)
    put_text(sheet, "A2", "Workbook formulas over the cash-flow sheets beside the Python model's values at the inputs "
                          "the workbook was written with; the difference column is 0 (to rounding) until an input "
                          "cell is changed. NPV = FCF(first year) + NPV(rate, FCF(second year ... last year)): "
                          "Excel's NPV() discounts its first value by one period, the model's first year is t = 0.",
             italic=True)
    headers = ("Case", "Site", "Metric", "Unit", "Workbook", "Python model", "Relative difference", "Note")
    for index, title in enumerate(headers):
        put_text(sheet, f"{column(index + 1)}4", title, bold=True, fill=HEADER_FILL)
    row = 5
    for case, result in enumerate(context.results):
        for owner in list(result.case.site_names) + [PORTFOLIO]:
            cells: dict[str, str] = {}
            for name, (label, number_format) in VALUE_METRICS.items():
                cells[name] = f"$F${row}"
                _metric_row(context, sheet, row, case, owner, name, label, number_format, formula=None)
                row += 1
            for name, (label, number_format) in FORMULA_METRICS.items():
                cells[name] = f"$E${row}"
                context.metric_cells[(case, owner, name)] = f"{_quoted(sheet.title)}!$E${row}"
                formula = _metric_formula(context, case, owner, name, cells)
                _metric_row(context, sheet, row, case, owner, name, label, number_format, formula=formula)
                row += 1
            row += 1
    for letter, width in {"A": 14, "B": 18, "C": 42, "D": 14, "E": 16, "F": 16, "G": 18, "H": 60}.items():
        sheet.column_dimensions[letter].width = width
    sheet.freeze_panes = "E5"


def _metric_row(context: _Context, sheet, row: int, case: int, owner: str, name: str, label: str,
                number_format: str, formula: str | None) -> None:
    result = context.results[case]
    put_text(sheet, f"A{row}", result.case.name)
    put_text(sheet, f"B{row}", owner)
    put_text(sheet, f"C{row}", label)
    put_text(sheet, f"D{row}", METRIC_UNITS.get(name, result.metrics[name].attrs.get("units", "")))
    value = _metric_value(result, owner, name)
    if isinstance(value, str):
        put_text(sheet, f"F{row}", value)
    else:
        put_value(sheet, f"F{row}", value, number_format)
    if formula is None:
        put_text(sheet, f"H{row}", "not changed by any live input: the model's value")
        if not isinstance(value, str):
            put_value(sheet, f"E{row}", value, number_format)
        return
    context.formula(sheet, f"E{row}", formula, CellCheck(case, owner, ("metric", name)), number_format, bold=True)
    context.formula(sheet, f"G{row}", f"=IFERROR(ABS(E{row}-F{row})/ABS(F{row}),IF(E{row}=F{row},0,1))",
                    CellCheck(case, owner, ("metric_difference", name)), "0.0E+00")
    notes = {"irr": "unique root required by the model; Excel's IRR() returns the root it finds",
             "payback_year": "first year from which the cumulative free cash flow stays >= 0",
             "breakeven_price_factor": "from the Break-even sheet",
             "lcoc": "PV of opex, capex net of residual value / PV of GPU-hours sold"}
    if name == "irr":
        status = int(result.metrics["irr_status"].sel(site=owner))
        if status:
            notes["irr"] = f"model status {status}: IRR undefined"
    if name in notes:
        put_text(sheet, f"H{row}", notes[name])


# --------------------------------------------------------------------------- scenarios sheet

SCENARIO_METRICS = ("initial_capex", "capex_total", "it_mw", "accelerators", "npv", "irr", "payback_year", "lcoc",
                    "breakeven_gpu_hour_price", "realised_gpu_hour_price", "energy_mwh_per_year", "gpu_hours_sold")


def _write_scenarios(context: _Context, sheet, monte_carlo: list) -> None:
    results = context.results
    put_text(sheet, "A1", "Scenarios", bold=True, size=14)
    put_text(sheet, "A2", "The cases side by side (portfolio of each case); figures are live links to the Metrics sheet.",
             italic=True)
    put_text(sheet, "A4", "Metric", bold=True, fill=HEADER_FILL)
    put_text(sheet, "B4", "Unit", bold=True, fill=HEADER_FILL)
    for case, result in enumerate(results):
        put_text(sheet, f"{column(3 + case)}4", result.case.name, bold=True, fill=HEADER_FILL)
        put_text(sheet, f"{column(3 + case)}3", result.case.title, italic=True, wrap=True)
    compare = len(results) == 2
    if compare:
        put_text(sheet, "E4", f"{results[1].case.name} - {results[0].case.name}", bold=True, fill=HEADER_FILL)
    row = 5
    all_metrics = {**FORMULA_METRICS, **VALUE_METRICS}
    for name in SCENARIO_METRICS:
        label, number_format = all_metrics[name]
        put_text(sheet, f"A{row}", label)
        put_text(sheet, f"B{row}", METRIC_UNITS.get(name, ""))
        for case, result in enumerate(results):
            coordinate = f"{column(3 + case)}{row}"
            if name in FORMULA_METRICS:
                context.formula(sheet, coordinate, f"={context.metric_cells[(case, PORTFOLIO, name)]}",
                                CellCheck(case, PORTFOLIO, ("metric", name)), number_format)
            else:
                put_value(sheet, coordinate, float(result.metrics[name].sel(site=PORTFOLIO)), number_format)
        if compare:
            if name in FORMULA_METRICS and name != "payback_year":
                context.formula(sheet, f"E{row}", f"=IFERROR(D{row}-C{row},\"n/a\")",
                                CellCheck(1, PORTFOLIO, ("scenario_difference", name, 0, 1)), number_format)
            elif name not in FORMULA_METRICS:
                difference = float(results[1].metrics[name].sel(site=PORTFOLIO) - results[0].metrics[name].sel(site=PORTFOLIO))
                put_value(sheet, f"E{row}", difference, number_format)
        row += 1
    row += 1
    put_text(sheet, f"A{row}", "Sites", bold=True, fill=SECTION_FILL)
    for case, result in enumerate(results):
        put_text(sheet, f"{column(3 + case)}{row}", ", ".join(result.case.site_names), wrap=True)
    row += 1
    put_text(sheet, f"A{row}", "What the stated budget buys", bold=True, fill=SECTION_FILL)
    for case, result in enumerate(results):
        notes = result.budget.attrs.get("notes", [])
        put_text(sheet, f"{column(3 + case)}{row}", " ".join(notes) if isinstance(notes, list) else str(notes),
                 wrap=True)
    sheet.row_dimensions[row].height = 120
    row += 2
    if monte_carlo:
        put_text(sheet, f"A{row}", "Risk (Monte Carlo, portfolio NPV)", bold=True, fill=SECTION_FILL)
        row += 1
        by_case = {getattr(mc.summary, "attrs", {}).get("case"): mc for mc in monte_carlo}
        for statistic, label in (("p10", "P10"), ("p50", "P50"), ("p90", "P90"), ("mean", "Mean"),
                                 ("prob_negative", "Probability of a loss (NPV < 0)")):
            put_text(sheet, f"A{row}", f"NPV {label}" if statistic != "prob_negative" else label)
            put_text(sheet, f"B{row}", "1" if statistic == "prob_negative" else "EUR m")
            for case, result in enumerate(results):
                mc = by_case.get(result.case.name)
                if mc is None:
                    continue
                value = _summary_value(mc.summary, statistic, "npv", PORTFOLIO)
                put_value(sheet, f"{column(3 + case)}{row}", value,
                          "0.0%" if statistic == "prob_negative" else FORMAT_EUR)
            row += 1
    for letter, width in {"A": 44, "B": 14, "C": 24, "D": 24, "E": 24}.items():
        sheet.column_dimensions[letter].width = width
    sheet.row_dimensions[3].height = 45
    sheet.freeze_panes = "C5"


def _summary_value(summary: xr.Dataset, statistic: str, metric: str, site: str) -> float | None:
    try:
        return float(summary["value"].sel(statistic=statistic, metric=metric, site=site))
    except (KeyError, ValueError):
        return None


# --------------------------------------------------------------------------- sensitivity sheet


def _write_sensitivity(context: _Context, sheet, sobol: list, tornado: list) -> None:
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.data_source import NumDataSource, NumRef
    from openpyxl.chart.error_bar import ErrorBars

    put_text(sheet, "A1", "Sensitivity", bold=True, size=14)
    row = 3
    if not sobol and not tornado:
        put_text(sheet, "A3", "No sensitivity analysis in this report. Run tecmodel.sobol(case, ...) and "
                              "tecmodel.tornado(case, ...) and pass the results to tecmodel.export_excel(..., "
                              "sensitivity=..., tornado=...).", italic=True)
    for dataset in sobol:
        attrs = dataset.attrs
        put_text(sheet, f"A{row}", f"Sobol indices: case {attrs.get('case', '')}", bold=True, size=12)
        put_text(sheet, f"A{row + 1}", f"sampler {attrs.get('sampler', '')}, base sample n = {attrs.get('n', '')}, "
                                      f"seed {attrs.get('seed', '')}, {attrs.get('evaluations', '')} model evaluations; "
                                      "first-order S1 and total ST indices with 95 % confidence half-widths.",
                 italic=True)
        row += 3
        chart_metric = "npv" if "npv" in dataset["metric"].values else str(dataset["metric"].values[0])
        chart_site = PORTFOLIO if PORTFOLIO in dataset["site"].values else str(dataset["site"].values[-1])
        put_text(sheet, f"A{row}", f"Chart data: {chart_metric}, {chart_site}", bold=True)
        row += 1
        header = row
        for index, title in enumerate(("Factor", "S1", "ST", "S1 conf", "ST conf")):
            put_text(sheet, f"{column(index + 1)}{row}", title, bold=True, fill=HEADER_FILL)
        row += 1
        factors = [str(f) for f in dataset["factor"].values]
        for factor in factors:
            put_text(sheet, f"A{row}", factor)
            for index, name in enumerate(("S1", "ST", "S1_conf", "ST_conf")):
                put_value(sheet, f"{column(2 + index)}{row}",
                          float(dataset[name].sel(factor=factor, metric=chart_metric, site=chart_site)), "0.000")
            row += 1
        chart = BarChart()
        chart.type = "col"
        chart.grouping = "clustered"
        chart.title = f"Sobol indices of {chart_metric} ({chart_site})"
        chart.y_axis.title = "Sobol index [1]"
        chart.x_axis.title = "Factor"
        data = Reference(sheet, min_col=2, max_col=3, min_row=header, max_row=row - 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=row - 1))
        for series, conf_col in zip(chart.series, ("D", "E")):
            reference = f"{_quoted(sheet.title)}!${conf_col}${header + 1}:${conf_col}${row - 1}"
            source = NumDataSource(numRef=NumRef(f=reference))
            series.errBars = ErrorBars(errDir="y", errBarType="both", errValType="cust", plus=source, minus=source)
        chart.y_axis.scaling.min = 0
        chart.height, chart.width = 8, 16
        sheet.add_chart(chart, f"H{header}")
        row = max(row, header + 17) + 1
        put_text(sheet, f"A{row}", "All indices", bold=True)
        row += 1
        for index, title in enumerate(("Factor", "Metric", "Site", "S1", "S1 conf", "ST", "ST conf")):
            put_text(sheet, f"{column(index + 1)}{row}", title, bold=True, fill=HEADER_FILL)
        row += 1
        for metric in dataset["metric"].values:
            for site in dataset["site"].values:
                for factor in factors:
                    put_text(sheet, f"A{row}", factor)
                    put_text(sheet, f"B{row}", str(metric))
                    put_text(sheet, f"C{row}", str(site))
                    for index, name in enumerate(("S1", "S1_conf", "ST", "ST_conf")):
                        put_value(sheet, f"{column(4 + index)}{row}",
                                  float(dataset[name].sel(factor=factor, metric=metric, site=site)), "0.000")
                    row += 1
        if "S2" in dataset:
            row += 1
            put_text(sheet, f"A{row}", f"Second-order indices S2 ({chart_metric}, {chart_site})", bold=True)
            row += 1
            for index, factor in enumerate(factors):
                put_text(sheet, f"{column(2 + index)}{row}", factor, bold=True, fill=HEADER_FILL)
            row += 1
            for factor in factors:
                put_text(sheet, f"A{row}", factor, bold=True)
                for index, other in enumerate(factors):
                    value = float(dataset["S2"].sel(factor=factor, factor_2=other, metric=chart_metric, site=chart_site))
                    put_value(sheet, f"{column(2 + index)}{row}", value, "0.000")
                row += 1
        row += 2
    for dataset in tornado:
        row = _write_tornado(context, sheet, dataset, row) + 2
    for letter, width in {"A": 34, "B": 14, "C": 14, "D": 14, "E": 14, "F": 14, "G": 14}.items():
        sheet.column_dimensions[letter].width = width


def _write_tornado(context: _Context, sheet, dataset: xr.Dataset, row: int) -> int:
    from openpyxl.chart import BarChart, Reference

    attrs = dataset.attrs
    metric = "npv" if "npv" in dataset["metric"].values else str(dataset["metric"].values[0])
    site = PORTFOLIO if PORTFOLIO in dataset["site"].values else str(dataset["site"].values[-1])
    put_text(sheet, f"A{row}", f"Tornado: case {attrs.get('case', '')}, {metric} of {site}", bold=True, size=12)
    put_text(sheet, f"A{row + 1}", "Each factor at its low and high value, all others at base; sorted by swing.",
             italic=True)
    row += 3
    header = row
    titles = ("Factor", "Input low", "Input base", "Input high", "Input unit", f"{metric} at low", f"{metric} at high",
              "Low - base", "High - base", "Swing")
    for index, title in enumerate(titles):
        put_text(sheet, f"{column(index + 1)}{row}", title, bold=True, fill=HEADER_FILL)
    row += 1
    base = float(dataset["base"].sel(metric=metric, site=site))
    factors = [str(f) for f in dataset["factor"].values]
    low = {f: float(dataset["low"].sel(factor=f, metric=metric, site=site)) for f in factors}
    high = {f: float(dataset["high"].sel(factor=f, metric=metric, site=site)) for f in factors}
    order = sorted(factors, key=lambda f: abs(high[f] - low[f]))  # largest swing last = top of the chart
    number_format = FORMAT_EUR if metric == "npv" else "0.0000"

    def input_value(name: str, factor: str):
        if name not in dataset:
            return None
        array = dataset[name].sel(factor=factor)
        if "site" in array.dims:
            array = array.sel(site=site) if site in array["site"].values else array.isel(site=0)
        return float(array)

    for factor in order:
        put_text(sheet, f"A{row}", factor)
        for index, name in enumerate(("input_low", "input_base", "input_high")):
            put_value(sheet, f"{column(2 + index)}{row}", input_value(name, factor), "#,##0.00##")
        unit = dataset["input_low"].attrs.get("units", "") if "input_low" in dataset else ""
        units = dataset["input_low"].attrs.get("units_by_factor") if "input_low" in dataset else None
        put_text(sheet, f"E{row}", units.get(factor, unit) if isinstance(units, Mapping) else unit)
        put_value(sheet, f"F{row}", low[factor], number_format)
        put_value(sheet, f"G{row}", high[factor], number_format)
        put_value(sheet, f"H{row}", low[factor] - base, number_format)
        put_value(sheet, f"I{row}", high[factor] - base, number_format)
        put_value(sheet, f"J{row}", abs(high[factor] - low[factor]), number_format)
        row += 1
    put_text(sheet, f"A{row}", "Base", bold=True)
    put_value(sheet, f"F{row}", base, number_format, bold=True)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = f"Tornado: change of {metric} ({site}) from its base"
    chart.x_axis.title = "Factor"
    chart.y_axis.title = f"Change of {metric} [{'EUR' if metric == 'npv' else ''}]"
    chart.add_data(Reference(sheet, min_col=8, max_col=9, min_row=header, max_row=row - 1), titles_from_data=True)
    chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=row - 1))
    chart.height, chart.width = 8, 16
    sheet.add_chart(chart, f"L{header}")
    return max(row, header + 17)


# --------------------------------------------------------------------------- Monte Carlo sheet

HISTOGRAM_BINS = 30


def _write_monte_carlo(context: _Context, sheet, monte_carlo: list) -> None:
    from openpyxl.chart import BarChart, Reference

    put_text(sheet, "A1", "Monte Carlo", bold=True, size=14)
    if not monte_carlo:
        put_text(sheet, "A3", "No Monte Carlo run in this report. Run tecmodel.monte_carlo(case, n=...) and pass the "
                              "result to tecmodel.export_excel(..., monte_carlo=...).", italic=True)
        return
    row = 3
    for mc in monte_carlo:
        summary = mc.summary
        attrs = summary.attrs
        put_text(sheet, f"A{row}", f"Case {attrs.get('case', '')}", bold=True, size=12)
        put_text(sheet, f"A{row + 1}", f"n = {attrs.get('n', '')} samples, seed {attrs.get('seed', '')}, sampler "
                                      f"{attrs.get('sampler', '')}, chunk size {attrs.get('chunk_size', '')}, stopped "
                                      f"early: {'yes' if attrs.get('stopped_early') else 'no'}. Percentiles with "
                                      "their confidence interval; prob_negative = probability of a loss.", italic=True)
        row += 3
        headers = ("Metric", "Site", "Statistic", "Value", "CI low", "CI high", "Unit")
        for index, title in enumerate(headers):
            put_text(sheet, f"{column(index + 1)}{row}", title, bold=True, fill=HEADER_FILL)
        row += 1
        units = {name: mc.samples[name].attrs.get("units", "") for name in summary["metric"].values
                 if name in mc.samples}
        for metric in summary["metric"].values:
            for site in summary["site"].values:
                for statistic in summary["statistic"].values:
                    put_text(sheet, f"A{row}", str(metric))
                    put_text(sheet, f"B{row}", str(site))
                    put_text(sheet, f"C{row}", str(statistic))
                    share = statistic == "prob_negative"
                    number_format = "0.0%" if share else (FORMAT_EUR if metric == "npv" else "0.0000")
                    for index, name in enumerate(("value", "ci_low", "ci_high")):
                        value = float(summary[name].sel(statistic=statistic, metric=metric, site=site))
                        put_value(sheet, f"{column(4 + index)}{row}", value, number_format)
                    unit = "1" if share else units.get(str(metric), "")
                    put_text(sheet, f"G{row}", ("EUR m" if unit == "EUR" else unit))
                    row += 1
        if "n_valid" in summary:
            row += 1
            put_text(sheet, f"A{row}", "Valid / undefined samples (e.g. IRR without a unique root)", bold=True)
            row += 1
            for metric in summary["metric"].values:
                for site in summary["site"].values:
                    put_text(sheet, f"A{row}", str(metric))
                    put_text(sheet, f"B{row}", str(site))
                    put_value(sheet, f"D{row}", int(summary["n_valid"].sel(metric=metric, site=site)), "#,##0")
                    put_value(sheet, f"E{row}", int(summary["n_undefined"].sel(metric=metric, site=site)), "#,##0")
                    row += 1
        row += 1
        site = PORTFOLIO if PORTFOLIO in mc.samples["npv"]["site"].values else str(mc.samples["npv"]["site"].values[-1])
        npv = np.asarray(mc.samples["npv"].sel(site=site).values, dtype=float)
        npv = npv[np.isfinite(npv)]
        put_text(sheet, f"A{row}", f"Histogram of NPV ({site})", bold=True)
        row += 1
        header = row
        for index, title in enumerate(("Bin from", "Bin to", "Bin centre (EUR m)", "Samples", "Share")):
            put_text(sheet, f"{column(index + 1)}{row}", title, bold=True, fill=HEADER_FILL)
        row += 1
        counts, edges = np.histogram(npv, bins=HISTOGRAM_BINS)
        for index, count in enumerate(counts):
            put_value(sheet, f"A{row}", edges[index], FORMAT_EUR)
            put_value(sheet, f"B{row}", edges[index + 1], FORMAT_EUR)
            put_value(sheet, f"C{row}", round((edges[index] + edges[index + 1]) / 2e6, 1), "#,##0.0")
            put_value(sheet, f"D{row}", int(count), "#,##0")
            put_value(sheet, f"E{row}", count / max(npv.size, 1), "0.0%")
            row += 1
        chart = BarChart()
        chart.type = "col"
        chart.gapWidth = 0
        chart.title = f"NPV distribution ({site}, {npv.size} samples)"
        chart.x_axis.title = "NPV, bin centre [EUR m]"
        chart.y_axis.title = "Samples"
        chart.legend = None
        chart.add_data(Reference(sheet, min_col=4, min_row=header, max_row=row - 1), titles_from_data=True)
        chart.set_categories(Reference(sheet, min_col=3, min_row=header + 1, max_row=row - 1))
        chart.height, chart.width = 8, 18
        sheet.add_chart(chart, f"I{header}")
        row += 3
    for letter, width in {"A": 18, "B": 18, "C": 18, "D": 14, "E": 14, "F": 14, "G": 14}.items():
        sheet.column_dimensions[letter].width = width


# --------------------------------------------------------------------------- cover sheet


def _write_cover(context: _Context, sheet, sobol: list, tornado: list, monte_carlo: list) -> None:
    from .. import __version__
    from .files import run_manifest

    results = context.results
    manifest = run_manifest([result.case for result in results])
    put_text(sheet, "A1", "tecmodel: investment case of gigawatt-scale AI compute campuses", bold=True, size=16)
    put_text(sheet, "A2", "A techno-economic model: what a campus costs to build and run, what it earns, and how "
                          "uncertain that is. This workbook is generated by the model; its live cells recalculate "
                          "in Excel or LibreOffice.", italic=True)
    row = 4
    put_text(sheet, f"A{row}", "Run manifest", bold=True, fill=HEADER_FILL)
    put_text(sheet, f"B{row}", "", fill=HEADER_FILL)
    row += 1
    entries = [("tecmodel version", __version__), ("Created (UTC)", manifest["created_utc"]),
               ("Command", manifest["command"]), ("Python", manifest["python"])]
    entries += [(f"Library {name}", version) for name, version in manifest["libraries"].items()]
    for case in manifest["cases"]:
        entries.append((f"Case {case['name']}: input file", case["file"] or "(in memory)"))
        entries.append((f"Case {case['name']}: SHA-256", case["sha256"] or ""))
    for dataset in sobol:
        a = dataset.attrs
        entries.append((f"Sobol ({a.get('case', '')})", f"n = {a.get('n', '')}, seed = {a.get('seed', '')}, "
                                                          f"{a.get('evaluations', '')} evaluations, {a.get('sampler', '')}"))
    for dataset in tornado:
        entries.append((f"Tornado ({dataset.attrs.get('case', '')})", f"{dataset.sizes.get('factor', 0)} factors"))
    for mc in monte_carlo:
        a = mc.summary.attrs
        entries.append((f"Monte Carlo ({a.get('case', '')})", f"n = {a.get('n', '')}, seed = {a.get('seed', '')}, "
                                                                f"sampler {a.get('sampler', '')}"))
    if not sobol and not monte_carlo:
        entries.append(("Seeds and sample sizes", "deterministic run (no sampling)"))
    for label, value in entries:
        put_text(sheet, f"A{row}", label)
        put_text(sheet, f"B{row}", value)
        row += 1
    row += 1
    put_text(sheet, f"A{row}", "Cases", bold=True, fill=HEADER_FILL)
    put_text(sheet, f"B{row}", "", fill=HEADER_FILL)
    row += 1
    for result in results:
        put_text(sheet, f"A{row}", result.case.name, bold=True)
        put_text(sheet, f"B{row}", result.case.title, bold=True)
        row += 1
        put_text(sheet, f"B{row}", result.case.description.strip(), wrap=True)
        sheet.row_dimensions[row].height = max(15, 15 * (len(result.case.description) // 95 + 1))
        row += 1
    row += 1
    put_text(sheet, f"A{row}", "Conventions", bold=True, fill=HEADER_FILL)
    put_text(sheet, f"B{row}", "", fill=HEADER_FILL)
    row += 1
    conventions = [
        ("Money", "Nominal EUR. Amounts are stored in full EUR and shown in EUR millions by the number format "
                  "(#,##0.0,,); inflows are positive, outflows negative."),
        ("Periods", "One period per calendar year; cash flows at year end."),
        ("Discounting", "The first model year is t = 0 and is not discounted: NPV = sum over t of FCF(t) / (1 + r)^t, "
                        "as numpy_financial.npv. Excel's NPV() discounts its first argument by one period, so the "
                        "Metrics sheet computes NPV = FCF(first year) + NPV(r, FCF(second year) : FCF(last year)). "
                        "The cumulative discounted free cash flow row ends at the same value."),
        ("IRR", "The model reports an IRR only where it is unique in [-99 %, 1000 %]; Excel's IRR() returns the "
                "root it finds from a 10 % guess."),
        ("Tax", "Each site is taxed standalone: straight-line tax depreciation, losses carried forward without time "
                "limit and offset each year up to EUR 1 M plus 50 % of the profit above it (French rule); the "
                "remaining tax book value is written off in the last year. The portfolio is the sum of its sites."),
        ("LCOC", "Levelised cost of compute, pre-tax: PV of operating costs and capex net of residual value / PV of "
                 "GPU-hours sold."),
        ("Break-even price", "After tax: the realised GPU-hour price at which the NPV is zero (Break-even sheet)."),
        ("Live inputs", "Yellow cells with blue figures on the Inputs sheet (defined names energy_price_<case>_<site>, "
                        "utilisation_<case>_<site>, chip_cost_<case>_<site>, discount_rate_<case>). Changing them "
                        "updates every dependent line item, the tax, the free cash flow and the metrics. Cells with "
                        "black figures are the model's values; the Python model columns keep the values the workbook "
                        "was written with."),
        ("Verification", "The test suite recalculates this workbook with LibreOffice and compares every formula cell "
                         "with the model, at the written inputs and at changed ones."),
    ]
    for label, text in conventions:
        put_text(sheet, f"A{row}", label, bold=True)
        put_text(sheet, f"B{row}", text, wrap=True)
        sheet.row_dimensions[row].height = max(15, 15 * (len(text) // 95 + 1))
        row += 1
    row += 1
    put_text(sheet, f"A{row}", "Sheets", bold=True, fill=HEADER_FILL)
    put_text(sheet, f"B{row}", "", fill=HEADER_FILL)
    row += 1
    guide = {"Inputs": "every parameter with value, unit, distribution, reference range and source; the live inputs",
             "Metrics": "NPV, IRR, payback, LCOC, break-even price: workbook formulas beside the model's values",
             "Scenarios": "the cases side by side",
             "Break-even": "Newton iterations of the after-tax break-even price factor",
             "Sensitivity": "Sobol indices and tornado, with charts",
             "Monte Carlo": "percentiles, probability of loss, NPV histogram with chart"}
    for title in context.workbook.sheetnames:
        if title == "Cover":
            continue
        text = guide.get(title, "cash flows by year: line items by category, EBITDA, tax with loss carry-forward, "
                                "free cash flow, discount factors, cumulative discounted cash flow")
        put_text(sheet, f"A{row}", title)
        put_text(sheet, f"B{row}", text)
        row += 1
    sheet.column_dimensions["A"].width = 34
    sheet.column_dimensions["B"].width = 110


# --------------------------------------------------------------------------- recalculation

#: LibreOffice settings for a faithful recalculation: recalculate every formula when a file is
#: loaded (OOXMLRecalcMode/ODFRecalcMode 0 = always; the default 1 keeps cached values) and
#: never use OpenCL (the same double-precision interpreter everywhere).
LIBREOFFICE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
           xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="ODFRecalcMode" oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseOpenCL" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def recalculate_with_libreoffice(paths: Sequence[str | Path], out_dir: str | Path, profile_dir: str | Path,
                                 soffice: str = "soffice", timeout: float = 300.0) -> list[Path]:
    """Recalculate workbooks with LibreOffice (headless) and save them with their computed values.

    Parameters
    ----------
    paths : sequence of path
        ``.xlsx`` files; converted in one LibreOffice call.
    out_dir : path
        Folder for the recalculated copies (same file names).
    profile_dir : path
        A LibreOffice user profile folder of its own (created if missing), so that parallel runs
        do not contend for a lock and the recalculate-on-load setting applies.
    soffice : str
        The LibreOffice executable.
    timeout : float
        Seconds before the conversion is abandoned.

    Returns
    -------
    list of Path
        The recalculated files, in the order of `paths`.

    Raises
    ------
    RuntimeError
        If LibreOffice fails or does not write every file.
    """
    import subprocess

    out_dir, profile_dir = Path(out_dir), Path(profile_dir)
    user = profile_dir / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(LIBREOFFICE_SETTINGS, encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [soffice, f"-env:UserInstallation={profile_dir.resolve().as_uri()}", "--headless", "--norestore",
               "--nologo", "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(out_dir)]
    command += [str(Path(path).resolve()) for path in paths]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    outputs = [out_dir / Path(path).name for path in paths]
    missing = [str(path) for path in outputs if not path.exists()]
    if completed.returncode != 0 or missing:
        raise RuntimeError(f"LibreOffice failed (status {completed.returncode}; missing {missing}): "
                           f"{completed.stdout.strip()} {completed.stderr.strip()}")
    return outputs
