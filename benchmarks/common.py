"""Shared helpers of the benchmark scripts: timing, peak memory, machine description, JSON output.

Every benchmark prints one line per figure and writes ``outputs/bench/<name>.json`` (atomically,
through :mod:`tecmodel.io`). Figures that are compared are measured in the same run (the
machines are shared and noisy), and a ratio is reported beside the absolute numbers.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "outputs" / "bench"
CASES = {
    "base_10b": ROOT / "inputs" / "base_10b.yaml",
    "doubled_20b": ROOT / "inputs" / "doubled_20b.yaml",
}


def machine() -> dict:
    """What the figures were measured on."""
    import numpy

    memory_kib = 0
    try:
        with open("/proc/meminfo") as handle:
            memory_kib = int(handle.readline().split()[1])
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "memory_gib": round(memory_kib / 2**20, 1),
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "platform": platform.platform(),
        "malloc_mmap_max": os.environ.get("MALLOC_MMAP_MAX_"),
    }


def peak_rss_mib() -> float:
    """Peak resident set size of this process so far [MiB] (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(function, repeats: int) -> tuple[float, object]:
    """Best wall time [s] of `repeats` calls, and the last result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


def run_isolated(module: str, *arguments: str) -> dict:
    """Run ``python -m benchmarks.<module> --child ...`` in a fresh process; return its JSON line.

    A fresh process gives a clean peak-memory figure and a cold import.
    """
    command = [sys.executable, "-m", f"benchmarks.{module}", "--child", *arguments]
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def report(name: str, figures: list[dict]) -> Path:
    """Write ``outputs/bench/<name>.json`` with the machine description and the figures."""
    from tecmodel.io import write_json

    OUTPUT.mkdir(parents=True, exist_ok=True)
    return write_json(
        OUTPUT / f"{name}.json",
        {
            "benchmark": name,
            "machine": machine(),
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "figures": figures,
        },
    )
