"""Putting the report together: result files in; table, figures and README out, all at once.

Everything that can fail on bad input — reading and checking every file, loading the
course results — happens before anything is written; the output is then built in a
staging directory and moved into place in one step (``reports.atomic``).
"""

from __future__ import annotations

import importlib
import math
from pathlib import Path
from types import ModuleType
from typing import Any

import pandas as pd

from reports.analysis import jit_costs
from reports.atomic import staged_output
from reports.compare import directory_name, write_comparison
from reports.figures import draw_report
from reports.load import ResultFileError, read_results
from reports.markdown import FIGURES, NEVER_LEVEL, course_not_run, render_report
from reports.table import tidy_table, write_csv

COURSE_MODULE = "reports.course"
_CALL_COLUMNS = [
    "calls_vs_numpy_cold",
    "calls_vs_numpy_warm",
    "calls_vs_python_cold",
    "calls_vs_python_warm",
]


def build_report(paths: list[Path], out: Path) -> Path:
    """Build ``out/README.md``, ``out/table.csv``, ``out/jit.csv`` and ``out/figures/``."""
    run = read_results(paths)
    course = load_course(run)
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


def jit_table(costs: pd.DataFrame) -> pd.DataFrame:
    """The JIT costs for ``jit.csv``: break-even counts as integers, "never", or
    "never (level within noise)" when NumPy and the compiled loop are level."""
    table = costs.copy()
    for column in _CALL_COLUMNS:
        level = costs["numpy_level"] if "numpy" in column else pd.Series(False, costs.index)
        table[column] = [_calls_text(v, flat) for v, flat in zip(costs[column], level, strict=True)]
    return table


def _calls_text(calls: float, level: bool) -> str:
    if math.isnan(calls):
        return ""
    if level:
        return NEVER_LEVEL
    return "never" if math.isinf(calls) else str(int(calls))


# --- the course experiments, rendered by reports/course.py when both exist ---------------


def load_course(run) -> tuple[ModuleType, Any] | str:
    """The course module and the run's course experiments, checked, or why the section
    is not run."""
    if run.course is None:
        return "the result file holds no course experiments (vectorbench_course)"
    module = importlib.import_module(COURSE_MODULE)
    try:
        results = module.check(run.course)
    except ValueError as error:
        raise ResultFileError(run.sources[-1], f"vectorbench_course: {error}") from error
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
