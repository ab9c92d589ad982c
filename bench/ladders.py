"""The problem sizes every benchmark runs at, defined once.

Sizes are log-spaced, about three to a decade, from tiny problems where a call's fixed
overhead (the interpreter, NumPy's dispatch, Numba's argument unboxing) is all there is
to measure, up past the last-level cache where memory bandwidth decides:

* "vector" ops, sized by one length (``dot``, ``logistic_cost``): 1 to 10⁷ elements
  (two 80 MB float64 vectors);
* "matrix" ops (the other logistic ops and batch Adaline): X from 1×1 up to
  200 000 × 100 (160 MB in float64) — tiny square problems, then 100 features and
  more samples;
* "sequential" ops (the per-sample rules, SGD and the perceptron): up to 10⁵ samples
  of 10 features, where the time per sample is what matters;
* "network" ops (the shallow network, sized m × n × h): tiny networks, then 1 000 samples
  of 784 features (a 28×28 image) through h = 1, 2, 4, ... 1024 hidden units. Its FLOPs
  grow with h while the bytes of X do not: the arithmetic intensity grows from a
  memory-bound 0.5 FLOP per byte at h = 1 to a compute-bound 500 at h = 1024, in one
  figure. Its ladder is not grown past the cache: h, not the size of X, is the lesson.

Which ladder an op climbs follows from its description in ``kernels/ops.py``
(``family``), and so do its dtypes: nothing here names an op.

These tops suit a machine with a last-level cache of a few tens of MiB. Server parts
have hundreds of MiB (one 2-core machine of this project: 260 MiB of L3), where those
sizes are still served from the cache: the full and lesson ladders therefore grow,
from the measured last-level cache, until the largest problem's inputs are
``OUT_OF_CACHE[ladder]`` times larger than it (``sizes_of``).

``lesson`` (the default of ``nox -s bench``) is what a class needs, in minutes: each
family's sweep a decade a step from tiny, then one step to the smallest round size out of
the cache (``STEP_OUT_DIGITS``), so the crossovers can be placed,
the slides' n = 10⁶, and the network's h sweep for the roofline. ``full`` is the
exhaustive sweep (``--full``); ``smoke`` runs each benchmark once on tiny inputs inside
the correctness tests.

Memory: the ``python`` backend converts arrays to lists of about 32 bytes per element
(four times float64), so the top ``dot`` case would need 640 MB of lists. Its large cases
are normally over the time budget and not run; with a larger ``--budget``, an input whose
lists would not fit in the memory available is refused with a MemoryError saying so.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernels.ops import OPS, Op

FEATURES = 100  # features of the large logistic and batch-Adaline problems
SEQUENTIAL_FEATURES = 10


NETWORK_SAMPLES = 1_000
NETWORK_FEATURES = 784
HIDDEN_UNITS = [2**e for e in range(11)]  # 1, 2, 4, ... 1024


def family(op: Op) -> str:
    """Which ladder an op climbs, from its description: "vector" (one length),
    "sequential" (the per-sample rules), "network" (samples × features × hidden units)
    or "matrix" (samples × features)."""
    if op.sequential:
        return "sequential"
    if "h" in op.size_names:
        return "network"
    return "vector" if len(op.size_names) == 1 else "matrix"


def _third_decades(top_exponent: int) -> list[int]:
    """1, 3, 10, 30, ... 10**top_exponent: about three steps per decade."""
    sizes = []
    for exponent in range(top_exponent + 1):
        sizes.append(10**exponent)
        if exponent < top_exponent:
            sizes.append(3 * 10**exponent)
    return sizes


def _matrix_shapes(largest_m: int) -> list[tuple[int, int]]:
    tiny = [(1, 1), (4, 4), (10, 10)]
    samples = [m for m in [*_third_decades(5), 200_000] if 10 <= m <= largest_m]
    return tiny + [(m, FEATURES) for m in samples]


def _network_shapes(hidden_units: list[int]) -> list[tuple[int, int, int]]:
    tiny = [(1, 1, 1), (4, 4, 4), (10, 10, 10)]
    return tiny + [(NETWORK_SAMPLES, NETWORK_FEATURES, h) for h in hidden_units]


LADDERS: dict[str, dict[str, list]] = {
    "full": {
        "vector": _third_decades(7),
        "matrix": _matrix_shapes(200_000),
        "sequential": [(m, SEQUENTIAL_FEATURES) for m in _third_decades(5)],
        "network": _network_shapes(HIDDEN_UNITS),
    },
    # The lesson: a decade a step, from ten elements (all overhead: one element costs the
    # same call) to 10⁶ (the slides' dot product) and then one step out of this
    # machine's cache; the network's h sweep every fourfold, for the roofline.
    "lesson": {
        "vector": [10**e for e in range(1, 7)],  # 10, 100, ... 10⁶
        "matrix": [(10, 10), *[(10**e, FEATURES) for e in range(2, 6)]],
        "sequential": [(10**e, SEQUENTIAL_FEATURES) for e in (1, 2, 3, 4)],
        "network": [(10, 10, 10), *_network_shapes([4**e for e in range(6)])[3:]],
    },
    "smoke": {
        "vector": [1, 17],
        "matrix": [(1, 1), (9, 4)],
        "sequential": [(1, 3), (9, 4)],
        "network": [(1, 1, 1), (9, 4, 3)],
    },
}


# Per family: the size of the compile-cost probe (bench/jit_cost.py; small, so
# compilation, not the work, dominates the first call) and of the calibration run that
# predicts the interpreted backends' times (a small problem of the ladder's own shape).
JIT_SIZES = {
    "vector": [10_000],
    "matrix": [(1_000, FEATURES)],
    "sequential": [(1_000, 10)],
    "network": [(200, 64, 16)],
}
# The ops whose cold compile each ladder measures (bench/jit_cost.py: two fresh processes
# per compiling backend, each compiling every op). The lesson's are the slides' dot
# product, their propagate (a kernel that inlines exp and log1p: the costly compile)
# and a per-sample rule (where compiling pays off soonest). The network's gradient, which
# compiles longest of all (3 s on Numba, 7 s on Numba parallel: a quarter of the lesson's
# probe), is measured by the full run. ``None``: every op.
JIT_OPS: dict[str, tuple[str, ...] | None] = {
    "smoke": ("dot",),
    "lesson": ("dot", "logistic_gradient", "perceptron_epoch"),
    "full": None,
}
CALIBRATION_SIZES = {
    "vector": [2_000],
    "matrix": [(20, FEATURES)],
    "sequential": [(200, SEQUENTIAL_FEATURES)],
    "network": [(20, 64, 16)],
}


def _named(op: Op, sizes: list) -> Iterator[dict[str, int]]:
    """Ladder entries (a length, or (m, n)) as the op's own size names."""
    for entry in sizes:
        values = entry if isinstance(entry, tuple) else (entry,)
        yield dict(zip(op.size_names, values, strict=True))


