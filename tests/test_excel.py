"""The Excel report: a real spreadsheet engine recalculates it to the model's own numbers.

LibreOffice (headless) recalculates the workbook of both bundled cases; every formula cell is
compared with the Python model to a relative 1e-9 (two kinds of cell are compared against a
stated scale instead: see :func:`allowed_difference`), once at the inputs the workbook was
written with and once after every live input cell has been changed in the file, against
``tecmodel.evaluate(case, overrides=...)`` at the same values. Without LibreOffice those tests
are skipped with a reason saying how to install it; under ``CI=true`` they fail instead.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import openpyxl
import pytest
import xarray as xr
import yaml
from matplotlib.colors import to_hex

import tecmodel
from tecmodel.cli.main import main
from tecmodel.inputs.registry import REGISTRY
from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.outputs import METRICS
from tecmodel.report.excel import (
    LIVE_PARAMETERS,
    build_workbook,
    expected_values,
    export_excel,
    recalculate_with_libreoffice,
)
from tecmodel.report.excel.layout import excel_number_format
from tecmodel.report.figures.sensitivity import tornado_chart

from .conftest import TOY_FILE
from .contract_data import monte_carlo_result, sobol_dataset, tornado_dataset

RTOL = 1e-9
INSTALL_HINT = (
    "LibreOffice (soffice) is not installed, so the workbook cannot be recalculated: install it "
    "(Debian/Ubuntu: sudo apt-get install libreoffice-calc-nogui; macOS: brew install --cask "
    "libreoffice); .ci/run installs it in CI"
)
#: New values of every live input, inside the registry bounds and well away from the cases'
#: values (site-level ones differ by site so that a formula reading the wrong site shows).
#: power.market_escalation is live but stays 0: the bundled energy prices follow a process, and
#: a cross-field rule keeps any escalation off it (for an override as for a case file).
CHANGED = {
    "power.market_price": 85.0,
    "revenue.utilisation": 0.72,
    "chips.unit_price": 64_000.0,
    "finance.discount_rate": 0.10,
    "tax.corporate_rate": 0.30,
    "tax.loss_offset_fixed": 2e6,
    "tax.loss_offset_share": 0.6,
    "fx.usd_per_eur": 1.08,
    "financing.cost_of_equity": 0.15,
    "financing.lockup_dscr": 1.25,
    "revenue.gpu_hour_price": 3.4,
    "revenue.contract_price": 2.3,
    "revenue.merchant_usd_share": 0.6,
    "revenue.contract_usd_share": 0.2,
    "power.contract_share": 0.55,
    "power.contract_price": 75.0,
    "power.contract_indexation": 0.025,
    "power.idle_share": 0.25,
    "power.active_load_share": 0.9,
    "power.grid_tariff_energy": 6.0,
    "power.excise": 12.0,
    "power.capacity_cost": 3.0,
    "cooling.water_use": 0.3,
    "operations.it_support_rate": 0.04,
    "operations.insurance_rate": 0.004,
}
INJECTED = {
    "title": '=HYPERLINK("http://example.com","click")',
    "description": "@SUM(1,1)",
    "market_source": '=HYPERLINK("http://example.com/source","click")',
    "contract_source": "+1+1",
    "excise_source": "-2+3",
}


def soffice() -> str:
    """The LibreOffice executable; skip (or fail under CI=true) when it is missing."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {INSTALL_HINT}")
        pytest.skip(INSTALL_HINT)
    return found


def injected_case(folder: Path):
    """The toy case with names and sources that a spreadsheet would take for formulas."""
    data = yaml.safe_load(TOY_FILE.read_text())
    data["title"] = INJECTED["title"]
    data["description"] = INJECTED["description"]
    power = data["sites"][0]["power"]
    power["market_price"]["source"] = INJECTED["market_source"]
    power["contract_price"]["source"] = INJECTED["contract_source"]
    power["excise"]["source"] = INJECTED["excise_source"]
    path = folder / "injected.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return tecmodel.load_case(path)


def change_inputs(workbook, layout, results) -> list[dict]:
    """Write CHANGED into the workbook's live input cells; return the overrides of each case."""
    named = {(cell.case, cell.parameter, cell.site): cell for cell in layout.inputs.values()}
    overrides = []
    for case_index, result in enumerate(results):
        case_overrides = {}
        for name, value in CHANGED.items():
            if REGISTRY[name].scope == "case":
                places = {None: value}
            else:
                step = 0.02 if name == "revenue.utilisation" else 0.03 * value
                places = {
                    site: value + step * index for index, site in enumerate(result.case.site_names)
                }
            for site, new in places.items():
                key = (case_index, name, site)
                sheet, coordinate = (
                    (named[key].sheet, named[key].coordinate)
                    if key in named
                    else layout.parameter_cells[key]
                )
                workbook[sheet][coordinate].value = new
            case_overrides[name] = scaled_path(result, name, places)
        overrides.append(case_overrides)
    return overrides


def scaled_path(result, name: str, places: dict):
    """The override the workbook's new first-year values stand for: the value itself, or, for a
    quantity that follows a price process, its central path scaled to the new first-year value
    (the workbook keeps the path's shape, the "path" rows of each site sheet)."""
    stored = result.parameters[name]
    if "year" not in stored.dims:
        return places[None] if None in places else places
    first = stored.isel(year=0)
    if None in places:
        return stored * (places[None] / first)
    factors = xr.DataArray([places[site] for site in stored["site"].values], dims="site")
    return stored * (factors.assign_coords(site=stored["site"]) / first)


def revenue_pv(result, site: str) -> float:
    """PV of revenue of a site or the portfolio [EUR] (first model year at t = 0)."""
    revenue = result.cube.sel(item=result.cube.category == "revenue").sum("item")
    revenue = revenue.sum("site") if site == PORTFOLIO else revenue.sel(site=site)
    rate = float(result.parameters["finance.discount_rate"])
    return float(np.sum(revenue.values / (1.0 + rate) ** result.timeline["t"].values))


