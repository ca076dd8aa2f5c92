"""A real-options study of a case's decisions: regression, rule, valuation and the dataset.

This module owns :func:`real_options`: for each build decision, the values of building in each
year of the window on two independent sets of price paths (:mod:`tecmodel.analysis.options.exercise`),
the least-squares rule fitted on the first and valued on the second
(:mod:`tecmodel.numerics.lsmc`), the trigger rule beside it; for each refresh decision, the
same over the tree of refresh histories (:mod:`tecmodel.analysis.options.refresh`); and the
outputs declared in :mod:`tecmodel.analysis.options.outputs`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.analysis.montecarlo.execution import LocalClusterClient
from tecmodel.analysis.options.exercise import ExercisePaths, central_index, exercise_paths
from tecmodel.analysis.options.outputs import RULES, set_option_attributes
from tecmodel.analysis.options.refresh import (
    REFRESH_ACTIONS,
    refresh_paths,
    refresh_policies,
    value_refresh_decision,
)
from tecmodel.analysis.sampling import DEFAULT_BLOCK_SIZE, check_seed
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case, load_case
from tecmodel.inputs.decisions import Decision, build_decisions
from tecmodel.inputs.messages import pydantic_problems
from tecmodel.inputs.schema import DecisionSpec
from tecmodel.numerics.lsmc import (
    StoppingOutcome,
    apply_rule,
    apply_trigger_rule,
    basis_functions,
    continuation_value,
    fit_rule,
    fit_trigger_rule,
    least_squares,
    mean_and_error,
    standardisation,
    summarise,
)
from tecmodel.numerics.lsmc.stopping import continuation_at

#: Spawn-key stream of the valuation paths' seed, beside the regression paths' own seed.
VALUATION_STREAM = 0x76616C75  # ASCII "valu"
#: Batches of the regression paths whose rules give the exercise boundary's standard error.
BOUNDARY_BATCHES = 10
#: Quantiles of the main state's index searched by the trigger rule.
TRIGGER_QUANTILES = np.linspace(0.02, 0.98, 49)
#: Persistences (consecutive decision years) searched by the trigger rule.
TRIGGER_PERSISTENCES = 3


def valuation_seed(seed: int) -> int:
    """The seed of the valuation paths: derived from `seed` on its own stream, so the two sets
    of paths are independent and both follow from one seed."""
    state = np.random.SeedSequence(seed, spawn_key=(VALUATION_STREAM,)).generate_state(1)
    return int(state[0])


@dataclass(frozen=True)
class ExerciseEstimate:
    """Least-squares estimate of the value of building at each date, given the states then.

    The realised NPV of building at a date depends on prices after it; a decision may only use
    what is known then, so each date's NPV is regressed on the basis of the states at that date
    (on the regression paths) and the rule compares the fitted value with the fitted value of
    waiting. The value credited to a path is always its realised NPV.
    """

    coefficients: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    basis: str
    degree: int

    def __call__(self, states: np.ndarray) -> np.ndarray:
        """Fitted values ``(D, P)`` [EUR] at states ``(D, P, S)``."""
        return np.stack(
            [
                continuation_at(
                    self.coefficients[date],
                    self.mean[date],
                    self.scale[date],
                    self.basis,
                    self.degree,
                    False,
                    states[date],
                    None,
                )
                for date in range(states.shape[0])
            ]
        )


def fit_exercise_estimate(
    states: np.ndarray, values: np.ndarray, basis: str, degree: int
) -> ExerciseEstimate:
    """Regress each date's realised values ``(D, P)`` on the basis of its states ``(D, P, S)``."""
    n_dates = states.shape[0]
    coefficients, means, scales = [], [], []
    for date in range(n_dates):
        mean, scale = standardisation(states[date])
        design = basis_functions((states[date] - mean) / scale, basis, degree)
        coefficients.append(least_squares(design, values[date]))
        means.append(mean)
        scales.append(scale)
    return ExerciseEstimate(
        np.array(coefficients), np.array(means), np.array(scales), basis, degree
    )


def realised(values: np.ndarray, exercise_date: np.ndarray) -> np.ndarray:
    """The realised NPV of each path at the date it acts, 0 where it never does ``(P,)``."""
    paths = np.arange(values.shape[1])
    dates = np.maximum(exercise_date, 0)
    return np.where(exercise_date >= 0, values[dates, paths], 0.0)


