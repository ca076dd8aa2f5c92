"""What building a site in each candidate year is worth on each price path, from the model itself.

This module owns the bridge between a decision and the model: the site alone as a case
(:func:`site_case`), and, for a set of simulated price paths, the present value of starting its
construction in every candidate year together with the states observed at each decision date
(:func:`exercise_paths`). The values are the model's own: one :func:`tecmodel.evaluate` call
per chunk of paths, with the processes' paths as overrides over ``year`` x ``sample`` (exactly
as a Monte Carlo study passes them) and ``timeline.start_shift_years`` over a ``start``
dimension, so every candidate start year of every path is evaluated in one vectorised call
through the same component functions as a deterministic run.
"""

from __future__ import annotations

import dataclasses
from concurrent.futures import Executor
from functools import partial

import numpy as np
import xarray as xr

from tecmodel.analysis.montecarlo.execution import process_paths
from tecmodel.analysis.sampling import path_overrides
from tecmodel.inputs.case import Case
from tecmodel.inputs.decisions import Decision
from tecmodel.inputs.paths import central_path
from tecmodel.model.evaluation import evaluate

#: The dimension of the candidate start shifts in the model call.
START_DIM = "start"


@dataclasses.dataclass(frozen=True)
class ExercisePaths:
    """A decision's values and states on a set of paths.

    Attributes
    ----------
    years : numpy.ndarray
        Shape ``(D,)``: the decision years of the window [calendar year].
    values : numpy.ndarray
        Shape ``(D, P)``: NPV [EUR, discounted to the model's first year] of the site when its
        construction starts after a decision in each year, on each path.
    committed : numpy.ndarray
        Shape ``(P,)``: NPV [EUR] of the site on its stated plan.
    states : numpy.ndarray
        Shape ``(D, P, S)``: each process's value at each decision year [the process's unit].
    state_names : tuple of str
        The processes, in the order of the last axis of ``states``.
    """

    years: np.ndarray
    values: np.ndarray
    committed: np.ndarray
    states: np.ndarray
    state_names: tuple[str, ...]

    @property
    def n_paths(self) -> int:
        return self.values.shape[1]


def site_case(case: Case, site: str) -> Case:
    """The case reduced to one site: its entries and the case's, no tranches, scenarios or
    decisions.

    A site's unlevered cash flows, tax and NPV do not depend on the other sites (each site is its
    own tax payer; the portfolio is their sum), so the site's NPV alone equals its NPV in the
    whole case. The tranches are dropped because the option is valued on the unlevered project
    NPV; evaluating only the site halves the work of a two-site case.
    """
    entries = {key: entry for key, entry in case.entries.items() if key[1] in (None, site)}
    return dataclasses.replace(
        case,
        sites=(case.site(site),),
        entries=entries,
        tranches=(),
        scenarios=(),
        decisions=(),
    )


def candidate_shifts(decision: Decision) -> np.ndarray:
    """Shifts [yr] evaluated: the plan's own (0) first, then each decision year's that differs."""
    shifts = [decision.shift(year) for year in decision.years]
    return np.array([0] + [shift for shift in shifts if shift != 0], dtype=float)


