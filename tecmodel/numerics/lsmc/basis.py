"""Basis functions of the state variables and the least-squares fit of a continuation value.

Polynomials with cross terms and weighted Laguerre polynomials (Longstaff & Schwartz 2001,
section 1) of standardised states; the least-squares solve used by every regression.
"""

from __future__ import annotations

from itertools import combinations_with_replacement

import numpy as np

BASES = ("polynomial", "laguerre")


def polynomial_exponents(n_states: int, degree: int) -> np.ndarray:
    """Exponents of the monomials of :func:`polynomial_basis`.

    Parameters
    ----------
    n_states : int
        Number of state variables S.
    degree : int
        Highest total degree (>= 0).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_basis, S)``, integer, ``n_basis = C(S + degree, degree)``: row k holds the
        power of each state in monomial k. The constant comes first, then the monomials by
        total degree, each degree in the order of
        ``itertools.combinations_with_replacement(range(S), degree)``.
    """
    rows = [np.zeros(n_states, dtype=int)]
    for total in range(1, degree + 1):
        for combination in combinations_with_replacement(range(n_states), total):
            rows.append(np.bincount(combination, minlength=n_states))
    return np.array(rows, dtype=int)


def polynomial_basis(states: np.ndarray, degree: int = 2) -> np.ndarray:
    """All monomials of the state variables up to a total degree, cross terms included.

    Parameters
    ----------
    states : numpy.ndarray
        Shape ``(P, S)`` (or ``(P,)`` for one state): the states, best standardised (mean 0,
        standard deviation 1), which keeps the powers of comparable size.
    degree : int
        Highest total degree (>= 0; 2 gives the constant, the states, their squares and their
        pairwise products).

    Returns
    -------
    numpy.ndarray
        Shape ``(P, n_basis)``, in the order of :func:`polynomial_exponents`; the first column is
        the constant 1.
    """
    states = as_matrix(states)
    degree = check_degree(degree)
    n_paths, n_states = states.shape
    columns = {(): np.ones(n_paths)}
    for total in range(1, degree + 1):
        for combination in combinations_with_replacement(range(n_states), total):
            columns[combination] = columns[combination[:-1]] * states[:, combination[-1]]
    return stack_columns(list(columns.values()), n_paths)


def laguerre_basis(state: np.ndarray, degree: int = 2) -> np.ndarray:
    """A constant and the weighted Laguerre polynomials ``exp(-x/2) L_n(x)``, n = 0 .. degree.

    Longstaff & Schwartz (2001, eq. 2 and section 3) value the American put with the constant
    and the first three of them (``degree=2``): ``exp(-x/2)``, ``exp(-x/2) (1 - x)`` and
    ``exp(-x/2) (1 - 2x + x^2/2)``. The polynomials follow the recurrence
    ``(n + 1) L_{n+1} = (2n + 1 - x) L_n - n L_{n-1}``.

    Parameters
    ----------
    state : numpy.ndarray
        Shape ``(P,)`` or ``(P, 1)``: one state variable, scaled (Longstaff & Schwartz divide the
        stock price by the strike; :func:`fit_rule` standardises it).
    degree : int
        Highest order n (>= 0).

    Returns
    -------
    numpy.ndarray
        Shape ``(P, degree + 2)``: the constant 1, then ``exp(-x/2) L_n(x)`` for n = 0 .. degree.
    """
    state = as_matrix(state)
    if state.shape[1] != 1:
        raise ValueError(f"the Laguerre basis takes one state variable, not {state.shape[1]}")
    degree = check_degree(degree)
    x = state[:, 0]
    weight = np.exp(-0.5 * x)
    previous, current = np.zeros_like(x), np.ones_like(x)
    columns = [np.ones_like(x), weight.copy()]
    for order in range(degree):
        following = ((2 * order + 1 - x) * current - order * previous) / (order + 1)
        previous, current = current, following
        columns.append(weight * current)
    return stack_columns(columns, x.shape[0])


def basis_functions(standardised_states: np.ndarray, basis: str, degree: int) -> np.ndarray:
    """The regression matrix of a basis on standardised states, shape ``(P, n_basis)``."""
    if basis == "polynomial":
        return polynomial_basis(standardised_states, degree)
    if basis == "laguerre":
        return laguerre_basis(standardised_states, degree)
    raise ValueError(f"basis must be one of {BASES}, not {basis!r}")


def least_squares(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of ``target`` on the columns of ``design``.

    Solved through the singular value decomposition (LAPACK ``gelsd``), which stays accurate
    when basis functions are nearly collinear and gives the minimum-norm solution when they are
    exactly so (a state equal on every regression path).

    Parameters
    ----------
    design : numpy.ndarray
        Shape ``(P, n_basis)``: the basis functions on the regression paths.
    target : numpy.ndarray
        Shape ``(P,)``: the realised values [unit of value].

    Returns
    -------
    numpy.ndarray
        Shape ``(n_basis,)`` [unit of value].
    """
    from scipy.linalg import lstsq  # imported here: scipy is slow to import and rarely needed

    return lstsq(
        np.array(design, order="F"),
        np.array(target),
        cond=None,
        lapack_driver="gelsd",
        check_finite=False,
        overwrite_a=True,
        overwrite_b=True,
    )[0]


def standardisation(states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each state over paths, shape ``(S,)`` each.

    A standard deviation that is zero or not finite (fewer than two paths, or a state equal on
    all paths) is replaced by 1, so the transform stays defined.
    """
    mean = states.mean(axis=0)
    scale = states.std(axis=0)
    return mean, np.where(np.isfinite(scale) & (scale > 0), scale, 1.0)


def stack_columns(columns: list[np.ndarray], n_paths: int) -> np.ndarray:
    """Columns as a ``(P, n)`` matrix stored column by column (each column contiguous)."""
    matrix = np.empty((len(columns), n_paths))
    for row, column in enumerate(columns):
        matrix[row] = column
    return matrix.T


def as_matrix(states) -> np.ndarray:
    """States of one date as ``(P, S)``."""
    states = np.asarray(states, dtype=float)
    if states.ndim == 1:
        return states[:, None]
    if states.ndim != 2:
        raise ValueError(f"states of one date must have shape (paths, states), not {states.shape}")
    return states


def check_degree(degree) -> int:
    if int(degree) != degree or degree < 0:
        raise ValueError(f"degree must be an integer >= 0, not {degree!r}")
    return int(degree)
