"""A class's runs as plain data: one entry per machine, the files set aside and why, and
the measured relations that explain (or fail to explain) the spread.

``reports.load.read_result`` reads every file (full, quick or share). A file it refuses, a
run without the lesson's dot product and a second run of a machine (told by
``machines.machine_key``, never by the file's name) are set aside with a one-line reason.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.analysis import HEADLINE_DTYPE, HEADLINE_N
from reports.classroom.machines import machine_key, simd_bits
from reports.classroom.outcomes import course_outcomes, same_outcome
from reports.load import (
    BEYOND_MEMORY_PREFIX,
    COURSE_PREFIX,
    ResultFileError,
    Run,
    json_files,
    limit_at,
    merged_catalogue,
    read_result,
)
from reports.roofline import roofline_points
from reports.style import COMPILED, COMPILED_PARALLEL, ENGINE, LOOP, REFERENCE, Style

# The roles of the headline ratios (the first backend of each, in each run's catalogue);
# any other backend a machine timed is listed beside them, by its own label (a backend
# this page has never heard of included).
HEADLINE_ROLES = (LOOP, REFERENCE, COMPILED, COMPILED_PARALLEL, ENGINE)
# Each headline ratio: (key, slower role and its threads, faster one and its), titled by
# the class's own labels ("Python loop → NumPy": ``ratio_titles``). "fewest"/"most": the
# backend's fewest or most threads measured; "same": the faster backend's thread count.
RATIOS = (
    ("loop_to_numpy", (LOOP, "fewest"), (REFERENCE, "fewest")),
    ("loop_to_numba", (LOOP, "fewest"), (COMPILED, "fewest")),
    ("numpy_to_parallel", (REFERENCE, "same"), (COMPILED_PARALLEL, "most")),
    ("numpy_to_jax", (REFERENCE, "same"), (ENGINE, "most")),
)
NO_LESSON = (
    "holds none of the lesson's cases: no np.dot measured at n = 10⁶ in float64 "
    "(run `nox -s bench` without -k)"
)
# Fewer machines than this and a correlation says little: the page says so.
FEW_MACHINES = 10
# Two spreads across the machines closer than this factor move a ratio about as much.
ABOUT_AS_MUCH = 1.1


@dataclass
class Machine:
    """One machine of the class: its run and what the page shows of it."""

    run: Run
    label: str = ""
    times: dict[str, dict[str, Any]] = field(default_factory=dict)  # backend → case
    ratios: dict[str, float] = field(default_factory=dict)
    predicted: set[str] = field(default_factory=set)  # ratios resting on a predicted loop
    outcomes: dict[str, dict] | None = None
    course_problem: str = ""

    @property
    def source(self) -> str:
        return self.run.sources[0].name


@dataclass(frozen=True)
class Rejected:
    path: Path
    reason: str


# --- reading --------------------------------------------------------------------------


def result_files(inputs: Iterable[Path]) -> list[Path]:
    """The files given, and every result file (``*.json``, ``*.json.gz``) in the directories."""
    skip = (".", COURSE_PREFIX, BEYOND_MEMORY_PREFIX)  # hidden (being written), other files
    found: list[Path] = []
    for path in inputs:
        if path.is_dir():
            candidates = [*json_files(path), *path.glob("*.json.gz")]
            found += sorted(c for c in candidates if not c.name.startswith(skip))
        else:
            found.append(path)
    return list(dict.fromkeys(found))


def _lesson_dot(run: Run) -> pd.DataFrame:
    """The run's cases of the slides' dot product in float64, every size."""
    cases = run.cases
    return cases[
        (cases["op"] == Style.of(run.catalogue).lesson_op()) & (cases["dtype"] == HEADLINE_DTYPE)
    ]


def _headline_cases(run: Run) -> dict[str, list[dict[str, Any]]]:
    """The slides' dot product (float64, n = 10⁶) per headline role, fewest threads first:
    measured cases, and the loop's predicted time (``predicted``) if it was not run."""
    look = Style.of(run.catalogue)
    names = {look.the(part): part for part in HEADLINE_ROLES}
    rows = _lesson_dot(run)
    rows = rows[rows["backend"].isin(names) & (rows["n"] == HEADLINE_N)].sort_values("threads")
    ok = rows["status"] == "ok"
    rows = rows.assign(time_s=rows["median_s"].where(ok, rows["predicted_s"]), predicted=~ok)
    rows = rows[ok | np.isfinite(rows["predicted_s"])]
    return {names[backend]: group.to_dict("records") for backend, group in rows.groupby("backend")}


