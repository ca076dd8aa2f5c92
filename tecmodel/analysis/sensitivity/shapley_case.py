"""Shapley effects of a case's metrics: the case model plugged into the Shapley estimator.

This module owns :func:`shapley` (``tecmodel.shapley``) and how its factors are made to match
the Monte Carlo study of the same case; the estimator is
:func:`tecmodel.analysis.sensitivity.shapley.shapley_effects`, the model
:func:`tecmodel.model.evaluation.evaluate` (one vectorised call per batch of whole coalitions).

Same inputs as the Monte Carlo. Sobol' indices assume independent inputs and drop the case's
rank correlations; the Shapley effects keep them. Each factor is a column of uniforms mapped
through its distribution (the case's, as for :func:`tecmodel.analysis.sensitivity.sobol_case.sobol`),
and the columns are joined by the Gaussian copula of the case's ``uncertainty.rank_correlation``
among the chosen factors (:func:`tecmodel.analysis.sampling.column_rank_correlation`), exactly
as :func:`tecmodel.analysis.montecarlo.study.monte_carlo` joins them. A site-level parameter the
case lists under ``uncertainty.per_site`` is drawn independently on each site, as in the Monte
Carlo: its columns (``name@site``) are one player named as the factor was given, unless
``per_site`` asks for one player per site. The factors not chosen stay at their base values.

Players. The default factors are energy price, utilisation and chip cost; ``factors="all"``
takes every parameter the case gives a distribution (the Monte Carlo's columns). Groups
(``{"energy": ["power.market_price", "power.contract_price"]}``) make one player of several
factors; every factor outside the groups stays its own player. Exact enumeration of the
coalitions is used up to eight players, random orders (``n_permutations``) above.

Output. The effects share each metric's variance, per site and for the portfolio, among the
players: they add up to the variance whatever the correlations, each is non-negative, and for
independent inputs a player's index lies between its first-order and total Sobol' indices.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from tecmodel.analysis.sampling import (
    Column,
    column_overrides,
    column_rank_correlation,
    factor_columns,
    process_factor_names,
    sampling_plan,
)
from tecmodel.analysis.sensitivity.factors import (
    DEFAULT_FACTORS,
    check_metrics,
    describe,
    group_members,
    grouping,
    metric_values,
)
from tecmodel.analysis.sensitivity.shapley import (
    DEFAULT_BATCH_ROWS,
    DEFAULT_BOOTSTRAP,
    check_count,
    shapley_effects,
    squared_unit,
)
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.inputs.distributions import Distribution
from tecmodel.model.evaluation import evaluate
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import METRICS

#: The value of `factors` that takes every distributed input of the case.
ALL_FACTORS = "all"
#: Default outer draws per coalition: with three inner draws, 2^11 gives 43,008 model rows for
#: three players and half-widths up to about 0.025 on the bundled cases' NPV shares.
DEFAULT_OUTER = 2**11
#: Each column's uniform enters the estimator as U(0, 1); the column maps it to values.
UNIT_UNIFORM = Distribution("uniform", (("low", 0.0), ("high", 1.0)))


@dataclass(frozen=True)
class ShapleyFactors:
    """The columns of a Shapley analysis, its players and their rank correlations.

    Attributes
    ----------
    columns : tuple of Column
        One per uniform (``name@site`` for a parameter drawn per site).
    players : tuple of str
        The player (group) of each column.
    correlation : numpy.ndarray
        Spearman rank correlations between the columns, from the case [1].
    """

    columns: tuple[Column, ...]
    players: tuple[str, ...]
    correlation: np.ndarray

    @property
    def labels(self) -> list[str]:
        return [column.label for column in self.columns]

    @property
    def groups(self) -> dict[str, list[str]]:
        """Player name -> its columns' labels, in the order of first appearance."""
        groups: dict[str, list[str]] = {}
        for label, player in zip(self.labels, self.players, strict=True):
            groups.setdefault(player, []).append(label)
        return groups


