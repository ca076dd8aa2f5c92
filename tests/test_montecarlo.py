"""Monte Carlo studies: reproducibility, stores, resumption, auto-stop, dask and statistics.

- One seed gives bit-identical samples and summaries whatever the chunk size, the number of
  dask workers, and in-process vs dask.
- A study interrupted after k chunks (an exception in the writer, and a real ``kill -9`` of a
  subprocess) resumes from its zarr store and ends identical to an uninterrupted run; a store of
  another study is refused. A store whose creation fails part-way leaves no store (or the previous
  one, byte for byte); a block written part-way is evaluated again.
- A store is tied to the code that computes its numbers (numerics, inputs, model, sampling and
  the Monte Carlo package, by folder): an edit of a report, a figure or the command line leaves a
  store resumable, an edit of the model does not (checked on a copy of the package).
- Auto-stop ends at the first block whose confidence half-width meets the tolerance.
- The summary's intervals follow their textbook formulas (hand calculations in the tests).
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import tecmodel
from tecmodel.analysis.montecarlo import execution
from tecmodel.analysis.montecarlo import store as store_module
from tecmodel.analysis.montecarlo.layout import Layout
from tecmodel.analysis.montecarlo.store import (
    MODEL_SOURCES,
    ZarrSink,
    model_files,
    model_fingerprint,
)
from tecmodel.analysis.montecarlo.study import Tolerance, monte_carlo
from tecmodel.analysis.sampling import sampling_plan
from tecmodel.errors import InputError
from tecmodel.numerics.statistics import STATISTICS, statistic_interval

from .conftest import BASE_FILE, ROOT, TOY_FILE

N, BLOCK = 1200, 400


def _same(first, second):
    xr.testing.assert_identical(first.samples, second.samples)
    xr.testing.assert_identical(first.paths.drop_attrs(), second.paths.drop_attrs())
    ignore = {"chunk_size", "n_resumed"}  # how a study was run, not what it found
    xr.testing.assert_identical(first.summary.drop_attrs(), second.summary.drop_attrs())
    assert {k: v for k, v in first.summary.attrs.items() if k not in ignore} == {
        k: v for k, v in second.summary.attrs.items() if k not in ignore
    }


@pytest.fixture(scope="module")
def reference(base_case):
    """The uninterrupted in-process study every other run is compared with."""
    return monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, chunk_size=BLOCK)


def test_result_has_the_agreed_shape(reference, base_case):
    samples, summary = reference.samples, reference.summary
    portfolio = reference.portfolio_samples
    assert samples.sizes == {"sample": N, "site": 1}
    assert list(samples["site"].values) == ["fluidstack_fr"]  # the sites only
    for name in ("npv", "irr", "lcoc", "payback_year"):
        assert samples[name].dims == ("sample", "site") and samples[name].attrs["units"]
        assert portfolio[name].dims == ("sample",)
        assert portfolio[name].attrs == samples[name].attrs
    assert samples["revenue.utilisation"].dims == ("sample", "site")
    assert "revenue.utilisation" not in portfolio  # an input, not a portfolio figure
    # the paths of the case's four processes (inputs/base_10b.yaml), over year x sample
    paths = reference.paths
    assert list(paths.data_vars) == ["power_price", "eur_usd", "compute_price", "hardware_cost"]
    assert paths.sizes == {"year": 21, "sample": N}
    assert paths["eur_usd"].dims == ("year", "sample") and paths["eur_usd"].units == "USD/EUR"
    assert "year" not in samples.dims
    assert list(summary["statistic"].values) == list(STATISTICS)
    assert summary["value"].dims == ("statistic", "metric", "site")
    assert summary["n_valid"].dims == ("metric", "site")
    assert {
        k: summary.attrs[k] for k in ("case", "n", "seed", "sampler", "stopped_early", "chunk_size")
    } == {
        "case": "base_10b",
        "n": N,
        "seed": 11,
        "sampler": "sobol",
        "stopped_early": 0,
        "chunk_size": BLOCK,
    }
    assert reference.portfolio_summary["value"].dims == ("statistic", "metric")
    npv = portfolio["npv"].values
    assert float(
        reference.portfolio_summary["value"].sel(statistic="prob_negative", metric="npv")
    ) == np.mean(npv < 0)
    # every sampled value lies within its distribution's range
    distribution = base_case.entry("utilisation", "fluidstack_fr").distribution
    low, high = distribution.support()
    assert (
        float(samples["revenue.utilisation"].min()) >= low
        and float(samples["revenue.utilisation"].max()) <= high
    )


def test_paths_are_the_processes_simulated_from_the_seed(reference, base_case):
    """The study's paths are the case's processes simulated with the study's seed and blocks:
    the same numbers whatever the chunk size, and the first year is each process's start."""
    alone = tecmodel.processes.simulate_set(
        base_case.markets.processes, None, list(base_case.years), N, seed=11, block_size=BLOCK
    )
    for name in alone.data_vars:
        stored = reference.paths[name]
        assert stored.dtype == np.float32
        np.testing.assert_array_equal(stored.values, alone[name].values.astype(np.float32))
    assert float(reference.paths["power_price"].sel(year=2025).min()) == 58.0
    # the paths vary from sample to sample after the first year
    assert float(reference.paths["power_price"].sel(year=2030).std()) > 0


