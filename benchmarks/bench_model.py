"""The naive baseline and the vectorised model on one chunk of samples, in the same run.

Naive: a Python loop evaluating one sample at a time through the public API
(``tecmodel.evaluate`` with scalar overrides) and ``numpy_financial.irr`` on its free cash flow,
as a user without the vectorised engine would. Vectorised: one ``tecmodel.evaluate`` call on
``--chunk`` samples along ``sample`` (every component, tax with loss carry-forward, NPV, IRR,
LCOC, payback, break-even, per site and portfolio). Inputs: energy price, utilisation and chip
cost drawn uniformly over their reference ranges::

    python -m benchmarks.bench_model [--chunk 65536] [--naive 30] [--repeats 3]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import numpy_financial as npf
import xarray as xr

import tecmodel
from benchmarks.common import CASES, best_of, peak_rss_mib, report

FACTORS = ("energy_price", "utilisation", "chip_cost")


def factor_samples(n: int, seed: int) -> dict[str, np.ndarray]:
    """Uniform draws over each factor's registry reference range (low, high)."""
    rng = np.random.default_rng(seed)
    samples = {}
    for name in FACTORS:
        low, _mode, high = tecmodel.REGISTRY[tecmodel.ALIASES[name]].reference
        samples[name] = rng.uniform(low, high, n)
    return samples


def naive_rate(case, samples: dict[str, np.ndarray]) -> float:
    """Samples per second of the one-sample-at-a-time loop."""
    n = len(next(iter(samples.values())))
    start = time.perf_counter()
    for index in range(n):
        result = tecmodel.evaluate(
            case, {name: float(values[index]) for name, values in samples.items()}
        )
        npf.irr(result.portfolio_free_cash_flow.values)
    return n / (time.perf_counter() - start)


def vectorised_rate(case, samples: dict[str, np.ndarray], repeats: int) -> float:
    overrides = {name: xr.DataArray(values, dims="sample") for name, values in samples.items()}
    seconds, _ = best_of(lambda: tecmodel.evaluate(case, overrides).metrics["npv"].values, repeats)
    return len(next(iter(samples.values()))) / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunk", type=int, default=65536)
    parser.add_argument("--naive", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    figures = []
    for name, path in CASES.items():
        case = tecmodel.load_case(path)
        tecmodel.evaluate(case)  # warm: compiled kernels loaded, caches filled
        naive = naive_rate(case, factor_samples(args.naive, args.seed))
        vectorised = vectorised_rate(case, factor_samples(args.chunk, args.seed), args.repeats)
        figures.append(
            {
                "case": name,
                "naive_samples_per_s": naive,
                "vectorised_samples_per_s": vectorised,
                "chunk": args.chunk,
                "speedup": vectorised / naive,
                "peak_rss_mib": peak_rss_mib(),
            }
        )
        print(
            f"{name}: naive loop {naive:,.1f} samples/s ({args.naive} samples); vectorised evaluate "
            f"{vectorised:,.0f} samples/s (chunk {args.chunk:,}, best of {args.repeats}); "
            f"speed-up {vectorised / naive:,.0f}x"
        )
    print(f"peak resident memory {peak_rss_mib():,.0f} MiB; wrote {report('model', figures)}")


if __name__ == "__main__":
    main()
