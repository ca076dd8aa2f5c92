"""Cost of least-squares Monte Carlo stopping (tecmodel.numerics.lsmc): fit on some paths, apply to others.

Two problems, each in a fresh process (clean peak memory), with ``--paths`` regression paths and
as many valuation paths:

- ``put``: the American put of Longstaff & Schwartz (2001) (S0 = 36, sigma = 0.2, T = 1, K = 40,
  r = 6 %), 50 dates, one state, one action, the default basis (polynomial of degree 3);
- ``four_states``: 15 dates, four correlated log-normal state variables, two actions (a small
  and a large build whose present values are linear in the states, less a cost), polynomial
  basis of degree 2 (15 functions) and of degree 3 (35).

Figures: the wall time of ``fit_rule`` and of ``apply_rule`` (best of ``--repeats``), the peak
of the memory they allocate beyond their inputs (``tracemalloc``, in a separate run since
tracing slows numpy down), the size of the inputs, and the peak resident memory of the process.

A third problem, ``second_site``, is the campus itself: :func:`tecmodel.real_options` on the
bundled doubled case's build decision (the second site as an option to start building in
2025-2032; the case's refresh decision is left out, so the figure is that of one decision),
with ``--paths`` regression and as many valuation paths. Every path's NPV for every candidate start
year comes from the model (one vectorised ``evaluate`` per chunk of 2,048 paths); the figures
are the wall time of the whole study in one process (the model dominates) with its peak resident
memory, and the wall time on a local dask cluster of two workers (``workers=2``, its start-up
included; checked to give the same numbers)::

    python -m benchmarks.bench_lsmc [--paths 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import tracemalloc

from benchmarks.common import best_of, peak_rss_mib, report, run_isolated

PROBLEMS = {"put": 3, "four_states": 2, "four_states_degree_3": 3, "second_site": 2}
"""Polynomial degree of each problem."""


def put_problem(n_paths: int, block: int):
    """States ``(50, P)`` and exercise values ``(50, P)`` of the put, discounted to time 0."""
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(block,)))
    n_dates, step, volatility, rate = 50, 1.0 / 50, 0.2, 0.06
    normals = rng.standard_normal((n_dates, n_paths))
    stock = 36.0 * np.exp(
        np.cumsum(
            (rate - 0.5 * volatility**2) * step + volatility * np.sqrt(step) * normals, axis=0
        )
    )
    times = step * np.arange(1, n_dates + 1)
    return stock, np.exp(-rate * times)[:, None] * np.maximum(40.0 - stock, 0.0)


def four_state_problem(n_paths: int, block: int):
    """States ``(15, P, 4)`` and exercise values ``(2, 15, P)`` of two mutually exclusive builds."""
    import numpy as np

    rng = np.random.default_rng(np.random.SeedSequence(0, spawn_key=(block,)))
    n_dates, n_states = 15, 4
    correlation = np.full((n_states, n_states), 0.3) + 0.7 * np.eye(n_states)
    normals = rng.standard_normal((n_dates, n_paths, n_states)) @ np.linalg.cholesky(correlation).T
    states = np.exp(np.cumsum(0.15 * normals - 0.5 * 0.15**2, axis=0))
    discount = 1.07 ** -np.arange(1, n_dates + 1)
    small = states @ np.array([0.4, 0.3, 0.2, 0.1]) - 0.95
    large = states @ np.array([0.9, 0.6, 0.3, 0.2]) - 1.95
    values = np.stack([small, large]) * discount[None, :, None]
    return states, values


def second_site_child(n_paths: int) -> dict:
    """Measure the real-options study of the doubled case in this process."""
    import time

    import tecmodel

    case = tecmodel.load_case("doubled_20b")
    started = time.perf_counter()
    options = tecmodel.real_options(case, n=n_paths, seed=0, decisions="second_site")
    total = time.perf_counter() - started
    rss_one = peak_rss_mib()
    started = time.perf_counter()
    again = tecmodel.real_options(case, n=n_paths, seed=0, decisions="second_site", workers=2)
    total_two = time.perf_counter() - started
    if not again.identical(options):
        raise AssertionError("two workers changed the numbers")
    one = options.sel(decision="second_site")
    least = one.sel(rule="least_squares")
    return {
        "problem": "second_site",
        "paths": n_paths,
        "dates": int(one.sizes["year"]),
        "states": len(options.attrs["states"].split(", ")),
        "actions": 1,
        "degree": PROBLEMS["second_site"],
        "total_s": total,
        "total_two_workers_s": total_two,
        "peak_rss_mib": rss_one,
        "value_committed": float(one["value_committed"]),
        "value_committed_standard_error": float(one["value_committed_standard_error"]),
        "value": float(least["value_flexible"]),
        "value_standard_error": float(least["value_flexible_standard_error"]),
        "in_sample_value": float(least["value_flexible_in_sample"]),
        "trigger_value": float(one.sel(rule="trigger")["value_flexible"]),
    }


def child(problem: str, n_paths: int, repeats: int) -> dict:
    """Measure one problem in this process; return the figures."""
    if problem == "second_site":
        return second_site_child(n_paths)
    from tecmodel.numerics.lsmc import apply_rule, fit_rule, summarise

    make = put_problem if problem == "put" else four_state_problem
    degree = PROBLEMS[problem]
    states, values = make(n_paths, 0)
    fresh_states, fresh_values = make(n_paths, 1)
    fit_s, rule = best_of(lambda: fit_rule(states, values, degree=degree), repeats)
    apply_s, outcome = best_of(lambda: apply_rule(rule, fresh_states, fresh_values), repeats)
    peak_rss = peak_rss_mib()
    tracemalloc.start()
    rule = fit_rule(states, values, degree=degree)
    fit_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    apply_rule(rule, fresh_states, fresh_values)
    apply_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    summary = summarise(outcome, rule.in_sample)
    return {
        "problem": problem,
        "paths": n_paths,
        "dates": int(rule.n_dates),
        "states": int(rule.n_states),
        "actions": int(rule.n_actions),
        "degree": degree,
        "basis_functions": int(rule.coefficients.shape[1]),
        "fit_s": fit_s,
        "apply_s": apply_s,
        "fit_peak_traced_mib": fit_peak / 2**20,
        "apply_peak_traced_mib": apply_peak / 2**20,
        "inputs_mib_per_path_set": (states.nbytes + values.nbytes) / 2**20,
        "peak_rss_mib": peak_rss,
        "value": summary.value,
        "value_standard_error": summary.value_standard_error,
        "in_sample_value": summary.in_sample_value,
        "repeats": repeats,
    }


def describe(figures: dict) -> str:
    """One line per problem."""
    f = figures
    if f["problem"] == "second_site":
        return (
            f"second_site: {f['paths']:,} regression + {f['paths']:,} valuation paths x "
            f"{f['dates']} decision years x {f['states']} states: {f['total_s']:.1f} s in one "
            f"process (peak resident {f['peak_rss_mib']:.0f} MiB), {f['total_two_workers_s']:.1f} s "
            f"with two worker processes (same numbers); committed {f['value_committed'] / 1e6:,.1f} M EUR (s.e. "
            f"{f['value_committed_standard_error'] / 1e6:.1f}), flexible {f['value'] / 1e6:,.1f} "
            f"(s.e. {f['value_standard_error'] / 1e6:.1f}, in sample "
            f"{f['in_sample_value'] / 1e6:,.1f}), trigger rule {f['trigger_value'] / 1e6:,.1f}"
        )
    return (
        f"{f['problem']}: {f['paths']:,} paths x {f['dates']} dates x {f['states']} states, "
        f"{f['actions']} actions, {f['basis_functions']} basis functions: fit "
        f"{f['fit_s']:.2f} s, apply {f['apply_s']:.2f} s (best of {f['repeats']}); traced "
        f"peak beyond the inputs: fit {f['fit_peak_traced_mib']:.0f} MiB, apply "
        f"{f['apply_peak_traced_mib']:.0f} MiB; inputs {f['inputs_mib_per_path_set']:.0f} MiB "
        f"per path set; peak resident {f['peak_rss_mib']:.0f} MiB; value {f['value']:.4f} "
        f"(s.e. {f['value_standard_error']:.4f}, in sample {f['in_sample_value']:.4f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paths", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--problem", choices=sorted(PROBLEMS), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        print(json.dumps(child(arguments.problem, arguments.paths, arguments.repeats)))
        return
    figures = []
    for problem in PROBLEMS:
        figures.append(
            run_isolated(
                "bench_lsmc",
                "--problem",
                problem,
                "--paths",
                str(arguments.paths),
                "--repeats",
                str(arguments.repeats),
            )
        )
        print(describe(figures[-1]), flush=True)
    print(f"written {report('lsmc', figures)}")


if __name__ == "__main__":
    main()
