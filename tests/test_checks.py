"""Bad input: the same exception, with the same one-line message, from every backend."""

from __future__ import annotations

import numpy as np
import pytest
from support import BACKEND_PARAMS, INSTALLED, implementing, run

import kernels

GOOD = {
    op: kernels.make_inputs(op, {"m": 4, "n": 3, "h": 2}, "float64", seed=1) for op in kernels.OPS
}


def replaced(op: str, name: str, value) -> tuple:
    names = kernels.ops.OPS[op].arg_names
    args = list(GOOD[op])
    args[names.index(name)] = value
    return tuple(args)


def raised_by_every_backend(op: str, args: tuple) -> tuple[type, str]:
    """Call every backend; all must raise the same type with the same message."""
    outcomes = set()
    for backend in implementing(op):
        with pytest.raises((ValueError, TypeError)) as info:
            run(backend, op, args)
        outcomes.add((info.type, str(info.value)))
    assert len(outcomes) == 1, f"backends disagree: {outcomes}"
    (outcome,) = outcomes
    assert "\n" not in outcome[1]
    return outcome


# (op, argument, bad value, exception, words the message must contain)
CASES = [
    ("dot", "a", np.ones((3, 1)), ValueError, ["dot: a has shape (3, 1)", "1-D"]),
    ("dot", "b", np.ones(5), ValueError, ["b has shape (5,)", "a has shape (3,)", "'n'"]),
    ("dot", "a", np.ones(0), ValueError, ["a has zero features", "(0,)"]),
    ("dot", "a", np.float64(2.0), ValueError, ["a has shape ()"]),
    ("logistic_forward", "X", np.ones(3), ValueError, ["X has shape (3,)", "2-D", "(m, n)"]),
    (
        "logistic_forward",
        "X",
        np.ones((4, 2)),
        ValueError,
        ["X has shape (4, 2)", "w has shape (3,)"],
    ),
    ("logistic_forward", "X", np.ones((0, 3)), ValueError, ["X has zero samples", "(0, 3)"]),
    ("logistic_forward", "w", np.ones(0), ValueError, ["w has zero features"]),
    ("logistic_cost", "y", np.ones(5), ValueError, ["y has shape (5,)", "A has shape (4,)"]),
    ("logistic_backward", "A", np.ones((4, 1)), ValueError, ["A has shape (4, 1)"]),
    ("logistic_gradient", "y", np.ones(3), ValueError, ["y has shape (3,)", "X has shape (4, 3)"]),
    ("adaline_gd_epoch", "X", np.ones((4, 3, 1)), ValueError, ["X has shape (4, 3, 1)"]),
    ("adaline_sgd_epoch", "y", np.ones((4, 2)), ValueError, ["y has shape (4, 2)"]),
    (
        "perceptron_epoch",
        "X",
        np.ones((5, 3)),
        ValueError,
        ["y has shape (4,)", "X has shape (5, 3)"],
    ),
    ("dot", "a", np.ones(3, complex), TypeError, ["a has dtype complex128", "real"]),
    ("dot", "b", np.array(["1", "2", "3"]), TypeError, ["b has dtype <U1"]),
    ("logistic_forward", "X", np.ones((4, 3), object), TypeError, ["X has dtype object"]),
    ("logistic_cost", "A", np.ones(4, np.longdouble), TypeError, ["A has dtype float128"]),
    ("perceptron_epoch", "eta", -0.1, ValueError, ["eta must be finite and >= 0", "-0.1"]),
    ("adaline_gd_epoch", "eta", float("nan"), ValueError, ["eta must be finite", "nan"]),
    ("adaline_sgd_epoch", "eta", float("inf"), ValueError, ["eta must be finite", "inf"]),
    ("perceptron_epoch", "eta", "0.1", TypeError, ["eta must be a real number", "str"]),
    ("logistic_forward", "b", np.ones(2), TypeError, ["b must be a real number", "ndarray"]),
    ("logistic_gradient", "b", 1 + 2j, TypeError, ["b must be a real number", "complex"]),
    ("adaline_gd_epoch", "b", True, TypeError, ["b must be a real number", "bool"]),
    # A Python int beyond every float: named, not a bare OverflowError.
    ("logistic_forward", "b", 10**400, ValueError, ["b is too large for float64"]),
    ("perceptron_epoch", "eta", 10**400, ValueError, ["eta is too large for float64"]),
    ("adaline_gd_epoch", "b", -(10**400), ValueError, ["b is too large for float64"]),
    # finite in an 80-bit long double, though float() turns it into inf
    *(
        [("logistic_gradient", "b", np.longdouble("1e400"), ValueError, ["b is too large"])]
        if np.finfo(np.longdouble).maxexp > 1024
        else []
    ),
    (
        "logistic_forward",
        "X",
        [[1.0, 2.0, 3.0]] * 3 + [[1.0]],
        ValueError,
        ["logistic_forward: X is a nested sequence whose rows differ in length"],
    ),
    # np.asarray would drop the mask and compute with the value under it
    (
        "logistic_forward",
        "X",
        np.ma.masked_array(np.ones((4, 3)), mask=np.eye(4, 3, dtype=bool)),
        ValueError,
        ["logistic_forward: X is a masked array with 3 masked values", "np.ma.filled"],
    ),
    (
        "dot",
        "b",
        np.ma.masked_array([1e6, 1.0, 1.0], mask=[1, 0, 0]),
        ValueError,
        ["b is a masked"],
    ),
]


