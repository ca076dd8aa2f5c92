"""The accelerator-refresh decision: at each refresh, refresh, skip, or stop and sell.

This module owns the valuation of a ``refresh`` decision (:mod:`tecmodel.inputs.decisions`):
the policies (the action sequences that differ), the site's NPV under every policy on each
price path, from the model itself, and the least-squares rule over the tree of action
histories.

Policies. A site with K refresh rounds has at most ``2^(K + 1) - 1`` distinct policies: refresh
or skip at each round (``2^K``), or refresh or skip up to round j and stop there
(``2^K - 1``; after a stop nothing is left to decide). Each is a ``chips.refresh_policy`` code,
one base-3 digit per round (:func:`tecmodel.model.timeline.refresh_schedule`), and all of them
are evaluated in one :func:`tecmodel.evaluate` call per chunk of paths along a ``policy``
dimension, beside the paths over ``sample``: the cash flows of every policy come from the same
component functions as a deterministic run.

Rule (Longstaff & Schwartz 2001, for several actions). Backwards from the last round, at every
node of the tree (the history of refresh and skip before round k), the realised value of each
action, following the rule fitted so far after it (or the NPV of the policy it ends, for a stop
or at the last round), is regressed by least squares on a basis of the states at the round's
decision date (:func:`tecmodel.numerics.lsmc.basis_functions`, polynomial of degree 2 with cross
terms by default); the path takes the action of highest fitted value and its node's realised
value is that action's. The decision of a round is taken at the end of the year before its
first refresh, on the prices of that year. The rule is fitted on the regression paths and
applied, forwards, to the valuation paths, each credited with the realised NPV of the policy it
follows: the estimate is biased low; on the regression paths (biased high) it is reported
beside.
"""

from __future__ import annotations

import dataclasses
import itertools
from concurrent.futures import Executor
from typing import Any

import numpy as np

from tecmodel.analysis.options.exercise import candidate_values
from tecmodel.inputs.case import Case
from tecmodel.inputs.decisions import Decision
from tecmodel.model.timeline import REFRESH, SKIP, STOP
from tecmodel.numerics.lsmc import (
    basis_functions,
    binomial_standard_error,
    continuation_at,
    least_squares,
    mean_and_error,
    standardisation,
)

#: The dimension of the policies in the model call.
POLICY_DIM = "policy"
#: The actions of a refresh round, in the order of their codes (ties go to the first).
REFRESH_ACTIONS = ("refresh", "skip", "stop")
#: The actions that leave a decision at the next round.
CONTINUING = (REFRESH, SKIP)


@dataclasses.dataclass(frozen=True)
class RefreshPolicies:
    """The distinct action sequences of K refresh rounds.

    Attributes
    ----------
    sequences : tuple of tuple of int
        Each policy's actions, round by round (:data:`REFRESH_ACTIONS` codes), ending at its
        first stop.
    codes : numpy.ndarray
        Shape ``(Q,)``: the ``chips.refresh_policy`` code of each [1].
    labels : tuple of str
        E.g. ``"refresh-skip-stop"``.
    """

    sequences: tuple[tuple[int, ...], ...]
    codes: np.ndarray
    labels: tuple[str, ...]

    @property
    def committed(self) -> int:
        """Index of the model's own policy: refresh at every round."""
        return self.sequences.index(tuple(REFRESH for _ in self.sequences[0]))

    def index(self, sequence: tuple[int, ...]) -> int:
        return self.sequences.index(sequence)


def refresh_policies(rounds: int) -> RefreshPolicies:
    """Every distinct policy of `rounds` refresh rounds (``2^(rounds + 1) - 1``), refreshing at
    every round first."""
    sequences = [tuple(history) for history in itertools.product(CONTINUING, repeat=rounds)]
    for length in range(rounds):
        sequences += [
            tuple(history) + (STOP,) for history in itertools.product(CONTINUING, repeat=length)
        ]
    codes = np.array([sum(a * 3**k for k, a in enumerate(seq)) for seq in sequences], float)
    labels = tuple("-".join(REFRESH_ACTIONS[a] for a in seq) for seq in sequences)
    return RefreshPolicies(tuple(sequences), codes, labels)


