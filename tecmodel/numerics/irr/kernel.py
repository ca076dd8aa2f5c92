"""The compiled kernel of the IRR solver: grid pass, proofs and Newton in one parallel loop.

The series are cut into tiles of ``TILE_SERIES``; the tiles are shared among numba's threads,
and each tile is normalised, evaluated on the rate grid, proven and refined without leaving
compiled code (:func:`_solve_tile`).  Loops that treat every series of a tile alike
(normalisation, grid values, Newton's Horner passes) run across the series, so that the
compiler can vectorise them; the rest runs series by series.  The series the kernel cannot
settle are flagged for the exact isolation (:mod:`~tecmodel.numerics.irr.isolation`);
:mod:`~tecmodel.numerics.irr.solver` describes the whole method.

Every function the kernel compiles, and every constant it bakes in (the statuses apart, which
never change), is defined in this file: numba's on-disk cache is invalidated by changes to this
file only, not to the modules it imports from.  The functions are plain Python until
:func:`compiled_kernel` compiles them, so numba is imported on the first IRR, not at package
import.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .certificate import CERTIFICATE_LEVELS
from .status import IrrStatus

__all__ = ["NEWTON_MAX_ITER", "NEWTON_RTOL", "TILE_SERIES", "compiled_kernel"]

NEWTON_RTOL = 1e-14
"""Newton stops when its step in x is below this fraction of x [-].  The numpy Newton of the
isolation reads this and ``NEWTON_MAX_ITER`` from here, so both take the same steps."""

NEWTON_MAX_ITER = 200
"""Iteration cap; bisection halves the bracket at least every second
iteration, so 200 iterations reach the float64 resolution of any bracket."""

TILE_SERIES = 64
"""Series of one work item of the compiled loop: normalised into a (year,
tile) scratch array (64 series of 60 periods take 30 kB, inside the per-core
caches) and solved together.  64, 128 and 256 measured equally fast."""

_EPS = float(np.finfo(np.float64).eps)
_UNPROVEN = 1_000_000
"""Sign-change count of a Descartes test with an uncertain sign: proves nothing."""


def _negative(value: float) -> bool:
    """Sign bit of a float (``numpy.signbit`` for one value, also for -0.0)."""
    return math.copysign(1.0, value) < 0.0


def _normalise_tile(flows, start, size, c, largest, smallest, check, status):
    """Copy series ``start`` to ``start + size`` of ``flows`` (T, n), normalised, into ``c``.

    ``c`` (T, ``TILE_SERIES``) receives the flows divided by their largest
    absolute value [-], one multiply by its reciprocal, as the solver
    normalises the series it isolates (so bit-identically).  ``status`` of a
    series with a non-finite flow is set to NON_FINITE, of one without flows
    of both signs to NO_SIGN_CHANGE, and to -1 (open) otherwise.
    ``largest``, ``smallest`` and ``check`` (``TILE_SERIES``,) are scratch
    space.  The loops run over the series, so they vectorise.
    """
    n_t = flows.shape[0]
    for s in range(size):
        largest[s] = -np.inf
        smallest[s] = np.inf
        check[s] = 0.0
    for t in range(n_t):
        for s in range(size):
            value = flows[t, start + s]
            c[t, s] = value
            largest[s] = value if value > largest[s] else largest[s]
            smallest[s] = value if value < smallest[s] else smallest[s]
            check[s] += value - value  # NaN once a flow is NaN or infinite
    for s in range(size):
        if check[s] != 0.0:
            status[start + s] = IrrStatus.NON_FINITE
            check[s] = 0.0
        elif largest[s] > 0.0 and smallest[s] < 0.0:
            status[start + s] = -1
            check[s] = 1.0 / max(largest[s], -smallest[s])
        else:
            status[start + s] = IrrStatus.NO_SIGN_CHANGE
            check[s] = 0.0
    for t in range(n_t):
        for s in range(size):
            c[t, s] *= check[s]


def _grid_values_tile(c, size, grid_x, n_neg, values):
    """NPV surrogates of the normalised series ``c[:, :size]`` at every grid node.

    ``values[k, s]`` is ``F(1 + r_k)`` for the ``n_neg`` nodes below r = 0
    and ``P(1/(1 + r_k))`` from r = 0 on (:mod:`~tecmodel.numerics.irr.grid`):
    both have the sign of NPV(r_k) and are bounded by the sum of the absolute
    flows.  They are the multiplies and adds of
    :func:`~tecmodel.numerics.irr.grid.horner` in the same order, so a
    whole-array evaluation gives bit-identical values.  The series are the
    inner loop, so one Horner step is one vectorised multiply-add.
    """
    n_t = c.shape[0]
    for k in range(grid_x.size):
        x = grid_x[k]
        if k < n_neg:
            for s in range(size):
                values[k, s] = c[0, s]
            for t in range(1, n_t):
                for s in range(size):
                    values[k, s] = values[k, s] * x + c[t, s]
        else:
            for s in range(size):
                values[k, s] = c[n_t - 1, s]
            for t in range(n_t - 2, -1, -1):
                for s in range(size):
                    values[k, s] = values[k, s] * x + c[t, s]


def _count_series(values, s):
    """Roots that the grid values ``values[:, s]`` of one series reveal.

    A root is a node where the value is exactly zero, or a cell whose two
    (non-zero) end values differ in sign, so a root on a node is counted once.

    Returns
    -------
    count : int
        Nodes with a value of exactly zero plus sign-changing cells between
        non-zero values.
    where : int
        Where ``count == 1`` and no node is zero: the first node j of the
        sign-changing cell (j, j + 1).
    on_node : bool
        A node value is exactly zero.
    """
    n_nodes = values.shape[0]
    zeros = 0
    for k in range(n_nodes):
        if values[k, s] == 0.0:
            zeros += 1
    count = zeros
    where = 0
    for k in range(n_nodes - 1):
        if values[k, s] == 0.0 or values[k + 1, s] == 0.0:
            continue
        if _negative(values[k, s]) != _negative(values[k + 1, s]):
            count += 1
            where = k
    return count, where, zeros > 0


def _orient_series(c, s, negative_half, coef):
    """Coefficients in x of series ``c[:, s]``'s half into ``coef``: reversed below r = 0."""
    n_t = c.shape[0]
    for t in range(n_t):
        coef[t] = c[n_t - 1 - t, s] if negative_half else c[t, s]


