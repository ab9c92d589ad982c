"""Pinning the threads a kernel may use: BLAS through threadpoolctl, Numba directly."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numba
from threadpoolctl import threadpool_limits

from bench.machine import all_cores
from kernels import BACKENDS


def one_and_all() -> list[int]:
    """One thread, and all cores (the same on a one-core machine)."""
    return sorted({1, all_cores()})


def thread_counts(backend: str) -> list[int]:
    """One thread for every backend; all cores too for the multi-threaded ones."""
    return one_and_all() if BACKENDS[backend].multithreaded else [1]


@contextlib.contextmanager
def pinned(threads: int) -> Iterator[None]:
    """Let BLAS and Numba's parallel loops use exactly ``threads`` threads."""
    previous = numba.get_num_threads()
    numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    try:
        with threadpool_limits(limits=threads, user_api="blas"):
            yield
    finally:
        numba.set_num_threads(previous)
