"""Debt sized on a chosen quantile of a sizing study, instead of on the case as stated.

This module owns the alternative sizing case of :mod:`tecmodel.model.financing`: a lender who
sizes on a downside (a "P90" case) rather than on the base case. The sizing study draws ``n``
samples of the case (the Monte Carlo's sampling plan, blocks and seed, and its price paths); the
sizing case is the one sample whose portfolio unlevered NPV is the chosen quantile of the study
(0.1: nine samples in ten do better), a whole and consistent set of cash flows. The debt is
sized once on it (:func:`tecmodel.model.financing.size_debt`) and then held fixed, like the
default sizing on the case as stated: pass the schedule to :func:`tecmodel.evaluate` (``debt=``)
or :func:`tecmodel.monte_carlo` (``debt=``).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from tecmodel.analysis.montecarlo.execution import process_paths
from tecmodel.analysis.sampling import (
    DEFAULT_BLOCK_SIZE,
    check_seed,
    path_overrides,
    sampling_plan,
    unit_block,
)
from tecmodel.inputs.case import Case
from tecmodel.model.cube import ITEMS, CashFlows
from tecmodel.model.evaluation import evaluate
from tecmodel.model.financing import size_debt


def sizing_sample(npv: np.ndarray, quantile: float) -> int:
    """Index of the sample whose value is the `quantile` of `npv` (the lower order statistic).

    >>> sizing_sample(np.array([5.0, 1.0, 3.0, 2.0, 4.0]), 0.25)
    3
    """
    order = np.argsort(npv, kind="stable")
    rank = int(np.floor(quantile * (npv.size - 1)))
    return int(order[rank])


def size_on_quantile(
    case: Case, quantile: float, n: int = 1024, seed: int = 0, sampler: str = "sobol"
) -> xr.Dataset:
    """The case's debt sized on the sample at `quantile` of the portfolio NPV of a sizing study.

    Parameters
    ----------
    case : Case
    quantile : float
        Quantile of the portfolio's unlevered NPV that picks the sizing case, in [0, 1]
        (0.1 sizes on a P90 downside, 0.5 on the median sample) [1].
    n : int
        Samples of the sizing study (one vectorised evaluation; at most one block).
    seed : int
        Seed of the sizing study (the Monte Carlo's blocks and paths).
    sampler : {"sobol", "lhs", "random"}

    Returns
    -------
    xarray.Dataset
        The fixed schedule (:func:`tecmodel.model.financing.size_debt`), with attributes
        ``sizing`` (how it was sized) and ``sizing_sample``.
    """
    if not 0.0 <= quantile <= 1.0:
        raise ValueError(f"quantile {quantile!r} is outside [0, 1]")
    if not 2 <= n <= DEFAULT_BLOCK_SIZE:
        raise ValueError(f"n {n!r} must be between 2 and {DEFAULT_BLOCK_SIZE} (one block)")
    seed = check_seed(seed)
    plan = sampling_plan(case)
    uniforms = plan.correlate(unit_block(sampler, plan.dimension, seed, 0, DEFAULT_BLOCK_SIZE, n))
    overrides = plan.overrides(uniforms)
    paths = process_paths(case, seed, 0, n, DEFAULT_BLOCK_SIZE)
    result = evaluate(case, {**overrides, **path_overrides(case, paths)}, generations=False)
    npv = result.portfolio["npv"].transpose("sample").values
    chosen = sizing_sample(npv, quantile)

    def one(array: xr.DataArray) -> xr.DataArray:
        return array.isel(sample=chosen, drop=True) if "sample" in array.dims else array

    flows = CashFlows(
        {
            name: one(row)
            for name, row in result.cash_flows.items()
            if ITEMS[name].category != "financing"
        }
    )
    params = result.parameters.map(one)
    schedule = size_debt(flows, params, case.tranches)
    schedule.attrs.update(
        sizing=(
            f"sample {chosen} of a sizing study of {n} samples (seed {seed}, {sampler}): the "
            f"{quantile:.0%} quantile of the portfolio's unlevered NPV, "
            f"EUR {npv[chosen] / 1e6:,.0f} M"
        ),
        sizing_sample=chosen,
    )
    return schedule