def _newton_tile(coef, m, a, b, x, previous, negative_at_a, order, p, dp, finished):
    """Roots in x of the first ``m`` columns of ``coef`` (T, tile), side by side.

    The safeguarded Newton iteration of
    :func:`~tecmodel.numerics.irr.isolation.newton` per series, step for step
    (a Newton step replaced by bisection when it leaves the shrinking bracket
    ``(a, b)`` or is not at most half the ``previous`` step; the same stopping
    rules), so every root is bit-identical to the numpy iteration's.  ``x`` holds the false-position
    start on entry.  Each iteration is one Horner pass over all running
    columns (a vectorised multiply-add per period) and one update of their
    brackets written with selects (the outcomes are unpredictable, so
    branches would be mispredicted); then the columns that converged are
    swapped behind the running ones, with their state and their entry of
    ``order`` (the tile position of each column).  On return ``x[j]`` is
    the root of the series ``order[j]``.  ``p``, ``dp`` and ``finished``
    are scratch space.
    """
    n_t = coef.shape[0]
    running = m
    for _ in range(NEWTON_MAX_ITER):
        if running == 0:
            return
        for j in range(running):
            p[j] = coef[n_t - 1, j]
            dp[j] = 0.0
        for k in range(n_t - 2, -1, -1):
            for j in range(running):
                dp[j] = dp[j] * x[j] + p[j]
                p[j] = p[j] * x[j] + coef[k, j]
        for j in range(running):
            x_j, p_j, previous_j = x[j], p[j], previous[j]
            same_as_a = _negative(p_j) == negative_at_a[j]
            a_j = x_j if same_as_a else a[j]
            b_j = b[j] if same_as_a else x_j
            step = p_j / dp[j]  # dp == 0: an infinite or NaN step, replaced by bisection
            exact = p_j == 0.0
            candidate = x_j if exact else x_j - step
            done = (abs(step) <= NEWTON_RTOL * x_j) | exact
            outside = ~((candidate > a_j) & (candidate < b_j))
            bisect = (outside | (abs(step) > 0.5 * abs(previous_j))) & ~done
            candidate = 0.5 * (a_j + b_j) if bisect else candidate
            finished[j] = done | (b_j - a_j <= NEWTON_RTOL * b_j)
            a[j], b[j], x[j], previous[j] = a_j, b_j, candidate, candidate - x_j
        for j in range(running - 1, -1, -1):
            if finished[j]:  # swap behind the running columns (those above j are running)
                running -= 1
                for k in range(n_t):
                    coef[k, j], coef[k, running] = coef[k, running], coef[k, j]
                a[j], a[running] = a[running], a[j]
                b[j], b[running] = b[running], b[j]
                x[j], x[running] = x[running], x[j]
                previous[j], previous[running] = previous[running], previous[j]
                negative_at_a[j], negative_at_a[running] = negative_at_a[running], negative_at_a[j]
                order[j], order[running] = order[running], order[j]
    for j in range(running):  # unreachable: the bracket is below 2**-100 wide by now
        x[j] = 0.5 * (a[j] + b[j])


