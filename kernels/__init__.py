"""Interchangeable kernels: the same operations in four backends, behind one contract.

>>> import kernels, numpy as np
>>> kernels.get("numba").dot(np.arange(3.0), np.ones(3))
3.0

``kernels.OPS`` names the ops and ``kernels.BACKENDS`` the backends; ``kernels.ops``
describes each op once (shapes, FLOPs, bytes, inputs); ``kernels.reference`` computes
each op in high precision together with a bound on any backend's rounding error.
"""

from kernels.backends import BACKENDS, OPS, Backend, get
from kernels.ops import make_inputs

__all__ = ["BACKENDS", "OPS", "Backend", "get", "make_inputs"]
