"""Real options (tecmodel.analysis.options): the second site as a decision.

Expected values come from the model itself evaluated deterministically (the best build year of
a case without volatility), from the definition of the estimators (a flexible value cannot fall
below the committed one by more than its Monte Carlo error), or from the case file's stated plan.
"""

from __future__ import annotations

import copy
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis.options import OPTION_OUTPUTS, real_options
from tecmodel.analysis.options.exercise import site_case
from tecmodel.errors import InputError
from tecmodel.inputs.bundled import bundled_case_path
from tecmodel.inputs.case import case_from_data
from tecmodel.inputs.reading import read_yaml

SITE = "campus_ia_site2"


def doubled_data() -> dict:
    data, _ = read_yaml(bundled_case_path("doubled_20b"))
    return copy.deepcopy(data)


def without_volatility(data: dict) -> dict:
    """Every process with zero volatility, no jumps and no uncertain parameter."""
    for spec in data["processes"].values():
        spec.pop("jumps", None)
        spec["volatility"] = {"value": 0.0, "unit": "1/sqrt(yr)", "source": "test: no volatility"}
        for value in spec.values():
            if isinstance(value, dict):
                value.pop("distribution", None)
    return data


@pytest.fixture(scope="module")
def doubled():
    return tecmodel.load_case("doubled_20b")


@pytest.fixture(scope="module")
def doubled_options(doubled):
    return real_options(doubled, n=1500, seed=3)


def shifted_npv(case, shifts) -> np.ndarray:
    """The site's NPV [EUR] on the whole case's deterministic run, its plan shifted."""
    shift = (
        xr.DataArray(np.asarray(shifts, dtype=float), dims="start")
        .expand_dims(site=[SITE])
        .reindex(site=list(case.site_names), fill_value=0.0)
    )
    result = tecmodel.evaluate(case, {"timeline.start_shift_years": shift})
    return result.metrics["npv"].sel(site=SITE).values


def test_declared_decision_matches_the_plan(doubled):
    """The plan builds from 2026 (phases online 2028, 3 build years) with a lag of 1 year: the
    plan's own decision year is 2025, the window's first."""
    decision = doubled.decisions[0]
    assert decision.action == "build"
    assert decision.site == SITE
    assert decision.planned_decision_year == 2025
    assert list(decision.years) == list(range(2025, 2033))
    assert decision.state == "compute_price"


def test_shifted_plan_moves_construction_grid_and_operation(doubled):
    """Shifting the site by 2 years moves its MW in service and grid schedule 2 years later."""
    base = tecmodel.evaluate(doubled)
    moved = tecmodel.evaluate(doubled, {"timeline.start_shift_years": {SITE: 2}})
    for name in ("installed_it_mw", "grid_capacity_mw", "grid_connection_mw"):
        before = base.timeline[name].sel(site=SITE).values
        after = moved.timeline[name].sel(site=SITE).values
        np.testing.assert_array_equal(after[2:], before[:-2], err_msg=name)
        np.testing.assert_array_equal(after[:2], 0.0, err_msg=name)
    # The other site and the stated reference year of the prices do not move.
    np.testing.assert_array_equal(
        moved.free_cash_flow.sel(site="fluidstack_fr"),
        base.free_cash_flow.sel(site="fluidstack_fr"),
    )
    assert int(moved.timeline["reference_year"].sel(site=SITE)) == 2028


def test_site_alone_has_the_site_npv_of_the_whole_case(doubled):
    """Each site is its own tax payer, so the site evaluated alone has its NPV in the case."""
    whole = tecmodel.evaluate(doubled).metrics["npv"].sel(site=SITE)
    alone = tecmodel.evaluate(site_case(doubled, SITE)).metrics["npv"].sel(site=SITE)
    assert float(alone) == float(whole)


def test_without_volatility_flexible_value_is_the_best_build_year():
    """With every volatility zero every path is the central path: the option is worth the best
    deterministic build year's NPV (or 0 if none is positive). A steeper fall of hardware cost
    makes a later start pay, so the best year is inside the window, not its first."""
    data = without_volatility(doubled_data())
    data["processes"]["hardware_cost"]["drift"]["value"] = -0.5
    case = case_from_data(data)
    decision = case.decisions[0]
    npv = shifted_npv(case, [decision.shift(year) for year in decision.years])
    best = int(np.argmax(npv))
    assert best > 0 and npv[best] > 0  # the case tests an interior optimum
    options = real_options(case, n=64, seed=0, decisions="second_site").sel(decision="second_site")
    least = options.sel(rule="least_squares")
    assert float(least["value_flexible"]) == pytest.approx(npv[best], rel=1e-9)
    assert float(options["value_committed"]) == pytest.approx(npv[0], rel=1e-9)
    assert float(least["exercise_probability"].sel(year=decision.years[best])) == 1.0
    np.testing.assert_allclose(options["value_by_decision_year"], npv, rtol=1e-9)


