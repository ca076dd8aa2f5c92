"""The accelerator-refresh decision: refresh, skip, or stop and sell at each refresh.

Expected values come from the case file (online years, refresh period, resale retention), from
the model itself evaluated deterministically under each fixed policy (the best policy of a case
without volatility), or from the definition of the estimators (a flexible value cannot fall
below the committed one by more than its Monte Carlo error).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis.options import real_options
from tecmodel.analysis.options.refresh import refresh_policies
from tecmodel.errors import InputError
from tecmodel.inputs.bundled import bundled_case_path
from tecmodel.inputs.case import case_from_data
from tecmodel.model.timeline import SKIP, STOP
from tests.test_real_options import doubled_data, run_cli, without_volatility

SITE = "campus_ia_site2"
DECISION = "second_site_refresh"
#: Codes of chips.refresh_policy (one base-3 digit per refresh, the first lowest).
STOP_FIRST = STOP
SKIP_FIRST = SKIP


@pytest.fixture(scope="module")
def doubled():
    return tecmodel.load_case("doubled_20b")


@pytest.fixture(scope="module")
def refresh_options(doubled):
    return real_options(doubled, n=1500, seed=3, decisions=DECISION)


def site_rows(case, code, *names):
    """Rows of the site on the deterministic run under one policy code."""
    result = tecmodel.evaluate(case, {"chips.refresh_policy": {SITE: code}})
    return [result.cube.sel(site=SITE, item=name).values for name in names]


def policy_npv(case, codes) -> np.ndarray:
    """The site's NPV [EUR] on the whole case's deterministic run under each policy code."""
    policy = (
        xr.DataArray(np.asarray(codes, dtype=float), dims="policy")
        .expand_dims(site=[SITE])
        .reindex(site=list(case.site_names), fill_value=0.0)
    )
    result = tecmodel.evaluate(case, {"chips.refresh_policy": policy}, generations=False)
    return result.metrics["npv"].sel(site=SITE).transpose("policy").values


def test_refresh_rounds_are_the_site_refresh_years(doubled):
    """Site 2's phases come online in 2028 and 2030 with a 5-year refresh and at least 3 years
    left (the case file): refreshes 2033, 2038, 2043 (2048 is past the 2045 horizon)."""
    decision = next(d for d in doubled.decisions if d.name == DECISION)
    assert decision.action == "refresh"
    assert list(decision.years) == [2033, 2038, 2043]


def test_policies_of_three_rounds():
    """Refresh or skip at each of 3 rounds (8), or stop after 0, 1 or 2 of them (1 + 2 + 4)."""
    policies = refresh_policies(3)
    assert len(policies.codes) == 15 == len(set(policies.codes))
    assert policies.codes[policies.committed] == 0.0
    assert policies.labels[policies.committed] == "refresh-refresh-refresh"


def test_the_default_policy_is_the_model_as_stated(doubled):
    """Code 0 refreshes at every refresh: exactly the deterministic model."""
    base = tecmodel.evaluate(doubled).metrics["npv"]
    same = tecmodel.evaluate(doubled, {"chips.refresh_policy": {SITE: 0}}).metrics["npv"]
    xr.testing.assert_identical(base, same)


def test_stop_sells_at_the_horizon_curve_and_keeps_the_fixed_costs(doubled):
    """Stopping at the first refresh sells phase 0's 2028 accelerators in 2033 at 0.67^5 of
    their price (terminal.chip_value_retention 67 %, 5 years of use; the case file) and phase
    1's 2030 ones in 2035 likewise; afterwards no revenue and no energy, while the grid
    capacity tariff (a fixed cost) is that of the plan."""
    years = np.arange(2025, 2046)
    purchase, resale, revenue, energy, tariff = site_rows(
        doubled,
        STOP_FIRST,
        "chips_purchase",
        "chips_resale",
        "revenue_merchant",
        "power_market_energy",
        "power_grid_capacity_tariff",
    )
    (plan_tariff,) = site_rows(doubled, 0, "power_grid_capacity_tariff")
    at = {int(year): index for index, year in enumerate(years)}
    for bought, sold in ((2028, 2033), (2030, 2035)):
        assert resale[at[sold]] == pytest.approx(-purchase[at[bought]] * 0.67**5, rel=1e-12)
    assert not purchase[at[2033] :].any()
    assert not revenue[at[2035] :].any() and not energy[at[2035] :].any()
    np.testing.assert_array_equal(tariff, plan_tariff)


def test_skip_runs_the_old_generation_on(doubled):
    """Skipping the first refresh buys nothing in 2033 or 2035: the 2028 generation runs on
    (ageing, its revenue lower than a new one's but not nil) until the second refresh in 2038."""
    years = np.arange(2025, 2046)
    at = {int(year): index for index, year in enumerate(years)}
    purchase, revenue = site_rows(doubled, SKIP_FIRST, "chips_purchase", "revenue_merchant")
    (plan_revenue,) = site_rows(doubled, 0, "revenue_merchant")
    assert purchase[at[2033]] == 0 and purchase[at[2035]] == 0 and purchase[at[2038]] < 0
    assert 0 < revenue[at[2034]] < plan_revenue[at[2034]]


def test_without_volatility_flexible_value_is_the_best_policy():
    """With every volatility zero every path is the central path: the option is worth the best
    deterministic policy's NPV, evaluated here by the model on its own."""
    case = case_from_data(without_volatility(doubled_data()))
    policies = refresh_policies(3)
    npv = policy_npv(case, policies.codes)
    options = real_options(case, n=32, seed=0, decisions=DECISION).sel(decision=DECISION)
    least = options.sel(rule="least_squares")
    assert float(least["value_flexible"]) == pytest.approx(npv.max(), rel=1e-9)
    assert float(options["value_committed"]) == pytest.approx(npv[policies.committed], rel=1e-9)
    np.testing.assert_allclose(
        options["value_by_policy"].sel(policy=list(policies.labels)), npv, rtol=1e-9
    )


def test_flexible_value_at_least_committed(refresh_options):
    """The rule may refresh every time, so its value cannot fall below committing to that by
    more than the Monte Carlo error."""
    one = refresh_options.sel(decision=DECISION, rule="least_squares")
    assert float(one["value_flexible"]) >= float(one["value_committed"]) - 2 * float(
        one["value_of_flexibility_standard_error"]
    )


def test_actions_add_up_to_the_paths_still_running(refresh_options):
    """Refresh + skip + stop at a round = the share not stopped before it; the stops add up to
    1 - never."""
    one = refresh_options.sel(decision=DECISION)
    least = one.sel(rule="least_squares")
    actions = one["action_probability"].sel(year=[2033, 2038, 2043])
    running = 1.0 - np.concatenate([[0.0], np.cumsum(actions.sel(action="stop").values)[:-1]])
    np.testing.assert_allclose(actions.sum("action"), running, atol=1e-12)
    assert float(actions.sel(action="stop").sum()) == pytest.approx(
        1.0 - float(least["never_probability"]), abs=1e-12
    )


def test_one_seed_same_values_whatever_the_chunk_size(doubled):
    first = real_options(doubled, n=200, seed=7, chunk_size=200, decisions=DECISION)
    second = real_options(doubled, n=200, seed=7, chunk_size=64, decisions=DECISION)
    xr.testing.assert_identical(first, second)


def _declaration(**changes):
    declaration = copy.deepcopy(
        next(d for d in doubled_data()["decisions"] if d["name"] == DECISION)
    )
    declaration.update(changes)
    return declaration


def test_bad_refresh_declarations_are_refused(doubled):
    with pytest.raises(InputError, match=r"decisions\[0\]\.site.*unknown site"):
        real_options(doubled, n=10, decisions=[_declaration(site="nowhere")])
    window = {
        "first": {"value": 2030, "unit": "calendar year", "source": "test"},
        "last": {"value": 2031, "unit": "calendar year", "source": "test"},
    }
    with pytest.raises(InputError, match=r"decisions\[0\]\.window.*expected no window"):
        real_options(doubled, n=10, decisions=[_declaration(window=window)])


def test_refresh_on_a_site_without_refresh_is_refused():
    """With 20 years required after a refresh, none is due: the first would be 2033 (online 2028
    + 5), and 20 years from 2033 pass the 2045 horizon (the case file)."""
    data = doubled_data()
    site = next(entry for entry in data["sites"] if entry["name"] == SITE)
    site["chips"]["refresh_min_remaining_years"]["value"] = 20
    with pytest.raises(InputError, match="no accelerator refresh before the horizon"):
        case_from_data(data, file="bad.yaml")


def test_cli_bad_refresh_declaration_exits_2(tmp_path):
    text = bundled_case_path("doubled_20b").read_text()
    path = tmp_path / "bad.yaml"
    path.write_text(
        text.replace(
            "action: refresh\n    site: campus_ia_site2", "action: refresh\n    site: nowhere"
        )
    )
    completed = run_cli("options", str(path), "--n", "10")
    assert completed.returncode == 2
    assert "decisions[1].site" in completed.stderr and "Traceback" not in completed.stderr
