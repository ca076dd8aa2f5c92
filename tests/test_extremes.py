"""Extreme but valid inputs: no numpy warning, finite cash flows, and undefined metrics only with a reason.

Every registry parameter (tecmodel/registry.py) is set to each end of its admissible bounds, on
every site, and the case is evaluated with numpy's overflow, division-by-zero and invalid-value
errors raised (``np.errstate``) as well as every warning turned into an error (as pytest's
``filterwarnings = error`` does for the whole suite; repeated here so the test means the same
under ``-W default``). Underflow is left alone: a discount or price factor that underflows to
zero is the correct result, not a fault.

How the ends are reached fast: the samplable parameters go through one vectorised evaluation, one
sample per (parameter, end) with every other parameter at its base value, plus all at their lower
bounds, all at their upper bounds and 64 seeded random corners of the box (the same overrides a
Monte Carlo or Sobol run passes, see :mod:`tecmodel.sampling`). Overrides are checked against
the registry bounds only, so these samples also cover combinations a case file's cross-field
rules would refuse (an idle share above the active load share, a peak PUE beyond the grid
capacity): anything :func:`tecmodel.evaluate` accepts must evaluate cleanly. Structural
parameters (whole numbers that shape the arrays) cannot vary along ``sample``; each end is a
case of its own, written as a case file would state it and validated by the loader. The horizon
is tested at its longest (``MAX_HORIZON_YEARS``) and shortest (two years) for the toy case.

What must hold (the model's own conventions, see tecmodel/finance.py and tecmodel/irr.py): every
cash flow and every amount is finite; a metric is never infinite; the IRR is NaN exactly where
its status code (a key of ``IRR_STATUS``) gives a reason, likewise the equity IRR; the other
metrics are NaN only where they are undefined by definition (listed in ``MAY_BE_UNDEFINED``).
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
import xarray as xr
import yaml

import tecmodel
from tecmodel.cli.main import main
from tecmodel.inputs.case import case_from_data
from tecmodel.inputs.parameters import parameter_dataset
from tecmodel.inputs.registry import PARAMETERS, REGISTRY
from tecmodel.inputs.rules import MAX_HORIZON_YEARS, RULE_PARAMETERS
from tecmodel.numerics.irr import IRR_STATUS
from tecmodel.report.text import summary_text

from .conftest import BASE_FILE, TOY_FILE

#: A parameter a cross-field rule reads is refused at a bound that breaks the rule (the rules hold
#: for every draw, tests/test_inputs.py); the others are pushed to both bounds here.
SAMPLABLE = [
    parameter
    for parameter in PARAMETERS
    if parameter.samplable and parameter.name not in RULE_PARAMETERS
]
HORIZON = ("model.start_year", "model.end_year")
STRUCTURAL = [
    parameter
    for parameter in PARAMETERS
    if not parameter.samplable and parameter.name not in HORIZON
]
RANDOM_CORNERS = 64
#: Stand-in for an infinite bound: beyond any real amount, far from float64 overflow.
LARGE = 1e15

#: Metrics that are NaN where undefined by definition (everything else must be finite).
MAY_BE_UNDEFINED = {
    "irr": "checked against irr_status",
    "equity_irr": "checked against equity_irr_status",
    "payback_year": "the cumulative free cash flow ends negative",
    "discounted_payback_year": "the cumulative discounted free cash flow ends negative",
    "lcoc": "as the break-even: no price factor makes the NPV zero (checked)",
    "realised_gpu_hour_price": "no GPU-hour sold (checked)",
    "lcoc_compute": "as the break-even (checked)",
    "price_cushion": "no price factor makes the NPV zero, or it is 0 (checked)",
    "utilisation_cushion": "NPV >= 0 at zero utilisation, or no merchant margin (checked)",
    "discount_rate_cushion": "as the IRR (checked)",
    "generation_irr": "a generation's cash flow without a unique root (as the project IRR)",
    "generation_payback_year": "a generation's cumulative cash flow ends negative",
    "realised_compute_price": "no compute-hour sold (checked)",
    "breakeven_gpu_hour_price": "no price factor makes the NPV zero",
    "breakeven_price_factor": "no price factor makes the NPV zero",
    "capex_per_mw_it": "no IT MW online within the horizon",
    "moic": "no equity contribution",
    "min_dscr": "no debt service",
    "min_dscr_year": "no debt service",
    "average_dscr": "no debt service",
    "debt_capacity": "no debt tranche or no cash flow to cover",
}

#: Case-file rule (tecmodel/inputs.py, cross-field rules): a tax life is at most its economic
#: life. A structural end that would break it moves its partner to the same value.
TAX_LIFE_OF = {
    "chips.refresh_years": "chips.tax_life_years",
    "cooling.replacement_years": "cooling.tax_life_years",
    "construction.building_life": "construction.building_tax_life",
    "construction.electrical_life": "construction.electrical_tax_life",
    "grid.connection_life": "grid.connection_tax_life",
}


def finite_bound(value: float) -> float:
    return value if np.isfinite(value) else float(np.sign(value)) * LARGE


def strict_evaluate(case, overrides=None):
    """Evaluate with every numpy floating-point fault and every warning raised."""
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        result = tecmodel.evaluate(case, overrides)
        result.cube, result.budget  # noqa: B018 (cached properties: computed under the same rules)
        if "sample" not in result.metrics.dims:
            summary_text(result)
    return result


def extreme_overrides(case) -> tuple[dict[str, xr.DataArray], list[str]]:
    """Overrides over ``sample``: one sample per (samplable parameter, end), all low, all high and
    seeded random corners; and a label per sample."""
    labels = [f"{p.name}={end}" for p in SAMPLABLE for end in ("low", "high")]
    labels += ["all low", "all high"] + [f"corner {k}" for k in range(RANDOM_CORNERS)]
    at_end = np.full((len(labels), len(SAMPLABLE)), -1)  # -1 base value, 0 lower, 1 upper bound
    for index in range(len(SAMPLABLE)):
        at_end[2 * index, index], at_end[2 * index + 1, index] = 0, 1
    at_end[2 * len(SAMPLABLE)], at_end[2 * len(SAMPLABLE) + 1] = 0, 1
    at_end[2 * len(SAMPLABLE) + 2 :] = np.random.default_rng(20260227).integers(
        0, 2, (RANDOM_CORNERS, len(SAMPLABLE))
    )
    base = parameter_dataset(case)
    overrides = {}
    for index, parameter in enumerate(SAMPLABLE):
        array = base[parameter.name].expand_dims(sample=len(labels)).transpose(..., "sample").copy()
        for end in (0, 1):
            array.values[..., at_end[:, index] == end] = finite_bound(parameter.bounds[end])
        overrides[parameter.name] = array
    return overrides, labels


def check_result(result, labels=None) -> None:
    """Finite cash flows and amounts; NaN metrics only where undefined, IRRs with a reason."""

    def where(mask) -> list:
        samples = (
            np.flatnonzero(np.asarray(mask).reshape(-1, mask.shape[-1]).any(axis=0))
            if labels
            else []
        )
        return [labels[k] for k in samples[:5]]

    for name in ("free_cash_flow", "equity_cash_flow"):
        flows = getattr(result, name).transpose(..., *(["sample"] if labels else []))
        assert np.isfinite(flows.values).all(), (name, where(~np.isfinite(flows.values)))
    assert np.isfinite(result.cube.values).all()
    metrics = result.metrics.transpose("site", ...)
    for name, variable in metrics.data_vars.items():
        values = np.asarray(variable.values, dtype=float)
        assert not np.isinf(values).any(), (name, where(np.isinf(values)))
        if name not in MAY_BE_UNDEFINED:
            assert np.isfinite(values).all(), (name, where(~np.isfinite(values)))
    for rate, status in (("irr", "irr_status"), ("equity_irr", "equity_irr_status")):
        codes = metrics[status].values
        assert set(np.unique(codes)) <= set(IRR_STATUS), np.unique(codes)
        undefined = np.isnan(metrics[rate].values)
        np.testing.assert_array_equal(
            undefined, codes != 0, err_msg=f"{rate}: NaN exactly where a reason is given"
        )
    no_hours = metrics["gpu_hours_sold"].values == 0
    np.testing.assert_array_equal(np.isnan(metrics["realised_gpu_hour_price"].values), no_hours)
    np.testing.assert_array_equal(np.isnan(metrics["realised_compute_price"].values), no_hours)
    factor = metrics["breakeven_price_factor"].values
    for name in ("lcoc", "lcoc_compute"):
        np.testing.assert_array_equal(
            np.isnan(metrics[name].values), np.isnan(factor) | no_hours, err_msg=name
        )
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(
            np.isnan(metrics["price_cushion"].values), ~(factor > 0), err_msg="price_cushion"
        )
    np.testing.assert_array_equal(
        np.isnan(metrics["discount_rate_cushion"].values), np.isnan(metrics["irr"].values)
    )
    # The break-even utilisation (stated less the cushion) is never below zero.
    lowest = result.parameters["revenue.utilisation"].min("site")
    with np.errstate(invalid="ignore"):
        assert not (metrics["utilisation_cushion"] > lowest + 1e-12).any()
    for name, variable in result.budget.data_vars.items():
        assert not np.isinf(np.asarray(variable.values, dtype=float)).any(), name


@pytest.mark.parametrize("file", [TOY_FILE, BASE_FILE], ids=["toy", "base_10b"])
def test_every_samplable_parameter_at_each_bound_in_one_vectorised_evaluation(file):
    case = tecmodel.load_case(file)
    overrides, labels = extreme_overrides(case)
    result = strict_evaluate(case, overrides)
    assert result.metrics.sizes["sample"] == len(labels) == 2 * len(SAMPLABLE) + 2 + RANDOM_CORNERS
    # the extremes were applied: the parameter dataset holds each bound where it was asked for
    first = SAMPLABLE[0]
    np.testing.assert_array_equal(
        result.parameters[first.name].isel(sample=[0, 1]).values, list(first.bounds)
    )
    check_result(result, labels)


TOY_DATA = yaml.safe_load(TOY_FILE.read_text())
TOY_BASE = {
    name: float(variable.max())
    for name, variable in parameter_dataset(tecmodel.load_case(TOY_FILE)).data_vars.items()
}


def toy_data(values: dict[str, float]) -> dict:
    """The toy case's data with the given parameters stated in their registry units."""
    data = copy.deepcopy(TOY_DATA)
    for name, value in values.items():
        parameter = REGISTRY[name]
        sections = [data] if parameter.scope == "case" else data["sites"]
        for section in sections:
            section.setdefault(parameter.group, {})[parameter.field] = {
                "value": value,
                "unit": parameter.unit,
                "source": "extreme-value test",
            }
    return data


