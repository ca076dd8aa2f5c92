"""Shapley effects of dependent inputs (:mod:`tecmodel.analysis.sensitivity.shapley`).

- Linear Gaussian model Y = X1 + X2 + X3, standard normal inputs, corr(X2, X3) = rho (Pearson of
  the normals): the effects are 1, 1 + rho, 1 + rho of the variance 3 + 2 rho (Iooss & Prieur
  2019, linear Gaussian model; derived from the costs in :func:`linear_gaussian_costs`),
  recovered within the bootstrap intervals and 0.03, independent (rho = 0) and with the rank
  correlation 0.5 (rho = 2 sin(pi 0.5 / 6) = 0.5176, the Gaussian copula's conversion).
- Ishigami (a = 7, b = 0.1, independent inputs on [-pi, pi]): effects 0.4357, 0.4424, 0.1218 of
  the variance 13.8446, from its analytic Sobol' indices (S1 + S13 / 2, S2, S13 / 2).
- The effects add up to the estimated variance (by construction); for an additive function of
  independent inputs they are the first-order variances; a group of X2 and X3 gets
  (2 + 2 rho) / (3 + 2 rho); random permutations agree with exact enumeration and handle more
  than eight players.
- The conditional draws have the copula's rank correlations; two equal inputs share the variance
  equally (the Shapley symmetry axiom).
- Several outputs at once equal the outputs one by one; undefined or constant outputs give NaN
  indices; the model is called with whole coalitions, as few times as the batch size allows.
- Same seed, same dataset (whatever the batch size); another seed, other values; bad arguments
  are clear errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from tecmodel.analysis.sensitivity.coalitions import coalition_rows
from tecmodel.analysis.sensitivity.shapley import shapley_effects
from tecmodel.errors import InputError
from tecmodel.inputs.distributions import parse_distribution, spearman_to_pearson

STANDARD_NORMAL = {"type": "normal", "mean": 0, "std": 1}
NORMALS = {"x1": STANDARD_NORMAL, "x2": STANDARD_NORMAL, "x3": STANDARD_NORMAL}
UNIFORM_PI = {"type": "uniform", "low": -math.pi, "high": math.pi}
A, B = 7.0, 0.1
TOLERANCE = 0.03  # on shares of the variance


def linear(inputs):
    return inputs["x1"] + inputs["x2"] + inputs["x3"]


def ishigami(inputs):
    """Ishigami & Homma (1990): sin x1 + a sin^2 x2 + b x3^4 sin x1."""
    x1, x2, x3 = inputs["x1"], inputs["x2"], inputs["x3"]
    return np.sin(x1) + A * np.sin(x2) ** 2 + B * x3**4 * np.sin(x1)


def rank_correlation(spearman_23: float) -> list[list[float]]:
    return [[1.0, 0.0, 0.0], [0.0, 1.0, spearman_23], [0.0, spearman_23, 1.0]]


def normal_score_correlation(spearman: float) -> float:
    """Pearson correlation of the normal scores, 2 sin(pi rho_S / 6) (Kruskal 1958)."""
    return 2.0 * math.sin(math.pi * spearman / 6.0)


def linear_gaussian_costs(rho: float) -> dict[frozenset, float]:
    """c(J) = E[Var(Y | X_-J)] of Y = X1 + X2 + X3, X1 independent, corr(X2, X3) = rho.

    Var(X2 | X3) = 1 - rho^2; Var(X2 + X3) = 2 + 2 rho; Var(X1) = 1. The Shapley weights (1/3
    for the empty and the two-player coalitions, 1/6 for one player) then give
    Sh1 = 1, Sh2 = Sh3 = (1 - rho^2) / 2 + (1 + rho)^2 / 2 = 1 + rho (Iooss & Prieur 2019).
    """
    return {
        frozenset({1}): 1.0,
        frozenset({2}): 1 - rho**2,
        frozenset({3}): 1 - rho**2,
        frozenset({1, 2}): 2 - rho**2,
        frozenset({1, 3}): 2 - rho**2,
        frozenset({2, 3}): 2 + 2 * rho,
        frozenset({1, 2, 3}): 3 + 2 * rho,
    }


def linear_gaussian_shares(rho: float) -> np.ndarray:
    return np.array([1.0, 1.0 + rho, 1.0 + rho]) / (3.0 + 2.0 * rho)


def ishigami_shares() -> np.ndarray:
    """Partial variances of Ishigami (Saltelli et al. 2008, section 4.9; Sobol' & Levitan 1999):
    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
    V13 = 8 b^2 pi^8 / 225; Shapley (independent inputs): V1 + V13/2, V2, V13/2."""
    variance = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v13 = 8 * B**2 * math.pi**8 / 225
    return np.array([v1 + v13 / 2, A**2 / 8, v13 / 2]) / variance


def assert_covered(
    dataset: xr.Dataset,
    expected: np.ndarray,
    variable: str = "shapley_index",
    tolerance: float = TOLERANCE,
) -> None:
    """Estimate within `tolerance` of `expected`, and inside its bootstrap interval."""
    estimate = dataset[variable].values
    np.testing.assert_allclose(estimate, expected, atol=tolerance)
    assert np.all(dataset[f"{variable}_lower"].values <= expected), (
        dataset[f"{variable}_lower"],
        expected,
    )
    assert np.all(expected <= dataset[f"{variable}_upper"].values), (
        dataset[f"{variable}_upper"],
        expected,
    )


def test_analytic_shares_are_the_documented_numbers():
    np.testing.assert_allclose(ishigami_shares(), [0.4357, 0.4424, 0.1218], atol=1e-4)
    rho = normal_score_correlation(0.5)
    costs = linear_gaussian_costs(rho)
    weights = {0: 1 / 3, 1: 1 / 6, 2: 1 / 3}
    costs[frozenset()] = 0.0
    players = {1, 2, 3}
    effects = linear_gaussian_shares(rho) * (3 + 2 * rho)
    for player, expected in zip((1, 2, 3), effects, strict=True):
        others = sorted(players - {player})
        subsets = [frozenset(), frozenset({others[0]}), frozenset({others[1]}), frozenset(others)]
        effect = sum(weights[len(s)] * (costs[s | {player}] - costs[s]) for s in subsets)
        assert effect == pytest.approx(expected)


@pytest.mark.parametrize("spearman", [0.0, 0.5])
def test_linear_gaussian_model(spearman):
    rho = normal_score_correlation(spearman)
    dataset = shapley_effects(linear, NORMALS, rank_correlation(spearman), n_outer=3000, n_inner=3)
    assert_covered(dataset, linear_gaussian_shares(rho))
    assert float(dataset["variance"]) == pytest.approx(3 + 2 * rho, rel=0.05)
    assert dataset.attrs["n_permutations"] == "exact"
    assert dataset.attrs["coalitions"] == 6


def test_ishigami():
    dataset = shapley_effects(
        ishigami, {"x1": UNIFORM_PI, "x2": UNIFORM_PI, "x3": UNIFORM_PI}, n_outer=4000, n_inner=3
    )
    assert_covered(dataset, ishigami_shares())
    variance = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5  # 13.8446
    assert float(dataset["variance"]) == pytest.approx(variance, rel=0.05)


@pytest.mark.parametrize("n_permutations", [None, 40])
def test_effects_add_up_to_the_variance(n_permutations):
    dataset = shapley_effects(
        ishigami,
        {"x1": UNIFORM_PI, "x2": UNIFORM_PI, "x3": UNIFORM_PI},
        n_outer=500,
        n_inner=3,
        n_permutations=n_permutations,
    )
    assert float(dataset["shapley"].sum()) == pytest.approx(float(dataset["variance"]), rel=1e-12)
    assert float(dataset["shapley_index"].sum()) == pytest.approx(1.0, rel=1e-12)


def test_additive_independent_effects_are_first_order_variances():
    """Y = X1 + 2 X2 + 3 X3: Sh_i = a_i^2 Var(X_i) with Var(U(0, 1)) = 1/12, Var(triangular(0, 1,
    3)) = (0 + 1 + 9 - 0 - 0 - 3) / 18 = 7/18 and the lognormal's stated std^2 = 0.09."""
    distributions = {
        "x1": {"type": "uniform", "low": 0, "high": 1},
        "x2": {"type": "triangular", "low": 0, "mode": 1, "high": 3},
        "x3": {"type": "lognormal", "mean": 1, "std": 0.3},
    }
    dataset = shapley_effects(
        lambda x: x["x1"] + 2 * x["x2"] + 3 * x["x3"], distributions, n_outer=4000, n_inner=3
    )
    expected = np.array([1 / 12, 4 * 7 / 18, 9 * 0.09])
    assert_covered(dataset, expected, variable="shapley", tolerance=TOLERANCE * expected.sum())


def test_group_of_correlated_inputs():
    rho = normal_score_correlation(0.5)
    dataset = shapley_effects(
        linear,
        NORMALS,
        rank_correlation(0.5),
        n_outer=3000,
        n_inner=3,
        groups={"x1": ["x1"], "x2 and x3": ["x2", "x3"]},
    )
    assert list(dataset["factor"].values) == ["x1", "x2 and x3"]
    assert_covered(dataset, np.array([1.0, 2.0 + 2.0 * rho]) / (3.0 + 2.0 * rho))
    assert dataset.attrs["coalitions"] == 2


def test_random_permutations_agree_with_exact_enumeration():
    correlation = rank_correlation(0.5)
    exact = shapley_effects(linear, NORMALS, correlation, n_outer=3000, n_inner=3)
    sampled = shapley_effects(
        linear, NORMALS, correlation, n_outer=3000, n_inner=3, n_permutations=300
    )
    assert sampled.attrs["n_permutations"] == 300
    np.testing.assert_allclose(
        sampled["shapley_index"].values, exact["shapley_index"].values, atol=0.02
    )
    assert_covered(sampled, linear_gaussian_shares(normal_score_correlation(0.5)))


def test_more_than_eight_players_use_random_permutations():
    """Y = sum a_i X_i, ten independent standard normals: Sh_i = a_i^2 (first-order variances)."""
    coefficients = np.arange(1.0, 11.0)
    names = [f"x{i}" for i in range(10)]

    def weighted_sum(inputs):
        return sum(a * inputs[name] for a, name in zip(coefficients, names, strict=True))

    distributions = dict.fromkeys(names, STANDARD_NORMAL)
    with pytest.raises(InputError, match="n_permutations"):
        shapley_effects(weighted_sum, distributions, n_outer=100, n_inner=3)
    dataset = shapley_effects(
        weighted_sum, distributions, n_outer=1000, n_inner=3, n_permutations=30
    )
    expected = coefficients**2 / np.sum(coefficients**2)
    assert_covered(dataset, expected, tolerance=0.02)
    assert dataset.attrs["coalitions"] <= 30 * 9


def test_conditional_draws_have_the_copula_rank_correlations():
    """Outer draws of the other inputs and inner draws of the coalition given them, pooled, are
    draws from the joint law: their Spearman matrix is the requested one."""
    spearman = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.4], [-0.3, 0.4, 1.0]])
    specs = [
        {"type": "triangular", "low": 0, "mode": 1, "high": 3},
        {"type": "lognormal", "mean": 1, "std": 0.5},
        {"type": "uniform", "low": 0, "high": 1},
    ]
    distributions = [parse_distribution(spec, 1.0, (-math.inf, math.inf), "")[0] for spec in specs]
    for coalition in ([0], [1], [0, 2]):
        values = coalition_rows(
            spearman_to_pearson(spearman),
            distributions,
            coalition,
            n_outer=20000,
            n_inner=3,
            seed=1,
        )
        np.testing.assert_allclose(stats.spearmanr(values.T).statistic, spearman, atol=0.02)


