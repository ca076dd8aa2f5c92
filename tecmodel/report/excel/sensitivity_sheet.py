"""The Sensitivity sheet: Sobol' indices and Shapley effects side by side, and the tornado.

This module owns how variance-based sensitivity results are tabulated per case: the Sobol'
first-order and total indices (S1, ST) and the Shapley share of the variance of the same
factors in one table and one chart (with confidence half-widths as error bars), the sentence
that says from those numbers whether the two attributions differ and why
(:func:`attribution_sentence`), the table of every index over metrics and sites, and the
second-order indices. The tornado comes from :mod:`tecmodel.report.excel.uncertainty`.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.report.excel.layout import (
    Context,
    chart_title,
    column,
    put_header_row,
    put_text,
    put_title,
    put_value,
    quoted,
    set_column_widths,
)
from tecmodel.report.excel.uncertainty import write_tornado
from tecmodel.report.labels import chart_selection, metric_label
from tecmodel.report.uncertainty import attribution_sentence, factors_of, index_value

#: Number format of an index or a share of the variance [1]: a share shown as a fraction, like
#: the indices it sits beside (never a percent, which would read as a change of the metric).
FORMAT_INDEX = "0.000"


def write_sensitivity(
    context: Context, sheet, sobol: list, tornado: list, shapley: list | None = None
) -> None:
    """Write the Sensitivity sheet: per case, the attribution table and chart, then tornadoes.

    Parameters
    ----------
    context : Context
    sheet : openpyxl.worksheet.worksheet.Worksheet
    sobol : list of xarray.Dataset
        From :func:`tecmodel.sobol` (``S1``, ``ST``, their ``_conf``; optionally ``S2``).
    tornado : list of xarray.Dataset
        From :func:`tecmodel.tornado`.
    shapley : list of xarray.Dataset, optional
        From :func:`tecmodel.shapley` (``shapley_index`` and its ``_conf``); shown beside the
        Sobol' indices of the same case.
    """
    shapley = list(shapley or [])
    cases = _case_order(sobol, shapley, tornado)
    put_title(sheet, "Sensitivity" + (f": {', '.join(cases)}" if cases else ""))
    row = 3
    if not sobol and not tornado and not shapley:
        put_text(
            sheet,
            "A3",
            "No sensitivity analysis in this report. Run tecmodel.sobol(case, ...), "
            "tecmodel.shapley(case, ...) and tecmodel.tornado(case, ...) and pass the results to "
            "tecmodel.export_excel(..., sensitivity=..., shapley=..., tornado=...).",
            italic=True,
        )
    by_case_sobol = {dataset.attrs.get("case", ""): dataset for dataset in sobol}
    by_case_shapley = {dataset.attrs.get("case", ""): dataset for dataset in shapley}
    for case in cases:
        if case in by_case_sobol or case in by_case_shapley:
            row = _write_attribution(
                sheet, case, by_case_sobol.get(case), by_case_shapley.get(case), row
            )
    for dataset in tornado:
        row = write_tornado(context, sheet, dataset, row) + 2
    set_column_widths(
        sheet, {"A": 34, "B": 14, "C": 14, "D": 14, "E": 14, "F": 14, "G": 14, "H": 14, "I": 14}
    )


def _case_order(*datasets_lists) -> list[str]:
    cases: list[str] = []
    for datasets in datasets_lists:
        for dataset in datasets:
            name = dataset.attrs.get("case", "")
            if name not in cases:
                cases.append(name)
    return cases


#: Columns of the attribution table: (title, source, variable); B..D are the chart's series,
#: E..G their confidence half-widths (the error bars).
ATTRIBUTION_COLUMNS = (
    ("S1", "sobol", "S1"),
    ("ST", "sobol", "ST"),
    ("Shapley share", "shapley", "shapley_index"),
    ("S1 conf", "sobol", "S1_conf"),
    ("ST conf", "sobol", "ST_conf"),
    ("Shapley conf", "shapley", "shapley_index_conf"),
)


def _write_attribution(
    sheet, case: str, sobol: xr.Dataset | None, shapley: xr.Dataset | None, row: int
) -> int:
    """The table, chart and reading of one case's Sobol' indices and Shapley shares."""
    from openpyxl.chart import BarChart, Reference
    from openpyxl.chart.data_source import NumDataSource, NumRef
    from openpyxl.chart.error_bar import ErrorBars

    sources = {"sobol": sobol, "shapley": shapley}
    first = sobol if sobol is not None else shapley
    metric, site = chart_selection(first)
    put_text(sheet, f"A{row}", f"Variance attribution: case {case}", bold=True, size=12)
    put_text(sheet, f"A{row + 1}", _provenance(sobol, shapley), italic=True)
    put_text(sheet, f"A{row + 2}", attribution_sentence(sobol, shapley, metric, site), bold=True)
    row += 4
    put_text(
        sheet, f"A{row}", f"{metric_label(metric)} ({site}): shares of its variance [1]", bold=True
    )
    row += 1
    header = row
    put_header_row(sheet, row, ["Factor"] + [title for title, _s, _v in ATTRIBUTION_COLUMNS])
    row += 1
    factors = factors_of(sobol, shapley)
    for factor in factors:
        put_text(sheet, f"A{row}", factor)
        for index, (_title, source, variable) in enumerate(ATTRIBUTION_COLUMNS):
            value = index_value(sources[source], variable, factor, metric, site)
            put_value(sheet, f"{column(2 + index)}{row}", value, FORMAT_INDEX)
        row += 1
    series = [
        index
        for index, (_title, source, _v) in enumerate(ATTRIBUTION_COLUMNS[:3])
        if sources[source] is not None
    ]
    chart = BarChart()
    chart.type = "col"
    chart.grouping = "clustered"
    chart.title = chart_title(
        f"Share of the variance of {metric_label(metric)} ({site}), case {case}"
        + (": Sobol' S1, ST and Shapley" if sobol is not None and shapley is not None else "")
    )
    chart.y_axis.title = "Share of the variance [1]"
    chart.x_axis.title = "Factor"
    for index in series:
        chart.add_data(
            Reference(sheet, min_col=2 + index, min_row=header, max_row=row - 1),
            titles_from_data=True,
        )
    chart.set_categories(Reference(sheet, min_col=1, min_row=header + 1, max_row=row - 1))
    for plotted, index in zip(chart.series, series, strict=True):
        conf = column(5 + index)
        reference = f"{quoted(sheet.title)}!${conf}${header + 1}:${conf}${row - 1}"
        source = NumDataSource(numRef=NumRef(f=reference))
        plotted.errBars = ErrorBars(
            errDir="y", errBarType="both", errValType="cust", plus=source, minus=source
        )
    chart.y_axis.scaling.min = 0
    chart.height, chart.width = 8, 16
    sheet.add_chart(chart, f"J{header - 5}")
    row = max(row, header + 12) + 1
    row = _write_all_indices(sheet, sobol, shapley, factors, row)
    if sobol is not None and "S2" in sobol:
        row = _write_second_order(sheet, sobol, metric, site, row)
    return row + 2


def _provenance(sobol: xr.Dataset | None, shapley: xr.Dataset | None) -> str:
    parts = []
    if sobol is not None:
        a = sobol.attrs
        parts.append(
            f"Sobol': sampler {a.get('sampler', '')}, base sample n = {a.get('n', '')}, seed "
            f"{a.get('seed', '')}, {a.get('evaluations', '')} evaluations; inputs independent"
        )
    if shapley is not None:
        a = shapley.attrs
        parts.append(
            f"Shapley: {a.get('n_outer', '')} outer x {a.get('n_inner', '')} inner draws, seed "
            f"{a.get('seed', '')}, {a.get('evaluations', '')} evaluations; the case's rank "
            "correlations kept"
        )
    return "; ".join(parts) + ". Confidence half-widths at 95 %."


def _write_all_indices(sheet, sobol, shapley, factors, row: int) -> int:
    """Every index over metrics and sites, one row per (factor, metric, site)."""
    put_text(sheet, f"A{row}", "All indices", bold=True)
    row += 1
    put_header_row(
        sheet,
        row,
        ("Factor", "Metric", "Site", "S1", "S1 conf", "ST", "ST conf", "Shapley", "Shapley conf"),
    )
    row += 1
    first = sobol if sobol is not None else shapley
    variables = (
        (sobol, "S1"),
        (sobol, "S1_conf"),
        (sobol, "ST"),
        (sobol, "ST_conf"),
        (shapley, "shapley_index"),
        (shapley, "shapley_index_conf"),
    )
    for metric in first["metric"].values:
        for site in first["site"].values:
            for factor in factors:
                put_text(sheet, f"A{row}", factor)
                put_text(sheet, f"B{row}", metric_label(str(metric)))
                put_text(sheet, f"C{row}", str(site))
                for index, (dataset, variable) in enumerate(variables):
                    value = index_value(dataset, variable, factor, str(metric), str(site))
                    put_value(sheet, f"{column(4 + index)}{row}", value, FORMAT_INDEX)
                row += 1
    return row


def _write_second_order(sheet, sobol: xr.Dataset, metric: str, site: str, row: int) -> int:
    row += 1
    put_text(sheet, f"A{row}", f"Second-order Sobol' indices S2 ({metric}, {site})", bold=True)
    row += 1
    factors = [str(f) for f in sobol["factor"].values]
    put_header_row(sheet, row, factors, first_column=2)
    row += 1
    for factor in factors:
        put_text(sheet, f"A{row}", factor, bold=True)
        for index, other in enumerate(factors):
            value = float(sobol["S2"].sel(factor=factor, factor_2=other, metric=metric, site=site))
            put_value(sheet, f"{column(2 + index)}{row}", value, FORMAT_INDEX)
        row += 1
    return row