def allowed_difference(check, expected: float, results) -> float:
    """|workbook - model| allowed in one cell: 1e-9 of the model's value, except two kinds of cell.

    - The after-tax NPV at a trial factor of the break-even iteration is, near the root, a
      residual of sums of present values of the size of PV(revenue) (~1e10 EUR): zero to about
      1e-6 EUR, with rounding relative to those terms, not to itself. Allowed: 1e-12 of
      PV(revenue), i.e. ~0.01 EUR, some 10,000 times the rounding seen and 1e-9 of any NPV that
      is not a residual.
    - The relative-difference column of the Metrics sheet is 0 at the written inputs (the model
      beside itself); being itself a relative difference it is compared in absolute terms, 1e-12.
    - The equity cash flow of a year whose debt service reserve covers the gap exactly is zero,
      a residual of rows of ~1e9 EUR (about 1e-7 EUR of rounding): the same 1e-12 of PV(revenue).
    """
    allowed = RTOL * abs(expected)
    if check.key[:2] == ("breakeven", "npv") or check.key == ("equity_cash_flow",):
        allowed = max(allowed, 1e-12 * revenue_pv(results[check.case], check.site))
    if check.key[0] == "metric_difference":
        allowed = max(allowed, 1e-12)
    return allowed


def compare(workbook, layout, results, skip=frozenset()) -> dict:
    """Compare every formula cell of a recalculated workbook (but those in `skip`); return counts
    and the largest differences (relative, and in their own terms for the two kinds of cell on a
    scale)."""
    expected = {
        address: value
        for address, value in expected_values(layout, results).items()
        if address not in skip
    }
    failures = []
    worst = {
        "relative": (0.0, None),
        "newton_npv_eur": (0.0, None),
        "difference_column": (0.0, None),
    }
    for (sheet, coordinate), value in expected.items():
        got = workbook[sheet][coordinate].value
        check = layout.checks[(sheet, coordinate)]
        if isinstance(value, str) or isinstance(got, str) or got is None:
            if got != value:
                failures.append(
                    f"{sheet}!{coordinate} {check.key}: workbook {got!r}, model {value!r}"
                )
            continue
        difference = abs(got - value)
        if difference > allowed_difference(check, value, results):
            failures.append(
                f"{sheet}!{coordinate} {check.key} year {check.year}: "
                f"workbook {got!r}, model {value!r}"
            )
        if check.key[:2] == ("breakeven", "npv"):
            kind, size = "newton_npv_eur", difference
        elif check.key[0] == "metric_difference":
            kind, size = "difference_column", difference
        else:
            kind, size = "relative", difference / abs(value) if value else difference
        if size > worst[kind][0]:
            worst[kind] = (size, f"{sheet}!{coordinate} {check.key}")
    assert not failures, (
        f"{len(failures)} of {len(expected)} formula cells differ from the model:\n"
        + "\n".join(failures[:20])
    )
    return {"cells": len(expected), **worst}


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory, base_result, doubled_result):
    """Base, changed-input and injected-text workbooks, recalculated in one LibreOffice call."""
    executable = soffice()
    folder = tmp_path_factory.mktemp("workbooks")
    results = [base_result, doubled_result]
    workbook, layout = build_workbook(results)
    workbook.save(folder / "base.xlsx")
    changed_workbook = openpyxl.load_workbook(folder / "base.xlsx")
    overrides = change_inputs(changed_workbook, layout, results)
    changed_workbook.save(folder / "changed.xlsx")
    toy = tecmodel.evaluate(injected_case(folder))
    toy_workbook, toy_layout = build_workbook(
        [toy],
        sensitivity=sobol_dataset(toy),
        tornado=tornado_dataset(toy),
        monte_carlo=monte_carlo_result(toy),
    )
    toy_workbook.save(folder / "injected.xlsx")
    recalculate_with_libreoffice(
        [folder / "base.xlsx", folder / "changed.xlsx", folder / "injected.xlsx"],
        folder / "recalculated",
        folder / "profile",
        soffice=executable,
    )
    changed_results = [
        tecmodel.evaluate(result.case, overrides=case_overrides)
        for result, case_overrides in zip(results, overrides, strict=True)
    ]
    recalculated = {
        name: openpyxl.load_workbook(folder / "recalculated" / f"{name}.xlsx", data_only=True)
        for name in ("base", "changed", "injected")
    }
    return {
        "recalculated": recalculated,
        "folder": folder,
        "layout": layout,
        "results": results,
        "changed_results": changed_results,
        "toy": toy,
        "toy_layout": toy_layout,
    }


@pytest.mark.libreoffice
def test_every_formula_cell_equals_the_model_at_the_written_inputs(workbooks):
    summary = compare(
        workbooks["recalculated"]["base"],
        workbooks["layout"],
        workbooks["results"],
    )
    toy = compare(
        workbooks["recalculated"]["injected"],
        workbooks["toy_layout"],
        [workbooks["toy"]],
    )
    print(f"\nbase inputs: {summary}\ntoy case: {toy}")
    assert summary["cells"] > 10_000
    financing = {
        check.key[1]
        for (sheet, _), check in workbooks["layout"].checks.items()
        if sheet.endswith(" financing") and check.key[0] == "metric"
    }  # the equity metrics computed by formulas on the Financing sheets were compared too
    assert {"equity_npv", "equity_irr", "moic", "min_dscr", "peak_debt"} <= financing


@pytest.mark.libreoffice
def test_every_formula_cell_equals_the_model_after_changing_every_live_input(workbooks):
    """The live inputs (energy price, utilisation, accelerator price, discount rate and the
    parameters used only through formulas) are changed in the file; LibreOffice's figures
    then equal a re-run of the model at those values. The new values move NPVs by billions
    and put the sites into tax losses, so the loss carry-forward formulas are exercised."""
    # every live input but the escalation a rule keeps at 0 (see CHANGED)
    assert set(CHANGED) | {"power.market_escalation"} == set(LIVE_PARAMETERS)
    # The Financing sheets' schedules are the model's at the written inputs; their cells are
    # compared there, and here only the live CFADS and the check that flags the change.
    summary = compare(
        workbooks["recalculated"]["changed"],
        workbooks["layout"],
        workbooks["changed_results"],
        skip=workbooks["layout"].sized_at_written_inputs,
    )
    print(f"\nchanged inputs: {summary}")
    before = workbooks["results"][1].portfolio["npv"]
    after = workbooks["changed_results"][1].portfolio["npv"]
    assert abs(float(after - before)) > 1e9
    pools = workbooks["changed_results"][0].finance["loss_relief"]
    assert float(pools.max()) > 0


