"""The uncertainty sub-commands of ``tecmodel``: ``sobol``, ``shapley``, ``montecarlo`` and
``tornado``.

This module owns their arguments, what they print and which files they write; the analyses are
:mod:`tecmodel.analysis.sensitivity` and :mod:`tecmodel.analysis.montecarlo`. The heavy libraries (SALib, dask,
zarr) are imported by the analyses when they run. Results are written atomically to
``<out>/<case>.sobol.nc``, ``<case>.sobol_convergence.nc``, ``<case>.montecarlo_summary.nc``,
``<case>.montecarlo_samples.nc`` (not with ``--store``: the samples are in the store),
``<case>.tornado.nc``, ``<case>.shapley.nc`` and, beside it, ``<case>.shapley_sobol.nc`` (the
Sobol' indices of the same factors).
"""

from __future__ import annotations

import argparse
import contextlib
import re
import time
from pathlib import Path

from tecmodel.analysis.debt_sizing import size_on_quantile
from tecmodel.analysis.montecarlo.execution import LocalClusterClient
from tecmodel.analysis.montecarlo.layout import merged_samples
from tecmodel.analysis.montecarlo.study import Tolerance, monte_carlo
from tecmodel.analysis.sensitivity.saltelli import check_base_size
from tecmodel.analysis.sensitivity.shapley_case import (
    ALL_FACTORS,
    DEFAULT_OUTER,
    shapley,
    shapley_factors,
)
from tecmodel.analysis.sensitivity.sobol_case import sobol, sobol_convergence
from tecmodel.analysis.sensitivity.tornado_case import tornado
from tecmodel.cli.common import EXIT_OK
from tecmodel.cli.extras import require_modules
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.bundled import bundled_case_paths
from tecmodel.inputs.case import load_case
from tecmodel.io import check_output_directory, check_output_file, write_netcdf
from tecmodel.model.metrics import join_portfolio
from tecmodel.model.tables import conventions_line
from tecmodel.report.montecarlo_files import write_summary_csv, write_summary_xlsx
from tecmodel.report.uncertainty import (
    attribution_sentence,
    convergence_text,
    montecarlo_text,
    shapley_text,
    sobol_text,
    tornado_text,
)

DEFAULT_FACTORS = ["energy_price", "utilisation", "chip_cost"]


def count_argument(text: str) -> int:
    """A count as ``4096``, ``2**12``, ``2^12``, ``100_000`` or ``1e5``."""
    cleaned = text.replace("_", "").replace(",", "").strip()
    match = re.fullmatch(r"(\d+)\s*(?:\*\*|\^)\s*(\d+)", cleaned)
    try:
        if match:
            return int(match.group(1)) ** int(match.group(2))
        value = float(cleaned)
        if value == int(value):
            return int(value)
    except (ValueError, OverflowError):
        pass
    raise argparse.ArgumentTypeError(
        f"expected a whole number (e.g. 4096, 2**12, 100_000), got {text!r}"
    )


def _cases_and_out(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cases",
        nargs="*",
        type=Path,
        help="case files or bundled case names (default: both bundled cases)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _factors(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--factors",
        nargs="+",
        default=DEFAULT_FACTORS,
        metavar="NAME",
        help="parameters or aliases; NAME@SITE moves one site; `all`: every distributed "
        "input in named groups (default: %(default)s)",
    )
    parser.add_argument(
        "--per-site",
        action="store_true",
        help="one factor per site for site-level parameters (default: all sites move together)",
    )
    parser.add_argument(
        "--metrics",
        nargs="+",
        default=["npv", "irr", "lcoc"],
        metavar="METRIC",
        help="metrics analysed (default: %(default)s)",
    )


def sobol_arguments(parser: argparse.ArgumentParser) -> None:
    _cases_and_out(parser)
    _factors(parser)
    parser.add_argument(
        "-n",
        type=count_argument,
        default=2**12,
        help="base sample size, a power of two (default: 4096)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument("--first-order", action="store_true", help="skip second-order indices")
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=F1,F2",
        help="a factor group with one index (repeatable)",
    )
    parser.add_argument(
        "--no-time-resolved", action="store_true", help="skip the indices of each year's cash flow"
    )
    parser.add_argument(
        "--convergence",
        action="store_true",
        help="also the indices at N = 2^8 ... the largest of --sizes, side by side",
    )
    parser.add_argument(
        "--sizes",
        nargs="+",
        type=count_argument,
        default=[2**k for k in range(8, 15)],
        metavar="N",
        help="sizes of the convergence check (default: 2^8 ... 2^14)",
    )


