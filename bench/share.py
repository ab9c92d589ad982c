"""A run's share file: the small result file a student hands in for the class page.

    python -m bench.share RESULT.json [--share-name NAME] [--out DIR]

``python -m bench.run`` writes one beside every result file that holds the lesson's
headline case (NumPy's ``np.dot`` at n = 10⁶ in float64, which the class page sets every
machine against: not a ``-k`` selection without it, nor ``--mine``); this command makes
one from such an existing result file (of any machine). A share file is a result file of the same
schema, read by the same loader (``reports.load``), with less in it:

* the lesson's cases (``bench.ladders``' lesson ladder, grown past this machine's cache
  as the lesson run grows it), each with its median, quartiles, extremes, rounds and the
  median's 95% interval, but not the per-round times; the lesson's cases not run, with
  their reasons; the slides' demo;
* the machine facts (CPU, cores, caches, SIMD, memory), the measured limits (read
  bandwidth, BLAS peak), threads and BLAS, the versions and the commit;
* the course experiments' outcomes (``reports.classroom.outcomes``), not their histories;
* ``vectorbench_share``: what was left out, an identity of the machine (a digest, see
  ``reports.classroom.machines.machine_key``) and the name the student chose, if any.

No host name, user name or path is kept: pytest-benchmark's ``node`` and ``cpu``
entries, the commit's ``project`` (the checkout's folder name), the course's machine
name, the Numba compile costs and the names of the files a converted run came from are
dropped, and so are thread variables whose value names a path. With ``--share-name
NAME`` the file carries that name, and only it.
The file is named ``share-[NAME-]<YYYYmmdd-HHMMSS>.json`` and written atomically, never
over an existing file.
"""

from __future__ import annotations

import math
import re
import sys
from pathlib import Path
from typing import Any

import kernels
from bench.ladders import dtypes_of, lesson_sizes_in
from bench.upgrade import write
from reports.classroom.findings import has_the_lesson
from reports.classroom.machines import machine_key
from reports.classroom.outcomes import course_outcomes
from reports.cli import OneLineParser
from reports.load import SHARE_PREFIX, ladder_of, read_result
from reports.rules import median_interval
from vbschema import SHARE_KIND, SHARE_SCHEMA, Course, ResultFileError
from vbschema.fields import read_json
from vbschema.run import shape_key

# pytest-benchmark's machine_info entries a share file keeps: no "node" (the host name),
# no "cpu" (py-cpuinfo's whole record; the suite keeps its own summary).
MACHINE_KEYS = ("machine", "processor", "system", "release", "python_implementation",
                "python_version", "python_compiler")  # fmt: skip
STATS_KEYS = ("min", "max", "mean", "stddev", "rounds", "median", "iqr", "q1", "q3",
              "iterations")  # fmt: skip
# Significant digits of the times kept: the report shows three, and a median's interval
# is rarely tighter than 0.1% of it; five digits change a time by at most 0.005%.
DIGITS = 5
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,39}")


class ShareError(Exception):
    """A result file that cannot be shared, or a bad name; the message names it."""


class NothingToShare(ShareError):
    """A run that timed no op case (``-k slides``, ``-k course``, ``-k jit_compile``): the
    class page sets the lesson's cases side by side, and it has none."""


def check_name(name: str) -> str:
    """A share name: 1 to 40 letters, digits, spaces, dots, dashes or underscores."""
    if not NAME.fullmatch(name):
        raise ShareError(
            f"--share-name {name!r}: use 1 to 40 letters, digits, spaces, '.', '-' or '_', "
            "starting with a letter or digit"
        )
    return name


