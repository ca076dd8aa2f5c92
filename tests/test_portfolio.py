"""The portfolio kept apart from the sites: no sum over ``site`` counts it twice.

The model computes the portfolio with the sites (``tecmodel.model.metrics``) and splits every
result once: what is over ``site`` holds the sites only, the ``portfolio`` counterparts the
same variables without ``site``.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.model.metrics import PORTFOLIO, join_portfolio, split_portfolio

#: Metrics that are sums over the sites by definition (money and GPU-hours over the horizon):
#: the portfolio's is computed from the summed cash flow, so the two agree to rounding.
ADDITIVE = (
    "npv",
    "npv_operating",
    "npv_terminal",
    "capex_total",
    "initial_capex",
    "gpu_hours_sold",
    "equity_npv",
)


def _site_labels(dataset: xr.Dataset | xr.DataArray) -> list[str]:
    return [str(site) for site in dataset["site"].values] if "site" in dataset.dims else []


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_the_sum_over_sites_is_the_portfolio(fixture, request):
    """``result.metrics.npv.sum("site")`` is ``result.portfolio.npv`` (and so for every additive
    metric): the portfolio sums the sites' flows before discounting, the test sums their present
    values, so they agree to rounding (1e-12)."""
    result = request.getfixturevalue(fixture)
    for name in ADDITIVE:
        np.testing.assert_allclose(
            result.metrics[name].sum("site"), result.portfolio[name], rtol=1e-12, err_msg=name
        )
    np.testing.assert_allclose(
        result.free_cash_flow.sum("site"), result.portfolio_free_cash_flow, rtol=1e-12
    )
    np.testing.assert_allclose(
        result.sources_and_uses["amount"].sum("site"),
        result.portfolio_sources_and_uses["amount"],
        rtol=1e-12,
    )


def test_the_sum_over_sites_is_the_portfolio_in_every_sample(doubled_case):
    """The same per sample of a Monte Carlo study of the two-site case."""
    study = tecmodel.monte_carlo(doubled_case, n=64, seed=0, block_size=64, progress=False)
    for name in ("npv", "npv_operating", "npv_terminal", "equity_npv"):
        np.testing.assert_allclose(
            study.samples[name].sum("site"), study.portfolio_samples[name], rtol=1e-12
        )


def test_no_result_has_the_portfolio_as_a_site(doubled_result, doubled_case):
    """Every dataset over ``site`` of a result, a scenario result and a Monte Carlo study holds
    the case's sites and nothing else; the portfolio's datasets have no ``site``."""
    sites = list(doubled_case.site_names)
    result = doubled_result
    scenarios = tecmodel.evaluate_scenarios(doubled_case)
    study = tecmodel.monte_carlo(doubled_case, n=64, seed=0, block_size=64, progress=False)
    over_sites = {
        "metrics": result.metrics,
        "free_cash_flow": result.free_cash_flow,
        "equity_cash_flow": result.equity_cash_flow,
        "budget": result.budget,
        "sources_and_uses": result.sources_and_uses,
        "cube": result.cube,
        "equity_cube": result.equity_cube,
        "finance": result.finance,
        "financing": result.financing,
        "quantities": result.quantities,
        "parameters": result.parameters,
        "scenario metrics": scenarios.metrics,
        "study samples": study.samples,
        "study summary": study.summary,
    }
    for name, dataset in over_sites.items():
        assert _site_labels(dataset) == sites, name
    portfolio = {
        "portfolio": result.portfolio,
        "portfolio_free_cash_flow": result.portfolio_free_cash_flow,
        "portfolio_equity_cash_flow": result.portfolio_equity_cash_flow,
        "portfolio_budget": result.portfolio_budget,
        "portfolio_sources_and_uses": result.portfolio_sources_and_uses,
        "scenario portfolio": scenarios.portfolio,
        "study portfolio_samples": study.portfolio_samples,
        "study portfolio_summary": study.portfolio_summary,
        "study paths": study.paths,
        "study cash_flows": study.cash_flows,
    }
    for name, dataset in portfolio.items():
        assert "site" not in dataset.dims, name
    # the portfolio has every metric of the sites, with the same units
    assert list(result.portfolio.data_vars) == list(result.metrics.data_vars)
    for name in result.metrics.data_vars:
        assert result.portfolio[name].attrs == result.metrics[name].attrs, name


def test_split_and_join_are_inverse(doubled_result):
    """Joined, the sites and the portfolio are the table form (the portfolio the last label);
    split again, they are what they were, bit for bit."""
    joined = join_portfolio(doubled_result.metrics, doubled_result.portfolio)
    assert _site_labels(joined) == [*doubled_result.case.site_names, PORTFOLIO]
    sites, portfolio = split_portfolio(joined)
    xr.testing.assert_identical(sites, doubled_result.metrics)
    xr.testing.assert_identical(portfolio, doubled_result.portfolio)
