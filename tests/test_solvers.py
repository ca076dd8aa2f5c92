"""Decision solvers hit their targets: each answer is re-evaluated here with the full model.

The expected values are the targets themselves (IRR = hurdle, NPV = 0, funded MW = plan MW);
the model is evaluated independently of the solver at its answer.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis import solvers
from tecmodel.model.metrics import join_portfolio

from .test_financing import quantity, sculpted_tranche, toy_case


def _metrics(result):
    """The metrics over the sites and the portfolio, the form of every solver's answer."""
    return join_portfolio(result.metrics, result.portfolio)


PRICES = ("revenue.gpu_hour_price", "revenue.contract_price")


@pytest.fixture(scope="module")
def levered_toy():
    """The toy campus with a sculpted senior loan and a GPU loan per generation."""
    gpu = {
        "name": "gpu",
        "funds": ["chips"],
        "share": quantity(50, "%"),
        "interest_rate": quantity(7, "%/yr"),
        "tenor": quantity(3, "yr"),
        "repayment": "straight_line",
        "recurring": True,
        "upfront_fee": quantity(1, "%"),
    }
    case = toy_case(
        [
            gpu,
            sculpted_tranche(
                funds=["facility"],
                share=quantity(70, "%"),
                target_dscr=quantity(1.5, "1"),
                grace=quantity(0, "yr"),
                tenor=quantity(4, "yr"),
            ),
        ],
        cost_of_equity=quantity(14, "%/yr"),
    )
    return tecmodel.evaluate(case)


def scaled_prices(case, factor: float):
    return {name: case.value(name) * factor for name in PRICES}


@pytest.mark.parametrize("basis, target", [("project", 0.30), ("equity", 0.45)])
def test_price_for_target_irr_gives_the_hurdle(levered_toy, basis, target):
    solution = solvers.price_for_target_irr(levered_toy, target, basis=basis)
    case = levered_toy.case
    assert int(solution["status"].sel(site="toy")) == solvers.SOLVED
    factor = float(solution["factor"].sel(site="toy"))
    check = tecmodel.evaluate(case, scaled_prices(case, factor)).metrics.sel(site="toy")
    name = "irr" if basis == "project" else "equity_irr"
    assert int(check[f"{name}_status"]) == 0
    assert float(check[name]) == pytest.approx(target, abs=1e-8)
    # the reported price is the case's prices scaled, levelised at the hurdle
    assert float(solution["value"].sel(site="toy")) == pytest.approx(
        factor * float(solvers.levelised_price(levered_toy, target).sel(site="toy")), rel=1e-12
    )


def test_project_breakeven_solver_returns_the_metric_with_its_check(base_result):
    """One break-even: the solver's project answer is the model's metric itself (bit for bit), and
    the full model evaluated at that factor has NPV = 0 (within the check tolerance of PV revenue)."""
    solution = solvers.breakeven_price(base_result)
    np.testing.assert_array_equal(
        solution["factor"].values, _metrics(base_result)["breakeven_price_factor"].values
    )
    np.testing.assert_array_equal(
        solution["value"].values, _metrics(base_result)["breakeven_gpu_hour_price"].values
    )
    assert (solution["status"] == solvers.SOLVED).all()
    assert float(np.abs(solution["check"]).max()) <= solvers.CHECK_TOLERANCE


@pytest.mark.parametrize("target", [-1.5, 12.0])
def test_a_hurdle_outside_the_irr_range_is_refused(base_result, target):
    """The IRR is looked for in [-99 %, 1000 %] per year (numerics.irr defaults): a hurdle outside
    cannot be checked, so it is refused instead of reported as solved."""
    with pytest.raises(ValueError, match="outside the range"):
        solvers.price_for_target_irr(base_result, target)


def test_equity_breakeven_zeroes_the_equity_npv(levered_toy):
    solution = solvers.breakeven_price(levered_toy, basis="equity")
    factor = float(solution["factor"].sel(site="toy"))
    equity_npv = float(
        tecmodel.evaluate(levered_toy.case, scaled_prices(levered_toy.case, factor))
        .metrics["equity_npv"]
        .sel(site="toy")
    )
    revenue = float(levered_toy.cube.sel(item=["revenue_contract", "revenue_merchant"]).sum())
    assert abs(equity_npv) < 1e-9 * revenue


