"""A benchmark run's result file: pytest-benchmark's JSON plus the suite's additions.

A result file is what ``pytest --benchmark-json`` writes (``machine_info``,
``commit_info``, ``benchmarks``, ``datetime``, ``version``), with the conditions of the
run in ``machine_info["vectorbench"]`` (``Suite``: the machine, its limits, the
catalogue), each benchmark described by its ``extra_info`` (``Case``: op, backend,
dtype, threads, sizes, FLOPs, bytes), the deliberately skipped cases in
``vectorbench_not_run`` (``NotRun``), Numba's compile costs in ``vectorbench_jit``
(``JitCost``), the slides' demo in ``vectorbench_slides``, the course experiments in
``vectorbench_course`` (``Course``) and, in a share file, ``vectorbench_share``.

``RunFile.load(path)`` builds all of them, and building is checking: a file it accepts
can be reported; anything else raises ``ResultFileError``, one line naming the file,
the place and what is wrong. ``RunFile.dump()`` is the JSON again, still a
pytest-benchmark file (``pytest-benchmark compare`` reads it).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from vbschema.course import Course
from vbschema.fields import FromFile, ResultFileError, Where, kind

SCHEMA = 2  # machine_info.vectorbench.schema; the first format (1) converts with:
UPGRADE_COMMAND = "python -m bench.upgrade FILE [COURSE_FILE]"
SHARE_KIND = "vectorbench-share"  # vectorbench_share["kind"], a file of bench/share.py
SHARE_SCHEMA = 1

DTYPES = ("float64", "float32")
STAT_NAMES = ("median", "q1", "q3", "iqr", "min", "max", "mean", "stddev")
# The memory level a case's inputs are read from, by the limit that measured it.
CEILINGS = {"read_GBps": "memory", "cache_read_GBps": "cache"}
# A backend's part in the lesson, as the catalogue says (kernels.backends.ROLES): the report
# finds the loop, the reference and the others by role, and names no backend itself.
ROLES = LOOP, REFERENCE, COMPILED, COMPILED_PARALLEL, ENGINE, VARIANT = (
    "loop", "reference", "compiled", "compiled parallel", "engine", "variant",
)  # fmt: skip


@dataclass(frozen=True)
class Catalogue:
    """The ops and backends a run knew, in their order, each with its description."""

    ops: Mapping[str, Mapping[str, Any]]
    backends: Mapping[str, Mapping[str, Any]]

    @classmethod
    def parse(cls, where: Where, catalogue: Any) -> Catalogue:
        catalogue = where.object(catalogue, "it")
        checked: dict[str, dict[str, dict]] = {}
        for part in ("ops", "backends"):
            entries = where.object(catalogue.get(part), repr(part))
            if not entries:
                where.fail(f"{part!r} names no {part}")
            inner = where.at(f"{where.place}.{part}")
            checked[part] = {
                str(name): inner.object(entry, repr(name)) for name, entry in entries.items()
            }
        for name, backend in checked["backends"].items():
            inner = where.at(f"{where.place}.backends.{name}")
            inner.string(backend, "label")
            colour = inner.string(backend, "colour")
            if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
                inner.fail(f"'colour' must be a colour such as '#1f77b4', not {colour!r}")
            if "role" in backend:
                inner.known(backend, "role", ROLES)
                if backend["role"] == VARIANT:
                    inner.known(backend, "variant_of", tuple(checked["backends"]))
        return _with_roles(checked["ops"], checked["backends"])

    def dump(self) -> dict[str, dict]:
        return {"ops": dict(self.ops), "backends": dict(self.backends)}


_AS_ANOTHER = re.compile(r"as (\w+), but ")  # "as jax, but the logistic gradient is …"


def _with_roles(ops: dict[str, dict], backends: dict[str, dict]) -> Catalogue:
    """The catalogue, with the roles of a file written before backends and ops had them.

    The migration, in this one place: such a file's backends are given the role their own
    description implies. A backend that interprets every op is the loop; one whose ``how``
    reads "as <backend>, but …" a variant of it; one that compiles once per dtype a
    compiled loop (parallel if multithreaded); one that interprets only the per-sample
    rules, with allocations tracemalloc sees and no optional library, the reference; any
    other an engine. The lesson's op is the catalogue's first (the dot product, first in
    every such file). Files with roles are taken as they say.
    """
    if not any(entry.get("lesson") for entry in ops.values()):
        first = next(iter(ops))
        ops = {name: {**entry, "lesson": name == first} for name, entry in ops.items()}
    if any("role" in entry for entry in backends.values()):
        return Catalogue(ops, backends)
    roles: dict[str, dict[str, str]] = {}
    for name, entry in backends.items():
        variant = _AS_ANOTHER.match(str(entry.get("how", "")))
        if entry.get("interprets") == "all":
            roles[name] = {"role": LOOP}
        elif variant and variant.group(1) in backends:
            roles[name] = {"role": VARIANT, "variant_of": variant.group(1)}
        elif entry.get("compiles") and not entry.get("compiles_per_shape"):
            roles[name] = {"role": COMPILED_PARALLEL if entry.get("multithreaded") else COMPILED}
        elif (
            entry.get("interprets") == "sequential"
            and entry.get("allocations_traced", True)
            and not entry.get("requires")
            and {"role": REFERENCE} not in roles.values()
        ):
            roles[name] = {"role": REFERENCE}
        else:
            roles[name] = {"role": ENGINE}
    return Catalogue(ops, {name: {**entry, **roles[name]} for name, entry in backends.items()})


@dataclass(frozen=True)
class Suite:
    """``machine_info["vectorbench"]``: the conditions of the run (its machine, threads,
    versions, git state, timer and measured limits) and its catalogue. ``record`` is the
    whole entry as written; the fields are the parts checked and read by name."""

    record: Mapping[str, Any]
    catalogue: Catalogue
    timer_resolution_s: float | None
    limits: Mapping[str, Any]
    all_cores: int | None

    @classmethod
    def parse(cls, path: Path, machine: dict[str, Any]) -> Suite:
        if "vectorbench" not in machine:
            raise ResultFileError(
                path,
                "a pytest-benchmark result, but not from this suite: "
                "machine_info has no 'vectorbench' entry",
            )
        suite = Where(path, "machine_info.vectorbench").object(machine["vectorbench"], "it")
        if suite.get("schema") == 1:
            raise ResultFileError(
                path,
                f"is in the first result format (schema 1); convert it with `{UPGRADE_COMMAND}`",
            )
        if suite.get("schema") != SCHEMA:
            raise ResultFileError(
                path,
                f"machine_info.vectorbench.schema is {suite.get('schema')!r}; "
                f"this report builder reads schema {SCHEMA}",
            )
        for key in ("cpu", "threads", "versions", "git", "timer", "limits"):
            if suite.get(key) is not None:
                Where(path, f"machine_info.vectorbench.{key}").object(suite[key], "it")
        timer = suite.get("timer") or {}
        resolution = None
        if timer.get("resolution_s") is not None:
            resolution = Where(path, "machine_info.vectorbench.timer").number(
                timer, "resolution_s", positive=True
            )
        limits = suite.get("limits") or {}
        for name, per_threads in limits.items():
            # the ceilings, per thread count; the rest (method, probe sizes) describes them
            if not name.endswith(("_GBps", "_GFLOPs")) or per_threads is None:
                continue
            where = Where(path, f"machine_info.vectorbench.limits.{name}")
            for threads in where.object(per_threads, "it"):
                where.number(per_threads, threads, positive=True)
        if suite.get("side_by_side_roles") is not None:  # the roles timed again beside the
            place = "machine_info.vectorbench.side_by_side_roles"  # reference when slower
            for index, role in enumerate(Where(path, place).list(suite["side_by_side_roles"])):
                if role not in ROLES:
                    Where(path, f"{place}[{index}]").fail(
                        f"is {role!r}, not one of {', '.join(ROLES)}"
                    )
        all_cores = (suite.get("threads") or {}).get("all_cores")
        return cls(
            record=suite,
            catalogue=Catalogue.parse(
                Where(path, "machine_info.vectorbench.catalogue"), suite.get("catalogue")
            ),
            timer_resolution_s=resolution,
            limits=limits,
            all_cores=all_cores if isinstance(all_cores, int) else None,
        )

    def dump(self) -> dict[str, Any]:
        return {**self.record, "catalogue": self.catalogue.dump()}


@dataclass(frozen=True)
class Stats:
    """A case's timed rounds, summarised by pytest-benchmark (seconds)."""

    median: float
    q1: float
    q3: float
    iqr: float
    min: float
    max: float
    mean: float
    stddev: float
    rounds: int
    iterations: int
    times: tuple[float, ...] | None  # every round, where the file kept them