def test_samples_are_the_model_at_the_sampled_inputs(reference, base_case):
    """Sample 5, re-evaluated alone from its stored inputs and its simulated paths, gives the
    stored metrics."""
    row = reference.samples.isel(sample=5)
    years = list(base_case.years)
    overrides = {}
    for name in reference.samples.data_vars:
        if name in tecmodel.REGISTRY:
            value = row[name]
            site_value = (
                {"fluidstack_fr": float(value.sel(site="fluidstack_fr"))} if value.ndim else None
            )
            overrides[name] = site_value or float(value)
    # the paths the model evaluated (the study stores them in single precision)
    paths = execution.process_paths(base_case, 11, 5, 6, BLOCK)
    for binding in base_case.markets.bindings:
        path = xr.DataArray(paths[binding.process][:, 0], dims="year", coords={"year": years})
        overrides[binding.parameter] = path * binding.factor
        np.testing.assert_array_equal(
            reference.paths[binding.process].isel(sample=5).values,
            paths[binding.process][:, 0].astype(np.float32),
        )
    alone = tecmodel.evaluate(base_case, overrides).metrics
    np.testing.assert_allclose(row["npv"].values, alone["npv"].values, rtol=1e-12)


def test_identical_whatever_the_chunk_size(reference, base_case):
    _same(reference, monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, chunk_size=3 * BLOCK))
    _same(reference, monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, chunk_size=2 * BLOCK))


def test_a_chunk_in_several_model_calls_gives_the_bits_of_one_call(doubled_case):
    """The model calls inside a chunk (site-samples per call) change no bit of any output: a
    sample's arithmetic does not depend on the samples beside it. 2 x 300 site-samples per call
    cut a 700-sample chunk of the two-site case into calls of 300, 300 and 100 samples."""
    plan = sampling_plan(doubled_case)
    whole = execution.Task(plan, "sobol", 5, 700, 700)
    assert whole.batch_size == 8192  # 16,384 site-samples over two sites
    split = execution.Task(plan, "sobol", 5, 700, 700, site_samples_per_call=600)
    assert split.batch_size == 300
    one_call, three_calls = (execution.evaluate_blocks(task, [0]) for task in (whole, split))
    assert one_call.keys() == three_calls.keys()
    assert any(name.startswith("path.") for name in one_call)
    for name, values in one_call.items():
        np.testing.assert_array_equal(values, three_calls[name], err_msg=name, strict=True)


def test_a_study_in_memory_holds_no_path_while_it_runs(base_case):
    """The paths are drawn again after the chunks (the same bits as the evaluation's copy a
    store keeps: the stores' tests compare them); the sink allocated up front has none."""
    layout = Layout.of(sampling_plan(base_case), N, BLOCK)
    sink = store_module.MemorySink(layout)
    assert layout.paths and not set(layout.paths) & set(sink.arrays)
    assert set(layout.yearly_cash) <= set(sink.arrays)


