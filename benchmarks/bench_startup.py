"""Start-up cost: ``import tecmodel`` and ``tecmodel run`` of both bundled cases from a cold start.

Each figure is the wall time of a fresh process (process start to exit), best of ``--repeats``,
beside the time of a bare ``python -c pass`` measured in the same run. Also lists which heavy
optional libraries ``import tecmodel`` loads (none should be)::

    python -m benchmarks.bench_startup [--repeats 5]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time

from benchmarks.common import ROOT, report

HEAVY = (
    "dask",
    "distributed",
    "openpyxl",
    "matplotlib",
    "SALib",
    "zarr",
    "numba",
    "scipy",
    "pint",
    "tqdm",
)


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(
        command, cwd=ROOT, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    return time.perf_counter() - start


def best(command: list[str], repeats: int) -> float:
    return min(wall_time(command) for _ in range(repeats))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    python = sys.executable
    bare = best([python, "-c", "pass"], args.repeats)
    imported = best([python, "-c", "import tecmodel"], args.repeats)
    loaded = subprocess.run(
        [
            python,
            "-c",
            "import sys, tecmodel; print(' '.join(sorted(m for m in "
            f"{HEAVY!r} if m in sys.modules)))",
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory() as folder:
        run = best([python, "-m", "tecmodel", "run", "--out", folder], args.repeats)
    figures = [
        {"figure": "python -c pass", "seconds": bare},
        {
            "figure": "import tecmodel",
            "seconds": imported,
            "ratio_to_bare_python": imported / bare,
            "heavy_modules_loaded": loaded.split(),
        },
        {
            "figure": "tecmodel run (both cases, cold process)",
            "seconds": run,
            "target_seconds": 3.0,
        },
    ]
    print(f"python -c pass: {bare:.3f} s (best of {args.repeats})")
    print(
        f"import tecmodel: {imported:.3f} s ({imported / bare:.1f}x bare python); heavy optional modules "
        f"loaded: {loaded or 'none'}"
    )
    print(f"tecmodel run, both cases, process start to exit: {run:.2f} s (target <= 3 s)")
    print(f"wrote {report('startup', figures)}")


if __name__ == "__main__":
    main()
