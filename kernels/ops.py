"""The one description of every operation: its arguments, results, cost model and inputs.

Everything that is said about an op *independently of how it is computed* lives here,
once: the shapes of its arguments (which the shared checking layer enforces for every
backend), what it returns, its minimal FLOP count and the bytes it must move (which
benchmarks and reports use for GFLOP/s and GB/s), how to make inputs of a given size,
and how its tolerance is derived (``kernels.reference``).

Conventions (the slides stack samples as columns, ``Z = wᵀX + b``; here samples are
rows, so the same thing is ``X @ w + b``):

* ``X`` is (m, n): m samples, n features; ``y`` and ``A`` are (m,); ``w`` is (n,);
  ``b`` is a float; ``eta`` is the learning rate.
* Labels are 0/1 for logistic regression and -1/+1 for Adaline and the perceptron.
* The shallow network has h hidden units: ``W1`` is (n, h), ``b1`` and ``W2`` are (h,),
  ``b2`` is a float; ``H = tanh(X W1 + b1)`` is (m, h) and ``A = σ(H W2 + b2)``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

Sizes = Mapping[str, int]


@dataclass(frozen=True)
class Param:
    """One argument of an op.

    ``axes`` names the array's dimensions ("m" samples, "n" features); the checking layer
    requires equal names to have equal lengths. ``axes=()`` means a Python scalar;
    ``kind`` says which: "float" (any real number) or "rate" (finite and >= 0).
    """

    name: str
    axes: tuple[str, ...] = ()  # "m" samples, "n" features, "h" hidden units
    kind: str = "array"

    @property
    def is_array(self) -> bool:
        return bool(self.axes)


@dataclass(frozen=True)
class Op:
    """What an op is, whichever backend computes it."""

    name: str
    formula: str
    params: tuple[Param, ...]
    returns: tuple[str, ...]  # each "vector", "matrix", "scalar" or "count"
    size_names: tuple[str, ...]
    flops: Callable[[Sizes], int]
    bytes_moved: Callable[[Sizes, int], int]
    make_inputs: Callable[[np.random.Generator, Sizes, np.dtype], tuple]
    needs_clip: bool = False  # the kernel gets the cross-entropy clip as a last argument
    sequential: bool = False  # a loop over samples that cannot be vectorized away
    dtypes: tuple[str, ...] = ("float64",)  # the dtypes it is benchmarked in
    outputs: tuple[str, ...] = ()  # the results' names, as the slides write them
    lesson: bool = False  # the slides' first example, which the report opens with

    @property
    def output_names(self) -> tuple[str, ...]:
        """The results' names ("cost", "dw", "db"), or "result 1", ... if not given."""
        return self.outputs or tuple(f"result {k + 1}" for k in range(len(self.returns)))

    # Elements of the intermediates and results a vectorized backend allocates beside
    # its inputs, at most (an estimate from above): what the checking layer compares
    # with the memory available before anything is allocated.
    workspace: Callable[[Sizes], int] = lambda s: _vectors_workspace(s)

    @property
    def arg_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    def record(self) -> dict:
        """The description a result file carries, so a report needs no list of ops."""
        return {
            "formula": self.formula,
            "arguments": list(self.arg_names),
            "returns": list(self.returns),
            "size_names": list(self.size_names),
            "sequential": self.sequential,
            "dtypes": list(self.dtypes),
            "lesson": self.lesson,
        }


# --- input generators: realistic, well-scaled data that keeps every op finite ---------


def _normal(rng: np.random.Generator, shape, dtype) -> np.ndarray:
    """Standard normal numbers, drawn in ``dtype`` itself where the generator can (float32
    and float64): no float64 draw converted, nor copied, which at the lesson's largest X
    (10⁸ numbers) took longer than the draw."""
    if dtype in (np.float32, np.float64):
        return rng.standard_normal(shape, dtype=dtype)
    return rng.standard_normal(shape).astype(dtype)


def _features(rng: np.random.Generator, s: Sizes, dtype) -> np.ndarray:
    """X, standard normal, from a stream of its own: the seed's and the shape's, not the
    op's, so that every op of one seed, shape and dtype gets the same X. Within
    ``features_shared`` it is the same array, made once."""
    # The int seed make_inputs was given (its generator's entropy); a spawn key or the
    # generator's state since are not used: X depends on the seed and the shape only.
    seed = tuple(np.atleast_1d(rng.bit_generator.seed_seq.entropy).tolist())
    make = shared_features if _SHARING else _draw_features
    return make(seed, s["m"], s["n"], np.dtype(dtype))


