"""Monte Carlo studies: chunked, seeded, resumable, in-process or on a dask cluster.

This module owns the running of a study, not its maths: the samples come from
:mod:`tecmodel.sampling`, the model from :func:`tecmodel.evaluate` (one vectorised call per
chunk, never a loop over samples), the statistics from :mod:`tecmodel.statistics`.

Reproducibility. The ``n`` samples are split into fixed **blocks** of ``block_size`` samples
(default 2^14); block ``b`` draws its uniforms from its own ``SeedSequence(seed).spawn`` child
(see :mod:`tecmodel.sampling` for the ``sobol`` and ``lhs`` samplers). A **chunk** is a run of
whole blocks evaluated in one call; the model's arithmetic on a sample does not depend on the
other samples of the call (ordered sums, exact integer powers; tested), so a seed gives
bit-identical samples and results whatever ``chunk_size``, the number of workers, and whether
the study ran in-process or on dask. Only ``(case, n, seed, sampler, block_size, parameters)``
and the model's code decide the numbers.

Stores. With ``store=PATH`` every finished chunk is written to a zarr store (one zarr chunk per
block, written atomically by zarr >= 3.1.3) and then marked done in its ``block_done`` array. A study
killed part-way and started again with the same arguments evaluates only the blocks not yet
marked done and ends with the same results as an uninterrupted run. A store made with other
arguments or another version of the model is refused unless ``overwrite=True``
(``--restart``); a folder that is not a tecmodel store is never overwritten. The store is
created whole in a temporary folder and renamed into place (:func:`tecmodel.io.atomic_directory`).

Auto-stop. With a ``tolerance``, blocks are examined in order and the study stops after the
first block at which the chosen statistic's confidence half-width is at most the tolerance;
because the check runs block by block, where it stops does not depend on the chunking either.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

#: Units and long names of every metric of a result: project, equity and debt (issue 3).
from tecmodel.analysis.sampling import (
    DEFAULT_BLOCK_SIZE,
    SamplingPlan,
    block_bounds,
    check_sampler,
    check_seed,
    sampling_plan,
    unit_block,
)
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import HIGHER_IS_WORSE, METRICS
from tecmodel.numerics.statistics import STATISTICS, half_width, summarise

#: Per-sample metrics kept by a study (dims sample x site); all but the status are summarised.
SAMPLE_METRICS: tuple[str, ...] = ("npv", "irr", "lcoc", "payback_year", "irr_status", "equity_irr", "min_dscr")
SUMMARY_METRICS: tuple[str, ...] = ("npv", "irr", "lcoc", "payback_year", "equity_irr", "min_dscr")
STORE_FORMAT = 1


@dataclass(frozen=True)
class Tolerance:
    """When to stop drawing blocks.

    Attributes
    ----------
    half_width : float
        Largest acceptable half-width of the statistic's confidence interval, in the metric's
        units (or a fraction of the statistic's magnitude when `relative`).
    metric : str
        One of :data:`SUMMARY_METRICS`.
    statistic : str
        One of :data:`tecmodel.statistics.STATISTICS`.
    site : str
        A site name or ``"portfolio"``.
    relative : bool
        `half_width` is relative to ``|statistic|``.
    """

    half_width: float
    metric: str = "npv"
    statistic: str = "mean"
    site: str = PORTFOLIO
    relative: bool = False

    def reached(self, values: np.ndarray, confidence: float) -> bool:
        value, half = half_width(values, self.statistic, confidence)
        if math.isnan(half):
            return False
        limit = self.half_width * abs(value) if self.relative else self.half_width
        return half <= limit


@dataclass
class MonteCarloResult:
    """A finished Monte Carlo study.

    Attributes
    ----------
    samples : xarray.Dataset
        Over ``sample`` (and ``site``: each site and ``"portfolio"``): the sampled inputs, one
        variable per parameter named by its registry name (site-level ones over ``site``, NaN
        at the portfolio), and the metrics ``npv``, ``irr``, ``lcoc``, ``payback_year``,
        ``irr_status``, ``equity_irr``, ``min_dscr``; every variable has ``units``.
    summary : xarray.Dataset
        See :func:`tecmodel.statistics.summarise`; attrs ``case``, ``n``, ``n_requested``,
        ``seed``, ``sampler``, ``stopped_early`` (0/1), ``n_resumed`` (samples read from the
        store, evaluated by an earlier call), ``chunk_size``, ``block_size``.
    """

    samples: xr.Dataset
    summary: xr.Dataset

    def __repr__(self) -> str:
        attrs = self.summary.attrs
        return (f"MonteCarloResult(case={attrs['case']!r}, n={attrs['n']}, seed={attrs['seed']}, "
                f"sampler={attrs['sampler']!r}, stopped_early={bool(attrs['stopped_early'])})")

    def table(self, site: str = PORTFOLIO) -> pd.DataFrame:
        """Summary of one site as a table (rows: metric and statistic; columns: value, CI)."""
        frame = self.summary[["value", "ci_low", "ci_high"]].sel(site=site).to_dataframe()
        return frame.drop(columns=[c for c in ("site", "units") if c in frame.columns])


def monte_carlo(case: Case, n: int = 100_000, seed: int = 0, sampler: str = "sobol", *,
                chunk_size: int | None = None, block_size: int = DEFAULT_BLOCK_SIZE,
                parameters: Sequence[str] | None = None, store: str | Path | None = None,
                overwrite: bool = False, client: Any = None, progress: bool | None = None,
                tolerance: Tolerance | float | None = None, confidence: float = 0.95,
                max_in_flight: int | None = None) -> MonteCarloResult:
    """Run a Monte Carlo study of a case.

    Parameters
    ----------
    case : Case
        A case whose parameters carry distributions (``distribution:`` in the case file).
    n : int
        Number of samples (the maximum when a `tolerance` is given).
    seed : int
        Non-negative seed; 0 is a seed like any other.
    sampler : {"sobol", "lhs", "random"}
        Scrambled Sobol' points, Latin hypercube per block, or independent uniforms.
    chunk_size : int, optional
        Samples evaluated per model call (a multiple of `block_size`; default `block_size`).
        Bounds the memory of a call; does not change any result.
    block_size : int
        Samples per block: the unit of seeding, storage and resumption. Part of the study's
        identity (a different block size gives other ``random``/``lhs`` samples).
    parameters : sequence of str, optional
        Sample only these parameters (default: every parameter with a distribution).
    store : str or Path, optional
        zarr store to write chunk by chunk and to resume from.
    overwrite : bool
        Start the store afresh, even one made with other arguments or another model version
        (a folder that is not a tecmodel store is never overwritten).
    client : distributed.Client, optional
        Evaluate chunks on this dask cluster; results are written by the calling process.
    progress : bool, optional
        Show a tqdm progress bar; default: only when stderr is a terminal.
    tolerance : Tolerance or float, optional
        Stop early once the statistic's confidence half-width is small enough (a float means
        an absolute half-width of the portfolio's mean NPV [EUR]).
    confidence : float
        Confidence level of the summary's intervals [1].
    max_in_flight : int, optional
        Chunks submitted to the cluster at once (default: twice its worker threads).

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    InputError
        For a bad argument, a case without distributions, or an incompatible store.
    """
    n = _check_count(n, "n")
    seed = check_seed(seed)
    sampler = check_sampler(sampler)
    block_size = _check_count(block_size, "block_size")
    chunk_size = block_size if chunk_size is None else _check_count(chunk_size, "chunk_size")
    if chunk_size % block_size:
        raise InputError(Problem("chunk_size", f"expected a multiple of block_size ({block_size}) so chunks hold "
                                               "whole blocks", chunk_size))
    if not 0.0 < confidence < 1.0:
        raise InputError(Problem("confidence", "expected a level in (0, 1)", confidence))
    tolerance = _check_tolerance(tolerance, case)
    plan = sampling_plan(case, parameters)
    layout = _Layout.of(plan, n, block_size)
    fingerprint = study_fingerprint(plan, n, seed, sampler, block_size)
    sink = (_ZarrSink.open(Path(store), layout, fingerprint, overwrite,
                           watched=None if tolerance is None else tolerance.metric)
            if store is not None else _MemorySink(layout))
    task = _Task(plan, sampler, seed, block_size, n)
    bounds = block_bounds(n, block_size)
    done = sink.done_blocks()
    stopper = _Stopper(tolerance, confidence, sink, bounds, done)
    todo = [chunk for chunk in _chunks(len(bounds), chunk_size // block_size, done)]
    if stopper.stop_block is not None:
        todo = []
    bar = _progress_bar(sum(bounds[b][1] - bounds[b][0] for chunk in todo for b in chunk), progress, case.name)
    try:
        results = (_run_on_client(client, task, todo, stopper, max_in_flight) if client is not None
                   else _run_in_process(task, todo, stopper))
        for blocks, output in results:
            sink.write(blocks, output)
            bar.update(sum(bounds[b][1] - bounds[b][0] for b in blocks))
            stopper.completed(blocks)
    finally:
        bar.close()
    used_blocks = stopper.stop_block + 1 if stopper.stop_block is not None else len(bounds)
    missing = [b for b in range(used_blocks) if b not in stopper.done]
    if missing:  # pragma: no cover - every block is evaluated unless the study stopped
        raise RuntimeError(f"blocks {missing[:5]} were not evaluated")
    used = bounds[used_blocks - 1][1]
    resumed = sum(bounds[b][1] - bounds[b][0] for b in done if b < used_blocks)
    samples = sink.dataset(used)
    summary = summarise(sink.metrics(used), SUMMARY_METRICS, confidence, higher_is_worse=HIGHER_IS_WORSE)
    summary.attrs.update(case=case.name, n=used, n_requested=n, seed=seed, sampler=sampler,
                         stopped_early=int(used < n), n_resumed=resumed, chunk_size=chunk_size,
                         block_size=block_size, parameters=list(plan.parameters))
    if tolerance is not None:
        summary.attrs.update(tolerance=json.dumps(asdict(tolerance)))
    samples.attrs.update({key: summary.attrs[key] for key in ("case", "n", "seed", "sampler", "block_size")})
    return MonteCarloResult(samples, summary)


# --------------------------------------------------------------------------- checks


def _check_count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise InputError(Problem(name, "expected a positive whole number", value))
    return int(value)


def _check_tolerance(tolerance: Tolerance | float | None, case: Case) -> Tolerance | None:
    if tolerance is None:
        return None
    if not isinstance(tolerance, Tolerance):
        try:
            tolerance = Tolerance(float(tolerance))
        except (TypeError, ValueError):
            raise InputError(Problem("tolerance", "expected a positive number or a Tolerance", tolerance)) from None
    if not (math.isfinite(tolerance.half_width) and tolerance.half_width > 0):
        raise InputError(Problem("tolerance.half_width", "expected a positive number", tolerance.half_width))
    if tolerance.metric not in SUMMARY_METRICS:
        raise InputError(Problem("tolerance.metric", f"expected one of {', '.join(SUMMARY_METRICS)}", tolerance.metric))
    if tolerance.statistic not in STATISTICS:
        raise InputError(Problem("tolerance.statistic", f"expected one of {', '.join(STATISTICS)}",
                                 tolerance.statistic))
    sites = list(case.site_names) + [PORTFOLIO]
    if tolerance.site not in sites:
        raise InputError(Problem("tolerance.site", f"expected one of {sites}", tolerance.site))
    return tolerance


def model_fingerprint() -> str:
    """SHA-256 of the package's model code (every module that can change a number).

    Reports, the command line and the assumptions-table generator are left out.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).as_posix()
        if relative.startswith("report/") or relative in ("cli.py", "docs.py", "__main__.py"):
            continue
        digest.update(relative.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def study_fingerprint(plan: SamplingPlan, n: int, seed: int, sampler: str, block_size: int) -> dict[str, Any]:
    """Everything that decides a study's numbers (chunking, workers and tolerance do not)."""
    from tecmodel._version import __version__

    case = plan.case
    case_text = json.dumps(case.raw, sort_keys=True, default=str)
    return {
        "format": STORE_FORMAT,
        "tecmodel_version": __version__,
        "model_sha256": model_fingerprint(),
        "case": case.name,
        "case_sha256": hashlib.sha256(case_text.encode("utf-8")).hexdigest(),
        "n": n,
        "seed": seed,
        "sampler": sampler,
        "block_size": block_size,
        "columns": [column.label for column in plan.columns],
    }


# --------------------------------------------------------------------------- what one chunk computes


@dataclass(frozen=True)
class _Layout:
    """Names, dims and units of the per-sample variables."""

    sites: tuple[str, ...]
    variables: dict[str, tuple[tuple[str, ...], str, str]]  # name -> (dims, units, dtype)
    n: int
    block_size: int

    @classmethod
    def of(cls, plan: SamplingPlan, n: int, block_size: int) -> _Layout:
        sites = tuple(plan.case.site_names) + (PORTFOLIO,)
        variables: dict[str, tuple[tuple[str, ...], str, str]] = {}
        for column in plan.columns:
            parameter = column.parameter
            dims = ("sample", "site") if parameter.scope == "site" else ("sample",)
            variables[parameter.name] = (dims, parameter.unit, "f8")
        for metric in SAMPLE_METRICS:
            variables[metric] = (("sample", "site"), METRICS[metric].units, "i1" if metric == "irr_status" else "f8")
        return cls(sites, variables, n, block_size)


@dataclass(frozen=True)
class _Task:
    """What a worker needs to evaluate any chunk of the study (picklable)."""

    plan: SamplingPlan
    sampler: str
    seed: int
    block_size: int
    n: int


def evaluate_blocks(task: _Task, blocks: Sequence[int]) -> dict[str, np.ndarray]:
    """Sample and evaluate consecutive blocks in one vectorised model call.

    Parameters
    ----------
    task : _Task
    blocks : sequence of int
        Consecutive block indices.

    Returns
    -------
    dict of str to numpy.ndarray
        Each per-sample variable, samples first (site last, portfolio included).
    """
    from tecmodel.model.evaluation import evaluate

    plan = task.plan
    uniforms = np.concatenate([
        plan.correlate(unit_block(task.sampler, plan.dimension, task.seed, block, task.block_size, task.n))
        for block in blocks])
    overrides = plan.overrides(uniforms)
    result = evaluate(plan.case, overrides)
    output: dict[str, np.ndarray] = {}
    for name, values in overrides.items():
        if "site" in values.dims:
            data = values.transpose("sample", "site").values
            output[name] = np.concatenate([data, np.full((data.shape[0], 1), np.nan)], axis=1)
        else:
            output[name] = values.values
    metrics = result.metrics
    for metric in SAMPLE_METRICS:
        output[metric] = metrics[metric].transpose("sample", "site").values
    return output


def _chunks(block_count: int, blocks_per_chunk: int, done: set[int]) -> Iterator[list[int]]:
    """Runs of consecutive blocks still to do, inside chunk-aligned windows, in order."""
    for first in range(0, block_count, blocks_per_chunk):
        run: list[int] = []
        for block in range(first, min(first + blocks_per_chunk, block_count)):
            if block in done:
                if run:
                    yield run
                run = []
            else:
                run.append(block)
        if run:
            yield run


def _run_in_process(task: _Task, todo: list[list[int]], stopper: _Stopper) -> Iterator[tuple[list[int], dict]]:
    for blocks in todo:
        if stopper.stop_block is not None:
            return
        yield blocks, evaluate_blocks(task, blocks)


def _run_on_client(client: Any, task: _Task, todo: list[list[int]], stopper: _Stopper,
                   max_in_flight: int | None) -> Iterator[tuple[list[int], dict]]:
    """Evaluate chunks on a dask cluster, keeping a bounded number in flight."""
    from distributed import as_completed

    if max_in_flight is None:
        threads = sum(client.nthreads().values()) or 1
        max_in_flight = 2 * threads
    task_future = client.scatter(task, broadcast=True)
    pending = iter(todo)
    run = uuid.uuid4().hex[:12]  # keys unique to this run: a cluster never hands back another study's chunk

    def submit(blocks: list[int]):
        return client.submit(evaluate_blocks, task_future, blocks, key=f"tecmodel-montecarlo-{run}-{blocks[0]}",
                             pure=False)

    futures = {}
    for blocks in pending:
        futures[submit(blocks)] = blocks
        if len(futures) >= max_in_flight:
            break
    queue = as_completed(list(futures))
    try:
        for future in queue:
            blocks = futures.pop(future)
            yield blocks, future.result()
            if stopper.stop_block is not None:
                break
            following = next(pending, None)
            if following is not None:
                new = submit(following)
                futures[new] = following
                queue.add(new)
    finally:
        for future in futures:
            future.cancel()


class _Stopper:
    """Tracks finished blocks and finds, block by block in order, where a tolerance is reached."""

    def __init__(self, tolerance: Tolerance | None, confidence: float, sink, bounds: list[tuple[int, int]],
                 done: set[int]):
        self.tolerance = tolerance
        self.confidence = confidence
        self.sink = sink
        self.bounds = bounds
        self.done = set(done)
        self.checked = 0
        self.stop_block: int | None = None
        self._advance()

    def completed(self, blocks: Sequence[int]) -> None:
        self.done.update(blocks)
        self._advance()

    def _advance(self) -> None:
        if self.tolerance is None:
            return
        while self.stop_block is None and self.checked in self.done:
            stop = self.bounds[self.checked][1]
            values = self.sink.column(self.tolerance.metric, self.tolerance.site, stop)
            if self.tolerance.reached(values, self.confidence):
                self.stop_block = self.checked
            self.checked += 1


# --------------------------------------------------------------------------- where results go


class _MemorySink:
    """Per-sample results held in memory (no store)."""

    def __init__(self, layout: _Layout):
        self.layout = layout
        self.arrays = {name: np.full(_shape(layout, dims), _fill(dtype), dtype=dtype)
                       for name, (dims, _, dtype) in layout.variables.items()}

    def done_blocks(self) -> set[int]:
        return set()

    def write(self, blocks: Sequence[int], output: Mapping[str, np.ndarray]) -> None:
        start, stop = _sample_range(self.layout, blocks)
        for name, array in self.arrays.items():
            array[start:stop] = output[name]

    def column(self, metric: str, site: str, stop: int) -> np.ndarray:
        return self.arrays[metric][:stop, self.layout.sites.index(site)]

    def dataset(self, stop: int) -> xr.Dataset:
        """Every per-sample variable of the first `stop` samples."""
        return _dataset(self.layout, {name: array[:stop] for name, array in self.arrays.items()}, stop)

    def metrics(self, stop: int) -> xr.Dataset:
        """The summarised metrics of the first `stop` samples (in memory)."""
        layout = _Layout(self.layout.sites, {name: self.layout.variables[name] for name in SUMMARY_METRICS},
                         self.layout.n, self.layout.block_size)
        return _dataset(layout, {name: self.arrays[name][:stop] for name in SUMMARY_METRICS}, stop)


class _ZarrSink(_MemorySink):
    """Per-sample results written to a zarr store block by block.

    Memory does not grow with ``n``: nothing per sample stays in memory but the metric a
    tolerance watches (8 bytes per sample); the summary reads the store one metric at a time
    and the samples of the result are read lazily from it.
    """

    def __init__(self, layout: _Layout, group, path: Path, watched: str | None = None):
        self.layout = layout
        self.group = group
        self.path = path
        self.arrays = {} if watched is None else {watched: np.asarray(group[watched][...])}
        self._done = {int(b) for b in np.flatnonzero(np.asarray(group["block_done"][...]))}

    def metrics(self, stop: int) -> xr.Dataset:
        """The summarised metrics of the first `stop` samples, read lazily from the store."""
        return self.dataset(stop)[list(SUMMARY_METRICS)]

    @classmethod
    def open(cls, path: Path, layout: _Layout, fingerprint: dict[str, Any], overwrite: bool,
             watched: str | None = None) -> _ZarrSink:
        import zarr

        existing = _read_fingerprint(path)
        if existing is not None and existing != fingerprint and not overwrite:
            differences = [f"{key}: stored {existing.get(key)!r}, now {fingerprint.get(key)!r}"
                           for key in fingerprint if existing.get(key) != fingerprint.get(key)]
            raise InputError(Problem("store", "was made by another study (" + "; ".join(differences)[:400] +
                                              "); expected the same case, n, seed, sampler, block size, parameters "
                                              "and model version to resume, or overwrite=True (--restart) to "
                                              "replace it", str(path)))
        if existing is None or existing != fingerprint or overwrite:
            _create_store(path, layout, fingerprint)
        return cls(layout, zarr.open_group(str(path), mode="r+"), path, watched)

    def done_blocks(self) -> set[int]:
        return set(self._done)

    def dataset(self, stop: int) -> xr.Dataset:
        """The store's per-sample variables of the first `stop` samples, loaded lazily (dask)."""
        stored = xr.open_zarr(self.path, consolidated=False)
        samples = stored[list(self.layout.variables)].isel(sample=slice(0, stop))
        samples = samples.assign_coords(sample=np.arange(stop), site=list(self.layout.sites))
        samples.attrs = {}
        return samples

    def write(self, blocks: Sequence[int], output: Mapping[str, np.ndarray]) -> None:
        super().write(blocks, output)
        start, stop = _sample_range(self.layout, blocks)
        for name, values in output.items():
            self.group[name][start:stop] = values
        # Marked done only after every variable of the blocks is written (each zarr chunk write
        # is atomic): a kill in between leaves the blocks to be evaluated again.
        self.group["block_done"][blocks[0]:blocks[-1] + 1] = 1
        self._done.update(blocks)


def _read_fingerprint(path: Path) -> dict[str, Any] | None:
    """The stored study's fingerprint; None if nothing is there; InputError if it is not a store."""
    if not path.exists():
        if not path.parent.is_dir():
            raise InputError(Problem("store", f"its folder {str(path.parent)!r} does not exist; expected a path in "
                                              "an existing folder", str(path)))
        return None
    metadata = path / "zarr.json"
    try:
        attributes = json.loads(metadata.read_text(encoding="utf-8")).get("attributes", {})
        fingerprint = attributes["tecmodel_study"]
    except (OSError, ValueError, KeyError, AttributeError):
        raise InputError(Problem("store", "exists and is not a tecmodel Monte Carlo store (it is never overwritten); "
                                          "expected a new path or a store written by `tecmodel montecarlo`",
                                 str(path))) from None
    return fingerprint


def _create_store(path: Path, layout: _Layout, fingerprint: dict[str, Any]) -> None:
    """Create the empty store in a temporary folder and swap it in whole."""
    import zarr

    from tecmodel.io import atomic_directory

    with atomic_directory(path) as temporary:
        group = zarr.open_group(str(temporary), mode="w", zarr_format=3)
        group.attrs["tecmodel_study"] = fingerprint
        group.create_array("site", shape=(len(layout.sites),), dtype=str, dimension_names=["site"])[:] = (
            np.array(layout.sites))
        for name, (dims, units, dtype) in layout.variables.items():
            chunks = (layout.block_size,) + ((len(layout.sites),) if len(dims) > 1 else ())
            group.create_array(name, shape=_shape(layout, dims), chunks=chunks, dtype=dtype, fill_value=_fill(dtype),
                               dimension_names=list(dims), attributes=_attributes(name, units))
        blocks = len(block_bounds(layout.n, layout.block_size))
        group.create_array("block_done", shape=(blocks,), chunks=(1,), dtype="u1", fill_value=0,
                           dimension_names=["block"], attributes={"units": "1"})


def _shape(layout: _Layout, dims: tuple[str, ...]) -> tuple[int, ...]:
    return (layout.n,) + ((len(layout.sites),) if len(dims) > 1 else ())


def _fill(dtype: str):
    return -1 if dtype == "i1" else np.nan


def _sample_range(layout: _Layout, blocks: Sequence[int]) -> tuple[int, int]:
    return blocks[0] * layout.block_size, min(layout.n, (blocks[-1] + 1) * layout.block_size)


def _attributes(name: str, units: str) -> dict[str, str]:
    from tecmodel.inputs.registry import REGISTRY

    long_name = f"Sampled input: {REGISTRY[name].description}" if name in REGISTRY else METRICS[name].long_name
    return {"units": units, "long_name": long_name}


def _dataset(layout: _Layout, arrays: Mapping[str, np.ndarray], stop: int) -> xr.Dataset:
    variables = {name: xr.Variable(dims, arrays[name], _attributes(name, units))
                 for name, (dims, units, _) in layout.variables.items()}
    return xr.Dataset(variables, coords={"sample": np.arange(stop), "site": list(layout.sites)})


# --------------------------------------------------------------------------- progress and clusters


class _NoBar:
    def update(self, _count: int) -> None:
        pass

    def close(self) -> None:
        pass


def _progress_bar(total: int, progress: bool | None, label: str):
    show = progress if progress is not None else sys.stderr.isatty()
    if not show or total == 0:
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit="sample", unit_scale=True, desc=f"montecarlo {label}", file=sys.stderr)


@dataclass
class LocalClusterClient:
    """Context manager: a dask.distributed LocalCluster of `workers` single-threaded processes.

    The workers keep freed memory mapped (``MALLOC_TRIM_THRESHOLD_``), which the nanny would
    otherwise reset (see the performance notes in docs/architecture.md), and run the compiled
    kernels on one thread each (``NUMBA_NUM_THREADS=1``): the processes are the parallelism.
    """

    workers: int
    processes: bool = True
    client: Any = field(default=None, init=False)
    cluster: Any = field(default=None, init=False)

    def __enter__(self):
        import dask
        from distributed import Client, LocalCluster

        # One compiled-kernel thread per worker process: the workers are the parallelism.
        environ = {"MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_", "68719476736"),
                   "MALLOC_MMAP_MAX_": os.environ.get("MALLOC_MMAP_MAX_", "0"),
                   "NUMBA_NUM_THREADS": "1"}
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            self.cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1, processes=self.processes,
                                        dashboard_address=":0")
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc_info) -> None:
        self.client.close()
        self.cluster.close()


__all__ = ["MonteCarloResult", "Tolerance", "monte_carlo", "evaluate_blocks", "model_fingerprint",
           "study_fingerprint", "LocalClusterClient"]
