"""The ``tecmodel cases`` and ``tecmodel init`` sub-commands: the bundled cases, found by name.

This module owns listing the cases shipped with the package (:mod:`tecmodel.inputs.bundled`)
and writing an editable copy of one to start a new case. The copy keeps every comment and
source of the bundled file; only its ``name:`` line changes, so that its results do not
overwrite those of the case it came from.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from tecmodel.cli.common import EXIT_OK
from tecmodel.errors import InputError, Problem
from tecmodel.inputs.bundled import BUNDLED_CASES, bundled_case_path, bundled_case_paths
from tecmodel.inputs.case import load_case
from tecmodel.io import write_text

#: What a new case's name may hold: it names the case's output folder.
CASE_NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
#: The top-level ``name:`` line of a case file (the first one, before any nested block).
_NAME_LINE = re.compile(r"^name:[^\n]*$", re.MULTILINE)


def cases_table(paths: list[Path]) -> list[str]:
    """One line per case: its name, sites, years and title, aligned in columns.

    Parameters
    ----------
    paths : list of Path
        Case files.
    """
    rows = []
    for path in paths:
        case = load_case(path)
        sites = ", ".join(case.site_names)
        rows.append((case.name, sites, f"{case.start_year}-{case.end_year}", case.title))
    header = ("name", "sites", "years", "title")
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(3)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True))
        + "  "
        + row[3]
        for row in [header, *rows]
    ]


def command_cases(args) -> int:
    """Print the bundled cases and where they are installed."""
    for line in cases_table(bundled_case_paths()):
        print(line)
    print(
        "\nRun one with `tecmodel run NAME` (both with `tecmodel run`); start your own with "
        "`tecmodel init NEW_NAME --from NAME`."
    )
    return EXIT_OK


def cases_arguments(parser: argparse.ArgumentParser) -> None:
    """``tecmodel cases`` takes no arguments."""


def renamed_case_text(text: str, name: str) -> str:
    """The text of a case file with its top-level ``name:`` set to `name` (comments kept).

    Parameters
    ----------
    text : str
        A case file's text.
    name : str
        The new case name.
    """
    if _NAME_LINE.search(text) is None:
        return f"name: {name}\n{text}"
    return _NAME_LINE.sub(f"name: {name}", text, count=1)


def new_case_path(name: str) -> Path:
    """The file ``tecmodel init NAME`` writes: ``NAME.yaml`` (or NAME itself if it ends in .yaml).

    Raises
    ------
    InputError
        If the name cannot name a case or the file exists already.
    """
    path = Path(name if name.endswith((".yaml", ".yml")) else f"{name}.yaml")
    if CASE_NAME_PATTERN.fullmatch(path.stem) is None:
        raise InputError(
            Problem(
                "NAME",
                "expected a case name of letters, digits, '_', '.' and '-' (it names the "
                "case's output folder), e.g. my_campus",
                path.stem,
            )
        )
    if path.exists() or path.is_symlink():
        raise InputError(
            Problem(
                "NAME",
                f"{path} exists already; expected a new file (remove it or choose another name)",
                name,
            )
        )
    if not path.parent.is_dir():
        raise InputError(
            Problem("NAME", f"its folder {str(path.parent)!r} does not exist", str(path))
        )
    return path


def command_init(args) -> int:
    """Write an editable copy of a bundled case (or of any case file) under a new name."""
    path = new_case_path(args.name)
    source = bundled_case_path(args.source) or Path(args.source)
    template = load_case(source)  # a valid case, or one message naming its problems
    text = renamed_case_text(Path(template.file).read_text(encoding="utf-8"), path.stem)
    write_text(path, text)
    try:
        load_case(path)  # the copy is a valid case under its new name
    except BaseException:
        path.unlink()
        raise
    print(
        f"wrote {path}: a copy of {template.name} named {path.stem}; edit it, then "
        f"`tecmodel validate {path}` and `tecmodel run {path}`"
    )
    return EXIT_OK


def init_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``tecmodel init``."""
    parser.add_argument("name", metavar="NAME", help="the new case's name; writes NAME.yaml here")
    parser.add_argument(
        "--from",
        dest="source",
        default=BUNDLED_CASES[0],
        metavar="CASE",
        help=f"a bundled case ({', '.join(BUNDLED_CASES)}) or a case file to copy "
        f"(default: {BUNDLED_CASES[0]})",
    )
