"""Monte Carlo studies: chunked, seeded, resumable, in-process or on a dask cluster.

The package owns the running of a study, not its maths: the samples come from
:mod:`tecmodel.analysis.sampling`, the model from :func:`tecmodel.model.evaluation.evaluate`
(vectorised calls over a chunk's samples, never a loop over samples), the statistics from
:mod:`tecmodel.numerics.statistics`. Its modules:

- :mod:`~tecmodel.analysis.montecarlo.study`: :func:`monte_carlo`, :class:`MonteCarloResult`,
  :class:`Tolerance` (the arguments, the auto-stop, the summary);
- :mod:`~tecmodel.analysis.montecarlo.execution`: the unit of work (a chunk of blocks in one
  model call), in-process and dask runs, :class:`LocalClusterClient`, the progress bar;
- :mod:`~tecmodel.analysis.montecarlo.store`: the in-memory and zarr sinks, the study's
  fingerprint (which stores may be resumed);
- :mod:`~tecmodel.analysis.montecarlo.layout`: the per-sample variables, their units and names.

Reproducibility. The ``n`` samples are split into fixed **blocks** of ``block_size`` samples
(default 2^14); block ``b`` draws its uniforms from its own ``SeedSequence(seed).spawn`` child
(see :mod:`tecmodel.analysis.sampling` for the ``sobol`` and ``lhs`` samplers). A **chunk** is a
run of whole blocks, sampled at once and evaluated in model calls of a bounded number of
site-samples (:data:`~tecmodel.analysis.montecarlo.execution.BATCH_SITE_SAMPLES`); the model's
arithmetic on a sample does not depend on the other samples of a call (ordered sums, exact
integer powers; tested), so a seed gives bit-identical samples and results whatever
``chunk_size``, the number of workers, and whether the study ran in-process or on dask. Only
``(case, n, seed, sampler, block_size, parameters)`` and the model's code decide the numbers.

Stores. With ``store=PATH`` a study killed part-way and started again with the same arguments
evaluates only the blocks not yet marked done and ends with the same results as an
uninterrupted run; a store made with other arguments or another version of the model code is
refused unless ``overwrite=True`` (``--restart``).

The public names are re-exported here for notebooks and the public API
(``tecmodel.analysis.montecarlo.monte_carlo``); the package's own modules import them from the
module that defines them.
"""

from tecmodel.analysis.montecarlo.execution import LocalClusterClient
from tecmodel.analysis.montecarlo.study import MonteCarloResult, Tolerance, monte_carlo

__all__ = ["LocalClusterClient", "MonteCarloResult", "Tolerance", "monte_carlo"]