def exercise_paths(
    case: Case,
    decision: Decision,
    seed: int,
    n: int,
    *,
    chunk_size: int,
    block_size: int,
    executor: Executor | None = None,
) -> ExercisePaths:
    """The decision's values and states on paths 0 .. n - 1 of `seed`.

    Parameters
    ----------
    case : Case
        The whole case (the decision's site is evaluated alone, :func:`site_case`).
    decision : Decision
    seed : int
        Seed of the price paths (:func:`tecmodel.analysis.processes.simulate_samples`).
    n : int
        Number of paths.
    chunk_size : int
        Paths per model call; changes no number (each path's arithmetic is its own).
    block_size : int
        Paths per seeding block.
    executor : concurrent.futures.Executor, optional
        Evaluates the chunks (a dask client's executor); by default one after the other here. The
        chunks are put back in order, so the workers change no number either.

    Returns
    -------
    ExercisePaths
    """
    shifts = candidate_shifts(decision)
    years = np.array(list(decision.years))
    # Where each decision year's shift sits along `start` (the plan's own shift is first).
    where = [int(np.flatnonzero(shifts == decision.shift(year))[0]) for year in years]
    npv, states = candidate_values(
        case,
        decision.site,
        "timeline.start_shift_years",
        shifts,
        START_DIM,
        years - case.start_year,
        seed,
        n,
        chunk_size=chunk_size,
        block_size=block_size,
        executor=executor,
    )
    names = tuple(case.markets.processes.names)
    return ExercisePaths(years, npv[where], npv[0], states, names)


def candidate_values(
    case: Case,
    site: str,
    parameter: str,
    candidates: np.ndarray,
    dim: str,
    positions: np.ndarray,
    seed: int,
    n: int,
    *,
    chunk_size: int,
    block_size: int,
    executor: Executor | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The site's NPV for every candidate value of a site parameter, and the states, on paths
    0 .. n - 1 of `seed`, chunk by chunk (:func:`chunk_values`; the site alone).

    Returns
    -------
    npv : numpy.ndarray
        Shape ``(len(candidates), n)`` [EUR].
    states : numpy.ndarray
        Shape ``(len(positions), n, processes)`` [each process's unit].
    """
    alone = site_case(case, site)
    npv = np.empty((len(candidates), n))
    states = np.empty((len(positions), n, len(case.markets.processes.names)))
    bounds = [(start, min(n, start + chunk_size)) for start in range(0, n, chunk_size)]
    task = partial(
        chunk_values,
        alone,
        site,
        parameter,
        candidates,
        dim,
        positions,
        seed=seed,
        block_size=block_size,
    )
    mapped = (executor.map if executor is not None else map)(task, bounds)
    for (start, stop), (chunk_npv, chunk_states) in zip(bounds, mapped, strict=True):
        npv[:, start:stop] = chunk_npv
        states[:, start:stop] = chunk_states
    return npv, states


def chunk_values(
    alone: Case,
    site: str,
    parameter: str,
    candidates: np.ndarray,
    dim: str,
    positions: np.ndarray,
    bounds: tuple[int, int],
    *,
    seed: int,
    block_size: int,
) -> tuple[np.ndarray, np.ndarray]:
    """One model call: the site's NPV for every candidate value of a site parameter, and the
    states, on paths [start, stop).

    Parameters
    ----------
    parameter : str
        The site parameter the candidates set (``timeline.start_shift_years`` for a build
        decision, ``chips.refresh_policy`` for a refresh decision), along dimension `dim`.
    positions : numpy.ndarray
        Indices of the model years whose process values are the states.

    Returns
    -------
    npv : numpy.ndarray
        Shape ``(len(candidates), stop - start)`` [EUR].
    states : numpy.ndarray
        Shape ``(len(positions), stop - start, processes)`` [each process's unit].
    """
    start, stop = bounds
    paths = process_paths(alone, seed, start, stop, block_size)
    overrides = {
        **path_overrides(alone, paths),
        parameter: xr.DataArray(candidates, dims=dim),
    }
    result = evaluate(alone, overrides, generations=False)
    npv = result.metrics["npv"].sel(site=site).transpose(dim, "sample").values
    states = np.stack([paths[name][positions] for name in alone.markets.processes.names], axis=-1)
    return npv, states


def central_index(case: Case, process: str, years: np.ndarray) -> np.ndarray:
    """A process's central path at some years [the process's unit] (zero volatility, no jumps)."""
    spec = next(p for p in case.markets.processes.processes if p.name == process)
    path = central_path(spec, list(case.years), name=process).values
    return path[np.asarray(years) - case.start_year]
