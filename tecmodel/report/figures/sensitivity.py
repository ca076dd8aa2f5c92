"""Figures of the sensitivity analyses: Sobol indices as bars, over the years of the free cash flow
and at increasing sample size, Shapley effects beside them, and the one-at-a-time tornado.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.metrics import PORTFOLIO
from tecmodel.report.figures.style import SERIES_COLOURS, compact, new_figure
from tecmodel.report.labels import (
    chart_selection,
    is_worse,
    metric_label,
    metric_scale,
    metric_text,
    metric_units,
    outcome_colour,
    tornado_input,
    tornado_input_unit,
    tornado_order,
    tornado_title,
)


def sobol_bars(sobol: xr.Dataset, metric: str | None = None, site: str | None = None):
    """First-order (S1) and total (ST) Sobol indices per factor with 95 % confidence bars [1].

    Parameters
    ----------
    sobol : xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over (factor, metric, site).
    metric, site : str, optional
        Default ``"npv"`` and ``"portfolio"`` (or the first metric, the last site).
    """
    metric, site = chart_selection(sobol, metric, site)
    factors = [str(f) for f in sobol["factor"].values]
    selected = sobol.sel(metric=metric, site=site)
    positions = np.arange(len(factors))
    figure = new_figure(max(6.5, 1.3 * len(factors) + 3), 5.0)
    axes = figure.add_subplot()
    width = 0.38
    for offset, name, colour, label in (
        (-width / 2, "S1", "#1f4e9a", "first order S1"),
        (width / 2, "ST", "#e08a00", "total ST"),
    ):
        axes.bar(
            positions + offset,
            selected[name].values,
            width,
            yerr=selected[f"{name}_conf"].values,
            capsize=4,
            color=colour,
            label=label,
        )
    axes.set_xticks(positions, factors)
    axes.set_xlabel("Factor")
    axes.set_ylabel("Sobol index [1] (bars: 95 % confidence)")
    case = sobol.attrs.get("case", "")
    axes.set_title(
        f"Sobol indices of {metric_label(metric)} ({site})"
        + (f", case {case}" if case else "")
        + f"; n = {sobol.attrs.get('n', '?')}"
    )
    upper = np.nanmax(
        np.concatenate([selected[name] + selected[f"{name}_conf"] for name in ("S1", "ST")])
    )
    lower = np.nanmin(
        np.concatenate([selected[name] - selected[f"{name}_conf"] for name in ("S1", "ST")])
    )
    axes.set_ylim(bottom=min(0.0, float(lower) - 0.02), top=max(1.05, float(upper) + 0.05))
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.grid(axis="y", alpha=0.3)
    axes.legend()
    return figure


def shapley_bars(
    shapley: xr.Dataset,
    sobol: xr.Dataset | None = None,
    metric: str | None = None,
    site: str | None = None,
):
    """Shapley shares of a metric's variance per player, with their bootstrap intervals, beside
    the Sobol' S1 and ST of the same players [1].

    Parameters
    ----------
    shapley : xarray.Dataset
        ``shapley_index`` with ``_lower`` and ``_upper`` over (factor, metric, site).
    sobol : xarray.Dataset, optional
        ``S1``, ``ST`` and their ``_conf`` over the same players.
    metric, site : str, optional
        Default ``"npv"`` and ``"portfolio"`` (or the first metric, the last site).
    """
    metric, site = chart_selection(shapley, metric, site)
    players = [str(f) for f in shapley["factor"].values]
    selected = shapley.sel(metric=metric, site=site)
    series = [
        (
            "Shapley (correlations kept)",
            selected["shapley_index"].values,
            np.vstack(
                [
                    selected["shapley_index"] - selected["shapley_index_lower"],
                    selected["shapley_index_upper"] - selected["shapley_index"],
                ]
            ),
        )
    ]
    if sobol is not None:
        chosen = sobol.sel(metric=metric, site=site).reindex(factor=players)
        for name, label in (("S1", "Sobol' S1 (independent)"), ("ST", "Sobol' ST (independent)")):
            series.append((label, chosen[name].values, chosen[f"{name}_conf"].values))
    # S1 and ST keep the colours of sobol_bars; the Shapley share takes the next series colour.
    colours = (SERIES_COLOURS[2], SERIES_COLOURS[0], SERIES_COLOURS[1])
    positions = np.arange(len(players))
    width = 0.8 / len(series)
    figure = new_figure(max(6.5, 1.5 * len(players) + 3), 5.0)
    axes = figure.add_subplot()
    for number, (label, values, errors) in enumerate(series):
        offset = (number - (len(series) - 1) / 2) * width
        axes.bar(
            positions + offset,
            values,
            width,
            yerr=np.abs(errors),
            capsize=3,
            color=colours[number],
            label=label,
        )
    axes.set_xticks(positions, [player.replace(".", ".\n") for player in players])
    axes.set_xlabel("Factor or group")
    axes.set_ylabel("Share of the variance [1] (bars: 95 % intervals)")
    case = shapley.attrs.get("case", "")
    axes.set_title(
        f"Shapley effects of {metric_label(metric)} ({site})"
        + (f", case {case}" if case else "")
        + f"; n = {shapley.attrs.get('n_outer', '?')}"
    )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.grid(axis="y", alpha=0.3)
    axes.legend()
    return figure


def tornado_chart(tornado: xr.Dataset, metric: str | None = None, site: str | None = None):
    """Change of a metric from its base with each factor at its low and high value.

    The factors are sorted by swing, largest at the top. Each bar ends where its factor is at
    one of the tornado's quantiles (P10 and P90 by default), labelled with that input value;
    red marks a change that makes the metric worse than its base, green one that makes it
    better (:mod:`tecmodel.report.labels`, as on the workbook's chart). The axis is in the
    metric's display unit (EUR millions for money).

    Parameters
    ----------
    tornado : xarray.Dataset
        ``low``, ``high`` over (factor, metric, site), ``base`` over (metric, site), and the
        input values ``input_low``/``input_high`` (optional, shown at the bar ends).
    metric, site : str, optional
        Default ``"npv"`` and ``"portfolio"`` (or the first metric, the last site).
    """
    metric, site = chart_selection(tornado, metric, site)
    order = tornado_order(tornado, metric, site)
    scale, unit = metric_scale(metric), metric_units(metric, tornado)
    base = float(tornado["base"].sel(metric=metric, site=site))
    figure = new_figure(9.5, max(3.5, 0.6 * len(order) + 2.3))
    axes = figure.add_subplot()
    labelled = set()
    for position, factor in enumerate(order):
        ends = []
        for name, end in (("input_low", "low"), ("input_high", "high")):
            change = float(tornado[end].sel(factor=factor, metric=metric, site=site)) - base
            ends.append((change, name))
        for change, _name in sorted(ends, key=lambda end: -abs(end[0])):  # the shorter on top
            worse = is_worse(metric, change)
            legend = "worse than base" if worse else "better than base"
            axes.barh(
                position,
                change * scale,
                color="#" + outcome_colour(metric, change),
                label=None if legend in labelled else legend,
            )
            labelled.add(legend)
        for change, name in ends:
            value = tornado_input(tornado, name, factor, site)
            if value is None:
                continue
            input_unit = tornado_input_unit(tornado, factor)
            text = f"{value:.1%}" if input_unit == "1" else f"{compact(value)} {input_unit}"
            axes.annotate(
                text.strip(),
                (change * scale, position),
                xytext=(4 if change >= 0 else -4, 0),
                textcoords="offset points",
                va="center",
                ha="left" if change >= 0 else "right",
                fontsize=8,
            )
    axes.set_yticks(range(len(order)), order)
    axes.invert_yaxis()  # the first (largest) factor at the top
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel(
        f"Change of {metric_label(metric)} from its base of {metric_text(metric, base)} [{unit}]"
    )
    axes.set_ylabel("Factor")
    headline, reading = tornado_title(tornado, metric, site)
    axes.set_title(f"{headline}\n{reading}", fontsize=10)
    axes.margins(x=0.35)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(fontsize=9, loc="lower right")
    return figure


def sobol_over_time(sobol: xr.Dataset, site: str | None = None, index: str = "ST"):
    """Time-resolved Sobol indices: the index of each year's free cash flow per factor [1].

    Parameters
    ----------
    sobol : xarray.Dataset
        From :func:`tecmodel.sobol` with ``time_resolved=True``: ``ST_fcf``, ``ST_fcf_conf``
        (and ``S1_fcf`` ...) over (factor, year, site).
    site : str, optional
        A site name or ``"portfolio"`` (default the portfolio, or the last site).
    index : {"ST", "S1"}
        Total or first-order indices. Years whose free cash flow does not vary (NaN) are gaps.
    """
    if index not in ("ST", "S1"):
        raise ValueError(f"index must be 'ST' or 'S1', not {index!r}")
    sites = [str(s) for s in sobol["site"].values]
    site = site or (PORTFOLIO if PORTFOLIO in sites else sites[-1])
    values = sobol[f"{index}_fcf"].sel(site=site)
    confidence = sobol[f"{index}_fcf_conf"].sel(site=site)
    years = values["year"].values
    figure = new_figure(10.0, 5.0)
    axes = figure.add_subplot()
    for number, factor in enumerate(values["factor"].values):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        centre = values.sel(factor=factor).values
        half = confidence.sel(factor=factor).values
        axes.plot(
            years, centre, color=colour, marker="o", markersize=3, linewidth=1.6, label=str(factor)
        )
        axes.fill_between(
            years, centre - half, centre + half, color=colour, alpha=0.15, linewidth=0
        )
    axes.set_xlabel("Year")
    axes.xaxis.get_major_locator().set_params(integer=True)
    name = "total" if index == "ST" else "first-order"
    axes.set_ylabel(f"{index} of the year's free cash flow [1]")
    case = sobol.attrs.get("case", "")
    axes.set_title(
        f"When each factor matters: {name} Sobol index of each year's free cash flow ({site})"
        + (f", case {case}" if case else ""),
        fontsize=10,
    )
    axes.set_ylim(-0.05, 1.1)
    axes.grid(alpha=0.3)
    axes.legend(
        title="factor (bands: 95 % confidence)",
        fontsize=9,
        title_fontsize=8,
        ncols=3,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.13),
    )
    return figure


def convergence_chart(convergence: xr.Dataset, metric: str | None = None, site: str | None = None):
    """Sobol indices of one metric at increasing base sample size N, with confidence bars [1].

    Parameters
    ----------
    convergence : xarray.Dataset
        From :func:`tecmodel.sobol_convergence`: ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over
        (n, factor, metric, site).
    metric, site : str, optional
        Default ``"npv"`` and ``"portfolio"``.
    """
    metric, site = chart_selection(convergence, metric, site)
    selected = convergence.sel(metric=metric, site=site)
    sizes = selected["n"].values
    figure = new_figure(9.5, 5.0)
    axes = figure.add_subplot()
    for number, factor in enumerate(selected["factor"].values):
        colour = SERIES_COLOURS[number % len(SERIES_COLOURS)]
        row = selected.sel(factor=factor)
        axes.errorbar(
            sizes,
            row["ST"].values,
            yerr=row["ST_conf"].values,
            color=colour,
            marker="o",
            capsize=3,
            linewidth=1.6,
            label=f"{factor}: ST",
        )
        axes.plot(
            sizes,
            row["S1"].values,
            color=colour,
            linestyle="--",
            marker=".",
            linewidth=1.0,
            label=f"{factor}: S1",
        )
    axes.set_xscale("log", base=2)
    axes.set_xticks(sizes, [f"{int(size):,}" for size in sizes])
    axes.minorticks_off()
    axes.set_xlabel("Base sample size N (model runs: N x (factors + 2))")
    axes.set_ylabel("Sobol index [1] (bars: 95 % confidence)")
    case = convergence.attrs.get("case", "")
    axes.set_title(
        f"Convergence of the Sobol indices of {metric_label(metric)} ({site})"
        + (f", case {case}" if case else ""),
        fontsize=10,
    )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, ncols=2)
    return figure
