"""Tests of the compiled path of tecmodel.numerics.irr (numba) against its numpy reference.

The expected results come from the whole-array numpy implementation in
tests/irr_reference.py (``ReferenceSolver``, itself tested against
numpy-financial and an exact root count in tests/test_irr.py), and from
identities: a series' result does not depend on the other series of the
batch, their order, or the thread count.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tecmodel.numerics.irr.solver as irr_solver
from tecmodel.numerics.irr import irr
from tecmodel.numerics.irr.solver import Solver

from .irr_reference import ReferenceSolver
from .test_irr import project_flows

ROOT = Path(__file__).resolve().parent.parent


def reference_and_compiled(flows, low=-0.99, high=10.0, grid_points=16):
    """(rate, status) of the numpy reference path and of the compiled path."""
    reference = ReferenceSolver(low, high, grid_points, flows.shape[0])
    solver = Solver(low, high, grid_points, flows.shape[0])
    return reference.run(flows), solver.run(flows)


def assert_same_results(reference, compiled):
    """Identical statuses; rates equal to 1e-13 (the Mobius-settled series are
    isolated by the reference, whose Newton starts from another bracket)."""
    (rate_ref, status_ref), (rate, status) = reference, compiled
    np.testing.assert_array_equal(status, status_ref)
    np.testing.assert_array_equal(np.isnan(rate), np.isnan(rate_ref))
    np.testing.assert_allclose(rate, rate_ref, rtol=1e-13, atol=1e-14)


def mixed_flows(rng: np.random.Generator, n_series: int, n_years: int) -> np.ndarray:
    """Project flows with every kind of series mixed in: non-finite flows,
    one sign only, all zero, padded zeros and random polynomials (which often
    have several IRRs or need the exact isolation)."""
    flows = project_flows(rng, n_series, n_years)
    kind = rng.integers(0, 8, n_series)
    random = rng.normal(size=(n_years, n_series)) * (rng.random((n_years, n_series)) < 0.8)
    flows[:, kind == 1] = random[:, kind == 1]
    flows[:, kind == 2] = np.round(3 * random[:, kind == 2])
    flows[:, kind == 3] = np.abs(flows[:, kind == 3])
    flows[:, kind == 4] = 0.0
    nan_rows = rng.integers(0, n_years, n_series)
    special = rng.choice([np.nan, np.inf, -np.inf], n_series)
    columns = np.flatnonzero(kind == 5)
    flows[nan_rows[columns], columns] = special[columns]
    columns = np.flatnonzero(kind == 6)
    flows[: n_years // 3, columns] = 0.0
    flows[-2:, columns] = 0.0
    return flows


@pytest.mark.parametrize("n_years", [3, 8, 21, 30, 45])
def test_compiled_path_equals_reference_path(n_years):
    """Same statuses and rates as the numpy reference on 6,000 mixed series."""
    rng = np.random.default_rng(100 + n_years)
    flows = mixed_flows(rng, 6_000, n_years)
    reference, compiled = reference_and_compiled(flows)
    assert_same_results(reference, compiled)
    assert set(np.unique(compiled[1])) >= {0, 1, 2, 4}


@pytest.mark.parametrize(
    "low, high", [(0.0, 1.0), (-0.5, 0.0), (-0.9, -0.05), (0.05, 0.5), (-0.3, 0.3)]
)
def test_compiled_path_equals_reference_on_narrow_ranges(low, high):
    """Ranges on one side of r = 0, or touching it: same results as the reference."""
    rng = np.random.default_rng(7)
    flows = np.concatenate([mixed_flows(rng, 2_000, 21), mixed_flows(rng, 2_000, 30)[:21]], 1)
    assert_same_results(*reference_and_compiled(flows, low, high, grid_points=12))


def test_compiled_path_equals_reference_on_30_year_project_flows():
    """30-year project flows, where the Mobius test settles most series that the
    certificate leaves; the exact isolation then sees about 1 % of the series."""
    flows = project_flows(np.random.default_rng(2024), 20_000, 30)
    reference, compiled = reference_and_compiled(flows)
    assert_same_results(reference, compiled)
    assert np.count_nonzero(compiled[1] == 2) > 100


flow_series = st.integers(2, 60).flatmap(
    lambda n: hnp.arrays(
        np.float64, n, elements=st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
    )
)


@given(flows=flow_series)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_compiled_path_equals_reference_property(flows):
    """Arbitrary flows (hypothesis): same status and rate as the reference."""
    assert_same_results(*reference_and_compiled(flows[:, None]))


def test_certificate_switched_off_gives_the_same_results():
    """The compiled twin of test_certificate_never_changes_an_answer.

    With the certificate and the Mobius test switched off every series that
    changes sign goes to the exact isolation; the proofs only skip it, so
    statuses are identical and rates equal to Newton's tolerance.
    """
    rng = np.random.default_rng(11)
    flows = np.concatenate([mixed_flows(rng, 3_000, 21), project_flows(rng, 3_000, 30)[:21]], 1)
    solver = Solver(-0.99, 10.0, 16, flows.shape[0])
    certified, isolated = solver.run(flows), solver.run(flows, certify=False)
    np.testing.assert_array_equal(certified[1], isolated[1])
    np.testing.assert_allclose(certified[0], isolated[0], rtol=0, atol=1e-12)


def test_results_do_not_depend_on_batch_split_or_order():
    """Bit-identical results for a batch, its uneven pieces and a shuffled copy.

    Monte Carlo results must not depend on the chunk size; the pieces cut
    tiles of the compiled loop and batches of the isolation at other places.
    """
    rng = np.random.default_rng(5)
    flows = mixed_flows(rng, 5_000, 21)
    whole = irr(flows)
    cuts = [0, 1, 64, 65, 200, 1_111, 3_000, 5_000]
    for start, stop in zip(cuts[:-1], cuts[1:], strict=True):
        part = irr(flows[:, start:stop])
        np.testing.assert_array_equal(part.status, whole.status[start:stop])
        np.testing.assert_array_equal(part.rate, whole.rate[start:stop])
    order = rng.permutation(flows.shape[1])
    shuffled = irr(flows[:, order])
    np.testing.assert_array_equal(shuffled.status, whole.status[order])
    np.testing.assert_array_equal(shuffled.rate, whole.rate[order])


def test_results_do_not_depend_on_isolation_batch(monkeypatch):
    """Batches of 3 series in the exact isolation: bit-identical results."""
    rng = np.random.default_rng(6)
    flows = mixed_flows(rng, 2_000, 12)
    reference = irr(flows)
    monkeypatch.setattr(irr_solver, "ISOLATION_BATCH", 3)
    result = irr(flows)
    np.testing.assert_array_equal(result.status, reference.status)
    np.testing.assert_array_equal(result.rate, reference.rate)


def test_results_do_not_depend_on_thread_count():
    """One thread and all of numba's threads give bit-identical results."""
    numba = pytest.importorskip("numba")
    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("numba has a single thread here (NUMBA_NUM_THREADS=1)")
    flows = mixed_flows(np.random.default_rng(8), 20_000, 21)
    irr(flows[:, :1])  # compiles or loads the kernel before threads are changed
    previous = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = irr(flows)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = irr(flows)
    finally:
        numba.set_num_threads(previous)
    np.testing.assert_array_equal(one.status, many.status)
    np.testing.assert_array_equal(one.rate, many.rate)


