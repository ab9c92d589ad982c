"""Every (op, backend) pair against the bounded reference, on the op's own input generator."""

from __future__ import annotations

import importlib
import itertools

import numpy as np
import pytest
from support import (
    BACKEND_PARAMS,
    OP_BACKEND_PARAMS,
    assert_matches_reference,
    assert_result_dtypes,
    assert_within,
    implementing,
    reference_for,
    run,
    under_test,
)

import kernels
from kernels.ops import OPS
from kernels.yours import CASES

# The shapes every backend is proven on, and every student's function checked on.
SHAPES = CASES
# The shape of the tests below that check a property whatever the shape (dtypes kept,
# inputs unchanged, ...): one of SHAPES, so that the backends that compile per shape
# (JAX: about 0.1 s of XLA per op, dtype and shape) run what they compiled for it above
# (a test file runs in one process) instead of compiling again.
ANY_SHAPE = {"m": 40, "n": 13, "h": 7}


def test_registry_names_the_contract():
    assert tuple(kernels.BACKENDS) == (
        "python",
        "numpy",
        "numba",
        "numba_parallel",
        "jax",
        "jax_autodiff",
        "jax_onepass",
        "dask",
        "torch",
        "torch_autograd",
        "numba_blocked",
        "numba_tiled",
        "numba_packed",
    )
    assert tuple(kernels.OPS) == (
        "dot",
        "logistic_forward",
        "logistic_cost",
        "logistic_backward",
        "logistic_gradient",
        "adaline_gd_epoch",
        "adaline_sgd_epoch",
        "perceptron_epoch",
        "mlp_forward",
        "mlp_gradient",
    )
    assert OPS is kernels.OPS  # one name, one thing
    for name, spec in kernels.BACKENDS.items():
        assert spec.name == name
        if spec.installed:
            assert kernels.get(name).spec is spec


@pytest.mark.parametrize("backend", BACKEND_PARAMS)
def test_every_backend_has_every_op(backend):
    implementation = kernels.get(backend)
    for op in kernels.OPS:
        assert callable(getattr(implementation, op)), f"{backend} lacks {op}"
        assert callable(implementation.kernel(op))


def test_a_backend_of_some_ops_has_those_and_says_so_of_the_others():
    """The BLAS ladder's steps implement mlp_gradient only: that op is there, the test
    parameters hold it, and asking for another op names the ones it has."""
    partial = {name: spec for name, spec in kernels.BACKENDS.items() if spec.ops is not None}
    assert set(partial) == {"numba_blocked", "numba_tiled", "numba_packed"}
    for name, spec in partial.items():
        assert spec.ops == ("mlp_gradient",)
        assert spec.record()["ops"] == ["mlp_gradient"]
        # (none in a run of the optional backends only: nox -s tests_torch)
        expected = [("mlp_gradient", name)] if under_test(name) else []
        assert [p.values for p in OP_BACKEND_PARAMS if p.values[1] == name] == expected
        implementation = kernels.get(name)
        assert callable(implementation.mlp_gradient)
        with pytest.raises(
            AttributeError, match=f"^backend '{name}' implements only mlp_gradient$"
        ):
            implementation.dot  # noqa: B018


def test_a_backend_of_an_unknown_op_is_an_error():
    spec = kernels.BackendSpec(
        "misnamed", "kernels.numba_ladder:tiled", "nothing", "Misnamed", "#000000", ops=("mlp",)
    )
    with pytest.raises(ValueError, match=r"^backend 'misnamed': unknown ops \['mlp'\]$"):
        kernels.register_backend(spec)
    assert "misnamed" not in kernels.BACKENDS


def test_a_backend_is_skipped_only_where_its_libraries_cannot_be_imported():
    """A backend of an optional extra (PyTorch) is skipped where its library is missing,
    and only there: where it can be imported, its tests run, or this test fails."""
    complete = [name for name, spec in kernels.BACKENDS.items() if spec.ops is None]
    assert [param.values for param in BACKEND_PARAMS] == [
        (name,) for name in complete if under_test(name)
    ]
    for param in BACKEND_PARAMS:
        (name,) = param.values
        spec = kernels.BACKENDS[name]
        importable = True
        for library in spec.requires:
            try:
                importlib.import_module(library)
            except ImportError:
                importable = False
        assert spec.installed is importable, name
        assert (name in kernels.installed_backends()) is importable, name
        assert (not param.marks) is importable, f"{name}: skipped though importable"
        if importable:
            assert kernels.get(name).spec is spec
        else:
            with pytest.raises(ImportError, match=f"^{name} backend: .* is not installed; pip"):
                kernels.get(name)


def test_a_backend_whose_library_is_missing_is_listed_as_not_installed():
    spec = kernels.BackendSpec(
        "absent",
        "kernels.absent_engine",  # never imported: there is no such module either
        "nothing",
        "Absent",
        "#000000",
        requires=("numpy", "vectorbench_absent_library"),
        install="pip install vectorbench-absent-library",
    )
    kernels.register_backend(spec)
    try:
        assert "absent" in kernels.BACKENDS
        assert "absent" not in kernels.installed_backends()
        assert spec.missing == ("vectorbench_absent_library",)
        assert spec.record()["installed"] is False
        message = (
            "absent backend: vectorbench_absent_library is not installed; "
            "pip install vectorbench-absent-library"
        )
        with pytest.raises(ImportError, match=f"^{message}$"):
            kernels.get("absent")
    finally:
        del kernels.BACKENDS["absent"]


