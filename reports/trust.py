"""Numbers not to trust: the flag rule, the flagged measurements, the cases not run."""

from __future__ import annotations

import pandas as pd

from reports import rules
from reports.formatting import format_percent, format_time
from reports.markup import fold, md_table
from reports.phrases import case_name, shape_text
from reports.style import Style
from reports.table import flagged, not_run
from reports.templating import render


def _flag_reasons(row: pd.Series) -> str:
    reasons = []
    flags = row["flags"].split("; ")
    if rules.FLAG_SPREAD in flags:
        again = f", the narrower of {row['attempts']} attempts" if row["attempts"] > 1 else ""
        if row["beside"]:
            again = f", the last of {row['attempts']} attempts, timed beside {row['beside']}"
        reasons.append(f"the median's interval ±{format_percent(row['interval_rel'])}{again}")
    if rules.FLAG_TIMER in flags:
        reasons.append(
            f"a timed round lasts {format_time(row['median_s'] * row['iterations'])}, "
            f"under {rules.TIMER_FACTOR}× the timer's resolution"
        )
    if rules.FLAG_DISTURBED in flags:
        reasons.append("measured on a disturbed machine (see the warning above)")
    if rules.FLAG_ROUNDS in flags:
        rounds = row["rounds"]
        reasons.append(f"only {rounds} round{'s' if rounds != 1 else ''}")
    if rules.FLAG_WAITED in flags:
        reasons.append(
            f"over {rules.WAIT_FACTOR}× its one-thread time and {rules.WAIT_S * 1e3:g} ms "
            "beyond it: its threads waited for a core"
        )
    return "; ".join(reasons)


# After a case's name, what its row says: why it is flagged, or why it was not run.
_FLAGGED = {"median": lambda row: format_time(row["median_s"]), "why flagged": _flag_reasons}
_NOT_RUN = {
    "why": lambda row: row["reason"] or "—",
    "predicted time per call": lambda row: format_time(row["predicted_s"]),
}


def trust_section(
    table: pd.DataFrame, warnings: str = "", side_by_side_roles=None, *, look: Style
) -> str:
    """The page's section; ``warnings``: the run's disturbed-machine warnings, in Markdown,
    which the flags' reasons point to; ``side_by_side_roles``: as the run recorded them."""
    return render(
        "trust.md.j2",
        warnings=warnings,
        flag_rule=rules.flag_rule(*([side_by_side_roles] if side_by_side_roles else [])),
        flagged_table=_cases_table(flagged(table), "flagged measurements", _FLAGGED, look),
        not_run_table=_cases_table(not_run(table), "cases not run", _NOT_RUN, look),
    )


def _cases_table(cases: pd.DataFrame, what: str, columns: dict, look: Style) -> str:
    if cases.empty:
        return ""
    rows = [
        [
            f"`{row['op']}`",
            case_name(row["backend"], row["threads"], look=look),
            row["dtype"],
            shape_text(row),
            *(cell(row) for cell in columns.values()),
        ]
        for _, row in cases.iterrows()
    ]
    body = md_table(["op", "backend", "dtype", "size", *columns], rows)
    return fold(f"{len(rows)} {what}", body, len(rows))