def test_non_finite_flows_in_every_position():
    """NaN, +inf or -inf in the first, a middle or the last period: status 4 and a
    NaN rate without a warning; the other series of the tile are unaffected."""
    flows = project_flows(np.random.default_rng(9), 200, 21)
    alone = irr(flows)
    spoiled = flows.copy()
    cases = [(0, np.nan), (10, np.inf), (20, -np.inf), (0, np.inf), (20, np.nan), (5, -np.inf)]
    columns = np.arange(3, 3 + 30 * len(cases), 30)
    for column, (period, value) in zip(columns, cases, strict=True):
        spoiled[period, column] = value
    spoiled[:, 150] = np.nan
    result = irr(spoiled)
    bad = np.zeros(200, dtype=bool)
    bad[columns] = bad[150] = True
    assert (result.status[bad] == 4).all()
    assert np.isnan(result.rate[bad]).all()
    np.testing.assert_array_equal(result.status[~bad], alone.status[~bad])
    np.testing.assert_array_equal(result.rate[~bad], alone.rate[~bad])


def test_integer_and_strided_inputs_are_converted_once():
    """int64 flows, and a strided view, give the results of the float64 copy."""
    rng = np.random.default_rng(10)
    flows = np.round(project_flows(rng, 300, 21))
    reference = irr(flows)
    as_int = irr(flows.astype(np.int64))
    np.testing.assert_array_equal(as_int.rate, reference.rate)
    wide = np.zeros((21, 600))
    wide[:, ::2] = flows
    strided = irr(wide[:, ::2])
    np.testing.assert_array_equal(strided.rate, reference.rate)


def test_read_only_broadcast_and_big_endian_inputs():
    """Read-only arrays (e.g. views of a read-only buffer), broadcast views
    (stride 0) and big-endian float64 give the results of a plain copy."""
    flows = project_flows(np.random.default_rng(12), 100, 21)
    reference = irr(flows)
    read_only = flows.copy()
    read_only.setflags(write=False)
    np.testing.assert_array_equal(irr(read_only).rate, reference.rate)
    np.testing.assert_array_equal(irr(flows.astype(">f8")).rate, reference.rate)
    broadcast = irr(np.broadcast_to(flows[:, :1], (21, 70)))
    np.testing.assert_array_equal(broadcast.rate, np.full(70, reference.rate[0]))


def run_python(code: str, **environment) -> str:
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT), **environment},
    )
    return completed.stdout.strip()


def test_numba_imported_only_by_the_first_irr_call():
    """``import tecmodel`` does not import numba; the first irr() call does."""
    output = run_python(
        """
        import sys
        import tecmodel
        before = "numba" in sys.modules
        tecmodel.numerics.irr.irr([-100.0, 39.0, 59.0, 55.0, 20.0])
        print(before, "numba" in sys.modules)
        """
    )
    assert output == "False True"


@pytest.mark.slow
def test_cold_compilation_emits_no_warning(tmp_path):
    """A fresh on-disk cache (as after a fresh clone): the kernel compiles with
    warnings as errors (no NumbaPerformanceWarning or deprecation), a second
    process loads it from the cache instead of compiling, and gives the same
    results.  numpy-financial docstring example: IRR 0.28095."""
    code = """
        from tecmodel.numerics.irr import irr
        from tecmodel.numerics.irr.kernel import compiled_kernel
        result = irr([[-100.0], [39.0], [59.0], [55.0], [20.0]])
        stats = compiled_kernel().stats
        print(round(float(result.rate[0]), 5), sum(stats.cache_hits.values()),
              sum(stats.cache_misses.values()))
        """
    cold = run_python(code, NUMBA_CACHE_DIR=str(tmp_path))
    warm = run_python(code, NUMBA_CACHE_DIR=str(tmp_path))
    assert cold == "0.28095 0 1"
    assert warm == "0.28095 1 0"
