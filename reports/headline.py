"""The report's opening: the slides' dot product, loop against NumPy and Numba."""

from __future__ import annotations

import math

import pandas as pd

from reports import analysis, phrases, style
from reports.formatting import format_rate, format_ratio, format_time
from reports.load import Run
from reports.markup import figure_link, marked, md_table, with_note
from reports.readings import bandwidth_reading
from reports.rules import FASTER, LEVEL, SLOWER, Comparison
from reports.style import COMPILED, LOOP, REFERENCE, Style
from reports.templating import render
from reports.yours import mine_of, reading


def headline_section(table: pd.DataFrame, run: Run, figures: set[str], *, look: Style) -> str:
    mine = mine_of(run)
    if mine is not None:
        return yours_section(table, mine, figures, look=look)
    head = analysis.headline(table, look=look)
    if head is None:  # the slides' own code may still have been timed (`-k slides`)
        return with_note(render("headline.md.j2", measured=False, slides=_slides_findings(run)))
    numpy_rows = head.measured(look.the(REFERENCE))
    numpy_one = numpy_rows.iloc[0]
    loop = head.row(look.the(LOOP))
    findings = {
        "measured": True,
        "closest": head.n != analysis.HEADLINE_N,
        "n": head.n,
        "dtype": head.dtype,
        "numpy_s": numpy_one["median_s"],
        "numpy_mark": marked(numpy_one["flags"]),
        "numpy_threads": style.threads_label(int(numpy_one["threads"])),
        "loop": "missing",
        "why": "",
    }
    if loop is not None and loop["status"] == "ok":
        against_loop = Comparison.of(phrases.band(loop), phrases.band(numpy_one))
        ahead = phrases.faster_than(
            against_loop.speedup, look.label(numpy_one["backend"]), "the loop"
        )
        findings.update(
            loop="measured",
            loop_s=loop["median_s"],
            loop_mark=marked(loop["flags"]),
            both_mark=marked(loop["flags"], numpy_one["flags"]),
            loop_verdict=against_loop.verdict,
            numpy_speedup=against_loop.speedup,
            numpy_sentence=phrases.sentence(ahead),
            **_why(against_loop, loop, numpy_one, run),
        )
    else:
        if loop is not None and math.isfinite(loop["predicted_s"]):
            findings.update(
                loop="predicted",
                loop_reason=loop["reason"] or "no reason given",
                predicted_s=loop["predicted_s"],
                predicted_speedup=loop["predicted_s"] / numpy_one["median_s"],
            )
        loop = None
    numba = head.measured(look.the(COMPILED))
    findings["numba_sentence"] = (
        _numba_headline(numba.iloc[0], numpy_rows, loop, look=look) if len(numba) else ""
    )
    findings["table"] = _headline_table(head, loop, look=look)
    findings["slides"] = _slides_findings(run, loop)
    findings["figure"] = figure_link("headline", "dot product", figures)
    return with_note(render("headline.md.j2", **findings))


def yours_section(table: pd.DataFrame, mine: dict, figures: set[str], *, look: Style) -> str:
    """The opening of a run with a student's function (``--mine``): its reading, and its op
    at the size closest to 10⁶ elements beside every backend."""
    head = analysis.headline(table, mine["op"], look=look)
    findings = {
        "mine": mine,
        "reading": phrases.sentence(
            reading(table, mine["function"], mine["label"], {"backends": look.backends})
        ),
        "measured": head is not None,
    }
    if head is not None:
        findings["title"] = phrases.headline_title(head)
        findings["table"] = _headline_table(head, head.row(look.the(LOOP)), look=look)
        findings["figure"] = figure_link("headline", findings["title"], figures)
    return with_note(render("yours.md.j2", **findings))


LOOP_OVER_ARRAYS = "for loop over NumPy arrays"


