"""Debt as a lender sizes it: fixed across samples and scenarios, never a negative principal,
per-borrower covenants, the debt service reserve by hand, sources and uses to the cent.

Expected numbers come from hand calculations in the docstrings.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis.debt_sizing import size_on_quantile
from tecmodel.analysis.scenarios import evaluate_scenarios
from tecmodel.cli.main import main
from tecmodel.model.budget import DEBT_PREFIX, TOTAL_SOURCES, TOTAL_USES, construction_end_year
from tecmodel.model.covenants import covenant_accounts
from tecmodel.model.evaluation import debt_schedule
from tecmodel.model.tranches import ANNUITY, SCULPTED, STRAIGHT_LINE, tranche_schedules

# --------------------------------------------------------------------------- fixed debt


@pytest.fixture(scope="module")
def base_study(base_case):
    return tecmodel.monte_carlo(base_case, n=512, seed=0, progress=False)


def test_the_debt_drawn_has_zero_spread_over_a_monte_carlo_study(base_study, base_result):
    """Debt is sized once on the case as stated: every sample draws the same amount, the
    deterministic run's, to the last bit (no perfect-foresight re-sculpting)."""
    drawn = base_study.samples["debt_drawn"].sel(site="fluidstack_fr").values
    assert np.ptp(drawn) == 0.0
    assert drawn[0] == float(base_result.metrics["debt_drawn"].sel(site="fluidstack_fr"))
    # the samples do differ: the NPV has a spread of billions
    assert float(base_study.portfolio_samples["npv"].std()) > 1e9


def test_a_run_as_stated_keeps_its_schedule_for_the_what_ifs_that_follow():
    """The case as stated is the sizing case: its own run keeps the schedule it sized, so a
    scenario or sample run after it carries that very schedule instead of evaluating the case
    again; a run with overrides first sizes it on the case as stated."""
    case = tecmodel.load_case("base_10b")
    stated = tecmodel.evaluate(case)
    assert debt_schedule(case) is stated.debt_schedule
    what_if = tecmodel.evaluate(case, {"revenue.utilisation": 0.7})
    assert what_if.debt_schedule is stated.debt_schedule
    other = tecmodel.load_case("base_10b")  # a new case object sizes its own, equal schedule
    fresh = tecmodel.evaluate(other, {"revenue.utilisation": 0.7}).debt_schedule
    assert fresh is not stated.debt_schedule
    xr.testing.assert_identical(fresh, stated.debt_schedule)


def test_the_facility_loan_schedule_is_the_same_in_every_sample_and_scenario(base_case):
    """Sampled overrides over ``sample`` and the named scenarios over ``scenario``: the facility
    loan's drawdowns, principal and balance do not move along either dimension."""
    samples = {
        "construction.shell_core_per_mw": np.array([2.4e6, 3.3e6, 4.8e6]),
        "revenue.utilisation": np.array([0.6, 0.8, 0.95]),
    }
    overrides = {name: xr.DataArray(values, dims="sample") for name, values in samples.items()}
    sampled = tecmodel.evaluate(base_case, overrides).financing.sel(tranche="facility_loan")
    scenarios = evaluate_scenarios(base_case).financing.sel(tranche="facility_loan")
    for financing, dim in ((sampled, "sample"), (scenarios, "scenario")):
        for name in ("drawdown", "principal", "balance", "capitalised_interest"):
            values = financing[name].transpose(dim, ...).values
            np.testing.assert_array_equal(values, np.broadcast_to(values[0], values.shape))
    # the covenants do move with the sample's own cash flow
    cfads = tecmodel.evaluate(base_case, overrides).financing["cfads"]
    assert float(cfads.std("sample").max()) > 1e8


# --------------------------------------------------------------------------- no negative principal


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_no_principal_is_negative_in_the_bundled_cases(fixture, request):
    result = request.getfixturevalue(fixture)
    scenarios = evaluate_scenarios(result.case)
    for financing in (result.financing, result.debt_schedule, scenarios.financing):
        assert float(financing["principal"].min()) >= 0.0
        assert float(financing["balance"].min()) >= 0.0


