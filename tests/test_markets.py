"""Price processes in a case file: what follows them, and the bad inputs the loader refuses.

- The deterministic run reads each bound quantity's central path (tecmodel.inputs.paths): the
  parameter dataset holds it over ``year``, and it equals ``tecmodel.processes`` with zero
  volatility (the closed forms are checked in tests/test_processes.py).
- Each bad input below is one clear error from ``tecmodel run``: exit status 2, the file, the
  field path, the value and the expectation on stderr, and nothing written.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import xarray as xr
import yaml

import tecmodel
from tecmodel.analysis.sampling import sampling_plan
from tecmodel.analysis.sensitivity.factors import named_groups
from tecmodel.cli.main import main
from tecmodel.inputs.parameters import parameter_dataset
from tecmodel.inputs.paths import central_path
from tecmodel.model.generations import generation_cash_flows
from tecmodel.report.figures.fans import fan_charts, fan_quantiles
from tecmodel.report.figures.files import write_standard_plots

from .conftest import BASE_FILE

BASE = yaml.safe_load(BASE_FILE.read_text())


def test_bound_quantities_hold_their_central_path_over_year(base_case):
    params = parameter_dataset(base_case)
    years = list(base_case.years)
    for binding in base_case.markets.bindings:
        spec = BASE["processes"][binding.process]
        expected = central_path(spec, years, name=binding.process).values * binding.factor
        values = params[binding.parameter]
        assert "year" in values.dims
        np.testing.assert_array_equal(
            values.transpose("year", ...).values.reshape(len(years), -1)[:, 0], expected
        )
    # the power price's central path starts at the 2024 spot average and meets the level path:
    # ln X[t] = m[t] + (ln 58 - m[2025]) exp(-0.5 (t - 2025)), m the forward curve clamped
    power = params["power.market_price"].sel(site="fluidstack_fr")
    assert float(power.sel(year=2025)) == 58.0
    level_2026, level_2025 = 52.7, 52.7  # years before the curve take its first value
    expected_2026 = np.exp(np.log(level_2026) + (np.log(58.0) - np.log(level_2025)) * np.exp(-0.5))
    assert float(power.sel(year=2026)) == pytest.approx(expected_2026, rel=1e-12)


def _run(tmp_path, data, capsys):
    path = tmp_path / "case.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "out"
    status = main(["run", str(path), "--out", str(out)])
    return status, capsys.readouterr().err, out, path


def _unknown_type(data):
    data["processes"]["power_price"]["type"] = "mean_revertin"


def _bound_twice(data):
    data["processes"]["eur_usd_forecast"] = copy.deepcopy(data["processes"]["eur_usd"])
    data["drives"]["eur_usd_forecast"] = ["fx.usd_per_eur"]


def _not_psd(data):
    data["process_correlation"] = {
        "processes": ["power_price", "compute_price", "hardware_cost"],
        "matrix": [[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]],
        "source": "test",
    }


def _negative_speed(data):
    data["processes"]["power_price"]["speed"]["value"] = -0.5
    data["processes"]["power_price"]["speed"].pop("distribution")


def _negative_volatility(data):
    data["processes"]["compute_price"]["volatility"]["value"] = -0.3
    data["processes"]["compute_price"]["volatility"].pop("distribution")


def _level_gap(data):
    data["processes"]["power_price"]["level"]["path"] = {2026: 52.7, 2027: 56.1, 2030: 68.66}


def _contract_beyond_horizon(data):
    term = data["sites"][0]["power"]["contract_term_years"]
    term["value"] = 25
    term.pop("distribution")


def _stated_and_bound(data):
    data["fx"] = {"usd_per_eur": {"value": 1.1, "unit": "USD/EUR", "source": "test"}}


@pytest.mark.parametrize(
    ("change", "fragments"),
    [
        (_unknown_type, ["processes.power_price.type", "mean_revertin", "mean_reverting"]),
        (_bound_twice, ["drives.eur_usd_forecast[0]", "already follows process 'eur_usd'"]),
        (_not_psd, ["process_correlation", "positive semi-definite"]),
        (_negative_speed, ["processes.power_price.speed", "-0.5", ">= 0"]),
        (_negative_volatility, ["processes.compute_price.volatility", "-0.3", ">= 0"]),
        (_level_gap, ["processes.power_price.level.path", "gap", "no level for 2028, 2029"]),
        (
            _contract_beyond_horizon,
            ["sites[0].power.contract_term_years", "25", "beyond the model horizon", "at most 20"],
        ),
        (_stated_and_bound, ["fx.usd_per_eur", "follows process 'eur_usd'", "expected no value"]),
    ],
    ids=lambda value: getattr(value, "__name__", "")[1:] or None,
)
def test_each_bad_market_input_is_one_clear_error(tmp_path, capsys, change, fragments):
    data = copy.deepcopy(BASE)
    change(data)
    status, err, out, path = _run(tmp_path, data, capsys)
    assert status == 2, err
    assert err.startswith(f"error: {path}"), err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert "Traceback" not in err
    assert not out.exists() or not any(out.iterdir())  # the folder --out names stays empty


def test_compute_hour_metrics_scale_the_gpu_hour_ones_by_performance(toy_result, doubled_result):
    """The toy's accelerators hold 2 PFLOP/s (tests/data/toy.yaml, no growth): every compute-hour
    is half a GPU-hour, so the cost and price per compute-hour are half those per GPU-hour."""
    metrics = toy_result.metrics
    np.testing.assert_allclose(metrics["lcoc_compute"], metrics["lcoc"] / 2, rtol=1e-12)
    np.testing.assert_allclose(
        metrics["realised_compute_price"], metrics["realised_gpu_hour_price"] / 2, rtol=1e-12
    )
    assert metrics["lcoc_compute"].attrs["units"] == "EUR/PFLOPS-hour"
    # Rubin (50 PFLOP/s, inputs/doubled_20b.yaml) against GB200 (10): the second site costs more
    # per GPU-hour but less per compute-hour.
    doubled = doubled_result.metrics
    first, second = doubled_result.case.site_names
    assert float(doubled["lcoc"].sel(site=second)) > float(doubled["lcoc"].sel(site=first))
    assert float(doubled["lcoc_compute"].sel(site=second)) < float(
        doubled["lcoc_compute"].sel(site=first)
    )


@pytest.mark.parametrize("fixture", ["toy_result", "doubled_result"])
def test_generation_cash_flows_add_up_to_the_pre_tax_free_cash_flow(fixture, request):
    """Every row is a generation's own or shared among them by shares that sum to one, so the
    generations' cash flows sum to the site's pre-tax unlevered free cash flow (to rounding), and
    generation_npv to its NPV."""
    result = request.getfixturevalue(fixture)
    flows = generation_cash_flows(result.cash_flows, result.quantities)
    pre_tax = result.cash_flows.total(category=("revenue", "opex", "capex", "residual"))
    scale = float(abs(pre_tax).max())
    np.testing.assert_allclose(flows.sum("generation"), pre_tax, rtol=0, atol=1e-9 * scale)
    metrics = result.metrics
    assert metrics["generation_npv"].dims == ("site", "generation")
    assert metrics["generation_npv"].attrs["units"] == "EUR"
    rate = result.parameters["finance.discount_rate"]
    factors = (1.0 + rate) ** -result.timeline["t"]
    site = result.case.site_names[0]
    np.testing.assert_allclose(
        metrics["generation_npv"].sel(site=site).sum("generation"),
        (pre_tax * factors).sel(site=site).sum("year"),
        rtol=1e-9,
    )


def test_the_toy_has_two_generations_with_a_refresh_in_2029(toy_result):
    """tests/data/toy.yaml: online 2026, 3-year refresh, horizon 2030: generations bought in 2026
    and 2029, each 10 MW / 2 kW = 5,000 accelerators (no process: purchase index 1)."""
    quantities = toy_result.quantities
    bought = quantities["generation_bought"].sel(site="toy")
    assert list(toy_result.metrics["generation"].values) == [1, 2]
    assert float(bought.sel(year=2026, generation=1)) == 5000.0
    assert float(bought.sel(year=2029, generation=2)) == 5000.0
    assert float(bought.sel(generation=2).sum()) == 5000.0


def test_sobol_of_all_inputs_in_named_groups(base_case):
    """factors="all": the case's 19 distributed inputs in three named groups; Saltelli's design
    without second order evaluates n (G + 2) rows, G = 3 groups, not n (19 + 2)."""
    indices = tecmodel.sobol(
        base_case, factors="all", n=2**5, second_order=False, metrics=["npv"], time_resolved=False
    )
    assert list(indices["factor"].values) == [
        "compute prices and hardware",
        "energy, all-in",
        "delivery",
    ]
    assert indices.attrs["evaluations"] == 2**5 * (3 + 2)
    groups = named_groups(list(sampling_plan(base_case).parameters))
    assert groups["energy, all-in"] == [
        "power.contract_price",
        "power.contract_term_years",
        "power.grid_tariff_energy",
        "cooling.overhead_annual",
    ]
    assert "revenue.ramp_first_year" in groups["delivery"]


def test_fan_charts_show_each_path_and_the_cash_flows(base_case, tmp_path):
    """Per year, the bands are the samples' percentiles (numpy.percentile); one panel per
    process of inputs/base_10b.yaml (4) and two for the cash flows; written as fan_<case>.png."""
    study = tecmodel.monte_carlo(base_case, n=256, seed=2, block_size=128, progress=False)
    cumulative = study.cash_flows["cumulative_discounted_cash_flow"]
    np.testing.assert_allclose(cumulative.sel(year=2045), study.portfolio_samples["npv"], rtol=1e-6)
    quantiles = fan_quantiles(study.paths["power_price"])
    np.testing.assert_array_equal(
        quantiles[50.0],
        np.percentile(study.paths["power_price"].values.astype(float), 50.0, axis=1),
    )
    assert (quantiles[5.0] <= quantiles[25.0]).all() and (quantiles[75.0] <= quantiles[95.0]).all()
    figure = fan_charts(study)
    assert len([axes for axes in figure.axes if axes.get_visible()]) == 4 + 2
    written = write_standard_plots(
        tecmodel.evaluate(base_case), tmp_path / "plots", monte_carlo=study
    )
    assert tmp_path / "plots" / "fan_base_10b.png" in written


def test_a_compute_price_path_moves_merchant_prices_by_year_and_contracts_at_signing(toy_case):
    """tests/data/toy.yaml: reference year 2026, 3-year refresh (generations of 2026 and 2029),
    3-year take-or-pay tenor, revenue in EUR. With the compute price doubled from 2028 on, the
    merchant revenue of each year doubles from 2028 (index of the year / index of 2026); a
    contract is priced at its signing: the 2026 generation's (2026-2028) is unchanged, the 2029
    generation's doubles (index of 2029 / 2026)."""
    base = toy_case.value("markets.compute_price")
    years = list(toy_case.years)
    path = xr.DataArray(
        [base * (2.0 if year >= 2028 else 1.0) for year in years],
        dims="year",
        coords={"year": years},
    )
    plain = tecmodel.evaluate(toy_case).cube.sel(site="toy")
    moved = tecmodel.evaluate(toy_case, {"markets.compute_price": path}).cube.sel(site="toy")
    factor = xr.DataArray(
        [2.0 if year >= 2028 else 1.0 for year in years], dims="year", coords={"year": years}
    )
    np.testing.assert_allclose(
        moved.sel(item="revenue_merchant"), plain.sel(item="revenue_merchant") * factor, rtol=1e-12
    )
    signed = xr.DataArray(
        [2.0 if year >= 2029 else 1.0 for year in years], dims="year", coords={"year": years}
    )
    np.testing.assert_allclose(
        moved.sel(item="revenue_contract"), plain.sel(item="revenue_contract") * signed, rtol=1e-12
    )


