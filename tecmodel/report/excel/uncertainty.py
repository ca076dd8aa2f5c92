"""The tornado and the Monte Carlo sheet: tables of the uncertainty results, native charts.

This module owns how tornado ranges and Monte Carlo summaries and histograms are tabulated, and
their Excel charts (tornado bar chart, histogram column chart). The Sobol' and Shapley tables
are :mod:`tecmodel.report.excel.sensitivity_sheet`'s.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.outputs import METRICS
from tecmodel.report.excel.layout import (
    Context,
    chart_title,
    column,
    excel_number_format,
    put_header_row,
    put_text,
    put_title,
    put_value,
    set_column_widths,
)
from tecmodel.report.labels import (
    axis_label,
    chart_selection,
    metric_label,
    metric_scale,
    metric_units,
    outcome_colour,
    tornado_input,
    tornado_input_unit,
    tornado_order,
    tornado_quantiles,
    tornado_title,
)


def write_tornado(context: Context, sheet, dataset: xr.Dataset, row: int) -> int:
    """The tornado table of the chart's metric and site, largest swing first, and its chart.

    The chart reads as the figure ``tornado_<case>.png`` does: the largest swing at the top,
    each bar coloured by the shared rule of :mod:`tecmodel.report.labels` (red worse than base,
    green better), the value axis in the metric's display unit with the format of its cells.
    """
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.data_source import NumFmt
    from openpyxl.chart.marker import DataPoint
    from openpyxl.chart.shapes import GraphicalProperties

    metric, site = chart_selection(dataset)
    headline, reading = tornado_title(dataset, metric, site)
    low_quantile, high_quantile = tornado_quantiles(dataset)
    put_text(sheet, f"A{row}", headline, bold=True, size=12)
    put_text(
        sheet,
        f"A{row + 1}",
        f"Each factor at its low ({low_quantile}) and high ({high_quantile}) value, all others "
        "at base; sorted by swing, largest first. Chart: " + reading + ".",
        italic=True,
    )
    row += 3
    header = row
    titles = (
        "Factor",
        f"Input low ({low_quantile})",
        "Input base",
        f"Input high ({high_quantile})",
        "Input unit",
        f"{metric_label(metric)} at low",
        f"{metric_label(metric)} at high",
        "Low - base",
        "High - base",
        "Swing",
    )
    put_header_row(sheet, row, titles)
    row += 1
    base = float(dataset["base"].sel(metric=metric, site=site))
    order = tornado_order(dataset, metric, site)
    low = {f: float(dataset["low"].sel(factor=f, metric=metric, site=site)) for f in order}
    high = {f: float(dataset["high"].sel(factor=f, metric=metric, site=site)) for f in order}
    number_format = excel_number_format(metric)
    for factor in order:
        put_text(sheet, f"A{row}", factor)
        per_site = site_inputs(dataset, factor, site)
        for index, name in enumerate(("input_low", "input_base", "input_high")):
            if per_site:  # the sites' values differ: each one, by site
                text = " | ".join(number_text(values[index]) for values in per_site.values())
                put_text(sheet, f"{column(2 + index)}{row}", text)
                continue
            value = tornado_input(dataset, name, factor, site)
            put_value(sheet, f"{column(2 + index)}{row}", value, "#,##0.00##")
        unit = tornado_input_unit(dataset, factor)
        put_text(sheet, f"E{row}", f"{unit} ({' | '.join(per_site)})" if per_site else unit)
        put_value(sheet, f"F{row}", low[factor], number_format)
        put_value(sheet, f"G{row}", high[factor], number_format)
        put_value(sheet, f"H{row}", low[factor] - base, number_format)
        put_value(sheet, f"I{row}", high[factor] - base, number_format)
        put_value(sheet, f"J{row}", abs(high[factor] - low[factor]), number_format)
        row += 1
    put_text(sheet, f"A{row}", "Base", bold=True)
    put_value(sheet, f"F{row}", base, number_format, bold=True)
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "clustered"
    chart.overlap = 100
    chart.gapWidth = 40
    chart.title = chart_title(f"{headline}; {reading}")
    chart.x_axis.title = "Factor"
    chart.x_axis.tickLblPos = "low"  # factor names left of the bars, not on the zero line
    chart.x_axis.scaling.orientation = "maxMin"  # the first row (largest swing) at the top
    chart.y_axis.crosses = "max"  # the value axis stays below the bars
    chart.y_axis.title = f"Change of {axis_label(metric, dataset)}"
    chart.y_axis.numFmt = NumFmt(formatCode=number_format, sourceLinked=False)
    chart.legend = None  # the title states the colour rule
    chart.add_data(
        Reference(sheet, min_col=8, max_col=9, min_row=header, max_row=row - 1),
        titles_from_data=True,
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=row - 1))
    for series, ends in zip(chart.series, (low, high), strict=True):
        series.invertIfNegative = False
        for index, factor in enumerate(order):
            colour = outcome_colour(metric, ends[factor] - base)
            fill = GraphicalProperties(solidFill=colour)
            fill.line.solidFill = colour
            series.dPt.append(DataPoint(idx=index, invertIfNegative=False, spPr=fill))
    chart.height, chart.width = 9, 18
    sheet.add_chart(chart, f"L{header}")
    return max(row, header + 17)


def site_inputs(dataset: xr.Dataset, factor: str, site: str) -> dict[str, tuple[float, ...]]:
    """Each site's (low, base, high) input of a tornado factor where they differ by site and
    the table shows a total over sites (the portfolio); empty otherwise."""
    if "input_low" not in dataset or "site" not in dataset["input_low"].dims:
        return {}
    if site in dataset["site"].values and np.isfinite(
        float(dataset["input_low"].sel(factor=factor, site=site))
    ):
        return {}
    values = {
        str(name): tuple(
            float(dataset[variable].sel(factor=factor, site=name))
            for variable in ("input_low", "input_base", "input_high")
        )
        for name in dataset["site"].values
    }
    values = {name: ends for name, ends in values.items() if np.all(np.isfinite(ends))}
    return values if len(set(values.values())) > 1 else {}


def number_text(value: float) -> str:
    """A number as text, as the table's numbers show: thousands separated from 100, else four
    significant figures (``55,000``, ``0.85``)."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.4g}"


