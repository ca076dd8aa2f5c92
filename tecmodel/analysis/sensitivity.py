"""Sensitivity analyses: Sobol' indices (SALib) and one-at-a-time tornado data.

This module owns the Sobol' workflow and the tornado table; the sampling maths is SALib's and
scipy's, the model is :func:`tecmodel.evaluate`.

Sobol'. :func:`sobol_analysis` is the engine and knows nothing about the model: it draws
Saltelli's design on the unit hypercube with ``SALib.sample.sobol.sample`` (scrambled Sobol'
sequence), hands the rows to a **model function** in chunks (``uniforms (rows, factors) ->
{suffix: DataArray over sample ...}``), and analyses every output column with SALib's
estimators and bootstrap: by default all columns and all resamples at once
(:func:`tecmodel.sobol_estimators.sobol_indices`, one matrix product), with
``engine="salib"`` one ``SALib.analyze.sobol.analyze`` call per column, the reference the
vectorised form is tested against (same numbers to ~1e-15). :func:`sobol` plugs in the case
model (each factor's quantile function, then one vectorised :func:`tecmodel.evaluate` per
chunk); the tests plug in SALib's Ishigami function through the very same engine and compare
with its analytic indices.

- A site-level factor moves every site together, each to the same quantile of its own
  distribution (one factor, as a user asking "does utilisation matter" means it); ``per_site``
  splits it into one factor per site, and ``name@site`` moves one site only.
- A factor's distribution is the case's (``distribution:`` in the case file), otherwise a
  triangular distribution on the registry reference range with the case value as mode.
- Sobol' indices assume independent inputs: the case's rank correlations are not applied here
  (they are in Monte Carlo studies).
- Groups (``groups={"power": ["energy_price", "power.contract_price"]}``) give one index per
  group (SALib's groups); ungrouped factors keep their own.
- Indices of an output that does not vary (or has undefined values, e.g. an IRR that does not
  exist in some rows) are NaN; ``n_undefined`` counts the undefined rows.
- Convergence (:func:`sobol_convergence`): Saltelli's design for N is the first N (2D + 2)
  rows of the design for any larger power of two (same seed), so one evaluation at the largest
  N gives the indices at every smaller N.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

#: Units and long names of every metric of a result: project, equity and debt (issue 3).
from tecmodel.analysis.sampling import Column, check_seed, column_overrides, factor_columns
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import METRICS

DEFAULT_FACTORS: tuple[str, ...] = ("energy_price", "utilisation", "chip_cost")
DEFAULT_METRICS: tuple[str, ...] = ("npv", "irr", "lcoc")
DEFAULT_CHUNK_ROWS = 2**15  # rows per model call: faster than 2^14, ~0.9 GiB peak on the doubled case
INDEX_NAMES = ("S1", "S1_conf", "ST", "ST_conf")
#: Analysis engines: SALib's estimators vectorised over outputs and resamples, or SALib itself.
ENGINES = ("vectorised", "salib")

#: A model function: uniforms (rows, factors) in [0, 1) -> outputs, each over ``sample`` first.
ModelFunction = Callable[[np.ndarray], Mapping[str, xr.DataArray]]


@dataclass(frozen=True)
class Design:
    """Saltelli's design on the unit hypercube.

    Attributes
    ----------
    problem : dict
        The SALib problem (names, bounds [0, 1], groups).
    uniforms : numpy.ndarray
        Rows (n (2G + 2) with second order, n (G + 2) without; G factors or groups) x factors.
    n : int
        Base sample size.
    second_order : bool
    labels : tuple of str
        Output factor labels (group names where grouped), in SALib's order.
    """

    problem: dict
    uniforms: np.ndarray
    n: int
    second_order: bool
    labels: tuple[str, ...]

    def rows(self, n: int) -> int:
        """Rows of the design for base size `n` (a prefix of this one)."""
        groups = len(self.labels)
        return n * (2 * groups + 2 if self.second_order else groups + 2)


def check_base_size(n) -> int:
    """A Sobol' base sample size: a power of two, at least 2."""
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 2 or n & (n - 1):
        raise InputError(Problem("n", "expected a power of two >= 2 (e.g. 4096 = 2**12): Saltelli's design is "
                                      "built on a Sobol' sequence, balanced only at powers of two", n))
    return int(n)


