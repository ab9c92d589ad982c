"""Who is ahead, and where the lead changes hands: the summary at the largest sizes and the
crossover table, worded from the verdicts of ``reports.rules``."""

from __future__ import annotations

import pandas as pd

from reports import analysis
from reports.formatting import (
    format_approx_size,
    format_ratio,
    format_size,
    size_symbol,
)
from reports.markup import figure_link, md_table
from reports.phrases import (
    case_name,
    primary_dtype,
)
from reports.rules import (
    FASTER,
    LEVEL,
    SLOWER,
)
from reports.table import measured


def summary_section(table: pd.DataFrame, figures: set[str]) -> str:
    summary = analysis.at_largest_size(table)
    if summary.empty:
        return ""
    lines = [
        "## At a glance: every op at its largest size",
        "",
        "Each cell: how many times faster than NumPy (same thread count) a backend is at the "
        "largest size measured for the op. Blue is faster than NumPy, red slower; "
        "“≈ NumPy” marks a backend level with NumPy by the rule of "
        "[How these numbers were made](#how-these-numbers-were-made).",
        "",
        figure_link("summary", "speedup over NumPy at the largest size", figures),
        "",
    ]
    dtype = analysis.dtypes(summary)[0]
    here = summary[summary["dtype"] == dtype]
    for (backend, threads), rows in here.groupby(["backend", "threads"], sort=False):
        sentence = _summary_sentence(backend, int(threads), rows, dtype)
        if sentence:
            lines.append(f"- {sentence}")
    return "\n".join(lines)


def _summary_sentence(backend: str, threads: int, rows: pd.DataFrame, dtype: str) -> str:
    ok = rows[rows["status"] == "ok"]
    name = f"**{case_name(backend, threads)}**"
    skipped = int((rows["status"] == "not run").sum())
    tail = f" ({skipped} ops not run at that size)" if skipped else ""
    if ok.empty:
        return f"{name}: not measured at any op's largest size ({dtype}){tail}." if skipped else ""
    level = ok["verdict"] == LEVEL
    faster = ok[ok["verdict"] == FASTER]
    slower = ok[ok["verdict"] == SLOWER]
    parts = []
    if len(faster):
        best = faster.loc[faster["speedup"].idxmax()]
        parts.append(
            f"faster than NumPy in {len(faster)} of {len(ok)} ops "
            f"(most: {format_ratio(best['speedup'])} on `{best['op']}`)"
        )
    if len(slower):
        worst = slower.loc[slower["speedup"].idxmin()]
        parts.append(
            f"slower in {len(slower)} (least: {format_ratio(worst['speedup'])} on `{worst['op']}`)"
        )
    if int(level.sum()):
        parts.append(f"level in {int(level.sum())}")
    return f"{name} at the largest sizes ({dtype}): " + "; ".join(parts) + tail + "."


# --- crossovers ----------------------------------------------------------------------


def _crossover_columns(table: pd.DataFrame) -> list[tuple[str, int, str, int]]:
    """(contender, its threads, reference, its threads): the questions the table answers."""
    if measured(table).empty:
        return []
    most = int(measured(table)["threads"].max())
    columns = [("numpy", 1, "python", 1), ("numba", 1, "numpy", 1)]
    if most > 1:
        columns += [("numba_parallel", most, "numpy", most), ("numba_parallel", most, "numba", 1)]
    return columns


def _lead(table: pd.DataFrame, contender: str, threads: int, reference: str, ref_threads: int):
    paired = analysis.versus(table, reference, contenders=[contender])
    paired = paired[(paired["threads"] == threads) & (paired["ref_threads"] == ref_threads)]
    if paired.empty:
        return None
    return analysis.lead_along_sizes(
        paired["size"].to_numpy(),
        paired["speedup"].to_numpy(),
        paired["speedup_low"].to_numpy(),
        paired["speedup_high"].to_numpy(),
    )


def crossovers_section(table: pd.DataFrame) -> str:
    columns = _crossover_columns(table)
    if not columns:
        return ""
    rows, used = [], set()
    for op in analysis.ops(table):
        dtype = primary_dtype(table, op)
        here = table[(table["op"] == op) & (table["dtype"] == dtype)]
        symbol = size_symbol(analysis.size_names(table, op))
        cells = []
        for index, column in enumerate(columns):
            lead = _lead(here, *column)
            cells.append("—" if lead is None else describe_lead(lead, symbol))
            if lead is not None:
                used.add(index)
        rows.append([f"`{op}` ({dtype})", *cells])
    if not used:
        return ""
    keep = sorted(used)
    header = ["op"] + [
        f"{case_name(contender, threads)} faster than {case_name(reference, ref_threads)}"
        for contender, threads, reference, ref_threads in (columns[i] for i in keep)
    ]
    rows = [[row[0]] + [row[1 + i] for i in keep] for row in rows]
    return "\n".join(
        [
            "## Where the lead changes hands",
            "",
            "Where NumPy overtakes the loop, where Numba overtakes NumPy (or falls behind it), "
            "and where threads start to pay. At each size measured, the contender is *faster*, "
            "*slower* or *level* by the rule of "
            "[How these numbers were made](#how-these-numbers-were-made). "
            "Where the contender goes straight from slower "
            "to faster (or back) between two neighbouring sizes, the crossing is "
            "interpolated on log–log axes between them, given in brackets.",
            "",
            md_table(header, rows),
        ]
    )


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
    if len(regions) == 2:
        crossing = lead.crossings[0] if lead.crossings else None
        if crossing is not None:
            bracket = f"({format_size(crossing.below)} to {format_size(crossing.above)})"
            where = f"{symbol} ≈ {format_approx_size(crossing.estimate)} {bracket}"
        else:
            where = f"{symbol} = {format_size(head.sizes[-1])}"
        return f"{head.verdict} up to {where}, {regions[1].verdict} above"
    text = f"{head.verdict} up to {symbol} = {format_size(head.sizes[-1])}"
    if len(regions) <= 4:
        return text + "".join(f", {region.verdict} {_span(region)}" for region in regions[1:])
    rest = [size for region in regions[1:] for size in region.sizes]
    mixed = []
    for verdict in (FASTER, SLOWER, LEVEL):
        sizes = [s for r in regions[1:] if r.verdict == verdict for s in r.sizes]
        if sizes:
            mixed.append(f"{verdict} at {_listed(sizes)}")
    return f"{text}; from {format_size(rest[0])} on, mixed: " + ", ".join(mixed)


def _span(region: analysis.Region) -> str:
    if len(region.sizes) == 1:
        return f"at {format_size(region.sizes[0])}"
    return f"from {format_size(region.sizes[0])} to {format_size(region.sizes[-1])}"


def _listed(sizes: list[int]) -> str:
    names = [format_size(size) for size in sizes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
