"""What a Monte Carlo study keeps per sample: the variables, their dims, units and long names.

This module owns the shape of a study's results, shared by the sinks that hold them
(:mod:`tecmodel.analysis.montecarlo.store`) and the chunk evaluation that fills them
(:mod:`tecmodel.analysis.montecarlo.execution`): the sampled inputs and the metrics over
``sample`` (and ``site``, the sites only), the portfolio's metrics over ``sample``, named
``portfolio.<metric>`` (:data:`PORTFOLIO_PREFIX`), and the simulated path of each price
process of the case over ``sample`` x ``year``, named ``path.<process>`` (:data:`PATH_PREFIX`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from tecmodel.analysis.sampling import SamplingPlan
from tecmodel.inputs.registry import REGISTRY
from tecmodel.model.metrics import PORTFOLIO
from tecmodel.model.outputs import METRICS

#: Per-sample metrics kept by a study (dims sample x site). The status is not summarised, the
#: covenant events (:data:`EVENT_METRICS`) are read as probabilities, ``debt_drawn`` is kept to
#: show that the debt does not move with the samples; the rest are :data:`SUMMARY_METRICS`.
SAMPLE_METRICS: tuple[str, ...] = (
    "npv",
    "npv_operating",
    "npv_terminal",
    "irr",
    "lcoc",
    "payback_year",
    "irr_status",
    "equity_irr",
    "equity_npv",
    "min_dscr",
    "lock_up",
    "debt_default",
    "debt_drawn",
)
#: Per-sample metrics summarised by their statistics (mean, percentiles, CVaR ...), in the
#: order of the summary table.
SUMMARY_METRICS: tuple[str, ...] = (
    "npv",
    "npv_operating",
    "npv_terminal",
    "irr",
    "lcoc",
    "payback_year",
    "equity_npv",
    "equity_irr",
    "min_dscr",
)
#: Per-sample 0/1 metrics read as events (their share of the samples is a probability).
EVENT_METRICS: tuple[str, ...] = ("lock_up", "debt_default")
#: Prefix of the per-sample metrics of the portfolio (over ``sample`` only): a sum of the metrics
#: over ``site`` never meets the portfolio.
PORTFOLIO_PREFIX = "portfolio."
#: Prefix of the per-sample variables that hold a process's simulated path.
PATH_PREFIX = "path."
#: Storage type of the yearly variables (paths and cash flows): single precision, half the
#: memory of a study's 21-year arrays (about 500 MB at 10^6 samples instead of 1 GB). The model
#: evaluates the double-precision paths; the stored copy is their rounding, the same bits for a
#: seed whatever the chunking.
YEARLY_DTYPE = "f4"
#: Prefix of the per-sample yearly cash flows of the portfolio (for the fan charts) and their
#: long names.
CASH_PREFIX = "cash."
YEARLY_CASH = {
    "free_cash_flow": "Unlevered free cash flow of the portfolio",
    "cumulative_discounted_cash_flow": "Cumulative discounted unlevered free cash flow of the "
    "portfolio (its last year is the NPV)",
}


@dataclass(frozen=True)
class Layout:
    """Names, dims and units of the per-sample variables."""

    sites: tuple[str, ...]
    variables: dict[str, tuple[tuple[str, ...], str, str]]  # name -> (dims, units, dtype)
    n: int
    block_size: int
    years: tuple[int, ...] = ()
    long_names: tuple[tuple[str, str], ...] = ()  # the paths' long names

    @classmethod
    def of(cls, plan: SamplingPlan, n: int, block_size: int, paths: bool = True) -> Layout:
        sites = tuple(plan.case.site_names)
        variables: dict[str, tuple[tuple[str, ...], str, str]] = {}
        for column in plan.columns:
            parameter = column.parameter
            dims = ("sample", "site") if parameter.scope == "site" else ("sample",)
            variables[parameter.name] = (dims, parameter.unit, "f8")
        for metric in SAMPLE_METRICS:
            dtype = "i1" if metric == "irr_status" else "f8"
            variables[metric] = (("sample", "site"), METRICS[metric].units, dtype)
            variables[PORTFOLIO_PREFIX + metric] = (("sample",), METRICS[metric].units, dtype)
        processes = plan.case.markets.processes if paths else None
        long_names = []
        for process in processes.processes if processes is not None else ():
            name = PATH_PREFIX + process.name
            variables[name] = (("sample", "year"), process.unit, YEARLY_DTYPE)
            long_names.append((name, f"Simulated path: {process.long_name}"))
        if processes is not None:
            for name, long_name in YEARLY_CASH.items():
                variables[CASH_PREFIX + name] = (("sample", "year"), "EUR", YEARLY_DTYPE)
                long_names.append((CASH_PREFIX + name, long_name))
        return cls(sites, variables, n, block_size, tuple(plan.case.years), tuple(long_names))

    def restricted(self, names: Sequence[str]) -> Layout:
        """The same layout with only the variables `names`."""
        return Layout(
            self.sites,
            {name: self.variables[name] for name in names},
            self.n,
            self.block_size,
            self.years,
            self.long_names,
        )

    @property
    def paths(self) -> tuple[str, ...]:
        """Names of the path variables (``path.<process>``)."""
        return tuple(name for name in self.variables if name.startswith(PATH_PREFIX))

    @property
    def yearly_cash(self) -> tuple[str, ...]:
        """Names of the yearly cash-flow variables (``cash.<name>``)."""
        return tuple(name for name in self.variables if name.startswith(CASH_PREFIX))

    def column(self, metric: str, site: str) -> tuple[str, int | None]:
        """The stored variable of `metric` at `site` and its site index (None: the portfolio)."""
        if site == PORTFOLIO:
            return PORTFOLIO_PREFIX + metric, None
        return metric, self.sites.index(site)

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        """Shape of a whole-study variable over `dims` (sample[, site or year])."""
        extent = {"site": len(self.sites), "year": len(self.years)}
        return (self.n,) + tuple(extent[dim] for dim in dims[1:])

    def attributes(self, name: str) -> dict[str, str]:
        """Units and long name of a per-sample variable."""
        units = self.variables[name][1]
        long_name = dict(self.long_names).get(name)
        return (
            attributes(name, units)
            if long_name is None
            else {"units": units, "long_name": long_name}
        )

    def nbytes(self) -> int:
        """Bytes of every per-sample variable of the whole study [B]."""
        return sum(
            int(np.prod(self.shape(dims))) * np.dtype(dtype).itemsize
            for dims, _, dtype in self.variables.values()
        )

    def sample_range(self, blocks: Sequence[int]) -> tuple[int, int]:
        """[start, stop) of the samples of consecutive `blocks`."""
        return blocks[0] * self.block_size, min(self.n, (blocks[-1] + 1) * self.block_size)


def fill_value(dtype: str):
    """Value of a sample not yet evaluated: -1 for the IRR status, NaN otherwise."""
    return -1 if dtype == "i1" else np.nan


def attributes(name: str, units: str) -> dict[str, str]:
    """Units and long name of a per-sample variable (a sampled input or a metric)."""
    if name.startswith(PORTFOLIO_PREFIX):
        name = name[len(PORTFOLIO_PREFIX) :]
    long_name = (
        f"Sampled input: {REGISTRY[name].description}"
        if name in REGISTRY
        else METRICS[name].long_name
    )
    return {"units": units, "long_name": long_name}


def layout_dataset(layout: Layout, arrays: Mapping[str, np.ndarray], stop: int) -> xr.Dataset:
    """The first `stop` samples of every variable of `layout` as a Dataset over sample (, site)."""
    variables = {
        name: xr.Variable(dims, arrays[name], layout.attributes(name))
        for name, (dims, _, _) in layout.variables.items()
    }
    coords = {"sample": np.arange(stop), "site": list(layout.sites)}
    if any("year" in dims for dims, _, _ in layout.variables.values()):
        coords["year"] = list(layout.years)
    return xr.Dataset(variables, coords=coords)


def split_samples(samples: xr.Dataset) -> tuple[xr.Dataset, xr.Dataset]:
    """A study's per-sample variables as (the sites', the portfolio's metrics without prefix)."""
    names = [name for name in samples.data_vars if name.startswith(PORTFOLIO_PREFIX)]
    portfolio = samples[names].rename({name: name[len(PORTFOLIO_PREFIX) :] for name in names})
    return samples.drop_vars(names), portfolio.drop_vars("site", errors="ignore")


def merged_samples(samples: xr.Dataset, portfolio: xr.Dataset) -> xr.Dataset:
    """The inverse of :func:`split_samples`: one dataset, the portfolio's metrics named
    ``portfolio.<metric>`` over ``sample`` (the layout of a store)."""
    return samples.merge(portfolio.rename({name: PORTFOLIO_PREFIX + name for name in portfolio}))
