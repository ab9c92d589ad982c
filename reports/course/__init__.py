"""The report's "Course experiments" section, from a result file's ``vectorbench_course``.

It is checked as the file is read (``vbschema.course``); ``render(results,
figures_dir, link_prefix)`` draws its figures (``figures``) and returns the Markdown
section, worded by ``templates/course.md.j2`` over the findings (``findings``) and
tables (``tables``). Only the result file is read: nothing is trained again, and neither
the kernels nor the benchmark code is imported, so a file from another machine or an
older version renders the same way.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from reports.course import findings
from reports.course.experiments import EXPERIMENTS, TITLES, experiments_in
from reports.course.figures import draw_figures
from reports.course.tables import (
    agreement_table,
    experiment_title,
    flagged_timings,
    times_table,
)
from reports.formatting import format_linear
from reports.style import Style
from reports.templating import render as render_template

__all__ = ["render"]


def render(results: dict, figures_dir: Path, link_prefix: str, look: Style) -> str:
    """Draw the figures into ``figures_dir`` and return the Markdown section, whose
    images are linked as ``link_prefix + file name``; each backend as ``look`` (the
    run's style) names and colours it."""
    drawn = draw_figures(results, Path(figures_dir), look)

    def figure(name: str) -> str:
        return (
            f"![{drawn[name]}]({link_prefix}{name}.png)\n"
            f"<sub>[SVG for slides]({link_prefix}{name}.svg)</sub>"
        )

    judged = findings.timings(results)
    return (
        render_template(
            "course.md.j2",
            look=look,
            figure=figure,
            linear=format_linear,
            flowers_wrong=_flowers_wrong,
            **_context(results),
            perceptron=findings.perceptron_findings(results),
            nonseparable=findings.nonseparable_findings(results),
            adaline_raw=findings.adaline_raw_findings(results),
            adaline_standardized=findings.adaline_standardized_findings(results),
            gradient_descent=findings.gradient_descent_findings(results),
            logistic=findings.logistic_findings(results),
            flower=findings.flower_findings(results),
            network=findings.network_findings(results),
            hidden_sizes=findings.hidden_size_findings(results),
            times=findings.times_findings(results, judged, look),
            times_table=times_table(results, judged, look),
            flagged=flagged_timings(results, judged, look),
            agreement_table=agreement_table(results, look),
        )
        + "\n"
    )


def _context(results: dict) -> dict:
    """The run's conditions, for the section's introduction."""
    machine = results["machine"]
    cpu = machine.get("cpu") or {}
    threads = machine.get("threads") or {}
    git = results.get("git") or {}
    experiments = results["experiments"]
    return {
        "backends": results["backends"],
        # backend → the experiments it trained, for a backend that left some out (a
        # variant trains only where it computes the trainer's op its own way)
        "partly": {
            backend: [
                experiment_title(results, name)
                for name in EXPERIMENTS
                if backend in experiments.get(name, {}).get("runs", {})
            ]
            for backend in results["backends"]
            if any(backend not in experiments[name]["runs"] for name in experiments_in(results))
        },
        "raw": results["datasets"][results["experiments"]["perceptron"]["dataset"]],
        "machine": {
            "name": machine["name"],
            "cpu": cpu.get("brand", "unknown CPU"),
            "cores": threads.get("all_cores", "?"),
            "numba_threads": threads.get("numba_threads", "?"),
        },
        "created": datetime.fromisoformat(results["created"]).strftime("%Y-%m-%d %H:%M %Z"),
        "ladder": results.get("ladder", "full"),
        "commit": (git.get("commit") or "")[:10],
        "dirty": bool(git.get("dirty")),
        "versions": ", ".join(f"{name} {version}" for name, version in results["versions"].items()),
        "repeats": results["timer"]["repeats"],
        "other_repeats": _other_repeats(results),
    }


def _other_repeats(results: dict) -> list[tuple[str, int]]:
    """The experiments of the timing table timed for another number of rounds than the
    run's (the shallow network's long runs): (title, rounds)."""
    usual = results["timer"]["repeats"]
    found = []
    for name in experiments_in(results):
        runs = results["experiments"].get(name, {}).get("runs", {})
        repeats = {run["time"]["repeats"] for run in runs.values() if "time" in run}
        if repeats and repeats != {usual}:
            found.append((TITLES[name], max(repeats)))
    return found


def _flowers_wrong(count: int) -> str:
    if count == 0:
        return "every flower is on the right side of the boundary"
    return f"{count} flower{'s are' if count > 1 else ' is'} still on the wrong side"