def test_equal_inputs_share_the_variance_equally():
    """Rank correlation 1 (a semi-definite copula): X1 = X2, so Y = X1 + X2 gives each half."""
    dataset = shapley_effects(
        lambda x: x["x1"] + x["x2"],
        {"x1": STANDARD_NORMAL, "x2": STANDARD_NORMAL},
        [[1.0, 1.0], [1.0, 1.0]],
        n_outer=500,
        n_inner=3,
    )
    np.testing.assert_allclose(dataset["shapley_index"].values, [0.5, 0.5], atol=1e-9)


def test_several_outputs_equal_the_outputs_one_by_one():
    def two_outputs(inputs):
        return np.column_stack([linear(inputs), inputs["x1"] * inputs["x2"] + inputs["x3"]])

    correlation = rank_correlation(0.5)
    both = shapley_effects(
        two_outputs,
        NORMALS,
        correlation,
        n_outer=500,
        n_inner=3,
        output_names=["sum", "product"],
        units="EUR",
    )
    assert both["shapley"].dims == ("factor", "output")
    assert list(both["output"].values) == ["sum", "product"]
    assert both["shapley"].attrs["units"] == "EUR^2"
    assert both["shapley_index"].attrs["units"] == "1"
    assert both["variance"].dims == ("output",)
    for column, name in enumerate(["sum", "product"]):
        alone = shapley_effects(
            lambda x, c=column: two_outputs(x)[:, c], NORMALS, correlation, n_outer=500, n_inner=3
        )
        assert alone["shapley"].dims == ("factor",)
        for variable in alone.data_vars:
            np.testing.assert_allclose(
                both[variable].sel(output=name).values,
                alone[variable].values,
                rtol=1e-12,
                atol=1e-14,
            )


