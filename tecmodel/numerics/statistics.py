"""Summary statistics of Monte Carlo outputs, each with a confidence interval.

This module owns the statistics a Monte Carlo study reports and how their uncertainty is
stated. Every interval is an asymptotic (large-sample) interval computed from the samples
themselves, without resampling, so it is cheap at a million samples and exactly reproducible:

=================  ===========================================================================
statistic          estimate and interval
=================  ===========================================================================
mean               sample mean; CLT interval mean +- z s / sqrt(n)
std                sample standard deviation s (ddof = 1); delta-method interval
                   s +- z sqrt((m4 - s^4) / n) / (2 s), m4 the fourth central moment
p5 ... p95         sample quantile (numpy's default linear interpolation); distribution-free
                   order-statistic interval: the order statistics of ranks
                   n p -+ z sqrt(n p (1 - p)) (normal approximation of the binomial; Conover,
                   Practical Nonparametric Statistics, 3rd ed., 1999, section 3.2)
prob_negative      share of samples below zero; Wilson score interval (Wilson 1927)
cvar5              mean of the worst 5 % (the k = ceil(0.05 n) worst values: the smallest for
                   NPV and IRR, the largest for costs and dates, as the caller says);
                   interval +- z sqrt((var of the worst k + 0.95 (cvar - q)^2) / (0.05 n)), q
                   the least bad of them (asymptotic variance of the expected-shortfall
                   estimator, Brazauskas et al. 2008, J. Stat. Plan. Inference 138, 3590-3604)
=================  ===========================================================================

z is the standard-normal quantile of the confidence level (1.96 at 95 %). The intervals assume
independent samples; for Latin-hypercube and scrambled-Sobol' samples they are conservative
(those designs have a smaller variance than independent sampling). Statistics are taken over
the defined values only (an IRR that does not exist is NaN); ``n_valid`` and ``n_undefined``
say how many there were.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence

import numpy as np
import xarray as xr

STATISTICS: tuple[str, ...] = (
    "mean",
    "std",
    "p5",
    "p10",
    "p50",
    "p90",
    "p95",
    "prob_negative",
    "cvar5",
)
QUANTILES: dict[str, float] = {"p5": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}
TAIL_SHARE = 0.05

#: units of each statistic given the metric's units ("same" = the metric's)
_STATISTIC_UNITS = {name: "same" for name in STATISTICS} | {"prob_negative": "1"}


def normal_quantile(confidence: float) -> float:
    """z such that a standard normal lies within +-z with probability `confidence`.

    The standard library's inverse normal (Wichura's AS 241, accurate to about 1e-16) rather
    than scipy's: a summary need not import scipy for one constant.

    >>> round(normal_quantile(0.95), 6)
    1.959964
    """
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def statistic_interval(
    values: np.ndarray, statistic: str, confidence: float = 0.95, *, higher_is_worse: bool = False
) -> tuple[float, float, float]:
    """One statistic of a sample with its confidence interval.

    Parameters
    ----------
    values : numpy.ndarray
        One-dimensional sample; NaN values are ignored.
    statistic : str
        One of :data:`STATISTICS`.
    confidence : float
        Confidence level of the interval [1].
    higher_is_worse : bool
        The worst outcomes are the highest values (for ``cvar5``).

    Returns
    -------
    (value, low, high) : tuple of float
        NaN where undefined (no valid value; an interval needs at least two).
    """
    finite = np.asarray(values, dtype=float)
    finite = finite[~np.isnan(finite)]
    return _interval(np.sort(finite), statistic, normal_quantile(confidence), higher_is_worse)


def wilson_interval(count: int, n: int, z: float) -> tuple[float, float, float]:
    """Share ``count / n`` with its Wilson score interval (Wilson 1927); NaN when ``n`` = 0.

    >>> [round(v, 4) for v in wilson_interval(0, 100, 1.959964)]
    [0.0, 0.0, 0.037]
    """
    if n == 0:
        return math.nan, math.nan, math.nan
    share = count / n
    denominator = 1.0 + z * z / n
    centre = (share + z * z / (2 * n)) / denominator
    half = z * math.sqrt(share * (1.0 - share) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if count == 0 else max(centre - half, 0.0)
    high = 1.0 if count == n else min(centre + half, 1.0)
    return share, low, high


def event_probabilities(indicators: xr.Dataset, confidence: float = 0.95) -> xr.Dataset:
    """Probability of each event over the samples, with its Wilson score interval.

    Parameters
    ----------
    indicators : xarray.Dataset
        One variable per event over ``sample`` and ``site``: 1 where the event happens, 0 where
        it does not, NaN where it is undefined (left out).
    confidence : float
        Confidence level [1].

    Returns
    -------
    xarray.Dataset
        ``probability``, ``ci_low``, ``ci_high`` [1] and ``n_valid`` over (event, site).
    """
    events = list(indicators.data_vars)
    sites = list(indicators["site"].values)
    shape = (len(events), len(sites))
    value, low, high = (np.full(shape, np.nan) for _ in range(3))
    valid = np.zeros(shape, dtype=np.int64)
    z = normal_quantile(confidence)
    for e, event in enumerate(events):
        for s in range(len(sites)):
            column = np.asarray(indicators[event].isel(site=s).values, dtype=float)
            defined = column[~np.isnan(column)]
            valid[e, s] = defined.size
            value[e, s], low[e, s], high[e, s] = wilson_interval(
                int(np.count_nonzero(defined > 0.5)), defined.size, z
            )
    dims = ("event", "site")
    long_names = {name: indicators[name].attrs.get("long_name", name) for name in events}
    return xr.Dataset(
        {
            "probability": (dims, value, {"units": "1", "long_name": "Share of the samples"}),
            "ci_low": (dims, low, {"units": "1", "long_name": f"Wilson {confidence:.0%} low"}),
            "ci_high": (dims, high, {"units": "1", "long_name": f"Wilson {confidence:.0%} high"}),
            "n_valid": (dims, valid, {"units": "1", "long_name": "Samples where it is defined"}),
        },
        coords={
            "event": events,
            "site": sites,
            "definition": ("event", [long_names[name] for name in events]),
        },
        attrs={"confidence": confidence, "ci_method": "Wilson score interval (Wilson 1927)"},
    )


def _interval(
    ordered: np.ndarray,
    statistic: str,
    z: float,
    higher_is_worse: bool = False,
) -> tuple[float, float, float]:
    n = ordered.size
    nan = math.nan
    if n == 0:
        return nan, nan, nan
    if statistic == "mean":
        mean = float(np.mean(ordered))
        if n < 2:
            return mean, nan, nan
        half = z * float(np.std(ordered, ddof=1)) / math.sqrt(n)
        return mean, mean - half, mean + half
    if statistic == "std":
        if n < 2:
            return nan, nan, nan
        deviations = ordered - np.mean(ordered)
        variance = float(np.mean(deviations**2)) * n / (n - 1)
        std = math.sqrt(variance)
        fourth = float(np.mean(deviations**4))
        if std == 0.0:
            return 0.0, 0.0, 0.0
        half = z * math.sqrt(max(fourth - variance**2, 0.0) / n) / (2.0 * std)
        return std, max(std - half, 0.0), std + half
    if statistic in QUANTILES:
        p = QUANTILES[statistic]
        value = float(np.quantile(ordered, p))
        spread = z * math.sqrt(n * p * (1.0 - p))
        low_rank = max(int(math.floor(n * p - spread)), 1)
        high_rank = min(int(math.ceil(n * p + spread)), n)
        return value, float(ordered[low_rank - 1]), float(ordered[high_rank - 1])
    if statistic == "prob_negative":
        return wilson_interval(int(np.searchsorted(ordered, 0.0, side="left")), n, z)
    if statistic == "cvar5":
        k = max(int(math.ceil(TAIL_SHARE * n)), 1)
        tail = ordered[n - k :] if higher_is_worse else ordered[:k]
        value = float(np.mean(tail))
        if k < 2:
            return value, nan, nan
        threshold = float(tail[0] if higher_is_worse else tail[-1])
        variance = float(np.var(tail, ddof=1)) + (1.0 - TAIL_SHARE) * (value - threshold) ** 2
        half = z * math.sqrt(variance / (TAIL_SHARE * n))
        return value, value - half, value + half
    raise ValueError(f"unknown statistic {statistic!r}; expected one of {', '.join(STATISTICS)}")


def summarise(
    samples: xr.Dataset,
    metrics: Sequence[str],
    confidence: float = 0.95,
    *,
    higher_is_worse: Collection[str] = (),
) -> xr.Dataset:
    """Summary statistics of per-sample metrics, with confidence intervals.

    Parameters
    ----------
    samples : xarray.Dataset
        Metrics over ``sample`` and ``site``.
    metrics : sequence of str
        Variables of `samples` to summarise.
    confidence : float
        Confidence level [1].
    higher_is_worse : collection of str
        Metrics for which a higher value is the worse outcome: their ``cvar5`` is the mean of the
        highest 5 % (else of the lowest).

    Returns
    -------
    xarray.Dataset
        ``value``, ``ci_low``, ``ci_high`` over (statistic, metric, site); ``n_valid``,
        ``n_undefined`` over (metric, site); a ``units`` coordinate along ``metric`` and a
        ``statistic_units`` attribute ("same" means the metric's units).
    """
    sites = list(samples["site"].values)
    shape = (len(STATISTICS), len(metrics), len(sites))
    value, low, high = (np.full(shape, np.nan) for _ in range(3))
    valid = np.zeros(shape[1:], dtype=np.int64)
    undefined = np.zeros(shape[1:], dtype=np.int64)
    z = normal_quantile(confidence)
    for m, metric in enumerate(metrics):
        for s in range(len(sites)):
            # One column at a time: a study read from its store loads one site's metric only.
            column = np.asarray(samples[metric].isel(site=s).values, dtype=float)
            defined = column[~np.isnan(column)]
            valid[m, s] = defined.size
            undefined[m, s] = column.size - defined.size
            ordered = np.sort(defined)
            for k, statistic in enumerate(STATISTICS):
                value[k, m, s], low[k, m, s], high[k, m, s] = _interval(
                    ordered, statistic, z, metric in higher_is_worse
                )
    dims = ("statistic", "metric", "site")
    coords = {
        "statistic": list(STATISTICS),
        "metric": list(metrics),
        "site": sites,
        "units": ("metric", [samples[m].attrs.get("units", "") for m in metrics]),
    }
    summary = xr.Dataset(
        {
            "value": (
                dims,
                value,
                {
                    "long_name": "Statistic of the metric over the samples",
                    "units": "see the units coordinate (prob_negative: 1)",
                },
            ),
            "ci_low": (
                dims,
                low,
                {
                    "long_name": f"Lower end of the {confidence:.0%} confidence interval",
                    "units": "see the units coordinate (prob_negative: 1)",
                },
            ),
            "ci_high": (
                dims,
                high,
                {
                    "long_name": f"Upper end of the {confidence:.0%} confidence interval",
                    "units": "see the units coordinate (prob_negative: 1)",
                },
            ),
            "n_valid": (
                dims[1:],
                valid,
                {"long_name": "Samples where the metric is defined", "units": "1"},
            ),
            "n_undefined": (
                dims[1:],
                undefined,
                {"long_name": "Samples where the metric is undefined (NaN)", "units": "1"},
            ),
        },
        coords=coords,
    )
    summary.attrs.update(
        confidence=confidence,
        ci_method="asymptotic: CLT (mean), delta method (std), "
        "order statistics (quantiles), Wilson (prob_negative), expected-shortfall variance "
        "(cvar5); assumes independent samples, conservative for lhs and sobol",
        cvar5="mean of the worst 5 %: lowest values, highest for "
        + ", ".join(m for m in metrics if m in higher_is_worse),
    )
    return summary


def half_width(values: np.ndarray, statistic: str, confidence: float = 0.95) -> tuple[float, float]:
    """(statistic, half-width of its confidence interval) of a sample; NaN when undefined."""
    value, low, high = statistic_interval(values, statistic, confidence)
    return value, (high - low) / 2.0
