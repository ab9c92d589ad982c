"""The problem sizes every benchmark runs at, defined once.

Sizes are log-spaced, about three to a decade, from tiny problems where a call's fixed
overhead (the interpreter, NumPy's dispatch, Numba's argument unboxing) is all there is
to measure, up past the last-level cache where memory bandwidth decides:

* ``dot``: n from 1 to 10⁷ elements (two 80 MB float64 vectors);
* ``logistic_cost``: m from 1 to 10⁷ probabilities;
* the other logistic ops and batch Adaline: X from 1×1 up to 200 000 × 100
  (160 MB in float64) — tiny square problems, then 100 features and more samples;
* the per-sample rules (SGD, perceptron): up to 10⁵ samples of 10 features, where
  the time per sample is what matters.

``quick`` is a reduced ladder for a run of a few minutes; ``smoke`` runs each benchmark
once on tiny inputs inside the correctness tests.

Memory: the ``python`` backend converts arrays to lists of about 32 bytes per element
(four times float64), so the top ``dot`` case would need 640 MB of lists. Its large cases
are normally over the time budget and not run; with a larger ``--budget``, an input whose
lists would not fit in the memory available is refused with a MemoryError saying so.
"""

from __future__ import annotations

from collections.abc import Iterator

from kernels.ops import OPS

DTYPES = ("float64", "float32")
# The ops timed in both dtypes; the others in float64 only.
BOTH_DTYPES = ("dot", "logistic_gradient")

VECTOR_OPS = ("dot", "logistic_cost")  # sized by one length
# The per-sample rules, as kernels/ops.py describes them: sized by samples of few features.
SEQUENTIAL_OPS = tuple(name for name, op in OPS.items() if op.sequential)
FEATURES = 100  # features of the large logistic and batch-Adaline problems
SEQUENTIAL_FEATURES = 10


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


# Sizes for Numba's compile-cost probe (bench/jit_cost.py): small, so compilation, not
# the work, dominates the first call.
JIT_SIZES = {
    "dot": {"n": 10_000},
    "logistic_cost": {"m": 10_000},
    **{op: {"m": 1_000, "n": FEATURES} for op in
       ("logistic_forward", "logistic_backward", "logistic_gradient", "adaline_gd_epoch")},
    **{op: {"m": 1_000, "n": SEQUENTIAL_FEATURES} for op in SEQUENTIAL_OPS},
}  # fmt: skip


def calibration_sizes(op: str) -> dict[str, int]:
    """A small problem of the ladder's own shape, to predict the slow backends' times."""
    if op == "dot":
        return {"n": 2_000}
    if op == "logistic_cost":
        return {"m": 2_000}
    return (
        {"m": 200, "n": SEQUENTIAL_FEATURES} if op in SEQUENTIAL_OPS else {"m": 20, "n": FEATURES}
    )


def sizes_of(op: str, ladder: str) -> Iterator[dict[str, int]]:
    """The sizes of ``op`` on ``ladder``, as the op's own size names."""
    sizes = LADDERS[ladder]
    if op == "dot":
        yield from ({"n": n} for n in sizes["vector"])
    elif op == "logistic_cost":
        yield from ({"m": m} for m in sizes["vector"])
    else:
        shapes = sizes["sequential" if op in SEQUENTIAL_OPS else "matrix"]
        yield from ({"m": m, "n": n} for m, n in shapes)


def dtypes_of(op: str) -> tuple[str, ...]:
    return DTYPES if op in BOTH_DTYPES else ("float64",)


def elements(sizes: dict[str, int]) -> int:
    """The x axis of every figure: the number of array elements the op walks over."""
    total = 1
    for value in sizes.values():
        total *= value
    return total
