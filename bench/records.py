"""What a benchmark session records besides pytest-benchmark's own timings.

The conftest's hooks write these lists into the result file: the cases deliberately
not run (with the reason) and Numba's compile costs.
"""

from __future__ import annotations

NOT_RUN: list[dict] = []
JIT: list[dict] = []
