"""The report's opening: the slides' dot product, loop against NumPy and Numba, on this
machine."""

from __future__ import annotations

import math

import pandas as pd

from reports import analysis, style
from reports.formatting import (
    format_count,
    format_rate,
    format_ratio,
    format_time,
)
from reports.load import Run
from reports.markup import figure_link, marked, md_table, with_note
from reports.phrases import (
    case_name,
    faster_than,
    per_element,
    quartiles,
    relative,
    sentence,
)
from reports.readings import bandwidth_reading
from reports.rules import (
    FASTER,
    LEVEL,
    Comparison,
)


def headline_section(table: pd.DataFrame, run: Run, figures: set[str]) -> str:
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
            f"**A Python `for` loop takes {format_time(loop['median_s'])}{marked(loop['flags'])} "
            f"to compute {what}; `np.dot` takes {format_time(numpy_one['median_s'])}"
            f"{marked(numpy_one['flags'])} ({style.threads_label(int(numpy_one['threads']))}). "
            f"{sentence(faster_than(ratio, 'NumPy', 'the loop'))}"
            f"{marked(loop['flags'], numpy_one['flags'])}.**"
        )
    elif loop is not None and math.isfinite(loop["predicted_s"]):
        ratio = loop["predicted_s"] / numpy_one["median_s"]
        lines.append(
            f"`np.dot` computes {what} in {format_time(numpy_one['median_s'])}"
            f"{marked(numpy_one['flags'])}. The Python "
            f"loop was not run at this size ({loop['reason'] or 'no reason given'}); its "
            f"predicted time, {format_time(loop['predicted_s'])}, would make NumPy about "
            f"{format_ratio(ratio)} faster — a prediction, not a measurement."
        )
        loop = None
    else:
        lines.append(
            f"`np.dot` computes {what} in {format_time(numpy_one['median_s'])}"
            f"{marked(numpy_one['flags'])}; the Python "
            "loop was not measured at this size, so there is no ratio to show."
        )
        loop = None
    numba = head.measured("numba")
    if len(numba):
        lines[-1] += " " + _numba_headline(numba.iloc[0], numpy_rows, loop)
    lines += ["", _headline_table(head, loop), "", figure_link("headline", "dot product", figures)]
    why = _headline_why(loop, numpy_one, run)
    if why:
        lines += ["", why]
    return with_note("\n".join(lines))


def _numba_headline(numba: pd.Series, numpy_rows: pd.DataFrame, loop: pd.Series | None) -> str:
    same = numpy_rows[numpy_rows["threads"] == numba["threads"]]
    reference = same.iloc[0] if len(same) else numpy_rows.iloc[0]
    text = f"Numba's compiled loop takes {format_time(numba['median_s'])}{marked(numba['flags'])}"
    if loop is not None:
        text += (
            f", {format_ratio(loop['median_s'] / numba['median_s'])} faster than the loop"
            f"{marked(loop['flags'], numba['flags'])}"
        )
    against_numpy = Comparison.of(quartiles(reference), quartiles(numba))
    mark = marked(reference["flags"], numba["flags"])
    if against_numpy.verdict == LEVEL:
        text += f"; against NumPy it is level{mark}."
    else:
        text += f"; {faster_than(against_numpy.speedup, 'Numba', 'NumPy')}{mark} here."
    return text


def _headline_table(head: analysis.Headline, loop: pd.Series | None) -> str:
    rows = []
    for backend in sorted(head.rows["backend"].unique(), key=style.backend_rank):
        for row in head.rows[head.rows["backend"] == backend].sort_values("threads").itertuples():
            name = case_name(backend, row.threads)
            if row.status != "ok":
                predicted = (
                    f"predicted {format_time(row.predicted_s)}"
                    if math.isfinite(row.predicted_s)
                    else "—"
                )
                rows.append([name, f"not run ({predicted})", "—"])
                continue
            against = (
                relative(loop["median_s"] / row.median_s) + marked(loop["flags"], row.flags)
                if loop is not None and backend != "python"
                else "—"
            )
            rows.append([name, format_time(row.median_s) + marked(row.flags), against])
    return md_table(["", "time per call (median)", "against the loop"], rows)


def _headline_why(loop: pd.Series | None, numpy_one: pd.Series, run: Run) -> str:
    if loop is None:
        return ""
    against_loop = Comparison.of(quartiles(loop), quartiles(numpy_one))
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
        f"Why: per element, the loop spends {per_element(loop)}{marked(loop['flags'])} — "
        "for every number the "
        "interpreter fetches the next bytecode, looks up the types, and makes a new Python "
        f"float for each product and sum. `np.dot` spends {per_element(numpy_one)}"
        f"{marked(numpy_one['flags'])}: one call "
        f"into compiled code{library.rstrip()} that runs through raw arrays of machine numbers, "
        "several per instruction (SIMD)."
    )
    reading = bandwidth_reading(numpy_one, run)
    if reading:
        text += (
            f" It reads the two vectors at {format_rate(numpy_one['gb_per_s'], 'GB/s')}"
            f"{marked(numpy_one['flags'])}, {reading}."
        )
    return text
