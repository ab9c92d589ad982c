"""``reports/README.md``: the report as a page a student reads on GitHub.

The page's skeleton and its fixed text are templates (``reports/templates/``); the
sections come from the modules that decide what each says.
"""

from __future__ import annotations

import pandas as pd

from reports import rules, style
from reports.formatting import (
    format_bytes,
    format_rate,
    format_time,
)
from reports.headline import headline_section
from reports.jit_section import jit_section
from reports.leads import crossovers_section, summary_section
from reports.load import Run
from reports.markup import md_table
from reports.readings import op_sections
from reports.table import flagged, not_run
from reports.trust import trust_section


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
        headline_section(table, run, figures),
        summary_section(table, figures),
        crossovers_section(table),
        op_sections(table, run, figures),
        jit_section(costs, figures),
        trust_section(table),
        course_section.strip(),
        _machine(run),
        _method(run),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"
