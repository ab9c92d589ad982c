"""What this machine can do at best: memory bandwidth and floating-point throughput.

* **Read bandwidth**: summing float64 arrays far larger than the last-level cache — 80 MiB
  each, the footprint of the largest benchmark problems (a 10⁷-element dot product reads
  two such vectors; the largest X is 160 MB) —
  one stream (Σaᵢ) and two streams at once (Σ(aᵢ + bᵢ), the access pattern of a dot
  product); the faster of the two is the ceiling. Bytes: 8 per element read.
* **Triad bandwidth** (STREAM's a = b + s·c): two streams read, one written.
  Bytes counted as STREAM does, 24 per element (the write-allocate read is not
  counted).
* **Peak FLOP/s**, estimated by what BLAS achieves on a large matrix product (2·N³
  FLOPs): the best a tuned kernel reaches on this machine, not the data sheet.

Each is measured with one thread and with all cores, as the best of several repeats
(as STREAM reports), so a report can state every kernel as a share of the machine's
own limits. The kernels are compiled before they are timed.
"""

from __future__ import annotations

import time

import numba
import numpy as np
from numba import prange
from threadpoolctl import threadpool_limits

from bench.threads import one_and_all
from kernels.jit_cache import cached_njit


@cached_njit(fastmath=True)
def _read(a):
    total = 0.0
    for i in range(len(a)):
        total += a[i]
    return total


@cached_njit(parallel=True, fastmath=True)
def _read_parallel(a):
    total = 0.0
    for i in prange(len(a)):
        total += a[i]
    return total


@cached_njit(fastmath=True)
def _read2(a, b):
    total = 0.0
    for i in range(len(a)):
        total += a[i] + b[i]
    return total


@cached_njit(parallel=True, fastmath=True)
def _read2_parallel(a, b):
    total = 0.0
    for i in prange(len(a)):
        total += a[i] + b[i]
    return total


@cached_njit
def _triad(a, b, c, scalar):
    for i in range(len(a)):
        a[i] = b[i] + scalar * c[i]


@cached_njit(parallel=True)
def _triad_parallel(a, b, c, scalar):
    for i in prange(len(a)):
        a[i] = b[i] + scalar * c[i]


def _best_seconds(function, *args, repeats: int) -> float:
    function(*args)  # compile, and fault the pages in
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function(*args)
        best = min(best, time.perf_counter() - start)
    return best


def measure(array_bytes: int = 80 * 2**20, matrix: int = 1500, repeats: int = 15) -> dict:
    """The machine's limits at one thread and at all cores, keyed by thread count."""
    thread_counts = one_and_all()
    n = array_bytes // 8
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    A = np.random.default_rng(0).standard_normal((matrix, matrix))
    read, triad, peak = {}, {}, {}
    previous = numba.get_num_threads()
    try:
        for threads in thread_counts:
            numba.set_num_threads(threads)
            single = threads == 1
            one_stream = _best_seconds(_read if single else _read_parallel, b, repeats=repeats)
            kernel = _read2 if single else _read2_parallel
            two_streams = _best_seconds(kernel, b, c, repeats=repeats) / 2
            read[str(threads)] = 8 * n / min(one_stream, two_streams) / 1e9
            kernel = _triad if single else _triad_parallel
            seconds = _best_seconds(kernel, a, b, c, 3.0, repeats=repeats)
            triad[str(threads)] = 24 * n / seconds / 1e9
            with threadpool_limits(limits=threads, user_api="blas"):
                seconds = _best_seconds(np.dot, A, A, repeats=max(3, repeats // 2))
            peak[str(threads)] = 2 * matrix**3 / seconds / 1e9
    finally:
        numba.set_num_threads(previous)
    return {
        "read_GBps": read,
        "triad_GBps": triad,
        "peak_GFLOPs": peak,
        "method": (
            f"best of {repeats}: sums over one and two {array_bytes // 2**20} MiB float64 "
            "arrays (read), "
            f"STREAM triad on three such arrays (24 B/element), float64 matrix product "
            f"{matrix}×{matrix} through BLAS (peak)"
        ),
    }


if __name__ == "__main__":
    import json

    print(json.dumps(measure(), indent=2))
