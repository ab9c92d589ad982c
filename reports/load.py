"""The report's view of result files: ``vbschema.RunFile``'s checked cases as tidy rows, each
with the conditions it was measured under, so files of different runs read side by side.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from reports.rules import median_interval
from vbschema import BEYOND_MEMORY_PREFIX, Course, ResultFileError, RunFile
from vbschema.run import CEILINGS, STAT_NAMES, Case, JitCost, NotRun, describe, shape_key

__all__ = ["ResultFileError", "Run", "read_result", "read_results"]

COURSE_PREFIX = "course-"  # a course file of the first format (bench.upgrade folds it in)
# Share files (`python -m bench.share`, the lesson's cases for a class page) are never the
# newest run.
SHARE_PREFIX = "share-"
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-(\d+))?$")  # -2, -3 …: a second run that second

CASE_KEY = ["op", "backend", "dtype", "threads", "shape"]
JIT_KEY = ["op", "backend", "dtype", "shape"]
_CASE_COLUMNS = [
    *CASE_KEY, "m", "n", "h", "size", "status", "reason", "predicted_s",
    *(f"{stat}_s" for stat in STAT_NAMES), "ci_low_s", "ci_high_s", "rounds", "iterations",
    "flops", "bytes", "timer_resolution_s", "bandwidth_GBps", "served_from",
    "peak_alloc_bytes", "attempts", "beside", "name", "source",
]  # fmt: skip
_JIT_COLUMNS = [
    *JIT_KEY, "m", "n", "h", "size", "cold_s", "warm_s", "steady_s", "numpy_s", "python_s",
    "source",
]  # fmt: skip
# Counts that may be missing (a vector has no m) are pandas' nullable integers.
_SIZE_TYPES = {"m": "Int64", "n": "Int64", "h": "Int64", "size": "int64"}
_CASE_TYPES = {
    **_SIZE_TYPES, "threads": "int64", "rounds": "Int64", "iterations": "Int64",
    "attempts": "Int64", "flops": "Int64", "bytes": "Int64",
}  # fmt: skip


@dataclass(frozen=True)
class Run:
    """One benchmark run (or several files of one machine), checked and tidied."""

    sources: tuple[Path, ...]
    suite: dict[str, Any]  # machine_info["vectorbench"] of the newest file
    machine: dict[str, Any]  # pytest-benchmark's own machine_info of the newest file
    commit: dict[str, Any]
    datetime: str
    cases: pd.DataFrame  # one row per case measured or deliberately not run
    jit: pd.DataFrame  # one row per Numba compile-cost measurement
    catalogue: dict[str, dict[str, dict]]  # the ops and backends the run knew, in order
    course: Course | None = None  # the course experiments, if the run had them
    slides: dict[str, Any] | None = None  # the slides' demo, timed both ways
    ignored: int = 0  # benchmark entries of another kind than "steady"
    share: dict[str, Any] | None = None  # vectorbench_share, if this is a share file

    @property
    def all_cores(self) -> int | None:
        value = self.suite.get("threads", {}).get("all_cores")
        return value if isinstance(value, int) else None

    @property
    def blas(self) -> list[dict[str, Any]]:
        """The BLAS libraries NumPy loaded, as threadpoolctl described them."""
        pools = (self.suite.get("threads") or {}).get("blas") or []
        return [pool for pool in pools if isinstance(pool, dict)]

    @property
    def blas_name(self) -> str:
        """NumPy's BLAS library and version ("openblas 0.3.27"), or ""; the first found in
        files before 7 December 2026, which do not say whose each is."""
        mine = [pool for pool in self.blas if pool.get("package") == np.__name__] or self.blas
        if not mine or not mine[0].get("internal_api"):
            return ""
        return f"{mine[0]['internal_api']} {mine[0].get('version', '')}".strip()


def limit_at(per_threads: dict[str, float] | None, threads: int, all_cores: int | None) -> float:
    """A measured limit at ``threads``, or at the closest thread count measured (keys are
    counts as strings; ``"all"`` or ``"<all>"`` stand for all cores)."""
    measured: dict[int, float] = {}
    for key, value in (per_threads or {}).items():
        if key.isdigit():
            measured[int(key)] = value
        elif key.strip("<>") == "all" and all_cores:
            measured.setdefault(all_cores, value)
    if not measured:
        return math.nan
    closest = min(measured, key=lambda count: (abs(count - threads), count))
    return float(measured[closest])


def ladder_of(suite: dict[str, Any]) -> str:
    """The ladder a run timed; "quick" or "full" in files that only say whether it was quick."""
    ladder = suite.get("ladder")
    if isinstance(ladder, str) and ladder:
        return ladder
    return "quick" if suite.get("quick") else "full"


# --- one file as rows ------------------------------------------------------------------


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


def _row(file: RunFile, item: Case | NotRun | JitCost, threads: int | None = None) -> dict:
    """The item's identity and file; for a case (given ``threads``), the timer's resolution and
    the read bandwidth measured of the memory level its inputs fit in."""
    sizes = item.sizes
    row = {
        "op": item.op,
        "backend": item.backend,
        "dtype": item.dtype,
        "shape": shape_key(sizes),
        **{name: sizes.get(name) for name in "mnh"},
        "size": math.prod(sizes.values()),
        "source": file.path.name,
    }
    if threads is not None:
        limits = file.suite.limits
        ceiling = getattr(item, "ceiling", "read_GBps")  # a case not run records none
        if limits.get(ceiling) is None:  # no cache probe in this run: the memory's
            ceiling = "read_GBps"
        row["threads"] = threads
        row["timer_resolution_s"] = _or_nan(file.suite.timer_resolution_s)
        row["bandwidth_GBps"] = limit_at(limits.get(ceiling), threads, file.suite.all_cores)
        row["served_from"] = CEILINGS[ceiling]
    return row


def _median_interval(case: Case) -> tuple[float, float]:
    """The median's 95% interval: as recorded, else from the rounds the file kept, else the
    quartiles (older files; wider than that interval from a dozen rounds on)."""
    stats = case.stats
    if case.median_ci is not None:
        return case.median_ci
    if stats.times is not None and len(stats.times) >= 2:
        low, high = median_interval(stats.times)
        return min(low, stats.median), max(high, stats.median)
    return stats.q1, stats.q3


def _case_row(file: RunFile, case: Case) -> dict[str, Any]:
    low, high = _median_interval(case)
    return {
        **_row(file, case, case.threads),
        **{f"{stat}_s": getattr(case.stats, stat) for stat in STAT_NAMES},
        "ci_low_s": low,
        "ci_high_s": high,
        "rounds": case.stats.rounds,
        "iterations": case.stats.iterations,
        "flops": case.flops,
        "bytes": case.bytes,
        "peak_alloc_bytes": _or_nan(case.peak_alloc_bytes),
        "attempts": case.attempts,
        "beside": case.beside,
        "status": "ok",
        "reason": "",
        "predicted_s": math.nan,
        "name": case.name,
    }


def _not_run_row(file: RunFile, case: NotRun) -> dict[str, Any]:
    return {
        **_row(file, case, case.threads),
        "status": "not run",
        "beside": "",
        "reason": case.reason,
        "predicted_s": _or_nan(case.predicted_s),
        "name": "",
    }


def _jit_row(file: RunFile, cost: JitCost) -> dict[str, Any]:
    return {
        **_row(file, cost),
        "cold_s": cost.cold_s,
        "warm_s": cost.warm_s,
        "steady_s": cost.steady_s,
        # NumPy's and the loop's times on the same inputs, if the probe measured them
        "numpy_s": _or_nan(cost.numpy_s),
        "python_s": _or_nan(cost.python_s),
    }


def _cases_frame(rows: list[dict]) -> pd.DataFrame:
    """The measured rows first: a case not run where another file measured it is dropped."""
    frame = pd.DataFrame.from_records(rows, columns=_CASE_COLUMNS)
    frame = frame.drop_duplicates(subset=CASE_KEY, keep="first")
    return frame.astype(_CASE_TYPES).reset_index(drop=True)


def _jit_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=_JIT_COLUMNS)
    frame = frame.drop_duplicates(subset=JIT_KEY, keep="last")
    return frame.astype(_SIZE_TYPES).reset_index(drop=True)


def _slides(file: RunFile) -> dict[str, Any] | None:
    """The slides' demo timed the slides' way and the suite's, as the selection kept them."""
    if file.slides is None:
        return None
    slides_way = {
        "np.dot": file.slides.vectorized_ms,
        "for loop over NumPy arrays": file.slides.loop_ms,
    }
    return {
        "n": file.slides.n,
        "slides_way_ms": {} if file.slides.loop_ms is None else slides_way,
        "suite_way": dict(file.slides.suite_way),
    }


