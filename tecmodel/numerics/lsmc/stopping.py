"""Least-squares Monte Carlo stopping rules: fit on regression paths, apply to fresh ones.

The method and its biases are described in :mod:`tecmodel.numerics.lsmc`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from tecmodel.numerics.lsmc.arrays import (
    DIRECTIONS,
    as_exercise_values,
    as_states,
    as_terminal_value,
    best_exercise,
    binomial_standard_error,
    mean_and_error,
    regression_candidates,
)
from tecmodel.numerics.lsmc.basis import (
    BASES,
    as_matrix,
    basis_functions,
    check_degree,
    least_squares,
    standardisation,
)


@dataclass(frozen=True)
class StoppingRule:
    """A least-squares stopping rule fitted on regression paths.

    Attributes
    ----------
    basis : str
        ``"polynomial"`` or ``"laguerre"``.
    degree : int
        Degree of the basis (total degree of the monomials, or the highest Laguerre order).
    in_the_money_only : bool
        Whether only paths with a positive exercise value are regressed and may act.
    coefficients : numpy.ndarray
        Shape ``(D, n_basis)``: the regression coefficients of each date [unit of value]. The
        last row is NaN (the value of continuing there is the terminal value), and so is the
        row of a date without regression paths (no path acts there).
    state_mean, state_scale : numpy.ndarray
        Shape ``(D, S)``: the mean and standard deviation [unit of each state] of the states on
        the paths of each date's regression; the basis takes ``(state - mean) / scale``. A scale
        of 0 (or fewer than two paths) is replaced by 1.
    regression_paths : numpy.ndarray
        Shape ``(D,)``: the number of paths each date's regression used.
    n_actions : int
        Number of actions A.
    in_sample : StoppingOutcome
        The outcome of the rule on its own regression paths (biased upwards by foresight).
    """

    basis: str
    degree: int
    in_the_money_only: bool
    coefficients: np.ndarray
    state_mean: np.ndarray
    state_scale: np.ndarray
    regression_paths: np.ndarray
    n_actions: int
    in_sample: StoppingOutcome

    @property
    def n_dates(self) -> int:
        """Number of decision dates D."""
        return self.coefficients.shape[0]

    @property
    def n_states(self) -> int:
        """Number of state variables S."""
        return self.state_mean.shape[1]


@dataclass(frozen=True)
class StoppingOutcome:
    """What a rule does on each path.

    Attributes
    ----------
    value : numpy.ndarray
        Shape ``(P,)``: the value realised [unit of value, discounted to time 0]: the exercise
        value of the action taken, or the terminal value.
    exercise_date : numpy.ndarray
        Shape ``(P,)``, integer: the index of the date the path acts at, -1 for never.
    action : numpy.ndarray
        Shape ``(P,)``, integer: the index of the action taken, -1 for never.
    n_dates, n_actions : int
        Number of decision dates D and of actions A of the problem.
    """

    value: np.ndarray
    exercise_date: np.ndarray
    action: np.ndarray
    n_dates: int
    n_actions: int


@dataclass(frozen=True)
class StoppingSummary:
    """Mean value and exercise probabilities of an outcome, with their standard errors.

    Standard errors treat the paths as independent: the value's is ``std / sqrt(P)`` (sample
    standard deviation), a probability's the binomial ``sqrt(p (1 - p) / P)``. With antithetic
    paths the value's standard error is that of the means of the pairs, usually smaller (for the
    put of Longstaff & Schwartz about two thirds of the independent one).

    Attributes
    ----------
    n_paths : int
        Number of paths P.
    value, value_standard_error : float
        Mean realised value and its standard error [unit of value, discounted to time 0].
    in_sample_value, in_sample_standard_error : float
        The same on the regression paths (NaN when not given), biased upwards by foresight.
    exercise_probability, exercise_probability_standard_error : numpy.ndarray
        Shape ``(D,)``: probability [-] of acting at each date.
    cumulative_exercise_probability, cumulative_exercise_probability_standard_error :
        numpy.ndarray
        Shape ``(D,)``: probability [-] of having acted at or before each date.
    action_probability, action_probability_standard_error : numpy.ndarray
        Shape ``(A,)``: probability [-] of taking each action (at any date).
    never_probability : float
        Probability [-] of never acting.
    mean_exercise_date : float
        Mean date index of the paths that act (NaN if none does).
    """

    n_paths: int
    value: float
    value_standard_error: float
    in_sample_value: float
    in_sample_standard_error: float
    exercise_probability: np.ndarray
    exercise_probability_standard_error: np.ndarray
    cumulative_exercise_probability: np.ndarray
    cumulative_exercise_probability_standard_error: np.ndarray
    action_probability: np.ndarray
    action_probability_standard_error: np.ndarray
    never_probability: float
    mean_exercise_date: float


def fit_rule(
    states: np.ndarray,
    exercise_values: np.ndarray,
    terminal_value: np.ndarray | float | None = None,
    *,
    basis: Literal["polynomial", "laguerre"] = "polynomial",
    degree: int = 3,
    in_the_money_only: bool = True,
) -> StoppingRule:
    """Fit a stopping rule on regression paths by backward induction (Longstaff & Schwartz).

    Parameters
    ----------
    states : numpy.ndarray
        Shape ``(D, P, S)`` or ``(D, P)``: the state variables observed at each decision date.
    exercise_values : numpy.ndarray
        Shape ``(A, D, P)`` or ``(D, P)``: the value [unit of value, discounted to time 0] of
        taking each action at each date; NaN or -inf where the action is unavailable.
    terminal_value : numpy.ndarray or float, optional
        Shape ``(P,)`` or scalar: the value [unit of value, discounted to time 0] of never
        acting; 0 by default.
    basis : {"polynomial", "laguerre"}
        The regression basis (:func:`polynomial_basis`, or :func:`laguerre_basis` for one state).
    degree : int
        Degree of the basis. The default 3 values the put of Longstaff & Schwartz (2001, Table
        1) within its Monte Carlo error with one state; degree 2 undervalues it by about 0.015
        (0.3 %). Longstaff & Schwartz's own Laguerre basis is ``degree=2`` here.
    in_the_money_only : bool
        Regress, and act, only on the paths where some action is worth more than zero.

    Returns
    -------
    StoppingRule
        The coefficients and standardisation of every date, and the in-sample outcome.
    """
    states = as_states(states)
    n_dates, n_paths, n_states = states.shape
    exercise_values = as_exercise_values(exercise_values, n_dates, n_paths)
    terminal_value = as_terminal_value(terminal_value, n_paths)
    if basis not in BASES:
        raise ValueError(f"basis must be one of {BASES}, not {basis!r}")
    if basis == "laguerre" and n_states != 1:
        raise ValueError(f"the Laguerre basis takes one state variable, not {n_states}")
    degree = check_degree(degree)
    n_basis = basis_functions(np.zeros((1, n_states)), basis, degree).shape[1]

    coefficients = np.full((n_dates, n_basis), np.nan)
    state_mean = np.zeros((n_dates, n_states))
    state_scale = np.ones((n_dates, n_states))
    regression_paths = np.zeros(n_dates, dtype=int)
    realised = terminal_value.copy()
    exercise_date = np.full(n_paths, -1)
    action = np.full(n_paths, -1)
    for date in range(n_dates - 1, -1, -1):
        best_value, best_action = best_exercise(exercise_values[:, date])
        candidates = np.flatnonzero(regression_candidates(best_value, in_the_money_only))
        if date < n_dates - 1 and candidates.size:
            regression_states = states[date, candidates]
            state_mean[date], state_scale[date] = standardisation(regression_states)
            design = basis_functions(
                (regression_states - state_mean[date]) / state_scale[date], basis, degree
            )
            coefficients[date] = least_squares(design, realised[candidates])
            regression_paths[date] = candidates.size
        continuation = continuation_at(
            coefficients[date],
            state_mean[date],
            state_scale[date],
            basis,
            degree,
            date == n_dates - 1,
            states[date, candidates],
            terminal_value[candidates],
        )
        acting = candidates[best_value[candidates] > continuation]
        realised[acting] = best_value[acting]
        exercise_date[acting] = date
        action[acting] = best_action[acting]
    in_sample = StoppingOutcome(realised, exercise_date, action, n_dates, exercise_values.shape[0])
    return StoppingRule(
        basis,
        degree,
        in_the_money_only,
        coefficients,
        state_mean,
        state_scale,
        regression_paths,
        exercise_values.shape[0],
        in_sample,
    )


def apply_rule(
    rule: StoppingRule,
    states: np.ndarray,
    exercise_values: np.ndarray,
    terminal_value: np.ndarray | float | None = None,
) -> StoppingOutcome:
    """Apply a fitted rule, forwards, to paths (fresh ones give the low-biased value).

    Parameters
    ----------
    rule : StoppingRule
        From :func:`fit_rule`.
    states, exercise_values, terminal_value : numpy.ndarray
        As in :func:`fit_rule`, on the same dates, states and actions (any number of paths).

    Returns
    -------
    StoppingOutcome
        The value realised, exercise date and action of every path.
    """
    states = as_states(states)
    n_dates, n_paths, n_states = states.shape
    _check_rule_shape(rule, n_dates, n_states)
    exercise_values = as_exercise_values(exercise_values, n_dates, n_paths)
    if exercise_values.shape[0] != rule.n_actions:
        raise ValueError(
            f"the rule has {rule.n_actions} actions, the values {exercise_values.shape[0]}"
        )
    terminal_value = as_terminal_value(terminal_value, n_paths)
    realised = terminal_value.copy()
    exercise_date = np.full(n_paths, -1)
    action = np.full(n_paths, -1)
    waiting = np.ones(n_paths, dtype=bool)
    for date in range(n_dates):
        best_value, best_action = best_exercise(exercise_values[:, date])
        candidates = np.flatnonzero(
            waiting & regression_candidates(best_value, rule.in_the_money_only)
        )
        continuation = continuation_at(
            rule.coefficients[date],
            rule.state_mean[date],
            rule.state_scale[date],
            rule.basis,
            rule.degree,
            date == n_dates - 1,
            states[date, candidates],
            terminal_value[candidates],
        )
        acting = candidates[best_value[candidates] > continuation]
        realised[acting] = best_value[acting]
        exercise_date[acting] = date
        action[acting] = best_action[acting]
        waiting[acting] = False
    return StoppingOutcome(realised, exercise_date, action, n_dates, rule.n_actions)


def continuation_value(
    rule: StoppingRule,
    date: int,
    states: np.ndarray,
    terminal_value: np.ndarray | float = 0.0,
) -> np.ndarray:
    """The fitted value of continuing at a date [unit of value, discounted to time 0].

    Parameters
    ----------
    rule : StoppingRule
        From :func:`fit_rule`.
    date : int
        Date index.
    states : numpy.ndarray
        Shape ``(P, S)`` (or ``(P,)`` for one state): the states at that date.
    terminal_value : numpy.ndarray or float
        The value of never acting, which is the value of continuing at the last date.

    Returns
    -------
    numpy.ndarray
        Shape ``(P,)``; +inf at a date without regression paths (no path acts there).
    """
    date = range(rule.n_dates)[date]
    states = as_matrix(states)
    if states.shape[1] != rule.n_states:
        raise ValueError(f"the rule has {rule.n_states} states, not {states.shape[1]}")
    terminal_value = np.broadcast_to(np.asarray(terminal_value, dtype=float), states.shape[:1])
    return continuation_at(
        rule.coefficients[date],
        rule.state_mean[date],
        rule.state_scale[date],
        rule.basis,
        rule.degree,
        date == rule.n_dates - 1,
        states,
        terminal_value,
    )


def exercise_boundary(
    rule: StoppingRule,
    date: int,
    grid: np.ndarray,
    exercise_value: np.ndarray,
    *,
    side: Literal["below", "above"],
    terminal_value: float = 0.0,
) -> float:
    """The state where acting starts, for a rule with one state variable and one action.

    Along the grid, a point acts where its exercise value beats the fitted continuation (and,
    for a rule fitted ``in_the_money_only``, is positive). With ``side="below"`` (acting at low
    states, as for the American put) the boundary is the end of the acting points: between the
    highest acting grid point and the next one. With ``side="above"`` (acting at high states, as
    for building when a price is high) it is between the lowest acting grid point and the one
    before. The crossing is interpolated linearly on the margin ``exercise - continuation``
    (``min(exercise - continuation, exercise)`` in the money only). Taking the outermost
    acting point, rather than the first change along the grid, keeps the boundary away from
    where a fitted polynomial wanders on the few paths at the far end of the acting region. For
    the American put the boundary is the critical stock price of the date.

    Parameters
    ----------
    rule : StoppingRule
        From :func:`fit_rule`, with one state and one action.
    date : int
        Date index.
    grid : numpy.ndarray
        Shape ``(G,)``, increasing: values of the state [unit of the state], best within the
        range the regression paths visit (a fitted polynomial is meaningless outside).
    exercise_value : numpy.ndarray
        Shape ``(G,)``: the exercise value at each grid point [unit of value, discounted to
        time 0].
    side : {"below", "above"}
        Whether the rule acts below or above the boundary.
    terminal_value : float
        The value of never acting (the continuation at the last date).

    Returns
    -------
    float
        The boundary [unit of the state]; NaN if no grid point acts, or if the acting points
        reach the end of the grid on the side where the boundary should be.
    """
    if rule.n_states != 1 or rule.n_actions != 1:
        raise ValueError(
            "an exercise boundary needs a rule with one state and one action, not "
            f"{rule.n_states} states and {rule.n_actions} actions"
        )
    if side not in DIRECTIONS:
        raise ValueError(f"side must be one of {DIRECTIONS}, not {side!r}")
    grid = np.asarray(grid, dtype=float)
    exercise_value = np.asarray(exercise_value, dtype=float)
    if grid.ndim != 1 or grid.size < 2 or exercise_value.shape != grid.shape:
        raise ValueError("grid and exercise_value must be 1-D arrays of the same length (>= 2)")
    if np.any(np.diff(grid) <= 0):
        raise ValueError("grid must be increasing")
    continuation = continuation_value(rule, date, grid[:, None], terminal_value)
    with np.errstate(invalid="ignore"):
        margin = exercise_value - continuation
        if rule.in_the_money_only:
            margin = np.minimum(margin, exercise_value)
    acting = np.flatnonzero(margin > 0)
    if acting.size == 0:
        return float("nan")
    if side == "below":
        inside, outside = acting[-1], acting[-1] + 1
        if outside == grid.size:
            return float("nan")
    else:
        inside, outside = acting[0], acting[0] - 1
        if outside < 0:
            return float("nan")
    low, high = margin[inside], margin[outside]
    if not np.isfinite(high):
        return float(0.5 * (grid[inside] + grid[outside]))
    return float(grid[inside] + (grid[outside] - grid[inside]) * low / (low - high))


def summarise(
    outcome: StoppingOutcome, in_sample: StoppingOutcome | None = None
) -> StoppingSummary:
    """Mean value, exercise probabilities and their standard errors of an outcome.

    Parameters
    ----------
    outcome : StoppingOutcome
        From :func:`apply_rule` or :func:`apply_trigger_rule` (on fresh paths).
    in_sample : StoppingOutcome, optional
        The rule's outcome on its regression paths (``rule.in_sample``), reported beside.

    Returns
    -------
    StoppingSummary
    """
    n_paths = outcome.value.shape[0]
    value, value_error = mean_and_error(outcome.value)
    in_value, in_error = (float("nan"), float("nan"))
    if in_sample is not None:
        in_value, in_error = mean_and_error(in_sample.value)
    acted = outcome.exercise_date >= 0
    by_date = np.bincount(outcome.exercise_date[acted], minlength=outcome.n_dates) / n_paths
    by_action = np.bincount(outcome.action[acted], minlength=outcome.n_actions) / n_paths
    cumulative = np.minimum(np.cumsum(by_date), 1.0)
    mean_date = float(outcome.exercise_date[acted].mean()) if acted.any() else float("nan")
    return StoppingSummary(
        n_paths,
        value,
        value_error,
        in_value,
        in_error,
        by_date,
        binomial_standard_error(by_date, n_paths),
        cumulative,
        binomial_standard_error(cumulative, n_paths),
        by_action,
        binomial_standard_error(by_action, n_paths),
        float(1.0 - acted.mean()),
        mean_date,
    )


def continuation_at(coefficients, mean, scale, basis, degree, last, states, terminal_value):
    """Fitted continuation on some paths at one date; the terminal value at the last date."""
    if last:
        return np.asarray(terminal_value, dtype=float)
    if not np.all(np.isfinite(coefficients)):
        return np.full(states.shape[0], np.inf)
    design = basis_functions((states - mean) / scale, basis, degree)
    # One basis function at a time, so that each path's sum has the same order however many
    # paths are stacked (a matrix product may block the rows differently).
    continuation = design[:, 0] * coefficients[0]
    for column in range(1, coefficients.shape[0]):
        continuation += design[:, column] * coefficients[column]
    return continuation


def _check_rule_shape(rule: StoppingRule, n_dates: int, n_states: int) -> None:
    if (n_dates, n_states) != (rule.n_dates, rule.n_states):
        raise ValueError(
            f"the rule has {rule.n_dates} dates and {rule.n_states} states, the "
            f"paths {n_dates} and {n_states}"
        )