@pytest.mark.parametrize("mode", [SCULPTED, ANNUITY, STRAIGHT_LINE])
def test_no_principal_is_negative_in_10000_sampled_schedules(mode):
    """10,000 random schedules (seeded): capex in the first 1-3 years, CFADS that dips below
    zero in some years (an equity-funded refresh), other tranches' service up to CFADS. Every
    principal is non-negative, every balance too, and what is lent is repaid within the horizon
    or reported at the horizon."""
    rng = np.random.default_rng(20261205)
    n_years, n = 16, 10_000
    funded = np.zeros((n_years, n))
    funded[:3] = rng.uniform(0.0, 1e9, (3, n)) * (rng.uniform(size=(3, n)) < 0.7)
    funded[0] += 1.0  # every series lends
    cfads = rng.normal(2e8, 1.5e8, (n_years, n))
    other = rng.uniform(0.0, 1.0, (n_years, n)) * np.maximum(cfads, 0.0)
    out = tranche_schedules(
        funded,
        rng.uniform(0.0, 0.12, n),
        share=0.7,
        grace=2,
        recurring=False,
        mode=mode,
        tenor=int(rng.integers(3, 12)),
        upfront_fee=0.01,
        commitment_fee=0.005,
        target_dscr=1.3,
        cfads=cfads,
        other=other,
    )
    assert out["principal"].min() >= 0.0
    assert out["balance"].min() >= 0.0
    lent = out["amount"].sum(axis=0)
    repaid = out["principal"].sum(axis=0) + out["at_horizon"].sum(axis=0)
    np.testing.assert_allclose(repaid, lent, rtol=1e-9, atol=1e-3)


# --------------------------------------------------------------------------- covenants


def test_the_portfolio_covenant_is_the_minimum_of_its_sites(doubled_result, base_case):
    """Each site is its own borrower: the portfolio's minimum DSCR is the lowest of its sites'
    (never a ratio of pooled cash); its lock-up and default are any site's."""
    sites = list(doubled_result.case.site_names)
    metrics, portfolio = doubled_result.metrics, doubled_result.portfolio
    assert float(portfolio["min_dscr"]) == float(metrics["min_dscr"].sel(site=sites).min())
    for name in ("lock_up", "debt_default"):
        assert float(portfolio[name]) == float(metrics[name].sel(site=sites).max())
    # and per sample of a Monte Carlo study
    study = tecmodel.monte_carlo(doubled_result.case, n=256, seed=0, progress=False)
    samples = study.samples
    np.testing.assert_array_equal(
        study.portfolio_samples["min_dscr"].values,
        samples["min_dscr"].sel(site=sites).min("site").values,
    )
    events = study.summary["event_probability"]
    for event in ("lock_up", "default"):
        assert float(study.portfolio_summary["event_probability"].sel(event=event)) >= float(
            events.sel(event=event, site=sites).max()
        )


