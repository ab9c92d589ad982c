"""Op by op: each op's figures and the readings of its numbers.

A sentence is written only when the numbers behind it were measured, worded by the verdicts
and thresholds of ``reports.rules``; an explanation of *why* (interpreter, SIMD, bandwidth,
temporaries, threads) only where the data shows its effect.
"""

from __future__ import annotations

import math

import pandas as pd

from reports import analysis, rules, style
from reports.figkit import EVERY_SPEEDUP, stem
from reports.formatting import format_bytes, format_percent, format_rate, format_ratio, format_time
from reports.load import Run, limit_at
from reports.markup import figure_link, fold, marked, with_note
from reports.phrases import case_name, faster_than, primary_dtype, shape_text
from reports.rules import FASTER, LEVEL, SLOWER
from reports.style import COMPILED, COMPILED_PARALLEL, LOOP, REFERENCE, Style
from reports.table import flagged, measured, not_run
from vbschema.run import CEILINGS


def every_op_readings(table: pd.DataFrame, run: Run, *, look: Style) -> dict[str, list[str]]:
    """Each op's readings, in report order: worked out once for the lesson's index and the
    op-by-op page."""
    return {op: op_readings(table, run, op, look=look) for op in analysis.ops(table, look=look)}


def op_sections(
    table: pd.DataFrame, readings: dict[str, list[str]], figures: set[str], *, look: Style
) -> str:
    alt = f"speedup over {look.name(REFERENCE)} at the largest size, every backend and thread count"
    parts = ["## Op by op", figure_link(EVERY_SPEEDUP, alt, figures)]
    parts += [_op_section(table, op, texts, figures, look=look) for op, texts in readings.items()]
    return "\n\n".join(part for part in parts if part)


def op_index(readings: dict[str, list[str]]) -> str:
    """The lesson's list of ops: each op's first reading, linked to its section."""
    lines = [
        f"- [`{op}`](#{op}): {texts[0] if texts else 'no reading'}"
        for op, texts in readings.items()
    ]
    return with_note("\n".join(["## Every op in one line", "", *lines])) if lines else ""


def _op_section(
    table: pd.DataFrame, op: str, readings: list[str], figures: set[str], *, look: Style
) -> str:
    lines = [f"### `{op}`", ""]
    for kind, alt in (
        ("time", "time per call against size"),
        ("speedup", f"speedup over the {look.name(LOOP)} and over {look.name(REFERENCE)}"),
        ("memory-throughput", "achieved memory throughput against data size"),
    ):
        if figure := figure_link(stem(kind, op), f"{op}: {alt}", figures):
            lines += [figure, ""]
    if readings:
        points = "\n".join(f"- {text}" for text in readings)
        lines += ["What the figures show:", "", with_note(points)]
    rows = table[table["op"] == op]
    skipped = not_run(rows)
    if len(skipped):
        listed = "\n".join(f"- {_not_run_text(row, look=look)}" for _, row in skipped.iterrows())
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


def _not_run_text(row: pd.Series, *, look: Style) -> str:
    case = case_name(row["backend"], row["threads"], look=look)
    details = [str(row["reason"])] if row["reason"] else []
    if math.isfinite(row["predicted_s"]) and "predicted" not in str(row["reason"]):
        details.append(f"predicted {format_time(row['predicted_s'])} per call")
    text = f"{case}, {row['dtype']}, {shape_text(row)}"
    return text + (f" — {'; '.join(details)}" if details else "")


def op_readings(table: pd.DataFrame, run: Run, op: str, *, look: Style) -> list[str]:
    """Plain-language readings of one op's numbers, each backed by the table."""
    dtype = primary_dtype(table, op)
    rows = table[(table["op"] == op) & (table["dtype"] == dtype)]
    if measured(rows).empty:
        return []
    return [
        *_loop_against_numpy(rows, look=look),
        *_compiled_against_numpy(rows, numpy_interprets(run, op), look=look),
        *_every_backend(rows, look=look),
        *_memory(rows, run, look=look),
        *_parallel_threads(rows, look=look),
        *_numpy_threads(rows, look=look),
        *_precision(table, op, look=look),
    ]


