"""Invariants of the model, as property tests (hypothesis).

- evaluating K parameter sets stacked along ``sample`` equals K separate evaluations;
- two identical sites give exactly twice the euros of one;
- a higher market energy price never raises NPV;
- NPV at the reported IRR is zero.
"""

from __future__ import annotations

import copy

import numpy as np
import numpy_financial as npf
import xarray as xr
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import tecmodel
from tecmodel.inputs.case import case_from_data
from tecmodel.inputs.reading import read_yaml

from .conftest import BASE_FILE

SETTINGS = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

parameter_sets = st.fixed_dictionaries(
    {
        "energy_price": st.floats(20.0, 250.0),
        "utilisation": st.floats(0.3, 1.0),
        "chip_cost": st.floats(20_000.0, 150_000.0),
        "finance.discount_rate": st.floats(0.03, 0.20),
        "timeline.delay_years": st.integers(0, 3).map(float),
    }
)


@SETTINGS
@given(sets=st.lists(parameter_sets, min_size=1, max_size=4))
def test_sample_stack_equals_separate_evaluations(doubled_case, sets):
    names = list(sets[0])
    stacked = {
        name: xr.DataArray([values[name] for values in sets], dims="sample") for name in names
    }
    together = tecmodel.evaluate(doubled_case, stacked)
    for index, values in enumerate(sets):
        alone = tecmodel.evaluate(doubled_case, values)
        sample = together.metrics.isel(sample=index)
        for name in (
            "npv",
            "lcoc",
            "breakeven_gpu_hour_price",
            "payback_year",
            "capex_total",
            "equity_npv",
            "moic",
            "min_dscr",
            "min_dscr_year",
            "average_dscr",
            "debt_capacity",
            "debt_drawn",
            "financing_status",
        ):
            np.testing.assert_allclose(
                sample[name].values, alone.metrics[name].values, rtol=1e-12, equal_nan=True
            )
        np.testing.assert_allclose(
            sample["irr"].values, alone.metrics["irr"].values, rtol=0, atol=1e-10, equal_nan=True
        )
        np.testing.assert_array_equal(
            sample["irr_status"].values, alone.metrics["irr_status"].values
        )
        np.testing.assert_allclose(
            sample["equity_irr"].values,
            alone.metrics["equity_irr"].values,
            rtol=0,
            atol=1e-10,
            equal_nan=True,
        )
        np.testing.assert_allclose(
            together.cube.isel(sample=index).transpose(*alone.cube.dims).values,
            alone.cube.values,
            rtol=1e-12,
            atol=1e-3,
        )


def _two_identical_sites():
    data, _ = read_yaml(BASE_FILE)
    twin = copy.deepcopy(data["sites"][0])
    twin["name"] = "twin"
    data["sites"].append(twin)
    for tranche in data.get("financing", {}).get(
        "tranches", []
    ):  # the twin borrows like the first site
        if "fluidstack_fr" in tranche.get("sites", ["fluidstack_fr"]) and "sites" in tranche:
            tranche["sites"] = tranche["sites"] + ["twin"]
    return case_from_data(data, file="two identical sites")


TWINS = _two_identical_sites()


@SETTINGS
@given(values=parameter_sets)
def test_two_identical_sites_give_exactly_twice_the_euros(base_case, values):
    single = tecmodel.evaluate(base_case, values)
    double = tecmodel.evaluate(TWINS, values)
    first, twin = double.cube.sel(site="fluidstack_fr"), double.cube.sel(site="twin")
    np.testing.assert_array_equal(first.values, twin.values)
    np.testing.assert_array_equal(first.values, single.cube.sel(site="fluidstack_fr").values)
    for name in (
        "npv",
        "capex_total",
        "initial_capex",
        "accelerators",
        "facility_energy_per_year",
        "gpu_hours_sold",
        "equity_npv",
        "debt_drawn",
    ):
        assert float(double.portfolio[name]) == 2 * float(single.portfolio[name])
    for name in ("lcoc", "breakeven_price_factor"):
        np.testing.assert_allclose(
            double.portfolio[name],
            single.portfolio[name],
            rtol=1e-9,
        )
    np.testing.assert_allclose(
        double.portfolio["irr"],
        single.portfolio["irr"],
        atol=1e-10,
        equal_nan=True,
    )


@SETTINGS
@given(
    values=parameter_sets,
    prices=st.lists(st.floats(0.0, 400.0), min_size=2, max_size=2, unique=True),
)
def test_more_expensive_market_energy_never_raises_npv(doubled_case, values, prices):
    low, high = sorted(prices)
    values = dict(values, energy_price=xr.DataArray([low, high], dims="sample"))
    npv = tecmodel.evaluate(doubled_case, values).metrics["npv"]
    cheaper, dearer = npv.isel(sample=0), npv.isel(sample=1)
    assert bool((dearer <= cheaper + 1e-6 * abs(cheaper)).all())


@SETTINGS
@given(values=parameter_sets)
def test_npv_at_the_reported_irr_is_zero(doubled_case, values):
    result = tecmodel.evaluate(doubled_case, values)
    for site in result.metrics["site"].values:
        rate = float(result.metrics["irr"].sel(site=site))
        flows = result.free_cash_flow.sel(site=site).values
        if int(result.metrics["irr_status"].sel(site=site)) == 0:
            assert abs(npf.npv(rate, flows)) <= 1e-7 * np.abs(flows).max()
        else:
            assert np.isnan(rate)


def test_running_total_is_numpys_cumsum_bit_for_bit():
    """timeline.running_total adds the same values in the same order as np.cumsum(axis=0)."""
    import numpy as np

    from tecmodel.numerics.ordered import running_total

    rng = np.random.default_rng(8)
    for shape in ((21,), (21, 3), (21, 2, 5), (1, 4)):
        values = rng.normal(0, 1e9, size=shape)
        np.testing.assert_array_equal(running_total(values), np.cumsum(values, axis=0))
    np.testing.assert_array_equal(running_total(np.array([True, False, True])), [1.0, 1.0, 2.0])
