"""Backend ``torch``: the vectorized expressions of ``numpy_vectorized``, on PyTorch tensors.

Each function is ``numpy_vectorized``'s, written with PyTorch's operators on CPU tensors
in eager mode: every operator runs at once, in PyTorch's compiled kernels (its own
vectorized loops, and BLAS for the products), spread over its intra-op thread pool
(``torch.set_num_threads``). Nothing is traced or compiled, so there is no compile cost
and no first-call delay. Like the NumPy backend, the per-sample rules keep a Python loop
over the samples (``interprets="sequential"``), because each sample's update changes the
weights the next sample sees: every sample then costs a few calls into PyTorch.

The native form is a tensor sharing the NumPy array's memory (``to_tensor``, outside the
timed region); results are tensors, which the catalogue's ``Backend`` turns back into
NumPy arrays and Python floats. float32 tensors stay float32 and float64 ones are
computed in float64: a Python scalar (b, eta, the clip ε) takes the tensor's dtype, as
in NumPy. No tensor requires a gradient here; ``torch_autograd`` (``kernels/
torch_autograd.py``) takes the logistic and the shallow network's gradients with autograd from this
module's costs.
"""

from __future__ import annotations

import warnings

import numpy as np
import torch


def to_tensor(value):
    """NumPy arrays to CPU tensors of the same dtype and memory; scalars unchanged."""
    if not isinstance(value, np.ndarray):
        return value
    if any(stride < 0 for stride in value.strides):  # tensors have no negative strides
        value = value.copy()
    # A read-only array (a broadcast view, a caller's frozen data) makes PyTorch warn that
    # writing to the tensor would be undefined: no kernel here writes to its arguments.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The given NumPy array is not writable", UserWarning)
        return torch.from_numpy(value)


# --- the building blocks, as in numpy_vectorized ------------------------------------------


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z) for a whole tensor, with e^-|z| <= 1 so nothing overflows."""
    e = torch.exp(-torch.abs(z))
    return torch.where(z >= 0, 1 / (1 + e), e / (1 + e))


def cross_entropy_sum(A, y, eps):
    """Σ over samples of -(y log A + (1 - y) log(1 - A)), with A clipped to [eps, 1 - eps].

    NumPy's expression, each operator in place on the clipped copy where it can: three
    new tensors of m values, not nine. A new large tensor costs PyTorch more than the
    arithmetic on it: its CPU allocator hands large blocks back to the system and maps
    them again in 4 KiB pages, each touched page a page fault (19 500 for 10⁷ float64
    values), where NumPy asks for 2 MiB pages (600 faults). Measured on 10⁷ float64
    values, one thread: 690 ms of CPU with nine new tensors (NumPy: 282), 318 with three.
    """
    A = torch.clamp(A, eps, 1 - eps)
    log_1m_A = torch.neg(A).log1p_().mul_(1 - y)
    return -torch.sum(A.log_().mul_(y).add_(log_1m_A))


def sigmoid_and_log_probabilities(z):
    """σ(z), log σ(z) and log(1 - σ(z)) from the net input, with one exp and one log1p:
    log σ(z) = -softplus(-z) and log(1 - σ(z)) = -softplus(z).

    Not ``torch.nn.functional.softplus``: above its threshold (20) it returns z itself,
    dropping log1p(e^-z), which float64 still holds. The two branches are chosen by
    ``torch.where`` on the sign of z, not by ``abs`` and ``max``: the same values, and
    autograd's derivative at z = 0 is then σ'(0), where abs and max would give 0.
    """
    positive = z >= 0
    e = torch.exp(-torch.where(positive, z, -z))
    softplus = torch.log1p(e)
    A = torch.where(positive, 1 / (1 + e), e / (1 + e))
    log_A = torch.where(positive, -softplus, z - softplus)
    log_1m_A = torch.where(positive, -softplus - z, -softplus)
    return A, log_A, log_1m_A


def mean_cross_entropy(w, b, X, y):
    """J(w, b) = mean cross-entropy of σ(Xw + b) against y, exactly from the net input."""
    z = X @ w + b
    _, log_A, log_1m_A = sigmoid_and_log_probabilities(z)
    return -torch.mean(y * log_A + (1 - y) * log_1m_A)


def network_cost(W1, b1, W2, b2, X, y):
    """J(W1, b1, W2, b2): the shallow network's mean cross-entropy, from its net input."""
    H = torch.tanh(X @ W1 + b1)
    _, log_A, log_1m_A = sigmoid_and_log_probabilities(H @ W2 + b2)
    return -torch.mean(y * log_A + (1 - y) * log_1m_A)


# --- the ops ------------------------------------------------------------------------------


def dot(a, b):
    """a · b"""
    return torch.dot(a, b)


def logistic_forward(w, b, X):
    """A = σ(Xw + b)"""
    return sigmoid(X @ w + b)


def logistic_cost(A, y, eps):
    """J = mean cross-entropy"""
    return cross_entropy_sum(A, y, eps) / len(A)


def logistic_backward(X, A, y):
    """dw = Xᵀ(A - y)/m, db = mean(A - y)"""
    errors = A - y
    return X.T @ errors / len(y), torch.mean(errors)


def logistic_gradient(w, b, X, y):
    """Forward, cost and backward: two passes over X (X @ w, then X.T @ errors).

    The cost comes from the net input z, exactly: log σ(z) = -softplus(-z) and
    log(1 - σ(z)) = -softplus(z), each -log1p(e^-|z|) less max(∓z, 0).
    """
    z = X @ w + b
    A, log_A, log_1m_A = sigmoid_and_log_probabilities(z)
    dw, db = logistic_backward(X, A, y)
    return -torch.mean(y * log_A + (1 - y) * log_1m_A), dw, db


def adaline_gd_epoch(w, b, X, y, eta):
    """errors = y - (Xw + b);  w += η Xᵀ·errors;  b += η Σ errors;  cost = Σ errors² / 2"""
    errors = y - (X @ w + b)
    cost = errors @ errors / 2
    return w + eta * (X.T @ errors), b + eta * torch.sum(errors), cost


def adaline_sgd_epoch(w, b, X, y, eta):
    """The delta rule sample by sample: a Python loop over rows, PyTorch within a row."""
    w = w.clone()
    for x, target in zip(X, y, strict=True):
        error = target - (x @ w + b)
        w += eta * error * x
        b += eta * error
    errors = y - (X @ w + b)
    return w, b, errors @ errors / 2


def perceptron_epoch(w, b, X, y, eta):
    """Rosenblatt's rule sample by sample: a Python loop over rows, PyTorch within a row."""
    w = w.clone()
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
    return sigmoid(torch.tanh(X @ W1 + b1) @ W2 + b2)


def mlp_gradient(W1, b1, W2, b2, X, y):
    """Forward pass, exact cost from the net input, backpropagation (two products with X)."""
    m = len(y)
    H = torch.tanh(X @ W1 + b1)
    A, log_A, log_1m_A = sigmoid_and_log_probabilities(H @ W2 + b2)
    cost = -torch.mean(y * log_A + (1 - y) * log_1m_A)
    dz2 = A - y
    dZ1 = torch.outer(dz2, W2) * (1 - H * H)  # tanh'(z) = 1 - tanh(z)²
    return cost, X.T @ dZ1 / m, dZ1.sum(dim=0) / m, H.T @ dz2 / m, torch.mean(dz2)
