"""Every rule the report decides with: which numbers not to trust, and when one measurement
is faster than, slower than or level with another. No other module holds a threshold; each
threshold here says why it has its value.
"""

from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

# --- numbers not to trust (after pyperf: never print a number more confidently than its
# measurement supports), for the benchmarks and the course experiments alike.

# The bench samples a case until its median's 95% interval (order statistics: no assumed
# distribution) is within ±SAMPLED_TO of the median, or its time is up (bench/sampling.py).
CONFIDENCE = 0.95
SAMPLED_TO = 0.03
INTERVAL_LIMIT = 0.05  # flagged: the interval reaches beyond ±5% of the median;
TIMER_FACTOR = 1000  # one timed round lasts less than 1000 ticks of the timer;
MIN_ROUNDS = 5  # or the median rests on fewer than 5 rounds.
# A compiled loop or an engine slower than the reference is timed again beside it only
# where that is a surprise: from this many elements read, at most this many flops per element
# (bench/sampling.py, ``surprising``, says why).
SURPRISE_FROM_ELEMENTS = 10**6
SURPRISE_FLOPS_PER_ELEMENT = 8

FLAG_SPREAD = "interval"
FLAG_DISTURBED = "disturbed machine"
FLAG_TIMER = "timer resolution"
FLAG_ROUNDS = "few rounds"
FLAG_WAITED = "waited for a core"
# More threads cost a call microseconds to start, never a multiple of its one-thread time
# plus a scheduler tick (1 ms, Linux's shortest). Seen on 2-core virtual machines: PyTorch
# on two threads at 3.5-4.0 ms a call (one tick at 250 Hz) where one thread took 0.03-1.7 ms,
# the interval tight, because every round waited alike. So a case on all cores whose
# interval lies above WAIT_FACTOR× its one-thread twin's, and WAIT_S beyond it, waited.
WAIT_FACTOR = 2
WAIT_S = 1e-3

# Marks a number resting on a flagged measurement, wherever it is cited.
MARK = "†"


@functools.lru_cache(maxsize=4096)
def order_statistic_ranks(rounds: int, confidence: float = CONFIDENCE) -> tuple[int, int]:
    """(j, k), 0-based: sorted[j] <= median <= sorted[k] with probability >= confidence.

    The rounds below the true median count B(n, ½): j is the largest with P(B <= j) <=
    (1 - confidence)/2, k its mirror. Exact up to 1000 rounds, the normal approximation
    beyond; (0, n - 1) when even that pair falls short.
    """
    tail = (1 - confidence) / 2
    if rounds > 1000:
        z = statistics.NormalDist().inv_cdf(1 - tail)
        j = max(0, math.floor(rounds / 2 - z * math.sqrt(rounds) / 2) - 1)
        return j, rounds - 1 - j
    total, cumulative, j = 2**rounds, 0, -1
    for count in range(rounds):
        cumulative += math.comb(rounds, count)
        if cumulative / total > tail:
            break
        j = count
    return (0, rounds - 1) if j < 0 else (j, rounds - 1 - j)


def median_interval(times: Sequence[float]) -> tuple[float, float]:
    """The 95% interval of the median of ``times``, from their order statistics."""
    ordered = sorted(times)
    j, k = order_statistic_ranks(len(ordered))
    return ordered[j], ordered[k]


def flags(interval_rel: float, round_s: float, resolution_s: float, rounds: int) -> list[str]:
    """The flags one measurement raises (``FLAG_DISTURBED`` comes from ``disturbances``)."""
    raised = {
        FLAG_SPREAD: interval_rel > INTERVAL_LIMIT,
        FLAG_TIMER: round_s < TIMER_FACTOR * resolution_s,
        FLAG_ROUNDS: rounds < MIN_ROUNDS,
    }
    return [flag for flag, up in raised.items() if up]


def waited(one_thread_high_s: float, all_cores_low_s: float) -> bool:
    """Whether a case on all cores waited for a core: its interval above ``WAIT_FACTOR``× its
    one-thread twin's, and ``WAIT_S`` beyond it."""
    return (
        all_cores_low_s > WAIT_FACTOR * one_thread_high_s
        and all_cores_low_s - one_thread_high_s >= WAIT_S
    )