def test_after_the_nuclear_contract_all_energy_is_bought_at_the_market(toy_case):
    """tests/data/toy.yaml: 50 % under contract from 2026. With a 2-year term (2026-2027), from 2028
    no energy is contracted and the market energy is that of the 5-year term x 2 (share 1 against
    0.5, the same energy at the same market price)."""
    five = tecmodel.evaluate(toy_case).cube.sel(site="toy")
    two = tecmodel.evaluate(toy_case, {"power.contract_term_years": 2}).cube.sel(site="toy")
    later = [2028, 2029, 2030]
    assert (two.sel(item="power_contract_energy", year=later) == 0).all()
    np.testing.assert_allclose(
        two.sel(item="power_market_energy", year=later),
        five.sel(item="power_market_energy", year=later) * 2,
        rtol=1e-12,
    )
    np.testing.assert_array_equal(
        two.sel(item="power_contract_energy", year=[2026, 2027]),
        five.sel(item="power_contract_energy", year=[2026, 2027]),
    )


# --------------------------------------------------------------------------- process parameters
# as sensitivity factors: they move the central path a Sobol', Shapley or tornado run evaluates.


def test_a_level_scale_factor_moves_the_central_path_by_the_closed_form(base_case):
    """ln X_s[t] - ln X_1[t] = ln(s) (1 - exp(-speed t)) for a mean-reverting process whose level
    is scaled by s at a fixed start (the closed form of the central path,
    exp(m[t] + (ln start - m[t0]) exp(-speed (t - t0))) with m -> m + ln s)."""
    from tecmodel.analysis.sampling import process_overrides

    scales = np.array([1.0, 1.3, 0.6])
    paths = process_overrides(base_case, {"power_price": {"level_scale": scales}})
    path = paths["power.market_price"].transpose("year", "sample").values
    central = base_case.value("power.market_price").isel(site=0).values  # every site alike
    np.testing.assert_array_equal(path[:, 0], central)  # the case's own central path, bit for bit
    speed = base_case.markets.processes.processes[0].parameter("speed").value
    elapsed = np.arange(len(central))
    for column, scale in enumerate(scales):
        expected = np.log(scale) * (1.0 - np.exp(-speed * elapsed))
        np.testing.assert_allclose(np.log(path[:, column] / central), expected, atol=1e-12)


