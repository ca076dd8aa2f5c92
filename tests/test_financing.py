"""Debt financing: hand-calculated loan schedules, DSCR sculpting, equity returns, guard-rails, inputs.

Expected numbers come from hand calculations in the docstrings or from numpy-financial.
"""

from __future__ import annotations

import copy

import numpy as np
import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tecmodel
from tecmodel.cli.main import main
from tecmodel.inputs.case import case_from_data
from tecmodel.inputs.reading import read_yaml
from tecmodel.inputs.terms import Tranche
from tecmodel.model.outputs import FinancingStatus
from tecmodel.model.tranches import tranche_schedule

from .conftest import BASE_FILE, TOY_FILE


def quantity(value, unit):
    return {"value": value, "unit": unit, "source": "test fixture"}


def terms(**changes) -> Tranche:
    """A tranche with test terms (no fees unless given)."""
    values = dict(
        name="loan",
        title="loan",
        funds=("facility",),
        sites=("toy",),
        share=1.0,
        interest_rate=0.10,
        tenor=3,
        grace=0,
        repayment="annuity",
        target_dscr=None,
        upfront_fee=0.0,
        commitment_fee=0.0,
        recurring=False,
        sources={},
        path="financing.tranches[0]",
    )
    values.update(changes)
    return Tranche(**values)


def toy_case(tranches=None, scenarios=None, **financing_scalars):
    """The toy case with a financing block (and scenarios) added."""
    data, _ = read_yaml(TOY_FILE)
    data = copy.deepcopy(data)
    if tranches is not None or financing_scalars:
        data["financing"] = {**financing_scalars, "tranches": tranches or []}
    if scenarios is not None:
        data["scenarios"] = scenarios
    return case_from_data(data, file="toy with financing")


def sculpted_tranche(**changes):
    tranche = {
        "name": "senior",
        "funds": ["facility", "chips"],
        "share": quantity(100, "%"),
        "interest_rate": quantity(8, "%/yr"),
        "tenor": quantity(3, "yr"),
        "grace": quantity(1, "yr"),
        "repayment": "sculpted",
        "target_dscr": quantity(2.0, "1"),
    }
    tranche.update(changes)
    return tranche


# --------------------------------------------------------------------------- loan schedules by hand


def test_annuity_schedule_by_hand():
    """1,000 drawn at the end of year 0, 10 %, 3 annual payments, 1 % upfront fee.

    Payment = 1000 x 0.1 / (1 - 1.1^-3) = 402.1148 (Excel =PMT(10%, 3, -1000)).
    Year 1: interest 100.00, principal 302.11, balance 697.89.
    Year 2: interest 69.79, principal 332.33, balance 365.56.
    Year 3: interest 36.56, principal 365.56, balance 0. Fee: 10.00 in year 0.
    """
    funded = np.array([[1000.0], [0.0], [0.0], [0.0], [0.0]])
    schedule = tranche_schedule(funded, np.array([0.10]), terms(upfront_fee=0.01))
    payment = 1000 * 0.1 / (1 - 1.1**-3)
    assert payment == pytest.approx(402.1148036, abs=1e-6)
    np.testing.assert_allclose(schedule.drawdown[:, 0], [1000, 0, 0, 0, 0])
    np.testing.assert_allclose(
        schedule.interest_paid[:, 0], [0, 100.0, 69.788520, 36.555891, 0], atol=1e-6
    )
    np.testing.assert_allclose(
        schedule.principal[:, 0], [0, 302.114804, 332.326284, 365.558912, 0], atol=1e-6
    )
    np.testing.assert_allclose(schedule.debt_service[1:4, 0], payment, rtol=1e-12)
    np.testing.assert_allclose(
        schedule.balance[:, 0], [1000, 697.885196, 365.558912, 0, 0], atol=1e-6
    )
    np.testing.assert_allclose(schedule.fees[:, 0], [10.0, 0, 0, 0, 0])
    assert schedule.capitalised_interest.sum() == 0 and schedule.repayment_at_horizon.sum() == 0
    # numpy-financial agrees on the payment and its split
    assert -npf.pmt(0.10, 3, 1000) == pytest.approx(payment, rel=1e-12)
    np.testing.assert_allclose(
        -npf.ppmt(0.10, [1, 2, 3], 3, 1000), schedule.principal[1:4, 0], rtol=1e-12
    )


