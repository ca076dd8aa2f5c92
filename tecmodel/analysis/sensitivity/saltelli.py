"""The Sobol' engine: Saltelli's design, its evaluation in chunks, and the indices (SALib).

This module owns the Sobol' workflow and knows nothing about the model: it draws Saltelli's
design on the unit hypercube with ``SALib.sample.sobol.sample`` (scrambled Sobol' sequence), hands
the rows to a **model function** in chunks (``uniforms (rows, factors) -> {suffix: DataArray over
sample ...}``), and analyses every output column with SALib's estimators and bootstrap: by default
all columns and all resamples at once (:func:`tecmodel.numerics.sobol_estimators.sobol_indices`,
one matrix product), with ``engine="salib"`` one ``SALib.analyze.sobol.analyze`` call per column,
the reference the vectorised form is tested against (same numbers to ~1e-15). The case model is
plugged in by :mod:`tecmodel.analysis.sensitivity.sobol_case`; the tests plug in SALib's Ishigami
function through the very same engine and compare with its analytic indices.

- Indices of an output that does not vary (or has undefined values, e.g. an IRR that does not
  exist in some rows) are NaN; ``n_undefined`` counts the undefined rows.
- Saltelli's design for N is the first N (2D + 2) rows of the design for any larger power of two
  (same seed), so one evaluation at the largest N gives the indices at every smaller N (what
  :func:`tecmodel.analysis.sensitivity.sobol_case.sobol_convergence` relies on).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.analysis.sampling import check_seed
from tecmodel.errors import InputError, Problem
from tecmodel.numerics.sobol_estimators import bootstrap, sobol_indices

DEFAULT_CHUNK_ROWS = (
    2**15
)  # rows per model call: faster than 2^14, ~0.9 GiB peak on the doubled case
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
        raise InputError(
            Problem(
                "n",
                "expected a power of two >= 2 (e.g. 4096 = 2**12): Saltelli's design is "
                "built on a Sobol' sequence, balanced only at powers of two",
                n,
            )
        )
    return int(n)


def saltelli_design(
    factor_labels: Sequence[str],
    n: int,
    seed: int,
    *,
    second_order: bool = True,
    groups: Sequence[str] | None = None,
) -> Design:
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
    problem = {
        "num_vars": len(factor_labels),
        "names": list(factor_labels),
        "bounds": [[0.0, 1.0]] * len(factor_labels),
    }
    if groups is not None:
        problem["groups"] = list(groups)
    labels = tuple(
        str(label) for label in pd.unique(np.array(groups if groups is not None else factor_labels))
    )
    if len(labels) < 2:
        raise InputError(
            Problem(
                "factors",
                "expected at least two factors (or groups) for Sobol' indices",
                list(factor_labels),
            )
        )
    uniforms = salib_sample.sample(
        problem,
        n,
        calc_second_order=second_order,
        scramble=True,
        seed=np.random.default_rng(np.random.SeedSequence(seed)),
    )
    return Design(problem, uniforms, n, second_order, labels)


def evaluate_design(
    model: ModelFunction,
    uniforms: np.ndarray,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
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
                raise ValueError(
                    f"output {suffix!r} has {output.sizes['sample']} rows for {stop - start} "
                    "design rows"
                )
            if suffix not in values:
                templates[suffix] = output.isel(sample=0, drop=True).drop_attrs()
                values[suffix] = np.empty((rows,) + output.shape[1:], dtype=output.dtype)
            values[suffix][start:stop] = output.values
    return {
        suffix: xr.DataArray(
            values[suffix], dims=("sample",) + template.dims, coords=template.coords
        )
        for suffix, template in templates.items()
    }


def check_engine(engine) -> str:
    """The Sobol' analysis engine: ``"vectorised"`` (default) or ``"salib"`` (the reference)."""
    if engine not in ENGINES:
        raise InputError(
            Problem(
                "engine",
                "expected 'vectorised' (all outputs and bootstrap resamples at once, "
                "tecmodel.numerics.sobol_estimators) or 'salib' (SALib.analyze.sobol per output "
                "column, the reference)",
                engine,
            )
        )
    return engine


