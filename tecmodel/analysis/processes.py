"""Stochastic price processes over calendar years: their seeded, exact yearly simulation.

This module owns how the yearly paths of the processes a case declares are drawn reproducibly;
what a spec means and when it is admissible is :mod:`tecmodel.inputs.processes`, the level
and central paths and the yearly kernel :mod:`tecmodel.inputs.paths`. A process is stated as a
plain mapping; each number is
either plain (in the field's unit) or ``{value: ..., unit: ..., source: ...}``, optionally with
a ``distribution`` in that unit (:mod:`tecmodel.inputs.distributions`)::

    power_price:
      type: mean_reverting
      unit: EUR/MWh
      source: "RTE Bilan electrique 2024; futures Cal-26 to Cal-30"
      start: 58
      level: {path: {2026: 52.7, 2027: 56, 2028: 60, 2029: 64, 2030: 68.7}, escalation: 0.02}
      speed: {value: 0.5, unit: 1/yr, distribution: {type: triangular, low: 0.3, mode: 0.5,
                                                     high: 1.0}}
      volatility: 0.35
      jumps: {rate: 0.2, mean: 0.4, std: 0.3}

(the YAML form; the functions take the parsed mapping).

Types and their fields (``[...]`` optional; every type also takes ``type``, ``unit`` and
``source``, and optionally ``note`` and ``description``):

==============  ======================================  =======================================
type            fields                                  log value ln X per year
==============  ======================================  =======================================
mean_reverting  start, level, speed, volatility,        Ornstein-Uhlenbeck towards
                [level_scale], [jumps]                  m[t] = ln(level_scale level[t])
gbm             start, drift, volatility, [jumps]       Brownian motion with drift
==============  ======================================  =======================================

Both are discretised exactly on yearly steps (Glasserman 2003, sections 3.2 and 3.3), so the
step adds no error. With a normal shock eps per year, deviation d[t] = ln X[t] - m[t]:

- mean_reverting (Schwartz 1997, one-factor model of the log price):
  ``d[t+1] = d[t] exp(-speed) + volatility sqrt((1 - exp(-2 speed)) / (2 speed)) eps``
  (``volatility eps`` as speed -> 0);
- gbm: ``ln X[t+1] = ln X[t] + drift - volatility^2 / 2 + volatility eps``, so
  ``E[X[t]] = start exp(drift t)`` without jumps.

``jumps: {rate, mean, std}`` adds, after that step, the sum of a Poisson(rate) number of
Normal(mean, std) jumps to the log value (Merton 1976): spikes that the diffusion cannot make.
A mean-reverting process's jumps decay at its speed like any other deviation. The jumps are not
compensated: they move the mean (by ``rate mean`` per year in the log).

The level of a mean-reverting process is a plain number (constant) or a forward curve,
``{path: {year: value, ...}, escalation: g}``, given for consecutive years: years before the
first take the first value, years after the last grow from it at ``g`` per year (compounded);
``level_scale`` multiplies it (a factor that may carry a distribution). The level is the median
the process reverts to: with volatility the long-run mean is ``level exp(volatility^2 /
(4 speed))``, so a forward curve read as expected prices calls for a level below it by that
factor.

A set of processes is simulated together; their yearly shocks eps are correlated by a Pearson
correlation matrix (``{processes: [a, b], matrix: [[1, rho], [rho, 1]]}``, unlisted processes
independent), factorised once (Cholesky, or an eigen-factor when only semi-definite).

Reproducibility follows :mod:`tecmodel.analysis.sampling`: samples are cut into fixed blocks of
``block_size``; block ``b`` draws from ``default_rng(SeedSequence(seed, spawn_key=(b,
STREAM)))``, year by year, always a whole block: for each simulated year, the normal shocks of
every process (one row of ``block_size`` per process), then the normal jump sizes and the
uniforms of the jump counts (one row each per process with jumps). A sample's values therefore
depend on (seed, block_size, its index, the processes and their order, and the years from the
first) only: not on the number of samples, the chunking or the worker count, and a longer
horizon keeps every earlier year. A parameter with a distribution is drawn per block from its
own generator, ``spawn_key=(b, PARAMETER_STREAM, process position, field position)``, so it
does not depend on the years or on which other parameters are uncertain.

References
----------
Glasserman, P. (2003). Monte Carlo Methods in Financial Engineering. Springer (3.2 geometric
Brownian motion, 3.3 Gaussian short-rate models: exact transitions of both).
Merton, R. C. (1976). Option pricing when underlying stock returns are discontinuous. Journal
of Financial Economics 3(1-2), 125-144.
Schwartz, E. S. (1997). The stochastic behavior of commodity prices: implications for
valuation and hedging. Journal of Finance 52(3), 923-973.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.analysis.sampling import DEFAULT_BLOCK_SIZE, check_seed
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.distributions import Distribution
from tecmodel.inputs.paths import (
    attributes,
    central_path,
    check_years,
    fill_paths,
    jump_sizes,
    level_path,
    ou_coefficients,
    poisson_counts,
)
from tecmodel.inputs.processes import (
    FIELD_POSITION,
    FIELDS,
    PROCESS_UNIT,
    TYPES,
    FieldRule,
    ProcessParameter,
    ProcessSet,
    ProcessSpec,
    correlation_factor,
    hint,
    is_number,
    parse_process,
    parse_process_set,
    process_problems,
    shock_correlation_problems,
)

#: Spawn-key stream of the shocks and jumps, beside the input sampling's ``spawn_key=(block,)``.
#: Large (ASCII "proc") so it cannot meet a child that ``SeedSequence.spawn`` would number.
STREAM = 0x70726F63
#: Spawn-key stream of the uncertain process parameters.
PARAMETER_STREAM = STREAM + 1

# --------------------------------------------------------------------------- parameters


def parameter_values(
    process_set: ProcessSet,
    start: int,
    stop: int,
    seed: int,
    parameters: Mapping[str, Any] | None = None,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    sample_parameters: bool = True,
) -> list[dict[str, Any]]:
    """Each process's parameters for samples [start, stop).

    Parameters
    ----------
    process_set : ProcessSet
    start, stop : int
        Sample range.
    seed : int
    parameters : mapping, optional
        ``"<process>.<field>"`` (fields of :data:`FIELDS`, e.g. ``power_price.speed``,
        ``power_price.jumps.rate``) -> a float or an array of ``stop - start`` values, in the
        field's unit: per-sample values from a Monte Carlo or Sobol' study. They replace the
        base value and the distribution.
    block_size : int
        Samples per block.
    sample_parameters : bool
        Draw the parameters that carry a distribution and are not in `parameters` (from the
        parameter streams); if False they keep their base values.

    Returns
    -------
    list of dict
        Per process, field -> float or numpy.ndarray of shape (stop - start,).

    Raises
    ------
    InputError
        For an unknown process or field, a wrong length, or an inadmissible value.
    """
    given = dict(parameters or {})
    samples = stop - start
    problems = []
    known = {
        f"{process.name}.{name}" for process in process_set.processes for name in process.fields
    }
    for key in given:
        if key not in known:
            problems.append(
                Problem(
                    f"parameters.{key}",
                    f"is not a parameter of these processes; "
                    f"{hint(key, sorted(known))}expected one "
                    "of <process>.<field>",
                    Problem.NO_VALUE,
                )
            )
    result = []
    for position, process in enumerate(process_set.processes):
        values: dict[str, Any] = {}
        for name, parameter in process.parameters:
            key = f"{process.name}.{name}"
            if key in given:
                values[name] = _given_values(
                    given[key], FIELDS[name], process.unit, samples, f"parameters.{key}", problems
                )
            elif parameter.distribution is not None and sample_parameters:
                values[name] = _drawn_values(
                    parameter.distribution, seed, position, name, start, stop, block_size
                )
            else:
                values[name] = parameter.value
        result.append(values)
    if problems:
        raise InputError(problems)
    return result


def _given_values(
    given: Any, rule: FieldRule, unit: str, samples: int, path: str, problems: list[Problem]
) -> Any:
    unit = unit if rule.unit == PROCESS_UNIT else rule.unit
    if is_number(given):
        array = np.asarray(float(given))
    else:
        array = np.ascontiguousarray(given, dtype=float)
        if array.shape != (samples,):
            problems.append(
                Problem(
                    path,
                    f"expected a number or {samples} values (one per "
                    f"sample), got shape {array.shape}",
                    Problem.NO_VALUE,
                )
            )
            return None
    above = array > rule.low if rule.open_low else array >= rule.low
    bad = ~(np.isfinite(array) & above & (array <= rule.high))
    if bad.any():
        problems.append(Problem(path, f"expected {rule.expected(unit)}", float(array[bad][0])))
        return None
    return float(array) if array.ndim == 0 else array


def _drawn_values(
    distribution: Distribution,
    seed: int,
    process: int,
    name: str,
    start: int,
    stop: int,
    block_size: int,
) -> np.ndarray:
    """A parameter's values for samples [start, stop) from its per-block streams."""
    if stop <= start:
        return np.empty(0)
    parts = []
    for block in range(start // block_size, -(-stop // block_size)):
        first = block * block_size
        sequence = np.random.SeedSequence(
            seed, spawn_key=(block, PARAMETER_STREAM, process, FIELD_POSITION[name])
        )
        uniforms = np.random.default_rng(sequence).random(block_size)
        parts.append(uniforms[max(start, first) - first : min(stop, first + block_size) - first])
    return distribution.ppf(np.concatenate(parts))


# --------------------------------------------------------------------------- simulation


def _check_count(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
        raise InputError(Problem(name, f"expected a whole number >= {low}", value))
    return int(value)


def simulate_samples(
    specs: Mapping[str, Any] | ProcessSet,
    correlation: Any,
    years: Sequence[int],
    start: int,
    stop: int,
    seed: int,
    parameters: Mapping[str, Any] | None = None,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    sample_parameters: bool = True,
) -> dict[str, np.ndarray]:
    """Paths of samples [start, stop): bit for bit the same slice of any longer run.

    Parameters
    ----------
    specs : mapping of str to (mapping or ProcessSpec), or ProcessSet
        The processes in simulation order (a ProcessSet is used as it is, with its correlation).
    correlation : mapping, square sequence or None
        Pearson correlation of the yearly shocks (see :func:`parse_process_set`); must be None
        with a ProcessSet.
    years : sequence of int
        Consecutive calendar years; the first year's value is each process's ``start``.
    start, stop : int
        Sample range, 0 <= start <= stop.
    seed : int
    parameters : mapping, optional
        Per-sample (or fixed) parameter values, see :func:`parameter_values`.
    block_size : int
        Samples per block, the unit of seeding (default the Monte Carlo's).
    sample_parameters : bool
        Draw the parameters that carry a distribution (see :func:`parameter_values`).

    Returns
    -------
    dict of str to numpy.ndarray
        Per process, paths of shape (year, stop - start) [the process's unit].
    """
    process_set = _process_set(specs, correlation)
    years = check_years(years)
    seed = check_seed(seed)
    block_size = _check_count(block_size, "block_size", 1)
    start = _check_count(start, "start", 0)
    stop = _check_count(stop, "stop", start)
    values = parameter_values(
        process_set,
        start,
        stop,
        seed,
        parameters,
        block_size=block_size,
        sample_parameters=sample_parameters,
    )
    processes = process_set.processes
    count, jumps = len(processes), sum(process.has_jumps for process in processes)
    out = [np.empty((len(years), stop - start)) for _ in processes]
    normals = np.empty((count + jumps, block_size))
    uniforms = np.empty((jumps, block_size))
    # One block at a time: blocks are the unit of seeding, and a block's state stays in cache.
    for block in range(start // block_size, -(-stop // block_size)):
        first = block * block_size
        low, high = max(start, first), min(stop, first + block_size)
        inside = slice(low - first, high - first)
        generator = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(block, STREAM)))

        def draw(position: int, generator=generator, inside=inside):
            generator.standard_normal(out=normals)
            if jumps:
                generator.random(out=uniforms)
            return normals[:, inside], uniforms[:, inside]

        part = slice(low - start, high - start)
        block_values = [
            {name: value[part] if np.ndim(value) else value for name, value in given.items()}
            for given in values
        ]
        fill_paths(
            processes,
            process_set.factor,
            years,
            block_values,
            draw,
            [paths[:, part] for paths in out],
            with_jumps=True,
        )
    return dict(zip(process_set.names, out, strict=True))


def _process_set(specs: Any, correlation: Any) -> ProcessSet:
    if isinstance(specs, ProcessSet):
        if correlation is not None:
            raise InputError(
                Problem(
                    "correlation",
                    "expected None with a ProcessSet (it carries its correlation)",
                    Problem.NO_VALUE,
                )
            )
        return specs
    return parse_process_set(specs, correlation)


def simulate_set(
    specs: Mapping[str, Any] | ProcessSet,
    correlation: Any,
    years: Sequence[int],
    n: int,
    seed: int = 0,
    *,
    block_size: int = DEFAULT_BLOCK_SIZE,
    sample_parameters: bool = True,
) -> xr.Dataset:
    """Paths of several processes with correlated shocks.

    Parameters
    ----------
    specs : mapping of str to (mapping or ProcessSpec), or ProcessSet
        Processes in the case file's form, by name.
    correlation : mapping, square sequence or None
        See :func:`parse_process_set`.
    years : sequence of int
        Consecutive calendar years; the first year's value is each process's ``start``.
    n : int
        Number of paths.
    seed : int
    block_size : int
    sample_parameters : bool
        Draw the parameters that carry a distribution (else their base values).

    Returns
    -------
    xarray.Dataset
        One variable per process over (year, sample) with ``units`` and ``long_name``.
    """
    process_set = _process_set(specs, correlation)
    years = check_years(years)
    n = _check_count(n, "n", 1)
    paths = simulate_samples(
        process_set,
        None,
        years,
        0,
        n,
        seed,
        block_size=block_size,
        sample_parameters=sample_parameters,
    )
    coords = {"year": list(years), "sample": np.arange(n)}
    dataset = xr.Dataset(
        {
            process.name: xr.DataArray(
                paths[process.name],
                dims=("year", "sample"),
                coords=coords,
                attrs=attributes(process),
            )
            for process in process_set.processes
        }
    )
    dataset.attrs.update({"seed": seed, "block_size": block_size})
    return dataset


def simulate(
    spec: Any,
    years: Sequence[int],
    n: int,
    seed: int = 0,
    *,
    name: str = "process",
    block_size: int = DEFAULT_BLOCK_SIZE,
    sample_parameters: bool = True,
) -> xr.DataArray:
    """Paths of one process.

    Parameters
    ----------
    spec : mapping or ProcessSpec
        The process in the case file's form.
    years : sequence of int
        Consecutive calendar years; the first year's value is ``start``.
    n : int
        Number of paths.
    seed : int
    name : str
        Name of the result (and of the spec in messages).
    block_size : int
    sample_parameters : bool
        Draw the parameters that carry a distribution (else their base values).

    Returns
    -------
    xarray.DataArray
        Over (year, sample) with ``units`` and ``long_name`` [the process's unit]; the same as
        ``simulate_set({name: spec}, None, years, n, seed)[name]``.
    """
    process = parse_process(name, spec, name)
    return simulate_set(
        {name: process},
        None,
        years,
        n,
        seed,
        block_size=block_size,
        sample_parameters=sample_parameters,
    )[name]


__all__ = [
    "FIELDS",
    "PARAMETER_STREAM",
    "STREAM",
    "TYPES",
    "ProcessParameter",
    "ProcessSet",
    "ProcessSpec",
    "central_path",
    "check_years",
    "correlation_factor",
    "jump_sizes",
    "level_path",
    "ou_coefficients",
    "parameter_values",
    "parse_process",
    "parse_process_set",
    "poisson_counts",
    "process_problems",
    "shock_correlation_problems",
    "simulate",
    "simulate_samples",
    "simulate_set",
]