def saltelli_design(factor_labels: Sequence[str], n: int, seed: int, *, second_order: bool = True,
                    groups: Sequence[str] | None = None) -> Design:
    """Saltelli's design for `factor_labels` on [0, 1) (SALib.sample.sobol, scrambled).

    Parameters
    ----------
    factor_labels : sequence of str
        One per column.
    n : int
        Base sample size (power of two).
    seed : int
        Seeds the scrambling (through ``numpy.random.SeedSequence(seed)``; 0 is a seed).
    second_order : bool
    groups : sequence of str, optional
        Group name of each column (SALib's ``groups``).
    """
    from SALib.sample import sobol as salib_sample

    n = check_base_size(n)
    seed = check_seed(seed)
    problem = {"num_vars": len(factor_labels), "names": list(factor_labels),
               "bounds": [[0.0, 1.0]] * len(factor_labels)}
    if groups is not None:
        problem["groups"] = list(groups)
    labels = tuple(str(label) for label in pd.unique(np.array(groups if groups is not None else factor_labels)))
    if len(labels) < 2:
        raise InputError(Problem("factors", "expected at least two factors (or groups) for Sobol' indices",
                                 list(factor_labels)))
    uniforms = salib_sample.sample(problem, n, calc_second_order=second_order, scramble=True,
                                   seed=np.random.default_rng(np.random.SeedSequence(seed)))
    return Design(problem, uniforms, n, second_order, labels)


def evaluate_design(model: ModelFunction, uniforms: np.ndarray, chunk_rows: int = DEFAULT_CHUNK_ROWS,
                    ) -> dict[str, xr.DataArray]:
    """Evaluate a model function on the design rows, `chunk_rows` rows per call.

    Each chunk's outputs are copied into one array per output allocated at the first chunk (no
    concatenation of chunk results), so memory is the outputs plus one chunk's model.

    Returns
    -------
    dict of str to xarray.DataArray
        Each output over ``sample`` (first dimension, every design row, without a ``sample``
        coordinate) and the model's other dimensions and coordinates.
    """
    rows = uniforms.shape[0]
    chunk_rows = max(1, int(chunk_rows))
    templates: dict[str, xr.DataArray] = {}
    values: dict[str, np.ndarray] = {}
    for start in range(0, rows, chunk_rows):
        stop = min(start + chunk_rows, rows)
        for suffix, output in model(uniforms[start:stop]).items():
            output = output.transpose("sample", ...)
            if output.sizes["sample"] != stop - start:
                raise ValueError(f"output {suffix!r} has {output.sizes['sample']} rows for {stop - start} design rows")
            if suffix not in values:
                templates[suffix] = output.isel(sample=0, drop=True).drop_attrs()
                values[suffix] = np.empty((rows,) + output.shape[1:], dtype=output.dtype)
            values[suffix][start:stop] = output.values
    return {suffix: xr.DataArray(values[suffix], dims=("sample",) + template.dims, coords=template.coords)
            for suffix, template in templates.items()}


def check_engine(engine) -> str:
    """The Sobol' analysis engine: ``"vectorised"`` (default) or ``"salib"`` (the reference)."""
    if engine not in ENGINES:
        raise InputError(Problem("engine", "expected 'vectorised' (all outputs and bootstrap resamples at once, "
                                           "tecmodel.sobol_estimators) or 'salib' (SALib.analyze.sobol per output "
                                           "column, the reference)", engine))
    return engine