def _groups(specs: list[str]) -> dict[str, list[str]] | None:
    groups: dict[str, list[str]] = {}
    for spec in specs:
        name, _, members = spec.partition("=")
        names = [m.strip() for m in members.split(",") if m.strip()]
        if not name.strip() or not names:
            raise InputError(Problem("--group", "expected NAME=FACTOR1,FACTOR2", spec))
        groups[name.strip()] = names
    return groups or None


def command_sobol(args) -> int:
    check_base_size(args.n)
    for size in args.sizes:
        check_base_size(size)
    out = check_output_directory(args.out)
    groups = _groups(args.group)
    cases = [load_case(path) for path in (args.cases or bundled_case_paths())]
    factors = args.factors if not groups or args.factors != DEFAULT_FACTORS else None
    if args.factors == [ALL_FACTORS]:
        factors = ALL_FACTORS
    for case in cases:
        started = time.perf_counter()
        dataset = sobol(
            case,
            factors=factors,
            n=args.n,
            seed=args.seed,
            second_order=not args.first_order,
            groups=groups,
            per_site=args.per_site,
            metrics=args.metrics,
            time_resolved=not args.no_time_resolved,
        )
        elapsed = time.perf_counter() - started
        path = write_netcdf(out / f"{case.name}.sobol.nc", dataset)
        if not args.quiet:
            print(conventions_line(case))
            print(sobol_text(dataset))
            print(f"  wrote {path} in {elapsed:.1f} s\n")
        if args.convergence:
            started = time.perf_counter()
            convergence = sobol_convergence(
                case,
                factors=factors,
                sizes=args.sizes,
                seed=args.seed,
                groups=groups,
                per_site=args.per_site,
                metrics=args.metrics,
            )
            elapsed = time.perf_counter() - started
            path = write_netcdf(out / f"{case.name}.sobol_convergence.nc", convergence)
            if not args.quiet:
                print(convergence_text(convergence, metric=args.metrics[0]))
                print(f"  wrote {path} in {elapsed:.1f} s\n")
    return EXIT_OK


def shapley_arguments(parser: argparse.ArgumentParser) -> None:
    _cases_and_out(parser)
    parser.add_argument(
        "--factors",
        nargs="+",
        default=DEFAULT_FACTORS,
        metavar="NAME",
        help="parameters or aliases, NAME@SITE for one site, or 'all' (every input "
        "with a distribution) (default: %(default)s)",
    )
    parser.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="NAME=F1,F2",
        help="a group of factors sharing one effect (repeatable)",
    )
    parser.add_argument(
        "--per-site", action="store_true", help="one player per site for site-level parameters"
    )
    parser.add_argument(
        "--independent",
        action="store_true",
        help="drop the case's rank correlations (as Sobol' indices do), to compare",
    )
    parser.add_argument(
        "--metric",
        nargs="+",
        default=["npv"],
        metavar="METRIC",
        help="metrics analysed (default: npv)",
    )
    parser.add_argument(
        "-n",
        "--n",
        type=count_argument,
        default=DEFAULT_OUTER,
        help=f"outer draws per coalition (default: {DEFAULT_OUTER}; the model runs "
        "(coalitions + 1) x n x 3 times)",
    )
    parser.add_argument(
        "--permutations",
        type=count_argument,
        default=None,
        metavar="K",
        help="random player orders instead of every coalition (needed above 8 players)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument(
        "--with-sobol",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Sobol' S1 and ST of the same factors beside the effects (default: yes)",
    )
    parser.add_argument(
        "--sobol-n",
        type=count_argument,
        default=2**12,
        help="base sample size of the Sobol' indices, a power of two (default: 4096)",
    )


def command_shapley(args) -> int:
    if args.with_sobol:
        check_base_size(args.sobol_n)
    out = check_output_directory(args.out)
    groups = _groups(args.group)
    factors = args.factors
    if factors == [ALL_FACTORS]:
        factors = ALL_FACTORS
    elif groups and factors == DEFAULT_FACTORS:
        factors = None
    cases = [load_case(path) for path in (args.cases or bundled_case_paths())]
    for case in cases:
        started = time.perf_counter()
        chosen = shapley_factors(case, factors, groups, per_site=args.per_site)
        dataset = shapley(
            case,
            factors,
            groups,
            metrics=args.metric,
            n=args.n,
            seed=args.seed,
            per_site=args.per_site,
            independent=args.independent,
            n_permutations=args.permutations,
        )
        written = [write_netcdf(out / f"{case.name}.shapley.nc", dataset)]
        indices = None
        if args.with_sobol:
            # The same columns, grouped as the players; the case's correlations are not applied.
            indices = sobol(
                case,
                factors=chosen.labels,
                n=args.sobol_n,
                seed=args.seed,
                second_order=False,
                groups=chosen.groups,
                metrics=args.metric,
                time_resolved=False,
            )
            written.append(write_netcdf(out / f"{case.name}.shapley_sobol.nc", indices))
        elapsed = time.perf_counter() - started
        if not args.quiet:
            print(conventions_line(case))
            for metric in args.metric:
                print(shapley_text(dataset, indices, metric))
                if indices is not None:
                    site = str(dataset["site"].values[-1])
                    print(attribution_sentence(indices, dataset, metric, site) + "\n")
            print(f"  wrote {', '.join(str(path) for path in written)} in {elapsed:.1f} s\n")
    return EXIT_OK


