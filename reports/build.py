"""Putting the report together: result files in; table, figures and pages out, all at once.

Everything that can fail on bad input (reading and checking every file, the course results)
happens before anything is written; the output is then staged and switched to in one step
(``reports.atomic``).
"""

from __future__ import annotations

from pathlib import Path

from reports import course
from reports.analysis import jit_costs
from reports.atomic import staged_output
from reports.beyond_memory import beyond_memory_section
from reports.compare import comparable, directory_name, side_by_side
from reports.figkit import Say, save
from reports.figures import comparison_figure, draw_report
from reports.load import ladder_of, read_results
from reports.markup import FIGURES
from reports.page import render_comparison, render_report
from reports.style import Style
from reports.table import jit_table, tidy_table, write_csv


def build_report(
    paths: list[Path], out: Path, beyond_memory: Path | None = None, say: Say | None = None
) -> Path:
    """Build ``out/README.md`` (the lesson) and, in a versioned directory beside it, its
    detail pages, ``table.csv``, ``jit.csv`` and ``figures/``. The section on data beyond
    memory reads the record ``beyond_memory`` only, if one is named. ``say``: where the
    progress lines go (the figures take most of the time: about 20 s for the lesson's)."""
    run = read_results(paths)
    course_results = load_course(run)
    table = tidy_table(run)
    look = Style.of(run.catalogue)
    costs = jit_costs(run.jit, table, look=look)
    # read before anything is written: a malformed record stops the build like a bad result
    outgrown = beyond_memory_section(beyond_memory)
    with staged_output(out) as stage:
        figures_dir = stage / "figures"
        figures_dir.mkdir()
        written = draw_report(table, run, costs, figures_dir, say)
        section = course_section(course_results, figures_dir, look, say)
        write_csv(table, stage / "table.csv")
        write_csv(jit_table(costs), stage / "jit.csv")
        pages = render_report(
            run, table, costs, written, section, outgrown, rebuild(run, out, beyond_memory)
        )
        for name, text in pages.items():
            (stage / name).write_text(text, encoding="utf-8")
    return out / "README.md"


def rebuild(run, out: Path, beyond_memory: Path | None = None) -> str:
    """The command that rebuilds this report from its results, as its page says."""
    sources = " ".join(_shown(path) for path in run.sources)
    record = f" --beyond-memory {_shown(beyond_memory)}" if beyond_memory else ""
    return f"python -m reports {sources}{record} --out {_shown(out)}"


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def build_comparison(old_path: Path, new_path: Path, out: Path) -> Path:
    """Build ``out/compare-<old>-vs-<new>/`` (its page, table and figure); the report is
    untouched."""
    old, new = read_results([old_path]), read_results([new_path])
    table = comparable(old, new)
    name = directory_name(old_path, new_path)
    look = side_by_side(old, new)
    with staged_output(out / name) as stage:
        write_csv(table, stage / "compare.csv")
        drawing = comparison_figure(table, old.sources[0].name, new.sources[0].name, look)
        figure = save(drawing, stage, "compare")
        text = render_comparison(table, old, new, figure, look)
        (stage / "README.md").write_text(text, encoding="utf-8")
    return out / name


def load_course(run) -> dict | str:
    """The run's course experiments, checked, or why the section is not run."""
    if run.course is None:
        return "the result file holds no course experiments (vectorbench_course)"
    trained = run.course.record.get("backends")  # -k "course and numpy": one backend
    if run.course.missing and isinstance(trained, list) and len(trained) < 2:
        on = f"on {', '.join(map(str, trained))} alone" if trained else "on no backend"
        return (
            f"the run's selection trained the experiments {on}; the section sets backends "
            'side by side, so it needs two (`-k course`, or `-k "course and (numpy or numba)"`)'
        )
    if run.course.missing:
        return (
            f"the run's selection left out {', '.join(run.course.missing)}, or ran them on "
            "fewer than two backends; the section shows the experiments together"
        )
    # The run's conditions are the course's: its own record may name only the machine.
    results = {**run.course.record}
    machine = results["machine"] = {**results.get("machine", {})}
    for into, key in ((machine, "cpu"), (machine, "threads"), (results, "git")):
        if not into.get(key) and isinstance(run.suite.get(key), dict):
            into[key] = run.suite[key]
    results.setdefault("ladder", ladder_of(run.suite))
    return results


def course_section(
    results: dict | str, figures_dir: Path, look: Style, say: Say | None = None
) -> str:
    if isinstance(results, str):
        return f"## Course experiments\n\nCourse experiments: not run ({results})."
    return course.render(results, figures_dir, FIGURES, look, say).strip()