# The largest problem of the full and lesson ladders must be out of the cache on the machine
# that runs them: its inputs at least OUT_OF_CACHE[ladder] times the last-level cache, as
# long as they take at most MEMORY_SHARE of the memory available. Twice is out: a stream
# twice the cache's size finds at most half of itself there, however the cache chooses
# what to keep, and the lesson's one step out costs a class its minutes on a server part
# (on a 300 MiB L3, 4× put its per-sample rules at 3·10⁷ samples: 9 min of the lesson's
# run with the environment built, against 6.7 at 2×). The full ladder goes on to 4×.
OUT_OF_CACHE = {"full": 4, "lesson": 2}
MEMORY_SHARE = 0.25
# The last step out of the cache (the lesson's one step) is to the smallest size, in this
# many significant digits, whose inputs are OUT_OF_CACHE[ladder] times the cache: a
# third-decade step would overshoot (on a 300 MiB L3, 3·10⁷ is 1.5× the cache for `dot`,
# and the next step, 10⁸, is 5×: 1.6 GB read by every call of the slowest cases; X of
# 3·10⁶ × 100 was 7.6×, where 4× is 1.6·10⁶ × 100).
STEP_OUT_DIGITS = 2


def _next_size(m: int) -> int:
    """The next 1·10ᵏ or 3·10ᵏ at least twice ``m``: the third-decade steps onwards."""
    step = 1
    while step < 2 * m:
        step = step * 3 if str(step).startswith("1") else step * 10 // 3
    return step


def _round_sizes_above(m: int) -> Iterator[int]:
    """The sizes above ``m`` with STEP_OUT_DIGITS significant digits, ascending."""
    scale = 10 ** max(0, len(str(m)) - STEP_OUT_DIGITS)
    mantissa = m // scale + 1
    while True:
        if mantissa >= 10**STEP_OUT_DIGITS:
            mantissa, scale = mantissa // 10, scale * 10
        yield mantissa * scale
        mantissa += 1


def _with_first(entry, m: int):
    return (m, *entry[1:]) if isinstance(entry, tuple) else m