def analyse_design(design: Design, outputs: Mapping[str, xr.DataArray], *, n: int | None = None, seed: int = 0,
                   num_resamples: int = 100, confidence: float = 0.95,
                   second_order_outputs: Sequence[str] = ("",), engine: str = "vectorised") -> xr.Dataset:
    """Sobol' indices of every output column with bootstrap confidence half-widths, as a Dataset.

    Parameters
    ----------
    design : Design
    outputs : mapping of str to xarray.DataArray
        Model outputs over ``sample`` (the design's rows, or a prefix of them) and any other
        dims; the key is appended to the index names (``""`` gives ``S1``, ``"_fcf"`` gives
        ``S1_fcf``).
    n : int, optional
        Analyse the first n (2G + 2) rows only (default: the design's n).
    seed : int
        Seeds SALib's bootstrap (normalised so that 0 is a seed).
    num_resamples, confidence
        SALib's bootstrap resamples and confidence level of ``*_conf`` (half-widths).
    second_order_outputs : sequence of str
        Outputs whose second-order indices are kept (when the design has them).
    engine : {"vectorised", "salib"}
        ``"vectorised"``: :func:`tecmodel.sobol_estimators.sobol_indices`, every column and
        every resample of an output in one matrix product (the resamples drawn once for all
        outputs); ``"salib"``: ``SALib.analyze.sobol.analyze`` column by column. Both give the
        same indices and half-widths (same estimators, same bootstrap resamples) up to rounding
        (~1e-15).

    Returns
    -------
    xarray.Dataset
        ``S1{suffix}``, ``S1{suffix}_conf``, ``ST{suffix}``, ``ST{suffix}_conf`` over
        (factor, *output dims); ``S2``, ``S2_conf`` over (factor, factor_2, ...);
        ``n_undefined{suffix}`` over the output dims. Units "1". Columns with undefined (NaN)
        values or no spread (:func:`_varies_columns`) get NaN indices.
    """
    engine = check_engine(engine)
    n = design.n if n is None else check_base_size(n)
    rows = design.rows(n)
    labels = list(design.labels)
    groups = len(labels)
    salib_seed = int(np.random.SeedSequence(check_seed(seed)).generate_state(1)[0]) + 1  # SALib ignores seed 0
    variables: dict[str, xr.DataArray] = {}
    resamples = None
    for suffix, output in outputs.items():
        output = output.transpose("sample", ...).isel(sample=slice(0, rows))
        if output.sizes["sample"] != rows:
            raise ValueError(f"output {suffix!r} has {output.sizes['sample']} rows; the design needs {rows}")
        other_dims = [dim for dim in output.dims if dim != "sample"]
        other_shape = [output.sizes[dim] for dim in other_dims]
        matrix = output.values.reshape(rows, -1)  # (rows, columns)
        columns = matrix.shape[1]
        keep_second = design.second_order and suffix in second_order_outputs
        undefined = np.isnan(matrix).sum(axis=0)
        analysed = np.flatnonzero((undefined == 0) & _varies_columns(matrix))
        first = {name: np.full((groups, columns), np.nan) for name in INDEX_NAMES}
        second = {name: np.full((groups, groups, columns), np.nan) for name in ("S2", "S2_conf")}
        values = matrix if analysed.size == columns else matrix[:, analysed]
        if analysed.size and engine == "vectorised":
            from tecmodel.numerics.sobol_estimators import bootstrap, sobol_indices

            if resamples is None:  # drawn once, shared by every output (SALib draws the same for each)
                resamples = bootstrap(n, num_resamples, salib_seed)
            indices = sobol_indices(values, groups, second_order=design.second_order, num_resamples=num_resamples,
                                    confidence=confidence, seed=salib_seed, keep_second_order=keep_second,
                                    resamples=resamples)
        elif analysed.size:
            indices = _salib_indices(design, values, keep_second=keep_second, num_resamples=num_resamples,
                                     confidence=confidence, seed=salib_seed)
        if analysed.size:
            for name in INDEX_NAMES:
                first[name][:, analysed] = indices[name]
            if keep_second:
                for name in ("S2", "S2_conf"):
                    second[name][:, :, analysed] = indices[name]
        coords = {dim: output[dim].values for dim in other_dims if dim in output.coords}
        for name in INDEX_NAMES:
            variables[_variable_name(name, suffix)] = xr.DataArray(
                first[name].reshape([groups] + other_shape), dims=["factor"] + other_dims,
                coords={"factor": labels, **coords}, attrs=_index_attrs(name, confidence))
        if keep_second:
            for name in ("S2", "S2_conf"):
                variables[_variable_name(name, suffix)] = xr.DataArray(
                    second[name].reshape([groups, groups] + other_shape), dims=["factor", "factor_2"] + other_dims,
                    coords={"factor": labels, "factor_2": labels, **coords}, attrs=_index_attrs(name, confidence))
        variables["n_undefined" + suffix] = xr.DataArray(
            undefined.reshape(other_shape), dims=other_dims, coords=coords,
            attrs={"units": "1", "long_name": "Design rows where the output is undefined (NaN)"})
    dataset = xr.Dataset(variables)
    dataset.attrs.update(n=n, seed=check_seed(seed), second_order=int(design.second_order), sampler="sobol",
                         evaluations=rows, num_resamples=num_resamples, confidence=confidence, engine=engine,
                         method="SALib.sample.sobol (Saltelli's scheme on a scrambled Sobol' sequence); the "
                                "estimators of SALib.analyze.sobol (Saltelli 2010 / Jansen, Saltelli 2002 for "
                                "second order, bootstrap confidence) "
                                + ("vectorised over outputs and resamples (tecmodel.sobol_estimators)"
                                   if engine == "vectorised" else "computed by SALib.analyze.sobol"))
    return dataset