def lesson_sizes(suite: dict[str, Any], benchmarks: list[dict[str, Any]]) -> set[tuple]:
    """(op, shape, dtype) of every case of the lesson ladder on the run's machine: grown
    past the cache the run measured, as ``bench.run`` grows it; its step out, the full
    run's size at or past the lesson's, among the sizes the run's ``benchmarks`` hold."""
    top = suite.get("ladder_top") or {}
    cache = top.get("last_level_cache_bytes") or (suite.get("cpu") or {}).get("l3_bytes")
    memory = top.get("available_memory_bytes")
    held: dict[str, list] = {}
    for entry in benchmarks:
        info = entry["extra_info"]
        if info.get("kind", "steady") == "steady" and info.get("sizes") not in held.get(
            info.get("op"), []
        ):
            held.setdefault(info.get("op"), []).append(info.get("sizes"))
    cases = set()
    for op in kernels.OPS:
        for sizes in lesson_sizes_in(op, held.get(op, []), cache, memory):
            for dtype in dtypes_of(op, "lesson", sizes):
                cases.add((op, shape_key(sizes), dtype))
    return cases


def _in_lesson(entry: dict[str, Any], lesson: set | None) -> bool:
    if lesson is None:  # a lesson run: every case is the lesson's
        return True
    sizes = entry.get("sizes") or {}
    return (entry.get("op"), shape_key(sizes), entry.get("dtype")) in lesson


def _slim_benchmark(entry: dict[str, Any]) -> dict[str, Any]:
    """A benchmark entry with its statistics, without its per-round times (the median's
    interval is kept as the run recorded it, or computed from those times first) and
    without pytest-benchmark's names, options and parameters, which repeat extra_info."""
    extra = dict(entry["extra_info"])
    stats = entry["stats"]
    data = stats.get("data")
    if extra.get("median_ci") is None and isinstance(data, list) and len(data) >= 2:
        low, high = median_interval(data)
        extra["median_ci"] = [min(low, stats["median"]), max(high, stats["median"])]
    # what the loader takes as given when absent: a steady case, bounded by memory
    if extra.get("kind") == "steady":
        del extra["kind"]
    if extra.get("ceiling") == "read_GBps":
        del extra["ceiling"]
    if extra.get("median_ci") is not None:
        extra["median_ci"] = [_rounded(value) for value in extra["median_ci"]]
    kept = {key: _rounded(stats[key]) for key in STATS_KEYS if key in stats}
    if kept.get("iterations") == 1:  # one call per round: the loader's default
        del kept["iterations"]
    return {"extra_info": extra, "stats": kept}


def _rounded(value: Any) -> Any:
    """A time to ``DIGITS`` significant digits (an integer as it is). Rounding to a
    grid never reverses an order, so min ≤ q1 ≤ median ≤ q3 ≤ max and the median's
    place in its interval survive it."""
    if isinstance(value, float) and math.isfinite(value):
        return float(f"{value:.{DIGITS}g}")
    return value


def _suite(suite: dict[str, Any]) -> dict[str, Any]:
    """The run's conditions without the thread variables whose value names a path, nor
    the names of the files a converted run came from."""
    kept = dict(suite)
    threads = dict(kept.get("threads") or {})
    environment = threads.get("environment") or {}
    threads["environment"] = {
        key: value for key, value in environment.items() if "/" not in str(value)
    }
    kept["threads"] = threads
    if isinstance(kept.get("upgraded_from"), dict):  # its file names begin with the host's
        kept["upgraded_from"] = {
            key: value for key, value in kept["upgraded_from"].items() if key != "files"
        }
    return kept


