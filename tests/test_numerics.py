"""Numerical care: saturation without overflow or warnings, NaN and inf propagated alike."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from support import BACKEND_PARAMS, INSTALLED, assert_matches_reference, run

import kernels

FLOAT32_MAX = float(np.finfo(np.float32).max)


@pytest.fixture
def strict_floating_point():
    """Any overflow, division by zero or invalid operation raises, any warning fails.

    Underflow stays NumPy's default, ignored: e^-10000 is 0, as it should be.
    """
    with np.errstate(over="raise", divide="raise", invalid="raise"), warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


@pytest.mark.usefixtures("strict_floating_point")
@pytest.mark.parametrize(
    ("dtype", "extreme"), [(np.float64, 1e4), (np.float32, 1e4), (np.float32, FLOAT32_MAX)]
)
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_saturated_sigmoid_and_cost_stay_finite(backend, dtype, extreme):
    X = np.array([[extreme], [-extreme], [0.0], [1.0]], dtype)
    w = np.ones(1, dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype)  # the saturated samples are wrong on purpose
    ops = kernels.get(backend)
    A = ops.logistic_forward(w, 0.0, X)
    assert A.dtype == dtype
    assert A[0] == 1.0
    assert A[1] == 0.0
    assert A[2] == 0.5
    cost = ops.logistic_cost(A, y)
    eps = float(np.finfo(dtype).epsneg)
    # two samples pay the clipped price -log(eps), two pay log 2 and -log σ(1)
    expected = (2 * -math.log(eps) + math.log(2) - math.log1p(-1 / (1 + math.exp(-1)))) / 4
    assert math.isfinite(cost)
    assert cost == pytest.approx(expected, rel=1e-6)
    if extreme < FLOAT32_MAX:  # else Xᵀ(A - y) itself exceeds float32: a true overflow
        # the fused gradient takes its cost from z, unclipped: each wrong sample costs
        # its |z|, the other two log 2 and softplus(1) = 1 + log1p(e^-1)
        exact = (2 * extreme + math.log(2) + 1 + math.log1p(math.exp(-1))) / 4
        assert ops.logistic_gradient(w, 0.0, X, y)[0] == pytest.approx(exact, rel=1e-6)
    # With the saturated samples labelled right, their errors vanish and the gradient
    # stays finite even where X is the largest float32.
    right = np.array([1.0, 0.0, 1.0, 0.0], dtype)
    _, dw, db = ops.logistic_gradient(w, 0.0, X, right)
    assert np.all(np.isfinite(dw))
    assert math.isfinite(db)


@pytest.mark.usefixtures("strict_floating_point")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cost_where_probabilities_are_exactly_zero_and_one(dtype):
    A = np.array([0.0, 1.0, 0.0, 1.0], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype)
    assert_matches_reference("logistic_cost", (A, y))
    eps = float(np.finfo(dtype).epsneg)
    # clipped to eps and 1 - eps: two samples pay -log(eps), two pay -log(1 - eps)
    expected = -(2 * math.log(eps) + 2 * math.log1p(-eps)) / 4
    for backend in INSTALLED:
        assert run(backend, "logistic_cost", (A, y))[0] == pytest.approx(expected, rel=1e-6)


NON_FINITE = [float("nan"), float("inf"), -float("inf")]


@pytest.mark.parametrize("bad", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("op", kernels.OPS)
def test_nan_and_inf_propagate_alike(op, bad):
    """Non-finite data is not rejected: every backend passes it through as the reference
    does (same NaN positions, same infinities, finite parts within the bound)."""
    args = list(kernels.make_inputs(op, {"m": 5, "n": 3, "h": 2}, "float64", seed=2))
    first = 2 if op == "logistic_backward" else 0  # poison an array the op reads
    poisoned = args[first].copy()
    poisoned.flat[1] = bad
    args[first] = poisoned
    with np.errstate(invalid="ignore", over="ignore"):
        assert_matches_reference(op, tuple(args))


@pytest.mark.parametrize("bad", NON_FINITE, ids=["nan", "inf", "-inf"])
@pytest.mark.parametrize("op", kernels.OPS)
def test_nan_and_inf_propagate_silently(op, bad):
    """No backend warns where NaN or inf meet a product (NumPy's matmul would), and all
    put NaN in the same places."""
    args = list(kernels.make_inputs(op, {"m": 5, "n": 3, "h": 2}, "float64", seed=2))
    first = 2 if op == "logistic_backward" else 0
    poisoned = args[first].copy()
    poisoned.flat[1] = bad
    args[first] = poisoned
    nan_places = set()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for backend in INSTALLED:
            results = run(backend, op, tuple(args))
            nan_places.add(tuple(tuple(np.isnan(np.atleast_1d(r)).ravel()) for r in results))
    assert len(nan_places) == 1, nan_places


# The float32 contract at the range limits (README, "The contract every backend keeps"):
# a result beyond float32's range is ±inf from every backend, and every scalar result is
# a float32 value, whatever precision the backend's intermediates carry.


@pytest.mark.usefixtures("strict_floating_point")
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_float32_results_beyond_the_range_are_inf(backend):
    ops = kernels.get(backend)
    big = np.full(3, 1e30, np.float32)
    assert ops.dot(big, big) == math.inf  # 3e60: finite in float64, not in float32
    assert ops.dot(big, -big) == -math.inf
    # z = 1e39 overflows: the error, the gradient and the cost are beyond the range too.
    w, b, cost = ops.adaline_gd_epoch(
        np.full(1, 1e19, np.float32), 0.0, np.full((1, 1), 1e20, np.float32),
        np.zeros(1, np.float32), 1.0,
    )  # fmt: skip
    assert w.dtype == np.float32
    assert (w[0], b, cost) == (-math.inf, -math.inf, math.inf)


@pytest.mark.usefixtures("strict_floating_point")
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_float32_results_at_the_range_limit_stay_finite(backend):
    """X = 3e38, the largest magnitude below float32's max: σ saturates, dw is X itself."""
    X = np.full((1, 1), 3e38, np.float32)
    cost, dw, db = kernels.get(backend).logistic_gradient(
        np.ones(1, np.float32), 0.0, X, np.zeros(1, np.float32)
    )
    assert dw.dtype == np.float32
    assert (dw[0], db) == (X[0, 0], 1.0)
    # the exact cross-entropy of a confidently wrong prediction: softplus(z) = z
    assert cost == float(X[0, 0])


@pytest.mark.parametrize("op", ["dot", "logistic_cost", "logistic_gradient", "adaline_gd_epoch"])
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_float32_scalar_results_are_float32_values(backend, op):
    """The loops add in float64 (Python floats are doubles): the result is rounded once."""
    args = kernels.make_inputs(op, {"m": 7, "n": 5, "h": 3}, "float32", seed=4)
    kinds = kernels.ops.OPS[op].returns
    scalars = [r for r, kind in zip(run(backend, op, args), kinds, strict=True) if kind == "scalar"]
    assert scalars
    for result in scalars:
        assert float(np.float32(result)) == result, (backend, op, result)


@pytest.mark.parametrize("op", ["perceptron_epoch", "adaline_sgd_epoch"])
def test_updates_that_underflow_stay_within_the_bound(op):
    """Per-sample updates at float32's smallest normal number, 1.18e-38: 0.375 × 2 × x
    is subnormal, which JAX's XLA flushes to zero and the others keep. Each backend is
    held to the bound for its way with subnormals (hypothesis found this case: the bound
    had no absolute term for the update's product and sum near zero)."""
    tiny = np.finfo(np.float32).tiny
    args = (
        np.zeros(1, np.float32), 1.0, np.full((3, 1), tiny, np.float32),
        np.full(3, -1.0, np.float32), 0.375,
    )  # fmt: skip
    assert_matches_reference(op, args)
