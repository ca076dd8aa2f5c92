"""The standard figures: drawn from the results, labelled with units, written atomically as PNG."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from tecmodel import plots
from tecmodel.finance import PORTFOLIO

from .contract_data import monte_carlo_result, sobol_dataset, tornado_dataset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def labelled(figure) -> None:
    """Every panel has a title and both axis labels, and the y label states a unit in brackets."""
    for axes in figure.axes:
        assert axes.get_title() and axes.get_xlabel() and axes.get_ylabel()
        assert "[" in axes.get_ylabel() or axes.get_ylabel() in ("Samples", "Factor")


def test_waterfall_steps_add_up_to_the_npv(doubled_result):
    """The bars are present values of groups of cube items: the groups cover every item of the
    unlevered cash flow once (not the financing rows), so the last bar (the NPV) is where the
    steps end."""
    covered = [item for _label, items in plots.WATERFALL_STEPS for item in items]
    cube = doubled_result.cube
    assert sorted(covered) == sorted(cube["item"].values[cube["category"].values != "financing"].tolist())
    values = plots._present_values(doubled_result, PORTFOLIO)
    assert float(values.sum()) == pytest.approx(
        float(doubled_result.metrics["npv"].sel(site=PORTFOLIO)), rel=1e-12
    )
    figure = plots.cash_flow_waterfall(doubled_result)
    labelled(figure)
    axes = figure.axes[0]
    assert [tick.get_text() for tick in axes.get_xticklabels()][-1] == "NPV"
    npv_bar = axes.patches[-1]
    assert npv_bar.get_height() == pytest.approx(
        float(doubled_result.metrics["npv"].sel(site=PORTFOLIO)) / 1e9
    )


def test_cumulative_discounted_cash_flow_ends_at_the_npv(base_result, doubled_result):
    figure = plots.cumulative_discounted_cash_flow([base_result, doubled_result])
    labelled(figure)
    lines = figure.axes[0].get_lines()
    ends = {
        line.get_label().split(" ")[0]: line.get_ydata()[-1]
        for line in lines
        if "(NPV" in line.get_label()
    }
    for result in (base_result, doubled_result):
        assert ends[result.case.name] == pytest.approx(
            float(result.metrics["npv"].sel(site=PORTFOLIO)) / 1e9
        )


def test_sensitivity_and_monte_carlo_figures(doubled_result):
    sobol = sobol_dataset(doubled_result)
    figure = plots.sobol_bars(sobol)
    labelled(figure)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    expected = np.concatenate(
        [
            sobol["S1"].sel(metric="npv", site=PORTFOLIO).values,
            sobol["ST"].sel(metric="npv", site=PORTFOLIO).values,
        ]
    )
    np.testing.assert_allclose(heights, expected)
    labelled(plots.tornado_chart(tornado_dataset(doubled_result)))
    monte_carlo = monte_carlo_result(doubled_result)
    figure = plots.npv_distribution(monte_carlo)
    labelled(figure)
    npv = monte_carlo.samples["npv"].sel(site=PORTFOLIO).values / 1e9
    marked = sorted({line.get_xdata()[0] for line in figure.axes[1].get_lines()[1:]} - {0.0})
    np.testing.assert_allclose(marked, np.percentile(npv, [10, 50, 90]))


def test_scenario_comparison_labels_every_panel(base_result, doubled_result):
    figure = plots.scenario_comparison([base_result, doubled_result])
    labelled(figure)
    assert len(figure.axes) == 4


def test_write_standard_plots_writes_png_files_in_a_swapped_folder(
    tmp_path, base_result, doubled_result
):
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "stale.png").write_bytes(b"old")
    files = plots.write_standard_plots(
        [base_result, doubled_result],
        folder,
        sensitivity=sobol_dataset(base_result),
        tornado=tornado_dataset(base_result),
        monte_carlo=monte_carlo_result(base_result),
    )
    assert (
        sorted(path.name for path in folder.iterdir())
        == sorted(path.name for path in files)
        == [
            "cumulative_dcf.png",
            "npv_distribution_base_10b.png",
            "scenarios.png",
            "sobol_base_10b.png",
            "tornado_base_10b.png",
            "waterfall_base_10b.png",
            "waterfall_doubled_20b.png",
        ]
    )
    for path in files:
        assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots"]  # no temporary folder left


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess

    code = (
        "import sys, tecmodel, tecmodel.plots; "
        "print('matplotlib' in sys.modules, 'openpyxl' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False False"