@pytest.mark.libreoffice
def test_no_error_value_in_any_cell_after_recalculation(workbooks):
    for name, workbook in workbooks["recalculated"].items():
        errors = [
            f"{sheet.title}!{cell.coordinate}={cell.value}"
            for sheet in workbook.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.data_type == "e"
            or (
                isinstance(cell.value, str)
                and cell.value.startswith(
                    ("#REF", "#NAME", "#VALUE", "#DIV", "#N/A", "#NUM", "Err:")
                )
            )
        ]
        assert not errors, f"{name}: {errors[:10]}"


@pytest.mark.libreoffice
def test_text_from_inputs_stays_text_after_recalculation(workbooks):
    workbook = workbooks["recalculated"]["injected"]
    values = {
        cell.value for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
    }
    for text in INJECTED.values():
        assert any(isinstance(value, str) and value.endswith(text) for value in values), text
    assert "click" not in values


def test_every_formula_cell_is_compared(tmp_path, base_result, doubled_result):
    """The layout names every formula cell of the file, so the recalculation test misses none."""
    workbook, layout = build_workbook([base_result, doubled_result])
    workbook.save(tmp_path / "report.xlsx")
    stored = openpyxl.load_workbook(tmp_path / "report.xlsx")
    formulas = {
        (sheet.title, cell.coordinate)
        for sheet in stored.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    }
    assert formulas == set(layout.checks)


def test_text_from_inputs_is_written_as_text_never_as_a_formula(tmp_path):
    toy = tecmodel.evaluate(injected_case(tmp_path))
    path = export_excel(toy, tmp_path / "report.xlsx")
    stored = openpyxl.load_workbook(path)
    cells = [cell for sheet in stored.worksheets for row in sheet.iter_rows() for cell in row]
    for text in INJECTED.values():
        holding = [cell for cell in cells if cell.value == text]
        assert holding, text
        assert all(cell.data_type == "s" for cell in holding)
    assert not any(cell.data_type == "f" and "HYPERLINK" in str(cell.value) for cell in cells)
    assert not any(cell.hyperlink for cell in cells)


def test_a_failed_export_leaves_the_previous_workbook_untouched(tmp_path, monkeypatch, toy_result):
    path = export_excel(toy_result, tmp_path / "report.xlsx")
    before = path.read_bytes()

    def failing_save(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(openpyxl.Workbook, "save", failing_save)
    with pytest.raises(OSError, match="disk full"):
        export_excel(toy_result, path)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]


def test_sheets_names_formats_and_charts(tmp_path, base_result, doubled_result):
    sensitivity = [sobol_dataset(result) for result in (base_result, doubled_result)]
    tornado = [tornado_dataset(result) for result in (base_result, doubled_result)]
    monte_carlo = [monte_carlo_result(result) for result in (base_result, doubled_result)]
    workbook, layout = build_workbook(
        [base_result, doubled_result],
        sensitivity=sensitivity,
        tornado=tornado,
        monte_carlo=monte_carlo,
    )
    assert workbook.sheetnames == [
        "Cover",
        "Inputs",
        "Metrics",
        "Case comparison",
        "What-if scenarios",
        "base_10b fluidstack_fr",
        "base_10b portfolio",
        "base_10b financing",
        "doubled_20b fluidstack_fr",
        "doubled_20b campus_ia_site2",
        "doubled_20b portfolio",
        "doubled_20b financing",
        "Break-even",
        "Sensitivity",
        "Monte Carlo",
    ]
    # One named input per driver and site, and a discount rate per case, all on the Inputs sheet.
    assert len(layout.inputs) == 4 * (1 + 2) + 2
    for name, cell in layout.inputs.items():
        destination = list(workbook.defined_names[name].destinations)
        assert destination == [("Inputs", f"${cell.coordinate[0]}${cell.coordinate[1:]}")]
        assert workbook["Inputs"][cell.coordinate].fill.fgColor.rgb.endswith("FFF2CC")
    site = workbook["doubled_20b campus_ia_site2"]
    assert site.freeze_panes == "E5"
    fcf_row = next(
        row for row in range(1, site.max_row + 1) if site[f"A{row}"].value == "Free cash flow"
    )
    assert site[f"F{fcf_row}"].number_format.startswith("#,##0.0,,")  # EUR shown in millions
    assert len(workbook["Sensitivity"]._charts) == 4  # Sobol and tornado of each case
    assert len(workbook["Monte Carlo"]._charts) == 4  # histogram and CDF of each case
    sobol_chart = workbook["Sensitivity"]._charts[0]
    assert sobol_chart.series[0].errBars is not None
    charts = workbook["Sensitivity"]._charts + workbook["Monte Carlo"]._charts
    titles = [chart_text(chart.title) for chart in charts]
    for case in ("base_10b", "doubled_20b"):  # each chart title names its case
        assert sum(case in title for title in titles) == 4
    metrics = workbook["Metrics"]
    assert any(
        str(cell.value).startswith("=") and "NPV(" in str(cell.value) for cell in metrics["E"]
    )


def test_sampled_results_and_duplicate_cases_are_refused(tmp_path, toy_case, toy_result):
    import xarray as xr

    sampled = tecmodel.evaluate(
        toy_case, overrides={"utilisation": xr.DataArray([0.7, 0.9], dims="sample")}
    )
    with pytest.raises(ValueError, match="deterministic"):
        export_excel(sampled, tmp_path / "x.xlsx")
    with pytest.raises(ValueError, match="differ"):
        export_excel([toy_result, toy_result], tmp_path / "x.xlsx")
    assert not list(tmp_path.iterdir())


