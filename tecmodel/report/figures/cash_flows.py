"""Figures of the deterministic cash flows: the waterfall from revenue to NPV and the cumulative
discounted free cash flow by year.
"""

from __future__ import annotations

import itertools

import xarray as xr

from tecmodel.model.metrics import PORTFOLIO, discount_factors, join_portfolio
from tecmodel.model.outputs import display
from tecmodel.report.arguments import as_list
from tecmodel.report.figures.style import (
    DOWN,
    MARKERS,
    SERIES_COLOURS,
    SITE_STYLES,
    TOTAL,
    UP,
    new_figure,
)
from tecmodel.report.labels import metric_label, metric_scale, metric_units

#: Waterfall steps: label -> cube items (present values are summed over them).
WATERFALL_STEPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Contract\nrevenue", ("revenue_contract",)),
    ("Merchant\nrevenue", ("revenue_merchant",)),
    (
        "Power",
        (
            "power_contract_energy",
            "power_market_energy",
            "power_grid_capacity_tariff",
            "power_grid_energy_tariff",
            "power_excise",
            "power_capacity_mechanism",
        ),
    ),
    (
        "Other\nopex",
        (
            "cooling_maintenance",
            "operations_staff",
            "operations_facility_maintenance",
            "operations_it_support",
            "operations_insurance",
            "operations_local_taxes",
            "operations_network",
        ),
    ),
    ("Accelerators\n(net of resale)", ("chips_purchase", "chips_resale")),
    (
        "Facility\ncapex",
        (
            "construction_shell_core",
            "construction_electrical",
            "construction_contingency",
            "construction_land",
            "construction_grid_connection",
            "cooling_plant",
        ),
    ),
    (
        "Horizon\nvalue",
        ("chips_residual", "construction_residual", "cooling_residual", "terminal_going_concern"),
    ),
    ("Corporate\ntax", ("corporate_tax",)),
)


def present_values(result, site: str) -> xr.DataArray:
    """PV of every cube item of one site or the portfolio [EUR] (first model year at t = 0)."""
    factors = discount_factors(result.parameters["finance.discount_rate"], result.timeline["t"])
    cube = result.cube
    flows = cube.sum("site") if site == PORTFOLIO else cube.sel(site=site)
    return (flows * factors).sum("year")


def cash_flow_waterfall(result, site: str = PORTFOLIO):
    """Waterfall from the present value of revenue to the NPV of one case (shown as the NPV is).

    Parameters
    ----------
    result : Result
        A deterministic evaluation.
    site : str
        A site name or ``"portfolio"``.
    """
    values = present_values(result, site)
    scale = metric_scale("npv")
    steps = [
        (label, float(values.sel(item=list(items)).sum()) * scale)
        for label, items in WATERFALL_STEPS
    ]
    npv = float(join_portfolio(result.metrics, result.portfolio)["npv"].sel(site=site))
    rate = float(result.parameters["finance.discount_rate"])
    figure = new_figure(10.5, 5.8)
    axes = figure.add_subplot()
    level = 0.0
    for index, (_label, change) in enumerate(steps):
        bottom = level if change >= 0 else level + change
        axes.bar(index, abs(change), bottom=bottom, color=UP if change >= 0 else DOWN, width=0.7)
        axes.annotate(
            ("+" if change >= 0 else "") + display("npv", change / scale),
            (index, level + max(change, 0.0)),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=9,
        )
        if index + 1 < len(steps):
            axes.plot(
                [index + 0.35, index + 0.65], [level + change] * 2, color="grey", linewidth=0.8
            )
        level += change
    axes.bar(len(steps), npv * scale, color=TOTAL, width=0.7)
    axes.annotate(
        display("npv", npv),
        (len(steps), max(npv * scale, 0.0)),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=9,
        fontweight="bold",
    )
    axes.axhline(0.0, color="black", linewidth=0.8)
    ticks = [label for label, _ in steps] + [metric_label("npv")]
    axes.set_xticks(range(len(steps) + 1), ticks, fontsize=9)
    axes.set_ylabel(f"Present value [{metric_units('npv')}, nominal]")
    axes.set_xlabel(f"Cash-flow group (discounted at {rate:.1%}, first model year undiscounted)")
    where = "portfolio" if site == PORTFOLIO else f"site {site}"
    axes.set_title(f"{result.case.name}: from revenue to {metric_label('npv')} ({where})")
    axes.grid(axis="y", alpha=0.3)
    return figure


def cumulative_discounted_cash_flow(results):
    """Cumulative discounted free cash flow by year of one or more cases (shown as the NPV is).

    Each case has its colour; its portfolio is a solid line, its sites (when it has several)
    dashed or dotted; every line has its own marker, placed in different years from the other
    lines' markers, so that a line another one coincides with (a site of one case that is the
    whole of another) still shows. The last value of each line is its NPV.
    """
    results = as_list(results)
    figure = new_figure(9.5, 5.5)
    axes = figure.add_subplot()
    lines = []
    for index, result in enumerate(results):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        flow = join_portfolio(result.free_cash_flow, result.portfolio_free_cash_flow)
        factors = discount_factors(result.parameters["finance.discount_rate"], result.timeline["t"])
        cumulative = (flow * factors).cumsum("year") * metric_scale("npv")
        npv = float(result.portfolio["npv"])
        npv_text = f"{metric_label('npv')} {display('npv', npv)} {metric_units('npv')}"
        lines.append((cumulative, PORTFOLIO, colour, "-", 2.2, f"{result.case.name} ({npv_text})"))
        sites = list(result.case.site_names)
        if len(sites) > 1:
            for style, site in zip(itertools.cycle(SITE_STYLES), sites, strict=False):
                lines.append((cumulative, site, colour, style, 1.3, f"{result.case.name}: {site}"))
    for number, (cumulative, site, colour, style, width, label) in enumerate(lines):
        axes.plot(
            cumulative["year"].values,
            cumulative.sel(site=site).values,
            color=colour,
            linestyle=style,
            linewidth=width,
            marker=MARKERS[number % len(MARKERS)],
            markersize=5,
            markevery=(number % len(lines), len(lines)),  # each line marks other years
            label=label,
        )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel("Year")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel(f"Cumulative discounted free cash flow [{metric_units('npv')}]")
    cases = ", ".join(result.case.name for result in results)
    axes.set_title(
        f"Cumulative discounted free cash flow of {cases}\n"
        "(year-end flows, first model year at t = 0)",
        fontsize=10,
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=9)
    return figure