def has_the_lesson(run: Run) -> bool:
    """Whether a class page can use ``run``: it timed NumPy on the slides' dot product
    (float64, n = 10⁶), the case every machine is set against."""
    return _reference_measured(_headline_cases(run))


def _reference_measured(cases: dict[str, list[dict]]) -> bool:
    numpy = _pick(cases, REFERENCE, "fewest")
    return numpy is not None and not numpy["predicted"]


def _pick(cases: dict[str, list[dict]], backend: str, threads: str | int) -> dict | None:
    rows = cases.get(backend) or []
    if not rows:
        return None
    if threads == "fewest":
        return rows[0]
    if threads == "most":
        return rows[-1]
    return next((row for row in rows if row["threads"] == threads), None)


def _ratios(machine: Machine, cases: dict[str, list[dict]]) -> None:
    for key, (slow, slow_threads), (fast, fast_threads) in RATIOS:
        faster = _pick(cases, fast, fast_threads)
        if faster is None or faster["predicted"]:
            continue
        slower = _pick(cases, slow, faster["threads"] if slow_threads == "same" else slow_threads)
        if slower is None:
            continue
        machine.ratios[key] = slower["time_s"] / faster["time_s"]
        if slower["predicted"]:
            machine.predicted.add(key)
        machine.times.setdefault(slow, slower)
        machine.times.setdefault(fast, faster)


def _course(machine: Machine) -> None:
    run = machine.run
    if run.share is not None:
        machine.outcomes = run.share.get("course")
    elif run.course is not None and run.course.missing:
        machine.course_problem = f"its run's selection left out {', '.join(run.course.missing)}"
    elif run.course is not None:
        machine.outcomes = course_outcomes(run.course.record)
    if not machine.outcomes and not machine.course_problem:  # none, or an empty record
        machine.outcomes = None
        machine.course_problem = "the run has no course experiments"


def read_class(inputs: Iterable[Path]) -> tuple[list[Machine], list[Rejected]]:
    """Every usable machine of the class, one run each (the newest), and every file set
    aside with its reason."""
    rejected: list[Rejected] = []
    machines: dict[str, Machine] = {}
    for path in result_files(inputs):
        try:
            run = read_result(path)
        except ResultFileError as error:
            rejected.append(Rejected(path, error.problem))
            continue
        cases = _headline_cases(run)  # once: 60 ms a run
        if not _reference_measured(cases):
            rejected.append(Rejected(path, NO_LESSON))
            continue
        key = (
            run.share["machine_key"]
            if run.share
            else machine_key(run.machine.get("node"), run.suite)
        )
        machine = Machine(run=run)
        _ratios(machine, cases)
        # each case's first row, unless _ratios has already picked one (the right side wins)
        machine.times = {part: rows[0] for part, rows in cases.items()} | machine.times
        if key in machines:
            newer, older = sorted(
                (machines[key], machine), key=lambda m: m.run.datetime, reverse=True
            )
            which = (
                "the same run (same start time)"
                if newer.run.datetime == older.run.datetime
                else f"the newer run, {newer.source}, is used"
            )
            reason = f"the same machine as {newer.source} (same host and machine facts); {which}"
            rejected.append(Rejected(older.run.sources[0], reason))
            machine = newer
        machines[key] = machine
    class_ = sorted(machines.values(), key=lambda m: (_name(m).lower(), m.source))
    _label(class_)
    for machine in class_:
        _course(machine)
    return class_, rejected


def _name(machine: Machine) -> str:
    run = machine.run
    if run.share and run.share.get("name"):
        return str(run.share["name"])
    if run.share is None and run.machine.get("node"):
        return f"{run.machine['node']} ({machine.source})"
    return machine.source.removesuffix(".json")


def _label(machines: list[Machine]) -> None:
    """Each machine's label: its name (``_name``), numbered when two machines share one."""
    seen: dict[str, int] = {}
    for machine in machines:
        name = _name(machine)
        seen[name] = seen.get(name, 0) + 1
        machine.label = name if seen[name] == 1 else f"{name} ({seen[name]})"


