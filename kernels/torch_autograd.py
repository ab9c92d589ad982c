"""Backend ``torch_autograd``: the logistic gradient taken by PyTorch's autograd.

``logistic_gradient`` evaluates the mean cross-entropy J(w, b) written once in
``kernels/torch_engine.py`` on tensors that require gradients, so PyTorch records the
slides' computation graph (net input, σ, loss, mean) as it runs, then
``torch.autograd.grad`` walks it backwards: the gradient by the machine instead of by
hand. J is the exact cross-entropy from the net input (no clip), whose derivative is the
contract's Xᵀ(σ(z) - y)/m. ``mlp_gradient`` is the same for the shallow network:
backpropagation through tanh by the machine. Every other op is the ``torch`` backend's
own.
"""

from __future__ import annotations

import torch

from kernels.torch_engine import (
    adaline_gd_epoch,
    adaline_sgd_epoch,
    dot,
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


def logistic_gradient(w, b, X, y):
    """J and (∂J/∂w, ∂J/∂b) by reverse-mode differentiation of J."""
    # Leaves of the graph: w shares the caller's memory (detach: nothing is written to
    # it), b a 0-d tensor of the arrays' dtype (a Python float would not be a leaf).
    w = w.detach().requires_grad_()
    b = torch.tensor(b, dtype=X.dtype, requires_grad=True)
    cost = mean_cross_entropy(w, b, X, y)
    dw, db = torch.autograd.grad(cost, (w, b))
    return cost.detach(), dw, db


def mlp_gradient(W1, b1, W2, b2, X, y):
    """J and its gradient in (W1, b1, W2, b2) by reverse-mode differentiation of J."""
    leaves = [W1.detach().requires_grad_(), b1.detach().requires_grad_()]
    leaves += [W2.detach().requires_grad_(), torch.tensor(b2, dtype=X.dtype, requires_grad=True)]
    cost = network_cost(*leaves, X, y)
    dW1, db1, dW2, db2 = torch.autograd.grad(cost, leaves)
    return cost.detach(), dW1, db1, dW2, db2
