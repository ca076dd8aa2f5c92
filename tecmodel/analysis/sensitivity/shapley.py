"""Shapley effects of a model's inputs when they are rank-correlated (Gaussian copula).

This module owns the Shapley-effect estimator's interface and result: :func:`shapley_effects`,
the checks of its arguments, and how the costs of the coalitions of inputs combine into effects,
indices and bootstrap intervals. How the costs are estimated (the conditional draws under the
Gaussian copula the Monte Carlo uses, the model calls, the bootstrap of the outer draws) is
:mod:`tecmodel.analysis.sensitivity.coalitions`. The distributions are
:mod:`tecmodel.inputs.distributions`' (parsed with its parser, quantile functions from
scipy.stats); the model is any vectorised function of named input arrays. A case's metrics are
plugged in by :func:`tecmodel.analysis.sensitivity.shapley_case.shapley`.

Why Shapley effects. Sobol' indices (:mod:`tecmodel.analysis.sensitivity.sobol_case`) assume
independent inputs; with rank correlations (chip cost with the GPU-hour price, say) a
first-order index counts a
correlated partner's influence twice and the indices no longer add up. The Shapley effect of
input i (Owen 2014) shares the output variance among the inputs as the Shapley value of the
cost function c(J) = E[Var(Y | X_{-J})] (Song, Nelson & Staum 2016)::

    Sh_i = sum over J not containing i of |J|! (d - |J| - 1)! / d! [c(J + i) - c(J)]

with d players, c(empty) = 0 and c(all) = Var(Y). The effects are non-negative, add up to
Var(Y) whatever the dependence, and for independent inputs each equals the first-order
variance plus an equal share of every interaction the input takes part in. Players are the
inputs, or groups of inputs (one effect per group).

Conditional sampling. The inputs are X_i = F_i^{-1}(Phi(Z_i)) with normal scores Z ~ N(0, R),
R the Pearson matrix of the scores, 2 sin(pi rho_S / 6) of the Spearman matrix (as in
:func:`tecmodel.inputs.distributions.copula_factor`). For a coalition J the scores of the other
inputs K are drawn from N(0, R_KK) (the outer draws), and for each outer draw the scores of J from
their exact conditional law N(R_JK R_KK^+ z_K, R_JJ - R_JK R_KK^+ R_KJ) (the inner draws; ``+``
is the pseudo-inverse, so a semi-definite R, e.g. a correlation of exactly 1, works too).

Estimator (Song, Nelson & Staum 2016, Algorithm 1 "exact permutations"; Algorithm 2 with
random permutations, after Castro, Gomez & Tejada 2009). Each c(J) of a proper non-empty
coalition is the mean over ``n_outer`` outer draws of the sample variance (ddof 1) of Y over
``n_inner`` inner draws, an unbiased estimate; c(all) is the sample variance of ``n_variance``
independent draws. Up to :data:`EXACT_PLAYERS_MAX` players every one of the 2^d - 2 coalitions
is estimated once and combined with the Shapley weights above; with ``n_permutations`` (needed
above that) the effects average c(P + i) - c(P) over random orders, P the players before i,
each coalition visited by several orders estimated once. Either way the effects are a fixed
matrix times the vector of costs, so they add up to the estimate of Var(Y) exactly.

Cost. The model sees ``n_variance + coalitions * n_outer * n_inner`` rows, in whole coalitions
packed into calls of at most ``batch_rows`` rows (one call per coalition or fewer; a call
never splits a coalition). Song et al. recommend n_inner = 3 and spending the budget on outer
draws.

Confidence. The bootstrap resamples the outer draws with replacement, one set of resampled
indices for every coalition (side by side the coalitions' outer draws are independent,
identically distributed vectors, and this is the ordinary bootstrap of that sample), and
separately the variance draws and, with random permutations, the orders; every cost and effect
is recomputed for all resamples in a few matrix products. Bounds: percentiles (``*_lower``,
``*_upper``) and, as the Sobol' wrapper's ``*_conf``, the half-width z sd of the resamples.

Seeding. ``seed`` is normalised once and every draw comes from a child of
``numpy.random.SeedSequence(seed)`` keyed by purpose and, for a coalition, by the bitmask of its
inputs (``spawn_key=(purpose, mask)``, which is ``SeedSequence(seed).spawn(purpose + 1)[purpose]
.spawn(mask + 1)[mask]``): a coalition's draws do not depend on which other coalitions are
estimated or in which order, on the grouping (a group of X2 and X3 reuses the draws of the
coalition {X2, X3}), on the batching, or (for independent inputs) on inputs appended after it.

References
----------
Castro, J., Gomez, D. & Tejada, J. (2009). Polynomial calculation of the Shapley value based on
sampling. Computers & Operations Research 36(5), 1726-1730.
Iooss, B. & Prieur, C. (2019). Shapley effects for sensitivity analysis with correlated inputs:
comparisons with Sobol' indices, numerical estimation and applications. International Journal
for Uncertainty Quantification 9(5), 493-514 (the linear Gaussian model in closed form).
Owen, A. B. (2014). Sobol' indices and Shapley value. SIAM/ASA Journal on Uncertainty
Quantification 2, 245-251.
Song, E., Nelson, B. L. & Staum, J. (2016). Shapley effects for global sensitivity analysis:
theory and computation. SIAM/ASA Journal on Uncertainty Quantification 4(1), 1060-1083.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.analysis.sampling import check_seed
from tecmodel.analysis.sensitivity.coalitions import (
    STREAM_ORDER_BOOTSTRAP,
    STREAM_PERMUTATIONS,
    Players,
    ShapleyFunction,
    estimate_costs,
    exact_design,
    permutation_design,
    resample_effects,
    stream,
)
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.distributions import (
    Distribution,
    correlation_problems,
    parse_distribution,
    spearman_to_pearson,
)

#: Most players for which every coalition is estimated (2^8 - 2 = 254 coalitions); above it the
#: effects need ``n_permutations`` random orders.
EXACT_PLAYERS_MAX = 8
#: Rows per model call: the Sobol' wrapper's chunk (~0.9 GiB peak for the doubled case model).
DEFAULT_BATCH_ROWS = 2**15
DEFAULT_BOOTSTRAP = 300


def shapley_effects(
    function: ShapleyFunction,
    distributions: Mapping[str, Any],
    correlation: Sequence[Sequence[float]] | np.ndarray | None = None,
    *,
    n_outer: int,
    n_inner: int,
    n_permutations: int | None = None,
    n_variance: int | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    seed: int = 0,
    confidence: float = 0.95,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    output_names: Sequence[str] | None = None,
    units: str = "1",
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> xr.Dataset:
    """Shapley effects of dependent inputs, with bootstrap confidence bounds.

    Parameters
    ----------
    function : callable
        ``{input name: values (rows,)} -> outputs (rows,)`` or ``(rows, outputs)``, vectorised
        over rows; called with whole coalitions' rows at once (see `batch_rows`).
    distributions : mapping of str to mapping or Distribution
        Each input's distribution in the case file's form (``{"type": "normal", "mean": 0,
        "std": 1}``, any type of :mod:`tecmodel.inputs.distributions`), or a parsed
        :class:`~tecmodel.inputs.distributions.Distribution`. Their order is the correlation's.
    correlation : array_like, optional
        Spearman rank correlations of the inputs (d x d) [1], imposed by a Gaussian copula as in
        the Monte Carlo; default independent.
    n_outer : int
        Outer draws per coalition (of the inputs outside it); at least 2.
    n_inner : int
        Inner draws per outer draw (of the coalition's inputs given the others); at least 2
        (3 is Song et al.'s recommendation).
    n_permutations : int, optional
        Random player orders; default: every coalition (exact), possible up to
        :data:`EXACT_PLAYERS_MAX` players. Given, random orders are used whatever the number of
        players.
    n_variance : int, optional
        Independent draws estimating Var(Y) (default ``n_outer * n_inner``); at least 2.
    groups : mapping of str to sequence of str, optional
        Group name -> input names, a partition of the inputs; each group is one player.
    seed : int
        Seeds every draw (see the module docstring); 0 is a seed like any other.
    confidence : float
        Level of the bootstrap intervals, in (0, 1) [1].
    n_bootstrap : int
        Bootstrap resamples; at least 2.
    output_names : sequence of str, optional
        Names of the output columns of a 2-D `function` (default 0, 1, ...).
    units : str
        Unit of the output (effects are in its square).
    batch_rows : int
        Most rows per call of `function`; a coalition's rows always go in one call.

    Returns
    -------
    xarray.Dataset
        Over ``factor`` (player names) and, for a 2-D `function`, ``output``:
        ``shapley`` [units^2], ``shapley_index`` (shapley / variance) [1], each with
        ``_lower`` and ``_upper`` (bootstrap percentile bounds) and ``_conf`` (half-width
        z sd of the bootstrap, as the Sobol' wrapper's ``S1_conf``); ``variance`` [units^2] and
        ``n_undefined`` (rows with a non-finite output; its effects are NaN) over the outputs.
        Attributes: ``method``, ``n_outer``, ``n_inner``, ``n_variance``, ``n_permutations``
        (an int or ``"exact"``), ``coalitions`` (costs estimated), ``evaluations`` (model
        rows), ``function_calls``, ``n_bootstrap``, ``confidence``, ``seed``, ``inputs``,
        ``groups`` and ``correlation`` (JSON).

    Raises
    ------
    InputError
        For a bad distribution, correlation matrix, grouping, count, level or seed.
    ValueError
        When `function` returns the wrong shape.
    """
    if not callable(function):
        raise TypeError(f"expected a function of the inputs, got {type(function).__name__}")
    names, parsed = parse_distributions(distributions)
    pearson = normal_score_correlation(correlation, names)
    players = check_players(names, groups)
    n_outer = check_count(n_outer, "n_outer", 2)
    n_inner = check_count(n_inner, "n_inner", 2)
    n_variance = (
        n_outer * n_inner if n_variance is None else check_count(n_variance, "n_variance", 2)
    )
    n_bootstrap = check_count(n_bootstrap, "n_bootstrap", 2)
    batch_rows = check_count(batch_rows, "batch_rows", 1)
    confidence = check_confidence(confidence)
    seed = check_seed(seed)
    if n_permutations is None:
        if len(players.names) > EXACT_PLAYERS_MAX:
            raise InputError(
                Problem(
                    "n_permutations",
                    f"expected a number of random orders for {len(players.names)} players: "
                    f"exact enumeration ({2 ** len(players.names) - 2} coalitions) is done up to "
                    f"{EXACT_PLAYERS_MAX} players",
                    n_permutations,
                )
            )
        design = exact_design(len(players.names))
    else:
        n_permutations = check_count(n_permutations, "n_permutations", 1)
        design = permutation_design(
            len(players.names), n_permutations, stream(seed, STREAM_PERMUTATIONS)
        )

    if output_names is not None:
        output_names = [str(name) for name in output_names]
    costs = estimate_costs(
        function,
        names,
        parsed,
        pearson,
        players,
        design.coalitions,
        n_outer=n_outer,
        n_inner=n_inner,
        n_variance=n_variance,
        n_bootstrap=n_bootstrap,
        seed=seed,
        batch_rows=batch_rows,
        output_names=output_names,
    )
    effects = design.weights @ costs.point
    resampled_effects = resample_effects(
        design, costs.resampled, stream(seed, STREAM_ORDER_BOOTSTRAP)
    )
    indices = effects_to_indices(effects, costs.point[-1])
    resampled_indices = effects_to_indices(resampled_effects, costs.resampled[:, -1])
    if costs.multiple and output_names is None:
        output_names = list(range(costs.point.shape[1]))
    dataset = effects_dataset(
        players.names,
        effects,
        indices,
        resampled_effects,
        resampled_indices,
        costs.point[-1],
        costs.undefined,
        confidence=confidence,
        units=units,
        output_names=output_names,
    )
    described_groups = {
        name: [names[i] for i in members]
        for name, members in zip(players.names, players.members, strict=True)
    }
    dataset.attrs.update(
        method="Shapley effects (Owen 2014) of the cost E[Var(Y | X_-J)], Song, Nelson & Staum "
        "(2016) "
        + ("exact permutations" if design.permutations is None else "random permutations")
        + "; inputs by a Gaussian copula of their "
        "Spearman correlations, conditional draws exact; bootstrap over the outer draws",
        n_outer=n_outer,
        n_inner=n_inner,
        n_variance=n_variance,
        n_permutations="exact" if design.permutations is None else design.permutations,
        coalitions=len(design.coalitions) - 2,
        evaluations=costs.evaluations,
        function_calls=costs.calls,
        n_bootstrap=n_bootstrap,
        confidence=confidence,
        seed=seed,
        inputs=json.dumps(
            {
                name: distribution.describe()
                for name, distribution in zip(names, parsed, strict=True)
            }
        ),
        groups=json.dumps(described_groups),
        correlation="independent"
        if correlation is None
        else json.dumps(np.asarray(correlation, dtype=float).tolist()),
    )
    return dataset


# --------------------------------------------------------------------------- arguments


def parse_distributions(distributions: Mapping[str, Any]) -> tuple[list[str], list[Distribution]]:
    """Input names and their parsed distributions, in the mapping's order.

    A case-file form is parsed by :func:`tecmodel.inputs.distributions.parse_distribution` with no
    bounds, no unit and factor 1 (the numbers are taken as they are).

    Raises
    ------
    InputError
        With the path ``distributions['name'].field`` of every problem.
    """
    if not isinstance(distributions, Mapping) or not distributions:
        raise InputError(
            Problem(
                "distributions",
                "expected a mapping of input name to "
                "distribution, e.g. {'x': {'type': 'normal', "
                "'mean': 0, 'std': 1}}",
                distributions,
            )
        )
    names: list[str] = []
    parsed: list[Distribution] = []
    problems: list[Problem] = []
    for name, spec in distributions.items():
        path = f"distributions[{name!r}]"
        if not isinstance(name, str):
            problems.append(Problem(path, "expected a string input name", name))
            continue
        if isinstance(spec, Distribution):
            distribution = spec
        elif isinstance(spec, Mapping):
            distribution, found = parse_distribution(spec, 1.0, (-math.inf, math.inf), "")
            problems.extend(Problem(path + sub, message, value) for sub, message, value in found)
        else:
            problems.append(
                Problem(
                    path,
                    "expected a distribution such as {'type': 'uniform', 'low': 0, 'high': 1}",
                    spec,
                )
            )
            continue
        if distribution is not None:
            names.append(name)
            parsed.append(distribution)
    if problems:
        raise InputError(problems)
    return names, parsed


def normal_score_correlation(correlation, names: Sequence[str]) -> np.ndarray:
    """Pearson matrix of the normal scores of a Spearman matrix (identity when None).

    Raises
    ------
    InputError
        When :func:`tecmodel.inputs.distributions.correlation_problems` finds the matrix
        inadmissible.
    """
    if correlation is None:
        return np.eye(len(names))
    try:
        matrix = np.asarray(correlation, dtype=float)
    except (TypeError, ValueError):
        raise InputError(
            Problem("correlation", "expected a square matrix of numbers", correlation)
        ) from None
    if matrix.ndim != 2:
        raise InputError(
            Problem(
                "correlation",
                f"expected a {len(names)} x {len(names)} matrix "
                f"(one row and column per input), got shape "
                f"{matrix.shape}",
                Problem.NO_VALUE,
            )
        )
    problems = correlation_problems(matrix, list(names))
    if problems:
        raise InputError(
            [
                Problem("correlation" + sub.removeprefix(".matrix"), message, value)
                for sub, message, value in problems
            ]
        )
    return spearman_to_pearson(matrix)


def check_players(names: Sequence[str], groups: Mapping[str, Sequence[str]] | None) -> Players:
    """The players: every input, or the groups, which must partition the inputs.

    Raises
    ------
    InputError
        For a group naming an unknown input, an input in two groups or in none, an empty
        group, or fewer than two players.
    """
    position = {name: index for index, name in enumerate(names)}
    if groups is None:
        players = Players(tuple(names), tuple((index,) for index in range(len(names))))
    else:
        if not isinstance(groups, Mapping):
            raise InputError(
                Problem("groups", "expected a mapping of group name to input names", groups)
            )
        owner: dict[str, str] = {}
        members: list[tuple[int, ...]] = []
        problems: list[Problem] = []
        for group, group_members in groups.items():
            path = f"groups[{group!r}]"
            if isinstance(group_members, str) or not group_members:
                problems.append(
                    Problem(path, "expected a non-empty list of input names", group_members)
                )
                continue
            for member in group_members:
                if member not in position:
                    problems.append(
                        Problem(
                            path,
                            f"{member!r} is not an input; expected one of {list(names)}",
                            member,
                        )
                    )
                elif member in owner:
                    problems.append(
                        Problem(
                            path,
                            f"{member!r} is already in group "
                            f"{owner[member]!r}; expected each input in one "
                            "group",
                            member,
                        )
                    )
                else:
                    owner[member] = str(group)
            members.append(tuple(sorted(position[m] for m in set(group_members) if m in position)))
        missing = [name for name in names if name not in owner]
        if missing and not problems:
            problems.append(
                Problem(
                    "groups",
                    f"{missing} are in no group; expected the groups to "
                    "partition the inputs (a one-input group keeps an "
                    "input on its own)",
                    missing,
                )
            )
        if problems:
            raise InputError(problems)
        players = Players(tuple(str(group) for group in groups), tuple(members))
    if len(players.names) < 2:
        raise InputError(
            Problem(
                "groups" if groups is not None else "distributions",
                "expected at least two players (inputs or groups) to share the variance",
                list(players.names),
            )
        )
    return players


def check_count(value, name: str, minimum: int) -> int:
    """A whole number of at least `minimum`, else InputError naming the argument."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise InputError(Problem(name, f"expected a whole number >= {minimum}", value))
    return int(value)


def check_confidence(confidence) -> float:
    """A confidence level strictly between 0 and 1."""
    if (
        isinstance(confidence, bool)
        or not isinstance(confidence, int | float | np.floating)
        or not 0.0 < confidence < 1.0
    ):
        raise InputError(
            Problem("confidence", "expected a level between 0 and 1, e.g. 0.95", confidence)
        )
    return float(confidence)


# --------------------------------------------------------------------------- effects


def effects_to_indices(effects: np.ndarray, variance: np.ndarray) -> np.ndarray:
    """Effects / Var(Y), NaN where Var(Y) is not > 0.

    Parameters
    ----------
    effects : numpy.ndarray
        (..., players, outputs) [units^2].
    variance : numpy.ndarray
        (..., outputs) [units^2].

    Returns
    -------
    numpy.ndarray
        (..., players, outputs) [1].
    """
    variance = np.broadcast_to(variance[..., None, :], effects.shape)
    return np.divide(effects, variance, out=np.full(effects.shape, np.nan), where=variance > 0)


def effects_dataset(
    players: Sequence[str],
    effects: np.ndarray,
    indices: np.ndarray,
    resampled_effects: np.ndarray,
    resampled_indices: np.ndarray,
    variance: np.ndarray,
    undefined: np.ndarray,
    *,
    confidence: float,
    units: str,
    output_names: Sequence | None,
) -> xr.Dataset:
    """The effects, indices and their bootstrap bounds over factor [and output]."""
    squared = squared_unit(units)
    half = (1.0 - confidence) / 2.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2.0)
    level = f"{confidence:.0%}"
    coords: dict[str, Any] = {"factor": list(players)}
    dims: tuple[str, ...] = ("factor",)
    if output_names is not None:
        coords["output"] = list(output_names)
        dims = ("factor", "output")

    def shaped(values: np.ndarray) -> np.ndarray:
        return values if output_names is not None else values[..., 0]

    variables: dict[str, xr.DataArray] = {}
    for name, point, resampled, unit, subject, meaning in (
        (
            "shapley",
            effects,
            resampled_effects,
            squared,
            "Shapley effect",
            "the factor's share of the output variance",
        ),
        (
            "shapley_index",
            indices,
            resampled_indices,
            "1",
            "Shapley index",
            "Shapley effect / output variance",
        ),
    ):
        lower, upper = np.quantile(resampled, [half, 1.0 - half], axis=0)
        spread = resampled.std(axis=0, ddof=1)
        for suffix, values, long_name in (
            ("", point, f"{subject}: {meaning}"),
            (
                "_lower",
                lower,
                f"Lower bound of the {level} bootstrap percentile interval of the {subject}",
            ),
            (
                "_upper",
                upper,
                f"Upper bound of the {level} bootstrap percentile interval of the {subject}",
            ),
            (
                "_conf",
                z * spread,
                f"Half-width of the {level} bootstrap confidence interval "
                f"of the {subject} (z sd of the resamples)",
            ),
        ):
            variables[name + suffix] = xr.DataArray(
                shaped(values),
                dims=dims,
                coords=coords,
                attrs={"units": unit, "long_name": long_name},
            )
    output_coords = {"output": coords["output"]} if output_names is not None else {}
    output_dims = dims[1:]
    variables["variance"] = xr.DataArray(
        shaped(variance[None])[0],
        dims=output_dims,
        coords=output_coords,
        attrs={"units": squared, "long_name": "Output variance (sum of the Shapley effects)"},
    )
    variables["n_undefined"] = xr.DataArray(
        shaped(undefined[None])[0],
        dims=output_dims,
        coords=output_coords,
        attrs={"units": "1", "long_name": "Model rows where the output is not finite"},
    )
    return xr.Dataset(variables)


def squared_unit(units: str) -> str:
    """The unit of a variance: ``EUR`` -> ``EUR^2``, ``EUR/MWh`` -> ``(EUR/MWh)^2``, 1 -> 1."""
    units = str(units).strip()
    if units in ("", "1"):
        return "1"
    return f"{units}^2" if units.isalnum() else f"({units})^2"