# --- facts ----------------------------------------------------------------------------


def limit(run: Run, name: str) -> float:
    """A measured limit (``read_GBps``, ``peak_GFLOPs`` …) at all cores."""
    cores = run.all_cores or 1
    return limit_at((run.suite.get("limits") or {}).get(name), cores, cores)


def clock_ghz(run: Run) -> float:
    """The CPU's highest clock as Linux reports it, in GHz, or NaN where not recorded."""
    khz = (run.suite.get("system") or {}).get("max_frequency_khz")
    try:
        return float(khz) / 1e6
    except (TypeError, ValueError):
        return math.nan


def loop_ns_per_element(run: Run) -> float:
    """The loop's time per element of the dot product at its largest measured size."""
    rows = _lesson_dot(run)
    loop = Style.of(run.catalogue).the(LOOP)
    rows = rows[(rows["backend"] == loop) & (rows["status"] == "ok") & (rows["threads"] == 1)]
    if rows.empty:
        return math.nan
    largest = rows.loc[rows["n"].idxmax()]
    return float(largest["median_s"] / largest["n"] * 1e9)


def other_backends(machine: Machine) -> list[str]:
    run = machine.run
    measured = run.cases[run.cases["status"] == "ok"]["backend"].unique()
    look = Style.of(run.catalogue)
    headline = {look.the(part) for part in HEADLINE_ROLES}
    return sorted((b for b in measured if b not in headline), key=look.backend_rank)


def best_points(run: Run) -> list[dict[str, Any]]:
    """The machine's best point per op on its roofline (float64, each op's largest size,
    each backend at its most threads; the best backend kept)."""
    points = roofline_points(run.cases, Style.of(run.catalogue))
    if points.empty:
        return []
    points = points.assign(gflops=points["flops"].astype(float) / points["median_s"] / 1e9)
    top = points.loc[points.groupby("op")["gflops"].idxmax()]
    return top[["op", "backend", "intensity", "gflops"]].to_dict("records")


def machine_row(machine: Machine) -> dict[str, Any]:
    run = machine.run
    cpu = run.suite.get("cpu") or {}
    return {
        "label": machine.label,
        "cpu": cpu.get("brand") or "unknown",
        "cores": run.all_cores,
        "physical_cores": cpu.get("physical_cores"),
        "simd_bits": simd_bits(cpu),
        "l3_bytes": cpu.get("l3_bytes") or math.nan,
        "read_GBps": limit(run, "read_GBps"),
        "peak_GFLOPs": limit(run, "peak_GFLOPs"),
        "blas": run.blas_name or "unknown",
        "versions": dict(run.suite.get("versions") or {}),
        "ratios": dict(machine.ratios),
        "predicted": sorted(machine.predicted),
        "others": [Style.of(run.catalogue).label(b) for b in other_backends(machine)],
        "points": best_points(run),  # its roofline's
    }


# --- relations ------------------------------------------------------------------------


def spread(values: dict[str, float]) -> dict[str, Any] | None:
    """Median, lowest and highest of a value over the machines (finite values only)."""
    finite = {label: v for label, v in values.items() if math.isfinite(v) and v > 0}
    if not finite:
        return None
    low = min(finite, key=finite.get)
    high = max(finite, key=finite.get)
    return {
        "count": len(finite),
        "median": statistics.median(finite.values()),
        "low": finite[low],
        "low_label": low,
        "high": finite[high],
        "high_label": high,
        "fold": finite[high] / finite[low],
    }


def log_fit(xs: list[float], ys: list[float]) -> dict[str, Any] | None:
    """A straight line through log y against log x: its slope, and r² (the share of log y's
    variance the fact accounts for). None for fewer than 3 machines or no variation."""
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if 0 < x < math.inf and 0 < y < math.inf]
    if len(pairs) < 3:
        return None
    lx, ly = np.log(pairs).T
    if np.ptp(lx) == 0 or np.ptp(ly) == 0:
        return None
    slope, _ = np.polyfit(lx, ly, 1)
    r = float(np.corrcoef(lx, ly)[0, 1])
    return {"n": len(pairs), "slope": float(slope), "r2": r * r, "few": len(pairs) < FEW_MACHINES}