def _certify_series(coef, x, weights, tail_matrix, discounted):
    """Prove that one series' ``sum_k coef[k] x**k`` has at most one positive root.

    Descartes' rule on the 5-fold prefix and suffix sums of the discounted
    coefficients at the pivot ``x`` and on their polynomial tails
    (``tail_matrix``), with every sign within twice its rounding-error bound
    counted as unknown (:mod:`~tecmodel.numerics.irr.certificate` states the
    mathematics).  The repeated sums are streamed: one pass keeps the running
    1- to 5-fold sums of both sides in registers, adding the same operands in
    the same order as five whole-array prefix summations, so they are
    bit-identical to those; the error bounds (with the ``weights`` of
    :func:`~tecmodel.numerics.irr.certificate.fold_weights`) and the tails
    are summed in another order, a difference of a rounding in bounds that
    carry a safety factor of two.  Written out for ``CERTIFICATE_LEVELS`` = 5.
    ``discounted`` (T,) is scratch space.

    Returns
    -------
    bool
        True where at most one positive root (with multiplicity) is proven.
    """
    n_t = coef.size
    # discounted coefficients d_k = coef_k x**k and the error-bound scales
    discounted[0] = coef[0]
    scale_prefix = weights[0, 0] * abs(coef[0])
    scale_suffix = weights[1, 0] * abs(coef[0])
    power = x
    for k in range(1, n_t):
        value = coef[k] * power
        power *= x
        discounted[k] = value
        scale_prefix += weights[0, k] * abs(value)
        scale_suffix += weights[1, k] * abs(value)
    bound = 2.0 * (5 + 1) * n_t * _EPS
    tol_prefix = bound * scale_prefix
    tol_suffix = bound * scale_suffix
    # leading zero coefficients of either side are skipped, as by Descartes' rule
    skip_prefix = 0
    while coef[skip_prefix] == 0.0:
        skip_prefix += 1
    skip_suffix = 0
    while coef[n_t - 1 - skip_suffix] == 0.0:
        skip_suffix += 1
    p1 = p2 = p3 = p4 = p5 = discounted[0]
    q1 = q2 = q3 = q4 = q5 = discounted[n_t - 1]
    changes = 0
    smallest_prefix = abs(p5) if skip_prefix == 0 else np.inf
    smallest_suffix = abs(q5) if skip_suffix == 0 else np.inf
    negative_prefix = p5 < 0.0
    negative_suffix = q5 < 0.0
    for i in range(1, n_t):
        p1 += discounted[i]
        p2 += p1
        p3 += p2
        p4 += p3
        p5 += p4
        q1 += discounted[n_t - 1 - i]
        q2 += q1
        q3 += q2
        q4 += q3
        q5 += q4
        if i >= skip_prefix:
            if i > skip_prefix and (p5 < 0.0) != negative_prefix:
                changes += 1
            negative_prefix = p5 < 0.0
            smallest_prefix = min(smallest_prefix, abs(p5))
        if i >= skip_suffix:
            if i > skip_suffix and (q5 < 0.0) != negative_suffix:
                changes += 1
            negative_suffix = q5 < 0.0
            smallest_suffix = min(smallest_suffix, abs(q5))
    if smallest_prefix <= tol_prefix or smallest_suffix <= tol_suffix or changes > 1:
        return False
    # the polynomial tails beyond the last period: tail_matrix @ [S_5, ..., S_1]
    for side in range(2):
        s5, s4, s3, s2, s1 = (p5, p4, p3, p2, p1) if side == 0 else (q5, q4, q3, q2, q1)
        tol = 5 * (tol_prefix if side == 0 else tol_suffix)
        was_negative = False
        for row in range(5):
            value = (
                tail_matrix[row, 0] * s5
                + tail_matrix[row, 1] * s4
                + tail_matrix[row, 2] * s3
                + tail_matrix[row, 3] * s2
                + tail_matrix[row, 4] * s1
            )
            if abs(value) <= tol:
                return False
            if row > 0 and (value < 0.0) != was_negative:
                changes += 1
            was_negative = value < 0.0
    return changes <= 1


