"""Finance kernels and whole-model invariants: depreciation, loss carry-forward, NPV, IRR, break-even."""

from __future__ import annotations

import numpy as np
import numpy_financial as npf
import pytest

import tecmodel
from tecmodel.model import metrics, tax_kernels
from tecmodel.model.cube import item_total
from tecmodel.model.tax import loss_carry_forward_tax, straight_line_depreciation


def test_straight_line_depreciation_matches_excel_sln():
    """Excel =SLN(300, 0, 3) = 100 per year for 3 years; a second addition of 60 over 3 years adds 20."""
    additions = np.array([300.0, 0.0, 60.0, 0.0, 0.0, 0.0])
    result = straight_line_depreciation(additions, np.array(3))
    np.testing.assert_allclose(result, [100, 100, 120, 20, 20, 0])


def test_straight_line_depreciation_per_column_lives():
    """Two sites with lives 2 and 4: 80 -> 40, 40 and 20, 20, 20, 20."""
    additions = np.array([[80.0, 80.0], [0, 0], [0, 0], [0, 0], [0, 0]])
    result = straight_line_depreciation(additions, np.array([2, 4]))
    np.testing.assert_allclose(result[:, 0], [40, 40, 0, 0, 0])
    np.testing.assert_allclose(result[:, 1], [20, 20, 20, 20, 0])


def test_loss_carry_forward_french_cap():
    """CGI art. 209-I: a 10 M loss offsets 1 M + 50 % x (10 - 1) M = 5.5 M of a 10 M profit.

    Year 1: loss 10 M, no tax, pool 10 M. Year 2: profit 10 M, relief 5.5 M, taxable 4.5 M,
    tax 25 % = 1.125 M, pool 4.5 M. Year 3: profit 3 M, relief min(4.5, 1 + 0.5 x 2) = 2 M,
    taxable 1 M, tax 0.25 M, pool 2.5 M. Year 4: profit 0.5 M (below the fixed 1 M): relief
    0.5 M, tax 0, pool 2 M.
    """
    schedule = loss_carry_forward_tax(np.array([-10e6, 10e6, 3e6, 0.5e6]), 0.25, 1e6, 0.5)
    np.testing.assert_allclose(schedule.loss_relief, [0, 5.5e6, 2e6, 0.5e6])
    np.testing.assert_allclose(schedule.taxable_income, [0, 4.5e6, 1e6, 0])
    np.testing.assert_allclose(schedule.tax, [0, 1.125e6, 0.25e6, 0])
    np.testing.assert_allclose(schedule.loss_pool, [10e6, 4.5e6, 2.5e6, 2e6])


def test_breakeven_slope_matches_finite_difference():
    """The forward-mode derivative of the after-tax NPV in the price factor m (carried through
    the loss carry-forward), which the break-even Newton uses, equals a central difference of
    the NPV itself, computed by the same kernel at m +/- h."""
    rng = np.random.default_rng(3)
    members, groups, years = 2, 200, 15
    profit = rng.normal(0, 5e6, size=(members, groups, years))
    revenue = np.abs(rng.normal(5e6, 1e6, size=(members, groups, years)))
    discount = np.broadcast_to(1.08 ** -np.arange(years), profit.shape).copy()
    pre_tax_pv = rng.normal(0, 1e7, size=(members, groups))
    revenue_pv = (revenue * discount).sum(axis=2)
    tax = [np.full((members, groups), value) for value in (0.25, 1e6, 0.5)]
    step = 1e-6
    for group in range(groups):
        factor = 1.0 + 0.3 * rng.standard_normal()
        args = (profit, revenue, discount, pre_tax_pv, revenue_pv, *tax)
        _, slope = tax_kernels._npv_and_slope(factor, group, *args)
        up, _ = tax_kernels._npv_and_slope(factor + step, group, *args)
        down, _ = tax_kernels._npv_and_slope(factor - step, group, *args)
        assert slope == pytest.approx(
            (up - down) / (2 * step), rel=1e-5, abs=1e-2 * revenue_pv.sum()
        )


