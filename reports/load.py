"""Reading result files: pytest-benchmark JSON plus the suite's additions, checked, as tidy rows.

A result file is what ``pytest --benchmark-json`` writes (``machine_info``,
``commit_info``, ``benchmarks``, ``datetime``, ``version``), with the conditions of the run
in ``machine_info["vectorbench"]``, each benchmark described by its ``extra_info`` (op,
backend, dtype, threads, sizes, FLOPs, bytes), the deliberately skipped cases in
``vectorbench_not_run`` and Numba's compile costs in ``vectorbench_jit``.

Everything is checked before anything is drawn: a file this module accepts can be
reported; anything else raises ``ResultFileError`` with one line naming the file and what
is wrong with it. Each case carries the conditions it was measured under (its file, the
timer's resolution, the memory bandwidth measured at its thread count), so files from
different runs can be read side by side.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
import os
import re
import sys
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NoReturn

import pandas as pd

from reports import style
from reports.formatting import shape_key
from reports.rules import median_interval
from reports.style import DTYPES, threads_label

SCHEMA = 2  # the first format (1) is converted by `python -m bench.upgrade`
COURSE_PREFIX = "course-"
# Records of `python -m bench.beyond_memory`, stored beside the results: not benchmark runs.
BEYOND_MEMORY_PREFIX = "beyond-memory-"
BEYOND_MEMORY_KIND = "vectorbench-beyond-memory"  # the record's "kind"
BEYOND_MEMORY_SCHEMA = 1
# Share files (`python -m bench.share`): result files with the lesson's cases only, for a
# class page; stored beside the results, but never taken for the newest run.
SHARE_PREFIX = "share-"
SHARE_KIND = "vectorbench-share"  # vectorbench_share["kind"]
SHARE_SCHEMA = 1
GZIP_MAGIC = b"\x1f\x8b"
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-(\d+))?$")  # -2, -3 …: a second run that second

CASE_KEY = ["op", "backend", "dtype", "threads", "shape"]
JIT_KEY = ["op", "backend", "dtype", "shape"]
STAT_NAMES = ("median", "q1", "q3", "iqr", "min", "max", "mean", "stddev")
# Sizes, FLOPs and byte counts: exact in float64 (the figures' axes) and in int64 (the
# table's columns). 2**53 elements is 72 PB of float64: no run measures more.
MAX_COUNT = 2**53


class ResultFileError(Exception):
    """A file the report cannot be built from; ``str(error)`` is the one-line message."""

    def __init__(self, path: Path | str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = Path(path)
        self.problem = problem


@dataclass(frozen=True)
class Run:
    """One benchmark run (or several files of one machine), checked and tidied."""

    sources: tuple[Path, ...]
    suite: dict[str, Any]  # machine_info["vectorbench"] of the newest file
    machine: dict[str, Any]  # pytest-benchmark's own machine_info of the newest file
    commit: dict[str, Any]
    datetime: str
    pytest_benchmark_version: str
    cases: pd.DataFrame  # one row per case measured or deliberately not run
    jit: pd.DataFrame  # one row per Numba compile-cost measurement
    catalogue: dict[str, dict[str, dict]]  # the ops and backends the run knew, in order
    course: dict[str, Any] | None = None  # the course experiments, if the run had them
    slides: dict[str, Any] | None = None  # the slides' demo, timed both ways
    ignored: int = 0  # benchmark entries of another kind than "steady"
    share: dict[str, Any] | None = None  # vectorbench_share, if this is a share file

    @property
    def all_cores(self) -> int | None:
        value = self.suite.get("threads", {}).get("all_cores")
        return value if isinstance(value, int) else None


# --- checking values, with the place of each value in the file --------------------------

_LARGEST_FLOAT = int(sys.float_info.max)


def _magnitude(value: int) -> str:
    """A huge integer, shown without converting it to a float (which would overflow)."""
    if abs(value) <= _LARGEST_FLOAT:
        return f"{float(value):.3g}"
    return f"about 2^{value.bit_length()}"


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


@dataclass(frozen=True)
class _Where:
    path: Path
    place: str

    def fail(self, problem: str) -> NoReturn:
        raise ResultFileError(self.path, f"{self.place}: {problem}")

    def object(self, value: Any, what: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(f"{what} must be an object, not {_kind(value)}")
        return value

    def string(self, obj: dict[str, Any], key: str) -> str:
        value = obj.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"{key!r} must be a non-empty string, not {_kind(value)}")
        return value

    def integer(self, obj: dict[str, Any], key: str, minimum: int) -> int:
        value = obj.get(key)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(f"{key!r} must be an integer, not {_kind(value)}")
        if value < minimum:
            self.fail(f"{key!r} must be at least {minimum}, not {value}")
        if value > MAX_COUNT:  # the table holds counts as int64, figures as float64
            self.fail(f"{key!r} is {_magnitude(value)}, more than the largest count {MAX_COUNT}")
        return value

    def number(self, obj: dict[str, Any], key: str, *, positive: bool = False) -> float:
        value = obj.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{key!r} must be a number, not {_kind(value)}")
        if isinstance(value, int) and abs(value) > _LARGEST_FLOAT:  # JSON integers have no limit
            self.fail(f"{key!r} is {_magnitude(value)}, beyond the range of a float")
        if not math.isfinite(value) or value < 0 or (positive and value == 0):
            need = "positive" if positive else "finite and non-negative"
            self.fail(f"{key!r} must be {need}, not {value}")
        return float(value)

    def known(self, obj: dict[str, Any], key: str, names: tuple[str, ...]) -> str:
        value = self.string(obj, key)
        if value not in names:
            self.fail(f"{key!r} is {value!r}, not one of {', '.join(names)}")
        return value

    def optional_number(self, obj: dict[str, Any], key: str) -> float:
        return math.nan if obj.get(key) is None else self.number(obj, key, positive=True)

    def sizes(self, obj: dict[str, Any]) -> dict[str, int]:
        sizes = obj.get("sizes")
        if not isinstance(sizes, dict) or not sizes:
            self.fail(f"'sizes' must be an object such as {{'n': 1000}}, not {_kind(sizes)}")
        for name in sizes:
            self.integer(sizes, name, minimum=1)
        elements = math.prod(int(value) for value in sizes.values())
        if elements > MAX_COUNT:
            self.fail(f"'sizes' make {_magnitude(elements)} elements, more than {MAX_COUNT}")
        return {name: int(value) for name, value in sizes.items()}

    def ordered_stats(self, stats: dict[str, float]) -> None:
        """min <= q1 <= median <= q3 <= max, and the mean within [min, max]."""
        order = ("min", "q1", "median", "q3", "max")
        for low, high in itertools.pairwise(order):
            if stats[low] > stats[high]:
                self.fail(
                    f"'stats': {low!r} ({stats[low]:.6g}) is above {high!r} ({stats[high]:.6g})"
                )
        if not stats["min"] <= stats["mean"] <= stats["max"]:
            self.fail(f"'stats': 'mean' ({stats['mean']:.6g}) is outside ['min', 'max']")


# --- one file ------------------------------------------------------------------------------


def _parse_json(path: Path) -> Any:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ResultFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ResultFileError(path, "is a directory, not a result file") from None
    except OSError as error:
        raise ResultFileError(path, f"cannot be read: {error.strerror}") from None
    if raw[:2] == GZIP_MAGIC:  # a result file stored compressed (``gzip -n FILE``)
        try:
            raw = gzip.decompress(raw)
        except (EOFError, OSError, zlib.error):
            raise ResultFileError(path, "is a gzip file that ends early or is damaged") from None
    if not raw.strip():
        raise ResultFileError(path, "is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ResultFileError(path, "is not text (not UTF-8): not a JSON result file") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        document = text.strip()
        unclosed = document[:1] in "{[" and document[-1:] not in "}]"
        truncated = unclosed or error.pos >= len(document) - 1
        what = "ends in the middle of the JSON (truncated?)" if truncated else "is not valid JSON"
        place = f"line {error.lineno} column {error.colno}"
        raise ResultFileError(path, f"{what}: {error.msg} at {place}") from None


def _suite(path: Path, data: Any) -> dict[str, Any]:
    """The run's conditions, after checking the file is a result file of this suite."""
    if not isinstance(data, dict):
        raise ResultFileError(path, f"holds {_kind(data)}, not a pytest-benchmark result object")
    missing = [key for key in ("machine_info", "benchmarks") if key not in data]
    if missing:
        keys = ", ".join(sorted(map(str, data))[:5]) or "none"
        raise ResultFileError(
            path, f"not a pytest-benchmark result file: no {missing[0]!r} (its keys: {keys})"
        )
    where = _Where(path, "machine_info")
    machine = where.object(data["machine_info"], "machine_info")
    if "vectorbench" not in machine:
        raise ResultFileError(
            path,
            "a pytest-benchmark result, but not from this suite: "
            "machine_info has no 'vectorbench' entry",
        )
    suite = _Where(path, "machine_info.vectorbench").object(machine["vectorbench"], "it")
    if suite.get("schema") == 1:
        raise ResultFileError(
            path,
            "is in the first result format (schema 1); convert it with "
            "`python -m bench.upgrade FILE [COURSE_FILE]`",
        )
    if suite.get("schema") != SCHEMA:
        raise ResultFileError(
            path,
            f"machine_info.vectorbench.schema is {suite.get('schema')!r}; "
            f"this report builder reads schema {SCHEMA}",
        )
    for key in ("cpu", "threads", "versions", "git", "timer", "limits"):
        if suite.get(key) is not None:
            _Where(path, f"machine_info.vectorbench.{key}").object(suite[key], "it")
    timer = suite.get("timer") or {}
    if timer.get("resolution_s") is not None:
        _Where(path, "machine_info.vectorbench.timer").number(timer, "resolution_s", positive=True)
    for name, per_threads in (suite.get("limits") or {}).items():
        # the ceilings, per thread count; the rest (method, probe sizes) describes them
        if not name.endswith(("_GBps", "_GFLOPs")) or per_threads is None:
            continue
        where = _Where(path, f"machine_info.vectorbench.limits.{name}")
        for threads in where.object(per_threads, "it"):
            where.number(per_threads, threads, positive=True)
    if not isinstance(data["benchmarks"], list):
        _Where(path, "benchmarks").fail(f"must be a list, not {_kind(data['benchmarks'])}")
    return suite