def work_dominates(times: pd.Series) -> bool:
    """Whether a series' time grows ``rules.WORK_GROWTH``-fold from its smallest size to its
    largest; if not, it is mostly each call's fixed cost, not the loop inside."""
    return len(times) > 1 and times.iloc[-1] >= rules.WORK_GROWTH * times.iloc[0]


def series_of(rows: pd.DataFrame, backend: str) -> pd.DataFrame:
    """Measured rows of one backend at its fewest threads, sorted by size."""
    cases = measured(rows[rows["backend"] == backend])
    return cases[cases["threads"] == cases["threads"].min()].sort_values(["size", "shape"])


def _beside(rows: pd.DataFrame, references: pd.DataFrame, on: list[str]) -> pd.DataFrame:
    """``rows`` beside ``references`` (prefixed ``ref_``) where ``on`` match, compared."""
    references = references.add_prefix("ref_")
    both = rows.merge(references, left_on=on, right_on=[f"ref_{column}" for column in on])
    return analysis.compared(both)


def _loop_against_numpy(rows: pd.DataFrame, *, look: Style) -> list[str]:
    loop = series_of(rows, look.the(LOOP))
    numpy = series_of(rows, look.the(REFERENCE))
    loop_name, ref = look.name(LOOP), look.name(REFERENCE)
    the_loop = f"the {loop_name}"
    if loop.empty or numpy.empty:
        missing = f"The {loop_name}" if loop.empty else ref
        return [f"{missing} was not measured for this op and dtype."]
    both = _beside(numpy, loop, ["shape", "size"]).sort_values("size")
    if both.empty:
        return [f"The loop and {ref} were never measured at the same size."]
    # The loop's largest sizes get few rounds in their time, and their intervals are often
    # wide. The reading quotes the largest size where neither measurement is flagged, among
    # those where NumPy's time per element is at most STEADY_PER_ELEMENT times that at the
    # largest size (its fixed cost per call not yet a large part); else the largest, marked.
    each = both["median_s"] / both["size"]
    trusted = [
        not marked(*flags) and per_element <= rules.STEADY_PER_ELEMENT * each.iloc[-1]
        for *flags, per_element in zip(both["flags"], both["ref_flags"], each, strict=True)
    ]
    largest = (both[trusted] if any(trusted) else both).iloc[-1]
    smallest = both.iloc[0]
    ratio = largest["speedup"]
    verdict = (
        f"{ref} and {the_loop} are level ({format_ratio(ratio)})"
        if largest["verdict"] == LEVEL
        else faster_than(ratio, ref, the_loop)
    )
    readings = [
        f"At {shape_text(largest)}, {verdict}{marked(largest['flags'], largest['ref_flags'])} "
        f"({ref} {_time(largest)}, loop {_time(largest, 'ref_')} per call)."
    ]
    numpy_each = format_time(largest["median_s"] / largest["size"]) + marked(largest["flags"])
    per_element = loop["median_s"] / loop["size"]
    if per_element.max() / per_element.min() < rules.STEADY_PER_ELEMENT and len(loop) > 1:
        steady = f"about {format_time(per_element.median())} per element at every size measured"
    else:
        loop_each = format_time(largest["ref_median_s"] / largest["size"])
        steady = f"{loop_each}{marked(largest['ref_flags'])} per element at {shape_text(largest)}"
    if analysis.comparison(largest).clear_lead == FASTER:
        readings.append(
            f"The loop costs {steady}: the interpreter handles one boxed Python number at a "
            f"time. {ref}'s compiled loops take {numpy_each} per element on raw machine numbers, "
            "several at a time with SIMD instructions where they can."
        )
    if len(both) < 2:
        return readings
    where = f"At the smallest size, {shape_text(smallest)}, "
    if smallest["verdict"] == SLOWER and largest["verdict"] == SLOWER:
        text = f"{where}the loop's lead is {_ratio(smallest, True)}."
    elif smallest["verdict"] == SLOWER:
        wins = faster_than(smallest["speedup"], ref, "the loop")
        text = f"{where}the loop wins: {wins}{marked(smallest['flags'], smallest['ref_flags'])}."
    elif smallest["speedup"] < ratio * rules.SHRINKS_TO:
        text = f"{where}the lead shrinks to {_ratio(smallest)}."
    else:
        return readings
    numpy_small_each = smallest["median_s"] / smallest["size"]
    if numpy_small_each > rules.FIXED_COST_SHARE * largest["median_s"] / largest["size"]:
        text += (
            f" {ref} takes {_time(smallest)} per call there, {format_time(numpy_small_each)} per "
            f"element against {numpy_each} at {shape_text(largest)}: the fixed cost of each call "
            "— checking the arguments, allocating the result, dispatching to compiled code — has "
            "little work to spread over."
        )
    readings.append(text)
    return readings


