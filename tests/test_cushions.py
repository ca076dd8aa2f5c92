"""The committee's cushions: how far utilisation and the discount rate may move before NPV = 0.

Each cushion is checked against an independent answer: the utilisation cushion against the
solver :func:`tecmodel.analysis.solvers.lowest_utilisation` (the full model evaluated at the
ends of the utilisation range, the root found by the Illinois method, then the full model
re-evaluated at the root), the discount-rate cushion against the definition of the IRR (the NPV
at a discount rate equal to the IRR is zero).
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis.solvers import SolverStatus, lowest_utilisation
from tecmodel.model.metrics import join_portfolio

#: Factors on every merchant GPU-hour price: the bundled doubled case as stated (NPV < 0 at a
#: utilisation of 1 for site 1: no break-even in range) up to a price at which both sites have
#: a positive cushion.
PRICE_FACTORS = [1.0, 1.05, 1.1, 1.2]


@pytest.fixture(scope="module")
def priced_result(doubled_case):
    price = doubled_case.value("revenue.gpu_hour_price")
    factors = xr.DataArray(PRICE_FACTORS, dims="sample")
    return tecmodel.evaluate(doubled_case, {"revenue.gpu_hour_price": price * factors})


def test_utilisation_cushion_is_the_steady_utilisation_less_the_solver_break_even(priced_result):
    """Where the solver finds the break-even utilisation in [0, 1], the cushion is the stated
    utilisation less it, per site and for the portfolio (both sites at 85 %, so one shift of
    both equals the solver's one factor on both)."""
    solution = lowest_utilisation(priced_result)
    metrics = join_portfolio(priced_result.metrics, priced_result.portfolio)
    cushion = metrics["utilisation_cushion"]
    stated = priced_result.parameters["revenue.utilisation"]
    assert float(stated.max()) == float(stated.min()) == 0.85  # the case file's figure
    solved = solution["status"] == SolverStatus.SOLVED
    assert int(solved.sum()) >= 9  # every sample of site 2, most of site 1 and the portfolio
    expected = (0.85 - solution["value"]).where(solved)
    np.testing.assert_allclose(cushion.where(solved).values, expected.values, atol=1e-9)
    # a positive cushion exactly where the NPV is positive
    np.testing.assert_array_equal((cushion > 0).values, (metrics["npv"] > 0).values)


def test_utilisation_cushion_beyond_full_utilisation_is_negative_and_still_defined(priced_result):
    """At the stated prices site 1 needs more than 100 % utilisation to break even: the solver
    has no root in [0, 1] (status 1), the cushion reads the break-even beyond it (negative)."""
    solution = lowest_utilisation(priced_result)
    first = dict(site="fluidstack_fr", sample=0)
    assert int(solution["status"].sel(first)) == SolverStatus.OUT_OF_REACH
    assert float(priced_result.metrics["utilisation_cushion"].sel(first)) < -0.15


def test_utilisation_cushion_moves_the_npv_to_zero(doubled_case, priced_result):
    """Evaluating the model with every site's utilisation lowered by the cushion gives NPV = 0
    (relative to the revenue), site by site."""
    cushion = priced_result.metrics["utilisation_cushion"].isel(sample=-1)
    sites = list(doubled_case.site_names)
    utilisation = priced_result.parameters["revenue.utilisation"] - cushion.sel(site=sites)
    price = doubled_case.value("revenue.gpu_hour_price") * PRICE_FACTORS[-1]
    moved = tecmodel.evaluate(
        doubled_case, {"revenue.gpu_hour_price": price, "revenue.utilisation": utilisation}
    )
    revenue = moved.cube.sel(item=["revenue_contract", "revenue_merchant"]).sum(["item", "year"])
    np.testing.assert_allclose(
        (moved.metrics["npv"].sel(site=sites) / revenue).values, 0.0, atol=1e-10
    )


def test_discount_rate_cushion_is_irr_less_the_rate_and_zeroes_the_npv(base_case, base_result):
    """The discount-rate cushion is IRR - discount rate; at the rate moved by it, the NPV is zero
    (the definition of the IRR)."""
    metrics = base_result.portfolio
    rate = base_case.value("finance.discount_rate")
    cushion = float(metrics["discount_rate_cushion"])
    assert cushion == float(metrics["irr"]) - float(rate)
    moved = tecmodel.evaluate(base_case, {"finance.discount_rate": float(rate) + cushion})
    scale = float(base_result.portfolio["capex_total"])
    assert abs(float(moved.portfolio["npv"])) < 1e-9 * scale
