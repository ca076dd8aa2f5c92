"""Shapley effects of a case's metrics (``tecmodel.shapley``) and ``tecmodel shapley``.

Where the expected numbers come from:

- The effects add up to the estimated variance by construction (a fixed matrix of Shapley weights
  times the coalitions' costs, :mod:`tecmodel.analysis.sensitivity.shapley`): to rounding.
- For independent inputs a Shapley index lies between the first-order and the total Sobol'
  index (Owen 2014: the first-order variance plus a share of each interaction); checked on a copy
  of the EUR 10B case whose rank correlations are zero, against ``tecmodel.sobol`` on the same
  factors, within the sum of the two estimates' 95 % half-widths.
- With the case's rank correlation 0.5 between chip cost and the GPU-hour price kept, the pair's
  effects follow the two-input linear model (NPV is close to additive in them: S1 = ST in the
  Sobol' indices): Y = a X1 + b X2 with Var(a X1) = V1, Var(b X2) = V2 (the independent
  effects) and correlation rho has Sh1 = V1 + ab rho + rho^2 (V2 - V1) / 2 (Iooss & Prieur 2019,
  from c({1}) = V1 (1 - rho^2), c({2}) = V2 (1 - rho^2)), with ab = -sqrt(V1 V2) (the tornado: chip
  cost lowers NPV, the GPU-hour price raises it) and rho = 2 sin(pi 0.5 / 6) = 0.5176 (the
  Gaussian copula's normal-score correlation); the factors outside the pair keep their effects.
- The variance the effects share is the Monte Carlo's: ``tecmodel.monte_carlo`` of the same
  parameters gives the same variance of NPV within three standard errors of two variance
  estimates (sqrt(2 / n) each), with and without the correlation.
"""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import xarray as xr

from tecmodel.analysis.montecarlo.study import monte_carlo
from tecmodel.analysis.sampling import process_factor_names, sampling_plan
from tecmodel.analysis.sensitivity import shapley_case
from tecmodel.analysis.sensitivity.shapley_case import shapley, shapley_factors
from tecmodel.analysis.sensitivity.sobol_case import sobol
from tecmodel.analysis.sensitivity.tornado_case import tornado
from tecmodel.cli.main import main
from tecmodel.errors import InputError
from tecmodel.report.figures.sensitivity import shapley_bars
from tecmodel.report.uncertainty import attribution_sentence, correlated_players

from .conftest import BASE_FILE

FACTORS = ["power.contract_price", "utilisation", "chip_cost", "revenue.gpu_hour_price"]
PAIR = ("chip_cost", "revenue.gpu_hour_price")
PARAMETERS_OF_PAIR = ("chips.unit_price", "revenue.gpu_hour_price")
N_OUTER = 1024
NPV = {"metric": "npv", "site": "portfolio"}
#: Every distributed input of the bundled cases in three groups.
GROUPS = {
    "energy all-in": [
        "power.contract_price",
        "power.contract_term_years",
        "power.grid_tariff_energy",
        "cooling.overhead_annual",
        "power_price.level_scale",
        "power_price.speed",
    ],
    "compute prices and hardware": [
        "chips.unit_price",
        "chips.performance_growth",
        "chips.resale_share",
        "terminal.chip_value_retention",
        "revenue.gpu_hour_price",
        "revenue.age_decline",
        "revenue.obsolescence_step",
        "revenue.utilisation",
        "revenue.availability",
        "revenue.contract_share",
        "operations.it_support_rate",
        "eur_usd.level",
        "compute_price.level_scale",
    ],
    "delivery": [
        "construction.shell_core_per_mw",
        "construction.electrical_per_mw",
        "cooling.capex_per_mw",
        "revenue.ramp_first_year",
        "revenue.ramp_second_year",
    ],
}


def uncorrelated(case):
    """A copy of the case whose rank correlations are zero."""
    size = len(case.uncertainty.correlated)
    identity = tuple(tuple(float(i == j) for j in range(size)) for i in range(size))
    return dataclasses.replace(
        case, uncertainty=dataclasses.replace(case.uncertainty, rank_correlation=identity)
    )


@pytest.fixture(scope="module")
def correlated(base_case):
    return shapley(base_case, FACTORS, n=N_OUTER)


@pytest.fixture(scope="module")
def independent(base_case):
    return shapley(uncorrelated(base_case), FACTORS, n=N_OUTER)


def at(dataset: xr.Dataset, variable: str, factor: str) -> float:
    return float(dataset[variable].sel(NPV | {"factor": factor}))


