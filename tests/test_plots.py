"""The standard figures: drawn from the results, labelled with units, written atomically as PNG."""

from __future__ import annotations

import itertools
import sys

import numpy as np
import pytest
import xarray as xr
from matplotlib.colors import to_hex

from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import METRICS
from tecmodel.report import figures
from tecmodel.report.figures.cash_flows import WATERFALL_STEPS, present_values
from tecmodel.report.labels import BETTER_COLOUR, WORSE_COLOUR

from .contract_data import MonteCarloResult, monte_carlo_result, sobol_dataset, tornado_dataset

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def labelled(figure) -> None:
    """Every panel has a title and both axis labels, and the y label states a unit in brackets."""
    for axes in figure.axes:
        assert axes.get_title() and axes.get_xlabel() and axes.get_ylabel()
        assert "[" in axes.get_ylabel() or axes.get_ylabel() in ("Samples", "Factor")


def test_waterfall_steps_add_up_to_the_npv(doubled_result):
    """The bars are present values of groups of cube items: the groups cover every item of the
    unlevered (project) cash flow once, financing rows excluded, so the last bar (the project
    NPV) is where the steps end."""
    covered = [item for _label, items in WATERFALL_STEPS for item in items]
    cube = doubled_result.cube
    project_items = cube["item"].values[cube["category"].values != "financing"].tolist()
    assert sorted(covered) == sorted(project_items)
    values = present_values(doubled_result, PORTFOLIO).sel(item=project_items)
    assert float(values.sum()) == pytest.approx(float(doubled_result.portfolio["npv"]), rel=1e-12)
    figure = figures.cash_flow_waterfall(doubled_result)
    labelled(figure)
    axes = figure.axes[0]
    assert [tick.get_text() for tick in axes.get_xticklabels()][-1] == "NPV"
    npv_bar = axes.patches[-1]
    assert npv_bar.get_height() == pytest.approx(
        float(doubled_result.portfolio["npv"]) * METRICS["npv"].display_scale
    )


def test_cumulative_discounted_cash_flow_ends_at_the_npv(base_result, doubled_result):
    figure = figures.cumulative_discounted_cash_flow([base_result, doubled_result])
    labelled(figure)
    lines = figure.axes[0].get_lines()
    ends = {
        line.get_label().split(" ")[0]: line.get_ydata()[-1]
        for line in lines
        if "(NPV" in line.get_label()
    }
    for result in (base_result, doubled_result):
        assert ends[result.case.name] == pytest.approx(
            float(result.portfolio["npv"]) * METRICS["npv"].display_scale
        )


def test_sensitivity_and_monte_carlo_figures(doubled_result):
    sobol = sobol_dataset(doubled_result)
    figure = figures.sobol_bars(sobol)
    labelled(figure)
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    expected = np.concatenate(
        [
            sobol["S1"].sel(metric="npv", site=PORTFOLIO).values,
            sobol["ST"].sel(metric="npv", site=PORTFOLIO).values,
        ]
    )
    np.testing.assert_allclose(heights, expected)
    labelled(figures.tornado_chart(tornado_dataset(doubled_result)))
    monte_carlo = monte_carlo_result(doubled_result)
    figure = figures.npv_distribution(monte_carlo)
    labelled(figure)
    npv = monte_carlo.portfolio_samples["npv"].values * METRICS["npv"].display_scale
    marked = sorted({line.get_xdata()[0] for line in figure.axes[1].get_lines()[1:]} - {0.0})
    np.testing.assert_allclose(marked, np.percentile(npv, [10, 50, 90]))


def test_scenario_comparison_labels_every_panel(base_result, doubled_result):
    figure = figures.scenario_comparison([base_result, doubled_result])
    labelled(figure)
    assert len(figure.axes) == 4


