"""The report's pages (the lesson, ``README.md``, and its detail pages) and the page of two
runs compared: the sections that the deciding modules write, in the templates' fixed text.
"""

from __future__ import annotations

import functools
import math
import re

import pandas as pd

from reports import formatting, rules, style
from reports.compare import ONLY_NEW, ONLY_OLD, SHOWN, significant
from reports.headline import headline_section
from reports.jit_section import jit_section
from reports.leads import crossovers_section, summary_section
from reports.load import Run, ladder_of
from reports.losses import losses_section
from reports.markup import md_table
from reports.memory_section import memory_section
from reports.readings import every_op_readings, op_index, op_sections
from reports.roofline import roofline_section
from reports.style import Style
from reports.table import flagged, measured, not_run, tidy_table
from reports.templating import render
from reports.trust import trust_section

# The limits the probe measured: their row in the machine's table, their unit, and how the
# warning of a probe that contradicts itself names them.
LIMITS = {
    "read_GBps": ("memory read bandwidth", "GB/s", "read bandwidth from memory"),
    "cache_read_GBps": ("last-level cache read bandwidth", "GB/s", "read bandwidth from the cache"),
    "triad_GBps": ("memory triad bandwidth", "GB/s", "triad bandwidth"),
    "peak_GFLOPs": ("peak arithmetic", "GFLOP/s", "BLAS's peak"),
}


def _machine_facts(run: Run) -> list[list[str]]:
    suite = run.suite
    cpu, threads, limits, timer, git, system = (
        suite.get(key) or {} for key in ("cpu", "threads", "limits", "timer", "git", "system")
    )

    def cache(key: str) -> str:
        value = cpu.get(key)
        return formatting.format_bytes(value) if isinstance(value, int) else "unknown"

    cores = f"{cpu.get('logical_cores', '?')} logical, {cpu.get('physical_cores') or '?'} physical"
    facts = [
        ["CPU", f"{cpu.get('brand', 'unknown')} ({cpu.get('arch', '?')})"],
        ["cores", f"{cores}; “all cores” = {threads.get('all_cores', '?')} threads"],
        ["caches", f"L1d {cache('l1d_bytes')}, L2 {cache('l2_bytes')}, L3 {cache('l3_bytes')}"],
        ["SIMD", ", ".join(cpu.get("simd") or []) or "unknown"],
    ]
    for key, (name, unit, _) in LIMITS.items():
        if limits.get(key):
            values = (
                f"{formatting.format_rate(value, unit)} with {style.limit_threads_label(count)}"
                for count, value in limits[key].items()
            )
            facts.append([name, ", ".join(values)])
    loads = ", ".join(f"{value:g}" for value in system.get("load_average") or [])
    memory = (system.get("memory") or {}).get("total_bytes")
    optional = [  # the facts a run may not have
        ("how the limits were measured", limits.get("method")),
        ("CPU frequency governor", system.get("governor")),
        ("load average at the start (1, 5, 15 min)", loads),
        ("other threads running at the start (mean)", system.get("running_others")),
        ("memory", formatting.format_bytes(memory) if memory else ""),
    ]
    facts += [[name, str(value)] for name, value in optional if value not in (None, "")]
    facts.append(["Numba threading layer", str(threads.get("numba_threading_layer", "unknown"))])
    for number, blas in enumerate(run.blas, 1):
        # whose library it is (NumPy's, SciPy's that Numba loads, ...); files before
        # 7 December 2026 do not say, and several are numbered
        owner = blas.get("package") or (f"{number} of {len(run.blas)}" if len(run.blas) > 1 else "")
        library = f"{blas.get('internal_api', '?')} {blas.get('version', '')}"
        setup = f"{blas.get('architecture', '?')}, {blas.get('num_threads', '?')} threads"
        facts.append([f"BLAS ({owner})" if owner else "BLAS", f"{library} ({setup})"])
    resolution = (
        formatting.format_time(timer["resolution_s"]) if timer.get("resolution_s") else "unknown"
    )
    commit = git.get("commit") or run.commit.get("id") or "unknown"
    machine = run.machine
    python = f"{machine.get('python_implementation', 'Python')} {machine.get('python_version', '')}"
    versions = ", ".join(f"{name} {value}" for name, value in (suite.get("versions") or {}).items())
    facts += [
        ["timer", f"{timer.get('name', 'unknown')}, resolution {resolution}"],
        ["code", f"`{commit}`" + (" with uncommitted changes" if git.get("dirty") else "")],
        ["system", f"{machine.get('system', '?')} {machine.get('release', '')}, {python}"],
        ["versions", versions or "unknown"],
        ["ladder", ladder_of(suite)],
    ]
    if run.ignored:
        facts.append(["ignored", f"{run.ignored} benchmark entries of another kind than steady"])
    return facts


