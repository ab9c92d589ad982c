"""The rule that stops a case's rounds: the median's order-statistic interval."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from bench import sampling
from bench.conftest import rounded_to_the_timer
from bench.threads import SETTLE_MAX_S, settle
from reports import rules


def coverage(rounds: int, j: int, k: int) -> float:
    """P(sorted[j] <= true median <= sorted[k]) for continuous data: B(n, ½) in [j+1, k]."""
    return sum(math.comb(rounds, count) for count in range(j + 1, k + 1)) / 2**rounds


@pytest.mark.parametrize(
    ("rounds", "expected"),
    [(6, (0, 5)), (10, (1, 8)), (20, (5, 14)), (100, (39, 60))],  # the textbook tables
)
def test_the_ranks_are_the_textbook_ones(rounds, expected):
    assert rules.order_statistic_ranks(rounds) == expected


@pytest.mark.parametrize("rounds", [6, 7, 9, 15, 31, 64, 200, 999])
def test_the_interval_covers_the_median_at_95_percent_and_is_the_narrowest(rounds):
    j, k = rules.order_statistic_ranks(rounds)
    assert coverage(rounds, j, k) >= 0.95
    assert coverage(rounds, j + 1, k - 1) < 0.95  # one step narrower would not


def test_the_normal_approximation_takes_over_smoothly():
    exact = rules.order_statistic_ranks(1000)
    approximate = rules.order_statistic_ranks(1001)
    assert abs(exact[0] - approximate[0]) <= 1
    assert coverage(1001, *approximate) >= 0.95


def test_too_few_rounds_give_the_whole_range():
    assert rules.order_statistic_ranks(5) == (0, 4)  # [min, max] covers only 94%
    assert rules.median_interval([3.0, 1.0, 2.0]) == (1.0, 3.0)


def fake_runner(times):
    """A runner whose rounds last the given seconds, one after another."""
    it = iter(times)
    return lambda loops: next(it)


def test_a_steady_case_stops_after_the_fewest_rounds():
    recorded = []
    times = sampling.run_until_sure(fake_runner([1.0] * 1000), None, recorded.append, 1000)
    assert len(times) == sampling.MIN_ROUNDS
    assert recorded == times


def test_a_noisy_case_runs_to_its_cap():
    rng = random.Random(0)
    noisy = [rng.uniform(1.0, 3.0) for _ in range(500)]
    times = sampling.run_until_sure(fake_runner(noisy), None, lambda t: None, 40)
    assert len(times) == 40
    assert not sampling.sure(times)


def test_a_moderately_noisy_case_stops_once_sure_and_not_before():
    rng = random.Random(1)
    rounds = [rng.gauss(1.0, 0.05) for _ in range(5000)]
    times = sampling.run_until_sure(fake_runner(rounds), range(10), lambda t: None, 5000)
    assert sampling.MIN_ROUNDS < len(times) < 5000
    assert sampling.sure(times)
    assert not sampling.sure(times[: len(times) // 2])  # it did need more rounds
    assert times[0] == pytest.approx(rounds[0] / 10)  # per call: the round over its loops


def test_rounding_keeps_what_the_timer_resolved():
    times = [1.234567891234e-3, 2.0000000001e-7]
    rounded = rounded_to_the_timer(times, iterations=1, resolution=1e-8)
    assert rounded == [1.234568e-3, 2.0e-7]  # to 1e-9 s: a tenth of a tick
    for before, after in zip(times, rounded, strict=True):
        assert abs(before - after) <= 1e-8 / 10  # a tenth of a tick at most


def test_a_long_loop_in_the_interpreter_is_not_traced_for_its_memory():
    """tracemalloc slows a loop in the interpreter 7-18x: its peak allocation is probed
    only where a call is predicted short; compiled and vectorized kernels always (at one
    thread), an engine with its own allocator never."""
    import kernels
    from bench.timing import TRACED_LOOP_LIMIT_S, traces_allocations

    numpy, torch = kernels.BACKENDS["numpy"], kernels.BACKENDS["torch"]
    assert traces_allocations(numpy, 1, None)
    assert not traces_allocations(numpy, 2, None)
    assert not traces_allocations(torch, 1, None)  # its own allocator
    python = kernels.BACKENDS["python"]
    assert traces_allocations(python, 1, TRACED_LOOP_LIMIT_S)
    assert not traces_allocations(python, 1, 2 * TRACED_LOOP_LIMIT_S)
    assert traces_allocations(None, 1, TRACED_LOOP_LIMIT_S / 2)  # a student's function


class Clock:
    """A timer that moves only when the kernel runs: each call lasts the next given time."""

    def __init__(self, call_times):
        self.now, self.calls, self._times = 0.0, 0, iter(call_times)

    def __call__(self) -> float:
        return self.now

    def kernel(self) -> None:
        self.calls += 1
        self.now += next(self._times)


@pytest.fixture
def fixture_on(monkeypatch):
    """pytest-benchmark's own fixture, as the benchmarks get it (12 rounds at least), on a
    clock that only the kernel moves."""
    from types import SimpleNamespace

    from pytest_benchmark.fixture import BenchmarkFixture

    def make(clock: Clock, max_time: float = 0.25, disabled: bool = False):
        # a clock that stands still cannot be calibrated: its resolution is given
        monkeypatch.setitem(BenchmarkFixture._precisions, clock, 1e-9)
        quiet = SimpleNamespace(debug=lambda *a, **k: None, warning=lambda *a, **k: None)
        stored = []
        benchmark = BenchmarkFixture(
            SimpleNamespace(name="case", nodeid="case"), disable_gc=False,
            timer=SimpleNamespace(target=clock), min_rounds=sampling.CAP_ROUNDS_AT_LEAST,
            min_time=sampling.MIN_ROUND_S, max_time=max_time, precision=None,
            confidence=None, warmup=False, warmup_iterations=0, calibration_precision=10,
            add_stats=stored.append, logger=quiet, warner=quiet.warning, disabled=disabled,
            cprofile=False, cprofile_loops=None, cprofile_dump=None,
        )  # fmt: skip
        return benchmark, stored

    return make


def test_no_call_follows_the_rounds_and_a_long_case_stops_at_the_fewest_rounds(fixture_on):
    """A 2 s call, too noisy to be sure: one calibration call, then MIN_ROUNDS rounds, and
    no call after them (pytest-benchmark's own run would make 1 + 12 + 1 calls)."""
    clock = Clock([2.0, 2.4] * 50)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark, long_case_s=3.0)
    benchmark(clock.kernel)
    assert clock.calls == 1 + sampling.MIN_ROUNDS
    # the calibration's call (2.0) is not a round
    assert stored[0].stats.data == pytest.approx([2.4, 2.0] * 3)