def test_construction_loan_capitalises_interest_and_charges_fees_by_hand():
    """600 then 400 drawn in a 1-year grace period at 10 %, 1 % upfront, 0.5 % commitment fee.

    Year 1 interest on 600 is capitalised: 60; loan amount 600 + 60 + 400 = 1,060.
    Upfront fee 1 % x 1,060 = 10.60 in year 0; commitment fee 0.5 % x (1,060 - 600) = 2.30 in
    year 1. Straight line over 2 years: principal 530 in years 2 and 3; interest 106 and 53.
    """
    funded = np.array([[600.0], [400.0], [0.0], [0.0]])
    schedule = tranche_schedule(
        funded,
        np.array([0.10]),
        terms(grace=1, tenor=2, repayment="straight_line", upfront_fee=0.01, commitment_fee=0.005),
    )
    np.testing.assert_allclose(schedule.capitalised_interest[:, 0], [0, 60, 0, 0])
    np.testing.assert_allclose(schedule.loan_amount[:, 0], [0, 1060, 0, 0])
    np.testing.assert_allclose(schedule.fees[:, 0], [10.6, 2.3, 0, 0])
    np.testing.assert_allclose(schedule.principal[:, 0], [0, 0, 530, 530])
    np.testing.assert_allclose(schedule.interest_paid[:, 0], [0, 0, 106, 53])
    np.testing.assert_allclose(schedule.balance[:, 0], [600, 1060, 530, 0])


def test_recurring_loans_and_debt_outstanding_at_the_horizon():
    """A 3-year straight-line loan per purchase: 300 in year 0 and 300 in year 3 (of 5 years).

    The second loan repays 100 in year 4 and leaves 200 at the horizon, repaid there.
    """
    funded = np.array([[300.0], [0.0], [0.0], [300.0], [0.0]])
    schedule = tranche_schedule(
        funded, np.array([0.0]), terms(tenor=3, repayment="straight_line", recurring=True)
    )
    np.testing.assert_allclose(schedule.principal[:, 0], [0, 100, 100, 100, 100])
    np.testing.assert_allclose(schedule.repayment_at_horizon[:, 0], [0, 0, 0, 0, 200])
    assert schedule.balance[-1, 0] == 0


def test_sculpted_service_is_cfads_over_target_less_other_service():
    """CFADS 130, 260, 390 in the repayment years, other service 20, target 1.3: sculpted
    service 80, 180, 280 (= CFADS / 1.3 - 20); loan = PV at 5 % = 80/1.05 + 180/1.05^2 + 280/1.05^3."""
    funded = np.array([[10_000.0], [0], [0], [0]])
    cfads = np.array([[0.0], [130], [260], [390]])
    other = np.array([[0.0], [20], [20], [20]])
    schedule = tranche_schedule(
        funded,
        np.array([0.05]),
        terms(repayment="sculpted", target_dscr=1.3),
        cfads=cfads,
        other_debt_service=other,
    )
    loan = 80 / 1.05 + 180 / 1.05**2 + 280 / 1.05**3
    np.testing.assert_allclose(schedule.loan_amount[0, 0], loan, rtol=1e-12)
    np.testing.assert_allclose(schedule.debt_service[1:, 0], [80, 180, 280], rtol=1e-12)
    np.testing.assert_allclose(
        cfads[1:, 0] / (schedule.debt_service[1:, 0] + other[1:, 0]), 1.3, rtol=1e-12
    )
    assert float(schedule.share_lent[0]) == pytest.approx(loan / 10_000, rel=1e-12)


# --------------------------------------------------------------------------- in the model


@pytest.fixture(scope="module")
def sculpted_toy():
    return tecmodel.evaluate(toy_case([sculpted_tranche()], cost_of_equity=quantity(12, "%/yr")))