def _slides_findings(run: Run, loop: pd.Series | None = None) -> dict | None:
    """The slides' loop over NumPy arrays, timed the slides' way (one ``time.time()`` pair
    around the first call) and the suite's (median of rounds), beside the suite's loop over
    lists. A timing the run left out is None; all is None if neither was run (``-k dot``)."""
    slides = run.slides
    if not slides:
        return None
    suite_way, slides_way_ms = slides["suite_way"], slides["slides_way_ms"]
    arrays = suite_way.get(LOOP_OVER_ARRAYS)
    if arrays is None and LOOP_OVER_ARRAYS not in slides_way_ms:
        return None
    findings = {
        "n": slides["n"],
        "arrays_s": None if arrays is None else arrays["median_s"],
        "rounds": None if arrays is None else arrays["rounds"],
        "dot_s": suite_way["np.dot"]["median_s"] if "np.dot" in suite_way else None,
        **dict.fromkeys(["first_loop_s", "first_dot_s", "first_dot_vs_steady", "lists_s"]),
    }
    if slides_way_ms:
        findings["first_loop_s"] = slides_way_ms[LOOP_OVER_ARRAYS] / 1e3
        findings["first_dot_s"] = slides_way_ms["np.dot"] / 1e3
        findings["ratio_slides_way"] = findings["first_loop_s"] / findings["first_dot_s"]
        if findings["dot_s"] is not None:
            findings["first_dot_vs_steady"] = findings["first_dot_s"] / findings["dot_s"]
    if arrays is not None and loop is not None and int(loop.get("n") or 0) == slides["n"]:
        findings["lists_s"] = loop["median_s"]
        findings["arrays_vs_lists"] = arrays["median_s"] / loop["median_s"]
    return findings


def _numba_headline(
    numba: pd.Series, numpy_rows: pd.DataFrame, loop: pd.Series | None, *, look: Style
) -> str:
    same = numpy_rows[numpy_rows["threads"] == numba["threads"]]
    reference = same.iloc[0] if len(same) else numpy_rows.iloc[0]
    jit, ref = look.label(numba["backend"]), look.label(reference["backend"])
    text = f"{jit}'s compiled loop takes {format_time(numba['median_s'])}{marked(numba['flags'])}"
    if loop is not None:
        text += (
            f", {format_ratio(loop['median_s'] / numba['median_s'])} faster than the loop"
            f"{marked(loop['flags'], numba['flags'])}"
        )
    against_numpy = Comparison.of(phrases.band(reference), phrases.band(numba))
    mark = marked(reference["flags"], numba["flags"])
    if against_numpy.verdict == LEVEL:
        return text + f"; against {ref} it is level{mark}."
    return text + f"; {phrases.faster_than(against_numpy.speedup, jit, ref)}{mark} here."


def _headline_table(head: analysis.Headline, loop: pd.Series | None, *, look: Style) -> str:
    rows = []
    for backend in sorted(head.rows["backend"].unique(), key=look.backend_rank):
        for row in head.rows[head.rows["backend"] == backend].sort_values("threads").itertuples():
            name = phrases.case_name(backend, row.threads, look=look)
            if row.status != "ok":
                known = math.isfinite(row.predicted_s)
                predicted = f"predicted {format_time(row.predicted_s)}" if known else "—"
                rows.append([name, f"not run ({predicted})", "—"])
                continue
            against = (
                phrases.relative(loop["median_s"] / row.median_s) + marked(loop["flags"], row.flags)
                if loop is not None and backend != look.the(LOOP)
                else "—"
            )
            rows.append([name, format_time(row.median_s) + marked(row.flags), against])
    # the size in the header: a run of one's own function states its largest size above
    size = phrases.shape_text(head.rows.iloc[0]) if len(head.rows) else ""
    return md_table(["", f"time per call at {size} (median)", "against the loop"], rows)


def _why(against_loop: Comparison, loop: pd.Series, numpy_one: pd.Series, run: Run) -> dict:
    """The explanation the loop-NumPy gap earns: the loop's win when decided, NumPy's only
    when it is a clear lead."""
    if against_loop.verdict == SLOWER:
        return {"why": "loop wins"}
    if against_loop.clear_lead != FASTER:
        return {"why": ""}
    return {
        "why": "numpy wins",
        "loop_per_element": phrases.per_element(loop),
        "numpy_per_element": phrases.per_element(numpy_one),
        "blas": run.blas_name,
        "numpy_gb_per_s": format_rate(numpy_one["gb_per_s"], "GB/s"),
        "bandwidth": bandwidth_reading(numpy_one, run),
    }
