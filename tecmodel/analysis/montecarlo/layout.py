"""What a Monte Carlo study keeps per sample: the variables, their dims, units and long names.

This module owns the shape of a study's results, shared by the sinks that hold them
(:mod:`tecmodel.analysis.montecarlo.store`) and the chunk evaluation that fills them
(:mod:`tecmodel.analysis.montecarlo.execution`).
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

#: Per-sample metrics kept by a study (dims sample x site); all but the status are summarised.
SAMPLE_METRICS: tuple[str, ...] = (
    "npv",
    "irr",
    "lcoc",
    "payback_year",
    "irr_status",
    "equity_irr",
    "min_dscr",
)
SUMMARY_METRICS: tuple[str, ...] = ("npv", "irr", "lcoc", "payback_year", "equity_irr", "min_dscr")


@dataclass(frozen=True)
class Layout:
    """Names, dims and units of the per-sample variables."""

    sites: tuple[str, ...]
    variables: dict[str, tuple[tuple[str, ...], str, str]]  # name -> (dims, units, dtype)
    n: int
    block_size: int

    @classmethod
    def of(cls, plan: SamplingPlan, n: int, block_size: int) -> Layout:
        sites = tuple(plan.case.site_names) + (PORTFOLIO,)
        variables: dict[str, tuple[tuple[str, ...], str, str]] = {}
        for column in plan.columns:
            parameter = column.parameter
            dims = ("sample", "site") if parameter.scope == "site" else ("sample",)
            variables[parameter.name] = (dims, parameter.unit, "f8")
        for metric in SAMPLE_METRICS:
            dtype = "i1" if metric == "irr_status" else "f8"
            variables[metric] = (("sample", "site"), METRICS[metric].units, dtype)
        return cls(sites, variables, n, block_size)

    def restricted(self, names: Sequence[str]) -> Layout:
        """The same layout with only the variables `names`."""
        return Layout(
            self.sites, {name: self.variables[name] for name in names}, self.n, self.block_size
        )

    def shape(self, dims: tuple[str, ...]) -> tuple[int, ...]:
        """Shape of a whole-study variable over `dims` (sample[, site])."""
        return (self.n,) + ((len(self.sites),) if len(dims) > 1 else ())

    def sample_range(self, blocks: Sequence[int]) -> tuple[int, int]:
        """[start, stop) of the samples of consecutive `blocks`."""
        return blocks[0] * self.block_size, min(self.n, (blocks[-1] + 1) * self.block_size)


def fill_value(dtype: str):
    """Value of a sample not yet evaluated: -1 for the IRR status, NaN otherwise."""
    return -1 if dtype == "i1" else np.nan


def attributes(name: str, units: str) -> dict[str, str]:
    """Units and long name of a per-sample variable (a sampled input or a metric)."""
    long_name = (
        f"Sampled input: {REGISTRY[name].description}"
        if name in REGISTRY
        else METRICS[name].long_name
    )
    return {"units": units, "long_name": long_name}


def layout_dataset(layout: Layout, arrays: Mapping[str, np.ndarray], stop: int) -> xr.Dataset:
    """The first `stop` samples of every variable of `layout` as a Dataset over sample (, site)."""
    variables = {
        name: xr.Variable(dims, arrays[name], attributes(name, units))
        for name, (dims, units, _) in layout.variables.items()
    }
    return xr.Dataset(variables, coords={"sample": np.arange(stop), "site": list(layout.sites)})