def test_breakeven_factor_zeroes_the_after_tax_npv():
    """The kernel's factor m gives NPV(m) = 0 for each group (the NPV evaluated independently
    with the tax schedule of :func:`loss_carry_forward_tax` at the shifted profit)."""
    rng = np.random.default_rng(5)
    years, series = 12, 50
    profit = rng.normal(2e6, 6e6, size=(years, series))
    revenue = np.abs(rng.normal(8e6, 1e6, size=(years, series)))
    discount = (1.07 ** -np.arange(years))[:, None]
    pre_tax = profit - 0.5e6
    pre_tax_pv = (pre_tax * discount).sum(axis=0)
    revenue_pv = (revenue * discount).sum(axis=0)
    factor, converged = metrics.breakeven_revenue_factor(
        pre_tax_pv, revenue_pv, profit, revenue, discount, 0.25, 1e6, 0.5
    )
    assert converged.all()
    tax = loss_carry_forward_tax(profit + (factor - 1.0) * revenue, 0.25, 1e6, 0.5).tax
    npv_after_tax = pre_tax_pv + (factor - 1.0) * revenue_pv - (tax * discount).sum(axis=0)
    np.testing.assert_allclose(
        npv_after_tax, 0.0, atol=1e-8 * np.maximum(np.abs(pre_tax_pv), revenue_pv).max()
    )


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_npv_matches_numpy_financial(fixture, request):
    result = request.getfixturevalue(fixture)
    rate = float(result.parameters["finance.discount_rate"])
    for site in result.metrics["site"].values:
        flows = result.free_cash_flow.sel(site=site).values
        assert float(result.metrics["npv"].sel(site=site)) == pytest.approx(
            npf.npv(rate, flows), rel=1e-12
        )


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_irr_matches_numpy_financial_and_zeroes_npv(fixture, request):
    result = request.getfixturevalue(fixture)
    for site in result.metrics["site"].values:
        flows = result.free_cash_flow.sel(site=site).values
        rate = float(result.metrics["irr"].sel(site=site))
        assert int(result.metrics["irr_status"].sel(site=site)) == 0
        assert rate == pytest.approx(npf.irr(flows), abs=1e-9)
        assert abs(npf.npv(rate, flows)) < 1e-6 * np.abs(flows).max()


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result", "toy_result"])
def test_npv_is_zero_at_the_breakeven_price(fixture, request):
    """Re-evaluate the whole model with every GPU-hour price scaled by the break-even factor."""
    result = request.getfixturevalue(fixture)
    case = result.case
    for site in case.site_names:
        factor = float(result.metrics["breakeven_price_factor"].sel(site=site))
        overrides = {
            name: case.value(name).where(
                case.value(name)["site"] != site, case.value(name) * factor
            )
            for name in ("revenue.gpu_hour_price", "revenue.contract_price")
        }
        scaled = tecmodel.evaluate(case, overrides)
        npv = float(scaled.metrics["npv"].sel(site=site))
        revenue_scale = float(
            result.cube.sel(site=site, item=["revenue_contract", "revenue_merchant"]).sum()
        )
        assert abs(npv) < 1e-8 * revenue_scale
        # the realised price at the break-even factor is the reported break-even price
        assert float(scaled.metrics["realised_gpu_hour_price"].sel(site=site)) == pytest.approx(
            float(result.metrics["breakeven_gpu_hour_price"].sel(site=site)), rel=1e-10
        )
    # portfolio: one factor on every site's prices
    factor = float(result.portfolio["breakeven_price_factor"])
    overrides = {
        name: case.value(name) * factor
        for name in ("revenue.gpu_hour_price", "revenue.contract_price")
    }
    npv = float(tecmodel.evaluate(case, overrides).portfolio["npv"])
    assert abs(npv) < 1e-8 * float(
        result.cube.sel(item=["revenue_contract", "revenue_merchant"]).sum()
    )


def test_lcoc_is_the_after_tax_breakeven_and_the_cushion_reads_it(base_result):
    """LCOC is defined after tax, as the break-even; the cushion is realised / LCOC - 1."""
    metrics = base_result.portfolio
    assert float(metrics["breakeven_gpu_hour_price"]) == float(metrics["lcoc"])
    assert float(metrics["price_cushion"]) == pytest.approx(
        float(metrics["realised_gpu_hour_price"] / metrics["lcoc"]) - 1.0, rel=1e-12
    )
    assert (float(metrics["npv"]) > 0) == (float(metrics["price_cushion"]) > 0)
    # NPV > 0 exactly when the realised price beats break-even
    assert (float(metrics["npv"]) > 0) == (
        float(metrics["realised_gpu_hour_price"]) > float(metrics["breakeven_gpu_hour_price"])
    )