def test_the_effects_add_up_to_the_variance(base_case):
    dataset = shapley(base_case, metrics=["npv", "irr"], n=128, seed=3)
    assert list(dataset["factor"].values) == ["energy_price", "utilisation", "chip_cost"]
    assert dataset["shapley"].dims == ("factor", "metric", "site")
    assert list(dataset["site"].values) == [*base_case.site_names, "portfolio"]
    np.testing.assert_allclose(dataset["shapley"].sum("factor"), dataset["variance"], rtol=1e-12)
    np.testing.assert_allclose(dataset["shapley_index"].sum("factor"), 1.0, rtol=1e-12)
    assert list(dataset["squared_units"].values) == ["EUR^2", "(1/yr)^2"]
    assert dataset["shapley"].attrs["units"] == "see the squared_units coordinate"
    assert dataset["shapley_index"].attrs["units"] == "1"
    # 7 costs (6 coalitions and the variance) x 128 outer x 3 inner draws
    assert dataset.attrs["evaluations"] == 7 * 128 * 3
    assert dataset.attrs["n_permutations"] == "exact"
    assert dataset.attrs["case"] == "base_10b" and "inputs" not in dataset.attrs
    described = json.loads(dataset.attrs["factors"])
    assert [d["parameter"] for d in described] == [
        "power.market_price",
        "revenue.utilisation",
        "chips.unit_price",
    ]
    # chip cost's correlated partner (the GPU-hour price) is not among the factors
    assert dataset.attrs["correlation"].startswith("independent")


def test_without_correlation_each_index_lies_between_s1_and_st(base_case, independent):
    indices = sobol(
        uncorrelated(base_case),
        factors=FACTORS,
        n=2**11,
        second_order=False,
        metrics=["npv"],
        time_resolved=False,
    )
    assert independent.attrs["correlation"].startswith("independent")
    for factor in FACTORS:
        value = at(independent, "shapley_index", factor)
        half = at(independent, "shapley_index_conf", factor)
        first, first_half = at(indices, "S1", factor), at(indices, "S1_conf", factor)
        total, total_half = at(indices, "ST", factor), at(indices, "ST_conf", factor)
        assert first - (first_half + half) <= value <= total + (total_half + half), (
            factor,
            value,
            first,
            total,
        )


def test_with_correlation_chip_cost_and_gpu_hour_price_share_variance(
    base_case, correlated, independent
):
    spearman = json.loads(correlated.attrs["correlation"])
    assert spearman["columns"] == FACTORS and spearman["spearman"][2][3] == 0.5
    swings = tornado(base_case, factors=list(PAIR), metrics=["npv"])["swing"].sel(NPV)
    sign = float(np.sign(swings.sel(factor=PAIR[0])) * np.sign(swings.sel(factor=PAIR[1])))
    assert sign == -1.0  # a dearer chip lowers NPV, a dearer GPU-hour raises it
    first, second = (at(independent, "shapley", factor) for factor in PAIR)
    rho = 2.0 * math.sin(math.pi * 0.5 / 6.0)
    cross = sign * math.sqrt(first * second) * rho
    expected = {
        PAIR[0]: first + cross + rho**2 * (second - first) / 2,
        PAIR[1]: second + cross + rho**2 * (first - second) / 2,
    }
    for factor, value in expected.items():
        tolerance = at(correlated, "shapley_conf", factor) + at(independent, "shapley_conf", factor)
        assert abs(at(correlated, "shapley", factor) - value) <= tolerance, (factor, value)
        assert at(correlated, "shapley", factor) < at(independent, "shapley", factor)
    for factor in (
        "power.contract_price",
        "utilisation",
    ):  # outside the pair: the same effect [EUR^2]
        tolerance = at(correlated, "shapley_conf", factor) + at(independent, "shapley_conf", factor)
        difference = at(correlated, "shapley", factor) - at(independent, "shapley", factor)
        assert abs(difference) <= tolerance
    # The offsetting pair shrinks the variance, so utilisation's share of it grows.
    assert float(correlated["variance"].sel(NPV)) < 0.7 * float(independent["variance"].sel(NPV))
    assert at(correlated, "shapley_index_lower", "utilisation") > at(
        independent, "shapley_index", "utilisation"
    )


def test_independent_drops_the_case_correlations(base_case):
    """``independent=True`` is the case with its rank correlations set to zero, draw for draw."""
    dropped = shapley(base_case, FACTORS, n=64, independent=True)
    assert dropped.attrs["correlation"] == "independent (the case's rank correlations dropped)"
    zeroed = shapley(uncorrelated(base_case), FACTORS, n=64)
    xr.testing.assert_identical(dropped.drop_attrs(), zeroed.drop_attrs())


