"""Who is ahead, and where the lead changes hands: the summary at the largest sizes and the
crossover table, worded from the verdicts of ``reports.rules``."""

from __future__ import annotations

import pandas as pd

from reports import analysis
from reports.figkit import EVERY_SPEEDUP
from reports.formatting import format_approx_size, format_ratio, format_size, size_symbol
from reports.markup import figure_link, marked, md_table, with_note
from reports.phrases import case_name, primary_dtype
from reports.rules import FASTER, LEVEL, SLOWER
from reports.style import COMPILED, COMPILED_PARALLEL, LOOP, REFERENCE, Style
from reports.table import measured
from reports.templating import listed, render

FLAGS = ["flags", "ref_flags"]  # a comparison rests on both measurements' flags


def summary_section(table: pd.DataFrame, figures: set[str], *, look: Style) -> str:
    summary = analysis.at_largest_size(table, look=look)
    if summary.empty:
        return ""
    dtype = analysis.dtypes(summary)[0]
    slide = analysis.on_the_slide(summary, look=look)
    here = slide[slide["dtype"] == dtype]
    return with_note(
        render(
            "summary.md.j2",
            figure=figure_link(
                "summary", f"speedup over {look.name(REFERENCE)} at the largest size", figures
            ),
            every=len(slide) < len(summary) and EVERY_SPEEDUP in figures,
            reference=look.name(REFERENCE),
            dtype=dtype,
            series=[
                _summary_findings(backend, int(threads), rows, look=look)
                for (backend, threads), rows in here.groupby(["backend", "threads"], sort=False)
            ],
        )
    )


def _summary_findings(backend: str, threads: int, rows: pd.DataFrame, *, look: Style) -> dict:
    """One backend at one thread count against NumPy, over every op's largest size."""
    ok = rows[rows["status"] == "ok"]
    faster = ok[ok["verdict"] == FASTER]
    slower = ok[ok["verdict"] == SLOWER]

    def extreme(rows: pd.DataFrame, pick: str) -> dict | None:
        """The op with the largest (``idxmax``) or smallest speedup, and its mark."""
        if rows.empty:
            return None
        row = rows.loc[getattr(rows["speedup"], pick)()]
        return {"op": row["op"], "speedup": row["speedup"], "mark": marked(*row[FLAGS])}

    return {
        "name": case_name(backend, threads, look=look),
        "measured": len(ok),
        "skipped": int((rows["status"] == "not run").sum()),
        "faster": len(faster),
        "slower": len(slower),
        "level": int((ok["verdict"] == LEVEL).sum()),
        "best": extreme(faster, "idxmax"),
        "worst": extreme(slower, "idxmin"),
        # faster only on the per-sample rules, which NumPy too walks sample by sample
        "per_sample": len(faster) > 0
        and all(look.ops.get(op, {}).get("sequential") for op in faster["op"]),
    }


# --- crossovers ----------------------------------------------------------------------


def _crossover_columns(table: pd.DataFrame, *, look: Style) -> list[tuple[str, int, str, int]]:
    """(contender, its threads, reference, its threads): the questions the table answers."""
    if measured(table).empty:
        return []
    most = int(measured(table)["threads"].max())
    loop, reference, compiled = look.the(LOOP), look.the(REFERENCE), look.the(COMPILED)
    columns = [(reference, 1, loop, 1), (compiled, 1, reference, 1)]
    if most > 1:
        parallel = look.the(COMPILED_PARALLEL)
        columns += [(parallel, most, reference, most), (parallel, most, compiled, 1)]
    return columns


def _lead(table: pd.DataFrame, contender: str, threads: int, reference: str, ref_threads: int):
    paired = analysis.versus(table, reference, contenders=[contender])
    paired = paired[(paired["threads"] == threads) & (paired["ref_threads"] == ref_threads)]
    if paired.empty:
        return None
    columns = ["size", "speedup", "speedup_low", "speedup_high"]
    return analysis.lead_along_sizes(*(paired[column].to_numpy() for column in columns))


def crossovers_section(table: pd.DataFrame, *, look: Style) -> str:
    columns = _crossover_columns(table, look=look)
    rows = []
    for op in analysis.ops(table, look=look):
        dtype = primary_dtype(table, op)
        here = table[(table["op"] == op) & (table["dtype"] == dtype)]
        symbol = size_symbol(analysis.size_names(table, op))
        leads = [_lead(here, *column) for column in columns]
        cells = ["—" if lead is None else describe_lead(lead, symbol) for lead in leads]
        rows.append([f"`{op}` ({dtype})", *cells])
    keep = [i for i in range(len(columns)) if any(row[1 + i] != "—" for row in rows)]
    if not keep:
        return ""
    header = ["op"] + [
        f"{case_name(contender, threads, look=look)} faster than "
        f"{case_name(reference, ref_threads, look=look)}"
        for contender, threads, reference, ref_threads in (columns[i] for i in keep)
    ]
    rows = [[row[0]] + [row[1 + i] for i in keep] for row in rows]
    return render("crossovers.md.j2", table=md_table(header, rows))


def describe_lead(lead: analysis.Lead, symbol: str) -> str:
    """Where the contender is faster, slower or level, in a few plain words.

    ``"slower up to n ≈ 18 (10 to 30), faster above"``, ``"faster up to n = 10⁵, level
    above"``, ``"level at every size (n = 1 to 10⁷)"``; a crossing is named only where the
    verdict goes straight from slower to faster or back, never across a level stretch.
    """
    regions = lead.regions
    if len(lead.sizes) == 1:
        return f"{lead.verdicts[0]} ({format_ratio(lead.speedups[0])}), at the one size measured"
    if len(regions) == 1:
        first, last = format_size(lead.sizes[0]), format_size(lead.sizes[-1])
        return f"{regions[0].verdict} at every size ({symbol} = {first} to {last})"
    head = regions[0]
    where = f"{symbol} = {format_size(head.sizes[-1])}"
    if len(regions) == 2:
        if lead.crossings:
            crossing = lead.crossings[0]
            bracket = f"({format_size(crossing.below)} to {format_size(crossing.above)})"
            where = f"{symbol} ≈ {format_approx_size(crossing.estimate)} {bracket}"
        return f"{head.verdict} up to {where}, {regions[1].verdict} above"
    text = f"{head.verdict} up to {where}"
    if len(regions) <= 4:
        return text + "".join(f", {region.verdict} {_span(region)}" for region in regions[1:])
    mixed = []
    for verdict in (FASTER, SLOWER, LEVEL):
        sizes = [s for r in regions[1:] if r.verdict == verdict for s in r.sizes]
        if sizes:
            mixed.append(f"{verdict} at {listed(map(format_size, sizes))}")
    return f"{text}; from {format_size(regions[1].sizes[0])} on, mixed: " + ", ".join(mixed)


def _span(region: analysis.Region) -> str:
    if len(region.sizes) == 1:
        return f"at {format_size(region.sizes[0])}"
    return f"from {format_size(region.sizes[0])} to {format_size(region.sizes[-1])}"