def read_result(path: Path | str) -> Run:
    """One result file, checked; raises ``ResultFileError`` naming the file and the problem."""
    file = RunFile.load(path)
    rows = [_case_row(file, case) for case in file.cases]
    return Run(
        share=None if file.share is None else dict(file.share.record),
        sources=(file.path,),
        suite=dict(file.suite.record),
        machine=dict(file.machine),
        commit=dict(file.commit),
        datetime=file.datetime,
        cases=_cases_frame(rows + [_not_run_row(file, case) for case in file.not_run]),
        jit=_jit_frame([_jit_row(file, cost) for cost in file.jit]),
        catalogue=file.suite.catalogue.dump(),
        course=file.course,
        slides=_slides(file),
        ignored=file.ignored,
    )


# --- several files of one machine ------------------------------------------------------


def _machine_identity(run: Run) -> tuple:
    cpu = run.suite.get("cpu") or {}
    return (run.machine.get("node"), cpu.get("brand"), cpu.get("logical_cores"))


def _measured_something(run: Run) -> bool:
    """A case, a compile cost, the slides' demo or a course experiment: a selection may
    have measured any of them alone."""
    timed = bool((run.cases["status"] == "ok").any())
    return timed or not run.jit.empty or run.slides is not None or run.course is not None


def merged_catalogue(runs: Iterable[Run]) -> dict[str, dict[str, dict]]:
    """Every op and backend of ``runs``, each described by the first run that knows it, in
    that run's order, then the others'."""
    catalogue: dict[str, dict[str, dict]] = {"ops": {}, "backends": {}}
    for run in runs:
        for part in catalogue:
            for name, entry in run.catalogue[part].items():
                catalogue[part].setdefault(name, entry)
    return catalogue


