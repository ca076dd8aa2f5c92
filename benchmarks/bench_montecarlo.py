"""Monte Carlo throughput and memory: both bundled cases, the naive baseline, dask scaling.

Figures (each study in a fresh process, for a clean peak-memory figure):

- ``tecmodel.monte_carlo(case, n, seed=0)`` on both bundled cases at ``--sizes`` (default 10^5
  and 10^6): the full model (every component, tax with loss carry-forward, NPV, IRR, LCOC,
  payback, break-even, per site and portfolio) with every distribution of the case file;
  samples per second (after one deterministic evaluation has loaded the compiled kernels) and
  the process's peak resident memory;
- the same studies without price paths (``paths=False``: the processes of the case keep their
  central paths), and the throughput ratio with paths / without, the cost of simulating the
  processes and of the model's yearly price arrays;
- the naive baseline in the same run: a Python loop evaluating one sample at a time through the
  public API (``tecmodel.evaluate`` with the sample's values as scalar overrides) and calling
  ``numpy_financial.irr``; the speed-up of the engine over it;
- dask: one worker against two workers of a ``LocalCluster`` on one machine at ``--dask-n``
  (start-up of the cluster excluded, measured separately), beside the memory bandwidth of one
  process and of two at once (the ceiling of two workers on memory-bound work)::

    python -m benchmarks.bench_montecarlo [--sizes 100000 1000000] [--chunk 16384] [--naive 20]
                                          [--store-from 10000000] [--dask-n 1000000] [--no-dask]
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.common import CASES, peak_rss_mib, report, run_isolated


def child_study(case_name: str, n: int, chunk: int, store: bool, paths: bool = True) -> dict:
    import tempfile

    import tecmodel

    case = tecmodel.load_case(CASES[case_name])
    tecmodel.evaluate(case)
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = tecmodel.monte_carlo(
            case,
            n=n,
            seed=0,
            chunk_size=chunk,
            progress=False,
            store=f"{folder}/study.zarr" if store else None,
            paths=paths,
        )
        seconds = time.perf_counter() - start
        mean_npv = float(result.portfolio_summary["value"].sel(statistic="mean", metric="npv"))
    return {
        "case": case_name,
        "n": n,
        "chunk": chunk,
        "store": store,
        "paths": paths,
        "seconds": seconds,
        "samples_per_s": n / seconds,
        "peak_rss_mib": peak_rss_mib(),
        "mean_npv": mean_npv,
    }


def child_naive(case_name: str, n: int) -> dict:
    import numpy as np
    import numpy_financial as npf

    import tecmodel
    from tecmodel.analysis.sampling import sampling_plan, unit_block

    case = tecmodel.load_case(CASES[case_name])
    tecmodel.evaluate(case)
    plan = sampling_plan(case)
    uniforms = plan.correlate(unit_block("sobol", plan.dimension, 0, 0, 16384, 16384))[:n]
    overrides = plan.overrides(uniforms)
    start = time.perf_counter()
    for index in range(n):
        sample = {}
        for name, values in overrides.items():
            value = values.isel(sample=index)
            sample[name] = (
                {str(site): float(value.sel(site=site)) for site in value["site"].values}
                if "site" in value.dims
                else float(value)
            )
        result = tecmodel.evaluate(case, sample)
        npf.irr(np.asarray(result.portfolio_free_cash_flow.values))
    seconds = time.perf_counter() - start
    return {"case": case_name, "n": n, "seconds": seconds, "samples_per_s": n / seconds}


def child_dask(case_name: str, n: int, chunk: int, workers: int) -> dict:
    import tecmodel
    from tecmodel.analysis.montecarlo.execution import LocalClusterClient

    case = tecmodel.load_case(CASES[case_name])
    started = time.perf_counter()
    with LocalClusterClient(workers) as client:
        startup = time.perf_counter() - started
        client.run(
            lambda: __import__("tecmodel").evaluate(
                __import__("tecmodel").load_case(str(CASES[case_name]))
            )
        )
        start = time.perf_counter()
        tecmodel.monte_carlo(case, n=n, seed=0, chunk_size=chunk, client=client, progress=False)
        seconds = time.perf_counter() - start
    return {
        "case": case_name,
        "n": n,
        "workers": workers,
        "seconds": seconds,
        "samples_per_s": n / seconds,
        "cluster_startup_s": startup,
    }


def child_bandwidth(seconds: float = 2.0) -> dict:
    """Memory bandwidth of one process: a streaming multiply of 16 MB arrays [GB/s]."""
    import numpy as np

    size = 2_000_000
    a, b, out = (
        np.random.default_rng(0).random(size),
        np.random.default_rng(1).random(size),
        np.empty(size),
    )
    passes, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        np.multiply(a, b, out=out)
        passes += 1
    return {"gb_per_s": passes * size * 24 / (time.perf_counter() - start) / 1e9}


def bandwidth_figure() -> dict:
    """Streaming bandwidth of one process alone and of two at once: the ceiling of two workers on
    sample-sized (memory-bound) arrays."""
    import subprocess
    import sys

    from benchmarks.common import ROOT

    alone = run_isolated("bench_montecarlo", "--kind", "bandwidth")["gb_per_s"]
    command = [
        sys.executable,
        "-m",
        "benchmarks.bench_montecarlo",
        "--child",
        "--kind",
        "bandwidth",
    ]
    pair = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)
    ]
    together = sum(
        json.loads(process.communicate()[0].strip().splitlines()[-1])["gb_per_s"]
        for process in pair
    )
    return {
        "one_process_gb_per_s": alone,
        "two_processes_gb_per_s": together,
        "ratio": together / alone,
    }


def run_study(case_name: str, n: int, args, *extra: str) -> dict:
    """One Monte Carlo study of `n` samples in its own process (a store from ``--store-from``)."""
    return run_isolated(
        "bench_montecarlo",
        "--kind",
        "study",
        "--case",
        case_name,
        "--n",
        str(n),
        "--chunk",
        str(args.chunk),
        *extra,
        *(["--store"] if n >= args.store_from else []),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kind", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--case", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--store", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--no-paths", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--chunk", type=int, default=16384)
    parser.add_argument(
        "--store-from",
        type=int,
        default=10_000_000,
        help="studies of at least this many samples write a zarr store (memory bounded)",
    )
    parser.add_argument("--naive", type=int, default=20)
    parser.add_argument("--dask-n", type=int, default=1_000_000)
    parser.add_argument("--no-dask", action="store_true")
    args = parser.parse_args()
    if args.child:
        if args.kind == "bandwidth":
            figure = child_bandwidth()
        elif args.kind == "study":
            figure = child_study(args.case, args.n, args.chunk, args.store, not args.no_paths)
        elif args.kind == "naive":
            figure = child_naive(args.case, args.n)
        else:
            figure = child_dask(args.case, args.n, args.chunk, args.workers)
        print(json.dumps(figure))
        return

    figures = []
    for case_name in CASES:
        naive = run_isolated(
            "bench_montecarlo", "--kind", "naive", "--case", case_name, "--n", str(args.naive)
        )
        figures.append({"figure": "naive loop", **naive})
        print(
            f"{case_name}: naive loop (public API per sample + numpy_financial.irr) "
            f"{naive['samples_per_s']:,.1f} samples/s ({args.naive} samples)"
        )
        for n in args.sizes:
            study = run_study(case_name, n, args)
            study["speedup_over_naive"] = study["samples_per_s"] / naive["samples_per_s"]
            figures.append({"figure": "monte_carlo", **study})
            print(
                f"{case_name}: monte_carlo n={n:,}: {study['seconds']:.2f} s = {study['samples_per_s']:,.0f} "
                f"samples/s ({study['speedup_over_naive']:,.0f}x the naive loop); peak resident memory "
                f"{study['peak_rss_mib']:,.0f} MiB{' (zarr store)' if study['store'] else ''}"
            )
            plain = run_study(case_name, n, args, "--no-paths")
            plain["paths_ratio"] = study["samples_per_s"] / plain["samples_per_s"]
            figures.append({"figure": "monte_carlo without paths", **plain})
            print(
                f"{case_name}: the same without price paths: {plain['samples_per_s']:,.0f} "
                f"samples/s, peak {plain['peak_rss_mib']:,.0f} MiB; with paths / without = "
                f"{plain['paths_ratio']:.2f}"
            )
    if not args.no_dask:
        one, two = (
            run_isolated(
                "bench_montecarlo",
                "--kind",
                "dask",
                "--case",
                "base_10b",
                "--n",
                str(args.dask_n),
                "--chunk",
                str(args.chunk),
                "--workers",
                str(workers),
            )
            for workers in (1, 2)
        )
        figures += [{"figure": "dask", **one}, {"figure": "dask", **two}]
        print(
            f"base_10b on dask, n={args.dask_n:,}: 1 worker {one['samples_per_s']:,.0f} samples/s, 2 workers "
            f"{two['samples_per_s']:,.0f} samples/s: {two['samples_per_s'] / one['samples_per_s']:.2f}x "
            f"(cluster start-up {one['cluster_startup_s']:.1f} s / {two['cluster_startup_s']:.1f} s, excluded)"
        )
        bandwidth = bandwidth_figure()
        figures.append({"figure": "memory bandwidth", **bandwidth})
        print(
            f"memory bandwidth (streaming multiply of 16 MB arrays): one process "
            f"{bandwidth['one_process_gb_per_s']:.1f} "
            f"GB/s, two at once {bandwidth['two_processes_gb_per_s']:.1f} GB/s in all: {bandwidth['ratio']:.2f}x, the "
            "ceiling of two workers on memory-bound work"
        )
    print(f"wrote {report('montecarlo', figures)}")


if __name__ == "__main__":
    main()