def _identity(where: Where, obj: dict[str, Any], catalogue: Catalogue) -> dict[str, Any]:
    return {
        "op": where.known(obj, "op", tuple(catalogue.ops)),
        "backend": where.known(obj, "backend", tuple(catalogue.backends)),
        "dtype": where.known(obj, "dtype", DTYPES),
        "sizes": where.sizes(obj),
    }


@dataclass(frozen=True)
class Case:
    """One op on one backend, dtype, thread count and sizes, measured in steady state."""

    name: str  # pytest-benchmark's name of it
    op: str
    backend: str
    dtype: str
    threads: int
    sizes: Mapping[str, int]
    stats: Stats
    flops: int
    bytes: int
    median_ci: tuple[float, float] | None  # the median's 95% interval, as recorded
    peak_alloc_bytes: int | None  # one untimed call's peak allocation, where measured
    ceiling: str  # the limit of the memory level its inputs are read from (CEILINGS)
    # how many times it was timed: a second attempt at the end of the run if the first
    # ended unsure (bench/sampling.py, RETIME_S); the narrower of the two is kept
    attempts: int = 1
    # the backends whose cases it was last timed right beside (a compiled loop slower
    # than the reference: bench/sampling.py, SIDE_BY_SIDE_S), that attempt kept; or ""
    beside: str = ""

    @classmethod
    def parse(cls, where: Where, entry: dict[str, Any], catalogue: Catalogue) -> Case:
        extra = where.object(entry.get("extra_info"), "'extra_info'")
        identity = _identity(where, extra, catalogue)
        stats = where.object(entry.get("stats"), "'stats'")
        values = {stat: where.number(stats, stat, positive=stat == "median") for stat in STAT_NAMES}
        where.ordered(values)
        data = stats.get("data")
        times = (
            tuple(float(value) for value in data)
            if isinstance(data, list) and all(isinstance(v, (int, float)) for v in data)
            else None
        )
        checked = Stats(
            **values,
            rounds=where.integer(stats, "rounds", minimum=1),
            iterations=where.integer(stats, "iterations", minimum=1)
            if "iterations" in stats
            else 1,
            times=times,
        )
        recorded = extra.get("median_ci")
        if recorded is not None and not (
            isinstance(recorded, list)
            and len(recorded) == 2
            and all(isinstance(v, (int, float)) and math.isfinite(v) for v in recorded)
            and recorded[0] <= checked.median <= recorded[1]
        ):
            where.fail("'median_ci' must be [low, high] around the median")
        ceiling = extra.get("ceiling", "read_GBps")
        if ceiling not in CEILINGS:
            where.fail(f"'ceiling' is {ceiling!r}, not one of {', '.join(CEILINGS)}")
        peak = extra.get("peak_alloc_bytes")
        attempts = extra.get("attempts", [])
        if not (
            isinstance(attempts, list)
            and all(isinstance(v, (int, float)) and v >= 0 for v in attempts)
        ):
            where.fail("'attempts' must be a list of each attempt's half-width")
        beside = extra.get("beside", "")
        if not isinstance(beside, str):
            where.fail("'beside' must be the backends it was timed beside, as text")
        return cls(
            name=entry.get("name") if isinstance(entry.get("name"), str) else "",
            **identity,
            threads=where.integer(extra, "threads", minimum=1),
            stats=checked,
            flops=where.integer(extra, "flops", minimum=0),
            bytes=where.integer(extra, "bytes", minimum=0),
            median_ci=None if recorded is None else (float(recorded[0]), float(recorded[1])),
            peak_alloc_bytes=None
            if peak is None
            else where.integer(extra, "peak_alloc_bytes", minimum=0),
            ceiling=ceiling,
            attempts=max(1, len(attempts)),
            beside=beside,
        )


