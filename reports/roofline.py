"""The roofline: achieved GFLOP/s against arithmetic intensity, under the machine's two roofs.

Every op's cost model (``kernels.OPS``) says how many FLOPs it must do and how many
bytes it must move; their ratio, FLOP per byte, is its arithmetic intensity. A call can
go no faster than the memory delivers bytes (read bandwidth × intensity, the slanted
roof) nor than the processor does arithmetic (the peak of a BLAS matrix product, the
flat roof), both measured by the run. The memory-bound ops of logistic regression do a
few FLOPs per byte: under the slanted roof, where every good backend ends level. The
shallow network's intensity grows with its hidden units h: its sweep climbs from the
slanted roof towards the flat one, where a tuned library (BLAS) leaves a plain
compiled loop behind.

How BLAS gets there is a ladder of its own, drawn beside the roofline when the run has
it (the full run times it): the ``numba`` loop, then the steps that each change its two
products a little (the backends the lesson leaves out, ``kernels/numba_ladder.py``), then
BLAS, on one thread at the top of the sweep. What each step removes is the step's own
``how`` in the run's catalogue, written once beside its code.

This module decides what the section shows and says; ``reports.roofline_figure``
draws it.
"""

from __future__ import annotations

import pandas as pd

from reports import style
from reports.formatting import format_rate, format_ratio
from reports.markup import figure_link
from reports.style import Style
from reports.table import measured

DTYPE = "float64"  # the dtype the peak is measured in


def _ends(steps: list[str], look: Style) -> tuple[str, str]:
    """The ladder's first rung, the plain loop the steps are variants of, and its last,
    BLAS: the vectorized reference's products."""
    start = str(look.field(steps[0], "variant_of", "")) if steps else ""
    return start, look.the(style.REFERENCE)


def _limits(run) -> tuple[dict[int, float], dict[int, float]]:
    limits = run.suite.get("limits") or {}

    def by_threads(name: str) -> dict[int, float]:
        values = limits.get(name) or {}
        return {int(k): float(v) for k, v in values.items() if str(k).isdigit()}

    return by_threads("read_GBps"), by_threads("peak_GFLOPs")


def _lesson_rows(table: pd.DataFrame, look: Style) -> pd.DataFrame:
    """The cases of the lesson's backends in ``DTYPE``: the roofline's own (the BLAS
    ladder's steps have a panel of their own, ``ladder``)."""
    rows = measured(table[table["dtype"] == DTYPE])
    # a boolean mask even with no row (a float32-only selection): pandas reads an empty
    # mask of objects as a list of column names, and selects none of them
    return rows[rows["backend"].map(look.in_lesson).astype(bool)]


def _points(table: pd.DataFrame, look: Style) -> pd.DataFrame:
    """Every op × backend at its largest measured size, at the backend's most threads."""
    rows = _lesson_rows(table, look)
    rows = rows[(rows["flops"] > 0) & (rows["bytes"] > 0)]
    if rows.empty:
        return rows
    rows = rows.assign(intensity=rows["flops"].astype(float) / rows["bytes"].astype(float))
    most = rows.groupby("backend")["threads"].transform("max")
    rows = rows[rows["threads"] == most]
    largest = rows.groupby(["op", "backend"])["size"].transform("max")
    return rows[rows["size"] == largest]


def sweep(table: pd.DataFrame, look: Style) -> tuple[str, pd.DataFrame] | None:
    """The h sweep: the op sized by hidden units, at its largest samples × features, one
    row per backend × h at each backend's most threads; None if the run has none."""
    rows = _lesson_rows(table, look)
    rows = rows[rows["h"].notna()]
    if rows.empty:
        return None
    # The gradient (forward and backward) if the run has it, else any op swept in h.
    ops = sorted(rows["op"].unique(), key=lambda op: (not op.endswith("gradient"), op))
    op = ops[0]
    rows = rows[rows["op"] == op]
    m, n = rows["m"].max(), rows[rows["m"] == rows["m"].max()]["n"].max()
    rows = rows[(rows["m"] == m) & (rows["n"] == n)]
    most = rows.groupby("backend")["threads"].transform("max")
    rows = rows[rows["threads"] == most]
    if rows["h"].nunique() < 2:
        return None
    rows = rows.assign(intensity=rows["flops"].astype(float) / rows["bytes"].astype(float))
    return op, rows.sort_values("h")


