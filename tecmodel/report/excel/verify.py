"""The model's value of every workbook cell, and the recalculation by LibreOffice.

This module owns the link between a formula cell and the model: :func:`model_values` gives the
Python value of what a cell shows (a cube item, a quantity, a tax row, a metric, an iteration of
the break-even), from any :class:`tecmodel.model.Result`, so that a workbook whose inputs were
changed can be compared with a re-run of the model at the same inputs
(:func:`expected_values`). :func:`recalculate_with_libreoffice` makes LibreOffice recalculate
workbooks (headless, its own profile, recalculation forced on load) and save their values.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.model.components.chips import unit_price_eur
from tecmodel.model.components.markets import at_year, currency_factor, reference_rate
from tecmodel.model.components.power import it_power_draw
from tecmodel.model.cube import item_total
from tecmodel.model.metrics import PORTFOLIO, discount_factors, owner_values
from tecmodel.model.tax_kernels import tax_step, tax_step_slope
from tecmodel.report.excel.layout import BREAKEVEN_ITERATIONS, BREAKEVEN_ROWS, WorkbookLayout

#: What a cell shows where the model's value is undefined in a year (a DSCR without debt service).
NOT_A_NUMBER = "-"


def site_series(array: xr.DataArray, site: str) -> np.ndarray:
    """Values over years of one site, or the sum over sites for the portfolio."""
    array = array.transpose("year", ...)
    if site == PORTFOLIO:
        values = np.zeros(array.sizes["year"])
        for name in array["site"].values:
            if name != PORTFOLIO:
                values = values + array.sel(site=name).values
        return values
    return np.asarray(array.sel(site=site).values, dtype=float)


def scalar(array, site: str | None = None) -> float:
    if isinstance(array, xr.DataArray) and "site" in array.dims:
        array = array.sel(site=site)
    return float(np.asarray(array))


def model_values(result, site: str, key: tuple, written=None):
    """The model's value of a workbook quantity: an array over years, a scalar or a text.

    Parameters
    ----------
    result : Result
        The evaluation to compare with (at the inputs the workbook holds).
    site : str
        Site name or ``"portfolio"``.
    key : tuple
        What the cells show, e.g. ``("item", "power_market_energy")``, ``("fcf",)``,
        ``("metric", "npv")``.
    written : Result, optional
        The result the workbook was written from (for the difference cells).
    """
    kind = key[0]
    params = result.parameters
    if kind == "metric_difference":
        now = metric_value(result, site, key[1])
        then = metric_value(written, site, key[1])
        if isinstance(now, str) or isinstance(then, str) or then == 0:
            return 0.0 if now == then else 1.0
        return abs(now - then) / abs(then)
    if kind == "scenario_difference":
        raise KeyError(
            "scenario differences are computed from two results"
        )  # handled in expected_values
    if kind == "metric":
        return metric_value(result, site, key[1])
    if kind == "schedules_valid":
        same = all(
            np.allclose(
                model_values(result, name, ("financing", "cfads")),
                model_values(written, name, ("financing", "cfads")),
                rtol=0,
                atol=0.1,
            )
            and np.allclose(
                model_values(result, name, ("category", "capex")),
                model_values(written, name, ("category", "capex")),
                rtol=0,
                atol=0.1,
            )
            for name in result.case.site_names
        )
        return "yes" if same else "no"
    if kind == "load_factor":
        return scalar(
            it_power_draw(
                1.0,
                params["power.idle_share"],
                params["power.active_load_share"],
                params["revenue.utilisation"],
            ),
            site,
        )
    if kind == "chip_price_eur":
        # At the path's rate in the reference year: the workbook's accelerator rows are
        # reference-equivalent counts at that rate (purchase_index).
        timeline = result.timeline
        rate = at_year(
            params["fx.usd_per_eur"], timeline["reference_year"], timeline.attrs["start_year"]
        )
        return scalar(unit_price_eur(params["chips.unit_price"], rate), site)
    if kind == "breakeven":
        return breakeven_values(result, site)[key[1:]]
    if kind == "total":
        return float(np.sum(model_values(result, site, key[1])))
    if kind == "last":
        return float(model_values(result, site, key[1])[-1])
    return model_series(result, site, key)


def metric_value(result, site: str, name: str):
    value = float(owner_values(result.metrics, result.portfolio, site)[name])
    if np.isnan(value):
        return {
            "payback_year": "none",
            "discounted_payback_year": "none",
            "irr": "undefined",
            "equity_irr": "undefined",
            "discount_rate_cushion": "undefined",
            "breakeven_gpu_hour_price": "none",
            "breakeven_price_factor": "none",
        }.get(name, "n/a")
    return value


def model_series(result, site: str, key: tuple) -> np.ndarray:
    kind = key[0]
    cube = result.cube
    params, timeline = result.parameters, result.timeline
    if kind == "discount_factor":
        return np.asarray(
            discount_factors(params["finance.discount_rate"], timeline["t"]).values, dtype=float
        )
    if kind == "item":
        return site_series(cube.sel(item=key[1]), site)
    if kind == "category":
        return site_series(item_total(cube, category=key[1]), site)
    if kind == "ebitda":
        return site_series(item_total(cube, category=("revenue", "opex")), site)
    if kind == "pre_tax":
        return site_series(item_total(cube, exclude=("tax", "financing")), site)
    if kind == "taxable_items":
        return site_series(item_total(cube, taxable=True), site)
    if kind == "fcf":
        return site_series(item_total(cube, exclude=("financing",)), site)  # unlevered
    if kind == "discounted_fcf":
        return model_series(result, site, ("fcf",)) * model_series(
            result, site, ("discount_factor",)
        )
    if kind == "cumulative_fcf":
        return np.cumsum(model_series(result, site, ("fcf",)))
    if kind == "cumulative_dcf":
        return np.cumsum(model_series(result, site, ("discounted_fcf",)))
    if kind in ("payback_flag", "discounted_payback_flag"):
        running = "cumulative_fcf" if kind == "payback_flag" else "cumulative_dcf"
        cumulative = model_series(result, site, (running,))
        return np.flip(np.logical_and.accumulate(np.flip(cumulative >= 0))).astype(float)
    if kind == "quantity":
        return site_series(result.quantities[key[1]], site)
    if kind == "currency_factor":
        timeline = result.timeline
        factor = currency_factor(
            params[key[1]],
            reference_rate(params, timeline),
            params["fx.usd_per_eur"],
        )
        return site_series(factor.broadcast_like(timeline["year"]), site)
    if kind == "merchant_hours":
        contract = result.quantities["gpu_hours_contracted"]
        return site_series(result.quantities["gpu_hours_sold"] - contract, site)
    if kind == "depreciation":
        return site_series(result.finance["depreciation"].sel(asset_class=key[1]), site)
    if kind == "depreciation_total":
        return site_series(result.finance["depreciation"].sum("asset_class"), site)
    if kind == "finance":
        return site_series(result.finance[key[1]], site)
    if kind in ("financing", "financing_debt"):
        return site_series(result.financing[key[1]], site)
    if kind == "dscr":
        return site_series(result.financing["dscr"], site)
    if kind == "sources_and_uses":
        table = owner_values(result.sources_and_uses, result.portfolio_sources_and_uses, site)
        return float(table["amount"].sel(line=key[1]))
    if kind == "equity_item":
        return site_series(result.equity_cube.sel(item=key[1]), site)
    if kind == "equity_cash_flow":
        return site_series(result.equity_cube.sum("item"), site)
    raise KeyError(f"unknown workbook quantity {key!r}")


def expected_values(layout: WorkbookLayout, results: Sequence) -> dict[tuple[str, str], Any]:
    """The model's value of every formula cell, for results at the inputs the workbook holds.

    Parameters
    ----------
    layout : WorkbookLayout
        From :func:`build_workbook`.
    results : sequence of Result
        One per case, in the workbook's order, evaluated at the inputs now in the workbook
        (the written results for an untouched workbook).

    Returns
    -------
    dict
        ``(sheet title, coordinate) -> float or str``.
    """
    cache: dict[tuple, Any] = {}
    expected = {}
    for address, check in layout.checks.items():
        if check.key[0] == "scenario_difference":
            first, second = check.key[2], check.key[3]
            values = [
                metric_value(results[index], PORTFOLIO, check.key[1]) for index in (first, second)
            ]
            expected[address] = (
                (values[1] - values[0]) if not any(isinstance(v, str) for v in values) else "n/a"
            )
            continue
        memo = (check.case, check.site, check.key)
        if memo not in cache:
            if check.key[0] == "breakeven":  # one run of the iterations gives every cell of a block
                block = (check.case, check.site, "breakeven")
                if block not in cache:
                    cache[block] = breakeven_values(results[check.case], check.site)
                cache[memo] = cache[block][check.key[1:]]
            else:
                cache[memo] = model_values(
                    results[check.case], check.site, check.key, layout.written[check.case]
                )
        value = cache[memo]
        if check.year is not None:
            value = float(np.asarray(value)[check.year])
            if np.isnan(value):
                value = NOT_A_NUMBER
        elif isinstance(value, np.ndarray):
            value = float(np.sum(value))
        expected[address] = value
    return expected


def breakeven_values(result, owner: str) -> dict[tuple, Any]:
    """The Break-even sheet's iterations computed with the model's own tax step functions."""
    cube, finance, params = result.cube, result.finance, result.parameters
    factors = model_series(result, result.case.site_names[0], ("discount_factor",))
    members = list(result.case.site_names) if owner == PORTFOLIO else [owner]
    rate = float(params["tax.corporate_rate"])
    fixed = float(params["tax.loss_offset_fixed"])
    share = float(params["tax.loss_offset_share"])
    profit = {s: site_series(finance["taxable_income_before_losses"], s) for s in members}
    revenue = {s: site_series(item_total(cube, category="revenue"), s) for s in members}
    pre_tax = {s: site_series(item_total(cube, exclude=("tax", "financing")), s) for s in members}
    values: dict[tuple, Any] = {}
    for s in members:
        values[("pv_pre_tax", s)] = float(np.sum(pre_tax[s] * factors))
        values[("pv_revenue", s)] = float(np.sum(revenue[s] * factors))
    total_pre_tax = sum(values[("pv_pre_tax", s)] for s in members)
    total_revenue = sum(values[("pv_revenue", s)] for s in members)
    m = max(1.0 - total_pre_tax / total_revenue, 0.0) if total_revenue > 0 else 0.0
    values[("factor", 0)] = m
    first_npv = None
    for iteration in range(BREAKEVEN_ITERATIONS + 1):
        npv, slope = 0.0, 0.0
        for s in members:
            rows = {key: np.zeros(len(factors)) for key, _l, _h in BREAKEVEN_ROWS}
            pool, pool_slope = 0.0, 0.0
            for y in range(len(factors)):
                current = profit[s][y] + (m - 1.0) * revenue[s][y]
                relief, _taxable, tax, pool_out, limit, cap = tax_step(
                    current, pool, rate, fixed, share
                )
                taxable_slope, pool_slope_out = tax_step_slope(
                    current, revenue[s][y], pool, pool_slope, limit, cap, fixed, share
                )
                rows["profit"][y] = current
                rows["relief"][y] = relief
                rows["pool"][y] = pool_out
                rows["tax"][y] = tax
                rows["relief_slope"][y] = pool_slope - pool_slope_out if current > 0 else 0.0
                rows["pool_slope"][y] = pool_slope_out
                rows["tax_slope"][y] = rate * taxable_slope
                pool, pool_slope = pool_out, pool_slope_out
            for key, array in rows.items():
                values[("row", s, key, iteration)] = array
            npv += (
                values[("pv_pre_tax", s)]
                + (m - 1.0) * values[("pv_revenue", s)]
                - float(np.sum(rows["tax"] * factors))
            )
            slope += values[("pv_revenue", s)] - float(np.sum(rows["tax_slope"] * factors))
        values[("npv", iteration)] = npv
        values[("slope", iteration)] = slope
        if first_npv is None:
            first_npv = npv
        if iteration < BREAKEVEN_ITERATIONS:
            m = values[("factor", 0)] if first_npv >= 0 else m - npv / slope
            values[("factor", iteration + 1)] = m
    values[("converged",)] = (
        "yes" if abs(values[("npv", BREAKEVEN_ITERATIONS)]) <= 1e-9 * abs(total_revenue) else "no"
    )
    return values


#: LibreOffice settings for a faithful recalculation: recalculate every formula when a file is
#: loaded (OOXMLRecalcMode/ODFRecalcMode 0 = always; the default 1 keeps cached values) and
#: never use OpenCL (the same double-precision interpreter everywhere).
_LIBREOFFICE_ITEM = (
    '<item oor:path="{path}">'
    '<prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>'
)
LIBREOFFICE_SETTINGS = "\n".join(
    [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        _LIBREOFFICE_ITEM.format(
            path="/org.openoffice.Office.Calc/Formula/Load", name="OOXMLRecalcMode", value=0
        ),
        _LIBREOFFICE_ITEM.format(
            path="/org.openoffice.Office.Calc/Formula/Load", name="ODFRecalcMode", value=0
        ),
        _LIBREOFFICE_ITEM.format(
            path="/org.openoffice.Office.Common/Misc", name="UseOpenCL", value="false"
        ),
        "</oor:items>",
        "",
    ]
)


def recalculate_with_libreoffice(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    profile_dir: str | Path,
    soffice: str = "soffice",
    timeout: float = 300.0,
    convert_to: str = "xlsx:Calc MS Excel 2007 XML",
) -> list[Path]:
    """Recalculate workbooks with LibreOffice (headless) and save them with their computed values.

    Parameters
    ----------
    paths : sequence of path
        ``.xlsx`` files; converted in one LibreOffice call.
    out_dir : path
        Folder for the recalculated copies (same file names).
    profile_dir : path
        A LibreOffice user profile folder of its own (created if missing), so that parallel runs
        do not contend for a lock and the recalculate-on-load setting applies.
    soffice : str
        The LibreOffice executable.
    timeout : float
        Seconds before the conversion is abandoned.
    convert_to : str
        LibreOffice's target (``--convert-to``): an ``.xlsx`` by default; ``"pdf"`` prints the
        workbook as its print setup says.

    Returns
    -------
    list of Path
        The recalculated files (same names, the target's suffix), in the order of `paths`.

    Raises
    ------
    RuntimeError
        If LibreOffice fails or does not write every file.
    """
    import subprocess

    out_dir, profile_dir = Path(out_dir), Path(profile_dir)
    user = profile_dir / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text(LIBREOFFICE_SETTINGS, encoding="utf-8")
    out_dir.mkdir(parents=True, exist_ok=True)
    command = [
        soffice,
        f"-env:UserInstallation={profile_dir.resolve().as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--convert-to",
        convert_to,
        "--outdir",
        str(out_dir),
    ]
    command += [str(Path(path).resolve()) for path in paths]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False
    )
    suffix = "." + convert_to.split(":")[0]
    outputs = [out_dir / Path(path).with_suffix(suffix).name for path in paths]
    missing = [str(path) for path in outputs if not path.exists()]
    if completed.returncode != 0 or missing:
        raise RuntimeError(
            f"LibreOffice failed (status {completed.returncode}; missing {missing}): "
            f"{completed.stdout.strip()} {completed.stderr.strip()}"
        )
    return outputs