@pytest.mark.parametrize(
    ("op", "name", "value", "error", "words"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{i}" for i, c in enumerate(CASES)],
)
def test_bad_input_is_rejected_alike(op, name, value, error, words):
    if np.dtype(np.longdouble).itemsize <= 8 and "float128" in words[0]:
        pytest.skip("this platform's long double is float64")
    raised, message = raised_by_every_backend(op, replaced(op, name, value))
    assert raised is error, message
    for word in words:
        assert word in message, f"{word!r} not in {message!r}"


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_wrong_argument_counts(backend):
    ops = kernels.get(backend)
    with pytest.raises(TypeError, match="missing argument"):
        ops.dot(np.ones(2))
    with pytest.raises(TypeError, match="takes 2 arguments"):
        ops.dot(np.ones(2), np.ones(2), np.ones(2))
    with pytest.raises(TypeError, match="unexpected or repeated argument 'c'"):
        ops.dot(np.ones(2), np.ones(2), c=1)


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_integer_and_boolean_arrays_are_read_as_float64(backend):
    ops = kernels.get(backend)
    assert ops.dot(np.array([1, 2, 3]), np.array([True, False, True])) == 4.0
    X = np.array([[1, 2], [3, 4], [-1, -5]])
    y = np.array([1, -1, 1])  # the slides' integer labels
    w, b, errors = ops.perceptron_epoch(np.zeros(2, int), 0, X, y, 0.5)
    expected = kernels.get("numpy").perceptron_epoch(np.zeros(2), 0.0, X * 1.0, y * 1.0, 0.5)
    assert w.dtype == np.float64
    np.testing.assert_array_equal(w, expected[0])
    assert (b, errors) == expected[1:]


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_integer_labels_join_float32_features(backend):
    X = np.ones((3, 2), np.float32)
    w, _, _ = kernels.get(backend).adaline_gd_epoch(
        np.zeros(2, np.float32), 0.0, X, np.array([1, -1, 1]), 0.01
    )
    assert w.dtype == np.float32


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_mixed_float_widths_compute_in_float64(backend):
    result = kernels.get(backend).logistic_forward(
        np.ones(2, np.float32), 0.0, np.ones((3, 2), np.float64)
    )
    assert result.dtype == np.float64


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_lists_are_accepted(backend):
    assert kernels.get(backend).dot([1.0, 2.0], [3.0, 4.0]) == 11.0


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_zero_learning_rate_changes_nothing(backend):
    w, b, X, y, _ = GOOD["adaline_sgd_epoch"]
    new_w, new_b, _ = kernels.get(backend).adaline_sgd_epoch(w, b, X, y, 0.0)
    np.testing.assert_array_equal(new_w, w)
    assert new_b == b


@pytest.mark.parametrize("op", ["perceptron_epoch", "adaline_sgd_epoch", "adaline_gd_epoch"])
def test_a_rate_beyond_float32_is_refused_for_float32_data(op):
    """eta = 1e300 is finite in float64 but inf in float32, the dtype it is used in."""
    args = (*kernels.make_inputs(op, {"m": 4, "n": 3, "h": 2}, "float32", seed=1)[:-1], 1e300)
    raised, message = raised_by_every_backend(op, args)
    assert raised is ValueError
    assert f"{op}: eta (1e+300) is too large for float32" in message


def test_b_beyond_float32_is_refused_for_float32_data():
    w, _, X = kernels.make_inputs("logistic_forward", {"m": 4, "n": 3}, "float32", seed=1)
    raised, message = raised_by_every_backend("logistic_forward", (w, -1e39, X))
    assert raised is ValueError
    assert "b (-1e+39) is too large for float32" in message


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_any_byte_order_is_accepted(backend, dtype):
    ops = kernels.get(backend)
    big, little = np.dtype(dtype).newbyteorder(">"), np.dtype(dtype).newbyteorder("<")
    assert ops.dot(np.ones(3, big), np.arange(3, dtype=little)) == 3.0
    w, b, X = kernels.make_inputs("logistic_forward", {"m": 5, "n": 3}, "float64", seed=3)
    swapped = ops.logistic_forward(w.astype(big), b, X.astype(big))
    native = ops.logistic_forward(w.astype(dtype), b, X.astype(dtype))
    assert swapped.dtype == np.dtype(dtype)  # the native dtype, whatever came in
    np.testing.assert_array_equal(swapped, native)


def test_python_lists_that_would_not_fit_in_memory_are_refused(monkeypatch):
    """Checked against the memory the system reports; faked small here."""
    monkeypatch.setattr(kernels.checks, "_CHECK_MEMORY_ABOVE", 0)
    monkeypatch.setattr(kernels.checks, "available_memory", lambda: 2**20)
    a = np.ones(40_000)  # 1.2 MiB of lists
    with pytest.raises(MemoryError, match=r"python backend: an array of shape \(40000,\)"):
        kernels.get("python").dot(a, a)
    assert kernels.get("python").dot(a[:100], a[:100]) == 100.0
    assert kernels.get("numpy").dot(a, a) == 40_000.0  # arrays are not lists


# --- foreign arrays: one contract on every backend (kernels.checks) -----------------------


def test_a_masked_array_with_nothing_masked_is_its_data():
    w, b, X = GOOD["logistic_forward"]
    for backend in INSTALLED:
        masked = kernels.get(backend).logistic_forward(w, b, np.ma.masked_array(X))
        plain = kernels.get(backend).logistic_forward(w, b, X)
        np.testing.assert_array_equal(masked, plain)


def test_a_small_dask_array_is_computed_for_every_backend():
    da = pytest.importorskip("dask.array")
    w, b, X = GOOD["logistic_forward"]
    lazy = da.from_array(X, chunks=(2, 3))
    for backend in INSTALLED:
        ops = kernels.get(backend)
        np.testing.assert_array_equal(
            ops.logistic_forward(w, b, lazy), ops.logistic_forward(w, b, X)
        )
        # the epoch ops too (the numpy perceptron raised NotImplementedError)
        args = replaced("perceptron_epoch", "X", da.from_array(GOOD["perceptron_epoch"][2]))
        expected = ops.perceptron_epoch(*GOOD["perceptron_epoch"])
        for got, want in zip(ops.perceptron_epoch(*args), expected, strict=True):
            np.testing.assert_array_equal(got, want)


def test_a_large_dask_array_is_refused_by_every_backend_but_dask():
    """Refused from its shape alone, before anything is computed: 80 GB of ones."""
    da = pytest.importorskip("dask.array")
    big = da.ones((10**5, 10**5), chunks=(10**3, 10**5))
    outcomes = set()
    for backend in [name for name in INSTALLED if name != "dask"]:
        with pytest.raises(ValueError) as info:
            kernels.get(backend).logistic_forward(np.ones(10**5), 0.0, big)
        outcomes.add(str(info.value))
    (message,) = outcomes
    assert message.startswith("logistic_forward: X is a Dask array of 76,294 MiB")
    assert "use the dask backend" in message


@pytest.mark.parametrize("name", ["w", "X", "y"])
def test_a_dask_array_of_unknown_length_is_refused_alike_by_every_backend(name):
    """Boolean indexing leaves a Dask array's length unknown (nan): no backend can check
    it against the other arguments, so every one, the dask backend too, says so (the
    dask backend said the lengths differ, the others pointed to the dask backend)."""
    da = pytest.importorskip("dask.array")
    args = list(GOOD["logistic_gradient"])
    index = kernels.ops.OPS["logistic_gradient"].arg_names.index(name)
    value = da.from_array(args[index], chunks=2)
    args[index] = value[da.from_array(np.ones(value.shape[0], bool), chunks=2)]
    kind, message = raised_by_every_backend("logistic_gradient", tuple(args))
    assert kind is ValueError
    assert message.startswith(f"logistic_gradient: {name} is a Dask array of unknown length")
    assert "compute_chunk_sizes()" in message


@pytest.mark.parametrize(
    ("op", "name", "shape"),
    [
        ("logistic_forward", "X", (10**7, 10**6)),  # 80 TB, from one 8-byte element
        ("dot", "a", (10**13,)),
        ("mlp_forward", "X", (10**7, 10**6)),
    ],
)
def test_an_input_that_cannot_be_copied_in_memory_is_refused_alike(op, name, shape, monkeypatch):
    """A zero-stride np.broadcast_to view: each backend would copy it (or, for NumPy,
    compute for hours); refused from its size before any allocation."""
    fixed_memory(monkeypatch)
    view = np.broadcast_to(np.ones(1), shape)
    axes = {p.name: p.axes for p in kernels.OPS[op].params}
    lengths = dict(zip(axes[name], shape, strict=True))
    args = list(kernels.make_inputs(op, {"m": 2, "n": 2, "h": 2}))
    for i, param in enumerate(kernels.OPS[op].params):
        if param.is_array:
            wanted = tuple(lengths.get(axis, 2) for axis in param.axes)
            args[i] = view if param.name == name else np.broadcast_to(np.ones(1), wanted)
    outcomes = set()
    for backend in implementing(op):
        with pytest.raises(MemoryError) as info:
            run(backend, op, tuple(args))
        outcomes.add(str(info.value))
    (message,) = outcomes
    assert message.startswith(f"{op}: {name} (shape {shape}, copied as float64) needs ")
    assert "of memory available" in message


def fixed_memory(monkeypatch) -> None:
    """The memory available, read once: the messages quote it, and it drifts between the
    backends' calls on a busy machine (22.7 GiB, then 22.6)."""
    available = kernels.checks.available_memory()
    monkeypatch.setattr(kernels.checks, "available_memory", lambda: available)


def test_intermediates_that_cannot_fit_name_the_arguments_that_size_them(monkeypatch):
    """A tall, thin zero-stride X: its intermediates (m of them) outweigh its copy, and
    the message names X, where the length comes from, not only the sizes."""
    fixed_memory(monkeypatch)
    w = np.ones(3)
    X = np.broadcast_to(np.ones((1, 3)), (10**13 // 3, 3))
    outcomes = set()
    for backend in implementing("logistic_forward"):
        with pytest.raises(MemoryError) as info:
            kernels.get(backend).logistic_forward(w, 0.0, X)
        outcomes.add(str(info.value))
    (message,) = outcomes
    assert message.startswith(
        "logistic_forward: its intermediates and results for n=3 (from w), "
        "m=3,333,333,333,333 (from X) needs "
    )


def test_intermediates_that_cannot_fit_are_refused(monkeypatch):
    """The op's cost model (Op.workspace) counts H, (m, h), of the shallow network."""
    monkeypatch.setattr(kernels.checks, "_CHECK_MEMORY_ABOVE", 0)
    monkeypatch.setattr(kernels.checks, "available_memory", lambda: 10**5)
    args = kernels.make_inputs("mlp_forward", {"m": 1000, "n": 2, "h": 10}, "float64")
    with pytest.raises(MemoryError, match=r"^mlp_forward: its intermediates and results"):
        kernels.get("numpy").mlp_forward(*args)