def _catalogue(path: Path, suite: dict[str, Any]) -> dict[str, dict[str, dict]]:
    """The ops and backends the run knew, with their labels and colours."""
    where = _Where(path, "machine_info.vectorbench.catalogue")
    catalogue = where.object(suite.get("catalogue"), "it")
    checked: dict[str, dict[str, dict]] = {}
    for part in ("ops", "backends"):
        entries = where.object(catalogue.get(part), repr(part))
        if not entries:
            where.fail(f"{part!r} names no {part}")
        inner = _Where(path, f"{where.place}.{part}")
        checked[part] = {
            str(name): inner.object(entry, repr(name)) for name, entry in entries.items()
        }
    for name, backend in checked["backends"].items():
        inner = _Where(path, f"{where.place}.backends.{name}")
        inner.string(backend, "label")
        colour = inner.string(backend, "colour")
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", colour):
            inner.fail(f"'colour' must be a colour such as '#1f77b4', not {colour!r}")
        if "role" in backend:
            inner.known(backend, "role", style.ROLES)
            if backend["role"] == style.VARIANT:
                inner.known(backend, "variant_of", tuple(checked["backends"]))
    return _with_roles(checked)


_AS_ANOTHER = re.compile(r"as (\w+), but ")  # "as jax, but the logistic gradient is …"


