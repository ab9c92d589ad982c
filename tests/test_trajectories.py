"""Multi-epoch training: every backend follows the reference trajectory.

Each epoch adds at most its own rounding-error bound (``kernels.reference``) to the
distance between a backend's weights and the reference's. The epoch maps used here are
non-expansive — a gradient step with a learning rate under 2/L, and the perceptron's
fixed-decision updates — so earlier deviations are not amplified, and the distance after
k epochs is at most the sum of the first k bounds. Each test checks that premise on its
data before relying on it. Perceptron error counts must be equal, epoch by epoch.
"""

from __future__ import annotations

import numpy as np
import pytest
from support import INSTALLED

import kernels
from kernels.checks import check_arguments
from kernels.reference import gamma, reference, unit_roundoff

EPOCHS = 15


def two_blobs(m: int, n: int, dtype, labels=(-1.0, 1.0), seed=0):
    """Two well-separated Gaussian classes, like setosa and versicolor."""
    rng = np.random.default_rng(seed)
    y = np.where(np.arange(m) % 2 == 0, labels[0], labels[1])
    centres = np.where(y[:, None] == labels[1], 1.5, -1.5)
    X = centres + rng.standard_normal((m, n))
    return X.astype(dtype), y.astype(dtype)


def augmented_curvature(X) -> float:
    """λmax of [X 1]ᵀ[X 1]: the sum-of-squares cost's largest curvature."""
    Xa = np.hstack([X.astype(np.float64), np.ones((len(X), 1))])
    return float(np.linalg.eigvalsh(Xa.T @ Xa)[-1])


def distance(w1, b1, w2, b2) -> float:
    return float(np.linalg.norm(np.append(np.asarray(w1, float) - w2, float(b1) - b2)))


def epoch_rule(op: str, backend: str, X, y, eta, epochs, dtype):
    """(w, b, extra) after each epoch of ``op`` on ``backend``, from zero weights."""
    w, b = np.zeros(X.shape[1], dtype), 0.0
    run = getattr(kernels.get(backend), op)
    history = []
    for _ in range(epochs):
        w, b, extra = run(w, b, X, y, eta)
        history.append((w, b, extra))
    return history


def reference_rule(op: str, X, y, eta, epochs, dtype):
    """The reference trajectory and, per epoch, the accumulated distance bound."""
    w, b = np.zeros(X.shape[1]), 0.0
    bound = 0.0
    history = []
    for _ in range(epochs):
        checked, _ = check_arguments(op, (w, b, X.astype(np.float64), y, eta), {})
        ref = reference(op, checked, dtype)
        assert ref.well_conditioned, "a net input lies within rounding of zero"
        w, b, extra = ref.values
        tol_w, tol_b, _ = ref.tolerances
        bound += float(np.hypot(np.linalg.norm(tol_w), tol_b))
        history.append((w, b, extra, bound))
    return history


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("op", ["adaline_gd_epoch", "adaline_sgd_epoch", "perceptron_epoch"])
def test_weight_trajectories_agree(op, dtype):
    X, y = two_blobs(60, 4, dtype)
    curvature = augmented_curvature(X)
    if op == "adaline_gd_epoch":
        eta = 1.0 / curvature
        assert eta * curvature <= 2  # the batch step is non-expansive
    elif op == "adaline_sgd_epoch":
        eta = 0.02
        # each per-sample step I - η·x̃x̃ᵀ is non-expansive when η‖x̃‖² <= 2
        assert eta * float(np.max(np.sum(X.astype(float) ** 2, axis=1) + 1)) <= 2
    else:
        eta = 0.1
    expected = reference_rule(op, X, y, eta, EPOCHS, dtype)
    for backend in INSTALLED:
        got = epoch_rule(op, backend, X, y, eta, EPOCHS, dtype)
        for epoch, ((w, b, extra), (rw, rb, rextra, bound)) in enumerate(
            zip(got, expected, strict=True)
        ):
            assert distance(w, b, rw, rb) <= bound, f"{backend}, epoch {epoch + 1}"
            if op == "perceptron_epoch":
                assert extra == rextra, f"{backend}: errors in epoch {epoch + 1}"
    if op == "perceptron_epoch":  # the data is separable: the rule must get there
        assert expected[-1][2] == 0


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_logistic_regression_trajectories_agree(dtype):
    """Gradient descent on logistic_gradient: w -= lr·dw, b -= lr·db.

    The cross-entropy is L-smooth with L = λmax([X 1]ᵀ[X 1])/(4m); a step lr <= 2/L is
    non-expansive. Per step the deviation grows by lr·(bound on dw, db) plus the rounding
    of the update itself.
    """
    X, y = two_blobs(80, 3, dtype, labels=(0.0, 1.0), seed=1)
    m = len(y)
    lr = 4 * m / augmented_curvature(X)  # = 1/L
    u = unit_roundoff(dtype)
    w_ref, b_ref, bound = np.zeros(3), 0.0, 0.0
    trajectories = {backend: (np.zeros(3, dtype), 0.0) for backend in INSTALLED}
    for step in range(EPOCHS):
        checked, _ = check_arguments("logistic_gradient", (w_ref, b_ref, X, y), {})
        ref = reference("logistic_gradient", checked, dtype)
        _, dw, db = ref.values
        _, tol_dw, tol_db = ref.tolerances
        update_rounding = gamma(2, u) * np.append(np.abs(w_ref) + lr * np.abs(dw), 0)
        update_rounding[-1] = gamma(2, u) * (abs(b_ref) + lr * abs(db))
        bound += lr * float(np.hypot(np.linalg.norm(tol_dw), tol_db))
        bound += float(np.linalg.norm(update_rounding))
        w_ref, b_ref = w_ref - lr * dw, b_ref - lr * db
        for backend, (w, b) in trajectories.items():
            cost, dw_b, db_b = kernels.get(backend).logistic_gradient(w, b, X, y)
            w, b = w - dtype(lr) * dw_b, b - lr * db_b
            trajectories[backend] = (w, b)
            assert distance(w, b, w_ref, b_ref) <= bound, f"{backend}, step {step + 1}"
            assert np.isfinite(cost)
