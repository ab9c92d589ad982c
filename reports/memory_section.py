"""The "Memory per call" section: the peak bytes one untimed call allocated besides its
inputs (``tracemalloc``), at each op's largest measured size; the template says why."""

from __future__ import annotations

import pandas as pd

from reports import analysis
from reports.formatting import format_approx_size, format_bytes
from reports.markup import figure_link, md_table
from reports.phrases import shape_text
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
        ranked = largest.sort_values("backend", key=lambda c: c.map(look.backend_rank))
        backends = [
            {
                "label": look.label(row.backend),
                "bytes": format_bytes(row.peak_alloc_bytes),
                "per_unit": _per_unit(row.peak_alloc_bytes / count),
                "raw": float(row.peak_alloc_bytes),
            }
            for row in ranked.itertuples()
        ]
        most = max(backends, key=lambda b: b["raw"])
        least = min(backends, key=lambda b: b["raw"])
        ratio = most["raw"] / max(least["raw"], 1.0)
        found.append(
            {
                "op": op,
                "dtype": dtype,
                "shape": shape_text(first),
                "per": per,
                "backends": backends,
                "most": most,
                "least": least,
                "ratio": ratio,
                # bytes over bytes, one a few hundred: two figures say all (4.2·10⁶×)
                "ratio_text": format_approx_size(ratio) + "×",
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
