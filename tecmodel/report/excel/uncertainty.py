"""The tornado and the Monte Carlo sheet: tables of the uncertainty results, native charts.

This module owns how tornado ranges and Monte Carlo summaries and histograms are tabulated, and
their Excel charts (tornado bar chart, histogram column chart). The Sobol' and Shapley tables
are :mod:`tecmodel.report.excel.sensitivity_sheet`'s.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.model.metrics import PORTFOLIO
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
        for index, name in enumerate(("input_low", "input_base", "input_high")):
            value = tornado_input(dataset, name, factor, site)
            put_value(sheet, f"{column(2 + index)}{row}", value, "#,##0.00##")
        put_text(sheet, f"E{row}", tornado_input_unit(dataset, factor))
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


HISTOGRAM_BINS = 30


def write_monte_carlo(context: Context, sheet, monte_carlo: list) -> None:
    from openpyxl.chart import BarChart, Reference

    put_title(sheet, "Monte Carlo")
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
        summary = mc.summary
        attrs = summary.attrs
        put_text(sheet, f"A{row}", f"Case {attrs.get('case', '')}", bold=True, size=12)
        put_text(
            sheet,
            f"A{row + 1}",
            f"n = {attrs.get('n', '')} samples, seed {attrs.get('seed', '')}, sampler "
            f"{attrs.get('sampler', '')}, chunk size {attrs.get('chunk_size', '')}, stopped "
            f"early: {'yes' if attrs.get('stopped_early') else 'no'}. Percentiles with "
            "their confidence interval; prob_negative = probability of a loss.",
            italic=True,
        )
        row += 3
        put_header_row(
            sheet, row, ("Metric", "Site", "Statistic", "Value", "CI low", "CI high", "Unit")
        )
        row += 1
        for metric in summary["metric"].values:
            for site in summary["site"].values:
                for statistic in summary["statistic"].values:
                    put_text(sheet, f"A{row}", str(metric))
                    put_text(sheet, f"B{row}", str(site))
                    put_text(sheet, f"C{row}", str(statistic))
                    share = statistic == "prob_negative"
                    unit = "1" if share else metric_units(str(metric), mc.samples)
                    number_format = "0.0%" if share else excel_number_format(str(metric))
                    for index, name in enumerate(("value", "ci_low", "ci_high")):
                        value = float(
                            summary[name].sel(statistic=statistic, metric=metric, site=site)
                        )
                        put_value(sheet, f"{column(4 + index)}{row}", value, number_format)
                    put_text(sheet, f"G{row}", unit)
                    row += 1
        if "n_valid" in summary:
            row += 1
            put_text(
                sheet,
                f"A{row}",
                "Valid / undefined samples (e.g. IRR without a unique root)",
                bold=True,
            )
            row += 1
            for metric in summary["metric"].values:
                for site in summary["site"].values:
                    put_text(sheet, f"A{row}", str(metric))
                    put_text(sheet, f"B{row}", str(site))
                    put_value(
                        sheet,
                        f"D{row}",
                        int(summary["n_valid"].sel(metric=metric, site=site)),
                        "#,##0",
                    )
                    put_value(
                        sheet,
                        f"E{row}",
                        int(summary["n_undefined"].sel(metric=metric, site=site)),
                        "#,##0",
                    )
                    row += 1
        row += 1
        site = (
            PORTFOLIO
            if PORTFOLIO in mc.samples["npv"]["site"].values
            else str(mc.samples["npv"]["site"].values[-1])
        )
        npv = np.asarray(mc.samples["npv"].sel(site=site).values, dtype=float)
        npv = npv[np.isfinite(npv)]
        put_text(sheet, f"A{row}", f"Histogram of {metric_label('npv')} ({site})", bold=True)
        row += 1
        header = row
        centre_title = f"Bin centre ({metric_units('npv')})"
        put_header_row(sheet, row, ("Bin from", "Bin to", centre_title, "Samples", "Share"))
        row += 1
        counts, edges = np.histogram(npv, bins=HISTOGRAM_BINS)
        number_format = excel_number_format("npv")
        for index, count in enumerate(counts):
            put_value(sheet, f"A{row}", edges[index], number_format)
            put_value(sheet, f"B{row}", edges[index + 1], number_format)
            centre = (edges[index] + edges[index + 1]) / 2 * metric_scale("npv")
            put_value(sheet, f"C{row}", round(centre, 1), "#,##0.0")
            put_value(sheet, f"D{row}", int(count), "#,##0")
            put_value(sheet, f"E{row}", count / max(npv.size, 1), "0.0%")
            row += 1
        chart = BarChart()
        chart.type = "col"
        chart.gapWidth = 0
        chart.title = (
            f"{metric_label('npv')} distribution ({site}, {npv.size} samples), "
            f"case {attrs.get('case', '')}"
        )
        chart.x_axis.title = f"{metric_label('npv')}, bin centre [{metric_units('npv')}]"
        chart.y_axis.title = "Samples"
        chart.legend = None
        chart.add_data(
            Reference(sheet, min_col=4, min_row=header, max_row=row - 1), titles_from_data=True
        )
        chart.set_categories(Reference(sheet, min_col=3, min_row=header + 1, max_row=row - 1))
        chart.height, chart.width = 8, 18
        sheet.add_chart(chart, f"I{header}")
        row += 3
    set_column_widths(sheet, {"A": 18, "B": 18, "C": 18, "D": 14, "E": 14, "F": 14, "G": 14})