def _with_roles(catalogue: dict[str, dict[str, dict]]) -> dict[str, dict[str, dict]]:
    """The catalogue, with the roles of a file written before backends and ops had them.

    The migration, in this one place: such a file's backends are given the role their own
    description implies. A backend that interprets every op is the loop; one whose ``how``
    reads "as <backend>, but …" a variant of it; one that compiles once per dtype a
    compiled loop (parallel if multithreaded); one that interprets only the per-sample
    rules, with allocations tracemalloc sees and no optional library, the reference; any
    other an engine. The lesson's op is the catalogue's first (the dot product, first in
    every such file). Files with roles are taken as they say.
    """
    ops, backends = catalogue["ops"], catalogue["backends"]
    if not any(entry.get("lesson") for entry in ops.values()):
        first = next(iter(ops))
        ops = {name: {**entry, "lesson": name == first} for name, entry in ops.items()}
    if any("role" in entry for entry in backends.values()):
        return {"ops": ops, "backends": backends}
    roles: dict[str, dict[str, str]] = {}
    for name, entry in backends.items():
        variant = _AS_ANOTHER.match(str(entry.get("how", "")))
        if entry.get("interprets") == "all":
            roles[name] = {"role": style.LOOP}
        elif variant and variant.group(1) in backends:
            roles[name] = {"role": style.VARIANT, "variant_of": variant.group(1)}
        elif entry.get("compiles") and not entry.get("compiles_per_shape"):
            parallel = entry.get("multithreaded")
            roles[name] = {"role": style.COMPILED_PARALLEL if parallel else style.COMPILED}
        elif (
            entry.get("interprets") == "sequential"
            and entry.get("allocations_traced", True)
            and not entry.get("requires")
            and {"role": style.REFERENCE} not in roles.values()
        ):
            roles[name] = {"role": style.REFERENCE}
        else:
            roles[name] = {"role": style.ENGINE}
    return {
        "ops": ops,
        "backends": {name: {**entry, **roles[name]} for name, entry in backends.items()},
    }