def read_results(paths: Iterable[Path | str]) -> Run:
    """Several result files of one machine as one run, described by the newest; files of
    different machines, measuring a case twice, or measuring nothing are refused."""
    runs = sorted((read_result(path) for path in paths), key=lambda run: run.datetime)
    if not runs:
        raise ValueError("read_results needs at least one file")
    if not any(_measured_something(run) for run in runs):
        # a report of "0 cases timed" would replace a good one with nothing to show
        names = ", ".join(str(run.sources[0]) for run in runs)
        raise ResultFileError(names, "holds no results: nothing was measured")
    if len(runs) == 1:
        return runs[0]
    newest = runs[-1]
    for run in runs[:-1]:
        if _machine_identity(run) != _machine_identity(newest):
            raise ResultFileError(
                run.sources[0],
                f"measured on another machine than {newest.sources[0].name} "
                f"({_machine_identity(run)[1]} vs {_machine_identity(newest)[1]}); "
                "use --compare to set runs of different machines side by side",
            )
    measured = pd.concat([run.cases[run.cases["status"] == "ok"] for run in runs])
    clash = measured[measured.duplicated(subset=CASE_KEY, keep=False)]
    if not clash.empty:
        row = clash.iloc[0]
        files = sorted(set(clash[(clash[CASE_KEY] == row[CASE_KEY]).all(axis=1)]["source"]))
        raise ResultFileError(
            Path(files[-1]),
            f"{describe(*row[CASE_KEY])} is also measured in {files[0]}; "
            "pass files that measure different cases",
        )
    not_run = pd.concat([run.cases[run.cases["status"] != "ok"] for run in runs])
    return dataclasses.replace(
        newest,
        sources=tuple(run.sources[0] for run in runs),
        cases=_cases_frame(measured.to_dict("records") + not_run.to_dict("records")),
        jit=_jit_frame(pd.concat([run.jit for run in runs]).to_dict("records")),
        catalogue=merged_catalogue(reversed(runs)),
        course=next((run.course for run in reversed(runs) if run.course), None),
        slides=next((run.slides for run in reversed(runs) if run.slides), None),
        ignored=sum(run.ignored for run in runs),
        share=None,
    )


# --- finding files ---------------------------------------------------------------------


def is_course_file(path: Path) -> bool:
    """A course file of the first format (its experiments now live in the run's file)."""
    return path.name.startswith(COURSE_PREFIX)


def _stamp(path: Path) -> tuple[str, int]:
    """``<machine>-<YYYYmmdd-HHMMSS>[-k].json`` → (stamp, k); other names → their mtime."""
    match = _STAMP.search(path.stem)
    if match:
        return match.group(1), int(match.group(2) or 1)
    mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    return mtime.strftime("%Y%m%d-%H%M%S"), 0


def json_files(directory: Path) -> list[Path]:
    if directory.exists() and not directory.is_dir():
        raise ResultFileError(
            directory, "is a file, not a directory of results; name it as FILE to report on it"
        )
    if not directory.is_dir():
        raise ResultFileError(directory, "no such directory; run `nox -s bench` first")
    try:  # glob would read an unreadable directory as an empty one
        os.listdir(directory)
    except OSError as error:
        raise ResultFileError(directory, f"cannot be read: {error.strerror}") from None
    # Names starting with a dot are files still being written (or hidden): not results.
    return [
        path
        for path in directory.glob("*.json")
        if path.is_file() and not path.name.startswith(".")
    ]


def newest_result(directory: Path) -> Path:
    """The newest result file in ``directory`` by its name's stamp (not course, beyond-memory
    or share files)."""
    candidates = [
        path
        for path in json_files(directory)
        if not path.name.startswith((COURSE_PREFIX, BEYOND_MEMORY_PREFIX, SHARE_PREFIX))
    ]
    if not candidates:
        raise ResultFileError(
            directory, "holds no result files (*.json); run `nox -s bench` or name files"
        )
    return max(candidates, key=lambda path: (_stamp(path), path.name))
