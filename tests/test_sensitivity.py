"""Sobol' indices and tornado data.

- The engine (:func:`tecmodel.analysis.sensitivity.saltelli.sobol_analysis`) reproduces the
  analytic Sobol' indices of the Ishigami function (a = 7, b = 0.1; Ishigami & Homma 1990; formulas in Saltelli et al.,
  Global Sensitivity Analysis: The Primer, 2008, and SALib.test_functions.Ishigami) within its
  95 % confidence intervals, through the same code path as the case model, with and without
  groups.
- The vectorised estimators (:mod:`tecmodel.numerics.sobol_estimators`, the default engine) give
  the indices and bootstrap half-widths of ``SALib.analyze.sobol`` (SALib 1.6, the reference:
  ``engine="salib"``) to 1e-12, on Ishigami, on the case model's metrics and yearly cash flows
  (including the outputs that do not vary), on SALib's degenerate cases and on random outputs.
- Saltelli's design is nested across powers of two (what the convergence check relies on).
- The case wrapper returns the agreed shapes; bad factors, groups and sizes are input errors.
- Tornado values equal separate evaluations at each factor's quantiles.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from SALib.analyze import sobol as salib_sobol
from SALib.test_functions import Ishigami

import tecmodel
from tecmodel.analysis.sensitivity.saltelli import evaluate_design, saltelli_design, sobol_analysis
from tecmodel.analysis.sensitivity.sobol_case import sobol_convergence
from tecmodel.analysis.sensitivity.tornado_case import tornado
from tecmodel.errors import InputError
from tecmodel.inputs.distributions import Distribution, implied_distribution
from tecmodel.inputs.registry import REGISTRY
from tecmodel.model.metrics import join_portfolio
from tecmodel.numerics.sobol_estimators import sobol_indices

A, B = 7.0, 0.1
UNIFORM = Distribution("uniform", (("low", -math.pi), ("high", math.pi)))


def ishigami_model(uniforms: np.ndarray) -> dict[str, xr.DataArray]:
    """Ishigami on U(-pi, pi)^3 as a model function (uniforms -> outputs over sample)."""
    inputs = np.column_stack([UNIFORM.ppf(uniforms[:, k]) for k in range(3)])
    return {"": xr.DataArray(Ishigami.evaluate(inputs, A, B), dims="sample")}


def analytic_ishigami():
    """Partial variances of Ishigami (Saltelli et al. 2008, section 4.9 / Sobol' & Levitan 1999).

    V = a^2/8 + b pi^4/5 + b^2 pi^8/18 + 1/2, V1 = (1 + b pi^4/5)^2 / 2, V2 = a^2/8, V3 = 0,
    V13 = 8 b^2 pi^8 / 225.
    """
    variance = A**2 / 8 + B * math.pi**4 / 5 + B**2 * math.pi**8 / 18 + 0.5
    v1 = 0.5 * (1 + B * math.pi**4 / 5) ** 2
    v2 = A**2 / 8
    v13 = 8 * B**2 * math.pi**8 / 225
    first = np.array([v1, v2, 0.0]) / variance
    total = np.array([v1 + v13, v2, v13]) / variance
    return first, total, v13 / variance


def _within(estimate, half_width, expected):
    assert abs(estimate - expected) <= half_width, (estimate, half_width, expected)


def test_ishigami_indices_within_their_confidence_intervals():
    first, total, s13 = analytic_ishigami()
    assert first[:2] == pytest.approx(
        [0.3139, 0.4424], abs=1e-4
    )  # the values SALib's docstring quotes
    result = sobol_analysis(["x1", "x2", "x3"], ishigami_model, n=2**12, seed=1, chunk_rows=5000)
    for k in range(3):
        _within(float(result.S1[k]), float(result.S1_conf[k]), first[k])
        _within(float(result.ST[k]), float(result.ST_conf[k]), total[k])
    _within(
        float(result.S2.sel(factor="x1", factor_2="x3")),
        float(result.S2_conf.sel(factor="x1", factor_2="x3")),
        s13,
    )
    _within(
        float(result.S2.sel(factor="x1", factor_2="x2")),
        float(result.S2_conf.sel(factor="x1", factor_2="x2")),
        0,
    )
    assert result.attrs["evaluations"] == 2**12 * 8


def test_ishigami_groups():
    """x1 and x3 as one group: first and total index (V1 + V13) / V; x2 alone: V2 / V."""
    first, total, s13 = analytic_ishigami()
    result = sobol_analysis(
        ["x1", "x2", "x3"],
        ishigami_model,
        n=2**12,
        seed=2,
        second_order=False,
        groups=["x1 and x3", "x2", "x1 and x3"],
    )
    assert list(result["factor"].values) == ["x1 and x3", "x2"]
    _within(
        float(result.S1.sel(factor="x1 and x3")),
        float(result.S1_conf.sel(factor="x1 and x3")),
        total[0],
    )
    _within(float(result.ST.sel(factor="x2")), float(result.ST_conf.sel(factor="x2")), total[1])
    assert result.attrs["evaluations"] == 2**12 * 4


def assert_same_indices(fast: xr.Dataset, reference: xr.Dataset, atol: float = 1e-12):
    """Every index and half-width equal to `atol`, NaN in the same places, same variables and coordinates."""
    assert set(fast.data_vars) == set(reference.data_vars)
    for name in reference.data_vars:
        xr.testing.assert_allclose(fast[name], reference[name], rtol=0, atol=atol)
        assert np.array_equal(np.isnan(fast[name].values), np.isnan(reference[name].values)), name


@pytest.mark.parametrize(
    "second_order, groups",
    [
        (True, None),
        (False, None),
        (True, ["x1 and x3", "x2", "x1 and x3"]),
        (False, ["x1 and x3", "x2", "x1 and x3"]),
    ],
)
def test_vectorised_engine_equals_salib_on_ishigami(second_order, groups):
    """Same design, same model rows, both engines: SALib.analyze.sobol is the reference."""
    options = {"n": 2**9, "seed": 5, "second_order": second_order, "groups": groups}
    fast = sobol_analysis(["x1", "x2", "x3"], ishigami_model, **options)
    reference = sobol_analysis(["x1", "x2", "x3"], ishigami_model, engine="salib", **options)
    assert_same_indices(fast, reference)
    assert fast.attrs["engine"] == "vectorised" and reference.attrs["engine"] == "salib"


def test_vectorised_engine_equals_salib_on_the_case_model(doubled_case):
    """Metrics x sites (S1, ST, S2) and each year's free cash flow x sites, whose construction years
    do not vary (NaN indices from both engines)."""
    options = {"n": 2**6, "seed": 3, "second_order": True}
    fast = tecmodel.sobol(doubled_case, **options)
    reference = tecmodel.sobol(doubled_case, engine="salib", **options)
    assert_same_indices(fast, reference)
    assert bool(fast.ST_fcf.sel(year=2025).isnull().all()) and int(fast.S1.notnull().sum()) > 0


def test_convergence_engines_agree(base_case):
    options = {"sizes": [2**4, 2**6], "metrics": ["npv", "irr"], "seed": 9}
    assert_same_indices(
        sobol_convergence(base_case, **options),
        sobol_convergence(base_case, engine="salib", **options),
    )


def salib_problem(groups: int) -> dict:
    return {
        "num_vars": groups,
        "names": [f"x{k}" for k in range(groups)],
        "bounds": [[0.0, 1.0]] * groups,
    }


def assert_columns_equal_salib(
    values: np.ndarray, groups: int, second_order: bool, seed: int, tolerance: float = 1e-12
):
    """Each column's indices and half-widths equal SALib's to `tolerance`, relative beyond magnitude 1."""
    fast = sobol_indices(
        values, groups, second_order=second_order, seed=seed, num_resamples=50, confidence=0.9
    )
    for column in range(values.shape[1]):
        reference = salib_sobol.analyze(
            salib_problem(groups),
            values[:, column],
            calc_second_order=second_order,
            num_resamples=50,
            conf_level=0.9,
            seed=seed,
        )
        for name, array in fast.items():
            np.testing.assert_allclose(
                array[..., column], reference[name], rtol=tolerance, atol=tolerance, err_msg=name
            )


@pytest.mark.filterwarnings(
    "ignore:Constant values encountered:UserWarning"
)  # SALib's warning on case 1 and 2
def test_vectorised_estimators_keep_salibs_special_cases():
    """Columns SALib treats specially, built by hand on a design of N = 64, G = 2 (6 rows per block):

    1. A and B rows all equal, mixed rows vary: indices 0 (SALib warns) and half-widths 0 (no spread);
    2. A and B rows equal to within 1e-17 of each other: every estimate 0 (spread <= eps), half-widths 0;
    3. A and B rows equal except one A row: resamples without that row have variance 0 (their
       estimates are 0), the others do not (and their variance, computed from sums, cancels badly);
    4. an ordinary column.
    """
    rng = np.random.default_rng(11)
    groups, n = 2, 64
    values = rng.normal(size=(n * (2 * groups + 2), 4))
    base_rows = np.zeros(values.shape[0], dtype=bool)
    base_rows[0::6] = base_rows[5::6] = True
    values[base_rows, 0] = 3.0
    values[base_rows, 1] = 1.0 + rng.uniform(0, 1e-17, base_rows.sum())
    values[base_rows, 2] = 0.5
    values[0, 2] = 2.0
    assert_columns_equal_salib(values, groups, second_order=True, seed=17)
    fast = sobol_indices(values, groups, second_order=True, seed=17, num_resamples=50)
    assert np.all(fast["S1"][:, :2] == 0) and np.all(fast["S1_conf"][:, 0] == 0)


@settings(max_examples=25, deadline=None)
@given(
    groups=st.integers(2, 4),
    log2_n=st.integers(2, 7),
    second_order=st.booleans(),
    seed=st.integers(1, 2**32),
    data_seed=st.integers(0, 2**32 - 1),
    scale=st.sampled_from([1e-6, 1.0, 1e9]),
)
def test_vectorised_estimators_equal_salib_on_random_outputs(
    groups, log2_n, second_order, seed, data_seed, scale
):
    """Any design size, factor count, order, bootstrap seed and output scale: SALib's numbers."""
    rows = 2**log2_n * (2 * groups + 2 if second_order else groups + 2)
    rng = np.random.default_rng(data_seed)
    values = scale * (rng.lognormal(size=(rows, 3)) + np.arange(3))
    assert_columns_equal_salib(values, groups, second_order, seed)


def test_evaluation_does_not_depend_on_the_chunk_size():
    design = saltelli_design(["x1", "x2", "x3"], 2**5, seed=4)
    whole = evaluate_design(ishigami_model, design.uniforms, chunk_rows=10**6)[""]
    xr.testing.assert_identical(
        evaluate_design(ishigami_model, design.uniforms, chunk_rows=7)[""], whole
    )
    np.testing.assert_array_equal(
        whole.values,
        Ishigami.evaluate(
            np.column_stack([UNIFORM.ppf(design.uniforms[:, k]) for k in range(3)]), A, B
        ),
    )


def test_design_is_nested_across_powers_of_two():
    small = saltelli_design(["a", "b", "c"], 2**5, seed=3)
    large = saltelli_design(["a", "b", "c"], 2**8, seed=3)
    np.testing.assert_array_equal(small.uniforms, large.uniforms[: small.rows(2**5)])


def test_case_sobol_has_the_agreed_shape(doubled_case):
    result = tecmodel.sobol(doubled_case, n=2**5, seed=0)
    sites = list(doubled_case.site_names) + ["portfolio"]
    assert result.S1.dims == ("factor", "metric", "site") and result.S2.dims == (
        "factor",
        "factor_2",
        "metric",
        "site",
    )
    assert list(result["factor"].values) == ["energy_price", "utilisation", "chip_cost"]
    assert (
        list(result["metric"].values) == ["npv", "irr", "lcoc"]
        and list(result["site"].values) == sites
    )
    assert result.S1_fcf.dims == ("factor", "year", "site") and "ST_fcf_conf" in result
    assert {k: result.attrs[k] for k in ("case", "n", "seed", "second_order", "evaluations")} == {
        "case": "doubled_20b",
        "n": 32,
        "seed": 0,
        "second_order": 1,
        "evaluations": 32 * 8,
    }
    assert all(
        result[name].attrs["units"] == "1" for name in ("S1", "S1_conf", "ST", "ST_conf", "S2")
    )
    # 2025 is construction only: no factor moves its cash flow, so its indices are undefined.
    assert bool(result.ST_fcf.sel(year=2025).isnull().all())
    # the second site operates from 2028: chip cost drives its 2028 cash flow (the first purchase)
    assert float(result.ST_fcf.sel(year=2028, site="campus_ia_site2", factor="chip_cost")) > 0.5


def test_per_site_factors_and_groups(doubled_case):
    result = tecmodel.sobol(
        doubled_case,
        factors=["energy_price", "chip_cost"],
        n=2**4,
        second_order=False,
        per_site=True,
        time_resolved=False,
        groups={"chips": ["chip_cost"]},
    )
    assert list(result["factor"].values) == [
        "energy_price@fluidstack_fr",
        "energy_price@campus_ia_site2",
        "chips",
    ]
    # the first site's energy price cannot move the second site's NPV
    assert (
        float(
            result.ST.sel(factor="energy_price@fluidstack_fr", metric="npv", site="campus_ia_site2")
        )
        == 0
    )


def test_convergence_side_by_side(base_case):
    result = sobol_convergence(base_case, sizes=[2**4, 2**5, 2**6], metrics=["npv"])
    assert list(result["n"].values) == [16, 32, 64]
    assert result.ST.dims == ("n", "factor", "metric", "site")
    single = tecmodel.sobol(
        base_case, n=2**5, second_order=False, metrics=["npv"], time_resolved=False
    )
    xr.testing.assert_allclose(result.ST.sel(n=32, drop=True), single.ST, rtol=1e-12)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({"factors": ["energy_prise", "chip_cost"]}, "did you mean 'energy_price'"),
        ({"factors": ["chips.refresh_years", "chip_cost"]}, "is structural"),
        ({"factors": ["chip_cost@nowhere", "utilisation"]}, "has no site 'nowhere'"),
        ({"factors": ["chip_cost", "chips.unit_price"]}, "expected each factor once"),
        ({"n": 1000}, "expected a power of two"),
        ({"groups": {"g": ["gpu_price"]}}, "is not one of the factors"),
        (
            {"factors": ["revenue.contract_price", "chip_cost"]},
            "lies outside the registry reference range",
        ),
        ({"engine": "fast"}, "expected 'vectorised'"),
    ],
)
def test_bad_sobol_requests_are_input_errors(doubled_case, arguments, fragment):
    options = {"n": 2**4, "second_order": False, "time_resolved": False} | arguments
    with pytest.raises(InputError) as caught:
        tecmodel.sobol(doubled_case, **options)
    assert fragment in str(caught.value)


