"""Figures of the Monte Carlo studies: the NPV distribution of one study with its percentiles, and
the distributions of one metric across several studies.
"""

from __future__ import annotations

import numpy as np

from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.report.arguments import as_list
from tecmodel.report.figures.style import SERIES_COLOURS, new_figure
from tecmodel.report.labels import (
    axis_label,
    metric_label,
    metric_scale,
    metric_text,
    metric_units,
)


def npv_distribution(monte_carlo, site: str = PORTFOLIO):
    """Monte Carlo NPV histogram and cumulative distribution with P10, P50 and P90.

    The NPV is shown as the table of outputs shows it (EUR millions).

    Parameters
    ----------
    monte_carlo : MonteCarloResult
        ``.samples["npv"]`` over (sample, site) and ``.portfolio_samples["npv"]``.
    site : str
        A site name or ``"portfolio"``.
    """
    samples = join_portfolio(monte_carlo.samples["npv"], monte_carlo.portfolio_samples["npv"])
    if site not in samples["site"].values:
        site = str(samples["site"].values[-1])
    npv = np.asarray(samples.sel(site=site).values, dtype=float)
    npv = np.sort(npv[np.isfinite(npv)]) * metric_scale("npv")
    percentiles = dict(zip(("P10", "P50", "P90"), np.percentile(npv, [10, 50, 90]), strict=True))
    name = metric_label("npv")
    shown = {
        label: metric_text("npv", value / metric_scale("npv"))
        for label, value in percentiles.items()
    }
    loss = float(np.mean(npv < 0))
    figure = new_figure(11.0, 4.8)
    histogram, cdf = figure.subplots(1, 2)
    histogram.hist(npv, bins=40, color="#9fb8d9", edgecolor="white")
    cdf.plot(npv, np.arange(1, npv.size + 1) / npv.size, color="#1f4e9a", linewidth=1.8)
    for axes in (histogram, cdf):
        for value, style in zip(percentiles.values(), (":", "--", ":"), strict=True):
            axes.axvline(value, color="#c62828", linestyle=style, linewidth=1.2)
        axes.axvline(0.0, color="black", linewidth=0.8)
        axes.set_xlabel(axis_label("npv"))
        axes.grid(alpha=0.3)
    top = histogram.get_ylim()[1]
    for label, value in percentiles.items():
        _mark_percentile(histogram, f"{label}\n{shown[label]}", (value, top), (3, -24))
    histogram.set_ylabel("Samples")
    histogram.set_title(f"{name} distribution ({site}), {npv.size:,} samples")
    cdf.set_ylabel("Cumulative probability [1]")
    cdf.set_ylim(0, 1)
    cdf.set_title(f"Cumulative distribution; P({name} < 0) = {loss:.1%}")
    for label, value in percentiles.items():
        level = {"P10": 0.1, "P50": 0.5, "P90": 0.9}[label]
        _mark_percentile(cdf, f"{label} {shown[label]}", (value, level), (5, -4))
    case = monte_carlo.summary.attrs.get("case", "") if hasattr(monte_carlo, "summary") else ""
    if case:
        figure.suptitle(f"Monte Carlo, case {case}")
    return figure


def _mark_percentile(
    axes, text: str, point: tuple[float, float], offset: tuple[float, float]
) -> None:
    """Label a percentile of the NPV distribution beside its marker line, away from zero.

    The label runs from its marker line away from the zero line (to the left of a negative
    value, to the right of the others), so that it never sits across the zero line however
    close the percentile is to it.

    Parameters
    ----------
    axes : matplotlib.axes.Axes
    text : str
        The label, e.g. ``"P10 -1,234.5"``.
    point : tuple of float
        Where the label is anchored: (NPV in its display unit, height in the axes' data units).
    offset : tuple of float
        Shift of the text from `point` [points]; the horizontal shift is taken away from zero.
    """
    left = point[0] < 0.0
    axes.annotate(
        text,
        point,
        xytext=(-abs(offset[0]) if left else abs(offset[0]), offset[1]),
        textcoords="offset points",
        ha="right" if left else "left",
        fontsize=8,
        color="#c62828",
    )


def distribution_comparison(studies, metric: str = "npv", include_sites: bool = False):
    """Monte Carlo distributions of one metric for several studies: histograms and CDFs.

    Parameters
    ----------
    studies : MonteCarloResult or sequence or mapping of them
        Each study's portfolio is a solid line; with `include_sites` its sites (when it has
        several) are dashed.
    metric : {"npv", "irr", "lcoc", "payback_year"}
        Shown in its display unit (table of outputs). For NPV the legend gives each line's
        probability of a negative value; otherwise its median.
    include_sites : bool
        Also draw the sites of multi-site studies.
    """
    studies = as_list(studies)
    figure = new_figure(11.5, 4.8)
    histogram, cdf = figure.subplots(1, 2)
    name, scale = metric_label(metric), metric_scale(metric)
    unit = metric_units(metric, studies[0].samples) if studies else ""
    cases = []
    for number, study in enumerate(studies):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        samples = join_portfolio(study.samples[metric], study.portfolio_samples[metric])
        case = study.summary.attrs.get("case", f"study {number + 1}")
        cases.append(case)
        sites = [str(s) for s in samples["site"].values]
        shown = [PORTFOLIO] + (
            [s for s in sites if s != PORTFOLIO] if include_sites and len(sites) > 2 else []
        )
        for style, site in zip(("-", "--", ":", "-.", "--"), shown, strict=False):
            values = np.asarray(samples.sel(site=site).values, dtype=float)
            values = np.sort(values[np.isfinite(values)])
            if values.size == 0:
                continue
            if metric == "npv":
                note = f"P({name} < 0) = {np.mean(values < 0):.1%}"
            else:
                note = f"median {metric_text(metric, float(np.median(values)))} {unit}"
            values = values * scale
            label = f"{case}" + ("" if site == PORTFOLIO else f": {site}") + f" ({note})"
            width = 2.0 if site == PORTFOLIO else 1.2
            histogram.hist(
                values,
                bins=40,
                histtype="step",
                color=colour,
                linestyle=style,
                linewidth=width,
                density=True,
                label=label,
            )
            cdf.plot(
                values,
                np.arange(1, values.size + 1) / values.size,
                color=colour,
                linestyle=style,
                linewidth=width,
                label=label,
            )
    for axes in (histogram, cdf):
        if metric == "npv":
            axes.axvline(0.0, color="black", linewidth=0.8)
        axes.set_xlabel(f"{name} [{unit}]")
        axes.grid(alpha=0.3)
    histogram.set_ylabel(f"Probability density [1/({unit})]")
    histogram.set_title(f"{name} distribution")
    cdf.set_ylabel("Cumulative probability [1]")
    cdf.set_ylim(0, 1)
    cdf.set_title(f"Cumulative distribution of {name}")
    cdf.legend(fontsize=8, loc="lower right")
    figure.suptitle(f"Monte Carlo: {name} of {', '.join(cases)} (solid: portfolio of each case)")
    return figure