def _mobius_sign_changes(coef, reverse, alpha, beta, binomial, q, q_abs):
    """Descartes' bound on the roots in [alpha, beta] of one polynomial in x.

    The sign changes of the coefficients (powers of u) of
    ``(1 + u)**n p((alpha + beta u)/(1 + u))``, ``p(x) = sum_k coef[k] x**k``
    (``coef`` read backwards when ``reverse``): the transform that the exact
    isolation (:mod:`~tecmodel.numerics.irr.isolation`) applies as a matrix,
    here built by Horner's scheme on polynomials,
    ``Q <- Q (alpha + beta u) + coef[k] (1 + u)**(n - k)``, which combines
    values with positive weights only (``binomial[d, j]`` = C(d, j)).  The
    same steps on ``|coef|`` bound the rounding error: a coefficient not
    above ``8 (n + 1) eps`` times its bound has an uncertain sign, and the
    result is then ``_UNPROVEN``.  The coefficients of degree 0 and n are
    ``p(alpha)`` and ``p(beta)``, so 0 proves that p has no root in
    [alpha, beta] and 1 that it has exactly one, a simple root inside.
    ``q`` and ``q_abs`` (T,) are scratch space.
    """
    n = coef.size - 1
    top = coef[0] if reverse else coef[n]
    q[0] = top
    q_abs[0] = abs(top)
    for k in range(n - 1, -1, -1):
        degree = n - k
        value = coef[n - k] if reverse else coef[k]
        magnitude = abs(value)
        # Q (alpha + beta u), then + coef[k] (1 + u)**degree
        q[degree] = beta * q[degree - 1]
        q_abs[degree] = beta * q_abs[degree - 1]
        for j in range(degree - 1, 0, -1):
            q[j] = alpha * q[j] + beta * q[j - 1]
            q_abs[j] = alpha * q_abs[j] + beta * q_abs[j - 1]
        q[0] = alpha * q[0]
        q_abs[0] = alpha * q_abs[0]
        for j in range(degree + 1):
            q[j] += value * binomial[degree, j]
            q_abs[j] += magnitude * binomial[degree, j]
    tolerance = 8.0 * (n + 1) * _EPS
    changes = 0
    was_negative = False
    for j in range(n + 1):
        if abs(q[j]) <= tolerance * q_abs[j]:
            return _UNPROVEN
        if j > 0 and (q[j] < 0.0) != was_negative:
            changes += 1
        was_negative = q[j] < 0.0
    return changes


def _half_ends(grid_x, n_neg, negative):
    """Whether a half of the range exists, and its ends in x (ascending).

    Below r = 0 the nodes 0 ... n_neg (r = 0, or ``high`` if it is
    negative) with x = 1 + r; from r = 0 on the nodes n_neg ... last with
    x = 1/(1 + r), present when ``high`` > 0.
    """
    last = grid_x.size - 1
    if negative:
        return n_neg > 0, grid_x[0], grid_x[min(n_neg, last)]
    return n_neg <= last and grid_x[last] < 1.0, grid_x[last], grid_x[min(n_neg, last)]


