"""What the budget buys: the toy case against a hand calculation.

One MW IT fully equipped (toy, all prices flat): 500 accelerators x 10,000 EUR = 5.0 M;
shell 1.0 M and electrical 2.0 M with 10 % contingency = 3.3 M; cooling 0.1 M; land 0.01 M:
8.41 M per MW IT. The plan's 20 MW at the meter hold 20 / 1.4 (peak PUE) = 14.2857 MW IT =
7,142.9 accelerators at 2 kW (the stated 7,000 is within 5 %: consistent). Plan capex =
14.2857 x 8.41 M + grid (1 M + 20 x 0.1 M) = 123.143 M.

The uses of funds of the modelled 10 MW IT (no debt, so no interest, fees or reserve):
capex 10 x 8.41 M + grid 3 M = 87.1 M; development and owner's costs 3 % (the registry default)
= 2.613 M; working capital of 2027, the first full year after the 2026 build: revenue 52.56 M x
45 / 365.25 - opex 6.4264 M x 30 / 365.25 (revenue and opex as tests/test_reference_toy.py
derives them) = 5.94773 M. Uses 95.6607 M, 9.56607 M per MW IT: the 100 M budget buys
100 / 9.56607 = 10.4536 MW IT = 5,226.8 accelerators, and covers 100 / (14.2857 x 9.56607 M) of
the plan.
"""

from __future__ import annotations

import pytest


def test_budget_analysis_matches_hand_calculation(toy_result):
    budget = toy_result.budget.sel(site="toy")
    assert float(budget["capex_per_it_mw"]) == pytest.approx(8.41e6, rel=1e-12)
    assert float(budget["plan_it_mw"]) == pytest.approx(20 / 1.4, rel=1e-12)
    assert float(budget["plan_accelerators_fit"]) == pytest.approx(20 / 1.4 * 500, rel=1e-12)
    assert float(budget["plan_capex"]) == pytest.approx(20 / 1.4 * 8.41e6 + 3e6, rel=1e-12)
    working_capital = 52.56e6 * 45 / 365.25 - 6_426_400.0 * 30 / 365.25
    uses = 87.1e6 + 0.03 * 87.1e6 + working_capital
    assert float(budget["uses"]) == pytest.approx(uses, abs=0.01)  # lines rounded to the cent
    assert float(budget["uses_per_it_mw"]) == pytest.approx(uses / 10, rel=1e-9)
    assert float(budget["budget_coverage"]) == pytest.approx(
        100e6 / (20 / 1.4 * uses / 10), rel=1e-9
    )
    assert float(budget["funded_it_mw"]) == pytest.approx(100e6 / (uses / 10), rel=1e-9)
    assert float(budget["funded_accelerators"]) == pytest.approx(
        100e6 / (uses / 10) * 500, rel=1e-9
    )
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