def toy_with(values: dict[str, float]):
    """The toy case with the given parameters (validated by the loader, as a case file is)."""
    return case_from_data(toy_data(values), file="extreme.yaml")


def structural_end(parameter, end: int) -> dict[str, float]:
    """The parameter at one end of its bounds, with what the case-file rules then require: a
    tax-life partner moved along (tax life at most economic life), and the horizon starting early
    enough for the longest construction."""
    value = finite_bound(parameter.bounds[end])
    values = {parameter.name: value}
    for life, tax_life in TAX_LIFE_OF.items():
        if parameter.name == life and TOY_BASE[tax_life] > value:
            values[tax_life] = value
        if parameter.name == tax_life and TOY_BASE[life] < value:
            values[life] = value
    return with_room_to_build(values)


def with_room_to_build(values: dict[str, float]) -> dict[str, float]:
    """Move the toy's start year back so that its first phase (online 2026) can be built in time."""
    build_years = values.get("construction.build_years", TOY_BASE["construction.build_years"])
    start = min(TOY_BASE["model.start_year"], 2026 - build_years + 1)
    values = values | ({"model.start_year": start} if start != TOY_BASE["model.start_year"] else {})
    return within_rules(values)


def within_rules(values: dict[str, float]) -> dict[str, float]:
    """What the case-file rules (tecmodel/inputs/rules.py) then require of the contracts: the
    nuclear contract inside the horizon (its first year moved to the horizon's nearer end, its
    term cut to the years left) and a take-or-pay tenor at most the refresh cycle."""
    merged = TOY_BASE | values
    start, end = merged["model.start_year"], merged["model.end_year"]
    first = min(max(merged["power.contract_start_year"], start), end)
    moved = {}
    if first != merged["power.contract_start_year"]:
        moved["power.contract_start_year"] = first
    if merged["power.contract_term_years"] > end - first + 1:
        moved["power.contract_term_years"] = end - first + 1
    if merged["revenue.contract_tenor_years"] > merged["chips.refresh_years"]:
        moved["revenue.contract_tenor_years"] = merged["chips.refresh_years"]
    return values | moved


