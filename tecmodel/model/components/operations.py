"""Operations: staff, maintenance, IT support, insurance, local taxes and network.

This module owns the running costs other than power and cooling maintenance: permanent staff
per MW of subscribed power at a loaded cost per FTE; facility maintenance as a share of the
shell, core and electrical capex; IT support, spares and RMA as a share of the purchase value of
operating accelerators; property and business-interruption insurance on the facility's current
cost and the accelerators' purchase value; local taxes and network per MW of subscribed power.
Costs scale with the operating fraction of each phase and escalate with inflation.
"""

from __future__ import annotations

import xarray as xr

from tecmodel.model.components import ComponentResult
from tecmodel.model.timeline import escalation


def line_items(
    params: xr.Dataset,
    timeline: xr.Dataset,
    subscribed_mw: xr.DataArray,
    it_value_operating: xr.DataArray,
) -> ComponentResult:
    """Operating costs [EUR] (all negative).

    Parameters
    ----------
    params : xarray.Dataset
        Reads ``operations.*``, construction and cooling capex per MW, ``finance.inflation``.
    timeline : xarray.Dataset
        From :func:`tecmodel.timeline.build_timeline`.
    subscribed_mw : xarray.DataArray
        Subscribed grid power, operating IT MW x peak PUE [MW].
    it_value_operating : xarray.DataArray
        Purchase value of operating accelerators [EUR].

    Returns
    -------
    ComponentResult
        Items ``operations_staff``, ``operations_facility_maintenance``,
        ``operations_it_support``, ``operations_insurance``, ``operations_local_taxes`` and
        ``operations_network``.
    """
    escalated = escalation(timeline, params["finance.inflation"])
    operating_it_mw = timeline["operating_it_mw"]
    contingency = params["construction.contingency"]
    # Current (escalated) cost of the operating facility, the base of maintenance and insurance.
    shell_electrical = (
        operating_it_mw
        * (params["construction.shell_core_per_mw"] + params["construction.electrical_per_mw"])
        * (1.0 + contingency)
        * escalated
    )
    cooling_plant = operating_it_mw * params["cooling.capex_per_mw"] * escalated
    staff_cost = params["operations.staff_per_mw"] * params["operations.cost_per_fte"] * escalated
    insurance_rate = params["operations.insurance_rate"]
    # Signs and rates on the small operands first: one pass per item over sample-sized arrays.
    return ComponentResult(
        items={
            "operations_staff": subscribed_mw * -staff_cost,
            "operations_facility_maintenance": shell_electrical
            * -params["operations.facility_maintenance_rate"],
            "operations_it_support": it_value_operating * -params["operations.it_support_rate"],
            "operations_insurance": (
                (shell_electrical + cooling_plant) * -insurance_rate
                + it_value_operating * -insurance_rate
            ),
            "operations_local_taxes": subscribed_mw
            * -(params["operations.local_taxes_per_mw"] * escalated),
            "operations_network": subscribed_mw
            * -(params["operations.network_per_mw"] * escalated),
        },
    )
