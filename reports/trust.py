"""Numbers not to trust: the flag rule, the flagged measurements, the cases not run."""

from __future__ import annotations

import math

import pandas as pd

from reports import rules
from reports.formatting import (
    format_percent,
    format_time,
)
from reports.markup import fold, md_table
from reports.phrases import (
    case_name,
    shape_text,
)
from reports.rules import (
    FLAG_ROUNDS,
    FLAG_SPREAD,
    FLAG_TIMER,
    MARK,
    TIMER_FACTOR,
)
from reports.table import flagged, not_run


def _flag_reasons(row: pd.Series) -> str:
    reasons = []
    flags = row["flags"].split("; ")
    if FLAG_SPREAD in flags:
        reasons.append(f"IQR {format_percent(row['iqr_rel'])} of the median")
    if FLAG_TIMER in flags:
        reasons.append(
            f"a timed round lasts {format_time(row['median_s'] * row['iterations'])}, "
            f"under {TIMER_FACTOR}× the timer's resolution"
        )
    if FLAG_ROUNDS in flags:
        reasons.append(f"only {row['rounds']} rounds")
    return "; ".join(reasons)


def trust_section(table: pd.DataFrame) -> str:
    lines = [
        "## Numbers not to trust",
        "",
        f"One rule for every timing on this page, the course experiments included: "
        f"{rules.flag_rule()}. Flagged numbers are shown like the others, marked "
        f"{MARK} where the text and the tables cite them, but read them as rough: rerun on a "
        "quiet machine before drawing conclusions from them.",
        "",
    ]
    shaky = flagged(table)
    if shaky.empty:
        lines.append("No measurement of this run is flagged.")
    else:
        rows = [
            [
                f"`{row['op']}`",
                case_name(row["backend"], row["threads"]),
                row["dtype"],
                shape_text(row),
                format_time(row["median_s"]),
                _flag_reasons(row),
            ]
            for _, row in shaky.iterrows()
        ]
        body = md_table(["op", "backend", "dtype", "size", "median", "why flagged"], rows)
        lines.append(fold(f"{len(rows)} flagged measurements", body, len(rows)))
    skipped = not_run(table)
    lines += ["", "### Not run", ""]
    if skipped.empty:
        lines.append("Every case of the run was measured.")
    else:
        rows = [
            [
                f"`{row['op']}`",
                case_name(row["backend"], row["threads"]),
                row["dtype"],
                shape_text(row),
                row["reason"] or "—",
                format_time(row["predicted_s"]) if math.isfinite(row["predicted_s"]) else "—",
            ]
            for _, row in skipped.iterrows()
        ]
        body = md_table(["op", "backend", "dtype", "size", "why", "predicted time per call"], rows)
        lines.append(fold(f"{len(rows)} cases not run", body, len(rows)))
    return "\n".join(lines)
