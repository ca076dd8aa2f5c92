"""The standard figures of a run, drawn with matplotlib (Agg backend, imported when first used).

This module owns the look of the figures; the numbers come from the results, never from here:

- :func:`cash_flow_waterfall`: from the present value of revenue to the NPV, per cost group;
- :func:`cumulative_discounted_cash_flow`: the cumulative discounted free cash flow by year;
- :func:`sobol_bars`: first-order and total Sobol indices with their confidence intervals;
- :func:`tornado_chart`: the change of a metric with each factor at its low and high value;
- :func:`npv_distribution`: Monte Carlo NPV histogram and CDF with P10, P50 and P90 marked;
- :func:`scenario_comparison`: the EUR 10B and doubled-investment cases side by side;
- :func:`sobol_over_time`: the Sobol indices of each year's free cash flow (time-resolved);
- :func:`convergence_chart`: Sobol indices at increasing sample size;
- :func:`distribution_comparison`: Monte Carlo distributions of several studies overlaid.

Each function returns a :class:`matplotlib.figure.Figure` (no pyplot state, safe in threads);
:func:`write_standard_plots` writes them as PNG files into a folder swapped in whole
(:func:`tecmodel.io.atomic_directory`). Money is shown in EUR billions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from tecmodel.model.metrics import PORTFOLIO, discount_factors
from tecmodel.numerics.irr import IRR_STATUS
from tecmodel.report.arguments import as_list

BILLION = 1e9
UP, DOWN, TOTAL = "#2e7d32", "#c62828", "#1f4e9a"
SITE_COLOURS = ("#1f4e9a", "#e08a00", "#6a3d9a", "#2e7d32", "#b15928")
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
    ("Residual\nvalue", ("chips_residual", "construction_residual", "cooling_residual")),
    ("Corporate\ntax", ("corporate_tax",)),
)


def _figure(width: float = 9.0, height: float = 5.5):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _present_values(result, site: str) -> xr.DataArray:
    """PV of every cube item of one site or the portfolio [EUR] (first model year at t = 0)."""
    factors = discount_factors(result.parameters["finance.discount_rate"], result.timeline["t"])
    cube = result.cube
    flows = cube.sum("site") if site == PORTFOLIO else cube.sel(site=site)
    return (flows * factors).sum("year")


def cash_flow_waterfall(result, site: str = PORTFOLIO):
    """Waterfall from the present value of revenue to the NPV of one case [EUR bn].

    Parameters
    ----------
    result : Result
        A deterministic evaluation.
    site : str
        A site name or ``"portfolio"``.
    """
    values = _present_values(result, site)
    steps = [
        (label, float(values.sel(item=list(items)).sum()) / BILLION)
        for label, items in WATERFALL_STEPS
    ]
    npv = float(result.metrics["npv"].sel(site=site)) / BILLION
    rate = float(result.parameters["finance.discount_rate"])
    figure = _figure(10.5, 5.8)
    axes = figure.add_subplot()
    level = 0.0
    for index, (_label, change) in enumerate(steps):
        bottom = level if change >= 0 else level + change
        axes.bar(index, abs(change), bottom=bottom, color=UP if change >= 0 else DOWN, width=0.7)
        axes.annotate(
            f"{change:+.2f}",
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
    axes.bar(len(steps), npv, color=TOTAL, width=0.7)
    axes.annotate(
        f"{npv:.2f}",
        (len(steps), max(npv, 0.0)),
        xytext=(0, 3),
        textcoords="offset points",
        ha="center",
        fontsize=9,
        fontweight="bold",
    )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xticks(range(len(steps) + 1), [label for label, _ in steps] + ["NPV"], fontsize=9)
    axes.set_ylabel("Present value [EUR bn, nominal]")
    axes.set_xlabel(f"Cash-flow group (discounted at {rate:.1%}, first model year undiscounted)")
    where = "portfolio" if site == PORTFOLIO else f"site {site}"
    axes.set_title(f"{result.case.name}: from revenue to NPV ({where})")
    axes.grid(axis="y", alpha=0.3)
    return figure


def cumulative_discounted_cash_flow(results):
    """Cumulative discounted free cash flow by year of one or more cases [EUR bn].

    The portfolio of each case is a solid line, its sites (when it has several) dashed; the
    last value of each line is its NPV.
    """
    results = as_list(results)
    figure = _figure(9.5, 5.5)
    axes = figure.add_subplot()
    for index, result in enumerate(results):
        colour = SITE_COLOURS[index % len(SITE_COLOURS)]
        flow = result.free_cash_flow
        factors = discount_factors(result.parameters["finance.discount_rate"], result.timeline["t"])
        cumulative = (flow * factors).cumsum("year") / BILLION
        years = cumulative["year"].values
        axes.plot(
            years,
            cumulative.sel(site=PORTFOLIO).values,
            color=colour,
            linewidth=2.2,
            label=f"{result.case.name} (NPV {float(cumulative.sel(site=PORTFOLIO)[-1]):.2f} bn)",
        )
        sites = list(result.case.site_names)
        if len(sites) > 1:
            for style, site in zip(("--", ":", "-.", "--", ":"), sites, strict=False):
                axes.plot(
                    years,
                    cumulative.sel(site=site).values,
                    color=colour,
                    linestyle=style,
                    linewidth=1.2,
                    label=f"{result.case.name}: {site}",
                )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel("Year")
    axes.xaxis.get_major_locator().set_params(integer=True)
    axes.set_ylabel("Cumulative discounted free cash flow [EUR bn]")
    axes.set_title(
        "Cumulative discounted free cash flow (year-end flows, first model year at t = 0)"
    )
    axes.grid(alpha=0.3)
    axes.legend(fontsize=9)
    return figure


def _pick(dataset: xr.Dataset, metric: str | None, site: str | None) -> tuple[str, str]:
    metrics = [str(m) for m in dataset["metric"].values]
    sites = [str(s) for s in dataset["site"].values]
    metric = metric or ("npv" if "npv" in metrics else metrics[0])
    site = site or (PORTFOLIO if PORTFOLIO in sites else sites[-1])
    return metric, site


def sobol_bars(sobol: xr.Dataset, metric: str | None = None, site: str | None = None):
    """First-order (S1) and total (ST) Sobol indices per factor with 95 % confidence bars [1].

    Parameters
    ----------
    sobol : xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over (factor, metric, site).
    metric, site : str, optional
        Default ``"npv"`` and ``"portfolio"`` (or the first metric, the last site).
    """
    metric, site = _pick(sobol, metric, site)
    factors = [str(f) for f in sobol["factor"].values]
    selected = sobol.sel(metric=metric, site=site)
    positions = np.arange(len(factors))
    figure = _figure(max(6.5, 1.3 * len(factors) + 3), 5.0)
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
        f"Sobol indices of {_label(metric)} ({site})"
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


def tornado_chart(tornado: xr.Dataset, metric: str | None = None, site: str | None = None):
    """Change of a metric from its base with each factor at its low and high value.

    Parameters
    ----------
    tornado : xarray.Dataset
        ``low``, ``high`` over (factor, metric, site), ``base`` over (metric, site), and the
        input values ``input_low``/``input_high`` (optional, shown at the bar ends).
    """
    metric, site = _pick(tornado, metric, site)
    factors = [str(f) for f in tornado["factor"].values]
    base = float(tornado["base"].sel(metric=metric, site=site))
    scale, unit = (BILLION, "EUR bn") if metric == "npv" else (1.0, _units(tornado, metric))
    low = tornado["low"].sel(metric=metric, site=site).values - base
    high = tornado["high"].sel(metric=metric, site=site).values - base
    order = np.argsort(np.abs(high - low))
    figure = _figure(9.5, max(3.5, 0.6 * len(factors) + 2))
    axes = figure.add_subplot()
    positions = np.arange(len(factors))
    axes.barh(positions, low[order] / scale, color="#c62828", label="factor at its low value")
    axes.barh(positions, high[order] / scale, color="#2e7d32", label="factor at its high value")
    from tecmodel.report.excel.uncertainty import tornado_input, tornado_input_unit

    for position, index in zip(positions, order, strict=True):
        for change, name in ((low[index], "input_low"), (high[index], "input_high")):
            value = tornado_input(tornado, name, factors[index], site)
            if value is None:
                continue
            input_unit = tornado_input_unit(tornado, factors[index])
            text = f"{value:.1%}" if input_unit == "1" else f"{_compact(value)} {input_unit}"
            axes.annotate(
                text.strip(),
                (change / scale, position),
                xytext=(4 if change >= 0 else -4, 0),
                textcoords="offset points",
                va="center",
                ha="left" if change >= 0 else "right",
                fontsize=8,
            )
    axes.set_yticks(positions, [factors[index] for index in order])
    axes.axvline(0.0, color="black", linewidth=0.8)
    axes.set_xlabel(f"Change of {_label(metric)} from its base of {base / scale:,.2f} [{unit}]")
    axes.set_ylabel("Factor")
    axes.set_title(
        f"Tornado: {_label(metric)} ({site}), one factor at a time (labels: input values)"
    )
    axes.margins(x=0.35)
    axes.grid(axis="x", alpha=0.3)
    axes.legend(fontsize=9, loc="lower right")
    return figure


def _compact(value: float) -> str:
    """A number short enough to label a bar: 62,247 / 65.1 / 0.778."""
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def _label(metric: str) -> str:
    """Display name of a metric."""
    return {"npv": "NPV", "irr": "IRR", "lcoc": "LCOC", "payback_year": "payback year"}.get(
        metric, metric
    )


def _units(dataset: xr.Dataset, metric: str) -> str:
    units = dataset["base"].attrs.get("units")
    if isinstance(units, dict):
        return units.get(metric, "")
    if "units" in dataset.coords:
        return str(dataset["units"].sel(metric=metric).values)
    return units or ""


def npv_distribution(monte_carlo, site: str = PORTFOLIO):
    """Monte Carlo NPV histogram and cumulative distribution with P10, P50 and P90 [EUR bn].

    Parameters
    ----------
    monte_carlo : MonteCarloResult
        ``.samples["npv"]`` over (sample, site).
    site : str
        A site name or ``"portfolio"``.
    """
    samples = monte_carlo.samples["npv"]
    if site not in samples["site"].values:
        site = str(samples["site"].values[-1])
    npv = np.asarray(samples.sel(site=site).values, dtype=float)
    npv = np.sort(npv[np.isfinite(npv)]) / BILLION
    percentiles = dict(zip(("P10", "P50", "P90"), np.percentile(npv, [10, 50, 90]), strict=True))
    loss = float(np.mean(npv < 0))
    figure = _figure(11.0, 4.8)
    histogram, cdf = figure.subplots(1, 2)
    histogram.hist(npv, bins=40, color="#9fb8d9", edgecolor="white")
    cdf.plot(npv, np.arange(1, npv.size + 1) / npv.size, color="#1f4e9a", linewidth=1.8)
    for axes in (histogram, cdf):
        for value, style in zip(percentiles.values(), (":", "--", ":"), strict=True):
            axes.axvline(value, color="#c62828", linestyle=style, linewidth=1.2)
        axes.axvline(0.0, color="black", linewidth=0.8)
        axes.set_xlabel("NPV [EUR bn]")
        axes.grid(alpha=0.3)
    top = histogram.get_ylim()[1]
    for label, value in percentiles.items():
        _mark_percentile(histogram, f"{label}\n{value:.2f}", (value, top), (2, -24))
    histogram.set_ylabel("Samples")
    histogram.set_title(f"NPV distribution ({site}), {npv.size:,} samples")
    cdf.set_ylabel("Cumulative probability [1]")
    cdf.set_ylim(0, 1)
    cdf.set_title(f"Cumulative distribution; P(NPV < 0) = {loss:.1%}")
    for label, value in percentiles.items():
        level = {"P10": 0.1, "P50": 0.5, "P90": 0.9}[label]
        _mark_percentile(cdf, f"{label} {value:.2f}", (value, level), (5, -4))
    case = monte_carlo.summary.attrs.get("case", "") if hasattr(monte_carlo, "summary") else ""
    if case:
        figure.suptitle(f"Monte Carlo, case {case}")
    return figure



def _mark_percentile(axes, text: str, point: tuple[float, float], offset: tuple[float, float]) -> None:
    """Label a percentile of the NPV distribution beside its marker line.

    Parameters
    ----------
    axes : matplotlib.axes.Axes
    text : str
        The label, e.g. ``"P10 -1.23"``.
    point : tuple of float
        Where the label is anchored: (NPV [EUR bn], height in the axes' data units).
    offset : tuple of float
        Shift of the text from `point` [points].
    """
    axes.annotate(
        text, point, xytext=offset, textcoords="offset points", fontsize=8, color="#c62828"
    )

# --- figures of the analysis notebooks (issue 6): indices over time and N, distributions compared


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
    figure = _figure(10.0, 5.0)
    axes = figure.add_subplot()
    for number, factor in enumerate(values["factor"].values):
        colour = SITE_COLOURS[number % len(SITE_COLOURS)]
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
    metric, site = _pick(convergence, metric, site)
    selected = convergence.sel(metric=metric, site=site)
    sizes = selected["n"].values
    figure = _figure(9.5, 5.0)
    axes = figure.add_subplot()
    for number, factor in enumerate(selected["factor"].values):
        colour = SITE_COLOURS[number % len(SITE_COLOURS)]
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
        f"Convergence of the Sobol indices of {_label(metric)} ({site})"
        + (f", case {case}" if case else ""),
        fontsize=10,
    )
    axes.axhline(0.0, color="black", linewidth=0.8)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8, ncols=2)
    return figure


def _distribution_scale(metric: str, units: str) -> tuple[float, str]:
    """(divisor, display unit) of a metric in the distribution figures."""
    if metric == "npv":
        return BILLION, "EUR bn"
    if metric == "irr":
        return 0.01, "%/yr"
    return 1.0, units


def distribution_comparison(studies, metric: str = "npv", include_sites: bool = False):
    """Monte Carlo distributions of one metric for several studies: histograms and CDFs.

    Parameters
    ----------
    studies : MonteCarloResult or sequence or mapping of them
        Each study's portfolio is a solid line; with `include_sites` its sites (when it has
        several) are dashed.
    metric : {"npv", "irr", "lcoc", "payback_year"}
        Shown in EUR bn (NPV), %/yr (IRR) or its own units. For NPV the legend gives each
        line's probability of a negative value; otherwise its median.
    include_sites : bool
        Also draw the sites of multi-site studies.
    """
    studies = as_list(studies)
    figure = _figure(11.5, 4.8)
    histogram, cdf = figure.subplots(1, 2)
    scale, unit = 1.0, ""
    for number, study in enumerate(studies):
        colour = SITE_COLOURS[number % len(SITE_COLOURS)]
        samples = study.samples[metric]
        scale, unit = _distribution_scale(metric, samples.attrs.get("units", ""))
        case = study.summary.attrs.get("case", f"study {number + 1}")
        sites = [str(s) for s in samples["site"].values]
        shown = [PORTFOLIO] + (
            [s for s in sites if s != PORTFOLIO] if include_sites and len(sites) > 2 else []
        )
        for style, site in zip(("-", "--", ":", "-.", "--"), shown, strict=False):
            values = np.asarray(samples.sel(site=site).values, dtype=float)
            values = np.sort(values[np.isfinite(values)]) / scale
            if values.size == 0:
                continue
            if metric == "npv":
                note = f"P(NPV < 0) = {np.mean(values < 0):.1%}"
            else:
                note = f"median {np.median(values):,.3g} {unit}"
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
    name = _label(metric)
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
    figure.suptitle(f"Monte Carlo: {name} (solid: portfolio of each case)")
    return figure


# --- end figures of the analysis notebooks


def scenario_comparison(results):
    """The cases side by side: capex and NPV by site, IRR, cost and break-even of a GPU-hour."""
    results = as_list(results)
    names = [result.case.name for result in results]
    figure = _figure(11.0, 7.5)
    (capex_axes, npv_axes), (irr_axes, price_axes) = figure.subplots(2, 2)
    positions = np.arange(len(results))
    for axes, metric, title in (
        (capex_axes, "initial_capex", "Initial capex"),
        (npv_axes, "npv", "NPV"),
    ):
        bottom = np.zeros(len(results))
        negative_bottom = np.zeros(len(results))
        site_index: dict[str, int] = {}
        for case_index, result in enumerate(results):
            for site in result.case.site_names:
                colour = SITE_COLOURS[
                    site_index.setdefault(site, len(site_index)) % len(SITE_COLOURS)
                ]
                value = float(result.metrics[metric].sel(site=site)) / BILLION
                base = bottom if value >= 0 else negative_bottom
                axes.bar(
                    case_index, value, bottom=base[case_index], color=colour, width=0.55, label=site
                )
                base[case_index] += value
            total = float(result.metrics[metric].sel(site=PORTFOLIO)) / BILLION
            axes.annotate(
                f"{total:.2f}",
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
        axes.set_ylabel(f"{title} [EUR bn]")
        axes.set_title(f"{title} by site")
        axes.axhline(0.0, color="black", linewidth=0.8)
        axes.margins(y=0.12)
    irr = [float(result.metrics["irr"].sel(site=PORTFOLIO)) * 100 for result in results]
    rate = [float(result.parameters["finance.discount_rate"]) * 100 for result in results]
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
    statuses = [int(result.metrics["irr_status"].sel(site=PORTFOLIO)) for result in results]
    for position, value, status in zip(positions, irr, statuses, strict=True):
        irr_axes.annotate(
            f"{value:.1f} %" if status == 0 else f"IRR undefined:\n{IRR_STATUS[status]}",
            (position, value if status == 0 else 0.0),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            fontsize=9 if status == 0 else 7,
        )
    irr_axes.set_ylabel("IRR of the portfolio [%/yr]")
    irr_axes.set_title("IRR against the discount rate")
    irr_axes.legend(fontsize=8, loc="upper left")
    shown = [value for value in irr + rate if np.isfinite(value)]  # an undefined IRR has no bar
    irr_axes.set_ylim(min(0.0, *shown) * 1.25, max(1.0, *shown) * 1.25)
    width = 0.27
    for offset, metric, colour, label in (
        (-width, "lcoc", "#e08a00", "levelised cost (pre-tax)"),
        (0.0, "breakeven_gpu_hour_price", "#c62828", "break-even price (after tax)"),
        (width, "realised_gpu_hour_price", "#2e7d32", "realised price"),
    ):
        values = [float(result.metrics[metric].sel(site=PORTFOLIO)) for result in results]
        price_axes.bar(positions + offset, values, width, color=colour, label=label)
    price_axes.set_ylabel("Price or cost [EUR/GPU-hour]")
    price_axes.set_title("Cost and price of a GPU-hour (portfolio)")
    price_axes.legend(fontsize=8)
    for axes in (capex_axes, npv_axes, irr_axes, price_axes):
        axes.set_xticks(positions, names)
        axes.set_xlabel("Case")
        axes.grid(axis="y", alpha=0.3)
    figure.suptitle("Scenarios: " + " vs ".join(names))
    return figure


def save_figure(figure, path: str | Path, dpi: int = 130) -> Path:
    """Write a figure as PNG atomically (temporary name, then rename), the run id in its metadata."""
    from tecmodel._version import __version__
    from tecmodel.io import atomic_path, run_id

    path = Path(path)
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=dpi,
                       metadata={"Software": f"tecmodel {__version__}", "Source": f"tecmodel run {run_id()}"})
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
    from tecmodel.io import atomic_directory

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
        figures[f"npv_distribution_{result.summary.attrs.get('case', 'case')}.png"] = (
            npv_distribution(result)
        )
    with atomic_directory(folder) as building:
        for name, figure in figures.items():
            save_figure(figure, building / name)
    return [folder / name for name in figures]
