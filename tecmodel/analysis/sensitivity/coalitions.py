"""How the Shapley effects' costs are estimated: which coalitions, their conditional draws, the
model calls, and the bootstrap of the costs.

This module owns the estimation machinery of :mod:`tecmodel.analysis.sensitivity.shapley` (see its
docstring for the method, the seeding and the references): the designs (every coalition with the
Shapley weights, or random orders), the exact conditional draws under the Gaussian copula, the
packing of whole coalitions into model calls, and each coalition's cost ``c(J) = E[Var(Y | X_-J)]``
with its bootstrap resamples.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tecmodel.inputs.distributions import Distribution

#: Coalitions whose bootstrap means are taken in one matrix product. Fixed, so that the products,
#: and the last bits of their sums, do not depend on how the rows were batched.
COALITIONS_PER_PRODUCT = 32

#: Purposes of the child streams of ``SeedSequence(seed)`` (the first entry of their spawn key).
STREAM_VARIANCE = 0
STREAM_OUTER = 1
STREAM_INNER = 2
STREAM_PERMUTATIONS = 3
STREAM_OUTER_BOOTSTRAP = 4
STREAM_VARIANCE_BOOTSTRAP = 5
STREAM_ORDER_BOOTSTRAP = 6
#: Most elements of the (resamples, orders, players, outputs) differences built at once when the
#: bootstrap resamples random orders.
ORDER_BOOTSTRAP_ELEMENTS = 2**22

#: The model: input name -> values (rows,) to outputs (rows,) or (rows, outputs).
ShapleyFunction = Callable[[Mapping[str, np.ndarray]], Any]


@dataclass(frozen=True)
class Players:
    """Who shares the variance: inputs, or groups of them.

    Attributes
    ----------
    names : tuple of str
        One per player (input or group name).
    members : tuple of tuple of int
        Positions of each player's inputs in the input order.
    """

    names: tuple[str, ...]
    members: tuple[tuple[int, ...], ...]

    def inputs(self, coalition: int) -> list[int]:
        """Positions of the inputs of the players in a coalition (player bitmask), in order."""
        return sorted(
            position
            for player, members in enumerate(self.members)
            if coalition >> player & 1
            for position in members
        )


@dataclass(frozen=True)
class Design:
    """Which coalitions are estimated and how their costs combine into effects.

    Attributes
    ----------
    coalitions : numpy.ndarray
        Player bitmasks of the costs, ascending, starting with 0 (empty) and ending with the
        full coalition.
    weights : numpy.ndarray
        (players, coalitions): effects = weights @ costs [1].
    permutations : int or None
        Random orders used, None for exact enumeration.
    joined, before : numpy.ndarray or None
        Random orders only, (orders, players): the cost column of the coalition of the players
        up to and including each player in each order, and up to but excluding it; the
        bootstrap resamples the orders through them.
    """

    coalitions: np.ndarray
    weights: np.ndarray
    permutations: int | None = None
    joined: np.ndarray | None = None
    before: np.ndarray | None = None


# --------------------------------------------------------------------------- designs


def shapley_weight(size: int, players: int) -> float:
    """Weight ``|J|! (d - |J| - 1)! / d!`` of a coalition of `size` players that excludes a player."""
    return math.factorial(size) * math.factorial(players - size - 1) / math.factorial(players)


def exact_design(players: int) -> Design:
    """Every coalition, combined with the Shapley weights (Song et al. 2016, Algorithm 1)."""
    coalitions = np.arange(2**players)
    weights = np.zeros((players, coalitions.size))
    for coalition in range(2**players):
        size = coalition.bit_count()
        for player in range(players):
            if not coalition >> player & 1:
                weight = shapley_weight(size, players)
                weights[player, coalition | 1 << player] += weight
                weights[player, coalition] -= weight
    return Design(coalitions, weights)


def permutation_design(players: int, permutations: int, rng: np.random.Generator) -> Design:
    """Random orders, each player credited with c(P + i) - c(P), P the players before it.

    Castro et al. (2009), Song et al. (2016) Algorithm 2; a coalition visited by several orders
    is one cost.
    """
    orders = rng.permuted(np.tile(np.arange(players), (permutations, 1)), axis=1)
    bits = np.left_shift(1, orders)
    after = np.cumsum(bits, axis=1)
    coalitions = np.unique(np.concatenate([[0, 2**players - 1], after.ravel()]))
    rows = np.arange(permutations)[:, None]
    joined = np.empty((permutations, players), dtype=np.intp)
    before = np.empty((permutations, players), dtype=np.intp)
    joined[rows, orders] = np.searchsorted(coalitions, after)
    before[rows, orders] = np.searchsorted(coalitions, after - bits)
    weights = np.zeros((players, coalitions.size))
    player_index = np.broadcast_to(np.arange(players), joined.shape)
    np.add.at(weights, (player_index, joined), 1.0 / permutations)
    np.add.at(weights, (player_index, before), -1.0 / permutations)
    return Design(coalitions, weights, permutations, joined, before)


# --------------------------------------------------------------------------- conditional draws


def covariance_factor(covariance: np.ndarray) -> np.ndarray:
    """F with F F^T = a covariance: Cholesky, or for a singular one V sqrt(max(lambda, 0))."""
    symmetric = 0.5 * (covariance + covariance.T)
    try:
        return np.linalg.cholesky(symmetric)
    except np.linalg.LinAlgError:
        eigenvalues, eigenvectors = np.linalg.eigh(symmetric)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))


def conditional_normal(
    pearson: np.ndarray,
    free: Sequence[int],
    given: Sequence[int],
) -> tuple[np.ndarray, np.ndarray]:
    """Law of the free normal scores given the others: mean B z_given, covariance F F^T.

    Returns
    -------
    coefficients : numpy.ndarray
        B = R_free,given R_given,given^+ (free, given) [1].
    factor : numpy.ndarray
        F of the conditional covariance R_ff - B R_given,free (free, free) [1].
    """
    cross = pearson[np.ix_(free, given)]
    coefficients = cross @ np.linalg.pinv(pearson[np.ix_(given, given)], hermitian=True)
    return coefficients, covariance_factor(pearson[np.ix_(free, free)] - coefficients @ cross.T)


def scores_to_values(scores: np.ndarray, distributions: Sequence[Distribution]) -> np.ndarray:
    """X_i = F_i^{-1}(Phi(Z_i)) for each row of normal scores (inputs, ...) [input units]."""
    from scipy.special import ndtr

    return np.stack(
        [
            distribution.ppf(ndtr(row))
            for row, distribution in zip(scores, distributions, strict=True)
        ]
    )


def stream(seed: int, *key: int) -> np.random.Generator:
    """The generator of child ``spawn_key=key`` of ``SeedSequence(seed)``."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def input_mask(positions: Iterable[int]) -> int:
    """Bitmask of input positions: the key of a coalition's random streams."""
    return sum(1 << position for position in positions)


