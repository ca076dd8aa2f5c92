"""The toy case (tests/data/toy.yaml) against a hand calculation of every line item.

Hand calculation (all prices flat: inflation, escalation, trends 0; EUR/USD 1):

- 10 MW IT at 2 kW/accelerator = 5,000 accelerators, online 2026 for the full year, refreshed
  every 3 years: purchases 5,000 x 10,000 = 50.0 M in 2026 and 2029; resale of the 2026
  generation in 2029 at 10 % = 5.0 M.
- Hours available 5,000 x 8,760 = 43.8 M; half on contract at 1.5 EUR = 32.85 M/yr; half
  merchant at 50 % utilisation = 10.95 M h at 2.0 x 0.9^age: 21.9, 19.71, 17.739 M, then the
  2029 generation 21.9, 19.71 M.
- IT draw 10 x (0.2 + (0.8 - 0.2) x 0.5) = 5 MW; PUE 1 + 0.1 + 0.1 = 1.2; energy
  5 x 1.2 x 8,760 = 52,560 MWh: contract 50 % x 50 EUR = 1,314,000; market 50 % x 100 EUR =
  2,628,000; energy tariff x 2 = 105,120; excise x 10 = 525,600; capacity x 3 = 157,680;
  subscribed 10 MW x peak PUE 1.4 = 14 MW x 1,000 EUR = 14,000.
- Construction (build 1 year, spent 2026): shell 10 M, electrical 20 M, contingency 10 % = 3 M,
  land 0.1 M; cooling 1 M; grid 20 MW x 0.1 M + 1 M fixed = 3 M paid in 2025.
- Opex: cooling maintenance 10 % x 1 M = 100,000; staff 0.1 x 14 MW x 100,000 = 140,000;
  facility maintenance 1 % x 33 M = 330,000; IT support 2 % x 50 M = 1,000,000; insurance
  0.1 % x (33 + 1 + 50) M = 84,000; local taxes and network 14 MW x 1,000 = 14,000 each.
- Horizon value at 2030 (liquidation): the 2029 accelerators aged 2 (2029 and 2030) at a
  retention of 50 %/yr: 0.5^2 x 50 M = 12.5 M; shell and electrical at depreciated replacement
  cost (no inflation: the cost) aged 5 of 10: 0.5 x 33 M = 16.5 M x facility share 100 %; land
  0.1 M; grid in service 2025, aged 6 of 10: 0.4 x 3 M = 1.2 M (construction total 17.8 M);
  cooling aged 5 of 5: 0.
- Tax depreciation: IT 50 M / 3 = 16.667 M/yr; building 11 M / 5 = 2.2 M; electrical 22 M / 5 =
  4.4 M; cooling 0.2 M; grid 0.6 M from 2025 to 2029. Book value left in 2030: the 2029
  accelerators 50 - 2 x 16.667 = 16.667 M plus land 0.1 M, written off against the residual.
- Tax: 2025 loss 0.6 M carried forward; 2026 profit 54.75 - 6.4264 - 24.0667 = 24.2569 M,
  relief 0.6 M (below the 1 M + 50 % cap), taxable 23.6569 M, tax 25 % = 5.9142 M.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import numpy_financial as npf
import pytest

import tecmodel
from tecmodel.inputs.horizon import TerminalMethod
from tecmodel.model.terminal import HORIZON_ROWS

YEARS = [2025, 2026, 2027, 2028, 2029, 2030]
OPERATING = [0, 1, 1, 1, 1, 1]

EXPECTED_ITEMS = {
    "revenue_contract": [0, 32.85e6, 32.85e6, 32.85e6, 32.85e6, 32.85e6],
    "revenue_merchant": [0, 21.9e6, 19.71e6, 17.739e6, 21.9e6, 19.71e6],
    "power_contract_energy": [-1_314_000 * o for o in OPERATING],
    "power_market_energy": [-2_628_000 * o for o in OPERATING],
    "power_grid_capacity_tariff": [-14_000 * o for o in OPERATING],
    "power_grid_energy_tariff": [-105_120 * o for o in OPERATING],
    "power_excise": [-525_600 * o for o in OPERATING],
    "power_capacity_mechanism": [-157_680 * o for o in OPERATING],
    "cooling_maintenance": [-100_000 * o for o in OPERATING],
    "operations_staff": [-140_000 * o for o in OPERATING],
    "operations_facility_maintenance": [-330_000 * o for o in OPERATING],
    "operations_it_support": [-1_000_000 * o for o in OPERATING],
    "operations_insurance": [-84_000 * o for o in OPERATING],
    "operations_local_taxes": [-14_000 * o for o in OPERATING],
    "operations_network": [-14_000 * o for o in OPERATING],
    "chips_purchase": [0, -50e6, 0, 0, -50e6, 0],
    "chips_resale": [0, 0, 0, 0, 5e6, 0],
    "construction_shell_core": [0, -10e6, 0, 0, 0, 0],
    "construction_electrical": [0, -20e6, 0, 0, 0, 0],
    "construction_contingency": [0, -3e6, 0, 0, 0, 0],
    "construction_land": [0, -0.1e6, 0, 0, 0, 0],
    "construction_grid_connection": [-3e6, 0, 0, 0, 0, 0],
    "cooling_plant": [0, -1e6, 0, 0, 0, 0],
    "chips_residual": [0, 0, 0, 0, 0, 12.5e6],
    "construction_residual": [0, 0, 0, 0, 0, 17.8e6],
    "cooling_residual": [0, 0, 0, 0, 0, 0],
}


@pytest.mark.parametrize("item", sorted(EXPECTED_ITEMS))
def test_line_items_match_hand_calculation(toy_result, item):
    computed = toy_result.cube.sel(site="toy", item=item).values
    np.testing.assert_allclose(computed, EXPECTED_ITEMS[item], rtol=1e-12, atol=1e-6)


def test_depreciation_matches_hand_calculation(toy_result):
    depreciation = toy_result.finance["depreciation"].sel(site="toy")
    expected = {
        "it_equipment": [0] + [50e6 / 3] * 5,
        "building": [0] + [2.2e6] * 5,
        "electrical": [0] + [4.4e6] * 5,
        "cooling": [0] + [0.2e6] * 5,
        "grid_connection": [0.6e6] * 5 + [0],
        "land": [0] * 6,
    }
    for asset_class, values in expected.items():
        np.testing.assert_allclose(
            depreciation.sel(asset_class=asset_class).values, values, rtol=1e-12
        )
    write_off = toy_result.finance["nbv_write_off"].sel(site="toy").values
    np.testing.assert_allclose(write_off, [0, 0, 0, 0, 0, 50e6 - 2 * 50e6 / 3 + 0.1e6], rtol=1e-12)


def test_tax_with_loss_carry_forward_matches_hand_calculation(toy_result):
    finance = toy_result.finance.sel(site="toy")
    opex = 6_426_400.0
    depreciation_2026 = 50e6 / 3 + 2.2e6 + 4.4e6 + 0.2e6 + 0.6e6
    profit_2026 = 54.75e6 - opex - depreciation_2026
    assert finance["taxable_income_before_losses"].sel(year=2025) == pytest.approx(
        -0.6e6, rel=1e-12
    )
    assert finance["loss_pool"].sel(year=2025) == pytest.approx(0.6e6, rel=1e-12)
    assert finance["taxable_income_before_losses"].sel(year=2026) == pytest.approx(
        profit_2026, rel=1e-12
    )
    assert finance["loss_relief"].sel(year=2026) == pytest.approx(0.6e6, rel=1e-12)
    assert finance["tax"].sel(year=2026) == pytest.approx(0.25 * (profit_2026 - 0.6e6), rel=1e-12)
    # 2030: revenue 52.56 M - opex + horizon value 30.3 M - depreciation 23.4667 M - write-off
    # 16.7667 M
    profit_2030 = 52.56e6 - opex + 30.3e6 - (50e6 / 3 + 2.2e6 + 4.4e6 + 0.2e6) - (50e6 / 3 + 0.1e6)
    assert finance["tax"].sel(year=2030) == pytest.approx(0.25 * profit_2030, rel=1e-12)
    cube_tax = toy_result.cube.sel(site="toy", item="corporate_tax").values
    np.testing.assert_array_equal(cube_tax, -finance["tax"].values)


def test_npv_and_irr_match_numpy_financial(toy_result):
    """The toy's free cash flow through numpy-financial (t = 0 in 2025, as npf.npv)."""
    flows = toy_result.cube.sel(site="toy").sum("item").values
    assert float(toy_result.metrics["npv"].sel(site="toy")) == pytest.approx(
        npf.npv(0.10, flows), rel=1e-12
    )
    assert float(toy_result.metrics["irr"].sel(site="toy")) == pytest.approx(
        npf.irr(flows), abs=1e-9
    )


