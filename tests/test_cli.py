"""The `tecmodel` command: outputs, exit codes, and one clear message (never a traceback) on bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
import xarray as xr

from tecmodel.cli.main import main
from tecmodel.model.outputs import METRICS

from .conftest import BASE_FILE, TOY_FILE


def test_run_writes_cube_metrics_budget_and_manifest(tmp_path, capsys, toy_result):
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--report"]) == 0
    printed = capsys.readouterr().out
    assert "npv [EUR M]" in printed and "What the budget buys" in printed
    folder = tmp_path / "toy"
    assert sorted(p.name for p in folder.iterdir()) == [
        "budget.csv",
        "cashflow.nc",
        "generations.csv",
        "manifest.json",
        "metrics.csv",
        "sources_and_uses.csv",
    ]
    table = pd.read_csv(folder / "sources_and_uses.csv", index_col=0)
    # EUR to the cent, balanced: total sources = total uses (sources_and_uses.csv)
    assert table.loc["sources: total_sources", "toy"] == table.loc["uses: total_uses", "toy"]
    generations = pd.read_csv(folder / "generations.csv", index_col=[0, 1])
    # EUR millions to one decimal, as metrics.csv
    assert generations.loc[(1, "generation_npv [EUR M]"), "toy"] == pytest.approx(
        float(toy_result.metrics["generation_npv"].sel(site="toy", generation=1)) / 1e6, abs=0.05
    )
    with xr.open_dataset(folder / "cashflow.nc") as stored:
        xr.testing.assert_allclose(
            stored["cash_flow"].load().drop_vars("taxable"), toy_result.cube.drop_vars("taxable")
        )
        assert stored["cash_flow"].attrs["units"] == "EUR"
    metrics = pd.read_csv(folder / "metrics.csv", index_col=0)
    # EUR millions to one decimal (the display format of npv in tecmodel/model/outputs.py)
    assert metrics.loc["npv [EUR M]", "toy"] == pytest.approx(
        float(toy_result.metrics["npv"].sel(site="toy")) / 1e6, abs=0.05
    )
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["cases"][0]["sha256"] == toy_result.case.sha256
    assert "manifest.json" in manifest["files"]
    assert (tmp_path / "report.xlsx").stat().st_size > 0
    assert sorted(p.name for p in (tmp_path / "plots").iterdir()) == [
        "cumulative_dcf.png",
        "scenarios.png",
        "waterfall_toy.png",
    ]


def run_ids(out) -> dict[str, str]:
    """The run id each output of `tecmodel run` carries: case manifest, workbook Cover, PNG metadata."""
    import openpyxl
    from PIL import Image

    ids = {"manifest.json": json.loads((out / "toy" / "manifest.json").read_text())["run_id"]}
    cover = openpyxl.load_workbook(out / "report.xlsx")["Cover"]
    ids["report.xlsx"] = next(row[1].value for row in cover.iter_rows() if row[0].value == "Run id")
    for png in sorted((out / "plots").iterdir()):
        with Image.open(png) as image:
            ids[png.name] = image.text["Source"].removeprefix("tecmodel run ")
    return ids


def test_second_run_replaces_the_folder_consistently(tmp_path):
    folder = tmp_path / "toy"
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--quiet", "--report"]) == 0
    (folder / "stale.txt").write_text("from an older run")
    first = json.loads((folder / "manifest.json").read_text())["created_utc"]
    first_ids = run_ids(tmp_path)
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--quiet", "--report"]) == 0
    assert not (folder / "stale.txt").exists()
    assert json.loads((folder / "manifest.json").read_text())["created_utc"] >= first
    # no temporary folders or files left; the report and the figures of the run beside the case
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots", "report.xlsx", "toy"]
    # every file says which run wrote it: one id for all outputs of a run, a new one per run
    second_ids = run_ids(tmp_path)
    assert len(set(first_ids.values())) == len(set(second_ids.values())) == 1, (
        first_ids,
        second_ids,
    )
    assert first_ids.keys() == second_ids.keys() and set(first_ids.values()) != set(
        second_ids.values()
    )


def test_run_without_report_writes_the_results_only(tmp_path):
    """The workbook and the figures are asked for (`--report`, or `tecmodel report`)."""
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--quiet"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["toy"]


def test_validate(capsys):
    assert main(["validate", str(BASE_FILE)]) == 0
    assert "OK" in capsys.readouterr().out


def test_bad_case_exits_2_with_one_message(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        TOY_FILE.read_text().replace("market_price: {value: 100,", "market_price: {value: -5,")
    )
    assert main(["validate", str(path)]) == 2
    error = capsys.readouterr().err
    assert (
        error.startswith("error: ")
        and str(path) in error
        and "sites[0].power.market_price" in error
    )
    assert "Traceback" not in error


def test_output_folder_whose_parent_is_missing(tmp_path, capsys):
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path / "missing" / "out")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_output_folder_that_is_a_file_or_under_a_file(tmp_path, capsys):
    """A results folder that is a file, or inside one, cannot be written: exit 2, and the file
    is left as it was."""
    blocker = tmp_path / "results"
    blocker.write_text("keep me")
    assert main(["run", str(TOY_FILE), "--out", str(blocker)]) == 2
    assert "is a file" in capsys.readouterr().err
    assert main(["run", str(TOY_FILE), "--out", str(blocker / "inside")]) == 2
    assert "cannot be created" in capsys.readouterr().err
    assert blocker.read_text() == "keep me"


def test_unknown_option_exits_2(capsys):
    assert main(["run", "--bogus"]) == 2
    assert "unrecognized arguments" in capsys.readouterr().err


def test_console_script_never_prints_a_traceback(tmp_path):
    """The installed entry point, in a fresh process, on an empty file."""
    path = tmp_path / "empty.yaml"
    path.write_text("")
    completed = subprocess.run(
        [sys.executable, "-m", "tecmodel", "validate", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 2
    assert "is empty" in completed.stderr and "Traceback" not in completed.stderr


def test_report_with_sensitivity_and_monte_carlo(tmp_path, capsys):
    """`tecmodel report --sobol N --shapley N --montecarlo N` fills the workbook's Sensitivity
    and Monte Carlo sheets (small sizes here; `make run` uses 4096, 2048 and 100,000)."""
    import openpyxl

    xlsx = tmp_path / "report.xlsx"
    assert (
        main(
            [
                "report",
                str(BASE_FILE),
                "--xlsx",
                str(xlsx),
                "--sobol",
                "64",
                "--shapley",
                "64",
                "--montecarlo",
                "2048",
                "--quiet",
            ]
        )
        == 0
    )
    workbook = openpyxl.load_workbook(xlsx)
    sensitivity = [
        cell.value for row in workbook["Sensitivity"].iter_rows(max_row=12) for cell in row
    ]
    assert "Shapley share" in sensitivity  # --shapley puts the effects beside S1 and ST
    monte_carlo = [
        cell.value for row in workbook["Monte Carlo"].iter_rows(max_row=12) for cell in row
    ]
    assert "S1" in sensitivity and "chip_cost" in sensitivity
    assert "prob_negative" in monte_carlo or any("n = 2048" in str(value) for value in monte_carlo)


def test_undefined_irr_is_shown_with_its_reason(tmp_path, capsys):
    """A campus that sells nothing (GPU-hour prices 0, no residual or resale value) has only
    outflows: its IRR is undefined, "no sign change in the cash flows" (tecmodel/irr.py status 1).
    `tecmodel run` prints the reason beside a '-' IRR, the workbook's Metrics sheet says it next
    to the "undefined" cell, and the figures are still drawn."""
    import openpyxl

    text = TOY_FILE.read_text()
    for old, new in (
        ("gpu_hour_price: {value: 2.0,", "gpu_hour_price: {value: 0,"),
        ("contract_price: {value: 1.5,", "contract_price: {value: 0,"),
        ("method: {value: liquidation,", "method: {value: none,"),
        ("resale_share: {value: 10,", "resale_share: {value: 0,"),
    ):
        assert old in text
        text = text.replace(old, new)
    path = tmp_path / "no_revenue.yaml"
    path.write_text(text)
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--report"]) == 0
    printed = capsys.readouterr().out
    irr_row = next(line for line in printed.splitlines() if line.startswith("irr [%]"))
    status_row = next(line for line in printed.splitlines() if line.startswith("irr status"))
    assert irr_row.split()[2:] == ["-", "-"]
    assert status_row.count("no sign change in the cash flows") == 2
    metrics = openpyxl.load_workbook(tmp_path / "out" / "report.xlsx")["Metrics"]
    rows = [
        [cell.value for cell in row]
        for row in metrics.iter_rows()
        if row[2].value == METRICS["irr"].label
    ]
    assert len(rows) == 2  # the site and the portfolio
    for row in rows:
        assert (
            row[5] == "undefined"
            and row[7] == "IRR undefined: no sign change in the cash flows (model status 1)"
        )
    assert (tmp_path / "out" / "plots" / "scenarios.png").stat().st_size > 0
