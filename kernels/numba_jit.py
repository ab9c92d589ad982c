"""Backend ``numba``: the for-loops of ``python_loops``, compiled. The same code, one decorator.

One exception: ``dot`` is ``python_loops.dot_in_quarters``, the same sum walked as four
streams of memory, which the compiled loop reads faster than one (the Python loop does
not). Numba compiles each loop kernel to machine code for the dtypes it is called with
(float32 stays float32), on one thread. Compiled code is cached on disk beside the
source, so only the first call on a machine pays for compilation (the benchmarks
measure that cost on its own); the cache is dropped when a kernel source changes.

``fastmath`` allows only reassociation and contraction into fused multiply-adds: a sum
may be computed in any order (which lets LLVM use SIMD lanes for a reduction) and
a*b + c may round once instead of twice. Neither moves a result outside the
error bound γₙ·Σ|terms| (γₙ ≈ n·u) of a sum; "no NaN/inf" and approximate functions are not
allowed, so NaN and inf propagate as in the other backends.

``error_model="numpy"``: a float division by zero gives inf or NaN, as in NumPy, instead
of raising ``ZeroDivisionError`` as Python does. Python's rule costs a test and a branch
before every division, and a branch in a loop over samples stops LLVM from computing
several samples at once: σ's division alone made the logistic kernels 1.3-1.7× slower.
The checks in front of every op already rule out the empty inputs that could divide by
zero.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import numpy as np
from numba import config, types
from numba.extending import overload

from kernels import python_loops, vector_math
from kernels.compile_once import compile_once, compiled_once
from kernels.jit_cache import cached_njit

FASTMATH = frozenset({"reassoc", "contract"})
ERROR_MODEL = "numpy"
KERNEL_SOURCES = (
    "python_loops.py", "numba_jit.py", "numba_parallel.py", "numba_ladder.py", "vector_math.py",
)  # fmt: skip


def forget_stale_compiled_code() -> None:
    """Drop Numba's cached machine code when any kernel source has changed.

    Numba checks only the timestamp of the file that defines a compiled function, but
    the kernels of numba_parallel.py compile the loops of python_loops.py too: edit a
    loop there and numba_parallel would keep running the old one. A digest of all three
    files, kept beside the cache, notices the edit.
    """
    here = Path(__file__).parent
    digest = hashlib.sha256(b"".join((here / name).read_bytes() for name in KERNEL_SOURCES))
    cache_dirs = [Path(config.CACHE_DIR)] if config.CACHE_DIR else [here / "__pycache__"]
    with contextlib.suppress(OSError):  # a read-only checkout just keeps its cache
        for cache_dir in cache_dirs:
            stamp = cache_dir / "kernel-sources.sha256"
            if stamp.exists() and stamp.read_text() == digest.hexdigest():
                continue
            for name in KERNEL_SOURCES:
                for cached in cache_dir.rglob(f"{Path(name).stem}.*.nb[ic]"):
                    cached.unlink()
            cache_dir.mkdir(parents=True, exist_ok=True)
            stamp.write_text(digest.hexdigest())


forget_stale_compiled_code()


def jit(function):
    """Compile a loop kernel for one thread, cached on disk (a damaged cache heals)."""
    return cached_njit(fastmath=set(FASTMATH), error_model=ERROR_MODEL)(function)


# The loop kernels' helpers are plain arithmetic and compile as they are (the *_sums
# walks are also what each thread of numba_parallel runs on its block of rows); zeros
# zeros_matrix and copy make lists in Python and arrays of the input's dtype here.
for helper in (
    python_loops.dot_in_quarters,
    python_loops.net_input,
    python_loops.net_inputs,
    python_loops.add_weighted_rows,
    python_loops.net_inputs_in_order,
    python_loops.add_weighted_rows_of_quarters,
    python_loops.errors_of,
    python_loops.logistic_forward_rows,
    python_loops.logistic_backward_sums,
    python_loops.net_inputs_of_quarters,
    python_loops.logistic_errors,
    python_loops.logistic_gradient_sums,
    python_loops.adaline_gd_sums,
    python_loops.adaline_sgd_steps,
    python_loops.transposed,
    python_loops.hidden_layer,
    python_loops.mlp_forward_rows,
    python_loops.output_layer_errors,
    python_loops.mlp_gradient_sums,
    python_loops.mlp_gradient_means,
):
    compiled_once(helper)
# The per-sample σ and cross-entropy are inlined into the loops (Numba's own inliner:
# LLVM would leave them as calls), so that a loop over samples can be vectorized; so are
# the walks of four samples along w and along a gradient: left as a call, the walk along
# w handed its four sums back through memory (float32's fused gradient took 1.7× as
# long); the walk along the gradient is inlined for the same reason, not measured alone.
for helper in (
    python_loops.four_net_inputs,
    python_loops.add_four_weighted_rows,
    python_loops.sigmoid,
    python_loops.cross_entropy,
    python_loops.sigmoid_and_cross_entropy,
):
    compiled_once(helper, inline="always")


def _vector_math(x):
    """The vectorizable transcendentals for a float argument's type (None: not a float)."""
    if isinstance(x, types.Float):
        return vector_math.FLOAT32 if x == types.float32 else vector_math.FLOAT64
    return None


def _transcendental(name):
    """Numba's typing of python_loops.<name>: vector_math's version for the float type."""

    def typing(x):
        if (functions := _vector_math(x)) is not None:
            function = getattr(functions, name)
            return lambda x: function(x)
        return None

    return typing


for _name in ("exp", "log", "log1p", "log1p_unit", "tanh"):
    overload(getattr(python_loops, _name), inline="always")(_transcendental(_name))


@overload(python_loops.in_dtype_of, inline="always")
def _in_dtype_of(value, array):
    if isinstance(array, types.Array) and isinstance(array.dtype, types.Float):
        dtype = array.dtype
        return lambda value, array: dtype(value)
    return None


@overload(python_loops.zeros)
def _zeros(n, like):
    return lambda n, like: np.zeros(n, like.dtype)


@overload(python_loops.zeros_matrix)
def _zeros_matrix(rows, cols, like):
    return lambda rows, cols, like: np.zeros((rows, cols), like.dtype)


@overload(python_loops.copy)
def _copy(vector):
    return lambda vector: vector.copy()


# What these compile depends on the argument types and four inherited flags only.
for _function in (
    python_loops.exp, python_loops.log, python_loops.log1p, python_loops.log1p_unit,
    python_loops.tanh, python_loops.in_dtype_of, python_loops.zeros, python_loops.zeros_matrix,
    python_loops.copy,
):  # fmt: skip
    compile_once(_function)


dot = jit(python_loops.dot_in_quarters)  # dot's sum, four streams of memory at once
logistic_forward = jit(python_loops.logistic_forward)
logistic_cost = jit(python_loops.logistic_cost)
logistic_backward = jit(python_loops.logistic_backward)
logistic_gradient = jit(python_loops.logistic_gradient)
adaline_gd_epoch = jit(python_loops.adaline_gd_epoch)
adaline_sgd_epoch = jit(python_loops.adaline_sgd_epoch)
perceptron_epoch = jit(python_loops.perceptron_epoch)
mlp_forward = jit(python_loops.mlp_forward)
mlp_gradient = jit(python_loops.mlp_gradient)
