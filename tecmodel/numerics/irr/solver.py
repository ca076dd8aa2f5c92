"""The vectorised internal rate of return (IRR) solver: its conventions and its method.

Every IRR of the package is computed by :func:`irr`; this docstring is the
description of the method that the modules of :mod:`tecmodel.numerics.irr`
implement.

Conventions
-----------
* A cash-flow series ``cf_0, cf_1, ..., cf_{T-1}`` [EUR] is indexed by period,
  and the first value is at t = 0 (undiscounted), as in
  ``numpy_financial.npv`` and ``numpy_financial.irr``::

      NPV(r) = sum_t cf_t / (1 + r)**t

  with the discount rate r [1/yr] per period (a year in this package).
* The internal rate of return is a rate r with NPV(r) = 0.  It is reported
  only when it is *unique* inside the admissible range ``[low, high]``; every
  other situation gets a status code (:class:`~.status.IrrStatus`) and a NaN rate.  No
  root is ever chosen silently among several.
* Arrays may have any number of dimensions; ``axis`` names the time axis.  The
  fast layout is time on axis 0 with the series contiguous along the last
  axis, shape ``(year, sample)`` ("sample last").

How :func:`irr` works
---------------------
With the discount factor g = 1/(1 + r), NPV is the polynomial
``P(g) = sum_t cf_t g**t``.  To keep every evaluation bounded (no overflow for
any series length, flows of any magnitude) the rate range is split at r = 0:

* r >= 0: evaluate ``P(x)`` with x = 1/(1 + r) in (0, 1];
* r < 0: evaluate the future-value polynomial ``F(x) = x**(T-1) * P(1/x)
  = sum_t cf_t x**(T-1-t)`` with x = 1 + r in (0, 1), which has the sign of
  NPV(r).

Both are polynomials in a variable x in (0, 1] (one with the coefficients in
reverse order), evaluated by Horner's scheme over the time axis.  Each series
is first normalised by its largest absolute flow, so every value is bounded
by T (:mod:`~.grid`).

The common path is one compiled loop (numba, :mod:`~.kernel`): the
series are cut into tiles of ``TILE_SERIES``, the tiles are shared among
numba's threads, and each tile goes through steps 1 to 3 without leaving
compiled code.  Loops that treat every series of a tile
alike (normalisation, grid values, Newton's Horner passes) run across the
series, so that the compiler can vectorise them; the rest runs series by
series.

1. *Grid pass.*  The NPV sign is evaluated on a grid of ``grid_points``
   rates (:func:`~.grid.rate_grid`).  A node value of exactly zero is a root on
   that node, and a cell whose end values differ in sign holds an odd
   number of roots, so each observed root is counted once.  Two or more
   observed roots prove status SEVERAL.
2. *Certificate.*  The grid cannot see two roots inside one cell, nor a
   tangent root, so one observed sign change does not prove one root.
   Descartes' rule of signs on repeated partial sums proves it for most
   series at the cost of a few passes: with the discounted flows
   ``d_t = cf_t / (1 + p)**t`` at a pivot rate p (an end of the bracket),
   the IRRs above p are at most the sign changes of the prefix sums of d
   (the cumulative discounted cash flow) and the IRRs below p at most those
   of the suffix sums; repeating the summation (``CERTIFICATE_LEVELS`` = 5
   times) can only tighten the bounds (p = 0 with one summation is
   Norstrom's criterion).  When the bounds add up to at most one, the one
   observed sign change is the only root.  With no observed sign change it
   proves status NONE_IN_RANGE.  Signs within their rounding-error bound
   count as unknown and the certificate then fails (:mod:`~.certificate`).
   That certificate counts the roots at all rates above -100 %; where it
   fails, Descartes' rule on the Mobius transforms of the cell, the rest of
   its half and the other half of the admissible range (the kernel's
   ``_descartes_proves``) counts the roots of the range only, and settles
   most of the rest.
3. *Refinement.*  A series with one proven root is solved by safeguarded
   Newton iteration inside its cell (a step leaving the shrinking bracket,
   or not halving the previous step, is replaced by bisection) until the
   step is below 1e-14 relative to x; the derivative comes from the same
   Horner pass.  The Newton iterations of a tile run side by side.
4. *Exact isolation.*  The few series left (a root exactly on a node, or
   no proof: typically several roots, or complex roots close to the real
   axis) are counted exactly in numpy by :class:`~.isolation.Isolator`:
   Descartes' rule on Mobius-transformed intervals with bisection (the
   Vincent-Collins-Akritas method), then Newton on the isolated root, in
   batches of ``ISOLATION_BATCH``.  Of a million project cash flows (those of the
   benchmark), a few dozen 21-year series get there, about 8,000 30-year
   series.

So the status is an exact root count, not a grid artefact: two IRRs inside
one grid cell give status SEVERAL, a simple root on a grid node is counted once.
The remaining limit is float64 resolution: roots that cannot be separated
(a tangent, i.e. double, root, or roots closer than about 1e-12 in x after
``ISOLATION_MAX_DEPTH`` halvings, or a complex pair that close to the real
axis) are counted as several: such a series gets status SEVERAL and never a
rate.  Apart from that, the only perturbation of the polynomial is the
normalisation of the flows (one rounding per flow).

A whole-array numpy implementation of steps 1 to 3 (``tests/irr_reference.py``)
is the reference the compiled path is tested against: the compiled loop performs
the same floating-point operations in the same order for the grid values,
the repeated sums and Newton's method, so statuses are identical and rates
bit-identical, except for the series settled by the Mobius test, which the
reference isolates instead (rates then agree to about 1e-15).

Reproducibility and threads
---------------------------
The result of a series depends on its own flows only: every operation of
the compiled loop involves one series, the same instructions run whatever
the tile, the batch or the thread that computes it, and the isolation is
per series too.  So results are bit-identical however a batch is split or
ordered, and whatever the number of threads.  The compiled loop uses
numba's thread count (``NUMBA_NUM_THREADS``, or ``numba.set_num_threads``
in the calling thread), fewer for small batches (one thread per
``TILES_PER_THREAD`` tiles); calls from several Python threads are
serialised.
numba is imported on the first call of :func:`irr`, and the compiled code
is cached on disk (this package's ``__pycache__``): the first call after an
installation or a change of ``kernel.py`` compiles it (several seconds), later
processes load it (a fraction of a second, plus numba's import).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import numpy as np

from .certificate import CERTIFICATE_LEVELS, TAIL_MATRICES, fold_weights
from .grid import Grid, rate_grid
from .isolation import Isolator, binomial_table
from .kernel import TILE_SERIES, compiled_kernel
from .status import IRR_STATUS, IrrStatus

__all__ = ["ISOLATION_BATCH", "IrrResult", "Solver", "irr"]

ISOLATION_BATCH = 2_048
"""Series left to the exact isolation are solved together in batches of this many, so that
its per-round overhead is shared."""

TILES_PER_THREAD = 16
"""A compiled call uses at most one thread per this many tiles (about 1,000
series, half a millisecond of work): launching threads costs more than
smaller shares are worth."""

_KERNEL_LOCK = threading.Lock()
"""Serialises launches of the parallel kernel: numba's fallback threading
layer (workqueue) must not be entered from two Python threads at once."""

_TINY_POWER = 1e-280
"""Smallest power ``x**(T - 1)`` of a half's variable [-] that the solver accepts: kept well
above the float64 underflow (about 1e-308), so that no evaluation loses precision to it."""


@dataclass(frozen=True)
class IrrResult:
    """Internal rates of return of many cash-flow series with their status.

    Attributes
    ----------
    rate : numpy.ndarray of float64
        Internal rate of return per series [1/yr]; NaN where ``status != 0``.
    status : numpy.ndarray of int8
        :class:`~.status.IrrStatus` code per series, a key of
        :data:`~.status.IRR_STATUS`; same shape as ``rate``.
    """

    rate: np.ndarray
    status: np.ndarray

    def reasons(self) -> np.ndarray:
        """Return the reason text of every status code.

        Returns
        -------
        numpy.ndarray of object
            ``IRR_STATUS[status]`` per series, same shape as ``status``.
        """
        table = np.empty(max(IRR_STATUS) + 1, dtype=object)
        for code, reason in IRR_STATUS.items():
            table[code] = reason
        return table[self.status]


class Solver:
    """Per-call state: the grid, the exact isolator, and how many series it isolated.

    Parameters
    ----------
    low, high : float
        Admissible range of the IRR [1/yr], ``-1 < low < high``.
    grid_points : int
        Nodes of the rate grid [-] (:func:`~.grid.rate_grid`).
    n_periods : int
        Number of periods T of the series [-].

    Raises
    ------
    ValueError
        For an invalid range or grid, or when ``min(1 + low, 1/(1 + high))**(T - 1)``
        falls below ``_TINY_POWER``.
    """

    def __init__(self, low: float, high: float, grid_points: int, n_periods: int):
        rates = rate_grid(low, high, grid_points)
        x_min = min(1.0 + low, 1.0 / (1.0 + high))
        if n_periods > 1 and (n_periods - 1) * np.log(x_min) < np.log(_TINY_POWER):
            raise ValueError(
                f"irr: {n_periods} periods are too many for the range [{low}, {high}]: "
                f"discount factors would underflow; narrow the range"
            )
        self.grid = Grid(rates)
        self.isolator = Isolator(float(low), float(high), n_periods)
        self.isolated = 0  # series the last run() left to the exact isolation

    def run(self, flat: np.ndarray, certify: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Rates and statuses of all series of ``flat``.

        One parallel compiled loop (:func:`~.kernel.compiled_kernel`) settles
        every series it can; the series it flags (a root on a grid node, or no
        proof of the root count) are normalised here as the kernel normalises
        them and isolated exactly in batches of ``ISOLATION_BATCH``.

        Parameters
        ----------
        flat : numpy.ndarray of float64, shape (T, n)
            Cash flows [EUR], time on axis 0.
        certify : bool, optional
            False switches the certificate and the Descartes test off, so
            every series that changes sign goes to the isolation (for tests).

        Returns
        -------
        rate : numpy.ndarray of float64, shape (n,)
            IRR [1/yr], NaN unless the status is OK.
        status : numpy.ndarray of int8, shape (n,)
            :class:`~.status.IrrStatus` code per series.
        """
        n_t, n_series = flat.shape
        rate = np.empty(n_series)
        status = np.empty(n_series, dtype=np.int8)
        hard = np.empty(n_series, dtype=np.bool_)
        level = CERTIFICATE_LEVELS
        kernel = compiled_kernel()
        import numba  # imported by compiled_kernel()

        # a parallel launch costs more than a few tiles are worth: small
        # batches use fewer threads (results do not depend on the count)
        threads = numba.get_num_threads()
        tiles = -(-n_series // TILE_SERIES)
        wanted = max(1, min(threads, tiles // TILES_PER_THREAD))
        with _KERNEL_LOCK:
            numba.set_num_threads(wanted)
            try:
                kernel(
                    flat,
                    self.grid.x,
                    self.grid.n_neg,
                    np.array(fold_weights(n_t, level)),  # a writable copy
                    np.ascontiguousarray(TAIL_MATRICES[level]),
                    binomial_table(n_t),
                    bool(certify),
                    rate,
                    status,
                    hard,
                )
            finally:
                numba.set_num_threads(threads)
        index = np.flatnonzero(hard)
        self.isolated = index.size
        for start in range(0, index.size, ISOLATION_BATCH):
            batch = index[start : start + ISOLATION_BATCH]
            flows = flat[:, batch]
            c = flows * (1.0 / np.maximum(flows.max(axis=0), -flows.min(axis=0)))
            rate[batch], status[batch] = self.isolator.solve(c)
        return rate, status


def irr(cash_flows, axis=0, *, low=-0.99, high=10.0, grid_points=16) -> IrrResult:
    """Internal rate of return of many cash-flow series, with a status per series.

    The IRR is the rate r with ``sum_t cf_t / (1 + r)**t = 0``, first flow at
    t = 0 (the ``numpy_financial.irr`` convention).  It is returned only when
    it is the one root inside ``[low, high]``; :mod:`tecmodel.numerics.irr.solver`
    describes the method and its resolution limit.

    Status per series (:class:`~.status.IrrStatus`, reasons in
    :data:`~.status.IRR_STATUS`):

    * NON_FINITE (4) -- a NaN or infinite flow (no warning is emitted);
    * NO_SIGN_CHANGE (1) -- no sign change among the non-zero flows
      (including all-zero);
    * OK (0) -- exactly one root in range (whatever the number of sign
      changes of the flows); ``rate`` holds it, refined to about 1e-14
      relative in 1/(1 + r);
    * SEVERAL (2) -- two or more roots in range, or roots that float64
      cannot separate (a tangent, i.e. double, root);
    * NONE_IN_RANGE (3) -- the flows change sign but no root lies in range.

    Parameters
    ----------
    cash_flows : array_like
        Cash flows [EUR] of any shape; ``axis`` is the time axis.  The fast
        layout is ``(year, sample)``: time on axis 0 and the series
        contiguous along the last axis.  Other layouts are handled by moving
        the time axis to the front: when the remaining axes still merge into
        one strided axis (any 2-D input, or time as the last axis of a
        C-ordered array) each tile is read with strides into the compiled
        loop's scratch space; otherwise numpy first makes one time-first
        copy of the whole input.  Values are converted to float64 once.
    axis : int, optional
        Time axis.  Default 0.
    low, high : float, keyword-only
        Admissible IRR range [1/yr], ``-1 < low < high``.  Defaults -0.99 and
        10.
    grid_points : int, keyword-only
        Nodes of the bracketing grid (:func:`~.grid.rate_grid`), at least 8.  It
        affects speed only, not the results beyond Newton's tolerance.
        Default 16.

    Returns
    -------
    IrrResult
        ``rate`` [1/yr] and ``status``, shape of ``cash_flows`` without
        ``axis``.

    Raises
    ------
    ValueError
        For a 0-d input, an invalid range or grid, or a series so long that
        ``min(1 + low, 1/(1 + high))**(T - 1)`` underflows (T > 141 with the
        default range).

    Notes
    -----
    The compiled loop needs, besides the results, a few kB of scratch space
    per tile of ``TILE_SERIES`` series; the series left to the exact
    isolation are copied and solved in batches of ``ISOLATION_BATCH``, so
    a (grid, year, series) array is never formed.  The result of a series
    does not depend on the tile, batch or thread it is computed in, nor on
    the layout of the input (see :mod:`tecmodel.numerics.irr.solver`).  The first call in
    a process imports numba and loads the compiled loop from its on-disk
    cache (or compiles it, after an installation).

    Examples
    --------
    >>> result = irr([-100, 39, 59, 55, 20])
    >>> round(float(result.rate), 5), int(result.status)
    (0.28095, 0)
    >>> result = irr([-100, 100, 0, -7])  # roots at -8.3 % and -67.9 %
    >>> str(result.reasons())
    'several IRRs in the admissible range'
    """
    flows = np.asarray(cash_flows, dtype=np.float64)
    if flows.ndim == 0:
        raise ValueError("irr: cash_flows needs a time axis")
    flows = np.moveaxis(flows, axis, 0)
    n_periods, shape = flows.shape[0], flows.shape[1:]
    solver = Solver(low, high, grid_points, n_periods)
    flat = flows.reshape(n_periods, math.prod(shape))
    if n_periods == 0:
        rate = np.full(flat.shape[1], np.nan)
        status = np.full(flat.shape[1], IrrStatus.NO_SIGN_CHANGE, dtype=np.int8)
    else:
        rate, status = solver.run(flat)
    return IrrResult(rate=rate.reshape(shape), status=status.reshape(shape))