@dataclass(frozen=True)
class NotRun:
    """A case the run left out on purpose (over the budget, say), with the reason."""

    op: str
    backend: str
    dtype: str
    threads: int
    sizes: Mapping[str, int]
    reason: str
    predicted_s: float | None = None

    @classmethod
    def parse(cls, where: Where, entry: Any, catalogue: Catalogue) -> NotRun:
        entry = where.object(entry, "each entry")
        return cls(
            **_identity(where, entry, catalogue),
            threads=where.integer(entry, "threads", minimum=1),
            reason=entry.get("reason") if isinstance(entry.get("reason"), str) else "",
            predicted_s=where.optional_number(entry, "predicted_s"),
        )

    def dump(self) -> dict[str, Any]:
        return _entry(self)


@dataclass(frozen=True)
class JitCost:
    """A compiled backend's first call (cold: compiling), second (warm) and steady state;
    NumPy's and the loop's times on the same inputs, where the probe measured them."""

    op: str
    backend: str
    dtype: str
    sizes: Mapping[str, int]
    cold_s: float
    warm_s: float
    steady_s: float
    numpy_s: float | None = None
    python_s: float | None = None
    startup_s: float | None = None  # Numba's one-time start-up, paid before the first call

    @classmethod
    def parse(cls, where: Where, entry: Any, catalogue: Catalogue) -> JitCost:
        entry = where.object(entry, "each entry")
        return cls(
            **_identity(where, entry, catalogue),
            cold_s=where.number(entry, "cold_s", positive=True),
            warm_s=where.number(entry, "warm_s", positive=True),
            steady_s=where.number(entry, "steady_s", positive=True),
            numpy_s=where.optional_number(entry, "numpy_s"),
            python_s=where.optional_number(entry, "python_s"),
            startup_s=where.optional_number(entry, "startup_s"),
        )

    def dump(self) -> dict[str, Any]:
        return _entry(self)