def test_a_long_untimed_call_spares_the_calibration(fixture_on):
    """An untimed call of NO_CALIBRATION_S or more (the warm-up of an engine that compiles
    nothing, or the traced call) shows a round is one call: the rounds alone are called."""
    clock = Clock([2.0, 2.4] * 50)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark, long_case_s=3.0, last_call_s=2.0)
    benchmark(clock.kernel)
    assert clock.calls == sampling.MIN_ROUNDS
    assert stored[0].iterations == 1
    assert stored[0].stats.data == pytest.approx([2.0, 2.4] * 3)


def test_a_short_untimed_call_still_calibrates(fixture_on):
    clock = Clock([1e-6] * 10**6)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark, last_call_s=sampling.NO_CALIBRATION_S / 2)
    benchmark(clock.kernel)
    assert stored[0].iterations * 1e-6 >= sampling.MIN_ROUND_S  # looped, as calibrated


def test_a_slow_first_call_does_not_make_a_fast_kernel_one_call_a_round(fixture_on):
    """A first call of 2 ms (a pool's threads woken from sleep), then 10 µs calls: the
    calibration is made again, and a round loops the kernel to MIN_ROUND_S."""
    clock = Clock([2e-3] + [1e-5] * 10**5)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark)
    benchmark(clock.kernel)
    assert stored[0].iterations * 1e-5 >= sampling.MIN_ROUND_S
    assert stored[0].stats.data == pytest.approx([1e-5] * sampling.MIN_ROUNDS)


def test_a_call_that_fills_a_round_is_checked_by_a_few_more(fixture_on):
    clock = Clock([2e-3] * 100)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark)
    benchmark(clock.kernel)
    assert stored[0].iterations == 1
    assert clock.calls == 1 + sampling.RECALIBRATION_CALLS + sampling.MIN_ROUNDS