def coalition_rows(
    pearson: np.ndarray,
    distributions: Sequence[Distribution],
    inputs: Sequence[int],
    n_outer: int,
    n_inner: int,
    seed: int,
) -> np.ndarray:
    """Input values (inputs, n_outer * n_inner) for the cost of a coalition of `inputs`.

    Row ``outer * n_inner + inner``: the other inputs at outer draw ``outer`` (from their
    marginal copula) and the coalition's inputs at an inner draw from their conditional law.
    Each input's normals are drawn as a row of its own (inputs first), so appending an input
    leaves the earlier ones' normals unchanged.
    """
    free = list(inputs)
    given = sorted(set(range(len(distributions))) - set(free))
    key = input_mask(free)
    outer_rng = stream(seed, STREAM_OUTER, key)
    inner_rng = stream(seed, STREAM_INNER, key)
    outer_scores = covariance_factor(pearson[np.ix_(given, given)]) @ outer_rng.standard_normal(
        (len(given), n_outer)
    )
    coefficients, factor = conditional_normal(pearson, free, given)
    inner_normals = inner_rng.standard_normal((len(free), n_outer * n_inner))
    inner_scores = np.repeat(coefficients @ outer_scores, n_inner, axis=1) + factor @ inner_normals
    values = np.empty((len(distributions), n_outer * n_inner))
    values[given] = np.repeat(
        scores_to_values(outer_scores, [distributions[i] for i in given]), n_inner, axis=1
    )
    values[free] = scores_to_values(inner_scores, [distributions[i] for i in free])
    return values


def joint_rows(
    pearson: np.ndarray, distributions: Sequence[Distribution], rows: int, seed: int
) -> np.ndarray:
    """Independent draws of all inputs (inputs, rows), for the output variance."""
    rng = stream(seed, STREAM_VARIANCE)
    scores = covariance_factor(pearson) @ rng.standard_normal((len(distributions), rows))
    return scores_to_values(scores, distributions)


# --------------------------------------------------------------------------- model calls


def batches(
    blocks: Iterable[tuple[int, np.ndarray]],
    batch_rows: int,
) -> Iterator[list[tuple[int, np.ndarray]]]:
    """Consecutive blocks (key, values (inputs, rows)) packed into lists of at most
    `batch_rows` rows, a block larger than that alone."""
    pending: list[tuple[int, np.ndarray]] = []
    rows = 0
    for key, values in blocks:
        if pending and rows + values.shape[1] > batch_rows:
            yield pending
            pending, rows = [], 0
        pending.append((key, values))
        rows += values.shape[1]
    if pending:
        yield pending