def by_group(values: dict[str, float], groups: dict[str, Any]) -> list[dict[str, Any]]:
    """A value's spread within each value of a categorical fact."""
    out: dict[Any, dict[str, float]] = {}
    for label, value in values.items():
        if groups.get(label) is not None:
            out.setdefault(groups[label], {})[label] = value
    spreads = {group: spread(v) for group, v in sorted(out.items(), key=lambda g: str(g[0]))}
    return [{"group": group, **s} for group, s in spreads.items() if s]


def bandwidth_relation(machines: list[Machine]) -> dict[str, Any]:
    """np.dot at 10⁶ against the bandwidth of the level its 16 MB are read from: the
    rate it implies, and that rate's share of the measured bandwidth."""
    rows = []
    for machine in (m for m in machines if REFERENCE in m.times):
        numpy = machine.times[REFERENCE]
        rate = numpy["bytes"] / numpy["time_s"] / 1e9
        row = {key: numpy[key] for key in ("time_s", "threads", "bandwidth_GBps", "served_from")}
        share = rate / numpy["bandwidth_GBps"]
        rows.append({"label": machine.label, "rate_GBps": rate, "share": share, **row})
    time, bandwidth, share = (
        spread({row["label"]: row[key] for row in rows})
        for key in ("time_s", "bandwidth_GBps", "share")
    )
    return {
        "rows": rows,
        "time": time,
        "bandwidth": bandwidth,
        "share": share,
        "fit": log_fit([r["bandwidth_GBps"] for r in rows], [r["time_s"] for r in rows]),
        "levels": sorted({r["served_from"] for r in rows}),
        "verdict": explains(time, share),
        "above": [row["label"] for row in rows if row["share"] > 1],
    }


# A spread under this fold is within what two runs of one machine differ by: nothing
# to explain.
LEVEL_FOLD = 1.2


def explains(measured: dict | None, residual: dict | None) -> str:
    """Whether dividing by a fact narrows a ``measured`` spread to ``residual``: "level"
    (nothing to explain), "explains" (at least half of the log fold gone), "partly", "no"."""
    if not measured or not residual or measured["count"] < 2:
        return "unknown"
    if measured["fold"] < LEVEL_FOLD:
        return "level"
    removed = 1 - math.log(residual["fold"]) / math.log(measured["fold"])
    if removed >= 0.5:
        return "explains"
    return "partly" if removed > 0 else "no"


def loop_relation(machines: list[Machine]) -> dict[str, Any]:
    """The loop's ns per element against the clock (where recorded) and Python's version."""
    ns = {m.label: loop_ns_per_element(m.run) for m in machines}
    clocks = {m.label: clock_ghz(m.run) for m in machines}
    python = {m.label: m.run.machine.get("python_version") for m in machines}
    known = [label for label in ns if math.isfinite(ns[label]) and math.isfinite(clocks[label])]
    known_ns = {label: ns[label] for label in known}
    cycles = spread({label: ns[label] * clocks[label] for label in known})
    return {
        "ns": spread(ns),
        "cycles": cycles,
        "clock_verdict": explains(spread(known_ns), cycles),
        "python_versions": sorted({version for version in python.values() if version}),
        "clocks_known": len(known),
        "clock_fit": log_fit([1 / clocks[label] for label in known], list(known_ns.values())),
        "by_python": by_group(ns, python),
    }


def ratio_relations(machines: list[Machine]) -> dict[str, Any]:
    """Loop → Numba against the SIMD width; NumPy → Numba parallel against the cores."""
    numba = {m.label: m.ratios.get("loop_to_numba", math.nan) for m in machines}
    parallel = {m.label: m.ratios.get("numpy_to_parallel", math.nan) for m in machines}
    cores = {m.label: m.run.all_cores for m in machines}
    return {
        "numba_by_simd": by_group(
            numba, {m.label: simd_bits(m.run.suite.get("cpu") or {}) for m in machines}
        ),
        "parallel_by_cores": by_group(parallel, cores),
        "parallel_fit": log_fit(
            [float(cores[label] or math.nan) for label in parallel], list(parallel.values())
        ),
    }


# --- the course -----------------------------------------------------------------------


