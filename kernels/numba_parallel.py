"""Backend ``numba_parallel``: the loops spread over all cores with ``prange``.

Independent samples are shared out among threads. A scalar sum (``total +=`` inside a
``prange``) is a reduction Numba combines across threads by itself. The ops that sum
vectors over the samples — the gradients Xᵀ·errors — cut the rows into blocks
(``BLOCKS``) that the threads share out; each block runs the one-thread walk of
``python_loops`` (the ``*_sums`` functions) into its own partial vector, and the
partial vectors are added at the end. Same loop, more cores.

The per-sample rules (``adaline_sgd_epoch``, ``perceptron_epoch``) cannot be split:
each sample's update changes the weights the next sample sees. They reuse the
one-thread kernels of ``numba_jit`` unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numba.core.cpu_options import ParallelOptions

from kernels import numba_jit
from kernels.compile_once import compiled_once
from kernels.jit_cache import cached_njit
from kernels.python_loops import (
    adaline_gd_sums,
    cross_entropy,
    dot_in_quarters,
    in_dtype_of,
    logistic_backward_sums,
    logistic_forward_rows,
    logistic_gradient_sums,
    mlp_forward_rows,
    mlp_gradient_sums,
    transposed,
)

# The rows are cut into at most BLOCKS blocks of at least MIN_BLOCK_ROWS rows. A fixed
# count, not one per thread: the threads share the blocks out among themselves, the
# partial sums (and so the rounding) are the same whatever the number of threads, and
# nothing machine-specific is frozen into the compiled code Numba caches on disk.
BLOCKS = 64
MIN_BLOCK_ROWS = 64
# The shallow network's partial dW1 is n × h, not n: fewer blocks (8 x 784 x 1024 float64
# is 51 MB), still several per thread.
NETWORK_BLOCKS = 8
# dot's vectors: fewer, longer blocks than X's rows (BLOCKS of a 10^6-element dot are
# 16k elements, too short for the prefetchers to get going in each of a block's four
# streams: 0.80-0.99× np.dot at 2 threads against 0.93-1.12× with 8).
DOT_BLOCKS = 8


# Only the explicit ``prange`` loops run in parallel. Numba's other parallel passes would
# turn NumPy calls and array expressions into parallel loops of their own (here the
# np.zeros and .sum() of the per-block arrays: a few dozen numbers each, compiled at
# 0.2-0.7 s of CPU apiece and started on every thread at every call).
# A ParallelOptions, not a dict: Numba reads a dict of options by popping its keys, so
# the dict is empty after the first compile, and every later kernel would get every pass.
PRANGE_ONLY = ParallelOptions({
    "prange": True, "comprehension": False, "reduction": False, "inplace_binop": False,
    "setitem": False, "numpy": False, "stencil": False, "fusion": False,
})  # fmt: skip


def parallel_jit(function):
    """Compile a kernel whose ``prange`` loops run on all of Numba's threads."""
    return cached_njit(
        parallel=PRANGE_ONLY, fastmath=set(numba_jit.FASTMATH), error_model=numba_jit.ERROR_MODEL
    )(function)


