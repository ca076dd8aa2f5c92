"""Optional libraries of the ``tecmodel`` command: which extra installs each, and one line when
one is missing.

This module owns the message a user sees when an option needs a library that the plain
``pip install tecmodel`` does not bring (a zarr store, a dask cluster): the option, the missing
library and the command that installs it, with exit status 2 like any other bad input.
"""

from __future__ import annotations

import importlib.util

from tecmodel.errors import InputError

#: Top-level module -> the extra of ``pyproject.toml`` that installs it.
OPTIONAL_MODULES: dict[str, str] = {"zarr": "scale", "dask": "scale", "distributed": "scale"}


def install_command(extra: str) -> str:
    """The shell command that installs an extra of the package, e.g. ``pip install "tecmodel[scale]"``."""
    return f'pip install "tecmodel[{extra}]"'


def missing_extra_error(module: str, option: str | None = None) -> InputError:
    """The one-line error for a missing optional library.

    Parameters
    ----------
    module : str
        The module that cannot be imported (``zarr``, ``dask.distributed``...).
    option : str, optional
        The command-line option that needs it (``--store``).
    """
    root = module.split(".")[0]
    extra = OPTIONAL_MODULES.get(root, "scale")
    needs = f"{option} needs" if option else "this command needs"
    return InputError(
        f"{needs} the optional library {root!r}, which is not installed; install it with "
        f"{install_command(extra)}"
    )


def is_optional_module(module: str | None) -> bool:
    """Whether `module` (as ``ModuleNotFoundError.name`` gives it) belongs to an extra."""
    return module is not None and module.split(".")[0] in OPTIONAL_MODULES


def require_modules(option: str, *modules: str) -> None:
    """Check that the optional `modules` are installed before `option` starts any work.

    Raises
    ------
    InputError
        Naming the option, the first missing module and the command that installs it.
    """
    for module in modules:
        if importlib.util.find_spec(module) is None:
            raise missing_extra_error(module, option)


__all__ = [
    "OPTIONAL_MODULES",
    "install_command",
    "is_optional_module",
    "missing_extra_error",
    "require_modules",
]
