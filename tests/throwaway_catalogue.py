"""A pytest plugin that grows the catalogue through its public registration only.

    pytest -p throwaway_catalogue ...

adds a throw-away backend (NumPy's module under another name, label and colour) and a
throw-away op (the sum of squares ‖a‖², with its description, its bounded reference and
one implementation per backend module). ``tests/test_catalogue.py`` runs the correctness
tests, the benchmarks and the report builder with it, and checks that all three include
both: that adding a backend or an op really is what the README says.
"""

from __future__ import annotations

import importlib

import numpy as np
from numba import njit

import kernels
from kernels.jax_engine import in_float64_scope
from kernels.reference import _sum_bound, exact_dot

BACKEND = "numpy_twin"
OP = "sum_of_squares"
NOT_INSTALLED = "absent_engine"  # a backend whose library is missing: listed, never run


# --- the op: description, reference, implementations -------------------------------------


def _inputs(rng, sizes, dtype):
    return (rng.standard_normal(sizes["n"]).astype(dtype),)


def _reference(a, u, tiny):
    return (exact_dot(a, a),), (_sum_bound(np.abs(a) @ np.abs(a), len(a), u, tiny),)


def _loop(a):
    """‖a‖² = Σᵢ aᵢ²"""
    total = 0.0
    for i in range(len(a)):
        total += a[i] * a[i]
    return total


def _vectorized(a):
    return np.dot(a, a)


def _vectorized_jax(a):
    import jax.numpy as jnp

    return jnp.dot(a, a)


def _vectorized_torch(a):
    import torch

    return torch.dot(a, a)


def pytest_configure(config) -> None:
    """Registered when pytest loads this plugin (``-p``), not when a test imports it."""
    jax_function = in_float64_scope(_vectorized_jax)
    implementations = {
        "python": _loop,
        "numpy": _vectorized,
        "numba": njit(_loop),
        "numba_parallel": njit(_loop),
        "jax": jax_function,
        "jax_autodiff": in_float64_scope(_vectorized_jax),
        "jax_onepass": jax_function,  # a variant takes the op from its base, as it is
        "dask": _vectorized,  # np.dot on Dask arrays: a lazy partial-sum tree
        "torch": _vectorized_torch,
        "torch_autograd": _vectorized_torch,
    }
    # What "implement it in every backend module" means, done from outside the file; a
    # backend that is not installed cannot be imported, and gets it where it is.
    # (A backend of a few ops, the BLAS ladder's steps, does not get it.)
    for backend in kernels.installed_backends():
        if kernels.BACKENDS[backend].ops is not None:
            continue
        module = importlib.import_module(kernels.BACKENDS[backend].module)
        setattr(module, OP, implementations[backend])

    kernels.register_op(
        kernels.Op(
            name=OP,
            formula="‖a‖² = Σᵢ aᵢ²",
            params=(kernels.Param("a", ("n",)),),
            returns=("scalar",),
            size_names=("n",),
            flops=lambda s: 2 * s["n"],
            bytes_moved=lambda s, item: s["n"] * item,
            make_inputs=_inputs,
        ),
        _reference,
    )
    kernels.register_backend(
        kernels.BackendSpec(
            BACKEND,
            "kernels.numpy_vectorized",
            "NumPy's module registered a second time, under another name",
            label="NumPy twin",
            colour="#17becf",
            interprets="sequential",
        )
    )
    kernels.register_backend(
        kernels.BackendSpec(
            NOT_INSTALLED,
            "kernels.absent_engine",
            "a module that needs a library this machine lacks",
            label="Absent engine",
            colour="#7f7f7f",
            requires=("vectorbench_absent_library",),
            install="pip install vectorbench-absent-library",
        )
    )