def with_values(outcome: StoppingOutcome, values: np.ndarray) -> StoppingOutcome:
    """An outcome whose value is the realised NPV at the date it acts."""
    return StoppingOutcome(
        realised(values, outcome.exercise_date),
        outcome.exercise_date,
        outcome.action,
        outcome.n_dates,
        outcome.n_actions,
    )


def boundary_at(
    rule, estimate: ExerciseEstimate, date: int, states: np.ndarray, main: int, central: float
) -> tuple[float, float]:
    """The main state's level, relative to its central path, where the rule starts to build.

    Along a grid of the main state over the range the regression paths visit at that date (the
    other states at their median), a point builds where the fitted value of building is
    positive and beats the fitted value of waiting. Where the building points are the upper end
    of the grid the rule builds above the boundary (side +1): the boundary is the lowest
    building point, interpolated linearly on the margin with the point before; where they are
    the lower end it builds below it (side -1), symmetrically. NaN (side 0) when the main state
    does not vary, when no point or every point builds, or when the building points are inside
    the grid on neither end (the rule is not one-dimensional in the main state there).

    Returns
    -------
    boundary : float
        [1], the level of the main state over its central path that year.
    side : float
        +1 (builds above), -1 (builds below) or 0 (no boundary).
    """
    nothing = (float("nan"), 0.0)
    column = states[date, :, main]
    low, high = np.quantile(column, [0.005, 0.995])
    if not high > low:
        return nothing
    grid = np.linspace(low, high, 201)
    points = np.broadcast_to(np.median(states[date], axis=0), (grid.size, states.shape[2])).copy()
    points[:, main] = grid
    exercise = continuation_at(
        estimate.coefficients[date],
        estimate.mean[date],
        estimate.scale[date],
        estimate.basis,
        estimate.degree,
        False,
        points,
        None,
    )
    waiting = continuation_value(rule, date, points, 0.0)
    with np.errstate(invalid="ignore"):
        margin = np.minimum(exercise - waiting, exercise)
    acting = margin > 0
    if not acting.any() or acting.all():
        return nothing
    if acting[-1] and not acting[0]:
        inside = int(np.flatnonzero(acting)[0])
        outside, side = inside - 1, 1.0
    elif acting[0] and not acting[-1]:
        inside = int(np.flatnonzero(acting)[-1])
        outside, side = inside + 1, -1.0
    else:
        return nothing
    first, before = margin[inside], margin[outside]
    if not np.isfinite(before):
        level = 0.5 * (grid[inside] + grid[outside])
    else:
        level = grid[inside] + (grid[outside] - grid[inside]) * first / (first - before)
    return float(level / central), side


def boundaries(rule, estimate, states, main, central) -> tuple[np.ndarray, np.ndarray]:
    """The boundary [1] and its side of every date, ``(D,)`` each (see :func:`boundary_at`)."""
    found = [
        boundary_at(rule, estimate, date, states, main, central[date])
        for date in range(states.shape[0])
    ]
    return np.array([level for level, _ in found]), np.array([side for _, side in found])


def boundary_standard_error(
    regression: ExercisePaths, main: int, central: np.ndarray, basis: str, degree: int
) -> np.ndarray:
    """Batch-means standard error of the boundary ``(D,)`` [1]: the rule refitted on
    :data:`BOUNDARY_BATCHES` disjoint batches of the regression paths; the spread of their
    boundaries over sqrt(batches)."""
    n = regression.n_paths
    edges = np.linspace(0, n, BOUNDARY_BATCHES + 1).astype(int)
    found = []
    for low, high in zip(edges[:-1], edges[1:], strict=True):
        if high - low < 20:
            return np.full(len(regression.years), np.nan)
        states = regression.states[:, low:high]
        estimate = fit_exercise_estimate(states, regression.values[:, low:high], basis, degree)
        rule = fit_rule(states, estimate(states), basis=basis, degree=degree)
        found.append(boundaries(rule, estimate, states, main, central)[0])
    found = np.array(found)
    with np.errstate(invalid="ignore"):
        count = np.isfinite(found).sum(axis=0)
        spread = np.nanstd(np.where(count >= 2, found, 0.0), axis=0, ddof=1)
    return np.where(count >= 2, spread / np.sqrt(np.maximum(count, 1)), np.nan)


def paired_error(difference: np.ndarray) -> float:
    """Standard error [EUR] of the mean of a path-by-path difference."""
    return mean_and_error(difference)[1]


