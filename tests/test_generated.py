"""Hypothesis-generated shapes, values and memory layouts, every backend against the reference.

Values are drawn from [-1e3, 1e3] with exact zeros mixed in (and probabilities from
[0, 1], endpoints included), so sums cancel, grow and shrink without overflowing.
Learning rates are drawn below each rule's stability limit, so a trajectory stays
finite and its error bound meaningful.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from support import INSTALLED, assert_matches_reference, reference_for, some_backend, under_test

import kernels

DTYPES = st.sampled_from([np.float64, np.float32])
LAYOUTS = st.sampled_from(["C", "F", "strided", "transposed"])
PROFILE = settings(
    max_examples=150,
    deadline=None,
    # Under CI the same examples every run, so a red run is reproducible and a green one
    # stays green; on a developer's machine new examples are drawn each time.
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
# Backends that compile anew for every shape (XLA: 30-200 ms per op and shape on the
# 2-core machine) would spend 150 examples x 8 ops x ~0.1 s compiling, most of the whole
# test budget, on shapes that exercise the same compiled code paths. They get fewer
# examples, of a few shapes (FEW_SAMPLES below), their values drawn by the same
# strategies: every dtype, layout and size range still comes up, and their fixed-shape
# tests (tests/test_kernels.py) run in full.
PER_SHAPE_PROFILE = settings(PROFILE, max_examples=20)
PER_SHAPE = [name for name in INSTALLED if kernels.BACKENDS[name].compiles_per_shape]
# ... and the backends of some ops (the BLAS ladder's steps), for those ops
PER_DTYPE = [
    name for name in kernels.installed_backends() if under_test(name) and name not in PER_SHAPE
]


def values(dtype, shape, low=-1e3, high=1e3):
    elements = st.one_of(
        st.just(0.0),
        st.floats(low, high, width=np.dtype(dtype).itemsize * 8, allow_subnormal=False),
    )
    return hnp.arrays(dtype, shape, elements=elements)


def labels(dtype, shape, classes):
    return hnp.arrays(dtype, shape, elements=st.sampled_from(classes))


def laid_out(array: np.ndarray, layout: str) -> np.ndarray:
    """The same values in another memory layout: Fortran order, a strided view, or the
    transpose of a contiguous array."""
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided":
        spaced = np.zeros((*array.shape[:-1], 2 * array.shape[-1]), array.dtype)
        spaced[..., ::2] = array
        view = spaced[..., ::2]
        assert not view.flags.c_contiguous or view.shape[-1] == 1
        return view
    if layout == "transposed" and array.ndim == 2:
        return np.ascontiguousarray(array.T).T
    return array


# Samples from 1 to 40, features from 1 to 40 or, now and then, up to 2000; hidden
# units from 1 to 40, as long as m·n·h stays within NETWORK_WORK (the python backend's
# shallow network takes about a second per million multiply-adds, and these shapes
# exercise the same code as larger ones).
SAMPLES = st.integers(1, 40)
FEATURES = st.one_of(st.integers(1, 40), st.integers(100, 2000))
# For the backends that compile per shape, a few sizes of the same ranges (the ends, and
# an odd width between): most examples then meet a shape already compiled, where each new
# one costs XLA 30-200 ms per op and backend, more than the example (3 × 4 sizes took the
# 10 tests 28 s, these 2 × 3 take 24 s). Values, dtypes and layouts are drawn as for every
# backend; the one-pass form's many blocks have a test of their own (test_engines.py).
FEW_SAMPLES = st.sampled_from([1, 40])
FEW_FEATURES = st.sampled_from([1, 7, 2000])
FEW_LENGTHS = st.sampled_from([1, 7, 5000])  # dot's n
NETWORK_WORK = 40_000


# The ops whose values are drawn element by element below; any other op of the catalogue
# gets its own input generator's values, at drawn sizes, seed, dtype and layouts.
DRAWN_BY_HAND = (
    "dot", "logistic_cost", "logistic_backward", "logistic_forward", "logistic_gradient",
    "adaline_gd_epoch", "adaline_sgd_epoch", "perceptron_epoch",
)  # fmt: skip


@st.composite
def problems(draw, op, few_shapes=False):
    """Arguments for ``op``: shapes from 1 to large (``few_shapes``: of FEW_SAMPLES and
    FEW_FEATURES), either dtype, any layout per array."""
    samples, features = (FEW_SAMPLES, FEW_FEATURES) if few_shapes else (SAMPLES, FEATURES)
    dtype = draw(DTYPES)

    def layout(array):
        return laid_out(array, draw(LAYOUTS))

    if op not in DRAWN_BY_HAND:
        spec = kernels.OPS[op]
        axes = {"m": samples, "n": features}
        sizes = {name: draw(axes[name]) for name in spec.size_names if name != "h"}
        if "h" in spec.size_names:
            most = max(1, min(40, NETWORK_WORK // (sizes["m"] * sizes["n"])))
            sizes["h"] = draw(st.sampled_from([1, most]) if few_shapes else st.integers(1, most))
        seed = draw(st.integers(0, 2**32 - 1))
        args = kernels.make_inputs(op, sizes, dtype, seed=seed)
        return tuple(layout(a) if isinstance(a, np.ndarray) else a for a in args)
    if op == "dot":
        n = draw(FEW_LENGTHS if few_shapes else st.integers(1, 5000))
        return layout(draw(values(dtype, n))), layout(draw(values(dtype, n)))
    m, n = draw(samples), draw(features)
    if op in ("logistic_cost", "logistic_backward"):
        A = layout(draw(values(dtype, m, 0.0, 1.0)))
        y = layout(draw(labels(dtype, m, [0.0, 1.0])))
        if op == "logistic_cost":
            return A, y
        return layout(draw(values(dtype, (m, n)))), A, y
    w = layout(draw(values(dtype, n, -1.0, 1.0)))
    b = draw(st.floats(-10, 10))
    if op in ("logistic_forward", "logistic_gradient"):
        # X within ±10: net inputs up to ~1e4 reach both saturated ends of σ
        X = layout(draw(values(dtype, (m, n), -10.0, 10.0)))
        if op == "logistic_forward":
            return w, b, X
        return w, b, X, layout(draw(labels(dtype, m, [0.0, 1.0])))
    X = layout(draw(values(dtype, (m, n))))
    y = layout(draw(labels(dtype, m, [-1.0, 1.0])))
    scale = float(np.max(np.abs(X))) ** 2 + 1.0
    if op == "adaline_gd_epoch":
        eta = draw(st.floats(0.0, 1.0)) / (m * n * scale)
    elif op == "adaline_sgd_epoch":
        eta = draw(st.floats(0.0, 1.0)) / (n * scale)
    else:
        eta = draw(st.floats(0.01, 1.0))
    return w, b, X, y, eta


def check_generated(op, data, backends, few_shapes=False):
    args = data.draw(problems(op, few_shapes), label="arguments")
    # A perceptron whose net input falls within rounding of zero may rightly decide
    # either way: such cases say nothing about correctness. "Within rounding" is each
    # backend's own: a backend that flushes subnormals to zero (XLA) reads a subnormal
    # net input as 0.
    flushing = [b for b in backends if kernels.BACKENDS[b].flushes_subnormals]
    for backend in [None, *flushing[:1]]:
        ref, _ = reference_for(op, args, backend)
        assume(ref.well_conditioned)
    assert_matches_reference(op, args, backends)


@PROFILE
@pytest.mark.parametrize("op", kernels.OPS)
@given(data=st.data())
def test_every_backend_matches_the_reference(op, data):
    check_generated(op, data, PER_DTYPE)


@PER_SHAPE_PROFILE
@pytest.mark.parametrize("op", kernels.OPS)
@given(data=st.data())
def test_every_compile_per_shape_backend_matches_the_reference(op, data):
    some_backend(PER_SHAPE, "compiles per shape")
    check_generated(op, data, PER_SHAPE, few_shapes=True)


def test_a_subnormal_net_input_decides_nothing_where_subnormals_flush():
    """Found by hypothesis: b = -2.2e-313 is a negative net input to the reference, and 0
    (so a positive prediction) to a backend that flushes subnormals. The reference says
    so for that backend, and the generated tests skip the case for it."""
    flushing = [b for b in INSTALLED if kernels.BACKENDS[b].flushes_subnormals]
    some_backend(flushing, "flushes subnormals")
    args = (np.zeros(1), -2.2250738585e-313, np.zeros((1, 1)), np.array([-1.0]), 1.0)
    assert reference_for("perceptron_epoch", args)[0].well_conditioned
    for backend in flushing:
        assert not reference_for("perceptron_epoch", args, backend)[0].well_conditioned


def test_a_mean_of_terms_that_underflow_where_subnormals_flush():
    """Found by hypothesis: float32 X of 14 rows, every entry 3.1983765e-37, w = 0,
    y = 0. dw = mean(0.5·x) = 1.6e-37, a normal number; but the derivative of a mean, as
    automatic differentiation builds it, scales each term first, 0.5·x/14 = 1.1e-38,
    below float32's smallest normal, and XLA flushes all fourteen to zero. The bound for
    a backend that flushes subnormals allows for it (m terms, tiny each); it still holds
    every other backend to the exact value."""
    flushing = [b for b in INSTALLED if kernels.BACKENDS[b].flushes_subnormals]
    some_backend(flushing, "flushes subnormals")
    X = np.full((14, 1), 3.1983765e-37, dtype=np.float32)
    args = (np.zeros(1, np.float32), 0.0, X, np.zeros(14, np.float32))
    ref = assert_matches_reference("logistic_gradient", args)
    assert ref.values[1][0] > np.finfo(np.float32).tiny  # the value compared is normal
    exact = reference_for("logistic_gradient", args)[0]
    assert exact.tolerances[1][0] < 1e-3 * exact.values[1][0]  # and held tightly elsewhere
