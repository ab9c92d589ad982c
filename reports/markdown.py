"""``reports/README.md``: the report as a page a student reads on GitHub.

Every claim about speed is generated from the table: a sentence is written only when the
numbers behind it were measured, and its wording follows the numbers (who is faster, by
how much, whether the difference exceeds the measured spread). Explanations of *why* —
interpreter overhead, SIMD, memory bandwidth, temporaries, threads — are attached only
where the data shows the effect they explain; where the data is silent, the text says
less.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from reports import analysis, rules, style
from reports.figkit import stem
from reports.formatting import (
    format_approx_size,
    format_bytes,
    format_count,
    format_percent,
    format_rate,
    format_ratio,
    format_shape,
    format_size,
    format_time,
    shape_of,
    size_symbol,
)
from reports.load import Run, limit_at
from reports.markup import MARK_NOTE, fold, md_table, with_note
from reports.markup import figure_link as _figure
from reports.markup import mark as _mark
from reports.rules import (
    ABOVE_CEILING,
    FASTER,
    FIXED_COST_SHARE,
    FLAG_ROUNDS,
    FLAG_SPREAD,
    FLAG_TIMER,
    LEVEL,
    LITTLE_GAIN,
    MARK,
    MEMORY_BOUND,
    NOT_MEMORY_BOUND,
    PYTHON_STEPS_LEAD,
    SAME_WALL,
    SHRINKS_TO,
    SLOWER,
    SOON_CALLS,
    STEADY_PER_ELEMENT,
    TIMER_FACTOR,
    WORK_GROWTH,
    Comparison,
)
from reports.table import NEVER_LEVEL, flagged, measured, not_run

# --- small pieces ---------------------------------------------------------------------


def _shape(row) -> str:
    return format_shape(shape_of(row["shape"] if isinstance(row, pd.Series) else row.shape))


def _case(backend: str, threads: int) -> str:
    return style.series_label(backend, int(threads))


def _faster(ratio: float, subject: str, other: str) -> str:
    """``"NumPy is 312× faster than the loop"`` or the reverse, for any ratio."""
    if ratio >= 1:
        return f"{subject} is {format_ratio(ratio)} faster than {other}"
    return f"{other} is {format_ratio(1 / ratio)} faster than {subject}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def _relative(ratio: float) -> str:
    """``239.4`` → ``"239× faster"``; ``0.95`` → ``"1.05× slower"``."""
    return f"{format_ratio(ratio)} faster" if ratio >= 1 else f"{format_ratio(1 / ratio)} slower"


def _work_dominates(times: pd.Series) -> bool:
    """Whether a series' time grows with size: at the largest, ``WORK_GROWTH`` times or
    more the smallest's.

    If it does not, its times are mostly the fixed cost of a call, and comparing them
    compares call overheads, not the loops inside.
    """
    return len(times) > 1 and times.iloc[-1] >= WORK_GROWTH * times.iloc[0]


def _series(rows: pd.DataFrame, backend: str, threads: int | None = None) -> pd.DataFrame:
    """Measured rows of one backend, at ``threads`` or its fewest, sorted by size."""
    cases = measured(rows)
    cases = cases[cases["backend"] == backend]
    if cases.empty:
        return cases
    chosen = cases["threads"].min() if threads is None else threads
    return cases[cases["threads"] == chosen].sort_values(["size", "shape"])


def _primary_dtype(table: pd.DataFrame, op: str) -> str:
    return analysis.dtypes(table, op)[0]


def _per_element(row: pd.Series) -> str:
    return format_time(row["median_s"] / row["size"])


def _quartiles(row: pd.Series, suffix: str = "") -> tuple[float, float, float]:
    return row[f"q1_s{suffix}"], row[f"median_s{suffix}"], row[f"q3_s{suffix}"]


# --- title and warnings ---------------------------------------------------------------


def _title(run: Run, table: pd.DataFrame) -> str:
    cpu = run.suite.get("cpu") or {}
    brand = cpu.get("brand") or "an unnamed CPU"
    timed = int((table["status"] == "ok").sum())
    skipped = int((table["status"] != "ok").sum())
    sources = ", ".join(f"`{path.name}`" for path in run.sources)
    when = run.datetime[:19].replace("T", " ") if run.datetime else "an unknown date"
    return (
        f"# Loops, NumPy and Numba, measured on {brand}\n\n"
        f"{timed} cases timed, {skipped} not run, on {when} (UTC), "
        f"host `{run.machine.get('node', '?')}`. Built by `python -m reports` from {sources}: "
        "rerun `nox -s report` instead of editing this page; the numbers behind every "
        "figure are in [`table.csv`](table.csv) and [`jit.csv`](jit.csv)."
    )


def _banner(run: Run, table: pd.DataFrame) -> str:
    notes = []
    if run.suite.get("quick"):
        notes.append(
            "This is a **quick run**: fewer sizes and rounds. Good for checking that "
            "everything works; for teaching, use the numbers of a full `nox -s bench`."
        )
    git = run.suite.get("git") or {}
    if git.get("dirty"):
        notes.append("The code had **uncommitted changes** when it was measured.")
    shaky = len(flagged(table))
    if shaky:
        notes.append(
            f"{shaky} of {int((table['status'] == 'ok').sum())} measurements are flagged as "
            "less trustworthy: see [Numbers not to trust](#numbers-not-to-trust)."
        )
    skipped = len(not_run(table))
    if skipped:
        notes.append(
            f"{skipped} cases were not run; they are listed under "
            "[Numbers not to trust](#numbers-not-to-trust)."
        )
    if not notes:
        return ""
    return "> [!WARNING]\n" + "\n>\n".join(f"> {note}" for note in notes)


# --- the headline ---------------------------------------------------------------------


def _headline(table: pd.DataFrame, run: Run, figures: set[str]) -> str:
    head = analysis.headline(table)
    title = "## The slides' example on this machine"
    if head is None:
        return (
            f"{title}\n\nThe dot product was not measured with NumPy in this run, so the "
            "slides' comparison of a for-loop with `np.dot` cannot be reproduced from it."
        )
    n_text = format_count(head.n)
    lines = [title, ""]
    if head.n != analysis.HEADLINE_N:
        lines.append(
            f"_The slides use n = 1,000,000; this run has no such case measured for both, "
            f"so the closest size is used: n = {n_text}._\n"
        )
    numpy_rows = head.measured("numpy")
    numpy_one = numpy_rows.iloc[0]
    loop = head.row("python")
    what = f"the dot product of two {n_text}-element {head.dtype} vectors"
    if loop is not None and loop["status"] == "ok":
        ratio = loop["median_s"] / numpy_one["median_s"]
        lines.append(
            f"**A Python `for` loop takes {format_time(loop['median_s'])}{_mark(loop['flags'])} "
            f"to compute {what}; `np.dot` takes {format_time(numpy_one['median_s'])}"
            f"{_mark(numpy_one['flags'])} ({style.threads_label(int(numpy_one['threads']))}). "
            f"{_sentence(_faster(ratio, 'NumPy', 'the loop'))}"
            f"{_mark(loop['flags'], numpy_one['flags'])}.**"
        )
    elif loop is not None and math.isfinite(loop["predicted_s"]):
        ratio = loop["predicted_s"] / numpy_one["median_s"]
        lines.append(
            f"`np.dot` computes {what} in {format_time(numpy_one['median_s'])}"
            f"{_mark(numpy_one['flags'])}. The Python "
            f"loop was not run at this size ({loop['reason'] or 'no reason given'}); its "
            f"predicted time, {format_time(loop['predicted_s'])}, would make NumPy about "
            f"{format_ratio(ratio)} faster — a prediction, not a measurement."
        )
        loop = None
    else:
        lines.append(
            f"`np.dot` computes {what} in {format_time(numpy_one['median_s'])}"
            f"{_mark(numpy_one['flags'])}; the Python "
            "loop was not measured at this size, so there is no ratio to show."
        )
        loop = None
    numba = head.measured("numba")
    if len(numba):
        lines[-1] += " " + _numba_headline(numba.iloc[0], numpy_rows, loop)
    lines += ["", _headline_table(head, loop), "", _figure("headline", "dot product", figures)]
    why = _headline_why(loop, numpy_one, run)
    if why:
        lines += ["", why]
    return with_note("\n".join(lines))


def _numba_headline(numba: pd.Series, numpy_rows: pd.DataFrame, loop: pd.Series | None) -> str:
    same = numpy_rows[numpy_rows["threads"] == numba["threads"]]
    reference = same.iloc[0] if len(same) else numpy_rows.iloc[0]
    text = f"Numba's compiled loop takes {format_time(numba['median_s'])}{_mark(numba['flags'])}"
    if loop is not None:
        text += (
            f", {format_ratio(loop['median_s'] / numba['median_s'])} faster than the loop"
            f"{_mark(loop['flags'], numba['flags'])}"
        )
    against_numpy = Comparison.of(_quartiles(reference), _quartiles(numba))
    mark = _mark(reference["flags"], numba["flags"])
    if against_numpy.verdict == LEVEL:
        text += f"; against NumPy it is level{mark}."
    else:
        text += f"; {_faster(against_numpy.speedup, 'Numba', 'NumPy')}{mark} here."
    return text


def _headline_table(head: analysis.Headline, loop: pd.Series | None) -> str:
    rows = []
    for backend in sorted(head.rows["backend"].unique(), key=style.backend_rank):
        for row in head.rows[head.rows["backend"] == backend].sort_values("threads").itertuples():
            name = _case(backend, row.threads)
            if row.status != "ok":
                predicted = (
                    f"predicted {format_time(row.predicted_s)}"
                    if math.isfinite(row.predicted_s)
                    else "—"
                )
                rows.append([name, f"not run ({predicted})", "—"])
                continue
            against = (
                _relative(loop["median_s"] / row.median_s) + _mark(loop["flags"], row.flags)
                if loop is not None and backend != "python"
                else "—"
            )
            rows.append([name, format_time(row.median_s) + _mark(row.flags), against])
    return md_table(["", "time per call (median)", "against the loop"], rows)


def _headline_why(loop: pd.Series | None, numpy_one: pd.Series, run: Run) -> str:
    if loop is None:
        return ""
    against_loop = Comparison.of(_quartiles(loop), _quartiles(numpy_one))
    if against_loop.speedup < 1:
        return (
            f"Why the loop wins here: with only {format_count(loop['size'])} elements there is "
            "little work, and NumPy's fixed cost per call — checking the arguments, "
            "dispatching to compiled code, returning a result — outweighs it (its call takes "
            f"{format_time(numpy_one['median_s'])}). [Where the lead changes hands]"
            "(#where-the-lead-changes-hands) shows from which size NumPy is ahead, if it ever "
            "is in this run."
        )
    if against_loop.clear_lead != FASTER:
        return ""
    blas = (run.suite.get("threads") or {}).get("blas") or []
    library = ""
    if blas and isinstance(blas[0], dict) and blas[0].get("internal_api"):
        library = f" (a BLAS routine, here {blas[0]['internal_api']} {blas[0].get('version', '')})"
    text = (
        f"Why: per element, the loop spends {_per_element(loop)}{_mark(loop['flags'])} — "
        "for every number the "
        "interpreter fetches the next bytecode, looks up the types, and makes a new Python "
        f"float for each product and sum. `np.dot` spends {_per_element(numpy_one)}"
        f"{_mark(numpy_one['flags'])}: one call "
        f"into compiled code{library.rstrip()} that runs through raw arrays of machine numbers, "
        "several per instruction (SIMD)."
    )
    reading = _bandwidth_reading(numpy_one, run)
    if reading:
        text += (
            f" It reads the two vectors at {format_rate(numpy_one['gb_per_s'], 'GB/s')}"
            f"{_mark(numpy_one['flags'])}, {reading}."
        )
    return text


# --- the summary -----------------------------------------------------------------------


def _summary(table: pd.DataFrame, figures: set[str]) -> str:
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
        _figure("summary", "speedup over NumPy at the largest size", figures),
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
    name = f"**{_case(backend, threads)}**"
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


def _crossovers(table: pd.DataFrame) -> str:
    columns = _crossover_columns(table)
    if not columns:
        return ""
    rows, used = [], set()
    for op in analysis.ops(table):
        dtype = _primary_dtype(table, op)
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
        f"{_case(contender, threads)} faster than {_case(reference, ref_threads)}"
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


# --- op by op ------------------------------------------------------------------------


def _op_sections(table: pd.DataFrame, run: Run, figures: set[str]) -> str:
    parts = ["## Op by op"]
    for op in analysis.ops(table):
        parts.append(_op_section(table, run, op, figures))
    return "\n\n".join(parts)


def _op_section(table: pd.DataFrame, run: Run, op: str, figures: set[str]) -> str:
    lines = [f"### `{op}`", ""]
    for kind, alt in (
        ("time", "time per call against size"),
        ("speedup", "speedup over the loop and over NumPy"),
        ("memory-throughput", "achieved memory throughput against data size"),
    ):
        figure = _figure(stem(kind, op), f"{op}: {alt}", figures)
        if figure:
            lines += [figure, ""]
    readings = op_readings(table, run, op)
    if readings:
        lines += ["What the figures show:", ""] + [f"- {text}" for text in readings]
        if any(MARK in text for text in readings):
            lines += ["", MARK_NOTE]
    rows = table[table["op"] == op]
    skipped = not_run(rows)
    if len(skipped):
        listed = "\n".join(f"- {_not_run_text(row)}" for _, row in skipped.iterrows())
        lines += [
            "",
            "Not run, so missing from the lines above (marked where predicted):",
            "",
            fold(f"{len(skipped)} cases not run", listed, len(skipped)),
        ]
    shaky = flagged(rows)
    if len(shaky):
        lines += [
            "",
            f"{len(shaky)} of this op's {len(measured(rows))} measurements are flagged: "
            "see [Numbers not to trust](#numbers-not-to-trust).",
        ]
    return "\n".join(lines)


def _not_run_text(row: pd.Series) -> str:
    text = f"{_case(row['backend'], row['threads'])}, {row['dtype']}, {_shape(row)}"
    details = []
    if row["reason"]:
        details.append(str(row["reason"]))
    if math.isfinite(row["predicted_s"]) and "predicted" not in str(row["reason"]):
        details.append(f"predicted {format_time(row['predicted_s'])} per call")
    return text + (f" — {'; '.join(details)}" if details else "")


def op_readings(table: pd.DataFrame, run: Run, op: str) -> list[str]:
    """Plain-language readings of one op's numbers, each backed by the table."""
    dtype = _primary_dtype(table, op)
    rows = table[(table["op"] == op) & (table["dtype"] == dtype)]
    if measured(rows).empty:
        return []
    readings = []
    readings += _loop_against_numpy(rows)
    readings += _compiled_against_numpy(rows)
    readings += _memory(rows, run)
    readings += _threads(rows, run)
    readings += _precision(table, op)
    return readings


