"""Small synthetic Sobol, tornado and Monte Carlo results of exactly the agreed shapes.

The uncertainty analyses (``tecmodel.sobol``, ``tecmodel.tornado``, ``tecmodel.monte_carlo``)
hand the report datasets of the shapes written down between the two pieces of work; these
builders make such datasets from a deterministic result with arbitrary but fixed numbers, so
that the workbook and the plots are tested without running a sampling study.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from tecmodel.model.metrics import join_portfolio, split_portfolio

FACTORS = ("energy_price", "utilisation", "chip_cost")
METRICS = ("npv", "irr", "lcoc")
STATISTICS = ("mean", "std", "p5", "p10", "p50", "p90", "p95", "prob_negative", "cvar5")


def _sites(result) -> list[str]:
    return list(result.case.site_names) + ["portfolio"]


def _metrics(result) -> xr.Dataset:
    """The metrics with the portfolio as the last site label, as the tables show them."""
    return join_portfolio(result.metrics, result.portfolio)


def sobol_dataset(result, seed: int = 0) -> xr.Dataset:
    """S1, ST (+ conf) over (factor, metric, site) and S2 over (factor, factor_2, metric, site)."""
    generator = np.random.default_rng(seed)
    sites = _sites(result)
    shape = (len(FACTORS), len(METRICS), len(sites))
    first = generator.dirichlet(np.ones(len(FACTORS)), size=shape[1:]).transpose(2, 0, 1) * 0.9
    total = first + generator.uniform(0.0, 0.08, shape)
    coords = {"factor": list(FACTORS), "metric": list(METRICS), "site": sites}
    dims = ("factor", "metric", "site")
    second = np.full((len(FACTORS), len(FACTORS)) + shape[1:], np.nan)
    for i in range(len(FACTORS)):
        for j in range(i + 1, len(FACTORS)):
            second[i, j] = generator.uniform(0.0, 0.03, shape[1:])
    dataset = xr.Dataset(
        {
            "S1": (dims, first),
            "S1_conf": (dims, np.full(shape, 0.02)),
            "ST": (dims, total),
            "ST_conf": (dims, np.full(shape, 0.03)),
            "S2": (("factor", "factor_2", "metric", "site"), second),
            "S2_conf": (
                ("factor", "factor_2", "metric", "site"),
                np.where(np.isnan(second), np.nan, 0.01),
            ),
        },
        coords={**coords, "factor_2": list(FACTORS)},
        attrs={
            "case": result.case.name,
            "n": 256,
            "seed": seed,
            "second_order": 1,
            "sampler": "saltelli",
            "evaluations": 256 * (2 * len(FACTORS) + 2),
        },
    )
    for name in dataset.data_vars:
        dataset[name].attrs["units"] = "1"
    return dataset


def tornado_dataset(result) -> xr.Dataset:
    """low/high over (factor, metric, site), base over (metric, site), input values per factor."""
    sites = _sites(result)
    base = np.array([[float(_metrics(result)[m].sel(site=s)) for s in sites] for m in METRICS])
    swing = np.array([0.30, 0.18, 0.10])[:, None, None] * np.abs(base)[None]
    dims = ("factor", "metric", "site")
    dataset = xr.Dataset(
        {
            "low": (dims, base[None] - swing),
            "high": (dims, base[None] + 0.8 * swing),
            "base": (("metric", "site"), base),
            "input_low": ("factor", [52.0, 0.70, 45_000.0]),
            "input_base": ("factor", [60.0, 0.85, 55_000.0]),
            "input_high": ("factor", [69.0, 0.95, 70_000.0]),
        },
        coords={
            "factor": list(FACTORS),
            "metric": list(METRICS),
            "site": sites,
            "units": ("metric", ["EUR", "1/yr", "EUR/GPU-hour"]),
        },
        attrs={"case": result.case.name},
    )
    for name in ("input_low", "input_base", "input_high"):
        dataset[name].attrs["units"] = "mixed: EUR/MWh, 1, USD/accelerator"
    return dataset


@dataclass(frozen=True)
class MonteCarloResult:
    """The agreed shape: ``samples`` and ``summary`` over the sites, ``portfolio_samples`` and
    ``portfolio_summary`` of the portfolio; ``paths`` and ``cash_flows`` (empty for a case
    without price processes)."""

    samples: xr.Dataset
    summary: xr.Dataset
    portfolio_samples: xr.Dataset
    portfolio_summary: xr.Dataset
    paths: xr.Dataset = field(default_factory=xr.Dataset)
    cash_flows: xr.Dataset = field(default_factory=xr.Dataset)


def monte_carlo_result(result, n: int = 400, seed: int = 0) -> MonteCarloResult:
    """Normal samples of the metrics around the deterministic values, and their summary."""
    generator = np.random.default_rng(seed)
    sites = _sites(result)
    spread = {"npv": 0.8, "irr": 0.2, "lcoc": 0.1, "payback_year": 0.0}
    samples = {}
    for metric in (*METRICS, "payback_year"):
        base = np.array([float(_metrics(result)[metric].sel(site=s)) for s in sites])
        values = base[None] * (1.0 + spread[metric] * generator.standard_normal((n, 1)))
        samples[metric] = xr.DataArray(
            values, dims=("sample", "site"), attrs={"units": result.metrics[metric].attrs["units"]}
        )
    # A sampled site-level input; it has no portfolio value (NaN) in a dataset over the same sites.
    prices = generator.uniform(52, 69, (n, len(sites)))
    prices[:, -1] = np.nan
    samples["power.market_price"] = xr.DataArray(
        prices, dims=("sample", "site"), attrs={"units": "EUR/MWh"}
    )
    sample_set = xr.Dataset(samples, coords={"sample": np.arange(n), "site": sites})
    values = np.empty((len(STATISTICS), len(METRICS), len(sites)))
    for j, metric in enumerate(METRICS):
        data = sample_set[metric].values
        ordered = np.sort(data, axis=0)
        values[:, j] = [
            data.mean(0),
            data.std(0),
            *np.percentile(data, [5, 10, 50, 90, 95], axis=0),
            (data < 0).mean(0),
            ordered[: max(1, n // 20)].mean(0),
        ]
    dims = ("statistic", "metric", "site")
    summary = xr.Dataset(
        {
            "value": (dims, values),
            "ci_low": (dims, values - np.abs(values) * 0.01),
            "ci_high": (dims, values + np.abs(values) * 0.01),
            "n_valid": (("metric", "site"), np.full((len(METRICS), len(sites)), n)),
            "n_undefined": (("metric", "site"), np.zeros((len(METRICS), len(sites)), dtype=int)),
        },
        coords={"statistic": list(STATISTICS), "metric": list(METRICS), "site": sites},
        attrs={
            "case": result.case.name,
            "n": n,
            "seed": seed,
            "sampler": "sobol",
            "stopped_early": 0,
            "chunk_size": 128,
        },
    )
    samples, portfolio_samples = split_portfolio(sample_set)
    summary, portfolio_summary = split_portfolio(summary)
    return MonteCarloResult(
        samples, summary, portfolio_samples.drop_vars("power.market_price"), portfolio_summary
    )