@dataclass(frozen=True)
class Quartiles:
    """First quartile, median and third quartile of a set of timed rounds."""

    q1: float
    median: float
    q3: float
    rounds: int
    low: float = math.nan  # the median's 95% interval (``median_interval``)
    high: float = math.nan

    @classmethod
    def of(cls, times: Sequence[float]) -> Quartiles:
        """The quartiles as pytest-benchmark's ``stats.Stats`` computes them (Wikipedia's
        method 3 for odd rounds, 2 for even), so raw rounds are judged like the benchmarks."""
        data = sorted(times)
        rounds = len(data)
        if rounds == 0:
            raise ValueError("no timed rounds to summarise")
        if rounds == 1:
            return cls(data[0], data[0], data[0], 1, data[0], data[0])
        if rounds % 2:
            n, q = rounds // 4, rounds % 4
            if q == 1:
                q1 = 0.25 * data[n - 1] + 0.75 * data[n]
                q3 = 0.75 * data[3 * n] + 0.25 * data[3 * n + 1]
            else:
                q1 = 0.75 * data[n] + 0.25 * data[n + 1]
                q3 = 0.25 * data[3 * n + 1] + 0.75 * data[3 * n + 2]
        else:
            q1 = statistics.median(data[: rounds // 2])
            q3 = statistics.median(data[rounds // 2 :])
        return cls(q1, statistics.median(data), q3, rounds, *median_interval(data))

    @property
    def interval_rel(self) -> float:
        """Half the width of the median's interval, over the median."""
        return (self.high - self.low) / 2 / self.median

    @property
    def band(self) -> tuple[float, float, float]:
        return self.low, self.median, self.high


# --- a machine too busy to measure --------------------------------------------------
#
# Two signs: a load average (over the minute before the run) at or above its cores, so
# other programs took turns with the benchmark; or a probed limit that falls, with all
# cores, below this share of its one-thread value (more threads never halve what a machine
# can read: a core was taken away). Either flags the cases it touches. The load average
# remembers a program that has just ended (the tests, run before the benchmark, leave it
# at 2.3 on 2 cores): where the run also counted the threads running when it started
# (``running_others``), the load counts only if at least this many others ran then.
PROBE_CONTRADICTS = 0.5
RUNNING_OTHERS_BUSY = 1.0
PROBED_LIMITS = ("read_GBps", "cache_read_GBps", "triad_GBps", "peak_GFLOPs")


def disturbances(suite: dict) -> list[dict]:
    """The signs of a disturbed machine: ``{"kind": "load", "load", "cores", "others"}`` and
    ``{"kind": "probe", "limit", "one", "all", "threads"}``."""
    found = []
    cores = (suite.get("threads") or {}).get("all_cores")
    load = (suite.get("system") or {}).get("load_average")
    others = (suite.get("system") or {}).get("running_others")
    latest = load[0] if isinstance(load, list) and load else None
    still = not isinstance(others, (int, float)) or others >= RUNNING_OTHERS_BUSY
    if isinstance(cores, int) and isinstance(latest, (int, float)) and latest >= cores and still:
        found.append({"kind": "load", "load": float(latest), "cores": cores, "others": others})
    limits = suite.get("limits") or {}
    for name in PROBED_LIMITS:
        measured = limits.get(name)
        if not isinstance(measured, dict):
            continue
        counts = sorted(int(k) for k in measured if str(k).isdigit())
        if len(counts) < 2:
            continue
        one, most = measured.get(str(counts[0])), measured.get(str(counts[-1]))
        numbers = isinstance(one, (int, float)) and isinstance(most, (int, float))
        if numbers and one > 0 and most < PROBE_CONTRADICTS * one:
            found.append(
                {"kind": "probe", "limit": name, "one": one, "all": most, "threads": counts[-1]}
            )
    return found


# --- faster, slower or level ---------------------------------------------------------

# A smaller difference is never faster or slower, even when the band excludes 1: small
# steady drifts (clock speed, alignment, temperature) are not a result to teach. Applied
# symmetrically: 1.05× faster, or 1/1.05× (4.8%) slower.
MIN_CHANGE = 0.05
# A one-shot timing (the JIT probe) has no spread; it gets the largest the flag rule
# trusts, so it is judged no more confidently than a benchmark.
ONE_SHOT_SPREAD = 0.10

FASTER, SLOWER, LEVEL = "faster", "slower", "level"


def verdict(speedup: float, low: float, high: float) -> str:
    """Decided only when the band excludes 1 and the speedup (reference time ÷ contender's)
    is ``MIN_CHANGE`` from 1 in ratio terms, as ``comparison_rule`` words it."""
    if low > 1 and speedup >= 1 + MIN_CHANGE:
        return FASTER
    if high < 1 and speedup <= 1 / (1 + MIN_CHANGE):
        return SLOWER
    return LEVEL


@dataclass(frozen=True)
class Comparison:
    """A contender against a reference: the speedup (reference time ÷ contender time) and
    its band (the ratios both medians' 95% intervals allow)."""

    speedup: float
    low: float
    high: float

    @classmethod
    def of(
        cls, reference: tuple[float, float, float], contender: tuple[float, float, float]
    ) -> Comparison:
        """From (low, median, high) of the reference and of the contender."""
        (ref_low, ref_median, ref_high), (low, median, high) = reference, contender
        return cls(ref_median / median, ref_low / high, ref_high / low)

    @classmethod
    def one_shot(cls, reference_s: float, contender_s: float) -> Comparison:
        """From two single timings, each given the band ±``ONE_SHOT_SPREAD``: level when
        they differ by less than ``ONE_SHOT_SPREAD`` of the larger."""
        speedup = reference_s / contender_s
        return cls(speedup, speedup * (1 - ONE_SHOT_SPREAD), speedup / (1 - ONE_SHOT_SPREAD))

    @property
    def verdict(self) -> str:
        return verdict(self.speedup, self.low, self.high)

    @property
    def clear_lead(self) -> str:
        """The verdict if decided **and** at least ``CLEAR_LEAD`` apart, else ""."""
        clear = {FASTER: self.speedup >= CLEAR_LEAD, SLOWER: self.speedup <= 1 / CLEAR_LEAD}
        return self.verdict if clear.get(self.verdict) else ""

    def reversed(self) -> Comparison:
        """The reference against the contender."""
        return Comparison(1 / self.speedup, 1 / self.high, 1 / self.low)


def comparison_rule(contender: str = "the contender", reference: str = "the reference") -> str:
    """The rule of ``verdict`` in words, exactly as applied, for every page that uses it."""
    return (
        f"the speedup of {contender} over {reference} is {reference}'s median time over "
        f"{contender}'s, and its band runs from the low end of {reference}'s median's 95% "
        f"interval over the high end of {contender}'s to the high end of {reference}'s "
        f"over the low end of {contender}'s. "
        f"{contender[:1].upper() + contender[1:]} is *faster* only when the whole band lies "
        f"above 1× and the speedup is at least {1 + MIN_CHANGE:.2f}×, *slower* only when "
        f"the whole band lies below 1× and the speedup is at most 1/{1 + MIN_CHANGE:.2f}× "
        f"({1 / (1 + MIN_CHANGE):.3f}×); otherwise the two are *level*."
    )


def flag_rule(side_by_side_roles=("compiled", "compiled parallel")) -> str:
    """The flag rule in words, exactly as ``flags`` applies it; ``side_by_side_roles``: the
    roles of the backends the run timed again beside the reference (its record's
    ``side_by_side_roles``; runs before 8 December timed the compiled loops only)."""
    slower = "a compiled loop or an engine" if "engine" in side_by_side_roles else "a compiled loop"
    return (
        "each case is timed until the 95% interval of its median (from the order statistics "
        "of its rounds, which assumes nothing of their distribution) lies within "
        f"±{SAMPLED_TO:.0%} of the median, or its time is up; one whose interval then "
        f"reaches beyond ±{INTERVAL_LIMIT:.0%} is timed once more at the end of the run, "
        "while time is left, and keeps the attempt with the narrower interval "
        f"({slower} found slower than the vectorized reference, both intervals apart, where that "
        f"is a surprise, from {SURPRISE_FROM_ELEMENTS:,} elements read and at most "
        f"{SURPRISE_FLOPS_PER_ELEMENT} flops per element, is timed "
        "again right after the reference's case, and both keep those attempts); it is "
        "flagged when that interval still reaches beyond "
        f"±{INTERVAL_LIMIT:.0%} of the median, when one timed round is shorter than "
        f"{TIMER_FACTOR} ticks of the timer (so the clock's granularity shows in the result), "
        f"or when it rests on fewer than {MIN_ROUNDS} rounds; and every case a disturbed "
        "machine touched is flagged (a load average at or above the cores when the run "
        f"started, with at least {RUNNING_OTHERS_BUSY:g} other thread running then on "
        "average, where counted: a program just ended leaves the load average high for a "
        f"minute; or a probe whose limit falls below {PROBE_CONTRADICTS:.0%} of its "
        "one-thread value with all cores); and so is a case on all cores whose median's "
        f"interval lies above {WAIT_FACTOR}× its one-thread twin's and at least "
        f"{WAIT_S * 1e3:g} ms beyond it (more threads cost microseconds to start, so its "
        "threads waited for a core the system gave to something else)"
    )


# --- when a reading explains a gap ---------------------------------------------------

# A decided lead is explained (interpreter, SIMD, temporaries, precision) only from here.
CLEAR_LEAD = 1.3
# Beyond this lead of Numba over NumPy, NumPy is not doing all of its work in compiled code.
PYTHON_STEPS_LEAD = 5.0
# A series whose largest-size time is at least this multiple of its smallest-size time is
# doing work that grows with size; below it, its times are mostly the fixed cost of a call.
WORK_GROWTH = 10.0
# NumPy's fixed cost per call is named only when its per-element time at the smallest size
# is at least this multiple of its per-element time at the largest.
FIXED_COST_SHARE = 5.0
# The loop's lead over NumPy is said to shrink at small sizes below this fraction of it.
SHRINKS_TO = 1 / 3
# The loop's time per element is "about the same at every size" within this factor.
STEADY_PER_ELEMENT = 2.0

# Fractions of the measured read bandwidth above which memory is said to set the pace,
# below which it is said not to, and beyond which the probe's ceiling is a lower bound.
MEMORY_BOUND = 0.85
NOT_MEMORY_BOUND = 0.3
ABOVE_CEILING = 1.05
# Compiled backends this close in GB/s are "within 1.5× of each other" at the memory wall.
SAME_WALL = 1.5
# Threads are said to have little left to gain only when they gained less than this.
LITTLE_GAIN = 1.2
# A JIT compile that pays for itself within this many calls is "soon".
SOON_CALLS = 1_000
