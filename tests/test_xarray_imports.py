"""xarray no longer imports dask and pint for numpy data, and still recognises their arrays."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    completed = subprocess.run([sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
                               capture_output=True, text=True, check=True)
    return completed.stdout.strip()


def test_numpy_dataarrays_import_neither_dask_nor_pint():
    """A fresh process that evaluates a case never imports dask.array or pint."""
    output = run_python("""
        import sys
        import tecmodel
        tecmodel.evaluate(tecmodel.load_case("tests/data/toy.yaml"))
        print("dask.array" in sys.modules, "pint" in sys.modules)
    """)
    assert output == "False False"


def test_dask_and_pint_arrays_still_recognised():
    """After importing them, xarray treats dask arrays as chunked and pint arrays as quantities,
    exactly as without the deferral."""
    output = run_python("""
        import numpy as np
        import xarray as xr
        import tecmodel
        xr.DataArray(np.zeros(2), dims="x")          # the cache is in use before dask exists
        import dask.array as da
        import pint
        lazy = xr.DataArray(da.ones(4, chunks=2), dims="x")
        from xarray.namedarray.pycompat import array_type, is_chunked_array
        quantity = pint.UnitRegistry().Quantity(np.ones(3), "m")
        wrapped = xr.DataArray(quantity, dims="y")
        print(lazy.chunks, is_chunked_array(lazy.data), float((lazy * 2).sum().compute()),
              isinstance(wrapped.data, array_type("pint")))
    """)
    assert output == "((2, 2),) True 8.0 True"


def test_writing_netcdf_does_not_import_distributed_and_answers_as_xarray(tmp_path):
    """Writing the cube as netCDF leaves distributed unimported; the deferred scheduler lookup
    gives xarray's own answer (computed afterwards, which imports distributed) with and without
    a configured scheduler."""
    output = run_python(f"""
        import sys
        import dask
        import tecmodel
        from tecmodel.io import write_netcdf
        from tecmodel.report.files import cash_flow_dataset
        from tecmodel import _xarray_imports
        from xarray.backends import writers
        write_netcdf({str(tmp_path / "cube.nc")!r}, cash_flow_dataset(tecmodel.evaluate(tecmodel.load_case("tests/data/toy.yaml"))))
        print("distributed" in sys.modules)
        deferred = writers.get_dask_scheduler()
        with dask.config.set(scheduler="synchronous"):
            deferred_configured = writers.get_dask_scheduler()
        real = _xarray_imports._REAL_SCHEDULER_LOOKUP
        print(deferred == real(), end=" ")
        with dask.config.set(scheduler="synchronous"):
            print(deferred_configured == real())
    """)
    assert output.split("\n") == ["False", "True True"]
