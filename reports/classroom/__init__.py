"""The class page: many machines' runs of the lesson side by side, and why they differ.

    python -m reports --class FILES_OR_DIRS... [--out DIR]

``findings`` decides from the files (only read), ``figures`` draws, ``templates/class.md.j2``
words, and ``build_class`` writes README.md and figures/ atomically (``reports.atomic``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

from reports.atomic import staged_output
from reports.classroom.figures import draw_class
from reports.classroom.findings import LEVEL_FOLD, class_findings, read_class, result_files
from reports.formatting import format_bytes, format_percent, format_rate, format_ratio, format_time
from reports.load import ResultFileError
from reports.markup import figure_link, md_table
from reports.templating import render

__all__ = ["build_class"]

PREDICTED = "†"


def _table(columns: dict[str, Callable[[dict], str]], rows: list[dict]) -> str:
    return md_table(list(columns), [[cell(row) for cell in columns.values()] for row in rows])


def machines_table(rows: list[dict], libraries: list[str], titles: dict[str, str]) -> str:
    def ratio(key: str) -> Callable[[dict], str]:
        return lambda row: (
            format_ratio(row["ratios"].get(key, math.nan))
            + (PREDICTED if key in row["predicted"] else "")
        )

    columns = {
        "machine": lambda row: row["label"],
        "CPU": lambda row: row["cpu"],
        "cores": lambda row: (
            f"{row['cores']}"
            + (f" ({row['physical_cores']} physical)" if row["physical_cores"] else "")
        ),
        "SIMD": lambda row: f"{row['simd_bits']}-bit" if row["simd_bits"] else "—",
        "L3": lambda row: format_bytes(row["l3_bytes"]) if math.isfinite(row["l3_bytes"]) else "—",
        "read": lambda row: format_rate(row["read_GBps"], "GB/s"),
        "BLAS peak": lambda row: format_rate(row["peak_GFLOPs"], "GFLOP/s"),
        "BLAS": lambda row: row["blas"],
        "versions that differ": lambda row: (
            " · ".join(f"{name} {row['versions'].get(name) or '—'}" for name in libraries) or "—"
        ),
        **{title: ratio(key) for key, title in titles.items()},
        "other backends": lambda row: ", ".join(row["others"]) or "—",
    }
    return _table(columns, rows)


BANDWIDTH_COLUMNS = {
    "machine": lambda row: row["label"],
    "np.dot at 10⁶": lambda row: format_time(row["time_s"]),
    "threads": lambda row: str(row["threads"]),
    "implied rate": lambda row: format_rate(row["rate_GBps"], "GB/s"),
    "measured bandwidth": lambda row: format_rate(row["bandwidth_GBps"], "GB/s"),
    "from": lambda row: row["served_from"],
    "share": lambda row: format_percent(row["share"]),
}


def course_table(rows: list[dict]) -> str:
    body = []
    for row in rows:
        if row["problem"]:
            body.append([row["label"], "—", row["problem"], "—"])
            continue
        disagree = "; ".join(f"{name}: {', '.join(on)}" for name, on in row["disagree"].items())
        differs = ", ".join(row["differs"]) or "same as the class"
        body.append([row["label"], str(row["experiments"]), disagree or "all agree", differs])
    return md_table(["machine", "experiments", "backends that disagree", "outcome"], body)


def build_class(inputs: list[Path], out: Path) -> Path:
    """Write ``out/README.md`` and ``out/figures/`` from ``inputs`` (files or directories);
    returns the README's path. ``ResultFileError`` when no file can be used, with why."""
    files = result_files(inputs)
    if not files:
        raise ResultFileError(", ".join(map(str, inputs)), "holds no result files (*.json)")
    machines, rejected = read_class(files)
    if not machines:
        reasons = "; ".join(f"{r.path.name}: {r.reason}" for r in rejected)
        raise ResultFileError(", ".join(map(str, inputs)), f"no file can be used ({reasons})")
    findings = class_findings(machines, rejected)
    with staged_output(out) as stage:
        figures_dir = stage / "figures"
        figures_dir.mkdir()
        drawn = draw_class(findings, figures_dir)
        page = render(
            "class.md.j2",
            **findings,
            files_read=len(files),
            machines_table=machines_table(
                findings["machines"], findings["differing_versions"], findings["titles"]
            ),
            predicted=PREDICTED if any(m["predicted"] for m in findings["machines"]) else "",
            ratios_figure=figure_link("class-ratios", "headline ratios over the machines", drawn),
            bandwidth_table=_table(BANDWIDTH_COLUMNS, findings["bandwidth"]["rows"]),
            bandwidth_figure=figure_link("class-bandwidth", "np.dot against bandwidth", drawn),
            level_fold=LEVEL_FOLD,
            roofline_figure=figure_link("class-roofline", "every machine's roofline", drawn),
            course_table=course_table(findings["course"]),
        )
        (stage / "README.md").write_text(page + "\n", encoding="utf-8")
    return out / "README.md"
