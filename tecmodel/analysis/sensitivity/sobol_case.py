"""Sobol' indices of a case's metrics: the case model plugged into the Sobol' engine.

This module owns :func:`sobol` and :func:`sobol_convergence`; the design, evaluation and
estimators are :mod:`tecmodel.analysis.sensitivity.saltelli`'s, the model
:func:`tecmodel.model.evaluation.evaluate` (each factor's quantile function, then one vectorised
call per chunk of design rows).

- A site-level factor moves every site together, each to the same quantile of its own
  distribution (one factor, as a user asking "does utilisation matter" means it); ``per_site``
  splits it into one factor per site, and ``name@site`` moves one site only.
- A factor's distribution is the case's (``distribution:`` in the case file), otherwise a
  triangular distribution on the registry reference range with the case value as mode.
- Sobol' indices assume independent inputs: the case's rank correlations are not applied here
  (they are in Monte Carlo studies and in the Shapley effects,
  :mod:`tecmodel.analysis.sensitivity.shapley_case`).
- Groups (``groups={"power": ["energy_price", "power.contract_price"]}``) give one index per
  group (SALib's groups); ungrouped factors keep their own.
- Convergence (:func:`sobol_convergence`): Saltelli's design is nested across powers of two, so
  one evaluation at the largest N gives the indices at every smaller N.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.analysis.sampling import (
    Column,
    check_seed,
    column_overrides,
    factor_columns,
    process_factor_names,
    sampling_plan,
)
from tecmodel.analysis.sensitivity.factors import (
    ALL,
    DEFAULT_FACTORS,
    DEFAULT_METRICS,
    check_metrics,
    describe,
    group_members,
    grouping,
    metric_values,
    named_groups,
    process_groups_as,
    sample_first,
)
from tecmodel.analysis.sensitivity.saltelli import (
    DEFAULT_CHUNK_ROWS,
    INDEX_NAMES,
    ModelFunction,
    analyse_design,
    check_base_size,
    check_engine,
    evaluate_design,
    saltelli_design,
    sobol_analysis,
)
from tecmodel.inputs.case import Case
from tecmodel.model.evaluation import evaluate
from tecmodel.model.metrics import PORTFOLIO, join_portfolio
from tecmodel.model.outputs import METRICS


def case_model(
    case: Case,
    columns: Sequence[Column],
    metrics: Sequence[str] = DEFAULT_METRICS,
    time_resolved: bool = True,
) -> ModelFunction:
    """Model function of a case: uniforms -> metrics (metric, site) and free cash flow (year, site).

    Parameters
    ----------
    case : Case
    columns : sequence of Column
        One per uniform column (:func:`tecmodel.analysis.sampling.factor_columns`).
    metrics : sequence of str
        Metric variables of :attr:`tecmodel.model.evaluation.Result.metrics`.
    time_resolved : bool
        Also return each year's free cash flow (key ``"_fcf"``).
    """
    metrics = list(metrics)

    def model(uniforms: np.ndarray) -> dict[str, xr.DataArray]:
        rows = uniforms.shape[0]
        result = evaluate(case, column_overrides(case, columns, uniforms), generations=False)
        sites = [*result.metrics["site"].values, PORTFOLIO]
        outputs = {
            "": xr.DataArray(
                metric_values(result, metrics, rows),
                dims=("sample", "metric", "site"),
                coords={"metric": np.array(metrics, dtype=str), "site": sites},
            )
        }
        if time_resolved:
            flow = join_portfolio(result.free_cash_flow, result.portfolio_free_cash_flow)
            outputs["_fcf"] = xr.DataArray(
                sample_first(flow, ("year", "site"), rows),
                dims=("sample", "year", "site"),
                coords={"year": flow["year"].values, "site": flow["site"].values},
            )
        return outputs

    return model


def sobol(
    case: Case,
    factors: Sequence[str] | None = DEFAULT_FACTORS,
    n: int = 2**12,
    seed: int = 0,
    second_order: bool = True,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    per_site: bool = False,
    metrics: Sequence[str] = DEFAULT_METRICS,
    time_resolved: bool = True,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    num_resamples: int = 100,
    confidence: float = 0.95,
    engine: str = "vectorised",
) -> xr.Dataset:
    """Sobol' sensitivity indices of a case's metrics (and of each year's free cash flow).

    Parameters
    ----------
    case : Case
    factors : sequence of str or "all"
        Registered parameter names or aliases (``energy_price``, ``utilisation``,
        ``chip_cost`` ...); ``name@site`` moves one site only. With `groups` and no factors, the
        groups' members. A process parameter (``compute_price.level_scale``) moves the central
        path of what the process drives. ``"all"``: every parameter with a distribution in the
        case and every process parameter with one that shapes the central paths (start, level,
        its scale and escalation, speed, drift), by default in the named groups of
        :data:`~tecmodel.analysis.sensitivity.factors.NAMED_GROUPS`
        ("energy, all-in", "delivery", "compute prices and hardware", "operations and other").
        The default stays the three factors energy price, utilisation and chip cost;
        ``energy_price`` (alias of ``power.market_price``) moves the market price as one level
        in every year in place of its path.
    n : int
        Base sample size, a power of two; the model is evaluated n (2G + 2) times with second
        order, n (G + 2) without (G factors or groups), in one vectorised call per `chunk_rows`.
    seed : int
        Seeds the design's scrambling and the bootstrap.
    second_order : bool
        Also compute second-order indices (``S2``) of the metrics.
    groups : mapping of str to sequence of str, optional
        Group name -> factors; each group gets one index.
    per_site : bool
        One factor per site for site-level parameters (``name@site``); by default a
        site-level factor moves every site together.
    metrics : sequence of str
        Metrics analysed (default NPV, IRR, LCOC), per site and for the portfolio.
    time_resolved : bool
        Also the indices of each year's free cash flow (``S1_fcf``, ``S1_fcf_conf``, ``ST_fcf``,
        ``ST_fcf_conf`` over factor, year, site).
    chunk_rows, num_resamples, confidence
        Rows per model call; SALib's bootstrap resamples and confidence level.
    engine : {"vectorised", "salib"}
        How the indices are computed (see :func:`analyse_design`); ``"salib"`` is the slow
        reference.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over (factor, metric, site); ``S2``,
        ``S2_conf`` over (factor, factor_2, metric, site) with second order; ``S1_fcf`` ...
        over (factor, year, site) when time-resolved; attrs ``case``, ``n``, ``seed``,
        ``second_order``, ``sampler``, ``evaluations``, ``factors`` (JSON: each factor's
        parameter, sites and distributions).

    Raises
    ------
    InputError
        For an unknown factor (with the closest names), a structural parameter, a bad group,
        or an `n` that is not a power of two.
    """
    n = check_base_size(n)
    seed = check_seed(seed)
    engine = check_engine(engine)
    metrics = check_metrics(metrics)
    if isinstance(factors, str) and factors == ALL:
        # Every input that carries a distribution in the case, in the named groups unless the
        # caller groups them; the process parameters that shape the central paths join the
        # group of the quantity they drive.
        processes = process_factor_names(case)
        factors = [*sampling_plan(case).parameters, *processes]
        if groups is None:
            groups = named_groups(factors, process_groups_as(case, processes))
    factors = group_members(factors, groups)
    columns = factor_columns(case, factors, per_site=per_site)
    groups_of_columns = grouping(columns, factors, groups)
    model = case_model(case, columns, metrics, time_resolved)
    dataset = sobol_analysis(
        [column.label for column in columns],
        model,
        n,
        seed,
        second_order=second_order,
        groups=groups_of_columns,
        chunk_rows=chunk_rows,
        num_resamples=num_resamples,
        confidence=confidence,
        engine=engine,
    )
    dataset = dataset.assign_coords(units=("metric", [METRICS[m].units for m in metrics]))
    dataset.attrs.update(
        case=case.name,
        factors=json.dumps(describe(columns, groups_of_columns)),
        correlations="not applied (Sobol' indices assume independent inputs)",
    )
    return dataset


def sobol_convergence(
    case: Case,
    factors: Sequence[str] | None = DEFAULT_FACTORS,
    sizes: Sequence[int] = tuple(2**k for k in range(8, 15)),
    seed: int = 0,
    second_order: bool = False,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    per_site: bool = False,
    metrics: Sequence[str] = DEFAULT_METRICS,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    num_resamples: int = 100,
    confidence: float = 0.95,
    engine: str = "vectorised",
) -> xr.Dataset:
    """Sobol' indices of the metrics at increasing base sizes, side by side.

    One design at the largest size is evaluated once; the indices at each smaller size use its
    first rows (Saltelli's design is nested across powers of two for one seed). Options as
    for :func:`sobol`.

    Returns
    -------
    xarray.Dataset
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` over (n, factor, metric, site).
    """
    sizes = sorted({check_base_size(size) for size in sizes})
    seed = check_seed(seed)
    engine = check_engine(engine)
    metrics = check_metrics(metrics)
    if factors is None:
        factors = [member for members in (groups or {}).values() for member in members]
    columns = factor_columns(case, factors, per_site=per_site)
    groups_of_columns = grouping(columns, factors, groups)
    design = saltelli_design(
        [c.label for c in columns],
        sizes[-1],
        seed,
        second_order=second_order,
        groups=groups_of_columns,
    )
    outputs = evaluate_design(
        case_model(case, columns, metrics, time_resolved=False), design.uniforms, chunk_rows
    )
    analyses = [
        analyse_design(
            design,
            outputs,
            n=size,
            seed=seed,
            num_resamples=num_resamples,
            confidence=confidence,
            second_order_outputs=(),
            engine=engine,
        )[list(INDEX_NAMES)]
        for size in sizes
    ]
    dataset = xr.concat(analyses, dim=pd.Index(sizes, name="n"), combine_attrs="drop")
    dataset = dataset.assign_coords(units=("metric", [METRICS[m].units for m in metrics]))
    dataset.attrs.update(
        case=case.name,
        seed=seed,
        second_order=int(second_order),
        sampler="sobol",
        evaluations=design.rows(sizes[-1]),
        factors=json.dumps(describe(columns, groups_of_columns)),
    )
    return dataset
