"""A Monte Carlo study: its arguments, its auto-stop, its result.

This module owns :func:`monte_carlo` and what it returns; the samples come from
:mod:`tecmodel.analysis.sampling`, the chunks are evaluated by
:mod:`tecmodel.analysis.montecarlo.execution`, their results held by
:mod:`tecmodel.analysis.montecarlo.store` and summarised by :mod:`tecmodel.numerics.statistics`.

Auto-stop. With a ``tolerance``, blocks are examined in order and the study stops after the
first block at which the chosen statistic's confidence half-width is at most the tolerance;
because the check runs block by block, where it stops does not depend on the chunking either.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from tecmodel.analysis.montecarlo.execution import (
    BATCH_SITE_SAMPLES,
    CALL_BYTES_PER_SITE_SAMPLE,
    Task,
    available_memory,
    chunks,
    process_paths,
    progress_bar,
    release_free_memory,
    run_in_process,
    run_on_client,
)
from tecmodel.analysis.montecarlo.layout import (
    CASH_PREFIX,
    PATH_PREFIX,
    SUMMARY_METRICS,
    Layout,
    split_samples,
)
from tecmodel.analysis.montecarlo.store import MemorySink, ZarrSink, study_fingerprint
from tecmodel.analysis.sampling import (
    DEFAULT_BLOCK_SIZE,
    block_bounds,
    check_sampler,
    check_seed,
    sampling_plan,
)
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.case import Case
from tecmodel.model.metrics import PORTFOLIO, join_portfolio, split_portfolio
from tecmodel.model.outputs import HIGHER_IS_WORSE
from tecmodel.numerics.statistics import (
    STATISTICS,
    event_probabilities,
    half_width,
    summarise,
)


@dataclass(frozen=True)
class Tolerance:
    """When to stop drawing blocks.

    Attributes
    ----------
    half_width : float
        Largest acceptable half-width of the statistic's confidence interval, in the metric's
        units (or a fraction of the statistic's magnitude when `relative`).
    metric : str
        One of :data:`tecmodel.analysis.montecarlo.layout.SUMMARY_METRICS`.
    statistic : str
        One of :data:`tecmodel.numerics.statistics.STATISTICS`.
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
        Over ``sample`` (and ``site``, the sites only): the sampled inputs, one
        variable per parameter named by its registry name (site-level ones over ``site``), and
        the metrics ``npv``, ``irr``, ``lcoc``, ``payback_year``,
        ``irr_status``, ``equity_irr``, ``equity_npv``, ``min_dscr``, ``lock_up``,
        ``debt_default``; every variable has ``units``.
    summary : xarray.Dataset
        See :func:`tecmodel.numerics.statistics.summarise` (the equity NPV's ``cvar5`` is the
        equity CVaR 5 %); plus ``event_probability``, ``event_ci_low``, ``event_ci_high`` [1]
        over (event, site): the share of samples with each covenant event
        (:data:`COVENANT_EVENTS`: min DSCR below 1.0, lock-up, default) and its Wilson
        interval; over the sites only; attrs ``case``, ``n``,
        ``n_requested``, ``seed``, ``sampler``, ``stopped_early`` (0/1), ``n_resumed`` (samples
        read from the store, evaluated by an earlier call), ``chunk_size``, ``block_size``.
    portfolio_samples : xarray.Dataset
        The portfolio's metrics over ``sample`` (the same names as in `samples`, no ``site``).
    portfolio_summary : xarray.Dataset
        The portfolio's statistics and covenant events (as `summary`, no ``site``; the same
        attrs).
    paths : xarray.Dataset
        The simulated path of each price process of the case, one variable per process (by its
        name) over ``year`` x ``sample`` [the process's unit], stored in single precision (the
        model evaluated the double-precision paths:
        :func:`tecmodel.analysis.montecarlo.execution.process_paths` gives them again); empty
        when the case declares no process. A process drives a quantity at every site alike, so
        no path has ``site``. A study in memory draws them again from the seed once its
        chunks are evaluated (the same bits; they are not held while it runs); a study with a
        store reads the copy the chunks wrote.
    cash_flows : xarray.Dataset
        With paths: the portfolio's ``free_cash_flow`` and ``cumulative_discounted_cash_flow``
        over ``year`` x ``sample`` [EUR] in single precision (the fan charts); empty otherwise.
    """

    samples: xr.Dataset
    summary: xr.Dataset
    portfolio_samples: xr.Dataset = field(default_factory=xr.Dataset)
    portfolio_summary: xr.Dataset = field(default_factory=xr.Dataset)
    paths: xr.Dataset = field(default_factory=xr.Dataset)
    cash_flows: xr.Dataset = field(default_factory=xr.Dataset)

    def __repr__(self) -> str:
        attrs = self.summary.attrs
        return (
            f"MonteCarloResult(case={attrs['case']!r}, n={attrs['n']}, seed={attrs['seed']}, "
            f"sampler={attrs['sampler']!r}, stopped_early={bool(attrs['stopped_early'])})"
        )

    def table(self, site: str = PORTFOLIO) -> pd.DataFrame:
        """Summary of one site as a table (rows: metric and statistic; columns: value, CI)."""
        columns = ["value", "ci_low", "ci_high"]
        frame = (
            self.portfolio_summary[columns]
            if site == PORTFOLIO
            else self.summary[columns].sel(site=site)
        ).to_dataframe()
        return frame.drop(columns=[c for c in ("site", "units") if c in frame.columns])


#: The covenant events a study reports per borrower and for the portfolio: name -> definition.
COVENANT_EVENTS = {
    "min_dscr_below_one": "The lowest DSCR is below 1.0 (left out where there is no debt service)",
    "lock_up": "Distributions are locked up in some year (DSCR below financing.lockup_dscr)",
    "default": "Default: CFADS, locked-up cash and the reserve do not cover some year's debt "
    "service",
}


def covenant_events(metrics: xr.Dataset) -> xr.Dataset:
    """0/1 indicators of the covenant events per sample and site (see :data:`COVENANT_EVENTS`).

    The portfolio's lowest DSCR is already the worst of its sites' and its lock-up and default
    are any site's, so each event reads per borrower and for the portfolio alike.
    """
    below = xr.where(metrics["min_dscr"].notnull(), (metrics["min_dscr"] < 1.0) * 1.0, np.nan)
    indicators = xr.Dataset(
        {
            "min_dscr_below_one": below,
            "lock_up": metrics["lock_up"],
            "default": metrics["debt_default"],
        }
    )
    for name, definition in COVENANT_EVENTS.items():
        indicators[name].attrs = {"units": "1", "long_name": definition}
    return indicators


def study_summary(metrics: xr.Dataset, confidence: float) -> xr.Dataset:
    """The statistics (:data:`SUMMARY_METRICS`) and covenant events of per-sample metrics.

    Parameters
    ----------
    metrics : xarray.Dataset
        Per-sample metrics over ``sample`` x ``site`` (the sites', or the portfolio's as one
        label): summarised column by column, so neither is copied beside the other.
    confidence : float
        Confidence level of the intervals [1].

    Returns
    -------
    xarray.Dataset
        :func:`tecmodel.numerics.statistics.summarise` with ``event_probability``,
        ``event_ci_low``, ``event_ci_high`` [1] over (event, site).
    """
    summary = summarise(metrics, SUMMARY_METRICS, confidence, higher_is_worse=HIGHER_IS_WORSE)
    events = event_probabilities(covenant_events(metrics), confidence)
    return summary.assign(
        {f"event_{name}": events[name] for name in ("probability", "ci_low", "ci_high")}
    ).assign_coords(event_definition=events["definition"])


def monte_carlo(
    case: Case,
    n: int = 100_000,
    seed: int = 0,
    sampler: str = "sobol",
    *,
    chunk_size: int | None = None,
    block_size: int = DEFAULT_BLOCK_SIZE,
    parameters: Sequence[str] | None = None,
    store: str | Path | None = None,
    overwrite: bool = False,
    client: Any = None,
    progress: bool | None = None,
    tolerance: Tolerance | float | None = None,
    confidence: float = 0.95,
    max_in_flight: int | None = None,
    paths: bool = True,
    debt: xr.Dataset | None = None,
) -> MonteCarloResult:
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
        Samples per unit of work (a multiple of `block_size`; default `block_size`): sampled
        at once, sent to a worker, written at once; evaluated in model calls of
        :data:`~tecmodel.analysis.montecarlo.execution.BATCH_SITE_SAMPLES` site-samples.
        Does not change any result.
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
    paths : bool
        Simulate the case's price processes (seeded per block from `seed`, on a stream of their
        own) and evaluate the quantities that follow them on the simulated paths; False keeps
        their central paths (the deterministic run's), as a Sobol' or Shapley analysis does.
    debt : xarray.Dataset, optional
        The fixed debt schedule every sample carries (default: sized once on the case as
        stated; :func:`tecmodel.analysis.debt_sizing.size_on_quantile` sizes it on a chosen
        quantile of a sizing study instead).

    Returns
    -------
    MonteCarloResult

    Raises
    ------
    InputError
        For a bad argument, a case without distributions, an incompatible store, or a study
        held in memory (no `store`) whose results would not fit in the memory available.
    """
    n = _check_count(n, "n")
    seed = check_seed(seed)
    sampler = check_sampler(sampler)
    block_size = _check_count(block_size, "block_size")
    chunk_size = block_size if chunk_size is None else _check_count(chunk_size, "chunk_size")
    if chunk_size % block_size:
        raise InputError(
            Problem(
                "chunk_size",
                f"expected a multiple of block_size ({block_size}) so chunks hold whole blocks",
                chunk_size,
            )
        )
    if not 0.0 < confidence < 1.0:
        raise InputError(Problem("confidence", "expected a level in (0, 1)", confidence))
    tolerance = _check_tolerance(tolerance, case)
    plan = sampling_plan(case, parameters)
    layout = Layout.of(plan, n, block_size, paths)
    if store is None:
        _check_memory(layout, len(case.site_names))
    sizing = "" if debt is None else str(debt.attrs.get("sizing", "a given schedule"))
    fingerprint = study_fingerprint(plan, n, seed, sampler, block_size, paths, sizing)
    sink = (
        ZarrSink.open(
            Path(store),
            layout,
            fingerprint,
            overwrite,
            watched=None
            if tolerance is None
            else layout.column(tolerance.metric, tolerance.site)[0],
        )
        if store is not None
        else MemorySink(layout)
    )
    task = Task(plan, sampler, seed, block_size, n, paths, debt, return_paths=store is not None)
    bounds = block_bounds(n, block_size)
    done = sink.done_blocks()
    stopper = _Stopper(tolerance, confidence, sink, bounds, done)
    todo = [] if stopper.stopped() else list(chunks(len(bounds), chunk_size // block_size, done))
    bar = progress_bar(
        sum(bounds[b][1] - bounds[b][0] for chunk in todo for b in chunk),
        progress,
        case.name,
        resumed=sum(bounds[b][1] - bounds[b][0] for b in done),
    )
    try:
        results = (
            run_on_client(client, task, todo, stopper.stopped, max_in_flight)
            if client is not None
            else run_in_process(task, todo, stopper.stopped)
        )
        for blocks, output in results:
            sink.write(blocks, output)
            bar.update(sum(bounds[b][1] - bounds[b][0] for b in blocks))
            stopper.completed(blocks)
    finally:
        bar.close()
    release_free_memory()  # the chunks' working memory, before the summary and the paths
    used_blocks = stopper.stop_block + 1 if stopper.stop_block is not None else len(bounds)
    missing = [b for b in range(used_blocks) if b not in stopper.done]
    if missing:  # pragma: no cover - every block is evaluated unless the study stopped
        raise RuntimeError(f"blocks {missing[:5]} were not evaluated")
    used = bounds[used_blocks - 1][1]
    resumed = sum(bounds[b][1] - bounds[b][0] for b in done if b < used_blocks)
    samples = sink.dataset(used)
    cash_flows = samples[list(layout.yearly_cash)]
    samples, portfolio = split_samples(
        samples.drop_vars([*layout.paths, *layout.yearly_cash], errors="ignore")
    )
    cash_flows = (
        cash_flows.rename({name: name[len(CASH_PREFIX) :] for name in layout.yearly_cash})
        .drop_vars("site", errors="ignore")
        .transpose("year", "sample")
        if layout.yearly_cash
        else xr.Dataset()
    )
    if "year" in samples.coords:
        samples = samples.drop_vars("year")
    site_metrics, portfolio_metrics = sink.metrics(used)
    summary = join_portfolio(
        study_summary(site_metrics, confidence),
        study_summary(portfolio_metrics.expand_dims(site=[PORTFOLIO]), confidence).isel(
            site=0, drop=True
        ),
    )
    # After the summary: a study in memory draws its paths again now (see MemorySink.paths),
    # in the memory the summary's sorted copies have just freed.
    release_free_memory()
    paths = (
        sink.paths(used, lambda start, stop: process_paths(case, seed, start, stop, block_size))
        .rename({name: name[len(PATH_PREFIX) :] for name in layout.paths})
        .drop_vars("site", errors="ignore")
        .transpose("year", "sample")
        if layout.paths
        else xr.Dataset()
    )
    summary.attrs.update(
        case=case.name,
        n=used,
        n_requested=n,
        seed=seed,
        sampler=sampler,
        stopped_early=int(used < n),
        n_resumed=resumed,
        chunk_size=chunk_size,
        block_size=block_size,
        parameters=list(plan.parameters),
        debt_sizing=sizing or "the case as stated",
    )
    if tolerance is not None:
        summary.attrs.update(tolerance=json.dumps(asdict(tolerance)))
    identity = {key: summary.attrs[key] for key in ("case", "n", "seed", "sampler", "block_size")}
    samples.attrs.update(identity)
    portfolio.attrs.update(identity)
    paths.attrs.update({key: summary.attrs[key] for key in ("case", "n", "seed", "block_size")})
    summary, portfolio_summary = split_portfolio(summary)
    return MonteCarloResult(samples, summary, portfolio, portfolio_summary, paths, cash_flows)


def _check_memory(layout: Layout, sites: int) -> None:
    """Refuse, before anything is allocated, a study in memory that this machine cannot hold.

    Its results (every per-sample variable, the paths included) and one model call's working
    set must fit in the memory available now; otherwise the system would kill the process part
    way (Linux allocates lazily), with nothing said.
    """
    available = available_memory()
    if available is None:
        return
    results = layout.nbytes()
    working = CALL_BYTES_PER_SITE_SAMPLE * min(BATCH_SITE_SAMPLES, layout.n * sites)
    if results + working > available:
        raise InputError(
            Problem(
                "n",
                f"a study of {layout.n:,} samples held in memory needs about "
                f"{(results + working) / 2**30:.1f} GiB ({results / 2**30:.1f} GiB of results "
                f"and one model call's working set), more than the "
                f"{max(available, 0) / 2**30:.1f} GiB available; expected a smaller n, or a "
                "store (store=PATH, --store PATH), which holds one chunk at a time",
                layout.n,
            )
        )


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
            raise InputError(
                Problem("tolerance", "expected a positive number or a Tolerance", tolerance)
            ) from None
    if not (math.isfinite(tolerance.half_width) and tolerance.half_width > 0):
        raise InputError(
            Problem("tolerance.half_width", "expected a positive number", tolerance.half_width)
        )
    if tolerance.metric not in SUMMARY_METRICS:
        raise InputError(
            Problem(
                "tolerance.metric",
                f"expected one of {', '.join(SUMMARY_METRICS)}",
                tolerance.metric,
            )
        )
    if tolerance.statistic not in STATISTICS:
        raise InputError(
            Problem(
                "tolerance.statistic",
                f"expected one of {', '.join(STATISTICS)}",
                tolerance.statistic,
            )
        )
    sites = list(case.site_names) + [PORTFOLIO]
    if tolerance.site not in sites:
        raise InputError(Problem("tolerance.site", f"expected one of {sites}", tolerance.site))
    return tolerance


class _Stopper:
    """Tracks finished blocks and finds, block by block in order, where a tolerance is reached."""

    def __init__(
        self,
        tolerance: Tolerance | None,
        confidence: float,
        sink: MemorySink,
        bounds: list[tuple[int, int]],
        done: set[int],
    ):
        self.tolerance = tolerance
        self.confidence = confidence
        self.sink = sink
        self.bounds = bounds
        self.done = set(done)
        self.checked = 0
        self.stop_block: int | None = None
        self._advance()

    def stopped(self) -> bool:
        """The tolerance is reached: no further chunk is needed."""
        return self.stop_block is not None

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