def _salib_indices(design: Design, matrix: np.ndarray, *, keep_second: bool, num_resamples: int,
                   confidence: float, seed: int) -> dict[str, np.ndarray]:
    """Indices of every column of `matrix` (rows, columns), one ``SALib.analyze.sobol`` call per column."""
    from SALib.analyze import sobol as salib_analyze

    groups, columns = len(design.labels), matrix.shape[1]
    result = {name: np.full((groups, columns), np.nan) for name in INDEX_NAMES}
    if keep_second:
        result.update({name: np.full((groups, groups, columns), np.nan) for name in ("S2", "S2_conf")})
    for column in range(columns):
        indices = salib_analyze.analyze(design.problem, np.ascontiguousarray(matrix[:, column]),
                                        calc_second_order=design.second_order, num_resamples=num_resamples,
                                        conf_level=confidence, seed=seed)
        for name in result:
            result[name][..., column] = indices[name]
    return result


def _variable_name(index: str, suffix: str) -> str:
    """``S1`` + ``_fcf`` -> ``S1_fcf``; ``S1_conf`` + ``_fcf`` -> ``S1_fcf_conf``."""
    if index.endswith("_conf"):
        return index.removesuffix("_conf") + suffix + "_conf"
    return index + suffix


def _varies_columns(matrix: np.ndarray) -> np.ndarray:
    """Per column of (rows, columns): True unless constant to rounding (spread under 1e-12 of its size)."""
    spread = np.ptp(matrix, axis=0)
    size = np.maximum(np.max(np.abs(matrix), axis=0), np.finfo(float).tiny)
    return spread > 1e-12 * size


def _index_attrs(name: str, confidence: float) -> dict[str, str]:
    meaning = {
        "S1": "First-order Sobol' index",
        "ST": "Total-order Sobol' index",
        "S2": "Second-order Sobol' index (upper triangle)",
    }
    base = name.removesuffix("_conf")
    long_name = meaning[base]
    if name.endswith("_conf"):
        long_name = f"Half-width of the {confidence:.0%} bootstrap confidence interval of the {long_name[0].lower()}" \
                    f"{long_name[1:]}"
    return {"units": "1", "long_name": long_name}


def sobol_analysis(factor_labels: Sequence[str], model: ModelFunction, n: int, seed: int = 0, *,
                   second_order: bool = True, groups: Sequence[str] | None = None,
                   chunk_rows: int = DEFAULT_CHUNK_ROWS, num_resamples: int = 100, confidence: float = 0.95,
                   second_order_outputs: Sequence[str] = ("",), engine: str = "vectorised") -> xr.Dataset:
    """Sobol' indices of a model function: design, chunked evaluation, analysis.

    Parameters
    ----------
    factor_labels : sequence of str
        One per input column of the model function.
    model : callable
        ``uniforms (rows, factors) in [0, 1) -> {suffix: DataArray over sample, ...}``; it maps
        the uniforms through its inputs' quantile functions itself.
    n : int
        Base sample size (power of two); the model sees n (2G + 2) rows (n (G + 2) without
        second order).
    seed, second_order, groups, chunk_rows, num_resamples, confidence, second_order_outputs, engine
        See :func:`saltelli_design`, :func:`evaluate_design` and :func:`analyse_design`.

    Returns
    -------
    xarray.Dataset
        See :func:`analyse_design`.
    """
    engine = check_engine(engine)
    design = saltelli_design(factor_labels, n, seed, second_order=second_order, groups=groups)
    outputs = evaluate_design(model, design.uniforms, chunk_rows)
    return analyse_design(design, outputs, seed=seed, num_resamples=num_resamples, confidence=confidence,
                          second_order_outputs=second_order_outputs, engine=engine)


