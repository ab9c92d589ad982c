"""The class page: many machines' runs of the lesson side by side, and why they differ.

    python -m reports --class FILES_OR_DIRS... [--out DIR]

``findings`` reads the files (share files, full or quick runs; ``reports.load`` checks
each) into plain data; ``figures`` draws from that data; ``templates/class.md.j2`` words
it; ``build_class`` writes README.md and figures/ into a directory of their own,
atomically (``reports.atomic``). The input files are only read.
"""

from __future__ import annotations

import math
from pathlib import Path

from reports.atomic import staged_output
from reports.classroom.figures import draw_class
from reports.classroom.findings import (
    LEVEL_FOLD,
    RATIOS,
    class_findings,
    read_class,
    result_files,
    roofline_data,
)
from reports.formatting import format_bytes, format_percent, format_ratio, format_time
from reports.load import ResultFileError
from reports.markup import figure_link, md_table
from reports.templating import render

__all__ = ["build_class"]

PREDICTED = "†"


def _cell(value: float, fmt) -> str:
    return fmt(value) if isinstance(value, (int, float)) and math.isfinite(value) else "—"


def machines_table(rows: list[dict]) -> str:
    facts = ["machine", "CPU", "cores", "SIMD", "L3", "read", "BLAS peak", "BLAS"]
    # the libraries whose versions are not the same on every machine: the ones that may
    # explain a difference (all of them are in each machine's result file)
    libraries = [
        name
        for name in dict.fromkeys(name for row in rows for name in row["versions"])
        if len({row["versions"].get(name) for row in rows}) > 1
    ]
    header = [*facts, "versions that differ", *(title for _, title, _, _ in RATIOS)]
    header.append("other backends")
    body = []
    for row in rows:
        versions = " · ".join(f"{n} {row['versions'].get(n) or '—'}" for n in libraries) or "—"
        ratios = [
            _cell(row["ratios"].get(key, math.nan), format_ratio)
            + (PREDICTED if key in row["predicted"] else "")
            for key, *_ in RATIOS
        ]
        body.append(
            [
                row["label"],
                row["cpu"],
                f"{row['cores']}"
                + (f" ({row['physical_cores']} physical)" if row["physical_cores"] else ""),
                f"{row['simd_bits']}-bit" if row["simd_bits"] else "—",
                _cell(row["l3_bytes"], format_bytes),
                _cell(row["read_GBps"], lambda v: f"{v:.3g} GB/s"),
                _cell(row["peak_GFLOPs"], lambda v: f"{v:.3g} GFLOP/s"),
                row["blas"],
                versions,
                *ratios,
                ", ".join(row["others"]) or "—",
            ]
        )
    return md_table(header, body)


def bandwidth_table(rows: list[dict]) -> str:
    return md_table(
        [
            "machine",
            "np.dot at 10⁶",
            "threads",
            "implied rate",
            "measured bandwidth",
            "from",
            "share",
        ],
        [
            [
                row["label"],
                format_time(row["time_s"]),
                str(row["threads"]),
                f"{row['rate_GBps']:.3g} GB/s",
                f"{row['bandwidth_GBps']:.3g} GB/s",
                row["served_from"],
                format_percent(row["share"]),
            ]
            for row in rows
        ],
    )


def course_table(course: dict) -> str:
    rows = []
    for row in course["rows"]:
        if row["problem"]:
            rows.append([row["label"], "—", row["problem"], "—"])
            continue
        disagree = "; ".join(
            f"{name}: {', '.join(backends)}" for name, backends in row["disagree"].items()
        )
        rows.append(
            [
                row["label"],
                str(row["experiments"]),
                disagree or "all agree",
                ", ".join(row["differs"]) or "same as the class",
            ]
        )
    return md_table(["machine", "experiments", "backends that disagree", "outcome"], rows)


def build_class(inputs: list[Path], out: Path) -> Path:
    """Read every file of ``inputs`` (files or directories), write ``out/README.md`` and
    ``out/figures/``; returns the README's path. Raises ``ResultFileError`` when no file
    can be used (each file's reason in the message)."""
    files = result_files(inputs)
    if not files:
        raise ResultFileError(", ".join(map(str, inputs)), "holds no result files (*.json)")
    machines, rejected = read_class(files)
    if not machines:
        reasons = "; ".join(f"{r.path.name}: {r.reason}" for r in rejected)
        raise ResultFileError(", ".join(map(str, inputs)), f"no file can be used ({reasons})")
    findings = class_findings(machines, rejected)
    roofs = roofline_data(machines)
    with staged_output(out) as stage:
        figures_dir = stage / "figures"
        figures_dir.mkdir()
        drawn = draw_class(findings, roofs, figures_dir)
        predicted = sorted({p for m in findings["machines"] for p in m["predicted"]})
        course = findings["course"]
        page = render(
            "class.md.j2",
            count=findings["count"],
            files_read=len(files),
            few=findings["few"],
            rejected=findings["rejected"],
            machines_table=machines_table(findings["machines"]),
            predicted_note=(
                f"{PREDICTED} the loop was not run at 10⁶ on that machine (over the run's "
                "time budget): the ratio rests on the run's own prediction of its time."
                if predicted
                else ""
            ),
            others=findings["others"],
            ratios=findings["ratios"],
            drivers=findings["drivers"],
            ratios_figure=figure_link("class-ratios", "headline ratios over the machines", drawn),
            bandwidth=findings["bandwidth"],
            bandwidth_table=bandwidth_table(findings["bandwidth"]["rows"]),
            bandwidth_figure=figure_link("class-bandwidth", "np.dot against bandwidth", drawn),
            level_fold=LEVEL_FOLD,
            interp=findings["loop"],
            relations=findings["relations"],
            roofline_figure=figure_link("class-roofline", "every machine's roofline", drawn),
            course_table=course_table(course),
            course_disagree=[r["label"] for r in course["rows"] if r.get("disagree")],
            course_differs=[r["label"] for r in course["rows"] if r.get("differs")],
        )
        (stage / "README.md").write_text(page + "\n", encoding="utf-8")
    return out / "README.md"
