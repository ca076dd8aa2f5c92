"""One-at-a-time sensitivities (tornado data): each factor at a low and a high quantile of its
distribution, the others at their base values, all in one vectorised evaluation.

This module owns :func:`tornado`; its factors are named and resolved as for the Sobol' indices
(:func:`tecmodel.analysis.sampling.factor_columns`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import numpy as np
import xarray as xr

from tecmodel.analysis.sampling import factor_columns, is_process_parameter, process_overrides
from tecmodel.analysis.sensitivity.factors import DEFAULT_FACTORS, check_metrics, describe
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.inputs.registry import resolve
from tecmodel.model.evaluation import evaluate
from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.outputs import METRICS


def tornado(
    case: Case,
    factors: Sequence[str] = DEFAULT_FACTORS,
    metrics: Sequence[str] = ("npv", "irr", "lcoc"),
    quantiles: tuple[float, float] = (0.1, 0.9),
    *,
    per_site: bool = False,
) -> xr.Dataset:
    """One-at-a-time sensitivities: each factor at its low and high, the others at base.

    Parameters
    ----------
    case : Case
    factors : sequence of str
        As for :func:`sobol`.
    metrics : sequence of str
        Metrics reported.
    quantiles : (float, float)
        Probabilities of the low and high values in each factor's distribution (default the
        10th and 90th percentiles; (0, 1) gives the ends of a bounded distribution).
    per_site : bool
        One factor per site for site-level parameters.

    Returns
    -------
    xarray.Dataset
        ``low``, ``high``, ``swing`` (high - low) over (factor, metric, site); ``base`` over
        (metric, site); ``input_low``, ``input_base``, ``input_high`` over (factor, site)
        (NaN at the portfolio; case-level values repeated on every site); coordinates
        ``units`` (metric) and ``factor_units`` (factor). All 2 G + 1 evaluations are one
        vectorised call.
    """
    metrics = check_metrics(metrics)
    low_q, high_q = _check_quantiles(quantiles)
    columns = factor_columns(case, factors, per_site=per_site)
    sites = list(case.site_names)
    rows = 2 * len(columns) + 1
    overrides: dict[str, np.ndarray] = {}
    inputs = np.full((3, len(columns), len(sites) + 1), np.nan)
    process_values: dict[str, dict[str, np.ndarray]] = {}
    for position, column in enumerate(columns):
        name = column.parameter.name
        if is_process_parameter(column.parameter):
            # Every row at the stated value but the factor's two: the central paths follow.
            process, _, field = name.partition(".")
            base_value = column.parameter.reference[1]
            row_values = np.full(rows, base_value)
            low, high = (float(column.values(np.array([q]))[0]) for q in (low_q, high_q))
            row_values[2 * position + 1], row_values[2 * position + 2] = low, high
            process_values.setdefault(process, {})[field] = row_values
            inputs[:, position, :-1] = np.array([low, base_value, high])[:, None]
            continue
        # The stated value per site (a quantity that follows a process: its central path's
        # first-year value; the factor's rows replace the path by a level in every year).
        base = np.array([case.entry(name, site).value for site in sites], dtype=float)
        if name not in overrides:
            stated = case.value(name)
            # (site[, year], rows): the base row and the other factors' rows keep the case.
            stated = (
                stated.transpose("site", ...).values
                if isinstance(stated, xr.DataArray)
                else np.full(len(sites), float(stated))
            )
            overrides[name] = np.repeat(stated[..., None], rows, axis=-1)
        low = column.values(np.array([low_q]))
        high = column.values(np.array([high_q]))
        target = [sites.index(s) for s in column.sites] if column.sites else list(range(len(sites)))
        for row, values in ((2 * position + 1, low), (2 * position + 2, high)):
            level = np.ravel(values)
            overrides[name][target, ..., row] = level.reshape(
                (len(target),) + (1,) * (overrides[name].ndim - 2)
            )
        inputs[1, position, :-1] = base
        inputs[0, position, :-1] = base
        inputs[2, position, :-1] = base
        inputs[0, position, target] = np.ravel(low)
        inputs[2, position, target] = np.ravel(high)
    arrays = {}
    years = list(case.years)
    for name, values in overrides.items():
        path = ("year",) if values.ndim == 3 else ()
        coords = {"year": years} if path else {}
        if resolve(name).scope == "case":
            arrays[name] = xr.DataArray(values[0], dims=path + ("sample",), coords=coords)
        else:
            arrays[name] = xr.DataArray(
                values, dims=("site",) + path + ("sample",), coords={"site": sites, **coords}
            )
    arrays.update(
        {
            name: paths
            for name, paths in process_overrides(case, process_values).items()
            if name not in arrays
        }
    )
    result = evaluate(case, arrays)
    metric_index = xr.DataArray(np.array(metrics, dtype=str), dims="metric", name="metric")
    stacked = xr.concat(
        [join_portfolio(result.metrics[m], result.portfolio[m]).drop_attrs() for m in metrics],
        dim=metric_index,
    ).transpose("sample", "metric", "site")
    labels = [column.label for column in columns]
    low = (
        stacked.isel(sample=slice(1, None, 2)).rename(sample="factor").assign_coords(factor=labels)
    )
    high = (
        stacked.isel(sample=slice(2, None, 2)).rename(sample="factor").assign_coords(factor=labels)
    )
    site_coord = sites + [PORTFOLIO]
    dataset = xr.Dataset(
        {
            "low": low.assign_attrs(
                long_name=f"Metric with the factor at its {low_q:g} quantile, others at base",
                units="see the units coordinate",
            ),
            "high": high.assign_attrs(
                long_name=f"Metric with the factor at its {high_q:g} quantile, others at base",
                units="see the units coordinate",
            ),
            "swing": (high - low).assign_attrs(
                long_name="high - low", units="see the units coordinate"
            ),
            "base": stacked.isel(sample=0, drop=True).assign_attrs(
                long_name="Metric at base values", units="see the units coordinate"
            ),
        }
    )
    for index, name in enumerate(("input_low", "input_base", "input_high")):
        dataset[name] = xr.DataArray(
            inputs[index],
            dims=("factor", "site"),
            coords={"factor": labels, "site": site_coord},
            attrs={
                "units": "see the factor_units coordinate",
                "long_name": f"Factor value used ({name.removeprefix('input_')})",
            },
        )
    dataset = dataset.assign_coords(
        units=("metric", [METRICS[m].units for m in metrics]),
        factor_units=("factor", [c.parameter.unit for c in columns]),
    )
    dataset.attrs.update(
        case=case.name,
        quantile_low=low_q,
        quantile_high=high_q,
        factors=json.dumps(describe(columns, None)),
    )
    return dataset


def _check_quantiles(quantiles) -> tuple[float, float]:
    try:
        low, high = (float(q) for q in quantiles)
    except (TypeError, ValueError):
        raise InputError(
            Problem("quantiles", "expected two probabilities (low, high)", quantiles)
        ) from None
    if not 0.0 <= low < high <= 1.0:
        raise InputError(Problem("quantiles", "expected 0 <= low < high <= 1", quantiles))
    return low, high