def _descartes_proves(
    column, column_negative, cell_negative, a, b, grid_x, n_neg, binomial, q, q_abs
):
    """Prove a series' root count in the range by Descartes' rule on whole intervals.

    The second test when the certificate (:func:`_certify_series`) fails:
    it counts the roots of the admissible range only, not of all rates
    above -100 %.  With a cell ``a < b`` (x, in the half ``cell_negative``)
    it proves exactly one root, inside the cell: one sign change on the
    cell and none on the rest of its half and on the other half.  Without a
    cell (``a`` NaN) it proves no root in range.  ``column`` holds the
    coefficients in x of the half ``column_negative``.  Each interval costs
    one :func:`_mobius_sign_changes`; an interval where complex roots lie
    close to it fails the test (the exact isolation then halves it).
    """
    for half_negative in (cell_negative, not cell_negative):
        present, start, end = _half_ends(grid_x, n_neg, half_negative)
        if not present:
            continue
        reverse = half_negative != column_negative
        if half_negative == cell_negative and a == a:  # the half holding the cell
            pieces = ((start, a, 0), (a, b, 1), (b, end, 0))
        else:  # the whole half, padded with empty pieces (one tuple type for numba)
            pieces = ((start, end, 0), (start, start, 0), (start, start, 0))
        for alpha, beta, expected in pieces:
            if alpha < beta and expected != _mobius_sign_changes(
                column, reverse, alpha, beta, binomial, q, q_abs
            ):
                return False
    return True


def _solve_tile(
    flows, start, size, grid_x, n_neg, weights, tail_matrix, binomial, certify, rate, status, hard
):
    """Rate, status and isolation flag of series ``start`` to ``start + size`` of ``flows``.

    The compiled common path for one tile of at most ``TILE_SERIES`` series:
    normalisation (:func:`_normalise_tile`: status 4 for non-finite flows,
    1 without flows of both signs) and the grid values
    (:func:`_grid_values_tile`), then per series the observed roots
    (:func:`_count_series`): two or more give status 2; one observed sign
    change must be proven the only root, by the certificate at either end
    of its cell (:func:`_certify_series`) or else by Descartes' rule on the
    range (:func:`_descartes_proves`), and is then refined by Newton
    (:func:`_newton_tile`, all proven series of the tile side by side;
    status 0); none must be proven rootless the same ways, the certificate
    pivoting at the node of smallest value (status 3).  A root on a node, a
    failed proof, or ``certify`` False set ``hard``: the series is left to
    the exact isolation (:class:`~tecmodel.numerics.irr.isolation.Isolator`),
    which settles its status and
    rate.  Writes ``rate``, ``status`` and ``hard`` at ``start`` to
    ``start + size``.
    """
    n_t = flows.shape[0]
    c = np.empty((n_t, TILE_SERIES))
    values = np.empty((grid_x.size, TILE_SERIES))
    coef = np.empty((n_t, TILE_SERIES))
    work = np.empty((9, max(TILE_SERIES, n_t)))
    flags = np.empty((3, TILE_SERIES), dtype=np.bool_)
    members = np.empty(TILE_SERIES, dtype=np.int64)
    discounted = np.empty(n_t)
    a, b, x, previous = work[3], work[4], work[5], work[6]
    negative_at_a, negative_half = flags[0], flags[1]
    _normalise_tile(flows, start, size, c, work[0], work[1], work[2], status)
    _grid_values_tile(c, size, grid_x, n_neg, values)
    m = 0  # series proven to have one root, their coefficients in coef[:, :m]
    for s in range(size):
        i = start + s
        rate[i] = np.nan
        hard[i] = False
        if status[i] >= 0:  # settled: non-finite, or no sign change
            continue
        count, where, on_node = _count_series(values, s)
        if on_node or count >= 2:
            status[i] = IrrStatus.SEVERAL
            hard[i] = on_node
        elif count == 1:
            status[i] = IrrStatus.SEVERAL  # until proven
            below = where < n_neg
            # below 0, x = 1 + r grows with the rate; from 0 on, x = 1/(1 + r) falls
            low, high = (where, where + 1) if below else (where + 1, where)
            column = coef[:, m]
            _orient_series(c, s, below, column)
            if certify and (
                _certify_series(column, grid_x[high], weights, tail_matrix, discounted)
                or _certify_series(column, grid_x[low], weights, tail_matrix, discounted)
                or _descartes_proves(
                    column,
                    below,
                    below,
                    grid_x[low],
                    grid_x[high],
                    grid_x,
                    n_neg,
                    binomial,
                    discounted,
                    work[0],
                )
            ):
                pa, pb = values[low, s], values[high, s]
                a[m], b[m] = grid_x[low], grid_x[high]
                x[m] = min(max(a[m] - pa * ((b[m] - a[m]) / (pb - pa)), a[m]), b[m])
                previous[m] = b[m] - a[m]
                negative_at_a[m] = _negative(pa)
                negative_half[s] = below
                members[m] = s
                m += 1
            else:
                hard[i] = True
        else:
            status[i] = IrrStatus.NONE_IN_RANGE
            # pivot: the node with the smallest |NPV surrogate|, nearest to a root
            pivot = 0
            for k in range(1, values.shape[0]):
                if abs(values[k, s]) < abs(values[pivot, s]):
                    pivot = k
            column = coef[:, m]  # scratch
            _orient_series(c, s, pivot < n_neg, column)
            hard[i] = not (
                certify
                and (
                    _certify_series(column, grid_x[pivot], weights, tail_matrix, discounted)
                    or _descartes_proves(
                        column,
                        pivot < n_neg,
                        True,
                        np.nan,
                        np.nan,
                        grid_x,
                        n_neg,
                        binomial,
                        discounted,
                        work[0],
                    )
                )
            )
    _newton_tile(coef, m, a, b, x, previous, negative_at_a, members, work[7], work[8], flags[2])
    for j in range(m):
        s = members[j]
        rate[start + s] = x[j] - 1.0 if negative_half[s] else (1.0 - x[j]) / x[j]
        status[start + s] = IrrStatus.OK


