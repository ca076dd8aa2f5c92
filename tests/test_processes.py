"""Stochastic price processes (tecmodel.processes).

- the yearly steps are exact: with 10^5 paths the sample mean and variance of ln X[t] match the
  closed forms of the Ornstein-Uhlenbeck process (Schwartz 1997; Glasserman 2003, 3.3) and of
  geometric Brownian motion (Glasserman 2003, 3.2) within 3 standard errors at every year, and
  jumps move the mean as the compound-Poisson recursion says (Merton 1976);
- correlated shocks have the declared Pearson correlations within 3 standard errors;
- zero volatility reproduces the central path bit for bit, and the central path is the closed
  form exp(m[t] + (ln X0 - m[t0]) exp(-kappa (t - t0)));
- seeding: any sample range equals the slice of a full run bit for bit, whatever the chunk
  boundaries, and a longer horizon keeps the earlier years;
- per-sample parameter arrays equal separate scalar runs sample by sample;
- each bad spec gives one Problem naming the field path, the value and what was expected.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from tecmodel.analysis import processes
from tecmodel.analysis.processes import (
    STREAM,
    central_path,
    level_path,
    parameter_values,
    parse_process,
    parse_process_set,
    poisson_counts,
    process_problems,
    simulate,
    simulate_samples,
    simulate_set,
)
from tecmodel.analysis.sampling import DEFAULT_BLOCK_SIZE
from tecmodel.errors import InputError

YEARS = list(range(2026, 2047))  # t = 0 ... 20
T = np.arange(len(YEARS))
N = 10**5

MEAN_REVERTING = {
    "type": "mean_reverting",
    "unit": "EUR/MWh",
    "source": "test",
    "start": 80.0,
    "level": 60.0,
    "speed": 0.3,
    "volatility": 0.3,
}
GBM = {
    "type": "gbm",
    "unit": "1",
    "source": "test",
    "start": 100.0,
    "drift": 0.05,
    "volatility": 0.2,
}
#: Futures-style forward curve then 2 %/yr (the shape of MARKETS_NOTES' Cal-26 ... Cal-30).
CURVE = {"path": {2026: 52.7, 2027: 56.0, 2028: 60.0, 2029: 64.0, 2030: 68.7}, "escalation": 0.02}


def _within(estimate, expected, standard_error, k=3.0):
    """Every |estimate - expected| <= k standard errors (element by element)."""
    estimate, expected = np.asarray(estimate), np.asarray(expected)
    gap = np.abs(estimate - expected) / np.asarray(standard_error)
    assert np.all(gap <= k), f"largest gap {gap.max():.2f} s.e. at {int(np.argmax(gap))}"


# --------------------------------------------------------------------------- moments


def test_mean_reverting_log_moments_match_the_ou_closed_form():
    paths = simulate(MEAN_REVERTING, YEARS, N, seed=11)
    logs = np.log(paths.values[1:])
    kappa, sigma, m = 0.3, 0.3, math.log(60.0)
    t = T[1:]
    mean = m + (math.log(80.0) - m) * np.exp(-kappa * t)  # E[ln X_t] (Schwartz 1997, model 1)
    variance = sigma**2 * (1 - np.exp(-2 * kappa * t)) / (2 * kappa)  # Var[ln X_t]
    _within(logs.mean(axis=1), mean, np.sqrt(variance / N))
    _within(logs.var(axis=1, ddof=1), variance, variance * math.sqrt(2 / (N - 1)))


def test_gbm_log_moments_and_mean_match_the_closed_form():
    paths = simulate(GBM, YEARS, N, seed=12).values[1:]
    mu, sigma, x0 = 0.05, 0.2, 100.0
    t = T[1:]
    logs = np.log(paths)
    mean, variance = math.log(x0) + (mu - sigma**2 / 2) * t, sigma**2 * t
    _within(logs.mean(axis=1), mean, np.sqrt(variance / N))
    _within(logs.var(axis=1, ddof=1), variance, variance * math.sqrt(2 / (N - 1)))
    # E[X_t] = X0 e^{mu t}; Var[X_t] = X0^2 e^{2 mu t} (e^{sigma^2 t} - 1) (log-normal moments)
    expected = x0 * np.exp(mu * t)
    _within(paths.mean(axis=1), expected, expected * np.sqrt(np.expm1(sigma**2 * t) / N))


def test_mean_reverting_jumps_move_the_mean_as_the_compound_poisson_recursion():
    spec = dict(
        MEAN_REVERTING, speed=0.5, volatility=0.2, jumps={"rate": 0.8, "mean": 0.3, "std": 0.2}
    )
    deviation = np.log(simulate(spec, YEARS, N, seed=13).values) - math.log(60.0)
    kappa, sigma, rate, jump_mean, jump_std = 0.5, 0.2, 0.8, 0.3, 0.2
    innovation = sigma**2 * (1 - math.exp(-2 * kappa)) / (2 * kappa)
    mean, variance = [math.log(80.0 / 60.0)], [0.0]
    for _ in T[1:]:
        # E[d_t] = e^-kappa E[d_{t-1}] + lambda mu_J; the compound Poisson sum has variance
        # lambda E[J^2] = lambda (sigma_J^2 + mu_J^2)
        mean.append(math.exp(-kappa) * mean[-1] + rate * jump_mean)
        variance.append(
            math.exp(-2 * kappa) * variance[-1] + innovation + rate * (jump_std**2 + jump_mean**2)
        )
    _within(deviation[1:].mean(axis=1), mean[1:], np.sqrt(np.array(variance[1:]) / N))
    # without the jumps the long-run mean would be 0; with them lambda mu_J / (1 - e^-kappa)
    long_run = rate * jump_mean / (1 - math.exp(-kappa))
    assert deviation[-1].mean() == pytest.approx(long_run, rel=0.05)


def test_gbm_jumps_add_rate_times_mean_per_year_to_the_log():
    spec = dict(GBM, jumps={"rate": 0.5, "mean": -0.2, "std": 0.1})
    logs = np.log(simulate(spec, YEARS, N, seed=14).values[1:])
    t = T[1:]
    mean = math.log(100.0) + (0.05 - 0.02) * t + 0.5 * -0.2 * t
    variance = (0.04 + 0.5 * (0.1**2 + 0.2**2)) * t
    _within(logs.mean(axis=1), mean, np.sqrt(variance / N))


@pytest.mark.parametrize("rate", [0.0, 0.3, 2.5, 30.0])
def test_poisson_counts_invert_the_poisson_distribution_function(rate):
    uniforms = np.random.default_rng(3).random(20_000)
    expected = stats.poisson.ppf(uniforms, rate)  # smallest k with F(k) >= u
    np.testing.assert_array_equal(poisson_counts(uniforms, rate), expected)


# --------------------------------------------------------------------------- correlation


def _gbm_shocks(paths: np.ndarray, drift: float, volatility: float) -> np.ndarray:
    """eps = (ln X[t+1] - ln X[t] - (mu - sigma^2 / 2)) / sigma, pooled over years."""
    return ((np.diff(np.log(paths), axis=0) - (drift - volatility**2 / 2)) / volatility).ravel()


def _ou_shocks(paths: np.ndarray, level: float, speed: float, volatility: float) -> np.ndarray:
    """eps = (d[t+1] - d[t] e^-kappa) / scale with d = ln X - m, pooled over years."""
    deviation = np.log(paths) - math.log(level)
    scale = volatility * math.sqrt((1 - math.exp(-2 * speed)) / (2 * speed))
    return ((deviation[1:] - deviation[:-1] * math.exp(-speed)) / scale).ravel()


def _correlation_within(first, second, rho):
    achieved = np.corrcoef(first, second)[0, 1]
    _within(achieved, rho, (1 - rho**2) / math.sqrt(first.size))


def test_two_correlated_processes_of_different_types():
    specs = {"power": MEAN_REVERTING, "compute": GBM}
    correlation = {"processes": ["power", "compute"], "matrix": [[1, 0.7], [0.7, 1]]}
    paths = simulate_set(specs, correlation, YEARS[:6], 20_000, seed=21)
    power = _ou_shocks(paths["power"].values, 60.0, 0.3, 0.3)
    compute = _gbm_shocks(paths["compute"].values, 0.05, 0.2)
    _correlation_within(power, compute, 0.7)
    _within(power.std(ddof=1), 1.0, 1 / math.sqrt(2 * power.size))  # unit-variance shocks


def test_three_correlated_processes():
    matrix = [[1, 0.6, -0.3], [0.6, 1, 0.2], [-0.3, 0.2, 1]]
    drifts = {"a": 0.05, "b": -0.1, "c": 0.0}
    specs = {name: dict(GBM, drift=drift) for name, drift in drifts.items()}
    paths = simulate_set(specs, matrix, YEARS[:6], 20_000, seed=22)
    shocks = {name: _gbm_shocks(paths[name].values, drift, 0.2) for name, drift in drifts.items()}
    for i, j in [(0, 1), (0, 2), (1, 2)]:
        first, second = list(drifts)[i], list(drifts)[j]
        _correlation_within(shocks[first], shocks[second], matrix[i][j])


def test_listed_processes_correlate_and_unlisted_ones_stay_independent():
    specs = {name: GBM for name in ("a", "b", "c")}
    correlation = {"processes": ["c", "a"], "matrix": [[1, -0.5], [-0.5, 1]]}
    paths = simulate_set(specs, correlation, YEARS[:6], 20_000, seed=23)
    shocks = {name: _gbm_shocks(paths[name].values, 0.05, 0.2) for name in specs}
    _correlation_within(shocks["a"], shocks["c"], -0.5)
    _correlation_within(shocks["a"], shocks["b"], 0.0)
    _correlation_within(shocks["b"], shocks["c"], 0.0)


def test_a_semi_definite_matrix_uses_an_eigen_factor():
    specs = {"a": GBM, "b": GBM}
    process_set = parse_process_set(specs, [[1, 1], [1, 1]])  # Cholesky fails on it
    factor = process_set.factor
    np.testing.assert_allclose(factor @ factor.T, np.ones((2, 2)), atol=1e-12)
    paths = simulate_set(process_set, None, YEARS[:4], 1000, seed=24)
    np.testing.assert_allclose(paths["a"].values, paths["b"].values, rtol=1e-12)


# --------------------------------------------------------------------------- central path


def _curve_level(year: int) -> float:
    """Level of CURVE by hand: first value before 2026, then 68.7 x 1.02^(t - 2030)."""
    path = CURVE["path"]
    if year <= 2030:
        return path[max(year, 2026)]
    return 68.7 * 1.02 ** (year - 2030)


def test_zero_volatility_reproduces_the_central_path_bit_for_bit():
    years = list(range(2024, 2046))  # before the curve's first year and past its last
    spec = dict(MEAN_REVERTING, level=CURVE, volatility=0.0, speed=0.4)
    central = central_path(spec, years)
    paths = simulate(spec, years, 50, seed=5)
    for sample in range(50):
        np.testing.assert_array_equal(paths.values[:, sample], central.values)
    gbm = dict(GBM, volatility=0.0)
    np.testing.assert_array_equal(
        simulate(gbm, years, 3).values[:, 2], central_path(gbm, years).values
    )
    # also with a per-sample parameter array and a correlated companion process
    result = simulate_samples(
        {"p": spec, "q": GBM}, [[1, 0.5], [0.5, 1]], years, 0, 7, 1, {"p.speed": np.full(7, 0.4)}
    )
    np.testing.assert_array_equal(result["p"], np.repeat(central.values[:, None], 7, axis=1))


def test_central_path_is_the_closed_form():
    years = list(range(2024, 2046))
    spec = dict(MEAN_REVERTING, level=CURVE, speed=0.4, level_scale=1.1)
    m = np.log([1.1 * _curve_level(year) for year in years])
    t = np.arange(len(years))
    expected = np.exp(m + (math.log(80.0) - m[0]) * np.exp(-0.4 * t))
    np.testing.assert_allclose(central_path(spec, years).values, expected, rtol=1e-13)
    np.testing.assert_allclose(level_path(spec, years), np.exp(m), rtol=1e-14)
    gbm = central_path(GBM, years).values
    np.testing.assert_allclose(gbm, 100.0 * np.exp(0.05 * t), rtol=1e-13)
    assert central_path(spec, years).values[0] == 80.0  # the first year's value is the start


def test_outputs_are_labelled():
    paths = simulate(MEAN_REVERTING, YEARS[:3], 4, name="power_price")
    assert isinstance(paths, xr.DataArray) and paths.dims == ("year", "sample")
    assert paths.name == "power_price" and paths.attrs["units"] == "EUR/MWh"
    assert "mean-reverting" in paths.attrs["long_name"]
    assert list(paths.year.values) == YEARS[:3] and (paths.values[0] == 80.0).all()
    dataset = simulate_set({"power": MEAN_REVERTING, "index": GBM}, None, YEARS[:3], 4)
    assert set(dataset.data_vars) == {"power", "index"} and dataset["index"].attrs["units"] == "1"
    alone = simulate_set({"power": MEAN_REVERTING}, None, YEARS[:3], 4)
    xr.testing.assert_identical(
        alone["power"], simulate(MEAN_REVERTING, YEARS[:3], 4, name="power")
    )


# --------------------------------------------------------------------------- seeding

UNCERTAIN = dict(
    MEAN_REVERTING,
    level=CURVE,
    speed={
        "value": 0.5,
        "unit": "1/yr",
        "distribution": {"type": "triangular", "low": 0.2, "mode": 0.5, "high": 1.0},
    },
    jumps={
        "rate": 0.5,
        "mean": 0.2,
        "std": {"value": 0.1, "distribution": {"type": "uniform", "low": 0.05, "high": 0.2}},
    },
)
SET = {"power": UNCERTAIN, "compute": GBM, "chips": dict(GBM, drift=-0.2)}
MATRIX = [[1, 0.4, 0.2], [0.4, 1, 0.5], [0.2, 0.5, 1]]


@pytest.mark.parametrize("block_size", [64, DEFAULT_BLOCK_SIZE])
def test_any_sample_range_equals_the_slice_of_a_full_run(block_size):
    n = 5 * block_size // 2 + 3
    full = simulate_samples(SET, MATRIX, YEARS, 0, n, 8, block_size=block_size)
    edges = [block_size, 2 * block_size]  # block boundaries
    ranges = [
        (0, 1),
        (5, 6),
        (edges[0] - 1, edges[0] + 1),
        (10, edges[0] + 13),
        (edges[0], edges[1]),
        (edges[1] + 1, n),
        (n - 1, n),
        (7, 7),
    ]
    for start, stop in ranges:
        part = simulate_samples(SET, MATRIX, YEARS, start, stop, 8, block_size=block_size)
        for name in SET:
            np.testing.assert_array_equal(
                part[name], full[name][:, start:stop], err_msg=f"{name} [{start}, {stop})"
            )
    chunks = [
        simulate_samples(SET, MATRIX, YEARS, a, b, 8, block_size=block_size)
        for a, b in [(0, 37), (37, edges[1] - 5), (edges[1] - 5, n)]
    ]
    for name in SET:
        np.testing.assert_array_equal(
            np.concatenate([chunk[name] for chunk in chunks], axis=1), full[name]
        )


def test_same_seed_same_bits_other_seed_other_bits_longer_horizon_same_start():
    first = simulate_set(SET, MATRIX, YEARS, 200, seed=3, block_size=64)
    again = simulate_set(SET, MATRIX, YEARS, 200, seed=3, block_size=64)
    xr.testing.assert_identical(first, again)
    other = simulate_set(SET, MATRIX, YEARS, 200, seed=4, block_size=64)
    for name in SET:
        assert not np.any(first[name].values[1:] == other[name].values[1:])
    shorter = simulate_set(SET, MATRIX, YEARS[:6], 150, seed=3, block_size=64)
    for name in SET:  # fewer years and samples: the same values where they overlap
        np.testing.assert_array_equal(shorter[name].values, first[name].values[:6, :150])


def test_the_process_stream_is_not_the_input_sampling_stream():
    assert STREAM not in range(1000)  # far from any spawn child number
    generator = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(0, STREAM)))
    shocks = generator.standard_normal(64)  # year 1, process 0, block 0, block_size 64
    paths = simulate(GBM, YEARS[:2], 64, seed=0, block_size=64).values
    expected = 100.0 * np.exp(0.05 - 0.02 + 0.2 * shocks)
    np.testing.assert_allclose(paths[1], expected, rtol=1e-14)


# --------------------------------------------------------------------------- parameters


def test_per_sample_parameter_arrays_equal_separate_scalar_runs():
    rng = np.random.default_rng(9)
    samples = 40
    given = {
        "power.speed": rng.uniform(0.0, 2.0, samples),
        "power.volatility": rng.uniform(0.0, 0.6, samples),
        "power.jumps.rate": rng.uniform(0.0, 3.0, samples),
        "power.level.escalation": rng.uniform(-0.02, 0.05, samples),
        "compute.drift": rng.uniform(-0.3, 0.3, samples),
    }
    given["power.speed"][0] = 0.0  # the kappa -> 0 limit
    together = simulate_samples(SET, MATRIX, YEARS, 0, samples, 2, given, block_size=16)
    for sample in range(samples):
        scalar = {key: float(values[sample]) for key, values in given.items()}
        alone = simulate_samples(SET, MATRIX, YEARS, sample, sample + 1, 2, scalar, block_size=16)
        for name in SET:
            np.testing.assert_array_equal(alone[name][:, 0], together[name][:, sample])


def test_parameters_with_distributions_are_drawn_from_their_own_streams():
    process_set = parse_process_set(SET, MATRIX)
    values = parameter_values(process_set, 0, N, 6)
    speeds = values[0]["speed"]
    # triangular(0.2, 0.5, 1.0): mean (a + m + b) / 3, variance (a^2+m^2+b^2-am-ab-mb) / 18
    mean = (0.2 + 0.5 + 1.0) / 3
    variance = (0.04 + 0.25 + 1.0 - 0.1 - 0.2 - 0.5) / 18
    _within(speeds.mean(), mean, math.sqrt(variance / N))
    assert 0.05 <= values[0]["jumps.std"].min() and values[0]["jumps.std"].max() <= 0.2
    assert values[0]["volatility"] == 0.3 and values[1]["drift"] == 0.05  # no distribution
    part = parameter_values(process_set, 1000, 40_000, 6)
    np.testing.assert_array_equal(part[0]["speed"], speeds[1000:40_000])
    # the same draws with another horizon or with a parameter pinned
    pinned = parameter_values(process_set, 0, N, 6, {"power.jumps.std": 0.1})
    np.testing.assert_array_equal(pinned[0]["speed"], speeds)
    base = parameter_values(process_set, 0, 10, 6, sample_parameters=False)
    assert base[0]["speed"] == 0.5
    # simulate draws them too: the path's spread follows the drawn speed
    paths = simulate(UNCERTAIN, YEARS, 200, seed=6, block_size=64)
    assert not np.array_equal(
        paths.values,
        simulate(UNCERTAIN, YEARS, 200, seed=6, block_size=64, sample_parameters=False).values,
    )


def test_stated_units_convert():
    spec = dict(
        MEAN_REVERTING, speed={"value": 30, "unit": "%/yr"}, volatility={"value": 30, "unit": "%"}
    )
    process = parse_process("power", spec)
    assert process.parameter("speed").value == pytest.approx(0.3)
    assert process.parameter("volatility").value == pytest.approx(0.3)
    np.testing.assert_allclose(
        simulate(spec, YEARS[:4], 10).values,
        simulate(MEAN_REVERTING, YEARS[:4], 10).values,
        rtol=1e-14,
    )


def test_bad_parameter_overrides_are_input_errors():
    with pytest.raises(InputError) as error:
        simulate_samples(SET, MATRIX, YEARS, 0, 5, 0, {"power.sped": 0.3})
    assert error.value.paths == ["parameters.power.sped"] and "power.speed" in str(error.value)
    with pytest.raises(InputError) as error:
        simulate_samples(SET, MATRIX, YEARS, 0, 5, 0, {"power.speed": np.ones(4)})
    assert "5 values" in str(error.value)
    with pytest.raises(InputError) as error:
        simulate_samples(SET, MATRIX, YEARS, 0, 3, 0, {"power.volatility": [0.1, -0.2, 0.1]})
    assert error.value.paths == ["parameters.power.volatility"] and ">= 0" in str(error.value)
    with pytest.raises(InputError) as error:
        simulate(GBM, [2026, 2028], 5)
    assert error.value.paths == ["years"]


# --------------------------------------------------------------------------- validation


def _set(spec: dict, path: str, value) -> dict:
    """A copy of `spec` with the field at dotted `path` set (or removed when value is ...)."""
    spec = copy.deepcopy(spec)
    *parents, last = path.split(".")
    node = spec
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return spec


JUMPY = dict(MEAN_REVERTING, level=CURVE, jumps={"rate": 0.5, "mean": 0.2, "std": 0.1})

BAD_SPECS = [
    # (field, new value (... removes it), problem path, words of the message, shown value)
    ("type", "mean_revert", "type", ["did you mean 'mean_reverting'", "gbm"], "mean_revert"),
    ("speed", ..., "speed", ["is missing", "mean_reverting", "volatility"], None),
    ("sped", 0.3, "sped", ["not a field", "did you mean 'speed'"], None),
    ("speed", -0.5, "speed", ["mean-reversion speed", ">= 0", "1/yr"], -0.5),
    ("volatility", -0.1, "volatility", ["volatility", ">= 0", "1/sqrt(yr)"], -0.1),
    ("jumps.rate", -1.0, "jumps.rate", ["jumps per year", "[0, 100]"], -1.0),
    ("jumps.std", -0.2, "jumps.std", ["standard deviation", ">= 0"], -0.2),
    (
        "level.path",
        {2026: 52.7, 2027: 56.0, 2029: 64.0},
        "level.path",
        ["gap", "2028"],
        "2026, 2027, 2029",
    ),
    ("level.path", {2026: 52.7, 2027: 0.0}, "level.path[2027]", ["level > 0", "EUR/MWh"], 0.0),
    ("start", 0.0, "start", ["first simulated year", "> 0", "EUR/MWh"], 0.0),
    (
        "start",
        {"value": 80, "unit": "EUR/MWh", "distribution": {"type": "normal", "mean": 80, "std": 20}},
        "start.distribution",
        ["outside", "truncated_normal"],
        None,
    ),
    ("speed", {"value": 0.5, "unit": "USD"}, "speed.unit", ["1/yr"], "USD"),
]


@pytest.mark.parametrize(
    "field, value, path, words, shown",
    BAD_SPECS,
    ids=[f"{row[0]}={row[1]!r}"[:40] for row in BAD_SPECS],
)
def test_each_bad_spec_gives_one_problem_naming_field_value_and_expectation(
    field, value, path, words, shown
):
    problems = process_problems("power_price", _set(JUMPY, field, value))
    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.path == f"processes.power_price.{path}"
    for word in words:
        assert word in problem.message, problem.message
    if shown is not None:  # the rendered problem names the value
        text = problem.render(None)
        assert f"= {shown!r}" in text or f"= {shown}" in text, text
    with pytest.raises(InputError) as error:
        parse_process("power_price", _set(JUMPY, field, value), "processes.power_price")
    assert error.value.paths == [problem.path]


def test_the_spec_is_valid_and_all_problems_are_reported_together():
    assert process_problems("power_price", JUMPY) == []
    assert process_problems("index", GBM) == []
    bad = _set(_set(JUMPY, "speed", -1.0), "volatility", -1.0)
    with pytest.raises(InputError) as error:
        parse_process_set({"power_price": bad, "index": _set(GBM, "drift", ...)})
    assert error.value.paths == [
        "processes.power_price.speed",
        "processes.power_price.volatility",
        "processes.index.drift",
    ]


BAD_CORRELATIONS = [
    (
        {"processes": ["power", "compute"], "matrix": [[1, 0.5], [0.4, 1]]},
        "correlation.matrix[0][1]",
        "not symmetric",
    ),
    (
        {
            "processes": ["power", "compute", "chips"],
            "matrix": [[1, 0.9, -0.9], [0.9, 1, 0.9], [-0.9, 0.9, 1]],
        },
        "correlation.matrix",
        "not positive semi-definite",
    ),
    (
        {"processes": ["power", "compte"], "matrix": [[1, 0.5], [0.5, 1]]},
        "correlation.processes[1]",
        "did you mean 'compute'",
    ),
    (
        {"processes": ["power", "compute"], "matrix": [[1, 1.5], [1.5, 1]]},
        "correlation.matrix[0][1]",
        "in [-1, 1]",
    ),
    (
        {"processes": ["power", "compute"], "matrix": [[0.9, 0.5], [0.5, 1]]},
        "correlation.matrix[0][0]",
        "1 on the diagonal",
    ),
    ([[1, 0.5], [0.5, 1]], "correlation", "3 x 3"),
]


@pytest.mark.parametrize(
    "correlation, path, words", BAD_CORRELATIONS, ids=[row[2] for row in BAD_CORRELATIONS]
)
def test_each_bad_correlation_gives_one_problem(correlation, path, words):
    with pytest.raises(InputError) as error:
        parse_process_set(SET, correlation)
    assert error.value.paths == [path]
    assert words in str(error.value)


def test_module_exports():
    assert set(processes.__all__) <= set(dir(processes))


def test_the_public_api_name():
    """``tecmodel.processes.simulate`` is the documented entry point (imported on first use)."""
    import tecmodel

    assert tecmodel.processes.simulate is simulate