def test_undefined_and_constant_outputs():
    def outputs(inputs):
        undefined = np.where(inputs["x1"] > 1.0, np.nan, inputs["x1"])
        return np.column_stack([linear(inputs), undefined, np.full(inputs["x1"].shape, 5.0)])

    dataset = shapley_effects(outputs, NORMALS, n_outer=200, n_inner=3)
    assert list(dataset["output"].values) == [0, 1, 2]
    assert dataset["n_undefined"].values[0] == 0 and dataset["n_undefined"].values[1] > 0
    assert np.all(np.isnan(dataset["shapley"].values[:, 1]))
    np.testing.assert_array_equal(dataset["shapley"].values[:, 2], 0.0)
    assert np.all(np.isnan(dataset["shapley_index"].values[:, 2]))
    assert np.all(np.isfinite(dataset["shapley_index"].values[:, 0]))


def test_the_model_is_called_with_whole_coalitions():
    calls = []

    def counted(inputs):
        lengths = {len(values) for values in inputs.values()}
        assert len(lengths) == 1
        calls.append(lengths.pop())
        return linear(inputs)

    # 1000 outer x 3 inner draws per coalition, 6 coalitions, 3000 variance draws: 21000 rows
    dataset = shapley_effects(counted, NORMALS, n_outer=1000, n_inner=3)
    assert calls == [21000]
    assert dataset.attrs["evaluations"] == 21000 and dataset.attrs["function_calls"] == 1
    calls.clear()
    shapley_effects(counted, NORMALS, n_outer=1000, n_inner=3, batch_rows=6000)
    assert calls == [6000, 6000, 6000, 3000]
    calls.clear()
    shapley_effects(counted, NORMALS, n_outer=1000, n_inner=3, batch_rows=1)
    assert calls == [3000] * 7