def limit_at(per_threads: dict[str, float] | None, threads: int, all_cores: int | None) -> float:
    """A measured limit at ``threads``, or at the closest thread count measured.

    Keys are thread counts as strings; ``"all"`` or ``"<all>"`` stand for all cores.
    """
    if not per_threads:
        return math.nan
    measured: dict[int, float] = {}
    for key, value in per_threads.items():
        if key.isdigit():
            measured[int(key)] = value
        elif key.strip("<>") == "all" and all_cores:
            measured.setdefault(all_cores, value)
    if not measured:
        return math.nan
    closest = min(measured, key=lambda count: (abs(count - threads), count))
    return float(measured[closest])


def _steady_case(
    where: _Where, entry: dict[str, Any], suite: dict[str, Any], source: str, catalogue: dict
) -> dict[str, Any] | None:
    extra = where.object(entry.get("extra_info"), "'extra_info'")
    if extra.get("kind", "steady") != "steady":
        return None
    sizes = where.sizes(extra)
    row = _case_identity(where, extra, sizes, catalogue)
    stats = where.object(entry.get("stats"), "'stats'")
    for stat in STAT_NAMES:
        row[f"{stat}_s"] = where.number(stats, stat, positive=stat == "median")
    where.ordered_stats({stat: row[f"{stat}_s"] for stat in STAT_NAMES})
    row["rounds"] = where.integer(stats, "rounds", minimum=1)
    row["ci_low_s"], row["ci_high_s"] = _median_interval(where, extra, stats, row)
    row["iterations"] = (
        where.integer(stats, "iterations", minimum=1) if "iterations" in stats else 1
    )
    row["flops"] = where.integer(extra, "flops", minimum=0)
    row["bytes"] = where.integer(extra, "bytes", minimum=0)
    # bytes one untimed call allocated at its peak, where the run measured it
    peak = extra.get("peak_alloc_bytes")
    row["peak_alloc_bytes"] = (
        math.nan if peak is None else where.integer(extra, "peak_alloc_bytes", minimum=0)
    )
    ceiling = extra.get("ceiling", "read_GBps")
    if ceiling not in CEILINGS:
        where.fail(f"'ceiling' is {ceiling!r}, not one of {', '.join(CEILINGS)}")
    row.update(_conditions(suite, row["threads"], ceiling))
    row.update(status="ok", reason="", predicted_s=math.nan, source=source)
    row["name"] = entry.get("name") if isinstance(entry.get("name"), str) else ""
    return row


