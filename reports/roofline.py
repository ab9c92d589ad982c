"""The roofline: achieved GFLOP/s against arithmetic intensity (FLOPs per byte, from each
op's cost model), under the run's two measured roofs: read bandwidth × intensity (slanted)
and the peak of a BLAS matrix product (flat). The shallow network's sweep in h climbs from
one towards the other; the BLAS ladder (the plain compiled loop, the steps the lesson leaves
out, ``kernels/numba_ladder.py``, then BLAS) shows how BLAS gets there, each step's ``how``
from the run's catalogue.

This module decides; ``reports.roofline_figure`` draws and ``templates/roofline.md.j2`` words.
"""

from __future__ import annotations

import pandas as pd

from reports import rules, style
from reports.formatting import format_percent, format_rate, format_ratio
from reports.markup import figure_link, marked, with_note
from reports.phrases import band
from reports.style import Style
from reports.table import measured
from reports.templating import render

DTYPE = "float64"  # the dtype the peak is measured in


def measured_limits(run) -> tuple[dict[int, float], dict[int, float]]:
    """The run's measured read bandwidth and peak, by thread count."""
    limits = run.suite.get("limits") or {}
    read, peak = (
        {int(k): float(v) for k, v in (limits.get(name) or {}).items() if str(k).isdigit()}
        for name in ("read_GBps", "peak_GFLOPs")
    )
    return read, peak


def _lesson_rows(table: pd.DataFrame, look: Style) -> pd.DataFrame:
    """The cases of the lesson's backends in ``DTYPE`` (the ladder's steps are ``ladder``'s)."""
    rows = measured(table[table["dtype"] == DTYPE])
    # bool even with no row: pandas reads an empty mask of objects as a list of columns
    return rows[rows["backend"].map(look.in_lesson).astype(bool)]


def _at_most_threads(rows: pd.DataFrame) -> pd.DataFrame:
    """Each backend's rows at its most threads, with their arithmetic intensity."""
    rows = rows[rows["threads"] == rows.groupby("backend")["threads"].transform("max")]
    return rows.assign(intensity=rows["flops"].astype(float) / rows["bytes"].astype(float))


def roofline_points(table: pd.DataFrame, look: Style) -> pd.DataFrame:
    """Every op × backend at its largest measured size, at the backend's most threads."""
    rows = _lesson_rows(table, look)
    rows = rows[(rows["flops"] > 0) & (rows["bytes"] > 0)]
    if rows.empty:
        return rows
    rows = _at_most_threads(rows)
    return rows[rows["size"] == rows.groupby(["op", "backend"])["size"].transform("max")]


def _of_sweep(rows: pd.DataFrame, op: str, m: int, n: int) -> pd.DataFrame:
    return rows[(rows["op"] == op) & (rows["m"] == m) & (rows["n"] == n)]


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
    """The BLAS ladder on one thread, one row each in order: the plain loop the steps vary,
    the steps, BLAS; ``sweep``'s op, samples and features, at the largest h all were timed
    at; None if the run timed no step."""
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
    rows = _of_sweep(rows, op, lesson["m"].max(), lesson["n"].max())
    rows = rows[rows["backend"].isin(chosen)]
    shared = set.intersection(*(set(rows[rows["backend"] == b]["h"]) for b in chosen))
    if not shared:
        return None
    rows = rows[rows["h"] == max(shared)]
    return rows.sort_values("backend", key=lambda c: c.map(chosen.index)).reset_index(drop=True)


