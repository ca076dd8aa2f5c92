"""tecmodel: techno-economic investment model of gigawatt-scale AI compute campuses.

Public API::

    case = tecmodel.load_case("inputs/base_10b.yaml")
    result = tecmodel.evaluate(case, overrides={"energy_price": 80.0})
    result.cube        # xarray cash-flow cube (item x year x site[ x sample]) [EUR]
    result.metrics     # NPV, IRR, payback, LCOC, break-even price ... per site and portfolio
    result.budget      # what the stated budget buys against the stated plan

Heavy optional libraries (SALib, dask, openpyxl, matplotlib) are imported only by the functions
that use them.
"""

from __future__ import annotations

__version__ = "0.1.0"

from ._xarray_imports import defer_duck_array_imports
from .errors import InputError
from .inputs import Case, load_case
from .model import Result, evaluate
from .registry import ALIASES, PARAMETERS, REGISTRY

defer_duck_array_imports()


# --- the Excel report: openpyxl is imported when it is first called, never by `import tecmodel`
def export_excel(results, path, sensitivity=None, tornado=None, monte_carlo=None):
    """Write the live Excel report of results; see :func:`tecmodel.report.excel.export_excel`."""
    from .report.excel import export_excel as write_workbook

    return write_workbook(results, path, sensitivity=sensitivity, tornado=tornado, monte_carlo=monte_carlo)


__all__ = ["__version__", "InputError", "Case", "load_case", "Result", "evaluate", "ALIASES",
           "PARAMETERS", "REGISTRY", "export_excel"]
