"""Named scenarios (one vectorised run along `scenario`) and cases side by side."""

from __future__ import annotations

import numpy as np
import pytest

import tecmodel
from tecmodel.analysis.scenarios import evaluate_scenarios, scenario_overrides
from tecmodel.cli.main import main
from tecmodel.report.tables import comparison_table

from .conftest import BASE_FILE, DOUBLED_FILE, TOY_FILE
from .test_financing import quantity, toy_case


def test_scenario_dimension_equals_separate_evaluations(base_case):
    """Each scenario of the bundled EUR 10B case, evaluated alone with the changes its file
    states (2-year delay; 110 EUR/MWh in every year and 26.58 EUR/MWh excise; merchant price x 0.6
    and a 25 % step at each launch), equals its slice of the one vectorised run."""
    together = evaluate_scenarios(base_case)
    assert list(together.metrics["scenario"].values) == [
        "base",
        "late_grid",
        "energy_shock",
        "gpu_price_collapse",
    ]
    price = base_case.value("revenue.gpu_hour_price")
    separate = {
        "base": {},
        "late_grid": {"timeline.delay_years": 2},
        "energy_shock": {"power.market_price": 110.0, "power.excise": 26.58},
        "gpu_price_collapse": {
            "revenue.gpu_hour_price": price * 0.6,
            "revenue.obsolescence_step": 0.25,
        },
    }
    for label, overrides in separate.items():
        alone = tecmodel.evaluate(base_case, overrides)
        sliced = together.metrics.sel(scenario=label)
        for name in (
            "npv",
            "irr",
            "equity_npv",
            "equity_irr",
            "min_dscr",
            "breakeven_gpu_hour_price",
            "lcoc",
        ):
            np.testing.assert_allclose(
                sliced[name].values, alone.metrics[name].values, rtol=1e-12, atol=1e-12
            )
        np.testing.assert_allclose(
            together.cube.sel(scenario=label).transpose(*alone.cube.dims).values,
            alone.cube.values,
            rtol=1e-12,
            atol=1e-3,
        )
    assert str(together.metrics["scenario_title"].sel(scenario="energy_shock").values).startswith(
        "Energy shock"
    )


def test_a_site_scenario_changes_that_site_only(doubled_case):
    overrides = scenario_overrides(doubled_case, ["late_grid"])
    delay = overrides["timeline.delay_years"].sel(scenario="late_grid")
    assert delay.sel(site="campus_ia_site2") == 2 and delay.sel(site="fluidstack_fr") == 0
    scaled = scenario_overrides(doubled_case, ["gpu_price_collapse"])["revenue.gpu_hour_price"]
    np.testing.assert_allclose(
        scaled.sel(scenario="gpu_price_collapse").values,
        doubled_case.value("revenue.gpu_hour_price").values * 0.6,
    )


BAD_SCENARIOS = [
    (
        {"overrides": {"energy_prize": quantity(90, "EUR/MWh")}},
        "scenarios[0].overrides.energy_prize",
        "energy_price",
    ),
    (
        {"overrides": {"chips.refresh_years": quantity(4, "yr")}},
        "scenarios[0].overrides.chips.refresh_years",
        "structural",
    ),
    (
        {"scale": {"revenue.utilisation": quantity(300, "%")}},
        "scenarios[0].scale.revenue.utilisation",
        "expected a number in [0, 1]",
    ),
    (
        {"overrides": {"power.market_price": quantity(-5, "EUR/MWh")}},
        "scenarios[0].overrides.power.market_price",
        "out of range",
    ),
    (
        {"sites": {"elsewhere": {"overrides": {"energy_price": quantity(90, "EUR/MWh")}}}},
        "scenarios[0].sites.elsewhere",
        "unknown site",
    ),
    (
        {"name": "base", "overrides": {"energy_price": quantity(90, "EUR/MWh")}},
        "scenarios[0].name",
        "reserved",
    ),
    (  # reserved in any case, as 'portfolio' is for sites: "Base" beside "base" would mislead
        {"name": "Base", "overrides": {"energy_price": quantity(90, "EUR/MWh")}},
        "scenarios[0].name",
        "'base' is reserved",
    ),
    ({}, "scenarios[0]", "changes nothing"),
]


@pytest.mark.parametrize("content, path, words", BAD_SCENARIOS)
def test_bad_scenario_is_an_input_error_with_its_path(content, path, words):
    scenario = {"name": "shock", "title": "A shock", **content}
    with pytest.raises(tecmodel.InputError) as error:
        toy_case(scenarios=[scenario])
    assert path in error.value.paths, error.value
    assert words in str(error.value)


def test_compare_gives_values_and_differences(base_result, doubled_result):
    table = tecmodel.compare(base_result, doubled_result)
    assert (
        list(table["case"].values) == ["base_10b", "doubled_20b"]
        and table.attrs["reference"] == "base_10b"
    )
    base_npv = float(base_result.portfolio["npv"])
    doubled_npv = float(doubled_result.portfolio["npv"])
    assert float(table["npv"].sel(case="doubled_20b")) == doubled_npv
    assert float(table["npv_difference"].sel(case="doubled_20b")) == pytest.approx(
        doubled_npv - base_npv
    )
    assert float(table["npv_relative_difference"].sel(case="doubled_20b")) == pytest.approx(
        (doubled_npv - base_npv) / abs(base_npv)
    )
    assert float(table["npv_difference"].sel(case="base_10b")) == 0
    assert (
        table["npv_difference"].attrs["units"] == "EUR"
        and table["npv_relative_difference"].attrs["units"] == "1"
    )
    assert "irr_status_difference" not in table
    shown = comparison_table(table)
    assert "equity_irr [%]" in shown.index and "Δ% doubled_20b" in shown.columns


def test_compare_and_scenarios_commands(capsys):
    assert main(["compare", str(BASE_FILE), str(DOUBLED_FILE)]) == 0
    printed = capsys.readouterr().out
    assert (
        "Δ doubled_20b" in printed
        and "min_dscr" in printed
        and "breakeven_gpu_hour_price" in printed
    )
    assert main(["scenarios", str(BASE_FILE), "energy_shock"]) == 0
    printed = capsys.readouterr().out
    assert "energy_shock" in printed and "late_grid" not in printed


@pytest.mark.parametrize(
    "argv, words",
    [
        (
            ["compare", str(BASE_FILE), str(DOUBLED_FILE), "--site", "campus_ia_site2"],
            "has no site 'campus_ia_site2'",
        ),
        (["compare", str(BASE_FILE)], "at least two cases"),
        (["scenarios", str(TOY_FILE)], "defines no scenarios"),
        (["scenarios", str(BASE_FILE), "meteor"], "unknown scenario"),
    ],
)
def test_bad_compare_or_scenario_request_exits_2(capsys, argv, words):
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert words in error and "Traceback" not in error
