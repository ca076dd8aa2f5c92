"""A case's result files: the cube as netCDF, metrics and budget as CSV, and the run manifest.

This module owns the layout of ``<out>/<case>/``. The folder is built aside and swapped in
whole (:func:`tecmodel.io.atomic_directory`), so it always holds the files of one run, and
``manifest.json`` says which run that was.
"""

from __future__ import annotations

import datetime as dt
import platform
import sys
from pathlib import Path
from typing import Any

import xarray as xr

from tecmodel._version import __version__
from tecmodel.io import atomic_directory, run_id, write_csv, write_json, write_netcdf
from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.tables import (
    generation_file_frame,
    metrics_file_frame,
    quantity_frame,
    sources_and_uses_frame,
)


def run_manifest(cases: list[Any], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Provenance of a run: its id, package and library versions, time, command, input files and hashes."""
    import numpy
    import pandas

    manifest = {
        "run_id": run_id(),
        "tecmodel_version": __version__,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "command": " ".join(sys.argv),
        "python": platform.python_version(),
        "libraries": {
            "numpy": numpy.__version__,
            "pandas": pandas.__version__,
            "xarray": xr.__version__,
        },
        "cases": [
            {
                "name": case.name,
                "file": str(case.file) if case.file else None,
                "sha256": case.sha256,
            }
            for case in cases
        ],
        "conventions": "nominal EUR; year-end cash flows; first model year at t = 0 (undiscounted)",
    }
    manifest.update(extra or {})
    return manifest


def cash_flow_dataset(result) -> xr.Dataset:
    """The cube with the finance and quantity time series, ready for netCDF."""
    cube = result.cube
    portfolio = result.portfolio_free_cash_flow
    portfolio.attrs = {"units": "EUR", "long_name": "Unlevered free cash flow, all sites"}
    variables = {
        "cash_flow": cube,
        "free_cash_flow": result.free_cash_flow,
        "portfolio_free_cash_flow": portfolio,
    }
    financing_rows = result.equity_cube.sel(item=result.equity_cube["category"] == "financing")
    if financing_rows.sizes["item"]:
        financing_rows = (
            financing_rows.rename(item="financing_item")
            .drop_vars(["category", "component", "taxable"])
            .rename(label="financing_label")
        )
        financing_rows.attrs = {
            "units": "EUR",
            "long_name": "Financing cash flow by row (nominal EUR, "
            "inflows to equity positive); with cash_flow it sums to the equity cash flow",
        }
        variables["financing_cash_flow"] = financing_rows
    variables.update(result.finance.data_vars)
    if result.financing is not None:  # debt tranches, CFADS, debt service, DSCR
        variables.update(result.financing.data_vars)
    variables.update(
        {
            name: variable
            for name, variable in result.quantities.data_vars.items()
            if "year" in variable.dims and "phase" not in variable.dims
        }
    )
    dataset = xr.Dataset(variables)  # one alignment for every variable
    dataset["taxable"] = dataset["taxable"].astype("int8")
    dataset["taxable"].attrs = {
        "long_name": "Item enters taxable income as it is (1) or through depreciation (0)"
    }
    dataset.attrs = {
        "title": f"tecmodel cash-flow cube: {result.case.title}",
        "case": result.case.name,
        "conventions": "CF-1.10; nominal EUR; inflows positive; year-end cash flows; first model year at t = 0",
        "tecmodel_version": __version__,
    }
    return dataset


def write_case_outputs(result, folder: str | Path, extra_files=None) -> Path:
    """Write ``cashflow.nc``, ``metrics.csv``, ``budget.csv``, ``sources_and_uses.csv`` (EUR to the
    cent), ``generations.csv`` (when the
    metrics are per generation too) and ``manifest.json`` for a case.

    Parameters
    ----------
    result : Result
        A deterministic evaluation.
    folder : str or Path
        ``<out>/<case>``; replaced as a whole.
    extra_files : callable, optional
        ``extra_files(temporary_folder)`` writes further files into the folder being built.
    """
    folder = Path(folder)
    with atomic_directory(folder) as building:
        write_netcdf(building / "cashflow.nc", cash_flow_dataset(result))
        sites = list(result.case.site_names) + [PORTFOLIO]
        metrics = join_portfolio(result.metrics, result.portfolio)
        write_csv(building / "metrics.csv", metrics_file_frame(metrics, sites))
        write_csv(
            building / "budget.csv",
            quantity_frame(join_portfolio(result.budget, result.portfolio_budget)),
        )
        write_csv(
            building / "sources_and_uses.csv",
            sources_and_uses_frame(
                join_portfolio(result.sources_and_uses, result.portfolio_sources_and_uses)
            ),
        )
        generations = generation_file_frame(metrics, sites)
        if generations is not None:
            write_csv(building / "generations.csv", generations)
        if extra_files is not None:
            extra_files(building)
        files = sorted(path.name for path in building.iterdir()) + ["manifest.json"]
        write_json(
            building / "manifest.json",
            run_manifest(
                [result.case],
                {"files": files, "budget_notes": result.budget.attrs.get("notes", [])},
            ),
        )
    return folder