def _draw_features(seed: tuple, m: int, n: int, dtype: np.dtype) -> np.ndarray:
    return _normal(np.random.default_rng([*seed, m, n]), (m, n), dtype)


shared_features = functools.lru_cache(maxsize=1)(_draw_features)
_SHARING = False


@contextlib.contextmanager
def features_shared():
    """Within it, ``make_inputs`` hands consecutive calls of one seed, shape and dtype the
    same X (``shared_features``) instead of a new one: at the lesson's step out of a
    480 MiB cache the benchmarks drew X of 1.3·10⁶ × 100 again for each op, about 2 s
    each. Only for callers that never write to their inputs, as the kernels never do
    (``tests/test_kernels.py::test_inputs_are_unchanged``) and a student's function
    must not (``kernels.check`` refuses one that does): the X handed out is writable
    (a read-only array would make Numba compile another specialization), and a write
    into it would reach every later case that shares it."""
    global _SHARING
    before, _SHARING = _SHARING, True
    try:
        yield
    finally:
        _SHARING = before


def _weights(rng: np.random.Generator, s: Sizes, dtype) -> np.ndarray:
    return (rng.standard_normal(s["n"]) / np.sqrt(s["n"])).astype(dtype)


# Labels are drawn as bytes and probabilities computed in place: at the lesson's largest
# sizes each temporary of the plain expression is another half GB to allocate and fill.
def _labels01(rng: np.random.Generator, s: Sizes, dtype) -> np.ndarray:
    return rng.integers(0, 2, s["m"], dtype=np.int8).astype(dtype)


def _labels_pm1(rng: np.random.Generator, s: Sizes, dtype) -> np.ndarray:
    labels = _labels01(rng, s, dtype)
    labels *= 2
    labels -= 1
    return labels


def _probabilities(rng: np.random.Generator, s: Sizes, dtype) -> np.ndarray:
    """σ(z) for standard normal z, in (0, 1)."""
    p = _normal(rng, s["m"], dtype)
    np.negative(p, out=p)
    np.exp(p, out=p)
    p += 1
    return np.reciprocal(p, out=p)


def _bias(rng: np.random.Generator) -> float:
    return float(rng.normal(0.0, 0.1))


def _gd_rate(s: Sizes) -> float:
    # Batch Adaline sums over samples: stable for eta < 2/λmax(XᵀX) ≈ 2/(√m + √n)².
    return 0.5 / (np.sqrt(s["m"]) + np.sqrt(s["n"])) ** 2


def _sgd_rate(s: Sizes) -> float:
    # Per-sample Adaline is stable for eta < 2/‖x‖² ≈ 2/n.
    return 0.1 / s["n"]


def _dot_inputs(rng, s, dtype):
    return _normal(rng, s["n"], dtype), _normal(rng, s["n"], dtype)


def _forward_inputs(rng, s, dtype):
    return _weights(rng, s, dtype), _bias(rng), _features(rng, s, dtype)


def _cost_inputs(rng, s, dtype):
    return _probabilities(rng, s, dtype), _labels01(rng, s, dtype)


def _backward_inputs(rng, s, dtype):
    return _features(rng, s, dtype), _probabilities(rng, s, dtype), _labels01(rng, s, dtype)


def _gradient_inputs(rng, s, dtype):
    return _weights(rng, s, dtype), _bias(rng), _features(rng, s, dtype), _labels01(rng, s, dtype)


def _adaline_gd_inputs(rng, s, dtype):
    w, b, X = _forward_inputs(rng, s, dtype)
    return w, b, X, _labels_pm1(rng, s, dtype), _gd_rate(s)


def _adaline_sgd_inputs(rng, s, dtype):
    w, b, X = _forward_inputs(rng, s, dtype)
    return w, b, X, _labels_pm1(rng, s, dtype), _sgd_rate(s)


def _network_inputs(rng, s, dtype):
    """Weights scaled by 1/√fan-in, so that the net inputs are of order 1 at any size
    (tanh neither saturated nor linear) — the course's 0.01 would make every hidden
    unit nearly linear at these sizes."""
    W1 = (rng.standard_normal((s["n"], s["h"])) / np.sqrt(s["n"])).astype(dtype)
    b1 = rng.normal(0.0, 0.1, s["h"]).astype(dtype)
    W2 = (rng.standard_normal(s["h"]) / np.sqrt(s["h"])).astype(dtype)
    return W1, b1, W2, _bias(rng), _features(rng, s, dtype)


