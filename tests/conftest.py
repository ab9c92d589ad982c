"""Test-run set-up for pytest-xdist: Numba's kernels compiled once, before the workers
start, into an on-disk cache written safely (``kernels.numba_warmup``)."""

from __future__ import annotations

import os
import shutil
import tempfile
import time

import pytest

from kernels.numba_warmup import lock_the_cache, warm


def _workers(config: pytest.Config) -> int:
    """How many xdist workers this run starts (0: none, or this is a worker)."""
    if hasattr(config, "workerinput"):
        return 0
    return int(getattr(config.option, "numprocesses", None) or 0)


def pytest_configure(config: pytest.Config) -> None:
    # numba_parallel's OpenMP threads, between two parallel loops, spin on a core for a
    # while before they sleep: what a timed run wants on a quiet machine, but here each
    # worker's spinning threads take the cores from the other workers (a smoke course
    # session's numba_parallel minibatch: 23 s, 7 s with the threads sleeping). Set
    # before any process of the run starts its threads (workers and the processes tests
    # start inherit it); a benchmark run (``nox -s bench``) does not read this file.
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    if not hasattr(config, "workerinput") and "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        # XLA compiles an op anew for each shape and dtype, 0.1-0.2 s each: about a quarter
        # of the tests' CPU. The run's processes (the workers, the benchmark sessions tests
        # start) meet some shapes more than once; with one on-disk cache for the whole run,
        # each is compiled once (584 compilations; 509 and 494 with it, in two runs of
        # 7 December). The run's own cache, removed after it; the JIT probe
        # (bench/jit_cost.py) still uses a fresh one.
        directory = tempfile.mkdtemp(prefix="vectorbench-xla-")
        config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
        os.environ["JAX_COMPILATION_CACHE_DIR"] = directory
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
        os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")
    lock_the_cache()
    if hasattr(config, "workerinput"):
        # The benchmark sessions that tests start (``python -m pytest bench ...``) are
        # runs of their own, not xdist workers: pytest-benchmark reads these variables
        # and would disable their timings (and warn, which is an error here).
        for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
            os.environ.pop(name, None)


@pytest.hookimpl(tryfirst=True)  # before xdist starts its workers (its hook is trylast)
def pytest_sessionstart(session: pytest.Session) -> None:
    from support import TESTED_BACKENDS  # after a plugin's registrations (pytest_configure)

    workers = _workers(session.config)
    if workers < 2 or TESTED_BACKENDS == "optional":
        # (a run of the optional backends only, tests_torch, needs few Numba kernels:
        # the first test that calls one compiles it)
        return
    start = time.perf_counter()
    warm(workers)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"numba: kernels compiled or loaded in {time.perf_counter() - start:.0f} s, "
            f"{workers} at a time, before the workers start"
        )


# The files that take longest, longest first (seconds on one worker of the 2-core machine,
# 7 December: 56, 54, 46, 44, 39, 25, 25, 25, 23, 20, 18, 16, 14, 13, 12; the rest 0-5).
# pytest-xdist hands a worker the next file in collection order as it finishes one
# (``--no-loadscope-reorder``: not the files with the most tests first). Ordered by
# their number of tests, a 20 s file came last and ran alone on one core, the other
# idle; longest first, the short files fill the end instead.
LONGEST_FIRST = (
    "tests/test_generated.py", "tests/test_reports.py", "tests/test_bench_pipeline.py",
    "tests/test_train.py", "tests/test_kernels.py", "tests/test_catalogue.py",
    "bench/test_ops.py", "tests/test_classroom.py", "tests/test_run_safety.py",
    "tests/test_jit_cache.py", "tests/test_warmup.py", "tests/test_exact.py", "tests/test_check.py",
    "tests/test_vector_math.py", "tests/test_engines.py",
)  # fmt: skip


@pytest.hookimpl(trylast=True)  # after bench/conftest.py's order of the benchmarks
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under pytest-xdist, the longest files first (``LONGEST_FIRST``). In a run of the
    optional backends only (tests/support.py), a test's cases of a backend named in its
    parameters (JAX's, NumPy's) are left to nox -s tests."""
    from support import TESTED_BACKENDS, under_test

    import kernels

    if hasattr(config, "workerinput"):

        def rank(item: pytest.Item) -> int:
            path = item.nodeid.split("::")[0]
            return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

        items.sort(key=rank)  # stable: each file's own order is kept
    if TESTED_BACKENDS != "optional":
        return
    kept, left = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        backend = callspec.params.get("backend") if callspec else None
        other = backend in kernels.BACKENDS and not under_test(backend)
        (left if other else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
