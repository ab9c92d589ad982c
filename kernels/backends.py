"""The registry: one ``Backend`` object per implementation, all behind the same checks.

A ``Backend``'s attributes are the ops (``kernels.get("numba").dot(a, b)``). Each public
op does three things, and only the middle one differs between backends:

1. ``check_arguments`` (shared): validate, pick the computation dtype, convert;
2. ``to_native`` then the bare kernel: lists for the loops, C-contiguous arrays for
   Numba, any NumPy array for NumPy;
3. results back to the common form: NumPy arrays of the computation dtype, Python
   floats, and a Python int for the perceptron's error count.

Benchmarks time only the bare kernel on inputs from ``prepare`` (step 1 and the
conversion, done once, outside the timed region).
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from functools import cache

import numpy as np

from kernels.checks import check_arguments, check_fits_as_lists
from kernels.ops import OPS as OP_SPECS

BACKENDS = ("python", "numpy", "numba", "numba_parallel")
OPS = tuple(OP_SPECS)

_MODULES = {
    "python": "kernels.python_loops",
    "numpy": "kernels.numpy_vectorized",
    "numba": "kernels.numba_jit",
    "numba_parallel": "kernels.numba_parallel",
}


def _to_list(value):
    if not isinstance(value, np.ndarray):
        return value
    check_fits_as_lists(value)
    return value.tolist()


def _to_contiguous(value):
    return np.ascontiguousarray(value) if isinstance(value, np.ndarray) else value


def _unchanged(value):
    return value


_NATIVE = {
    "python": _to_list,
    "numpy": _unchanged,
    "numba": _to_contiguous,
    "numba_parallel": _to_contiguous,
}


def _finish(kind: str, value, dtype: np.dtype):
    if kind == "vector":
        # Lists (from the loops) become arrays; arrays are returned as computed, so a
        # backend that changed the dtype is caught by the tests, not hidden here.
        return np.array(value, dtype=dtype) if isinstance(value, list) else value
    if kind == "count":
        return int(value)
    # A value of the computation dtype, as a Python float: the loops carry float64
    # intermediates, so a float32 result is rounded here (and is inf beyond its range).
    return float(dtype.type(value))


class Backend:
    """One implementation of every op in ``kernels.OPS``."""

    def __init__(self, name: str):
        self.name = name
        self.module = importlib.import_module(_MODULES[name])
        self.to_native = _NATIVE[name]
        missing = [op for op in OPS if not callable(getattr(self.module, op, None))]
        if missing:
            raise NotImplementedError(f"backend {name!r} lacks ops {missing}")
        for op in OPS:
            setattr(self, op, self._public(op))

    def __repr__(self) -> str:
        return f"<kernels backend {self.name!r}>"

    def kernel(self, op: str) -> Callable:
        """The bare kernel: native arguments in (see ``prepare``), native results out."""
        return getattr(self.module, op)

    def prepare(self, op: str, *args, **kwargs) -> tuple:
        """Check and convert arguments once, for calling ``kernel(op)`` repeatedly."""
        checked, _ = check_arguments(op, args, kwargs)
        return tuple(self.to_native(value) for value in checked)

    def _public(self, op: str) -> Callable:
        spec = OP_SPECS[op]
        kernel = self.kernel(op)
        to_native = self.to_native
        returns = spec.returns

        def public(*args, **kwargs):
            checked, dtype = check_arguments(op, args, kwargs)
            # NaN and inf propagate silently in every backend, as they do in compiled
            # loops: NumPy would warn on reaching them in a product or on a float32 cast.
            with np.errstate(all="ignore"):
                result = kernel(*(to_native(value) for value in checked))
                if len(returns) == 1:
                    return _finish(returns[0], result, dtype)
                return tuple(_finish(k, v, dtype) for k, v in zip(returns, result, strict=True))

        public.__name__ = public.__qualname__ = op
        public.__doc__ = f"{spec.formula}\n\n({self.name} backend; see kernels.ops.OPS[{op!r}])"
        public.__signature__ = inspect.Signature(
            [inspect.Parameter(n, inspect.Parameter.POSITIONAL_OR_KEYWORD) for n in spec.arg_names]
        )
        return public


@cache
def get(backend: str) -> Backend:
    """The backend called ``backend``, one of ``kernels.BACKENDS``."""
    if backend not in _MODULES:
        raise ValueError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    return Backend(backend)