def _distribution(case, name, site):
    """The case's distribution of a value, else the one implied by the registry's reference
    range (power.market_price follows a process: a factor moves it as a level in every year)."""
    entry = case.entry(name, site)
    if entry.distribution is not None:
        return entry.distribution
    return implied_distribution(REGISTRY[name].reference, entry.value)


def test_tornado_equals_separate_evaluations(doubled_case):
    result = tornado(doubled_case, factors=["energy_price", "chip_cost"], metrics=["npv", "lcoc"])
    for factor, parameter in (
        ("energy_price", "power.market_price"),
        ("chip_cost", "chips.unit_price"),
    ):
        for side, quantile in (("low", 0.1), ("high", 0.9)):
            values = {
                site: float(_distribution(doubled_case, parameter, site).ppf([quantile])[0])
                for site in doubled_case.site_names
            }
            alone = tecmodel.evaluate(doubled_case, {parameter: values})
            np.testing.assert_allclose(
                result[side].sel(factor=factor, metric="npv").values,
                join_portfolio(alone.metrics["npv"], alone.portfolio["npv"]).values,
                rtol=1e-12,
            )
            assert float(
                result[f"input_{side}"].sel(factor=factor, site=doubled_case.site_names[1])
            ) == pytest.approx(values[doubled_case.site_names[1]])
    base = tecmodel.evaluate(doubled_case)
    np.testing.assert_allclose(
        result.base.sel(metric="lcoc").values,
        join_portfolio(base.metrics["lcoc"], base.portfolio["lcoc"]).values,
        rtol=1e-12,
    )
    assert list(result["units"].values) == ["EUR", "EUR/GPU-hour"]