# The machine's facts the lesson page shows in its one table; the rest are on machine.md.
LESSON_FACTS = (
    "CPU", "cores", "caches", "SIMD", "memory read bandwidth", "peak arithmetic", "BLAS",
    "system", "versions",
)  # fmt: skip


def machine_section(run: Run, *, short: bool = False) -> str:
    facts = _machine_facts(run)
    if short:
        facts = [fact for fact in facts if fact[0].split(" (")[0] in LESSON_FACTS]
    title = "The machine" if short else "The machine and its environment"
    return f"## {title}\n\n" + md_table(["", ""], facts)


def backends_section(table: pd.DataFrame, look: Style) -> str:
    """Every backend of the catalogue, how it computes, and whether this run timed it (an
    optional extra not installed, such as PyTorch, is listed as such, not left out)."""
    timed = set(table["backend"])
    rows = []
    for name, described in look.backends.items():
        if name in timed:
            status = "timed"
        elif described.get("in_lesson") is False:  # the BLAS ladder's steps
            status = "timed by the full run only"
        elif described.get("installed", True):  # older files do not say: all were installed
            status = "not selected in this run"
        else:
            status = "not installed"
        rows.append([look.label(name), f"`{name}`", str(described.get("how", "")), status])
    return "## The backends\n\n" + md_table(["", "name", "how it computes", "this run"], rows)


# --- the pages -----------------------------------------------------------------------
# The lesson (README.md) is what a student reads: the headline, the roofline, the summary,
# one reading per op, the course, the machine. The rest is on detail pages it links to.

LESSON = "README.md"
# page → (title, what it holds, in the lesson's list of pages)
DETAILS = {
    "ops.md": ("Op by op", "every op's figures and readings, where the lead changes hands, "
               "and where the compiled loops still lose"),
    "memory.md": ("Memory per call", "what one call allocates, backend by backend"),
    "jit.md": ("The price of compiling", "each compiling backend's first call, cold and warm"),
    "trust.md": ("Numbers not to trust", "every flagged measurement and every case not run"),
    "beyond-memory.md": ("When the data outgrows the machine", "training on data beyond memory"),
    "machine.md": ("The machine and how it was measured",
                   "the backends, the full machine record, and the method"),
}  # fmt: skip


def render_report(
    run: Run,
    table: pd.DataFrame,
    costs: pd.DataFrame,
    figures: set[str],
    course_section: str,
    beyond_memory_section: str = "",
    rebuild: str = "nox -s report",
) -> dict[str, str]:
    """Every page of the report by file name: the lesson and the detail pages it links to
    (those with something to say)."""
    look = Style.of(run.catalogue)
    cpu = (run.suite.get("cpu") or {}).get("brand") or "an unnamed CPU"
    readings = every_op_readings(table, run, look=look)
    warnings = render(
        "disturbances.md.j2",
        disturbances=rules.disturbances(run.suite),
        limit_names={key: named for key, (*_, named) in LIMITS.items()},
        limit_units={key: unit for key, (_, unit, _) in LIMITS.items()},
    ).strip()
    details = {
        "ops.md": [crossovers_section(table, look=look), losses_section(table, look=look),
                   op_sections(table, readings, figures, look=look)],
        "memory.md": [memory_section(table, figures, look=look)],
        "jit.md": [jit_section(costs, figures, look=look)],
        "trust.md": [
            trust_section(table, warnings, run.suite.get("side_by_side_roles"), look=look)
        ],
        "beyond-memory.md": [beyond_memory_section.strip()],
        "machine.md": [backends_section(table, look), machine_section(run),
                       render("method.md.j2", probe=(run.suite.get("limits") or {}).get("method"),
                              sizing=(run.suite.get("ladder_top") or {}).get("rule"),
                              comparison_rule=rules.comparison_rule(),
                              clear_lead=rules.CLEAR_LEAD, one_shot_spread=rules.ONE_SHOT_SPREAD)],
    }  # fmt: skip
    if measured(table).empty:  # a selection of the slides, the course or the JIT probe
        del details["ops.md"]  # alone: no op's reading to give
    if table.empty:  # nor a case to trust or not
        del details["trust.md"]
    details = {page: [s for s in sections if s] for page, sections in details.items()}
    details = {page: sections for page, sections in details.items() if sections}
    pages = {
        LESSON: render(
            "report.md.j2",
            cpu=cpu,
            timed=int((table["status"] == "ok").sum()),
            skipped=len(not_run(table)),
            flagged=len(flagged(table)),
            when=run.datetime[:19].replace("T", " ") if run.datetime else "an unknown date",
            host=run.machine.get("node", "?"),
            sources=[path.name for path in run.sources],
            rebuild=rebuild,
            ladder=ladder_of(run.suite),
            warnings=warnings,
            dirty=bool((run.suite.get("git") or {}).get("dirty")),
            sections=[
                headline_section(table, run, figures, look=look),
                roofline_section(table, run, figures, look),
                summary_section(table, figures, look=look),
                op_index(readings),
                course_section.strip(),
                machine_section(run, short=True),
            ],
            pages=[(page, *DETAILS[page]) for page in details],
        ),
    }
    for page, sections in details.items():
        pages[page] = render("detail.md.j2", title=DETAILS[page][0], cpu=cpu, sections=sections)
    return {page: text + "\n" for page, text in linked_across(pages).items()}


