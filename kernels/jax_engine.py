"""Backend ``jax``: the vectorized expressions of ``numpy_vectorized``, compiled by XLA.

Each op is one ``jax.jit`` function: XLA fuses the element-wise chains and the
reductions around the products into a few loops, the lesson of Numba's single pass
reached from array code. It compiles once per shape and dtype (the benchmarks measure
that cost on its own, ``bench/jit_cost.py``). The per-sample rules run inside the
compiled function too, as a ``lax.scan`` over the rows carrying ``(w, b)``: no Python
loop over samples.

float64 is enabled for this backend only: each op, and the conversion of its arguments
to device arrays (``to_device``), runs inside ``jax.enable_x64(True)``, a context that
changes the setting for the calling thread and restores it on exit, so JAX's default
(float32 only) holds for any other code in the process. float32 inputs stay float32:
Python scalars (b, eta, the clip ε) are weakly typed and take the arrays' dtype.

Results are device arrays, returned before XLA has finished (asynchronous dispatch);
``wait`` blocks until they are ready, inside the timed region.

The logistic gradient is also taken by the machine: ``jax_autodiff`` (``kernels/
jax_autodiff.py``) differentiates this module's cost with ``jax.value_and_grad``.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax


def to_device(value):
    """NumPy arrays to device arrays of the same dtype (float64 kept); scalars unchanged."""
    if isinstance(value, np.ndarray):
        with jax.enable_x64(True):
            return jax.device_put(value)
    return value


def wait(results):
    """Block until XLA has computed ``results`` (a device array or a tuple of them)."""
    return jax.block_until_ready(results)


def start_up() -> None:
    """JAX's one-time costs (backend and client creation, first compilation), paid by
    the compile-cost probe before it times any op."""
    with jax.enable_x64(True):
        jax.jit(lambda x: x + 1)(np.ones(2)).block_until_ready()


def in_float64_scope(function):
    """Compile ``function`` and call it with float64 enabled for this call only."""
    compiled = jax.jit(function)

    @functools.wraps(function)
    def call(*args):
        with jax.enable_x64(True):
            return compiled(*args)

    call.compiled = compiled
    return call


# --- the building blocks, as in numpy_vectorized ------------------------------------------


def exp_minus_abs(z):
    """e^-|z|, in (0, 1]: what σ and the softplus are both computed from, so nothing
    overflows. One spelling for both, so that a kernel needing both (the gradients)
    computes the exponential once: XLA merges identical expressions only, and with
    ``abs`` in one and a selection in the other it computed e^-|z| twice per sample
    (``logistic_gradient`` 2-8% slower, one thread, 10⁴ to 2·10⁵ × 100). |z| by
    selection, not ``abs``: the derivative of ``abs`` at z = 0 (0) would give σ'(0) = 0
    to ``jax_autodiff``'s gradient."""
    return jnp.exp(-jnp.where(z >= 0, z, -z))


def sigmoid(z):
    """σ(z) = 1 / (1 + e^-z) from e^-|z| <= 1, so nothing overflows."""
    e = exp_minus_abs(z)
    return jnp.where(z >= 0, 1 / (1 + e), e / (1 + e))


def log1m(A):
    """log(1 - A) for probabilities: log1p(-A) for A below 1/4, where it is accurate and
    1 - A would lose A's low bits, and log(1 - A) above, where 1 - A is exact or within
    half an ulp. XLA's float64 log1p is off by up to 128 ulp for arguments in
    [-0.414, -0.356] (measured: tests/test_vector_math.py), so not log1p(-A) throughout."""
    return jnp.where(A < 0.25, jnp.log1p(-A), jnp.log(1 - A))


def cross_entropy(A, y, eps):
    """Per-sample -(y log A + (1 - y) log(1 - A)), with A clipped to [eps, 1 - eps]."""
    A = jnp.clip(A, eps, 1 - eps)
    return -(y * jnp.log(A) + (1 - y) * log1m(A))


def log_probabilities(z):
    """log σ(z) and log(1 - σ(z)) straight from the net input, exactly: the softplus form
    of ``python_loops.sigmoid_and_cross_entropy`` (one exp and one log1p, no logarithm of
    a rounded probability, so the cost of a confidently wrong prediction is its full |z|)."""
    # The two branches by selection, not max: its derivative at z = 0 (a split tie)
    # would give σ'(0) = 0 to jax_autodiff's gradient.
    positive = z >= 0
    softplus = jnp.log1p(exp_minus_abs(z))
    log_a = jnp.where(positive, -softplus, z - softplus)
    log_1m_a = jnp.where(positive, -softplus - z, -softplus)
    return log_a, log_1m_a


def mean_cross_entropy(w, b, X, y):
    """J(w, b) = mean cross-entropy of σ(Xw + b) against y, in the softplus form."""
    z = X @ w + b
    log_a, log_1m_a = log_probabilities(z)
    return -mean(y * log_a + (1 - y) * log_1m_a)


def divide(total, m: int):
    """total / m, each element divided: a true division, correctly rounded.

    XLA rewrites a division by a constant, or by one value broadcast, into a
    multiplication by its reciprocal (3/5 becomes 3 x 0.2 = 0.6000000000000001): one
    rounding more than the slides' division by m, and not what the other backends
    compute. Behind an optimization barrier, m is an array of unknown values to XLA,
    so each element is divided.
    """
    divisor = lax.optimization_barrier(jnp.full(jnp.shape(total), m, dtype=total.dtype))
    return total / divisor


