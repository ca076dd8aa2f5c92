"""Shapley effects of NPV on the bundled EUR 10B case: model evaluations and wall time.

Each figure runs in a fresh process (clean peak memory) after one deterministic evaluation that
loads the compiled kernels, at the sizes the README recommends:

- three factors (energy price, utilisation, chip cost), ``tecmodel.shapley(case, n=2048)``:
  every coalition (6) and the variance, 2048 outer x 3 inner draws each;
- every distributed input (14) in three groups (energy all-in; compute prices and hardware;
  delivery), ``tecmodel.shapley(case, "all", GROUPS, n=4096)``;
- beside each, ``tecmodel.sobol`` of the same factors (first order, N = 4096), the cheaper
  analysis that drops the rank correlations.

Figures: model evaluations, wall time (best of ``--repeats``), evaluations per second, the
largest 95 % half-width of the portfolio NPV shares, and the peak resident memory::

    python -m benchmarks.bench_shapley [--repeats 3] [--case base_10b]
"""

from __future__ import annotations

import argparse
import json
import time

from benchmarks.common import CASES, best_of, peak_rss_mib, report, run_isolated

THREE = ["energy_price", "utilisation", "chip_cost"]
#: Every distributed input of the bundled cases, in three groups.
GROUPS = {
    "energy all-in": [
        "power.contract_price",
        "power.contract_term_years",
        "power.grid_tariff_energy",
        "cooling.overhead_annual",
    ],
    "compute prices and hardware": [
        "chips.unit_price",
        "chips.performance_growth",
        "chips.resale_share",
        "revenue.gpu_hour_price",
        "revenue.age_decline",
        "revenue.obsolescence_step",
        "revenue.utilisation",
        "revenue.availability",
        "revenue.contract_share",
        "operations.it_support_rate",
    ],
    "delivery": [
        "construction.shell_core_per_mw",
        "construction.electrical_per_mw",
        "cooling.capex_per_mw",
        "revenue.ramp_first_year",
        "revenue.ramp_second_year",
    ],
}
#: Figure -> (factors, groups, outer draws per coalition): the README's recommended sizes.
FIGURES = {
    "three factors": (THREE, None, 2048),
    "all inputs in three groups": ("all", GROUPS, 4096),
}
SOBOL_N = 4096


def child(case_name: str, figure: str, repeats: int) -> dict:
    """Measure one figure in this process."""
    import tecmodel
    from tecmodel.analysis.sensitivity.shapley_case import shapley_factors

    factors, groups, n = FIGURES[figure]
    case = tecmodel.load_case(CASES[case_name])
    tecmodel.evaluate(case)
    seconds, dataset = best_of(lambda: tecmodel.shapley(case, factors, groups, n=n), repeats)
    npv = {"metric": "npv", "site": "portfolio"}
    chosen = shapley_factors(case, factors, groups)
    sobol_seconds, indices = best_of(
        lambda: tecmodel.sobol(
            case,
            factors=chosen.labels,
            groups=chosen.groups,
            n=SOBOL_N,
            second_order=False,
            metrics=["npv"],
            time_resolved=False,
        ),
        repeats,
    )
    shares = dataset["shapley_index"].sel(npv).to_series()
    return {
        "case": case_name,
        "figure": figure,
        "n_outer": n,
        "n_inner": dataset.attrs["n_inner"],
        "players": len(dataset["factor"]),
        "inputs": len(chosen.labels),
        "coalitions": dataset.attrs["coalitions"],
        "evaluations": dataset.attrs["evaluations"],
        "function_calls": dataset.attrs["function_calls"],
        "seconds": seconds,
        "evaluations_per_s": dataset.attrs["evaluations"] / seconds,
        "max_half_width": float(dataset["shapley_index_conf"].sel(npv).max()),
        "shapley_index": {str(factor): float(value) for factor, value in shares.items()},
        "sobol_n": SOBOL_N,
        "sobol_evaluations": indices.attrs["evaluations"],
        "sobol_seconds": sobol_seconds,
        "repeats": repeats,
        "peak_rss_mib": peak_rss_mib(),
    }


def describe(figures: dict) -> str:
    return (
        f"{figures['case']}: shapley, {figures['figure']} ({figures['inputs']} inputs, "
        f"{figures['players']} players, {figures['coalitions']} coalitions, "
        f"n = {figures['n_outer']:,} x {figures['n_inner']}): {figures['evaluations']:,} model "
        f"evaluations in {figures['seconds']:.2f} s ({figures['evaluations_per_s']:,.0f}/s, "
        f"{figures['function_calls']} calls; best of {figures['repeats']}); largest 95 % "
        f"half-width of the NPV shares {figures['max_half_width']:.3f}; Sobol' S1/ST of the "
        f"same factors (N = {figures['sobol_n']:,}) {figures['sobol_evaluations']:,} evaluations "
        f"in {figures['sobol_seconds']:.2f} s; peak resident memory "
        f"{figures['peak_rss_mib']:,.0f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--case", choices=sorted(CASES), default="base_10b")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--figure", choices=sorted(FIGURES), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        start = time.perf_counter()
        figures = child(args.case, args.figure, args.repeats)
        figures["child_wall_s"] = time.perf_counter() - start
        print(json.dumps(figures))
        return
    figures = []
    for figure in FIGURES:
        figures.append(
            run_isolated(
                "bench_shapley",
                "--case",
                args.case,
                "--figure",
                figure,
                "--repeats",
                str(args.repeats),
            )
        )
        print(describe(figures[-1]), flush=True)
    print(f"wrote {report('shapley', figures)}")


if __name__ == "__main__":
    main()
