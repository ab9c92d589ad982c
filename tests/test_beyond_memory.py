"""Training on data larger than a memory limit (``bench.beyond_memory``), at a small scale.

The memory bound comes from the blocks, not from X: each of the scheduler's threads runs
one task at a time, and a task holds at most one block of X and an output no larger than
a block (making a block; or a block in, vectors of its rows out), while Dask's ordering
runs a block's consumers before making more where it can. Counted on this test's
problem, no more than two blocks of X were ever alive at once (one per thread); the
bound allows four per thread, the rest for the graph, the scheduler's bookkeeping and
the tasks' row vectors (measured: about half the bound). A first, untraced epoch on a
tiny problem keeps one-off imports out of the count. X is about six times the bound, so a
run that held X — or any share of it that grows with X — could not pass. The agreement
tolerance is ``kernels.train.agreement_rtol``: the same arithmetic, summed in another
order.
"""

from __future__ import annotations

import json
import os
import tracemalloc

import dask
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

from bench import beyond_memory, out_of_core
from kernels import dask_engine, train

THREADS = 2
BLOCKS_PER_THREAD = 4


def test_memory_is_bounded_by_the_blocks_not_by_X():
    problem = out_of_core.Problem.of_size(200e6, 100, 4 * 2**20)  # 48 blocks of 4 MiB
    bound = BLOCKS_PER_THREAD * THREADS * problem.block_bytes
    assert problem.x_bytes > 5 * bound
    X, y = out_of_core.generated(problem)
    with threadpool_limits(1, user_api="blas"), dask.config.set(num_workers=THREADS):
        tiny = out_of_core.generated(out_of_core.Problem(100, 100, 50))
        beyond_memory.train_by_epochs(*tiny, eta=1.0, epochs=1)  # imports, first calls
        tracemalloc.start()
        try:
            trained = beyond_memory.train_by_epochs(X, y, eta=1.0, epochs=2)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < bound, f"peak {peak / 2**20:.0f} MiB, bound {bound / 2**20:.0f} MiB"
    assert trained["costs"][1] < trained["costs"][0]


def test_training_in_blocks_agrees_with_training_in_memory():
    check = beyond_memory.check_in_memory(out_of_core.Problem(3000, 5, 700), eta=1.0, epochs=4)
    assert check["blocks"] == 5
    assert check["rtol"] == train.agreement_rtol(3000, 5, 4)
    assert check["agrees"], check


def test_blocks_are_the_same_whoever_makes_them():
    """Block k depends on the seed and k only: made alone, in any order, or in one array."""
    problem = out_of_core.Problem(1000, 3, 300, seed=5)
    X, y = dask.compute(*out_of_core.generated(problem))
    for k in (3, 0, 2):
        rows = slice(300 * k, 300 * k + problem.row_chunks[k])
        block = out_of_core.features_block(problem, k)
        np.testing.assert_array_equal(block, X[rows])
        np.testing.assert_array_equal(out_of_core.labels_block(problem, k, block), y[rows])
    assert set(np.unique(y)) == {0.0, 1.0}
    assert np.all(np.abs(X) <= 1)


def test_blocks_read_from_files_train_exactly_as_generated(tmp_path):
    problem = out_of_core.Problem(1000, 4, 250, seed=3)
    out_of_core.write_files(problem, tmp_path)
    stored, X_read, y_read = out_of_core.read_files(tmp_path)
    assert stored == problem
    assert len(list(tmp_path.glob("X-*.npy"))) == problem.blocks == 4
    from_files = beyond_memory.train_by_epochs(X_read, y_read, eta=0.5, epochs=3)
    generated = beyond_memory.train_by_epochs(*out_of_core.generated(problem), eta=0.5, epochs=3)
    np.testing.assert_array_equal(from_files["w"], generated["w"])  # the same sums, in order
    assert from_files["costs"] == generated["costs"]


def test_threads_and_a_local_cluster_of_processes_agree():
    """Blocks generated on worker processes (the problem and its functions sent to them):
    the same training as on threads, within the bound. (The ops themselves are compared
    across schedulers in test_engines.py.)"""
    problem = out_of_core.Problem(2000, 6, 500, seed=1)
    results = {}
    for name in ("threads", "local"):
        options = {"n_workers": 1, "threads_per_worker": 2, "processes": True}
        with dask_engine.scheduler(name, **(options if name == "local" else {})):
            results[name] = beyond_memory.train_by_epochs(
                *out_of_core.generated(problem), eta=1.0, epochs=3
            )
    rtol = train.agreement_rtol(problem.rows, problem.features, 3)
    w = results["threads"]["w"]
    assert np.max(np.abs(results["local"]["w"] - w)) <= rtol * np.max(np.abs(w))
    np.testing.assert_allclose(results["local"]["costs"], results["threads"]["costs"], rtol=rtol)


# The resident size before training (/proc/self/statm) and the peak (getrusage) are two
# reads of Linux's memory counters, which since 6.2 are per-CPU counters read without
# summing: each read may lag by up to 32 pages (or twice the CPUs, if more) per CPU. The
# peak was seen 64 pages (2 CPUs x 32) below the resident size when the process's
# resident size was at its high-water mark (a fresh pytest-xdist worker); a peak below
# it by more than both reads' lag would be a bookkeeping error.
_CPUS = os.cpu_count() or 1
COUNTER_SLACK_BYTES = 2 * _CPUS * max(32, 2 * _CPUS) * os.sysconf("SC_PAGE_SIZE")


def test_a_run_is_recorded_and_never_overwrites_another(tmp_path):
    problem = out_of_core.Problem(4000, 10, 500)
    bandwidth = {"GBps": {"1": 10.0, "2": 16.0}, "source": "vm-20260101-000000.json"}
    record = beyond_memory.run(
        problem, epochs=2, eta=1.0, memory_limit=2**40, threads=2, bandwidth=bandwidth,
        report=None,
    )  # fmt: skip
    assert record["kind"] == beyond_memory.KIND
    assert record["data"]["X_bytes"] == 4000 * 10 * 8
    assert record["scheduler"]["threads"] == 2
    assert record["throughput"]["read_GBps"] == 16.0
    share = record["throughput"]["GBps"] / 16.0
    assert record["throughput"]["share_of_read"] == pytest.approx(share)
    memory = record["memory"]
    assert memory["peak_rss_bytes"] >= memory["peak_rss_before_training_bytes"]
    assert memory["peak_rss_bytes"] >= memory["rss_before_training_bytes"] - COUNTER_SLACK_BYTES
    assert beyond_memory.passed(record)
    first = beyond_memory.write_record(record, tmp_path)
    second = beyond_memory.write_record(record, tmp_path)
    assert first != second
    assert first.name.startswith(beyond_memory.PREFIX)
    assert json.loads(second.read_text()) == json.loads(first.read_text())
    assert not list(tmp_path.glob(".*"))  # no partial file left behind


def test_an_X_that_fits_the_limit_is_refused(tmp_path, capsys):
    code = beyond_memory.main(
        ["--gigabytes", "0.01", "--memory-limit", "1", "--out", str(tmp_path)]
    )
    assert code == 2
    assert "not larger than the memory limit" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