@pytest.mark.parametrize("end", [0, 1], ids=["low", "high"])
@pytest.mark.parametrize("parameter", STRUCTURAL, ids=[p.name for p in STRUCTURAL])
def test_every_structural_parameter_at_each_bound(parameter, end):
    case = toy_with(structural_end(parameter, end))
    check_result(strict_evaluate(case))


@pytest.mark.parametrize("end", [0, 1], ids=["low", "high"])
def test_all_structural_parameters_at_one_end_with_every_samplable_extreme(end):
    """Every structural parameter at the same end (a valid case: tax lives stay within lives), and
    the vectorised extremes of all the others on top."""
    case = toy_with(with_room_to_build({p.name: finite_bound(p.bounds[end]) for p in STRUCTURAL}))
    overrides, labels = extreme_overrides(case)
    check_result(strict_evaluate(case, overrides), labels)


@pytest.mark.parametrize(
    "years", [(2000, 2000 + MAX_HORIZON_YEARS - 1), (2025, 2026)], ids=["longest", "shortest"]
)
def test_longest_and_shortest_horizon_with_every_samplable_extreme(years):
    """A 100-year horizon at a -99 %/yr discount rate (discount factors up to 1e198) and a two-year one."""
    case = toy_with(within_rules({"model.start_year": years[0], "model.end_year": years[1]}))
    assert len(case.years) == years[1] - years[0] + 1
    overrides, labels = extreme_overrides(case)
    check_result(strict_evaluate(case, overrides), labels)


