"""The output folders a ``tecmodel`` command names, so that a failed command leaves none behind.

A command checks (and creates) its output folder before the work starts, so that a bad path
fails at once; if the command then fails, the folder it created is removed again, as long as it
is still empty. A folder with files in it (a Monte Carlo store to resume from) is kept.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

#: The options of the sub-commands that name a folder they may create.
FOLDER_OPTIONS: tuple[str, ...] = ("out", "plots")


def new_output_folders(args: argparse.Namespace) -> list[Path]:
    """The output folders named by `args` that do not exist yet (and their missing parents)."""
    folders = []
    for option in FOLDER_OPTIONS:
        value = getattr(args, option, None)
        if value is None:
            continue
        folder = Path(value)
        while not folder.exists() and folder != folder.parent:
            folders.append(folder)
            folder = folder.parent
    return folders


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove each of `folders` that exists and is empty (deepest first); keep any other."""
    for folder in sorted(folders, key=lambda path: len(path.parts), reverse=True):
        with contextlib.suppress(OSError):  # not empty, already gone, or not ours to remove
            folder.rmdir()