def value_decision(
    case: Case,
    decision: Decision,
    regression: ExercisePaths,
    valuation: ExercisePaths,
    basis: str,
    degree: int,
) -> dict[str, Any]:
    """Every output of one decision, from its regression and valuation paths."""
    main = regression.state_names.index(decision.state)
    central = central_index(case, decision.state, regression.years)
    estimate = fit_exercise_estimate(regression.states, regression.values, basis, degree)
    rule = fit_rule(regression.states, estimate(regression.states), basis=basis, degree=degree)
    fresh = apply_rule(rule, valuation.states, estimate(valuation.states))
    in_sample = with_values(rule.in_sample, regression.values)
    least = summarise(with_values(fresh, valuation.values), in_sample)

    trigger_index, trigger_rule, fresh_index = best_trigger(
        case, decision.state, regression, valuation
    )
    trigger_outcome = apply_trigger_rule(trigger_rule, fresh_index, valuation.values)
    trigger = summarise(trigger_outcome, trigger_rule.in_sample)

    committed = valuation.committed
    committed_value, committed_error = mean_and_error(committed)
    flexible = {"least_squares": realised(valuation.values, fresh.exercise_date)}
    flexible["trigger"] = trigger_outcome.value
    summaries = {"least_squares": least, "trigger": trigger}
    now_or_never = decision.first_year == decision.planned_decision_year
    rows: dict[str, list] = {key: [] for key in _RULE_OUTPUTS}
    for name in RULES:
        summary, values = summaries[name], flexible[name]
        rows["value_flexible"].append(summary.value)
        rows["value_flexible_standard_error"].append(summary.value_standard_error)
        rows["value_flexible_in_sample"].append(summary.in_sample_value)
        rows["value_flexible_in_sample_standard_error"].append(summary.in_sample_standard_error)
        gain, gain_error = mean_and_error(values - committed)
        rows["value_of_flexibility"].append(gain)
        rows["value_of_flexibility_standard_error"].append(gain_error)
        if now_or_never:
            floor = committed if committed_value > 0 else np.zeros_like(committed)
            waiting, waiting_error = mean_and_error(values - floor)
        else:
            waiting, waiting_error = float("nan"), float("nan")
        rows["value_of_waiting"].append(waiting)
        rows["value_of_waiting_standard_error"].append(waiting_error)
        rows["exercise_probability"].append(summary.exercise_probability)
        rows["exercise_probability_standard_error"].append(
            summary.exercise_probability_standard_error
        )
        rows["cumulative_exercise_probability"].append(summary.cumulative_exercise_probability)
        rows["cumulative_exercise_probability_standard_error"].append(
            summary.cumulative_exercise_probability_standard_error
        )
        rows["never_probability"].append(summary.never_probability)
        rows["never_probability_standard_error"].append(
            float(
                np.sqrt(summary.never_probability * (1 - summary.never_probability) / len(values))
            )
        )
        probability = summary.exercise_probability
        rows["most_likely_year"].append(
            float(regression.years[int(np.argmax(probability))])
            if probability.max() > 0
            else np.nan
        )
        rows["flexible_npv"].append(values)
    by_year = [mean_and_error(row) for row in valuation.values]
    boundary, side = boundaries(rule, estimate, regression.states, main, central)
    return {
        "value_committed": committed_value,
        "value_committed_standard_error": committed_error,
        "value_by_decision_year": np.array([value for value, _ in by_year]),
        "value_by_decision_year_standard_error": np.array([error for _, error in by_year]),
        "exercise_boundary": boundary,
        "exercise_side": side,
        "exercise_boundary_standard_error": boundary_standard_error(
            regression, main, central, basis, degree
        ),
        "trigger_threshold": trigger_rule.threshold,
        "trigger_persistence": float(trigger_rule.persistence),
        "trigger_direction": 1.0 if trigger_rule.direction == "above" else -1.0,
        "committed_npv": committed,
        **{key: np.array(value) for key, value in rows.items()},
        TRIGGER_INDEX_KEY: trigger_index,
    }


#: Key of the trigger rule's index name among a decision's outputs (kept as an attribute).
TRIGGER_INDEX_KEY = "_trigger_index"