def test_flexible_value_at_least_committed(doubled_options):
    """The rule may never build, so its value cannot fall below committing today by more than
    the Monte Carlo error."""
    one = doubled_options.sel(decision="second_site")
    for rule in ("least_squares", "trigger"):
        at = one.sel(rule=rule)
        assert float(at["value_flexible"]) >= float(one["value_committed"]) - 2 * float(
            at["value_of_flexibility_standard_error"]
        )
    gain = one.sel(rule="least_squares")
    np.testing.assert_allclose(
        float(gain["value_of_flexibility"]),
        float(gain["value_flexible"]) - float(one["value_committed"]),
        rtol=1e-9,
    )


def test_dataset_declares_units_and_probabilities_add_up(doubled_options):
    for name, output in OPTION_OUTPUTS.items():
        assert doubled_options[name].attrs["units"] == output.units, name
        assert doubled_options[name].attrs["long_name"] == output.long_name, name
    window = list(range(2025, 2033))  # the decision's window (the case file)
    least = doubled_options.sel(decision="second_site", rule="least_squares", year=window)
    total = float(least["exercise_probability"].sum()) + float(least["never_probability"])
    assert total == pytest.approx(1.0, abs=1e-12)
    np.testing.assert_allclose(
        least["cumulative_exercise_probability"], np.cumsum(least["exercise_probability"])
    )


def test_one_seed_same_values_whatever_the_chunk_size(doubled):
    first = real_options(doubled, n=300, seed=7, chunk_size=300)
    second = real_options(doubled, n=300, seed=7, chunk_size=128)
    xr.testing.assert_identical(first, second)


def test_regression_and_valuation_paths_are_independent(doubled_options):
    assert doubled_options.attrs["valuation_seed"] != doubled_options.attrs["seed"]
    one = doubled_options.sel(decision="second_site", rule="least_squares")
    # The in-sample value differs from the fresh one (it has seen its own paths).
    assert float(one["value_flexible_in_sample"]) != float(one["value_flexible"])


def test_bad_declaration_is_refused_with_field_and_value(tmp_path):
    data = doubled_data()
    data["decisions"][0]["window"]["first"]["value"] = 2023
    with pytest.raises(InputError) as caught:
        case_from_data(data, file="bad.yaml")
    text = str(caught.value)
    assert "bad.yaml" in text
    assert "decisions[0].window.first" in text
    assert "2023" in text and "later than its plan" in text


def test_unknown_site_and_decision_name_are_refused(doubled):
    declaration = copy.deepcopy(doubled_data()["decisions"][0])
    declaration["site"] = "nowhere"
    with pytest.raises(InputError, match=r"decisions\[0\]\.site.*unknown site"):
        real_options(doubled, n=10, decisions=[declaration])
    with pytest.raises(InputError, match="unknown decision"):
        real_options(doubled, n=10, decisions="third_site")
    data, _ = read_yaml(bundled_case_path("base_10b"))
    data.pop("decisions")
    with pytest.raises(InputError, match="declares no decision"):
        real_options(case_from_data(data), n=10)


def run_cli(*arguments):
    return subprocess.run(
        [sys.executable, "-m", "tecmodel", *arguments], capture_output=True, text=True, check=False
    )


def test_cli_prints_the_table_and_writes_the_dataset(tmp_path):
    done = run_cli("options", "doubled_20b", "--n", "200", "--seed", "1", "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for text in ("Committed NPV", "Flexible value", "Value of flexibility", "Trigger rule"):
        assert text in done.stdout
    written = xr.load_dataset(tmp_path / "doubled_20b.options.nc")
    assert written.attrs["n"] == 200 and written.attrs["seed"] == 1
    assert f"{float(written['value_committed'][0]) / 1e6:,.1f}" in done.stdout


def test_cli_bad_declaration_exits_2_without_traceback(tmp_path):
    text = bundled_case_path("doubled_20b").read_text()
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("lag: {value: 1, unit: yr", "lag: {value: 1.5, unit: yr"))
    done = run_cli("options", str(bad), "--n", "50")
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "decisions[0].lag" in done.stderr and "1.5" in done.stderr


def test_figures_draw_the_study(doubled_options):
    from tecmodel.report import figures

    probability = figures.exercise_probability_chart(doubled_options)
    axes = probability.axes[0]
    assert axes.get_ylabel() == "Build probability [%]"
    # One bar per decision year and rule.
    assert len(axes.patches) == 2 * doubled_options.sizes["year"]
    boundary = figures.exercise_boundary_chart(doubled_options)
    assert "central path" in boundary.axes[0].get_ylabel()
    distribution = figures.option_value_distribution(doubled_options)
    assert "committed mean" in distribution.axes[0].get_title()


