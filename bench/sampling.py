"""When to stop timing a case: once its median is known to ±3%, as the page states.

pytest-benchmark calibrates a round (the kernel looped until one round lasts at least
``--benchmark-min-time``) and then, with ``--benchmark-precision``, runs rounds until a
margin is reached or ``--benchmark-max-time`` is spent. Its own margin is the *mean's*
(normal theory): one slow round (an interrupt, another process) widens it and keeps a
case running to the cap. The rule here is the *median's*, which a few slow rounds barely
move, as pyperf and criterion report a central value robust to them:

* the interval is distribution-free: with n rounds sorted, the median lies between the
  j-th and k-th of them with probability at least 95%, j and k read off the binomial
  distribution B(n, ½) (order statistics: no assumption on the shape of the times);
* a case stops once that interval's half-width is within ``TARGET`` of the median, after
  at least ``MIN_ROUNDS`` rounds (the fewest whose outermost pair already gives 95%);
* or when its time is up (the ladder's cap): a noisy case gets all of its time, a steady
  one stops after a dozen rounds, so the time goes where the noise is. A case whose
  calls are long (a stream out of a server's cache: 1.5 s a call) has ``LONG_CASE_S``
  in all, and at least ``MIN_ROUNDS`` rounds.

pytest-benchmark's extra call after the rounds, made only to return the kernel's result,
is not made (``sample_until_sure``), nor its calibration call where an untimed call has
shown a round to be one call (``NO_CALIBRATION_S``). Its calibration round is not
counted: it is only the second call after the warm-up, and counted as the first round
(tried, be2b9ce) it was the slowest of the rounds in 968 of 2,593 cases of a full run,
against 550, which widened six-round intervals and so cost rounds.

The interval travels with every case (``extra_info["median_ci"]``), and the report's
flag and comparison rules read it (``reports/rules.py``, which owns the interval). A case
whose interval ends beyond the flag's limit gets a second attempt at the end of the run,
while time is left (``RETIME_S``; ``bench/conftest.py``, ``retime_unsure``), and a
compiled loop or an engine found slower than the reference is timed again beside it
(``SIDE_BY_SIDE_S``).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from reports.rules import (
    INTERVAL_LIMIT,
    SAMPLED_TO,
    SURPRISE_FLOPS_PER_ELEMENT,
    SURPRISE_FROM_ELEMENTS,
    median_interval,
)

# The most seconds of rounds per case, per ladder (the rule below stops a steady case
# long before).
MAX_TIME_S = {"full": 0.5, "lesson": 0.25, "smoke": 0.05}
# A round of a fast kernel loops it until the round lasts this long: over 1000 ticks of
# the timer, so its resolution does not distort the median. At 100 µs, pytest-benchmark's
# calibration settled on one call per round whenever the first call was slow (JAX's and
# PyTorch's dispatch), and 80 cases of the full run of 4 December timed rounds under 1000
# ticks of its 60 ns timer.
MIN_ROUND_S = 0.0005
TARGET = SAMPLED_TO  # the half-width of the median's interval, as a share of the median
MIN_ROUNDS = 6  # below 6 rounds no pair of order statistics covers the median at 95%
# A case's time is up after max_time, or this many rounds if they take longer: from 10
# rounds on, the interval leaves out the fastest and the slowest.
CAP_ROUNDS_AT_LEAST = 12
# A case's rounds last at most this long once MIN_ROUNDS are in: 12 rounds of a 1.5 s call
# were 18 s of a 5-minute lesson, for an interval that 6 rounds give at 95% already. Replayed
# on the rounds of c01a891's full run (2,685 cases, 300 MiB Xeon), this cap leaves out
# 128 s of its 875 s of rounds, and 7 more cases end with an interval beyond ±5%.
LONG_CASE_S = 3.0
# A kernel whose last untimed call, one that compiled nothing, lasted this long is not
# calibrated: one call a round is already 200 times MIN_ROUND_S, and the calibration's call
# would be one more call of the lesson's slowest cases (each out of a server's cache costs
# seconds). The call's time stands for a round's in ``rounds_cap``.
NO_CALIBRATION_S = 0.1
# pytest-benchmark's calibration stops at one call a round when its first call lasts
# MIN_ROUND_S or more, and a first call may be slow where the next ones are not: the
# threads of a pool woken from sleep. In a lesson run of 7 December, four cases on two
# threads (NumPy's dot at 10⁵, Numba parallel's at 10², 10⁴) timed one call of 8-31 µs a
# round, under 1000 ticks of the timer, and were flagged; calibrated twice, one such case
# still was (the next call slow too). A calibration that settles on one call a round under
# this long is checked by the fastest of RECALIBRATION_CALLS more calls (at most 25 ms),
# which then sets how many calls a round loops.
RECALIBRATE_UNDER_S = 10 * MIN_ROUND_S
RECALIBRATION_CALLS = 5
# The interval is checked after these many rounds and then every ~25% more (sorting the
# rounds at every one would cost more than a fast kernel's round).
CHECK_GROWTH = 1.25


# A case whose median's interval still reaches beyond the flag's limit (``INTERVAL_LIMIT``)
# when the ops are done is timed once more, while its ladder's time for second attempts
# lasts (seconds). A shared host's noise comes in bursts: the same compiled kernel timed
# 0.6-2.7x apart in two runs a few minutes apart on the 2-core AMD (6 December), and 182
# of a full run's 2,340 cases ended beyond ±5% there. A second attempt away from the burst
# measures the kernel rather than its neighbours; one still wide (an engine's own jitter)
# stays flagged. The attempt with the narrower interval is kept, and lists both attempts'
# half-widths. The cheapest cases go first (their first attempt's timed seconds): in the
# full run of fab9568, 150 s in run order took 126 of 172 unsure cases (68 then sure);
# cheapest first, the 185 flagged cases of 0b84a4a's run would have had 144 attempts in
# 60 s of rounds. The full ladder's 20 minutes leave about a minute for them. The course's
# training runs timed until sure are timed again by the same rule: on the lesson ladder
# (2-core AMD, 7 December), 31 of 97 runs ended beyond ±5% and took 11 s to time again,
# 13 of them then within it; each ladder's time grew by about that much (the full
# ladder's 29 such runs of the committed run would cost 26 s).
RETIME_S = {"full": 90.0, "lesson": 30.0, "smoke": 0.0}
# A compiled loop or an engine (Dask, JAX, PyTorch and their variants) found slower than
# the vectorized reference, both intervals apart, is timed again right after the
# reference's case (``bench/conftest.py``, ``retime_side_by_side``),
# the cheapest first while this lasts (seconds), and both keep those attempts: a ratio of
# two cases timed minutes apart is also the ratio of the host's load at those minutes. In
# the full run of 33e2dac, Numba's dot at n = 10⁷ (float64, one thread) was 0.89x NumPy's,
# its interval apart; timed alternately in one process, call after call, it was 1.07x.
# Retiming all 131 such pairs of that run's Numba backends would have cost 44 s of rounds.
# The engines too: in the full run of 7 December (2-core AMD), Dask's logistic_forward at
# 2·10⁷ elements (float64, one thread) was 0.66x NumPy's with the intervals apart; timed
# alternately in one process on 8 December, 1.07-1.15x. That run held 96 such engine
# cases (Dask 39, PyTorch 44, JAX 13), about 34 s of their first attempts' rounds.
SIDE_BY_SIDE_S = {"full": 75.0, "lesson": 15.0, "smoke": 0.0}
# Only where a compiled loop or an engine slower than NumPy is a surprise: from
# SURPRISE_FROM_ELEMENTS elements read (a call's fixed costs, a parallel loop's start on
# every thread among them, are then a small share of it), and at most
# SURPRISE_FLOPS_PER_ELEMENT flops per element read. Every op but the network's products
# does 1-6; those reuse each element of X for every hidden unit, the reuse BLAS's blocking
# exploits (8 flops an element from h = 2 in mlp_gradient), and at 1000 x 784 they reach
# 10⁶ elements only from h = 137 (274 for the forward pass), far beyond 8 flops an
# element: they are never timed again. Elsewhere the slower loop is the lesson itself and
# a second attempt changes nothing: in the full run of 6f024b7 (2-core AMD), 119 such
# groups were timed again side by side in 46 s and 111 stayed slower (38 of the 41 below
# 10⁶ elements, 73 of the 78 products); no other cell from 10⁶ elements up was slower.
# (The two limits are reports/rules.py's, which states the rule on the page.)


def surprising(info: dict) -> bool:
    """Whether a compiled loop or an engine slower than the reference is a surprise in the
    case that ``info`` (its ``extra_info``) describes: a stream of at least
    ``SURPRISE_FROM_ELEMENTS`` elements, with few flops per element."""
    elements = info["bytes"] / (4 if info["dtype"] == "float32" else 8)
    return (
        elements >= SURPRISE_FROM_ELEMENTS
        and info["flops"] <= SURPRISE_FLOPS_PER_ELEMENT * elements
    )


def unsure(times: Sequence[float]) -> bool:
    """The median's interval reaches beyond the flag's limit (the report would flag it)."""
    return half_width(times) > INTERVAL_LIMIT


def half_width(times: Sequence[float]) -> float:
    """Half the width of the median's interval, as a share of the median (inf if 0)."""
    low, high = median_interval(times)
    median = statistics.median(times)
    return (high - low) / 2 / median if median > 0 else math.inf