def test_the_reserve_account_by_hand():
    """Scheduled debt service 100 in years 1-4, a 6-month reserve (0.5 yr x 100 = 50), lock-up
    below 1.2x; CFADS 110, 20, 150, 130.

    Year 0: the reserve is funded with 50 (the year before the first debt service).
    Year 1: DSCR 1.10 < 1.2: the surplus of 10 is locked up (held 50 + 10).
    Year 2: DSCR 0.20: the gap of 80 takes the 10 locked up, then the whole reserve of 50;
        20 is still missing: default. Held 0.
    Year 3: DSCR 1.50: the surplus of 50 refills the reserve to 50 before any distribution.
    Year 4: DSCR 1.30, the last debt service (maturity): the reserve of 50 is released.
    Cash held back (equity's view, the change of what is held): -50, -10, +60, -50, +50, 0.
    """
    service = np.array([[0.0], [100.0], [100.0], [100.0], [100.0], [0.0]])
    cfads = np.array([[0.0], [110.0], [20.0], [150.0], [130.0], [0.0]])
    accounts = covenant_accounts(cfads, service, service, np.array([0.5]), np.array([1.2]))
    assert accounts["reserve_target"][0] == 50.0
    np.testing.assert_allclose(accounts["reserve_balance"][:, 0], [50, 50, 0, 50, 0, 0])
    np.testing.assert_allclose(accounts["locked_cash"][:, 0], [0, 10, 0, 0, 0, 0])
    np.testing.assert_allclose(accounts["reserve_funding"][:, 0], [50, 0, 0, 0, -50, 0])
    np.testing.assert_allclose(accounts["reserve_draw"][:, 0], [0, 0, 50, -50, 0, 0])
    np.testing.assert_allclose(accounts["cash_held_back"][:, 0], [-50, -10, 60, -50, 50, 0])
    np.testing.assert_array_equal(accounts["lock_up"][:, 0], [0, 1, 1, 0, 0, 0])
    np.testing.assert_array_equal(accounts["default"][:, 0], [0, 0, 1, 0, 0, 0])


def test_locked_up_cash_is_released_when_the_test_passes_again():
    """Service 100 in years 1-3, no reserve, lock-up below 1.2x; CFADS 115, 150, 140:
    year 1 locks up 15, year 2 (1.5x) releases it with its own 50, year 3 is maturity."""
    service = np.array([[0.0], [100.0], [100.0], [100.0]])
    cfads = np.array([[0.0], [115.0], [150.0], [140.0]])
    accounts = covenant_accounts(cfads, service, service, np.array([0.0]), np.array([1.2]))
    np.testing.assert_allclose(accounts["locked_cash"][:, 0], [0, 15, 0, 0])
    np.testing.assert_allclose(accounts["cash_held_back"][:, 0], [0, -15, 15, 0])
    assert not accounts["default"].any()


def test_the_reserve_flows_to_equity_and_back_in_the_bundled_case(base_result):
    """The row ``cash_held_back`` adds up to zero over the horizon (what is held is returned by
    maturity), and the reserve is funded once with financing.reserve_period x the largest
    scheduled debt service."""
    row = base_result.equity_cube.sel(item="cash_held_back", site="fluidstack_fr")
    assert float(row.sum()) == pytest.approx(0.0, abs=1e-3)
    financing = base_result.financing.sel(site="fluidstack_fr")
    period = float(base_result.parameters["financing.reserve_period"])
    assert float(financing["reserve_target"]) == pytest.approx(
        period * float(financing["debt_service"].max()), rel=1e-12
    )


def test_the_study_reports_covenant_probabilities_with_intervals(base_study):
    summary = base_study.portfolio_summary
    for event in ("min_dscr_below_one", "lock_up", "default"):
        value = float(summary["event_probability"].sel(event=event))
        low = float(summary["event_ci_low"].sel(event=event))
        high = float(summary["event_ci_high"].sel(event=event))
        assert 0.0 <= low <= value <= high <= 1.0
    # P(min DSCR < 1.0) is the share of samples whose lowest DSCR is below 1.0
    lowest = base_study.portfolio_samples["min_dscr"].values
    assert float(summary["event_probability"].sel(event="min_dscr_below_one")) == pytest.approx(
        np.mean(lowest < 1.0), rel=1e-12
    )
    # the equity CVaR 5 % is summarised with its interval
    cvar = summary["value"].sel(statistic="cvar5", metric="equity_npv")
    worst = np.sort(base_study.portfolio_samples["equity_npv"].values)[: int(np.ceil(0.05 * 512))]
    assert float(cvar) == pytest.approx(worst.mean(), rel=1e-12)


