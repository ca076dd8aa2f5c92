"""Sobol' indices and their bootstrap confidence intervals for many outputs at once.

This module owns the vectorised form of the estimators of ``SALib.analyze.sobol`` (SALib 1.6):
the same design layout, normalisation, formulas, bootstrap resamples and confidence half-widths,
computed for every output column together instead of one column and one resample at a time.
:func:`tecmodel.sensitivity.analyse_design` calls it by default and keeps SALib as the
reference (``engine="salib"``) that the tests compare it with.

For each output column SALib

1. normalises the column, ``Y = (Y - mean(Y)) / std(Y)`` over all design rows;
2. splits it into the base matrices ``A``, ``B`` and the mixed matrices ``AB_j`` (``A`` with
   column j from ``B``) and ``BA_j`` (second order only): rows ``0``, ``step - 1``, ``1 + j``
   and ``1 + G + j`` of each block of ``step = 2G + 2`` rows (``G + 2`` without second order;
   G factors or groups);
3. estimates, with ``V = var(r_[A, B])`` (population variance over the 2N values),

   - first order (Saltelli et al. 2010): ``S1_j = mean(B (AB_j - A)) / V``,
   - total order (Jansen 1999): ``ST_j = mean((A - AB_j)^2) / 2 / V``,
   - second order (Saltelli 2002): ``S2_jk = mean(BA_j AB_k - A B) / V - S1_j - S1_k``;

4. draws bootstrap row indices ``r = default_rng(seed).integers(N, size=(N, R))`` (column b is
   resample b, shared by all estimators), re-evaluates each estimator on the resampled rows and
   reports ``Z std(estimates, ddof=1)`` with ``Z = norm.ppf(0.5 + confidence / 2)``.

Every estimator is a ratio of means over rows, and a mean over a resample is a weighted mean
over the original rows, the weight being how many times the resample drew the row. So with the
multiplicity matrix ``C`` (R resamples x N rows, :func:`bootstrap`) and the per-row terms
of all estimators of all columns stacked in a matrix ``T`` (terms x N), every resampled mean is
one entry of the product ``T C^T / N``. One matrix product replaces R x (columns) x (estimators)
gathers and means, and gives the same numbers up to the order of summation (about 1e-15). The
indices themselves (on the original rows) are means along each output's rows as in SALib, equal
to its values bit for bit in practice; only the half-widths go through the product (a BLAS
product: their last bits may depend on which other columns share the batch).

SALib's special cases are kept:

- ``V <= eps`` (machine epsilon) gives index 0 (SALib's ``np.divide(..., where=V > eps)``).
  SALib's two other cases follow from it, since a variance is at most a quarter of the squared
  range: an output with ``ptp(r_[A, B]) <= eps`` gives 0 (SALib also warns, this module does
  not), and half-widths are 0 when no resample varies;
- the variance of a resample is computed from its sums (``E[y^2] - E[y]^2``, well conditioned as
  the output is normalised: a resample's mean is near 0); a resample whose variance comes out
  below :data:`EXACT_VARIANCE_RATIO` of its mean square (a resample concentrated away from the
  mean, which happens at small N) is recomputed from its rows as SALib does, so the special
  cases are decided on the same numbers and the precision does not degrade.

References
----------
Saltelli, A. (2002). Making best use of model evaluations to compute sensitivity indices.
Computer Physics Communications 145(2), 280-297, doi:10.1016/S0010-4655(02)00280-1.

Saltelli, A., Annoni, P., Azzini, I., Campolongo, F., Ratto, M., Tarantola, S. (2010). Variance
based sensitivity analysis of model output. Computer Physics Communications 181(2), 259-270,
doi:10.1016/j.cpc.2009.09.018.

Herman, J., Usher, W. (2017). SALib: an open-source Python library for sensitivity analysis.
Journal of Open Source Software 2(9), 97, doi:10.21105/joss.00097 (``SALib/analyze/sobol.py``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Bytes of per-row estimator terms built at once; more output columns are processed in batches.
TERMS_BATCH_BYTES = 64 * 2**20
#: A resample whose variance, computed from its sums, is below this fraction of its mean square
#: (where that formula loses more than ~2 digits to cancellation) is recomputed from its rows,
#: as SALib computes it.
EXACT_VARIANCE_RATIO = 1e-2
EPSILON = float(np.finfo(float).eps)


@dataclass(frozen=True)
class Bootstrap:
    """SALib's bootstrap resamples of the N base rows.

    Attributes
    ----------
    indices : numpy.ndarray
        Integer (N, R): ``default_rng(seed).integers(N, size=(N, R))``, column b the rows drawn
        by resample b (SALib's ``r``).
    counts : numpy.ndarray
        Float (R, N): how many times resample b drew row i (each row sums to N).
    """

    indices: np.ndarray
    counts: np.ndarray

    @property
    def size(self) -> int:
        """N, the rows resampled."""
        return self.indices.shape[0]

    @property
    def resamples(self) -> int:
        """R, the number of resamples."""
        return self.indices.shape[1]


def bootstrap(n: int, num_resamples: int, seed: int) -> Bootstrap:
    """SALib's bootstrap resamples and their multiplicity matrix.

    Parameters
    ----------
    n : int
        Base sample size N (rows of A).
    num_resamples : int
        R, at least 2 (a standard deviation over resamples needs two).
    seed : int
        SALib's ``seed``; must be non-zero (SALib ignores a zero seed and draws from numpy's
        global state, which cannot be reproduced).
    """
    if not seed:
        raise ValueError("the bootstrap seed must be non-zero (SALib ignores seed 0)")
    if num_resamples < 2:
        raise ValueError(f"num_resamples {num_resamples!r} must be at least 2")
    indices = np.random.default_rng(seed).integers(n, size=(n, num_resamples))
    flat = (indices.T + n * np.arange(num_resamples)[:, None]).ravel()
    counts = np.bincount(flat, minlength=n * num_resamples).reshape(num_resamples, n)
    return Bootstrap(indices, counts.astype(float))


def normalise_columns(outputs: np.ndarray) -> np.ndarray:
    """Each output centred and scaled by its population standard deviation, as SALib does.

    Parameters
    ----------
    outputs : numpy.ndarray
        (columns, rows), one output per row of the array.

    Returns
    -------
    numpy.ndarray
        (columns, rows): ``(y - y.mean()) / y.std()`` of each output, bit for bit (numpy sums
        along contiguous memory in the same order as for one output; ``std`` is
        ``sqrt(sum((y - mean)^2) / rows)`` as in ``numpy._core._methods._var``).
    """
    outputs = np.ascontiguousarray(outputs, dtype=float)
    rows = outputs.shape[1]
    centred = outputs - outputs.mean(axis=1, keepdims=True)
    deviation = np.sqrt(np.square(centred).sum(axis=1, keepdims=True) / rows)
    centred /= deviation
    return centred


def saltelli_blocks(
    normalised: np.ndarray, groups: int, second_order: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Split design outputs into A, B, AB and BA (SALib's ``separate_output_values``).

    Parameters
    ----------
    normalised : numpy.ndarray
        Outputs (columns, rows) with rows = n (2G + 2) (n (G + 2) without second order).
    groups : int
        G, the number of factors or groups.
    second_order : bool

    Returns
    -------
    A, B : numpy.ndarray
        (columns, n) each.
    AB, BA : numpy.ndarray
        (G, columns, n); BA is None without second order.
    """
    step = 2 * groups + 2 if second_order else groups + 2
    rows = normalised.shape[1]
    if rows % step:
        raise ValueError(f"{rows} rows is not a multiple of the design's block of {step} rows")
    blocks = normalised.reshape(normalised.shape[0], rows // step, step)
    first = np.ascontiguousarray(blocks[:, :, 0])
    last = np.ascontiguousarray(blocks[:, :, step - 1])
    mixed = np.ascontiguousarray(np.moveaxis(blocks[:, :, 1 : 1 + groups], 2, 0))
    crossed = (
        np.ascontiguousarray(np.moveaxis(blocks[:, :, 1 + groups : 1 + 2 * groups], 2, 0))
        if second_order
        else None
    )
    return first, last, mixed, crossed


def sobol_indices(
    values: np.ndarray,
    groups: int,
    *,
    second_order: bool = True,
    num_resamples: int = 100,
    confidence: float = 0.95,
    seed: int = 1,
    keep_second_order: bool | None = None,
    resamples: Bootstrap | None = None,
    batch_bytes: int = TERMS_BATCH_BYTES,
) -> dict[str, np.ndarray]:
    """First-, total- and second-order Sobol' indices with bootstrap half-widths, every column at once.

    Equals ``SALib.analyze.sobol.analyze(problem, values[:, c], calc_second_order=second_order,
    num_resamples=num_resamples, conf_level=confidence, seed=seed)`` for every column c, to
    rounding (see the module docstring).

    Parameters
    ----------
    values : numpy.ndarray
        Model outputs on Saltelli's design (rows, columns) [any unit]; every column finite and
        not constant (the caller decides what such columns give). Column-major memory (the
        transpose of a C-contiguous array) is used without a copy.
    groups : int
        G, the number of factors or groups of the design.
    second_order : bool
        Whether the design has the BA blocks (rows per block 2G + 2 rather than G + 2).
    num_resamples : int
        Bootstrap resamples R (at least 2).
    confidence : float
        Confidence level of the half-widths, in (0, 1).
    seed : int
        SALib's bootstrap seed (non-zero).
    keep_second_order : bool, optional
        Compute ``S2`` (default: when the design has second order).
    resamples : Bootstrap, optional
        ``bootstrap(N, num_resamples, seed)`` drawn already (to share it between calls).
    batch_bytes : int
        Memory for the per-row terms of one batch of columns [bytes].

    Returns
    -------
    dict of str to numpy.ndarray
        ``S1``, ``S1_conf``, ``ST``, ``ST_conf`` (G, columns); with second order ``S2``,
        ``S2_conf`` (G, G, columns), upper triangle only (NaN elsewhere, as SALib).
    """
    from scipy.stats import norm

    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None]
    if not 0 < confidence < 1:
        raise ValueError(f"confidence {confidence!r} must lie in (0, 1)")
    keep_second_order = (
        second_order if keep_second_order is None else keep_second_order and second_order
    )
    step = 2 * groups + 2 if second_order else groups + 2
    rows, columns = values.shape
    n = rows // step
    if resamples is None:
        resamples = bootstrap(n, num_resamples, seed)
    elif (resamples.size, resamples.resamples) != (n, num_resamples):
        raise ValueError(
            f"bootstrap of {resamples.size} rows x {resamples.resamples} resamples; "
            f"expected {n} x {num_resamples}"
        )
    z = float(norm.ppf(0.5 + confidence / 2))
    pairs = (
        [(j, k) for j in range(groups) for k in range(j + 1, groups)] if keep_second_order else []
    )
    terms_per_column = 2 + 2 * groups + len(pairs)
    batch = max(1, int(batch_bytes // (8 * n * terms_per_column)))
    by_column = values.T  # (columns, rows)
    result = {
        name: np.full((groups, columns), np.nan) for name in ("S1", "S1_conf", "ST", "ST_conf")
    }
    if keep_second_order:
        result.update(
            {name: np.full((groups, groups, columns), np.nan) for name in ("S2", "S2_conf")}
        )
    for start in range(0, columns, batch):
        part = slice(start, min(start + batch, columns))
        blocks = saltelli_blocks(normalise_columns(by_column[part]), groups, second_order)
        for name, array in _batch_indices(*blocks, pairs, resamples, z).items():
            if name.startswith("S2"):
                for position, (j, k) in enumerate(pairs):
                    result[name][j, k, part] = array[position]
            else:
                result[name][:, part] = array
    return result


def _batch_indices(
    first: np.ndarray,
    last: np.ndarray,
    mixed: np.ndarray,
    crossed: np.ndarray | None,
    pairs: list[tuple[int, int]],
    resamples: Bootstrap,
    z: float,
) -> dict[str, np.ndarray]:
    """:func:`sobol_indices` for one batch of columns, from the normalised A, B, AB, BA blocks."""
    groups = mixed.shape[0]
    columns, n = first.shape
    # per-row terms (term, column, row): y, y^2 (A and B rows summed), first order, total order, second order
    terms = np.empty((2 + 2 * groups + len(pairs), columns, n))
    np.add(first, last, out=terms[0])
    np.add(first * first, last * last, out=terms[1])
    for j in range(groups):
        np.multiply(last, mixed[j] - first, out=terms[2 + j])
        np.square(first - mixed[j], out=terms[2 + groups + j])
    base_product = first * last
    for position, (j, k) in enumerate(pairs):
        np.subtract(crossed[j] * mixed[k], base_product, out=terms[2 + 2 * groups + position])

    # the estimates on the original rows, as SALib computes them (means along each row)
    point = _estimators(
        terms[2:].mean(axis=2), np.concatenate([first, last], axis=1).var(axis=1), groups, pairs
    )

    # every resample of every estimator: one matrix product with the multiplicities
    sums = (terms.reshape(-1, n) @ resamples.counts.T).reshape(
        terms.shape[0], columns, -1
    )  # term, column, resample
    mean_y = sums[0] / (2 * n)
    mean_square = sums[1] / (2 * n)
    variance = mean_square - mean_y * mean_y
    for column, resample in zip(
        *np.nonzero(variance <= EXACT_VARIANCE_RATIO * mean_square), strict=True
    ):
        drawn = resamples.indices[:, resample]
        variance[column, resample] = np.var(np.r_[first[column, drawn], last[column, drawn]])
    boot = _estimators(sums[2:] / n, variance, groups, pairs)

    result = {}
    for name in ("S1", "ST", "S2"):
        if name == "S2" and not pairs:
            continue
        result[name] = point[name]
        result[name + "_conf"] = z * boot[name].std(axis=-1, ddof=1)
    return result


def _estimators(
    means: np.ndarray,
    variance: np.ndarray,
    groups: int,
    pairs: list[tuple[int, int]],
) -> dict[str, np.ndarray]:
    """S1, ST (G, ...) and S2 (pairs, ...) from the means of the per-row terms and the variance.

    ``means`` is (2G + pairs, ...): first-order terms, total-order terms, second-order terms;
    ``variance`` is over the remaining axes (column[, resample]).
    """

    def ratio(numerator):
        return np.divide(
            numerator, variance, out=np.zeros_like(numerator), where=variance > EPSILON
        )

    first_order = ratio(means[:groups])
    total_order = ratio(0.5 * means[groups : 2 * groups])
    result = {"S1": first_order, "ST": total_order}
    if pairs:
        joint = ratio(means[2 * groups :])
        j, k = (np.array(side, dtype=int) for side in zip(*pairs, strict=True))
        result["S2"] = joint - first_order[j] - first_order[k]
    return result