HISTOGRAM_BINS = 30


#: Points of the cumulative distribution table (probability levels from 1 % to 99 %).
CDF_LEVELS = np.linspace(0.01, 0.99, 50)


def shows_statistic(metric: str, statistic: str) -> bool:
    """Whether the Monte Carlo summary shows a statistic of a metric: the probability of a
    negative value only for amounts of money (a loss), not for a rate, a price or a year."""
    if statistic != "prob_negative":
        return True
    return metric not in METRICS or METRICS[metric].units == "EUR"


def write_monte_carlo(context: Context, sheet, monte_carlo: list) -> None:
    """The Monte Carlo sheet: per case, a wide summary (one row per metric and site, one column
    per statistic, then the confidence intervals), with the NPV histogram and cumulative
    distribution charted beside it."""
    cases = [mc.summary.attrs.get("case", "") for mc in monte_carlo]
    put_title(sheet, "Monte Carlo" + (f": {', '.join(cases)}" if cases else ""))
    if not monte_carlo:
        put_text(
            sheet,
            "A3",
            "No Monte Carlo run in this report. Run tecmodel.monte_carlo(case, n=...) and pass the "
            "result to tecmodel.export_excel(..., monte_carlo=...).",
            italic=True,
        )
        return
    row = 3
    for mc in monte_carlo:
        row = _write_monte_carlo_case(sheet, mc, row) + 3
    set_column_widths(sheet, {"A": 26, "B": 10, "C": 16})


