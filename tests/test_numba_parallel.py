"""numba_parallel runs its ``prange`` loops in parallel, and nothing else, in every kernel."""

from __future__ import annotations

import numpy as np
from numba import prange
from numba.core.caching import NullCache

from kernels.numba_parallel import PRANGE_ONLY, parallel_jit


def doubled_sum(x):
    """A prange loop between an np.zeros and a .sum(): with every parallel pass on, Numba
    makes three parallel loops of it; with PRANGE_ONLY, one."""
    partial = np.zeros(len(x))
    for i in prange(len(x)):
        partial[i] = 2.0 * x[i]
    return partial.sum()


def test_every_kernel_gets_prange_only_not_just_the_first():
    """Numba reads a dict of parallel options by popping its keys: a dict shared by the
    kernels held PRANGE_ONLY for the first compile only, and every later one got every
    pass. Two kernels, two dtypes each, compiled afresh (no cache): one parallel loop in
    each of the four."""
    loops = []
    for _ in range(2):
        kernel = parallel_jit(doubled_sum)
        kernel._cache = NullCache()  # compile here, whatever an earlier run cached
        for dtype in (np.float64, np.float32):
            assert kernel(np.arange(8, dtype=dtype)) == 56.0
        for compiled in kernel.overloads.values():
            loops.append(len(compiled.metadata["parfor_diagnostics"].initial_parfors))
    assert loops == [1, 1, 1, 1]
    assert PRANGE_ONLY.prange  # still the options it was
    assert not PRANGE_ONLY.numpy
