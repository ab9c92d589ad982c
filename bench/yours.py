"""Time a function of your own beside the suite's backends: ``kernels.time(propagate,
"logistic_gradient")`` in a notebook.

It is checked first (``kernels.check``, correctness only: the timing is where its speed
shows), and a wrong function is not timed. Then it and the backends (the Python loop
and NumPy by default) are timed on the op's lesson ladder (``bench/ladders.py``) under
the benchmarks' own rules: a round of calls lasting at least ``sampling.MIN_ROUND_S``,
rounds until the median is known to ±3% or ``sampling.MAX_TIME_S`` is spent
(``sampling.run_until_sure``), the median's 95% interval (``reports.rules``), the threads
pinned (``bench.threads``), and an interpreted series stopped where its predicted time
per call passes the ladder's budget. The backends are timed as the benchmarks time them
(their bare kernel on prepared arguments); your function on the op's NumPy arrays.

It lives in ``bench/``, not ``kernels/``: timing is the benchmarks' concern, and the
layering (kernels → bench → results → reports) keeps kernels free of it. ``kernels.time``
is this function, looked up only when asked for (``kernels/__init__.py``), so importing
kernels imports nothing of bench.

``nox -s bench -- --mine FILE.py:FUNCTION --op OP`` times it the same way inside the
benchmark run, into a result file and its report (``bench/conftest.py``).
"""

from __future__ import annotations

import functools
import time as clock
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import kernels
from bench import ladders, sampling
from bench.conftest import DEFAULT_BUDGET_S
from bench.machine import available_memory_bytes, last_level_cache_bytes
from bench.threads import pinned
from bench.timing import best_of
from kernels.ops import OPS
from reports.formatting import shape_key
from reports.rules import median_interval

# A benchmark run imports this module for ``predicted_seconds``; the table, its reading
# and its figure (pandas, Matplotlib: 0.5 s of CPU a process) are imported where used.
if TYPE_CHECKING:
    import pandas as pd

DEFAULT_BACKENDS = ("python", "numpy")
YOURS_COLOUR = "#000000"


class Timing(NamedTuple):
    """What ``time`` returns: the medians, the figure of the sweep and its reading."""

    table: pd.DataFrame
    figure: object  # a matplotlib Figure
    reading: str


def _round(kernel: Callable, args: tuple) -> Callable[[range | None], float]:
    """pytest-benchmark's runner: the seconds of one round of ``len(loops)`` calls."""

    def runner(loops: range | None) -> float:
        start = clock.perf_counter()
        for _ in loops or range(1):
            kernel(*args)
        return clock.perf_counter() - start

    return runner


def sample(kernel: Callable, args: tuple, max_time: float) -> list[float]:
    """Per-call times of ``kernel(*args)``, by the benchmarks' rule: one untimed call, a
    round calibrated to ``MIN_ROUND_S``, rounds until the median is sure or time is up."""
    kernel(*args)
    runner = _round(kernel, args)
    loops = 1
    while (duration := runner(range(loops))) < sampling.MIN_ROUND_S and loops < 2**20:
        loops *= 2
    max_rounds = sampling.rounds_cap(
        duration, max_time, sampling.CAP_ROUNDS_AT_LEAST, sampling.LONG_CASE_S
    )
    return sampling.run_until_sure(runner, range(loops), lambda _: None, max_rounds)


def _series(function: Callable, label: str, op: str, backends: Sequence[str]):
    """(name, kernel maker) per series: the backends' bare kernels, then yours."""
    series = []
    for backend in backends:
        implementation = kernels.get(backend)

        def prepared(args, implementation=implementation):
            return implementation.timed(op), implementation.prepare(op, *args)

        series.append((backend, prepared))
    series.append((label, lambda args: (function, args)))
    return series


def sweep(
    function: Callable,
    op: str,
    label: str,
    backends: Sequence[str],
    ladder: str,
    threads: int,
    sizes: list[dict] | None = None,
) -> pd.DataFrame:
    """The timings of ``time`` as a table, one row per series and size."""
    import pandas as pd

    if sizes is None:
        cache, memory = last_level_cache_bytes(), available_memory_bytes()
        sizes = list(ladders.sizes_of(op, ladder, cache, memory))
    budget, max_time = DEFAULT_BUDGET_S[ladder], sampling.MAX_TIME_S[ladder]
    rows = []
    for name, make in _series(function, label, op, backends):
        per_element = 0.0
        for size in sizes:
            elements = ladders.elements(size)
            predicted = per_element * elements
            row = {"op": op, "backend": name, "dtype": "float64", "threads": threads}
            row.update({"shape": shape_key(size), "size": elements})
            if predicted > budget:
                rows.append({**row, "status": f"not run: predicted {predicted:.3g} s per call"})
                break
            kernel, args = make(kernels.make_inputs(op, size, "float64", seed=0))
            with pinned(threads, name if name in kernels.BACKENDS else None):
                times = sample(kernel, args, max_time)
            low, high = median_interval(times)
            median = float(np.median(times))
            per_element = median / elements
            rows.append(
                {**row, "status": "ok", "median_s": median, "ci_low_s": low, "ci_high_s": high}
            )
            rows[-1]["rounds"] = len(times)
    return pd.DataFrame(rows)