def test_free_cash_flow_is_the_sum_of_the_cube(doubled_result):
    """One cube: FCF is the sum of the non-financing items, the equity cash flow the sum of every
    item, the portfolio the site sum, and NPV the discounted total of FCF.

    The stacked cube totals bit for bit like the rows it came from (one ordered-sum
    definition); numpy's own sum over items adds in another order, so it agrees to rounding
    (1e-14 of the largest flow)."""
    full_cube = doubled_result.equity_cube
    cube = doubled_result.cube
    assert "financing" not in set(cube["category"].values)  # the documented unlevered cube
    np.testing.assert_array_equal(cube.values, full_cube.sel(item=cube["item"]).values)
    fcf = doubled_result.free_cash_flow
    site = dict(site="fluidstack_fr")
    np.testing.assert_array_equal(fcf.sel(**site).values, item_total(cube).sel(**site).values)
    scale = float(np.abs(fcf).max())
    np.testing.assert_allclose(
        fcf.sel(**site).values, cube.sel(**site).sum("item").values, rtol=0, atol=1e-14 * scale
    )
    np.testing.assert_allclose(
        doubled_result.portfolio_free_cash_flow.values,
        cube.sum(("item", "site")).values,
        rtol=0,
        atol=1e-14 * scale,
    )
    np.testing.assert_allclose(
        doubled_result.portfolio_equity_cash_flow.values,
        full_cube.sum(("item", "site")).values,
        rtol=0,
        atol=1e-14 * scale,
    )
    cumulative = (fcf * 1.09 ** -(fcf["year"] - 2025)).cumsum("year")
    np.testing.assert_allclose(
        cumulative.isel(year=-1).values, doubled_result.metrics["npv"].values, rtol=1e-12
    )


def test_straight_line_depreciation_uniform_and_per_series_lives_agree():
    """The slice path (one life for all series) and the gather path (a life per series) are
    the same formula: equal bit for bit when every series has the same life, including lives
    longer than the horizon (nothing fully depreciated: 100 / 30 a year)."""
    rng = np.random.default_rng(11)
    additions = rng.uniform(0, 100, size=(21, 7))
    for life in (1, 3, 21, 30):
        uniform = straight_line_depreciation(additions, np.array(life))
        # a second life on a padding column forces the per-series path for the real ones
        padded = np.concatenate([additions, np.zeros((21, 1))], axis=1)
        lives = np.array([life] * 7 + [life + 1])
        per_series = straight_line_depreciation(padded, lives)[:, :7]
        np.testing.assert_array_equal(uniform, per_series)
    np.testing.assert_allclose(
        straight_line_depreciation(np.array([100.0, 0, 0]), np.array(30)), [100 / 30] * 3
    )


def test_discounted_payback_is_later_than_the_undiscounted_one():
    """Hand calculation: flows -100, 50, 55 (2025-2027). Undiscounted cumulative -100, -50, +5:
    payback 2027. At 10 %: -100, -54.55, -9.09: no discounted payback within the horizon."""
    import xarray as xr

    from tecmodel.model.metrics import discount_factors, payback_year

    flows = xr.DataArray([-100.0, 50.0, 55.0], dims="year", coords={"year": [2025, 2026, 2027]})
    t = xr.DataArray([0.0, 1.0, 2.0], dims="year", coords=flows.coords)
    assert float(payback_year(flows)) == 2027
    assert np.isnan(float(payback_year(flows * discount_factors(0.10, t))))


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_the_bundled_cases_pay_back_later_when_discounted(fixture, request):
    metrics = request.getfixturevalue(fixture).metrics
    plain, discounted = metrics["payback_year"], metrics["discounted_payback_year"]
    # Discounting only shrinks the later inflows: a case that never pays back discounted (NaN)
    # may pay back undiscounted, never the reverse.
    assert (discounted >= plain).where(discounted.notnull(), True).all()
    assert not (plain.isnull() & discounted.notnull()).any()
    assert plain.notnull().any()
