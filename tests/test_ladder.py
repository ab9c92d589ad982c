"""The BLAS ladder's steps (kernels/numba_ladder.py): their block sizes follow the stated
rule, and every step is right whatever the blocks cut — rows, features and units left
over in every block, not only at the sizes the machine's caches pick."""

from __future__ import annotations

import numpy as np
import pytest
from support import assert_within, reference_for

import kernels
from kernels import numba_ladder
from kernels.ops import OPS

STEPS = {f"numba_{step}": number for number, step in enumerate(numba_ladder.STEPS, start=1)}


def test_the_ladder_is_the_catalogue_s_backends_of_some_ops():
    ladder = [name for name, spec in kernels.BACKENDS.items() if spec.ops is not None]
    assert ladder == list(STEPS)
    for name in ladder:
        assert kernels.BACKENDS[name].in_lesson is False


@pytest.mark.parametrize("itemsize", [8, 4])
def test_block_sizes_fill_half_of_each_cache(itemsize):
    l1d, l2 = 48 * 2**10, 2 * 2**20
    features, units = numba_ladder.blocks_for(10_000, 10_000, itemsize, l1d, l2)
    streams = numba_ladder.ROWS_PER_WALK + numba_ladder.UNITS_PER_WALK
    assert streams * features * itemsize <= l1d // 2 < streams * (features + 8) * itemsize
    assert units * features * itemsize <= l2 // 2 < (units + 2) * features * itemsize
    assert features % 8 == 0
    assert units % 2 == 0


def test_block_sizes_stay_within_the_matrix_and_a_tile():
    assert numba_ladder.blocks_for(3, 1, 8, 32 * 2**10, 512 * 2**10) == (3, 1)
    # caches too small for one tile: a tile's width all the same
    assert numba_ladder.blocks_for(100, 100, 8, 64, 64) == (8, 2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("backend", list(STEPS))
def test_every_step_is_right_in_blocks_that_leave_rows_features_and_units_over(backend, dtype):
    """m = 43 (a block of 32 rows and one of 11: three left over after the fours), n = 29
    in blocks of 8 (5 left over), h = 11 in blocks of 4 units (3 left over, one unpaired)."""
    sizes = {"m": 43, "n": 29, "h": 11}
    args = kernels.make_inputs("mlp_gradient", sizes, dtype, seed=11)
    implementation = kernels.get(backend)
    native = implementation.prepare("mlp_gradient", *args)
    results = numba_ladder.mlp_gradient_in_blocks(*native, STEPS[backend], 8, 4)
    ref, dtype_ = reference_for("mlp_gradient", args)
    finished = tuple(
        np.asarray(value, dtype_) if kind != "scalar" else float(value)
        for kind, value in zip(OPS["mlp_gradient"].returns, results, strict=True)
    )
    assert_within("mlp_gradient", backend, finished, ref.values, ref.tolerances)