def test_sculpting_meets_its_target_exactly_in_every_repayment_year(sculpted_toy):
    financing = sculpted_toy.financing.sel(site="toy")
    assert (
        float(financing["share_lent"].sel(tranche="senior")) < 1.0
    )  # the DSCR target sizes the loan
    # The toy refreshes its accelerators in 2029 with equity only (the senior loan is not
    # recurring): CFADS, after that unfunded capex, is negative there, so the third year of the
    # tenor gets no sculpted service and is reported as a shortfall.
    repaying = financing["debt_service"] > 0
    assert int(repaying.sum()) == 2
    assert float(financing["cfads"].sel(year=2029)) < 0
    assert float(financing["sculpting_shortfall"].sel(tranche="senior", year=2029)) > 0
    np.testing.assert_allclose(financing["dscr"].where(repaying, drop=True).values, 2.0, rtol=1e-10)
    assert float(sculpted_toy.metrics["min_dscr"].sel(site="toy")) == pytest.approx(2.0, rel=1e-10)
    assert float(financing["debt_balance"].isel(year=-1)) == 0
    assert (financing["debt_balance"] >= 0).all()


def test_a_binding_debt_share_keeps_the_sculpted_shape_above_target():
    """With a 20 % cap the loan is smaller than the DSCR allows: the DSCR is above 2.0 and the
    debt service keeps the sculpted shape (CFADS / DSCR constant over the repayment years)."""
    result = tecmodel.evaluate(toy_case([sculpted_tranche(share=quantity(20, "%"))]))
    financing = result.financing.sel(site="toy")
    assert float(financing["share_lent"].sel(tranche="senior")) == pytest.approx(0.2)
    dscr = financing["dscr"].dropna("year").values
    assert len(dscr) == 2 and (dscr > 2.0).all()  # 2029: no service (see the test above)
    np.testing.assert_allclose(dscr, dscr[0], rtol=1e-10)


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_equity_irr_and_npv_match_numpy_financial(fixture, request):
    result = request.getfixturevalue(fixture)
    cost_of_equity = float(result.parameters["financing.cost_of_equity"])
    for site in result.metrics["site"].values:
        flows = result.equity_cash_flow.sel(site=site).values
        assert int(result.metrics["equity_irr_status"].sel(site=site)) == 0
        assert float(result.metrics["equity_irr"].sel(site=site)) == pytest.approx(
            npf.irr(flows), abs=1e-9
        )
        assert float(result.metrics["equity_npv"].sel(site=site)) == pytest.approx(
            npf.npv(cost_of_equity, flows), rel=1e-12
        )


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_equity_flow_is_free_cash_flow_plus_financing_and_the_shield_is_the_tax_saved(
    fixture, request
):
    result = request.getfixturevalue(fixture)
    cube = result.equity_cube
    financing_rows = cube.sel(item=cube["category"] == "financing").sum("item")
    sites = list(result.case.site_names)
    np.testing.assert_allclose(
        result.equity_cash_flow.sel(site=sites).values,
        (result.free_cash_flow.sel(site=sites) + financing_rows).values,
        rtol=0,
        atol=1e-6 * float(np.abs(result.free_cash_flow).max()),
    )
    shield = cube.sel(item="interest_tax_shield")
    np.testing.assert_allclose(
        shield.values, (result.finance["tax"] - result.financing["levered_tax"]).values
    )
    assert (shield >= -1e-6).all()
    # capitalised interest is drawn and charged: the two rows cancel
    np.testing.assert_allclose(
        cube.sel(item="debt_drawdown_interest").values,
        result.financing["capitalised_interest"].sum("tranche").values,
    )
    # the debt drawn is repaid: drawdowns = scheduled repayment + repayment at the horizon
    drawn = cube.sel(item=["debt_drawdown", "debt_drawdown_interest"]).sum()
    repaid = -cube.sel(item=["debt_repayment", "debt_repayment_at_horizon"]).sum()
    assert float(repaid) == pytest.approx(float(drawn), rel=1e-9)


