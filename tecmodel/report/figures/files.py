"""Writing the figures as PNG files: one figure atomically, and the standard set of a run into a
folder swapped in whole (:func:`tecmodel.io.atomic_directory`).
"""

from __future__ import annotations

from pathlib import Path

from tecmodel._version import __version__
from tecmodel.io import atomic_directory, atomic_path, run_id
from tecmodel.report.arguments import as_list
from tecmodel.report.figures.cash_flows import cash_flow_waterfall, cumulative_discounted_cash_flow
from tecmodel.report.figures.fans import fan_charts
from tecmodel.report.figures.scenarios import scenario_comparison
from tecmodel.report.figures.sensitivity import sobol_bars, tornado_chart
from tecmodel.report.figures.uncertainty import npv_distribution


def save_figure(figure, path: str | Path, dpi: int = 130) -> Path:
    """Write a figure as PNG atomically (temporary name, then rename), the run id in its
    metadata."""
    path = Path(path)
    with atomic_path(path) as temporary:
        metadata = {"Software": f"tecmodel {__version__}", "Source": f"tecmodel run {run_id()}"}
        figure.savefig(temporary, format="png", dpi=dpi, metadata=metadata)
    return path


def write_standard_plots(
    results, folder: str | Path, sensitivity=None, tornado=None, monte_carlo=None
) -> list[Path]:
    """Write the standard figures as PNG files into `folder` (replaced as a whole).

    Parameters
    ----------
    results : Result or sequence of Result
    folder : str or Path
        Created or replaced (built aside and swapped in).
    sensitivity, tornado, monte_carlo : optional
        Sobol datasets, tornado datasets and Monte Carlo results (one or a sequence/mapping).

    Returns
    -------
    list of Path
        The files written (their final paths).
    """
    results = as_list(results)
    folder = Path(folder)
    figures = {
        f"waterfall_{result.case.name}.png": cash_flow_waterfall(result) for result in results
    }
    figures["cumulative_dcf.png"] = cumulative_discounted_cash_flow(results)
    figures["scenarios.png"] = scenario_comparison(results)
    for dataset in as_list(sensitivity):
        figures[f"sobol_{dataset.attrs.get('case', 'case')}.png"] = sobol_bars(dataset)
    for dataset in as_list(tornado):
        figures[f"tornado_{dataset.attrs.get('case', 'case')}.png"] = tornado_chart(dataset)
    for result in as_list(monte_carlo):
        case = result.summary.attrs.get("case", "case")
        figures[f"npv_distribution_{case}.png"] = npv_distribution(result)
        if result.paths.data_vars:
            figures[f"fan_{case}.png"] = fan_charts(result)
    with atomic_directory(folder) as building:
        for name, figure in figures.items():
            save_figure(figure, building / name)
    return [folder / name for name in figures]
