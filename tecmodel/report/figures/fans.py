"""Fan charts of a Monte Carlo study: the spread of each price path and of the cash flow per year.

One panel per simulated process (``MonteCarloResult.paths``), then the portfolio's free cash
flow and its cumulative discounted cash flow (``MonteCarloResult.cash_flows``): per year, the
P5-P95 band, the P25-P75 band and the median of the samples.
"""

from __future__ import annotations

import numpy as np

from tecmodel.report.figures.style import new_figure
from tecmodel.report.labels import metric_scale

#: Percentiles of the bands, outer to inner, and of the median line.
BANDS = ((5.0, 95.0), (25.0, 75.0))
MEDIAN = 50.0
#: Colour of the bands (outer lighter) and of the median.
BAND_COLOURS = ("#c6d7ee", "#7fa3d6")
MEDIAN_COLOUR = "#1f4e9a"


def fan_quantiles(values) -> dict[float, np.ndarray]:
    """Percentiles of each year's samples [unit of `values`].

    Parameters
    ----------
    values : xarray.DataArray
        Over (year, sample).

    Returns
    -------
    dict of float to numpy.ndarray
        Percentile -> one value per year, for 5, 25, 50, 75 and 95.
    """
    data = np.asarray(values.transpose("year", "sample").values, dtype=float)
    levels = sorted({level for band in BANDS for level in band} | {MEDIAN})
    found = np.nanpercentile(data, levels, axis=1)
    return dict(zip(levels, found, strict=True))


def _panel(axes, years, quantiles, title: str, unit: str) -> None:
    for (low, high), colour in zip(BANDS, BAND_COLOURS, strict=True):
        axes.fill_between(
            years, quantiles[low], quantiles[high], color=colour, label=f"P{low:g}-P{high:g}"
        )
    axes.plot(years, quantiles[MEDIAN], color=MEDIAN_COLOUR, linewidth=1.8, label="median")
    from matplotlib.ticker import MaxNLocator

    axes.set_title(title, fontsize=10)
    axes.set_ylabel(unit)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)


def fan_charts(monte_carlo):
    """Fan charts of the processes' paths, the free cash flow and the cumulative discounted cash
    flow of a Monte Carlo study (P5-P95, P25-P75 and the median per year).

    Parameters
    ----------
    monte_carlo : MonteCarloResult
        A study of a case with price processes (``paths`` and ``cash_flows`` not empty).

    Returns
    -------
    matplotlib.figure.Figure
        One panel per process, then the two cash flows (EUR millions).
    """
    panels = [
        (name, variable, variable.attrs.get("units", ""))
        for name, variable in monte_carlo.paths.data_vars.items()
    ]
    scale = metric_scale("npv")
    for name, variable in monte_carlo.cash_flows.data_vars.items():
        panels.append((name, variable * scale, "EUR M"))
    columns = 2
    rows = -(-len(panels) // columns)
    figure = new_figure(11.0, 3.2 * rows)
    grid = figure.subplots(rows, columns, squeeze=False)
    for index, (name, values, unit) in enumerate(panels):
        axes = grid[index // columns][index % columns]
        years = np.asarray(values["year"].values)
        _panel(axes, years, fan_quantiles(values), name.replace("_", " "), unit)
    for index in range(len(panels), rows * columns):
        grid[index // columns][index % columns].set_visible(False)
    grid[0][0].legend(fontsize=8, loc="best")
    attrs = monte_carlo.summary.attrs
    figure.suptitle(
        f"{attrs.get('case', 'case')}: {attrs.get('n', 0):,} samples, seed {attrs.get('seed')}"
    )
    return figure


__all__ = ["fan_charts", "fan_quantiles"]
