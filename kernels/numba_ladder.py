"""Backends ``numba_blocked``, ``numba_tiled``, ``numba_packed``: how BLAS gets its speed,
in three small steps from the ``numba`` loop of the shallow network's gradient.

``mlp_gradient`` spends nearly all its time in two products with X: the forward product
Z = X W1 (each hidden unit's net inputs) and the backward product dW1 = Xᵀ dZ1. The
``numba`` loop (``python_loops.mlp_gradient_sums``) already walks X a block of rows at a
time and four rows per walk along a unit's weights. Each step here changes only those
two products; the rest — tanh, the output unit, the cost, the errors, the means — is the
``numba`` loop's own code (``hidden_layer``'s tanh, ``output_layer_errors``,
``mlp_gradient_means``). Read the three steps top to bottom, each beside the last:

1. **blocked** (``*_blocked``): the walks are cut into blocks of ``features`` features
   and ``units`` hidden units, and turned around: four rows of X stay in L1 while every
   unit of a block of W1ᵀ (in L2) walks along them. It removes most loads from L2: the
   numba loop fetched the block's rows of X from L2 at every walk, one per multiply-add;
   now L2 delivers one weight per four.
2. **register tile** (``*_tiled``): each walk computes four rows × two units (eight
   sums in registers) instead of four rows × one unit: each number loaded from X feeds
   two multiply-adds, each weight four. It removes loads: the cache's bandwidth, not
   the multipliers, was the limit.
3. **packed** (``*_packed``): before a block of W1ᵀ is used, it is copied into one
   contiguous buffer, in the order the walks read it. It removes the scattered reads of
   a block spread over many rows of W1ᵀ (cache sets and pages it would otherwise share
   with X), at the price of one copy per block.

A tuned BLAS goes further: a micro-kernel in assembly with the tile sized to the
registers, X packed as well, prefetching. The report's roofline section shows each
step's GFLOP/s beside BLAS's.

The block sizes come from the machine's caches (``block_sizes``), read once per shape
outside the kernels' loops; they are arguments of the compiled loops, so no machine's
cache is frozen into the machine code Numba caches on disk.
"""

from __future__ import annotations

import functools

import numpy as np

from kernels import numba_jit
from kernels.caches import cache_sizes_or_defaults
from kernels.compile_once import compiled_once
from kernels.jit_cache import cached_njit
from kernels.python_loops import (
    BLOCK_ROWS,
    in_dtype_of,
    mlp_gradient_means,
    output_layer_errors,
    tanh,
    transposed,
)

STEPS = ("blocked", "tiled", "packed")  # the backends' order: one small step each
ROWS_PER_WALK, UNITS_PER_WALK = 4, 2  # the register tile: four rows × two units