def _every_backend(rows: pd.DataFrame, *, look: Style) -> list[str]:
    """Each other backend at its most threads against the reference at its largest size."""
    reference = look.the(REFERENCE)
    at = measured(rows[rows["backend"] == reference])
    if at.empty:
        return []
    largest = at.loc[at["size"].idxmax()]
    here = rows[rows["shape"] == largest["shape"]]
    paired = analysis.versus(here, reference)
    clauses, absent = [], []
    for backend in sorted(set(rows["backend"]) - {reference}, key=look.backend_rank):
        mine = paired[paired["backend"] == backend]
        if mine.empty:
            absent.append(look.label(backend))
            continue
        row = mine.loc[mine["threads"].idxmax()]
        clause = f"{case_name(backend, int(row['threads']), look=look)} {_speedup(row)}"
        base = look.field(backend, "variant_of")
        of_base = analysis.versus(here, base, contenders=[backend]) if base else mine.iloc[:0]
        of_base = of_base[of_base["threads"] == row["threads"]]
        if len(of_base):
            clause += f", {_speedup(of_base.iloc[0])} against {look.label(base)}"
        clauses.append(clause)
    if not clauses:
        return []
    text = (
        f"Against {look.label(reference)} at {shape_text(largest)} (its time over each "
        f"one's: above 1× is faster): {'; '.join(clauses)}."
    )
    if absent:
        text += f" Not measured at that size: {', '.join(absent)}."
    return [text]


def _time(row: pd.Series, side: str = "") -> str:
    """ "1.2 ms†": a paired case's median time per call (``side="ref_"``: its reference's)."""
    return format_time(row[f"{side}median_s"]) + marked(row[f"{side}flags"])


def _ratio(row: pd.Series, inverse: bool = False) -> str:
    """ "1.4×†": a paired case's speedup over its reference, or its inverse."""
    ratio = 1 / row["speedup"] if inverse else row["speedup"]
    return format_ratio(ratio) + marked(row["flags"], row["ref_flags"])


def _speedup(row: pd.Series) -> str:
    """ "1.4× (faster)": a paired case's speedup over its reference, and the verdict."""
    return f"{_ratio(row)} ({row['verdict']})"


def numpy_interprets(run: Run, op: str) -> bool:
    """Whether the run's NumPy backend loops over this op's samples in Python (the
    catalogue says so: the per-sample rules), rather than in compiled code."""
    reference = Style.of(run.catalogue).the(REFERENCE)
    how = run.catalogue.get("backends", {}).get(reference, {}).get("interprets", "none")
    sequential = bool(run.catalogue.get("ops", {}).get(op, {}).get("sequential"))
    return how == "all" or (how == "sequential" and sequential)


