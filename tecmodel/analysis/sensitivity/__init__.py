"""Sensitivity analyses of a case: Sobol' indices (SALib), one-at-a-time tornado data.

Modules:

- :mod:`~tecmodel.analysis.sensitivity.saltelli`: the Sobol' engine on a model function
  (Saltelli's design, chunked evaluation, SALib's estimators vectorised over outputs);
- :mod:`~tecmodel.analysis.sensitivity.sobol`: the case model plugged into it (:func:`sobol`,
  :func:`sobol_convergence`);
- :mod:`~tecmodel.analysis.sensitivity.tornado`: :func:`tornado`;
- :mod:`~tecmodel.analysis.sensitivity.factors`: factors, groups and metrics, shared by all.

The public names are re-exported here for notebooks and the public API; the package's own
modules import them from the module that defines them.
"""

from tecmodel.analysis.sensitivity.saltelli import sobol_analysis
from tecmodel.analysis.sensitivity.sobol import sobol, sobol_convergence
from tecmodel.analysis.sensitivity.tornado import tornado

__all__ = ["sobol", "sobol_analysis", "sobol_convergence", "tornado"]
