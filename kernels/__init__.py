"""Interchangeable kernels: the same operations in several backends, behind one contract.

>>> import kernels, numpy as np
>>> kernels.get("numba").dot(np.arange(3.0), np.ones(3))
3.0

The catalogue: ``kernels.OPS`` maps each op's name to its description (``kernels.ops.Op``:
shapes, FLOPs, bytes, inputs) and ``kernels.BACKENDS`` each backend's name to its
description (``kernels.backends.BackendSpec``); ``register_op`` and ``register_backend``
add to them. ``kernels.reference`` computes each op in high precision together with a
bound on any backend's rounding error.

Your own function of an op: ``kernels.check(propagate, "logistic_gradient")`` runs it
through the op's contract and says what is wrong in the course's words
(``kernels.yours``; ``python -m kernels.check`` from a shell).
"""

from kernels.backends import (
    BACKENDS,
    Backend,
    BackendSpec,
    get,
    installed_backends,
    register_backend,
    register_op,
)
from kernels.ops import OPS, Op, Param, make_inputs
from kernels.yours import check

__all__ = [
    "BACKENDS",
    "OPS",
    "Backend",
    "BackendSpec",
    "Op",
    "Param",
    "check",
    "get",
    "installed_backends",
    "make_inputs",
    "register_backend",
    "register_op",
]