def _solve_tiles(flows, grid_x, n_neg, weights, tail_matrix, binomial, certify, rate, status, hard):
    """Solve every column of ``flows`` (T, n) into ``rate``, ``status``, ``hard`` (n,).

    Work items are tiles of ``TILE_SERIES`` series (:func:`_solve_tile`),
    shared among numba's threads.  Every operation on a series' values
    involves that series only (loops across the series of a tile vectorise,
    but do the same operations on each), so nothing depends on the tile, the
    thread or the thread count.
    """
    n_series = flows.shape[1]
    for tile in _prange((n_series + TILE_SERIES - 1) // TILE_SERIES):
        start = tile * TILE_SERIES
        size = min(TILE_SERIES, n_series - start)
        _tile_solver(
            flows,
            start,
            size,
            grid_x,
            n_neg,
            weights,
            tail_matrix,
            binomial,
            certify,
            rate,
            status,
            hard,
        )


# Placeholders replaced in compiled_kernel(): the plain-Python bodies above
# read these module globals, so the same source is what numba compiles.
_prange = range
_tile_solver = _solve_tile


@lru_cache(maxsize=1)
def compiled_kernel():
    """Compile (or load from numba's on-disk cache) the parallel kernel :func:`_solve_tiles`.

    numba is imported here, on the first IRR, not at package
    import.  The per-tile and per-series functions above are plain Python;
    ``register_jitable`` makes the helpers callable from compiled code, and
    :func:`_solve_tile` becomes one compiled function (``_tile_solver``)
    called by the parallel loop (``_prange``).  Everything is compiled with
    ``fastmath`` off and numpy's error model (division by zero gives inf or
    NaN, as in numpy).

    One signature is compiled, float64 only: the flows (T, n) in any
    layout and read-only (a writable array converts to it without a copy),
    then the grid nodes, the node count below r = 0, the certificate's
    weights and tail matrix, the binomial table, the certificate switch and
    the three outputs.  The on-disk cache (``cache=True``, in this
    package's ``__pycache__``, or numba's cache folder when that is not
    writable) holds it and is invalidated by any change to this file.

    Returns
    -------
    numba.core.registry.CPUDispatcher
        The compiled :func:`_solve_tiles`.
    """
    global _prange, _tile_solver
    if CERTIFICATE_LEVELS != 5:
        raise NotImplementedError("the compiled certificate is written out for 5 levels")
    import numba
    from numba.extending import register_jitable

    options = dict(fastmath=False, error_model="numpy", nogil=True)
    for function in (
        _negative,
        _normalise_tile,
        _grid_values_tile,
        _count_series,
        _orient_series,
        _newton_tile,
        _certify_series,
        _mobius_sign_changes,
        _half_ends,
        _descartes_proves,
    ):
        register_jitable(**options)(function)
    _tile_solver = numba.njit(**options)(_solve_tile)
    _prange = numba.prange
    types = numba.types
    vector, matrix = types.float64[::1], types.float64[:, ::1]
    signature = types.void(
        types.Array(types.float64, 2, "A", readonly=True),
        vector,
        types.int64,
        matrix,
        matrix,
        matrix,
        types.boolean,
        vector,
        types.int8[::1],
        types.boolean[::1],
    )
    return numba.njit(signature, parallel=True, cache=True, **options)(_solve_tiles)
