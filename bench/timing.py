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

All use ``time.perf_counter``, the clock pytest-benchmark uses.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def first_call(function: Callable, *args) -> float:
    """Seconds taken by one call."""
    start = time.perf_counter()
    function(*args)
    return time.perf_counter() - start


def best_of(function: Callable, *args, repeats: int, warm_up: bool = True) -> float:
    """The fastest of ``repeats`` calls, after one untimed call (compiling, paging in)."""
    if warm_up:
        function(*args)
    return min(first_call(function, *args) for _ in range(repeats))


def median_of(function: Callable, *args, seconds: float = 0.05, min_calls: int = 5) -> float:
    """The median of at least ``min_calls`` calls lasting about ``seconds`` in all."""
    times = []
    deadline = time.perf_counter() + seconds
    while len(times) < min_calls or time.perf_counter() < deadline:
        times.append(first_call(function, *args))
    return statistics.median(times)
