"""The course section's two tables, as Markdown: times to train, and agreement."""

from __future__ import annotations

from reports.course.experiments import experiments_in, title
from reports.course.findings import Timing
from reports.formatting import FLOAT64_EPS, format_eps, format_percent, format_ratio, format_time
from reports.markup import marked, md_table
from reports.rules import FLAG_ROUNDS, FLAG_SPREAD, FLAG_TIMER, TIMER_FACTOR
from reports.style import Style


def times_table(results: dict, judged: dict[str, dict[str, Timing]], look: Style) -> str:
    """Median time per experiment and backend, marked where the flag rule says not to
    trust it; in brackets the speedup over the first backend."""
    backends = results["backends"]
    rows = []
    for name in experiments_in(results):
        cells = [title(results, name)]
        base = judged[name][backends[0]]
        for backend in backends:
            timing = judged[name].get(backend)
            if timing is None:  # a variant's run that would be its base's
                cells.append("—")
                continue
            cell = format_time(timing.quartiles.median) + marked(*timing.flags)
            if timing.against_reference is not None:
                ratio = format_ratio(timing.against_reference.speedup)
                cell += f" ({ratio}{marked(*timing.flags, *base.flags)})"
            cells.append(cell)
        rows.append(cells)
    return md_table(["experiment", *(look.label(b) for b in backends)], rows)


def flagged_timings(results: dict, judged: dict[str, dict[str, Timing]], look: Style) -> list[str]:
    """Which times the flag rule marks, and why, in the words of "Numbers not to trust"."""
    resolution = results["timer"].get("resolution_s") or 0.0
    under_timer = f"under {TIMER_FACTOR}× the timer's resolution ({format_time(resolution)})"
    listed = []
    for name in experiments_in(results):
        for backend, timing in judged[name].items():
            if not timing.flags:
                continue
            quartiles = timing.quartiles
            attempts = results["experiments"][name]["runs"][backend]["time"].get("attempts", 1)
            again = f", the narrower of {attempts} attempts" if attempts > 1 else ""
            reasons = {
                FLAG_SPREAD: f"the median's interval ±{format_percent(quartiles.interval_rel)}"
                + again,
                FLAG_TIMER: f"a run lasts {format_time(quartiles.median)}, {under_timer}",
                FLAG_ROUNDS: f"only {quartiles.rounds} run{'s' if quartiles.rounds != 1 else ''}",
            }
            why = "; ".join(reason for flag, reason in reasons.items() if flag in timing.flags)
            listed.append(f"{title(results, name)}, {look.label(backend)}: {why}")
    return listed


def agreement_table(results: dict, look: Style) -> str:
    """The largest differences from the first backend, against the run's tolerance."""
    others = results["backends"][1:]
    rows = []
    for name in experiments_in(results):
        experiment = results["experiments"][name]
        agreement = experiment["agreement"]
        counts = experiment["history"] == "misclassifications"
        cells = [title(results, name)]
        for backend in others:
            diff = agreement["backends"].get(backend)
            if diff is None:
                cells.append("—")
                continue
            if counts:
                history = "same counts" if diff["history_identical"] else "counts differ"
            else:
                history = f"history {format_eps(diff['history_max_rel_diff'])}"
            cells.append(f"w, b {format_eps(diff['weights_max_rel_diff'])}; {history}")
        cells.append(f"{agreement['tolerance'] / FLOAT64_EPS:,.0f} ε")
        cells.append("yes" if agreement["within_tolerance"] else "**no**")
        rows.append(cells)
    return md_table(["experiment", *(look.label(b) for b in others), "tolerance", "agree?"], rows)
