"""Training runs built from the ops: the slides' perceptron, Adaline and logistic regression,
and the course's shallow network (one hidden layer).

>>> from kernels import train
>>> from kernels.datasets import slides_iris
>>> X, y, _ = slides_iris()
>>> result = train.perceptron(X, y, eta=0.1, epochs=10, backend="numba")
>>> result.history.tolist()  # misclassifications per epoch
[2, 2, 3, 2, 1, 0, 0, 0, 0, 0]

Each trainer is the ``fit`` loop of the slides' classes, "for each epoch, one op", with
the op taken from ``kernels.get(backend)``: the same training run, step for step, on
every backend. Weights start at zero unless ``w_init`` and ``b_init`` are given; the
shallow network's start from small random values drawn with NumPy from a seed, the same
on every backend.

Arguments are checked once, before the first epoch, by the ops' own checking layer
(``kernels.checks``), so a bad ``X``, ``y``, ``w_init`` or ``eta`` raises the same
one-line error whatever the number of epochs; the trainers add checks of their own
arguments (epochs, batch size, seed) and of the labels.

With ``backend="dask"``, X and y may be Dask arrays, larger than memory: they are checked
by shape and dtype, the labels block by block inside each epoch, and every epoch is one op
that computes the blocks anew (``bench.beyond_memory`` trains so on data generated or
read block by block).

The backends compute each epoch with the same arithmetic in different orders: sums are
reassociated, multiply-adds may be fused. Their trajectories therefore agree to rounding
error, not bit for bit; ``agreement_rtol`` states how closely.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

import kernels
from kernels.checks import check_arguments, check_fits, check_scalar, is_lazy
from kernels.ops import OPS


@dataclass(frozen=True, eq=False)
class TrainingResult:
    """The outcome of one training run. The arrays are read-only.

    ``history`` has one entry per epoch (per iteration for logistic regression): the
    number of misclassifications for the perceptron, the cost for the others.
    """

    w: np.ndarray
    b: float
    history: np.ndarray
    backend: str


# --- the trainers ------------------------------------------------------------------------

# The op each trainer's epoch (or iteration) calls, and the only one: a catalogue variant
# of a backend trains differently from it only where it computes that op its own way.
OP_OF = {
    "perceptron": "perceptron_epoch",
    "adaline_gd": "adaline_gd_epoch",
    "adaline_sgd": "adaline_sgd_epoch",
    "adaline_minibatch": "adaline_gd_epoch",
    "logistic_regression": "logistic_gradient",
    "shallow_network": "mlp_gradient",
}


def perceptron(X, y, *, eta, epochs, backend="numpy", w_init=None, b_init=0.0) -> TrainingResult:
    """Rosenblatt's perceptron: ``epochs`` passes of the perceptron rule over the rows of X.

    Labels are -1/+1; a sample is predicted +1 where its net input x·w + b is >= 0.
    ``history[k]`` counts the samples misclassified during epoch k, each of which
    moved the weights; an epoch with no misclassification means the rule has converged.
    """
    ops = kernels.get(backend)
    _check_count("perceptron", "epochs", epochs, minimum=0)
    w, b, X, y, eta = _checked("perceptron_epoch", X, y, eta, w_init, b_init)
    y = _check_labels("perceptron", y, (-1.0, 1.0))

    errors = []
    for _ in range(epochs):
        w, b, misclassified = ops.perceptron_epoch(w, b, X, y, eta)
        errors.append(misclassified)
    return _result(w, b, np.array(errors, dtype=np.int64), backend)


def adaline_gd(X, y, *, eta, epochs, backend="numpy", w_init=None, b_init=0.0) -> TrainingResult:
    """Adaline by batch gradient descent: one weight update per epoch, from all samples.

    ``history[k]`` is the cost Σ(y - (Xw + b))²/2 (a sum, not a mean) at the weights
    *before* epoch k's update, as ``adaline_gd_epoch`` computes it on the way.
    """
    ops = kernels.get(backend)
    _check_count("adaline_gd", "epochs", epochs, minimum=0)
    w, b, X, y, eta = _checked("adaline_gd_epoch", X, y, eta, w_init, b_init)

    costs = []
    for _ in range(epochs):
        w, b, cost = ops.adaline_gd_epoch(w, b, X, y, eta)
        costs.append(cost)
    return _result(w, b, np.array(costs, dtype=np.float64), backend)


def adaline_sgd(
    X, y, *, eta, epochs, shuffle_seed=None, backend="numpy", w_init=None, b_init=0.0
) -> TrainingResult:
    """Adaline by stochastic gradient descent: one weight update per sample.

    With ``shuffle_seed=None`` the samples are visited in row order every epoch. With an
    integer seed, each epoch visits them in a fresh order drawn from
    ``numpy.random.default_rng(shuffle_seed).permutation``: the same orders on every
    backend, so the same trajectory. ``history[k]`` is the cost Σ(y - (Xw + b))²/2 with
    the weights *after* epoch k (``adaline_sgd_epoch``'s definition).
    """
    ops = kernels.get(backend)
    _check_count("adaline_sgd", "epochs", epochs, minimum=0)
    w, b, X, y, eta = _checked("adaline_sgd_epoch", X, y, eta, w_init, b_init)
    epochs_of_samples = _epochs_of_samples("adaline_sgd", X, y, epochs, shuffle_seed)

    costs = []
    for X_epoch, y_epoch in epochs_of_samples:
        w, b, cost = ops.adaline_sgd_epoch(w, b, X_epoch, y_epoch, eta)
        costs.append(cost)
    return _result(w, b, np.array(costs, dtype=np.float64), backend)


def adaline_minibatch(
    X,
    y,
    *,
    eta,
    epochs,
    batch_size,
    shuffle_seed=None,
    backend="numpy",
    w_init=None,
    b_init=0.0,
) -> TrainingResult:
    """Adaline by mini-batch gradient descent: one batch step per ``batch_size`` samples.

    Each epoch cuts the rows (in row order, or in a fresh order per epoch drawn from
    ``numpy.random.default_rng(shuffle_seed).permutation`` as in ``adaline_sgd``) into
    consecutive batches of ``batch_size`` rows, the last one possibly shorter, and makes
    one ``adaline_gd_epoch`` step on each. ``history[k]`` is the sum over epoch k's
    batches of each batch's Σe²/2, computed with the weights *before* that batch's
    update: so its terms are measured at different weights along the epoch.

    ``batch_size >= len(y)`` is batch gradient descent (``adaline_gd``); ``batch_size=1``
    makes the same updates as ``adaline_sgd``, whose cost is measured after the epoch.
    """
    ops = kernels.get(backend)
    _check_count("adaline_minibatch", "epochs", epochs, minimum=0)
    _check_count("adaline_minibatch", "batch_size", batch_size, minimum=1)
    w, b, X, y, eta = _checked("adaline_gd_epoch", X, y, eta, w_init, b_init)
    epochs_of_samples = _epochs_of_samples("adaline_minibatch", X, y, epochs, shuffle_seed)

    costs = []
    for X_epoch, y_epoch in epochs_of_samples:
        epoch_cost = 0.0
        for start in range(0, len(y_epoch), batch_size):
            batch = slice(start, start + batch_size)
            w, b, batch_cost = ops.adaline_gd_epoch(w, b, X_epoch[batch], y_epoch[batch], eta)
            epoch_cost += batch_cost
        costs.append(epoch_cost)
    return _result(w, b, np.array(costs, dtype=np.float64), backend)


def logistic_regression(
    X, y, *, eta, iterations, backend="numpy", w_init=None, b_init=0.0
) -> TrainingResult:
    """Logistic regression by batch gradient descent on the mean cross-entropy.

    Labels are 0/1. Each iteration is one forward and backward pass
    (``logistic_gradient``) and one step ``w -= eta·dw``, ``b -= eta·db``.
    ``history[k]`` is the cost at the weights *before* iteration k's step.
    """
    ops = kernels.get(backend)
    _check_count("logistic_regression", "iterations", iterations, minimum=0)
    w, b, X, y, *_ = _checked("logistic_gradient", X, y, None, w_init, b_init)
    eta = _check_learning_rate("logistic_regression", eta, X.dtype)
    y = _check_labels("logistic_regression", y, (0.0, 1.0))

    costs = []
    for _ in range(iterations):
        cost, dw, db = ops.logistic_gradient(w, b, X, y)
        w = w - eta * dw
        b = b - eta * db
        costs.append(cost)
    return _result(w, b, np.array(costs, dtype=np.float64), backend)


@dataclass(frozen=True, eq=False)
class NetworkResult:
    """The outcome of training the shallow network. The arrays are read-only.

    The network is H = tanh(X W1 + b1), A = σ(H W2 + b2), samples as rows: W1 is (n, h),
    b1 and W2 have h entries, b2 is a number. ``history`` is the cost per iteration.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: float
    history: np.ndarray
    backend: str

    @property
    def hidden(self) -> int:
        return self.W1.shape[1]


def initial_network(n: int, hidden: int, seed: int) -> tuple:
    """The course's starting point: W1 = randn(n, h)·0.01, b1 = 0, W2 = randn(h)·0.01,
    b2 = 0, drawn from ``numpy.random.default_rng(seed)`` (W1 first, then W2).

    Small and random, not zero: with all weights zero every hidden unit computes the same
    thing and receives the same gradient, so they stay identical forever (the symmetry
    the course warns about); small, so that tanh starts on its steep middle part rather
    than on its flat, saturated ends.
    """
    rng = np.random.default_rng(seed)
    W1 = rng.standard_normal((n, hidden)) * 0.01
    W2 = rng.standard_normal(hidden) * 0.01
    return W1, np.zeros(hidden), W2, 0.0


def shallow_network(X, y, *, hidden, eta, iterations, seed=2, backend="numpy") -> NetworkResult:
    """The shallow network by batch gradient descent on the mean cross-entropy.

    Labels are 0/1. Weights start from ``initial_network(n, hidden, seed)``. Each
    iteration is one forward and backward pass (``mlp_gradient``) and one step of
    every weight against its gradient, scaled by ``eta``. ``history[k]`` is the cost at
    the weights *before* iteration k's step.
    """
    ops = kernels.get(backend)
    _check_count("shallow_network", "hidden", hidden, minimum=1)
    _check_count("shallow_network", "iterations", iterations, minimum=0)
    _check_count("shallow_network", "seed", seed, minimum=0)
    if not is_lazy(X):  # a Dask array stays lazy: its shape and dtype are enough here
        X = np.asarray(X)
    features = X.shape[1] if X.ndim == 2 else 1  # a wrong X gets the op's own message
    sizes = {"m": X.shape[0] if X.ndim else 1, "n": features, "h": hidden}
    check_fits(
        "shallow_network",
        {
            f"hidden={hidden}: the weights W1 of shape ({features}, {hidden})": (
                (features + 2) * hidden * 8
            ),
            f"hidden={hidden}: H and its gradient, each ({sizes['m']}, {hidden})": (
                OPS["mlp_gradient"].workspace(sizes) * 8
            ),
        },
    )
    W1, b1, W2, b2 = initial_network(features, hidden, seed)
    checked, _ = check_arguments("mlp_gradient", (W1, b1, W2, b2, X, y), {})
    W1, b1, W2, b2, X, y = checked
    eta = _check_learning_rate("shallow_network", eta, X.dtype)
    _check_labels("shallow_network", y, (0.0, 1.0))

    costs = []
    for _ in range(iterations):
        cost, dW1, db1, dW2, db2 = ops.mlp_gradient(W1, b1, W2, b2, X, y)
        W1 = W1 - eta * np.asarray(dW1)
        b1 = b1 - eta * np.asarray(db1)
        W2 = W2 - eta * np.asarray(dW2)
        b2 = b2 - eta * float(db2)
        costs.append(float(cost))
    arrays = [np.array(weights) for weights in (W1, b1, W2)]  # copies, then read-only
    for array in arrays:
        array.flags.writeable = False
    history = np.array(costs, dtype=np.float64)
    history.flags.writeable = False
    return NetworkResult(*arrays, b2=float(b2), history=history, backend=backend)


def predict_network(network: NetworkResult, X, backend=None) -> np.ndarray:
    """Labels 0/1 of the rows of X: 1 where the network's output A = σ(H W2 + b2) is > 0.5
    (``mlp_forward`` of ``backend``, by default the one the network was trained on)."""
    ops = kernels.get(backend or network.backend)
    # A result's weights are read-only (frozen above), and to Numba a read-only array is
    # a type of its own: passed as they are, they would cost a second compilation of the
    # forward pass (about 4 s of CPU per Numba backend), beside the one for writable
    # arrays that every other call uses. Copies of the weights (h·(n + 2) numbers) are
    # writable.
    weights = (np.array(network.W1), np.array(network.b1), np.array(network.W2))
    A = ops.mlp_forward(*weights, network.b2, X)
    return (np.asarray(A) > 0.5).astype(np.int64)


# --- how closely two backends' trajectories agree ----------------------------------------


def agreement_rtol(m: int, n: int, steps: int, dtype=np.float64) -> float:
    """Relative tolerance for comparing two backends' results of the same training run.

    A step (an epoch, or an iteration of logistic regression) on m samples of n features
    passes over X at most three times — net inputs, then the gradient or the per-sample
    updates, and for SGD the cost with the final weights — each pass m·(n + 1)
    multiply-adds (the logistic gradient's exp and log, a few ulp per sample, fit in the
    third). So a run makes at most k = 3·m·(n + 1)·steps rounded operations. Backends
    differ only in the order of these operations and in fused multiply-adds, each of
    which changes a result by at most u = eps/2 relative to the magnitudes involved. Two
    backends, each at most k·u from the exact trajectory, differ by at most 2·k·u, and
    k·eps is returned.

    This is a first-order estimate, not a rigorous bound: it holds when the iteration
    does not amplify errors faster than it grows the weights (a stable learning rate, or
    a divergence in which the weights and their errors grow together), when values are
    compared relative to the largest magnitude in the result (a sum's error scales with
    its absolute terms, so a component that cancels to near zero has a larger relative
    error), and while no perceptron net input lies within rounding of zero.
    The per-op error bounds proper are in ``kernels.reference``.
    """
    operations = 3 * m * (n + 1) * max(steps, 1)
    return operations * float(np.finfo(dtype).eps)


def network_agreement_rtol(m: int, n: int, hidden: int, steps: int, dtype=np.float64) -> float:
    """``agreement_rtol`` for the shallow network: an iteration passes over the m·(n + 2)·h
    weights-times-inputs of both layers (X W1 + b1, then H W2) forward, and as many
    backward (XᵀdZ1, Hᵀdz2, the outer product), tanh and σ adding a few ulp per unit:
    the linear models' count with (n + 2)·h in place of n features."""
    return agreement_rtol(m, (n + 2) * hidden, steps, dtype)


# --- checking and plumbing ---------------------------------------------------------------


def _check_count(trainer: str, name: str, value, *, minimum: int) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{trainer}: {name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{trainer}: {name} must be >= {minimum}, got {value}")
    return int(value)


def _check_learning_rate(trainer: str, eta, dtype: np.dtype) -> float:
    """The rule the epoch ops apply to their ``eta`` (``kernels.checks``), for the one
    trainer whose op takes no learning rate: finite and >= 0 in the computation dtype."""
    return check_scalar(trainer, "eta", "rate", eta, dtype)


def _check_labels(trainer: str, y, allowed: tuple[float, float]):
    """y, its labels checked. A Dask array's are checked block by block as each epoch
    computes them: checking them first would be one more pass over the data (labels
    generated from X need X), and a pass over data larger than memory is an epoch's work."""
    if is_lazy(y):
        return y.map_blocks(_labels_checked, trainer=trainer, allowed=allowed, dtype=y.dtype)
    return _labels_checked(y, trainer, allowed)


def _labels_checked(y: np.ndarray, trainer: str, allowed: tuple[float, float]) -> np.ndarray:
    if not np.all(np.isin(y, allowed)):
        found = np.unique(y[~np.isin(y, allowed)])
        shown = ", ".join(f"{v:g}" for v in found[:5]) + (", …" if len(found) > 5 else "")
        raise ValueError(
            f"{trainer}: labels must be {allowed[0]:g} or {allowed[1]:g}, found {shown}"
        )
    return y


def _checked(op: str, X, y, eta, w_init, b_init) -> tuple:
    """The op's own checks on the first epoch's arguments: (w, b, X, y, eta) converted
    to the computation dtype. ``w_init=None`` means zeros, one per column of X.
    A Dask array stays lazy: the checks read its shape and dtype only."""
    if not is_lazy(X):
        X = np.asarray(X)
    if w_init is None:
        # A wrong X gets the op's own message below, so only a 2-D X sets the length.
        features = X.shape[1] if X.ndim == 2 else 1
        single = X.dtype.kind == "f" and X.dtype.itemsize == 4  # float32, either byte order
        w_init = np.zeros(features, dtype=np.float32 if single else np.float64)
    args = (w_init, b_init, X, y) if eta is None else (w_init, b_init, X, y, eta)
    checked, _ = check_arguments(op, args, {})
    return checked


def _epochs_of_samples(trainer: str, X, y, epochs: int, shuffle_seed) -> Iterator[tuple]:
    """(X, y) as each epoch visits them: in row order (X and y themselves), or shuffled
    by a fresh permutation per epoch from ``numpy.random.default_rng(shuffle_seed)``."""
    if shuffle_seed is None:
        return ((X, y) for _ in range(epochs))
    if isinstance(shuffle_seed, bool | np.bool_) or not isinstance(shuffle_seed, numbers.Integral):
        raise TypeError(f"{trainer}: shuffle_seed must be None or an integer, got {shuffle_seed!r}")
    if shuffle_seed < 0:
        raise ValueError(f"{trainer}: shuffle_seed must be >= 0, got {shuffle_seed}")
    rng = np.random.default_rng(shuffle_seed)
    orders = (rng.permutation(len(y)) for _ in range(epochs))
    return ((X[order], y[order]) for order in orders)


def _result(w, b, history: np.ndarray, backend: str) -> TrainingResult:
    w = np.array(w)  # a copy: with zero epochs, w would still be the caller's w_init
    w.flags.writeable = False
    history.flags.writeable = False
    return TrainingResult(w=w, b=float(b), history=history, backend=backend)
