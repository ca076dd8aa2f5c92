"""Sensitivity analyses of a case: Sobol' indices (SALib), Shapley effects of rank-correlated
inputs, one-at-a-time tornado data.

Modules:

- :mod:`~tecmodel.analysis.sensitivity.saltelli`: the Sobol' engine on a model function
  (Saltelli's design, chunked evaluation, SALib's estimators vectorised over outputs);
- :mod:`~tecmodel.analysis.sensitivity.sobol_case`: the case model plugged into it (:func:`sobol`,
  :func:`sobol_convergence`);
- :mod:`~tecmodel.analysis.sensitivity.shapley`: Shapley effects of a model function of
  rank-correlated inputs (:func:`shapley_effects`), estimated by
  :mod:`~tecmodel.analysis.sensitivity.coalitions`;
- :mod:`~tecmodel.analysis.sensitivity.shapley_case`: the case model plugged into it, with the
  Monte Carlo's distributions and rank correlations (``tecmodel.shapley``);
- :mod:`~tecmodel.analysis.sensitivity.tornado_case`: :func:`tornado`;
- :mod:`~tecmodel.analysis.sensitivity.factors`: factors, groups and metrics, shared by all.

The public names are re-exported here for notebooks and the public API; the package's own
modules import them from the module that defines them.
"""

from tecmodel.analysis.sensitivity.saltelli import sobol_analysis
from tecmodel.analysis.sensitivity.shapley import shapley_effects
from tecmodel.analysis.sensitivity.sobol_case import sobol, sobol_convergence
from tecmodel.analysis.sensitivity.tornado_case import tornado

__all__ = ["shapley_effects", "sobol", "sobol_analysis", "sobol_convergence", "tornado"]
