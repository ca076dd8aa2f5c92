"""Loading and validating case files: good cases load, bad ones fail with one clear message.

Each bad case is the toy case (tests/data/toy.yaml) with one edit; the error must name the
file, the field path, the offending value and what was expected.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

import tecmodel
from tecmodel.cli.main import main as cli_main
from tecmodel.errors import InputWarning
from tecmodel.inputs.case import load_case

from .conftest import DOUBLED_FILE, ROOT, TOY_FILE

TOY_TEXT = TOY_FILE.read_text()


def write_variant(tmp_path: Path, old: str, new: str, count: int = 1) -> Path:
    assert old in TOY_TEXT, old
    path = tmp_path / "case.yaml"
    path.write_text(TOY_TEXT.replace(old, new, count))
    return path


def test_bundled_cases_load(base_case, doubled_case):
    assert base_case.site_names == ("fluidstack_fr",)
    assert doubled_case.site_names == ("fluidstack_fr", "campus_ia_site2")
    assert base_case.start_year == 2025 and base_case.end_year == 2045


def test_units_are_converted_to_registry_units(base_case):
    """Percent -> fraction, GEUR -> EUR, MEUR/MW -> EUR/MW, on load."""
    assert base_case.value("utilisation").item() == pytest.approx(0.85)
    assert base_case.value("finance.discount_rate") == pytest.approx(0.09)
    assert base_case.value("plan.budget").item() == pytest.approx(10e9)
    assert base_case.value("construction.shell_core_per_mw").item() == pytest.approx(3.3e6)


def test_aliases_resolve(base_case):
    # power.market_price follows the power_price process: its value is the central path, which
    # starts at the process's `start` (58 EUR/MWh in inputs/base_10b.yaml).
    energy = base_case.value("energy_price")
    assert energy.equals(base_case.value("power.market_price"))
    assert energy.sel(year=2025).values.tolist() == [58.0]
    assert base_case.value("chip_cost").item() == 55_000.0


def test_convertible_units_are_accepted(tmp_path):
    path = write_variant(
        tmp_path,
        "market_price: {value: 100, unit: EUR/MWh",
        "market_price: {value: 0.1, unit: EUR/kWh",
    )
    assert load_case(path).value("energy_price").item() == pytest.approx(100.0)


BAD_CASES = [
    # (description, old text, new text, expected field path, expected words in the message)
    (
        "unknown key with suggestion",
        "market_price: {value: 100",
        "market_prise: {value: 100",
        "sites[0].power.market_prise",
        "did you mean 'market_price'",
    ),
    (
        "missing required field",
        "      market_price: {value: 100, unit: EUR/MWh, source: test fixture}\n",
        "",
        "sites[0].power.market_price",
        "is missing",
    ),
    (
        "wrong type",
        "market_price: {value: 100,",
        "market_price: {value: sixty,",
        "sites[0].power.market_price.value",
        "expected a number",
    ),
    (
        "wrong unit",
        "market_price: {value: 100, unit: EUR/MWh",
        "market_price: {value: 100, unit: EUR/MW",
        "sites[0].power.market_price.unit",
        "convertible to 'EUR/MWh'",
    ),
    (
        "exponent without a decimal point (YAML text)",
        "market_price: {value: 100,",
        "market_price: {value: 1e2,",
        "sites[0].power.market_price.value",
        "expected a number (YAML reads '1e2' as text",
    ),
    (
        "not a number",
        "market_price: {value: 100,",
        "market_price: {value: .nan,",
        "sites[0].power.market_price.value",
        "finite number",
    ),
    (
        "infinity",
        "market_price: {value: 100,",
        "market_price: {value: .inf,",
        "sites[0].power.market_price.value",
        "finite number",
    ),
    (
        "whole number beyond float range",
        "market_price: {value: 100,",
        f"market_price: {{value: {10**400},",
        "sites[0].power.market_price.value",
        "magnitude at most 1.8e308",
    ),
    (
        "negative price",
        "market_price: {value: 100,",
        "market_price: {value: -5,",
        "sites[0].power.market_price",
        "expected a number in [0, 4000] EUR/MWh",
    ),
    (
        "utilisation above 100 %",
        "utilisation: {value: 50,",
        "utilisation: {value: 150,",
        "sites[0].revenue.utilisation",
        "expected a number in [0, 1]",
    ),
    (
        "discount rate -100 %",
        "discount_rate: {value: 10,",
        "discount_rate: {value: -100,",
        "finance.discount_rate",
        "[-0.99, 1]",
    ),
    (
        "phase outside the horizon",
        "online_year: 2026",
        "online_year: 2040",
        "sites[0].phases[0].online_year",
        "outside the model horizon",
    ),
    (
        "beyond grid capacity",
        "it_mw: {value: 10,",
        "it_mw: {value: 20,",
        "sites[0].phases",
        "exceeds the grid capacity",
    ),
    (
        "whole number required",
        "refresh_years: {value: 3,",
        "refresh_years: {value: 3.5,",
        "sites[0].chips.refresh_years",
        "whole number",
    ),
    (
        "bare number instead of a mapping",
        "market_price: {value: 100, unit: EUR/MWh, source: test fixture}",
        "market_price: 100",
        "sites[0].power.market_price",
        "expected a mapping {value",
    ),
    (
        "missing source",
        "market_price: {value: 100, unit: EUR/MWh, source: test fixture}",
        "market_price: {value: 100, unit: EUR/MWh}",
        "sites[0].power.market_price.source",
        "is missing",
    ),
    (
        "tax life beyond refresh",
        "tax_life_years: {value: 3,",
        "tax_life_years: {value: 4,",
        "sites[0].chips.tax_life_years",
        "at most chips.refresh_years",
    ),
    (
        "idle above active",
        "idle_share: {value: 20,",
        "idle_share: {value: 90,",
        "sites[0].power.idle_share",
        "at most power.active_load_share",
    ),
    (
        "case name that is a path (outputs stay in --out)",
        "name: toy\n",
        "name: ../../elsewhere\n",
        "name",
        "expected a case name of letters",
    ),
    (
        "end before start",
        "end_year: {value: 2030,",
        "end_year: {value: 2020,",
        "model.end_year",
        "expected a year after model.start_year",
    ),
]


@pytest.mark.parametrize(
    "description, old, new, field, words", BAD_CASES, ids=[c[0] for c in BAD_CASES]
)
def test_bad_case_names_file_field_value_and_expectation(
    tmp_path, description, old, new, field, words
):
    path = write_variant(tmp_path, old, new)
    with pytest.raises(tecmodel.InputError) as raised:
        load_case(path)
    message = str(raised.value)
    assert str(path) in message
    assert field in raised.value.paths, (field, raised.value.paths)
    assert words in message, message
    assert "line " in message  # every problem here can be located in the file
    assert len(raised.value.problems) == 1, message  # one message for one bad field


def test_duplicate_site_names(tmp_path):
    data = TOY_TEXT.split("sites:\n", 1)
    site = data[1]
    path = tmp_path / "twins.yaml"
    path.write_text(data[0] + "sites:\n" + site + site)
    with pytest.raises(tecmodel.InputError) as raised:
        load_case(path)
    assert "sites[1].name" in raised.value.paths
    assert "duplicate site name" in str(raised.value)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("")
    with pytest.raises(tecmodel.InputError, match="is empty"):
        load_case(path)


def test_invalid_yaml_reports_the_line(tmp_path):
    path = write_variant(tmp_path, "  market_price: {value: 100", "  market_price: {value: [100")
    with pytest.raises(tecmodel.InputError) as raised:
        load_case(path)
    line = (
        TOY_TEXT.splitlines().index(
            next(text for text in TOY_TEXT.splitlines() if "market_price" in text)
        )
        + 1
    )
    assert f"line {line}" in str(raised.value) or f"line {line + 1}" in str(raised.value)
    assert "invalid YAML" in str(raised.value)


def test_duplicate_yaml_key(tmp_path):
    path = write_variant(
        tmp_path,
        "  excise: {value: 10",
        "  excise: {value: 9, unit: EUR/MWh, source: x}\n      excise: {value: 10",
    )
    with pytest.raises(tecmodel.InputError, match="duplicate key 'excise'"):
        load_case(path)


def test_yaml_cannot_construct_objects(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(tecmodel.InputError, match="invalid YAML"):
        load_case(path)


def test_missing_file(tmp_path):
    with pytest.raises(tecmodel.InputError, match="file not found"):
        load_case(tmp_path / "nope.yaml")


def test_every_problem_is_reported_at_once(tmp_path):
    path = write_variant(tmp_path, "market_price: {value: 100,", "market_price: {value: -5,")
    text = path.read_text().replace("utilisation: {value: 50,", "utilisation: {value: 150,")
    path.write_text(text)
    with pytest.raises(tecmodel.InputError) as raised:
        load_case(path)
    assert {"sites[0].power.market_price", "sites[0].revenue.utilisation"} <= set(
        raised.value.paths
    )


def test_overrides_are_validated(toy_case):
    with pytest.raises(tecmodel.InputError, match="not a registered parameter"):
        tecmodel.evaluate(toy_case, {"power.market_prise": 1.0})
    with pytest.raises(tecmodel.InputError, match=r"expected a number in \[0, 1\]"):
        tecmodel.evaluate(toy_case, {"utilisation": 1.5})
    with pytest.raises(tecmodel.InputError, match="structural"):
        import xarray as xr

        tecmodel.evaluate(
            toy_case, {"chips.refresh_years": xr.DataArray([3.0, 4.0], dims="sample")}
        )


def _base_with(tmp_path, section: str, name: str, quantity: dict):
    import yaml

    data = yaml.safe_load((ROOT / "inputs" / "base_10b.yaml").read_text())
    data[section][name] = quantity
    path = tmp_path / "slip.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_a_unit_slip_is_a_warning_naming_the_intended_value(tmp_path):
    """discount_rate 0.09 % is 0.0009/yr: admissible, but 100x below the reference range
    [6.5 %, 13 %] (registry); the warning suggests 9 %, and the case still loads."""
    path = _base_with(
        tmp_path, "finance", "discount_rate", {"value": 0.09, "unit": "%", "source": "test"}
    )
    with pytest.warns(
        InputWarning, match=r"finance\.discount_rate = '0\.09 %'.*did you mean 9 %\?"
    ):
        case = load_case(path)
    assert case.value("finance.discount_rate") == pytest.approx(0.0009)


def test_values_inside_their_reference_range_give_no_warning(tmp_path):
    """The bundled cases (and a plausible 12 %) load without a warning (warnings are errors here)."""
    load_case("base_10b")
    load_case("doubled_20b")
    load_case(
        _base_with(
            tmp_path, "finance", "discount_rate", {"value": 12, "unit": "%", "source": "test"}
        )
    )


def test_the_command_line_prints_the_warning_and_runs(tmp_path, capsys):
    path = _base_with(
        tmp_path, "finance", "discount_rate", {"value": 0.09, "unit": "%", "source": "test"}
    )
    assert cli_main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"]) == 0
    assert "warning: " in capsys.readouterr().err


@pytest.mark.parametrize(
    ("listing", "kind"), [("scenarios", "scenario"), ("decisions", "decision")]
)
def test_duplicate_entry_names_point_at_the_first_entry(tmp_path, listing, kind):
    """A scenario or a decision named as an earlier one is refused, naming the earlier entry
    (the same rule as for sites and tranches: one named entry, one meaning)."""
    data = yaml.safe_load(DOUBLED_FILE.read_text())
    data[listing].append(copy.deepcopy(data[listing][0]))
    path = tmp_path / "twins.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    position = len(data[listing]) - 1
    with pytest.raises(tecmodel.InputError) as raised:
        load_case(path)
    assert f"{listing}[{position}].name" in raised.value.paths
    assert f"duplicate {kind} name (already used by {listing}[0])" in str(raised.value)
