"""Readable results: one rule for the numbers of Result.summary(), the terminal tables,
metrics.csv, budget.csv and inputs_table (display units in the headers, whole years and
accelerators, sensible significant figures, statuses with their meanings), and the HTML view
of a result in Jupyter."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import tecmodel
from tecmodel.cli.main import main
from tecmodel.model.tables import metric_value, quantity_frame, readable_number, significant

from .conftest import TOY_FILE


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (1884.5598, 4, 1885.0),  # by hand: four significant figures
        (0.0012345, 3, 0.00123),
        (-2.0e9, 2, -2.0e9),
        (0.0, 4, 0.0),
    ],
)
def test_significant_figures(value, digits, expected):
    assert significant(value, digits) == expected


def test_whole_quantities_are_ints_and_small_values_keep_their_figures():
    assert readable_number(140540.54, whole=True) == 140541
    assert readable_number(0.043218, 1) == 0.0432  # 0.0 at one decimal would hide the value
    assert readable_number(27745.99456840002) == 27746  # six significant figures
    assert metric_value("payback_year", 2038.0) == 2038
    assert metric_value("npv", 1_884_559_812.4) == 1884.6  # EUR M, one decimal
    assert metric_value("irr", 0.1226024) == 12.26  # percent, two decimals
    assert metric_value("financing_status", 4) == "4: debt at horizon"
    assert metric_value("irr_status", 1) == "1: no sign change in the cash flows"


def test_summary_reads_in_display_units(base_result):
    table = base_result.summary()
    npv = float(base_result.portfolio["npv"])
    assert table.loc["npv [EUR M]", "portfolio"] == pytest.approx(npv / 1e6, abs=0.05)
    for row in ("payback_year", "discounted_payback_year", "accelerators", "min_dscr_year"):
        # a year that never comes (a discounted payback of a loss-making case) stays NaN
        stored = base_result.metrics[row].values
        assert all(
            isinstance(value, int) or (np.isnan(value) and np.isnan(stored).any())
            for value in table.loc[row]
        ), row
    assert table.loc["irr status", "portfolio"] == "0: ok"
    # pandas prints each value as it is: no exponent, no thousands separator inside a year
    printed = table.to_string()
    assert "e+" not in printed and "2,03" not in printed


def test_inputs_table_shows_years_as_years(base_case):
    table = tecmodel.inputs_table(base_case)
    start = table.loc[table.parameter == "model.start_year", "value"].item()
    assert start == 2025 and isinstance(start, int)  # inputs/base_10b.yaml: start 2025
    assert "e+03" not in table.to_string()


def test_metrics_and_budget_csv_have_units_and_no_float_noise(tmp_path, capsys):
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path), "--quiet"]) == 0
    metrics_text = (tmp_path / "toy" / "metrics.csv").read_text()
    metrics = pd.read_csv(tmp_path / "toy" / "metrics.csv", index_col=0)
    budget = pd.read_csv(tmp_path / "toy" / "budget.csv", index_col=0)
    # the site columns stay numbers; the statuses' codes are explained beside them
    assert pd.api.types.is_numeric_dtype(metrics["toy"])
    assert "0 = ok; 1 = no sign change in the cash flows" in metrics.loc["irr status", "definition"]
    assert metrics.loc["accelerators", "toy"] == int(metrics.loc["accelerators", "toy"])
    for line in metrics_text.splitlines()[1:]:
        for cell in line.split(",")[1:]:
            digits = cell.split(".")[-1] if "." in cell else ""
            assert not digits.isdigit() or len(digits) <= 6, line
    assert all(label.endswith("]") for label in budget.index), list(budget.index)
    assert any(label.endswith("[EUR M]") for label in budget.index)


def test_budget_frame_counts_are_whole(base_result):
    frame = quantity_frame(base_result.budget)
    row = frame.loc["modelled_accelerators [accelerator]"]
    assert all(isinstance(value, int) for value in row)


def test_result_html_for_jupyter(base_result):
    page = base_result._repr_html_()
    assert page.startswith("<h4>base_10b: ")
    assert "Discount rate 9.00 %/yr" in page  # inputs/base_10b.yaml
    assert "<table" in page and "npv [EUR M]" in page and "What the budget buys" in page


def test_montecarlo_summary_csv_and_xlsx(tmp_path, capsys):
    """`--summary-csv` and `--xlsx` hold the terminal's statistics, in display units."""
    import openpyxl

    from tecmodel.analysis.montecarlo.study import monte_carlo
    from tecmodel.report.montecarlo_files import SUMMARY_COLUMNS

    csv, xlsx = tmp_path / "summary.csv", tmp_path / "summary.xlsx"
    argv = ["montecarlo", "base_10b", "-n", "512", "--out", str(tmp_path), "--no-progress"]
    assert main([*argv, "--summary-csv", str(csv), "--xlsx", str(xlsx)]) == 0
    table = pd.read_csv(csv)
    assert list(table.columns) == list(SUMMARY_COLUMNS)
    # the same study from the API: the mean NPV in EUR millions at six significant figures
    study = monte_carlo(tecmodel.load_case("base_10b"), n=512, seed=0, progress=False)
    mean = float(study.portfolio_summary["value"].sel(statistic="mean", metric="npv"))
    row = table[(table.site == "portfolio") & (table.metric == "npv") & (table.statistic == "mean")]
    assert row.unit.item() == "EUR M" and row.value.item() == pytest.approx(mean / 1e6, rel=1e-5)
    probability = table[(table.metric == "npv") & (table.statistic == "prob_negative")]
    assert set(probability.unit) == {"%"}
    workbook = openpyxl.load_workbook(xlsx)
    assert workbook.sheetnames == ["Summary", "Studies"]
    assert [cell.value for cell in workbook["Summary"][1]] == list(SUMMARY_COLUMNS)
    assert workbook["Studies"]["B2"].value == 512  # n