def slower_apart(times: Sequence[float], reference: Sequence[float]) -> bool:
    """``times``' median's interval lies wholly above ``reference``'s: slower, beyond both
    intervals."""
    return median_interval(times)[0] > median_interval(reference)[1]


def sure(times: Sequence[float]) -> bool:
    """Enough rounds, and the median known to ±TARGET."""
    return len(times) >= MIN_ROUNDS and half_width(times) <= TARGET


def rounds_cap(round_s: float, max_time: float, at_least: int, long_case_s: float | None) -> int:
    """The most rounds of ``round_s`` seconds a case may take: ``max_time``'s worth, or
    ``at_least`` if those last longer; no more than fit in ``long_case_s`` if set, but
    never fewer than MIN_ROUNDS."""
    if round_s <= 0:
        return max(at_least, MIN_ROUNDS)
    rounds = max(math.ceil(max_time / round_s), at_least)
    if long_case_s is not None:
        rounds = min(rounds, max(math.floor(long_case_s / round_s), MIN_ROUNDS))
    return rounds


def run_until_sure(
    runner: Callable[[range | None], float],
    loops: range | None,
    record: Callable[[float], None],
    max_rounds: int,
    cap_of: Callable[[list[float]], int] | None = None,
) -> list[float]:
    """Rounds of ``runner(loops)``, each passed to ``record``, until ``sure`` or
    ``max_rounds`` (the time cap, in rounds), or, given ``cap_of``, the cap it returns
    for the per-call times at each check. Returns the per-call times."""
    per_call = len(loops) if loops else 1
    times: list[float] = []
    check_at = MIN_ROUNDS
    while len(times) < max(max_rounds, MIN_ROUNDS):
        duration = runner(loops)
        record(duration)
        times.append(duration / per_call)
        if len(times) >= check_at:
            if sure(times):
                break
            if cap_of is not None:
                max_rounds = cap_of(times)
            grown = max(check_at + 1, math.ceil(check_at * CHECK_GROWTH))
            check_at = min(grown, max(max_rounds, MIN_ROUNDS))  # a check at the cap, too
    return times