@pytest.mark.parametrize("end", [0, 1], ids=["low", "high"])
def test_the_command_line_reports_a_case_at_the_bounds(tmp_path, capsys, end):
    """`tecmodel run`, its workbook and figures included, on the toy case with every samplable
    parameter at one end (its grid connection sized for the peak PUE of 4 at the upper end):
    exit status 0 under the same floating-point rules; stderr holds only the warnings that values at
    their bounds are far outside their reference ranges (tecmodel.inputs.plausibility)."""
    data = toy_data(within_rules({p.name: finite_bound(p.bounds[end]) for p in SAMPLABLE}))
    data["sites"][0]["grid"]["capacity"][0]["capacity"]["value"] = 100
    path = tmp_path / "extreme.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    with (
        warnings.catch_warnings(),
        np.errstate(over="raise", divide="raise", invalid="raise", under="ignore"),
    ):
        warnings.simplefilter("error")
        status = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--report"])
    err = capsys.readouterr().err
    assert status == 0
    assert all(line.startswith("warning: ") and "did you mean" in line for line in err.splitlines())
    assert sorted(p.name for p in (tmp_path / "out" / "plots").iterdir()) == [
        "cumulative_dcf.png",
        "scenarios.png",
        "waterfall_toy.png",
    ]


def test_a_horizon_beyond_the_limit_is_an_input_error():
    with pytest.raises(tecmodel.InputError) as raised:
        toy_with({"model.start_year": 2000, "model.end_year": 2000 + MAX_HORIZON_YEARS})
    assert "model.end_year" in raised.value.paths and f"at most {MAX_HORIZON_YEARS} years" in str(
        raised.value
    )


@pytest.mark.parametrize("name", HORIZON)
def test_the_horizon_cannot_be_overridden(toy_case, toy_result, name):
    """The horizon is the year dimension built from the case file: an override that changes it would
    be ignored, so it is refused; one that repeats the case's value (a result's whole parameter set
    passed back) changes nothing and is accepted."""
    with pytest.raises(tecmodel.InputError, match="only the case file"):
        tecmodel.evaluate(toy_case, {name: 2020})
    again = tecmodel.evaluate(toy_case, {name: toy_result.parameters[name]})
    xr.testing.assert_identical(again.metrics, toy_result.metrics)
