"""The ``tecmodel options`` command: a case's decisions valued as real options, printed as a
table with the answer in words, and written as ``<out>/<case>.options.nc``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tecmodel.analysis.options.study import real_options
from tecmodel.cli.common import EXIT_OK
from tecmodel.cli.uncertainty import count_argument, dask_arguments, dask_client, require_dask
from tecmodel.inputs.case import load_case
from tecmodel.io import check_output_directory, write_netcdf
from tecmodel.report.options import answer_sentence, options_table


def options_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "case", type=Path, help="a case file or a bundled case's name (it must declare decisions)"
    )
    parser.add_argument(
        "-n",
        "--n",
        dest="n",
        type=count_argument,
        default=10_000,
        help="valuation paths, and as many regression paths (default: 10,000)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed (default: 0)")
    parser.add_argument(
        "--out", type=Path, default=Path("outputs"), help="output folder (default: outputs)"
    )
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument(
        "--decision",
        nargs="+",
        default=None,
        help="the decisions to value, by name (default: every decision of the case)",
    )
    parser.add_argument(
        "--chunk-size",
        type=count_argument,
        default=2048,
        help="paths per model call; changes no number (default: 2048)",
    )
    dask_arguments(parser)


def command_options(args) -> int:
    require_dask(args)
    case = load_case(args.case)
    out = check_output_directory(args.out)
    started = time.perf_counter()
    with dask_client(args.scheduler, args.workers) as client:
        dataset = real_options(
            case,
            n=args.n,
            seed=args.seed,
            decisions=args.decision,
            chunk_size=args.chunk_size,
            client=client,
        )
    elapsed = time.perf_counter() - started
    path = write_netcdf(out / f"{case.name}.options.nc", dataset)
    if not args.quiet:
        print(options_table(dataset))
        print()
        for decision in dataset["decision"].values:
            print(answer_sentence(dataset, str(decision)))
        print(f"\n  wrote {path} in {elapsed:.1f} s")
    return EXIT_OK