def test_a_dearer_compute_market_raises_npv_through_the_factor_columns(base_case):
    """The compute-price index's level scale is a factor: its P90 path earns more than its P10
    path, and its median path, evaluated through the same columns, differs from both."""
    from tecmodel.analysis.sampling import column_overrides, factor_columns

    columns = factor_columns(base_case, ["compute_price.level_scale"])
    assert columns[0].parameter.unit == "1"
    uniforms = np.array([[0.1], [0.5], [0.9]])
    result = tecmodel.evaluate(base_case, column_overrides(base_case, columns, uniforms))
    npv = result.portfolio.npv.values
    assert npv[0] < npv[1] < npv[2]


@pytest.mark.parametrize(
    ("factors", "message"),
    [
        (["compute_price.volatility"], "acts only through the random shocks"),
        (["eur_usd.speed"], "has no distribution"),
        (["energy_price", "power_price.level_scale"], "replaces the path"),
        (["power_price.level_scale@fluidstack_fr"], "expected no '@site'"),
    ],
)
def test_process_factors_that_cannot_be_moved_are_refused(base_case, factors, message):
    from tecmodel.analysis.sampling import factor_columns

    with pytest.raises(tecmodel.InputError, match=message):
        factor_columns(base_case, factors)


def test_sobol_all_takes_the_process_parameters_in_the_groups_of_what_they_drive(base_case):
    """``factors="all"``: every process parameter with a distribution that shapes the central
    path joins the named group of the quantity its process drives."""
    import json

    indices = tecmodel.sobol(
        base_case, "all", n=64, seed=0, second_order=False, time_resolved=False
    )
    described = {
        entry["factor"]: entry.get("group") for entry in json.loads(indices.attrs["factors"])
    }
    assert described["compute_price.level_scale"] == "compute prices and hardware"
    assert described["power_price.level_scale"] == "energy, all-in"
    assert described["power_price.speed"] == "energy, all-in"
    assert described["eur_usd.level"] == "compute prices and hardware"
    assert "power_price.volatility" not in described  # a Monte Carlo parameter only