# --------------------------------------------------------------------------- the case model


def case_model(case: Case, columns: Sequence[Column], metrics: Sequence[str] = DEFAULT_METRICS,
               time_resolved: bool = True) -> ModelFunction:
    """Model function of a case: uniforms -> metrics (metric, site) and free cash flow (year, site).

    Parameters
    ----------
    case : Case
    columns : sequence of Column
        One per uniform column (:func:`tecmodel.sampling.factor_columns`).
    metrics : sequence of str
        Metric variables of :attr:`tecmodel.Result.metrics`.
    time_resolved : bool
        Also return each year's free cash flow (key ``"_fcf"``).
    """
    from tecmodel.model.evaluation import evaluate

    metrics = list(metrics)

    def model(uniforms: np.ndarray) -> dict[str, xr.DataArray]:
        rows = uniforms.shape[0]
        result = evaluate(case, column_overrides(case, columns, uniforms))
        sites = result.metrics["site"].values
        stacked = np.stack([_sample_first(result.metrics[name], ("site",), rows) for name in metrics], axis=1)
        outputs = {"": xr.DataArray(stacked, dims=("sample", "metric", "site"),
                                    coords={"metric": np.array(metrics, dtype=str), "site": sites})}
        if time_resolved:
            flow = result.free_cash_flow
            outputs["_fcf"] = xr.DataArray(_sample_first(flow, ("year", "site"), rows), dims=("sample", "year", "site"),
                                           coords={"year": flow["year"].values, "site": flow["site"].values})
        return outputs

    return model


def _sample_first(array: xr.DataArray, dims: Sequence[str], rows: int) -> np.ndarray:
    """Values of `array` as (sample, *dims), repeated along ``sample`` if it does not vary."""
    if "sample" not in array.dims:
        array = array.expand_dims(sample=rows)
    return array.transpose("sample", *dims).values


def _check_metrics(metrics: Sequence[str]) -> list[str]:
    metrics = list(metrics)
    if not metrics:
        raise InputError(Problem("metrics", "expected at least one metric", metrics))
    for index, name in enumerate(metrics):
        if name not in METRICS or name.endswith("_status"):
            known = ", ".join(m for m in METRICS if not m.endswith("_status"))
            raise InputError(Problem(f"metrics[{index}]", f"expected one of {known}", name))
    return metrics


def _grouping(columns: Sequence[Column], factors: Sequence[str], groups: Mapping[str, Sequence[str]] | None,
              ) -> list[str] | None:
    """Group name of each column (None without groups)."""
    if not groups:
        return None
    assignment: dict[int, str] = {}
    for group, members in groups.items():
        if isinstance(members, str) or not members:
            raise InputError(Problem(f"groups[{group!r}]", "expected a non-empty list of factors", members))
        for member in members:
            matched = [i for i, column in enumerate(columns)
                       if column.label == member or column.label.startswith(f"{member}@")]
            if not matched:
                raise InputError(Problem(f"groups[{group!r}]", f"{member!r} is not one of the factors "
                                                               f"{list(factors)}; expected factors listed in factors",
                                         member))
            for index in matched:
                if index in assignment and assignment[index] != group:
                    raise InputError(Problem(f"groups[{group!r}]", f"{member!r} is already in group "
                                                                   f"{assignment[index]!r}; expected each factor in "
                                                                   "one group", member))
                assignment[index] = group
    labels = [column.label for column in columns]
    clash = set(groups).intersection(label for i, label in enumerate(labels) if i not in assignment)
    if clash:
        raise InputError(Problem("groups", f"group name(s) {sorted(clash)} equal an ungrouped factor's name; expected "
                                           "distinct names", sorted(clash)))
    return [assignment.get(i, label) for i, label in enumerate(labels)]


