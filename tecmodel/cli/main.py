"""The ``tecmodel`` command.

This module owns the command line: argument parsing, printing, exit codes. Bad input of any
kind (a case file, an option, an output path) prints one message naming the file, the field,
the value and what was expected, and exits with status 2, never a traceback; an unexpected
failure prints one line and exits with status 1 (``--debug`` shows the traceback).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

from tecmodel._version import __version__
from tecmodel.analysis.horizon import horizon_sensitivity
from tecmodel.analysis.montecarlo.study import monte_carlo
from tecmodel.analysis.scenarios import compare, evaluate_scenarios
from tecmodel.analysis.sensitivity.shapley_case import shapley
from tecmodel.analysis.sensitivity.sobol_case import sobol
from tecmodel.analysis.sensitivity.tornado_case import tornado
from tecmodel.cli import cases as cli_cases
from tecmodel.cli import options as cli_options
from tecmodel.cli import uncertainty as cli_uncertainty
from tecmodel.cli import validation as cli_validation
from tecmodel.cli.common import EXIT_FAILURE, EXIT_INPUT, EXIT_OK, Parser, UsageError
from tecmodel.cli.compilation import print_compilation_note
from tecmodel.cli.extras import is_optional_module, missing_extra_error
from tecmodel.cli.outputs import new_output_folders, remove_empty_folders
from tecmodel.errors import InputError, InputWarning, Problem
from tecmodel.inputs.bundled import bundled_case_paths
from tecmodel.inputs.case import load_case
from tecmodel.io import check_output_directory, check_output_file, start_run, write_csv
from tecmodel.model.evaluation import evaluate
from tecmodel.model.outputs import HEADLINE_METRICS
from tecmodel.report.excel import export_excel
from tecmodel.report.figures.files import write_standard_plots
from tecmodel.report.files import write_case_outputs
from tecmodel.report.tables import comparison_table, scenario_table
from tecmodel.report.text import horizon_sensitivity_lines, summary_text


def command_run(args) -> int:
    paths = args.cases or bundled_case_paths()
    out = check_output_directory(args.out)
    cases = [load_case(path) for path in paths]
    names = [case.name for case in cases]
    duplicates = {name for name in names if names.count(name) > 1}
    if duplicates:
        raise InputError(
            f"several cases are named {sorted(duplicates)}; their outputs would overwrite each "
            "other (expected distinct case names)"
        )
    results = []
    for case in cases:
        started = time.perf_counter()
        result = evaluate(case)
        results.append(result)
        scenario_lines, extra_files = _scenario_outputs(case)
        folder = write_case_outputs(result, out / case.name, extra_files=extra_files)
        if not args.quiet:
            print(summary_text(result))
            sensitivity = horizon_sensitivity(case, stated=result)
            print("\n".join(horizon_sensitivity_lines(sensitivity)) + "\n")
            print("\n".join(scenario_lines))
            print(f"  wrote {folder}/ in {time.perf_counter() - started:.2f} s\n")
    if args.report:
        _write_report(results, out / "report.xlsx", out / "plots", args.quiet)
    return EXIT_OK


def _write_report(results, xlsx: Path, plots: Path | None, quiet: bool, **uncertainty) -> None:
    started = time.perf_counter()
    export_excel(results, xlsx, **uncertainty)
    # The figures have no Shapley chart: the workbook's Sensitivity sheet shows the effects.
    charted = {key: value for key, value in uncertainty.items() if key != "shapley"}
    figures = write_standard_plots(results, plots, **charted) if plots is not None else []
    if not quiet:
        where = f" and {len(figures)} figures in {plots}/" if figures else ""
        print(f"wrote {xlsx}{where} in {time.perf_counter() - started:.2f} s")


def command_report(args) -> int:
    xlsx = check_output_file(args.xlsx, "--xlsx")
    if xlsx.suffix.lower() != ".xlsx":
        raise InputError(Problem("--xlsx", "expected a file name ending in .xlsx", str(xlsx)))
    plots = check_output_directory(args.plots) if args.plots is not None else None
    cases = [load_case(path) for path in (args.cases or bundled_case_paths())]
    names = [case.name for case in cases]
    if len(set(names)) != len(names):
        raise InputError(
            f"several cases are named alike in {names}; expected distinct case names (one workbook "
            "holds each case once)"
        )
    uncertainty = {}
    if args.sobol:
        uncertainty["sensitivity"] = [sobol(case, n=args.sobol, seed=args.seed) for case in cases]
        uncertainty["tornado"] = [tornado(case) for case in cases]
    if args.shapley:
        uncertainty["shapley"] = [shapley(case, n=args.shapley, seed=args.seed) for case in cases]
    if args.montecarlo:
        uncertainty["monte_carlo"] = [
            monte_carlo(case, n=args.montecarlo, seed=args.seed, progress=False) for case in cases
        ]
    _write_report([evaluate(case) for case in cases], xlsx, plots, args.quiet, **uncertainty)
    return EXIT_OK


def _report_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cases", nargs="*", type=Path, help="case files (default: both bundled cases)"
    )
    parser.add_argument("--xlsx", type=Path, required=True, help="the workbook to write (.xlsx)")
    parser.add_argument(
        "--plots", type=Path, default=None, help="also write the standard figures (PNG) here"
    )
    parser.add_argument(
        "--sobol",
        type=int,
        default=0,
        metavar="N",
        help="add Sobol' indices (energy price, utilisation, chip cost; base sample size N, a "
        "power of two) and the tornado to the workbook and figures (default: none)",
    )
    parser.add_argument(
        "--shapley",
        type=int,
        default=0,
        metavar="N",
        help="add the Shapley effects of the same three factors, with the case's rank correlations "
        "(N outer samples), beside the Sobol' indices (default: none)",
    )
    parser.add_argument(
        "--montecarlo",
        type=int,
        default=0,
        metavar="N",
        help="add a Monte Carlo study of N samples to the workbook and figures (default: none)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the Sobol' and Monte Carlo samples (default: 0)",
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _scenario_outputs(case):
    """One line per named scenario for the run summary, and a writer of ``scenarios.csv``."""
    if not case.scenarios:
        return [], None

    result = evaluate_scenarios(case, generations=False)
    metrics = result.portfolio
    lines = ["Scenarios (portfolio; `tecmodel scenarios` for the table):"]
    for label in metrics["scenario"].values:
        row = metrics.sel(scenario=label)
        lines.append(
            f"  - {label:<20} NPV EUR {float(row['npv']) / 1e6:>9,.0f} M   IRR {float(row['irr']):7.2%}"
            f"   equity IRR {float(row['equity_irr']):7.2%}   min DSCR {float(row['min_dscr']):5.2f}"
            f"   realised {float(row['realised_gpu_hour_price']):.3f} vs LCOC "
            f"{float(row['lcoc']):.3f} EUR/GPU-h (cushion {float(row['price_cushion']):+.1%})"
        )
    table = metrics[[name for name in HEADLINE_METRICS if name in metrics]].to_dataframe()
    table = table.drop(columns=[c for c in table.columns if c not in HEADLINE_METRICS]).T
    table.index = [f"{name} [{metrics[name].attrs.get('units', '')}]" for name in table.index]

    def extra_files(folder):
        write_csv(folder / "scenarios.csv", table)

    return lines, extra_files


def command_compare(args) -> int:
    paths = args.cases or bundled_case_paths()
    table = compare(*[load_case(path) for path in paths], site=args.site)
    print(
        f"Cases compared at site {args.site!r} (differences against {table.attrs['reference']}):\n"
    )
    print(comparison_table(table).to_string())
    return EXIT_OK


def command_scenarios(args) -> int:
    case = load_case(args.case)
    if not case.scenarios:
        raise InputError(
            f"{args.case}: defines no scenarios (expected a `scenarios:` block; see inputs/base_10b.yaml)"
        )
    result = evaluate_scenarios(case, args.names or None)
    print(
        f"{case.name}: named scenarios at site {args.site!r} (differences against the case as stated):\n"
    )
    for scenario in case.scenarios:
        if not args.names or scenario.name in args.names:
            print(f"  {scenario.name}: {scenario.title}")
    print()
    print(scenario_table(result, site=args.site).to_string())
    return EXIT_OK


def _compare_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cases", nargs="*", type=Path, help="case files (default: both bundled cases)"
    )
    parser.add_argument("--site", default="portfolio", help="site to compare (default: portfolio)")


def _scenarios_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("case", type=Path, help="a case file with a `scenarios:` block")
    parser.add_argument("names", nargs="*", help="scenarios to show (default: all)")
    parser.add_argument("--site", default="portfolio", help="site to show (default: portfolio)")


def _run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "cases", nargs="*", type=Path, help="case files (default: both bundled cases)"
    )
    parser.add_argument(
        "--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "--report",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="also write DIR/report.xlsx and the figures in DIR/plots/ (default: no; "
        "`tecmodel report` writes them with more options)",
    )


#: Sub-commands: name -> (help, add_arguments, handler). Argument definitions live here (cheap);
#: handlers import what they need when they run, so `tecmodel --help` loads no heavy library.
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable]] = {
    "run": (
        "evaluate cases; print the summary; write <out>/<case>/ files",
        _run_arguments,
        command_run,
    ),
    "validate": (
        "check case files and report every problem of every file",
        cli_validation.validate_arguments,
        cli_validation.command_validate,
    ),
    # The bundled cases: tecmodel/cli/cases.py.
    "cases": (
        "list the bundled cases (name, sites, years, title)",
        cli_cases.cases_arguments,
        cli_cases.command_cases,
    ),
    "init": (
        "write an editable copy of a bundled case to start a new one",
        cli_cases.init_arguments,
        cli_cases.command_init,
    ),
    "report": (
        "write the live Excel report (and optionally the figures) of cases",
        _report_arguments,
        command_report,
    ),
    # The uncertainty analyses: tecmodel/cli/uncertainty.py.
    "sobol": (
        "Sobol' sensitivity indices of NPV, IRR, LCOC (SALib); write <out>/<case>.sobol.nc",
        cli_uncertainty.sobol_arguments,
        cli_uncertainty.command_sobol,
    ),
    "shapley": (
        "Shapley effects of NPV with the case's rank correlations, beside Sobol' S1/ST; "
        "write <out>/<case>.shapley.nc",
        cli_uncertainty.shapley_arguments,
        cli_uncertainty.command_shapley,
    ),
    "montecarlo": (
        "Monte Carlo study: summary with confidence intervals; chunked, resumable, dask-ready",
        cli_uncertainty.montecarlo_arguments,
        cli_uncertainty.command_montecarlo,
    ),
    "tornado": (
        "one-at-a-time low/high sensitivities of the headline metrics",
        cli_uncertainty.tornado_arguments,
        cli_uncertainty.command_tornado,
    ),
    "options": (
        "a case's decisions (e.g. a second site) valued as real options by least-squares "
        "Monte Carlo on its price paths",
        cli_options.options_arguments,
        cli_options.command_options,
    ),
    "compare": (
        "cases side by side with absolute and relative differences",
        _compare_arguments,
        command_compare,
    ),
    "scenarios": (
        "a case's named what-if scenarios in one vectorised run",
        _scenarios_arguments,
        command_scenarios,
    ),
}


#: Sub-commands that never evaluate the model (no compiled kernel runs).
QUICK_COMMANDS = frozenset({"validate", "cases", "init"})


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="tecmodel", description="Techno-economic model of gigawatt-scale AI compute campuses."
    )
    parser.add_argument("--version", action="version", version=f"tecmodel {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    subparsers.required = True
    for name, (help_text, add_arguments, handler) in COMMANDS.items():
        sub = subparsers.add_parser(name, help=help_text, description=help_text)
        add_arguments(sub)
        sub.set_defaults(handler=handler)
    return parser


def _print_input_warnings(caught: list[warnings.WarningMessage]) -> None:
    """Input warnings as one plain line each on stderr (other warnings as Python shows them)."""
    for warning in caught:
        if issubclass(warning.category, InputWarning):
            print(f"warning: {warning.message}", file=sys.stderr)
        else:
            sys.stderr.write(
                warnings.formatwarning(
                    warning.message,
                    warning.category,
                    warning.filename,
                    warning.lineno,
                    warning.line,
                )
            )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``tecmodel`` console script; returns the exit status."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    created: list[Path] = []
    try:
        args = build_parser().parse_args(argv)
        start_run()  # one run id for every file this command writes (tecmodel/io.py)
        created = new_output_folders(args)
        if args.command not in QUICK_COMMANDS and not getattr(args, "quiet", False):
            print_compilation_note()
        status = _run_handler(args)
    except UsageError as error:
        print(error.usage_text(), file=sys.stderr)
        status = EXIT_INPUT
    except InputError as error:
        print(f"error: {error}", file=sys.stderr)
        status = EXIT_INPUT
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        status = 130
    except Exception as error:  # noqa: BLE001 - the CLI never shows a traceback unless asked
        if isinstance(error, ModuleNotFoundError) and is_optional_module(error.name):
            print(f"error: {missing_extra_error(error.name)}", file=sys.stderr)
            return _failed(EXIT_INPUT, created)
        if debug:
            raise
        print(
            f"internal error: {type(error).__name__}: {error} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        status = EXIT_FAILURE
    return _failed(status, created) if status != EXIT_OK else status


def _failed(status: int, created: list[Path]) -> int:
    """Exit status `status` of a failed command, after removing the empty folders it created."""
    remove_empty_folders(created)
    return status


def _run_handler(args) -> int:
    """Run the sub-command, printing the input warnings it raised, one line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        try:
            return args.handler(args)
        finally:
            _print_input_warnings(caught)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