def test_financing_leaves_the_unlevered_results_unchanged(base_case, base_result):
    """The same case without its financing block: every unlevered number is bit-identical."""
    data = copy.deepcopy(base_case.raw)
    del data["financing"]
    unlevered = tecmodel.evaluate(case_from_data(data, file="no financing"))
    np.testing.assert_array_equal(
        unlevered.free_cash_flow.values, base_result.free_cash_flow.values
    )
    for name in ("npv", "irr", "payback_year", "lcoc", "breakeven_gpu_hour_price"):
        np.testing.assert_array_equal(
            unlevered.metrics[name].values, base_result.metrics[name].values
        )
    # without debt the equity is the project
    np.testing.assert_array_equal(
        unlevered.equity_cash_flow.values, unlevered.free_cash_flow.values
    )
    assert (
        np.isnan(unlevered.metrics["min_dscr"]).all()
        and (unlevered.metrics["financing_status"] == 0).all()
    )


# --------------------------------------------------------------------------- guard-rails


def test_infeasible_dscr_target_is_reported_with_year_and_amount():
    """A GPU loan repaid in one year takes more than the cash flow: a sculpted facility loan
    cannot meet 3.0x that year; the note names the year and the shortfall; no NaN, no negative balance."""
    gpu = {
        "name": "gpu",
        "funds": ["chips"],
        "share": quantity(90, "%"),
        "interest_rate": quantity(8, "%/yr"),
        "tenor": quantity(1, "yr"),
        "repayment": "annuity",
        "recurring": True,
    }
    senior = sculpted_tranche(
        funds=["facility"],
        target_dscr=quantity(3.0, "1"),
        grace=quantity(0, "yr"),
        tenor=quantity(5, "yr"),
    )
    result = tecmodel.evaluate(toy_case([gpu, senior]))
    financing = result.financing.sel(site="toy")
    short = financing["sculpting_shortfall"].sel(tranche="senior")
    years = list(short["year"].where(short > 0, drop=True).values)
    assert 2027 in years
    status = int(result.metrics["financing_status"].sel(site="toy"))
    assert status & FinancingStatus.SCULPTING_SHORT and status & FinancingStatus.DSCR_BELOW_ONE
    notes = " ".join(
        financing.attrs["notes"] if "notes" in financing.attrs else result.financing.attrs["notes"]
    )
    amount = float(short.sel(year=2027))
    assert "cannot meet its target in 2027" in notes and f"EUR {amount / 1e6:,.0f} M short" in notes
    assert "DSCR" in notes and "does not cover debt service" in notes
    for name in ("debt_balance", "debt_service", "cfads"):
        assert np.isfinite(financing[name].values).all()
    assert (financing["debt_balance"] >= 0).all()
    assert (
        np.isfinite(result.metrics["min_dscr"].sel(site="toy"))
        and np.isfinite(result.metrics["equity_npv"]).all()
    )


# --------------------------------------------------------------------------- bad input


BAD_TRANCHES = [
    ({"share": quantity(120, "%")}, "financing.tranches[0].share", "out of range"),
    ({"repayment": "balloon"}, "financing.tranches[0].repayment", "annuity"),
    (
        {"target_dscr": None},
        "financing.tranches[0].target_dscr",
        "required for repayment: sculpted",
    ),
    ({"recurring": True}, "financing.tranches[0].recurring", "recurring: false"),
    ({"sites": ["nowhere"]}, "financing.tranches[0].sites[0]", "unknown site"),
    ({"tenor": quantity(2.5, "yr")}, "financing.tranches[0].tenor", "whole number"),
    ({"interest_rate": quantity(5, "EUR")}, "financing.tranches[0].interest_rate.unit", ""),
    ({"funds": ["facility", "gpus"]}, "financing.tranches[0].funds[1]", ""),
]


@pytest.mark.parametrize("change, path, words", BAD_TRANCHES)
def test_bad_tranche_is_an_input_error_with_its_path(change, path, words):
    tranche = sculpted_tranche(**change)
    tranche = {key: value for key, value in tranche.items() if value is not None}
    with pytest.raises(tecmodel.InputError) as error:
        toy_case([tranche])
    assert path in error.value.paths, error.value
    assert words in str(error.value)