def shapley_factors(
    case: Case,
    factors: Sequence[str] | str | None = DEFAULT_FACTORS,
    groups: Mapping[str, Sequence[str]] | None = None,
    *,
    per_site: bool = False,
) -> ShapleyFactors:
    """The columns, players and correlations of :func:`shapley` (see the module docstring).

    Raises
    ------
    InputError
        For an unknown or structural factor, a bad group, or a case without distributions
        (``"all"``).
    """
    if isinstance(factors, str) and factors == ALL_FACTORS:
        chosen = list(sampling_plan(case).columns)  # the Monte Carlo's columns, distributions
        processes = process_factor_names(case)  # and what shapes the central paths
        if processes:
            chosen += factor_columns(case, processes)
        names: Sequence[str] = list(dict.fromkeys(c.parameter.name for c in chosen))
    elif isinstance(factors, str):
        raise InputError(
            Problem(
                "factors",
                f"expected a list of parameter names or aliases, or {ALL_FACTORS!r}",
                factors,
            )
        )
    else:
        names = group_members(factors, groups)
        chosen = factor_columns(case, names, per_site=per_site)
    columns: list[Column] = []
    fallback: list[str] = []  # the player of each column outside the groups
    for column in chosen:
        drawn_per_site = column.parameter.name in case.uncertainty.per_site
        if len(column.sites) > 1 and (drawn_per_site or per_site):
            for site, distribution in zip(column.sites, column.distributions, strict=True):
                label = f"{column.label}@{site}"
                columns.append(Column(label, column.parameter, (site,), (distribution,)))
                fallback.append(label if per_site else column.label)
        else:
            columns.append(column)
            # The Monte Carlo's site draws of one parameter are one player unless per_site.
            split_by_plan = factors == ALL_FACTORS and drawn_per_site and "@" in column.label
            fallback.append(
                column.parameter.name if split_by_plan and not per_site else column.label
            )
    players = grouping(columns, names, groups, fallback)
    if len(set(players)) < 2:
        raise InputError(
            Problem(
                "groups" if groups else "factors",
                "expected at least two players (factors or groups) to share the variance",
                sorted(set(players)),
            )
        )
    return ShapleyFactors(tuple(columns), tuple(players), column_rank_correlation(case, columns))