def _common(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    return a.merge(b, on=["shape", "size"], suffixes=("_a", "_b")).sort_values("size")


def _loop_against_numpy(rows: pd.DataFrame) -> list[str]:
    loop = _series(rows, "python")
    numpy = _series(rows, "numpy")
    if loop.empty or numpy.empty:
        missing = "the Python loop" if loop.empty else "NumPy"
        return [f"{missing.capitalize()} was not measured for this op and dtype."]
    both = _common(loop, numpy)
    if both.empty:
        return ["The loop and NumPy were never measured at the same size."]
    largest, smallest = both.iloc[-1], both.iloc[0]
    numpy_over_loop = Comparison.of(_quartiles(largest, "_a"), _quartiles(largest, "_b"))
    ratio = numpy_over_loop.speedup
    loop_mark, numpy_mark = _mark(largest["flags_a"]), _mark(largest["flags_b"])
    readings = [
        f"At {_shape(largest)}, {_faster(ratio, 'NumPy', 'the Python loop')}"
        f"{_mark(largest['flags_a'], largest['flags_b'])} "
        f"(NumPy {format_time(largest['median_s_b'])}{numpy_mark}, "
        f"loop {format_time(largest['median_s_a'])}{loop_mark} per call)."
    ]
    per_element = loop["median_s"] / loop["size"]
    loop_each = format_time(largest["median_s_a"] / largest["size"]) + loop_mark
    numpy_each = format_time(largest["median_s_b"] / largest["size"]) + numpy_mark
    if per_element.max() / per_element.min() < STEADY_PER_ELEMENT and len(loop) > 1:
        steady = f"about {format_time(per_element.median())} per element at every size measured"
    else:
        steady = f"{loop_each} per element at {_shape(largest)}"
    if numpy_over_loop.clear_lead == FASTER:
        readings.append(
            f"The loop costs {steady}: the interpreter handles one boxed Python number at a "
            f"time. NumPy's compiled loops take {numpy_each} per element on raw machine numbers, "
            "several at a time with SIMD instructions where they can."
        )
    if len(both) > 1:
        small_ratio = smallest["median_s_a"] / smallest["median_s_b"]
        small_mark = _mark(smallest["flags_a"], smallest["flags_b"])
        numpy_small_each = smallest["median_s_b"] / smallest["size"]
        fixed_cost_dominates = (
            numpy_small_each > FIXED_COST_SHARE * largest["median_s_b"] / largest["size"]
        )
        call = (
            f"NumPy takes {format_time(smallest['median_s_b'])}{_mark(smallest['flags_b'])} per "
            f"call there, {format_time(numpy_small_each)} per element against {numpy_each} at "
            f"{_shape(largest)}: the fixed cost of each call — checking the arguments, "
            "allocating the result, dispatching to compiled code — has little work to spread "
            "over."
        )
        if small_ratio < 1:
            text = f"At the smallest size, {_shape(smallest)}, " + (
                f"the loop wins: {_faster(small_ratio, 'NumPy', 'the loop')}{small_mark}."
                if ratio >= 1
                else f"the loop's lead is {format_ratio(1 / small_ratio)}{small_mark}."
            )
            readings.append(text + (" " + call if fixed_cost_dominates else ""))
        elif small_ratio < ratio * SHRINKS_TO:
            text = (
                f"At the smallest size, {_shape(smallest)}, the lead shrinks to "
                f"{format_ratio(small_ratio)}{small_mark}."
            )
            readings.append(text + (" " + call if fixed_cost_dominates else ""))
    return readings


def _versus_series(rows: pd.DataFrame, reference: str, backend: str, threads=None):
    paired = analysis.versus(rows, reference, contenders=[backend])
    if paired.empty:
        return paired
    chosen = paired["threads"].min() if threads is None else threads
    return paired[paired["threads"] == chosen].sort_values("size")


def _compiled_against_numpy(rows: pd.DataFrame) -> list[str]:
    paired = _versus_series(rows, "numpy", "numba")
    if paired.empty:
        return []
    readings = []
    largest, smallest = paired.iloc[-1], paired.iloc[0]
    at_largest = analysis.comparison(largest)
    times = (
        f"Numba {format_time(largest['median_s'])}{_mark(largest['flags'])}, NumPy "
        f"{format_time(largest['ref_median_s'])}{_mark(largest['ref_flags'])} per call"
    )
    if at_largest.verdict == LEVEL:
        readings.append(
            f"Numba and NumPy are level at {_shape(largest)} ({times}). "
            "Both run compiled loops over the same data."
        )
    else:
        ratio = largest["speedup"]
        mark = _mark(largest["flags"], largest["ref_flags"])
        text = f"At {_shape(largest)}, {_faster(ratio, 'Numba', 'NumPy')}{mark} ({times})."
        if not _work_dominates(paired["ref_median_s"]):
            text += (
                " NumPy's time hardly grows from the smallest size measured to this one, so "
                "this compares the fixed costs of a call rather than the loops inside."
            )
        elif ratio >= PYTHON_STEPS_LEAD:
            text += (
                " A gap this large means NumPy's version still does part of its work as "
                "Python steps — in a per-sample rule, one step per sample — while Numba "
                "compiles all of it."
            )
        elif at_largest.clear_lead == FASTER:
            text += (
                " Usually this is NumPy's temporaries: NumPy evaluates an expression one "
                "whole-array operation at a time, writing each intermediate result to memory "
                "and reading it back, while Numba's loop does every step in one pass."
            )
        readings.append(text)
    if (
        _work_dominates(paired["ref_median_s"])
        and analysis.comparison(smallest).clear_lead == FASTER
    ):
        readings.append(
            f"At {_shape(smallest)}, Numba is {format_ratio(smallest['speedup'])}"
            f"{_mark(smallest['flags'], smallest['ref_flags'])} faster than "
            f"NumPy (Numba {format_time(smallest['median_s'])}{_mark(smallest['flags'])}, NumPy "
            f"{format_time(smallest['ref_median_s'])}{_mark(smallest['ref_flags'])} per call): "
            "there, the per-call cost "
            "decides, and a call into one compiled function costs less than NumPy's checks "
            "and allocations for each operation."
        )
    return readings


def _bandwidth_reading(row: pd.Series, run: Run) -> str:
    """What the share of the measured bandwidth says about ``row``, or "" if nothing."""
    share = row["bandwidth_share"]
    if not math.isfinite(share):
        return ""
    l3 = (run.suite.get("cpu") or {}).get("l3_bytes")
    data = format_bytes(row["bytes"])
    measured_at = format_rate(row["bandwidth_GBps"], "GB/s")
    if share > ABOVE_CEILING:
        if isinstance(l3, int) and row["bytes"] <= l3:
            return (
                f"{format_percent(share)} of the main-memory bandwidth measured on this machine "
                f"({measured_at}): its {data} fit in the {format_bytes(l3)} L3 cache, so part "
                "of the data can come from the cache, which delivers it faster than main memory"
            )
        fits = (
            f"its {data} do not fit in the {format_bytes(l3)} L3 cache, so "
            if isinstance(l3, int)
            else ""
        )
        return (
            f"{format_percent(share)} of the read bandwidth measured on this machine "
            f"({measured_at}): {fits}memory delivered more at this footprint than the "
            "bandwidth probe measured at its own; take the measured ceiling as a lower bound"
        )
    text = f"{format_percent(share)} of the read bandwidth measured on this machine ({measured_at})"
    if share >= MEMORY_BOUND:
        text += (
            ": memory, not arithmetic, sets the pace — faster instructions would wait for "
            "the same data"
        )
        if isinstance(l3, int) and row["bytes"] > l3:
            text += f" ({data} per call do not fit in the {format_bytes(l3)} L3 cache)"
    elif share < NOT_MEMORY_BOUND:
        text += ": memory bandwidth is not what limits it"
        peak = (run.suite.get("limits") or {}).get("peak_GFLOPs")
        ceiling = limit_at(peak, int(row["threads"]), run.all_cores) if peak else math.nan
        if math.isfinite(ceiling):
            text += (
                f"; it computes {format_rate(row['gflop_per_s'], 'GFLOP/s')}, "
                f"{format_percent(row['gflop_per_s'] / ceiling)} of the measured peak"
            )
    return text


def _memory(rows: pd.DataFrame, run: Run) -> list[str]:
    cases = measured(rows)
    cases = cases[cases["size"] == cases["size"].max()]
    cases = cases[cases["gb_per_s"].notna() & (cases["bytes"] > 0)]
    if cases.empty:
        return []
    best = cases.loc[cases["gb_per_s"].idxmax()]
    moved = (
        f"At {_shape(best)}, the fastest, {_case(best['backend'], best['threads'])}, moves "
        f"{format_rate(best['gb_per_s'], 'GB/s')}{_mark(best['flags'])}"
    )
    reading = _bandwidth_reading(best, run)
    if not reading:
        return [moved + " (this run has no bandwidth measurement to compare it with)."]
    text = f"{moved}, {reading}."
    compiled = cases[cases["backend"] != "python"]
    if (
        MEMORY_BOUND <= best["bandwidth_share"] <= ABOVE_CEILING
        and len(compiled) > 1
        and compiled["gb_per_s"].max() / compiled["gb_per_s"].min() < SAME_WALL
    ):
        text += f" That is why NumPy and Numba end up within {SAME_WALL:g}× of each other here."
    return [text]


def _threads(rows: pd.DataFrame, run: Run) -> list[str]:
    readings = _parallel_threads(rows)
    numpy = analysis.versus(rows, "numpy", reference_threads=1, contenders=["numpy"])
    if not numpy.empty:
        most = numpy["threads"].max()
        largest = numpy[numpy["threads"] == most].sort_values("size").iloc[-1]
        ratio = largest["speedup"]
        mark = _mark(largest["flags"], largest["ref_flags"])
        threads = style.threads_label(int(most))
        if largest["verdict"] == LEVEL:
            readings.append(
                f"NumPy takes about the same time with {threads} as with one at "
                f"{_shape(largest)} ({format_ratio(ratio)}{mark}): apart from its BLAS calls "
                "(matrix and vector products), NumPy computes on one thread."
            )
        elif ratio > 1:
            readings.append(
                f"NumPy is {format_ratio(ratio)}{mark} faster with {threads} "
                f"than with one at {_shape(largest)}: its BLAS library splits the products "
                "across cores."
            )
        else:
            readings.append(
                f"NumPy is {format_ratio(1 / ratio)}{mark} slower with {threads} "
                f"than with one at {_shape(largest)}."
            )
    return readings


def _parallel_threads(rows: pd.DataFrame) -> list[str]:
    """Numba parallel with its most threads against the same kernel on one thread.

    The reference is Numba parallel at 1 thread (the same compiled kernel), so the ratio
    measures the threads alone; plain Numba stands in only if that was not measured.
    """
    same_kernel = analysis.versus(
        rows, "numba_parallel", reference_threads=1, contenders=["numba_parallel"]
    )
    reference = "Numba parallel on 1 thread"
    parallel = same_kernel[same_kernel["ref_threads"] == 1]
    if parallel.empty:
        parallel = analysis.versus(rows, "numba", contenders=["numba_parallel"])
        reference = "one-thread Numba"
    if parallel.empty:
        return []
    most = int(parallel["threads"].max())
    series = parallel[parallel["threads"] == most].sort_values("size")
    if most <= 1 or series.empty:
        return []
    largest, smallest = series.iloc[-1], series.iloc[0]
    ratio = largest["speedup"]
    mark = _mark(largest["flags"], largest["ref_flags"])
    threads = style.threads_label(most)
    readings = []
    slower = largest["verdict"] == SLOWER
    if slower:
        text = (
            f"With {threads}, Numba parallel is {format_ratio(1 / ratio)}{mark} slower than "
            f"{reference} at {_shape(largest)}, the largest size measured: starting and "
            "joining the threads costs more than they save."
        )
    else:
        text = (
            f"With {threads}, Numba parallel is {format_ratio(ratio)}{mark} as fast as "
            f"{reference} at {_shape(largest)}"
            + (f" (at most {most}× is possible)." if ratio <= most else ".")
        )
        if largest["bandwidth_share"] >= MEMORY_BOUND and ratio < LITTLE_GAIN:
            text += (
                f" The threads share one memory system, and at "
                f"{format_percent(largest['bandwidth_share'])} of the measured bandwidth "
                "there is little left for them to gain."
            )
    readings.append(text)
    cost = smallest["median_s"] - smallest["ref_median_s"]
    if (
        not slower
        and len(series) > 1
        and smallest["speedup"] < 1
        and cost > smallest["ref_median_s"]
    ):
        readings.append(
            f"At {_shape(smallest)}, the threads make it "
            f"{format_ratio(1 / smallest['speedup'])}"
            f"{_mark(smallest['flags'], smallest['ref_flags'])} slower: waking them and "
            f"splitting the work adds {format_time(cost)} per call, more than the whole "
            "one-thread computation takes."
        )
    return readings


def _precision(table: pd.DataFrame, op: str) -> list[str]:
    dtypes = analysis.dtypes(table, op)
    if not {"float32", "float64"} <= set(dtypes):
        return []
    cases = measured(table[(table["op"] == op) & (table["backend"] == "numpy")])
    single = cases[cases["dtype"] == "float32"]
    double = cases[cases["dtype"] == "float64"]
    both = single.merge(double, on=["shape", "size", "threads"], suffixes=("_32", "_64"))
    if both.empty:
        return []
    largest = both.sort_values(["size", "threads"]).iloc[-1]
    single_over_double = Comparison.of(_quartiles(largest, "_64"), _quartiles(largest, "_32"))
    ratio = single_over_double.speedup
    where = f"{_shape(largest)}, {style.threads_label(int(largest['threads']))}"
    mark = _mark(largest["flags_32"], largest["flags_64"])
    if single_over_double.clear_lead == FASTER:
        text = (
            f"In float32, NumPy is {format_ratio(ratio)}{mark} faster than in float64 ({where}): a "
            "float32 number is half the size, so there are half the bytes to move and twice "
            "as many numbers per SIMD instruction."
        )
    elif single_over_double.clear_lead == SLOWER:
        text = (
            f"In float32, NumPy is {format_ratio(1 / ratio)}{mark} slower than in float64 "
            f"({where})."
        )
    else:
        text = (
            f"In float32, NumPy takes about as long as in float64 ({format_ratio(ratio)}{mark} as "
            f"fast; {where})."
        )
    return [text]


# --- the JIT's price -------------------------------------------------------------------


def _calls(value: float, level: bool = False) -> str:
    if math.isnan(value):
        return "—"
    if level:
        return NEVER_LEVEL
    return "never" if math.isinf(value) else f"{format_count(value)} calls"


def _jit(costs: pd.DataFrame, figures: set[str]) -> str:
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
        _figure("jit", "total time after k calls", figures),
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


# --- what not to trust ------------------------------------------------------------------


def _flag_reasons(row: pd.Series) -> str:
    reasons = []
    flags = row["flags"].split("; ")
    if FLAG_SPREAD in flags:
        reasons.append(f"IQR {format_percent(row['iqr_rel'])} of the median")
    if FLAG_TIMER in flags:
        reasons.append(
            f"a timed round lasts {format_time(row['median_s'] * row['iterations'])}, "
            f"under {TIMER_FACTOR}× the timer's resolution"
        )
    if FLAG_ROUNDS in flags:
        reasons.append(f"only {row['rounds']} rounds")
    return "; ".join(reasons)


def _trust(table: pd.DataFrame) -> str:
    lines = [
        "## Numbers not to trust",
        "",
        f"One rule for every timing on this page, the course experiments included: "
        f"{rules.flag_rule()}. Flagged numbers are shown like the others, marked "
        f"{MARK} where the text and the tables cite them, but read them as rough: rerun on a "
        "quiet machine before drawing conclusions from them.",
        "",
    ]
    shaky = flagged(table)
    if shaky.empty:
        lines.append("No measurement of this run is flagged.")
    else:
        rows = [
            [
                f"`{row['op']}`",
                _case(row["backend"], row["threads"]),
                row["dtype"],
                _shape(row),
                format_time(row["median_s"]),
                _flag_reasons(row),
            ]
            for _, row in shaky.iterrows()
        ]
        body = md_table(["op", "backend", "dtype", "size", "median", "why flagged"], rows)
        lines.append(fold(f"{len(rows)} flagged measurements", body, len(rows)))
    skipped = not_run(table)
    lines += ["", "### Not run", ""]
    if skipped.empty:
        lines.append("Every case of the run was measured.")
    else:
        rows = [
            [
                f"`{row['op']}`",
                _case(row["backend"], row["threads"]),
                row["dtype"],
                _shape(row),
                row["reason"] or "—",
                format_time(row["predicted_s"]) if math.isfinite(row["predicted_s"]) else "—",
            ]
            for _, row in skipped.iterrows()
        ]
        body = md_table(["op", "backend", "dtype", "size", "why", "predicted time per call"], rows)
        lines.append(fold(f"{len(rows)} cases not run", body, len(rows)))
    return "\n".join(lines)


# --- the machine ------------------------------------------------------------------------


def _machine(run: Run) -> str:
    suite = run.suite
    cpu = suite.get("cpu") or {}
    threads = suite.get("threads") or {}
    limits = suite.get("limits") or {}
    timer = suite.get("timer") or {}
    git = suite.get("git") or {}

    def cache(key: str) -> str:
        value = cpu.get(key)
        return format_bytes(value) if isinstance(value, int) else "unknown"

    facts = [
        ["CPU", f"{cpu.get('brand', 'unknown')} ({cpu.get('arch', '?')})"],
        [
            "cores",
            f"{cpu.get('logical_cores', '?')} logical, "
            f"{cpu.get('physical_cores') or '?'} physical; "
            f"“all cores” = {threads.get('all_cores', '?')} threads",
        ],
        ["caches", f"L1d {cache('l1d_bytes')}, L2 {cache('l2_bytes')}, L3 {cache('l3_bytes')}"],
        ["SIMD", ", ".join(cpu.get("simd") or []) or "unknown"],
    ]
    for key, name, unit in (
        ("read_GBps", "memory read bandwidth", "GB/s"),
        ("triad_GBps", "memory triad bandwidth", "GB/s"),
        ("peak_GFLOPs", "peak arithmetic", "GFLOP/s"),
    ):
        measured_values = limits.get(key) or {}
        if measured_values:
            facts.append(
                [
                    name,
                    ", ".join(
                        f"{format_rate(value, unit)} with {_threads_text(count)}"
                        for count, value in measured_values.items()
                    ),
                ]
            )
    if limits.get("method"):
        facts.append(["how the limits were measured", str(limits["method"])])
    facts.append(["Numba threading layer", str(threads.get("numba_threading_layer", "unknown"))])
    for blas in threads.get("blas") or []:
        if isinstance(blas, dict):
            facts.append(
                [
                    "BLAS",
                    f"{blas.get('internal_api', '?')} {blas.get('version', '')} "
                    f"({blas.get('architecture', '?')}, {blas.get('num_threads', '?')} threads)",
                ]
            )
    resolution = timer.get("resolution_s")
    facts.append(
        [
            "timer",
            f"{timer.get('name', 'unknown')}, resolution "
            + (format_time(resolution) if resolution else "unknown"),
        ]
    )
    commit = git.get("commit") or run.commit.get("id") or "unknown"
    facts.append(
        ["code", f"`{commit}`" + (" with uncommitted changes" if git.get("dirty") else "")]
    )
    facts.append(
        [
            "system",
            f"{run.machine.get('system', '?')} {run.machine.get('release', '')}, "
            f"{run.machine.get('python_implementation', 'Python')} "
            f"{run.machine.get('python_version', '')}",
        ]
    )
    versions = suite.get("versions") or {}
    version_text = ", ".join(f"{name} {value}" for name, value in versions.items())
    facts.append(["versions", version_text or "unknown"])
    facts.append(["mode", "quick" if suite.get("quick") else "full"])
    if run.ignored:
        facts.append(["ignored", f"{run.ignored} benchmark entries of another kind than steady"])
    return "## The machine and its environment\n\n" + md_table(["", ""], facts)


def _threads_text(key: str) -> str:
    return style.threads_label(int(key)) if key.isdigit() else key.strip("<>")


# --- method -----------------------------------------------------------------------------


def _method(run: Run) -> str:
    probe = (run.suite.get("limits") or {}).get("method")
    how = f" ({probe})" if probe else ""
    return "\n".join(
        [
            "## How these numbers were made",
            "",
            "- Each case is timed by pytest-benchmark over many rounds; the figures show the "
            "**median** time per call and, as a band, the **interquartile range** (the middle "
            "half of the rounds). Medians resist the occasional slow round caused by other "
            "programs.",
            "- **Throughput** uses the cost model recorded with each case: the minimal number "
            "of floating-point operations of one call (GFLOP/s) and the bytes one call must "
            "at least read and write (GB/s). The **bandwidth share** divides GB/s by the read "
            "bandwidth measured on the same machine with the same number of threads. Above "
            "100% means that part of the data came from a cache, or that at this footprint "
            f"memory delivered more than the bandwidth probe measured at its own{how}; where "
            "the data does not fit in the L3 cache, the measured ceiling is a lower bound.",
            f"- **Faster, slower or level**, everywhere on this page: "
            f"{rules.comparison_rule()} Explanations of a gap "
            f"(interpreter, SIMD, temporaries, precision) are given only for a decided gap of "
            f"at least {rules.CLEAR_LEAD:g}×. Numba's one-shot compile probe has no spread "
            f"of its own; its times count as level with NumPy's when they differ by less than "
            f"{rules.ONE_SHOT_SPREAD:.0%} (the spread the flag rule still trusts).",
            "- Sizes: n for vectors; for an (m, n) matrix X the x axis counts its m·n elements.",
            "- Files: [`table.csv`](table.csv) has one row per op × backend × dtype × threads "
            "× size, with a `status` column for cases not run and a `flags` column; "
            "[`jit.csv`](jit.csv) has Numba's first-call costs and break-even counts.",
        ]
    )


def course_not_run(reason: str) -> str:
    return f"## Course experiments\n\nCourse experiments: not run ({reason})."


# --- the page ------------------------------------------------------------------------


def render_report(
    run: Run,
    table: pd.DataFrame,
    costs: pd.DataFrame,
    figures: set[str],
    course_section: str,
) -> str:
    """The whole README.md, from the run, its tidy table and the figures written."""
    parts = [
        _title(run, table),
        _banner(run, table),
        _headline(table, run, figures),
        _summary(table, figures),
        _crossovers(table),
        _op_sections(table, run, figures),
        _jit(costs, figures),
        _trust(table),
        course_section.strip(),
        _machine(run),
        _method(run),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"
