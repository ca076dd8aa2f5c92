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

from . import solvers  # decision solvers (issue 3; light: numpy and xarray only)
from ._xarray_imports import defer_distributed_import, defer_duck_array_imports
from .errors import InputError
from .inputs import Case, load_case
from .model import Result, evaluate
from .registry import ALIASES, PARAMETERS, REGISTRY

defer_duck_array_imports()
defer_distributed_import()


# --- uncertainty (issue 4): thin wrappers so `import tecmodel` stays light (SALib, dask, zarr
# and tqdm are imported by the functions that use them)
def sobol(case, factors=("energy_price", "utilisation", "chip_cost"), n=2**12, seed=0, second_order=True,
          groups=None, **options):
    """Sobol' sensitivity indices; see :func:`tecmodel.sensitivity.sobol`."""
    from .sensitivity import sobol as _sobol

    return _sobol(case, factors, n, seed, second_order, groups, **options)


def sobol_convergence(case, factors=("energy_price", "utilisation", "chip_cost"), **options):
    """Sobol' indices at increasing N; see :func:`tecmodel.sensitivity.sobol_convergence`."""
    from .sensitivity import sobol_convergence as _convergence

    return _convergence(case, factors, **options)


def tornado(case, factors=("energy_price", "utilisation", "chip_cost"), metrics=("npv", "irr", "lcoc"), **options):
    """One-at-a-time low/high sensitivities; see :func:`tecmodel.sensitivity.tornado`."""
    from .sensitivity import tornado as _tornado

    return _tornado(case, factors, metrics, **options)


def monte_carlo(case, n=100_000, seed=0, sampler="sobol", **options):
    """A Monte Carlo study; see :func:`tecmodel.montecarlo.monte_carlo`."""
    from .montecarlo import monte_carlo as _monte_carlo

    return _monte_carlo(case, n, seed, sampler, **options)
# --- end uncertainty


# --- scenario tables and case comparison (issue 3)
def compare(*cases, site="portfolio", reference=None):
    """Cases side by side with differences; see :func:`tecmodel.scenarios.compare`."""
    from .scenarios import compare as _compare

    return _compare(*cases, site=site, reference=reference)


def evaluate_scenarios(case, names=None, *, overrides=None, include_base=True):
    """The case's named scenarios in one vectorised run; see :func:`tecmodel.scenarios.evaluate_scenarios`."""
    from .scenarios import evaluate_scenarios as _evaluate_scenarios

    return _evaluate_scenarios(case, names, overrides=overrides, include_base=include_base)
# --- end scenario tables


# --- the Excel report: openpyxl is imported when it is first called, never by `import tecmodel`
def export_excel(results, path, sensitivity=None, tornado=None, monte_carlo=None):
    """Write the live Excel report of results; see :func:`tecmodel.report.excel.export_excel`."""
    from .report.excel import export_excel as write_workbook

    return write_workbook(results, path, sensitivity=sensitivity, tornado=tornado, monte_carlo=monte_carlo)


# --- notebooks (issue 6): the inputs of a case as a table (pandas, already imported by the model)
def inputs_table(case):
    """Every parameter value of a case with unit, distribution and source; see
    :func:`tecmodel.report.tables.inputs_table`."""
    from .report.tables import inputs_table as _inputs_table

    return _inputs_table(case)
# --- end notebooks


__all__ = ["__version__", "InputError", "Case", "load_case", "Result", "evaluate", "ALIASES",
           "PARAMETERS", "REGISTRY", "sobol", "sobol_convergence", "tornado", "monte_carlo", "export_excel",
           "compare", "evaluate_scenarios", "solvers", "inputs_table"]
