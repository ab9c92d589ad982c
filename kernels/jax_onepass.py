"""Backend ``jax_onepass``: the gradients in one pass over X, as the Numba loop takes them.

The ``jax`` backend's ``logistic_gradient`` is two matrix-vector products, z = Xw + b and
Xᵀ(σ(z) - y): XLA fuses the element-wise work around each product, never the two
products together, so X is read from memory twice. Here the rows are taken a block at a
time (``lax.fori_loop`` inside the compiled function): each block's forward pass, cost
and gradient are computed together, the block's second product reads it from the cache
the first one brought it into, and the partial sums are carried to the next block. Same
sums (``jax_engine.gradient_sums``), one read of X: what fusion buys, against ``jax``.

What it cannot do, measured on the 2-core machine (one thread, float64, 10⁴ × 100):
XLA runs the whole loop on one thread (it splits no product inside a loop over its
pool, whatever the block), and copies each block out of X before the block's products
(a dynamic-slice into a buffer of its own, in ``fori_loop``, ``scan`` and ``lax.map``
alike). Read from memory, that copy is the one read of X, and the pass beats NumPy's
two products (1.6-2.0× on one thread from 3·10⁶ elements). While X fits in the
last-level cache (10⁶ elements, 8 MB) the copy (about 190 µs) costs more than the
second read it saves (120-150 µs), and NumPy's products use both cores.

Batch Adaline (``adaline_gd_epoch``) is the same two products and gets the same pass.
Every other op reads X once already, or is the per-sample ``lax.scan``: ``jax``'s own.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax import lax

from kernels.caches import cache_sizes_or_defaults
from kernels.jax_engine import (
    adaline_sgd_epoch,
    adaline_sums,
    adaline_update,
    dot,
    gradient_from_sums,
    gradient_sums,
    in_float64_scope,
    logistic_backward,
    logistic_cost,
    logistic_forward,
    mlp_forward,
    mlp_gradient,
    perceptron_epoch,
)

__all__ = [
    "adaline_gd_epoch",
    "adaline_sgd_epoch",
    "dot",
    "logistic_backward",
    "logistic_cost",
    "logistic_forward",
    "logistic_gradient",
    "mlp_forward",
    "mlp_gradient",
    "perceptron_epoch",
]

# A block of rows in half of a core's L2 cache (this machine's, measured), where it stays
# between the block's two products. Beyond that the size hardly matters: the loop costs
# about 0.3 µs a block, and XLA copies each block out of X before its products (a dynamic
# slice is a buffer of its own), whatever its size. Blocks of 16 KiB to 4 MiB ran within
# 4% of each other (10⁴ and 10⁵ × 100 float64, one thread).
BLOCK_BYTES = cache_sizes_or_defaults()["l2"] // 2


def rows_per_block(X) -> int:
    """Rows of X in about ``BLOCK_BYTES``, at least one."""
    n = X.shape[1]
    return max(1, BLOCK_BYTES // (n * X.dtype.itemsize))


def summed_over_row_blocks(block_sums, X, y, *weights):
    """Σ over blocks of rows of ``block_sums(*weights, X_block, y_block)``: one pass over X.

    The shapes are known when XLA compiles, so the blocks are too: whole blocks of
    ``rows_per_block`` rows in a ``lax.fori_loop``, and the rows left over (fewer than a
    block) as one more block, which starts the sums.
    """
    m = X.shape[0]
    rows = min(m, rows_per_block(X))
    blocks = m // rows
    covered = blocks * rows

    def block(start, size):
        rows_of = lax.dynamic_slice_in_dim
        return block_sums(*weights, rows_of(X, start, size), rows_of(y, start, size))

    if covered < m:
        sums, first = block(covered, m - covered), 0
    else:
        sums, first = block(0, rows), 1

    def add_block(k, sums):
        return jax.tree.map(jnp.add, sums, block(k * rows, rows))

    return lax.fori_loop(first, blocks, add_block, sums)


@in_float64_scope
def logistic_gradient(w, b, X, y):
    """Forward, cost and backward block by block of rows, in one pass over X."""
    return gradient_from_sums(summed_over_row_blocks(gradient_sums, X, y, w, b), len(y))


@in_float64_scope
def adaline_gd_epoch(w, b, X, y, eta):
    """Batch Adaline's sums block by block of rows, in one pass over X; then the update."""
    return adaline_update(summed_over_row_blocks(adaline_sums, X, y, w, b), w, b, eta)
