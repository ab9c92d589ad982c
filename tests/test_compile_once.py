"""A helper the kernels call is compiled once per argument types, not once per caller."""

from __future__ import annotations

import numpy as np
from numba import njit, prange, types
from numba.core import event

from kernels import numba_jit, python_loops
from kernels.compile_once import compiled_once

FLAGS = {"fastmath": set(numba_jit.FASTMATH), "error_model": numba_jit.ERROR_MODEL}


class Compiles(event.Listener):
    """The argument types of each compilation of one Python function, as they happen."""

    def __init__(self, function):
        self.function, self.args = function, []

    def on_start(self, ev):
        if ev.data["dispatcher"].py_func is self.function:
            self.args.append(tuple(ev.data["args"]))

    def on_end(self, ev):
        pass


def _callers(helper):
    """A one-thread and a parallel kernel (whose flags differ) calling ``helper``, and
    one whose fastmath differs (a flag the helper inherits)."""

    @njit(**FLAGS)
    def serial(a):
        total = 0.0
        for i in range(len(a)):
            total += helper(a[i])
        return total

    @njit(parallel=True, **FLAGS)
    def parallel(a):
        total = 0.0
        for i in prange(len(a)):
            total += helper(a[i])
        return total

    @njit(error_model=numba_jit.ERROR_MODEL)
    def strict(a):
        total = 0.0
        for i in range(len(a)):
            total += helper(a[i])
        return total

    return serial, parallel, strict


def test_a_helper_is_compiled_once_for_one_thread_and_parallel_callers():
    def twice(x):
        return 2.0 * x

    compiled_once(twice)
    serial, parallel, strict = _callers(twice)
    a = np.arange(10.0)
    compiles = Compiles(twice)
    with event.install_listener("numba:compile", compiles):
        assert serial(a) == parallel(a) == 90.0
        assert compiles.args == [(types.float64,)]  # the parallel caller reused it
        assert strict(a) == 90.0  # another fastmath is other machine code: compiled again
        assert serial(a.astype(np.float32)) == 90.0  # other argument types: compiled anew
    assert compiles.args == [(types.float64,), (types.float64,), (types.float32,)]


def test_the_kernels_helpers_are_registered_to_compile_once():
    from kernels.compile_once import _get_impl_once, _templates_of

    for function in (
        python_loops.logistic_gradient_sums,
        python_loops.sigmoid,
        python_loops.exp,
        python_loops.in_dtype_of,
    ):
        templates = _templates_of(function)
        assert templates, function.__name__
        assert all(t._get_impl is _get_impl_once for t in templates), function.__name__