def _entry(item: Any) -> dict[str, Any]:
    """A list entry of the file (``NotRun``, ``JitCost``): its fields, the optional ones
    only where they are set."""
    entry = {}
    for name in (part.name for part in fields(item)):
        value = getattr(item, name)
        if value is not None:
            entry[name] = dict(value) if isinstance(value, Mapping) else value
    return entry


@dataclass(frozen=True)
class Slides:
    """The slides' demo at n: timed the slides' way (one ``time.time()`` pair around a first
    call, ``vectorbench_slides``) and, where the run has them, the suite's way (median of
    rounds, benchmarks of ``extra_info.kind == "slides"``, by variant)."""

    n: int
    vectorized_ms: float | None  # None: the selection kept the suite's way alone (`-k dot`)
    loop_ms: float | None
    clock: Mapping[str, Any]  # the clock the slides' way read: its name and resolution
    suite_way: Mapping[str, Mapping[str, float]]

    def dump(self) -> dict[str, Any] | None:
        """``vectorbench_slides``; the suite's way is in the benchmarks, where it was timed."""
        if self.loop_ms is None:
            return None
        return {
            "n": self.n,
            "vectorized_ms": self.vectorized_ms,
            "loop_ms": self.loop_ms,
            "clock": dict(self.clock),
        }