def sample_until_sure(
    benchmark, long_case_s: float | None = LONG_CASE_S, last_call_s: float | None = None
) -> None:
    """Make this pytest-benchmark fixture time by the median's rule.

    pytest-benchmark's ``benchmark(function, *args)`` calibrates a round (``_calibrate_timer``:
    the function looped until a round lasts ``--benchmark-min-time``), runs its warm-up
    rounds if asked, then the rounds, then calls the function once more to return its
    result. Here all of that stays its own (5.2 and later: the runner, the timer, the
    statistics, the pause of tracers and profilers), but the rounds stop by the rule above
    and no call follows them (the benchmarks ignore the result). ``last_call_s``: the
    time of the kernel's last untimed call, if it compiled nothing; from
    ``NO_CALIBRATION_S`` on, a round is one call and no calibration is made. Disabled
    (``--benchmark-disable``), or profiling (``--benchmark-cprofile``), the fixture is left
    as it is.
    """
    if not benchmark.enabled or benchmark.cprofile:
        return
    from pytest_benchmark.fixture import PauseInstrumentation

    for needed in ("_raw", "_make_runner", "_calibrate_timer", "_make_stats", "_max_time"):
        if not hasattr(benchmark, needed):
            raise RuntimeError(f"pytest-benchmark 5.2 or later is needed (no {needed})")

    def timed(function, *args, **kwargs) -> None:
        runner = benchmark._make_runner(function, args, kwargs)
        if last_call_s is not None and last_call_s >= NO_CALIBRATION_S:
            round_s, loops, loops_range = last_call_s, 1, range(1)
        else:
            with PauseInstrumentation():
                round_s, loops, loops_range = benchmark._calibrate_timer(runner)
                if loops == 1 and round_s < RECALIBRATE_UNDER_S:
                    # one call seemed to fill a round; it may only have been a slow one
                    fastest = min(runner(range(1)) for _ in range(RECALIBRATION_CALLS))
                    if 0 < fastest < benchmark._min_time:
                        loops = math.ceil(benchmark._min_time / fastest)
                        round_s, loops_range = fastest * loops, range(loops)
        stats = benchmark._make_stats(loops)
        at_least = benchmark._min_rounds
        max_rounds = rounds_cap(round_s, benchmark._max_time, at_least, long_case_s)
        with PauseInstrumentation():
            if benchmark._warmup:
                for _ in range(min(max_rounds, max(1, int(benchmark._warmup / loops)))):
                    runner(loops_range)
            run_until_sure(runner, loops_range, stats.update, max_rounds)

    benchmark._raw = timed