def _first(entry) -> int:
    return entry[0] if isinstance(entry, tuple) else entry


def _footprint(op: Op, entry) -> int:
    """Bytes of inputs and outputs at one ladder entry, in float64."""
    return op.bytes_moved(next(_named(op, [entry])), 8)


def _grow(op: Op, ladder: str, cache_bytes: int | None, memory_bytes: int | None) -> list:
    """The family's ladder, grown past the cache: every further step on the full ladder,
    only the first out-of-cache one on the lesson ladder."""
    base = list(LADDERS[ladder][family(op)])
    if ladder == "smoke" or not cache_bytes or family(op) == "network":
        return base
    target = OUT_OF_CACHE[ladder] * cache_bytes
    limit = MEMORY_SHARE * memory_bytes if memory_bytes else float("inf")
    grown, entry = [], base[-1]
    while _footprint(op, entry) < target:
        larger = _with_first(entry, _next_size(_first(entry)))
        last = ladder == "lesson" or _footprint(op, larger) >= target
        if last:  # no further than it must
            larger = next(e for e in _round_above(entry) if _footprint(op, e) >= target)
        if _footprint(op, larger) > limit:  # as far as the memory allows, and no further
            larger, last = None, True
            for e in _round_above(entry):
                if _footprint(op, e) > limit:
                    break
                larger = e
            if larger is None:
                break
        if last and grown and _first(larger) < LAST_STEP_AT_LEAST * _first(grown[-1]):
            grown[-1] = larger  # a last step just past the one before replaces it
        else:
            grown.append(larger)
        if last:
            break
        entry = larger
    return base + grown


# A last step less than this far past the step before it replaces that step: on a 115 MiB
# L3, `dot` would end 3·10⁷ and 3.1·10⁷ on the full ladder, its costliest case twice over.
LAST_STEP_AT_LEAST = 1.5


def _round_above(entry) -> Iterator:
    """The entries larger than ``entry`` whose first size has STEP_OUT_DIGITS
    significant digits, ascending."""
    return (_with_first(entry, m) for m in _round_sizes_above(_first(entry)))


def sizes_of(
    op: str, ladder: str, cache_bytes: int | None = None, memory_bytes: int | None = None
) -> Iterator[dict[str, int]]:
    """The sizes of ``op`` on ``ladder``, as the op's own size names, grown until the
    largest is out of a cache of ``cache_bytes`` (within ``memory_bytes``)."""
    spec = OPS[op]
    yield from _named(spec, _grow(spec, ladder, cache_bytes, memory_bytes))


def lesson_sizes_in(
    op: str, held: list[dict[str, int]], cache_bytes: int | None, memory_bytes: int | None
) -> Iterator[dict[str, int]]:
    """The lesson's sizes of ``op`` as a full run ``held`` them (its sizes of ``op``): the
    lesson's step out of the cache, which the full ladder need not hold, becomes the
    run's first size at least as large, or its largest (what its share file keeps)."""
    first = OPS[op].size_names[0]
    ordered = sorted(held, key=lambda sizes: sizes[first])
    for sizes in sizes_of(op, "lesson", cache_bytes, memory_bytes):
        if sizes in ordered or not ordered:
            yield sizes
        else:
            yield next((h for h in ordered if h[first] >= sizes[first]), ordered[-1])


def jit_sizes(op: str) -> dict[str, int]:
    spec = OPS[op]
    return next(_named(spec, JIT_SIZES[family(spec)]))


def calibration_sizes(op: str) -> dict[str, int]:
    spec = OPS[op]
    return next(_named(spec, CALIBRATION_SIZES[family(spec)]))


# On the lesson ladder float32 is timed where its lesson is, from this many elements up:
# twice the SIMD lanes and half the bytes show once the work, not the call, dominates.
LESSON_FLOAT32_FROM = 100_000


def dtypes_of(op: str, ladder: str = "full", sizes: dict[str, int] | None = None) -> tuple:
    """The dtypes ``op`` is timed in at ``sizes`` on ``ladder``: all of the op's, except
    float32 below ``LESSON_FLOAT32_FROM`` elements on the lesson ladder."""
    dtypes = OPS[op].dtypes
    if ladder == "lesson" and sizes is not None and elements(sizes) < LESSON_FLOAT32_FROM:
        return tuple(dtype for dtype in dtypes if dtype != "float32") or dtypes
    return dtypes


def elements(sizes: dict[str, int]) -> int:
    """The x axis of every figure: the number of array elements the op walks over."""
    total = 1
    for value in sizes.values():
        total *= value
    return total
