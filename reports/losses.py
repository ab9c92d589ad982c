"""The section "Where the compiled loops still lose to NumPy": every measurement from 10⁶
elements up where a backend of the roles "compiled" or "compiled parallel" is slower than
NumPy at the same dtype and thread count (``reports.rules``). The shallow network's ops are
left to the roofline: at large h their work is a matrix product, which BLAS is meant to win.
"""

from __future__ import annotations

import pandas as pd

from reports import analysis, style
from reports.formatting import format_percent, format_ratio, format_size
from reports.markup import md_table
from reports.phrases import case_name, shape_text
from reports.rules import ABOVE_CEILING, FASTER, LEVEL, MEMORY_BOUND, SLOWER
from reports.style import Style
from reports.templating import render

FROM_ELEMENTS = 10**6


def loss_findings(table: pd.DataFrame, *, look: Style) -> dict:
    """How many compiled-loop comparisons with NumPy are faster, level and slower, and the
    slower ones with what held NumPy."""
    compiled = [*look.with_role(style.COMPILED), *look.with_role(style.COMPILED_PARALLEL)]
    loops = [name for name in compiled if name in set(table["backend"])]
    reference = look.the(style.REFERENCE)
    if reference not in set(table["backend"]) or not loops:
        return {}
    paired = analysis.versus(table, reference, contenders=loops)
    paired = paired[(paired["size"] >= FROM_ELEMENTS) & paired["h"].isna()]
    paired = paired[paired["threads"] == paired["ref_threads"]]
    if paired.empty:
        return {}
    numpy = table[table["backend"] == reference]
    numpy_share = numpy.set_index(["op", "dtype", "threads", "shape"])["bandwidth_share"]
    slower = []
    for row in paired[paired["verdict"] == SLOWER].itertuples():
        share = numpy_share.get((row.op, row.dtype, row.threads, row.shape))
        slower.append(
            {
                "op": row.op,
                "case": case_name(row.backend, int(row.threads), look=look),
                "dtype": row.dtype,
                "shape": shape_text(row),
                "speedup": format_ratio(row.speedup),
                "band": f"{format_ratio(row.speedup_low)}–{format_ratio(row.speedup_high)}",
                "served_from": row.served_from or "?",
                "numpy_share": share,
                "loop_share": row.bandwidth_share,
                "streaming": bool(pd.notna(share) and share >= MEMORY_BOUND),
            }
        )
    verdicts = paired["verdict"].value_counts()
    return {
        "from": format_size(FROM_ELEMENTS),
        "compared": len(paired),
        "faster": int(verdicts.get(FASTER, 0)),
        "level": int(verdicts.get(LEVEL, 0)),
        "slower": slower,
        "loops": [look.label(name) for name in loops],
        "ops": len(set(paired["op"])),
    }


def _share(value) -> str:
    """A share of the measured ceiling; one above it is the probe's miss, not a fact."""
    if pd.isna(value):
        return "—"
    if value > ABOVE_CEILING:
        return f"above the probe's ceiling ({format_percent(value)})"
    return format_percent(value)


def losses_section(table: pd.DataFrame, *, look: Style) -> str:
    found = loss_findings(table, look=look)
    if not found:
        return ""
    rows = [
        [
            f"`{s['op']}`", s["case"], s["dtype"], s["shape"], f"{s['speedup']} ({s['band']})",
            s["served_from"], _share(s["numpy_share"]), _share(s["loop_share"]),
        ]
        for s in found["slower"]
    ]  # fmt: skip
    reference = look.name(style.REFERENCE)
    table_text = md_table(
        [
            "op", "backend", "dtype", "shape", f"speed vs {reference} (band)", "data from",
            f"{reference}'s share of the ceiling", "the loop's share",
        ],
        rows,
    )  # fmt: skip
    return render(
        "losses.md.j2",
        found=found,
        table=table_text,
        streaming=sum(s["streaming"] for s in found["slower"]),
        streaming_share=format_percent(MEMORY_BOUND),
        reference=reference,
    )