def _network_gradient_inputs(rng, s, dtype):
    return *_network_inputs(rng, s, dtype), _labels01(rng, s, dtype)


def _perceptron_inputs(rng, s, dtype):
    w, b, X = _forward_inputs(rng, s, dtype)
    return w, b, X, _labels_pm1(rng, s, dtype), 0.1


# --- the ops -----------------------------------------------------------------------------
#
# FLOPs are the minimal count for the mathematics (a multiply-add is 2, exp/log count 1
# each); bytes are the compulsory traffic: every input array read once and every output
# array written once, at the computation's item size.

_w = Param("w", ("n",))
_b = Param("b", kind="float")
_X = Param("X", ("m", "n"))
_y = Param("y", ("m",))
_A = Param("A", ("m",))
_eta = Param("eta", kind="rate")
_W1 = Param("W1", ("n", "h"))
_b1 = Param("b1", ("h",))
_W2 = Param("W2", ("h",))
_b2 = Param("b2", kind="float")
_network = (_W1, _b1, _W2, _b2, _X)


def _vectors_workspace(s: Sizes) -> int:
    """A linear model's: a few vectors of a value per sample (Z, A, A - y) and the
    gradient, one value per feature."""
    return 3 * s.get("m", 0) + s.get("n", 0)


def _network_workspace(s: Sizes) -> int:
    """The shallow network's: the hidden layer H and its gradient dZ1, each (m, h), the
    gradient dW1 (n, h), and the vectors of the output layer."""
    m, n, h = s["m"], s["n"], s["h"]
    return 2 * m * h + n * h + 3 * m + 2 * h


def _network_bytes(s: Sizes, item: int, outputs: int) -> int:
    """X, y or A, and the weights read once; ``outputs`` times the weights written."""
    m, n, h = s["m"], s["n"], s["h"]
    return (m * n + m + (1 + outputs) * (n * h + 2 * h)) * item