def ladder(table: pd.DataFrame, look: Style) -> pd.DataFrame | None:
    """The BLAS ladder on one thread: the plain loop (the one the steps vary), the steps
    (the backends the lesson leaves out), BLAS (the reference), one row each in order,
    for the op of ``sweep`` at the largest h all of them were timed at, its samples and
    features the sweep's; None if the run timed no step."""
    rows = measured(table[(table["dtype"] == DTYPE) & (table["threads"] == 1)])
    rows = rows[rows["h"].notna()]
    steps = [b for b in look.backends if not look.in_lesson(b) and b in set(rows["backend"])]
    swept = sweep(table, look)
    if not steps or swept is None:
        return None
    op, lesson = swept
    start, end = _ends(steps, look)
    if not start:
        return None
    chosen = [start, *steps, end]
    rows = rows[
        (rows["op"] == op)
        & (rows["m"] == lesson["m"].max())
        & (rows["n"] == lesson["n"].max())
        & rows["backend"].isin(chosen)
    ]
    shared = set.intersection(*(set(rows[rows["backend"] == b]["h"]) for b in chosen))
    if not shared:
        return None
    rows = rows[rows["h"] == max(shared)]
    rows = rows.assign(order=rows["backend"].map(chosen.index)).sort_values("order")
    return rows.drop(columns="order").reset_index(drop=True)


def roofline_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """What the section says: NumPy's share of the peak at the top of the sweep, and the
    h at which each backend's lead over NumPy (or NumPy's over it) changes hands."""
    swept = sweep(table, look)
    _, peak = _limits(run)
    if swept is None or not peak:
        return None
    op, rows = swept
    top_h = rows["h"].max()
    top = rows[rows["h"] == top_h]
    reference = look.the(style.REFERENCE)
    numpy_rows = rows[rows["backend"] == reference].set_index("h")
    shares = []
    for row in top.sort_values("backend", key=lambda c: c.map(look.backend_rank)).itertuples():
        roof = peak.get(int(row.threads))
        if roof:
            shares.append(
                {
                    "label": look.series_label(row.backend, int(row.threads)),
                    "rate": format_rate(row.gflop_per_s, "GFLOP/s"),
                    "share": f"{row.gflop_per_s / roof:.0%}",
                    "raw_share": row.gflop_per_s / roof,
                }
            )
    changes = []
    if not numpy_rows.empty:
        for backend in sorted(rows["backend"].unique(), key=look.backend_rank):
            if backend == reference:
                continue
            mine = rows[rows["backend"] == backend].set_index("h")
            common = [h for h in mine.index if h in numpy_rows.index]
            if len(common) < 2:
                continue
            ratio = numpy_rows.loc[common, "median_s"] / mine.loc[common, "median_s"]
            leads = ratio > 1
            if leads.iloc[0] != leads.iloc[-1]:
                flip = next(h for h, lead in leads.items() if lead != leads.iloc[0])
                changes.append(
                    {
                        "label": look.label(backend),
                        "first": "leads" if leads.iloc[0] else "trails",
                        "h": int(flip),
                        "low": format_ratio(ratio.iloc[0]),
                        "low_h": int(common[0]),
                        "high": format_ratio(ratio.iloc[-1]),
                        "high_h": int(common[-1]),
                    }
                )
    return {
        "op": op,
        "m": int(rows["m"].max()),
        "n": int(rows["n"].max()),
        "top_h": int(top_h),
        "shares": shares,
        "changes": changes,
    }


