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
    TIMER_FACTOR,
)
from reports.style import Style
from reports.table import flagged, not_run
from reports.templating import render


def _flag_reasons(row: pd.Series) -> str:
    reasons = []
    flags = row["flags"].split("; ")
    if FLAG_SPREAD in flags:
        reasons.append(f"the median's interval ±{format_percent(row['interval_rel'])}")
    if FLAG_TIMER in flags:
        reasons.append(
            f"a timed round lasts {format_time(row['median_s'] * row['iterations'])}, "
            f"under {TIMER_FACTOR}× the timer's resolution"
        )
    if rules.FLAG_DISTURBED in flags:
        reasons.append("measured on a disturbed machine (see the warning at the top)")
    if FLAG_ROUNDS in flags:
        reasons.append(f"only {row['rounds']} rounds")
    return "; ".join(reasons)


def trust_section(table: pd.DataFrame, *, look: Style) -> str:
    return render(
        "trust.md.j2",
        flag_rule=rules.flag_rule(),
        flagged_table=_flagged_table(flagged(table), look=look),
        not_run_table=_not_run_table(not_run(table), look=look),
    )


def _flagged_table(shaky: pd.DataFrame, *, look: Style) -> str:
    if shaky.empty:
        return ""
    rows = [
        [
            f"`{row['op']}`",
            case_name(row["backend"], row["threads"], look=look),
            row["dtype"],
            shape_text(row),
            format_time(row["median_s"]),
            _flag_reasons(row),
        ]
        for _, row in shaky.iterrows()
    ]
    body = md_table(["op", "backend", "dtype", "size", "median", "why flagged"], rows)
    return fold(f"{len(rows)} flagged measurements", body, len(rows))


def _not_run_table(skipped: pd.DataFrame, *, look: Style) -> str:
    if skipped.empty:
        return ""
    rows = [
        [
            f"`{row['op']}`",
            case_name(row["backend"], row["threads"], look=look),
            row["dtype"],
            shape_text(row),
            row["reason"] or "—",
            format_time(row["predicted_s"]) if math.isfinite(row["predicted_s"]) else "—",
        ]
        for _, row in skipped.iterrows()
    ]
    body = md_table(["op", "backend", "dtype", "size", "why", "predicted time per call"], rows)
    return fold(f"{len(rows)} cases not run", body, len(rows))
