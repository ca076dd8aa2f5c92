"""Checks and shapes of the engine's inputs, and the elementwise helpers every rule uses.

The conventions (dates first, paths last, values discounted to time 0) are those of
:mod:`tecmodel.numerics.lsmc`.
"""

from __future__ import annotations

import numpy as np

#: Sides of a threshold: act when the state is above it (a call, a build trigger) or below it (a put).
DIRECTIONS = ("above", "below")


def binomial_standard_error(probability: np.ndarray, n_paths: int) -> np.ndarray:
    """Standard error ``sqrt(p (1 - p) / n)`` of a proportion p [-] estimated on n paths."""
    probability = np.asarray(probability, dtype=float)
    return np.sqrt(np.clip(probability * (1.0 - probability), 0.0, None) / n_paths)


def best_exercise(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The best available action of each path at one date.

    Parameters
    ----------
    values : numpy.ndarray
        Shape ``(A, P)``: exercise values [unit of value]; NaN or -inf where unavailable.

    Returns
    -------
    best_value : numpy.ndarray
        Shape ``(P,)``: the highest value, -inf where no action is available.
    best_action : numpy.ndarray
        Shape ``(P,)``: its action index (the first of equal values).
    """
    values = np.where(np.isnan(values), -np.inf, values)
    best_action = np.argmax(values, axis=0)
    return np.take_along_axis(values, best_action[None], axis=0)[0], best_action


def regression_candidates(best_value: np.ndarray, in_the_money_only: bool) -> np.ndarray:
    """Paths that may act: some action available (and worth more than zero)."""
    return best_value > 0 if in_the_money_only else np.isfinite(best_value)


def mean_and_error(values: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error ``std / sqrt(n)`` (sample standard deviation)."""
    n_paths = values.shape[0]
    error = values.std(ddof=1) / np.sqrt(n_paths) if n_paths > 1 else float("nan")
    return float(values.mean()), float(error)


def as_states(states) -> np.ndarray:
    """States of all dates as ``(D, P, S)``, finite."""
    states = np.asarray(states, dtype=float)
    if states.ndim == 2:
        states = states[:, :, None]
    if states.ndim != 3 or 0 in states.shape:
        raise ValueError(f"states must have shape (dates, paths[, states]), not {states.shape}")
    if not np.all(np.isfinite(states)):
        raise ValueError("states must be finite")
    return states


def as_exercise_values(exercise_values, n_dates: int, n_paths: int) -> np.ndarray:
    """Exercise values as ``(A, D, P)``; no +inf."""
    exercise_values = np.asarray(exercise_values, dtype=float)
    if exercise_values.ndim == 2:
        exercise_values = exercise_values[None]
    if exercise_values.ndim != 3 or exercise_values.shape[1:] != (n_dates, n_paths):
        raise ValueError(
            f"exercise_values must have shape (actions, {n_dates}, {n_paths}), not "
            f"{exercise_values.shape}"
        )
    if exercise_values.shape[0] == 0:
        raise ValueError("exercise_values needs at least one action")
    if np.any(exercise_values == np.inf):
        raise ValueError("exercise values must not be +inf")
    return exercise_values


def as_terminal_value(terminal_value, n_paths: int) -> np.ndarray:
    """Terminal value as a finite ``(P,)`` array (a fresh copy)."""
    if terminal_value is None:
        return np.zeros(n_paths)
    terminal_value = np.asarray(terminal_value, dtype=float)
    if terminal_value.ndim > 1 or terminal_value.size not in (1, n_paths):
        raise ValueError(
            f"terminal_value must be a scalar or have shape ({n_paths},), not "
            f"{terminal_value.shape}"
        )
    if not np.all(np.isfinite(terminal_value)):
        raise ValueError("terminal_value must be finite")
    return np.broadcast_to(terminal_value, (n_paths,)).copy()
