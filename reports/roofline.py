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

This module decides what the section shows; ``reports.roofline_figure`` draws it and
``templates/roofline.md.j2`` words it.
"""

from __future__ import annotations

import pandas as pd

from reports import rules, style
from reports.formatting import format_percent, format_rate, format_ratio
from reports.markup import figure_link, marked, with_note
from reports.style import Style
from reports.table import measured
from reports.templating import render

DTYPE = "float64"  # the dtype the peak is measured in


def _limits(run) -> tuple[dict[int, float], dict[int, float]]:
    """The run's measured read bandwidth and peak, by thread count."""
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


def _at_most_threads(rows: pd.DataFrame) -> pd.DataFrame:
    """Each backend's rows at its most threads, with their arithmetic intensity."""
    rows = rows[rows["threads"] == rows.groupby("backend")["threads"].transform("max")]
    return rows.assign(intensity=rows["flops"].astype(float) / rows["bytes"].astype(float))


def _points(table: pd.DataFrame, look: Style) -> pd.DataFrame:
    """Every op × backend at its largest measured size, at the backend's most threads."""
    rows = _lesson_rows(table, look)
    rows = rows[(rows["flops"] > 0) & (rows["bytes"] > 0)]
    if rows.empty:
        return rows
    rows = _at_most_threads(rows)
    return rows[rows["size"] == rows.groupby(["op", "backend"])["size"].transform("max")]


def sweep(table: pd.DataFrame, look: Style) -> tuple[str, pd.DataFrame] | None:
    """The h sweep: the op sized by hidden units, at its largest samples × features, one
    row per backend × h at each backend's most threads; None if the run has none."""
    rows = _lesson_rows(table, look)
    rows = rows[rows["h"].notna()]
    if rows.empty:
        return None
    # The gradient (forward and backward) if the run has it, else any op swept in h.
    op = min(rows["op"].unique(), key=lambda op: (not op.endswith("gradient"), op))
    rows = rows[rows["op"] == op]
    m = rows["m"].max()
    rows = rows[(rows["m"] == m) & (rows["n"] == rows[rows["m"] == m]["n"].max())]
    rows = _at_most_threads(rows)
    if rows["h"].nunique() < 2:
        return None
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
    start = str(look.field(steps[0], "variant_of", ""))  # the plain loop the steps vary
    if not start:
        return None
    chosen = [start, *steps, look.the(style.REFERENCE)]
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


def _numpy_by_threads(table: pd.DataFrame, op: str, m: int, n: int, look: Style) -> pd.DataFrame:
    """NumPy's rows of the sweep at every thread count, indexed by (threads, h)."""
    rows = _lesson_rows(table, look)
    rows = rows[
        (rows["op"] == op)
        & (rows["m"] == m)
        & (rows["n"] == n)
        & (rows["backend"] == look.the(style.REFERENCE))
    ]
    return rows.assign(h=rows["h"].astype(int)).set_index(["threads", "h"])


def roofline_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """Each backend's share of the peak at the top of the sweep, and the h at which each
    backend's lead over NumPy on as many threads (or NumPy's over it) changes hands."""
    swept = sweep(table, look)
    _, peak = _limits(run)
    if swept is None or not peak:
        return None
    op, rows = swept
    top_h = rows["h"].max()
    top = rows[rows["h"] == top_h]
    shares = [
        {
            "label": look.series_label(row.backend, int(row.threads)),
            "rate": format_rate(row.gflop_per_s, "GFLOP/s") + marked(row.flags),
            "share": f"{row.gflop_per_s / peak[int(row.threads)]:.0%}",
            "raw_share": row.gflop_per_s / peak[int(row.threads)],
        }
        for row in top.sort_values("backend", key=lambda c: c.map(look.backend_rank)).itertuples()
        if peak.get(int(row.threads))
    ]
    reference = look.the(style.REFERENCE)
    m, n = int(rows["m"].max()), int(rows["n"].max())
    numpy_rows = _numpy_by_threads(table, op, m, n, look)
    changes = []
    for backend in sorted(rows["backend"].unique(), key=look.backend_rank):
        mine = rows[rows["backend"] == backend]
        threads = int(mine["threads"].iloc[0])
        mine = mine.assign(h=mine["h"].astype(int)).set_index("h")
        common = [h for h in mine.index if (threads, h) in numpy_rows.index]
        if backend == reference or len(common) < 2:
            continue
        theirs = numpy_rows.loc[[(threads, h) for h in common]]
        ratio = pd.Series(theirs["median_s"].to_numpy() / mine.loc[common, "median_s"], common)
        flags = [marked(mine.loc[h, "flags"], theirs.loc[(threads, h), "flags"]) for h in common]
        leads = ratio > 1
        if leads.iloc[0] != leads.iloc[-1]:
            flip = next(i for i, lead in enumerate(leads) if lead != leads.iloc[0])
            changes.append(
                {
                    "label": look.label(backend),
                    "first": "leads" if leads.iloc[0] else "trails",
                    "h": int(leads.index[flip]),
                    "before_h": int(leads.index[flip - 1]),
                    "low": format_ratio(ratio.iloc[0]) + flags[0],
                    "low_h": int(common[0]),
                    "high": format_ratio(ratio.iloc[-1]) + flags[-1],
                    "high_h": int(common[-1]),
                    "threads": threads,
                }
            )
    return {"op": op, "m": m, "n": n, "top_h": int(top_h), "shares": shares, "changes": changes}