def _compiled_against_numpy(rows: pd.DataFrame, interprets: bool, *, look: Style) -> list[str]:
    paired = analysis.versus(rows, look.the(REFERENCE), contenders=[look.the(COMPILED)])
    if paired.empty:
        return []
    paired = paired[paired["threads"] == paired["threads"].min()].sort_values("size")
    readings = []
    largest, smallest = paired.iloc[-1], paired.iloc[0]
    at_largest = analysis.comparison(largest)
    work_grows = work_dominates(paired["ref_median_s"])
    jit, ref = look.name(COMPILED), look.name(REFERENCE)
    times = f"{jit} {_time(largest)}, {ref} {_time(largest, 'ref_')} per call"
    if at_largest.verdict == LEVEL:
        readings.append(
            f"{jit} and {ref} are level at {shape_text(largest)} ({times}). "
            "Both run compiled loops over the same data."
        )
    else:
        ratio = largest["speedup"]
        mark = marked(largest["flags"], largest["ref_flags"])
        text = f"At {shape_text(largest)}, {faster_than(ratio, jit, ref)}{mark} ({times})."
        if not work_grows:
            text += (
                f" {ref}'s time hardly grows from the smallest size measured to this one, so "
                "this compares the fixed costs of a call rather than the loops inside."
            )
        elif ratio >= rules.PYTHON_STEPS_LEAD and interprets:
            text += (
                f" A gap this large comes from {ref}'s version doing part of its work as "
                f"Python steps — in this per-sample rule, one step per sample — while {jit} "
                "compiles all of it."
            )
        elif at_largest.clear_lead == FASTER:
            text += (
                f" Usually this is {ref}'s temporaries: {ref} evaluates an expression one "
                "whole-array operation at a time, writing each intermediate result to memory "
                f"and reading it back, while {jit}'s loop does every step in one pass."
            )
        readings.append(text)
    if work_grows and analysis.comparison(smallest).clear_lead == FASTER:
        readings.append(
            f"At {shape_text(smallest)}, {jit} is {_ratio(smallest)} faster than {ref} ({jit} "
            f"{_time(smallest)}, {ref} {_time(smallest, 'ref_')} per call): there, the per-call "
            f"cost decides, and a call into one compiled function costs less than {ref}'s checks "
            "and allocations for each operation."
        )
    return readings


def _share_of(share: float) -> str:
    """A share as words: "37% of", or "all of" for a share past 100% by no more than the
    noise of two measurements (``rules.ABOVE_CEILING``): never a share over 100%."""
    return f"{format_percent(share)} of" if share <= 1.0 else "all of"


def bandwidth_reading(row: pd.Series, run: Run) -> str:
    """What the share of the measured bandwidth says about ``row``, or "" if nothing."""
    share = row["bandwidth_share"]
    if not math.isfinite(share):
        return ""
    l3 = (run.suite.get("cpu") or {}).get("l3_bytes")
    data = format_bytes(row["bytes"])
    measured_at = format_rate(row["bandwidth_GBps"], "GB/s")
    probes = [d["limit"] for d in rules.disturbances(run.suite) if d["kind"] == "probe"]
    contradicted = {CEILINGS[limit] for limit in probes if limit in CEILINGS}
    if row.get("served_from") in contradicted:  # the page's warning says why
        return (
            f"its {data} per call came from the {row['served_from']}, whose bandwidth probe "
            "contradicted itself: no share of it is given"
        )
    if row.get("served_from") == "cache":
        # its inputs fit in the last-level cache: the ceiling is the cache's bandwidth
        if share > rules.ABOVE_CEILING:  # above a ceiling: the ceiling's probe was disturbed
            return (
                f"faster than the {measured_at} the probe measured reading from the cache "
                f"(its {data} per call fit in the last-level cache): that probe was "
                "disturbed, so no share of it is given"
            )
        text = (
            f"{_share_of(share)} the bandwidth measured reading from the cache on this "
            f"machine ({measured_at}): its {data} per call fit in the last-level cache"
        )
        if share >= rules.MEMORY_BOUND:
            text += ", whose bandwidth, not arithmetic, sets the pace"
        return text
    if share > rules.ABOVE_CEILING:  # past a ceiling: never a share of it over 100%
        past = f"by {format_percent(share - 1)}"
        if isinstance(l3, int) and row["bytes"] <= l3:
            return (
                f"faster than the main-memory bandwidth measured on this machine "
                f"({measured_at}), {past}: its {data} fit in the {format_bytes(l3)} L3 cache, so "
                "part of the data can come from the cache, which delivers it faster than main "
                "memory"
            )
        fits = ""
        if isinstance(l3, int):
            fits = f"its {data} do not fit in the {format_bytes(l3)} L3 cache, so "
        return (
            f"faster than the read bandwidth measured on this machine ({measured_at}), {past}: "
            f"{fits}memory delivered more at this footprint than the bandwidth probe measured "
            "at its own; take the measured ceiling as a lower bound"
        )
    text = (
        f"{_share_of(share)} the bandwidth measured reading from memory on this "
        f"machine ({measured_at})"
    )
    if share >= rules.MEMORY_BOUND:
        text += (
            ": memory, not arithmetic, sets the pace — faster instructions would wait for "
            "the same data"
        )
        if isinstance(l3, int) and row["bytes"] > l3:
            text += f" ({data} per call do not fit in the {format_bytes(l3)} L3 cache)"
    elif share < rules.NOT_MEMORY_BOUND:
        text += ": memory bandwidth is not what limits it"
        peak = (run.suite.get("limits") or {}).get("peak_GFLOPs")
        ceiling = limit_at(peak, int(row["threads"]), run.all_cores) if peak else math.nan
        if math.isfinite(ceiling):
            text += (
                f"; it computes {format_rate(row['gflop_per_s'], 'GFLOP/s')}, "
                f"{format_percent(row['gflop_per_s'] / ceiling)} of the measured peak"
            )
    return text


