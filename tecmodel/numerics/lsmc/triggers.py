"""Trigger rules: act when an index has been above (or below) x for y dates.

Searched on the regression paths over a grid of x and y, applied to fresh paths with the same
outcome as a least-squares rule (de Neufville & Scholtes 2011).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from tecmodel.numerics.lsmc.arrays import DIRECTIONS, as_exercise_values, as_terminal_value
from tecmodel.numerics.lsmc.stopping import StoppingOutcome


@dataclass(frozen=True)
class TriggerRule:
    """A trigger rule: act when the index has been beyond a threshold for some dates.

    Attributes
    ----------
    threshold : float
        The threshold x chosen [unit of the index].
    persistence : int
        The number y of consecutive decision dates (including the current one) the index must
        have been beyond x.
    direction : str
        ``"above"`` (index > x) or ``"below"`` (index < x).
    action : int or None
        The action taken; None takes the best action of the date when its value is positive.
    thresholds, persistences : numpy.ndarray
        The grid searched.
    in_sample_values : numpy.ndarray
        Shape ``(len(thresholds), len(persistences))``: the mean realised value [unit of value]
        of every rule of the grid on the regression paths.
    in_sample : StoppingOutcome
        The outcome of the chosen rule on the regression paths.
    """

    threshold: float
    persistence: int
    direction: str
    action: int | None
    thresholds: np.ndarray
    persistences: np.ndarray
    in_sample_values: np.ndarray
    in_sample: StoppingOutcome


def trigger_run_lengths(
    index: np.ndarray, threshold: float, direction: str = "above"
) -> np.ndarray:
    """For each date and path, for how many consecutive dates the index has been beyond x.

    Parameters
    ----------
    index : numpy.ndarray
        Shape ``(D, P)``: the index observed at each decision date.
    threshold : float
        The threshold x [unit of the index].
    direction : {"above", "below"}
        Beyond means ``index > x`` or ``index < x``.

    Returns
    -------
    numpy.ndarray
        Shape ``(D, P)``, integer: the run length including the date itself (0 where the index
        is not beyond x).
    """
    direction = _check_direction(direction)
    index = np.asarray(index, dtype=float)
    beyond = index > threshold if direction == "above" else index < threshold
    run = np.zeros(index.shape, dtype=np.int32)
    run[0] = beyond[0]
    for date in range(1, index.shape[0]):
        run[date] = (run[date - 1] + 1) * beyond[date]
    return run


def fit_trigger_rule(
    index: np.ndarray,
    exercise_values: np.ndarray,
    thresholds: np.ndarray,
    persistences: np.ndarray | int,
    terminal_value: np.ndarray | float | None = None,
    *,
    direction: Literal["above", "below"] = "above",
    action: int | None = None,
) -> TriggerRule:
    """Search the best trigger rule on regression paths over a grid of thresholds and persistences.

    The rule (x, y) acts at the first date where the index has been beyond x for y consecutive
    decision dates and the action can be taken: with ``action=None`` the best action of the
    date, when its value is positive; with a named action, that action, when it is available
    (whatever its sign: the rule does not look at the value). The rule kept has the highest
    mean realised value; of equal values the first in grid order (by threshold, then by
    persistence).

    Parameters
    ----------
    index : numpy.ndarray
        Shape ``(D, P)``: the index observed at each decision date.
    exercise_values : numpy.ndarray
        Shape ``(A, D, P)`` or ``(D, P)``, as in :func:`fit_rule`.
    thresholds : numpy.ndarray
        Shape ``(X,)``: the thresholds x to try [unit of the index].
    persistences : numpy.ndarray or int
        The persistences y to try (integers >= 1); an integer k means 1 .. k.
    terminal_value : numpy.ndarray or float, optional
        As in :func:`fit_rule`.
    direction : {"above", "below"}
        Act when the index is above (an expansion) or below (a put) the threshold.
    action : int, optional
        The action to take; by default the best positive one.

    Returns
    -------
    TriggerRule
    """
    direction = _check_direction(direction)
    index, exercise_values, terminal_value = _trigger_inputs(index, exercise_values, terminal_value)
    thresholds = np.asarray(thresholds, dtype=float).reshape(-1)
    if thresholds.size == 0 or not np.all(np.isfinite(thresholds)):
        raise ValueError("thresholds must be a non-empty array of finite numbers")
    persistences = _as_persistences(persistences)
    action = _check_action(action, exercise_values.shape[0])
    chosen_value, chosen_action, admissible = _trigger_choice(exercise_values, action)
    values = np.empty((thresholds.size, persistences.size))
    for row, threshold in enumerate(thresholds):
        run = trigger_run_lengths(index, threshold, direction)
        for column, persistence in enumerate(persistences):
            outcome = _first_trigger(
                (run >= persistence) & admissible,
                chosen_value,
                chosen_action,
                terminal_value,
                exercise_values.shape[0],
            )
            values[row, column] = outcome.value.mean()
    row, column = np.unravel_index(np.argmax(values), values.shape)
    threshold, persistence = float(thresholds[row]), int(persistences[column])
    run = trigger_run_lengths(index, threshold, direction)
    in_sample = _first_trigger(
        (run >= persistence) & admissible,
        chosen_value,
        chosen_action,
        terminal_value,
        exercise_values.shape[0],
    )
    return TriggerRule(
        threshold, persistence, direction, action, thresholds, persistences, values, in_sample
    )


def apply_trigger_rule(
    rule: TriggerRule,
    index: np.ndarray,
    exercise_values: np.ndarray,
    terminal_value: np.ndarray | float | None = None,
) -> StoppingOutcome:
    """Apply a trigger rule to paths (fresh ones give its unbiased value).

    Parameters
    ----------
    rule : TriggerRule
        From :func:`fit_trigger_rule`.
    index, exercise_values, terminal_value : numpy.ndarray
        As in :func:`fit_trigger_rule`, on the same dates and actions.

    Returns
    -------
    StoppingOutcome
    """
    index, exercise_values, terminal_value = _trigger_inputs(index, exercise_values, terminal_value)
    action = _check_action(rule.action, exercise_values.shape[0])
    chosen_value, chosen_action, admissible = _trigger_choice(exercise_values, action)
    run = trigger_run_lengths(index, rule.threshold, rule.direction)
    return _first_trigger(
        (run >= rule.persistence) & admissible,
        chosen_value,
        chosen_action,
        terminal_value,
        exercise_values.shape[0],
    )


def _trigger_choice(exercise_values, action):
    """Value, action index and admissibility of the action a trigger would take, ``(D, P)``."""
    if action is None:
        values = np.where(np.isnan(exercise_values), -np.inf, exercise_values)
        chosen_action = np.argmax(values, axis=0)
        chosen_value = np.take_along_axis(values, chosen_action[None], axis=0)[0]
        return chosen_value, chosen_action, chosen_value > 0
    chosen_value = exercise_values[action]
    chosen_action = np.full(chosen_value.shape, action)
    return chosen_value, chosen_action, np.isfinite(chosen_value)


def _first_trigger(fires, chosen_value, chosen_action, terminal_value, n_actions):
    """Outcome of acting at the first date a trigger fires, ``fires`` of shape ``(D, P)``."""
    n_dates, n_paths = fires.shape
    first = np.argmax(fires, axis=0)
    paths = np.arange(n_paths)
    fired = fires[first, paths]
    value = np.where(fired, chosen_value[first, paths], terminal_value)
    exercise_date = np.where(fired, first, -1)
    action = np.where(fired, chosen_action[first, paths], -1)
    return StoppingOutcome(value, exercise_date, action, n_dates, n_actions)


def _trigger_inputs(index, exercise_values, terminal_value):
    """Index ``(D, P)``, exercise values ``(A, D, P)`` and terminal value ``(P,)``, checked."""
    index = np.asarray(index, dtype=float)
    if index.ndim != 2 or 0 in index.shape:
        raise ValueError(f"index must have shape (dates, paths), not {index.shape}")
    if np.any(np.isnan(index)):
        raise ValueError("index must not be NaN")
    n_dates, n_paths = index.shape
    exercise_values = as_exercise_values(exercise_values, n_dates, n_paths)
    return index, exercise_values, as_terminal_value(terminal_value, n_paths)


def _as_persistences(persistences) -> np.ndarray:
    """Persistences as a 1-D integer array of values >= 1 (an integer k means 1 .. k)."""
    if np.ndim(persistences) == 0:
        persistences = np.arange(1, int(persistences) + 1)
    persistences = np.asarray(persistences).reshape(-1)
    if (
        persistences.size == 0
        or not np.all(persistences == np.round(persistences))
        or np.any(persistences < 1)
    ):
        raise ValueError("persistences must be integers >= 1")
    return persistences.astype(int)


def _check_action(action, n_actions: int) -> int | None:
    if action is None:
        return None
    if not 0 <= int(action) < n_actions:
        raise ValueError(f"action must be an index below {n_actions}, not {action}")
    return int(action)


def _check_direction(direction) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {DIRECTIONS}, not {direction!r}")
    return direction
