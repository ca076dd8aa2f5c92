"""The standard figures of a run, drawn with matplotlib (Agg backend, imported when first used).

The figures own their look; the numbers come from the results, never from here. Modules:

- :mod:`.cash_flows`: the waterfall from the present value of revenue to the NPV, and the
  cumulative discounted free cash flow by year;
- :mod:`.sensitivity`: Sobol indices (bars, over the years, at increasing sample size), Shapley
  effects beside them, and the tornado;
- :mod:`.uncertainty`: Monte Carlo distributions (one study's NPV, several studies overlaid);
- :mod:`.scenarios`: the cases side by side;
- :mod:`.options`: a real-options study (build probability by year, exercise boundary, flexible
  against committed NPV);
- :mod:`.files`: :func:`save_figure` and :func:`write_standard_plots`;
- :mod:`.style`: the canvas and colours they share.

Each function returns a :class:`matplotlib.figure.Figure`. This package re-exports them for
notebooks (``from tecmodel.report import figures``; ``figures.cash_flow_waterfall(result)``);
the package's own modules import from the defining modules.
"""

from __future__ import annotations

from tecmodel.report.figures.cash_flows import cash_flow_waterfall, cumulative_discounted_cash_flow
from tecmodel.report.figures.fans import fan_charts
from tecmodel.report.figures.files import save_figure, write_standard_plots
from tecmodel.report.figures.options import (
    exercise_boundary_chart,
    exercise_probability_chart,
    option_value_distribution,
)
from tecmodel.report.figures.scenarios import scenario_comparison
from tecmodel.report.figures.sensitivity import (
    convergence_chart,
    shapley_bars,
    sobol_bars,
    sobol_over_time,
    tornado_chart,
)
from tecmodel.report.figures.uncertainty import distribution_comparison, npv_distribution

__all__ = [
    "cash_flow_waterfall",
    "cumulative_discounted_cash_flow",
    "sobol_bars",
    "shapley_bars",
    "tornado_chart",
    "sobol_over_time",
    "convergence_chart",
    "npv_distribution",
    "distribution_comparison",
    "fan_charts",
    "scenario_comparison",
    "exercise_probability_chart",
    "exercise_boundary_chart",
    "option_value_distribution",
    "save_figure",
    "write_standard_plots",
]
