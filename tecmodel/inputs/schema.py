"""The pydantic schema of a case file: its structure and the type of every field.

This module owns what a case file may contain. A case file states every number as a mapping with
its unit and source (a :class:`Quantity`)::

    power:
      market_price: {value: 60, unit: EUR/MWh, source: "agence203.net Cal-26 52.70 ..."}

The sections of registered parameters (``model``, ``power``, ``chips`` ...) are generated from
the parameter registry (:mod:`tecmodel.inputs.registry`), so a new parameter needs no change
here. Site-level sections may be given once under ``site_defaults`` and overridden per site.

Every model is strict: unknown keys, text where a number is expected, NaN and infinity are
refused. The price processes (``processes``, ``process_correlation``, ``drives``) keep their
case-file form here and are checked by :mod:`tecmodel.inputs.markets`. Units, bounds and the
cross-field rules are checked after the schema, when the case is built
(:mod:`tecmodel.inputs.case`).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    create_model,
)

from tecmodel.inputs.registry import CASE_GROUPS, PARAMETERS, SITE_GROUPS

_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, str_strip_whitespace=True)


def _float_sized(value: float | int) -> float | int:
    """Refuse a whole number too large for a 64-bit float (it would overflow on conversion)."""
    if isinstance(value, int) and abs(value) > sys.float_info.max:
        raise ValueError("expected a number of magnitude at most 1.8e308")
    return value


Number = Annotated[StrictFloat | StrictInt, AfterValidator(_float_sized)]
Text = Annotated[str, Field(min_length=1)]


class DistributionSpec(BaseModel):
    """A distribution of an uncertain value, in the Quantity's unit.

    See :mod:`tecmodel.inputs.distributions` for the types and their fields.
    """

    model_config = _STRICT
    type: Text
    low: Number | None = None
    mode: Number | None = None
    high: Number | None = None
    mean: Number | None = None
    std: Number | None = None
    alpha: Number | None = None
    beta: Number | None = None
    shape: Number | None = None
    source: str | None = None
    note: str | None = None


class Quantity(BaseModel):
    """One stated number: value, unit and source (and an optional note and distribution)."""

    model_config = _STRICT
    value: Number
    unit: Text
    source: Text
    note: str | None = None
    distribution: DistributionSpec | None = None


class RankCorrelationSpec(BaseModel):
    """Spearman rank correlations between uncertain parameters (a full symmetric matrix)."""

    model_config = _STRICT
    parameters: Annotated[list[Text], Field(min_length=2)]
    matrix: list[list[Number]]
    source: Text


class UncertaintySpec(BaseModel):
    """How the case's distributions are sampled together (see :mod:`tecmodel.analysis.sampling`)."""

    model_config = _STRICT
    per_site: list[Text] = Field(default_factory=list)
    rank_correlation: RankCorrelationSpec | None = None


class PhaseSpec(BaseModel):
    """A build phase: IT MW coming online in a year."""

    model_config = _STRICT
    name: Text | None = None
    online_year: StrictInt
    it_mw: Quantity


class CapacityStepSpec(BaseModel):
    """Grid capacity available at the meter from a year on."""

    model_config = _STRICT
    from_year: StrictInt
    capacity: Quantity


class TrancheSpec(BaseModel):
    """A debt tranche as written under ``financing.tranches``.

    Its terms are converted and checked by :func:`tecmodel.inputs.terms.build_tranches`.
    """

    model_config = _STRICT
    name: Text
    title: str | None = None
    funds: Annotated[list[Literal["facility", "chips"]], Field(min_length=1)]
    sites: Annotated[list[Text], Field(min_length=1)] | None = None
    share: Quantity
    interest_rate: Quantity
    tenor: Quantity
    grace: Quantity | None = None
    repayment: Literal["annuity", "straight_line", "sculpted"]
    target_dscr: Quantity | None = None
    upfront_fee: Quantity | None = None
    commitment_fee: Quantity | None = None
    recurring: StrictBool = False


class TerminalMethodSpec(BaseModel):
    """The horizon method as written under ``terminal.method`` (:mod:`tecmodel.inputs.horizon`)."""

    model_config = _STRICT

    value: Literal["liquidation", "going_concern", "none"]
    basis: Literal["exit_multiple", "perpetuity"] | None = None
    source: Text
    note: str | None = None