def trigger_indices(case: Case, main_state: str, paths: ExercisePaths) -> dict[str, np.ndarray]:
    """The indices a trigger rule may watch, ``(D, P)`` each [1], by name.

    The main state relative to its central path, and its ratio to each other state relative to
    its own (``compute_price / hardware_cost``: the rent of compute against the price of the
    hardware that earns it, a margin index a board can follow).
    """

    def relative(state: str) -> np.ndarray:
        position = paths.state_names.index(state)
        return paths.states[:, :, position] / central_index(case, state, paths.years)[:, None]

    main = relative(main_state)
    found = {main_state: main}
    for state in paths.state_names:
        if state != main_state:
            found[f"{main_state} / {state}"] = main / relative(state)
    return found


def best_trigger(case: Case, main_state: str, regression: ExercisePaths, valuation: ExercisePaths):
    """The best trigger rule over every index of :func:`trigger_indices` and both sides.

    Fitted on the regression paths (the highest mean realised value; of equal values the first
    index, then "above"); returns the index's name, the rule and the index on the valuation
    paths. Both sides are searched: whether a high or a low index favours building is the
    model's answer, not an input.
    """
    fitted = trigger_indices(case, main_state, regression)
    fresh = trigger_indices(case, main_state, valuation)
    best = None
    for name, index in fitted.items():
        thresholds = np.unique(np.quantile(index, TRIGGER_QUANTILES))
        for direction in ("above", "below"):
            rule = fit_trigger_rule(
                index,
                regression.values,
                thresholds,
                TRIGGER_PERSISTENCES,
                direction=direction,
                action=0,
            )
            if best is None or rule.in_sample.value.mean() > best[1].in_sample.value.mean():
                best = (name, rule)
    name, rule = best
    return name, rule, fresh[name]


_RULE_OUTPUTS = (
    "value_flexible",
    "value_flexible_standard_error",
    "value_flexible_in_sample",
    "value_flexible_in_sample_standard_error",
    "value_of_flexibility",
    "value_of_flexibility_standard_error",
    "value_of_waiting",
    "value_of_waiting_standard_error",
    "exercise_probability",
    "exercise_probability_standard_error",
    "cumulative_exercise_probability",
    "cumulative_exercise_probability_standard_error",
    "never_probability",
    "never_probability_standard_error",
    "most_likely_year",
    "flexible_npv",
)
_DIMS = {
    "value_committed": ("decision",),
    "value_committed_standard_error": ("decision",),
    "value_by_decision_year": ("decision", "year"),
    "value_by_decision_year_standard_error": ("decision", "year"),
    "exercise_boundary": ("decision", "year"),
    "exercise_boundary_standard_error": ("decision", "year"),
    "exercise_side": ("decision", "year"),
    "trigger_threshold": ("decision",),
    "trigger_persistence": ("decision",),
    "committed_npv": ("decision", "path"),
    "exercise_probability": ("decision", "rule", "year"),
    "exercise_probability_standard_error": ("decision", "rule", "year"),
    "cumulative_exercise_probability": ("decision", "rule", "year"),
    "cumulative_exercise_probability_standard_error": ("decision", "rule", "year"),
    "flexible_npv": ("decision", "rule", "path"),
    "action_probability": ("decision", "action", "year"),
    "action_probability_standard_error": ("decision", "action", "year"),
    "value_by_policy": ("decision", "policy"),
    "value_by_policy_standard_error": ("decision", "policy"),
}


def resolve_decisions(case: Case, decisions: Any) -> tuple[Decision, ...]:
    """The decisions to value: the case's, some of them by name, or declarations given here.

    Raises
    ------
    InputError
        When there is none, for an unknown name, or for a bad declaration (naming the field,
        its value and what was expected).
    """
    if decisions is None:
        found = case.decisions
    elif isinstance(decisions, str) or (
        isinstance(decisions, Sequence) and all(isinstance(item, str) for item in decisions)
    ):
        names = [decisions] if isinstance(decisions, str) else list(decisions)
        known = {decision.name: decision for decision in case.decisions}
        unknown = [name for name in names if name not in known]
        if unknown:
            raise InputError(
                Problem(
                    "decisions",
                    f"unknown decision; expected one of {sorted(known)}",
                    unknown[0],
                ),
                case.file,
            )
        found = tuple(known[name] for name in names)
    else:
        found = declared_decisions(case, decisions)
    if not found:
        raise InputError(
            Problem(
                "decisions",
                "the case declares no decision; expected a `decisions:` list in the case file "
                "(or the decisions argument)",
                Problem.NO_VALUE,
            ),
            case.file,
        )
    return found


