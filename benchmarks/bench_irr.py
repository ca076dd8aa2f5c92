"""Micro-benchmark of tecmodel.numerics.irr.irr against its numpy reference and numpy_financial.

Times, in the same run, on 10**6 project cash-flow series of 21 and 30 years
(layout (year, series)):

* ``irr`` (the compiled path) with all of numba's threads and with one thread;
* the whole-array numpy implementation it replaced (``ReferenceSolver`` in
  tests/irr_reference.py, the reference of the tests);
* a plain Python loop of ``numpy_financial.irr`` on 2,000 of the same series;

and, in fresh processes, the start-up cost of the compiled path: ``import
numba``, and the first ``irr`` call (after ``import tecmodel``: it imports
numba and loads the compiled code) with the on-disk cache of the compiled
code warm (every run after the first) and cold (the first run after an
installation; a temporary ``NUMBA_CACHE_DIR``).  Prints one line per figure
and writes ``outputs/bench/irr.json`` atomically (``tecmodel.io``).  Not a
test: run it directly::

    python benchmarks/bench_irr.py [--series 1000000] [--repeats 3] [--no-cold]

The cash flows are those of ``project_flows`` in tests/test_irr.py: 1-3
construction years, operating cash of 6-35 % of capex a year, and a refresh
investment of 20-80 % of capex every fifth operating year that can make that
year negative (so some series have several IRRs).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import numpy_financial as npf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's tecmodel when run as a script

from tecmodel.io import write_json  # noqa: E402
from tecmodel.numerics.irr import IRR_STATUS, irr  # noqa: E402
from tecmodel.numerics.irr.solver import Solver  # noqa: E402
from tests.irr_reference import ReferenceSolver  # noqa: E402
from tests.test_irr import project_flows  # noqa: E402  # the test suite's project cash flows

FIRST_CALL = """
import time
from tecmodel.numerics.irr import irr
start = time.perf_counter()
irr([[-100.0], [39.0], [59.0], [55.0], [20.0]])
print(time.perf_counter() - start)
"""
IMPORT_NUMBA = """
import time
start = time.perf_counter()
import numba
print(time.perf_counter() - start)
"""


def best_time(function, repeats: int) -> tuple[float, float, object]:
    """Best wall-clock time [s] of ``function()`` over ``repeats`` runs, the processor
    time [s] of all threads in that run, and the last result.

    On a shared machine the processor time shows what the code costs when
    other processes take the cores: wall time x threads >= processor time.
    """
    best, cpu, result = np.inf, np.inf, None
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        seconds = time.perf_counter() - start
        if seconds < best:
            best, cpu = seconds, time.process_time() - start_cpu
    return best, cpu, result


def time_numpy_financial(flows: np.ndarray) -> float:
    """Wall-clock time [s] of a numpy_financial.irr loop over the series."""
    start = time.perf_counter()
    for i in range(flows.shape[1]):
        npf.irr(flows[:, i])
    return time.perf_counter() - start


def fresh_process_seconds(code: str, repeats: int, **environment: str) -> float:
    """Best time [s] that ``code`` prints when run in fresh processes."""
    times = []
    for _ in range(repeats):
        completed = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), **environment},
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(float(completed.stdout.strip().splitlines()[-1]))
    return min(times)


def solve_rates(flows: np.ndarray, repeats: int) -> list[dict]:
    """Series per second of the compiled path (all threads, one thread) and of the
    numpy reference path on the same flows."""
    import numba

    threads = numba.get_num_threads()
    n_series = flows.shape[1]
    irr(flows[:, :1])  # compiles or loads the kernel
    seconds, cpu, result = best_time(lambda: irr(flows), repeats)
    solver = Solver(-0.99, 10.0, 16, flows.shape[0])
    reference_solver = ReferenceSolver(-0.99, 10.0, 16, flows.shape[0])
    solver.run(flows)
    numba.set_num_threads(1)
    try:
        one_thread, one_cpu, _ = best_time(lambda: irr(flows), repeats)
    finally:
        numba.set_num_threads(threads)
    reference, reference_cpu, _ = best_time(
        lambda: reference_solver.run(flows), max(1, repeats - 1)
    )
    counts = np.bincount(result.status.ravel(), minlength=len(IRR_STATUS))
    return [
        {
            "figure": f"compiled irr, {threads} threads",
            "series_per_second": n_series / seconds,
            "seconds": seconds,
            "cpu_seconds": cpu,
            "status_counts": counts.tolist(),
            "isolated": solver.isolated,
        },
        {
            "figure": "compiled irr, 1 thread",
            "series_per_second": n_series / one_thread,
            "seconds": one_thread,
            "cpu_seconds": one_cpu,
        },
        {
            "figure": "numpy reference (whole-array, before)",
            "series_per_second": n_series / reference,
            "seconds": reference,
            "cpu_seconds": reference_cpu,
        },
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1_000_000)
    parser.add_argument("--loop-series", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-cache first call")
    args = parser.parse_args()
    import numba

    print(
        f"numpy {np.__version__}, numba {numba.__version__}, numpy-financial {npf.__version__},"
        f" {os.cpu_count()} CPUs, {numba.get_num_threads()} numba threads"
    )
    figures = []
    for n_years in (21, 30):
        flows = project_flows(np.random.default_rng(args.seed), args.series, n_years)
        rates = solve_rates(flows, args.repeats)
        start_cpu = time.process_time()
        loop_seconds = time_numpy_financial(flows[:, : args.loop_series])
        loop_rate = args.loop_series / loop_seconds
        rates.append(
            {
                "figure": "numpy_financial.irr loop",
                "series_per_second": loop_rate,
                "seconds": loop_seconds,
                "cpu_seconds": time.process_time() - start_cpu,
                "series": args.loop_series,
            }
        )
        compiled = rates[0]["series_per_second"]
        for entry in rates:
            speedup = compiled / entry["series_per_second"]
            entry.update(years=n_years, speedup_of_compiled=speedup)
            entry.setdefault("series", args.series)
            entry["series_per_cpu_second"] = entry["series"] / entry["cpu_seconds"]
            print(
                f"{n_years} years: {entry['figure']}: {entry['series']:,} series in"
                f" {entry['seconds']:.3f} s = {entry['series_per_second']:,.0f} series/s"
                f" [{entry['series_per_cpu_second']:,.0f} per processor-second]"
                + ("" if entry is rates[0] else f" (compiled is {speedup:,.1f}x)")
            )
        counts = rates[0]["status_counts"]
        print(
            "    status counts: "
            + ", ".join(f"{code}: {n:,}" for code, n in enumerate(counts))
            + f"; {rates[0]['isolated']:,} series left to the exact isolation"
        )
        figures.extend(rates)
    import_numba = fresh_process_seconds(IMPORT_NUMBA, args.repeats)
    warm = fresh_process_seconds(FIRST_CALL, args.repeats)
    figures += [
        {"figure": "import numba (fresh process)", "seconds": import_numba},
        {"figure": "first irr call, warm cache (imports numba, loads the kernel)", "seconds": warm},
    ]
    print(
        f"import numba: {import_numba:.2f} s; first irr() call with a warm cache: {warm:.2f} s"
        f" (best of {args.repeats} fresh processes)"
    )
    if not args.no_cold:
        with tempfile.TemporaryDirectory() as cache:
            cold = fresh_process_seconds(FIRST_CALL, 1, NUMBA_CACHE_DIR=cache)
        figures.append(
            {"figure": "first irr call, cold cache (compiles the kernel)", "seconds": cold}
        )
        print(f"first irr() call with a cold cache (compilation): {cold:.1f} s")
    output = ROOT / "outputs" / "bench"
    output.mkdir(parents=True, exist_ok=True)
    path = write_json(
        output / "irr.json",
        {
            "benchmark": "irr",
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "numpy": np.__version__,
                "numba": numba.__version__,
                "numba_threads": numba.get_num_threads(),
                "platform": platform.platform(),
            },
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "figures": figures,
        },
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