def test_report_command_writes_the_workbook_and_the_figures(tmp_path, capsys):
    assert (
        main(
            [
                "report",
                str(TOY_FILE),
                "--xlsx",
                str(tmp_path / "toy.xlsx"),
                "--plots",
                str(tmp_path / "fig"),
            ]
        )
        == 0
    )
    assert "wrote" in capsys.readouterr().out
    assert openpyxl.load_workbook(tmp_path / "toy.xlsx").sheetnames[:2] == ["Cover", "Inputs"]
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == [
        "cumulative_dcf.png",
        "scenarios.png",
        "waterfall_toy.png",
    ]
    assert main(["report", str(TOY_FILE), "--xlsx", str(tmp_path / "toy.xls")]) == 2
    assert "ending in .xlsx" in capsys.readouterr().err


def test_the_real_uncertainty_results_fill_the_sensitivity_and_monte_carlo_sheets(
    tmp_path, base_case, base_result
):
    """tecmodel.sobol, tornado and monte_carlo (small studies of the EUR 10B case) go into the
    workbook and the figures as they come: the tables hold their numbers."""
    sobol = tecmodel.sobol(base_case, n=2**6, seed=1)
    tornado = tecmodel.tornado(base_case)
    monte_carlo = tecmodel.monte_carlo(base_case, n=256, seed=1)
    workbook, _layout = build_workbook(
        base_result, sensitivity=sobol, tornado=tornado, monte_carlo=monte_carlo
    )
    sensitivity = workbook["Sensitivity"]
    table: dict = {}  # the chart data (NPV of the portfolio) comes first: S1 in column B
    for row in range(1, 40):
        table.setdefault(sensitivity[f"A{row}"].value, sensitivity[f"B{row}"].value)
    for factor in sobol["factor"].values:
        assert table[str(factor)] == pytest.approx(
            float(sobol["S1"].sel(factor=factor, metric="npv", site=PORTFOLIO))
        )
    assert len(sensitivity._charts) == 2
    sheet = workbook["Monte Carlo"]
    expected = float(monte_carlo.portfolio_summary["value"].sel(statistic="p50", metric="npv"))
    assert monte_carlo_cell(sheet, "npv", PORTFOLIO, "p50").value == pytest.approx(expected)
    from tecmodel.report.figures.files import write_standard_plots

    files = write_standard_plots(
        base_result, tmp_path / "plots", sensitivity=sobol, tornado=tornado, monte_carlo=monte_carlo
    )
    assert {path.name for path in files} >= {
        "sobol_base_10b.png",
        "tornado_base_10b.png",
        "npv_distribution_base_10b.png",
    }


@pytest.mark.parametrize("status", [1, 2, 3, 4])
def test_an_undefined_irr_shows_its_reason_in_the_terminal_and_the_workbook(toy_result, status):
    """Whatever the status code (tecmodel.irr.IRR_STATUS), its reason appears in the summary
    printed by `tecmodel run` and in the note beside the IRR cell of the Metrics sheet."""
    import dataclasses

    from tecmodel.numerics.irr import IRR_STATUS
    from tecmodel.report.text import summary_text

    def undefined(metrics):
        metrics = metrics.copy()
        metrics["irr"] = metrics["irr"] * np.nan
        metrics["irr_status"] = metrics["irr_status"] * 0 + status
        return metrics

    result = dataclasses.replace(
        toy_result,
        metrics=undefined(toy_result.metrics),
        portfolio=undefined(toy_result.portfolio),
    )
    reason = IRR_STATUS[status]
    assert summary_text(result).count(reason) == 2  # the site and the portfolio
    workbook, _ = build_workbook(result)
    rows = workbook["Metrics"].iter_rows()
    notes = [row[7].value for row in rows if row[2].value == METRICS["irr"].label]
    assert notes == [f"IRR undefined: {reason} (model status {status})"] * 2


def test_number_formats_follow_the_table_of_outputs():
    """One helper turns each metric's display into an Excel format: a ratio is a multiple, a
    rate a percent, money in EUR millions with thousands separators, the scale as commas."""
    assert {name: excel_number_format(name) for name in METRICS}  # every metric has one
    assert excel_number_format("moic") == excel_number_format("min_dscr") == '0.00"x"'
    assert excel_number_format("irr") == excel_number_format("equity_irr") == "0.00%"
    assert excel_number_format("npv") == '#,##0.0,,;[Red]-#,##0.0,,;"-"'
    assert excel_number_format("capex_per_mw_it").startswith("#,##0.00,,;")
    assert excel_number_format("facility_energy_per_year") == "#,##0,"  # MWh shown in GWh
    assert excel_number_format("gpu_hours_sold") == "#,##0.00,,,"  # shown in billions
    assert excel_number_format("lcoc") == "0.000"
    assert excel_number_format("payback_year") == "0"


def test_the_metrics_and_monte_carlo_sheets_show_each_metric_as_declared(toy_result):
    """Labels, units and formats of the Metrics, Scenarios and Monte Carlo sheets come from the
    table of outputs; a ratio in a Monte Carlo summary is shown as a multiple, not a percent."""
    study = monte_carlo_result(toy_result)
    metric = {"metric": ["npv", "moic", "lcoc"]}
    samples = study.samples.rename(irr="moic")
    samples["moic"].attrs["units"] = "1"
    study = type(study)(
        samples,
        study.summary.assign_coords(metric),
        study.portfolio_samples.rename(irr="moic"),
        study.portfolio_summary.assign_coords(metric),
    )
    workbook, _ = build_workbook(toy_result, monte_carlo=study)
    metrics = workbook["Metrics"]
    rows = [row for row in metrics.iter_rows(min_row=5) if row[2].value]
    shown = {(row[1].value, row[2].value): row for row in rows}
    for name in ("npv", "irr", "lcoc", "it_mw", "gpu_hours_sold"):
        row = shown[(PORTFOLIO, METRICS[name].label)]
        assert row[3].value == METRICS[name].display_units
        assert row[5].number_format == excel_number_format(name)
        assert row[8].value == METRICS[name].long_name
    scenarios = workbook["Case comparison"]
    labels = {scenarios[f"A{r}"].value: r for r in range(5, 20)}
    irr_row = labels[METRICS["irr"].label]
    assert scenarios[f"B{irr_row}"].value == "%"
    assert scenarios[f"C{irr_row}"].number_format == "0.00%"
    sheet = workbook["Monte Carlo"]
    site = toy_result.case.site_names[0]
    moic = monte_carlo_cell(sheet, "moic", site, "p50")
    assert (moic.number_format, sheet[f"B{moic.row}"].value) == ('0.00"x"', "x")
    npv = monte_carlo_cell(sheet, "npv", site, "p50")
    assert (npv.number_format, sheet[f"B{npv.row}"].value) == (excel_number_format("npv"), "EUR M")
    assert monte_carlo_cell(sheet, "npv", site, "prob_negative").number_format == "0.0%"
    # The probability of a negative value is a loss for money, meaningless for a ratio or a price.
    assert monte_carlo_cell(sheet, "lcoc", site, "prob_negative").value is None


