"""The course experiments' outcomes, in a few numbers per experiment.

A full result file keeps every epoch and timed repeat (over a megabyte); a class compares
less: did the machine's backends agree, and where did the reference backend end (its final
weights and last history entry). A share file carries exactly this
(``vectorbench_share.course``); for a full file the same function computes it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from vbschema.course import HISTORY_DIGITS

# The weights of a linear model (w, b) or of a shallow network (W1, b1, W2, b2), in order.
WEIGHT_KEYS = ("w", "b", "W1", "b1", "W2", "b2")


def course_outcomes(course: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per experiment of ``course`` (a file's ``vectorbench_course``): the reference
    backend, the agreement tolerance, the backends outside it, and the reference's final
    weights (as one list) and history entry."""
    outcomes = {}
    for name, experiment in course["experiments"].items():
        agreement = experiment["agreement"]
        tolerance = float(agreement["tolerance"])
        reference = agreement.get("reference") or course["backends"][0]
        disagree = sorted(
            backend
            for backend, diff in agreement["backends"].items()
            if not (
                diff["weights_max_rel_diff"] <= tolerance
                and diff["history_max_rel_diff"] <= tolerance
            )
        )
        run = experiment["runs"][reference]
        outcomes[name] = {
            "history": experiment["history"],
            "reference": reference,
            "backends": sorted(experiment["runs"]),
            "tolerance": tolerance,
            "disagree": disagree,
            "final_history": float(run["history"][-1]),
            "final_weights": [
                float(x) for key in WEIGHT_KEYS if key in run for x in np.ravel(run[key])
            ],
        }
    return outcomes


# How far a value rounded to HISTORY_DIGITS significant digits may be from it, relative.
STORED_REL = 0.5 * 10 ** (1 - HISTORY_DIGITS)


def _as_stored(value: float) -> float:
    """``value`` as files before 7 December 2026 stored a history's last entry."""
    return float(f"{value:.{HISTORY_DIGITS}g}")


def same_outcome(one: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether two machines' reference backends ended in the same place: every final
    weight within the agreement tolerance (relative to the largest weight, as on one
    machine), and the final history entry too, or within the rounding of an older file
    (the weights, stored whole, decide then: the last cost or count is a function of them)."""
    if len(one["final_weights"]) != len(other["final_weights"]):
        return False
    tolerance = max(one["tolerance"], other["tolerance"])
    scale = max((abs(value) for value in one["final_weights"]), default=0.0) or 1.0
    weights_close = all(
        abs(a - b) <= tolerance * scale
        for a, b in zip(one["final_weights"], other["final_weights"], strict=True)
    )
    a, b = one["final_history"], other["final_history"]
    if a == _as_stored(a) or b == _as_stored(b):  # perhaps rounded by an older file
        tolerance = max(tolerance, STORED_REL)
    history_close = math.isclose(a, b, rel_tol=tolerance, abs_tol=0.0) or a == b
    return weights_close and history_close
