"""The course's exercise end to end: the slides' loop, its vectorized twin, checked and timed.

    python examples/propagate.py            # the lesson ladder: about ten seconds
    python examples/propagate.py --quick    # two tiny sizes: seconds (what the tests run)

The slides write logistic regression's forward and backward pass ("propagate") as a loop
over the m samples, then ask for it without the loop. Here both are written in the
suite's layout — samples as rows: X is (m, n), y is (m,), w is (n,) — where the slides'
``Z = np.dot(w.T, X) + b`` is ``X @ w + b`` and ``dw = (1/m) X dZᵀ`` is
``X.T @ dZ / m``. ``kernels.check`` runs each through the contract of the suite's op
``logistic_gradient``; ``kernels.time`` times the vectorized one beside the suite's
Python loop and NumPy, and the figure is saved beside this file (or at ``--out``).

A script, not a notebook: the tests run it as it is (a notebook would need nbmake, one
more dependency), and each step below is a cell's worth that pastes into Jupyter, where
``check``'s result, the table and the figure show themselves.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

import kernels
from reports.cli import OneLineParser


def propagate_loop(w, b, X, y):
    """The slides' loop: for i = 1 to m, z⁽ⁱ⁾ = wᵀx⁽ⁱ⁾ + b, a⁽ⁱ⁾ = σ(z⁽ⁱ⁾), J += …, dw += …"""
    m, n = X.shape
    cost, dw, db = 0.0, [0.0] * n, 0.0
    for i in range(m):
        z = b
        for j in range(n):
            z += w[j] * X[i, j]
        # σ and the cost from z, so that a large |z| neither overflows exp nor takes
        # log(0): -log σ(z) = log(1 + e^-|z|) + max(-z, 0)
        e = math.exp(-abs(z))
        a = 1 / (1 + e) if z >= 0 else e / (1 + e)
        softplus = math.log1p(e)
        cost += y[i] * (softplus + max(-z, 0.0)) + (1 - y[i]) * (softplus + max(z, 0.0))
        dz = a - y[i]
        for j in range(n):
            dw[j] += X[i, j] * dz
        db += dz
    return cost / m, np.array(dw, dtype=X.dtype) / m, db / m


def propagate(w, b, X, y):
    """The same without a loop: whole-array expressions."""
    m = X.shape[0]
    Z = X @ w + b
    A = 1 / (1 + np.exp(-Z))
    cost = np.mean(y * np.logaddexp(0, -Z) + (1 - y) * np.logaddexp(0, Z))
    dZ = A - y
    return cost, X.T @ dZ / m, np.mean(dZ)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="propagate.py", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two tiny sizes, for the tests")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_suffix(".png"))
    options = parser.parse_args(argv)

    # 1. Check both. The loop is right, and too slow: its check says so.
    for function in (propagate_loop, propagate):
        print(kernels.check(function, "logistic_gradient"))

    # 2. Time the vectorized one beside the suite's loop and NumPy.
    sizes = [{"m": 1, "n": 1}, {"m": 100, "n": 10}] if options.quick else None
    timing = kernels.time(propagate, "logistic_gradient", sizes=sizes)
    print(timing.table[["backend", "shape", "median_s", "ci_low_s", "ci_high_s"]].to_string())
    print(timing.reading)

    # 3. The figure.
    try:
        timing.figure.savefig(options.out)
    except OSError as error:  # a folder that does not exist, a full disk
        print(f"propagate.py: --out {options.out}: {error.strerror or error}", file=sys.stderr)
        return 2
    print(f"figure: {options.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