def roofline_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """Each backend's share of the peak at the top of the sweep, and the h at which each
    backend's lead over NumPy on as many threads (or NumPy's over it) changes hands."""
    swept = sweep(table, look)
    _, peak = measured_limits(run)
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
    # NumPy's rows of the sweep at every thread count, indexed by (threads, h)
    numpy_rows = _of_sweep(_lesson_rows(table, look), op, m, n)
    numpy_rows = numpy_rows[numpy_rows["backend"] == reference]
    numpy_rows = numpy_rows.assign(h=numpy_rows["h"].astype(int)).set_index(["threads", "h"])
    changes = []
    for backend in sorted(set(rows["backend"]) - {reference}, key=look.backend_rank):
        mine = rows[rows["backend"] == backend]
        threads = int(mine["threads"].iloc[0])
        mine = mine.assign(h=mine["h"].astype(int)).set_index("h")
        common = [h for h in mine.index if (threads, h) in numpy_rows.index]
        if len(common) < 2:
            continue
        theirs = numpy_rows.loc[[(threads, h) for h in common]]
        # each h judged by the page's one rule: faster, slower or level against NumPy
        against = [_against(theirs.loc[(threads, h)], mine.loc[h]) for h in common]
        verdicts = [comparison.verdict for comparison in against]
        first, last = verdicts[0], verdicts[-1]
        if rules.LEVEL in (first, last) or first == last:
            continue  # no lead held at one end and lost at the other
        held = max(i for i, verdict in enumerate(verdicts) if verdict == first)
        taken = next(i for i in range(held + 1, len(verdicts)) if verdicts[i] == last)
        flags = [marked(mine.loc[h, "flags"], theirs.loc[(threads, h), "flags"]) for h in common]
        changes.append(
            {
                "label": look.label(backend),
                "first": "leads" if first == rules.FASTER else "trails",
                "h": int(common[taken]),
                "before_h": int(common[held]),
                "traded": last in verdicts[:held],  # led and trailed in turn before that
                "low": format_ratio(against[0].speedup) + flags[0],
                "low_h": int(common[0]),
                "high": format_ratio(against[-1].speedup) + flags[-1],
                "high_h": int(common[-1]),
                "threads": threads,
            }
        )
    return {
        "op": op,
        "m": m,
        "n": n,
        "top_h": int(top_h),
        "shares": shares,
        "changes": changes,
        "reference": reference,
    }


def _against(reference: pd.Series, contender: pd.Series) -> rules.Comparison:
    return rules.Comparison.of(band(reference), band(contender))


def roof_findings(table: pd.DataFrame, run, look: Style) -> dict | None:
    """The ops left of the ridge (their intensities, low and high), and the points above
    the slanted roof: served from the cache, within the noise of two measurements
    (``rules.ABOVE_CEILING``), or beyond it, where the ceiling is a lower bound."""
    read, peak = measured_limits(run)
    points = roofline_points(table, look)
    swept = sweep(table, look)
    every = pd.concat([points, swept[1]]) if swept is not None else points
    every = every[~every.index.duplicated()]  # the sweep's top is also a point
    if every.empty or not read:
        return None
    ridge = {t: peak[t] / read[t] for t in read if peak.get(t)}
    ridge_of = points["threads"].astype(int).map(ridge)
    # an op is placed by its points at its largest size: a backend timed only on smaller
    # inputs (the Python loop's shallow network at h = 1) says nothing of where it sits
    largest = points["size"] == points.groupby("op")["size"].transform("max")
    bound = points[largest & (points["intensity"] < ridge_of.fillna(0))]
    roof = every["threads"].astype(int).map(read) * every["intensity"]
    above = every[every["gflop_per_s"] > roof]
    cached = above["served_from"] == "cache"
    past = (above["gflop_per_s"] / roof[above.index])[~cached]
    near, far = past[past <= rules.ABOVE_CEILING], past[past > rules.ABOVE_CEILING]
    order = sorted(bound["op"].unique(), key=list(every["op"]).index)
    # each memory-bound op's fastest point at its most threads: its share of the slanted
    # roof (reading from memory: from the cache it may pass it, as said above), and whether
    # the next backend at those threads ends level with it by the rule
    reached, level = [], []
    for op in order:
        rows = bound[(bound["op"] == op) & (bound["threads"] == bound["threads"].max())]
        rows = rows.sort_values("median_s")
        if rows.empty:
            continue
        best = rows.iloc[0]
        if best["served_from"] == "memory":
            reached.append(best["gflop_per_s"] / (read[int(best["threads"])] * best["intensity"]))
        if len(rows) > 1 and _against(rows.iloc[1], best).verdict == rules.LEVEL:
            level.append(f"`{op}`")
    # a share past the roof is no share of it (the points above are counted above): such
    # an op reaches the roof, and the page says how many do
    within = [share for share in reached if share <= 1.0]
    return {
        "ops": [f"`{op}`" for op in order],
        "reached_low": format_percent(min(within)) if within else "",
        "reached_high": format_percent(max(within)) if within else "",
        "reached_past": len(reached) - len(within),
        "level": level,
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
    peak = measured_limits(run)[1].get(1)
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
            look=look,
        )
    )
