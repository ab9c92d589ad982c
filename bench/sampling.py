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
  one stops after a dozen rounds, so the time goes where the noise is.

The interval travels with every case (``extra_info["median_ci"]``), and the report's
flag and comparison rules read it (``reports/rules.py``, which owns the interval).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from reports.rules import SAMPLED_TO, median_interval

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
# The interval is checked after these many rounds and then every ~25% more (sorting the
# rounds at every one would cost more than a fast kernel's round).
CHECK_GROWTH = 1.25


def half_width(times: Sequence[float]) -> float:
    """Half the width of the median's interval, as a share of the median (inf if 0)."""
    low, high = median_interval(times)
    median = statistics.median(times)
    return (high - low) / 2 / median if median > 0 else math.inf


def sure(times: Sequence[float]) -> bool:
    """Enough rounds, and the median known to ±TARGET."""
    return len(times) >= MIN_ROUNDS and half_width(times) <= TARGET


def run_until_sure(
    runner: Callable[[range | None], float],
    loops: range | None,
    record: Callable[[float], None],
    max_rounds: int,
) -> list[float]:
    """Rounds of ``runner(loops)``, each passed to ``record``, until ``sure`` or
    ``max_rounds`` (the time cap, in rounds). Returns the per-call times."""
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
            check_at = max(check_at + 1, math.ceil(check_at * CHECK_GROWTH))
    return times


def sample_until_sure(benchmark) -> None:
    """Make this pytest-benchmark fixture stop by the median's rule.

    pytest-benchmark (5.2 and later) runs ``_run_until_precise(runner, loops_range,
    stats, max_rounds)`` when ``--benchmark-precision`` is set, with ``max_rounds`` from
    ``--benchmark-max-time``; this instance's method is replaced by the rule above. The
    calibration, the timer, the warm-up, the statistics and the JSON stay its own.
    """

    def run(runner, loops_range, stats, max_rounds):
        run_until_sure(runner, loops_range, stats.update, max_rounds)

    if not hasattr(benchmark, "_run_until_precise"):
        raise RuntimeError("pytest-benchmark >= 5.2 is needed (--benchmark-precision)")
    benchmark._run_until_precise = run