def course_agreement(machines: list[Machine]) -> list[dict[str, Any]]:
    """Per machine: the experiments whose backends disagree, and the experiments whose
    outcome differs from the class's (the largest group of machines that agree)."""
    with_outcomes = [m for m in machines if m.outcomes]
    differs: dict[str, list[str]] = {m.label: [] for m in with_outcomes}
    for name in sorted({name for m in with_outcomes for name in m.outcomes}):
        groups: list[list[Machine]] = []
        for machine in (m for m in with_outcomes if name in m.outcomes):
            outcome = machine.outcomes[name]
            group = next((g for g in groups if same_outcome(g[0].outcomes[name], outcome)), None)
            if group is None:
                group = []
                groups.append(group)
            group.append(machine)
        groups.sort(key=len, reverse=True)
        for machine in (m for group in groups[1:] for m in group):
            differs[machine.label].append(name)
    return [
        {
            "label": m.label,
            "problem": m.course_problem,
            "experiments": len(m.outcomes or {}),
            "disagree": {
                name: o["disagree"] for name, o in (m.outcomes or {}).items() if o["disagree"]
            },
            "differs": differs.get(m.label, []),
        }
        for m in machines
    ]


# --- everything the page says ---------------------------------------------------------


def class_findings(machines: list[Machine], rejected: list[Rejected]) -> dict[str, Any]:
    # the class's names: each machine's catalogue, the newest first for a backend in several
    look = Style.of(merged_catalogue(machine.run for machine in machines))
    titles = ratio_titles(look)
    ratios = [
        {
            "key": key,
            "title": titles[key],
            "spread": spread({m.label: m.ratios[key] for m in machines if key in m.ratios}),
            "missing": [m.label for m in machines if key not in m.ratios],
        }
        for key, *_ in RATIOS
    ]
    others: dict[str, list[str]] = {}
    for machine in machines:
        for backend in other_backends(machine):
            others.setdefault(look.label(backend), []).append(machine.label)
    rows = [machine_row(m) for m in machines]
    # the libraries whose versions are not the same on every machine: the ones that may
    # explain a difference (all of them are in each machine's result file)
    libraries = dict.fromkeys(name for row in rows for name in row["versions"])
    course = course_agreement(machines)
    return {
        "drivers": drivers(machines),
        "machines": rows,
        "differing_versions": [
            name for name in libraries if len({row["versions"].get(name) for row in rows}) > 1
        ],
        "rejected": [{"file": r.path.name, "reason": r.reason} for r in rejected],
        "ratios": ratios,
        "bandwidth": bandwidth_relation(machines),
        "interpreter": loop_relation(machines),
        "relations": ratio_relations(machines),
        "course": course,
        # the machines the course paragraph names: backends that disagree, outcomes apart
        "course_disagree": [row["label"] for row in course if row["disagree"]],
        "course_differs": [row["label"] for row in course if row["differs"]],
        "others": others,
        "titles": titles,
        "names": {part: look.name(part) for part in HEADLINE_ROLES},
        "few": len(machines) < FEW_MACHINES,
        "count": len(machines),
    }


def ratio_titles(look: Style) -> dict[str, str]:
    """Each headline ratio's title by the catalogue's labels, e.g. "NumPy → Numba parallel"."""
    return {key: f"{look.name(slow)} → {look.name(fast)}" for key, (slow, _), (fast, _) in RATIOS}


def drivers(machines: list[Machine]) -> dict[str, Any] | None:
    """Which side of loop → np.dot moves it across the machines: the ratio is the loop's
    time over np.dot's, so its spread is theirs combined."""
    loop = spread({m.label: m.times[LOOP]["time_s"] for m in machines if LOOP in m.times})
    dot = spread({m.label: m.times[REFERENCE]["time_s"] for m in machines if REFERENCE in m.times})
    if not loop or not dot or min(loop["count"], dot["count"]) < 2:
        return None
    folds = {"loop": loop["fold"], "reference": dot["fold"]}
    both = max(folds.values()) < ABOUT_AS_MUCH * min(folds.values())
    return {
        "loop": loop,
        "reference": dot,
        "driver": "both" if both else max(folds, key=folds.get),
        "predicted": [m.label for m in machines if m.times.get(LOOP, {}).get("predicted")],
    }
