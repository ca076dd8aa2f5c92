"""Roots of monotone functions, vectorised: the Illinois method inside a bracket.

This module owns root finding for many independent problems at once (one per element of the
arrays): each is bracketed by its admissible range, an end that already meets or misses the
target is reported as such, and the others are solved by regula falsi that halves a stale end
(the Illinois variant: superlinear, never leaves the bracket).

References
----------
Dowell, M., Jarratt, P. (1971). A modified regula falsi method for computing the root of an
equation. BIT 11, 168-174.
"""

from __future__ import annotations

import enum
from collections.abc import Callable

import numpy as np

#: Relative tolerance of a root [1 of the objective's scale].
ROOT_TOLERANCE = 1e-11


class RootStatus(enum.IntEnum):
    """Outcome of a root search, element by element."""

    SOLVED = 0
    OUT_OF_REACH = 1  # no root in range: the target is out of reach
    MET_EVERYWHERE = 2  # no root in range: the target is met across the whole range
    NOT_CONVERGED = 3


def illinois(
    objective: Callable[[np.ndarray], np.ndarray],
    low: np.ndarray,
    high: np.ndarray,
    *,
    scale: np.ndarray,
    increasing: bool,
    tolerance: float = ROOT_TOLERANCE,
    max_iterations: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Roots of a monotone function in [low, high], vectorised (Illinois method).

    Parameters
    ----------
    objective : callable
        ``objective(x) -> g`` elementwise over arrays of the shape of `low`; g = 0 at the target
        and g >= 0 on the acceptable side (NPV, NPV at the hurdle ...).
    low, high : numpy.ndarray
        Admissible range of each element.
    scale : numpy.ndarray
        Size of g for the convergence test (``|g| <= tolerance x scale``).
    increasing : bool
        Whether g increases with x (decides which end is out of reach).

    Returns
    -------
    root : numpy.ndarray
        NaN where there is no root in range or no convergence.
    status : numpy.ndarray of int
        :class:`RootStatus` codes.

    Examples
    --------
    >>> root, status = illinois(lambda x: x**3 - 2.0, np.array([0.0]), np.array([2.0]),
    ...                         scale=np.array([1.0]), increasing=True)
    >>> round(float(root[0]), 12), int(status[0])
    (1.259921049895, 0)
    """
    a, b = np.array(low, dtype=float), np.array(high, dtype=float)
    fa, fb = objective(a), objective(b)
    lower_end, upper_end = (fa, fb) if increasing else (fb, fa)
    out_of_reach = upper_end < 0
    everywhere = (lower_end > 0) & ~out_of_reach
    active = ~(out_of_reach | everywhere)
    root = np.where(fa == 0, a, np.where(fb == 0, b, np.nan))
    done = active & ((fa == 0) | (fb == 0))
    threshold = tolerance * scale
    side = 0 * a  # which end was kept last: -1 a, +1 b
    for _ in range(max_iterations):
        pending = active & ~done
        if not pending.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            secant = b - fb * (b - a) / (fb - fa)
        inside = np.isfinite(secant) & (secant > np.minimum(a, b)) & (secant < np.maximum(a, b))
        c = np.where(pending, np.where(inside, secant, 0.5 * (a + b)), b)
        fc = objective(c)
        crosses = np.sign(fc) != np.sign(fb)
        # Keep the bracket [c, b] if g changes sign there, else [a, c] and halve g(a) when a was kept twice.
        new_a = np.where(crosses, b, a)
        new_fa = np.where(crosses, fb, np.where(side < 0, 0.5 * fa, fa))
        side = np.where(crosses, 1.0, -1.0)
        a = np.where(pending, new_a, a)
        fa = np.where(pending, new_fa, fa)
        b = np.where(pending, c, b)
        fb = np.where(pending, fc, fb)
        width = np.abs(b - a) <= 1e-14 * np.maximum(np.abs(b), 1.0)
        finished = pending & ((np.abs(fc) <= threshold) | width)
        root = np.where(finished, c, root)
        done = done | finished
    status = np.full(a.shape, int(RootStatus.NOT_CONVERGED))
    status = np.where(done, int(RootStatus.SOLVED), status)
    status = np.where(
        out_of_reach,
        int(RootStatus.OUT_OF_REACH),
        np.where(everywhere, int(RootStatus.MET_EVERYWHERE), status),
    )
    return np.where(status == RootStatus.SOLVED, root, np.nan), status