def monte_carlo_cell(sheet, metric: str, site: str, statistic: str):
    """The cell of one statistic of one metric and site in the Monte Carlo sheet's wide summary."""
    header = next(r for r in range(1, sheet.max_row + 1) if sheet[f"A{r}"].value == "Metric")
    columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    row = next(
        r
        for r in range(header + 1, sheet.max_row + 1)
        if sheet[f"A{r}"].value == METRICS[metric].label and sheet[f"C{r}"].value == site
    )
    return sheet.cell(row, columns[statistic])


def chart_text(title) -> str:
    """The text of an openpyxl chart or axis title."""
    return "".join(run.t for paragraph in title.tx.rich.p for run in paragraph.r or [])


def test_the_workbook_tornado_reads_as_its_figure(doubled_result):
    """The tornado's table and chart: largest swing first (and at the top of the chart), each
    bar in the colour of its outcome as on the PNG, the value axis in the unit of its ticks,
    the case and the quantiles in the title."""
    dataset = tornado_dataset(doubled_result).isel(factor=[2, 1, 0])  # smallest swing first
    workbook, _ = build_workbook(doubled_result, tornado=dataset)
    sheet = workbook["Sensitivity"]
    header = next(r for r in range(1, sheet.max_row + 1) if sheet[f"J{r}"].value == "Swing")
    base_row = next(r for r in range(header, sheet.max_row + 1) if sheet[f"A{r}"].value == "Base")
    rows = range(header + 1, base_row)
    swings = [sheet[f"J{r}"].value for r in rows]
    assert swings == sorted(swings, reverse=True)
    chart = sheet._charts[-1]
    assert chart.x_axis.scaling.orientation == "maxMin"  # the first row at the top
    assert chart_text(chart.y_axis.title).endswith(f"[{METRICS['npv'].display_units}]")
    assert chart.y_axis.numFmt.formatCode == excel_number_format("npv")  # ticks in EUR M
    assert not chart.y_axis.numFmt.sourceLinked
    title = chart_text(chart.title)
    assert doubled_result.case.name in title and "P10" in title and "P90" in title
    figure = tornado_chart(dataset)
    axes = figure.axes[0]
    names = [label.get_text() for label in axes.get_yticklabels()]
    labels = dict(zip(axes.get_yticks(), names, strict=True))
    scale = METRICS["npv"].display_scale
    drawn = {}
    for bar in axes.patches:
        factor = labels[bar.get_y() + bar.get_height() / 2]
        drawn[(factor, round(bar.get_width() / scale, -2))] = to_hex(bar.get_facecolor())
    for series, change_column in zip(chart.series, "HI", strict=True):
        assert len(series.dPt) == len(rows)
        for point in series.dPt:
            row = rows[point.idx]
            key = (sheet[f"A{row}"].value, round(sheet[f"{change_column}{row}"].value, -2))
            colour = point.spPr.solidFill.srgbClr
            assert "#" + colour.upper() == drawn[key].upper()


def metric_cell(workbook, owner: str, name: str) -> str:
    """Coordinate of a metric's workbook formula (column E) on the Metrics sheet."""
    sheet = workbook["Metrics"]
    for row in range(5, sheet.max_row + 1):
        if sheet[f"B{row}"].value == owner and sheet[f"C{row}"].value == METRICS[name].label:
            return f"E{row}"
    raise KeyError((owner, name))


