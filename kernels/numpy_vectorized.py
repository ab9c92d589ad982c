"""Backend ``numpy``: the same mathematics as whole-array expressions.

Each function is the vectorized twin of the loop of the same name in
``kernels/python_loops.py``: the loops over samples and features become ``X @ w``,
``X.T @ errors`` and element-wise ufuncs, which run in compiled code (BLAS for the
products). Only the per-sample rules keep a Python loop over the samples, because each
sample's update changes the weights the next sample sees.

float32 inputs stay float32: Python scalars (b, eta) do not promote arrays (NEP 50).
"""

from __future__ import annotations

import numpy as np


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z) for a whole array, with e^-|z| <= 1 so nothing overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def cross_entropy(A, y, eps):
    """Per-sample -(y log A + (1 - y) log(1 - A)), with A clipped to [eps, 1 - eps]."""
    A = np.clip(A, eps, 1 - eps)
    return -(y * np.log(A) + (1 - y) * np.log1p(-A))


def dot(a, b):
    """a · b"""
    return np.dot(a, b)


def logistic_forward(w, b, X):
    """A = σ(Xw + b)"""
    return sigmoid(X @ w + b)


def logistic_cost(A, y, eps):
    """J = mean cross-entropy"""
    return np.mean(cross_entropy(A, y, eps))


def logistic_backward(X, A, y):
    """dw = Xᵀ(A - y)/m, db = mean(A - y)"""
    errors = A - y
    return X.T @ errors / len(y), np.mean(errors)


def sigmoid_and_log_probabilities(z):
    """σ(z), log σ(z) and log(1 - σ(z)) from the net input, with one exp and one log1p:
    log σ(z) = -softplus(-z) and log(1 - σ(z)) = -softplus(z)."""
    e = np.exp(-np.abs(z))
    softplus = np.log1p(e)
    A = np.where(z >= 0, 1 / (1 + e), e / (1 + e))
    return A, -softplus - np.maximum(-z, 0), -softplus - np.maximum(z, 0)


def logistic_gradient(w, b, X, y):
    """Forward, cost and backward: two passes over X (X @ w, then X.T @ errors).

    The cost comes from the net input z, exactly: log σ(z) = -softplus(-z) and
    log(1 - σ(z)) = -softplus(z), each -log1p(e^-|z|) less max(∓z, 0).
    """
    z = X @ w + b
    A, log_A, log_1m_A = sigmoid_and_log_probabilities(z)
    dw, db = logistic_backward(X, A, y)
    return -np.mean(y * log_A + (1 - y) * log_1m_A), dw, db


def adaline_gd_epoch(w, b, X, y, eta):
    """errors = y - (Xw + b);  w += η Xᵀ·errors;  b += η Σ errors;  cost = Σ errors² / 2"""
    errors = y - (X @ w + b)
    cost = errors @ errors / 2
    return w + eta * (X.T @ errors), b + eta * np.sum(errors), cost


def adaline_sgd_epoch(w, b, X, y, eta):
    """The delta rule sample by sample: a Python loop over rows, NumPy within a row."""
    w = w.copy()
    for x, target in zip(X, y, strict=True):
        error = target - (x @ w + b)
        w += eta * error * x
        b += eta * error
    errors = y - (X @ w + b)
    return w, b, errors @ errors / 2


def perceptron_epoch(w, b, X, y, eta):
    """Rosenblatt's rule sample by sample: a Python loop over rows, NumPy within a row."""
    w = w.copy()
    errors = 0
    for x, target in zip(X, y, strict=True):
        prediction = 1.0 if x @ w + b >= 0.0 else -1.0
        update = eta * (target - prediction)
        w += update * x
        b += update
        errors += int(update != 0.0)
    return w, b, errors


def mlp_forward(W1, b1, W2, b2, X):
    """H = tanh(X W1 + b1);  A = σ(H W2 + b2)"""
    H = np.tanh(X @ W1 + b1)
    return sigmoid(H @ W2 + b2)


def mlp_gradient(W1, b1, W2, b2, X, y):
    """Forward pass, exact cost from the net input, backpropagation: two products with X
    (X @ W1, then X.T @ dZ1), which BLAS computes near the processor's peak when h is
    large."""
    m = len(y)
    H = np.tanh(X @ W1 + b1)
    A, log_A, log_1m_A = sigmoid_and_log_probabilities(H @ W2 + b2)
    cost = -np.mean(y * log_A + (1 - y) * log_1m_A)
    dz2 = A - y
    dZ1 = np.outer(dz2, W2) * (1 - H * H)  # tanh'(z) = 1 - tanh(z)²
    return cost, X.T @ dZ1 / m, dZ1.sum(axis=0) / m, H.T @ dz2 / m, np.mean(dz2)
