"""tecmodel: techno-economic investment model of gigawatt-scale AI compute campuses.

Public API::

    case = tecmodel.load_case("inputs/base_10b.yaml")
    result = tecmodel.evaluate(case, overrides={"energy_price": 80.0})
    result.cube        # xarray cash-flow cube (item x year x site[ x sample]) [EUR]
    result.metrics     # NPV, IRR, payback, LCOC, break-even price ... per site and portfolio
    result.budget      # what the stated budget buys against the stated plan
    tecmodel.compare(case_a, case_b)        # cases side by side (xr.Dataset over `case`)
    tecmodel.evaluate_scenarios(case)       # the case's named scenarios along `scenario`
    tecmodel.solvers.price_for_target_irr(result, 0.15)   # and the other decision solvers

Heavy optional libraries (SALib, dask, openpyxl, matplotlib) are imported only by the functions
that use them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import InputError
from .inputs import Case, load_case
from .model import Result, evaluate
from .registry import ALIASES, PARAMETERS, REGISTRY
from . import solvers  # decision solvers (issue 3)
from .scenarios import compare, evaluate_scenarios  # scenario tables and case comparison (issue 3)

__all__ = ["__version__", "InputError", "Case", "load_case", "Result", "evaluate", "ALIASES",
           "PARAMETERS", "REGISTRY", "compare", "evaluate_scenarios",
           "solvers"]
