"""The price of compiling: Numba's first-call costs and when they pay off."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reports import analysis, style
from reports.formatting import (
    format_count,
    format_shape,
    format_time,
    shape_of,
)
from reports.markup import figure_link, md_table
from reports.rules import (
    SOON_CALLS,
)
from reports.table import NEVER_LEVEL


def _calls(value: float, level: bool = False) -> str:
    if math.isnan(value):
        return "—"
    if level:
        return NEVER_LEVEL
    return "never" if math.isinf(value) else f"{format_count(value)} calls"


def jit_section(costs: pd.DataFrame, figures: set[str]) -> str:
    title = "## The price of compiling: Numba's JIT"
    if costs.empty:
        return f"{title}\n\nNumba's compile cost was not measured in this run."
    lines = [
        title,
        "",
        "Numba compiles a function the first time it is called with new argument types. "
        "That first call pays for the compilation; every later call runs machine code. "
        "With `cache=True` the machine code is also saved on disk, so the first call of "
        "the next Python process only loads it. Compiling has paid for itself once the "
        "time saved on each call, added up, exceeds the extra time of the first call: "
        "after (first call − later call) ÷ (other time per call − later call) calls. If "
        "the other is not slower per call, it never pays.",
        "",
        figure_link("jit", "total time after k calls", figures),
        "",
    ]
    example = _jit_example(costs)
    lines.append(f"For example, {_jit_reading(example)}")
    summary = _jit_summary(costs)
    if summary:
        lines += ["", summary]
    rows = [
        [
            f"`{entry.op}`",
            style.label(entry.backend),
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
    lines += [
        "",
        md_table(
            [
                "op",
                "backend",
                "dtype",
                "size",
                "first call, compiling",
                "first call, from cache",
                "later calls",
                "NumPy per call",
                "pays off against NumPy after",
                "against the loop after",
            ],
            rows,
        ),
    ]
    return "\n".join(lines)


def _jit_example(costs: pd.DataFrame):
    """The entry told in words: the dot product with Numba if measured, else the first."""
    preferred = costs[(costs["op"] == analysis.HEADLINE_OP) & (costs["backend"] == "numba")]
    chosen = preferred if len(preferred) else costs
    return next(chosen.itertuples(index=False))


def _jit_summary(costs: pd.DataFrame) -> str:
    """How often compiling pays off against NumPy, over all the entries."""
    calls = costs["calls_vs_numpy_cold"]
    compared = calls[calls.notna()]
    if len(compared) < 2:
        return ""
    soon = int((compared <= SOON_CALLS).sum())
    late = int(((compared > SOON_CALLS) & np.isfinite(compared)).sum())
    never = int(np.isinf(compared).sum())
    level = int(costs.loc[compared.index, "numpy_level"].sum())
    parts = []
    if soon:
        parts.append(f"within {format_count(SOON_CALLS)} calls for {soon}")
    if late:
        parts.append(f"after more than {format_count(SOON_CALLS)} calls for {late}")
    if never:
        why = "NumPy is at least as fast per call"
        if level:
            why += f", or level with it within the noise for {level} of them"
        parts.append(f"never for {never} ({why})")
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"Of the {len(compared)} op × backend pairs measured, compiling pays off against "
        f"NumPy {listed}. A first call that compiles takes {_time_range(costs['cold_s'])}; "
        f"with the compiled code loaded from the disk cache, {_time_range(costs['warm_s'])}."
    )


def _time_range(seconds: pd.Series) -> str:
    low, high = format_time(seconds.min()), format_time(seconds.max())
    return low if low == high else f"{low} to {high}"


def _jit_reading(entry) -> str:
    size = format_shape(shape_of(entry.shape))
    name = f"`{entry.op}` with {style.label(entry.backend)} ({entry.dtype}, {size})"
    text = (
        f"{name}: the first call takes {format_time(entry.cold_s)} because it compiles; "
        f"every later call {format_time(entry.steady_s)}."
    )
    if math.isfinite(entry.numpy_s):
        vs_numpy = entry.calls_vs_numpy_cold
        if entry.numpy_level:
            text += (
                f" NumPy needs {format_time(entry.numpy_s)} per call, level with the compiled "
                "loop within the noise, so against NumPy compiling never pays off at this size."
            )
        elif math.isinf(vs_numpy):
            text += (
                f" NumPy needs {format_time(entry.numpy_s)} per call, no more than the compiled "
                "loop, so against NumPy compiling never pays off at this size."
            )
        else:
            text += (
                f" NumPy needs {format_time(entry.numpy_s)} per call, so the compiler has paid "
                f"for itself after {format_count(vs_numpy)} calls"
                f" ({_calls(entry.calls_vs_numpy_warm)} when the compiled code comes from the "
                f"disk cache, whose first call takes {format_time(entry.warm_s)})."
            )
    if math.isfinite(entry.python_s) and math.isfinite(entry.calls_vs_python_cold):
        text += (
            f" Against the Python loop ({format_time(entry.python_s)} per call) it pays off "
            f"after {_calls(entry.calls_vs_python_cold)}."
        )
    return text