def roof_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """Where the figure's points stand against the roofs: the ops left of the ridge (their
    intensities, low and high), and the points above the slanted roof of their thread
    count: those served from the cache; of the others, those within the noise of two
    measurements (``rules.ABOVE_CEILING``), and those beyond it, for which the measured
    ceiling is a lower bound (as the op readings say)."""
    read, peak = _limits(run)
    points = _points(table, look)
    swept = sweep(table, look)
    every = pd.concat([points, swept[1]]) if swept is not None else points
    every = every[~every.index.duplicated()]  # the sweep's top is also a point
    if every.empty or not read:
        return None
    ridge = {t: peak[t] / read[t] for t in read if peak.get(t)}
    ridge_of = points["threads"].astype(int).map(ridge)
    bound = points[points["intensity"] < ridge_of.fillna(0)]
    roof = every["threads"].astype(int).map(read) * every["intensity"]
    above = every[every["gflop_per_s"] > roof]
    cached = above["served_from"] == "cache"
    past = (above["gflop_per_s"] / roof[above.index])[~cached]
    near, far = past[past <= rules.ABOVE_CEILING], past[past > rules.ABOVE_CEILING]
    return {
        "ops": [f"`{op}`" for op in sorted(bound["op"].unique(), key=list(every["op"]).index)],
        "low": f"{bound['intensity'].min():.2g}" if len(bound) else "",
        "high": f"{bound['intensity'].max():.2g}" if len(bound) else "",
        "ridge": "–".join(sorted({f"{x:.2g}" for x in ridge.values()}, key=float)),
        "cached": int(cached.sum()),
        "near": len(near),
        "near_share": format_percent(near.max() - 1) if len(near) else "",
        "far": len(far),
        "far_share": format_percent(far.max() - 1) if len(far) else "",
    }


def ladder_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """Each rung's GFLOP/s, its share of the one-thread peak, what it removes (its
    ``how``), and how far the best loop is from BLAS; None if the run timed no step."""
    steps = ladder(table, look)
    if steps is None:
        return None
    peak = _limits(run)[1].get(1)
    last = len(steps) - 1  # the rows: the plain loop, the steps, BLAS
    rungs = [
        {
            "label": look.label(row.backend),
            "rate": format_rate(row.gflop_per_s, "GFLOP/s")
            + marked(row.flags)
            + (f" ({row.gflop_per_s / peak:.0%} of the peak)" if peak else ""),
            "how": str(look.field(row.backend, "how", "")),
            "step": 0 < i < last,
        }
        for i, row in enumerate(steps.itertuples())
    ]
    best = steps.iloc[:last].loc[steps.iloc[:last]["gflop_per_s"].idxmax()]
    blas = float(steps["gflop_per_s"].iloc[last])
    return {
        "op": str(steps["op"].iloc[0]),
        "h": int(steps["h"].iloc[0]),
        "rungs": rungs,
        "best": look.label(best["backend"]),
        "behind": format_ratio(blas / best["gflop_per_s"])
        + marked(best["flags"], steps["flags"].iloc[last]),
    }


def roofline_section(table: pd.DataFrame, run, figures: set[str], look: Style) -> str:
    image = figure_link("roofline", "Roofline: GFLOP/s against arithmetic intensity", figures)
    if not image:
        return ""
    return with_note(
        render(
            "roofline.md.j2",
            image=image,
            found=roofline_findings(table, run, look),
            roof=roof_findings(table, run, look),
            ladder=ladder_findings(table, run, look),
        )
    )