def test_reproducible():
    inputs = {"x1": UNIFORM_PI, "x2": UNIFORM_PI, "x3": UNIFORM_PI}
    options = {"n_outer": 300, "n_inner": 3, "correlation": rank_correlation(0.5)}
    first = shapley_effects(ishigami, inputs, seed=0, **options)
    xr.testing.assert_identical(first, shapley_effects(ishigami, inputs, seed=0, **options))
    rebatched = shapley_effects(ishigami, inputs, seed=0, batch_rows=1, **options)
    assert rebatched.attrs.pop("function_calls") == 7
    first_attrs = dict(first.attrs)
    first_attrs.pop("function_calls")
    assert rebatched.attrs == first_attrs
    xr.testing.assert_equal(first, rebatched)
    other = shapley_effects(ishigami, inputs, seed=1, **options)
    assert other.attrs["seed"] == 1
    assert not np.any(first["shapley"].values == other["shapley"].values)


def test_attributes():
    dataset = shapley_effects(
        linear,
        NORMALS,
        n_outer=100,
        n_inner=3,
        n_variance=400,
        n_bootstrap=50,
        seed=3,
        confidence=0.9,
    )
    assert dataset.attrs["evaluations"] == 400 + 6 * 100 * 3
    assert {
        key: dataset.attrs[key]
        for key in (
            "n_outer",
            "n_inner",
            "n_variance",
            "n_bootstrap",
            "seed",
            "confidence",
            "correlation",
        )
    } == {
        "n_outer": 100,
        "n_inner": 3,
        "n_variance": 400,
        "n_bootstrap": 50,
        "seed": 3,
        "confidence": 0.9,
        "correlation": "independent",
    }
    for name, variable in dataset.data_vars.items():
        assert variable.attrs["units"] and variable.attrs["long_name"], name
    assert "90%" in dataset["shapley_lower"].attrs["long_name"]


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"n_outer": 0}, "n_outer"),
        ({"n_outer": 10.0}, "n_outer"),
        ({"n_outer": True}, "n_outer"),
        ({"n_inner": 1}, "n_inner"),
        ({"n_variance": 1}, "n_variance"),
        ({"n_permutations": 0}, "n_permutations"),
        ({"n_bootstrap": 1}, "n_bootstrap"),
        ({"batch_rows": 0}, "batch_rows"),
        ({"confidence": 1.0}, "confidence"),
        ({"seed": -1}, "seed"),
        ({"groups": {"a": ["x1", "x9"], "b": ["x2", "x3"]}}, "groups['a']"),
        ({"groups": {"a": ["x1", "x2"], "b": ["x2", "x3"]}}, "groups['b']"),
        ({"groups": {"a": ["x1", "x2"]}}, "groups"),
        ({"groups": {"a": ["x1", "x2", "x3"]}}, "groups"),
        ({"groups": {"a": [], "b": ["x1", "x2", "x3"]}}, "groups['a']"),
        ({"correlation": [[1.0, 0.5], [0.5, 1.0]]}, "correlation"),
        ({"correlation": [[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]]}, "correlation"),
        ({"correlation": [[1.0, 0.2, 0.0], [0.3, 1.0, 0.0], [0.0, 0.0, 1.0]]}, "correlation[0][1]"),
    ],
)
def test_bad_arguments(arguments, path):
    options = {"n_outer": 10, "n_inner": 3, **arguments}
    with pytest.raises(InputError) as raised:
        shapley_effects(linear, NORMALS, **options)
    assert path in raised.value.paths, (raised.value.paths, str(raised.value))