def montecarlo_arguments(parser: argparse.ArgumentParser) -> None:
    _cases_and_out(parser)
    parser.add_argument(
        "-n",
        type=count_argument,
        default=100_000,
        help="samples (the maximum with --tolerance; default: 100,000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument(
        "--sampler",
        choices=["sobol", "lhs", "random"],
        default="sobol",
        help="scrambled Sobol' points, Latin hypercube per block, or independent (default: sobol)",
    )
    parser.add_argument(
        "--chunk-size",
        type=count_argument,
        default=None,
        help="samples per unit of work (sampled, sent to a worker and written at once), a "
        "multiple of --block-size; changes no number (default: one block)",
    )
    parser.add_argument(
        "--block-size",
        type=count_argument,
        default=2**14,
        help="samples per seeded block, part of the study's identity (default: 16384)",
    )
    parser.add_argument(
        "--parameters",
        nargs="+",
        default=None,
        metavar="NAME",
        help="sample only these parameters (default: every parameter with a distribution)",
    )
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="zarr store written chunk by chunk; a killed run resumes from it",
    )
    parser.add_argument("--restart", action="store_true", help="start the store afresh")
    dask_arguments(parser)
    parser.add_argument(
        "--tolerance",
        type=float,
        default=None,
        metavar="HALF_WIDTH",
        help="stop once the confidence half-width of the statistic is at most this",
    )
    parser.add_argument(
        "--tolerance-metric", default="npv", help="metric of --tolerance (default: npv)"
    )
    parser.add_argument(
        "--tolerance-statistic", default="mean", help="statistic of --tolerance (default: mean)"
    )
    parser.add_argument(
        "--tolerance-site", default="portfolio", help="site of --tolerance (default: portfolio)"
    )
    parser.add_argument(
        "--relative", action="store_true", help="--tolerance is a fraction of |statistic|"
    )
    parser.add_argument(
        "--debt-quantile",
        type=float,
        default=None,
        metavar="Q",
        help="size the debt on the sample at quantile Q of the portfolio NPV of a sizing study "
        "of 1,024 samples (0.1: a P90 downside; default: on the case as stated)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--summary-csv",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the summary statistics of every case as one CSV table (display units)",
    )
    parser.add_argument(
        "--xlsx",
        type=Path,
        default=None,
        metavar="PATH",
        help="also write the summary statistics as an Excel workbook (.xlsx)",
    )


@contextlib.contextmanager
def dask_client(scheduler: str | None, workers: int | None):
    """The dask client asked for on the command line (None to run in-process)."""
    if scheduler is None and workers is None:
        yield None
        return
    if workers is not None:
        if workers < 1:
            raise InputError(Problem("--workers", "expected a positive number of workers", workers))

        with LocalClusterClient(workers) as client:
            yield client
        return
    from distributed import Client

    try:
        client = Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as error:
        raise InputError(
            Problem(
                "--scheduler",
                f"cannot connect ({error}); expected the address of a running "
                "dask scheduler, e.g. tcp://10.0.0.5:8786",
                scheduler,
            )
        ) from None
    try:
        yield client
    finally:
        client.close()


def _resumed_text(attrs: dict, store: Path | None) -> str:
    """`` (R resumed from STORE)`` when a study took R of its samples from its store."""
    resumed = int(attrs.get("n_resumed", 0))
    return f" ({resumed:,} of them resumed from {store})" if resumed else ""


def dask_arguments(parser: argparse.ArgumentParser) -> None:
    """``--scheduler ADDRESS`` or ``--workers K``: where a command's chunks run
    (:func:`dask_client`); neither changes a number."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--scheduler", default=None, metavar="ADDRESS", help="run on this dask scheduler"
    )
    where.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="K",
        help="run on a local dask cluster of K workers (default: in this process)",
    )


def require_dask(args) -> None:
    """Stop before any work when ``--scheduler`` or ``--workers`` is asked for without the
    ``scale`` extra's dask and distributed."""
    if args.workers is not None:
        require_modules("--workers", "dask", "distributed")
    if args.scheduler is not None:
        require_modules("--scheduler", "dask", "distributed")


