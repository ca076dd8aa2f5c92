"""The finance functions of the public API, ``tecmodel.finance``.

This module owns nothing of its own: it gathers, under one name, the functions a reader uses to
value cash flows outside an evaluation: discounting (:func:`discount_factors`,
:func:`present_value`), the IRR and paybacks (:func:`project_irr`, :func:`payback_year`) from
:mod:`tecmodel.model.metrics`, and the horizon value by method (:func:`terminal_value` and its
parts) from :mod:`tecmodel.model.terminal`::

    result = tecmodel.evaluate(tecmodel.load_case("base_10b"))
    rows = tecmodel.finance.terminal_value(
        "going_concern", result.parameters, result.quantities, result.cash_flows,
        result.timeline, basis="exit_multiple",
    )
"""

from __future__ import annotations

from tecmodel.model.metrics import discount_factors, payback_year, present_value, project_irr
from tecmodel.model.terminal import (
    HORIZON_ROWS,
    accelerator_resale_share,
    exit_multiple_value,
    horizon_tax,
    normalised_free_cash_flow,
    perpetuity_value,
    terminal_value,
)

__all__ = [
    "HORIZON_ROWS",
    "accelerator_resale_share",
    "discount_factors",
    "exit_multiple_value",
    "horizon_tax",
    "normalised_free_cash_flow",
    "payback_year",
    "perpetuity_value",
    "present_value",
    "project_irr",
    "terminal_value",
]
