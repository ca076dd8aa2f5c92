"""The bundled cases say what their comments claim.

- Site 1 of the doubled case is the EUR 10B case's site, value for value (so the two files
  cannot drift apart).
- Each site's modelled initial build-out costs its stated budget to within 5 % (the phases are
  sized to the EUR 10 bn tranches).
- The second site differs from the first where the sources say it would.
"""

from __future__ import annotations

import pytest

from tecmodel.inputs.registry import site_parameters


def test_doubled_case_first_site_is_the_base_site(base_case, doubled_case):
    base_site, doubled_site = base_case.sites[0], doubled_case.sites[0]
    assert base_site == doubled_site
    for parameter in site_parameters():
        base_entry = base_case.entries[(parameter.name, base_site.name)]
        doubled_entry = doubled_case.entries[(parameter.name, doubled_site.name)]
        assert (base_entry.value, base_entry.source, base_entry.distribution) == (
            doubled_entry.value,
            doubled_entry.source,
            doubled_entry.distribution,
        ), parameter.name
    for name in (
        "model.start_year",
        "model.end_year",
        "finance.discount_rate",
        "tax.corporate_rate",
    ):
        assert base_case.value(name) == doubled_case.value(name)
    assert base_case.raw["processes"] == doubled_case.raw["processes"]
    assert base_case.value("fx.usd_per_eur").equals(doubled_case.value("fx.usd_per_eur"))


@pytest.mark.parametrize("fixture", ["base_result", "doubled_result"])
def test_initial_capex_matches_the_stated_budget(fixture, request):
    budget = request.getfixturevalue(fixture).budget
    for site in budget["site"].values:
        assert float(budget["initial_capex_to_budget"].sel(site=site)) == pytest.approx(
            1.0, abs=0.05
        ), site


def test_doubled_case_doubles_the_investment(base_result, doubled_result):
    base = float(base_result.portfolio["initial_capex"])
    doubled = float(doubled_result.portfolio["initial_capex"])
    assert doubled / base == pytest.approx(2.0, abs=0.1)


def test_second_site_differs_where_the_sources_say(doubled_case):
    first, second = doubled_case.sites
    assert min(p.online_year for p in second.phases) > min(
        p.online_year for p in first.phases
    )  # later grid
    assert (
        second.capacity_in(2027) == 0 and second.capacity_in(2033) == 1400
    )  # RTE fast track schedule
    value = doubled_case.value
    assert value("cooling.water_use").sel(site=second.name) == 0  # water-free
    assert value("cooling.water_use").sel(site=first.name) > 0
    for name in (
        "power.contract_share",
        "power.contract_price",
        "chips.unit_price",
        "chips.it_kw_per_accelerator",
        "operations.staff_per_mw",
        "cooling.overhead_peak",
    ):
        assert value(name).sel(site=first.name) != value(name).sel(site=second.name), name