def _memory(rows: pd.DataFrame, run: Run, *, look: Style) -> list[str]:
    cases = measured(rows)
    cases = cases[cases["size"] == cases["size"].max()]
    cases = cases[cases["gb_per_s"].notna() & (cases["bytes"] > 0)]
    if cases.empty:
        return []
    best = cases.loc[cases["gb_per_s"].idxmax()]
    moved = (
        f"At {shape_text(best)}, the fastest, "
        f"{case_name(best['backend'], best['threads'], look=look)}, moves "
        f"{format_rate(best['gb_per_s'], 'GB/s')}{marked(best['flags'])}"
    )
    reading = bandwidth_reading(best, run)
    if not reading:
        return [moved + " (this run has no bandwidth measurement to compare it with)."]
    text = f"{moved}, {reading}."
    compiled = cases[cases["backend"] != look.the(LOOP)]
    if (
        rules.MEMORY_BOUND <= best["bandwidth_share"] <= rules.ABOVE_CEILING
        and len(compiled) > 1
        and compiled["gb_per_s"].max() / compiled["gb_per_s"].min() < rules.SAME_WALL
    ):
        text += (
            f" That is why the compiled backends end up within {rules.SAME_WALL:g}× "
            "of each other here."
        )
    return [text]


def _numpy_threads(rows: pd.DataFrame, *, look: Style) -> list[str]:
    """NumPy with its most threads against NumPy on one."""
    reference = look.the(REFERENCE)
    numpy = analysis.versus(rows, reference, reference_threads=1, contenders=[reference])
    if numpy.empty:
        return []
    most = numpy["threads"].max()
    largest = numpy[numpy["threads"] == most].sort_values("size").iloc[-1]
    threads, where = style.threads_label(int(most)), shape_text(largest)
    ref = look.label(reference)
    if largest["verdict"] == LEVEL:
        return [
            f"{ref} takes about the same time with {threads} as with one at {where} "
            f"({_ratio(largest)}): apart from its BLAS calls (matrix and vector products), "
            f"{ref} computes on one thread."
        ]
    if largest["speedup"] > 1:
        return [
            f"{ref} is {_ratio(largest)} faster with {threads} than with one at {where}: its "
            "BLAS library splits the products across cores"
            + _beyond_the_threads(largest["speedup"], int(most))
        ]
    return [f"{ref} is {_ratio(largest, True)} slower with {threads} than with one at {where}."]


