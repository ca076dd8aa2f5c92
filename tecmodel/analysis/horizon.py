"""How much the choice of horizon matters: the NPV with the last model year moved.

This module owns the horizon sensitivity that ``tecmodel run`` prints: the case evaluated with
``model.end_year`` moved by a few years (by default -5, 0 and +5), everything else as stated, the
NPV split into its operating part and the horizon value each time. The horizon is structural (it
is the ``year`` dimension), so each horizon is its own case, checked by the same rules as a case
file; the distributions and the uncertainty section are left out, because a deterministic run
does not read them and a distribution admissible over one horizon may reach beyond a shorter one
(a contract term, say). A horizon the case's rules refuse (a phase online after it) gives NaN
and the reason.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import numpy as np
import xarray as xr

from tecmodel.errors import InputError
from tecmodel.inputs.case import Case, case_from_data
from tecmodel.model.evaluation import Result, evaluate
from tecmodel.model.metrics import PORTFOLIO

#: The metrics the horizon sensitivity reports.
HORIZON_METRICS = ("npv", "npv_operating", "npv_terminal")
#: The default moves of the last model year [yr].
DEFAULT_SHIFTS = (-5, 0, 5)
#: Prefix of the portfolio's variables (over ``horizon_shift`` only, so that a sum over ``site``
#: never meets them).
PORTFOLIO_PREFIX = f"{PORTFOLIO}_"


def with_horizon(case: Case, end_year: int) -> Case:
    """The case with its last model year moved to `end_year`, without its distributions.

    Raises
    ------
    InputError
        If the case's rules refuse that horizon.
    """
    raw = _without_distributions(copy.deepcopy(dict(case.raw)))
    raw.pop("uncertainty", None)
    raw["model"]["end_year"]["value"] = int(end_year)
    return case_from_data(raw, file=case.file)


def _without_distributions(node):
    if isinstance(node, dict):
        return {k: _without_distributions(v) for k, v in node.items() if k != "distribution"}
    if isinstance(node, list):
        return [_without_distributions(item) for item in node]
    return node


def horizon_sensitivity(
    case: Case, shifts: Sequence[int] = DEFAULT_SHIFTS, *, stated: Result | None = None
) -> xr.Dataset:
    """NPV, its operating part and the horizon value with the horizon moved [EUR].

    Parameters
    ----------
    case : Case
    shifts : sequence of int
        Years added to ``model.end_year`` (0: the case as stated).
    stated : Result, optional
        The case's own evaluation (``evaluate(case)``), read at shift 0 instead of evaluating
        the case again.

    Returns
    -------
    xarray.Dataset
        ``npv``, ``npv_operating``, ``npv_terminal`` over (``horizon_shift``, ``site``, the sites
        only) and the portfolio's, ``portfolio_npv`` ... over ``horizon_shift`` [EUR];
        coordinate ``end_year``; ``problem`` (horizon_shift), the reason a horizon could not be
        evaluated ("" where it was).
    """
    sites = list(case.site_names)
    values = np.full((len(HORIZON_METRICS), len(shifts), len(sites)), np.nan)
    portfolio = np.full((len(HORIZON_METRICS), len(shifts)), np.nan)
    problems = []
    for index, shift in enumerate(shifts):
        try:
            moved = case if shift == 0 else with_horizon(case, case.end_year + shift)
        except InputError as error:
            problems.append(str(error))
            continue
        problems.append("")
        result = stated if shift == 0 and stated is not None else evaluate(moved, generations=False)
        for m, name in enumerate(HORIZON_METRICS):
            values[m, index] = result.metrics[name].values
            portfolio[m, index] = result.portfolio[name].values
    coords = {
        "horizon_shift": list(shifts),
        "site": sites,
        "end_year": ("horizon_shift", [case.end_year + shift for shift in shifts]),
    }
    data = {}
    for m, name in enumerate(HORIZON_METRICS):
        data[name] = xr.DataArray(values[m], dims=("horizon_shift", "site"), coords=coords)
        data[PORTFOLIO_PREFIX + name] = xr.DataArray(
            portfolio[m], dims="horizon_shift", coords={"horizon_shift": list(shifts)}
        )
    result = xr.Dataset(data)
    result["problem"] = xr.DataArray(problems, dims="horizon_shift")
    result["horizon_shift"].attrs = {"units": "yr", "long_name": "Years added to model.end_year"}
    result["end_year"].attrs = {"units": "year", "long_name": "Last model year"}
    for name in HORIZON_METRICS:
        result[name].attrs = {"units": "EUR"}
        result[PORTFOLIO_PREFIX + name].attrs = {"units": "EUR", "long_name": f"{name}, portfolio"}
    return result


__all__ = ["DEFAULT_SHIFTS", "HORIZON_METRICS", "horizon_sensitivity", "with_horizon"]