@pytest.mark.parametrize("sampler", ["random", "lhs"])
def test_other_samplers_are_reproducible(base_case, sampler):
    first = monte_carlo(base_case, n=600, seed=4, sampler=sampler, block_size=200, chunk_size=200)
    second = monte_carlo(base_case, n=600, seed=4, sampler=sampler, block_size=200, chunk_size=600)
    _same(first, second)
    other_seed = monte_carlo(base_case, n=200, seed=5, sampler=sampler, block_size=200)
    assert not np.array_equal(first.samples["npv"].values[:200], other_seed.samples["npv"].values)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def test_identical_on_dask_and_in_process(reference, base_case, cluster):
    on_dask = monte_carlo(
        base_case, n=N, seed=11, block_size=BLOCK, chunk_size=BLOCK, client=cluster
    )
    _same(reference, on_dask)
    one_at_a_time = monte_carlo(
        base_case, n=N, seed=11, block_size=BLOCK, chunk_size=BLOCK, client=cluster, max_in_flight=1
    )
    _same(reference, one_at_a_time)


def test_identical_on_one_and_two_workers(reference, base_case, cluster):
    cluster.cluster.scale(1)
    try:
        cluster.wait_for_workers(1)
        deadline = time.monotonic() + 10
        while len(cluster.nthreads()) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(cluster.nthreads()) == 1
        _same(reference, monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, client=cluster))
    finally:
        cluster.cluster.scale(2)
        cluster.wait_for_workers(2)


class _Killed(Exception):
    pass


def test_resume_after_an_interruption(reference, base_case, tmp_path, monkeypatch):
    store = tmp_path / "study.zarr"
    original = ZarrSink.write
    calls = {"write": 0, "evaluate": 0}

    def failing_write(self, blocks, output):
        if calls["write"] == 1:
            raise _Killed("killed in the writer after one chunk")
        calls["write"] += 1
        original(self, blocks, output)

    monkeypatch.setattr(ZarrSink, "write", failing_write)
    with pytest.raises(_Killed):
        monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    monkeypatch.setattr(ZarrSink, "write", original)
    evaluate_blocks = execution.evaluate_blocks

    def counting(task, blocks):
        calls["evaluate"] += len(blocks)
        return evaluate_blocks(task, blocks)

    monkeypatch.setattr(execution, "evaluate_blocks", counting)
    resumed = monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    assert calls["evaluate"] == 2  # only the two blocks not yet written
    assert reference.summary.attrs["n_resumed"] == 0 and resumed.summary.attrs["n_resumed"] == BLOCK
    _same(reference, resumed)
    stored = xr.open_zarr(store)  # consolidated metadata: no warning (warnings are errors here)
    np.testing.assert_array_equal(stored["npv"].values, reference.samples["npv"].values)
    assert calls["evaluate"] == 2 and int(stored["block_done"].sum()) == 3
    again = monte_carlo(
        base_case, n=N, seed=11, block_size=BLOCK, store=store
    )  # complete: nothing to evaluate
    assert calls["evaluate"] == 2 and again.summary.attrs["n_resumed"] == N
    _same(reference, again)


@pytest.mark.slow
def test_resume_after_kill_9(reference, base_case, tmp_path):
    """A subprocess killed with SIGKILL part-way through; the resumed study equals the reference."""
    store = tmp_path / "killed.zarr"
    script = (
        "import sys, time, tecmodel\n"
        "from tecmodel.analysis.montecarlo import execution, study\n"
        "original = execution.evaluate_blocks\n"
        "def slow(task, blocks):\n"
        "    if blocks[0] >= 1:\n"
        "        time.sleep(60)\n"
        "    return original(task, blocks)\n"
        "execution.evaluate_blocks = slow\n"
        f"case = tecmodel.load_case({str(BASE_FILE)!r})\n"
        f"study.monte_carlo(case, n={N}, seed=11, block_size={BLOCK}, store={str(store)!r})\n"
    )
    environment = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-c", script], env=environment)
    try:
        deadline = time.monotonic() + 60
        done = store / "block_done" / "c" / "0"
        while not done.exists() and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.05)
        assert done.exists(), "the subprocess never finished its first block"
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    assert process.returncode == -signal.SIGKILL
    _same(reference, monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store))