@pytest.mark.parametrize("correlation_kept", [True, False])
def test_the_variance_is_the_monte_carlo_variance(
    base_case, correlated, independent, correlation_kept
):
    case, dataset = (
        (base_case, correlated) if correlation_kept else (uncorrelated(base_case), independent)
    )
    study = monte_carlo(case, n=2**13, parameters=FACTORS, progress=False, paths=False)
    reference = float(study.portfolio_samples["npv"].var())
    draws = dataset.attrs["n_variance"]
    standard_error = math.sqrt(2 / draws + 2 / study.summary.attrs["n"])
    assert abs(float(dataset["variance"].sel(NPV)) / reference - 1) <= 3 * standard_error


def test_a_parameter_drawn_per_site_is_one_player(doubled_case):
    """The doubled case draws utilisation independently on each site (uncertainty.per_site), as the
    Monte Carlo does: two columns, one player; per_site makes every site-level factor per site."""
    chosen = shapley_factors(doubled_case)
    assert chosen.labels == [
        "energy_price",
        "utilisation@fluidstack_fr",
        "utilisation@campus_ia_site2",
        "chip_cost",
    ]
    assert chosen.players == ("energy_price", "utilisation", "utilisation", "chip_cost")
    dataset = shapley(doubled_case, n=64)
    assert list(dataset["factor"].values) == ["energy_price", "utilisation", "chip_cost"]
    np.testing.assert_allclose(dataset["shapley"].sum("factor"), dataset["variance"], rtol=1e-12)
    split = shapley_factors(doubled_case, per_site=True)
    assert len(set(split.players)) == 6 and "chip_cost@campus_ia_site2" in split.players
    # "all": the Monte Carlo's 21 columns (20 players), then the 4 process parameters that shape
    # the central paths (the processes' volatilities are Monte Carlo parameters only).
    every = shapley_factors(doubled_case, "all")
    processes = [
        "power_price.level_scale",
        "power_price.speed",
        "eur_usd.level",
        "compute_price.level_scale",
    ]
    assert (
        every.labels == [column.label for column in sampling_plan(doubled_case).columns] + processes
    )
    assert len(every.labels) == 25 and len(set(every.players)) == 24
    assert every.groups["revenue.utilisation"] == [
        "revenue.utilisation@fluidstack_fr",
        "revenue.utilisation@campus_ia_site2",
    ]


def test_all_inputs_in_groups(base_case):
    chosen = shapley_factors(base_case, "all", GROUPS)
    assert {c.parameter.name for c in chosen.columns} == set(
        sampling_plan(base_case).parameters
    ) | set(process_factor_names(base_case))
    assert set(chosen.players) == set(GROUPS)
    correlation = chosen.correlation
    chip, price = (chosen.labels.index(name) for name in PARAMETERS_OF_PAIR)
    assert correlation[chip, price] == 0.5
    assert np.count_nonzero(correlation - np.eye(len(chosen.labels))) == 2
    aliased = shapley_factors(base_case, "all", {"prices": ["utilisation", "chip_cost"]})
    assert [
        label
        for label, player in zip(aliased.labels, aliased.players, strict=True)
        if player == "prices"
    ] == ["chips.unit_price", "revenue.utilisation"]
    # 20 distributed inputs and 4 process parameters that shape the central paths in
    # inputs/base_10b.yaml: the other 22 stay their own players
    assert len(set(aliased.players)) == 23
    grouped = shapley(base_case, "all", GROUPS, n=64)
    assert set(grouped["factor"].values) == set(GROUPS)  # in the order of their first input
    np.testing.assert_allclose(grouped["shapley"].sum("factor"), grouped["variance"], rtol=1e-12)
    with pytest.raises(InputError, match="n_permutations"):
        shapley(base_case, "all", n=32)


def test_one_model_call_per_batch_of_coalitions(base_case, monkeypatch):
    """Never a loop over samples: 7 x 64 x 3 = 1,344 rows are one vectorised evaluation; with
    batches of at most 500 rows, whole coalitions (192 rows each) two at a time."""
    calls = []
    original = shapley_case.evaluate

    def counted(case, overrides, **options):
        calls.append({values.sizes["sample"] for values in overrides.values()})
        return original(case, overrides, **options)

    monkeypatch.setattr(shapley_case, "evaluate", counted)
    shapley(base_case, n=64)
    assert calls == [{1344}]
    calls.clear()
    shapley(base_case, n=64, batch_rows=500)
    assert calls == [{384}, {384}, {384}, {192}]  # two coalitions of 192 rows a call


@pytest.mark.parametrize(
    ("arguments", "path"),
    [
        ({"factors": ["energy_prise", "chip_cost"]}, "factors[0]"),
        ({"factors": "everything"}, "factors"),
        ({"factors": ["chip_cost"]}, "factors"),
        ({"metrics": ["npvv"]}, "metrics[0]"),
        ({"n": 1}, "n"),
        ({"groups": {"g": ["energy_price", "nothing"]}}, "groups['g']"),
    ],
)
def test_bad_requests_are_input_errors(base_case, arguments, path):
    with pytest.raises(InputError) as raised:
        shapley(base_case, **{"n": 16, **arguments})
    assert path in raised.value.paths, (raised.value.paths, str(raised.value))