def share_of(data: dict[str, Any], path: Path, name: str | None = None) -> dict[str, Any]:
    """The share file of a result file's contents (``data``, as read from ``path`` and
    accepted by ``reports.load.read_result``)."""
    machine = data["machine_info"]
    suite = machine["vectorbench"]
    # a full run's cases are cut to the lesson's; a lesson's (or the tests' smoke) kept
    lesson = lesson_sizes(suite, data["benchmarks"]) if ladder_of(suite) == "full" else None
    benchmarks = [
        _slim_benchmark(entry)
        for entry in data["benchmarks"]
        if entry["extra_info"].get("kind", "steady") == "slides"
        or (
            entry["extra_info"].get("kind", "steady") == "steady"
            and _in_lesson(entry["extra_info"], lesson)
        )
    ]
    not_run = [
        entry for entry in data.get("vectorbench_not_run") or [] if _in_lesson(entry, lesson)
    ]
    outcomes = None
    if data.get("vectorbench_course") is not None:
        course = Course.parse(path, data["vectorbench_course"])  # or one line, naming the place
        # the course of a selection that left out experiments or trained them on one
        # backend (`-k numpy`, `-k perceptron`) is not shared, as the report leaves it out
        if not course.missing:
            outcomes = course_outcomes(course.record)
    commit = data.get("commit_info") or {}
    steady = sum(1 for e in data["benchmarks"] if e["extra_info"].get("kind", "steady") == "steady")
    shared = {
        "kind": SHARE_KIND,
        "schema": SHARE_SCHEMA,
        "name": name,
        "machine_key": machine_key(machine.get("node"), suite),
        "ladder": ladder_of(suite),
        "cases_in_run": steady,
        "cases_shared": sum(1 for e in benchmarks if e["extra_info"].get("kind") != "slides"),
        "course": outcomes,
    }
    share = {
        "machine_info": {
            **{key: machine[key] for key in MACHINE_KEYS if key in machine},
            "vectorbench": _suite(suite),
        },
        "commit_info": {key: commit[key] for key in ("id", "time", "dirty") if key in commit},
        "benchmarks": benchmarks,
        "datetime": data.get("datetime"),
        "version": data.get("version"),
        "vectorbench_not_run": not_run,
        "vectorbench_share": shared,
    }
    if data.get("vectorbench_slides") is not None:
        share["vectorbench_slides"] = data["vectorbench_slides"]
    return share


def _stamp(data: dict[str, Any]) -> str:
    digits = re.sub(r"\D", "", str(data.get("datetime") or ""))[:14]
    return f"{digits[:8]}-{digits[8:14]}" if len(digits) == 14 else "undated"


def write_share(result: Path, name: str | None = None, out: Path | None = None) -> Path:
    """Write the share file of ``result`` into ``out`` (default: beside it); returns its
    path. The result file is read and checked first, and so is the share file after it
    is written (a share file the loader refuses is removed)."""
    run = read_result(result)  # raises ResultFileError naming the file
    if not (run.cases["status"] == "ok").any():
        raise NothingToShare(f"{result}: no case was measured: nothing to share")
    if not has_the_lesson(run):  # a class page would set it aside (`-k logistic`, --mine)
        raise NothingToShare(
            f"{result}: no np.dot at n = 10⁶ in float64, the case a class page sets every "
            "machine against: the file to hand in is a whole `nox -s bench`'s"
        )
    data = read_json(result)  # the schema's reader: a .json.gz is read too
    share = share_of(data, result, check_name(name) if name is not None else None)
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") + "-" if name else ""
    stem = f"{SHARE_PREFIX}{slug}{_stamp(data)}"
    written = write(share, out or result.parent, stem, compact=True)
    try:
        read_result(written)
    except ResultFileError:
        written.unlink(missing_ok=True)
        raise
    return written


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m bench.share", description=__doc__)
    parser.add_argument("result", type=Path, metavar="RESULT.json")
    parser.add_argument("--share-name", metavar="NAME", help="the name the file carries")
    parser.add_argument("--out", type=Path, metavar="DIR", help="default: beside RESULT.json")
    args = parser.parse_args(argv)
    try:
        written = write_share(args.result, args.share_name, args.out)
    except (ShareError, ResultFileError, OSError) as error:
        if isinstance(error, OSError):  # the file or directory, and what the system said
            error = f"{error.filename or args.result}: {error.strerror}"
        print(f"bench.share: {error}", file=sys.stderr)
        return 2
    print(f"bench.share: wrote {written} ({written.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