def declared_decisions(case: Case, declarations: Any) -> tuple[Decision, ...]:
    """Decisions given in the case file's form (a list of mappings), validated."""
    from pydantic import ValidationError, create_model

    if isinstance(declarations, Mapping):
        declarations = [declarations]
    model = create_model("Decisions", decisions=(list[DecisionSpec], ...))
    try:
        specs = model.model_validate({"decisions": list(declarations)}).decisions
    except (ValidationError, TypeError) as error:
        if isinstance(error, TypeError):
            raise InputError(
                Problem("decisions", "expected a list of decisions", declarations),
                "decisions argument",
            ) from None
        raise InputError(pydantic_problems(error, {}), "decisions argument") from None
    problems: list[Problem] = []
    found = build_decisions(case, specs, problems)
    if problems:
        raise InputError(problems, "decisions argument")
    return found


def _check_count(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InputError(Problem(name, f"expected a whole number >= {low}", value))
    return int(value)


@contextmanager
def _executor(workers: int, client: Any = None):
    """Where the chunks of paths are evaluated: the executor of a dask client (the one given,
    or a local cluster of `workers` processes, as the Monte Carlo's), or None for this process.
    Its ``map`` returns the chunks in order, so the workers change no number."""
    if client is not None:
        yield client.get_executor()
        return
    if workers == 1:
        yield None
        return
    with LocalClusterClient(workers) as local:
        yield local.get_executor()


def refresh_values(
    case, decision, seed, fresh_seed, n, n_regression, basis, degree, **evaluation
) -> dict[str, Any]:
    """Every output of a refresh decision (:mod:`tecmodel.analysis.options.refresh`), with the
    labels of its policies under :data:`POLICY_LABELS_KEY`."""
    policies = refresh_policies(len(decision.years))
    regression, valuation = (
        refresh_paths(case, decision, policies, path_seed, count, **evaluation)
        for path_seed, count in ((seed, n_regression), (fresh_seed, n))
    )
    values = value_refresh_decision(regression, valuation, policies, basis, degree)
    values[POLICY_LABELS_KEY] = policies.labels
    return values


#: Key of a refresh decision's policy labels among its outputs (the ``policy`` coordinate).
POLICY_LABELS_KEY = "_policy_labels"


def real_options(
    case: Case | str | Path,
    n: int = 10_000,
    seed: int = 0,
    decisions: Any = None,
    *,
    n_regression: int | None = None,
    chunk_size: int = 2048,
    block_size: int = DEFAULT_BLOCK_SIZE,
    basis: str = "polynomial",
    degree: int = 2,
    workers: int = 1,
    client: Any = None,
) -> xr.Dataset:
    """Value a case's decisions as options by least-squares Monte Carlo on its price paths.

    Parameters
    ----------
    case : Case, str or Path
        A case (or a case file, or a bundled case's name) that declares price processes.
    n : int
        Valuation paths (fresh, independent of the regression paths).
    seed : int
        Seed of the regression paths; the valuation paths' seed is derived from it
        (:func:`valuation_seed`).
    decisions : None, str, sequence of str, or list of mappings
        The case's decisions (all by default, or some by name), or declarations in the case
        file's form (validated like the case file's).
    n_regression : int, optional
        Regression paths (default `n`).
    chunk_size : int
        Paths per model call; changes no number.
    block_size : int
        Paths per seeding block (the Monte Carlo's by default).
    basis : {"polynomial", "laguerre"}
        Regression basis of the states (:mod:`tecmodel.numerics.lsmc`); a polynomial with cross
        terms by default.
    degree : int
        Degree of the basis (2: 15 functions of the 4 states of the bundled cases).
    workers : int
        Processes of a local dask cluster evaluating the chunks of paths (1: this process);
        changes no number.
    client : distributed.Client, optional
        Evaluate the chunks on this dask cluster instead (e.g. a scheduler of several
        machines); changes no number.

    Returns
    -------
    xarray.Dataset
        Over ``decision`` (coordinates ``site`` and ``action_kind``, build or refresh),
        ``rule`` (``least_squares``, ``trigger``), ``year`` (the windows' decision years and
        the refresh years), ``action`` and ``policy`` (refresh decisions) and ``path``
        (valuation paths): the outputs of
        :data:`tecmodel.analysis.options.outputs.OPTION_OUTPUTS`, each with ``units`` and
        ``long_name``, and their standard errors.

    Raises
    ------
    InputError
        For a case without decisions or processes, a bad declaration, or bad counts.
    """
    if not isinstance(case, Case):
        case = load_case(case)
    n = _check_count(n, "n", 2)
    n_regression = _check_count(n if n_regression is None else n_regression, "n_regression", 2)
    chunk_size = _check_count(chunk_size, "chunk_size", 1)
    block_size = _check_count(block_size, "block_size", 1)
    seed = check_seed(seed)
    workers = _check_count(workers, "workers", 1)
    found = resolve_decisions(case, decisions)
    fresh_seed = valuation_seed(seed)
    per_decision = []
    with _executor(workers, client) as executor:
        for decision in found:
            if decision.action == "refresh":
                per_decision.append(
                    refresh_values(
                        case,
                        decision,
                        seed,
                        fresh_seed,
                        n,
                        n_regression,
                        basis,
                        degree,
                        chunk_size=chunk_size,
                        block_size=block_size,
                        executor=executor,
                    )
                )
                continue
            paths = {
                name: exercise_paths(
                    case,
                    decision,
                    path_seed,
                    count,
                    chunk_size=chunk_size,
                    block_size=block_size,
                    executor=executor,
                )
                for name, path_seed, count in (
                    ("regression", seed, n_regression),
                    ("valuation", fresh_seed, n),
                )
            }
            per_decision.append(
                value_decision(
                    case, decision, paths["regression"], paths["valuation"], basis, degree
                )
            )
    trigger_names = [values.pop(TRIGGER_INDEX_KEY, "-") for values in per_decision]
    dataset = _dataset(case, found, per_decision, n, n_regression, seed, fresh_seed, basis, degree)
    dataset.attrs["trigger_index"] = ", ".join(trigger_names)
    return dataset


def _dataset(case, found, per_decision, n, n_regression, seed, fresh_seed, basis, degree):
    """The outputs of every decision as one Dataset: years the union of the decisions' years,
    policies the union of the refresh decisions' policies; NaN where an output does not apply
    to a decision (e.g. the boundary of a refresh decision, the policies of a build decision)."""
    years = sorted({year for decision in found for year in decision.years})
    labels = [values.pop(POLICY_LABELS_KEY, ()) for values in per_decision]
    policies = list(dict.fromkeys(label for found_labels in labels for label in found_labels))
    sizes = {
        "rule": len(RULES),
        "year": len(years),
        "path": n,
        "action": len(REFRESH_ACTIONS),
        "policy": len(policies),
    }
    names = list(dict.fromkeys(name for values in per_decision for name in values))
    variables = {}
    for name in names:
        dims = _DIMS.get(name, ("decision", "rule") if name in _RULE_OUTPUTS else ("decision",))
        parts = []
        for decision, values, own_labels in zip(found, per_decision, labels, strict=True):
            full = np.full([sizes[dim] for dim in dims[1:]], np.nan)
            if name in values:
                # Place the decision's years (and policies) among the union's.
                where = {
                    "year": [years.index(year) for year in decision.years],
                    "policy": [policies.index(label) for label in own_labels],
                }
                index = np.ix_(*(where.get(dim, range(sizes[dim])) for dim in dims[1:]))
                full[index] = np.asarray(values[name], dtype=float)
            parts.append(full)
        variables[name] = (dims, np.stack(parts))
    dataset = xr.Dataset(
        variables,
        coords={
            "decision": [decision.name for decision in found],
            "site": ("decision", [decision.site for decision in found]),
            "rule": list(RULES),
            "year": years,
            "path": np.arange(n),
            "action": list(REFRESH_ACTIONS),
            "policy": policies,
            "action_kind": ("decision", [decision.action for decision in found]),
        },
        attrs={
            "case": case.name,
            "n": n,
            "n_regression": n_regression,
            "seed": seed,
            "valuation_seed": fresh_seed,
            "basis": basis,
            "degree": degree,
            "states": ", ".join(case.markets.processes.names),
            "main_state": ", ".join(decision.state for decision in found),
            "planned_decision_year": [decision.planned_decision_year for decision in found],
            "lag_years": [decision.lag_years for decision in found],
            "description": (
                "Simulation results: least-squares Monte Carlo (Longstaff & Schwartz 2001) on the "
                "case's price paths; values in EUR discounted to the first model year"
            ),
        },
    )
    return set_option_attributes(dataset)
