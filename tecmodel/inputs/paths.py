"""Paths of a price process without randomness: its level, its central path, and the kernel.

This module owns the deterministic side of the processes a case declares (their specs and checks
are :mod:`tecmodel.inputs.processes`): the level a mean-reverting process reverts to
(:func:`level_path`), the central path a deterministic evaluation uses (:func:`central_path`),
and the one yearly kernel (:func:`fill_paths`) that turns shocks into paths. The seeded
simulation, which draws the shocks and calls the same kernel, is
:mod:`tecmodel.analysis.processes` (whose docstring states the dynamics); because both go through
:func:`fill_paths`, a simulation with zero volatility and no jumps reproduces the central path
bit for bit. The model layer reads central paths from here (it cannot import the analyses).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.errors import InputError, Problem
from tecmodel.inputs.processes import (
    MEAN_REVERTING,
    ProcessSpec,
    is_whole,
    parse_process,
    years_text,
)

#: Poisson terms below this (past the mode) are left out: beyond the resolution of a uniform.
POISSON_TAIL = 1e-17


def ou_coefficients(speed, volatility) -> tuple[Any, Any]:
    """Exact yearly transition of an Ornstein-Uhlenbeck deviation (Glasserman 2003, 3.3).

    Parameters
    ----------
    speed : float or numpy.ndarray
        Mean-reversion speed kappa >= 0 [1/yr].
    volatility : float or numpy.ndarray
        sigma >= 0 [1/sqrt(yr)].

    Returns
    -------
    decay : float or numpy.ndarray
        exp(-kappa) [1]: the share of a deviation left after a year.
    scale : float or numpy.ndarray
        sigma sqrt((1 - exp(-2 kappa)) / (2 kappa)) [1], sigma at kappa = 0: the standard
        deviation of the year's innovation.
    """
    speed = np.asarray(speed, dtype=float)
    decay = np.exp(-speed)
    twice = 2.0 * speed
    # expm1 keeps the ratio accurate for small speeds; zero speed takes the limit 1.
    ratio = np.divide(-np.expm1(-twice), twice, out=np.ones_like(twice), where=twice > 0)
    return decay, volatility * np.sqrt(ratio)


def poisson_counts(uniforms: np.ndarray, rate) -> np.ndarray:
    """Poisson(rate) counts by inversion of the distribution function, sample by sample.

    Inversion uses one uniform per count whatever the rate, so the draws that follow never
    depend on the values drawn (numpy's Poisson sampler consumes a varying amount).

    Parameters
    ----------
    uniforms : numpy.ndarray
        In [0, 1) [1].
    rate : float or numpy.ndarray
        Expected count, 0 <= rate <= MAX_JUMP_RATE [1]; broadcast against `uniforms`.

    Returns
    -------
    numpy.ndarray
        The smallest k with u < P(N <= k), as floats.
    """
    rate = np.asarray(rate, dtype=float)
    # exp before broadcasting: numpy's vector exp and its strided fallback may differ in the
    # last bit, and a scalar rate must give what an array of it gives.
    term = np.broadcast_to(np.exp(-rate), uniforms.shape)
    rate = np.broadcast_to(rate, uniforms.shape)
    counts = np.zeros(uniforms.shape)
    # Most counts are 0 or 1: each further term works on the samples still short of their
    # uniform only.
    index = np.flatnonzero(uniforms >= term)
    left, rate, term = uniforms[index], rate[index], term[index]
    cumulative = term.copy()
    k = 0
    while index.size:
        k += 1
        counts[index] = k
        term = term * rate / k
        cumulative += term
        # Past the mode a term below POISSON_TAIL cannot move a uniform's count: rounding of
        # the cumulative sum must not count on for ever.
        keep = (left >= cumulative) & ((k < rate) | (term > POISSON_TAIL))
        index, left, rate, term, cumulative = (
            array[keep] for array in (index, left, rate, term, cumulative)
        )
    return counts


def jump_sizes(uniforms: np.ndarray, normals: np.ndarray, rate, mean, std) -> np.ndarray:
    """Sum of a Poisson(rate) number of Normal(mean, std) jumps, sample by sample [1].

    The sum of N independent Normal(mean, std) is Normal(N mean, sqrt(N) std): one normal per
    sample gives it exactly.
    """
    counts = poisson_counts(uniforms, rate)
    sizes = np.zeros(uniforms.shape)
    index = np.flatnonzero(counts)  # most years have no jump

    def at(value):
        return value[index] if np.ndim(value) else value

    jumps = counts[index]
    sizes[index] = jumps * at(mean) + np.sqrt(jumps) * at(std) * normals[index]
    return sizes


def log_path(path: tuple[tuple[int, float], ...], years: Sequence[int]):
    """ln of the level path's value in each year (clamped to its years) and the years past its
    end, over which the escalation compounds."""
    first, last = path[0][0], path[-1][0]
    values = dict(path)
    base = np.log([values[min(max(year, first), last)] for year in years])
    steps = np.array([max(year - last, 0) for year in years], dtype=float)
    return base, steps


def log_level(
    spec: ProcessSpec, years: Sequence[int], values: Mapping[str, Any]
) -> Callable[[int], Any]:
    """m[t] = ln(level_scale level[t]) by year position, for scalar or per-sample parameters."""
    log_scale = np.log(values["level_scale"])
    if not spec.level_path:
        offset = np.log(values["level"]) + log_scale
        return lambda position: offset
    base, steps = log_path(spec.level_path, years)
    growth = np.log1p(values["level.escalation"])
    return lambda position: base[position] + steps[position] * growth + log_scale


def level_path(spec: Any, years: Sequence[int]) -> np.ndarray:
    """The level of a mean-reverting process in each year, at the parameters' base values.

    Parameters
    ----------
    spec : mapping or ProcessSpec
    years : sequence of int
        Consecutive calendar years.

    Returns
    -------
    numpy.ndarray
        level_scale level[t] over `years` [the process's unit].
    """
    process = parse_process("process", spec, "process")
    years = check_years(years)
    if process.kind != MEAN_REVERTING:
        raise InputError(
            Problem("process.type", "has no level; expected a mean_reverting process", process.kind)
        )
    level_at = log_level(process, years, base_values(process))
    return np.exp(np.array([level_at(position) for position in range(len(years))], dtype=float))


def fill_paths(
    processes: Sequence[ProcessSpec],
    factor: np.ndarray | None,
    years: Sequence[int],
    values: Sequence[Mapping[str, Any]],
    draw: Callable[[int], tuple],
    out: list[np.ndarray],
    with_jumps: bool,
) -> None:
    """Fill `out` with the processes' paths; the one kernel behind every simulation.

    Parameters
    ----------
    processes : sequence of ProcessSpec
    factor : numpy.ndarray or None
        Correlation factor of the shocks (None: independent).
    years : sequence of int
    values : sequence of mapping
        Per process, its parameters by field, each a float or an array over the samples.
    draw : callable
        ``draw(position)`` -> (normals (processes + jump processes, samples), uniforms (jump
        processes, samples)) for the step into year `position`.
    out : list of numpy.ndarray
        Per process, (year, sample), filled in place [unit].
    with_jumps : bool
        Add jumps (False for the central path).
    """
    count = len(processes)
    samples = out[0].shape[1]
    states, steps = [], []
    for process, given, paths in zip(processes, values, out, strict=True):
        paths[0] = given["start"]
        state = np.empty(samples)
        if process.kind == MEAN_REVERTING:
            level_at = log_level(process, years, given)
            state[...] = np.log(given["start"]) - level_at(0)
            steps.append(
                (level_at, *ou_coefficients(given["speed"], given["volatility"]), process.has_jumps)
            )
        else:
            state[...] = np.log(given["start"])
            volatility = given["volatility"]
            steps.append(
                (
                    None,
                    given["drift"] - 0.5 * volatility * volatility,
                    volatility,
                    process.has_jumps,
                )
            )
        states.append(state)
    correlated = np.empty((count, samples)) if factor is not None else None
    term = np.empty(samples)
    for position in range(1, len(years)):
        normals, uniforms = draw(position)
        shocks = normals[:count]
        if factor is not None:
            shocks = correlate(shocks, factor, correlated, term)
        jump = 0
        for index, (level_at, first, second, has_jumps) in enumerate(steps):
            state, row = states[index], out[index][position]
            if level_at is not None:  # deviation d: d exp(-kappa) + scale eps
                state *= first
            else:  # log value: ln X + (mu - sigma^2 / 2) + sigma eps
                state += first
            np.multiply(shocks[index], second, out=term)
            state += term
            if has_jumps:
                if with_jumps:
                    given = values[index]
                    state += jump_sizes(
                        uniforms[jump],
                        normals[count + jump],
                        given["jumps.rate"],
                        given["jumps.mean"],
                        given["jumps.std"],
                    )
                jump += 1
            if level_at is not None:
                np.add(state, level_at(position), out=row)
                np.exp(row, out=row)
            else:
                np.exp(state, out=row)


def correlate(
    shocks: np.ndarray, factor: np.ndarray, out: np.ndarray, term: np.ndarray
) -> np.ndarray:
    """F eps sample by sample, summed in a fixed order (no BLAS), so a sample's value never
    depends on how many samples are transformed with it."""
    for row in range(factor.shape[0]):
        columns = [column for column in range(factor.shape[1]) if factor[row, column] != 0.0]
        np.multiply(shocks[columns[0]], factor[row, columns[0]], out=out[row])
        for column in columns[1:]:
            np.multiply(shocks[column], factor[row, column], out=term)
            out[row] += term
    return out


def base_values(process: ProcessSpec) -> dict[str, float]:
    return {name: parameter.value for name, parameter in process.parameters}


def check_years(years: Any) -> tuple[int, ...]:
    """Consecutive whole calendar years as a tuple, else InputError."""
    if isinstance(years, str) or not isinstance(years, Sequence | range | np.ndarray):
        raise InputError(
            Problem("years", "expected a sequence of consecutive calendar years", years)
        )
    listed = list(years)
    if not listed or not all(is_whole(year) and not isinstance(year, str) for year in listed):
        raise InputError(
            Problem("years", "expected a non-empty sequence of whole calendar years", listed)
        )
    result = tuple(int(year) for year in listed)
    if any(later != earlier + 1 for earlier, later in zip(result, result[1:], strict=False)):
        raise InputError(
            Problem("years", "expected consecutive calendar years in order", years_text(result))
        )
    return result


def central_path(spec: Any, years: Sequence[int], *, name: str = "process") -> xr.DataArray:
    """The path with zero volatility and no jumps, at the other parameters' base values.

    For a mean-reverting process, exp(m[t] + (ln start - m[t0]) exp(-kappa (t - t0))), the
    median of the log-normal marginal when there are no jumps; for a gbm, start exp(drift t),
    its mean (the median is start exp((drift - volatility^2 / 2) t)). It is computed by the
    simulation's own kernel, so a simulation with zero volatility and no jumps reproduces it
    bit for bit.

    Parameters
    ----------
    spec : mapping or ProcessSpec
    years : sequence of int
        Consecutive calendar years; the first year's value is ``start``.
    name : str

    Returns
    -------
    xarray.DataArray
        Over ``year`` with ``units`` and ``long_name`` [the process's unit].
    """
    process = parse_process(name, spec, name)
    years = check_years(years)
    labels = attributes(process)
    labels["long_name"] = f"{labels['long_name']}, central path"
    return xr.DataArray(
        central_sample_paths(process, years, {})[:, 0],
        dims="year",
        coords={"year": list(years)},
        name=name,
        attrs=labels,
    )


def central_sample_paths(
    process: ProcessSpec, years: Sequence[int], given: Mapping[str, Any]
) -> np.ndarray:
    """Central paths of one process for parameter values given per sample.

    The path with zero volatility and no jumps (as :func:`central_path`), with some parameters
    replaced by values per sample: what a sensitivity analysis that moves a process's level,
    start, speed or drift evaluates the model on. Computed by the simulation's own kernel.

    Parameters
    ----------
    process : ProcessSpec
    years : sequence of int
        Consecutive calendar years; the first year's value is ``start``.
    given : mapping of str to numpy.ndarray
        Field of :data:`~tecmodel.inputs.processes.FIELDS` -> values over the samples
        (samples,) [the field's unit]; the other fields keep their base values.

    Returns
    -------
    numpy.ndarray
        (year, sample) [the process's unit].
    """
    years = check_years(years)
    samples = max((np.size(value) for value in given.values()), default=1)
    jumps = int(process.has_jumps)
    normals, uniforms = np.zeros((1 + jumps, samples)), np.zeros((jumps, samples))
    out = [np.empty((len(years), samples))]
    values = {**base_values(process), **given, "volatility": 0.0}
    fill_paths(
        (process,),
        None,
        years,
        [values],
        lambda position: (normals, uniforms),
        out,
        with_jumps=False,
    )
    return out[0]


def attributes(process: ProcessSpec) -> dict[str, str]:
    return {"units": process.unit, "long_name": process.long_name}


__all__ = [
    "POISSON_TAIL",
    "attributes",
    "base_values",
    "central_path",
    "central_sample_paths",
    "check_years",
    "correlate",
    "fill_paths",
    "jump_sizes",
    "level_path",
    "log_level",
    "log_path",
    "ou_coefficients",
    "poisson_counts",
]