def _slides_stats(where: Where, entry: dict[str, Any]) -> dict[str, float]:
    stats = where.object(entry.get("stats"), "'stats'")
    return {
        **{
            f"{name}_s": where.number(stats, name, positive=True) for name in ("median", "q1", "q3")
        },
        "rounds": where.integer(stats, "rounds", minimum=1),
        "n": where.integer(entry["extra_info"], "n", minimum=1),
    }


@dataclass(frozen=True)
class Share:
    """What a share file (``bench/share.py``) says of itself: the machine's identity, the
    chosen name, the course experiments' outcomes."""

    record: Mapping[str, Any]

    @classmethod
    def parse(cls, where: Where, share: Any) -> Share:
        share = where.object(share, "it")
        if share.get("kind") != SHARE_KIND or share.get("schema") != SHARE_SCHEMA:
            where.fail(
                f"kind {share.get('kind')!r}, schema {share.get('schema')!r}: "
                f"this report builder reads {SHARE_KIND!r} schema {SHARE_SCHEMA}"
            )
        where.string(share, "machine_key")
        if share.get("name") is not None:
            where.string(share, "name")
        if share.get("course") is not None:
            where.object(share["course"], "'course'")
        return cls(share)

    def dump(self) -> dict[str, Any]:
        return dict(self.record)


@dataclass(frozen=True)
class RunFile(FromFile):
    """One result file, checked."""

    path: Path
    suite: Suite
    machine: Mapping[str, Any]  # pytest-benchmark's own machine_info, without "vectorbench"
    commit: Mapping[str, Any]
    datetime: str
    pytest_benchmark_version: str
    cases: tuple[Case, ...]
    not_run: tuple[NotRun, ...]
    jit: tuple[JitCost, ...]
    slides: Slides | None = None
    course: Course | None = None
    share: Share | None = None
    ignored: int = 0  # benchmark entries of another kind than "steady"
    # pytest-benchmark's entries as it wrote them: dumped back unchanged
    benchmarks: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)

    @classmethod
    def parse(cls, path: Path, data: Any) -> RunFile:
        if not isinstance(data, dict):
            raise ResultFileError(path, f"holds {kind(data)}, not a pytest-benchmark result object")
        missing = [key for key in ("machine_info", "benchmarks") if key not in data]
        if missing:
            keys = ", ".join(sorted(map(str, data))[:5]) or "none"
            raise ResultFileError(
                path, f"not a pytest-benchmark result file: no {missing[0]!r} (its keys: {keys})"
            )
        machine = Where(path, "machine_info").object(data["machine_info"], "machine_info")
        suite = Suite.parse(path, machine)
        benchmarks = Where(path, "benchmarks").list(data["benchmarks"])
        catalogue = suite.catalogue
        cases, ignored, suite_way = [], 0, {}
        for index, entry in enumerate(benchmarks):
            name = entry.get("name") if isinstance(entry, dict) else None
            where = Where(
                path, f"benchmarks[{index}]" + (f" ({name})" if isinstance(name, str) else "")
            )
            entry = where.object(entry, "each benchmark")
            extra = where.object(entry.get("extra_info"), "'extra_info'")
            if extra.get("kind", "steady") == "steady":
                cases.append(Case.parse(where, entry, catalogue))
            elif extra.get("kind") == "slides":
                suite_way[where.string(extra, "variant")] = _slides_stats(where, entry)
            else:
                ignored += 1
        _refuse_duplicates(path, cases)
        not_run = tuple(
            NotRun.parse(Where(path, f"vectorbench_not_run[{index}]"), entry, catalogue)
            for index, entry in enumerate(_entries(path, data, "vectorbench_not_run"))
        )
        jit = tuple(
            JitCost.parse(Where(path, f"vectorbench_jit[{index}]"), entry, catalogue)
            for index, entry in enumerate(_entries(path, data, "vectorbench_jit"))
        )
        slides = _slides(path, data.get("vectorbench_slides"), suite_way)
        course = data.get("vectorbench_course")
        if not (cases or not_run or jit or slides or course is not None):
            # a selection may measure any of them alone (-k slides, -k jit_compile, -k course)
            raise ResultFileError(
                path, "holds no results: no case, compile cost, slides' demo or course experiment"
            )
        commit = data.get("commit_info")
        if course is not None:
            Where(path, "vectorbench_course").object(course, "it")
        share = data.get("vectorbench_share")
        return cls(
            path=path,
            suite=suite,
            machine={key: value for key, value in machine.items() if key != "vectorbench"},
            commit=commit if isinstance(commit, dict) else {},
            datetime=str(data.get("datetime") or ""),
            pytest_benchmark_version=str(data.get("version") or ""),
            cases=tuple(cases),
            not_run=not_run,
            jit=jit,
            slides=slides,
            course=None if course is None else Course.parse(path, course),
            share=None if share is None else Share.parse(Where(path, "vectorbench_share"), share),
            ignored=ignored,
            benchmarks=tuple(benchmarks),
        )

    def dump(self) -> dict[str, Any]:
        """The file's JSON: pytest-benchmark's, with the suite's additions where they are."""
        data: dict[str, Any] = {
            "machine_info": {**self.machine, "vectorbench": self.suite.dump()},
            "commit_info": dict(self.commit),
            "benchmarks": [dict(entry) for entry in self.benchmarks],
            "datetime": self.datetime,
            "version": self.pytest_benchmark_version,
            "vectorbench_not_run": [entry.dump() for entry in self.not_run],
            "vectorbench_jit": [entry.dump() for entry in self.jit],
        }
        for key, part in (
            ("vectorbench_course", self.course),
            ("vectorbench_slides", self.slides),
            ("vectorbench_share", self.share),
        ):
            dumped = None if part is None else part.dump()
            if dumped is not None:
                data[key] = dumped
        return data


