"""A Monte Carlo summary as a table a colleague opens: CSV and an Excel workbook.

This module owns the long table of a study's summary statistics (one row per case, site,
metric and statistic, with the confidence interval, in the metric's display unit as the
terminal shows it: :mod:`tecmodel.model.tables`) and the files written from it: ``--summary-csv``
and ``--xlsx`` of ``tecmodel montecarlo``. The per-sample results stay in netCDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd
import xarray as xr

from tecmodel.io import atomic_path, write_csv
from tecmodel.model.outputs import METRICS
from tecmodel.model.tables import SIGNED_METRICS, readable_number

#: Columns of :func:`montecarlo_summary_frame`, in order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "case",
    "site",
    "metric",
    "unit",
    "statistic",
    "value",
    "ci_low",
    "ci_high",
    "n_valid",
    "n_undefined",
)
#: Statistics that are probabilities, shown in percent whatever the metric's unit.
PROBABILITY_STATISTICS: frozenset[str] = frozenset({"prob_negative"})


def _shown(metric: str, statistic: str) -> tuple[str, float]:
    """The unit a statistic of a metric is shown in, and the factor from the stored unit."""
    if statistic in PROBABILITY_STATISTICS:
        return "%", 100.0
    spec = METRICS[metric]
    return spec.display_units, spec.display_scale


def montecarlo_summary_frame(summary: xr.Dataset) -> pd.DataFrame:
    """A study's summary statistics as a long table in display units.

    Parameters
    ----------
    summary : xarray.Dataset
        ``MonteCarloResult.summary`` (statistic x metric x site, with ``ci_low``/``ci_high``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`; values in the ``unit`` column's unit (EUR millions,
        percent, ...), at six significant figures.
    """
    rows = []
    for site in summary["site"].values:
        for metric in summary["metric"].values:
            counts = {
                name: int(summary[name].sel(metric=metric, site=site))
                for name in ("n_valid", "n_undefined")
            }
            for statistic in summary["statistic"].values:
                if statistic in PROBABILITY_STATISTICS and metric not in SIGNED_METRICS:
                    continue  # the chance of a negative LCOC or payback year is no finding
                unit, factor = _shown(str(metric), str(statistic))
                point = summary.sel(statistic=statistic, metric=metric, site=site)
                rows.append(
                    {
                        "case": summary.attrs.get("case", ""),
                        "site": str(site),
                        "metric": str(metric),
                        "unit": unit,
                        "statistic": str(statistic),
                        **{
                            name: readable_number(float(point[name]) * factor)
                            for name in ("value", "ci_low", "ci_high")
                        },
                        **counts,
                    }
                )
    return pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS))


def study_frame(summaries: Sequence[xr.Dataset]) -> pd.DataFrame:
    """One row per study: case, samples, seed, sampler, confidence and the other settings."""
    keys = ("case", "n", "n_requested", "n_resumed", "seed", "sampler", "block_size")
    rows = [{key: summary.attrs.get(key) for key in keys} for summary in summaries]
    for row, summary in zip(rows, summaries, strict=True):
        row["confidence"] = summary.attrs.get("confidence")
        row["parameters"] = ", ".join(summary.attrs.get("parameters", []))
    return pd.DataFrame(rows)


def write_summary_csv(path: str | Path, summaries: Sequence[xr.Dataset]) -> Path:
    """Write the summaries of one or more studies as one long CSV table (atomically)."""
    frame = pd.concat([montecarlo_summary_frame(summary) for summary in summaries])
    return write_csv(path, frame.set_index("case"))


def write_summary_xlsx(path: str | Path, summaries: Sequence[xr.Dataset]) -> Path:
    """Write the summaries as a workbook: a ``Summary`` sheet (the long table, filterable,
    header frozen) and a ``Studies`` sheet (each study's settings)."""
    frame = pd.concat([montecarlo_summary_frame(summary) for summary in summaries])
    with atomic_path(path) as temporary:
        with pd.ExcelWriter(temporary, engine="openpyxl") as writer:
            frame.to_excel(writer, sheet_name="Summary", index=False, freeze_panes=(1, 0))
            study_frame(summaries).to_excel(writer, sheet_name="Studies", index=False)
            sheet = writer.sheets["Summary"]
            sheet.auto_filter.ref = sheet.dimensions
            for column, width in zip(
                "ABCDEFGHIJ", (14, 16, 14, 12, 14, 12, 12, 12, 9, 12), strict=True
            ):
                sheet.column_dimensions[column].width = width
    return Path(path)