@dataclasses.dataclass(frozen=True)
class RefreshPaths:
    """A refresh decision's values and states on a set of paths.

    Attributes
    ----------
    years : numpy.ndarray
        Shape ``(K,)``: the refresh rounds' years [calendar year].
    values : numpy.ndarray
        Shape ``(Q, P)``: the site's NPV under each policy [EUR, discounted to the first model
        year].
    states : numpy.ndarray
        Shape ``(K, P, S)``: each process's value at each round's decision date (the year
        before the round) [the process's unit].
    state_names : tuple of str
    """

    years: np.ndarray
    values: np.ndarray
    states: np.ndarray
    state_names: tuple[str, ...]


def refresh_paths(
    case: Case,
    decision: Decision,
    policies: RefreshPolicies,
    seed: int,
    n: int,
    *,
    chunk_size: int,
    block_size: int,
    executor: Executor | None = None,
) -> RefreshPaths:
    """Every policy's NPV and the states on paths 0 .. n - 1 of `seed` (the site alone, as
    :func:`tecmodel.analysis.options.exercise.exercise_paths`; the chunk size and the workers
    change no number)."""
    years = np.array(list(decision.years))
    values, states = candidate_values(
        case,
        decision.site,
        "chips.refresh_policy",
        policies.codes,
        POLICY_DIM,
        years - 1 - case.start_year,
        seed,
        n,
        chunk_size=chunk_size,
        block_size=block_size,
        executor=executor,
    )
    names = tuple(case.markets.processes.names)
    return RefreshPaths(years, values, states, names)


@dataclasses.dataclass(frozen=True)
class RefreshRule:
    """A least-squares rule over the tree of refresh histories.

    Attributes
    ----------
    coefficients : dict
        ``(history, action) -> (coefficients, mean, scale)``: the regression of the action's
        realised value on the basis of the states at the round ``len(history)``.
    basis : str
    degree : int
    policies : RefreshPolicies
    in_sample : numpy.ndarray
        Shape ``(P,)``: the index of the policy each regression path follows.
    """

    coefficients: dict
    basis: str
    degree: int
    policies: RefreshPolicies
    in_sample: np.ndarray


def _fitted(entry, basis, degree, states) -> np.ndarray:
    coefficients, mean, scale = entry
    return continuation_at(coefficients, mean, scale, basis, degree, False, states, None)


def fit_refresh_rule(
    states: np.ndarray, values: np.ndarray, policies: RefreshPolicies, basis: str, degree: int
) -> RefreshRule:
    """Fit the rule backwards over the rounds on regression paths (see the module docstring).

    Parameters
    ----------
    states : numpy.ndarray
        Shape ``(K, P, S)``: the states at each round's decision date.
    values : numpy.ndarray
        Shape ``(Q, P)``: each policy's NPV [EUR].
    """
    rounds = states.shape[0]
    realised: dict[tuple[int, ...], np.ndarray] = {}
    coefficients: dict = {}
    followed: dict[tuple[int, ...], np.ndarray] = {}
    for round_index in range(rounds - 1, -1, -1):
        mean, scale = standardisation(states[round_index])
        design = basis_functions((states[round_index] - mean) / scale, basis, degree)
        for history in itertools.product(CONTINUING, repeat=round_index):
            children, policy_of = [], []
            for action in (REFRESH, SKIP, STOP):
                child = history + (action,)
                if action == STOP or round_index == rounds - 1:
                    index = policies.index(child)
                    children.append(values[index])
                    policy_of.append(np.full(values.shape[1], index))
                else:
                    children.append(realised[child])
                    policy_of.append(followed[child])
                entry = (least_squares(design, children[-1]), mean, scale)
                coefficients[(history, action)] = entry
            fitted = np.stack(
                [
                    _fitted(coefficients[(history, action)], basis, degree, states[round_index])
                    for action in (REFRESH, SKIP, STOP)
                ]
            )
            choice = np.argmax(fitted, axis=0)
            paths = np.arange(values.shape[1])
            realised[history] = np.stack(children)[choice, paths]
            followed[history] = np.stack(policy_of)[choice, paths]
    return RefreshRule(coefficients, basis, degree, policies, followed[()])