# --------------------------------------------------------------------------- sources and uses


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_sources_and_uses_balance_to_the_cent(fixture, request):
    result = request.getfixturevalue(fixture)
    table = result.sources_and_uses["amount"]
    cents = table * 100.0
    # whole cents (to the float representation of an amount in EUR: ~1e-4 cent at 1e10 EUR)
    np.testing.assert_allclose(cents.values, np.round(cents.values), rtol=0, atol=1e-3)
    np.testing.assert_array_equal(
        cents.sel(line=TOTAL_USES).values, cents.sel(line=TOTAL_SOURCES).values
    )
    financing = result.financing
    for site in result.case.site_names:
        column = table.sel(site=site)
        end = int(construction_end_year(result).sel(site=site))
        period = financing["year"] <= end
        # each line is the model's own number, rounded to the cent
        assert float(column.sel(line="capex")) == pytest.approx(
            float(result.metrics["initial_capex"].sel(site=site)), abs=0.005
        )
        assert float(column.sel(line="debt_service_reserve")) == pytest.approx(
            float(financing["reserve_target"].sel(site=site)), abs=0.005
        )
        debt = 0.0
        for tranche in result.case.tranches:
            drawn = (
                (financing["drawdown"] + financing["capitalised_interest"])
                .sel(tranche=tranche.name, site=site)
                .where(period, 0.0)
                .sum()
            )
            line = float(column.sel(line=DEBT_PREFIX + tranche.name))
            assert line == pytest.approx(float(drawn), abs=0.005)
            debt += line
        uses = column.sel(
            line=[
                line
                for line in column["line"].values
                if column["side"].sel(line=line) == "uses" and line != TOTAL_USES
            ]
        )
        assert round(float(uses.sum()) * 100) == round(float(column.sel(line=TOTAL_USES)) * 100)
        assert round((float(column.sel(line=TOTAL_USES)) - debt) * 100) == round(
            float(column.sel(line="equity")) * 100
        )


def test_a_budget_that_disagrees_with_the_build_out_by_more_than_one_percent_is_said(
    doubled_result,
):
    budget = doubled_result.budget
    notes = " ".join(budget.attrs["notes"])
    for site in doubled_result.case.site_names:
        ratio = float(budget["uses_to_budget"].sel(site=site))
        said = f"{site}: the stated budget and the modelled build-out disagree" in notes
        assert said == (abs(ratio - 1.0) > 0.01)
    # one figure of EUR per MW IT: the uses of funds per MW IT; the budget buys budget / it
    row = budget.sel(site="fluidstack_fr")
    assert float(row["funded_it_mw"]) == pytest.approx(
        float(row["budget"]) / float(row["uses_per_it_mw"]), rel=1e-12
    )
    assert float(row["uses_per_it_mw"]) == pytest.approx(
        float(row["uses"]) / float(row["modelled_it_mw"]), rel=1e-12
    )


# --------------------------------------------------------------------------- a chosen sizing case


def test_debt_sized_on_a_quantile_of_a_sizing_study_is_held_fixed(base_case):
    """Sized on the sample at the 10 % quantile of the portfolio NPV of a 256-sample study: that
    sample's NPV is the 26th lowest (floor(0.1 x 255) = 25, counted from 0), and every sample of
    a study then draws the schedule's amount."""
    schedule = size_on_quantile(base_case, 0.1, n=256, seed=0)
    chosen = schedule.attrs["sizing_sample"]
    study = tecmodel.monte_carlo(base_case, n=256, seed=0, progress=False, debt=schedule)
    npv = study.portfolio_samples["npv"].values
    assert int(np.sum(npv < npv[chosen])) == 25
    drawn = study.samples["debt_drawn"].sel(site="fluidstack_fr").values
    expected = float((schedule["drawdown"] + schedule["capitalised_interest"]).sum())
    assert np.ptp(drawn) == 0.0 and drawn[0] == pytest.approx(expected, rel=1e-12)
    assert "10% quantile" in study.summary.attrs["debt_sizing"]
    assert float(schedule["principal"].min()) >= 0.0


def test_a_sizing_quantile_outside_zero_one_is_refused(capsys):
    assert main(["montecarlo", "base_10b", "-n", "16", "--debt-quantile", "1.5"]) == 2
    assert "--debt-quantile = 1.5: expected a quantile in [0, 1]" in capsys.readouterr().err