@pytest.mark.libreoffice
def test_the_written_file_holds_the_values_of_its_formulas(tmp_path, base_result, doubled_result):
    """Opened without recalculation (as pandas or a previewer reads it), the workbook shows the
    model's NPV: LibreOffice computed every formula when it was written. The frozen panes and
    the charts openpyxl wrote are still there, and the Cover says how the values were stored."""
    soffice()
    path = export_excel(
        [base_result, doubled_result],
        tmp_path / "report.xlsx",
        tornado=tornado_dataset(base_result),
        recalculate=True,
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.xlsx"]
    values = openpyxl.load_workbook(path, data_only=True)
    formulas = openpyxl.load_workbook(path)
    for result in (base_result, doubled_result):
        for owner in list(result.case.site_names) + [PORTFOLIO]:
            title = f"{result.case.name} {owner}"
            row = next(
                r
                for r in range(5, values["Metrics"].max_row + 1)
                if values["Metrics"][f"A{r}"].value == result.case.name
                and values["Metrics"][f"B{r}"].value == owner
                and values["Metrics"][f"C{r}"].value == METRICS["npv"].label
            )
            coordinate = f"E{row}"
            assert str(formulas["Metrics"][coordinate].value).startswith("=")
            metrics = join_portfolio(result.metrics, result.portfolio)  # the model, evaluate()
            expected = float(metrics["npv"].sel(site=owner))
            assert values["Metrics"][coordinate].value == pytest.approx(expected, rel=1e-9), title
    assert formulas["base_10b fluidstack_fr"].freeze_panes == "E5"
    assert len(formulas["Sensitivity"]._charts) == 1
    cover = [cell.value for row in values["Cover"].iter_rows() for cell in row]
    assert any(isinstance(text, str) and "computed by LibreOffice" in text for text in cover)


def test_without_libreoffice_the_workbook_calculates_on_load_and_says_so(tmp_path, toy_result):
    path = export_excel(toy_result, tmp_path / "report.xlsx", recalculate=False)
    workbook = openpyxl.load_workbook(path)
    assert workbook.calculation.fullCalcOnLoad
    cover = [cell.value for row in workbook["Cover"].iter_rows() for cell in row]
    assert any(isinstance(text, str) and "full calculation on load" in text for text in cover)
    values = openpyxl.load_workbook(path, data_only=True)
    assert values["Metrics"][metric_cell(values, PORTFOLIO, "npv")].value is None


def test_stored_values_fill_only_the_formula_cells(tmp_path, toy_result):
    """The values given for formula cells are cached beside their formulas (numbers, text,
    errors); the formulas and every other cell stay as written."""
    from tecmodel.report.excel.stored_values import ErrorValue, store_values

    workbook, layout = build_workbook(toy_result)
    workbook.save(tmp_path / "written.xlsx")
    cells = sorted(layout.checks)
    given = {cells[0]: 1.25, cells[1]: "none", cells[2]: ErrorValue("#DIV/0!")}
    assert store_values(tmp_path / "written.xlsx", tmp_path / "stored.xlsx", given) == 3
    values = openpyxl.load_workbook(tmp_path / "stored.xlsx", data_only=True)
    formulas = openpyxl.load_workbook(tmp_path / "stored.xlsx")
    written = openpyxl.load_workbook(tmp_path / "written.xlsx")
    for (sheet, coordinate), value in given.items():
        assert values[sheet][coordinate].value == value
        assert formulas[sheet][coordinate].value == written[sheet][coordinate].value
    assert values[cells[3][0]][cells[3][1]].value is None


def live_input_cells(layout) -> list[tuple[int, str, str | None, str]]:
    """(case, parameter, site, coordinate on the Inputs sheet) of every live input cell."""
    return [
        (case, parameter, site, coordinate)
        for (case, parameter, site), (_sheet, coordinate) in layout.parameter_cells.items()
        if parameter in LIVE_PARAMETERS
    ]


def test_the_highlighted_inputs_are_exactly_the_cells_formulas_read(base_result, doubled_result):
    """Every Inputs cell a formula reads (by reference or defined name) is highlighted and
    unlocked; every other Inputs value is grey and locked; every sheet is protected without a
    password."""
    import re

    workbook, layout = build_workbook([base_result, doubled_result])
    inputs = workbook["Inputs"]
    names = {
        name: next(iter(definition.destinations))[1].replace("$", "")
        for name, definition in workbook.defined_names.items()
    }
    read = set()
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type != "f":
                    continue
                read |= {
                    m.replace("$", "") for m in re.findall(r"Inputs'?!(\$?D\$?\d+)", cell.value)
                }
                read |= {names[n] for n in names if re.search(rf"\b{n}\b", cell.value)}
    highlighted = {
        f"D{row}"
        for row in range(5, inputs.max_row + 1)
        if inputs[f"D{row}"].fill.fgColor.rgb.endswith("FFF2CC")
    }
    assert highlighted == read == {cell[3] for cell in live_input_cells(layout)}
    for row in range(5, inputs.max_row + 1):
        cell = inputs[f"D{row}"]
        assert cell.protection.locked == (cell.coordinate not in highlighted)
        if cell.coordinate not in highlighted:
            assert cell.fill.fgColor.rgb.endswith("EDEDED")
    for sheet in workbook.worksheets:
        assert sheet.protection.sheet and not sheet.protection.password
    # 26 live parameters: 7 per case, 19 per site (base: one site; doubled: two).
    assert len(highlighted) == (7 + 19) + (7 + 2 * 19)


def _replace_value(source: Path, target: Path, part: str, coordinate: str, value: float) -> None:
    """Copy an .xlsx file with one number cell of one worksheet changed (no openpyxl round trip)."""
    import re
    import zipfile

    pattern = re.compile(rf'(<c r="{coordinate}"[^>]*>)<v>[^<]*</v>')
    with zipfile.ZipFile(source) as reading, zipfile.ZipFile(target, "w") as writing:
        for info in reading.infolist():
            data = reading.read(info.filename)
            if info.filename == part:
                text, count = pattern.subn(rf"\g<1><v>{value!r}</v>", data.decode("utf-8"))
                assert count == 1, (part, coordinate)
                data = text.encode("utf-8")
            writing.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED)


def _numbers(path: Path, sheet: str, coordinates) -> dict[str, float]:
    """Cached numbers of some cells of one sheet, read from the file's XML."""
    import re
    import zipfile

    from tecmodel.report.excel.stored_values import _sheet_parts

    with zipfile.ZipFile(path) as archive:
        xml = archive.read(_sheet_parts(path)[sheet]).decode("utf-8")
    found = {}
    for coordinate in coordinates:
        match = re.search(rf'<c r="{coordinate}"[^>]*>(?:<f[^>]*>[^<]*</f>)?<v>([^<]*)</v>', xml)
        found[coordinate] = float(match.group(1))
    return found


def _changed_value(parameter: str, value: float) -> float:
    """A new value of a live input: 10 % more (0.01 more where the case has 0), in its bounds."""
    new = value * 1.1 if value else 0.01
    return min(new, REGISTRY[parameter].bounds[1])