def runs_until_sure(benchmark, max_time_s: float, max_s: float, most_rounds: int) -> None:
    """Make this pytest-benchmark fixture time a long call, a training run, by the median's
    rule: one call a round (a run of the course lasts 0.5 ms to seconds, over 1000 ticks of
    the timer: nothing to calibrate), until ``sure``, or until the rounds' cap:
    ``max_time_s`` of rounds, or ``CAP_ROUNDS_AT_LEAST`` rounds if those last longer, at
    most ``max_s`` seconds and ``most_rounds`` rounds, never fewer than MIN_ROUNDS rounds.
    The cap is that of the median round so far, not of the first (a cold call: Dask's
    first run of the perceptron took 80 times its median). ``benchmark(call)`` then
    returns the last round's result, as ``pedantic`` does. Disabled
    (``--benchmark-disable``), or profiling, the fixture is left as it is."""
    if not benchmark.enabled or benchmark.cprofile:
        return
    from pytest_benchmark.fixture import PauseInstrumentation

    for needed in ("_raw", "_make_runner", "_make_stats"):
        if not hasattr(benchmark, needed):
            raise RuntimeError(f"pytest-benchmark 5.2 or later is needed (no {needed})")

    def timed(function, *args, **kwargs):
        runner = benchmark._make_runner(function, args, kwargs)
        last = []

        def one_call(_loops) -> float:
            duration, result = runner(None)  # pytest-benchmark's runner: one call, its result
            last[:] = [result]
            return duration

        def cap_of(times: list[float]) -> int:
            round_s = statistics.median(times)
            return min(rounds_cap(round_s, max_time_s, CAP_ROUNDS_AT_LEAST, max_s), most_rounds)

        stats = benchmark._make_stats(1)
        with PauseInstrumentation():
            run_until_sure(one_call, None, stats.update, MIN_ROUNDS, cap_of)
        return last[0]

    benchmark._raw = timed