def ladder_of(suite: dict[str, Any]) -> str:
    """The ladder a run timed: as recorded, or "quick" / "full" for files that only say
    whether it was quick."""
    ladder = suite.get("ladder")
    if isinstance(ladder, str) and ladder:
        return ladder
    return "quick" if suite.get("quick") else "full"


def _median_interval(
    where: _Where, extra: dict[str, Any], stats: dict[str, Any], row: dict[str, Any]
) -> tuple[float, float]:
    """The median's 95% interval: as the run recorded it (``median_interval`` of all its
    rounds), or from the rounds the file kept (files written before it was recorded), or
    else the quartiles, wider than that interval from a dozen rounds on."""
    recorded = extra.get("median_ci")
    if recorded is not None:
        if not (
            isinstance(recorded, list)
            and len(recorded) == 2
            and all(isinstance(v, (int, float)) and math.isfinite(v) for v in recorded)
            and recorded[0] <= row["median_s"] <= recorded[1]
        ):
            where.fail("'median_ci' must be [low, high] around the median")
        return float(recorded[0]), float(recorded[1])
    data = stats.get("data")
    if isinstance(data, list) and len(data) >= 2 and all(isinstance(v, (int, float)) for v in data):
        low, high = median_interval(data)
        return min(low, row["median_s"]), max(high, row["median_s"])
    return row["q1_s"], row["q3_s"]


def _slides_stats(where: _Where, entry: dict[str, Any]) -> dict[str, float]:
    stats = where.object(entry.get("stats"), "'stats'")
    return {
        **{
            f"{name}_s": where.number(stats, name, positive=True) for name in ("median", "q1", "q3")
        },
        "rounds": where.integer(stats, "rounds", minimum=1),
        "n": where.integer(entry["extra_info"], "n", minimum=1),
    }


def _slides(path: Path, first: Any, suite_way: dict[str, dict]) -> dict[str, Any] | None:
    """The slides' demo: timed the slides' way (one ``time.time()`` pair around a first
    call) and the suite's way (median of rounds), either or both as the run's selection
    kept them (``-k dot`` keeps the suite's ``np.dot`` alone); None if neither."""
    if first is None:
        if not suite_way:
            return None
        return {
            "n": next(iter(suite_way.values()))["n"],
            "slides_way_ms": {},
            "suite_way": suite_way,
        }
    where = _Where(path, "vectorbench_slides")
    first = where.object(first, "it")
    return {
        "n": where.integer(first, "n", minimum=1),
        "slides_way_ms": {
            "np.dot": where.number(first, "vectorized_ms"),
            "for loop over NumPy arrays": where.number(first, "loop_ms", positive=True),
        },
        "suite_way": suite_way,
    }


def _case_identity(
    where: _Where, obj: dict[str, Any], sizes: dict[str, int], catalogue: dict
) -> dict[str, Any]:
    return {
        "op": where.known(obj, "op", tuple(catalogue["ops"])),
        "backend": where.known(obj, "backend", tuple(catalogue["backends"])),
        "dtype": where.known(obj, "dtype", DTYPES),
        "threads": where.integer(obj, "threads", minimum=1),
        "shape": shape_key(sizes),
        "m": sizes.get("m"),
        "n": sizes.get("n"),
        "h": sizes.get("h"),
        "size": math.prod(sizes.values()),
    }


CEILINGS = {"read_GBps": "memory", "cache_read_GBps": "cache"}