@pytest.mark.parametrize(
    ("distributions", "path"),
    [
        (
            {"x1": {"type": "normall", "mean": 0, "std": 1}, "x2": STANDARD_NORMAL},
            "distributions['x1'].type",
        ),
        (
            {"x1": {"type": "uniform", "low": 1, "high": 0}, "x2": STANDARD_NORMAL},
            "distributions['x1'].high",
        ),
        ({"x1": STANDARD_NORMAL}, "distributions"),
        ({"x1": 3.0, "x2": STANDARD_NORMAL}, "distributions['x1']"),
    ],
)
def test_bad_distributions(distributions, path):
    with pytest.raises(InputError) as raised:
        shapley_effects(lambda x: x["x1"], distributions, n_outer=10, n_inner=3)
    assert path in raised.value.paths, (raised.value.paths, str(raised.value))


@pytest.mark.parametrize(
    ("function", "message"),
    [
        (lambda x: x["x1"][:-1], r"shape \(\d+,\) for \d+ rows"),
        (lambda x: np.zeros((len(x["x1"]), 2, 2)), r"shape \(\d+, 2, 2\)"),
    ],
)
def test_bad_function_outputs(function, message):
    with pytest.raises(ValueError, match=message):
        shapley_effects(function, NORMALS, n_outer=10, n_inner=3)


def test_output_names_must_match_the_outputs():
    calls = []

    def counted(inputs):
        calls.append(1)
        return np.column_stack([linear(inputs)] * 3)

    with pytest.raises(ValueError, match="output_names has 2 names"):
        shapley_effects(linear, NORMALS, n_outer=10, n_inner=3, output_names=["a", "b"])
    with pytest.raises(ValueError, match="returned 3 columns"):
        shapley_effects(
            counted, NORMALS, n_outer=10, n_inner=3, output_names=["a", "b"], batch_rows=1
        )
    assert len(calls) == 1  # refused at the first call, before the other coalitions
    with pytest.raises(TypeError, match="expected a function"):
        shapley_effects("linear", NORMALS, n_outer=10, n_inner=3)


def test_batching_changes_nothing():
    """126 coalitions of seven inputs and three outputs: one call, 22 calls or one per coalition
    give the same dataset to the last bit."""
    names = [f"x{i}" for i in range(7)]

    def outputs(inputs):
        return np.column_stack(
            [sum(inputs[name] for name in names), inputs["x0"] * inputs["x1"], inputs["x2"] ** 2]
        )

    distributions = dict.fromkeys(names, STANDARD_NORMAL)
    reference = shapley_effects(outputs, distributions, n_outer=50, n_inner=3)
    assert reference.attrs["function_calls"] == 1
    for batch_rows in (1000, 1):
        rebatched = shapley_effects(
            outputs, distributions, n_outer=50, n_inner=3, batch_rows=batch_rows
        )
        assert rebatched.attrs["function_calls"] > 1
        xr.testing.assert_identical(rebatched.drop_attrs(), reference.drop_attrs())


def test_an_appended_independent_input_leaves_the_draws_unchanged():
    normal = parse_distribution(STANDARD_NORMAL, 1.0, (-math.inf, math.inf), "")[0]
    two = coalition_rows(np.eye(2), [normal] * 2, [0], n_outer=100, n_inner=3, seed=0)
    three = coalition_rows(np.eye(3), [normal] * 3, [0], n_outer=100, n_inner=3, seed=0)
    np.testing.assert_array_equal(three[:2], two)