def test_summary_file_with_a_wrong_suffix_is_refused_before_any_work(tmp_path, capsys):
    argv = ["montecarlo", "base_10b", "-n", "512", "--out", str(tmp_path / "out")]
    assert main([*argv, "--xlsx", str(tmp_path / "summary.csv")]) == 2
    assert "expected a file name ending in .xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_resumed_study_says_how_many_samples_it_resumed(tmp_path, capsys):
    store = tmp_path / "study.zarr"
    argv = ["montecarlo", "base_10b", "-n", "1024", "--block-size", "512", "--out", str(tmp_path)]
    assert main([*argv, "--store", str(store), "--no-progress"]) == 0
    assert "of them resumed" not in capsys.readouterr().out
    assert main([*argv, "--store", str(store), "--no-progress"]) == 0
    assert f"(1,024 of them resumed from {store})" in capsys.readouterr().out


def test_progress_bar_names_the_resumed_samples(capsys):
    from tecmodel.analysis.montecarlo.execution import progress_bar

    bar = progress_bar(100, True, "base_10b", resumed=2048)
    bar.update(100)
    bar.close()
    assert "montecarlo base_10b (2,048 resumed)" in capsys.readouterr().err


def test_every_netcdf_coordinate_is_described(tmp_path, capsys):
    """Each coordinate of every netCDF file the command writes has a long_name, and a number
    (a year, a sample) has units."""
    import xarray as xr

    out = str(tmp_path)
    assert main(["run", "doubled_20b", "--out", out, "--quiet"]) == 0
    assert main(["montecarlo", "base_10b", "-n", "256", "--out", out, "--quiet"]) == 0
    assert main(["tornado", "base_10b", "--out", out, "--quiet"]) == 0
    assert main(["sobol", "base_10b", "-n", "64", "--out", out, "--quiet"]) == 0
    files = sorted(tmp_path.rglob("*.nc"))
    assert len(files) == 5
    for path in files:
        with xr.open_dataset(path) as stored:
            for name, coordinate in stored.coords.items():
                assert coordinate.attrs.get("long_name"), (path.name, name)
                if coordinate.dtype.kind in "iuf":
                    assert coordinate.attrs.get("units"), (path.name, name)
            if "year" in stored.coords:
                assert stored["year"].attrs["units"] == "year"
                assert stored["year"].dtype.kind == "i"  # a label, not decoded as a time


def test_compilation_note_when_a_kernel_is_not_in_the_cache(tmp_path, monkeypatch):
    """A kernel whose cache index is missing (a function defined in a fresh file) needs a
    compilation; the package's kernels, compiled by the tests that ran before, do not."""
    from tecmodel.cli import compilation

    tecmodel.evaluate(tecmodel.load_case(TOY_FILE))  # compiles or loads every kernel
    assert compilation.kernels_cached()
    source = tmp_path / "fresh_kernel.py"
    source.write_text("def fresh(x):\n    return x\n")
    namespace: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert not compilation.kernels_cached([namespace["fresh"]])
    assert compilation.cache_index_name(namespace["fresh"]).startswith("fresh_kernel.fresh-1.py")


def test_probability_of_a_negative_value_only_where_the_sign_is_a_finding(tmp_path, capsys):
    argv = ["montecarlo", "base_10b", "-n", "256", "--out", str(tmp_path), "--no-progress"]
    csv = tmp_path / "summary.csv"
    assert main([*argv, "--summary-csv", str(csv)]) == 0
    printed = capsys.readouterr().out
    row = next(line for line in printed.splitlines() if line.startswith("prob_negative"))
    # npv and irr with an interval; lcoc and payback_year as '-' (the columns' order of the table)
    assert row.split("]")[2].split()[0] == "-"
    table = pd.read_csv(csv)
    negative = table[table.statistic == "prob_negative"]
    assert set(negative.metric) == {"npv", "irr", "equity_npv", "equity_irr"}


def test_run_explains_the_rows_whose_name_does_not(tmp_path, capsys):
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert (
        "capex_total: Gross capex over the horizon (initial build, accelerator refreshes" in printed
    )
    assert "breakeven_price_factor: Factor on every GPU-hour price" in printed