def test_write_standard_plots_writes_png_files_in_a_swapped_folder(
    tmp_path, base_result, doubled_result
):
    folder = tmp_path / "plots"
    folder.mkdir()
    (folder / "stale.png").write_bytes(b"old")
    files = figures.write_standard_plots(
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


def test_time_resolved_and_convergence_figures_show_the_indices(doubled_case):
    """The lines are the indices themselves: ST of each year's free cash flow per factor, and
    ST at each base sample size (a real small study: the figures take what tecmodel returns)."""
    import tecmodel

    indices = tecmodel.sobol(doubled_case, n=2**4, second_order=False)
    figure = figures.sobol_over_time(indices)
    labelled(figure)
    lines = figure.axes[0].get_lines()
    assert [line.get_label() for line in lines] == ["energy_price", "utilisation", "chip_cost"]
    for line in lines:
        expected = indices["ST_fcf"].sel(site=PORTFOLIO, factor=line.get_label())
        np.testing.assert_array_equal(line.get_xdata(), expected["year"].values)
        np.testing.assert_array_equal(line.get_ydata(), expected.values)
    site = doubled_case.site_names[1]
    first_order = figures.sobol_over_time(indices, site=site, index="S1").axes[0].get_lines()[2]
    np.testing.assert_array_equal(
        first_order.get_ydata(), indices["S1_fcf"].sel(site=site, factor="chip_cost").values
    )
    with pytest.raises(ValueError, match="index must be"):
        figures.sobol_over_time(indices, index="S2")
    convergence = tecmodel.sobol_convergence(doubled_case, sizes=[2**3, 2**4])
    figure = figures.convergence_chart(convergence)
    labelled(figure)
    axes = figure.axes[0]
    assert [tick.get_text() for tick in axes.get_xticklabels()] == ["8", "16"]
    totals = {
        bars.get_label(): bars.lines[0].get_ydata() for bars in axes.containers
    }  # errorbar: ST
    assert len(totals) == 3
    for factor in convergence["factor"].values:
        np.testing.assert_array_equal(
            totals[f"{factor}: ST"],
            convergence["ST"].sel(metric="npv", site=PORTFOLIO, factor=factor).values,
        )


def test_distribution_comparison_overlays_each_study(base_result, doubled_result):
    """One CDF per study (and per site on request), rising to 1; the legend's probability of a
    negative NPV is the share of negative samples; IRR is shown in percent."""
    studies = [monte_carlo_result(base_result), monte_carlo_result(doubled_result, seed=1)]
    figure = figures.distribution_comparison(studies, include_sites=True)
    labelled(figure)
    cdf = figure.axes[1]
    lines = cdf.get_lines()[:-1]  # the last line marks NPV = 0
    assert len(lines) == 1 + 3  # base portfolio; doubled portfolio and its two sites
    for line in lines:
        assert line.get_ydata()[-1] == 1.0 and np.all(np.diff(line.get_xdata()) >= 0)
    labels = [text.get_text() for text in cdf.get_legend().get_texts()]
    npv = studies[1].portfolio_samples["npv"].values
    assert labels[1] == f"doubled_20b (P(NPV < 0) = {np.mean(npv < 0):.1%})"
    irr = figures.distribution_comparison(studies, metric="irr")
    labelled(irr)
    assert len(irr.axes[1].get_lines()) == 2 and irr.axes[1].get_xlabel() == "IRR [%]"
    base_irr = studies[0].portfolio_samples["irr"].values * METRICS["irr"].display_scale
    np.testing.assert_allclose(irr.axes[1].get_lines()[0].get_xdata(), np.sort(base_irr))


def test_importing_the_package_does_not_import_matplotlib():
    import subprocess

    code = (
        "import sys, tecmodel, tecmodel.report.figures; "
        "print('matplotlib' in sys.modules, 'openpyxl' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "False False"


def names_the_case(figure, case: str) -> bool:
    """The figure's title, or the title of each of its panels, names `case`."""
    return case in figure.get_suptitle() or all(case in axes.get_title() for axes in figure.axes)


def test_every_figure_title_names_its_case(base_result, doubled_result):
    results = [base_result, doubled_result]
    names = [result.case.name for result in results]
    studies = [monte_carlo_result(result, seed=i) for i, result in enumerate(results)]
    shown = {
        "waterfall": (figures.cash_flow_waterfall(doubled_result), names[1:]),
        "cumulative": (figures.cumulative_discounted_cash_flow(results), names),
        "scenarios": (figures.scenario_comparison(results), names),
        "sobol": (figures.sobol_bars(sobol_dataset(doubled_result)), names[1:]),
        "tornado": (figures.tornado_chart(tornado_dataset(doubled_result)), names[1:]),
        "npv": (figures.npv_distribution(studies[1]), names[1:]),
        "distributions": (figures.distribution_comparison(studies), names),
    }
    for what, (figure, cases) in shown.items():
        for case in cases:
            assert names_the_case(figure, case), (what, case)


def top_first(axes) -> list[str]:
    """The y tick labels of a horizontal bar chart as read from the top down."""
    labels = [label.get_text() for label in axes.get_yticklabels()]
    ticks = zip(axes.get_yticks(), labels, strict=True)
    return [label for _, label in sorted(ticks, reverse=not axes.yaxis_inverted())]


@pytest.mark.parametrize("metric", ["npv", "lcoc"])
def test_tornado_bars_are_sorted_coloured_by_outcome_and_in_the_axis_unit(doubled_result, metric):
    """Largest swing at the top; red marks a change for the worse (a lower NPV, a higher LCOC),
    green one for the better; the bar lengths are in the unit the axis states; the title names
    the case and the quantiles the bars end at."""
    dataset = tornado_dataset(doubled_result).isel(factor=[2, 1, 0])  # smallest swing first
    figure = figures.tornado_chart(dataset, metric=metric)
    axes = figure.axes[0]
    selected = dataset.sel(metric=metric, site=PORTFOLIO)
    swing = abs(selected["high"] - selected["low"]).to_series()
    assert top_first(axes) == list(swing.sort_values(ascending=False).index)
    title = axes.get_title()
    assert doubled_result.case.name in title and "P10" in title and "P90" in title
    shown = METRICS[metric]
    assert axes.get_xlabel().endswith(f"[{shown.display_units}]")
    assert WORSE_COLOUR == "C62828" and BETTER_COLOUR == "2E7D32"  # red worse, green better
    labels = dict(
        zip(axes.get_yticks(), (t.get_text() for t in axes.get_yticklabels()), strict=True)
    )
    bars: dict[str, list] = {}
    for patch in axes.patches:
        factor = labels[patch.get_y() + patch.get_height() / 2]
        bars.setdefault(factor, []).append((patch.get_width(), to_hex(patch.get_facecolor())))
    base = float(selected["base"])
    for factor, drawn in bars.items():
        changes = [float(selected[end].sel(factor=factor)) - base for end in ("low", "high")]
        expected = []
        for change in changes:
            worse = change < 0 if shown.direction.name == "HIGHER_IS_BETTER" else change > 0
            expected.append((change * shown.display_scale, worse))
        assert sorted(width for width, _ in drawn) == pytest.approx(sorted(w for w, _ in expected))
        for width, colour in drawn:
            worse = next(w for value, w in expected if value == pytest.approx(width))
            assert colour.upper() == "#" + (WORSE_COLOUR if worse else BETTER_COLOUR)
    assert {text.get_text() for text in axes.get_legend().get_texts()} == {
        "worse than base",
        "better than base",
    }


def marked_years(line) -> set[int]:
    """Indices of the points of a line that carry its marker."""
    every = line.get_markevery()
    n = len(line.get_xdata())
    if every is None:
        return set(range(n))
    start, step = every
    return set(range(start, n, step))


def test_no_line_of_the_cumulative_cash_flow_hides_another(base_result, doubled_result):
    """Each line has its own colour, style and marker combination; lines that coincide (the
    EUR 10B case is the first site of the doubled case) carry their markers in different years."""
    figure = figures.cumulative_discounted_cash_flow([base_result, doubled_result])
    lines = [line for line in figure.axes[0].get_lines() if not line.get_label().startswith("_")]
    looks = {
        (to_hex(line.get_color()), str(line.get_linestyle()), line.get_marker()) for line in lines
    }
    assert len(looks) == len(lines) == 4
    assert all(line.get_marker() not in (None, "", "None") for line in lines)
    coinciding = [
        (a, b)
        for a, b in itertools.combinations(lines, 2)
        if np.allclose(a.get_ydata(), b.get_ydata())
    ]
    assert coinciding  # base_10b's portfolio is doubled_20b's first site
    for a, b in coinciding:
        assert marked_years(a) and marked_years(b)
        assert not marked_years(a) & marked_years(b)


@pytest.mark.parametrize("p10", [-0.2, -0.05, -0.004, 0.004, 0.05])
def test_percentile_labels_keep_off_the_zero_line(p10):
    """A P10 just below or just above zero is labelled beside its line, not across the zero
    line (the label runs away from zero), in both panels."""
    spread = 2e9
    values = np.random.default_rng(3).normal(0.0, spread, 2001)
    values = values - np.percentile(values, 10) + p10 * spread
    samples = xr.Dataset({"npv": (("sample", "site"), values[:, None])}, coords={"site": ["a"]})
    portfolio = xr.Dataset({"npv": ("sample", values)})
    summary = xr.Dataset(attrs={"case": "near_zero"})
    study = MonteCarloResult(samples, summary, portfolio, summary)
    figure = figures.npv_distribution(study)
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    for axes in figure.axes:
        zero = axes.transData.transform((0.0, 0.0))[0]
        labels = [text for text in axes.texts if text.get_text().startswith("P10")]
        assert len(labels) == 1
        box = labels[0].get_window_extent(renderer)
        assert not box.x0 <= zero <= box.x1