def _files(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _failing_after(count: int, original):
    """A zarr ``Group.create_array`` that creates `count` arrays, then fails (a crash part-way)."""
    made = []

    def create_array(self, *args, **kwargs):
        if len(made) == count:
            raise _Killed("killed while the store was being created")
        made.append(args[0] if args else kwargs.get("name"))
        return original(self, *args, **kwargs)

    return create_array


def test_a_store_creation_failing_part_way_leaves_nothing_or_the_previous_store(
    reference, base_case, tmp_path, monkeypatch
):
    """The store is created in a temporary folder and renamed into place: a failure part-way leaves
    no store (a new study) or the previous store byte for byte (a restart), never a half-made one."""
    import zarr

    store = tmp_path / "study.zarr"
    original = zarr.Group.create_array
    monkeypatch.setattr(zarr.Group, "create_array", _failing_after(2, original))
    with pytest.raises(_Killed):
        monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.setattr(zarr.Group, "create_array", original)
    _same(reference, monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store))
    before = _files(store)
    monkeypatch.setattr(zarr.Group, "create_array", _failing_after(3, original))
    with pytest.raises(_Killed):  # --restart with another seed, failing while the new store is made
        monte_carlo(base_case, n=N, seed=12, block_size=BLOCK, store=store, overwrite=True)
    assert _files(store) == before and [p.name for p in tmp_path.iterdir()] == ["study.zarr"]
    monkeypatch.setattr(zarr.Group, "create_array", original)
    kept = monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    assert kept.summary.attrs["n_resumed"] == N
    _same(reference, kept)


def test_a_block_written_part_way_is_evaluated_again(reference, base_case, tmp_path, monkeypatch):
    """Killed after some variables of a block reached the store but before the block was marked
    done: the resumed study evaluates that block again and ends identical."""
    store = tmp_path / "study.zarr"
    original = ZarrSink.write
    calls = []

    def dies_half_way(self, blocks, output):
        calls.append(blocks)
        if len(calls) == 1:
            return original(self, blocks, output)
        start, stop = self.layout.sample_range(blocks)
        first = next(iter(output))
        self.group[first][start:stop] = output[first]
        raise _Killed("killed between two variables of a block")

    monkeypatch.setattr(ZarrSink, "write", dies_half_way)
    with pytest.raises(_Killed):
        monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    monkeypatch.setattr(ZarrSink, "write", original)
    resumed = monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    assert resumed.summary.attrs["n_resumed"] == BLOCK  # only the first block was marked done
    _same(reference, resumed)
    assert not [
        p for p in store.rglob("*") if p.name.endswith(".partial")
    ]  # zarr left no partial chunk


def test_store_of_another_study_is_refused(base_case, tmp_path):
    store = tmp_path / "study.zarr"
    monte_carlo(base_case, n=400, seed=1, block_size=BLOCK, store=store)
    with pytest.raises(InputError) as caught:
        monte_carlo(base_case, n=400, seed=2, block_size=BLOCK, store=store)
    assert "was made by another study (seed: stored 1, now 2)" in str(
        caught.value
    ) and "--restart" in str(caught.value)
    restarted = monte_carlo(base_case, n=400, seed=2, block_size=BLOCK, store=store, overwrite=True)
    assert restarted.summary.attrs["seed"] == 2
    folder = tmp_path / "not_a_store"
    folder.mkdir()
    (folder / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="is not a tecmodel Monte Carlo store"):
        monte_carlo(base_case, n=400, block_size=BLOCK, store=folder, overwrite=True)
    assert (folder / "notes.txt").read_text() == "keep me"


def test_auto_stop_at_the_first_block_within_tolerance(base_case):
    """Stops where the 95 % half-width of the mean NPV first falls to the tolerance, for any chunking."""
    full = monte_carlo(base_case, n=1000, seed=3, block_size=100, chunk_size=1000)
    npv = full.portfolio_samples["npv"].values
    widths = [
        (statistic_interval(npv[:stop], "mean")[2] - statistic_interval(npv[:stop], "mean")[1]) / 2
        for stop in range(100, 1001, 100)
    ]
    tolerance = (widths[3] + widths[4]) / 2  # reached at the fifth block, not before
    assert widths[3] > tolerance >= widths[4]
    for chunk in (100, 300):
        stopped = monte_carlo(
            base_case, n=1000, seed=3, block_size=100, chunk_size=chunk, tolerance=tolerance
        )
        assert stopped.summary.attrs["stopped_early"] == 1 and stopped.summary.attrs["n"] == 500
        xr.testing.assert_identical(
            stopped.samples["npv"], full.samples["npv"].isel(sample=slice(0, 500))
        )
    relative = Tolerance(0.5, metric="lcoc", statistic="p50", relative=True)
    assert (
        monte_carlo(base_case, n=300, seed=3, block_size=100, tolerance=relative).summary.attrs["n"]
        == 100
    )


