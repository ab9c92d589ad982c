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
  of 10 features, where the time per sample is what matters.

Which ladder an op climbs follows from its description in ``kernels/ops.py``
(``family``), and so do its dtypes: nothing here names an op.

``quick`` is a reduced ladder for a run of a few minutes; ``smoke`` runs each benchmark
once on tiny inputs inside the correctness tests.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernels.ops import OPS, Op

FEATURES = 100  # features of the large logistic and batch-Adaline problems
SEQUENTIAL_FEATURES = 10


def family(op: Op) -> str:
    """Which ladder an op climbs, from its description: "vector" (one length),
    "sequential" (the per-sample rules) or "matrix" (samples × features)."""
    if op.sequential:
        return "sequential"
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


LADDERS: dict[str, dict[str, list]] = {
    "full": {
        "vector": _third_decades(7),
        "matrix": _matrix_shapes(200_000),
        "sequential": [(m, SEQUENTIAL_FEATURES) for m in _third_decades(5)],
    },
    "quick": {
        "vector": [10**e for e in range(0, 8, 2)],  # 1, 100, 10⁴, 10⁶
        "matrix": [(1, 1), (10, 10), (1_000, FEATURES), (100_000, FEATURES)],
        "sequential": [(1, SEQUENTIAL_FEATURES), (100, SEQUENTIAL_FEATURES), (10_000, 10)],
    },
    "smoke": {
        "vector": [1, 17],
        "matrix": [(1, 1), (9, 4)],
        "sequential": [(1, 3), (9, 4)],
    },
}


# Per family: the size of the compile-cost probe (bench/jit_cost.py; small, so
# compilation, not the work, dominates the first call) and of the calibration run that
# predicts the interpreted backends' times (a small problem of the ladder's own shape).
JIT_SIZES = {"vector": [10_000], "matrix": [(1_000, FEATURES)], "sequential": [(1_000, 10)]}
CALIBRATION_SIZES = {
    "vector": [2_000],
    "matrix": [(20, FEATURES)],
    "sequential": [(200, SEQUENTIAL_FEATURES)],
}


def _named(op: Op, sizes: list) -> Iterator[dict[str, int]]:
    """Ladder entries (a length, or (m, n)) as the op's own size names."""
    for entry in sizes:
        values = entry if isinstance(entry, tuple) else (entry,)
        yield dict(zip(op.size_names, values, strict=True))


def sizes_of(op: str, ladder: str) -> Iterator[dict[str, int]]:
    """The sizes of ``op`` on ``ladder``, as the op's own size names."""
    spec = OPS[op]
    yield from _named(spec, LADDERS[ladder][family(spec)])


def jit_sizes(op: str) -> dict[str, int]:
    spec = OPS[op]
    return next(_named(spec, JIT_SIZES[family(spec)]))


def calibration_sizes(op: str) -> dict[str, int]:
    spec = OPS[op]
    return next(_named(spec, CALIBRATION_SIZES[family(spec)]))


def dtypes_of(op: str) -> tuple[str, ...]:
    return OPS[op].dtypes


def elements(sizes: dict[str, int]) -> int:
    """The x axis of every figure: the number of array elements the op walks over."""
    total = 1
    for value in sizes.values():
        total *= value
    return total