def test_workbook_sheet_labels_simulation_results(doubled, doubled_options, tmp_path):
    import openpyxl

    path = tecmodel.export_excel(
        tecmodel.evaluate(doubled),
        tmp_path / "options.xlsx",
        options=doubled_options,
        recalculate=False,
    )
    sheet = openpyxl.load_workbook(path)["Real options"]
    texts = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell]
    assert any("Simulation results" in str(text) for text in texts)
    assert "Flexible value" in texts and "EUR" in texts
    row = next(r for r in sheet.iter_rows() if r[0].value == "Flexible value")
    least = doubled_options["value_flexible"].sel(decision="second_site", rule="least_squares")
    assert row[2].value == pytest.approx(float(least), rel=1e-12)
    assert row[7].value == OPTION_OUTPUTS["value_flexible"].long_name


def test_answer_sentence_is_computed_from_the_numbers(doubled_options):
    from tecmodel.report.options import answer_sentence

    text = answer_sentence(doubled_options)
    committed = float(doubled_options["value_committed"].sel(decision="second_site"))
    assert f"{committed / 1e6:,.0f} M EUR" in text


def test_one_seed_same_values_with_two_workers(doubled):
    one = real_options(doubled, n=200, seed=5, chunk_size=64)
    two = real_options(doubled, n=200, seed=5, chunk_size=64, workers=2)
    xr.testing.assert_identical(one, two)


def test_waiting_is_undefined_when_the_window_opens_after_the_plan(doubled):
    """The value of waiting compares with deciding now or never; a window that opens two years
    after the plan's decision year (2025) has no "now" to compare with."""
    declaration = copy.deepcopy(doubled_data()["decisions"][0])
    declaration["window"]["first"]["value"] = 2027
    options = real_options(doubled, n=100, seed=2, decisions=[declaration])
    one = options.sel(decision="second_site")
    assert np.isnan(one["value_of_waiting"]).all()
    assert list(one["year"].values) == list(range(2027, 2033))
    # The committed value is still the plan's (a shift of 0, outside the window).
    full = real_options(doubled, n=100, seed=2).sel(decision="second_site")
    assert float(one["value_committed"]) == float(full["value_committed"])
    np.testing.assert_array_equal(
        one["value_by_decision_year"], full["value_by_decision_year"].sel(year=slice(2027, 2032))
    )


def test_a_later_start_moves_the_power_contract(doubled):
    """The contract is signed with the decision: its term starts 3 years later, as long."""
    base = tecmodel.evaluate(doubled).quantities["power_contract_in_term"].sel(site=SITE).values
    moved = tecmodel.evaluate(doubled, {"timeline.start_shift_years": {SITE: 3}})
    after = moved.quantities["power_contract_in_term"].sel(site=SITE).values
    assert int(np.flatnonzero(after)[0]) == int(np.flatnonzero(base)[0]) + 3
    assert after.sum() == base.sum()  # 12 years, inside the horizon either way


def test_the_trigger_rule_watches_the_best_of_the_price_indices(doubled, doubled_options):
    """The trigger rule is searched on the main state and on its ratio to every other state (the
    rent of compute against the price of hardware, ...), both sides; its in-sample value is the
    best of those searches, so at least that of the rule on the main state alone."""
    from tecmodel.analysis.options.study import best_trigger, trigger_indices
    from tecmodel.numerics.lsmc import fit_trigger_rule

    decision = doubled.decisions[0]
    paths = _paths(doubled, decision)
    trigger_index = doubled_options.attrs["trigger_index"].split(", ")[0]
    assert trigger_index in trigger_indices(doubled, decision.state, paths)
    indices = trigger_indices(doubled, decision.state, paths)
    assert set(indices) == {decision.state} | {
        f"{decision.state} / {state}" for state in paths.state_names if state != decision.state
    }
    name, rule, _ = best_trigger(doubled, decision.state, paths, paths)
    main = indices[decision.state]
    alone = max(
        fit_trigger_rule(
            main,
            paths.values,
            np.unique(np.quantile(main, np.linspace(0.02, 0.98, 49))),
            3,
            direction=side,
            action=0,
        ).in_sample.value.mean()
        for side in ("above", "below")
    )
    assert name in indices and rule.in_sample.value.mean() >= alone


def _paths(case, decision):
    """400 paths of seed 0 from the study's own builder."""
    from tecmodel.analysis.options.exercise import exercise_paths

    return exercise_paths(case, decision, 0, 400, chunk_size=400, block_size=16_384)