OPS: dict[str, Op] = {
    op.name: op
    for op in (
        Op(
            name="dot",
            formula="a · b = Σᵢ aᵢbᵢ",
            params=(Param("a", ("n",)), Param("b", ("n",))),
            returns=("scalar",),
            size_names=("n",),
            flops=lambda s: 2 * s["n"],
            bytes_moved=lambda s, item: 2 * s["n"] * item,
            make_inputs=_dot_inputs,
            outputs=("a · b",),
            dtypes=("float64", "float32"),
            lesson=True,
        ),
        Op(
            name="logistic_forward",
            formula="A = σ(Xw + b)",
            params=(_w, _b, _X),
            returns=("vector",),
            size_names=("m", "n"),
            flops=lambda s: 2 * s["m"] * s["n"] + 4 * s["m"],
            bytes_moved=lambda s, item: (s["m"] * s["n"] + s["n"] + s["m"]) * item,
            make_inputs=_forward_inputs,
            outputs=("A",),
        ),
        Op(
            name="logistic_cost",
            formula="J = -mean(y log A + (1 - y) log(1 - A))",
            params=(_A, _y),
            returns=("scalar",),
            size_names=("m",),
            flops=lambda s: 7 * s["m"],
            bytes_moved=lambda s, item: 2 * s["m"] * item,
            make_inputs=_cost_inputs,
            outputs=("cost",),
            needs_clip=True,
        ),
        Op(
            name="logistic_backward",
            formula="dw = Xᵀ(A - y)/m,  db = mean(A - y)",
            params=(_X, _A, _y),
            returns=("vector", "scalar"),
            size_names=("m", "n"),
            flops=lambda s: 2 * s["m"] * s["n"] + 2 * s["m"] + s["n"],
            bytes_moved=lambda s, item: (s["m"] * s["n"] + 2 * s["m"] + s["n"]) * item,
            make_inputs=_backward_inputs,
            outputs=("dw", "db"),
        ),
        Op(
            name="logistic_gradient",
            formula="A = σ(Xw + b);  J exact from the net input;  dw, db as in logistic_backward",
            params=(_w, _b, _X, _y),
            returns=("scalar", "vector", "scalar"),
            size_names=("m", "n"),
            flops=lambda s: 4 * s["m"] * s["n"] + 13 * s["m"] + s["n"],
            bytes_moved=lambda s, item: (s["m"] * s["n"] + s["m"] + 2 * s["n"]) * item,
            make_inputs=_gradient_inputs,
            outputs=("cost", "dw", "db"),
            dtypes=("float64", "float32"),
        ),
        Op(
            name="adaline_gd_epoch",
            formula="e = y - (Xw + b);  w += η Xᵀe;  b += η Σe;  J = Σe²/2",
            params=(_w, _b, _X, _y, _eta),
            returns=("vector", "scalar", "scalar"),
            size_names=("m", "n"),
            flops=lambda s: 4 * s["m"] * s["n"] + 4 * s["m"] + 2 * s["n"],
            bytes_moved=lambda s, item: (s["m"] * s["n"] + s["m"] + 2 * s["n"]) * item,
            make_inputs=_adaline_gd_inputs,
            outputs=("w", "b", "cost"),
        ),
        Op(
            name="adaline_sgd_epoch",
            formula="for each sample: e = y - (x·w + b);  w += η e x;  b += η e",
            params=(_w, _b, _X, _y, _eta),
            returns=("vector", "scalar", "scalar"),
            size_names=("m", "n"),
            # the updates (4mn) and the cost pass with the final weights (2mn)
            flops=lambda s: 6 * s["m"] * s["n"] + 6 * s["m"],
            bytes_moved=lambda s, item: (s["m"] * s["n"] + s["m"] + 2 * s["n"]) * item,
            make_inputs=_adaline_sgd_inputs,
            outputs=("w", "b", "cost"),
            sequential=True,
        ),
        Op(
            name="perceptron_epoch",
            formula="for each sample: ŷ = +1 if x·w + b ≥ 0 else -1;  Δ = η(y - ŷ);  w += Δx",
            params=(_w, _b, _X, _y, _eta),
            returns=("vector", "scalar", "count"),
            size_names=("m", "n"),
            # net inputs and updates: as on the slides, every sample applies its update
            # (zero when the prediction was right)
            flops=lambda s: 4 * s["m"] * s["n"] + 5 * s["m"],
            bytes_moved=lambda s, item: (s["m"] * s["n"] + s["m"] + 2 * s["n"]) * item,
            make_inputs=_perceptron_inputs,
            outputs=("w", "b", "errors"),
            sequential=True,
        ),
        Op(
            name="mlp_forward",
            formula="H = tanh(X W1 + b1);  A = σ(H W2 + b2)",
            params=_network,
            returns=("vector",),
            size_names=("m", "n", "h"),
            # the product X W1 (2mnh), b1 and tanh (2mh), H W2 + b2 (2mh), σ (4m)
            flops=lambda s: 2 * s["m"] * s["n"] * s["h"] + 4 * s["m"] * s["h"] + 4 * s["m"],
            bytes_moved=lambda s, item: _network_bytes(s, item, outputs=0),
            workspace=_network_workspace,
            make_inputs=_network_inputs,
            outputs=("A",),
            dtypes=("float64", "float32"),
        ),
        Op(
            name="mlp_gradient",
            formula="forward as mlp_forward;  J exact from the net input;  dz2 = A - y;  "
            "dW2 = Hᵀdz2/m;  db2 = mean(dz2);  dZ1 = (dz2 ⊗ W2) ⊙ (1 - H²);  "
            "dW1 = XᵀdZ1/m;  db1 = mean of dZ1 over samples",
            params=(*_network, _y),
            returns=("scalar", "matrix", "vector", "vector", "scalar"),
            size_names=("m", "n", "h"),
            # the two products with X (4mnh), the hidden layer's other work both ways
            # (about 12mh: bias, tanh, Hᵀdz2, the outer product, 1 - H², db1), σ and the
            # exact cost (13m)
            flops=lambda s: 4 * s["m"] * s["n"] * s["h"] + 12 * s["m"] * s["h"] + 13 * s["m"],
            bytes_moved=lambda s, item: _network_bytes(s, item, outputs=1),
            workspace=_network_workspace,
            make_inputs=_network_gradient_inputs,
            outputs=("cost", "dW1", "db1", "dW2", "db2"),
            dtypes=("float64", "float32"),
        ),
    )
}


def make_inputs(op: str, sizes: Sizes, dtype="float64", seed: int = 0) -> tuple:
    """Inputs of the given sizes for ``op``, reproducible from ``seed``."""
    spec = OPS[op]
    missing = set(spec.size_names) - set(sizes)
    if missing:
        raise ValueError(f"{op}: sizes {dict(sizes)} lack {sorted(missing)}")
    return spec.make_inputs(np.random.default_rng(seed), sizes, np.dtype(dtype))