def _conditions(suite: dict[str, Any], threads: int, ceiling: str = "read_GBps") -> dict:
    """The timer's resolution, and the read bandwidth of the memory level the case's
    inputs fit in (``ceiling``: from memory, or from the last-level cache), as measured."""
    all_cores = (suite.get("threads") or {}).get("all_cores")
    limits = suite.get("limits") or {}
    resolution = (suite.get("timer") or {}).get("resolution_s")
    if limits.get(ceiling) is None:  # no cache probe in this run: the memory's
        ceiling = "read_GBps"
    return {
        "timer_resolution_s": math.nan if resolution is None else float(resolution),
        "bandwidth_GBps": limit_at(limits.get(ceiling), threads, all_cores),
        "served_from": CEILINGS[ceiling],
    }


def _not_run_case(
    where: _Where, entry: Any, suite: dict[str, Any], source: str, catalogue: dict
) -> dict:
    entry = where.object(entry, "each entry")
    row = _case_identity(where, entry, where.sizes(entry), catalogue)
    row.update(
        status="not run",
        reason=entry.get("reason") if isinstance(entry.get("reason"), str) else "",
        predicted_s=where.optional_number(entry, "predicted_s"),
        source=source,
        name="",
    )
    row.update(_conditions(suite, row["threads"]))
    return row


def _jit_entry(where: _Where, entry: Any, source: str, catalogue: dict) -> dict[str, Any]:
    entry = where.object(entry, "each entry")
    sizes = where.sizes(entry)
    return {
        "op": where.known(entry, "op", tuple(catalogue["ops"])),
        "backend": where.known(entry, "backend", tuple(catalogue["backends"])),
        "dtype": where.known(entry, "dtype", DTYPES),
        "shape": shape_key(sizes),
        "m": sizes.get("m"),
        "n": sizes.get("n"),
        "h": sizes.get("h"),
        "size": math.prod(sizes.values()),
        "cold_s": where.number(entry, "cold_s", positive=True),
        "warm_s": where.number(entry, "warm_s", positive=True),
        "steady_s": where.number(entry, "steady_s", positive=True),
        # NumPy's and the loop's times on the same inputs, if the probe measured them
        "numpy_s": where.optional_number(entry, "numpy_s"),
        "python_s": where.optional_number(entry, "python_s"),
        "source": source,
    }


def _entries(path: Path, data: dict[str, Any], key: str) -> list[Any]:
    value = data.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        _Where(path, key).fail(f"must be a list, not {_kind(value)}")
    return value


def _first_duplicate(rows: list[dict[str, Any]], key: list[str]) -> tuple[int, int] | None:
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        identity = tuple(row[name] for name in key)
        if identity in seen:
            return seen[identity], index
        seen[identity] = index
    return None


def _describe(row: dict[str, Any]) -> str:
    threads = threads_label(row["threads"])
    return f"{row['op']} on {row['backend']}, {row['dtype']}, {threads}, {row['shape']}"


