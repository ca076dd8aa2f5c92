"""Keep xarray from importing dask, pint and dask.distributed for plain numpy data.

xarray asks "is this a dask / pint / cupy / sparse / cubed array?" whenever it wraps data, and
answers by importing each of those libraries that is installed: about 0.8 s of a cold
``tecmodel run`` (dask.array 0.3 s, pint 0.5 s on the reference machine), for arrays that are
plain numpy. An object of one of those types can only exist once its library has been imported,
so the answer "no such array type" is exact until then. This module installs, in xarray's cache
of duck-array modules, entries that import nothing and give the real type as soon as the library
is in ``sys.modules``. Dask-backed and pint-backed arrays keep working (tested in
``tests/test_xarray_imports.py``). If xarray's internals change shape, nothing is installed and
xarray behaves as before.

Writing netCDF, xarray also asks which dask scheduler is active, and the question imports
``distributed`` (0.66 s of a cold ``tecmodel run``): dask's own lookup and xarray's check for a
``Client`` both import it. No distributed ``Client`` can exist before ``distributed`` is
imported, so until then :func:`defer_distributed_import` answers as xarray would with no client:
the configured scheduler's name if one is configured, else ``"threaded"`` (a test compares the
two answers).
"""

from __future__ import annotations

import sys

#: xarray's duck-array module name -> the module whose import creates the array type.
_DEFINING_MODULE = {"dask": "dask.array", "pint": "pint", "cupy": "cupy", "sparse": "sparse",
                    "cubed": "cubed"}


class _DeferredDuckArrayModule:
    """Stand-in for ``xarray.namedarray.pycompat.DuckArrayModule`` that imports nothing.

    Until the defining module is imported no array can be of its type, so ``type`` is ``()``;
    afterwards every attribute comes from the real ``DuckArrayModule``.
    """

    def __init__(self, name: str, real_class: type) -> None:
        self._name = name
        self._real_class = real_class
        self._real = None

    def _resolved(self):
        if self._real is None and _DEFINING_MODULE[self._name] in sys.modules:
            self._real = self._real_class(self._name)
        return self._real

    @property
    def type(self) -> tuple:
        real = self._resolved()
        return () if real is None else real.type

    def __getattr__(self, attribute: str):
        # module, version, available: only asked for once an array of the type was seen,
        # or by code that wants the library anyway; resolve for real then.
        real = self._resolved() or self._real_class(self._name)
        self._real = real
        return getattr(real, attribute)


def defer_duck_array_imports() -> bool:
    """Install the deferred entries in xarray's cache; True when installed."""
    try:
        from xarray.namedarray import pycompat
        cache = pycompat._cached_duck_array_modules
        real_class = pycompat.DuckArrayModule
    except (ImportError, AttributeError):  # pragma: no cover - another xarray layout
        return False
    if not isinstance(cache, dict):  # pragma: no cover
        return False
    for name in _DEFINING_MODULE:
        if name not in cache and _DEFINING_MODULE[name] not in sys.modules:
            cache[name] = _DeferredDuckArrayModule(name, real_class)
    return True


def _scheduler_name_without_distributed():
    """xarray's answer to "which dask scheduler is active?" while ``distributed`` is not imported.

    Returns None (no dask), or defers to xarray's own lookup when a scheduler is configured.
    """
    try:
        import dask
    except ImportError:  # pragma: no cover - dask is optional
        return None
    if dask.config.get("scheduler", None) is not None or dask.config.get("get", None) is not None:
        return _REAL_SCHEDULER_LOOKUP()
    return "threaded"


_REAL_SCHEDULER_LOOKUP = None


def defer_distributed_import() -> bool:
    """Install the lookup above in xarray's netCDF writer and write lock; True when installed."""
    global _REAL_SCHEDULER_LOOKUP
    try:
        from xarray.backends import locks, writers
        real = locks.get_dask_scheduler
        if writers.get_dask_scheduler is not real and not getattr(writers.get_dask_scheduler,
                                                                  "deferred_by_tecmodel", False):
            return False  # pragma: no cover - another xarray layout
    except (ImportError, AttributeError):  # pragma: no cover - another xarray layout
        return False
    if getattr(real, "deferred_by_tecmodel", False):
        return True
    _REAL_SCHEDULER_LOOKUP = real

    def get_dask_scheduler(get=None, collection=None):
        if get is None and collection is None and "distributed" not in sys.modules:
            return _scheduler_name_without_distributed()
        return real(get, collection)

    get_dask_scheduler.deferred_by_tecmodel = True
    # Both the writer and the write lock look the function up by these module-level names.
    locks.get_dask_scheduler = writers.get_dask_scheduler = get_dask_scheduler
    return True