def apply_refresh_rule(rule: RefreshRule, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The rule forwards on fresh paths.

    Returns
    -------
    policy : numpy.ndarray
        Shape ``(P,)``: the index of the policy each path follows.
    actions : numpy.ndarray
        Shape ``(K, P)``: the action code taken at each round, -1 after a stop.
    """
    rounds, n_paths = states.shape[:2]
    actions = np.full((rounds, n_paths), -1)
    for round_index in range(rounds):
        for history in itertools.product(CONTINUING, repeat=round_index):
            at_node = np.flatnonzero(
                np.all(actions[:round_index].T == np.array(history, dtype=int), axis=1)
                if round_index
                else np.ones(n_paths, dtype=bool)
            )
            if not at_node.size:
                continue
            fitted = np.stack(
                [
                    _fitted(
                        rule.coefficients[(history, action)],
                        rule.basis,
                        rule.degree,
                        states[round_index, at_node],
                    )
                    for action in (REFRESH, SKIP, STOP)
                ]
            )
            actions[round_index, at_node] = np.argmax(fitted, axis=0)
    policy = np.empty(n_paths, dtype=int)
    for index, sequence in enumerate(rule.policies.sequences):
        padded = np.array(sequence + (-1,) * (rounds - len(sequence)), dtype=int)
        policy[np.all(actions.T == padded, axis=1)] = index
    return policy, actions


def value_refresh_decision(
    regression: RefreshPaths,
    valuation: RefreshPaths,
    policies: RefreshPolicies,
    basis: str,
    degree: int,
) -> dict[str, Any]:
    """Every output of a refresh decision (the trigger rule does not apply: NaN there)."""
    rule = fit_refresh_rule(regression.states, regression.values, policies, basis, degree)
    policy, actions = apply_refresh_rule(rule, valuation.states)
    n = valuation.values.shape[1]
    paths = np.arange(n)
    flexible = valuation.values[policy, paths]
    in_sample = regression.values[rule.in_sample, np.arange(regression.values.shape[1])]
    committed = valuation.values[policies.committed]
    committed_value, committed_error = mean_and_error(committed)
    value, value_error = mean_and_error(flexible)
    in_value, in_error = mean_and_error(in_sample)
    gain, gain_error = mean_and_error(flexible - committed)
    by_action = np.stack([(actions == code).mean(axis=1) for code in (REFRESH, SKIP, STOP)])
    stop = by_action[STOP]
    cumulative = np.minimum(np.cumsum(stop), 1.0)
    never = float(1.0 - cumulative[-1])
    by_policy = [mean_and_error(row) for row in valuation.values]
    nan = float("nan")

    def per_rule(least):
        """The least-squares value beside a NaN for the trigger rule (not defined here)."""
        least = np.asarray(least, dtype=float)
        return np.stack([least, np.full_like(least, nan)])

    return {
        "value_committed": committed_value,
        "value_committed_standard_error": committed_error,
        "value_flexible": per_rule(value),
        "value_flexible_standard_error": per_rule(value_error),
        "value_flexible_in_sample": per_rule(in_value),
        "value_flexible_in_sample_standard_error": per_rule(in_error),
        "value_of_flexibility": per_rule(gain),
        "value_of_flexibility_standard_error": per_rule(gain_error),
        "value_of_waiting": per_rule(nan),
        "value_of_waiting_standard_error": per_rule(nan),
        "exercise_probability": per_rule(stop),
        "exercise_probability_standard_error": per_rule(binomial_standard_error(stop, n)),
        "cumulative_exercise_probability": per_rule(cumulative),
        "cumulative_exercise_probability_standard_error": per_rule(
            binomial_standard_error(cumulative, n)
        ),
        "never_probability": per_rule(never),
        "never_probability_standard_error": per_rule(binomial_standard_error(never, n)),
        "most_likely_year": per_rule(nan),
        "action_probability": by_action,
        "action_probability_standard_error": binomial_standard_error(by_action, n),
        "value_by_policy": np.array([mean for mean, _ in by_policy]),
        "value_by_policy_standard_error": np.array([error for _, error in by_policy]),
        "committed_npv": committed,
        "flexible_npv": per_rule(flexible),
    }