# --- links between the pages --------------------------------------------------------------

_HEADING = re.compile(r"^#{1,6} (.+?)\s*$", re.MULTILINE)
_LOCAL_LINK = re.compile(r"\]\(#([^)\s]+)\)")


def anchor(heading: str) -> str:
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped (hyphens
    and underscores kept), spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")


def linked_across(pages: dict[str, str]) -> dict[str, str]:
    """A link to ``#anchor`` whose heading is on another page points to that page."""
    anchors = {page: {anchor(h) for h in _HEADING.findall(text)} for page, text in pages.items()}

    def retarget(page: str, match: re.Match) -> str:
        target = match.group(1)
        if target in anchors[page]:
            return match.group(0)
        home = next((other for other, names in anchors.items() if target in names), None)
        return match.group(0) if home is None else f"]({home}#{target})"

    return {
        page: _LOCAL_LINK.sub(functools.partial(retarget, page), text)
        for page, text in pages.items()
    }


# --- the comparison of two runs (reports.compare) ---------------------------------


def _run_facts(run: Run) -> dict[str, str]:
    cpu = run.suite.get("cpu") or {}
    git = run.suite.get("git") or {}
    return {
        "file": ", ".join(path.name for path in run.sources),
        "date": run.datetime[:19].replace("T", " "),
        "host": str(run.machine.get("node", "?")),
        "CPU": str(cpu.get("brand", "?")),
        "logical cores": str(cpu.get("logical_cores", "?")),
        "code": str(git.get("commit") or "?") + (" (dirty)" if git.get("dirty") else ""),
        "ladder": ladder_of(run.suite),
        **{name: str(value) for name, value in (run.suite.get("versions") or {}).items()},
    }


def _change_row(row: pd.Series, look: Style) -> list[str]:
    return [
        f"`{row['op']}`",
        look.series_label(row["backend"], int(row["threads"])),
        row["dtype"],
        formatting.format_shape(formatting.shape_of(row["shape"])),
        formatting.format_time(row["old_median_s"]),
        formatting.format_time(row["new_median_s"]),
        formatting.format_ratio(row["ratio"]) if math.isfinite(row["ratio"]) else "—",
        row["verdict"],
    ]


def _in_one_run(table: pd.DataFrame, verdict: str, look: Style) -> str:
    """The series (op, backend) measured in one run only, named, e.g. "`dot` on Numba"."""
    rows = table[table["verdict"] == verdict][["op", "backend"]].drop_duplicates()
    return ", ".join(f"`{op}` on {look.label(backend)}" for op, backend in rows.to_numpy())


def render_comparison(
    table: pd.DataFrame, old: Run, new: Run, figure: str | None, look: Style
) -> str:
    counts = table["verdict"].value_counts()
    header = ["op", "backend", "dtype", "size", "old", "new", "new ÷ old", "verdict"]
    changes = significant(table)
    shown = changes.head(SHOWN)
    rows = [_change_row(row, look) for _, row in shown.iterrows()]
    before, after = _run_facts(old), _run_facts(new)
    facts = []
    for key in dict.fromkeys([*before, *after]):
        a, b = before.get(key, "—"), after.get(key, "—")
        facts.append([key, a, f"**{b}**" if a != b and key not in ("file", "date") else b])
    page = render(
        "compare.md.j2",
        old_name=old.sources[0].name,
        new_name=new.sources[0].name,
        cases=len(table),
        counts={
            "faster": counts.get(rules.FASTER, 0),
            "slower": counts.get(rules.SLOWER, 0),
            "level": counts.get(rules.LEVEL, 0),
            "only_old": counts.get(ONLY_OLD, 0),
            "only_new": counts.get(ONLY_NEW, 0),
        },
        rule=rules.comparison_rule("the new run", "the old one"),
        figure=figure,
        changes=md_table(header, rows) if rows else "",
        shown=len(shown),
        beyond=len(changes) - len(shown),
        only_old=_in_one_run(table, ONLY_OLD, look),
        only_new=_in_one_run(table, ONLY_NEW, look),
        runs_table=md_table(["", "old", "new (differences in bold)"], facts),
        skipped_old=len(not_run(tidy_table(old))),
        skipped_new=len(not_run(tidy_table(new))),
    )
    return page + "\n"