def read_result(path: Path | str) -> Run:
    """One result file, checked; raises ``ResultFileError`` naming the file and the problem."""
    path = Path(path)
    data = _parse_json(path)
    suite = _suite(path, data)
    catalogue = _catalogue(path, suite)
    source = path.name

    measured, ignored, slides_suite = [], 0, {}
    for index, entry in enumerate(data["benchmarks"]):
        name = entry.get("name") if isinstance(entry, dict) else None
        place = f"benchmarks[{index}]" + (f" ({name})" if isinstance(name, str) else "")
        where = _Where(path, place)
        entry = where.object(entry, "each benchmark")
        row = _steady_case(where, entry, suite, source, catalogue)
        if row is not None:
            measured.append(row)
        elif (entry.get("extra_info") or {}).get("kind") == "slides":
            slides_suite[where.string(entry["extra_info"], "variant")] = _slides_stats(where, entry)
        else:
            ignored += 1
    duplicate = _first_duplicate(measured, CASE_KEY)
    if duplicate:
        first, second = duplicate
        raise ResultFileError(
            path, f"{_describe(measured[second])} is measured twice (entries {first} and {second})"
        )

    not_run = [
        _not_run_case(
            _Where(path, f"vectorbench_not_run[{index}]"), entry, suite, source, catalogue
        )
        for index, entry in enumerate(_entries(path, data, "vectorbench_not_run"))
    ]
    jit = [
        _jit_entry(_Where(path, f"vectorbench_jit[{index}]"), entry, source, catalogue)
        for index, entry in enumerate(_entries(path, data, "vectorbench_jit"))
    ]

    commit = data.get("commit_info") if isinstance(data.get("commit_info"), dict) else {}
    machine = {key: value for key, value in data["machine_info"].items() if key != "vectorbench"}
    slides = _slides(path, data.get("vectorbench_slides"), slides_suite)
    course = data.get("vectorbench_course")
    if course is not None:
        course = _Where(path, "vectorbench_course").object(course, "it")
    run = Run(
        share=_share(path, data.get("vectorbench_share")),
        sources=(path,),
        suite=suite,
        machine=machine,
        commit=commit,
        datetime=str(data.get("datetime") or ""),
        pytest_benchmark_version=str(data.get("version") or ""),
        cases=_cases_frame(measured, not_run),
        jit=_jit_frame(jit),
        catalogue=catalogue,
        course=course,
        slides=slides,
        ignored=ignored,
    )
    if run.cases.empty and not measured_something(run):
        raise ResultFileError(
            path, "holds no results: no case, compile cost, slides' demo or course experiment"
        )
    return run


def measured_something(run: Run) -> bool:
    """Whether ``run`` measured anything a report shows: a case, a compile cost, the
    slides' demo or a course experiment. A selection may have measured any of them alone
    (``-k slides``, ``-k jit_compile``, ``-k course``); the report shows what it has."""
    timed = bool((run.cases["status"] == "ok").any())
    return timed or not run.jit.empty or run.slides is not None or run.course is not None


def _share(path: Path, share: Any) -> dict[str, Any] | None:
    """What a share file says of itself (``bench/share.py``): its kind and version, the
    machine's identity, the chosen name, the course experiments' outcomes."""
    if share is None:
        return None
    where = _Where(path, "vectorbench_share")
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
    return share


def _cases_frame(measured: list[dict], not_run: list[dict]) -> pd.DataFrame:
    run_keys = {tuple(row[name] for name in CASE_KEY) for row in measured}
    skipped = [row for row in not_run if tuple(row[name] for name in CASE_KEY) not in run_keys]
    frame = pd.DataFrame.from_records(measured + skipped, columns=_CASE_COLUMNS)
    frame = frame.drop_duplicates(subset=CASE_KEY, keep="first")
    for column in ("m", "n", "h", "rounds", "iterations", "flops", "bytes"):
        frame[column] = frame[column].astype("Int64")
    for column in ("threads", "size"):
        frame[column] = frame[column].astype("int64")
    return frame.reset_index(drop=True)


_CASE_COLUMNS = [
    *CASE_KEY,
    "m",
    "n",
    "h",
    "size",
    "status",
    "reason",
    "predicted_s",
    *(f"{stat}_s" for stat in STAT_NAMES),
    "ci_low_s",
    "ci_high_s",
    "rounds",
    "iterations",
    "flops",
    "bytes",
    "timer_resolution_s",
    "bandwidth_GBps",
    "served_from",
    "peak_alloc_bytes",
    "name",
    "source",
]
_JIT_COLUMNS = [
    *JIT_KEY,
    "m",
    "n",
    "h",
    "size",
    "cold_s",
    "warm_s",
    "steady_s",
    "numpy_s",
    "python_s",
    "source",
]


def _jit_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame.from_records(rows, columns=_JIT_COLUMNS)
    frame = frame.drop_duplicates(subset=JIT_KEY, keep="last")
    for column in ("m", "n", "h"):
        frame[column] = frame[column].astype("Int64")
    frame["size"] = frame["size"].astype("int64")
    return frame.reset_index(drop=True)