def test_quantities_match_hand_calculation(toy_result):
    metrics = toy_result.metrics.sel(site="toy")
    assert float(metrics["accelerators"]) == pytest.approx(5_000)
    assert float(metrics["facility_energy_per_year"]) == pytest.approx(52_560)
    assert float(metrics["water_m3_per_year"]) == pytest.approx(43_800)  # 5 MW x 8,760 h x 1 L/kWh
    assert float(metrics["facility_mw_peak"]) == pytest.approx(14)
    # initial build: 50 M chips + 33.1 M construction and land + 1 M cooling + 3 M grid
    assert float(metrics["initial_capex"]) == pytest.approx(87.1e6, rel=1e-12)
    assert float(metrics["capex_total"]) == pytest.approx(87.1e6 + 50e6, rel=1e-12)
    # GPU-hours sold: 21.9 M contract + 10.95 M merchant per year, 5 years
    assert float(metrics["gpu_hours_sold"]) == pytest.approx(5 * 32.85e6, rel=1e-12)


def test_lcoc_is_the_after_tax_breakeven_price(toy_result, toy_case):
    """LCOC is after tax: at every GPU-hour price times realised / lcoc the NPV at 10 % is 0."""
    metrics = toy_result.metrics.sel(site="toy")
    factor = float(metrics["lcoc"] / metrics["realised_gpu_hour_price"])
    moved = tecmodel.evaluate(
        toy_case,
        overrides={
            "revenue.gpu_hour_price": 2.0 * factor,
            "revenue.contract_price": 1.5 * factor,
        },
    )
    scale = float(metrics["capex_total"])
    assert float(moved.metrics["npv"].sel(site="toy")) == pytest.approx(0.0, abs=1e-9 * scale)
    # The cushion reads the same factor: realised / lcoc - 1.
    assert float(metrics["price_cushion"]) == pytest.approx(1.0 / factor - 1.0, rel=1e-12)
    assert (float(metrics["price_cushion"]) < 0) == (float(metrics["npv"]) < 0)


