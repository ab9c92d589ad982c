"""The few timings made outside pytest-benchmark, in one place, and why each is different.

pytest-benchmark times every case (``bench/test_ops.py``) and every course experiment
(``bench/test_course.py``). Three measurements cannot go through it:

* ``first_call`` — a compile cost is the first call in a fresh process: one call, by
  definition (``bench/jit_cost.py`` runs it in a new interpreter each time);
* ``best_of`` — the machine's ceilings (``bench/limits.py``) are the best of several
  repeats, as STREAM reports them: the least-disturbed run is the closest to what the
  hardware can do; the calibration that predicts a slow case's time uses it too;
* ``median_of`` — the steady time of a kernel inside the compile-cost probe's fresh
  process, beside its first call.

And one measurement of memory, made on one more untimed call of a case:
``peak_allocation``, where ``traces_allocations`` says so.

All use ``time.perf_counter``, the clock pytest-benchmark uses.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc
from collections.abc import Callable


def first_call(function: Callable, *args) -> float:
    """Seconds taken by one call."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def best_of(
    function: Callable, *args, repeats: int, warm_up: bool = True, within_s: float | None = None
) -> float:
    """The fastest of ``repeats`` calls, after one untimed call (compiling, paging in); with
    ``within_s``, of fewer once that many seconds are spent, but not of fewer than
    ``BEST_OF_AT_LEAST`` (or ``repeats``, if fewer)."""
    if warm_up:
        function(*args)
    times: list[float] = []
    while len(times) < repeats:
        times.append(first_call(function, *args))
        if within_s is not None and len(times) >= BEST_OF_AT_LEAST and sum(times) >= within_s:
            break
    return min(times)


# The fewest calls ``best_of`` takes the best of when its time is short.
BEST_OF_AT_LEAST = 5


def median_of(function: Callable, *args, seconds: float = 0.05, min_calls: int = 5) -> float:
    """The median of at least ``min_calls`` calls lasting about ``seconds`` in all."""
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < min_calls or time.perf_counter() < deadline:
        times.append(first_call(function, *args))
    return statistics.median(times)


# tracemalloc hooks every object a loop in the interpreter creates, a float per
# multiply-add, and slows it 7-18x (the Python loop's dot at 10^6: 0.07 s, traced 0.92 s;
# mlp_forward at 1000 x 784 x 4: 0.18 s, traced 3.3 s). Such a loop is probed only where
# a call is predicted to take at most this long.
TRACED_LOOP_LIMIT_S = 0.02


def traces_allocations(spec, threads: int, predicted_s: float | None) -> bool:
    """Whether a case's peak allocation is probed: at one thread (what a call allocates
    does not depend on the thread count), for an engine whose allocations tracemalloc
    sees (an engine with an allocator of its own would show it nothing; ``spec`` None: a
    student's function), and for a loop in the interpreter (``predicted_s`` not None)
    only where a call is short."""
    return (
        threads == 1
        and (spec is None or spec.allocations_traced)
        and (predicted_s is None or predicted_s <= TRACED_LOOP_LIMIT_S)
    )


def peak_allocation(kernel, args) -> int:
    """Bytes allocated at the peak of one untimed call: its temporaries and its results.

    ``tracemalloc`` sees what goes through Python's allocators and what NumPy and Numba's
    runtime report to it (NumPy's arrays, the arrays a Numba kernel creates); memory an
    engine manages on its own (a BLAS library's buffers, another engine's device memory)
    it does not see. The inputs, allocated before, are not counted.
    """
    tracemalloc.start()
    try:
        kernel(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