class ScenarioChangesSpec(BaseModel):
    """Parameter changes of a scenario: absolute values and/or factors on the case's values."""

    model_config = _STRICT
    overrides: dict[str, Quantity] | None = None
    scale: dict[str, Quantity] | None = None


class ScenarioSpec(ScenarioChangesSpec):
    """A named what-if scenario as written under ``scenarios``.

    ``sites`` narrows changes to one site each.
    """

    name: Text
    title: Text
    description: str | None = None
    sites: dict[str, ScenarioChangesSpec] | None = None


class DecisionWindowSpec(BaseModel):
    """The first and last decision years of a decision's window, each a Quantity."""

    model_config = _STRICT
    first: Quantity
    last: Quantity


class DecisionSpec(BaseModel):
    """A decision as written under ``decisions`` (see :mod:`tecmodel.inputs.decisions`)."""

    model_config = _STRICT
    name: Text
    title: Text
    description: str | None = None
    action: Literal["build", "refresh"]
    site: Text
    window: DecisionWindowSpec | None = None
    lag: Quantity | None = None
    state: Text | None = None
    source: Text | None = None


def _group_model(group: str, scope: str, extra_fields: Mapping[str, Any] | None = None):
    """The section model of a registry group: one optional Quantity per parameter."""
    fields: dict[str, Any] = {
        p.field: (Quantity | None, None)
        for p in PARAMETERS
        if p.group == group and p.scope == scope
    }
    fields.update(extra_fields or {})
    return create_model(f"{scope.title()}{group.title()}Section", __config__=_STRICT, **fields)


_CASE_SECTIONS = {
    group: _group_model(
        group,
        "case",
        {
            "financing": {"tranches": (list[TrancheSpec] | None, None)},
            "terminal": {"method": (TerminalMethodSpec | None, None)},
        }.get(group),
    )
    for group in CASE_GROUPS
}
_SITE_SECTIONS = {
    group: _group_model(
        group,
        "site",
        {"capacity": (list[CapacityStepSpec] | None, None)} if group == "grid" else None,
    )
    for group in SITE_GROUPS
}

SiteDefaultsSpec = create_model(
    "SiteDefaults",
    __config__=_STRICT,
    **{group: (model | None, None) for group, model in _SITE_SECTIONS.items()},
)

SiteSpec = create_model(
    "Site",
    __config__=_STRICT,
    name=(Text, ...),
    title=(str | None, None),
    location=(str | None, None),
    phases=(Annotated[list[PhaseSpec], Field(min_length=1)], ...),
    **{group: (model | None, None) for group, model in _SITE_SECTIONS.items()},
)

CaseSpec = create_model(
    "Case",
    __config__=_STRICT,
    name=(Text, ...),
    title=(Text, ...),
    description=(str, ""),
    **{group: (model | None, None) for group, model in _CASE_SECTIONS.items()},
    site_defaults=(SiteDefaultsSpec | None, None),
    sites=(Annotated[list[SiteSpec], Field(min_length=1)], ...),
    uncertainty=(UncertaintySpec | None, None),
    scenarios=(list[ScenarioSpec] | None, None),
    decisions=(list[DecisionSpec] | None, None),
    # Price processes, their shock correlation and the quantities that follow them: checked by
    # tecmodel.inputs.markets (the process specs by tecmodel.inputs.processes).
    processes=(dict[Text, Any] | None, None),
    process_correlation=(Any, None),
    drives=(dict[Text, Annotated[list[Text], Field(min_length=1)]] | None, None),
)

__all__ = [
    "Number",
    "Text",
    "DistributionSpec",
    "Quantity",
    "RankCorrelationSpec",
    "UncertaintySpec",
    "PhaseSpec",
    "CapacityStepSpec",
    "TrancheSpec",
    "TerminalMethodSpec",
    "ScenarioChangesSpec",
    "ScenarioSpec",
    "DecisionWindowSpec",
    "DecisionSpec",
    "SiteDefaultsSpec",
    "SiteSpec",
    "CaseSpec",
]
