"""inputs/README.md is generated from the registry and the case files, and is up to date."""

from __future__ import annotations

from tecmodel.inputs.bundled import bundled_case_paths
from tecmodel.inputs.registry import PARAMETERS
from tecmodel.report.assumptions import assumptions_markdown

from .conftest import INPUTS, ROOT


def test_inputs_readme_is_current():
    generated = assumptions_markdown(bundled_case_paths(), ROOT)
    committed = (INPUTS / "README.md").read_text()
    assert committed == generated, "inputs/README.md is stale: run `make docs`"


def test_every_parameter_has_unit_source_and_description():
    for parameter in PARAMETERS:
        assert parameter.unit and parameter.source and parameter.description, parameter.name
        low, mode, high = parameter.reference
        assert parameter.bounds[0] <= low <= mode <= high <= parameter.bounds[1], parameter.name


def test_every_bundled_value_has_a_source(base_case, doubled_case):
    for case in (base_case, doubled_case):
        for entry in case.entries.values():
            assert entry.source.strip(), entry.path
        for site in case.sites:
            assert all(phase.source for phase in site.phases)
            assert all(step.source for step in site.grid_capacity)