@pytest.mark.slow
@pytest.mark.libreoffice
def test_changing_any_highlighted_input_moves_npv_as_evaluate_does(
    tmp_path, base_result, doubled_result
):
    """One workbook per highlighted input cell, that cell alone changed by 10 %, recalculated by
    LibreOffice in one call; every NPV of the Metrics sheet (each site and the portfolio)
    equals ``tecmodel.evaluate`` with that one override, all overrides evaluated at once along
    ``sample``, to a relative 1e-9."""
    from tecmodel.report.excel.stored_values import _sheet_parts

    executable = soffice()
    files, plans = [], []
    for result in (base_result, doubled_result):
        workbook, layout = build_workbook(result)
        written = tmp_path / f"{result.case.name}.xlsx"
        workbook.save(written)
        part = _sheet_parts(written)["Inputs"]
        # The escalation of an energy price that follows a process stays 0 (a cross-field rule).
        cells = [
            cell
            for cell in live_input_cells(layout)
            if not (
                cell[1] == "power.market_escalation"
                and result.case.markets.binding("power.market_price") is not None
            )
        ]
        npv_cells = {
            check.site: coordinate
            for (sheet, coordinate), check in layout.checks.items()
            if sheet == "Metrics" and check.key == ("metric", "npv")
        }
        overrides, structural = {}, {}
        for index, (_case, parameter, site, coordinate) in enumerate(cells):
            base = result.parameters[parameter]
            at_site = base.sel(site=site) if site else base
            # a quantity on a price path shows its first-year value (the path keeps its shape)
            first = at_site.isel(year=0) if "year" in base.dims else at_site
            new = _changed_value(parameter, float(first))
            path = tmp_path / f"{result.case.name}_{index}.xlsx"
            _replace_value(written, path, part, coordinate, new)
            files.append(path)
            if not REGISTRY[parameter].samplable:  # may not vary along sample: its own run
                structural[index] = {parameter: new if site is None else {site: new}}
                continue
            if parameter not in overrides:
                overrides[parameter] = base.expand_dims(sample=len(cells)).copy()
            changed = at_site * (new / float(first)) if "year" in base.dims else new
            if site is None:
                overrides[parameter][index] = changed
            else:
                overrides[parameter].loc[{"sample": index, "site": site}] = changed
        plans.append((result, files[-len(cells) :], npv_cells, overrides, structural))
    recalculate_with_libreoffice(files, tmp_path / "out", tmp_path / "profile", soffice=executable)
    moved = 0
    for result, paths, npv_cells, overrides, structural in plans:
        sampled_result = tecmodel.evaluate(result.case, overrides=overrides)
        sampled = join_portfolio(sampled_result.metrics, sampled_result.portfolio)["npv"]
        base = float(result.portfolio["npv"])
        for index, path in enumerate(paths):
            if index in structural:
                moved_result = tecmodel.evaluate(result.case, overrides=structural[index])
                expected = join_portfolio(moved_result.metrics, moved_result.portfolio)["npv"]
            else:
                expected = sampled.isel(sample=index)
            got = _numbers(tmp_path / "out" / path.name, "Metrics", npv_cells.values())
            for owner, coordinate in npv_cells.items():
                want = float(expected.sel(site=owner))
                assert got[coordinate] == pytest.approx(want, rel=RTOL), (path.name, owner)
            moved += abs(float(expected.sel(site=PORTFOLIO)) - base) > 1e6
    print(f"\n{len(files)} workbooks, one input changed in each; {moved} moved NPV by > EUR 1 M")
    # every highlighted input (the lock-up ratio among the case's) but the escalation of the
    # process-driven energy price (per site)
    assert len(files) == (7 + 18) + (7 + 2 * 18)


def _attribution(values: dict, correlation: str, kind: str):
    """A Sobol' (kind "sobol") or Shapley dataset of NPV (portfolio) with the given indices."""
    import xarray as xr

    factors = list(values)
    dims = ("factor", "metric", "site")
    coords = {"factor": factors, "metric": ["npv"], "site": [PORTFOLIO]}

    def array(numbers):
        return xr.DataArray(np.reshape(numbers, (len(factors), 1, 1)), dims=dims, coords=coords)

    if kind == "sobol":
        variables = {
            "S1": array([v[0] for v in values.values()]),
            "ST": array([v[1] for v in values.values()]),
            "S1_conf": array([0.02] * len(factors)),
            "ST_conf": array([0.02] * len(factors)),
        }
        return xr.Dataset(variables, attrs={"case": "base_10b"})
    variables = {
        "shapley_index": array([v[2] for v in values.values()]),
        "shapley_index_conf": array([0.02] * len(factors)),
    }
    return xr.Dataset(variables, attrs={"case": "base_10b", "correlation": correlation})


def test_the_sentence_beside_sobol_and_shapley_is_computed_from_their_numbers():
    """Outside [S1, ST] by more than the confidence with correlated inputs: they differ because
    Sobol' drops the rank correlations; inside, or independent inputs: they agree. The numbers
    are made up to sit clearly on either side of the rule."""
    from tecmodel.report.uncertainty import attribution_sentence

    correlated = json.dumps(
        {"columns": ["chip_cost", "gpu_price"], "spearman": [[1.0, 0.5], [0.5, 1.0]]}
    )
    differ = {"chip_cost": (0.58, 0.57, 0.70), "gpu_price": (0.36, 0.36, 0.24)}
    text = attribution_sentence(
        _attribution(differ, "", "sobol"),
        _attribution(differ, correlated, "shapley"),
        "npv",
        PORTFOLIO,
    )
    assert text.startswith("Shapley and Sobol' differ for NPV (portfolio)")
    assert "chip_cost 0.70 against S1 0.58 and ST 0.57" in text
    assert "chip_cost and gpu_price (+0.50)" in text and "drop those correlations" in text
    agree = {"chip_cost": (0.58, 0.60, 0.59), "gpu_price": (0.36, 0.38, 0.37)}
    independent = "independent (the case correlates none of the chosen factors)"
    text = attribution_sentence(
        _attribution(agree, "", "sobol"),
        _attribution(agree, independent, "shapley"),
        "npv",
        PORTFOLIO,
    )
    assert text.startswith(
        "Shapley and Sobol' agree for NPV (portfolio): the factors are independent"
    )
    assert "Both rank chip_cost first" in text


