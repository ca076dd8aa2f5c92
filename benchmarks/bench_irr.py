"""Micro-benchmark of tecmodel.irr.irr against a numpy_financial.irr loop.

Times the vectorised solver on 10**6 project cash-flow series of 21 and 30
years (layout (year, series)) and a plain Python loop of
``numpy_financial.irr`` on 2,000 of the same series, in the same run, and
prints series per second and the speed-up.  Not a test: run it directly::

    python benchmarks/bench_irr.py [--series 1000000] [--repeats 3]

The cash flows are those of ``project_flows`` in tests/test_irr.py: 1-3
construction years, operating cash of 6-35 % of capex a year, and a refresh
investment of 20-80 % of capex every fifth operating year that can make that
year negative (so some series have several IRRs).
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np
import numpy_financial as npf

from tecmodel.irr import IRR_STATUS, irr


def project_flows(rng: np.random.Generator, n_series: int, n_years: int) -> np.ndarray:
    """Project cash flows [EUR], layout (year, series); see tests/test_irr.py."""
    build_years = rng.integers(1, 4, n_series)
    capex = rng.uniform(800.0, 1200.0, n_series)
    margin = rng.uniform(0.06, 0.35, n_series)
    trend = rng.uniform(-0.03, 0.04, n_series)
    refresh = rng.uniform(0.2, 0.8, n_series)
    year = np.arange(n_years)[:, None]
    operating_year = year - build_years
    operating = np.where(
        operating_year >= 0, capex * margin * (1.0 + trend) ** np.maximum(operating_year, 0), 0.0
    )
    operating *= rng.lognormal(0.0, 0.1, (n_years, n_series))
    construction = np.where(operating_year < 0, -capex / build_years, 0.0)
    is_refresh = (operating_year > 0) & (operating_year % 5 == 0) & (year < n_years - 1)
    return construction + operating + np.where(is_refresh, -refresh * capex, 0.0)


def time_irr(flows: np.ndarray, repeats: int) -> tuple[float, np.ndarray]:
    """Best wall-clock time [s] of ``irr(flows)`` over ``repeats`` runs."""
    best, status = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = irr(flows)
        best = min(best, time.perf_counter() - start)
        status = result.status
    return best, status


def time_numpy_financial(flows: np.ndarray) -> float:
    """Wall-clock time [s] of a numpy_financial.irr loop over the series."""
    start = time.perf_counter()
    for i in range(flows.shape[1]):
        npf.irr(flows[:, i])
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1_000_000)
    parser.add_argument("--loop-series", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    print(f"numpy {np.__version__}, numpy-financial {npf.__version__}, {os.cpu_count()} CPUs")
    for n_years in (21, 30):
        flows = project_flows(np.random.default_rng(args.seed), args.series, n_years)
        seconds, status = time_irr(flows, args.repeats)
        loop_seconds = time_numpy_financial(flows[:, : args.loop_series])
        rate = args.series / seconds
        loop_rate = args.loop_series / loop_seconds
        counts = np.bincount(status, minlength=len(IRR_STATUS))
        print(
            f"{n_years} years: irr {args.series:,} series in {seconds:.2f} s = {rate:,.0f} series/s"
            f" (best of {args.repeats}); numpy_financial.irr loop {args.loop_series:,} series in"
            f" {loop_seconds:.2f} s = {loop_rate:,.0f} series/s; speed-up {rate / loop_rate:,.0f}x"
        )
        print("    status counts: " + ", ".join(f"{code}: {n:,}" for code, n in enumerate(counts)))


if __name__ == "__main__":
    main()
