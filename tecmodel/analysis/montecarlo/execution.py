"""How a Monte Carlo study's chunks are evaluated: in this process or on a dask cluster.

This module owns the unit of work (:class:`Task`, :func:`evaluate_blocks`: the blocks of a chunk
sampled at once and evaluated in vectorised :func:`tecmodel.model.evaluation.evaluate` calls of
:data:`BATCH_SITE_SAMPLES` site-samples), the order of the chunks, the two ways of running them,
the progress bar, a local dask cluster and the release of freed memory between a study's phases.
A chunk's results depend only on its blocks (see :mod:`tecmodel.analysis.montecarlo`), so where
and in which order the chunks run changes no number. The price processes of the case are
simulated for the chunk's samples (:func:`tecmodel.analysis.processes.simulate_samples`, seeded
per block from the study's seed on their own stream) and passed to the model as overrides over
``year`` x ``sample`` of the quantities that follow them, so the model evaluates the simulated
paths through the same component functions as the central paths of a deterministic run.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import sys
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from tecmodel.analysis.montecarlo.layout import (
    CASH_PREFIX,
    PATH_PREFIX,
    PORTFOLIO_PREFIX,
    SAMPLE_METRICS,
    YEARLY_DTYPE,
)
from tecmodel.analysis.processes import simulate_samples
from tecmodel.analysis.sampling import SamplingPlan, path_overrides, unit_block
from tecmodel.inputs.case import Case
from tecmodel.model.evaluation import evaluate
from tecmodel.model.metrics import discount_factors
from tecmodel.numerics.ordered import running_total

#: What a runner yields: the blocks of a chunk and their per-sample outputs.
ChunkResult = tuple[list[int], dict[str, np.ndarray]]


#: Site-samples per model call (samples x sites): a call's working set grows with both (about
#: 24 kB per site-sample for the bundled cases, 380 MiB per call), so a case with two sites
#: evaluates a block in two calls of half a block each. Larger calls gain little speed.
BATCH_SITE_SAMPLES = 16384
#: Working set of a model call per site-sample [B] (measured on the bundled cases: about 380 MiB
#: for a call of :data:`BATCH_SITE_SAMPLES`).
CALL_BYTES_PER_SITE_SAMPLE = 24_000


@dataclass(frozen=True)
class Task:
    """What a worker needs to evaluate any chunk of the study (picklable)."""

    plan: SamplingPlan
    sampler: str
    seed: int
    block_size: int
    n: int
    paths: bool = True
    debt: xr.Dataset | None = None  # the fixed debt schedule (None: sized on the case as stated)
    site_samples_per_call: int = BATCH_SITE_SAMPLES
    # Return the simulated paths with the chunk's outputs (a store keeps them; a study in memory
    # draws them again at its end, so a worker need not send them).
    return_paths: bool = True

    @property
    def batch_size(self) -> int:
        """Samples per model call: :attr:`site_samples_per_call` over the case's sites."""
        return max(self.site_samples_per_call // len(self.plan.case.site_names), 1)


def evaluate_blocks(task: Task, blocks: Sequence[int]) -> dict[str, np.ndarray]:
    """Sample and evaluate consecutive blocks, in vectorised model calls of
    :attr:`Task.batch_size` samples.

    The samples and paths are drawn for the whole blocks (the unit of seeding); a sample's
    results do not depend on the samples evaluated beside it, so the batches change no number,
    only the memory of a call.

    Parameters
    ----------
    task : Task
    blocks : sequence of int
        Consecutive block indices.

    Returns
    -------
    dict of str to numpy.ndarray
        Each per-sample variable, samples first (site last; the portfolio's metrics apart); the
        paths only with :attr:`Task.return_paths`.
    """
    plan = task.plan
    uniforms = np.concatenate(
        [
            plan.correlate(
                unit_block(task.sampler, plan.dimension, task.seed, block, task.block_size, task.n)
            )
            for block in blocks
        ]
    )
    overrides = plan.overrides(uniforms)
    start = blocks[0] * task.block_size
    stop = min(task.n, (blocks[-1] + 1) * task.block_size)
    paths = process_paths(plan.case, task.seed, start, stop, task.block_size) if task.paths else {}
    output: dict[str, np.ndarray] = {
        PATH_PREFIX + name: values.T.astype(YEARLY_DTYPE)
        for name, values in (paths.items() if task.return_paths else ())
    }
    for name, values in overrides.items():
        if "site" in values.dims:
            output[name] = values.transpose("sample", "site").values
        else:
            output[name] = values.values
    batches = [
        evaluate_batch(task, overrides, paths, slice(first, first + task.batch_size))
        for first in range(0, stop - start, task.batch_size)
    ]
    for name in batches[0]:
        output[name] = np.concatenate([batch[name] for batch in batches])
    return output


def evaluate_batch(
    task: Task,
    overrides: dict[str, xr.DataArray],
    paths: dict[str, np.ndarray],
    samples: slice,
) -> dict[str, np.ndarray]:
    """The metrics (and, with paths, the yearly cash flows) of the samples `samples` of a
    chunk, in one model call.

    Parameters
    ----------
    task : Task
    overrides : dict of str to xarray.DataArray
        The chunk's sampled inputs, over ``sample`` [the parameters' units].
    paths : dict of str to numpy.ndarray
        The chunk's simulated paths, (year, sample) [the processes' units].
    samples : slice
        Positions along the chunk's ``sample`` dimension.

    Returns
    -------
    dict of str to numpy.ndarray
        Per metric (sample, site), ``portfolio.<metric>`` (sample,), and with paths the
        ``cash.<name>`` arrays (sample, year).
    """
    plan = task.plan
    batch_paths = {name: values[:, samples] for name, values in paths.items()}
    result = evaluate(
        plan.case,
        {
            **{name: values.isel(sample=samples) for name, values in overrides.items()},
            **path_overrides(plan.case, batch_paths),
        },
        debt=task.debt,
        generations=False,
    )
    output = yearly_cash(result) if paths else {}
    for metric in SAMPLE_METRICS:
        output[metric] = result.metrics[metric].transpose("sample", "site").values
        output[PORTFOLIO_PREFIX + metric] = result.portfolio[metric].transpose("sample").values
    return output


def process_paths(
    case: Case, seed: int, start: int, stop: int, block_size: int
) -> dict[str, np.ndarray]:
    """Simulated paths of the case's processes for samples [start, stop).

    Returns
    -------
    dict of str to numpy.ndarray
        Per process, (year, stop - start) over the case's model years [the process's unit];
        empty when the case declares no process.
    """
    processes = case.markets.processes
    if processes is None:
        return {}
    return simulate_samples(
        processes, None, list(case.years), start, stop, seed, block_size=block_size
    )


def yearly_cash(result) -> dict[str, np.ndarray]:
    """The portfolio's free cash flow and cumulative discounted cash flow per sample and year
    (sample, year) [EUR], for the fan charts."""
    flow = result.portfolio_free_cash_flow
    factors = discount_factors(result.parameters["finance.discount_rate"], result.timeline["t"])
    discounted = (flow * factors).transpose("sample", "year").values
    return {
        CASH_PREFIX + "free_cash_flow": flow.transpose("sample", "year").values.astype(
            YEARLY_DTYPE
        ),
        CASH_PREFIX + "cumulative_discounted_cash_flow": running_total(discounted.T).T.astype(
            YEARLY_DTYPE
        ),
    }


def chunks(block_count: int, blocks_per_chunk: int, done: set[int]) -> Iterator[list[int]]:
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


def run_in_process(
    task: Task,
    todo: list[list[int]],
    stopped: Callable[[], bool],
) -> Iterator[ChunkResult]:
    """Evaluate the chunks one after the other until `stopped()`."""
    for blocks in todo:
        if stopped():
            return
        yield blocks, evaluate_blocks(task, blocks)


def run_on_client(
    client: Any,
    task: Task,
    todo: list[list[int]],
    stopped: Callable[[], bool],
    max_in_flight: int | None,
) -> Iterator[ChunkResult]:
    """Evaluate chunks on a dask cluster, keeping a bounded number in flight, until `stopped()`."""
    from distributed import as_completed

    if max_in_flight is None:
        threads = sum(client.nthreads().values()) or 1
        max_in_flight = 2 * threads
    task_future = client.scatter(task, broadcast=True)
    pending = iter(todo)
    run = uuid.uuid4().hex[
        :12
    ]  # keys unique to this run: a cluster never hands back another study's chunk

    def submit(blocks: list[int]):
        return client.submit(
            evaluate_blocks,
            task_future,
            blocks,
            key=f"tecmodel-montecarlo-{run}-{blocks[0]}",
            pure=False,
        )

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
            if stopped():
                break
            following = next(pending, None)
            if following is not None:
                new = submit(following)
                futures[new] = following
                queue.add(new)
    finally:
        for future in futures:
            future.cancel()


def available_memory() -> int | None:
    """Memory this process can still use without swapping [B]; None where it is not known.

    Linux's ``MemAvailable``, and the room left under the cgroup's limit (a container's
    ``memory.max``) when there is one.
    """
    available = None
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    available = int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text(encoding="ascii").strip()
        used = Path("/sys/fs/cgroup/memory.current").read_text(encoding="ascii").strip()
        if available is not None and limit != "max":
            available = min(available, int(limit) - int(used))
    except (OSError, ValueError):
        pass
    return available


def release_free_memory() -> None:
    """Hand the memory the process has freed back to the operating system.

    The chunks' temporaries are freed after each model call, but glibc keeps freed heap memory
    (all of it under the ``MALLOC_TRIM_THRESHOLD_`` the Makefile sets, so that the next call
    reuses it) and a heap fragmented by many calls rarely has room for the large arrays a study
    builds at its end. ``malloc_trim(0)`` returns every free page, as dask's workers do; other C
    libraries have no such call and are left as they are.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - a Linux without glibc (musl)
        return
    libc.malloc_trim(0)


class _NoBar:
    def update(self, _count: int) -> None:
        pass

    def close(self) -> None:
        pass


def in_notebook() -> bool:
    """Whether the code runs in a Jupyter (IPython) kernel, where stderr is not a terminal."""
    shell = sys.modules.get("IPython")
    if shell is None:
        return False
    ipython = shell.get_ipython() if hasattr(shell, "get_ipython") else None
    return ipython is not None and hasattr(ipython, "kernel")


def progress_bar(total: int, progress: bool | None, label: str, resumed: int = 0):
    """A tqdm bar of `total` samples: by default on a terminal and in Jupyter.

    In Jupyter the bar is ``tqdm.auto``'s widget when ipywidgets is installed (else the text
    bar, which a notebook shows too); elsewhere the text bar on stderr. `resumed` samples
    already in the store are named in the bar's label.
    """
    show = progress if progress is not None else (sys.stderr.isatty() or in_notebook())
    if not show or total == 0:
        return _NoBar()
    if in_notebook() and importlib.util.find_spec("ipywidgets") is not None:
        from tqdm.auto import tqdm
    else:
        from tqdm import tqdm

    label = f"montecarlo {label}" + (f" ({resumed:,} resumed)" if resumed else "")
    return tqdm(total=total, unit="sample", unit_scale=True, desc=label, file=sys.stderr)


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

        environ = {
            "MALLOC_TRIM_THRESHOLD_": os.environ.get("MALLOC_TRIM_THRESHOLD_", "68719476736"),
            "MALLOC_MMAP_MAX_": os.environ.get("MALLOC_MMAP_MAX_", "0"),
            "NUMBA_NUM_THREADS": "1",
        }
        with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}):
            self.cluster = LocalCluster(
                n_workers=self.workers,
                threads_per_worker=1,
                processes=self.processes,
                dashboard_address=":0",
            )
        self.client = Client(self.cluster)
        return self.client

    def __exit__(self, *exc_info) -> None:
        self.client.close()
        self.cluster.close()
