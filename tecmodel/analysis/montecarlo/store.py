"""Where a Monte Carlo study's per-sample results go: memory, or a resumable zarr store.

This module owns the sinks and the study's identity. With a store every finished chunk is
written to zarr (one zarr chunk per block, written atomically by zarr >= 3.1.3) and only then
marked done in the store's ``block_done`` array, so a killed study resumes with the blocks not
yet marked. A store is tied to the study that made it by a fingerprint (:func:`study_fingerprint`):
the case, the sampling arguments, the package version and a hash of the code that computes the
stored numbers (:func:`model_fingerprint`). A store made by another study is refused unless
overwritten, and a folder that is not a tecmodel store is never overwritten. A new store is
created whole in a temporary folder and renamed into place (:func:`tecmodel.io.atomic_directory`).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from tecmodel._version import __version__
from tecmodel.analysis.montecarlo.layout import (
    EVENT_METRICS,
    PATH_PREFIX,
    PORTFOLIO_PREFIX,
    SUMMARY_METRICS,
    YEARLY_DTYPE,
    Layout,
    fill_value,
    layout_dataset,
    split_samples,
)
from tecmodel.analysis.sampling import SamplingPlan, block_bounds
from tecmodel.errors import InputError, Problem
from tecmodel.io import atomic_directory

STORE_FORMAT = 1

#: The package folder: the fingerprint reads the model code under it.
PACKAGE_ROOT = Path(__file__).resolve().parents[2]
#: The code that computes a study's stored numbers, as globs under the package folder: the
#: arithmetic, the inputs (registry, units, distributions, case files), the model, the sampling
#: and this package. Whole folders, so a module added there counts without being listed; reports,
#: figures, the command line and the other analyses are outside, so editing them never
#: invalidates a resumable store.
MODEL_SOURCES: tuple[str, ...] = (
    "numerics/**/*.py",
    "inputs/**/*.py",
    "model/**/*.py",
    "analysis/sampling.py",
    "analysis/montecarlo/**/*.py",
)


def model_files(root: Path | None = None) -> list[Path]:
    """The files of :data:`MODEL_SOURCES` under `root` (default :data:`PACKAGE_ROOT`), sorted."""
    root = Path(PACKAGE_ROOT if root is None else root)
    return sorted({path for pattern in MODEL_SOURCES for path in root.glob(pattern)})


def model_fingerprint(root: Path | None = None) -> str:
    """SHA-256 of the code that computes a study's numbers: the files of :data:`MODEL_SOURCES`,
    each with its path relative to `root` (default :data:`PACKAGE_ROOT`)."""
    root = Path(PACKAGE_ROOT if root is None else root)
    digest = hashlib.sha256()
    for path in model_files(root):
        digest.update(
            path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0"
        )
    return digest.hexdigest()


def study_fingerprint(
    plan: SamplingPlan,
    n: int,
    seed: int,
    sampler: str,
    block_size: int,
    paths: bool = True,
    debt: str = "",
) -> dict[str, Any]:
    """Everything that decides a study's numbers (chunking, workers and tolerance do not);
    `debt` says how the debt was sized when not on the case as stated."""
    case = plan.case
    case_text = json.dumps(case.raw, sort_keys=True, default=str)
    extra = {"debt_sizing": debt} if debt else {}
    return {
        **extra,
        "format": STORE_FORMAT,
        "tecmodel_version": __version__,
        "model_sha256": model_fingerprint(),
        "case": case.name,
        "case_sha256": hashlib.sha256(case_text.encode("utf-8")).hexdigest(),
        "n": n,
        "seed": seed,
        "sampler": sampler,
        "block_size": block_size,
        "columns": [column.label for column in plan.columns],
        "paths": bool(paths and case.markets.processes is not None),
    }


#: Draws the simulated paths of samples [start, stop) again: process name -> (year, samples)
#: [the process's unit] (:func:`tecmodel.analysis.montecarlo.execution.process_paths`).
PathDraw = Callable[[int, int], Mapping[str, np.ndarray]]


class MemorySink:
    """Per-sample results held in memory (no store).

    The simulated paths are not held while the study runs: the seed decides them, so
    :meth:`paths` draws them again, block by block, once the evaluation's working memory is
    free (at 10^6 samples they are 80 MB per process).
    """

    def __init__(self, layout: Layout):
        self.layout = layout
        self.arrays = {
            name: np.full(layout.shape(dims), fill_value(dtype), dtype=dtype)
            for name, (dims, _, dtype) in layout.variables.items()
            if name not in layout.paths
        }

    def done_blocks(self) -> set[int]:
        return set()

    def write(self, blocks: Sequence[int], output: Mapping[str, np.ndarray]) -> None:
        start, stop = self.layout.sample_range(blocks)
        for name, array in self.arrays.items():
            array[start:stop] = output[name]

    def column(self, metric: str, site: str, stop: int) -> np.ndarray:
        name, index = self.layout.column(metric, site)
        return self.arrays[name][:stop] if index is None else self.arrays[name][:stop, index]

    def dataset(self, stop: int) -> xr.Dataset:
        """Every per-sample variable of the first `stop` samples but the paths."""
        return layout_dataset(
            self.layout.restricted(list(self.arrays)),
            {name: array[:stop] for name, array in self.arrays.items()},
            stop,
        )

    def paths(self, stop: int, draw: PathDraw) -> xr.Dataset:
        """The simulated paths of the first `stop` samples over sample x year, drawn again block
        by block and stored in :data:`YEARLY_DTYPE` (the bits the evaluation's copy had)."""
        names = self.layout.paths
        arrays = {
            name: np.empty((stop, len(self.layout.years)), dtype=YEARLY_DTYPE) for name in names
        }
        for start in range(0, stop, self.layout.block_size):
            end = min(start + self.layout.block_size, stop)
            for process, values in draw(start, end).items():
                arrays[PATH_PREFIX + process][start:end] = values.T.astype(YEARLY_DTYPE)
        return layout_dataset(self.layout.restricted(names), arrays, stop)

    def metrics(self, stop: int) -> tuple[xr.Dataset, xr.Dataset]:
        """The summarised metrics of the first `stop` samples (in memory): the sites' (over
        sample x site) and the portfolio's (over sample), views of the held arrays."""
        names = SUMMARY_METRICS + EVENT_METRICS
        stored = names + tuple(PORTFOLIO_PREFIX + name for name in names)
        samples = layout_dataset(
            self.layout.restricted(stored),
            {name: self.arrays[name][:stop] for name in stored},
            stop,
        )
        return split_samples(samples)


class ZarrSink(MemorySink):
    """Per-sample results written to a zarr store block by block.

    Memory does not grow with ``n``: nothing per sample stays in memory but the metric a
    tolerance watches (8 bytes per sample); the summary reads the store one metric at a time
    and the samples of the result are read lazily from it.
    """

    def __init__(self, layout: Layout, group, path: Path, watched: str | None = None):
        self.layout = layout
        self.group = group
        self.path = path
        self.arrays = {} if watched is None else {watched: np.asarray(group[watched][...])}
        self._done = {int(b) for b in np.flatnonzero(np.asarray(group["block_done"][...]))}

    def metrics(self, stop: int) -> tuple[xr.Dataset, xr.Dataset]:
        """The summarised metrics of the first `stop` samples, read lazily from the store: the
        sites' and the portfolio's."""
        names = SUMMARY_METRICS + EVENT_METRICS
        return split_samples(
            self.dataset(stop)[[*names, *(PORTFOLIO_PREFIX + name for name in names)]]
        )

    @classmethod
    def open(
        cls,
        path: Path,
        layout: Layout,
        fingerprint: dict[str, Any],
        overwrite: bool,
        watched: str | None = None,
    ) -> ZarrSink:
        import zarr

        existing = read_fingerprint(path)
        if existing is not None and existing != fingerprint and not overwrite:
            differences = [
                f"{key}: stored {existing.get(key)!r}, now {fingerprint.get(key)!r}"
                for key in fingerprint
                if existing.get(key) != fingerprint.get(key)
            ]
            raise InputError(
                Problem(
                    "store",
                    "was made by another study ("
                    + "; ".join(differences)[:400]
                    + "); expected the same case, n, seed, sampler, block size, "
                    "parameters and model version to resume, or overwrite=True "
                    "(--restart) to replace it",
                    str(path),
                )
            )
        if existing is None or existing != fingerprint or overwrite:
            create_store(path, layout, fingerprint)
        return cls(layout, zarr.open_group(str(path), mode="r+"), path, watched)

    def done_blocks(self) -> set[int]:
        return set(self._done)

    def dataset(self, stop: int) -> xr.Dataset:
        """The store's per-sample variables of the first `stop` samples, loaded lazily (dask)."""
        stored = xr.open_zarr(self.path, consolidated=False)
        samples = stored[list(self.layout.variables)].isel(sample=slice(0, stop))
        samples = samples.assign_coords(sample=np.arange(stop), site=list(self.layout.sites))
        if "year" in samples.dims:
            samples = samples.assign_coords(year=list(self.layout.years))
        samples.attrs = {}
        return samples

    def paths(self, stop: int, draw: PathDraw) -> xr.Dataset:
        """The stored paths of the first `stop` samples, read lazily."""
        return self.dataset(stop)[list(self.layout.paths)]

    def write(self, blocks: Sequence[int], output: Mapping[str, np.ndarray]) -> None:
        super().write(blocks, output)
        start, stop = self.layout.sample_range(blocks)
        for name, values in output.items():
            self.group[name][start:stop] = values
        # Marked done only after every variable of the blocks is written (each zarr chunk write
        # is atomic): a kill in between leaves the blocks to be evaluated again.
        self.group["block_done"][blocks[0] : blocks[-1] + 1] = 1
        self._done.update(blocks)


def read_fingerprint(path: Path) -> dict[str, Any] | None:
    """The stored study's fingerprint; None if nothing is there; InputError if it is not a store."""
    if not path.exists():
        if not path.parent.is_dir():
            raise InputError(
                Problem(
                    "store",
                    f"its folder {str(path.parent)!r} does not exist; "
                    "expected a path in an existing folder",
                    str(path),
                )
            )
        return None
    metadata = path / "zarr.json"
    try:
        stored = json.loads(metadata.read_text(encoding="utf-8")).get("attributes", {})
        fingerprint = stored["tecmodel_study"]
    except (OSError, ValueError, KeyError, AttributeError):
        raise InputError(
            Problem(
                "store",
                "exists and is not a tecmodel Monte Carlo store (it is never "
                "overwritten); expected a new path or a store written by "
                "`tecmodel montecarlo`",
                str(path),
            )
        ) from None
    return fingerprint


def create_store(path: Path, layout: Layout, fingerprint: dict[str, Any]) -> None:
    """Create the empty store in a temporary folder and swap it in whole."""
    import zarr

    with atomic_directory(path) as temporary:
        group = zarr.open_group(str(temporary), mode="w", zarr_format=3)
        group.attrs["tecmodel_study"] = fingerprint
        group.create_array("site", shape=(len(layout.sites),), dtype=str, dimension_names=["site"])[
            :
        ] = np.array(layout.sites)
        for name, (dims, _, dtype) in layout.variables.items():
            shape = layout.shape(dims)
            group.create_array(
                name,
                shape=shape,
                chunks=(layout.block_size,) + shape[1:],
                dtype=dtype,
                fill_value=fill_value(dtype),
                dimension_names=list(dims),
                attributes=layout.attributes(name),
            )
        blocks = len(block_bounds(layout.n, layout.block_size))
        group.create_array(
            "block_done",
            shape=(blocks,),
            chunks=(1,),
            dtype="u1",
            fill_value=0,
            dimension_names=["block"],
            attributes={"units": "1"},
        )
        consolidate_layout(temporary)


def consolidate_layout(path: Path) -> None:
    """Write the store's consolidated metadata, so that ``xr.open_zarr(path)`` reads it in one go.

    The arrays' metadata never changes after creation (chunks are written, shapes are fixed), so
    the consolidated copy stays true for the life of the store. zarr warns that consolidated
    metadata is not yet part of the format 3 specification; xarray and zarr-python read it, and
    without it ``xr.open_zarr`` warns on every open, so that one warning is silenced here.
    """
    import zarr

    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Consolidated metadata is currently not part", category=UserWarning
        )
        zarr.consolidate_metadata(str(path))
