"""A note before the model's numerical kernels are compiled for the first time.

The tax, loan and IRR loops are compiled by numba on their first use and kept in numba's
on-disk cache; the first run after installing (or after an upgrade) spends some 20-30 s
compiling, later runs load them in a fraction of a second. This module owns telling the user so
on the terminal, before a command that evaluates the model starts: it looks for numba's cache index of
each kernel (``<module>.<function>-<line>.py<version>.nbi``, beside the module or under
``NUMBA_CACHE_DIR`` / numba's user-wide cache) newer than the module's source.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from tecmodel.model import tax_kernels, tranches
from tecmodel.numerics.irr import kernel as irr_kernel

#: The compiled kernels whose cache is looked for: the tax schedule and break-even, the loan
#: schedules and the IRR solver.
KERNELS: tuple[Callable, ...] = (
    tax_kernels._tax_schedule,
    tax_kernels._breakeven,
    tranches._tranche_schedules,
    irr_kernel._solve_tiles,
)
#: The note printed before the first compilation.
NOTE = (
    "note: compiling the model's numerical kernels (numba) for the first time: about 20-30 s, "
    "once; later runs load them from numba's cache"
)


def cache_index_name(function: Callable) -> str:
    """The file name of numba's cache index of `function`, e.g. ``kernel._solve_tiles-516.py311.nbi``."""
    module = Path(function.__code__.co_filename).stem
    line = function.__code__.co_firstlineno
    version = f"{sys.version_info.major}{sys.version_info.minor}"
    return f"{module}.{function.__qualname__}-{line}.py{version}.nbi"


def cache_folders(source: Path) -> list[Path]:
    """Folders where numba may keep the cache of a function defined in `source`."""
    folders = [source.parent / "__pycache__"]
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        folders.append(Path(configured))
    folders.append(Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "numba")
    return folders


def _found(name: str, folders: Iterable[Path], newer_than: float) -> bool:
    for folder in folders:
        if not folder.is_dir():
            continue
        candidates = [folder / name] if folder.name == "__pycache__" else folder.rglob(name)
        for candidate in candidates:
            if candidate.is_file() and candidate.stat().st_mtime >= newer_than:
                return True
    return False


def kernels_cached(kernels: Iterable[Callable] = KERNELS) -> bool:
    """Whether numba's on-disk cache holds every kernel, newer than its source."""
    for function in kernels:
        source = Path(function.__code__.co_filename)
        if not _found(cache_index_name(function), cache_folders(source), source.stat().st_mtime):
            return False
    return True


def print_compilation_note() -> None:
    """Print :data:`NOTE` on a terminal's stderr if the kernels are not in numba's cache yet.

    Only on a terminal, where someone waits for the command: a log or a caller parsing the
    error stream gets the errors alone.
    """
    if sys.stderr.isatty() and not kernels_cached():
        print(NOTE, file=sys.stderr, flush=True)
