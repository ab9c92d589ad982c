"""What this machine can do at best: memory bandwidth and floating-point throughput.

* **Read bandwidth from memory**: summing float64 arrays far larger than the last-level
  cache — each as many times the cache measured on this machine as the run's ladder
  goes out (``OUT_OF_CACHE``: 2× for the lesson, 4× for the full run; at least 80 MiB),
  as the largest benchmark problems are — one stream (Σaᵢ), two streams
  at once (Σ(aᵢ + bᵢ), the access pattern of a dot product) and four (the quarters of
  one array summed side by side, as the compiled ``dot`` walks its vectors: on the
  2-core machine the fastest, and as fast as any kernel reads); the fastest is the
  ceiling. With all cores, each thread walks its own blocks. Bytes: 8 per element read.
* **Read bandwidth from the cache**: the same sums over two arrays that together fill a
  quarter of the last-level cache: the ceiling of the problems that fit in it.
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

import sys

import numba
import numpy as np
from numba import prange
from threadpoolctl import threadpool_limits

from bench.ladders import MEMORY_SHARE, OUT_OF_CACHE
from bench.machine import available_memory_bytes, last_level_cache_bytes
from bench.threads import one_and_all
from bench.timing import BEST_OF_AT_LEAST, best_of
from kernels.jit_cache import cached_njit

CACHES_OUT = max(OUT_OF_CACHE.values())  # the memory probe: as far out as any ladder's top
# A memory probe takes the best of its repeats, or of as many as fit in this many seconds
# (at least ``BEST_OF_AT_LEAST``): on a 300 MiB L3 its arrays are 1.2 GB, and 15 repeats
# of each probe took 19 s of the lesson.
MEMORY_PROBE_S = 0.5


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


@cached_njit(fastmath=True)
def _read4(a):
    quarter = len(a) // 4
    total = 0.0
    for i in range(quarter):
        total += (a[i] + a[quarter + i]) + (a[2 * quarter + i] + a[3 * quarter + i])
    return total


READ_BLOCKS = 8  # blocks of the array shared among the threads, four streams each


@cached_njit(parallel=True, fastmath=True)
def _read4_parallel(a):
    n = len(a)
    total = 0.0
    for block in prange(READ_BLOCKS):
        total += _read4(a[block * n // READ_BLOCKS : (block + 1) * n // READ_BLOCKS])
    return total


@cached_njit
def _triad(a, b, c, scalar):
    for i in range(len(a)):
        a[i] = b[i] + scalar * c[i]


@cached_njit(parallel=True)
def _triad_parallel(a, b, c, scalar):
    for i in prange(len(a)):
        a[i] = b[i] + scalar * c[i]


def probe_bytes(
    cache_bytes: int | None, memory_bytes: int | None, caches_out: int = CACHES_OUT
) -> int:
    """Bytes per array of the memory probe: ``caches_out`` caches (at least 80 MiB), its
    three triad arrays within ``MEMORY_SHARE`` of the available memory."""
    wanted = max(80 * 2**20, caches_out * (cache_bytes or 0))
    if memory_bytes:
        wanted = min(wanted, int(MEMORY_SHARE * memory_bytes / 3))
    return wanted


def _read_bandwidth(b, c, single: bool, repeats: int) -> float:
    """GB/s of the fastest of one stream (b), two streams (b and c) and four (b's
    quarters)."""
    within = MEMORY_PROBE_S if len(b) * 8 > (last_level_cache_bytes() or 0) else None
    one_stream = best_of(_read if single else _read_parallel, b, repeats=repeats, within_s=within)
    kernel = _read2 if single else _read2_parallel
    two_streams = best_of(kernel, b, c, repeats=repeats, within_s=within) / 2
    four_streams = best_of(
        _read4 if single else _read4_parallel, b, repeats=repeats, within_s=within
    )
    return 8 * len(b) / min(one_stream, two_streams, four_streams) / 1e9


def measure(
    array_bytes: int | None = None,
    matrix: int = 1500,
    repeats: int = 15,
    cache_bytes: int | None = None,
    caches_out: int = CACHES_OUT,
) -> dict:
    """The machine's limits at one thread and at all cores, keyed by thread count.

    ``array_bytes`` defaults to ``probe_bytes`` of this machine's measured last-level
    cache (``cache_bytes``) and available memory: ``caches_out`` caches, as far out as
    the run's ladder goes (the lesson's 2×: on a 480 MiB L3 its three arrays are 3.0 GB,
    against 6.0 GB at the full ladder's 4×, and the probe took 21 s)."""
    cache_bytes = cache_bytes or last_level_cache_bytes()
    if array_bytes is None:
        array_bytes = probe_bytes(cache_bytes, available_memory_bytes(), caches_out)
    thread_counts = one_and_all()
    n = array_bytes // 8
    a, b, c = np.zeros(n), np.ones(n), np.full(n, 2.0)
    in_cache = max(1, (cache_bytes or 32 * 2**20) // 8 // 8)  # two arrays: a quarter of it
    b_cached, c_cached = np.ones(in_cache), np.full(in_cache, 2.0)
    A = np.random.default_rng(0).standard_normal((matrix, matrix))
    read, cache_read, triad, peak = {}, {}, {}, {}
    previous = numba.get_num_threads()
    try:
        for threads in thread_counts:
            numba.set_num_threads(threads)
            single = threads == 1
            read[str(threads)] = _read_bandwidth(b, c, single, repeats)
            cache_read[str(threads)] = _read_bandwidth(b_cached, c_cached, single, repeats * 4)
            kernel = _triad if single else _triad_parallel
            seconds = best_of(kernel, a, b, c, 3.0, repeats=repeats, within_s=MEMORY_PROBE_S)
            triad[str(threads)] = 24 * n / seconds / 1e9
            with threadpool_limits(limits=threads, user_api="blas"):
                seconds = best_of(np.dot, A, A, repeats=max(3, repeats // 2))
            peak[str(threads)] = 2 * matrix**3 / seconds / 1e9
    finally:
        numba.set_num_threads(previous)
    return {
        "read_GBps": read,
        "cache_read_GBps": cache_read,
        "triad_GBps": triad,
        "peak_GFLOPs": peak,
        "array_bytes": array_bytes,
        "cache_array_bytes": in_cache * 8,
        "last_level_cache_bytes": cache_bytes,
        "method": (
            f"best of {repeats}, or of the calls in {MEMORY_PROBE_S:g} s if at least "
            f"{min(repeats, BEST_OF_AT_LEAST)}: sums of one, two and four streams over "
            f"{array_bytes // 2**20} "
            f"MiB float64 arrays (read from memory; {caches_out}× the last-level cache or more), "
            f"the same over two {in_cache * 8 // 2**10} KiB arrays (read from the cache, "
            f"best of {repeats * 4}), "
            f"STREAM triad on three such arrays (24 B/element), float64 matrix product "
            f"{matrix}×{matrix} through BLAS (peak)"
        ),
    }


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.limits``: measure, and print the limits as JSON (no options)."""
    import json

    from reports.cli import OneLineParser

    OneLineParser(prog="python -m bench.limits", description=__doc__.splitlines()[0]).parse_args(
        argv
    )
    print(json.dumps(measure(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
