"""Backend ``jax_autodiff``: the logistic gradient taken by the machine.

``logistic_gradient`` is ``jax.value_and_grad`` of the mean cross-entropy J(w, b) written
once in ``kernels/jax_engine.py``: the slides' computation graph (net input, σ, loss,
mean), differentiated backwards by JAX instead of by hand. J is the exact cross-entropy
from the net input (no clip), whose derivative is the contract's Xᵀ(σ(z) - y)/m.
``mlp_gradient`` is the same for the shallow network: backpropagation through tanh done
by the machine. Every other op is the ``jax`` backend's own.
"""

from __future__ import annotations

import jax

from kernels.jax_engine import (
    _like,
    adaline_gd_epoch,
    adaline_sgd_epoch,
    dot,
    in_float64_scope,
    logistic_backward,
    logistic_cost,
    logistic_forward,
    mean_cross_entropy,
    mlp_forward,
    network_cost,
    perceptron_epoch,
)

__all__ = [
    "adaline_gd_epoch",
    "adaline_sgd_epoch",
    "dot",
    "logistic_backward",
    "logistic_cost",
    "logistic_forward",
    "logistic_gradient",
    "mlp_forward",
    "mlp_gradient",
    "perceptron_epoch",
]

_cost_and_gradient = jax.value_and_grad(mean_cross_entropy, argnums=(0, 1))


@in_float64_scope
def logistic_gradient(w, b, X, y):
    """J and (∂J/∂w, ∂J/∂b) by reverse-mode differentiation of J."""
    # b in the arrays' dtype: a Python float would be differentiated in float64
    cost, (dw, db) = _cost_and_gradient(w, _like(b, X), X, y)
    return cost, dw, db


_network_cost_and_gradient = jax.value_and_grad(network_cost, argnums=(0, 1, 2, 3))


@in_float64_scope
def mlp_gradient(W1, b1, W2, b2, X, y):
    """J and its gradient in (W1, b1, W2, b2) by reverse-mode differentiation of J."""
    cost, (dW1, db1, dW2, db2) = _network_cost_and_gradient(W1, b1, W2, _like(b2, X), X, y)
    return cost, dW1, db1, dW2, db2