def test_the_sensitivity_sheet_puts_shapley_beside_sobol_of_the_same_factors(
    base_case, base_result
):
    """Small real studies of the EUR 10B case on chip cost, GPU-hour price (rank-correlated 0.5 in
    the case) and utilisation: the sheet's table holds each method's numbers for each factor,
    as shares (not percents), and the sentence above it is the one computed from them."""
    from tecmodel.report.excel.sensitivity_sheet import FORMAT_INDEX
    from tecmodel.report.uncertainty import attribution_sentence

    factors = ["chip_cost", "revenue.gpu_hour_price", "utilisation"]
    sobol = tecmodel.sobol(base_case, factors=factors, n=2**6, seed=1)
    shapley = tecmodel.shapley(base_case, factors=factors, n=64, seed=1)
    workbook, _ = build_workbook(base_result, sensitivity=sobol, shapley=shapley)
    sheet = workbook["Sensitivity"]
    header = next(r for r in range(1, 40) if sheet[f"D{r}"].value == "Shapley share")
    for row in range(header + 1, header + 1 + len(factors)):
        factor = sheet[f"A{row}"].value
        point = {"factor": factor, "metric": "npv", "site": PORTFOLIO}
        assert sheet[f"B{row}"].value == pytest.approx(float(sobol["S1"].sel(point)))
        assert sheet[f"D{row}"].value == pytest.approx(float(shapley["shapley_index"].sel(point)))
        assert sheet[f"D{row}"].number_format == FORMAT_INDEX
    sentence = attribution_sentence(sobol, shapley, "npv", PORTFOLIO)
    texts = [sheet[f"A{r}"].value for r in range(1, header)]
    assert sentence in texts and "rank-correlates chip_cost and revenue.gpu_hour_price" in sentence
    assert len(sheet._charts[0].series) == 3


def test_the_what_if_sheet_shows_each_named_scenario_as_evaluate_gives_it(base_case, base_result):
    """Each named scenario of the EUR 10B case file: its row's NPV equals a separate
    ``tecmodel.evaluate`` with the scenario's changes as overrides; the change from the case as
    stated is their difference; the changes are written out."""
    workbook, _ = build_workbook(base_result)
    sheet = workbook["What-if scenarios"]
    header = next(r for r in range(1, sheet.max_row + 1) if sheet[f"A{r}"].value == "Scenario")
    columns = {sheet.cell(header, c).value: c for c in range(1, sheet.max_column + 1)}
    npv_column = columns[f"NPV [{METRICS['npv'].display_units}]"]
    change_column = columns[f"NPV change from base [{METRICS['npv'].display_units}]"]
    rows = {
        sheet[f"A{r}"].value: r for r in range(header + 1, header + 2 + len(base_case.scenarios))
    }
    base = float(base_result.portfolio["npv"])
    assert sheet.cell(rows["base"], npv_column).value == pytest.approx(base, rel=1e-12)
    for scenario in base_case.scenarios:
        overrides = {}
        for change in scenario.changes:
            assert change.site is None  # the bundled scenarios change every site alike
            stated = base_result.parameters[change.parameter]
            overrides[change.parameter] = (
                change.value if change.kind == "set" else stated * change.value
            )
        expected = float(tecmodel.evaluate(base_case, overrides=overrides).portfolio["npv"])
        row = rows[scenario.name]
        assert sheet.cell(row, npv_column).value == pytest.approx(expected, rel=1e-9)
        assert sheet.cell(row, change_column).value == pytest.approx(expected - base, rel=1e-9)
        assert scenario.changes[0].parameter in sheet[f"C{row}"].value


def test_every_sheet_has_a_print_setup(base_result, doubled_result):
    workbook, _ = build_workbook(
        [base_result, doubled_result], tornado=tornado_dataset(base_result)
    )
    for sheet in workbook.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage, sheet.title
        assert sheet.page_setup.fitToHeight == 0 and sheet.page_setup.fitToWidth in (1, 2)
        assert sheet.print_title_rows and sheet.print_area, sheet.title
    site = workbook["base_10b fluidstack_fr"]
    assert site.print_title_rows == "$1:$4" and site.print_title_cols == "$A:$B"


#: Most pages LibreOffice may print the two bundled cases' workbook on (with the Sobol',
#: tornado and Monte Carlo sheets): 56 measured when the bound was set; the bound leaves room
#: for a few more metrics or line items, and fails if a sheet falls back to the default page
#: setup (257 pages before the print setup).
MAX_PDF_PAGES = 70


@pytest.mark.libreoffice
def test_the_workbook_prints_on_a_bounded_number_of_pages(tmp_path, base_result, doubled_result):
    import re

    executable = soffice()
    results = [base_result, doubled_result]
    workbook, _ = build_workbook(
        results,
        sensitivity=[sobol_dataset(result) for result in results],
        tornado=[tornado_dataset(result) for result in results],
        monte_carlo=[monte_carlo_result(result) for result in results],
    )
    workbook.save(tmp_path / "report.xlsx")
    [pdf] = recalculate_with_libreoffice(
        [tmp_path / "report.xlsx"],
        tmp_path / "pdf",
        tmp_path / "profile",
        soffice=executable,
        convert_to="pdf",
    )
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    print(f"\n{pages} pages for {len(workbook.sheetnames)} sheets")
    assert len(workbook.sheetnames) <= pages <= MAX_PDF_PAGES


def test_the_portfolio_tornado_shows_each_sites_input_range(doubled_result):
    """The doubled case's accelerator prices differ by site: the portfolio's tornado row gives
    both sites' low, base and high values (made-up inputs: site 2 at twice site 1's)."""
    import xarray as xr

    dataset = tornado_dataset(doubled_result)
    sites = list(doubled_result.case.site_names)
    factors = [str(f) for f in dataset["factor"].values]
    for name, value in (
        ("input_low", 50_000.0),
        ("input_base", 55_000.0),
        ("input_high", 62_000.0),
    ):
        array = xr.DataArray(
            np.full((len(factors), 3), np.nan),
            dims=("factor", "site"),
            coords={"factor": factors, "site": [*sites, PORTFOLIO]},
        )
        array.loc[{"factor": "chip_cost", "site": sites[0]}] = value
        array.loc[{"factor": "chip_cost", "site": sites[1]}] = 2 * value
        dataset[name] = array
    workbook, _ = build_workbook(doubled_result, tornado=dataset)
    sheet = workbook["Sensitivity"]
    row = next(r for r in range(1, sheet.max_row + 1) if sheet[f"A{r}"].value == "chip_cost")
    assert sheet[f"B{row}"].value == "50,000 | 100,000"
    assert sheet[f"D{row}"].value == "62,000 | 124,000"
    assert sheet[f"E{row}"].value.endswith(f"({sites[0]} | {sites[1]})")
