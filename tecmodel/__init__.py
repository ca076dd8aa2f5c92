"""tecmodel: techno-economic investment model of gigawatt-scale AI compute campuses.

Public API::

    case = tecmodel.load_case("inputs/base_10b.yaml")
    result = tecmodel.evaluate(case, overrides={"energy_price": 80.0})
    result.cube        # unlevered project cash flows (item x year x site[ x sample]) [EUR]
    result.metrics     # NPV, IRR, payback, LCOC, break-even price ... per site (over `site`)
    result.portfolio   # the same for the portfolio (no `site`): metrics.npv.sum("site") == npv
    result.budget      # what the stated budget buys against the stated plan
    tecmodel.compare(case_a, case_b)        # cases side by side (xr.Dataset over `case`)
    tecmodel.evaluate_scenarios(case)       # the case's named scenarios along `scenario`
    tecmodel.shapley(case)                  # Shapley effects of NPV, rank correlations kept
    tecmodel.real_options(case, n=10_000)   # the case's decisions (a second site) as options
    tecmodel.solvers.price_for_target_irr(result, 0.15)   # and the other decision solvers
    tecmodel.processes.simulate(spec, years, n=10_000)     # paths of a price process
    tecmodel.finance.terminal_value(method, ...)           # the horizon value by method

The package is layered (``numerics`` -> ``inputs`` -> ``model`` -> ``analysis`` -> ``report``
-> ``cli``, see ``docs/architecture.md``). Importing it loads the inputs and the model; the
analyses and reports are imported the first time one of their names is used
(:data:`_LAZY`), so ``import tecmodel`` stays light in a notebook or a script.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tecmodel._version import __version__
from tecmodel.errors import InputError
from tecmodel.inputs.case import Case, load_case
from tecmodel.inputs.registry import ALIASES, PARAMETERS, REGISTRY
from tecmodel.model import finance
from tecmodel.model.evaluation import Result, evaluate

if TYPE_CHECKING:  # the lazily imported names, for type checkers and IDEs
    from tecmodel.analysis import processes, solvers
    from tecmodel.analysis.montecarlo.study import monte_carlo
    from tecmodel.analysis.options.study import real_options
    from tecmodel.analysis.scenarios import compare, evaluate_scenarios
    from tecmodel.analysis.sensitivity.shapley_case import shapley
    from tecmodel.analysis.sensitivity.sobol_case import sobol, sobol_convergence
    from tecmodel.analysis.sensitivity.tornado_case import tornado
    from tecmodel.report.excel import export_excel
    from tecmodel.report.tables import inputs_table

#: Public name -> the module that defines it, imported on first use (PEP 562): the name is that
#: module's attribute of the same name, or the module itself when it has none (``solvers``).
#: The analyses and reports pull in SALib, scipy, openpyxl or matplotlib, which a plain
#: evaluation never needs.
_LAZY: dict[str, str] = {
    "solvers": "tecmodel.analysis.solvers",
    "processes": "tecmodel.analysis.processes",
    "sobol": "tecmodel.analysis.sensitivity.sobol_case",
    "sobol_convergence": "tecmodel.analysis.sensitivity.sobol_case",
    "tornado": "tecmodel.analysis.sensitivity.tornado_case",
    "shapley": "tecmodel.analysis.sensitivity.shapley_case",
    "monte_carlo": "tecmodel.analysis.montecarlo.study",
    "real_options": "tecmodel.analysis.options.study",
    "compare": "tecmodel.analysis.scenarios",
    "evaluate_scenarios": "tecmodel.analysis.scenarios",
    "export_excel": "tecmodel.report.excel",
    "inputs_table": "tecmodel.report.tables",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'tecmodel' has no attribute {name!r}")
    module = importlib.import_module(_LAZY[name])
    value = getattr(module, name, module)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


__all__ = [
    "__version__",
    "InputError",
    "Case",
    "load_case",
    "Result",
    "evaluate",
    "finance",
    "ALIASES",
    "PARAMETERS",
    "REGISTRY",
    "solvers",
    "processes",
    "sobol",
    "sobol_convergence",
    "tornado",
    "shapley",
    "monte_carlo",
    "real_options",
    "compare",
    "evaluate_scenarios",
    "export_excel",
    "inputs_table",
]
