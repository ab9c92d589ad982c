"""A function of your own in the report: the one-line reading of how it compares.

A run made with ``nox -s bench -- --mine FILE.py:FUNCTION --op OP`` carries the function as
one more backend of its catalogue (``"mine": true``) and a record
``machine_info.vectorbench.mine``; the report draws it like any backend and says how it
compares with the loop and NumPy in the line ``kernels.time`` returns (``bench/yours.py``).
"""

from __future__ import annotations

import pandas as pd

from reports import style
from reports.formatting import format_ratio, format_shape, shape_of
from reports.phrases import band, relative
from reports.rules import Comparison

DTYPE = "float64"  # the dtype the reading compares in, where there are several


def mine_of(run) -> dict | None:
    """The run's record of a student's function, or None."""
    mine = run.suite.get("mine")
    return mine if isinstance(mine, dict) and mine.get("label") and mine.get("op") else None


def _compared(table: pd.DataFrame, label: str, backend: str):
    """(``label`` compared with ``backend``, the shape) at the largest size both were timed
    at, at ``label``'s fewest threads, in float64 if it was timed in it; or None."""
    timed = table[table["status"] == "ok"]
    own = timed[timed["backend"] == label]
    if own.empty:
        return None
    timed = timed[timed["threads"] == own["threads"].min()]
    if DTYPE in set(own["dtype"]):
        timed = timed[timed["dtype"] == DTYPE]
    mine = timed[timed["backend"] == label].set_index("shape")
    theirs = timed[timed["backend"] == backend].set_index("shape")
    common = sorted(set(mine.index) & set(theirs.index), key=lambda s: mine.loc[s, "size"])
    if not common:
        return None
    shape = common[-1]
    return Comparison.of(band(theirs.loc[shape]), band(mine.loc[shape])), shape


def reading(table: pd.DataFrame, name: str, label: str, catalogue) -> str:
    """ "your `propagate` is 92.3× faster than the loop and 0.674× NumPy at m × n =
    10⁴ × 100: slower" — at the largest size each was timed at, the verdict against
    NumPy by ``reports.rules.Comparison``; the loop and NumPy found by their roles in the
    run's ``catalogue``."""
    named = f"your `{name}`" if label == "yours" else f"`{name}` ({label})"
    look = style.Style.of(catalogue)
    loop = _compared(table, label, look.the(style.LOOP))
    numpy = _compared(table, label, look.the(style.REFERENCE))
    parts = []
    if loop is not None:
        comparison, shape = loop
        where = f" at {format_shape(shape_of(shape))}" if numpy is None or numpy[1] != shape else ""
        parts.append(f"{relative(comparison.speedup)} than the loop{where}")
    reference = look.name(style.REFERENCE)
    if numpy is not None:
        comparison, shape = numpy
        parts.append(
            f"{format_ratio(comparison.speedup)} {reference} at {format_shape(shape_of(shape))}: "
            f"{comparison.verdict}"
        )
    if not parts:
        return f"{named} was not timed beside the loop or {reference}"
    return f"{named} is {' and '.join(parts)}"
