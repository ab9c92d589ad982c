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
(``kernels.yours``; ``python -m kernels.check`` from a shell), and
``kernels.time(propagate, "logistic_gradient")`` times it beside the backends
(``bench.yours``: timing belongs to the benchmarks, so it is imported only when asked for).
"""

from kernels.backends import (
    BACKENDS,
    Backend,
    BackendSpec,
    get,
    installed_backends,
    own_ops,
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
    "own_ops",
    "register_backend",
    "register_op",
]


def __getattr__(name: str):
    """``kernels.time``: ``bench.yours.time``, imported on first use. Timing is the
    benchmarks' job (kernels → bench → results → reports); a student finds it beside
    ``kernels.check`` all the same, and importing kernels still imports nothing of bench."""
    if name == "time":
        from bench.yours import time

        return time
    raise AttributeError(f"module 'kernels' has no attribute {name!r}")