def _beyond_the_threads(ratio: float, threads: int) -> str:
    """The end of a sentence on a thread gain: why it may pass the thread count."""
    if ratio <= threads:
        return "."
    return (
        f"; more than the {threads}× that {threads} threads alone could give: each core "
        "brings its own L1 and L2 cache and its own memory requests in flight, so each "
        "thread's share of the data is served faster than the whole was on one."
    )


def _parallel_threads(rows: pd.DataFrame, *, look: Style) -> list[str]:
    """Numba parallel with its most threads against itself on one thread, so that the ratio
    measures the threads alone (against one-thread Numba if that was not measured)."""
    parallel_loop = look.the(COMPILED_PARALLEL)
    name = look.label(parallel_loop)
    parallel = analysis.versus(rows, parallel_loop, reference_threads=1, contenders=[parallel_loop])
    reference = f"{name} on 1 thread"
    if parallel.empty:
        parallel = analysis.versus(rows, look.the(COMPILED), contenders=[parallel_loop])
        reference = f"one-thread {look.name(COMPILED)}"
    if parallel.empty:
        return []
    most = int(parallel["threads"].max())
    series = parallel[parallel["threads"] == most].sort_values("size")
    if most <= 1:
        return []
    largest, smallest = series.iloc[-1], series.iloc[0]
    ratio = largest["speedup"]
    threads = style.threads_label(most)
    if largest["verdict"] == SLOWER:
        return [
            f"With {threads}, {name} is {_ratio(largest, True)} slower than "
            f"{reference} at {shape_text(largest)}, the largest size measured: starting and "
            "joining the threads costs more than they save."
        ]
    text = (
        f"With {threads}, {name} is {_ratio(largest)} as fast as {reference} at "
        f"{shape_text(largest)}"
        + (
            f" (at most {most}× is possible)."
            if ratio <= most
            else _beyond_the_threads(ratio, most)
        )
    )
    if largest["bandwidth_share"] >= rules.MEMORY_BOUND and ratio < rules.LITTLE_GAIN:
        text += (
            f" The threads share one memory system, and at "
            f"{format_percent(largest['bandwidth_share'])} of the measured bandwidth "
            "there is little left for them to gain."
        )
    readings = [text]
    cost = smallest["median_s"] - smallest["ref_median_s"]
    if len(series) > 1 and smallest["verdict"] == SLOWER and cost > smallest["ref_median_s"]:
        readings.append(
            f"At {shape_text(smallest)}, the threads make it {_ratio(smallest, True)} slower: "
            f"waking them and splitting the work adds {format_time(cost)} per call, more than "
            "the whole one-thread computation takes."
        )
    return readings


def _precision(table: pd.DataFrame, op: str, *, look: Style) -> list[str]:
    if not {"float32", "float64"} <= set(analysis.dtypes(table, op)):
        return []
    cases = measured(table[(table["op"] == op) & (table["backend"] == look.the(REFERENCE))])
    single, double = (cases[cases["dtype"] == dtype] for dtype in ("float32", "float64"))
    both = _beside(single, double, ["shape", "size", "threads"])
    if both.empty:
        return []
    largest = both.sort_values(["size", "threads"]).iloc[-1]
    single_over_double = analysis.comparison(largest)
    where = f"{shape_text(largest)}, {style.threads_label(int(largest['threads']))}"
    ref = look.name(REFERENCE)
    if single_over_double.clear_lead == FASTER:
        return [
            f"In float32, {ref} is {_ratio(largest)} faster than in float64 ({where}): a float32 "
            "number is half the size, so there are half the bytes to move and twice as many "
            "numbers per SIMD instruction."
        ]
    if single_over_double.clear_lead == SLOWER:
        return [f"In float32, {ref} is {_ratio(largest, True)} slower than in float64 ({where})."]
    return [
        f"In float32, {ref} takes about as long as in float64 ({_ratio(largest)} as fast; {where})."
    ]
