"""The inputs table: every parameter value of a case, with its unit, distribution and source."""

from __future__ import annotations

import pytest

import tecmodel
from tecmodel.inputs.registry import ALIASES, PARAMETERS
from tecmodel.report.tables import INPUT_COLUMNS, inputs_table


@pytest.mark.parametrize("case_fixture", ["base_case", "doubled_case", "toy_case"])
def test_one_row_per_parameter_value_as_the_model_reads_it(case_fixture, request):
    """Rows: case-level parameters once, site-level ones once per site, values as ``Case.value``."""
    case = request.getfixturevalue(case_fixture)
    table = tecmodel.inputs_table(case)
    assert list(table.columns) == list(INPUT_COLUMNS)
    sites = len(case.site_names)
    assert len(table) == sum(1 if p.scope == "case" else sites for p in PARAMETERS)
    assert not table.duplicated(["parameter", "site"]).any()
    for parameter in PARAMETERS:
        rows = table[table.parameter == parameter.name]
        assert set(rows.unit) == {parameter.unit}
        # A quantity that follows a process shows its central path's first-year value (the
        # path itself is Case.value over year).
        follows = case.markets.binding(parameter.name) is not None
        if parameter.scope == "case":
            assert list(rows.site) == [""]
            # the table drops float noise beyond 12 significant figures (INPUT_DIGITS)
            value = case.value(parameter.name)
            expected = value.values[0] if follows else value
            assert rows.value.iloc[0] == pytest.approx(expected, rel=1e-12)
        else:
            assert list(rows.site) == list(case.site_names)
            value = case.value(parameter.name)
            expected = (value[0] if follows else value).values.tolist()
            assert list(rows.value) == pytest.approx(expected, rel=1e-12)
        for row in rows.itertuples():
            entry = case.entry(parameter.name, row.site or None)
            assert row.source == entry.source
            assert (row.distribution != "") == (entry.distribution is not None)


def test_aliases_distributions_and_locations(base_case, toy_case):
    table = inputs_table(base_case)
    aliased = table[table.alias != ""]
    assert sorted(set(zip(aliased.alias, aliased.parameter, strict=True))) == sorted(
        ALIASES.items()
    )
    price = table[table.parameter == "chips.unit_price"].iloc[0]
    entry = base_case.entry("chips.unit_price", price.site)
    assert price.distribution == entry.distribution.describe("USD/accelerator")
    assert price.distribution.startswith("pert(") and price.distribution.endswith(
        " USD/accelerator"
    )
    assert price.location == f"{entry.path} (line {entry.line})" and entry.line is not None
    market = table[table.parameter == "power.market_price"].iloc[0]
    assert market.source.startswith("process power_price (central path): ")
    assert market.location.startswith("drives.power_price[0]")
    assert table.source.str.len().gt(0).all()  # the bundled cases source every value
    rate = table[table.parameter == "finance.discount_rate"].iloc[0]
    assert rate.stated == "9 %" and rate.value == pytest.approx(
        0.09
    )  # stated in %, used as a fraction
    toy = inputs_table(toy_case)
    defaults = toy[toy.location == "(registry default)"]
    assert len(defaults) > 0 and (defaults.distribution == "").all()