def _write_monte_carlo_case(sheet, mc, row: int) -> int:
    from openpyxl.chart import BarChart, Reference, ScatterChart, Series

    summary = join_portfolio(mc.summary, mc.portfolio_summary)
    attrs = summary.attrs
    case = attrs.get("case", "")
    statistics = [str(s) for s in summary["statistic"].values]
    put_text(sheet, f"A{row}", f"Case {case}", bold=True, size=12)
    put_text(
        sheet,
        f"A{row + 1}",
        f"n = {attrs.get('n', '')} samples, seed {attrs.get('seed', '')}, sampler "
        f"{attrs.get('sampler', '')}, stopped early: "
        f"{'yes' if attrs.get('stopped_early') else 'no'}. prob_negative = probability of a "
        "loss (amounts of money only); confidence intervals at "
        f"{float(attrs.get('confidence', 0.95)):.0%} in the columns on the right.",
        italic=True,
    )
    row += 3
    titles = ["Metric", "Unit", "Site"] + statistics + ["Valid", "Undefined"]
    titles += [f"{s} CI low" for s in statistics] + [f"{s} CI high" for s in statistics]
    put_header_row(sheet, row, titles)
    row += 1
    for metric in (str(m) for m in summary["metric"].values):
        for site in (str(s) for s in summary["site"].values):
            put_text(sheet, f"A{row}", metric_label(metric))
            put_text(sheet, f"B{row}", metric_units(metric, mc.samples))
            put_text(sheet, f"C{row}", site)
            for index, statistic in enumerate(statistics):
                if not shows_statistic(metric, statistic):
                    continue
                share = statistic == "prob_negative"
                number_format = "0.0%" if share else excel_number_format_or_plain(metric)
                point = {"statistic": statistic, "metric": metric, "site": site}
                for name, offset in (
                    ("value", 0),
                    ("ci_low", len(statistics) + 2),
                    ("ci_high", 2 * len(statistics) + 2),
                ):
                    put_value(
                        sheet,
                        f"{column(4 + index + offset)}{row}",
                        float(summary[name].sel(point)),
                        number_format,
                    )
            if "n_valid" in summary:
                for offset, name in enumerate(("n_valid", "n_undefined")):
                    put_value(
                        sheet,
                        f"{column(4 + len(statistics) + offset)}{row}",
                        int(summary[name].sel(metric=metric, site=site)),
                        "#,##0",
                    )
            row += 1
    for index in range(len(titles) - 3):
        sheet.column_dimensions[column(4 + index)].width = 12
    row += 1
    npv = np.asarray(mc.portfolio_samples["npv"].values, dtype=float)
    npv = npv[np.isfinite(npv)]
    number_format = excel_number_format("npv")
    units = metric_units("npv")
    put_text(sheet, f"A{row}", f"{metric_label('npv')} ({PORTFOLIO}): histogram and CDF", bold=True)
    row += 1
    table = row
    put_header_row(
        sheet,
        row,
        (
            "Bin from",
            "Bin to",
            f"Bin centre [{units}]",
            "Samples",
            "Share",
            "",
            "Probability",
            f"{metric_label('npv')} [{units}]",
        ),
    )
    row += 1
    counts, edges = np.histogram(npv, bins=HISTOGRAM_BINS)
    for index, count in enumerate(counts):
        put_value(sheet, f"A{row + index}", edges[index], number_format)
        put_value(sheet, f"B{row + index}", edges[index + 1], number_format)
        centre = (edges[index] + edges[index + 1]) / 2 * metric_scale("npv")
        put_value(sheet, f"C{row + index}", round(centre, 1), "#,##0.0")
        put_value(sheet, f"D{row + index}", int(count), "#,##0")
        put_value(sheet, f"E{row + index}", count / max(npv.size, 1), "0.0%")
    quantiles = np.quantile(npv, CDF_LEVELS) if npv.size else np.full(CDF_LEVELS.size, np.nan)
    for index, (level, value) in enumerate(zip(CDF_LEVELS, quantiles, strict=True)):
        put_value(sheet, f"G{row + index}", float(level), "0%")
        put_value(sheet, f"H{row + index}", float(value) * metric_scale("npv"), "#,##0.0")
    histogram = BarChart()
    histogram.type = "col"
    histogram.gapWidth = 0
    histogram.title = chart_title(
        f"{metric_label('npv')} distribution ({site}, {npv.size} samples), case {case}"
    )
    histogram.x_axis.title = f"{metric_label('npv')}, bin centre [{units}]"
    histogram.y_axis.title = "Samples"
    histogram.legend = None
    histogram.add_data(
        Reference(sheet, min_col=4, min_row=table, max_row=table + len(counts)),
        titles_from_data=True,
    )
    histogram.set_categories(
        Reference(sheet, min_col=3, min_row=table + 1, max_row=table + len(counts))
    )
    histogram.height, histogram.width = 7.5, 14
    cdf = ScatterChart()
    cdf.title = chart_title(
        f"Cumulative distribution of {metric_label('npv')} ({site}), case {case}"
    )
    cdf.style = 13
    cdf.x_axis.title = f"{metric_label('npv')} [{units}]"
    cdf.y_axis.title = "Probability of a lower value"
    cdf.y_axis.scaling.min, cdf.y_axis.scaling.max = 0, 1
    cdf.legend = None
    line = Series(
        Reference(sheet, min_col=7, min_row=table + 1, max_row=table + CDF_LEVELS.size),
        Reference(sheet, min_col=8, min_row=table + 1, max_row=table + CDF_LEVELS.size),
        title="CDF",
    )
    line.marker.symbol = "none"
    line.smooth = False
    cdf.series.append(line)
    cdf.height, cdf.width = 7.5, 14
    sheet.add_chart(histogram, f"J{table}")  # beside the tables they chart
    sheet.add_chart(cdf, f"R{table}")
    return max(row + len(counts), table + CDF_LEVELS.size + 1, table + 16)


def excel_number_format_or_plain(metric: str) -> str:
    """The metric's number format, or a plain number for a name outside the table of outputs."""
    return excel_number_format(metric) if metric in METRICS else "#,##0.00"
