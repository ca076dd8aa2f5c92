"""Distributions in case files, rank correlations and the sampling blocks.

- each distribution type has the moments its definition gives (PERT mean (a + 4m + b) / 6,
  Vose 2008; the log-normal's stated mean and standard deviation; triangular quantiles by hand);
- bad distributions and correlation blocks are input errors naming file, field path, value and
  expectation;
- the Gaussian copula reproduces the requested Spearman correlations, keeps the marginals, and
  keeps per-site draws independent;
- blocks are reproducible: the child seeds are ``SeedSequence(seed).spawn`` children and the
  Sobol' blocks are slices of one sequence;
- a distribution never changes a deterministic result.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.stats import qmc

import tecmodel
from tecmodel.analysis.sampling import block_seed, sampling_plan, unit_block
from tecmodel.errors import InputError
from tecmodel.inputs.case import case_from_data
from tecmodel.inputs.distributions import (
    Distribution,
    copula_factor,
    correlate_uniforms,
    correlation_problems,
    parse_distribution,
)
from tecmodel.inputs.reading import read_yaml

from .conftest import BASE_FILE, DOUBLED_FILE

BOUNDS = (-1e9, 1e9)


def _parse(spec, factor=1.0, bounds=BOUNDS, base=None):
    return parse_distribution(spec, factor, bounds, "EUR/MWh", base=base)


def test_moments_of_each_type():
    pert, problems = _parse({"type": "pert", "low": 40, "mode": 60, "high": 100})
    assert not problems
    assert pert.frozen.mean() == pytest.approx((40 + 4 * 60 + 100) / 6)  # Vose (2008) PERT mean
    lognormal, _ = _parse({"type": "lognormal", "mean": 60, "std": 15})
    assert lognormal.frozen.mean() == pytest.approx(60) and lognormal.frozen.std() == pytest.approx(
        15
    )
    triangular, _ = _parse({"type": "triangular", "low": 0, "mode": 0, "high": 3})
    # F(x) = 1 - (3 - x)^2 / 9 on [0, 3] -> median x = 3 - 3 / sqrt(2)
    assert float(triangular.ppf(np.array([0.5]))[0]) == pytest.approx(3 - 3 / math.sqrt(2))
    truncated, _ = _parse(
        {"type": "truncated_normal", "mean": 60, "std": 30, "low": 50, "high": 70}
    )
    assert truncated.support() == pytest.approx((50, 70), abs=1e-6)
    beta, _ = _parse({"type": "beta", "alpha": 2, "beta": 6, "low": 10, "high": 20})
    assert beta.frozen.mean() == pytest.approx(10 + 10 * 2 / 8)
    uniform, _ = _parse(
        {"type": "uniform", "low": 1, "high": 3}, factor=10.0
    )  # stated in a unit 10x smaller
    assert uniform.support() == pytest.approx((10, 30))
    normal, _ = _parse({"type": "normal", "mean": 5, "std": 2})
    assert normal.frozen.std() == pytest.approx(2)


def test_integer_parameters_take_whole_numbers():
    delay = Distribution("triangular", (("low", 0.0), ("mode", 0.0), ("high", 3.0)), integer=True)
    values = delay.ppf(np.linspace(0, 1, 101))
    assert set(np.unique(values)) <= {0.0, 1.0, 2.0, 3.0}


def _stated_markets(data):
    """The case with the market energy price and EUR/USD stated as numbers with distributions
    (the REFERENCE_INPUTS 1a/1c ranges) instead of following the power_price and eur_usd
    processes: these tests are about the distributions of stated values."""
    data = copy.deepcopy(data)
    for process in ("power_price", "eur_usd"):
        data["drives"].pop(process)
    data["fx"] = {
        "usd_per_eur": {
            "value": 1.17,
            "unit": "USD/EUR",
            "source": "REFERENCE_INPUTS 1a",
            "distribution": {"type": "triangular", "low": 1.05, "mode": 1.17, "high": 1.25},
        }
    }
    for site in data["sites"]:
        site["power"]["market_price"] = {
            "value": 60,
            "unit": "EUR/MWh",
            "source": "REFERENCE_INPUTS 1c",
            "distribution": {"type": "triangular", "low": 52, "mode": 60, "high": 69},
        }
    return data


def _base_data():
    data, _ = read_yaml(BASE_FILE)
    return _stated_markets(data)


def _with_distribution(data, group, field, distribution, site=0):
    data = copy.deepcopy(data)
    data["sites"][site][group][field]["distribution"] = distribution
    return data


def _error(data, file="case.yaml") -> InputError:
    with pytest.raises(InputError) as caught:
        case_from_data(data, file=file)
    return caught.value


@pytest.mark.parametrize(
    "distribution, path, fragment",
    [
        (
            {"type": "triangular", "low": 70, "mode": 60, "high": 50},
            "power.market_price.distribution.high",
            "expected high > low",
        ),
        (
            {"type": "triangular", "low": 50, "mode": 80, "high": 70},
            "power.market_price.distribution.mode",
            "low <= mode <= high",
        ),
        (
            {"type": "triangle", "low": 50, "mode": 60, "high": 70},
            "power.market_price.distribution.type",
            "did you mean 'triangular'",
        ),
        ({"type": "uniform", "low": 50}, "power.market_price.distribution.high", "is missing"),
        (
            {"type": "uniform", "low": 50, "high": 70, "mode": 60},
            "power.market_price.distribution.mode",
            "is not a field of a uniform distribution",
        ),
        (
            {"type": "normal", "mean": 60, "std": 0},
            "power.market_price.distribution.std",
            "expected a positive number",
        ),
        (
            {"type": "normal", "mean": 60, "std": 200},
            "power.market_price.distribution",
            "outside the parameter's bounds [0, 4000] EUR/MWh; use a truncated_normal",
        ),
        (
            {"type": "uniform", "low": 70, "high": 80},
            "power.market_price.distribution",
            "does not contain the base value 60",
        ),
        (
            {"type": "pert", "low": 50, "mode": 60, "high": 70, "shape": -1},
            "power.market_price.distribution.shape",
            "expected a positive number",
        ),
    ],
)
def test_bad_distributions_are_input_errors(distribution, path, fragment):
    error = _error(_with_distribution(_base_data(), "power", "market_price", distribution))
    message = str(error)
    assert f"sites[0].{path}" in message and fragment in message, message
    assert message.startswith("case.yaml: ")


def test_the_message_names_the_file_and_line(tmp_path):
    text = BASE_FILE.read_text().replace(
        "distribution: {type: triangular, low: 1.5, mode: 5, high: 11,",
        "distribution: {type: triangular, low: 1.5, mode: 5, high: 4,",
    )
    path = tmp_path / "case.yaml"
    path.write_text(text)
    line = next(i for i, row in enumerate(text.splitlines(), 1) if "high: 4," in row)
    with pytest.raises(InputError) as caught:
        tecmodel.load_case(path)
    assert str(caught.value).startswith(
        f"{path}, line {line}: sites[0].power.grid_tariff_energy.distribution.mode = 5"
    )


def test_bounds_are_checked_in_registry_units():
    """80-120 % utilisation exceeds the registry bound of 1 (100 %) once converted from %."""
    data = _with_distribution(
        _base_data(), "revenue", "utilisation", {"type": "uniform", "low": 80, "high": 120}
    )
    assert "outside the parameter's bounds [0, 1] 1" in str(_error(data))


def test_structural_parameters_and_phases_take_no_distribution():
    data = _with_distribution(
        _base_data(), "chips", "refresh_years", {"type": "uniform", "low": 3, "high": 7}
    )
    assert "is structural (not samplable)" in str(_error(data))
    data = copy.deepcopy(_base_data())
    data["sites"][0]["phases"][0]["it_mw"]["distribution"] = {
        "type": "uniform",
        "low": 100,
        "high": 200,
    }
    assert "sites[0].phases[0].it_mw.distribution: is not allowed here" in str(_error(data))


def _with_correlation(parameters, matrix, per_site=None, data=None):
    data = copy.deepcopy(data or _base_data())
    block = {"rank_correlation": {"parameters": parameters, "matrix": matrix, "source": "test"}}
    if per_site is not None:
        block["per_site"] = per_site
    data["uncertainty"] = block
    return data


@pytest.mark.parametrize(
    "parameters, matrix, fragment",
    [
        (["chips.unit_price", "energy_price"], [[1, 0.3], [0.2, 1]], "not symmetric"),
        (
            ["chips.unit_price", "energy_price"],
            [[1, 1.2], [1.2, 1]],
            "expected a rank correlation in [-1, 1]",
        ),
        (
            ["chips.unit_price", "energy_price"],
            [[1, 0.3], [0.3, 0.9]],
            "expected 1 on the diagonal",
        ),
        (
            ["chips.unit_price", "energy_price", "utilisation"],
            [[1, 0.9, 0.9], [0.9, 1, -0.9], [0.9, -0.9, 1]],
            "is not positive semi-definite",
        ),
        (
            ["chips.unit_price", "energy_price"],
            [[1, 0.3, 0], [0.3, 1, 0]],
            "expected a 2 x 2 matrix",
        ),
        (
            ["chips.unit_prise", "energy_price"],
            [[1, 0.3], [0.3, 1]],
            "did you mean 'chips.unit_price'",
        ),
        (
            ["chips.unit_price", "revenue.contract_price"],
            [[1, 0.3], [0.3, 1]],
            "has no distribution in this case",
        ),
    ],
)
def test_bad_correlations_are_input_errors(parameters, matrix, fragment):
    message = str(_error(_with_correlation(parameters, matrix)))
    assert "uncertainty.rank_correlation" in message and fragment in message, message


def test_per_site_declarations_are_checked():
    data = _with_correlation(
        ["chips.unit_price", "energy_price"], [[1, 0.3], [0.3, 1]], per_site=["fx.usd_per_eur"]
    )
    assert "uncertainty.per_site[0]" in str(_error(data)) and "case-level parameter" in str(
        _error(data)
    )
    doubled = _stated_markets(read_yaml(DOUBLED_FILE)[0])
    # utilisation drawn independently on both sites cannot correlate 0.9 with one shared parameter
    data = _with_correlation(
        ["utilisation", "energy_price"],
        [[1, 0.9], [0.9, 1]],
        per_site=["utilisation"],
        data=doubled,
    )
    assert "expanded over the sites" in str(_error(data))


def _spearman(values_a, values_b):
    return stats.spearmanr(values_a, values_b).statistic


def test_copula_reproduces_the_requested_rank_correlations():
    """Spearman of 2^14 samples within 0.02 of the declared matrix; marginals unchanged."""
    requested = [[1.0, 0.7, -0.4], [0.7, 1.0, -0.2], [-0.4, -0.2, 1.0]]
    data = _with_correlation(["chips.unit_price", "energy_price", "utilisation"], requested)
    case = case_from_data(data, file="correlated")
    plan = sampling_plan(case)
    index = {column.parameter.name: i for i, column in enumerate(plan.columns)}
    names = ["chips.unit_price", "power.market_price", "revenue.utilisation"]
    uniforms = plan.correlate(unit_block("random", plan.dimension, 7, 0, 2**14, 2**14))
    for i, first in enumerate(names):
        for j, second in enumerate(names[:i]):
            measured = _spearman(uniforms[:, index[first]], uniforms[:, index[second]])
            assert measured == pytest.approx(requested[i][j], abs=0.02), (first, second)
    values = plan.overrides(uniforms)["power.market_price"].values.ravel()
    distribution = case.entry("energy_price", "fluidstack_fr").distribution
    assert stats.kstest(values, distribution.frozen.cdf).pvalue > 0.001
    untouched = index["revenue.age_decline"]
    assert _spearman(
        uniforms[:, untouched], uniforms[:, index["chips.unit_price"]]
    ) == pytest.approx(0, abs=0.03)


def test_shared_and_per_site_draws(doubled_case):
    """Shared: every site at the same quantile of its own distribution. Per site: independent."""
    plan = sampling_plan(doubled_case)
    uniforms = plan.correlate(unit_block("random", plan.dimension, 3, 0, 4096, 4096))
    overrides = plan.overrides(uniforms)
    first, second = doubled_case.site_names
    chip = overrides["chips.unit_price"]
    cdf_first = doubled_case.entry("chip_cost", first).distribution.frozen.cdf(
        chip.sel(site=first).values
    )
    cdf_second = doubled_case.entry("chip_cost", second).distribution.frozen.cdf(
        chip.sel(site=second).values
    )
    np.testing.assert_allclose(cdf_first, cdf_second, atol=1e-9)
    utilisation = overrides["revenue.utilisation"]
    assert _spearman(utilisation.sel(site=first), utilisation.sel(site=second)) == pytest.approx(
        0, abs=0.05
    )
    assert _spearman(
        chip.sel(site=first), overrides["revenue.gpu_hour_price"].sel(site=first)
    ) == pytest.approx(0.5, abs=0.04)  # inputs/doubled_20b.yaml: rank correlation 0.5


def test_block_seeds_are_spawned_children():
    children = np.random.SeedSequence(42).spawn(4)
    for block, child in enumerate(children):
        np.testing.assert_array_equal(
            block_seed(42, block).generate_state(4), child.generate_state(4)
        )


def test_sobol_blocks_are_slices_of_one_sequence():
    whole = qmc.Sobol(
        3, scramble=True, rng=np.random.default_rng(np.random.SeedSequence(5))
    ).random(64)
    blocks = np.concatenate([unit_block("sobol", 3, 5, b, 16, 64) for b in range(4)])
    np.testing.assert_array_equal(blocks, whole)


def test_distributions_leave_deterministic_results_unchanged(base_result):
    data, _ = read_yaml(BASE_FILE)
    data.pop("uncertainty")
    for section in data["sites"][0].values():
        if isinstance(section, dict):
            for quantity in section.values():
                if isinstance(quantity, dict):
                    quantity.pop("distribution", None)
    for process in data["processes"].values():
        for field in process.values():
            if isinstance(field, dict):
                field.pop("distribution", None)
    plain = tecmodel.evaluate(case_from_data(data, file="plain"))
    for name in ("npv", "irr", "lcoc", "payback_year"):
        np.testing.assert_array_equal(plain.metrics[name].values, base_result.metrics[name].values)


# --------------------------------------------------------------------------- properties

bounded_specs = st.tuples(
    st.floats(-100, 100), st.floats(0.01, 100), st.floats(0, 1), st.floats(0.1, 20)
).flatmap(
    lambda t: st.sampled_from(
        [
            {"type": "uniform", "low": t[0], "high": t[0] + t[1]},
            {"type": "triangular", "low": t[0], "mode": t[0] + t[2] * t[1], "high": t[0] + t[1]},
            {
                "type": "pert",
                "low": t[0],
                "mode": t[0] + t[2] * t[1],
                "high": t[0] + t[1],
                "shape": t[3],
            },
            {"type": "beta", "alpha": t[3], "beta": 1 + t[2], "low": t[0], "high": t[0] + t[1]},
            {
                "type": "truncated_normal",
                "mean": t[0] + t[2] * t[1],
                "std": t[3],
                "low": t[0],
                "high": t[0] + t[1],
            },
        ]
    )
)


@settings(max_examples=40, deadline=None)
@given(spec=bounded_specs)
def test_quantiles_are_monotone_and_inside_the_stated_range(spec):
    distribution, problems = _parse(spec)
    assert not problems
    values = distribution.ppf(np.linspace(0, 1, 201))
    assert np.all(np.diff(values) >= 0)
    width = spec["high"] - spec["low"]
    assert values[0] >= spec["low"] - 1e-9 * width and values[-1] <= spec["high"] + 1e-9 * width


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), size=st.integers(2, 5))
def test_random_consistent_matrices_are_accepted_and_keep_uniform_marginals(seed, size):
    """A random correlation matrix (normalised A A^T) passes the checks after its Spearman
    conversion; the copula keeps every column uniform (Kolmogorov-Smirnov against U(0, 1))."""
    rng = np.random.default_rng(seed)
    factor = rng.normal(size=(size, size + 2))
    covariance = factor @ factor.T
    scale = np.sqrt(np.diag(covariance))
    pearson = covariance / np.outer(scale, scale)
    spearman = np.round(6 / np.pi * np.arcsin(pearson / 2), 12)  # inverse of 2 sin(pi rho / 6)
    np.fill_diagonal(spearman, 1.0)
    spearman = (spearman + spearman.T) / 2
    assert correlation_problems(spearman.tolist(), [f"p{i}" for i in range(size)]) == []
    uniforms = correlate_uniforms(rng.random((2000, size)), copula_factor(spearman))
    for column in uniforms.T:
        assert stats.kstest(column, "uniform").pvalue > 1e-4


@pytest.mark.parametrize(
    "kind, fields",
    [
        ("pert", (("low", 45000.0), ("mode", 55000.0), ("high", 70000.0), ("shape", 4.0))),
        ("pert", (("low", -100.0), ("mode", -100.0), ("high", -99.99), ("shape", 20.0))),
        ("beta", (("alpha", 2.0), ("beta", 5.0), ("low", 0.0), ("high", 1.0))),
        ("truncated_normal", (("mean", 0.85), ("std", 0.05), ("low", 0.7), ("high", 0.95))),
        ("truncated_normal", (("mean", 100.0), ("std", 0.1), ("low", 0.0), ("high", 0.01))),
    ],
)
def test_fast_quantiles_match_the_exact_quantiles(kind, fields):
    """The fast quantile function of the slow-to-invert families agrees with scipy's exact
    ppf within INVERSION_TOLERANCE of the body's width (checked at midpoints when it is built),
    here verified at 20,000 random probabilities, tails included; and it is elementwise: a
    chunk of the probabilities gives the same values as the whole array. Extreme shapes either
    pass the check or fall back to the exact ppf: either way the values are right."""
    from tecmodel.inputs.distributions import INVERSION_TOLERANCE, Distribution

    distribution = Distribution(kind, fields)
    probabilities = np.random.default_rng(4).uniform(0.0, 1.0, 20000)
    values = distribution.ppf(probabilities)
    exact = distribution.frozen.ppf(np.clip(probabilities, 1e-10, 1 - 1e-10))
    width = np.ptp(exact)
    np.testing.assert_allclose(values, exact, rtol=0, atol=2 * INVERSION_TOLERANCE * width)
    np.testing.assert_array_equal(distribution.ppf(probabilities[:777]), values[:777])
    if (kind, fields[0][1]) == ("pert", 45000.0):
        assert (
            distribution._fast_inverse is not None
        )  # the bundled cases' shapes take the fast path


def test_a_beta_with_alpha_below_one_gives_its_tails_without_a_warning():
    """beta(0.5, 2) on [-3, 5]: Boost warns while inverting the far tail (probability 1e-10);
    the quantiles are still inside [low, high] and increasing, and no warning reaches the user."""
    distribution, problems = _parse(
        {"type": "beta", "alpha": 0.5, "beta": 2.0, "low": -3.0, "high": 5.0}
    )
    assert not problems
    values = distribution.ppf(np.linspace(0, 1, 201))
    assert np.all(np.diff(values) >= 0) and values[0] >= -3.0 and values[-1] <= 5.0