def test_a_tornado_moves_a_process_parameter_alone(base_case, base_result):
    """The tornado's base row holds the process parameter at its stated value, so its central
    path is the case's own and NPV is the deterministic NPV exactly; the factor's P10/P90 rows
    move only that path."""
    board = tecmodel.tornado(base_case, ["chip_cost", "compute_price.level_scale"])
    npv = board.sel(metric="npv", site="portfolio")
    assert float(npv["base"]) == float(base_result.portfolio.npv)
    assert float(npv["low"].sel(factor="compute_price.level_scale")) < float(npv["base"])
    assert float(npv["high"].sel(factor="compute_price.level_scale")) > float(npv["base"])
    assert board["input_base"].sel(factor="compute_price.level_scale").values[0] == 1.0


def test_a_path_above_the_central_one_raises_the_stated_prices_in_proportion(
    base_case, base_result
):
    """The stated GPU-hour and accelerator prices are those of the central paths in the site's
    reference year: a compute-price path 20 % above the central one in every year earns 20 %
    more from every GPU-hour (contract and merchant), and a hardware-cost path 20 % above it
    makes every accelerator 20 % dearer (hand calculation: the price is the stated price times
    path[year] / central[reference year])."""
    central = base_case.value("markets.compute_price")
    hardware = base_case.value("markets.hardware_cost")
    raised = tecmodel.evaluate(
        base_case,
        overrides={"markets.compute_price": 1.2 * central, "markets.hardware_cost": 1.2 * hardware},
    )
    for item in ("revenue_merchant", "revenue_contract", "chips_purchase"):
        np.testing.assert_allclose(
            raised.cube.sel(item=item).values,
            1.2 * base_result.cube.sel(item=item).values,
            rtol=1e-12,
        )