def call_function(
    function: ShapleyFunction, names: Sequence[str], batch: Sequence[tuple[int, np.ndarray]]
) -> tuple[list[np.ndarray], bool]:
    """Evaluate one batch in a single call and split the outputs back into its blocks.

    Returns
    -------
    outputs : list of numpy.ndarray
        (rows, outputs) per block; non-finite values as NaN.
    multiple : bool
        The function returned a 2-D array.

    Raises
    ------
    ValueError
        When the outputs are not (rows,) or (rows, outputs).
    """
    values = batch[0][1] if len(batch) == 1 else np.concatenate([v for _, v in batch], axis=1)
    rows = values.shape[1]
    result = np.asarray(function({name: values[i] for i, name in enumerate(names)}), dtype=float)
    if result.ndim not in (1, 2) or result.shape[0] != rows:
        raise ValueError(
            f"the function returned shape {result.shape} for {rows} rows; expected "
            f"({rows},) or ({rows}, outputs)"
        )
    multiple = result.ndim == 2
    result = np.where(np.isfinite(result), result, np.nan).reshape(rows, -1)
    bounds = np.cumsum([0] + [v.shape[1] for _, v in batch])
    return [
        result[start:stop] for start, stop in zip(bounds[:-1], bounds[1:], strict=True)
    ], multiple


def check_output_names(output_names: Sequence[str] | None, multiple: bool, columns: int) -> None:
    """Output names, when given, name every column of a 2-D output (checked at the first call).

    Raises
    ------
    ValueError
        When their number differs from the columns, or the output is 1-D.
    """
    if output_names is not None and (not multiple or len(output_names) != columns):
        got = f"{columns} columns" if multiple else "a 1-D array"
        raise ValueError(
            f"output_names has {len(output_names)} names but the function returned "
            f"{got}; expected one name per output column"
        )


# --------------------------------------------------------------------------- costs


@dataclass(frozen=True)
class Costs:
    """Estimated costs c(J) of a design's coalitions.

    Attributes
    ----------
    point : numpy.ndarray
        (coalitions, outputs) [units^2]; the last row is Var(Y), the first 0.
    resampled : numpy.ndarray
        (resamples, coalitions, outputs) [units^2].
    undefined : numpy.ndarray
        Rows with a non-finite output, per output.
    multiple : bool
        The function returns several outputs (2-D).
    evaluations, calls : int
        Rows evaluated and calls of the function.
    """

    point: np.ndarray
    resampled: np.ndarray
    undefined: np.ndarray
    multiple: bool
    evaluations: int
    calls: int