@compiled_once
def block_count(m, most=BLOCKS):
    return max(1, min(most, m // MIN_BLOCK_ROWS))


@compiled_once
def row_block(block, blocks, m):
    """Rows [start, stop) of block number ``block`` when m rows are cut into ``blocks``."""
    return block * m // blocks, (block + 1) * m // blocks


@compiled_once
def sum_blocks(partial):
    """The column sums of the per-block partial vectors, in their own dtype."""
    blocks, n = partial.shape
    total = np.zeros(n, partial.dtype)
    for block in range(blocks):
        for j in range(n):
            total[j] += partial[block, j]
    return total


@parallel_jit
def dot(a, b):
    """``DOT_BLOCKS`` blocks of the vectors shared out among the threads, each summed by
    the one-thread walk of ``numba`` (``dot_in_quarters``: four streams of memory), and
    the blocks' sums added. A ``prange`` sum (``total += a[i] * b[i]``) gives each
    thread one stream: 0.81-0.94× ``np.dot`` at 2 threads in float64 on the 2-core
    machine, where this is 0.93-1.12× (and 1.0-1.9× in float32)."""
    n = len(a)
    blocks = block_count(n, DOT_BLOCKS)
    partial = np.zeros(blocks, a.dtype)  # float32 sums stay float32, as in one thread
    for block in prange(blocks):
        start, stop = row_block(block, blocks, n)
        partial[block] = dot_in_quarters(a[start:stop], b[start:stop])
    total = in_dtype_of(0.0, a)
    for block in range(blocks):
        total += partial[block]
    return total


@parallel_jit
def logistic_forward(w, b, X):
    m = X.shape[0]
    A = np.empty(m, w.dtype)
    blocks = block_count(m)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        logistic_forward_rows(w, b, X[start:stop], A[start:stop])
    return A


@parallel_jit
def logistic_cost(A, y, eps):
    total = 0.0
    for i in prange(len(A)):
        total += cross_entropy(A[i], y[i], eps)
    return total / len(A)


@parallel_jit
def logistic_backward(X, A, y):
    m, n = X.shape
    blocks = block_count(m)
    partial_dw = np.zeros((blocks, n), A.dtype)
    partial_error_sum = np.zeros(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        partial_error_sum[block] = logistic_backward_sums(
            X[start:stop], A[start:stop], y[start:stop], partial_dw[block]
        )
    dw = sum_blocks(partial_dw)
    for j in range(n):
        dw[j] /= m
    return dw, partial_error_sum.sum() / m


@parallel_jit
def logistic_gradient(w, b, X, y):
    m, n = X.shape
    blocks = block_count(m)
    partial_dw = np.zeros((blocks, n), w.dtype)
    partial_cost = np.zeros(blocks)
    partial_error_sum = np.zeros(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        partial_cost[block], partial_error_sum[block] = logistic_gradient_sums(
            w, b, X[start:stop], y[start:stop], partial_dw[block]
        )
    dw = sum_blocks(partial_dw)
    for j in range(n):
        dw[j] /= m
    return partial_cost.sum() / m, dw, partial_error_sum.sum() / m


@parallel_jit
def adaline_gd_epoch(w, b, X, y, eta):
    m, n = X.shape
    blocks = block_count(m)
    partial_gradient = np.zeros((blocks, n), w.dtype)
    partial_error_sum = np.zeros(blocks)
    partial_squared_sum = np.zeros(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        partial_error_sum[block], partial_squared_sum[block] = adaline_gd_sums(
            w, b, X[start:stop], y[start:stop], partial_gradient[block]
        )
    gradient = sum_blocks(partial_gradient)
    new_w = w.copy()
    for j in range(n):
        new_w[j] += eta * gradient[j]
    return new_w, b + eta * partial_error_sum.sum(), partial_squared_sum.sum() / 2.0


@parallel_jit
def mlp_forward(W1, b1, W2, b2, X):
    m = X.shape[0]
    W1T = transposed(W1, W2)
    A = np.empty(m, W2.dtype)
    blocks = block_count(m)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        mlp_forward_rows(W1T, b1, W2, b2, X[start:stop], A[start:stop])
    return A


@parallel_jit
def mlp_gradient(W1, b1, W2, b2, X, y):
    m, n = X.shape
    h = len(b1)
    W1T = transposed(W1, W2)
    blocks = block_count(m, NETWORK_BLOCKS)
    partial_dW1T = np.empty((blocks, h, n), W2.dtype)  # zeroed block by block, below
    partial_db1 = np.zeros((blocks, h), W2.dtype)
    partial_dW2 = np.zeros((blocks, h), W2.dtype)
    partial_cost = np.zeros(blocks)
    partial_error_sum = np.zeros(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        # each thread zeroes its own blocks' dW1 (8 × 1024 × 784 float64 is 51 MB: zeroed
        # on one thread it made h = 1024 6% slower at 2 threads)
        partial_dW1T[block].fill(0.0)
        partial_cost[block], partial_error_sum[block] = mlp_gradient_sums(
            W1T, b1, W2, b2, X[start:stop], y[start:stop],
            partial_dW1T[block], partial_db1[block], partial_dW2[block],
        )  # fmt: skip
    dW1T = sum_blocks(partial_dW1T.reshape(blocks, h * n))  # h·n sums, as one vector
    db1 = sum_blocks(partial_db1)
    dW2 = sum_blocks(partial_dW2)
    for k in range(h * n):
        dW1T[k] /= m
    for k in range(h):
        db1[k] /= m
        dW2[k] /= m
    dW1 = transposed(dW1T.reshape(h, n), W2)
    return partial_cost.sum() / m, dW1, db1, dW2, partial_error_sum.sum() / m


adaline_sgd_epoch = numba_jit.adaline_sgd_epoch
perceptron_epoch = numba_jit.perceptron_epoch
