"""The horizon value apart from operations, the refresh rule, the horizon sensitivity, and the one
validation path of every value the model is evaluated at.

The hand calculations of each horizon method are in tests/test_reference_toy.py.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis.horizon import horizon_sensitivity, with_horizon
from tecmodel.cli.main import main
from tecmodel.inputs.horizon import TerminalMethod

from .conftest import TOY_FILE


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_npv_is_the_operating_npv_plus_the_horizon_value(fixture, request):
    """npv = npv_operating + npv_terminal for every site and the portfolio of both bundled cases;
    the portfolio's horizon value is the sum of its sites'."""
    result = request.getfixturevalue(fixture)
    for metrics in (result.metrics, result.portfolio):
        np.testing.assert_allclose(
            metrics["npv_operating"] + metrics["npv_terminal"], metrics["npv"], rtol=1e-12
        )
        assert (metrics["npv_terminal"] > 0).all()  # liquidation: the assets fetch something
    sites = result.metrics["npv_terminal"].sum("site")
    assert float(result.portfolio["npv_terminal"]) == pytest.approx(
        float(sites), rel=1e-12
    )  # liquidation: the assets fetch something


def test_the_resale_retention_is_sampled_and_moves_only_the_horizon_value(base_case):
    """With the retention of used accelerators over `sample` (the sourced 63-70 %/yr), the
    horizon value rises with it and the operating NPV does not move (the sale only changes the
    last year's tax, which belongs to the horizon value)."""
    retention = xr.DataArray([0.63, 0.67, 0.70], dims="sample")
    portfolio = tecmodel.evaluate(base_case, {"terminal.chip_value_retention": retention}).portfolio
    assert (np.diff(portfolio["npv_terminal"].values) > 0).all()
    np.testing.assert_allclose(
        portfolio["npv_operating"].values, portfolio["npv_operating"].values[0], rtol=1e-12
    )
    np.testing.assert_allclose(
        portfolio["npv_operating"] + portfolio["npv_terminal"], portfolio["npv"], rtol=1e-12
    )


@pytest.mark.parametrize("remaining", [0, 3, 6])
def test_no_refresh_in_the_last_k_years(doubled_case, remaining):
    """A refresh (a purchase that resells the retired generation) happens only if at least K
    years remain, its own included: never after end_year - K + 1 (K = 0 refreshes whenever
    due, up to the last year). The fleet in service does not shrink: the old generation runs on."""
    result = tecmodel.evaluate(doubled_case, {"chips.refresh_min_remaining_years": remaining})
    resale = result.cube.sel(item="chips_resale")
    refresh_years = resale["year"].values[(resale != 0).any("site").values]
    latest = doubled_case.end_year - max(remaining, 1) + 1
    assert refresh_years.max() <= latest
    installed = result.quantities["accelerators_installed"].isel(year=-1)
    np.testing.assert_array_equal(installed, result.metrics["accelerators"])


def test_the_bundled_rule_drops_the_refresh_bought_in_the_last_year(doubled_case, doubled_result):
    """Without the rule (K = 0) the second site buys a generation in 2045, the last year, which
    would earn one year; the bundled cases' K = 3 leaves it out."""
    unruled = tecmodel.evaluate(doubled_case, {"chips.refresh_min_remaining_years": 0})
    site = "campus_ia_site2"
    assert float(unruled.cube.sel(item="chips_purchase", site=site, year=2045)) < 0
    assert float(doubled_result.cube.sel(item="chips_purchase", site=site, year=2045)) == 0


def test_the_horizon_sensitivity_moves_the_last_year_and_splits_each_npv(base_case, base_result):
    sensitivity = horizon_sensitivity(base_case)
    assert sensitivity["end_year"].values.tolist() == [2040, 2045, 2050]
    assert (sensitivity["problem"] == "").all()
    stated = sensitivity.sel(horizon_shift=0)
    for name in ("npv", "npv_operating", "npv_terminal"):
        np.testing.assert_array_equal(stated[name].values, base_result.metrics[name].values)
        assert float(stated[f"portfolio_{name}"]) == float(base_result.portfolio[name])
        assert (
            f"portfolio_{name}" in sensitivity
            and "site" not in sensitivity[f"portfolio_{name}"].dims
        )
    np.testing.assert_allclose(
        sensitivity["npv_operating"] + sensitivity["npv_terminal"], sensitivity["npv"], rtol=1e-12
    )
    earlier = tecmodel.evaluate(with_horizon(base_case, 2040)).portfolio
    assert float(sensitivity["portfolio_npv"].sel(horizon_shift=-5)) == float(earlier["npv"])


def test_a_horizon_the_rules_refuse_is_reported_not_evaluated(toy_case):
    """The toy starts in 2025 and ends in 2030: a horizon ending in 2025 is refused by the rule
    that the last year comes after the first."""
    sensitivity = horizon_sensitivity(toy_case)
    problem = str(sensitivity["problem"].sel(horizon_shift=-5).item())
    assert "model.end_year = 2025: expected a year after model.start_year" in problem
    assert np.isnan(sensitivity["npv"].sel(horizon_shift=-5)).all()


def test_run_prints_the_split_the_cushion_and_the_horizon_sensitivity(tmp_path, capsys):
    assert main(["run", str(TOY_FILE), "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "Horizon value: liquidation" in out
    assert "toy: NPV" in out and "horizon value after tax" in out
    assert "cushion" in out and "vs LCOC" in out
    assert "NPV by horizon" in out and "2035 (+5 yr): toy" in out


def test_an_override_breaking_a_cross_field_rule_is_refused(base_case):
    """construction.build_years = 3 is refused in a case file (phase 1a online 2026 would start
    building in 2024, before 2025); as an override it is refused with the same rule."""
    with pytest.raises(tecmodel.InputError) as error:
        tecmodel.evaluate(base_case, {"construction.build_years": 3})
    message = str(error.value)
    assert "overrides['construction.build_years']" in message
    assert "would start in 2024, before model.start_year 2025" in message


def test_a_sampled_draw_breaking_a_rule_is_refused_and_a_keeping_one_accepted(base_case):
    """Every draw is checked: a peak cooling overhead of 90 % puts 260 MW IT above the grid
    capacity in one sample of two, and the evaluation is refused naming the rule."""
    with pytest.raises(tecmodel.InputError) as error:
        tecmodel.evaluate(
            base_case, {"cooling.overhead_peak": xr.DataArray([0.10, 0.90], dims="sample")}
        )
    message = str(error.value)
    assert "overrides['cooling.overhead_peak']" in message and "grid capacity" in message
    result = tecmodel.evaluate(
        base_case, {"cooling.overhead_peak": xr.DataArray([0.10, 0.12], dims="sample")}
    )
    assert result.metrics.sizes["sample"] == 2


def test_two_overrides_are_compared_draw_by_draw(base_case):
    """idle share <= active load share holds in each draw although the largest idle share
    (0.6) exceeds the smallest active share (0.5): the rule reads draws, not extremes."""
    idle = xr.DataArray([0.6, 0.2], dims="sample")
    active = xr.DataArray([0.8, 0.5], dims="sample")
    result = tecmodel.evaluate(
        base_case, {"power.idle_share": idle, "power.active_load_share": active}
    )
    assert result.metrics.sizes["sample"] == 2
    with pytest.raises(tecmodel.InputError, match="at most power.active_load_share"):
        tecmodel.evaluate(
            base_case, {"power.idle_share": idle, "power.active_load_share": active[::-1]}
        )


def test_a_perpetuity_needs_a_growth_below_the_discount_rate(toy_case):
    case = dataclasses.replace(toy_case, terminal=TerminalMethod("going_concern", "perpetuity"))
    with pytest.raises(tecmodel.InputError, match="growth below finance.discount_rate"):
        tecmodel.evaluate(case, {"terminal.perpetuity_growth": 0.10})


def test_a_case_file_states_its_method_with_a_basis_only_for_a_going_concern(tmp_path):
    text = TOY_FILE.read_text()
    going = text.replace(
        "method: {value: liquidation, source: test fixture}",
        "method: {value: going_concern, source: test fixture}",
    )
    path = tmp_path / "going.yaml"
    path.write_text(going)
    with pytest.raises(tecmodel.InputError, match="needs a basis"):
        tecmodel.load_case(path)
    path.write_text(going.replace("going_concern,", "going_concern, basis: exit_multiple,"))
    assert tecmodel.load_case(path).terminal.label == "going_concern (exit_multiple)"
    path.write_text(text.replace("liquidation,", "liquidation, basis: perpetuity,"))
    with pytest.raises(tecmodel.InputError, match="takes no basis"):
        tecmodel.load_case(path)


@pytest.mark.parametrize("fixture", ["base", "doubled"])
def test_the_operating_npv_is_the_npv_without_a_horizon_value(fixture, request):
    """npv_operating is what the NPV would be with no horizon sale (method none), the loss
    carry-forward into the last year included: the tax the sale causes is exactly its part."""
    case = request.getfixturevalue(f"{fixture}_case")
    stated = request.getfixturevalue(f"{fixture}_result").metrics
    without = tecmodel.evaluate(dataclasses.replace(case, terminal=TerminalMethod("none"))).metrics
    scale = float(np.abs(stated["npv"]).max())
    np.testing.assert_allclose(stated["npv_operating"], without["npv"], rtol=0, atol=1e-9 * scale)
    np.testing.assert_array_equal(without["npv_terminal"], 0.0)
