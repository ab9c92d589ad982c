"""Progress of a long benchmark run: cases done out of total, and an estimate of the time left.

Each case is weighted by what it is expected to cost before it runs: pytest-benchmark's
time per case (``--benchmark-max-time``) plus its rounds of one call each (as many as
``sampling.rounds_cap`` allows), a call predicted by a roofline for compiled and
vectorized code (its bytes at ``BYTES_PER_S`` or its FLOPs at ``FLOPS_PER_S``, whichever
takes longer), and from the elements the op walks over for loops in the interpreter, about
100 ns each, which the budget caps (the same prediction that decides which cases are not
run). The estimate is the remaining weight at the rate observed so far, so it corrects
itself as the run goes on, plus the ladder's time for second attempts after the last case.
The rate counts the time spent inside weighed cases only: not pytest's start (collection,
imports), not compiling ahead, and not the slides' demo, whose few cases have no weight of
their own (at the lesson's first estimate these made the time left about twice the truth:
"37/833 cases done, about 9 min left", 7 December); and none is shown before
``EARLIEST_ESTIMATE_S`` of cases.
"""

from __future__ import annotations

import contextlib
import time

import pytest

import kernels
from bench import course, ladders, records, sampling

REPORT_EVERY_S = 10.0
# The first cases of a family are the dearest for their weight (JAX compiles for each new
# shape, Dask's first call imports its scheduler): after 10 s of the lesson's cases the rate
# gave "27/833 cases done, about 14 min left" with 5 min to go (7 December, cc3e08b), and
# 6 min after 20 s. No time left is shown before this many seconds of cases.
EARLIEST_ESTIMATE_S = 30.0
# A compiled or vectorized call, as a roofline of rates below the 2-core machines' (they
# read 13-17 GB/s on one thread, and reach 20-60 GFLOP/s on the network's products). At
# 1 ns per element, as before, the network's cases (m·n·h elements, compute-bound) weighed
# six times what they took in the lesson run of 6 December, and the time left shown while
# the ops ran was twice the truth; by this roofline, each family's weight is within 2.5× of
# what it took.
BYTES_PER_S = 5e9
FLOPS_PER_S = 2e10
INTERPRETED_S_PER_ELEMENT = 1e-7
JIT_PROBE_S = 60.0  # the compile-cost probe: fresh processes, every op compiled twice
# A course training run, as the lesson run of 5 December on the 2-core Xeon measured it
# (mean seconds per run: 1.19, 0.34 and 0.023): the shallow network's thousand
# iterations take a second or more where nothing is compiled (the loops, Dask's tasks),
# a third of one where they are; the linear models' epochs are short everywhere. At
# 8, 1 and 0.2 s the course weighed ten times its 45 s, and the time left shown in the
# last minutes of the ops was three times the truth.
COURSE_RUN_S = {"network, interpreted": 1.5, "network, compiled": 0.4, "linear": 0.03}


def course_weight(name: str, backend: str, ladder: str) -> float:
    """A course case's expected seconds: its timed training runs (a compiling backend's
    untimed one is one step long). The case is parametrized by the experiment's name
    (``course.BY_NAME``), stored as JSON."""
    experiment = course.BY_NAME[name]
    if "hidden" not in experiment.parameters:
        per_run = COURSE_RUN_S["linear"]
    elif kernels.BACKENDS[backend].compiles:
        per_run = COURSE_RUN_S["network, compiled"]
    else:
        per_run = COURSE_RUN_S["network, interpreted"]
    fixed = experiment.fixed_rounds(ladder)
    if fixed is not None:
        return per_run * fixed
    # timed until sure: a noisy run's rounds go to their cap (most of the course's do)
    cap = sampling.rounds_cap(
        per_run, course.MAX_TIME_S[ladder], sampling.CAP_ROUNDS_AT_LEAST, course.CASE_S[ladder]
    )
    return per_run * cap


def case_weight(item: pytest.Item, max_time: float, min_rounds: int, budget: float) -> float | None:
    """A case's expected seconds; ``None`` for a case with no estimate of its own (the
    slides' demo), which the rate leaves out."""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "experiment" in callspec.params:
        ladder = item.config.getoption("--ladder")
        return course_weight(callspec.params["experiment"], callspec.params["backend"], ladder)
    if callspec is None or "sizes" not in callspec.params:
        return JIT_PROBE_S if "jit" in item.name else None
    params = callspec.params
    sizes, op = params["sizes"], kernels.OPS[params["op"]]
    spec = kernels.BACKENDS.get(params["backend"])  # None: a student's function (--mine)
    if spec is None or spec.interpreted(op):
        call = ladders.elements(sizes) * INTERPRETED_S_PER_ELEMENT
    else:
        call = max(op.bytes_moved(sizes, 8) / BYTES_PER_S, op.flops(sizes) / FLOPS_PER_S)
    call = min(call, budget)
    rounds = min(min_rounds, sampling.rounds_cap(call, max_time, min_rounds, sampling.LONG_CASE_S))
    return max_time + rounds * call