def ladder_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """What the section says of the ladder: each rung's GFLOP/s, its share of the
    one-thread peak, what it removes (its ``how``), and how far the best loop is from
    BLAS; None if the run timed no step."""
    steps = ladder(table, look)
    if steps is None:
        return None
    peak = _limits(run)[1].get(1)
    rungs = []
    last = len(steps) - 1  # the rows: the plain loop, the steps, BLAS
    for i, row in enumerate(steps.itertuples()):
        share = f" ({row.gflop_per_s / peak:.0%} of the peak)" if peak else ""
        rungs.append(
            {
                "backend": row.backend,
                "label": look.label(row.backend),
                "rate": format_rate(row.gflop_per_s, "GFLOP/s") + share,
                "how": str(look.field(row.backend, "how", "")),
                "step": 0 < i < last,
            }
        )
    loops, blas = steps.iloc[:last], steps.iloc[last:]
    best = loops.loc[loops["gflop_per_s"].idxmax()]
    behind = (
        format_ratio(float(blas["gflop_per_s"].iloc[0]) / best["gflop_per_s"])
        if not blas.empty
        else None
    )
    return {
        "op": str(steps["op"].iloc[0]),
        "h": int(steps["h"].iloc[0]),
        "rungs": rungs,
        "best": look.label(best["backend"]),
        "behind": behind,
    }


def ladder_lines(table: pd.DataFrame, run, look: Style) -> list[str]:
    """The ladder's paragraph: one line per rung, then how far the best loop ended."""
    found = ladder_findings(table, run, look)
    if found is None:
        return []
    lines = [
        "",
        f"**How BLAS gets its speed** (the panel on the right): `{found['op']}` at "
        f"h = {found['h']} on one thread, its two products written one small step at a "
        "time (`kernels/numba_ladder.py`):",
        "",
    ]
    for rung in found["rungs"]:
        how = f": {rung['how']}" if rung["step"] else ""
        lines.append(f"- {rung['label']}, {rung['rate']}{how}.")
    if found["behind"] is not None:
        lines += ["", f"The best loop, {found['best']}, ends {found['behind']} behind BLAS."]
    return lines


def roofline_section(table: pd.DataFrame, run, figures: set[str], look: Style) -> str:
    image = figure_link("roofline", "Roofline: GFLOP/s against arithmetic intensity", figures)
    if not image:
        return ""
    found = roofline_findings(table, run, look)
    lines = [
        "## Why the memory-bound ops end level, and why BLAS wins the products",
        "",
        image,
        "",
        "Each point is one op on one backend at its largest size; its x is the op's "
        "arithmetic intensity, the FLOPs it must do per byte it must move (from the cost "
        "model of `kernels/ops.py`), its y the GFLOP/s achieved. No call can rise above "
        "the slanted roof (the measured read bandwidth times the intensity) or the flat one "
        "(the measured peak of a BLAS matrix product). The logistic-regression and Adaline "
        "ops do one or two FLOPs per byte: they sit under the slanted roof, where the "
        "bandwidth, not the backend, sets the pace — which is why their winners end level.",
    ]
    if found:
        lines += [
            "",
            f"The lines are `{found['op']}` on {found['m']:,} samples of {found['n']} "
            f"features as the hidden units h grow: the FLOPs grow with h, the bytes of X do "
            f"not, so each line climbs from the slanted roof towards the flat one. At "
            f"h = {found['top_h']}: "
            + "; ".join(
                f"{s['label']} {s['rate']} ({s['share']} of the peak)" for s in found["shares"]
            )
            + ".",
        ]
        for change in found["changes"]:
            lines.append("")
            lines.append(
                f"{change['label']} {change['first']} NumPy at h = {change['low_h']} "
                f"({change['low']} NumPy's speed) and the lead changes hands at "
                f"h = {change['h']} ({change['high']} at h = {change['high_h']})."
            )
    lines += ladder_lines(table, run, look)
    return "\n".join(lines)