def test_debt_share_above_100_percent_says_by_how_much():
    other = sculpted_tranche(
        name="mezzanine", repayment="annuity", target_dscr=None, share=quantity(30, "%")
    )
    other = {key: value for key, value in other.items() if value is not None}
    with pytest.raises(tecmodel.InputError) as error:
        toy_case([sculpted_tranche(share=quantity(80, "%")), other])
    message = str(error.value)
    assert "financing.tranches[1].share" in message
    assert "senior 80% + mezzanine 30% = 110%" in message and "10% more than the capex" in message


def test_bad_financing_file_exits_2_from_the_cli(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(
        BASE_FILE.read_text().replace("tenor: {value: 18, unit: yr", "tenor: {value: 180, unit: yr")
    )
    assert main(["validate", str(path)]) == 2
    error = capsys.readouterr().err
    assert "financing.tranches[0].tenor" in error and "Traceback" not in error


# --------------------------------------------------------------------------- invariants of the kernel


@settings(max_examples=150, deadline=None)
@given(
    spend=st.lists(st.sampled_from([0.0, 0.0, 50.0, 200.0, 1000.0]), min_size=3, max_size=15),
    rate=st.sampled_from([0.0, 0.03, 0.10]),
    tenor=st.integers(1, 8),
    grace=st.integers(0, 3),
    repayment=st.sampled_from(["annuity", "straight_line", "sculpted"]),
    recurring=st.booleans(),
    cfads_level=st.sampled_from([0.0, 30.0, 400.0]),
)
def test_every_euro_lent_is_repaid_once(
    spend, rate, tenor, grace, repayment, recurring, cfads_level
):
    """Conservation, whatever the terms: the principal repaid plus the balance repaid at the
    horizon equals the loan amounts, which equal the draws plus the capitalised interest; no
    balance or interest is negative, and the last year's balance is zero. A batch of two
    series (the profile and its double) gives each series exactly what it gives alone."""
    funded = np.array(spend)[:, None]
    n_years = funded.shape[0]
    cfads = np.full((n_years, 1), cfads_level)
    terms_ = terms(
        interest_rate=rate,
        tenor=tenor,
        grace=grace,
        repayment=repayment,
        recurring=recurring and repayment != "sculpted",
        upfront_fee=0.01,
        commitment_fee=0.005,
        target_dscr=1.3 if repayment == "sculpted" else None,
    )
    zeros = np.zeros((n_years, 1))
    schedule = tranche_schedule(
        funded, np.array([rate]), terms_, cfads=cfads, other_debt_service=zeros
    )
    lent = schedule.loan_amount.sum()
    assert lent == pytest.approx(
        schedule.drawdown.sum() + schedule.capitalised_interest.sum(), rel=1e-12, abs=1e-9
    )
    assert schedule.principal.sum() + schedule.repayment_at_horizon.sum() == pytest.approx(
        lent, rel=1e-9, abs=1e-6
    )
    assert (schedule.balance >= -1e-9).all() and (schedule.interest_paid >= -1e-12).all()
    assert schedule.balance[-1, 0] == 0.0 and (schedule.fees >= 0).all()
    pair = tranche_schedule(
        np.hstack([funded, 2 * funded]),
        np.array([rate, rate]),
        terms_,
        cfads=np.hstack([cfads, 2 * cfads]),
        other_debt_service=np.hstack([zeros, zeros]),
    )
    for field in (
        "drawdown",
        "principal",
        "interest_paid",
        "balance",
        "fees",
        "repayment_at_horizon",
    ):
        np.testing.assert_array_equal(getattr(pair, field)[:, :1], getattr(schedule, field))


def test_the_portfolio_covenant_is_the_worst_of_its_sites(doubled_result):
    """Each site borrows standalone: the portfolio's minimum (and average) DSCR is the lowest of
    the sites' own, in the year of the site that sets it; never a ratio of pooled cash."""
    metrics, portfolio = doubled_result.metrics, doubled_result.portfolio
    sites = list(doubled_result.case.site_names)
    lowest = metrics["min_dscr"].sel(site=sites)
    assert float(portfolio["min_dscr"]) == float(lowest.min())
    worst = sites[int(lowest.argmin("site"))]
    assert float(portfolio["min_dscr_year"]) == float(metrics["min_dscr_year"].sel(site=worst))
    assert float(portfolio["average_dscr"]) == float(metrics["average_dscr"].sel(site=sites).min())
