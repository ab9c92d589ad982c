"""The "Memory per call" section: what one call allocates besides its inputs.

NumPy's whole-array expressions allocate a temporary for each intermediate result (X @ w,
σ of it, A − y …), each as long as the data; a fused compiled loop keeps those numbers in
registers and allocates only its results. The run records the peak bytes one untimed call
allocated (``tracemalloc``); this section reads them at each op's largest measured size.
"""

from __future__ import annotations

import pandas as pd

from reports import analysis
from reports.formatting import (
    format_approx_size,
    format_bytes,
    format_count,
    format_shape,
    shape_of,
)
from reports.markup import figure_link, md_table
from reports.style import Style
from reports.table import measured
from reports.templating import render


def memory_findings(table: pd.DataFrame, *, look: Style) -> list[dict]:
    """Per op, at the largest size every one-thread backend measured the allocation of:
    each backend's bytes, and those bytes per sample (or per element)."""
    rows = measured(table)
    rows = rows[rows["peak_alloc_bytes"].notna() & (rows["threads"] == 1)]
    found = []
    for op in analysis.ops(rows, look=look):
        here = rows[rows["op"] == op]
        dtype = analysis.dtypes(here, op)[0]
        here = here[here["dtype"] == dtype]
        largest = here[here["size"] == here["size"].max()]
        if len(largest) < 2:
            continue
        first = largest.iloc[0]
        per = "sample" if pd.notna(first["m"]) else "element"
        count = int(first["m"]) if per == "sample" else int(first["size"])
        backends = [
            {
                "label": look.label(row.backend),
                "bytes": format_bytes(row.peak_alloc_bytes),
                "per_unit": _per_unit(row.peak_alloc_bytes / count),
                "raw": float(row.peak_alloc_bytes),
            }
            for row in largest.sort_values(
                "backend", key=lambda c: c.map(look.backend_rank)
            ).itertuples()
        ]
        most = max(backends, key=lambda b: b["raw"])
        least = min(backends, key=lambda b: b["raw"])
        found.append(
            {
                "op": op,
                "dtype": dtype,
                "shape": format_shape(shape_of(first["shape"])),
                "per": per,
                "count": format_count(count),
                "backends": backends,
                "most": most,
                "least": least,
                "ratio": most["raw"] / max(least["raw"], 1.0),
                # a count of bytes over a count of bytes, one of them a few hundred: two
                # significant figures say all it can (4.2·10⁶×, not 4,166,673×)
                "ratio_text": format_approx_size(most["raw"] / max(least["raw"], 1.0)) + "×",
            }
        )
    return found


def _per_unit(value: float) -> str:
    return f"{value:.3g}" if value >= 0.01 else "< 0.01"


def memory_table(findings: list[dict]) -> str:
    labels = list(dict.fromkeys(b["label"] for op in findings for b in op["backends"]))
    rows = []
    for op in findings:
        cells = {
            b["label"]: f"{b['bytes']} ({b['per_unit']} B/{op['per']})" for b in op["backends"]
        }
        rows.append(
            [f"`{op['op']}` ({op['dtype']}), {op['shape']}"]
            + [cells.get(label, "—") for label in labels]
        )
    return md_table(["op, largest size", *labels], rows)


def memory_section(table: pd.DataFrame, figures: set[str], *, look: Style) -> str:
    findings = memory_findings(table, look=look)
    if not findings:
        return ""
    return render(
        "memory.md.j2",
        ops=findings,
        table=memory_table(findings),
        figure=figure_link("memory-per-call", "memory allocated per call", figures),
    )