def analyse_design(
    design: Design,
    outputs: Mapping[str, xr.DataArray],
    *,
    n: int | None = None,
    seed: int = 0,
    num_resamples: int = 100,
    confidence: float = 0.95,
    second_order_outputs: Sequence[str] = ("",),
    engine: str = "vectorised",
) -> xr.Dataset:
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
        ``"vectorised"``: :func:`tecmodel.numerics.sobol_estimators.sobol_indices`, every column and
        every resample of an output in one matrix product (the resamples drawn once for all
        outputs); ``"salib"``: ``SALib.analyze.sobol.analyze`` column by column. Both give the
        same indices and half-widths (same estimators, same bootstrap resamples) up to rounding
        (~1e-15).

    Returns
    -------
    xarray.Dataset
        ``S1{suffix}``, ``S1{suffix}_conf``, ``ST{suffix}``, ``ST{suffix}_conf`` over
        ``(factor, *output dims)``; ``S2``, ``S2_conf`` over (factor, factor_2, ...);
        ``n_undefined{suffix}`` over the output dims. Units "1". Columns with undefined (NaN)
        values or no spread (:func:`_varies_columns`) get NaN indices.
    """
    engine = check_engine(engine)
    n = design.n if n is None else check_base_size(n)
    rows = design.rows(n)
    labels = list(design.labels)
    groups = len(labels)
    salib_seed = (
        int(np.random.SeedSequence(check_seed(seed)).generate_state(1)[0]) + 1
    )  # SALib ignores seed 0
    variables: dict[str, xr.DataArray] = {}
    resamples = None
    for suffix, output in outputs.items():
        output = output.transpose("sample", ...).isel(sample=slice(0, rows))
        if output.sizes["sample"] != rows:
            raise ValueError(
                f"output {suffix!r} has {output.sizes['sample']} rows; the design needs {rows}"
            )
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
            if (
                resamples is None
            ):  # drawn once, shared by every output (SALib draws the same for each)
                resamples = bootstrap(n, num_resamples, salib_seed)
            indices = sobol_indices(
                values,
                groups,
                second_order=design.second_order,
                num_resamples=num_resamples,
                confidence=confidence,
                seed=salib_seed,
                keep_second_order=keep_second,
                resamples=resamples,
            )
        elif analysed.size:
            indices = _salib_indices(
                design,
                values,
                keep_second=keep_second,
                num_resamples=num_resamples,
                confidence=confidence,
                seed=salib_seed,
            )
        if analysed.size:
            for name in INDEX_NAMES:
                first[name][:, analysed] = indices[name]
            if keep_second:
                for name in ("S2", "S2_conf"):
                    second[name][:, :, analysed] = indices[name]
        coords = {dim: output[dim].values for dim in other_dims if dim in output.coords}
        for name in INDEX_NAMES:
            variables[_variable_name(name, suffix)] = xr.DataArray(
                first[name].reshape([groups] + other_shape),
                dims=["factor"] + other_dims,
                coords={"factor": labels, **coords},
                attrs=_index_attrs(name, confidence),
            )
        if keep_second:
            for name in ("S2", "S2_conf"):
                variables[_variable_name(name, suffix)] = xr.DataArray(
                    second[name].reshape([groups, groups] + other_shape),
                    dims=["factor", "factor_2"] + other_dims,
                    coords={"factor": labels, "factor_2": labels, **coords},
                    attrs=_index_attrs(name, confidence),
                )
        variables["n_undefined" + suffix] = xr.DataArray(
            undefined.reshape(other_shape),
            dims=other_dims,
            coords=coords,
            attrs={"units": "1", "long_name": "Design rows where the output is undefined (NaN)"},
        )
    dataset = xr.Dataset(variables)
    dataset.attrs.update(
        n=n,
        seed=check_seed(seed),
        second_order=int(design.second_order),
        sampler="sobol",
        evaluations=rows,
        num_resamples=num_resamples,
        confidence=confidence,
        engine=engine,
        method="SALib.sample.sobol (Saltelli's scheme on a scrambled Sobol' sequence); the "
        "estimators of SALib.analyze.sobol (Saltelli 2010 / Jansen, Saltelli 2002 for "
        "second order, bootstrap confidence) "
        + (
            "vectorised over outputs and resamples (tecmodel.numerics.sobol_estimators)"
            if engine == "vectorised"
            else "computed by SALib.analyze.sobol"
        ),
    )
    return dataset


def _salib_indices(
    design: Design,
    matrix: np.ndarray,
    *,
    keep_second: bool,
    num_resamples: int,
    confidence: float,
    seed: int,
) -> dict[str, np.ndarray]:
    """Indices of each column of `matrix` (rows, columns), one ``SALib.analyze.sobol`` call each."""
    from SALib.analyze import sobol as salib_analyze

    groups, columns = len(design.labels), matrix.shape[1]
    result = {name: np.full((groups, columns), np.nan) for name in INDEX_NAMES}
    if keep_second:
        result.update(
            {name: np.full((groups, groups, columns), np.nan) for name in ("S2", "S2_conf")}
        )
    for column in range(columns):
        indices = salib_analyze.analyze(
            design.problem,
            np.ascontiguousarray(matrix[:, column]),
            calc_second_order=design.second_order,
            num_resamples=num_resamples,
            conf_level=confidence,
            seed=seed,
        )
        for name in result:
            result[name][..., column] = indices[name]
    return result


def _variable_name(index: str, suffix: str) -> str:
    """``S1`` + ``_fcf`` -> ``S1_fcf``; ``S1_conf`` + ``_fcf`` -> ``S1_fcf_conf``."""
    if index.endswith("_conf"):
        return index.removesuffix("_conf") + suffix + "_conf"
    return index + suffix


def _varies_columns(matrix: np.ndarray) -> np.ndarray:
    """Per column of (rows, columns): False if constant to rounding (spread < 1e-12 of its size)."""
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
        long_name = (
            f"Half-width of the {confidence:.0%} bootstrap confidence interval of the "
            f"{long_name[0].lower()}{long_name[1:]}"
        )
    return {"units": "1", "long_name": long_name}


def sobol_analysis(
    factor_labels: Sequence[str],
    model: ModelFunction,
    n: int,
    seed: int = 0,
    *,
    second_order: bool = True,
    groups: Sequence[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    num_resamples: int = 100,
    confidence: float = 0.95,
    second_order_outputs: Sequence[str] = ("",),
    engine: str = "vectorised",
) -> xr.Dataset:
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
    return analyse_design(
        design,
        outputs,
        seed=seed,
        num_resamples=num_resamples,
        confidence=confidence,
        second_order_outputs=second_order_outputs,
        engine=engine,
    )