def mean(vector):
    """Σ vector / m, a true division (see ``divide``)."""
    return divide(jnp.sum(vector), len(vector))


def network_cost(W1, b1, W2, b2, X, y):
    """J(W1, b1, W2, b2): the shallow network's mean cross-entropy, from its net input."""
    H = jnp.tanh(X @ W1 + b1)
    log_a, log_1m_a = log_probabilities(H @ W2 + b2)
    return -mean(y * log_a + (1 - y) * log_1m_a)


# Xᵀe is written e @ X, the same sum Σᵢ eᵢxᵢ: XLA's CPU code for X.T @ e walks X
# column by column (131 ms against 19 ms for e @ X on 200 000 x 100, float64, 2 cores).


def _like(value, array):
    """A Python scalar as a 0-d array of ``array``'s dtype (a fixed type for loop carries)."""
    return jnp.asarray(value, dtype=array.dtype)


# --- the ops ------------------------------------------------------------------------------


@in_float64_scope
def dot(a, b):
    """a · b"""
    return jnp.dot(a, b)


@in_float64_scope
def logistic_forward(w, b, X):
    """A = σ(Xw + b)"""
    return sigmoid(X @ w + b)


@in_float64_scope
def logistic_cost(A, y, eps):
    """J = mean cross-entropy"""
    return mean(cross_entropy(A, y, eps))


@in_float64_scope
def logistic_backward(X, A, y):
    """dw = Xᵀ(A - y)/m, db = mean(A - y)"""
    errors = A - y
    return divide(errors @ X, len(y)), mean(errors)


def gradient_sums(w, b, X, y):
    """The logistic gradient's sums over the rows of X: Σ cross-entropy (from the net
    input), Xᵀ(σ(z) - y) and Σ (σ(z) - y). Two products, each a pass over X."""
    z = X @ w + b
    log_a, log_1m_a = log_probabilities(z)
    errors = sigmoid(z) - y
    return -jnp.sum(y * log_a + (1 - y) * log_1m_a), errors @ X, jnp.sum(errors)


def gradient_from_sums(sums, m: int):
    """(cost, dw, db): the sums of ``gradient_sums`` each divided by m."""
    return tuple(divide(total, m) for total in sums)


def adaline_sums(w, b, X, y):
    """Batch Adaline's sums over the rows of X: Xᵀ·errors, Σ errors, Σ errors²."""
    errors = y - (X @ w + b)
    return errors @ X, jnp.sum(errors), errors @ errors


def adaline_update(sums, w, b, eta):
    """(w + η Xᵀ·errors, b + η Σ errors, Σ errors² / 2) from ``adaline_sums``."""
    gradient, error_sum, squared_sum = sums
    return w + eta * gradient, b + eta * error_sum, squared_sum / 2


@in_float64_scope
def logistic_gradient(w, b, X, y):
    """Forward, cost and backward in one compiled function, from the net input."""
    return gradient_from_sums(gradient_sums(w, b, X, y), len(y))


@in_float64_scope
def adaline_gd_epoch(w, b, X, y, eta):
    """errors = y - (Xw + b);  w += η Xᵀ·errors;  b += η Σ errors;  cost = Σ errors² / 2"""
    return adaline_update(adaline_sums(w, b, X, y), w, b, eta)


@in_float64_scope
def adaline_sgd_epoch(w, b, X, y, eta):
    """The delta rule sample by sample: a ``lax.scan`` over rows carrying (w, b)."""
    eta = _like(eta, X)

    def step(weights, sample):
        w, b = weights
        x, target = sample
        error = target - (x @ w + b)
        return (w + eta * error * x, b + eta * error), None

    (w, b), _ = lax.scan(step, (w, _like(b, X)), (X, y))
    errors = y - (X @ w + b)
    return w, b, errors @ errors / 2


@in_float64_scope
def perceptron_epoch(w, b, X, y, eta):
    """Rosenblatt's rule sample by sample: a ``lax.scan`` over rows carrying (w, b, errors)."""
    eta = _like(eta, X)

    def step(carry, sample):
        w, b, errors = carry
        x, target = sample
        prediction = jnp.where(x @ w + b >= 0, 1, -1).astype(X.dtype)
        update = eta * (target - prediction)
        return (w + update * x, b + update, errors + (update != 0)), None

    (w, b, errors), _ = lax.scan(step, (w, _like(b, X), jnp.int32(0)), (X, y))
    return w, b, errors


@in_float64_scope
def mlp_forward(W1, b1, W2, b2, X):
    """H = tanh(X W1 + b1);  A = σ(H W2 + b2)"""
    return sigmoid(jnp.tanh(X @ W1 + b1) @ W2 + b2)


@in_float64_scope
def mlp_gradient(W1, b1, W2, b2, X, y):
    """Forward pass, exact cost and backpropagation in one compiled function."""
    m = len(y)
    H = jnp.tanh(X @ W1 + b1)
    z = H @ W2 + b2
    log_a, log_1m_a = log_probabilities(z)
    cost = -mean(y * log_a + (1 - y) * log_1m_a)
    dz2 = sigmoid(z) - y
    dZ1 = jnp.outer(dz2, W2) * (1 - H * H)
    return cost, divide(X.T @ dZ1, m), divide(dZ1.sum(axis=0), m), divide(dz2 @ H, m), mean(dz2)
