"""Writing results to disk without ever leaving a half-written or mixed result behind.

This module owns every file the package writes. Each file is written under a temporary name in
its destination folder and renamed into place (``os.replace`` is atomic on POSIX), so a crash
or a kill during a write leaves the previous file intact. A case's output folder is assembled
in a temporary sibling folder and swapped in as a whole, so a second run into the same folder
replaces that case's results consistently (never a mix of old and new files). Every file of a
run carries the run's id (:func:`run_id`: the case manifests, the workbook's Cover sheet, the
figures' PNG metadata), so the files of one run can be told from another's.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tecmodel.errors import InputError, Problem

_RUN_ID: list[str] = []


def start_run() -> str:
    """Start a new run and return its id (the command line calls it once per command)."""
    _RUN_ID[:] = [uuid.uuid4().hex]
    return _RUN_ID[0]


def run_id() -> str:
    """Id of the current run (32 hex digits), written into every manifest, workbook and figure."""
    return _RUN_ID[0] if _RUN_ID else start_run()


def check_output_directory(path: str | Path, *, create: bool = True) -> Path:
    """Check that results can be written into `path` (creating it if its parent exists).

    Raises
    ------
    InputError
        If the parent folder does not exist, the path is a file, or it is not writable.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise InputError(
            Problem("--out", "is a file; expected a folder for the results", str(path))
        )
    if not path.exists():
        if not path.parent.exists():
            raise InputError(
                Problem(
                    "--out",
                    f"its parent folder {str(path.parent)!r} does not exist; "
                    "expected a folder in an existing directory",
                    str(path),
                )
            )
        if create:
            try:
                path.mkdir()
            except OSError as error:
                raise InputError(
                    Problem(
                        "--out",
                        f"cannot be created ({error.strerror}); expected a writable folder",
                        str(path),
                    )
                ) from None
    probe_dir = path if path.exists() else path.parent
    if not os.access(probe_dir, os.W_OK | os.X_OK):
        raise InputError(Problem("--out", "is not writable; expected a writable folder", str(path)))
    return path


def check_output_file(path: str | Path, option: str = "--xlsx") -> Path:
    """Check that a file can be written at `path` (its folder exists and is writable)."""
    path = Path(path)
    if path.is_dir():
        raise InputError(Problem(option, "is a folder; expected a file path", str(path)))
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(
            Problem(
                option,
                f"its folder {str(folder)!r} does not exist; expected a path in an existing folder",
                str(path),
            )
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(Problem(option, f"its folder {str(folder)!r} is not writable", str(path)))
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds.

    On any exception the temporary file is removed and `path` is left as it was.

    Examples
    --------
    >>> with atomic_path(target) as temporary:        # doctest: +SKIP
    ...     dataset.to_netcdf(temporary)
    """
    path = Path(path)
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as temporary:
        temporary.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | Path, payload: Any) -> Path:
    """Write JSON atomically (indented, keys in insertion order)."""
    return write_text(path, json.dumps(payload, indent=2, default=str) + "\n")


def write_csv(path: str | Path, frame) -> Path:
    """Write a pandas DataFrame as CSV atomically."""
    with atomic_path(path) as temporary:
        frame.to_csv(temporary)
    return Path(path)


#: CF-style attributes of the coordinates the package writes: ``long_name``, ``units`` for a
#: number (a calendar year is a label in years, not a time since an epoch), ``standard_name``
#: where the CF table has one (none of these has). A coordinate not listed gets a
#: ``long_name`` from its name (:func:`coordinate_attributes`).
COORDINATE_ATTRIBUTES: dict[str, dict[str, str]] = {
    "year": {"long_name": "Calendar year (cash flows at its end)", "units": "year"},
    "site": {"long_name": "Site (or 'portfolio': the sum of the sites)"},
    "sample": {"long_name": "Sample number of the Monte Carlo study", "units": "1"},
    "item": {"long_name": "Cash-flow line item"},
    "financing_item": {"long_name": "Financing cash-flow row"},
    "label": {"long_name": "Line item label"},
    "financing_label": {"long_name": "Financing row label"},
    "category": {"long_name": "Category of the line item"},
    "component": {"long_name": "Component module that produces the line item"},
    "asset_class": {"long_name": "Asset class for tax depreciation"},
    "tranche": {"long_name": "Debt tranche"},
    "metric": {"long_name": "Output metric (see the table of outputs)"},
    "statistic": {"long_name": "Summary statistic over the samples"},
    "factor": {"long_name": "Input factor of the sensitivity analysis"},
    "factor_2": {"long_name": "Second input factor of a second-order Sobol' index"},
    "units": {"long_name": "Units of the metric"},
    "squared_units": {"long_name": "Units of the metric's variance"},
    "factor_units": {"long_name": "Units of the factor's low and high values"},
    "scenario": {"long_name": "Named what-if scenario"},
    "case": {"long_name": "Case"},
    "phase": {"long_name": "Build-out phase", "units": "1"},
    "quantile": {"long_name": "Probability of the factor's low or high value", "units": "1"},
}


def coordinate_attributes(name: str, is_number: bool) -> dict[str, str]:
    """The CF-style attributes of a coordinate (declared, or a ``long_name`` from its name).

    Examples
    --------
    >>> coordinate_attributes("year", True)["units"]
    'year'
    >>> coordinate_attributes("sobol_size", True)
    {'long_name': 'Sobol size', 'units': '1'}
    """
    attributes = dict(COORDINATE_ATTRIBUTES.get(name, {}))
    attributes.setdefault("long_name", name.replace("_", " ").capitalize())
    if is_number:
        attributes.setdefault("units", "1")
    return attributes


def with_coordinate_attributes(dataset):
    """A shallow copy of `dataset` whose coordinates carry CF-style attributes (those a
    coordinate has already are kept)."""
    dataset = dataset.copy(deep=False)
    for name, coordinate in dataset.coords.items():
        is_number = coordinate.dtype.kind in "iuf"
        dataset[name].attrs = {**coordinate_attributes(str(name), is_number), **coordinate.attrs}
    return dataset


def write_netcdf(path: str | Path, dataset) -> Path:
    """Write an xarray Dataset or DataArray as netCDF-4 atomically, every coordinate described
    (:func:`with_coordinate_attributes`)."""
    dataset = with_coordinate_attributes(dataset)
    with atomic_path(path) as temporary:
        dataset.to_netcdf(temporary, engine="netcdf4")
    return Path(path)


@contextlib.contextmanager
def atomic_directory(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder beside `path`; swap it in for `path` if the block succeeds.

    The previous folder (if any) is removed only after the new one is in place; on failure the
    temporary folder is removed and the previous one is untouched.
    """
    path = Path(path)
    temporary = Path(tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent))
    try:
        yield temporary
        os.chmod(temporary, 0o755)
        previous = None
        if path.exists():
            previous = Path(
                tempfile.mkdtemp(prefix=f".{path.name}.", suffix=".old", dir=path.parent)
            )
            previous.rmdir()
            os.replace(path, previous)
        os.replace(temporary, path)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