def shapley(
    case: Case,
    factors: Sequence[str] | str | None = DEFAULT_FACTORS,
    groups: Mapping[str, Sequence[str]] | None = None,
    metrics: Sequence[str] = ("npv",),
    n: int = DEFAULT_OUTER,
    seed: int = 0,
    *,
    per_site: bool = False,
    independent: bool = False,
    n_inner: int = 3,
    n_permutations: int | None = None,
    confidence: float = 0.95,
    n_bootstrap: int = DEFAULT_BOOTSTRAP,
    batch_rows: int = DEFAULT_BATCH_ROWS,
) -> xr.Dataset:
    """Shapley effects of a case's metrics, with the case's rank correlations among the factors.

    Parameters
    ----------
    case : Case
    factors : sequence of str or "all"
        Registered parameter names or aliases (``energy_price``, ``utilisation``,
        ``chip_cost`` ...); ``name@site`` moves one site only; ``"all"``: every parameter with
        a distribution in the case. With `groups` and None, the groups' members.
    groups : mapping of str to sequence of str, optional
        Group name -> factors (as given, or their parameters' names); each group is one player.
    metrics : sequence of str
        Metrics analysed (default NPV), per site and for the portfolio.
    n : int
        Outer draws per coalition (at least 2). The model is evaluated
        ``(coalitions + 1) * n * n_inner`` times: 2^P - 2 coalitions for P players (exact),
        at most ``n_permutations * (P - 1)`` with random orders.
    seed : int
        Seeds every draw; 0 is a seed like any other.
    per_site : bool
        One player per site for site-level parameters (``name@site``); by default a site-level
        factor is one player (its sites moved together, or drawn per site as the case's
        ``uncertainty.per_site`` says).
    independent : bool
        Drop the case's rank correlations (what Sobol' indices assume), to see what respecting
        them changes.
    n_inner : int
        Inner draws per outer draw (3, Song et al.'s recommendation).
    n_permutations : int, optional
        Random player orders; needed above eight players.
    confidence, n_bootstrap
        Level and resamples of the bootstrap intervals.
    batch_rows : int
        Most model rows per :func:`tecmodel.model.evaluation.evaluate` call (whole coalitions).

    Returns
    -------
    xarray.Dataset
        Over (factor, metric, site): ``shapley_index`` (share of the variance) [1] with
        ``_lower``, ``_upper`` (bootstrap percentile interval) and ``_conf`` (half-width),
        ``shapley`` (the effect, in the metric's unit squared: the ``squared_units``
        coordinate) with the same bounds; over (metric, site): ``variance`` and ``n_undefined``.
        ``factor`` holds the players. Attributes: the estimator's (``method``, ``n_outer``,
        ``n_inner``, ``evaluations`` ...), ``case``, ``factors`` (JSON: each column's factor,
        player, parameter, sites and distributions) and ``correlation`` (JSON: the columns'
        Spearman matrix, or ``"independent"``).

    Raises
    ------
    InputError
        For an unknown factor or metric, a bad group or count, fewer than two players, or more
        than eight players without `n_permutations`.
    """
    metrics = check_metrics(metrics)
    n = check_count(n, "n", 2)
    chosen = shapley_factors(case, factors, groups, per_site=per_site)
    labels = chosen.labels
    columns = list(chosen.columns)
    sites = [*case.site_names, PORTFOLIO]

    def model(inputs: Mapping[str, np.ndarray]) -> np.ndarray:
        uniforms = np.column_stack([inputs[label] for label in labels])
        result = evaluate(case, column_overrides(case, columns, uniforms), generations=False)
        rows = uniforms.shape[0]
        return metric_values(result, metrics, rows).reshape(rows, len(metrics) * len(sites))

    if independent:
        correlated, described = False, "independent (the case's rank correlations dropped)"
    elif np.array_equal(chosen.correlation, np.eye(len(columns))):
        correlated, described = (
            False,
            "independent (the case correlates none of the chosen factors)",
        )
    else:
        correlated = True
        described = json.dumps({"columns": labels, "spearman": chosen.correlation.tolist()})
    estimated = shapley_effects(
        model,
        dict.fromkeys(labels, UNIT_UNIFORM),
        chosen.correlation if correlated else None,
        n_outer=n,
        n_inner=n_inner,
        n_permutations=n_permutations,
        groups=chosen.groups,
        seed=seed,
        confidence=confidence,
        n_bootstrap=n_bootstrap,
        output_names=[f"{metric}@{site}" for metric in metrics for site in sites],
        batch_rows=batch_rows,
    )
    dataset = _by_metric_and_site(estimated, metrics, sites)
    dataset.attrs.update(
        case=case.name,
        factors=json.dumps(describe(chosen.columns, chosen.players)),
        correlation=described,
    )
    dataset.attrs.pop("inputs", None)  # U(0, 1) columns; `factors` has the distributions
    return dataset


def _by_metric_and_site(estimated: xr.Dataset, metrics: list[str], sites: list[str]) -> xr.Dataset:
    """The estimator's outputs (``metric@site``) as two dimensions, metric and site."""
    coords = {"metric": np.array(metrics, dtype=str), "site": sites}
    squared = [squared_unit(METRICS[metric].units) for metric in metrics]
    variables = {}
    for name, variable in estimated.data_vars.items():
        dims = tuple(dim for dim in variable.dims if dim != "output") + ("metric", "site")
        shape = variable.shape[:-1] + (len(metrics), len(sites))
        attrs = dict(variable.attrs)
        if name == "variance" or name.startswith("shapley") and "index" not in name:
            attrs["units"] = "see the squared_units coordinate"
        variables[name] = xr.DataArray(
            variable.values.reshape(shape),
            dims=dims,
            coords={**{d: estimated[d].values for d in dims if d in estimated.coords}, **coords},
            attrs=attrs,
        )
    dataset = xr.Dataset(variables, attrs=dict(estimated.attrs))
    return dataset.assign_coords(
        units=("metric", [METRICS[metric].units for metric in metrics]),
        squared_units=("metric", squared),
    )