@pytest.mark.parametrize(
    "solver, name",
    [
        (solvers.highest_chip_cost, "chips.unit_price"),
        (solvers.lowest_utilisation, "revenue.utilisation"),
    ],
)
def test_input_solvers_zero_the_npv(doubled_case, solver, name):
    # GPU-hour prices 30 % above the case's so that every site (and the portfolio) has an
    # admissible chip price and utilisation at which its NPV is zero.
    raised = {
        "revenue.gpu_hour_price": doubled_case.value("revenue.gpu_hour_price") * 1.3,
        "revenue.contract_price": doubled_case.value("revenue.contract_price") * 1.3,
    }
    doubled_result = tecmodel.evaluate(doubled_case, raised)
    solution = solver(doubled_result)
    assert (solution["status"] == solvers.SOLVED).all()
    case = doubled_result.case
    values = solution["value"].sel(site=list(case.site_names))
    check = tecmodel.evaluate(case, {**raised, name: values})
    scale = doubled_result.metrics["capex_total"]
    for site in case.site_names:
        assert abs(float(check.metrics["npv"].sel(site=site))) < 1e-9 * float(scale.sel(site=site))
    # the portfolio answer is one factor on every site's value
    factor = float(solution["factor"].sel(site="portfolio"))
    portfolio = tecmodel.evaluate(case, {**raised, name: case.value(name) * factor}).portfolio
    assert abs(float(portfolio["npv"])) < 1e-9 * float(doubled_result.portfolio["capex_total"])


def test_no_solution_in_range_is_reported():
    """GPU-hour prices so low that no chip price or utilisation pays, and so high (with half the
    capacity on take-or-pay contracts) that even zero merchant utilisation pays."""
    case = toy_case()
    cheap = tecmodel.evaluate(case, scaled_prices(case, 0.01))
    for solution in (solvers.lowest_utilisation(cheap), solvers.highest_chip_cost(cheap)):
        assert (solution["status"] == solvers.OUT_OF_REACH).all()
        assert np.isnan(solution["value"]).all()
        assert "out of reach" in solvers.describe(solution)
    dear = tecmodel.evaluate(case, scaled_prices(case, 30.0))
    utilisation = solvers.lowest_utilisation(dear)
    assert (utilisation["status"] == solvers.MET_EVERYWHERE).all()
    assert np.isnan(utilisation["value"]).all()
    assert "met across the whole range" in solvers.describe(utilisation)


def test_solvers_are_vectorised_over_samples():
    """Two samples solved together equal each solved alone."""
    case = toy_case()
    utilisation = [0.7, 0.95]
    together = solvers.price_for_target_irr(
        tecmodel.evaluate(case, {"utilisation": xr.DataArray(utilisation, dims="sample")}), 0.25
    )
    for index, value in enumerate(utilisation):
        alone = solvers.price_for_target_irr(tecmodel.evaluate(case, {"utilisation": value}), 0.25)
        np.testing.assert_allclose(
            together["value"].isel(sample=index).values, alone["value"].values, rtol=1e-9
        )


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_price_breakdown_sums_to_the_breakeven_price(fixture, request):
    result = request.getfixturevalue(fixture)
    project = solvers.price_breakdown(result)
    np.testing.assert_allclose(
        project["total"].values, _metrics(result)["breakeven_gpu_hour_price"].values, rtol=1e-9
    )
    assert (project["contribution"].sel(group="financing") == 0).all()
    assert (
        project["contribution"].sel(group="chips") > project["contribution"].sel(group="power")
    ).all()
    equity = solvers.price_breakdown(result, basis="equity")
    np.testing.assert_allclose(equity["total"].values, equity["breakeven_price"].values, rtol=1e-9)
    assert (equity["contribution"].sel(group="financing") != 0).all()


def test_budget_for_the_full_plan_funds_it(base_result):
    solution = solvers.budget_for_plan(base_result)
    budget = float(solution["budget_for_plan_mw"].sel(site="fluidstack_fr"))
    assert budget == pytest.approx(
        float(base_result.budget["plan_uses"].sel(site="fluidstack_fr")), rel=1e-9
    )
    params = base_result.parameters.assign(
        {"plan.budget": base_result.parameters["plan.budget"] * 0 + budget}
    )
    funded = dataclasses.replace(base_result, parameters=params).budget.sel(site="fluidstack_fr")
    assert float(funded["funded_it_mw"]) == pytest.approx(float(funded["plan_it_mw"]), rel=1e-9)
    for_chips = float(solution["budget_for_plan_accelerators"].sel(site="fluidstack_fr"))
    params = base_result.parameters.assign(
        {"plan.budget": base_result.parameters["plan.budget"] * 0 + for_chips}
    )
    funded = dataclasses.replace(base_result, parameters=params).budget.sel(site="fluidstack_fr")
    assert float(funded["funded_accelerators"]) == pytest.approx(500_000, rel=1e-9)
