"""Sobol' analysis at N = 2^14, second order, three factors: wall time by stage, both bundled cases.

Each case runs in a fresh process (clean peak memory), after one deterministic evaluation that
loads the compiled kernels. Figures:

- end to end: ``tecmodel.sobol(case, factors=[energy_price, utilisation, chip_cost], n, seed=0,
  second_order=True)`` (design, model evaluation, analysis of every output column with bootstrap
  confidence intervals: metrics x sites and each year's free cash flow x sites), best of
  ``--repeats`` (wall time, and the mean CPU time of all threads: on a shared machine the wall
  time also measures the neighbours), and the peak resident memory of that process;
- the same pipeline stage by stage (best of ``--repeats`` each): sampling (Saltelli's design),
  model evaluation (``--chunk`` rows per call, and the former 2^14 rows per call), analysis with
  the vectorised estimators and, once, with ``SALib.analyze.sobol`` column by column (the
  reference and the former engine); the largest absolute difference between the two engines'
  indices and confidence half-widths::

    python -m benchmarks.bench_sobol [--n 16384] [--chunk 32768] [--repeats 3] [--no-salib]
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.common import CASES, best_of, peak_rss_mib, report, run_isolated

FACTORS = ["energy_price", "utilisation", "chip_cost"]


def largest_differences(fast, reference) -> dict[str, float]:
    """Largest |fast - reference| over the indices and over the half-widths (NaN where both are NaN)."""
    import numpy as np

    worst = {"indices": 0.0, "confidence": 0.0}
    for name in reference.data_vars:
        if not name.startswith("S"):
            continue
        a, b = fast[name].values, reference[name].values
        if not np.array_equal(np.isnan(a), np.isnan(b)):
            raise AssertionError(f"{name}: the engines disagree on which indices are undefined")
        key = "confidence" if name.endswith("_conf") else "indices"
        if np.isfinite(b).any():
            worst[key] = max(worst[key], float(np.nanmax(np.abs(a - b))))
    return worst


def child(case_name: str, n: int, chunk: int, repeats: int, salib: bool) -> dict:
    """Measure one case in this process; return the figures."""
    import numpy as np

    import tecmodel
    from tecmodel.analysis.sampling import factor_columns
    from tecmodel.analysis.sensitivity.factors import DEFAULT_METRICS
    from tecmodel.analysis.sensitivity.saltelli import (
        analyse_design,
        evaluate_design,
        saltelli_design,
    )
    from tecmodel.analysis.sensitivity.sobol_case import case_model

    case = tecmodel.load_case(CASES[case_name])
    tecmodel.evaluate(case)  # warm: compiled kernels loaded, caches filled
    cpu = time.process_time()
    end_to_end, result = best_of(
        lambda: tecmodel.sobol(case, factors=FACTORS, n=n, seed=0, second_order=True), repeats
    )
    end_to_end_cpu = (time.process_time() - cpu) / repeats
    peak = peak_rss_mib()

    def design():
        columns = factor_columns(case, FACTORS)
        return columns, saltelli_design([c.label for c in columns], n, 0, second_order=True)

    sampling, (columns, plan) = best_of(design, repeats)
    model = case_model(case, columns, DEFAULT_METRICS, time_resolved=True)
    evaluation, outputs = best_of(lambda: evaluate_design(model, plan.uniforms, chunk), repeats)
    former_chunk = 2**14
    evaluation_former_chunk, _ = best_of(
        lambda: evaluate_design(model, plan.uniforms, former_chunk), repeats
    )
    analysis, fast = best_of(lambda: analyse_design(plan, outputs, seed=0), repeats)
    columns_analysed = sum(int(outputs[key][0].size) for key in outputs)
    figures = {
        "case": case_name,
        "n": n,
        "rows": int(plan.uniforms.shape[0]),
        "output_columns": columns_analysed,
        "chunk": chunk,
        "end_to_end_s": end_to_end,
        "end_to_end_cpu_s_mean": end_to_end_cpu,
        "peak_rss_mib_end_to_end": peak,
        "sampling_s": sampling,
        "evaluation_s": evaluation,
        "evaluation_former_chunk_s": evaluation_former_chunk,
        "former_chunk": former_chunk,
        "analysis_vectorised_s": analysis,
        "repeats": repeats,
        "target_end_to_end_s": 5.0,
        "same_indices_end_to_end": all(
            np.array_equal(result[k].values, fast[k].values, equal_nan=True) for k in fast.data_vars
        ),
    }
    if salib:
        salib_analysis, reference = best_of(
            lambda: analyse_design(plan, outputs, seed=0, engine="salib"), 1
        )
        difference = largest_differences(fast, reference)
        figures.update(
            analysis_salib_s=salib_analysis,
            analysis_speedup=salib_analysis / analysis,
            max_abs_difference_indices=difference["indices"],
            max_abs_difference_confidence=difference["confidence"],
            former_end_to_end_estimate_s=sampling + evaluation_former_chunk + salib_analysis,
        )
    figures["peak_rss_mib"] = peak_rss_mib()
    return figures


def describe(figures: dict) -> list[str]:
    """One line per figure."""
    name = figures["case"]
    lines = [
        f"{name}: sobol end to end N={figures['n']:,} second order, 3 factors ({figures['rows']:,} model rows, "
        f"{figures['output_columns']} output columns): {figures['end_to_end_s']:.2f} s (best of "
        f"{figures['repeats']}; target <= 5 s; CPU time {figures['end_to_end_cpu_s_mean']:.2f} s per run, both "
        f"cores); peak resident memory {figures['peak_rss_mib_end_to_end']:,.0f} MiB",
        f"{name}: sampling {figures['sampling_s']:.2f} s",
        f"{name}: model evaluation {figures['evaluation_s']:.2f} s ({figures['chunk']:,} rows per call); "
        f"{figures['evaluation_former_chunk_s']:.2f} s at {figures['former_chunk']:,} rows per call",
        f"{name}: analysis, vectorised estimators {figures['analysis_vectorised_s']:.2f} s",
    ]
    if "analysis_salib_s" in figures:
        lines += [
            f"{name}: analysis, SALib.analyze.sobol per column {figures['analysis_salib_s']:.2f} s "
            f"(vectorised is {figures['analysis_speedup']:.0f}x faster)",
            f"{name}: former pipeline (sampling + evaluation at {figures['former_chunk']:,} rows + SALib) "
            f"{figures['former_end_to_end_estimate_s']:.2f} s",
            f"{name}: vectorised vs SALib, largest |difference|: indices {figures['max_abs_difference_indices']:.1e}, "
            f"confidence half-widths {figures['max_abs_difference_confidence']:.1e}",
        ]
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2**14)
    parser.add_argument(
        "--chunk", type=int, default=None, help="rows per model call (default: tecmodel's)"
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-salib", action="store_true", help="skip the SALib reference analysis")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--case", choices=sorted(CASES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.chunk is None:
        from tecmodel.analysis.sensitivity.saltelli import DEFAULT_CHUNK_ROWS

        args.chunk = DEFAULT_CHUNK_ROWS
    if args.child:
        start = time.perf_counter()
        figures = child(args.case, args.n, args.chunk, args.repeats, not args.no_salib)
        figures["child_wall_s"] = time.perf_counter() - start
        print(json.dumps(figures))
        return
    figures = []
    for name in CASES:
        options = [
            "--case",
            name,
            "--n",
            str(args.n),
            "--chunk",
            str(args.chunk),
            "--repeats",
            str(args.repeats),
        ]
        figures.append(
            run_isolated("bench_sobol", *options, *(["--no-salib"] if args.no_salib else []))
        )
        for line in describe(figures[-1]):
            print(line, flush=True)
    print(f"wrote {report('sobol', figures)}")


if __name__ == "__main__":
    main()
