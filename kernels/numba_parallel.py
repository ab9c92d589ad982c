"""Backend ``numba_parallel``: the loops spread over all cores with ``prange``.

Independent samples are shared out among threads. A scalar sum (``total +=`` inside a
``prange``) is a reduction Numba combines across threads by itself. A vector sum such
as the gradient Xᵀ·errors is done by hand: the rows are cut into one block per thread
(``MAX_BLOCKS``), each block accumulates into its own local vector (no two threads
write the same cache line), and the few partial vectors are added at the end.

The per-sample rules (``adaline_sgd_epoch``, ``perceptron_epoch``) cannot be split:
each sample's update changes the weights the next sample sees. They reuse the
one-thread kernels of ``numba_jit`` unchanged.
"""

from __future__ import annotations

import numpy as np
from numba import config, njit, prange
from numba.extending import register_jitable

from kernels import numba_jit
from kernels.python_loops import cross_entropy, sigmoid

# One block of rows per thread Numba may start. A constant, not get_num_threads():
# that call stops Numba from caching the compiled kernel. With fewer threads at run time
# (numba.set_num_threads) a thread simply takes several blocks.
MAX_BLOCKS = config.NUMBA_NUM_THREADS


def parallel_jit(function):
    """Compile a kernel whose ``prange`` loops run on all of Numba's threads."""
    return njit(parallel=True, cache=True, fastmath=set(numba_jit.FASTMATH))(function)


@register_jitable
def row_block(block, blocks, m):
    """Rows [start, stop) of block number ``block`` when m rows are cut into ``blocks``."""
    return block * m // blocks, (block + 1) * m // blocks


@register_jitable
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
    total = 0.0
    for i in prange(len(a)):
        total += a[i] * b[i]
    return total


@parallel_jit
def logistic_forward(w, b, X):
    m, n = X.shape
    A = np.empty(m, w.dtype)
    for i in prange(m):
        z = b
        for j in range(n):
            z += w[j] * X[i, j]
        A[i] = sigmoid(z)
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
    blocks = min(MAX_BLOCKS, m)
    partial_dw = np.empty((blocks, n), A.dtype)
    partial_db = np.empty(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        dw = np.zeros(n, A.dtype)
        db = 0.0
        for i in range(start, stop):
            error = A[i] - y[i]
            db += error
            for j in range(n):
                dw[j] += error * X[i, j]
        partial_dw[block] = dw
        partial_db[block] = db
    dw = sum_blocks(partial_dw)
    for j in range(n):
        dw[j] /= m
    return dw, partial_db.sum() / m


@parallel_jit
def logistic_gradient(w, b, X, y, eps):
    m, n = X.shape
    blocks = min(MAX_BLOCKS, m)
    partial_dw = np.empty((blocks, n), w.dtype)
    partial_db = np.empty(blocks)
    partial_cost = np.empty(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        dw = np.zeros(n, w.dtype)
        db = 0.0
        cost = 0.0
        for i in range(start, stop):
            z = b
            for j in range(n):
                z += w[j] * X[i, j]
            a = sigmoid(z)
            cost += cross_entropy(a, y[i], eps)
            error = a - y[i]
            db += error
            for j in range(n):
                dw[j] += error * X[i, j]
        partial_dw[block] = dw
        partial_db[block] = db
        partial_cost[block] = cost
    dw = sum_blocks(partial_dw)
    for j in range(n):
        dw[j] /= m
    return partial_cost.sum() / m, dw, partial_db.sum() / m


@parallel_jit
def adaline_gd_epoch(w, b, X, y, eta):
    m, n = X.shape
    blocks = min(MAX_BLOCKS, m)
    partial_gradient = np.empty((blocks, n), w.dtype)
    partial_error_sum = np.empty(blocks)
    partial_cost = np.empty(blocks)
    for block in prange(blocks):
        start, stop = row_block(block, blocks, m)
        gradient = np.zeros(n, w.dtype)
        error_sum = 0.0
        cost = 0.0
        for i in range(start, stop):
            z = b
            for j in range(n):
                z += w[j] * X[i, j]
            error = y[i] - z
            error_sum += error
            cost += error * error
            for j in range(n):
                gradient[j] += error * X[i, j]
        partial_gradient[block] = gradient
        partial_error_sum[block] = error_sum
        partial_cost[block] = cost
    gradient = sum_blocks(partial_gradient)
    new_w = w.copy()
    for j in range(n):
        new_w[j] += eta * gradient[j]
    return new_w, b + eta * partial_error_sum.sum(), partial_cost.sum() / 2.0


adaline_sgd_epoch = numba_jit.adaline_sgd_epoch
perceptron_epoch = numba_jit.perceptron_epoch