def sobol(case: Case, factors: Sequence[str] | None = DEFAULT_FACTORS, n: int = 2**12, seed: int = 0,
          second_order: bool = True, groups: Mapping[str, Sequence[str]] | None = None, *,
          per_site: bool = False, metrics: Sequence[str] = DEFAULT_METRICS, time_resolved: bool = True,
          chunk_rows: int = DEFAULT_CHUNK_ROWS, num_resamples: int = 100, confidence: float = 0.95,
          engine: str = "vectorised") -> xr.Dataset:
    """Sobol' sensitivity indices of a case's metrics (and of each year's free cash flow).

    Parameters
    ----------
    case : Case
    factors : sequence of str
        Registered parameter names or aliases (``energy_price``, ``utilisation``,
        ``chip_cost`` ...); ``name@site`` moves one site only. With `groups` and no factors, the
        groups' members.
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
    metrics = _check_metrics(metrics)
    if factors is None:
        if not groups:
            raise InputError(Problem("factors", "expected factors (or groups)", factors))
        factors = [member for members in groups.values() for member in members]
    columns = factor_columns(case, factors, per_site=per_site)
    grouping = _grouping(columns, factors, groups)
    model = case_model(case, columns, metrics, time_resolved)
    dataset = sobol_analysis([column.label for column in columns], model, n, seed, second_order=second_order,
                             groups=grouping, chunk_rows=chunk_rows, num_resamples=num_resamples,
                             confidence=confidence, engine=engine)
    dataset = dataset.assign_coords(units=("metric", [METRICS[m].units for m in metrics]))
    dataset.attrs.update(case=case.name, factors=json.dumps(_describe(columns, grouping)),
                         correlations="not applied (Sobol' indices assume independent inputs)")
    return dataset


def _describe(columns: Sequence[Column], grouping: Sequence[str] | None) -> list[dict]:
    described = []
    for index, column in enumerate(columns):
        described.append({
            "factor": column.label,
            "group": grouping[index] if grouping else column.label,
            "parameter": column.parameter.name,
            "sites": list(column.sites),
            "distributions": [d.describe(column.parameter.unit) for d in column.distributions],
        })
    return described


def sobol_convergence(case: Case, factors: Sequence[str] | None = DEFAULT_FACTORS,
                      sizes: Sequence[int] = tuple(2**k for k in range(8, 15)), seed: int = 0,
                      second_order: bool = False, groups: Mapping[str, Sequence[str]] | None = None, *,
                      per_site: bool = False, metrics: Sequence[str] = DEFAULT_METRICS,
                      chunk_rows: int = DEFAULT_CHUNK_ROWS, num_resamples: int = 100,
                      confidence: float = 0.95, engine: str = "vectorised") -> xr.Dataset:
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
    metrics = _check_metrics(metrics)
    if factors is None:
        factors = [member for members in (groups or {}).values() for member in members]
    columns = factor_columns(case, factors, per_site=per_site)
    grouping = _grouping(columns, factors, groups)
    design = saltelli_design([c.label for c in columns], sizes[-1], seed, second_order=second_order,
                             groups=grouping)
    outputs = evaluate_design(case_model(case, columns, metrics, time_resolved=False), design.uniforms,
                              chunk_rows)
    analyses = [analyse_design(design, outputs, n=size, seed=seed, num_resamples=num_resamples,
                               confidence=confidence, second_order_outputs=(), engine=engine)[list(INDEX_NAMES)]
                for size in sizes]
    dataset = xr.concat(analyses, dim=pd.Index(sizes, name="n"), combine_attrs="drop")
    dataset = dataset.assign_coords(units=("metric", [METRICS[m].units for m in metrics]))
    dataset.attrs.update(case=case.name, seed=seed, second_order=int(second_order), sampler="sobol",
                         evaluations=design.rows(sizes[-1]), factors=json.dumps(_describe(columns, grouping)))
    return dataset


# --------------------------------------------------------------------------- tornado


def tornado(case: Case, factors: Sequence[str] = DEFAULT_FACTORS, metrics: Sequence[str] = ("npv", "irr", "lcoc"),
            quantiles: tuple[float, float] = (0.1, 0.9), *, per_site: bool = False) -> xr.Dataset:
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
    metrics = _check_metrics(metrics)
    low_q, high_q = _check_quantiles(quantiles)
    columns = factor_columns(case, factors, per_site=per_site)
    sites = list(case.site_names)
    rows = 2 * len(columns) + 1
    overrides: dict[str, np.ndarray] = {}
    inputs = np.full((3, len(columns), len(sites) + 1), np.nan)
    for position, column in enumerate(columns):
        name = column.parameter.name
        base = case.value(name)
        base = np.asarray(base.values if hasattr(base, "values") else [base] * len(sites), dtype=float)
        if name not in overrides:
            overrides[name] = np.repeat(base[:, None], rows, axis=1)
        low = column.values(np.array([low_q]))
        high = column.values(np.array([high_q]))
        target = [sites.index(s) for s in column.sites] if column.sites else list(range(len(sites)))
        for row, values in ((2 * position + 1, low), (2 * position + 2, high)):
            overrides[name][target, row] = np.ravel(values)
        inputs[1, position, :-1] = base
        inputs[0, position, :-1] = base
        inputs[2, position, :-1] = base
        inputs[0, position, target] = np.ravel(low)
        inputs[2, position, target] = np.ravel(high)
    arrays = {}
    for name, values in overrides.items():
        from tecmodel.inputs.registry import resolve

        if resolve(name).scope == "case":
            arrays[name] = xr.DataArray(values[0], dims="sample")
        else:
            arrays[name] = xr.DataArray(values, dims=("site", "sample"), coords={"site": sites})
    from tecmodel.model.evaluation import evaluate

    result = evaluate(case, arrays)
    metric_index = xr.DataArray(np.array(metrics, dtype=str), dims="metric", name="metric")
    stacked = xr.concat([result.metrics[m].drop_attrs() for m in metrics], dim=metric_index).transpose(
        "sample", "metric", "site")
    labels = [column.label for column in columns]
    low = stacked.isel(sample=slice(1, None, 2)).rename(sample="factor").assign_coords(factor=labels)
    high = stacked.isel(sample=slice(2, None, 2)).rename(sample="factor").assign_coords(factor=labels)
    site_coord = sites + [PORTFOLIO]
    dataset = xr.Dataset(
        {
            "low": low.assign_attrs(long_name=f"Metric with the factor at its {low_q:g} quantile, others at base",
                                    units="see the units coordinate"),
            "high": high.assign_attrs(long_name=f"Metric with the factor at its {high_q:g} quantile, others at base",
                                      units="see the units coordinate"),
            "swing": (high - low).assign_attrs(long_name="high - low", units="see the units coordinate"),
            "base": stacked.isel(sample=0, drop=True).assign_attrs(long_name="Metric at base values",
                                                                   units="see the units coordinate"),
        })
    for index, name in enumerate(("input_low", "input_base", "input_high")):
        dataset[name] = xr.DataArray(inputs[index], dims=("factor", "site"),
                                     coords={"factor": labels, "site": site_coord},
                                     attrs={"units": "see the factor_units coordinate",
                                            "long_name": f"Factor value used ({name.removeprefix('input_')})"})
    dataset = dataset.assign_coords(units=("metric", [METRICS[m].units for m in metrics]),
                                    factor_units=("factor", [c.parameter.unit for c in columns]))
    dataset.attrs.update(case=case.name, quantile_low=low_q, quantile_high=high_q,
                         factors=json.dumps(_describe(columns, None)))
    return dataset


def _check_quantiles(quantiles) -> tuple[float, float]:
    try:
        low, high = (float(q) for q in quantiles)
    except (TypeError, ValueError):
        raise InputError(Problem("quantiles", "expected two probabilities (low, high)", quantiles)) from None
    if not 0.0 <= low < high <= 1.0:
        raise InputError(Problem("quantiles", "expected 0 <= low < high <= 1", quantiles))
    return low, high