def test_npv_splits_into_operating_and_horizon_value(toy_result):
    """npv_terminal = (30.3 M horizon value - 25 % tax on it) / 1.1^5 (no losses are carried
    into 2030, so the sale's tax is the rate times its value); the two parts add up to npv."""
    metrics = toy_result.metrics.sel(site="toy")
    assert float(toy_result.finance["loss_pool"].sel(site="toy", year=2029)) == 0.0
    expected = 30.3e6 * (1 - 0.25) / 1.1**5
    assert float(metrics["npv_terminal"]) == pytest.approx(expected, rel=1e-12)
    assert float(metrics["npv_operating"] + metrics["npv_terminal"]) == pytest.approx(
        float(metrics["npv"]), rel=1e-12
    )


def test_going_concern_exit_multiple_matches_hand_calculation(toy_case):
    """EBITDA 2030 = revenue 52.56 M - opex 6.4264 M = 46.1336 M; x 8 = 369.0688 M."""
    case = dataclasses.replace(toy_case, terminal=TerminalMethod("going_concern", "exit_multiple"))
    result = tecmodel.evaluate(case)
    row = result.cube.sel(site="toy", item="terminal_going_concern").values
    np.testing.assert_allclose(row, [0, 0, 0, 0, 0, 8 * 46.1336e6], rtol=1e-12)
    for name in ("chips_residual", "construction_residual", "cooling_residual"):
        assert not result.cube.sel(site="toy", item=name).values.any()


def test_going_concern_perpetuity_matches_hand_calculation(toy_case):
    """Sustaining capex: accelerators 5,000 x 10,000 EUR x (1 - 10 % resale) / 3 = 15 M/yr;
    shell and electrical 33 M / 10 = 3.3 M; grid 3 M / 10 = 0.3 M; cooling 1 M / 5 = 0.2 M:
    18.8 M/yr. Normalised FCF (46.1336 - 18.8) x (1 - 25 %) = 20.5002 M; value at 2030
    20.5002 M x 1.02 / (10 % - 2 %)."""
    case = dataclasses.replace(toy_case, terminal=TerminalMethod("going_concern", "perpetuity"))
    result = tecmodel.evaluate(case)
    value = float(result.cube.sel(site="toy", item="terminal_going_concern", year=2030))
    assert value == pytest.approx(20.5002e6 * 1.02 / 0.08, rel=1e-12)


def test_no_horizon_value_leaves_only_operations(toy_result, toy_case):
    """Method none: no horizon rows, npv_terminal 0, and npv_operating as with liquidation
    (the write-off of the remaining tax book value is operating in both)."""
    case = dataclasses.replace(toy_case, terminal=TerminalMethod("none"))
    result = tecmodel.evaluate(case)
    metrics = result.metrics.sel(site="toy")
    assert not result.cube.sel(site="toy", item=list(HORIZON_ROWS)).values.any()
    assert float(metrics["npv_terminal"]) == 0.0
    assert float(metrics["npv"]) == pytest.approx(float(metrics["npv_operating"]), rel=1e-12)
    assert float(metrics["npv_operating"]) == pytest.approx(
        float(toy_result.metrics["npv_operating"].sel(site="toy")), rel=1e-12
    )


def test_payback_year(toy_result):
    flows = toy_result.cube.sel(site="toy").sum("item").values
    cumulative = np.cumsum(flows)
    first = YEARS[int(np.argmax(cumulative >= 0))]
    assert (cumulative[YEARS.index(first) :] >= 0).all()
    assert float(toy_result.metrics["payback_year"].sel(site="toy")) == first