def _require_scale_libraries(args) -> None:
    """Stop before any work when an option needs a library of the ``scale`` extra."""
    if args.store is not None:
        require_modules("--store", "zarr", "dask")
    require_dask(args)


def _summary_files(args) -> dict[str, Path]:
    """The summary files asked for (``--summary-csv``, ``--xlsx``), checked before any work."""
    files = {}
    for option, path, suffix in (
        ("--summary-csv", args.summary_csv, ".csv"),
        ("--xlsx", args.xlsx, ".xlsx"),
    ):
        if path is None:
            continue
        checked = check_output_file(path, option)
        if checked.suffix.lower() != suffix:
            raise InputError(Problem(option, f"expected a file name ending in {suffix}", str(path)))
        files[option] = checked
    return files


def _write_summary_files(files: dict[str, Path], summaries: list, quiet: bool) -> None:
    if "--summary-csv" in files:
        write_summary_csv(files["--summary-csv"], summaries)
    if "--xlsx" in files:
        write_summary_xlsx(files["--xlsx"], summaries)
    if files and not quiet:
        print("wrote " + ", ".join(str(path) for path in files.values()))


def command_montecarlo(args) -> int:
    _require_scale_libraries(args)
    summary_files = _summary_files(args)
    summaries = []
    paths = args.cases or bundled_case_paths()
    if args.store is not None and len(paths) != 1:
        raise InputError(
            Problem(
                "--store",
                "expected exactly one CASE with --store (a store holds one study)",
                str(args.store),
            )
        )
    out = check_output_directory(args.out)
    tolerance = None
    if args.tolerance is not None:
        tolerance = Tolerance(
            args.tolerance,
            args.tolerance_metric,
            args.tolerance_statistic,
            args.tolerance_site,
            args.relative,
        )
    cases = [load_case(path) for path in paths]
    quantile = getattr(args, "debt_quantile", None)
    if quantile is not None and not 0.0 <= quantile <= 1.0:
        raise InputError(Problem("--debt-quantile", "expected a quantile in [0, 1]", quantile))
    with dask_client(args.scheduler, args.workers) as client:
        for case in cases:
            started = time.perf_counter()
            debt = None if quantile is None else size_on_quantile(case, quantile, seed=args.seed)
            result = monte_carlo(
                case,
                n=args.n,
                seed=args.seed,
                sampler=args.sampler,
                chunk_size=args.chunk_size,
                block_size=args.block_size,
                parameters=args.parameters,
                store=args.store,
                overwrite=args.restart,
                client=client,
                progress=False if (args.no_progress or args.quiet) else None,
                tolerance=tolerance,
                debt=debt,
            )
            elapsed = time.perf_counter() - started
            # The summary is a table: the portfolio is its last column, as in every table. The
            # samples keep the store's layout (the portfolio's metrics as variables of their own).
            summary = join_portfolio(result.summary, result.portfolio_summary)
            summaries.append(summary)
            written = [write_netcdf(out / f"{case.name}.montecarlo_summary.nc", summary)]
            if args.store is None:
                samples = merged_samples(result.samples, result.portfolio_samples)
                written.append(write_netcdf(out / f"{case.name}.montecarlo_samples.nc", samples))
            if not args.quiet:
                print(conventions_line(case))
                print(montecarlo_text(summary))
                where = f" on {len(client.nthreads())} dask worker(s)" if client is not None else ""
                where += _resumed_text(result.summary.attrs, args.store)
                print(
                    f"  {result.summary.attrs['n']:,} samples in {elapsed:.1f} s{where}; wrote "
                    + ", ".join(str(p) for p in written)
                    + "\n"
                )
    _write_summary_files(summary_files, summaries, args.quiet)
    return EXIT_OK


def tornado_arguments(parser: argparse.ArgumentParser) -> None:
    _cases_and_out(parser)
    _factors(parser)
    parser.add_argument(
        "--quantiles",
        nargs=2,
        type=float,
        default=[0.1, 0.9],
        metavar=("LOW", "HIGH"),
        help="probabilities of each factor's low and high values (default: 0.1 0.9)",
    )


def command_tornado(args) -> int:
    out = check_output_directory(args.out)
    cases = [load_case(path) for path in (args.cases or bundled_case_paths())]
    for case in cases:
        dataset = tornado(
            case,
            factors=args.factors,
            metrics=args.metrics,
            quantiles=tuple(args.quantiles),
            per_site=args.per_site,
        )
        path = write_netcdf(out / f"{case.name}.tornado.nc", dataset)
        if not args.quiet:
            print(conventions_line(case))
            for metric in args.metrics:
                print(tornado_text(dataset, metric))
                print()
            print(f"  wrote {path}\n")
    return EXIT_OK
