"""Every op × backend × size × dtype × threads, timed by pytest-benchmark.

What is inside the timed region: the bare kernel only, called on arguments already
checked and converted to the backend's native form (Python lists for the loops,
C-contiguous arrays for Numba), including the allocation of its results. Outside it:
input generation, argument checks, conversion, and one untimed call that compiles the
Numba kernels (and warms caches) before pytest-benchmark calibrates.
"""

from __future__ import annotations

import functools
import time

import numpy as np
import pytest

import kernels
from bench import jit_cost, ladders, records, sampling
from bench.conftest import budget, ladder, mine, timed_backends
from bench.machine import last_level_cache_bytes
from bench.threads import pinned, settle
from bench.timing import best_of, first_call, peak_allocation, traces_allocations
from bench.yours import predicted_seconds
from kernels.ops import OPS, features_shared
from reports.rules import median_interval
from vbschema import JitCost, NotRun


@functools.lru_cache(maxsize=1)
def inputs(op: str, sizes: tuple, dtype: str) -> tuple:
    """Inputs for consecutive cases of one problem, made once (and one problem at a time);
    X made once for consecutive problems of one shape and dtype (``features_shared``:
    the cases are ordered so, ``bench.conftest.pytest_generate_tests``)."""
    with features_shared():
        return kernels.make_inputs(op, dict(sizes), dtype, seed=0)


@functools.cache
def seconds_per_element(op: str, backend: str) -> float:
    """How long the slow backends take per array element, from a small calibration run:
    their time grows linearly with the elements, which predicts the large cases."""
    sizes = ladders.calibration_sizes(op)
    implementation = kernels.get(backend)
    args = implementation.prepare(op, *kernels.make_inputs(op, sizes, "float64"))
    best = best_of(implementation.timed(op), *args, repeats=3, warm_up=False)
    return best / ladders.elements(sizes)


def _kernel(request, op: str, backend: str, dtype: str, sizes: dict):
    """What is timed, and its arguments: a backend's bare kernel on prepared arguments,
    or a student's function (``--mine``) on the op's NumPy arrays."""
    yours = mine(request.config)
    if yours is not None and backend == yours["label"]:
        return yours["function"], inputs(op, tuple(sizes.items()), dtype)
    implementation = kernels.get(backend)
    args = implementation.prepare(op, *inputs(op, tuple(sizes.items()), dtype))
    return implementation.timed(op), args


def _predicted(request, op: str, backend: str, sizes: dict) -> float | None:
    """The predicted seconds per call of a case whose loops may run in the interpreter
    (a backend's that do, or a student's function), else None."""
    yours = mine(request.config)
    if yours is not None and backend == yours["label"]:
        return predicted_seconds(yours["function"], op, sizes)
    if kernels.BACKENDS[backend].interpreted(OPS[op]):
        return seconds_per_element(op, backend) * ladders.elements(sizes)
    return None


def run_case(benchmark, request, op, backend, dtype, threads, sizes):
    spec = OPS[op]
    case = {"op": op, "backend": backend, "dtype": dtype, "threads": threads, "sizes": sizes}
    # Loops in the interpreter can grow past the budget at the top of a ladder.
    predicted = _predicted(request, op, backend, sizes)
    if predicted is not None:
        limit = budget(request.config)
        if predicted > limit:
            reason = f"predicted {predicted:.3g} s per call, over the {limit:g} s budget"
            request.config.stash[records.NOT_RUN].append(
                NotRun(**case, reason=reason, predicted_s=predicted)
            )
            pytest.skip(reason)

    kernel, args = _kernel(request, op, backend, dtype, sizes)
    footprint = spec.bytes_moved(sizes, np.dtype(dtype).itemsize)
    cache = last_level_cache_bytes()
    benchmark.group = f"{op} {dtype}"
    benchmark.extra_info.update(
        {
            **case,
            "flops": spec.flops(sizes),
            "bytes": footprint,
            # the ceiling of a case whose inputs fit in the last-level cache is the
            # cache's read bandwidth; of a larger one, the memory's
            "ceiling": "cache_read_GBps" if footprint <= (cache or 0) else "read_GBps",
            "kind": "steady",
        }
    )
    spec_of = kernels.BACKENDS.get(backend)  # None: a student's function
    if threads > 1:  # on all cores, not beside another engine's spinning pool
        benchmark.extra_info["settled_s"] = round(settle(), 4)
    with pinned(threads, backend if spec_of is not None else None):
        # One untimed call compiles (Numba, JAX) and warms the caches, before the call
        # whose allocations are traced: a first call allocates what later ones do not
        # (Dask's dot at n = 1: 10.9 MB the first time, 34.5 kB after).
        warm_up_s = first_call(kernel, *args)
        # An untimed call that compiled nothing and that tracing did not slow (a loop in
        # the interpreter is traced 7-18x slower) tells a round's length, and spares the
        # calibration: the traced call of a compiled or vectorized kernel, or else the
        # warm-up of an engine that compiles nothing.
        last_call_s = warm_up_s if spec_of is not None and not spec_of.compiles else None
        if traces_allocations(spec_of, threads, predicted):
            start = time.perf_counter()
            benchmark.extra_info["peak_alloc_bytes"] = peak_allocation(kernel, args)
            if predicted is None:  # not a loop in the interpreter
                last_call_s = time.perf_counter() - start
        sampling.sample_until_sure(benchmark, last_call_s=last_call_s)
        benchmark(kernel, *args)
    if benchmark.stats is not None:  # None: --benchmark-disable
        times = benchmark.stats.stats.data
        benchmark.extra_info["median_ci"] = list(median_interval(times))


@pytest.mark.every_case
def test_op(benchmark, request, op, backend, dtype, threads, sizes):
    run_case(benchmark, request, op, backend, dtype, threads, sizes)


def test_jit_compile_cost(request):
    """The compile cost per op of every compiling backend, cold and warm (see
    bench/jit_cost.py)."""
    chosen = ladders.JIT_OPS[ladder(request.config)] or kernels.OPS
    ops = [op for op in kernels.OPS if op in chosen]
    timed = timed_backends(request.config)
    backends = [name for name in timed if kernels.BACKENDS[name].compiles]
    if ladder(request.config) != "full":  # the engines' own compile costs; their variants'
        # (two fresh processes each, about 10 s of the lesson's) on the full ladder
        backends = [name for name in backends if not kernels.BACKENDS[name].variant_of]
    assert backends, "no compiling backend to probe"  # else the check below compares nothing
    measured = jit_cost.measure(backends, ops)
    assert {(r["op"], r["backend"]) for r in measured} == {
        (op, backend) for op in ops for backend in backends if op in kernels.own_ops(backend)
    }
    for record in measured:
        assert record["cold_s"] > 0
        assert record["warm_s"] > 0
        assert record["steady_s"] > 0
    request.config.stash[records.JIT].extend(JitCost(**record) for record in measured)