def test_an_exchange_rate_path_above_the_central_one_moves_usd_amounts_by_its_ratio(
    base_case, base_result
):
    """Stated prices convert at the central USD/EUR rate of the reference year: a path 10 %
    above the central one in every year (more USD per EUR) makes every USD purchase 1/1.1 as
    dear in EUR and scales each revenue stream by 1 + s (1/1.1 - 1), s its USD-quoted share
    (hand calculation from ``currency_factor``). Reading the path against itself in the
    reference year would leave the revenue unchanged."""
    rate = base_case.value("fx.usd_per_eur")
    moved = tecmodel.evaluate(base_case, overrides={"fx.usd_per_eur": 1.1 * rate})
    np.testing.assert_allclose(
        moved.cube.sel(item="chips_purchase").values,
        base_result.cube.sel(item="chips_purchase").values / 1.1,
        rtol=1e-12,
    )
    for item, share in (
        ("revenue_merchant", "revenue.merchant_usd_share"),
        ("revenue_contract", "revenue.contract_usd_share"),
    ):
        usd_share = float(base_case.value(share).max())
        assert usd_share > 0  # both streams are partly quoted in USD in the bundled case
        np.testing.assert_allclose(
            moved.cube.sel(item=item).values,
            (1.0 + usd_share * (1.0 / 1.1 - 1.0)) * base_result.cube.sel(item=item).values,
            rtol=1e-12,
        )
