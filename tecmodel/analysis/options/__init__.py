"""Real options: a case's sites as decisions, valued by least-squares Monte Carlo on its price paths.

This package owns the valuation of the decisions a case declares (``decisions:``, see
:mod:`tecmodel.inputs.decisions`): building a site in one year of a window, or never; and, at
each accelerator refresh of a site, refreshing, skipping, or stopping and selling
(:mod:`tecmodel.analysis.options.refresh`, the same steps over the tree of action histories).

Method
------
1. **Values of each action.** For every path of the case's simulated price processes and every
   decision year d of the window, the NPV of the site when its whole plan starts ``d - P`` years
   later (P: the plan's own decision year) is computed by the model itself
   (:mod:`tecmodel.analysis.options.exercise`): one :func:`tecmodel.evaluate` call per chunk of
   paths, the paths as overrides over ``year`` x ``sample`` and the candidate shifts along a
   ``start`` dimension. Every NPV is the site's unlevered NPV at ``finance.discount_rate``,
   discounted to the first model year, so values of different decision years compare directly.
2. **States.** At each decision year, the value of every process in that year (the compute
   price, the hardware cost, the power price, EUR/USD in the bundled cases). The other sites'
   realised quantities add nothing here: they are functions of the same prices.
3. **No foresight in a decision.** The NPV of building in year d depends on later prices, so
   the rule may not use it: it is estimated by least squares on a basis of the states of year d
   (polynomial of degree 2 with cross terms by default), fitted on the regression paths.
4. **Longstaff & Schwartz (2001).** The stopping rule is fitted backwards on the regression
   paths (:func:`tecmodel.numerics.lsmc.fit_rule`): at each date the value of waiting is the
   regression of the value realised later; a path builds where the estimated value of building
   is positive and exceeds it.
5. **Valuation.** The rule is applied to a second, independent set of paths (its seed derived
   from the study's seed); each path is credited with the *realised* NPV of the year it builds
   (0 if never). The mean is biased low (a rule short of optimal loses value) and its standard
   error is that of a plain mean; the value on the regression paths, biased high, is reported
   beside it.
6. **Trigger rule.** "Build when the main state relative to its central path has been above x
   for y consecutive years", x and y optimised on the regression paths
   (:func:`tecmodel.numerics.lsmc.fit_trigger_rule`) and valued on the same fresh paths.

Outputs and their definitions: :mod:`tecmodel.analysis.options.outputs`. Reproducibility: a
path's values depend on (seed, its index, block size) only, never on the chunk size.

Not modelled yet: a site's build and refresh decisions valued jointly (each decision is valued
on its own); the price-process parameters are drawn per path as in a Monte Carlo study, the
case's other uncertain inputs stay at their values.

References
----------
Longstaff, F. A., Schwartz, E. S. (2001). Valuing American options by simulation: a simple
least-squares approach. The Review of Financial Studies 14(1), 113-147.
Dixit, A. K., Pindyck, R. S. (1994). Investment under Uncertainty. Princeton University Press.
"""

from __future__ import annotations

from tecmodel.analysis.options.outputs import OPTION_OUTPUTS, RULES, WITH_STANDARD_ERROR
from tecmodel.analysis.options.study import real_options, valuation_seed

__all__ = ["OPTION_OUTPUTS", "RULES", "WITH_STANDARD_ERROR", "real_options", "valuation_seed"]
