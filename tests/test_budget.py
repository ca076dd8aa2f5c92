"""What the budget buys: the toy case against a hand calculation.

One MW IT fully equipped (toy, all prices flat): 500 accelerators x 10,000 EUR = 5.0 M;
shell 1.0 M and electrical 2.0 M with 10 % contingency = 3.3 M; cooling 0.1 M; land 0.01 M:
8.41 M per MW IT. The plan's 20 MW at the meter hold 20 / 1.4 (peak PUE) = 14.2857 MW IT =
7,142.9 accelerators at 2 kW (the stated 7,000 is within 5 %: consistent). Plan capex =
14.2857 x 8.41 M + grid (1 M + 20 x 0.1 M) = 123.143 M; the 100 M budget covers 81.2 % and
funds (100 - 1) / (8.41 + 0.1 x 1.4) = 11.579 MW IT = 5,789.5 accelerators.
"""

from __future__ import annotations

import pytest


def test_budget_analysis_matches_hand_calculation(toy_result):
    budget = toy_result.budget.sel(site="toy")
    assert float(budget["capex_per_it_mw"]) == pytest.approx(8.41e6, rel=1e-12)
    assert float(budget["plan_it_mw"]) == pytest.approx(20 / 1.4, rel=1e-12)
    assert float(budget["plan_accelerators_fit"]) == pytest.approx(20 / 1.4 * 500, rel=1e-12)
    assert float(budget["plan_capex"]) == pytest.approx(20 / 1.4 * 8.41e6 + 3e6, rel=1e-12)
    assert float(budget["budget_coverage"]) == pytest.approx(
        100e6 / (20 / 1.4 * 8.41e6 + 3e6), rel=1e-12
    )
    assert float(budget["funded_it_mw"]) == pytest.approx(99e6 / 8.55e6, rel=1e-12)
    assert float(budget["funded_accelerators"]) == pytest.approx(99e6 / 8.55e6 * 500, rel=1e-12)
    notes = toy_result.budget.attrs["notes"]
    assert any("fit its grid MW" in note for note in notes)


def test_base_case_flags_the_500k_chip_claim(base_result):
    """REFERENCE_INPUTS 2.1: 500,000 chips do not fit 1 GW at the meter at PUE ~1.3 (they fit 1 GW of IT)."""
    budget = base_result.budget.sel(site="fluidstack_fr")
    assert (
        float(budget["plan_accelerators_fit"])
        < 500_000
        < float(budget["plan_accelerators_it_reading"]) * 1.1
    )
    assert any("do not fit" in note for note in base_result.budget.attrs["notes"])
    assert float(budget["budget_coverage"]) < 0.5