def test_a_study_stopped_by_its_tolerance_completes_from_its_store(reference, base_case, tmp_path):
    """The tolerance is not part of a study's identity: a run that stopped early is resumed to the
    full size by the same call without it, evaluating only the blocks it lacks."""
    store = tmp_path / "study.zarr"
    stopped = monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store, tolerance=1e12)
    assert stopped.summary.attrs["n"] == BLOCK and stopped.summary.attrs["stopped_early"] == 1
    completed = monte_carlo(base_case, n=N, seed=11, block_size=BLOCK, store=store)
    assert (
        completed.summary.attrs["n_resumed"] == BLOCK
        and completed.summary.attrs["stopped_early"] == 0
    )
    _same(reference, completed)


@pytest.mark.parametrize(
    "arguments, fragment",
    [
        ({"n": 0}, "n = 0: expected a positive whole number"),
        ({"chunk_size": 500}, "expected a multiple of block_size"),
        ({"sampler": "halton"}, "expected one of sobol, lhs, random"),
        ({"seed": -1}, "expected a non-negative whole number"),
        ({"tolerance": Tolerance(1e6, metric="npx")}, "tolerance.metric"),
        ({"parameters": ["revenue.contract_price"]}, "has no distribution"),
    ],
)
def test_bad_arguments_are_input_errors(base_case, arguments, fragment):
    options = {"n": 400, "block_size": 400} | arguments
    with pytest.raises(InputError) as caught:
        monte_carlo(base_case, **options)
    assert fragment in str(caught.value)


def test_a_case_without_distributions_is_an_input_error(toy_case):
    with pytest.raises(InputError, match="gives no parameter a distribution"):
        monte_carlo(toy_case, n=10)


# --------------------------------------------------------------------------- statistics by hand


def test_quantile_interval_is_the_order_statistic_interval():
    """Median of 1..100: ranks 50 -+ 1.96 sqrt(100 * 0.25) = 40.2, 59.8 -> order statistics 40 and 60."""
    value, low, high = statistic_interval(np.arange(1.0, 101.0), "p50")
    assert (value, low, high) == (50.5, 40.0, 60.0)


def test_wilson_interval_of_a_share():
    """0 negatives in 100: Wilson upper bound z^2 / (n + z^2) = 3.8415 / 103.8415 (Wilson 1927)."""
    z = 1.959963984540054
    value, low, high = statistic_interval(np.ones(100), "prob_negative")
    assert value == 0.0 and low == 0.0 and high == pytest.approx(z * z / (100 + z * z))


def test_mean_std_and_cvar_by_hand():
    values = np.arange(1.0, 101.0)
    mean, low, high = statistic_interval(values, "mean")
    sd = math.sqrt(sum((v - 50.5) ** 2 for v in values) / 99)  # 29.011
    assert mean == 50.5 and high - mean == pytest.approx(1.959963984540054 * sd / 10)
    std, low, high = statistic_interval(values, "std")
    assert std == pytest.approx(sd)
    # worst 5 % of 1..100: 1..5, mean 3; variance 2.5 + 0.95 (3 - 5)^2 = 6.3 -> half-width z sqrt(6.3 / 5)
    cvar, low, high = statistic_interval(values, "cvar5")
    assert cvar == 3.0 and high - cvar == pytest.approx(1.959963984540054 * math.sqrt(6.3 / 5))
    assert math.isnan(statistic_interval(np.array([np.nan, np.nan]), "mean")[0])


# --------------------------------------------------------------------------- command line