def _entries(path: Path, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    return [] if value is None else Where(path, key).list(value)


def _refuse_duplicates(path: Path, cases: list[Case]) -> None:
    seen: dict[tuple, int] = {}
    for index, case in enumerate(cases):
        identity = (
            case.op,
            case.backend,
            case.dtype,
            case.threads,
            tuple(sorted(case.sizes.items())),
        )
        if identity in seen:
            raise ResultFileError(
                path,
                f"{describe(*identity[:4], shape_key(case.sizes))} is measured twice "
                f"(entries {seen[identity]} and {index})",
            )
        seen[identity] = index


def shape_key(sizes: Mapping[str, int]) -> str:
    """The sizes as one key, ``"m=100 n=10"``: for tables and messages, never parsed back."""
    return " ".join(f"{name}={sizes[name]}" for name in sorted(sizes))


def threads_label(threads: int) -> str:
    return f"{threads} thread" if threads == 1 else f"{threads} threads"


def describe(op: str, backend: str, dtype: str, threads: int, shape: str) -> str:
    """A case in words, for messages; ``shape`` is its sizes' ``shape_key``."""
    return f"{op} on {backend}, {dtype}, {threads_label(threads)}, {shape}"


def _slides(path: Path, first: Any, suite_way: dict[str, dict]) -> Slides | None:
    if first is None:
        # a selection that left out the slides' demo as a student runs it (`-k dot`
        # keeps only the suite's np.dot): the suite's way alone, if it has that
        if not suite_way:
            return None
        n = next(iter(suite_way.values()))["n"]
        return Slides(n=n, vectorized_ms=None, loop_ms=None, clock={}, suite_way=suite_way)
    where = Where(path, "vectorbench_slides")
    first = where.object(first, "it")
    return Slides(
        n=where.integer(first, "n", minimum=1),
        vectorized_ms=where.number(first, "vectorized_ms"),
        loop_ms=where.number(first, "loop_ms", positive=True),
        clock=first.get("clock") if isinstance(first.get("clock"), dict) else {},
        suite_way=suite_way,
    )
