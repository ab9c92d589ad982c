"""The trainers of ``kernels.train``, the Iris data, and the course experiments end to end.

Tolerances: two runs of the same training on different backends differ only by rounding
(sums in a different order, fused multiply-adds). ``kernels.train.agreement_rtol(m, n,
steps)`` is float64's eps times the number of rounded operations a run makes — at most
three passes over X per epoch, m·(n + 1) multiply-adds each — and its docstring derives
it. Weights are compared relative to their largest magnitude, because a component that
cancels to near zero (the bias on standardized data is ~1e-16) carries the absolute
rounding error of the sums it came from, not a relative one.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import BACKEND_PARAMS, INSTALLED, RUN_BY_TESTS, TESTED_BACKENDS

import kernels
import vbschema.course
from kernels import train
from kernels.datasets import (
    load_iris,
    nonseparable_iris,
    planar_flower,
    slides_iris,
    standardize,
)
from vbschema import Course, ResultFileError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def iris():
    X, y, _ = slides_iris()
    X_std = standardize(X)
    return {
        "raw": (X, y),
        "standardized": (X_std, y),
        "standardized_01": (X_std, (y == 1).astype(np.int64)),
    }


def assert_weights_close(result, expected_w, expected_b, rtol: float) -> None:
    """w and b within ``rtol`` of the largest expected magnitude (see the module docstring)."""
    expected = np.append(expected_w, expected_b)
    scale = np.max(np.abs(expected))
    assert scale > 0, "nothing to compare: the expected weights are all zero"
    np.testing.assert_allclose(np.append(result.w, result.b), expected, rtol=0, atol=rtol * scale)


# --- small cases worked out by hand ------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_perceptron_by_hand(backend):
    # Net input 0 counts as +1. Epoch 1: sample 1 right; sample 2 (y = -1) wrong, so
    # w += 0.5·(-1 - 1)·(0, 1) = (0, -1), b = -1. Epoch 2: sample 1 has z = -1, wrong:
    # w += 0.5·2·(1, 0) = (1, -1), b = 0; sample 2 has z = -1, right. Epoch 3: no mistakes.
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    y = np.array([1, -1])
    result = train.perceptron(X, y, eta=0.5, epochs=3, backend=backend)
    np.testing.assert_array_equal(result.history, [1, 1, 0])
    np.testing.assert_array_equal(result.w, [1.0, -1.0])
    assert result.b == 0.0
    assert result.history.dtype == np.int64
    assert result.backend == backend


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_adaline_gd_by_hand(backend):
    # x = (1, 2), y = (1, -1), η = 0.1, from w = b = 0.
    # Epoch 1: e = (1, -1), cost 1; w += 0.1·(1 - 2) = -0.1; b += 0.1·0 = 0.
    # Epoch 2: z = (-0.1, -0.2), e = (1.1, -0.8), cost (1.21 + 0.64)/2 = 0.925;
    #          w += 0.1·(1.1 - 1.6) → -0.15; b += 0.1·0.3 → 0.03.
    X = np.array([[1.0], [2.0]])
    y = np.array([1, -1])
    result = train.adaline_gd(X, y, eta=0.1, epochs=2, backend=backend)
    rtol = train.agreement_rtol(m=2, n=1, steps=2)
    np.testing.assert_allclose(result.history, [1.0, 0.925], rtol=rtol)
    assert_weights_close(result, [-0.15], 0.03, rtol)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_adaline_sgd_by_hand(backend):
    # Same problem, one sample at a time. Sample 1: e = 1, w = 0.1, b = 0.1.
    # Sample 2: z = 0.3, e = -1.3, w = 0.1 - 0.26 = -0.16, b = 0.1 - 0.13 = -0.03.
    # Cost after the epoch: e = (1.19, -0.65), (1.4161 + 0.4225)/2 = 0.9193.
    X = np.array([[1.0], [2.0]])
    y = np.array([1, -1])
    result = train.adaline_sgd(X, y, eta=0.1, epochs=1, backend=backend)
    rtol = train.agreement_rtol(m=2, n=1, steps=1)
    np.testing.assert_allclose(result.history, [0.9193], rtol=rtol)
    assert_weights_close(result, [-0.16], -0.03, rtol)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_logistic_regression_first_step_by_hand(backend):
    # At w = 0, b = 0 every activation is σ(0) = 1/2: the cost is log 2, the gradient
    # dw = -Xᵀ(y - 1/2)/m, db = -mean(y - 1/2), and one step of size η moves against it.
    rng = np.random.default_rng(7)
    m, n, eta = 6, 3, 0.4
    X = rng.standard_normal((m, n))
    y = np.array([0, 1, 1, 0, 1, 0])
    result = train.logistic_regression(X, y, eta=eta, iterations=1, backend=backend)
    rtol = train.agreement_rtol(m, n, steps=1)
    np.testing.assert_allclose(result.history, [np.log(2)], rtol=rtol)
    assert_weights_close(result, eta * X.T @ (y - 0.5) / m, eta * np.mean(y - 0.5), rtol)


# --- every backend, the same trajectory --------------------------------------------------

CASES = {
    "perceptron": (train.perceptron, "raw", {"eta": 0.1, "epochs": 10}),
    "adaline_gd": (train.adaline_gd, "standardized", {"eta": 0.01, "epochs": 15}),
    "adaline_gd_diverging": (train.adaline_gd, "raw", {"eta": 0.01, "epochs": 10}),
    "adaline_sgd": (train.adaline_sgd, "standardized", {"eta": 0.01, "epochs": 8}),
    "adaline_sgd_shuffled": (
        train.adaline_sgd,
        "standardized",
        {"eta": 0.01, "epochs": 8, "shuffle_seed": 1},
    ),
    "adaline_minibatch": (  # 100 rows in batches of 7: the last batch has 2
        train.adaline_minibatch,
        "standardized",
        {"eta": 0.01, "epochs": 8, "batch_size": 7, "shuffle_seed": 3},
    ),
    "logistic_regression": (
        train.logistic_regression,
        "standardized_01",
        {"eta": 0.5, "iterations": 50},
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_backends_agree(case, iris):
    trainer, dataset, parameters = CASES[case]
    X, y = iris[dataset]
    steps = parameters.get("epochs", parameters.get("iterations"))
    rtol = train.agreement_rtol(*X.shape, steps)
    reference = trainer(X, y, backend="python", **parameters)
    assert len(reference.history) == steps
    for backend in set(INSTALLED) - {"python"}:
        result = trainer(X, y, backend=backend, **parameters)
        if trainer is train.perceptron:  # counts of mistakes: exactly the same
            np.testing.assert_array_equal(result.history, reference.history, err_msg=backend)
        else:
            np.testing.assert_allclose(
                result.history, reference.history, rtol=rtol, err_msg=backend
            )
        assert_weights_close(result, reference.w, reference.b, rtol)


@pytest.mark.parametrize("trainer", [train.adaline_gd, train.logistic_regression])
def test_backends_agree_where_numba_parallel_splits_the_rows(trainer):
    """Iris is too small for numba_parallel to cut X into blocks; 500 rows are not, so
    here its partial gradients are really summed across blocks and threads."""
    rng = np.random.default_rng(11)
    m, n, steps = 500, 4, 10
    labels = rng.integers(0, 2, m)
    X = rng.standard_normal((m, n)) + np.where(labels[:, None] == 1, 1.0, -1.0)
    if trainer is train.adaline_gd:
        y, parameters = np.where(labels == 1, 1.0, -1.0), {"eta": 1e-4, "epochs": steps}
    else:
        y, parameters = labels.astype(float), {"eta": 0.5, "iterations": steps}
    rtol = train.agreement_rtol(m, n, steps)
    reference = trainer(X, y, backend="python", **parameters)
    for backend in set(INSTALLED) - {"python"}:
        result = trainer(X, y, backend=backend, **parameters)
        np.testing.assert_allclose(result.history, reference.history, rtol=rtol, err_msg=backend)
        assert_weights_close(result, reference.w, reference.b, rtol)


def test_results_are_read_only(iris):
    X, y = iris["raw"]
    result = train.perceptron(X, y, eta=0.1, epochs=2)
    with pytest.raises(ValueError, match="read-only"):
        result.w[0] = 1.0
    with pytest.raises(ValueError, match="read-only"):
        result.history[0] = 1


# --- shuffling ---------------------------------------------------------------------------


def test_shuffling_draws_a_fresh_permutation_each_epoch_from_the_seed(iris):
    X, y = iris["standardized"]
    ops = kernels.get("numpy")
    rng = np.random.default_rng(11)
    w, b = np.zeros(2), 0.0
    costs = []
    for _ in range(3):
        order = rng.permutation(len(y))
        w, b, cost = ops.adaline_sgd_epoch(w, b, X[order], y[order], 0.01)
        costs.append(cost)
    result = train.adaline_sgd(X, y, eta=0.01, epochs=3, shuffle_seed=11, backend="numpy")
    np.testing.assert_array_equal(result.history, costs)
    np.testing.assert_array_equal(result.w, w)
    assert result.b == b


def test_shuffling_is_reproducible_and_depends_on_the_seed(iris):
    X, y = iris["standardized"]

    def run(seed):
        return train.adaline_minibatch(
            X, y, eta=0.01, epochs=3, batch_size=10, shuffle_seed=seed, backend="numba"
        )

    first, again, other = run(5), run(5), run(6)
    np.testing.assert_array_equal(first.history, again.history)
    np.testing.assert_array_equal(first.w, again.w)
    assert not np.array_equal(first.history, other.history)


# --- mini-batch between its two extremes -------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_minibatch_of_all_rows_is_batch_gradient_descent(backend, iris):
    X, y = iris["standardized"]
    batch = train.adaline_gd(X, y, eta=0.01, epochs=5, backend=backend)
    for batch_size in (len(y), len(y) + 1):  # one batch of every row, in row order
        mini = train.adaline_minibatch(
            X, y, eta=0.01, epochs=5, batch_size=batch_size, backend=backend
        )
        np.testing.assert_array_equal(mini.history, batch.history)
        np.testing.assert_array_equal(mini.w, batch.w)
        assert mini.b == batch.b


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_minibatch_of_one_row_makes_the_updates_of_sgd(backend, iris):
    # The same updates, rounded differently: SGD computes (η·e)·x, a one-row batch η·(e·x).
    # The histories differ by definition (before each update, against after the epoch).
    X, y = iris["standardized"]
    sgd = train.adaline_sgd(X, y, eta=0.01, epochs=4, backend=backend)
    mini = train.adaline_minibatch(X, y, eta=0.01, epochs=4, batch_size=1, backend=backend)
    assert_weights_close(mini, sgd.w, sgd.b, train.agreement_rtol(*X.shape, steps=4))


# --- zero epochs and initial weights -----------------------------------------------------

TRAINERS = {
    "perceptron": (train.perceptron, "raw", {"eta": 0.1, "epochs": 0}),
    "adaline_gd": (train.adaline_gd, "raw", {"eta": 0.01, "epochs": 0}),
    "adaline_sgd": (train.adaline_sgd, "raw", {"eta": 0.01, "epochs": 0, "shuffle_seed": 1}),
    "adaline_minibatch": (
        train.adaline_minibatch,
        "raw",
        {"eta": 0.01, "epochs": 0, "batch_size": 4},
    ),
    "logistic_regression": (
        train.logistic_regression,
        "standardized_01",
        {"eta": 0.1, "iterations": 0},
    ),
}


@pytest.mark.parametrize("name", TRAINERS)
@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_zero_epochs_return_the_initial_weights(name, backend, iris):
    trainer, dataset, parameters = TRAINERS[name]
    X, y = iris[dataset]
    w_init = np.array([0.25, -1.5])
    result = trainer(X, y, backend=backend, w_init=w_init, b_init=0.75, **parameters)
    np.testing.assert_array_equal(result.w, w_init)
    assert result.b == 0.75
    assert result.history.shape == (0,)
    w_init[0] = 99.0  # the result is a copy, not a view of the caller's array
    assert result.w[0] == 0.25

    zeros = trainer(X, y, backend=backend, **parameters)
    np.testing.assert_array_equal(zeros.w, [0.0, 0.0])
    assert zeros.b == 0.0


def test_initial_weights_are_where_training_starts(iris):
    X, y = iris["standardized"]
    ops = kernels.get("numpy")
    w_init, b_init = np.array([0.3, -0.2]), 0.1
    w, b, cost = ops.adaline_gd_epoch(w_init, b_init, X, y, 0.01)
    result = train.adaline_gd(X, y, eta=0.01, epochs=1, w_init=w_init, b_init=b_init)
    np.testing.assert_array_equal(result.history, [cost])
    np.testing.assert_array_equal(result.w, w)
    assert result.b == b


@pytest.mark.parametrize("byte_order", ["<", ">"])
def test_float32_inputs_train_in_float32(iris, byte_order):
    X, y = iris["standardized"]
    X = X.astype(np.dtype(np.float32).newbyteorder(byte_order))
    result = train.adaline_gd(X, y, eta=0.01, epochs=3, backend="numba")
    assert result.w.dtype == np.float32


# --- bad arguments -----------------------------------------------------------------------


def _call(trainer, **changes):
    X, y = slides_iris()[:2]
    if trainer is train.logistic_regression:
        y = (y == 1).astype(np.int64)
        arguments = {"X": X, "y": y, "eta": 0.1, "iterations": 2}
    else:
        arguments = {"X": X, "y": y, "eta": 0.1, "epochs": 2}
    if trainer is train.adaline_minibatch:
        arguments["batch_size"] = 10
    arguments.update(changes)
    return trainer(**arguments)


BAD_ARGUMENTS = [
    (train.perceptron, {"epochs": -1}, ValueError, "perceptron: epochs must be >= 0, got -1"),
    (train.adaline_gd, {"epochs": 2.5}, TypeError, "adaline_gd: epochs must be an integer"),
    (train.adaline_gd, {"epochs": True}, TypeError, "epochs must be an integer"),
    (train.adaline_minibatch, {"batch_size": 0}, ValueError, "batch_size must be >= 1, got 0"),
    (train.adaline_minibatch, {"batch_size": 2.0}, TypeError, "batch_size must be an integer"),
    (train.logistic_regression, {"iterations": -3}, ValueError, "iterations must be >= 0"),
    (train.adaline_gd, {"eta": -0.1}, ValueError, "eta must be finite and >= 0, got -0.1"),
    (train.perceptron, {"eta": float("inf"), "epochs": 0}, ValueError, "eta must be finite"),
    (train.logistic_regression, {"eta": float("nan")}, ValueError, "eta must be finite"),
    (train.logistic_regression, {"eta": "0.1"}, TypeError, "eta must be a real number"),
    (train.logistic_regression, {"eta": 10**400}, ValueError, "eta is too large for float64"),
    (
        train.logistic_regression,
        {"eta": 1e300, "X": slides_iris()[0].astype(np.float32)},
        ValueError,
        r"logistic_regression: eta \(1e\+300\) is too large for float32",
    ),
    (train.adaline_sgd, {"X": np.ones(100)}, ValueError, r"X has shape \(100,\)"),
    (train.adaline_gd, {"y": np.ones(99)}, ValueError, "'m' lengths differ"),
    (train.adaline_gd, {"w_init": np.zeros(3)}, ValueError, "'n' lengths differ"),
    (train.perceptron, {"y": np.tile([0, 1], 50)}, ValueError, "labels must be -1 or 1, found 0"),
    (
        train.logistic_regression,
        {"y": np.tile([-1, 1], 50)},
        ValueError,
        "labels must be 0 or 1, found -1",
    ),
    (train.adaline_sgd, {"shuffle_seed": -1}, ValueError, "shuffle_seed must be >= 0"),
    (train.adaline_sgd, {"shuffle_seed": "1"}, TypeError, "shuffle_seed must be None or an int"),
    (train.adaline_gd, {"backend": "cuda"}, ValueError, "unknown backend 'cuda'"),
]


@pytest.mark.parametrize(
    ("trainer", "changes", "error", "message"),
    BAD_ARGUMENTS,
    ids=[f"{t.__name__}-{'-'.join(c)}" for t, c, *_ in BAD_ARGUMENTS],
)
def test_bad_arguments_raise_one_line_errors(trainer, changes, error, message):
    with pytest.raises(error, match=message) as raised:
        _call(trainer, **changes)
    assert "\n" not in str(raised.value)


# --- Dask arrays: data that need not fit in memory ---------------------------------------


def _never_computed(shape):
    """A Dask array whose computation fails: it proves that nothing computed it."""
    import dask
    import dask.array as da

    def fail():
        raise AssertionError("computed a lazy argument")

    return da.from_delayed(dask.delayed(fail)(), shape=shape, dtype=np.float64)


@pytest.mark.parametrize("name", ["perceptron", "adaline_gd", "logistic_regression"])
def test_trainers_check_dask_arrays_without_computing_them(name):
    trainer, _, parameters = TRAINERS[name]
    X, y = _never_computed((100, 2)), _never_computed((100,))
    result = trainer(X, y, backend="dask", **parameters)
    np.testing.assert_array_equal(result.w, [0.0, 0.0])
    with pytest.raises(ValueError, match=r"y has shape \(99,\) but X has shape \(100, 2\)"):
        trainer(X, _never_computed((99,)), backend="dask", **parameters)


@pytest.mark.parametrize(
    ("trainer", "labels", "message"),
    [
        (train.perceptron, np.tile([0, 1], 50), "perceptron: labels must be -1 or 1, found 0"),
        (
            train.logistic_regression,
            np.tile([-1, 1], 50),
            "logistic_regression: labels must be 0 or 1, found -1",
        ),
    ],
)
def test_dask_labels_are_checked_as_an_epoch_computes_them(trainer, labels, message):
    """Bad labels in a Dask array raise the same one-line error, from the first epoch."""
    import dask.array as da

    lazy = da.from_array(labels.astype(np.float64), chunks=30)
    with pytest.raises(ValueError, match=message) as raised:
        _call(trainer, y=lazy, backend="dask")
    assert "\n" not in str(raised.value)


# --- the data ----------------------------------------------------------------------------


def test_iris_file_is_the_uci_copy():
    X, species, features = load_iris()
    assert X.shape == (150, 4)
    assert X.dtype == np.float64
    assert features == ("sepal length", "sepal width", "petal length", "petal width")
    names, counts = np.unique(species, return_counts=True)
    assert names.tolist() == ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]
    assert counts.tolist() == [50, 50, 50]
    assert (species[:50] == "Iris-setosa").all()
    assert (species[100:] == "Iris-virginica").all()
    # Column sums of the UCI file in tenths of a cm; Fisher's paper gives 4586, 5637 and
    # 1799 for the last three (its rows 35 and 38 differ; see kernels/data/README.md).
    sums = np.array([8765, 4581, 5638, 1798]) / 10
    np.testing.assert_allclose(X.sum(axis=0), sums, rtol=150 * np.finfo(np.float64).eps)
    np.testing.assert_allclose(X.mean(axis=0), [5.8433, 3.0540, 3.7587, 1.1987], atol=5e-5)
    # Rows 35 and 38 as UCI has them (Fisher: 4.9, 3.1, 1.5, 0.2 and 4.9, 3.6, 1.4, 0.1),
    # which makes them copies of row 10.
    for row in (9, 34, 37):
        np.testing.assert_array_equal(X[row], [4.9, 3.1, 1.5, 0.1])


def test_iris_statistics_pin_every_row():
    # Per-species sums (tenths of a cm) and standard deviations: a value mistyped, or
    # moved to another species, changes one of them. The overall standard deviations are
    # those published for the UCI file; versicolor and virginica, which the UCI errors do
    # not touch, have those of R's `iris` (Fisher's values).
    X, species, _ = load_iris()
    expected_sums = {
        "Iris-setosa": [2503, 1709, 732, 122],
        "Iris-versicolor": [2968, 1385, 2130, 663],
        "Iris-virginica": [3294, 1487, 2776, 1013],
    }
    for name, sums in expected_sums.items():
        np.testing.assert_allclose(
            X[species == name].sum(axis=0), np.array(sums) / 10, rtol=50 * np.finfo(float).eps
        )
    expected_std = {
        "Iris-versicolor": [0.5161711, 0.3137983, 0.4699110, 0.1977527],
        "Iris-virginica": [0.6358796, 0.3224966, 0.5518947, 0.2746501],
    }
    for name, std in expected_std.items():
        np.testing.assert_allclose(X[species == name].std(axis=0, ddof=1), std, atol=5e-8)
    np.testing.assert_allclose(
        X.std(axis=0, ddof=1), [0.828066, 0.433594, 1.764420, 0.763161], atol=5e-7
    )
    np.testing.assert_array_equal(np.round(X * 10) / 10, X)  # one decimal, as measured


def test_slides_iris_is_setosa_against_versicolor():
    X, y, features = slides_iris()
    assert X.shape == (100, 2)
    assert features == ("sepal length", "petal length")
    np.testing.assert_array_equal(y, [-1] * 50 + [1] * 50)
    np.testing.assert_array_equal(X[0], [5.1, 1.4])
    np.testing.assert_array_equal(X[-1], [5.7, 4.1])


def test_standardize_centres_and_scales():
    X, _, _ = slides_iris()
    X_std = standardize(X)
    np.testing.assert_allclose(X_std.mean(axis=0), 0.0, atol=100 * np.finfo(np.float64).eps)
    np.testing.assert_allclose(X_std.std(axis=0), 1.0, rtol=100 * np.finfo(np.float64).eps)
    with pytest.raises(ValueError, match=r"columns \[1\] are constant"):
        standardize(np.column_stack([X[:, 0], np.ones(100)]))


def test_nonseparable_iris_is_versicolor_against_virginica_with_a_shared_point():
    X, y, features = nonseparable_iris()
    iris = load_iris()
    assert X.shape == (100, 2)
    assert features == ("sepal length", "petal length")
    np.testing.assert_array_equal(y, [-1] * 50 + [1] * 50)
    np.testing.assert_array_equal(X, iris.X[50:, [0, 2]])
    # Why no line separates them: rows 73 (versicolor) and 124 (virginica) coincide.
    np.testing.assert_array_equal(X[72 - 50], [6.3, 4.9])
    np.testing.assert_array_equal(X[123 - 50], [6.3, 4.9])
    assert (y[72 - 50], y[123 - 50]) == (-1, 1)


def test_planar_flower_is_the_courses_data_set():
    X, y = planar_flower()
    assert (X.shape, X.dtype) == ((400, 2), np.float64)
    assert (y.shape, y.dtype) == ((400,), np.int64)
    np.testing.assert_array_equal(y, [0] * 200 + [1] * 200)  # N = m/2 per class, in order
    # The first points of load_planar_dataset() (np.random.seed(1)), as published; sin and
    # cos may differ in the last bit between C libraries.
    np.testing.assert_allclose(
        X[:3],
        [
            [1.204442292254319, 3.5761141481288448],
            [0.15870990398255372, -1.4821709003683443],
            [0.09524719604502052, -1.2799553276531797],
        ],
        rtol=1e-13,
    )
    # |r| = |a·sin(4θ) + noise| <= a + |noise|; the noise (σ = 0.2) stays under 5σ here
    radius = np.hypot(X[:, 0], X[:, 1])
    assert radius.max() <= 4.0 + 5 * 0.2
    assert radius.max() > 4.0 - 0.2  # the petals do reach the maximum ray


def test_planar_flower_is_deterministic_and_follows_its_seed():
    X, y = planar_flower()
    again = planar_flower()
    np.testing.assert_array_equal(again.X, X)
    np.testing.assert_array_equal(again.y, y)
    other = planar_flower(seed=2)
    assert not np.array_equal(other.X, X)
    small = planar_flower(m=10)
    assert small.X.shape == (10, 2)
    np.testing.assert_array_equal(small.y, [0] * 5 + [1] * 5)
    with pytest.raises(ValueError, match="m must be an even number >= 2, got 7"):
        planar_flower(m=7)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_slides_perceptron_converges(backend, iris):
    # As on the slides, no update from the 6th epoch on; from zero weights the counts
    # before that are 2, 2, 3, 2, 1 on every backend.
    X, y = iris["raw"]
    result = train.perceptron(X, y, eta=0.1, epochs=10, backend=backend)
    np.testing.assert_array_equal(result.history, [2, 2, 3, 2, 1, 0, 0, 0, 0, 0])


@pytest.fixture(scope="module")
def nonseparable():
    X, y, _ = nonseparable_iris()
    X = standardize(X)
    return X, y, train.perceptron(X, y, eta=0.1, epochs=8, backend="python")


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_nonseparable_perceptron_never_converges(backend, nonseparable):
    # No line separates versicolor from virginica (two of them share a point), so every
    # epoch misclassifies some flower and moves the weights; every backend counts the
    # same mistakes and ends at the same weights.
    X, y, reference = nonseparable
    result = train.perceptron(X, y, eta=0.1, epochs=8, backend=backend)
    np.testing.assert_array_equal(result.history, [6, 7, 5, 8, 8, 6, 8, 7])
    assert_weights_close(result, reference.w, reference.b, train.agreement_rtol(*X.shape, 8))


def test_logistic_regression_on_the_flower_is_no_better_than_a_guess():
    # The course's notebook: 47% for a linear classifier on the flower.
    X, y = planar_flower()
    result = train.logistic_regression(X, y, eta=0.5, iterations=100, backend="numba")
    accuracy = np.mean((X @ result.w + result.b >= 0) == y)
    assert accuracy == pytest.approx(0.47, abs=0.005)
    assert result.history[-1] < result.history[0] == pytest.approx(np.log(2))


def test_logistic_regression_on_the_flower_agrees_across_backends():
    X, y = planar_flower()
    steps = 5
    rtol = train.agreement_rtol(*X.shape, steps)
    reference = train.logistic_regression(X, y, eta=0.5, iterations=steps, backend="python")
    for backend in set(INSTALLED) - {"python"}:
        result = train.logistic_regression(X, y, eta=0.5, iterations=steps, backend=backend)
        np.testing.assert_allclose(result.history, reference.history, rtol=rtol, err_msg=backend)
        assert_weights_close(result, reference.w, reference.b, rtol)


# --- the shallow network ----------------------------------------------------------------

# The course's exercise: 4 tanh units, learning rate 1.2. After 1000 iterations the
# network is at 88.75% on the flower (89.5% after 2000, 90.5% after 5000); 1000 take
# about 0.1 s on NumPy or Numba.
NETWORK = {"hidden": 4, "eta": 1.2, "iterations": 1000}


def network_weights(result) -> np.ndarray:
    return np.concatenate([result.W1.ravel(), result.b1, result.W2, [result.b2]])


def test_shallow_network_starts_from_small_random_weights_drawn_from_the_seed():
    X, y = planar_flower()
    start = train.shallow_network(X, y, hidden=4, eta=1.2, iterations=0, seed=2)
    rng = np.random.default_rng(2)
    np.testing.assert_array_equal(start.W1, rng.standard_normal((2, 4)) * 0.01)
    np.testing.assert_array_equal(start.W2, rng.standard_normal(4) * 0.01)
    np.testing.assert_array_equal(start.b1, np.zeros(4))
    assert start.b2 == 0.0
    assert start.hidden == 4
    assert len(start.history) == 0
    assert not start.W1.flags.writeable
    other = train.shallow_network(X, y, hidden=4, eta=1.2, iterations=0, seed=3)
    assert not np.array_equal(other.W1, start.W1)


def test_shallow_network_first_cost_is_about_log_2():
    # Weights of order 0.01: every output is σ(≈0) ≈ 0.5, the cost ≈ log 2.
    X, y = planar_flower()
    result = train.shallow_network(X, y, hidden=4, eta=1.2, iterations=1)
    assert result.history[0] == pytest.approx(np.log(2), abs=1e-3)


def test_predicting_compiles_no_forward_pass_of_its_own():
    """A result's weights are read-only, a type of their own to Numba: passed as they
    are, predicting would compile the forward pass a second time, beside the one that
    ``mlp_forward`` on the same arrays, writable, compiles (and the warm-up before the
    tests, ``kernels/numba_warmup.py``)."""
    X, y = planar_flower()
    network = train.shallow_network(X, y, **{**NETWORK, "iterations": 2}, backend="numba")
    assert not network.W1.flags.writeable
    forward = kernels.get("numba").kernel("mlp_forward")
    weights = [np.array(network.W1), np.array(network.b1), np.array(network.W2)]
    expected = kernels.get("numba").mlp_forward(*weights, network.b2, X) > 0.5
    compiled = set(forward.signatures)
    np.testing.assert_array_equal(train.predict_network(network, X), expected)
    assert set(forward.signatures) == compiled


@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_the_hidden_layer_beats_logistic_regression_on_the_flower(backend):
    # The course: about 90% for the shallow network against 47% for a line.
    X, y = planar_flower()
    network = train.shallow_network(X, y, **NETWORK, backend=backend)
    accuracy = np.mean(train.predict_network(network, X) == y)
    line = train.logistic_regression(X, y, eta=0.5, iterations=100, backend=backend)
    line_accuracy = np.mean((X @ line.w + line.b >= 0) == y)
    assert accuracy == pytest.approx(0.8875, abs=0.005)
    assert accuracy > line_accuracy + 0.35
    assert np.all(np.diff(network.history[100:]) < 0)  # past the start, every step goes down


def test_shallow_network_trajectories_agree_across_backends():
    X, y = planar_flower()
    steps = 20
    parameters = {**NETWORK, "iterations": steps}
    rtol = train.network_agreement_rtol(*X.shape, NETWORK["hidden"], steps)
    reference = train.shallow_network(X, y, **parameters, backend="python")
    expected = network_weights(reference)
    labels = train.predict_network(reference, X)
    for backend in set(INSTALLED) - {"python"}:
        result = train.shallow_network(X, y, **parameters, backend=backend)
        np.testing.assert_allclose(result.history, reference.history, rtol=rtol, err_msg=backend)
        scale = np.max(np.abs(expected))
        np.testing.assert_allclose(
            network_weights(result), expected, rtol=0, atol=rtol * scale, err_msg=backend
        )
        np.testing.assert_array_equal(train.predict_network(result, X), labels, err_msg=backend)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"hidden": 0}, ValueError, "shallow_network: hidden must be >= 1, got 0"),
        ({"iterations": 2.5}, TypeError, "shallow_network: iterations must be an integer"),
        ({"seed": -1}, ValueError, "shallow_network: seed must be >= 0, got -1"),
        ({"y": np.full(400, 2)}, ValueError, "shallow_network: labels must be 0 or 1, found 2"),
    ],
)
def test_shallow_network_bad_arguments_raise_one_line_errors(changes, error, message):
    X, y = planar_flower()
    arguments = {"X": X, "y": y, **NETWORK, "iterations": 1, **changes}
    with pytest.raises(error, match=re.escape(message)):
        train.shallow_network(**arguments)


# --- the course experiments: results file and report -------------------------------------


@pytest.fixture(scope="module")
def course_bench():
    from bench import course

    return course


@pytest.fixture(scope="module")
def course_run(tmp_path_factory) -> dict:
    """A real benchmark session of the course experiments (smoke rounds): its result file."""
    if TESTED_BACKENDS == "optional":
        # These tests check the course's result file and report, not a backend: nox -s
        # tests runs them. PyTorch's training runs are checked against the loops' by the
        # benchmarks' smoke run of nox -s tests_torch (bench/test_course.py).
        pytest.skip(f"the course's result file and report: {RUN_BY_TESTS}")
    path = tmp_path_factory.mktemp("results") / "run.json"
    command = [
        sys.executable, "-m", "pytest", "bench", "--ladder=smoke", "-k", "test_course",
        f"--benchmark-json={path}", "-q", "-p", "no:cacheprovider",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(path.read_text())


@pytest.fixture(scope="module")
def course_results(course_run) -> dict:
    return course_run["vectorbench_course"]


def test_results_file_holds_every_experiment_on_every_backend(course_results, course_bench):
    results = course_results
    assert results["schema"] == "vectorbench-course/1"
    assert results["backends"] == INSTALLED
    assert set(results["experiments"]) == set(course_bench.BY_NAME)
    # the experiments the report's section draws are the ones the bench trains
    assert {e.name for e in course_bench.EXPERIMENTS} == set(vbschema.course.EXPERIMENTS)
    rounds = {name: e.rounds_for("smoke") for name, e in course_bench.BY_NAME.items()}
    from bench.test_course import trains

    experiments = course_bench.BY_NAME
    for name, experiment in results["experiments"].items():
        assert experiment["agreement"]["within_tolerance"], name
        # every backend, but a variant only where it computes the trainer's op its own way
        expected = {b for b in INSTALLED if trains(b, experiments[name])}
        assert set(experiment["runs"]) == expected, name
        parameters = experiment["parameters"]
        steps = parameters.get("epochs", parameters.get("iterations"))
        for backend, run in experiment["runs"].items():
            assert len(run["history"]) == steps, (name, backend)
            time = run["time"]
            assert len(time["times_s"]) == time["repeats"] == rounds[name]
            assert time["min_s"] <= time["q1_s"] <= time["median_s"] <= time["q3_s"]
            assert time["q3_s"] <= time["max_s"]
            assert time["iqr_s"] == pytest.approx(time["q3_s"] - time["q1_s"])


def test_course_timings_are_benchmarks_like_the_ops(course_run, course_results):
    """The same statistics as every op: each training run is a pytest-benchmark entry."""
    entries = {
        (b["extra_info"]["experiment"], b["extra_info"]["backend"]): b["stats"]
        for b in course_run["benchmarks"]
        if b["extra_info"].get("kind") == "course"
    }
    assert len(entries) == sum(len(e["runs"]) for e in course_results["experiments"].values())
    for name, experiment in course_results["experiments"].items():
        for backend, run in experiment["runs"].items():
            assert run["time"]["median_s"] == entries[(name, backend)]["median"]


def test_course_parameters_are_stored_as_json(course_run):
    """pytest-benchmark stores a parameter it cannot serialise as "UNSERIALIZABLE[...]":
    the course's benchmarks are parametrized by the experiment's name instead."""
    course = [b for b in course_run["benchmarks"] if b["extra_info"].get("kind") == "course"]
    assert course
    for entry in course:
        info = entry["extra_info"]
        assert entry["params"] == {"experiment": info["experiment"], "backend": info["backend"]}
    assert "UNSERIALIZABLE" not in json.dumps(course_run)


def checked(section) -> dict:
    """The course section as the result schema accepts it, or ``ResultFileError``."""
    return Course.parse(Path("run.json"), section).record


def test_report_renders_every_figure(course_run, course_results, tmp_path):
    from reports import course, style

    look = style.Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    markdown = course.render(checked(course_results), tmp_path / "figures", "figures/", look)
    assert markdown.startswith("## Course experiments\n")
    images = re.findall(r"!\[[^\]]+\]\(figures/([^)]+)\)", markdown)
    assert len(images) == 9
    for name in images:
        png = tmp_path / "figures" / name
        assert png.read_bytes().startswith(PNG_SIGNATURE), name
        svg = png.with_suffix(".svg")
        assert b"<svg" in svg.read_bytes()[:1000], svg.name
    for backend in ("Python loop", "NumPy", "Numba", "Numba parallel"):
        assert backend in markdown
    assert "**no**" not in markdown  # every experiment's backends agree


def test_the_hidden_sizes_legend_is_beside_the_time_panel_not_over_its_lines(
    course_run, course_results
):
    from reports import style
    from reports.course import figures, findings

    look = style.Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    results = checked(course_results)
    draw, size, _ = figures.FIGURES["course-hidden-sizes"]
    figure = figures._draw(draw, results, look, findings.section(results, look), size)
    figure.draw_without_rendering()
    panel = figure.axes[1]
    (legend,) = [child for child in panel.get_children() if child is panel.get_legend()]
    assert legend.get_window_extent().x0 >= panel.get_window_extent().x1
    assert legend.get_window_extent().x1 <= figure.bbox.x1  # inside the figure still


def test_a_file_from_before_the_later_experiments_still_renders(
    course_run, course_results, tmp_path, monkeypatch
):
    from reports import course, style
    from reports.course import figures
    from reports.course.experiments import LATER, hidden_sweep_in

    look = style.Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    drawn = []  # the figures' names, not their drawing (test_report_renders_every_figure)
    monkeypatch.setattr(
        figures,
        "save_all",
        lambda jobs, directory, *_: [drawn.append(name) or name for name, _ in jobs],
    )
    older = json.loads(json.dumps(course_results))
    for name in {*LATER, *hidden_sweep_in(older).values()}:  # the network is both
        del older["experiments"][name]
    markdown = course.render(checked(older), tmp_path / "figures", "figures/", look)
    assert len(re.findall(r"!\[[^\]]+\]\(figures/", markdown)) == len(drawn) == 6
    assert "course-hidden-layer" not in drawn
    assert "course-hidden-sizes" not in drawn
    assert "hidden units" not in markdown
    assert "does not converge" not in markdown
    assert "hidden layer" not in markdown
    assert "not separable" not in markdown  # nor in the tables


def test_the_course_section_names_backends_as_the_style_it_is_given(
    course_run, course_results, tmp_path, monkeypatch
):
    """Two runs' catalogues in one process (``--compare``, the class page): each section
    is worded with the style passed to it, never with one left behind by another."""
    from reports import course, style
    from reports.course import figures

    monkeypatch.setattr(figures, "save_all", lambda jobs, directory, *_: [n for n, _ in jobs])
    catalogue = course_run["machine_info"]["vectorbench"]["catalogue"]
    renamed = json.loads(json.dumps(catalogue))
    renamed["backends"]["numba"]["label"] = "Numba, renamed"
    sections = {
        name: course.render(
            checked(course_results), tmp_path / name, "figures/", style.Style.of(chosen)
        )
        for name, chosen in (("renamed", renamed), ("as run", catalogue))
    }
    assert "Numba, renamed" in sections["renamed"]
    assert "Numba, renamed" not in sections["as run"]


def test_the_course_section_states_the_rule_its_runs_were_timed_by(
    course_run, course_results, course_bench, tmp_path, monkeypatch
):
    """Runs timed until sure (the lesson and full ladders) are described by that rule and
    by the rounds they took; the network's long runs, timed a fixed number of rounds, by
    that number."""
    from reports import course, style
    from reports.course import figures

    monkeypatch.setattr(figures, "save_all", lambda jobs, directory, *_: [n for n, _ in jobs])
    look = style.Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    sampled = json.loads(json.dumps(course_results))
    fixed = {name: 2 for name in sampled["experiments"] if name.startswith("network")}
    sampled["timer"].update(
        repeats=6,
        until_sure={"target": 0.03, "max_time_s": 0.25, "at_least_rounds": 12, "case_s": 1.0},
        fixed_rounds=fixed,
    )
    for count, (name, experiment) in enumerate(sampled["experiments"].items()):
        if name in fixed:
            continue
        for run in experiment["runs"].values():
            rounds = 9 if count == 0 else 6  # one experiment took more rounds than the rest
            run["time"]["times_s"] = (run["time"]["times_s"] * 9)[:rounds]
            run["time"]["repeats"] = rounds
    markdown = " ".join(
        course.render(checked(sampled), tmp_path / "figures", "figures/", look).split()
    )
    assert (
        "Except for the long runs below, each time is the median of 6 to 9 timed runs, after "
        "an untimed run of one step on a backend that compiles: a run is repeated at least 6 "
        "times, then until the median's 95% interval is within ±3% (the ops' target), or its "
        "time is up: 250 ms of runs, but at least 12 runs when they are short, and never more "
        "than 1 s in all. The long runs are timed a fixed number of times ("
    ) in markdown
    from reports.course.experiments import TITLES

    smoke_rounds = course_results["experiments"]["network_flower"]["runs"]["numpy"]["time"]
    assert f"{TITLES['network_flower'][0]}: {smoke_rounds['repeats']})." in markdown
    assert "). In brackets, the speed-up over the" in markdown
    assert "timed once more" not in markdown  # a file before the runs' second attempts
    # the runs beyond the flag's limit were timed once more, where the ladder does that
    lesson = course_bench.timer_record("lesson", second_attempts=True)["until_sure"]
    assert lesson["second_attempt_beyond"] == 0.05
    # a run stopped before its second attempts does not claim them
    assert "second_attempt_beyond" not in course_bench.timer_record("lesson")["until_sure"]
    sampled["timer"]["until_sure"]["second_attempt_beyond"] = 0.05
    spread = sampled["experiments"]["perceptron"]["runs"]["numpy"]["time"]
    spread.update(times_s=[1.0, 1.6, 1.1, 1.9, 1.3, 1.2], repeats=6, attempts=2)
    retimed = " ".join(course.render(checked(sampled), tmp_path / "f1", "figures/", look).split())
    assert (
        "never more than 1 s in all. A run whose interval then reaches beyond ±5% is timed "
        "once more after every other case, while time is left, and keeps the attempt with the "
        "narrower interval. The long runs"
    ) in retimed
    # a run flagged after its second attempt says so, as an op's case does
    (line,) = re.findall(rf"- {TITLES['perceptron'][0]}, η = [^,]*, NumPy: [^-]*", retimed)
    assert re.search(r"the median's interval ±[\d.]+%, the narrower of 2 attempts", line)
    spread["attempts"] = "2"
    with pytest.raises(ResultFileError, match=r"numpy\.time\.attempts"):
        checked(sampled)
    spread["attempts"] = 2
    sampled["timer"]["until_sure"]["second_attempt_beyond"] = "5%"
    with pytest.raises(ResultFileError, match=r"timer\.until_sure\.second_attempt_beyond"):
        checked(sampled)
    # a file of fixed rounds (the smoke ladder's, and every file before 7 December) reads
    # as it always did
    fixed = " ".join(
        course.render(checked(course_results), tmp_path / "f2", "figures/", look).split()
    )
    repeats = course_results["timer"]["repeats"]
    assert f"Median of {repeats} timed runs" in fixed
    assert "after an untimed run of one step on a backend that compiles; in brackets" in fixed
    assert "Each time is" not in fixed
    # and a malformed rule is one line naming the field
    broken = json.loads(json.dumps(sampled))
    broken["timer"]["until_sure"]["case_s"] = "1 s"
    with pytest.raises(ResultFileError, match=r"timer\.until_sure\.case_s"):
        checked(broken)


@pytest.mark.parametrize("trainer", sorted(train.OP_OF))
def test_each_trainer_calls_its_op_and_no_other(trainer, course_bench, monkeypatch):
    """``train.OP_OF``, which decides where a variant trains (bench/test_course.py)."""
    experiment = next(e for e in course_bench.EXPERIMENTS if e.trainer == trainer)
    numpy_ops, called = kernels.get("numpy"), set()

    class Spy:
        def __getattr__(self, name):
            if name in kernels.OPS:
                called.add(name)
            return getattr(numpy_ops, name)

    monkeypatch.setattr(train.kernels, "get", lambda backend: Spy())
    data = course_bench.course_datasets()[experiment.dataset]
    course_bench.training_call(experiment, data, "numpy", "smoke")()
    assert called == {train.OP_OF[trainer]}


def test_the_one_step_warm_up_calls_the_op_as_the_whole_run_does(course_bench, monkeypatch):
    """bench/test_course.py compiles a backend with the run cut to one step: every step
    calls the trainer's op on the same shapes and types, so the one step compiles all
    that the timed run calls."""
    numpy_ops, calls = kernels.get("numpy"), []

    class Spy:
        def __getattr__(self, name):
            op = getattr(numpy_ops, name)

            def call(*args):  # what a compiler specializes on: shapes, dtypes, types
                kinds = [(*a.shape, a.dtype.name) if hasattr(a, "shape") else type(a) for a in args]
                calls[-1].add((name, *kinds))
                return op(*args)

            return call if name in kernels.OPS else op

    monkeypatch.setattr(train.kernels, "get", lambda backend: Spy())
    datasets = course_bench.course_datasets()
    for experiment in course_bench.BY_NAME.values():
        data = datasets[experiment.dataset]
        for steps in (1, None):
            calls.append(set())
            result = course_bench.training_call(experiment, data, "numpy", "smoke", steps)()
            assert len(result.history) == (steps or experiment.steps("smoke")) > 0
        assert calls[-1] == calls[-2], experiment.name


def test_a_training_runs_time_is_predicted_from_the_course_network(course_bench):
    """The lesson's budget per training run: a hidden-size run's time is predicted from
    the same backend's time for the course's network (h = 4), scaled by an iteration's
    FLOPs and never below it."""
    data = course_bench.course_datasets()["flower"]
    sweep = {e.parameters["hidden"]: e for e in course_bench.HIDDEN_SWEEP}
    predicted = course_bench.predicted_seconds
    flops = [kernels.OPS["mlp_gradient"].flops({"m": 400, "n": 2, "h": h}) for h in (4, 50)]
    assert len(data["X"]) == 400
    assert predicted(sweep[50], {"network_flower": 2.0}, data) == pytest.approx(
        2.0 * flops[1] / flops[0]
    )
    assert predicted(sweep[1], {"network_flower": 2.0}, data) == 2.0  # fixed costs stay
    assert predicted(sweep[1], {}, data) is None  # nothing timed to predict from
    assert predicted(course_bench.EXPERIMENTS[0], {"network_flower": 2.0}, data) is None
    # two points: a fixed cost per iteration plus a cost per FLOP, as the loops' times
    # (1.04 s at h = 1, 1.90 s at h = 4; then measured 6.85 s at h = 20, 16.3 s at 50)
    timed = {"network_h1": 1.04, "network_flower": 1.90}
    flops_1 = kernels.OPS["mlp_gradient"].flops({"m": 400, "n": 2, "h": 1})
    slope = (1.90 - 1.04) / (flops[0] - flops_1)
    assert predicted(sweep[50], timed, data) == pytest.approx(1.04 + slope * (flops[1] - flops_1))
    assert 14 < predicted(sweep[50], timed, data) < 18
    # an engine whose iteration is mostly its fixed cost (JAX: 0.24 s and 0.27 s) is not
    # predicted over the lesson's budget at h = 50 (measured 1.2 s)
    assert predicted(sweep[50], {"network_h1": 0.24, "network_flower": 0.27}, data) < 1.5


def test_a_run_over_the_budget_is_skipped_and_the_loops_leave_numpy_the_reference():
    """bench/test_course.py: a hidden-size run predicted over the lesson's budget is
    skipped and listed; with the loops' run skipped, the others are checked against
    NumPy's (NumPy's own run, then, against nothing)."""
    import types

    from bench import course, records
    from bench import test_course as bench_course

    options = {"--ladder": "smoke", "--course-budget": None}
    config = types.SimpleNamespace(stash=pytest.Stash(), getoption=options.get)
    records.setup(config)
    h50 = next(e for e in course.HIDDEN_SWEEP if e.parameters["hidden"] == 50)
    config.stash[records.COURSE_SECONDS]["python"] = {"network_flower": 2.0}
    bench_course.skip_if_over_budget(config, h50, "python")  # smoke: no budget, it runs
    options["--ladder"] = "lesson"
    with pytest.raises(pytest.skip.Exception, match="over the 3 s budget"):
        bench_course.skip_if_over_budget(config, h50, "python")
    (entry,) = config.stash[records.COURSE_NOT_RUN]
    assert (entry["experiment"], entry["backend"]) == ("network_h50", "python")
    assert entry["predicted_s"] > entry["budget_s"] == course.BUDGET_S["lesson"]
    assert bench_course.reference_of(config, "network_h50", "lesson") is None  # NumPy's turn
    numpy_run = {"history": [0.5]}
    config.stash[records.COURSE]["network_h50"] = {"numpy": numpy_run}
    assert bench_course.reference_of(config, "network_h50", "lesson") == ("numpy", numpy_run)


def test_a_hidden_size_run_over_the_budget_is_left_out_and_said(
    course_run, course_results, course_bench, tmp_path, monkeypatch
):
    from reports import course, style
    from reports.course import figures, findings

    # the words only: the figures are drawn by test_report_renders_every_figure
    monkeypatch.setattr(figures, "save_all", lambda jobs, directory, *_: [name for name, _ in jobs])

    look = style.Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    results = json.loads(json.dumps(course_results))
    sweep = [e.name for e in course_bench.HIDDEN_SWEEP]
    for name in sweep:  # as a lesson run leaves Dask's out
        del results["experiments"][name]["runs"]["dask"]
        del results["experiments"][name]["agreement"]["backends"]["dask"]
    results["not_run"] = [
        {
            "experiment": name,
            "backend": "dask",
            "predicted_s": 6.5 + k,
            "budget_s": 3.0,
            "reason": "over",
        }
        for k, name in enumerate(sweep)
    ]
    parsed = checked(results)
    found = findings.hidden_size_findings(parsed, findings.flower_findings(parsed))
    expected = {"sizes": [1, 2, 3, 5, 20, 50], "predicted_s": 6.5, "budget_s": 3.0}
    assert found["not_run"] == {"dask": expected}
    assert "dask" not in found["growth"]
    assert "numpy" in found["growth"]
    drawn = [h == 4 for h in found["sizes"]]  # h = 4: the course's own network, always run
    assert [not np.isnan(t) for t in found["per_iteration"]["dask"]] == drawn
    markdown = course.render(results, tmp_path / "figures", "figures/", look)
    text = " ".join(markdown.split())
    assert (
        "Not trained on this ladder, each run predicted to take longer than its budget of "
        "3 s per training run"
    ) in text
    assert "Dask at h = 1, 2, 3, 5, 20, 50 (at least 6.5 s)." in text
    results["experiments"]["network_h1"]["runs"] = {"numpy": {}}
    with pytest.raises(ResultFileError, match=r"network_h1\.runs holds 1 backend"):
        checked(results)


def test_planar_decision_regions_draw_any_predictor(course_run, course_results):
    from matplotlib.figure import Figure

    from reports.course.figures import flower_panels, plot_planar_decision_regions
    from reports.course.findings import section
    from reports.style import Style

    look = Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    panels = [
        *flower_panels(section(course_results, look)),
        ("inside radius 2", lambda P: (np.hypot(P[:, 0], P[:, 1]) < 2).astype(int), 0.5),
    ]
    axes = Figure().subplots(1, len(panels))
    plot_planar_decision_regions(axes, course_results, look, "flower", panels)
    titles = [ax.get_title() for ax in axes]
    assert titles[0] == "Logistic regression: accuracy 47%"
    assert titles[1].startswith("Shallow network, 4 tanh units: accuracy ")
    assert titles[2] == "inside radius 2: accuracy 50%"


def test_course_times_are_judged_by_the_benchmarks_rules(
    course_run, course_results, tmp_path, monkeypatch
):
    from reports import course, rules, style
    from reports.course import figures, findings

    # the table and the words only: the figures are test_report_renders_every_figure's
    monkeypatch.setattr(figures, "save_all", lambda jobs, directory, *_: [name for name, _ in jobs])

    look = style.Style.of(course_run["machine_info"]["vectorbench"]["catalogue"])
    results = course_results
    judged_file = json.loads(json.dumps(results))
    runs = judged_file["experiments"]["perceptron"]["runs"]
    # NumPy: the median's 95% interval [0.8, 1.2] ms (the 4th and 12th of 15 rounds), ±20%;
    # Numba: steady, 3.5× faster than the loop's 3.5 ms
    runs["numpy"]["time"]["times_s"] = [1e-3 * f for f in (0.7, 0.8, 1.0, 1.2, 1.3) * 3]
    runs["numba"]["time"]["times_s"] = [1e-3] * 15
    runs["python"]["time"]["times_s"] = [3.5e-3] * 15
    judged = findings.timings(judged_file)["perceptron"]
    assert judged["numpy"].quartiles.median == pytest.approx(1e-3)
    assert judged["numpy"].flags == (rules.FLAG_SPREAD,)
    assert judged["numba"].flags == ()
    assert judged["python"].against_reference is None
    assert judged["numba"].against_reference.speedup == pytest.approx(3.5)
    assert judged["numba"].against_reference.verdict == rules.FASTER

    markdown = course.render(judged_file, tmp_path / "figures", "figures/", look)
    row = next(line for line in markdown.splitlines() if line.startswith("| Perceptron"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1:4] == ["3.5 ms", "1 ms† (3.5×†)", "1 ms (3.5×)"]
    assert rules.MARK + " rests on a flagged measurement" in markdown
    assert "- Perceptron, η = 0.1, NumPy: the median's interval ±20%\n" in markdown
    assert "‡" not in markdown  # one mark, not a second one for the timer


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"machine_info": {}, "benchmarks": []}, "schema is None, expected 'vectorbench-course/1'"),
        ([1, 2, 3], "not an object"),
    ],
    ids=["pytest-benchmark file", "a list"],
)
def test_report_rejects_a_foreign_section(section, message):
    with pytest.raises(ResultFileError, match=re.escape(message)) as raised:
        checked(section)
    assert "\n" not in str(raised.value)


def test_report_names_what_is_missing(course_results):
    broken = json.loads(json.dumps(course_results))
    del broken["experiments"]["adaline_sgd"]["runs"]["numba"]["history"]
    with pytest.raises(
        ResultFileError, match=r"run.json: vectorbench_course: experiments\.adaline_sgd\.runs\."
    ):
        checked(broken)


def test_agreement_refuses_to_compare_nothing(course_bench):
    run = {"w": [1.0, 2.0], "b": 0.5, "history": [3.0, 2.0]}
    with pytest.raises(ValueError, match="nothing to compare"):
        course_bench.agreement({"python": run}, "python", m=2, n=2, steps=2)
    empty = {**run, "history": []}
    with pytest.raises(ValueError, match="nothing to compare"):
        course_bench.agreement({"python": empty, "numpy": empty}, "python", m=2, n=2, steps=2)
    short = {**run, "history": [3.0]}
    with pytest.raises(ValueError, match="numpy returned weights"):
        course_bench.agreement({"python": run, "numpy": short}, "python", m=2, n=2, steps=2)


def test_shallow_network_refuses_a_hidden_layer_that_cannot_fit():
    """Refused from the sizes, before the weights are drawn: a bare MemoryError before."""
    X, y = np.ones((4, 2)), np.array([0.0, 1.0, 0.0, 1.0])
    with pytest.raises(MemoryError, match=r"^shallow_network: hidden=1000000000000: "):
        train.shallow_network(X, y, hidden=10**12, eta=0.1, iterations=1)


def test_shallow_network_keeps_a_dask_X_lazy():
    """Its docstring's promise: nothing computed before the first iteration."""
    da = pytest.importorskip("dask.array")
    from dask.callbacks import Callback

    computed = []

    class Count(Callback):
        def _start(self, dsk):
            computed.append(len(dsk))

    X = np.random.default_rng(0).standard_normal((20, 2))
    y = (X[:, 0] > 0).astype(float)
    with Count():
        network = train.shallow_network(
            da.from_array(X, chunks=10), y, hidden=3, eta=0.1, iterations=0, backend="dask"
        )
    assert computed == []
    assert network.W1.shape == (2, 3)


def test_a_stored_history_keeps_its_last_entry_whole():
    """The figures draw a history to 7 digits; where the run ended is kept whole, as its
    final weights are: a class compares machines by it, to about 10⁻¹² (the counts of
    the perceptron stay integers)."""
    from bench.course import _drawn

    run = {
        "w": [0.5],
        "b": 0.1,
        "history": [0.6931471805599453, 0.1234567890123, 2.4641557589880807],
    }
    assert _drawn(run)["history"] == [0.6931472, 0.1234568, 2.4641557589880807]
    assert _drawn({**run, "history": [3, 0]})["history"] == [3, 0]
    assert _drawn({**run, "history": []})["history"] == []