# A student's function is timed at the calibration size and at this many times its
# samples: two points of a line, time = per call + per element × elements.
YOUR_SECOND_POINT = 10


@functools.cache
def cost_per_call_and_element(function, op: str) -> tuple[float, float]:
    """(seconds per call, seconds per element) of a student's function, which may loop in
    the interpreter (its time all per element) or be vectorized (at the calibration size,
    its time nearly all per call: scaled by the elements alone, a vectorized function that
    took 1.3 ms at 10⁴ × 100 was predicted at 0.36 s at 10⁵ × 100, and skipped)."""
    small = ladders.calibration_sizes(op)
    first = next(iter(small))  # the samples (a vector's length)
    large = {**small, first: small[first] * YOUR_SECOND_POINT}
    (e1, t1), (e2, t2) = (
        (
            ladders.elements(sizes),
            best_of(function, *kernels.make_inputs(op, sizes, "float64"), repeats=3),
        )
        for sizes in (small, large)
    )
    per_element = max(t2 - t1, 0.0) / (e2 - e1)
    return max(t1 - per_element * e1, 0.0), per_element


def predicted_seconds(function, op: str, sizes: dict[str, int]) -> float:
    """A student's function's time per call at ``sizes``, from its two calibration points
    (``cost_per_call_and_element``): what decides, on a ladder, whether it is run."""
    per_call, per_element = cost_per_call_and_element(function, op)
    return per_call + per_element * ladders.elements(sizes)


def figure(table: pd.DataFrame, name: str, label: str = "yours", title: str = ""):
    """The op's sweep: median time per call against elements, one line per series,
    yours in black and thicker, each median with its 95% interval."""
    from reports import figkit

    @figkit.styled
    def draw():
        fig = figkit.new_figure(7.5, 4.8)
        ax = fig.subplots()
        for backend, rows in table[table["status"] == "ok"].groupby("backend", sort=False):
            rows = rows.sort_values("size")
            if backend == label:
                style = {"color": YOURS_COLOUR, "linewidth": 2.6, "zorder": 3}
                text = f"{label} ({name})"
            else:
                spec = kernels.BACKENDS[backend]
                style = {"color": spec.colour, "linewidth": 1.4}
                text = spec.label
            errors = [rows["median_s"] - rows["ci_low_s"], rows["ci_high_s"] - rows["median_s"]]
            ax.errorbar(rows["size"], rows["median_s"], yerr=errors, marker="o", ms=3.5,
                        label=text, **style)  # fmt: skip
        figkit.log_axes(ax, "elements (the op's array sizes multiplied)", "median time per call")
        figkit.seconds_axis(ax.yaxis)
        ax.set_title(title, fontsize="medium")
        ax.legend(loc="upper left")
        return fig

    return draw()


def time(
    function: Callable,
    op: str,
    label: str = "yours",
    *,
    backends: Sequence[str] = DEFAULT_BACKENDS,
    ladder: str = "lesson",
    threads: int = 1,
    sizes: list[dict] | None = None,
) -> Timing:
    """Check ``function`` (``kernels.check``, correctness only), then time it beside
    ``backends`` on ``ladder``'s sizes for ``op`` (or ``sizes``), on ``threads`` threads.

    Returns ``Timing(table, figure, reading)``: a DataFrame (op, backend, threads, size,
    median_s and its interval ci_low_s, ci_high_s, rounds, status), a matplotlib Figure
    and a one-line reading. Prints nothing. A function that fails the check raises
    ``ValueError`` with the check's text: it is not timed.
    """
    if op not in OPS:
        raise ValueError(f"unknown op {op!r}; choose one of {', '.join(OPS)}")
    if ladder not in ladders.LADDERS:
        raise ValueError(f"unknown ladder {ladder!r}; choose one of {', '.join(ladders.LADDERS)}")
    if label in kernels.BACKENDS:
        raise ValueError(f"label {label!r} is a backend's name; choose another")
    checked = kernels.check(function, op, speed=False)
    if not checked.passed:
        raise ValueError(f"not timed, the check fails first:\n{checked}")
    table = sweep(function, op, label, backends, ladder, threads, sizes)
    name = getattr(function, "__name__", label)
    # the loop and the reference, found by their roles in this session's catalogue
    backends = {n: {"role": s.role, "label": s.label} for n, s in kernels.BACKENDS.items()}
    from reports.yours import reading

    line = reading(table, name, label, {"backends": backends})
    return Timing(table, figure(table, name, label, f"{op}\n{line}"), line)
