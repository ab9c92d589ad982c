"""The price of compiling: Numba's first-call costs and when they pay off."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reports.formatting import format_count, format_shape, format_time, shape_of
from reports.markup import figure_link, md_table
from reports.rules import SOON_CALLS
from reports.style import COMPILED, REFERENCE, Style
from reports.table import NEVER_LEVEL
from reports.templating import render


def _header(reference: str) -> list[str]:
    """The table's columns after op, backend, dtype and size."""
    return [
        "first call, compiling", "first call, from cache", "later calls",
        f"{reference} per call", f"pays off against {reference} after", "against the loop after",
    ]  # fmt: skip


def _calls(value: float, level: bool = False) -> str:
    if math.isnan(value):
        return "—"
    if level:
        return NEVER_LEVEL
    return "never" if math.isinf(value) else f"{format_count(value)} calls"


def jit_section(costs: pd.DataFrame, figures: set[str], *, look: Style) -> str:
    if costs.empty:
        return render("jit.md.j2", measured=False)
    return render(
        "jit.md.j2",
        look=look,
        measured=True,
        figure=figure_link("jit", "total time after k calls", figures),
        example=_example_findings(_jit_example(costs, look=look)),
        summary=_summary_findings(costs),
        table=_table(costs, look=look),
    )


def _table(costs: pd.DataFrame, *, look: Style) -> str:
    rows = [
        [
            f"`{entry.op}`",
            look.label(entry.backend),
            entry.dtype,
            format_shape(shape_of(entry.shape)),
            format_time(entry.cold_s),
            format_time(entry.warm_s),
            format_time(entry.steady_s),
            format_time(entry.numpy_s),
            _calls(entry.calls_vs_numpy_cold, entry.numpy_level),
            _calls(entry.calls_vs_python_cold),
        ]
        for entry in costs.itertuples(index=False)
    ]
    header = _header(look.name(REFERENCE))
    return md_table(["op", "backend", "dtype", "size", *header], rows)


def _jit_example(costs: pd.DataFrame, *, look: Style):
    """The entry told in words: the lesson's op compiled on one thread, else the first."""
    preferred = costs[(costs["op"] == look.lesson_op()) & (costs["backend"] == look.the(COMPILED))]
    chosen = preferred if len(preferred) else costs
    return next(chosen.itertuples(index=False))


def _summary_findings(costs: pd.DataFrame) -> dict | None:
    """How often compiling pays off against NumPy, over all the entries."""
    compared = costs["calls_vs_numpy_cold"].dropna()
    if len(compared) < 2:
        return None
    return {
        "compared": len(compared),
        "soon_calls": SOON_CALLS,
        "soon": int((compared <= SOON_CALLS).sum()),
        "late": int(((compared > SOON_CALLS) & np.isfinite(compared)).sum()),
        "never": int(np.isinf(compared).sum()),
        "level": int(costs.loc[compared.index, "numpy_level"].sum()),
        "cold_range": _time_range(costs["cold_s"]),
        "warm_range": _time_range(costs["warm_s"]),
    }


def _time_range(seconds: pd.Series) -> str:
    low, high = format_time(seconds.min()), format_time(seconds.max())
    return low if low == high else f"{low} to {high}"


def _example_findings(entry) -> dict:
    """What the worked example states about one entry of the JIT costs."""
    return {
        **entry._asdict(),
        "size": format_shape(shape_of(entry.shape)),
        "numpy_measured": math.isfinite(entry.numpy_s),
        "never_vs_numpy": math.isinf(entry.calls_vs_numpy_cold),
        "calls_vs_numpy_warm_text": _calls(entry.calls_vs_numpy_warm),
        "pays_vs_python": math.isfinite(entry.python_s)
        and math.isfinite(entry.calls_vs_python_cold),
        "calls_vs_python_cold_text": _calls(entry.calls_vs_python_cold),
    }