def test_unknown_backend_is_an_error():
    with pytest.raises(ValueError, match="unknown backend 'cuda'"):
        kernels.get("cuda")


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("sizes", SHAPES, ids=lambda s: "-".join(f"{k}{v}" for k, v in s.items()))
@pytest.mark.parametrize("op", kernels.OPS)
def test_every_backend_matches_the_reference(op, sizes, dtype):
    args = kernels.make_inputs(op, sizes, dtype, seed=sizes["m"] + sizes["n"])
    ref = assert_matches_reference(op, args)
    # Generated data keeps net inputs away from the perceptron's decision boundary, so
    # its error counts are exact; if not, this test would silently weaken.
    assert ref.well_conditioned


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("op", kernels.OPS)
def test_tolerances_are_tight_enough_to_mean_something(op, dtype):
    """A bound that grew without limit would accept any answer. On these sizes
    (m + n up to ~2000) the bounds stay within 2·10⁵ machine epsilons of the largest
    result: far below the size of any real mistake."""
    eps = np.finfo(dtype).eps
    for sizes in SHAPES:
        args = kernels.make_inputs(op, sizes, dtype, seed=sizes["m"] + sizes["n"])
        ref, _ = reference_for(op, args)
        for value, tolerance in zip(ref.values, ref.tolerances, strict=True):
            scale = max(float(np.max(np.abs(value))), 1.0)
            assert np.max(tolerance) <= 2e5 * eps * scale, (op, sizes)


@pytest.mark.parametrize("op", kernels.OPS)
def test_backends_agree_with_each_other(op):
    """Each within the bound of the reference, so any two within twice that bound."""
    args = kernels.make_inputs(op, ANY_SHAPE, "float64", seed=7)
    ref, _ = reference_for(op, args)
    backends = implementing(op)
    results = {backend: run(backend, op, args) for backend in backends}
    for first, second in itertools.combinations(backends, 2):
        twice = tuple(2 * np.asarray(t) for t in ref.tolerances)
        assert_within(op, f"{first} vs {second}", results[first], results[second], twice)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("op", "backend"), OP_BACKEND_PARAMS)
def test_results_keep_the_input_dtype(op, backend, dtype):
    args = kernels.make_inputs(op, ANY_SHAPE, dtype)
    assert_result_dtypes(op, run(backend, op, args), dtype)


@pytest.mark.parametrize(("op", "backend"), OP_BACKEND_PARAMS)
def test_inputs_are_unchanged(op, backend):
    args = kernels.make_inputs(op, ANY_SHAPE, "float64", seed=3)
    before = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    run(backend, op, args)
    for original, after in zip(before, args, strict=True):
        np.testing.assert_array_equal(after, original)


@pytest.mark.parametrize(("op", "backend"), OP_BACKEND_PARAMS)
def test_bare_kernel_on_prepared_arguments_equals_public_op(op, backend):
    """What the benchmarks time is what the public op computes."""
    implementation = kernels.get(backend)
    args = kernels.make_inputs(op, ANY_SHAPE, "float64", seed=5)
    bare = implementation.timed(op)(*implementation.prepare(op, *args))
    public = run(backend, op, args)
    bare = bare if isinstance(bare, tuple) else (bare,)
    for b, p in zip(bare, public, strict=True):
        np.testing.assert_array_equal(np.asarray(b, dtype=np.float64), p)


def test_python_backend_runs_on_lists():
    implementation = kernels.get("python")
    a, b = implementation.prepare("dot", np.arange(3.0), np.arange(3))
    assert isinstance(a, list)
    assert isinstance(b, list)
    assert implementation.kernel("dot")(a, b) == 5.0


def test_keyword_arguments_are_accepted():
    w, b, X, y, eta = kernels.make_inputs("perceptron_epoch", {"m": 5, "n": 2})
    for backend in ("numpy", "numba"):  # the same call, by position and by name
        by_position = kernels.get(backend).perceptron_epoch(w, b, X, y, eta)
        by_name = kernels.get(backend).perceptron_epoch(w=w, b=b, X=X, y=y, eta=eta)
        np.testing.assert_array_equal(by_position[0], by_name[0])
        assert by_position[1:] == by_name[1:]


def test_a_backend_missing_an_op_is_an_error():
    """A backend module without every op cannot be registered, so no test of it can
    pass by not running."""
    spec = kernels.BackendSpec("incomplete", "kernels.checks", "nothing", "Incomplete", "#000000")
    with pytest.raises(NotImplementedError, match="backend 'incomplete' lacks ops"):
        kernels.register_backend(spec)
    assert "incomplete" not in kernels.BACKENDS


@pytest.mark.parametrize(
    ("results", "values"),
    [
        ((np.array([]),), (np.array([]),)),  # an empty result compares nothing
        ((), (1.0,)),  # a missing result
        ((np.ones(3),), (np.ones(2),)),  # the wrong shape
    ],
)
def test_a_comparison_of_nothing_fails(results, values):
    with pytest.raises(AssertionError):
        assert_within("logistic_forward", "test", results, values, (0.0,))
