"""Pinning the threads a kernel may use: BLAS through threadpoolctl, Numba, Dask and
PyTorch directly."""

from __future__ import annotations

import contextlib
import importlib
import sys
import time
from collections.abc import Iterator

import numba
from threadpoolctl import threadpool_limits

from bench.machine import all_cores
from kernels import BACKENDS
from kernels.jit_cache import cached_njit


@cached_njit(parallel=True)
def _parallel_sum(n):
    total = 0
    for i in numba.prange(n):
        total += i
    return total


def launch_in_parallel() -> None:
    """One parallel launch of Numba's, which chooses its threading layer: a kernel from
    the disk cache, not compiled again by every process (1 s of each benchmark run)."""
    _parallel_sum(4)


def load_own_openmp(backends) -> None:
    """Import the libraries of those ``backends`` that bring their own OpenMP runtime,
    before Numba's first parallel launch loads the system's.

    Numba's OpenMP layer loads the system's libgomp (``libgomp.so.1.0.0``), whose soname,
    ``libgomp.so.1``, is the name PyTorch asks for: loaded first, it serves PyTorch too.
    PyTorch's loops on it (GCC 12's) waited for a scheduler tick at every call on two
    threads: 3.7-4.0 ms for ``logistic_cost`` from 3,000 to 10^5 elements, where they take
    0.05-0.55 ms on PyTorch's own libgomp (2-core AMD EPYC). Loaded after PyTorch's own, it
    is a second runtime: one each, and both engines keep their speed.
    """
    for name in backends:
        spec = BACKENDS[name]
        if spec.own_openmp and spec.installed:
            for library in spec.requires:
                # A library that fails to import here is imported again by its own cases,
                # which then fail and say why; the others run.
                with contextlib.suppress(Exception):
                    importlib.import_module(library)


# A case on more than one thread starts once the process's other threads have stopped
# using the CPU. A thread pool keeps its workers spinning for a while after its last job,
# in case another comes: OpenBLAS's for 0.10-0.15 s after NumPy's last product on two
# threads (measured on the 2-core AMD EPYC). A case on all cores that started in that
# window had one core fewer than it asked for: Numba parallel's ``mlp_forward`` at
# 1000 × 784, h = 1 and 4, took 7.98 ms a call instead of 0.07-0.3 ms, right after NumPy's
# two-thread case, in the lesson's run (a sampled case lasts 0.02-0.07 s, so the next two
# or three fell in the window). Checked every SETTLE_WINDOW_S: quiet when the others used
# less than SETTLE_BUSY of it; never more than SETTLE_MAX_S in all.
SETTLE_WINDOW_S = 0.005
SETTLE_BUSY = 0.1
SETTLE_MAX_S = 0.5


def settle() -> float:
    """Wait until the other threads of this process leave the CPU (another engine's pool
    still spinning after its last job), at most ``SETTLE_MAX_S``; returns the wait."""
    start = time.perf_counter()
    while True:
        others = time.process_time() - time.thread_time()
        time.sleep(SETTLE_WINDOW_S)
        used = time.process_time() - time.thread_time() - others
        waited = time.perf_counter() - start
        if used < SETTLE_BUSY * SETTLE_WINDOW_S or waited >= SETTLE_MAX_S:
            return waited


def one_and_all() -> list[int]:
    """One thread, and all cores (the same on a one-core machine)."""
    return sorted({1, all_cores()})


def thread_counts(backend: str) -> list[int]:
    """One thread for every backend; all cores too for the multi-threaded ones; only all
    cores for those whose thread pool is fixed when the process starts (XLA's)."""
    spec = BACKENDS[backend]
    if spec.fixed_threads:
        return [all_cores()]
    return one_and_all() if spec.multithreaded else [1]


@contextlib.contextmanager
def pinned(threads: int, backend: str | None = None) -> Iterator[None]:
    """Let BLAS, Numba's parallel loops, Dask's threaded scheduler and PyTorch's intra-op
    thread pool use exactly ``threads`` threads (a dask.distributed cluster keeps its
    own: see the result file's ``dask`` record). For a backend whose scheduler spreads
    its tasks over the threads (``BackendSpec.schedules_threads``), BLAS gets one thread
    per task."""
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    blas = 1 if backend is not None and BACKENDS[backend].schedules_threads else threads
    try:
        with contextlib.ExitStack() as stack:
            stack.enter_context(threadpool_limits(limits=blas, user_api="blas"))
            if "dask" in sys.modules:
                import dask

                stack.enter_context(dask.config.set(num_workers=threads))
            if "torch" in sys.modules:
                stack.enter_context(torch_threads(threads))
            yield
    finally:
        numba.set_num_threads(previous)


@contextlib.contextmanager
def torch_threads(threads: int) -> Iterator[None]:
    """PyTorch's intra-op threads (its own loops and its BLAS calls), restored after."""
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
