"""Putting the report together: result files in; table, figures and README out, all at once.

Everything that can fail on bad input — reading and checking every file, loading the
course results — happens before anything is written; the output is then built in a
staging directory and moved into place in one step (``reports.atomic``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any

from reports.analysis import jit_costs
from reports.atomic import staged_output
from reports.compare import directory_name, write_comparison
from reports.figures import draw_report
from reports.load import ResultFileError, read_results
from reports.markdown import FIGURES, course_not_run, render_report
from reports.table import jit_table, tidy_table, write_csv

COURSE_MODULE = "reports.course"


def build_report(paths: list[Path], out: Path, course_file: Path | None = None) -> Path:
    """Build ``out/README.md``, ``out/table.csv``, ``out/jit.csv`` and ``out/figures/``."""
    run = read_results(paths)
    course = load_course(course_file)
    table = tidy_table(run)
    costs = jit_costs(run.jit, table)
    with staged_output(out) as stage:
        figures_dir = stage / "figures"
        figures_dir.mkdir()
        written = draw_report(table, run, costs, figures_dir)
        section = course_section(course, figures_dir)
        write_csv(table, stage / "table.csv")
        write_csv(jit_table(costs), stage / "jit.csv")
        page = render_report(run, table, costs, written, section)
        (stage / "README.md").write_text(page, encoding="utf-8")
    return out / "README.md"


def build_comparison(old_path: Path, new_path: Path, out: Path) -> Path:
    """Build ``out/compare-<old>-vs-<new>/`` (table, figure, README); the report is untouched."""
    old = read_results([old_path])
    new = read_results([new_path])
    name = directory_name(old_path, new_path)
    with staged_output(out) as stage:
        write_comparison(old, new, stage / name)
    return out / name


# --- the course experiments, rendered by reports/course.py when both exist ---------------


def load_course(path: Path | None) -> tuple[ModuleType, Any] | str:
    """The course module and its loaded results, or why the section is not run."""
    if path is None:
        return "no course result file (reports/results/course-*.json) was found"
    try:
        module = importlib.import_module(COURSE_MODULE)
    except ModuleNotFoundError as error:
        if error.name != COURSE_MODULE:
            raise
        return f"{path.name} is present, but reports/course.py, which renders it, is not"
    try:
        results = module.load(path)
    except ResultFileError:
        raise
    except Exception as error:  # whatever the course module raises on a bad file
        problem = str(error).removeprefix(f"{path}: ")
        raise ResultFileError(path, problem) from error
    return module, results


def course_section(course: tuple[ModuleType, Any] | str, figures_dir: Path) -> str:
    if isinstance(course, str):
        return course_not_run(course)
    module, results = course
    try:
        text = module.render(results, figures_dir, FIGURES)
    except Exception as error:  # a failure of the course module, not of the result files
        raise ResultFileError(
            Path(module.__file__ or "reports/course.py"), f"render failed: {error}"
        ) from error
    text = str(text).strip()
    return text if text.startswith("#") else f"## Course experiments\n\n{text}"