def estimate_costs(
    function: ShapleyFunction,
    names: Sequence[str],
    distributions: Sequence[Distribution],
    pearson: np.ndarray,
    players: Players,
    coalitions: np.ndarray,
    *,
    n_outer: int,
    n_inner: int,
    n_variance: int,
    n_bootstrap: int,
    seed: int,
    batch_rows: int,
    output_names: Sequence[str] | None = None,
) -> Costs:
    """``c(J) = E[Var(Y | X_-J)]`` of every coalition of the design, and its bootstrap resamples.

    The rows of each coalition are drawn when its batch is due (one batch of inputs in memory at
    a time) and reduced to the coalition's inner variances (n_outer, outputs); the means of
    every :data:`COALITIONS_PER_PRODUCT` coalitions over every bootstrap resample of the outer
    draws are one matrix product. One set of resampled outer indices serves every coalition:
    side by side, the coalitions' outer draws are a sample of independent identically
    distributed vectors, and this is the ordinary bootstrap of that sample.
    """
    full = int(coalitions[-1])
    variance_key = -1  # block key of the variance draws; coalition keys are player bitmasks
    outer_counts = resample_counts(n_outer, n_bootstrap, stream(seed, STREAM_OUTER_BOOTSTRAP))

    def blocks() -> Iterator[tuple[int, np.ndarray]]:
        yield variance_key, joint_rows(pearson, distributions, n_variance, seed)
        for coalition in coalitions[1:-1]:
            yield (
                int(coalition),
                coalition_rows(
                    pearson, distributions, players.inputs(int(coalition)), n_outer, n_inner, seed
                ),
            )

    point: dict[int, np.ndarray] = {}
    resampled: dict[int, np.ndarray] = {}
    undefined = None
    multiple = None
    calls = evaluations = 0
    keys: list[int] = []
    inner: list[np.ndarray] = []

    def reduce_inner() -> None:
        means, resampled_means = mean_and_resamples(np.stack(inner, axis=1), outer_counts)
        for position, key in enumerate(keys):
            point[key], resampled[key] = means[position], resampled_means[:, position]
        keys.clear()
        inner.clear()

    for batch in batches(blocks(), batch_rows):
        outputs, batch_multiple = call_function(function, names, batch)
        calls += 1
        if multiple is None:
            check_output_names(output_names, batch_multiple, outputs[0].shape[1])
        elif batch_multiple != multiple or outputs[0].shape[1] != undefined.size:
            raise ValueError(
                f"the function returned {outputs[0].shape[1]} output columns "
                f"({'2-D' if batch_multiple else '1-D'}) after {undefined.size} "
                f"({'2-D' if multiple else '1-D'}); expected the same every call"
            )
        multiple = batch_multiple
        for (key, _), values in zip(batch, outputs, strict=True):
            evaluations += values.shape[0]
            undefined = np.isnan(values).sum(axis=0) + (0 if undefined is None else undefined)
            if key == variance_key:
                counts = resample_counts(
                    n_variance, n_bootstrap, stream(seed, STREAM_VARIANCE_BOOTSTRAP)
                )
                point[full], resampled[full] = variance_and_resamples(values, counts)
            else:
                keys.append(key)
                inner.append(values.reshape(n_outer, n_inner, -1).var(axis=1, ddof=1))
                if len(keys) == COALITIONS_PER_PRODUCT:
                    reduce_inner()
    if keys:
        reduce_inner()
    outputs_count = undefined.size
    point[0] = np.zeros(outputs_count)
    resampled[0] = np.zeros((n_bootstrap, outputs_count))
    order = [int(coalition) for coalition in coalitions]
    return Costs(
        np.stack([point[c] for c in order]),
        np.stack([resampled[c] for c in order], axis=1),
        undefined,
        bool(multiple),
        evaluations,
        calls,
    )


def resample_counts(rows: int, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """How often each row is drawn in each resample with replacement (resamples, rows)."""
    drawn = rng.integers(0, rows, size=(resamples, rows))
    offsets = (np.arange(resamples) * rows)[:, None]
    return (
        np.bincount((drawn + offsets).ravel(), minlength=resamples * rows)
        .reshape(resamples, rows)
        .astype(float)
    )


def mean_and_resamples(values: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means over the rows of (rows, ...) and over every resample of them.

    Parameters
    ----------
    values : numpy.ndarray
        (rows, ...).
    counts : numpy.ndarray
        (resamples, rows), from :func:`resample_counts`.

    Returns
    -------
    mean : numpy.ndarray
        (...).
    resampled : numpy.ndarray
        (resamples, ...).
    """
    rows = values.shape[0]
    resampled = counts @ values.reshape(rows, -1) / rows
    return values.mean(axis=0), resampled.reshape((counts.shape[0],) + values.shape[1:])


def variance_and_resamples(
    values: np.ndarray,
    counts: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Sample variances (ddof 1) of (rows, outputs) and over every resample of the rows.

    Deviations from the full sample's mean keep the resampled second moments well conditioned
    when the mean is large against the spread (an NPV of billions varying by millions).
    """
    rows = values.shape[0]
    deviations = values - values.mean(axis=0)
    first = counts @ deviations / rows
    second = counts @ deviations**2 / rows
    return values.var(axis=0, ddof=1), (second - first**2) * rows / (rows - 1)


# --------------------------------------------------------------------------- effects


def resample_effects(
    design: Design,
    resampled_costs: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Effects of every bootstrap resample of the costs (resamples, players, outputs) [units^2].

    With exact enumeration the Shapley weights times the costs, all resamples in one product.
    With random orders each resample also draws the orders with replacement (the effects vary
    with the orders as well as with the costs): the mean over the drawn orders of each player's
    c(joined) - c(before), built for a chunk of resamples at a time.
    """
    if design.joined is None:
        return np.einsum("pc,bck->bpk", design.weights, resampled_costs)
    resamples, _, outputs = resampled_costs.shape
    orders, players = design.joined.shape
    frequencies = resample_counts(orders, resamples, rng) / orders
    effects = np.empty((resamples, players, outputs))
    chunk = max(1, ORDER_BOOTSTRAP_ELEMENTS // (orders * players * outputs))
    for start in range(0, resamples, chunk):
        costs = resampled_costs[start : start + chunk]
        differences = costs[:, design.joined] - costs[:, design.before]
        effects[start : start + chunk] = np.einsum(
            "bm,bmpk->bpk", frequencies[start : start + chunk], differences
        )
    return effects
