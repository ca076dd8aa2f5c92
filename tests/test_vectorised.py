"""One code path: a run over a ``sample`` dimension equals the same values run one at a time.

Expected numbers come from the model itself evaluated deterministically with each sample's
values as scalar overrides (the public API a user would call in a loop); the vectorised run must
reproduce them to rounding (1e-12 relative to each metric's largest value). This is what lets
Monte Carlo, Sobol and scenario runs share the deterministic code.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.inputs.registry import PARAMETERS

SAMPLABLE = [parameter for parameter in PARAMETERS if parameter.samplable]
#: Metrics compared (project and equity; every one is a function of the whole pipeline).
COMPARED = (
    "npv",
    "irr",
    "lcoc",
    "payback_year",
    "breakeven_gpu_hour_price",
    "equity_npv",
    "equity_irr",
    "min_dscr",
    "debt_capacity",
)


def _sampled(case, parameter, values: np.ndarray) -> xr.DataArray:
    """`values` (one per sample) for every site of a site-level parameter."""
    if parameter.scope == "case":
        return xr.DataArray(values, dims="sample")
    sites = list(case.site_names)
    return xr.DataArray(
        np.repeat(values[:, None], len(sites), axis=1),
        dims=("sample", "site"),
        coords={"site": sites},
    )


def _assert_same(vectorised: xr.Dataset, scalar: xr.Dataset, index: int) -> None:
    for name in COMPARED:
        got = vectorised[name].isel(sample=index).transpose(*scalar[name].dims).values
        want = scalar[name].values
        scale = max(float(np.nanmax(np.abs(want))), 1e-300) if np.isfinite(want).any() else 1.0
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * scale, err_msg=name)


@pytest.mark.parametrize("parameter", SAMPLABLE, ids=lambda parameter: parameter.name)
def test_every_samplable_parameter_can_be_the_only_one_sampled(parameter, base_case):
    """Sampling one parameter alone works, even one that only tax, metrics or financing read
    (the tax rate, the discount rate, the financing terms): the sample dimension reaches every
    metric. Values: the low and high of the parameter's sourced reference range (the market
    escalation 0: the base case's energy price follows a process, and a rule keeps any escalation
    off it, for every draw as in the case file)."""
    low, _, high = parameter.reference
    if parameter.name == "power.market_escalation":
        low = high = 0.0
    result = tecmodel.evaluate(
        base_case, {parameter.name: _sampled(base_case, parameter, np.array([low, high]))}
    )
    for name in COMPARED:
        assert "sample" in result.metrics[name].dims, name


@pytest.mark.parametrize(
    "name",
    [
        "finance.discount_rate",
        "tax.corporate_rate",
        "financing.rate_shift",
        "financing.target_dscr",
    ],
)
def test_a_parameter_read_only_after_the_cash_flows_matches_scalar_runs(name, doubled_case):
    """These four are read only by tax, metrics or financing; each sample must equal the
    deterministic run at that value."""
    parameter = tecmodel.REGISTRY[name]
    values = np.array([parameter.reference[0], parameter.reference[2]])
    vectorised = tecmodel.evaluate(
        doubled_case, {name: _sampled(doubled_case, parameter, values)}
    ).metrics
    for index, value in enumerate(values):
        _assert_same(
            vectorised, tecmodel.evaluate(doubled_case, {name: float(value)}).metrics, index
        )


def test_every_parameter_sampled_at_once_matches_scalar_runs(doubled_case):
    """Three random points of the reference ranges of all 50-odd samplable parameters together
    (seeded), against three deterministic runs with those values as scalar overrides."""
    rng = np.random.default_rng(20261123)
    points = {
        parameter.name: rng.uniform(parameter.reference[0], parameter.reference[2], size=3)
        for parameter in SAMPLABLE
    }
    points.update(
        {
            parameter.name: np.round(points[parameter.name])
            for parameter in SAMPLABLE
            if parameter.integer
        }
    )
    # The energy price follows a process: a rule keeps any escalation off it.
    points["power.market_escalation"] = np.zeros(3)
    # The peak PUE at its lowest reference value, so that the second site's phases fit the grid
    # capacity of its connection (a cross-field rule every sampled draw must keep).
    for name in ("cooling.overhead_peak", "power.electrical_losses"):
        low = next(p for p in SAMPLABLE if p.name == name).reference[0]
        points[name] = np.full(3, low)
    overrides = {
        parameter.name: _sampled(doubled_case, parameter, points[parameter.name])
        for parameter in SAMPLABLE
    }
    vectorised = tecmodel.evaluate(doubled_case, overrides).metrics
    for index in range(3):
        scalar = tecmodel.evaluate(
            doubled_case, {name: float(values[index]) for name, values in points.items()}
        )
        _assert_same(vectorised, scalar.metrics, index)


def test_skipping_the_per_generation_metrics_changes_no_other_output(doubled_case):
    """``generations=False`` (every sampled analysis) drops the per-generation metrics and the
    per-generation quantities only they read; every other metric, cash-flow row and financing
    variable has the bits of the full evaluation (same arithmetic, same order)."""
    overrides = {"revenue.utilisation": xr.DataArray([0.7, 0.85, 0.95], dims="sample")}
    full = tecmodel.evaluate(doubled_case, overrides)
    lean = tecmodel.evaluate(doubled_case, overrides, generations=False)
    assert "generation" not in lean.metrics.dims and "generation" in full.metrics.dims
    per_generation = [
        name
        for name, variable in full.quantities.data_vars.items()
        if "generation" in variable.dims
    ]
    assert len(per_generation) == 7  # 3 from revenue, 4 from chips
    assert not set(per_generation) & set(lean.quantities.data_vars)
    assert set(lean.quantities.data_vars) == set(full.quantities.data_vars) - set(per_generation)
    xr.testing.assert_identical(full.metrics.drop_dims("generation"), lean.metrics)
    xr.testing.assert_identical(full.portfolio.drop_dims("generation"), lean.portfolio)
    xr.testing.assert_identical(full.financing, lean.financing)
    for name, row in full.cash_flows.items():
        xr.testing.assert_identical(row, lean.cash_flows[name])