def test_slow_calls_now_and_then_do_not_make_a_fast_kernel_one_call_a_round(fixture_on):
    """The first call, and the next, woke a pool (2 ms each); the fastest of a few more
    (10 µs) sets the round's loop."""
    clock = Clock([2e-3, 2e-3, 1e-5, 3e-3, 1e-5, 1e-5] + [1e-5] * 10**5)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark)
    benchmark(clock.kernel)
    assert stored[0].iterations * 1e-5 == pytest.approx(sampling.MIN_ROUND_S, rel=0.05)
    assert stored[0].stats.data == pytest.approx([1e-5] * sampling.MIN_ROUNDS)


def test_a_long_call_is_calibrated_once(fixture_on):
    clock = Clock([2 * sampling.RECALIBRATE_UNDER_S] * 100)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark)
    benchmark(clock.kernel)
    assert stored[0].iterations == 1
    assert clock.calls == 1 + sampling.MIN_ROUNDS


def test_without_the_long_case_limit_a_noisy_long_case_runs_to_its_rounds_cap(fixture_on):
    clock = Clock([2.0, 2.4] * 50)
    benchmark, stored = fixture_on(clock, max_time=0.5)
    sampling.sample_until_sure(benchmark, long_case_s=None)
    benchmark(clock.kernel)
    assert len(stored[0].stats.data) == sampling.CAP_ROUNDS_AT_LEAST
    assert clock.calls == 1 + sampling.CAP_ROUNDS_AT_LEAST


def test_a_fast_kernel_is_looped_to_a_round_and_its_times_are_per_call(fixture_on):
    clock = Clock([1e-6] * 10**6)
    benchmark, stored = fixture_on(clock)
    sampling.sample_until_sure(benchmark)
    benchmark(clock.kernel)
    stats = stored[0]
    assert stats.iterations * 1e-6 >= sampling.MIN_ROUND_S  # a round lasts MIN_ROUND_S
    assert len(stats.stats.data) == sampling.MIN_ROUNDS  # steady: sure at once
    assert stats.stats.data == pytest.approx([1e-6] * sampling.MIN_ROUNDS)
    timed_calls = sampling.MIN_ROUNDS * stats.iterations
    # the rounds come after the calibration's calls, and nothing after them
    assert clock.calls - timed_calls == sum(10**e for e in range(4))  # 1, 10, 100, 1000


class Run(Clock):
    """A training run on the clock: returns which call it was."""

    def kernel(self) -> int:
        super().kernel()
        return self.calls


def test_a_steady_training_run_stops_at_the_fewest_rounds_and_returns_the_last_result(
    fixture_on,
):
    """One call a round, no calibration call and none after the rounds: the result is the
    last timed round's, as ``pedantic`` gives it."""
    clock = Run([0.01] * 1000)
    benchmark, stored = fixture_on(clock)
    sampling.runs_until_sure(benchmark, max_time_s=0.25, max_s=1.0, most_rounds=200)
    assert benchmark(clock.kernel) == sampling.MIN_ROUNDS == clock.calls
    assert stored[0].iterations == 1
    assert stored[0].stats.data == pytest.approx([0.01] * sampling.MIN_ROUNDS)


def test_a_noisy_training_run_is_timed_to_its_cap_set_by_the_median_not_the_cold_first_run(
    fixture_on,
):
    """A cold first run of 1 s, then runs of 10 and 13 ms, never sure: the cap is the
    ladder's 0.25 s of 10-13 ms runs (about 20), not the 6 rounds a 1 s run would allow."""
    clock = Run([1.0] + [0.010, 0.013] * 500)
    benchmark, stored = fixture_on(clock)
    sampling.runs_until_sure(benchmark, max_time_s=0.25, max_s=1.0, most_rounds=200)
    last = benchmark(clock.kernel)
    rounds = len(stored[0].stats.data)
    assert last == rounds == clock.calls
    assert rounds == sampling.rounds_cap(
        statistics.median(stored[0].stats.data), 0.25, sampling.CAP_ROUNDS_AT_LEAST, 1.0
    )
    assert rounds > sampling.CAP_ROUNDS_AT_LEAST


def test_a_noisy_long_training_run_stops_at_its_seconds(fixture_on):
    """Runs of 0.4-0.5 s, never sure: at most max_s of them, but never under MIN_ROUNDS."""
    clock = Run([0.4, 0.5] * 50)
    benchmark, stored = fixture_on(clock)
    sampling.runs_until_sure(benchmark, max_time_s=0.25, max_s=1.0, most_rounds=200)
    benchmark(clock.kernel)
    assert len(stored[0].stats.data) == sampling.MIN_ROUNDS