def test_cli_prints_the_effects_beside_sobol(tmp_path, capsys):
    argv = [
        "shapley",
        str(BASE_FILE),
        "--factors",
        *FACTORS,
        "-n",
        "64",
        "--sobol-n",
        "64",
        "--out",
        str(tmp_path),
    ]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "base_10b: Shapley effects of npv (the case's rank correlations kept)" in out
    header = next(line for line in out.splitlines() if "Shapley" in line and "S1" in line)
    assert header.split() == ["Shapley", "S1", "ST"]
    for factor in FACTORS:
        assert f"\n{factor} " in out
    with xr.open_dataset(tmp_path / "base_10b.shapley.nc") as stored:
        assert stored["shapley_index"].dims == ("factor", "metric", "site")
    with xr.open_dataset(tmp_path / "base_10b.shapley_sobol.nc") as stored:
        assert list(stored["factor"].values) == FACTORS
    assert main([*argv, "--independent", "--no-with-sobol"]) == 0
    out = capsys.readouterr().out
    assert "(the case's rank correlations dropped)" in out and " S1 " not in out


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (
            ["--factors", "energy_prise", "chip_cost"],
            "'energy_prise' is not a registered parameter",
        ),
        (["--sobol-n", "100"], "expected a power of two"),
        (["--metric", "npvv"], "metrics[0]"),
    ],
)
def test_cli_bad_requests_exit_2(tmp_path, capsys, argv, fragment):
    assert main(["shapley", str(BASE_FILE), "-n", "16", "--out", str(tmp_path), *argv]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and fragment in error and "Traceback" not in error


def sobol_of(shares: dict[str, tuple[float, float]]) -> xr.Dataset:
    """A Sobol' dataset of the NPV at the portfolio with the given (S1, ST) per factor."""
    factors = list(shares)
    values = np.array([shares[f] for f in factors])[:, :, None, None]
    coords = {"factor": factors, "metric": ["npv"], "site": ["portfolio"]}
    return xr.Dataset(
        {
            name: (("factor", "metric", "site"), values[:, column])
            for column, name in ((0, "S1"), (1, "ST"))
        }
        | {
            f"{name}_conf": (("factor", "metric", "site"), np.zeros((len(factors), 1, 1)))
            for name in ("S1", "ST")
        },
        coords=coords,
    )


def test_the_sentence_names_the_dropped_correlation_and_the_changed_ranking(correlated):
    """Hand-made Sobol' indices that rank the GPU-hour price above chip cost, far from the
    Shapley shares (chip cost first, tests above): the sentence says they differ, names the
    correlated pair as the reason and the change of the largest share."""
    shares = dict.fromkeys(FACTORS, (0.0, 0.0)) | {PAIR[0]: (0.30, 0.31), PAIR[1]: (0.60, 0.61)}
    sentence = attribution_sentence(sobol_of(shares), correlated, "npv", "portfolio")
    assert sentence.startswith("Shapley and Sobol' differ for NPV (portfolio)")
    assert f"{PAIR[0]} and {PAIR[1]} (+0.50)" in sentence
    assert f"The largest share moves from {PAIR[1]} (Sobol' ST) to {PAIR[0]} (Shapley)" in sentence


def test_the_sentence_without_correlation_says_the_two_agree(independent):
    """With the correlations dropped and Sobol' indices equal to the Shapley shares, the
    sentence says the two agree because the factors are independent."""
    shares = {
        str(f): (float(v), float(v))
        for f, v in independent["shapley_index"].sel(NPV).to_series().items()
    }
    assert correlated_players(independent) == []
    sentence = attribution_sentence(sobol_of(shares), independent, "npv", "portfolio")
    assert sentence.startswith("Shapley and Sobol' agree for NPV (portfolio): the factors are")


def test_the_figure_draws_shapley_beside_sobol(correlated):
    """One bar per player and series, the Shapley series first, heights the shares."""
    shares = {f: (0.1 * i, 0.1 * i + 0.05) for i, f in enumerate(FACTORS)}
    figure = shapley_bars(correlated, sobol_of(shares), site="portfolio")
    heights = [patch.get_height() for patch in figure.axes[0].patches]
    expected = np.concatenate(
        [
            correlated["shapley_index"].sel(NPV).values,
            [shares[f][0] for f in FACTORS],
            [shares[f][1] for f in FACTORS],
        ]
    )
    np.testing.assert_allclose(heights, expected)
    assert "base_10b" in figure.axes[0].get_title()