def test_cli_montecarlo_writes_summary_and_samples(tmp_path, capsys):
    from tecmodel.cli.main import main

    assert (
        main(
            [
                "montecarlo",
                str(BASE_FILE),
                "-n",
                "400",
                "--block-size",
                "200",
                "--out",
                str(tmp_path),
                "--no-progress",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "prob_negative" in printed and "cvar5" in printed and "400 samples in" in printed
    summary = xr.open_dataset(tmp_path / "base_10b.montecarlo_summary.nc")
    assert summary.attrs["n"] == 400 and summary["value"].dims == ("statistic", "metric", "site")
    summary.close()
    assert (tmp_path / "base_10b.montecarlo_samples.nc").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["sobol", str(BASE_FILE), "-n", "1000"], "n = 1000: expected a power of two"),
        (
            ["sobol", str(BASE_FILE), "-n", "64", "--factors", "energy_prise", "chip_cost"],
            "did you mean 'energy_price'",
        ),
        (["montecarlo", str(TOY_FILE), "-n", "10"], "gives no parameter a distribution"),
        (
            ["montecarlo", str(BASE_FILE), "-n", "10", "--chunk-size", "3", "--block-size", "2"],
            "multiple of block_size",
        ),
        (["tornado", str(BASE_FILE), "--quantiles", "0.9", "0.1"], "expected 0 <= low < high <= 1"),
    ],
)
def test_cli_bad_requests_exit_2(tmp_path, capsys, argv, fragment):
    from tecmodel.cli.main import main

    assert main(argv + ["--out", str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and fragment in error and "Traceback" not in error


def test_a_study_in_memory_too_large_for_the_machine_is_refused_before_it_starts(
    base_case, tmp_path, capsys, monkeypatch
):
    """The results of a study held in memory and one call's working set must fit in the memory
    available: otherwise a clear error on n, exit status 2, nothing written."""
    from tecmodel.analysis.montecarlo import study as study_module
    from tecmodel.cli.main import main

    plan = sampling_plan(base_case)
    layout = Layout.of(plan, 10**6, BLOCK)
    # By hand, per sample: each sampled input (case-level in this one-site case) in 8 bytes;
    # 13 metrics for the site and 13 for the portfolio, the IRR status in 1 byte and 12 in 8;
    # the 4 processes' paths and 2 yearly cash flows over 21 years in 4 bytes.
    per_sample = 8 * len(plan.columns) + 2 * (12 * 8 + 1) + (4 + 2) * 21 * 4
    assert layout.nbytes() == per_sample * 10**6
    monkeypatch.setattr(study_module, "available_memory", lambda: 64 * 2**20)  # 64 MiB
    with pytest.raises(InputError, match=r"needs about 1\.2 GiB .*\(store=PATH, --store PATH\)"):
        monte_carlo(base_case, n=10**6, progress=False)
    out = tmp_path / "out"
    argv = ["montecarlo", str(BASE_FILE), "-n", "1000000", "--out", str(out), "--no-progress"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: n = 1000000: a study of 1,000,000 samples held in memory")
    assert not out.exists()
    # 400 samples: 0.3 MiB of results and a call of 400 site-samples (9.4 MiB) fit in 64 MiB.
    assert monte_carlo(base_case, n=400, block_size=200, progress=False).summary.attrs["n"] == 400


def test_cli_sobol_and_tornado(tmp_path, capsys):
    from tecmodel.cli.main import main

    assert (
        main(
            [
                "sobol",
                str(BASE_FILE),
                "-n",
                "2**4",
                "--first-order",
                "--no-time-resolved",
                "--out",
                str(tmp_path),
            ]
        )
        == 0
    )
    assert "ranking by ST on portfolio" in capsys.readouterr().out
    with xr.open_dataset(tmp_path / "base_10b.sobol.nc") as stored:
        assert stored["S1"].dims == ("factor", "metric", "site")
    assert main(["tornado", str(BASE_FILE), "--metrics", "npv", "--out", str(tmp_path)]) == 0
    assert "tornado of npv" in capsys.readouterr().out
    assert Path(tmp_path / "base_10b.tornado.nc").exists()


def test_cvar_of_a_cost_is_the_mean_of_its_highest_values():
    """Worst 5 % of costs 1..100 are 96..100: mean 98 (the interval mirrors the one for 1..5)."""
    cvar, low, high = statistic_interval(np.arange(1.0, 101.0), "cvar5", higher_is_worse=True)
    assert cvar == 98.0 and cvar - low == pytest.approx(1.959963984540054 * math.sqrt(6.3 / 5))


def test_progress_bar_only_when_asked(base_case, capsys):
    monte_carlo(base_case, n=200, block_size=200, progress=False)
    assert capsys.readouterr().err == ""
    monte_carlo(base_case, n=200, block_size=200, progress=True)
    assert "montecarlo base_10b" in capsys.readouterr().err


def test_cli_on_a_scheduler_address(cluster, reference, tmp_path, capsys):
    """`--scheduler ADDRESS` (here the in-process test cluster's) gives the in-process numbers."""
    from tecmodel.cli.main import main

    argv = [
        "montecarlo",
        str(BASE_FILE),
        "-n",
        str(N),
        "--seed",
        "11",
        "--block-size",
        str(BLOCK),
        "--out",
        str(tmp_path),
        "--scheduler",
        cluster.scheduler.address,
    ]
    assert main(argv) == 0
    assert "on 2 dask worker(s)" in capsys.readouterr().out
    with xr.open_dataset(tmp_path / "base_10b.montecarlo_samples.nc") as stored:
        np.testing.assert_array_equal(stored["npv"].values, reference.samples["npv"].values)


@pytest.fixture
def package_copy(tmp_path):
    """A copy of the package's source to edit (no compiled files)."""
    copy = tmp_path / "tecmodel"
    shutil.copytree(ROOT / "tecmodel", copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _append(path: Path, text: str = "\n# an edit\n") -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_the_model_fingerprint_reads_exactly_the_code_that_computes_numbers():
    """The folders of the arithmetic, the inputs and the model, the sampling and this package;
    nothing of the reports, the command line or the other analyses."""
    package = ROOT / "tecmodel"
    listed = {path.relative_to(package).as_posix() for path in model_files()}
    expected = {
        path.relative_to(package).as_posix()
        for folder in ("numerics", "inputs", "model", "analysis/montecarlo")
        for path in (package / folder).rglob("*.py")
    } | {"analysis/sampling.py"}
    assert listed == expected
    assert "analysis/montecarlo/store.py" in listed and "model/components/chips.py" in listed
    outside = ("report/", "cli/", "analysis/sensitivity/", "analysis/solvers.py")
    assert not [path for path in listed if path.startswith(outside)]
    assert "analysis/montecarlo/**/*.py" in MODEL_SOURCES


@pytest.mark.parametrize(
    ("edited", "changes"),
    [
        ("report/text.py", False),
        ("report/plots.py", False),
        ("report/new_figure.py", False),  # a module added to the reports
        ("cli/main.py", False),
        ("analysis/sensitivity/tornado_case.py", False),
        ("model/cube.py", True),
        ("model/components/new_component.py", True),  # a module added to the model
        ("numerics/powers.py", True),
        ("inputs/registry.py", True),
        ("analysis/sampling.py", True),
        ("analysis/montecarlo/execution.py", True),
    ],
)
def test_an_edit_changes_the_fingerprint_only_in_the_model_code(package_copy, edited, changes):
    """On a copy of the package: the copy's fingerprint is the package's (paths are relative);
    editing (or adding) a file changes it exactly when the file computes numbers."""
    assert model_fingerprint(package_copy) == model_fingerprint()
    path = package_copy / edited
    if path.exists():
        _append(path)
    else:
        path.write_text("VALUE = 1\n", encoding="utf-8")
    assert (model_fingerprint(package_copy) != model_fingerprint()) is changes


def test_a_store_resumes_after_a_report_edit_and_not_after_a_model_edit(
    base_case, package_copy, tmp_path, monkeypatch
):
    """The study's fingerprint reads the package at ``store.PACKAGE_ROOT`` (here the copy)."""
    monkeypatch.setattr(store_module, "PACKAGE_ROOT", package_copy)
    path = tmp_path / "study.zarr"
    first = monte_carlo(base_case, n=400, seed=3, block_size=200, store=path)
    _append(package_copy / "report" / "uncertainty.py")
    again = monte_carlo(base_case, n=400, seed=3, block_size=200, store=path)
    assert again.summary.attrs["n_resumed"] == 400
    _same(first, again)
    _append(package_copy / "model" / "metrics.py")
    with pytest.raises(InputError, match="model_sha256"):
        monte_carlo(base_case, n=400, seed=3, block_size=200, store=path)