def blocks_for(n: int, h: int, itemsize: int, l1d: int, l2: int) -> tuple[int, int]:
    """(features, units) of a block of W1ᵀ for caches of l1d and l2 bytes: the walks of a
    register tile — four rows of X and two of W1ᵀ, ``features`` long — fill at most half
    of L1, and the block, units × features, at most half of L2. At least one tile's width
    of each (8 features, two units); at most the whole matrix."""
    streams = ROWS_PER_WALK + UNITS_PER_WALK
    features = min(n, max(8, l1d // 2 // (streams * itemsize) // 8 * 8))
    units = max(UNITS_PER_WALK, l2 // 2 // (features * itemsize) // UNITS_PER_WALK * UNITS_PER_WALK)
    return features, min(h, units)


@functools.cache
def block_sizes(n: int, h: int, itemsize: int) -> tuple[int, int]:
    """``blocks_for`` this machine's caches (``kernels.caches``)."""
    caches = cache_sizes_or_defaults()
    return blocks_for(n, h, itemsize, caches["l1d"], caches["l2"])


jit = numba_jit.jit
# The steps' loops are compiled into the one cached function that calls them,
# ``mlp_gradient_in_blocks``, with its flags (fastmath, error model): as cached functions
# of their own (``jit``), each was also optimised, turned into machine code and written to
# disk on its own, then again inside every caller: 25.3-30.2 s of CPU to compile the
# ladder in both dtypes, against 18.1-21.9 s so (same results to the bit, run times
# 0.92-1.04x in one process side by side, 6 December).
loops = compiled_once
# The register tiles are inlined where they are called (Numba's own inliner): LLVM then
# sees the walk inside the loop over units and keeps the tile's sums in registers.
tile = cached_njit(
    inline="always", fastmath=set(numba_jit.FASTMATH), error_model=numba_jit.ERROR_MODEL
)


# --- step 1: blocked for the cache ---------------------------------------------------------
#
# The numba loop walks one unit's weights with four rows of X at a time, over all n
# features, row group after row group: the unit's weights stay in L1, but the block's
# rows of X (32 rows × n features) do not, and come from L2 at every walk, one load per
# multiply-add. Cut into blocks, the loops turn around: four rows of X, ``features``
# long, stay in L1 while every unit of a block of W1ᵀ (``units`` × ``features``, in L2)
# walks along them. L2 then delivers one weight per four multiply-adds.


@loops
def forward_blocked(X, start, stop, W1T, Z, features, units):
    """Z[r][k] += X[start + r] · W1T[k], one block of W1T (units × features) at a time."""
    n, h = X.shape[1], W1T.shape[0]
    fours = start + (stop - start) // 4 * 4
    for k0 in range(0, h, units):
        for p0 in range(0, n, features):
            p1 = min(p0 + features, n)
            for i in range(start, fours, 4):  # four rows of X, in L1 for the whole block
                x0, x1, x2, x3 = X[i, p0:p1], X[i + 1, p0:p1], X[i + 2, p0:p1], X[i + 3, p0:p1]
                r = i - start
                for k in range(k0, min(k0 + units, h)):
                    w = W1T[k, p0:p1]
                    z0 = z1 = z2 = z3 = in_dtype_of(0.0, w)
                    for p in range(p1 - p0):
                        z0 += w[p] * x0[p]
                        z1 += w[p] * x1[p]
                        z2 += w[p] * x2[p]
                        z3 += w[p] * x3[p]
                    Z[r, k] += z0
                    Z[r + 1, k] += z1
                    Z[r + 2, k] += z2
                    Z[r + 3, k] += z3
            for k in range(k0, min(k0 + units, h)):  # the last few rows, one at a time
                forward_rest(X, start, stop, W1T, Z, fours - start, k, p0, p1)


@loops
def forward_rest(X, start, stop, W1T, Z, r0, k, p0, p1):
    """Z[r][k] += X[start + r, p0:p1] · W1T[k, p0:p1] for the rows from r0 on, one at a
    time: the rows (and units) a walk of four did not cover."""
    w = W1T[k, p0:p1]
    for i in range(start + r0, stop):
        x = X[i, p0:p1]
        z = in_dtype_of(0.0, w)
        for p in range(p1 - p0):
            z += w[p] * x[p]
        Z[i - start, k] += z


@loops
def backward_blocked(X, start, stop, D, dW1T, features, units):
    """dW1T[k] += Σᵣ D[r][k]·X[start + r], one block of dW1T (units × features) at a time."""
    n, h = X.shape[1], dW1T.shape[0]
    fours = start + (stop - start) // 4 * 4
    for k0 in range(0, h, units):
        for p0 in range(0, n, features):
            p1 = min(p0 + features, n)
            for i in range(start, fours, 4):  # four rows of X, in L1 for the whole block
                x0, x1, x2, x3 = X[i, p0:p1], X[i + 1, p0:p1], X[i + 2, p0:p1], X[i + 3, p0:p1]
                r = i - start
                for k in range(k0, min(k0 + units, h)):
                    v = dW1T[k, p0:p1]
                    e0, e1, e2, e3 = D[r, k], D[r + 1, k], D[r + 2, k], D[r + 3, k]
                    for p in range(p1 - p0):
                        v[p] += e0 * x0[p] + e1 * x1[p] + e2 * x2[p] + e3 * x3[p]
            for k in range(k0, min(k0 + units, h)):  # the last few rows, one at a time
                backward_rest(X, start, stop, D, dW1T, fours - start, k, p0, p1)


@loops
def backward_rest(X, start, stop, D, dW1T, r0, k, p0, p1):
    """dW1T[k, p0:p1] += Σᵣ D[r][k]·X[start + r, p0:p1] for the rows from r0 on."""
    v = dW1T[k, p0:p1]
    for i in range(start + r0, stop):
        e, x = D[i - start, k], X[i, p0:p1]
        for p in range(p1 - p0):
            v[p] += e * x[p]


# --- step 2: a register tile of four rows × two units ---------------------------------------
#
# A walk of the blocked loop loads five numbers (a weight, four x) for four multiply-adds.
# Two units per walk: six loads (two weights, four x) for eight multiply-adds, and eight
# sums held in registers.


@tile
def forward_tile(x0, x1, x2, x3, w0, w1, Z, r, k):
    """Eight net inputs at once: rows r..r+3 of Z, units k and k+1. Each x loaded feeds
    two multiply-adds, each w four; the eight sums live in registers."""
    z00 = z10 = z20 = z30 = z01 = z11 = z21 = z31 = in_dtype_of(0.0, w0)
    for p in range(len(w0)):
        a0, a1 = w0[p], w1[p]
        b0, b1, b2, b3 = x0[p], x1[p], x2[p], x3[p]
        z00 += a0 * b0
        z10 += a0 * b1
        z20 += a0 * b2
        z30 += a0 * b3
        z01 += a1 * b0
        z11 += a1 * b1
        z21 += a1 * b2
        z31 += a1 * b3
    Z[r, k] += z00
    Z[r + 1, k] += z10
    Z[r + 2, k] += z20
    Z[r + 3, k] += z30
    Z[r, k + 1] += z01
    Z[r + 1, k + 1] += z11
    Z[r + 2, k + 1] += z21
    Z[r + 3, k + 1] += z31


@loops
def forward_tiled(X, start, stop, W1T, Z, features, units, packed):
    """``forward_blocked`` with the register tile: four rows × two units per walk. With
    ``packed``, step 3's buffer, each block of W1T is read from its packed copy; with
    None, where it is (Numba compiles each case on its own: the test costs nothing)."""
    n, h = X.shape[1], W1T.shape[0]
    fours = start + (stop - start) // 4 * 4
    for k0 in range(0, h, units):
        k1 = min(k0 + units, h)
        pairs = k0 + (k1 - k0) // 2 * 2
        for p0 in range(0, n, features):
            p1 = min(p0 + features, n)
            if packed is not None:
                block = pack(W1T, k0, k1, p0, p1, packed)
            for i in range(start, fours, 4):  # four rows of X, in L1 for the whole block
                x0, x1, x2, x3 = X[i, p0:p1], X[i + 1, p0:p1], X[i + 2, p0:p1], X[i + 3, p0:p1]
                for k in range(k0, pairs, 2):
                    if packed is None:
                        w0, w1 = W1T[k, p0:p1], W1T[k + 1, p0:p1]
                    else:
                        w0, w1 = block[k - k0], block[k - k0 + 1]
                    forward_tile(x0, x1, x2, x3, w0, w1, Z, i - start, k)
            for k in range(k0, pairs):  # the last few rows, one at a time
                forward_rest(X, start, stop, W1T, Z, fours - start, k, p0, p1)
            for k in range(pairs, k1):  # an odd unit out
                forward_rest(X, start, stop, W1T, Z, 0, k, p0, p1)


@tile
def backward_tile(x0, x1, x2, x3, D, r, k, v0, v1):
    """v0 += Σₜ D[r + t][k]·xₜ and v1 the same for unit k + 1, t = 0..3: the eight errors
    in registers, each x loaded feeding two multiply-adds."""
    e00, e10, e20, e30 = D[r, k], D[r + 1, k], D[r + 2, k], D[r + 3, k]
    e01, e11, e21, e31 = D[r, k + 1], D[r + 1, k + 1], D[r + 2, k + 1], D[r + 3, k + 1]
    for p in range(len(v0)):
        a, b, c, d = x0[p], x1[p], x2[p], x3[p]
        v0[p] += e00 * a + e10 * b + e20 * c + e30 * d
        v1[p] += e01 * a + e11 * b + e21 * c + e31 * d


@loops
def backward_tiled(X, start, stop, D, dW1T, features, units):
    """``backward_blocked`` with the register tile: four rows × two units per walk."""
    n, h = X.shape[1], dW1T.shape[0]
    fours = start + (stop - start) // 4 * 4
    for k0 in range(0, h, units):
        k1 = min(k0 + units, h)
        pairs = k0 + (k1 - k0) // 2 * 2
        for p0 in range(0, n, features):
            p1 = min(p0 + features, n)
            for i in range(start, fours, 4):  # four rows of X, in L1 for the whole block
                x0, x1, x2, x3 = X[i, p0:p1], X[i + 1, p0:p1], X[i + 2, p0:p1], X[i + 3, p0:p1]
                for k in range(k0, pairs, 2):
                    v0, v1 = dW1T[k, p0:p1], dW1T[k + 1, p0:p1]
                    backward_tile(x0, x1, x2, x3, D, i - start, k, v0, v1)
            for k in range(k0, pairs):  # the last few rows, one at a time
                backward_rest(X, start, stop, D, dW1T, fours - start, k, p0, p1)
            for k in range(pairs, k1):  # an odd unit out
                backward_rest(X, start, stop, D, dW1T, 0, k, p0, p1)


# --- step 3: the register tile on a packed block of W1ᵀ --------------------------------------
#
# A block of W1ᵀ is ``units`` pieces of rows n apart in memory; copied into one buffer,
# it is one run of consecutive addresses, which the cache holds without two pieces
# competing for the same place, and the hardware prefetcher follows as one stream.


@loops
def pack(W1T, k0, k1, p0, p1, packed):
    """The block W1T[k0:k1, p0:p1], copied into the front of ``packed``, as a matrix."""
    width = p1 - p0
    block = packed[: (k1 - k0) * width].reshape((k1 - k0, width))
    for k in range(k0, k1):
        row, weights = block[k - k0], W1T[k, p0:p1]
        for p in range(width):
            row[p] = weights[p]
    return block


# --- the gradient: the numba loop's walk, with a step's two products ----------------------


@loops
def mlp_gradient_sums(W1T, b1, W2, b2, X, y, dW1T, db1, dW2, step, features, units):
    """``python_loops.mlp_gradient_sums`` with the two products of ``step`` (1 blocked,
    2 register tile, 3 packed): adds the sums into dW1T, db1, dW2; returns the summed
    cross-entropy and Σᵢ dz2ᵢ."""
    m, h = X.shape[0], len(b1)
    H = np.zeros((BLOCK_ROWS, h), W2.dtype)  # the block's net inputs, then activations
    D = np.zeros((BLOCK_ROWS, h), W2.dtype)  # ... and their errors dz1
    packed = np.empty(units * features, W2.dtype)  # step 3's copy of a block of W1T
    cost = 0.0
    error_sum = 0.0
    for start in range(0, m, BLOCK_ROWS):
        stop = min(start + BLOCK_ROWS, m)
        for r in range(stop - start):
            for k in range(h):
                H[r, k] = b1[k]
        if step == 1:
            forward_blocked(X, start, stop, W1T, H, features, units)
        elif step == 2:
            forward_tiled(X, start, stop, W1T, H, features, units, None)
        else:
            forward_tiled(X, start, stop, W1T, H, features, units, packed)
        for r in range(stop - start):
            for k in range(h):
                H[r, k] = tanh(H[r, k])
        block_cost, block_error_sum = output_layer_errors(b2, W2, y, start, stop, H, D, db1, dW2)
        cost += block_cost
        error_sum += block_error_sum
        if step == 1:
            backward_blocked(X, start, stop, D, dW1T, features, units)
        else:
            backward_tiled(X, start, stop, D, dW1T, features, units)
    return cost, error_sum


@jit
def mlp_gradient_in_blocks(W1, b1, W2, b2, X, y, step, features, units):
    m, n, h = X.shape[0], W1.shape[0], len(b1)
    dW1T = np.zeros((h, n), W2.dtype)
    db1 = np.zeros(h, W2.dtype)
    dW2 = np.zeros(h, W2.dtype)
    sums = mlp_gradient_sums(transposed(W1, W2), b1, W2, b2, X, y, dW1T, db1, dW2, step,
                             features, units)  # fmt: skip
    cost, error_sum = sums
    return mlp_gradient_means(m, cost, dW1T, db1, dW2, error_sum)


def _step(number: int):
    """The ``mlp_gradient`` of step ``number``: the block sizes for the shape and dtype
    looked up (computed on the first call, outside any timed region), then the loops."""

    def mlp_gradient(W1, b1, W2, b2, X, y):
        features, units = block_sizes(W1.shape[0], W1.shape[1], W2.itemsize)
        return mlp_gradient_in_blocks(W1, b1, W2, b2, X, y, number, features, units)

    mlp_gradient.__qualname__ = f"{STEPS[number - 1]}.mlp_gradient"
    return mlp_gradient


class _Step:
    """One rung's module-like namespace: the backend's one op."""

    def __init__(self, number: int):
        self.mlp_gradient = _step(number)


blocked, tiled, packed = (_Step(number) for number in (1, 2, 3))
