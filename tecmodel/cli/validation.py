"""The ``tecmodel validate`` sub-command: every problem of every case file, in one pass.

This module owns checking several case files at once: each file is read and checked whole
(:func:`tecmodel.inputs.case.load_case` collects every problem of a file before it raises), the
problems of all files are printed, and the exit status is 2 if any file has one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tecmodel.cli.common import EXIT_INPUT, EXIT_OK
from tecmodel.errors import InputError
from tecmodel.inputs.case import load_case


def validate_file(path: str | Path) -> tuple[str, list[str]]:
    """Check one case file.

    Parameters
    ----------
    path : str or Path
        A case file or a bundled case's name.

    Returns
    -------
    tuple of (str, list of str)
        The line to print when the file is valid (empty if it is not), and one line per problem.
    """
    try:
        case = load_case(path)
    except InputError as error:
        rendered = [problem.render(error.file) for problem in error.problems]
        return "", rendered
    sites = f"{len(case.sites)} site{'s' if len(case.sites) != 1 else ''}"
    return f"{path}: OK ({case.name}: {sites}, {case.start_year}-{case.end_year})", []


def command_validate(args) -> int:
    """Check every file; print each valid file's summary and every problem of the others."""
    failed = 0
    problems = 0
    for path in args.cases:
        summary, lines = validate_file(path)
        if summary:
            print(summary)
            continue
        failed += 1
        problems += len(lines)
        for line in lines:
            print(f"error: {line}", file=sys.stderr)
    if failed:
        print(
            f"{problems} problem{'s' if problems != 1 else ''} in {failed} of "
            f"{len(args.cases)} file{'s' if len(args.cases) != 1 else ''}",
            file=sys.stderr,
        )
        return EXIT_INPUT
    return EXIT_OK


def validate_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tecmodel validate``."""
    parser.add_argument(
        "cases", nargs="+", type=Path, help="case files (or bundled case names) to check"
    )
