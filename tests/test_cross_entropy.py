"""The fused gradient's cost is the exact mean cross-entropy for any finite net input.

Expected values are worked out here independently of the reference: for a label y in
{0, 1} the cross-entropy of net input z is softplus(z) - y·z = max(z, 0) - y·z +
log1p(e^-|z|), summed with math.fsum. The tolerance is the reference's rounding bound.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from support import INSTALLED, assert_within, reference_for, run

FLOAT32_MAX = float(np.finfo(np.float32).max)


def exact_mean_cross_entropy(z, y) -> float:
    losses = [
        max(zi, 0.0) - yi * zi + math.log1p(math.exp(-abs(zi))) for zi, yi in zip(z, y, strict=True)
    ]
    return math.fsum(losses) / len(losses)


def assert_exact_cost(X, w, y, expected):
    args = (w, 0.0, X, y)
    ref, _ = reference_for("logistic_gradient", args)
    assert abs(ref.values[0] - expected) <= ref.tolerances[0]
    for backend in INSTALLED:
        results = run(backend, "logistic_gradient", args)
        assert assert_within("logistic_gradient", backend, results, ref.values, ref.tolerances)
        cost = results[0]
        assert abs(cost - expected) <= ref.tolerances[0], (backend, cost, expected)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_confidently_wrong_predictions_cost_their_full_net_input(dtype):
    """The issue's example: today's clipped cost would be 18.37; the exact one is 5000."""
    X = np.array([[1e4], [-1e4], [5e3], [-5e3]], dtype)
    y = np.array([0.0, 1.0, 1.0, 0.0], dtype)
    w = np.ones(1, dtype)
    assert exact_mean_cross_entropy([1e4, -1e4, 5e3, -5e3], y.tolist()) == 5000.0
    assert_exact_cost(X, w, y, 5000.0)


Z_FLOAT64 = [0.0, 1e-300, -1e-300, 0.5, -2.0, 20.0, -37.0, 40.0, 700.0, -745.5, 1e3, -1e4, 1e4]
Z_FLOAT32 = [0.0, 1e-40, -3.0, 15.0, -16.5, 88.0, -104.0, 1e4, -1e20, 3e30, -1e38]


@pytest.mark.parametrize(
    ("dtype", "net_inputs"),
    [(np.float64, Z_FLOAT64), (np.float32, Z_FLOAT32), (np.float32, [FLOAT32_MAX, 1.0, -2.0])],
    ids=["float64", "float32", "float32-max"],
)
@pytest.mark.parametrize("labels", ["right", "wrong", "mixed"])
def test_cost_is_exact_over_the_range(dtype, net_inputs, labels):
    """One feature, w = 1: each sample's net input is exactly its x. Labels chosen to be
    right (y = 1 where z > 0), wrong, or alternating."""
    z = np.array(net_inputs, dtype)
    right = (z > 0).astype(dtype)
    y = {"right": right, "wrong": 1 - right, "mixed": np.arange(len(z)) % 2}[labels].astype(dtype)
    expected = exact_mean_cross_entropy(z.astype(np.float64).tolist(), y.tolist())
    assert_exact_cost(z[:, None], np.ones(1, dtype), y, expected)
