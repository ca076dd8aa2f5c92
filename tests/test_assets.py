"""Every asset is depreciated and aged from its year of service, the grid connection included."""

from __future__ import annotations

import numpy as np
import pytest

from tecmodel.model.components.construction import grid_connection_in_service, grid_connection_spend
from tecmodel.model.timeline import escalation


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_grid_connection_depreciates_from_the_year_its_capacity_is_in_service(fixture, request):
    """The connection is paid the year before its capacity is available (2025 for the 400 MW of
    2026 in the EUR 10B case); its tax depreciation starts with the capacity, not the payment."""
    result = request.getfixturevalue(fixture)
    for site in result.case.site_names:
        depreciation = result.finance.depreciation.sel(asset_class="grid_connection", site=site)
        service = result.timeline["grid_service_mw"].sel(site=site)
        paid = -result.cube.sel(item="construction_grid_connection", site=site)
        first_depreciation = int(depreciation["year"][depreciation > 0][0])
        first_service = int(service["year"][service > 0][0])
        first_payment = int(paid["year"][paid > 0][0])
        assert first_depreciation == first_service
        if first_service > result.case.start_year:
            assert first_payment == first_service - 1


def test_grid_connection_in_service_adds_up_to_what_is_paid(base_result):
    """The same euros, shifted a year: the sum placed in service equals the sum paid. Hand check
    of the sum (inputs/base_10b.yaml): 2025, 400 MW x 0.1 M EUR/MW + 20 M EUR fixed = 60 M EUR;
    2027, 600 MW x 0.1 M EUR/MW x 1.02^2 (2 % inflation, two years) = 62.424 M EUR."""
    params, timeline = base_result.parameters, base_result.timeline
    escalated = escalation(timeline, params["finance.inflation"])
    paid = grid_connection_spend(
        timeline["grid_connection_mw"],
        params["grid.connection_fixed_cost"],
        params["grid.connection_cost_per_mw"],
        escalated,
    )
    served = grid_connection_in_service(
        timeline["grid_service_mw"],
        params["grid.connection_fixed_cost"],
        params["grid.connection_cost_per_mw"],
        escalated,
    )
    np.testing.assert_allclose(float(served.sum()), float(paid.sum()), rtol=1e-15)
    assert float(paid.sum()) == pytest.approx(122_424_000.0)  # 60 M in 2025 + 62.424 M in 2027


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_accelerator_counts_are_whole_and_rounded_down_to_fit_the_envelope(fixture, request):
    """Each phase holds floor(IT MW x 1,000 / kW per accelerator) accelerators: a whole number
    whose IT power fits the phase's MW, and one more would not."""
    result = request.getfixturevalue(fixture)
    count = result.quantities["accelerators_per_phase"]
    kw = result.parameters["chips.it_kw_per_accelerator"]
    envelope_kw = result.timeline["phase_it_mw"] * 1000.0
    np.testing.assert_array_equal(count, np.round(count))
    assert bool((count * kw <= envelope_kw * (1 + 1e-12)).all())
    assert bool(((count + 1) * kw > envelope_kw).all())