# What a run's cases are, in the order they run (bench/conftest.py), by their test's name.
PARTS = (
    ("test_slides.py::", "the slides' demo"),
    ("test_ops.py::test_op[", "the ops, family by family (compiled before a backend's first "
     "case is timed)"),
    ("test_course.py::", "the course"),
    ("test_ops.py::test_jit_compile_cost", "the compile costs"),
)  # fmt: skip


def plan(items: list[pytest.Item]) -> str:
    """ "; A first, then B, C, and D": the parts of the run that the selected cases belong to
    (a run of one's own function, ``--mine``, has only ops)."""
    parts = [name for key, name in PARTS if any(key in item.nodeid for item in items)]
    if len(parts) < 2:
        return f": {parts[0]}" if parts else ""
    rest = parts[1:]
    then = rest[0] if len(rest) == 1 else f"{', '.join(rest[:-1])}, and {rest[-1]}"
    return f"; {parts[0]} first, then {then}"


class Progress:
    """A pytest plugin: a line every ``REPORT_EVERY_S`` seconds while cases run."""

    def __init__(self, config: pytest.Config, budget: float, after: float = 0.0) -> None:
        """``after``: the seconds the run goes on after its last case (the ladder's time for
        second attempts, ``sampling.RETIME_S``, which a run spends nearly whole)."""
        self.config = config
        self.budget = budget
        self.after = after
        self.weights: dict[str, float | None] = {}
        self.done_weight = 0.0
        self.spent = 0.0  # seconds inside the weighed cases done
        self.done = 0
        self.finished: set[str] = set()
        self.case_start: float | None = None
        self.last = time.monotonic()

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        max_time = float(self.config.getoption("benchmark_max_time", 1.0) or 1.0)
        min_rounds = int(self.config.getoption("benchmark_min_rounds", 5) or 5)
        self.weights = {
            item.nodeid: case_weight(item, max_time, min_rounds, self.budget) for item in items
        }

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.say(f"bench: {len(self.weights)} cases to run{plan(session.items)}")
        self.say(
            "bench: pytest marks each case timed with a dot and each one not run with an s "
            "(over its time budget: the report says why); the second attempts at the end "
            "count again in its total"
        )

    def paused(self, seconds: float) -> None:
        """Work that no case weighs (compiling ahead, in a case's set-up) took ``seconds``:
        not counted in the rate that the time left is estimated from."""
        if self.case_start is not None:
            self.case_start += seconds
        self.last = time.monotonic()

    def say(self, line: str) -> None:
        """A line on the terminal, even from inside a case (its output is captured)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        capture = self.config.pluginmanager.get_plugin("capturemanager")
        if reporter is None:
            return
        with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
            reporter.write_line(line)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """The first number worth reading, as soon as it is measured: the slides' demo."""
        if report.when != "call" or not report.passed or "slide_as_a_student" not in report.nodeid:
            return
        measured = self.config.stash.get(records.SLIDES, None)
        if measured and measured.get("vectorized_ms"):
            self.say(
                f"bench: the slides' demo, n = {measured['n']:,}: the for loop "
                f"{measured['loop_ms']:.4g} ms, np.dot {measured['vectorized_ms']:.3g} ms, "
                f"{measured['loop_ms'] / measured['vectorized_ms']:,.0f}× faster "
                "(one call each, timed as the slides do)"
            )

    def pytest_runtest_logstart(self, nodeid: str) -> None:
        self.case_start = time.monotonic()

    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        if nodeid in self.finished:  # a second attempt (bench/conftest.py, retime_unsure)
            return
        self.finished.add(nodeid)
        self.done += 1
        now = time.monotonic()
        weight = self.weights.get(nodeid)
        if weight is not None and self.case_start is not None:
            self.done_weight += weight
            self.spent += now - self.case_start
        if now - self.last < REPORT_EVERY_S or self.done == len(self.weights):
            return
        if self.done_weight == 0:  # nothing to estimate from yet (the slides' demo)
            return
        self.last = now
        self.say(self.line(self.spent))

    def line(self, spent: float) -> str:
        """The line for ``spent`` seconds inside the weighed cases done so far; the time
        left only from ``EARLIEST_ESTIMATE_S`` on."""
        done = f"bench: {self.done}/{len(self.weights)} cases done"
        if self.done_weight <= 0 or spent < EARLIEST_ESTIMATE_S:
            return done
        remaining = sum(w for w in self.weights.values() if w is not None) - self.done_weight
        return f"{done}, about {_duration(remaining * spent / self.done_weight + self.after)} left"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(seconds, 1):.0f} s"
    return f"{seconds / 60:.0f} min"