# --- several files of one machine ------------------------------------------------------


def _machine_identity(run: Run) -> tuple:
    cpu = run.suite.get("cpu") or {}
    return (run.machine.get("node"), cpu.get("brand"), cpu.get("logical_cores"))


def merged_catalogue(runs: Iterable[Run]) -> dict[str, dict[str, dict]]:
    """Every op and backend of ``runs``, each described by the first run that knows it, in
    that run's order, then the others': what names, labels and colours runs read side by
    side are shown with. Each run keeps its own catalogue (``Run.catalogue``)."""
    catalogue: dict[str, dict[str, dict]] = {"ops": {}, "backends": {}}
    for run in runs:
        for part in catalogue:
            for name, entry in run.catalogue[part].items():
                catalogue[part].setdefault(name, entry)
    return catalogue


def read_results(paths: Iterable[Path | str]) -> Run:
    """Several result files of one machine as one run (e.g. the loops timed separately).

    The newest file's conditions describe the run. Files from different machines, two
    files measuring the same case, or files in which no case was measured at all, are
    refused: set runs side by side with ``--compare``.
    """
    runs = sorted((read_result(path) for path in paths), key=lambda run: run.datetime)
    if not runs:
        raise ValueError("read_results needs at least one file")
    if not any(measured_something(run) for run in runs):
        # a report of "0 cases timed" would replace a good one with nothing to show
        names = ", ".join(str(run.sources[0]) for run in runs)
        raise ResultFileError(names, "holds no results: nothing was measured")
    catalogue = merged_catalogue(reversed(runs))
    style.use(catalogue)
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
    measured = [run.cases[run.cases["status"] == "ok"] for run in runs]
    all_measured = pd.concat(measured, ignore_index=True)
    clash = all_measured[all_measured.duplicated(subset=CASE_KEY, keep=False)]
    if not clash.empty:
        row = clash.iloc[0]
        files = sorted(set(clash[(clash[CASE_KEY] == row[CASE_KEY]).all(axis=1)]["source"]))
        raise ResultFileError(
            Path(files[-1]),
            f"{_describe(row.to_dict())} is also measured in {files[0]}; "
            "pass files that measure different cases",
        )
    not_run = [run.cases[run.cases["status"] != "ok"] for run in runs]
    cases = _cases_frame(
        all_measured.to_dict("records"),
        pd.concat(not_run, ignore_index=True).to_dict("records"),
    )
    jit = _jit_frame(pd.concat([run.jit for run in runs], ignore_index=True).to_dict("records"))
    return Run(
        sources=tuple(run.sources[0] for run in runs),
        suite=newest.suite,
        machine=newest.machine,
        commit=newest.commit,
        datetime=newest.datetime,
        pytest_benchmark_version=newest.pytest_benchmark_version,
        cases=cases,
        jit=jit,
        catalogue=catalogue,
        course=next((run.course for run in reversed(runs) if run.course), None),
        slides=next((run.slides for run in reversed(runs) if run.slides), None),
        ignored=sum(run.ignored for run in runs),
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


def _json_files(directory: Path) -> list[Path]:
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


def newest_by_stamp(paths: Iterable[Path]) -> Path:
    """The newest of ``paths`` by the stamp in their names (see ``_stamp``)."""
    return max(paths, key=lambda path: (_stamp(path), path.name))


def newest_result(directory: Path) -> Path:
    """The newest benchmark result file in ``directory`` (course files and beyond-memory
    records excluded)."""
    candidates = [
        path
        for path in _json_files(directory)
        if not is_course_file(path)
        and not path.name.startswith((BEYOND_MEMORY_PREFIX, SHARE_PREFIX))
    ]
    if not candidates:
        raise ResultFileError(
            directory, "holds no result files (*.json); run `nox -s bench` or name files"
        )
    return newest_by_stamp(candidates)
