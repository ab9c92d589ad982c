"""The slides' vectorization demo, exactly as written, run the slides' way.

Run as a script in a fresh interpreter (``python -m bench.slides N``), it prints, as one
JSON line, what a student sees when running the slide: one ``time.time()`` pair around
the first call of ``np.dot`` and one around the for-loop over the NumPy arrays. The
benchmark session (``bench/test_slides.py``) also times the same two lines the suite's
way — the median of rounds — so the report can set the two side by side.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

from bench.options import positive_integer
from kernels.checks import check_fits
from reports.cli import OneLineParser

SIZE = 1_000_000  # the slides' vectors


def slides_loop(a, b):
    """The slides' for-loop, on the slides' NumPy arrays: every a[i] makes a NumPy scalar."""
    c = 0
    for i in range(len(a)):
        c += a[i] * b[i]
    return c


def the_slide(n: int) -> dict:
    """The slide's code, line for line (n = 1000000 on the slide)."""
    a = np.random.rand(n)  # noqa: NPY002 - the slide's own (legacy) call
    b = np.random.rand(n)  # noqa: NPY002

    tic = time.time()
    c = np.dot(a, b)
    toc = time.time()
    vectorized_ms = 1000 * (toc - tic)

    c = 0
    tic = time.time()
    for i in range(n):
        c += a[i] * b[i]
    toc = time.time()
    loop_ms = 1000 * (toc - tic)

    clock = time.get_clock_info("time")
    return {
        "n": n,
        "vectorized_ms": vectorized_ms,
        "loop_ms": loop_ms,
        "clock": {"name": "time.time", "resolution_s": clock.resolution},
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m bench.slides", description=__doc__)
    parser.add_argument(
        "n", nargs="?", type=positive_integer, default=SIZE, help=f"length (default {SIZE:,})"
    )
    n = parser.parse_args(argv).n
    try:  # the slide's two vectors of n float64
        check_fits("python -m bench.slides", {f"a and b of n = {n:,}": 2 * 8 * n})
    except MemoryError as error:
        print(error, file=sys.stderr)
        return 2
    print(json.dumps(the_slide(n)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