def test_a_noisy_short_training_run_stops_at_the_most_rounds_the_file_keeps(fixture_on):
    clock = Run([0.001, 0.0013] * 1000)
    benchmark, stored = fixture_on(clock)
    sampling.runs_until_sure(benchmark, max_time_s=0.5, max_s=3.0, most_rounds=50)
    benchmark(clock.kernel)
    assert len(stored[0].stats.data) == 50 == clock.calls


def test_a_disabled_fixture_runs_the_training_once(fixture_on):
    clock = Run([1.0] * 10)
    benchmark, _ = fixture_on(clock, disabled=True)
    sampling.runs_until_sure(benchmark, max_time_s=0.25, max_s=1.0, most_rounds=200)
    assert benchmark(clock.kernel) == 1 == clock.calls


def test_a_disabled_fixture_calls_the_kernel_once_as_before(fixture_on):
    clock = Clock([1.0] * 10)
    benchmark, stored = fixture_on(clock, disabled=True)
    sampling.sample_until_sure(benchmark)
    benchmark(clock.kernel)
    assert clock.calls == 1
    assert not stored


@pytest.mark.parametrize(
    ("round_s", "long_case_s", "expected"),
    [
        (1e-3, 3.0, 250),  # a short round: max_time's worth
        (0.1, 3.0, 12),  # 12 rounds of 0.1 s fit in 3 s
        (0.4, 3.0, 7),  # 7 rounds of 0.4 s fit in 3 s, 8 would not
        (2.0, 3.0, sampling.MIN_ROUNDS),  # never fewer than MIN_ROUNDS
        (2.0, None, 12),
        (0.0, 3.0, 12),  # a round predicted to take no time (a zero budget)
    ],
)
def test_the_rounds_cap(round_s, long_case_s, expected):
    assert sampling.rounds_cap(round_s, 0.25, 12, long_case_s) == expected


class SpinningPool:
    """The clocks ``settle`` reads, for a process whose other threads use ``busy`` of a
    core in each of the first ``spinning_windows`` windows, then nothing: the test does not
    depend on a real thread getting a core on a loaded machine (two xdist workers on two
    cores starved a real spinner, and settle rightly saw nothing to wait for)."""

    def __init__(self, spinning_windows: int, busy: float = 1.0):
        self.now = self.others = 0.0
        self.windows, self.busy = spinning_windows, busy

    def perf_counter(self) -> float:
        return self.now

    def thread_time(self) -> float:
        return 0.0  # the waiting thread itself sleeps

    def process_time(self) -> float:
        return self.others

    def sleep(self, seconds: float) -> None:
        self.now += seconds
        if self.windows > 0:
            self.others += self.busy * seconds
            self.windows -= 1


@pytest.mark.parametrize(
    ("spinning_windows", "busy", "expected_windows"),
    [
        (0, 1.0, 1),  # nothing spinning: one quiet window
        (30, 1.0, 31),  # a pool spinning 30 windows (0.15 s): waited out, then one quiet window
        (30, 0.05, 1),  # a thread using 5% of a core is not a spinning pool
        (10**6, 1.0, None),  # spinning for ever: at most SETTLE_MAX_S
    ],
)
def test_a_case_on_all_cores_waits_until_another_pool_stops_spinning(
    monkeypatch, spinning_windows, busy, expected_windows
):
    """A pool's worker spinning after its last job (OpenBLAS's, 0.10-0.15 s) would take a
    core from the next case on all cores: ``settle`` waits until the process's other
    threads leave the CPU, and no longer than ``SETTLE_MAX_S``."""
    from bench import threads

    clock = SpinningPool(spinning_windows, busy)
    monkeypatch.setattr(threads, "time", clock)
    waited = settle()
    if expected_windows is None:
        assert SETTLE_MAX_S <= waited < SETTLE_MAX_S + threads.SETTLE_WINDOW_S
    else:
        assert waited == pytest.approx(expected_windows * threads.SETTLE_WINDOW_S)


def test_settle_returns_at_once_on_a_quiet_process():
    """The real clocks: with no other thread working, a window or two."""
    assert settle() < 0.1
