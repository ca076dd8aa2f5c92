"""The figure of the cases side by side: capex and NPV by site, IRR against the discount rate, and
the cost and price of a GPU-hour.
"""

from __future__ import annotations

import numpy as np

from tecmodel.model.outputs import status_text
from tecmodel.report.arguments import as_list
from tecmodel.report.figures.style import SERIES_COLOURS, TOTAL, new_figure
from tecmodel.report.labels import axis_label, metric_label, metric_scale, metric_text, metric_units


def scenario_comparison(results):
    """The cases side by side: capex and NPV by site, IRR, the after-tax cost (LCOC, the
    break-even) and the realised price of a GPU-hour."""
    results = as_list(results)
    names = [result.case.name for result in results]
    figure = new_figure(11.0, 7.5)
    (capex_axes, npv_axes), (irr_axes, price_axes) = figure.subplots(2, 2)
    positions = np.arange(len(results))
    for axes, metric in ((capex_axes, "initial_capex"), (npv_axes, "npv")):
        scale = metric_scale(metric)
        bottom = np.zeros(len(results))
        negative_bottom = np.zeros(len(results))
        site_index: dict[str, int] = {}
        for case_index, result in enumerate(results):
            for site in result.case.site_names:
                colour = SERIES_COLOURS[
                    site_index.setdefault(site, len(site_index)) % len(SERIES_COLOURS)
                ]
                value = float(result.metrics[metric].sel(site=site)) * scale
                base = bottom if value >= 0 else negative_bottom
                axes.bar(
                    case_index, value, bottom=base[case_index], color=colour, width=0.55, label=site
                )
                base[case_index] += value
            total = float(result.portfolio[metric])
            axes.annotate(
                metric_text(metric, total),
                (case_index, max(bottom[case_index], 0.0)),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=9,
                fontweight="bold",
            )
        handles, labels = axes.get_legend_handles_labels()
        unique = dict(zip(labels, handles, strict=True))
        axes.legend(unique.values(), unique.keys(), fontsize=8, title="site", title_fontsize=8)
        axes.set_ylabel(axis_label(metric))
        axes.set_title(f"{metric_label(metric)} by site")
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.margins(y=0.12)
    irr_scale = metric_scale("irr")
    irr = [float(result.portfolio["irr"]) * irr_scale for result in results]
    rate = [float(result.parameters["finance.discount_rate"]) * irr_scale for result in results]
    irr_axes.bar(positions, irr, color=TOTAL, width=0.55)
    irr_axes.scatter(
        positions,
        rate,
        color="#c62828",
        marker="_",
        s=900,
        linewidths=2,
        zorder=3,
        label="discount rate",
    )
    statuses = [int(result.portfolio["irr_status"]) for result in results]
    for position, value, status in zip(positions, irr, statuses, strict=True):
        irr_axes.annotate(
            f"{value:.1f} {metric_units('irr')}"
            if status == 0
            else f"{metric_label('irr')} undefined:\n{status_text('irr_status', status)}",
            (position, value if status == 0 else 0.0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=9 if status == 0 else 7,
        )
    irr_axes.set_ylabel(f"{metric_label('irr')} of the portfolio [{metric_units('irr')}]")
    irr_axes.set_title(f"{metric_label('irr')} against the discount rate")
    irr_axes.legend(fontsize=8, loc="upper left")
    shown = [value for value in irr + rate if np.isfinite(value)]  # an undefined IRR has no bar
    irr_axes.set_ylim(min(0.0, *shown) * 1.25, max(1.0, *shown) * 1.25)
    # The LCOC is after tax, the break-even: it stands beside the realised price.
    width = 0.4
    for offset, metric, colour in (
        (-width / 2, "lcoc", "#c62828"),
        (width / 2, "realised_gpu_hour_price", "#2e7d32"),
    ):
        values = [float(result.portfolio[metric]) for result in results]
        values = [value * metric_scale(metric) for value in values]
        price_axes.bar(positions + offset, values, width, color=colour, label=metric_label(metric))
    price_axes.set_ylabel(f"Price or cost [{metric_units('lcoc')}]")
    price_axes.set_title("Cost and price of a GPU-hour (portfolio)")
    price_axes.legend(fontsize=8)
    for axes in (capex_axes, npv_axes, irr_axes, price_axes):
        axes.set_xticks(positions, names)
        axes.set_xlabel("Case")
        axes.grid(axis="y", alpha=0.3)
    figure.suptitle("Scenarios: " + " vs ".join(names))
    return figure
