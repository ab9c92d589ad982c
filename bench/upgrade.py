"""Convert a result file of the first format (schema 1) to the current one (schema 2).

    python -m bench.upgrade RUN.json [COURSE.json] [--out DIR]

The first format kept the course experiments in a separate ``course-*.json`` and carried
no catalogue. The converted file is the run's file with:

* ``machine_info.vectorbench.schema`` 2 and the catalogue the first format ran with
  (its eight ops and four backends, described as ``kernels`` describes them);
* the course file, if given, under ``vectorbench_course``, each backend's timings
  summarised by pytest-benchmark's own statistics (median, quartiles, IQR) from the
  per-repeat times the course file kept.

It is written to ``DIR`` (default: beside RUN.json) under RUN.json's name, atomically and
never over an existing file (``-2``, ``-3`` … are added). The originals are left as they
were: delete them once the converted file is checked (``python -m reports FILE``).
"""

from __future__ import annotations

import errno
import json
import math
import os
import sys
import tempfile
from pathlib import Path

from pytest_benchmark.stats import Stats

import kernels
from bench.run import publish
from reports.cli import OneLineParser
from vbschema import COURSE_SCHEMA, SCHEMA, ResultFileError, RunFile
from vbschema.fields import read_json

# The ops and backends of every schema-1 run: its files name no others.
FIRST_OPS = (
    "dot", "logistic_forward", "logistic_cost", "logistic_backward", "logistic_gradient",
    "adaline_gd_epoch", "adaline_sgd_epoch", "perceptron_epoch",
)  # fmt: skip
FIRST_BACKENDS = ("python", "numpy", "numba", "numba_parallel")


class UpgradeError(Exception):
    """A file that cannot be converted; the message names it."""


def _read(path: Path) -> dict:
    try:
        data = read_json(path)  # the schema's reader: one line on any file it cannot read
    except ResultFileError as error:
        raise UpgradeError(str(error)) from None
    if not isinstance(data, dict):
        raise UpgradeError(f"{path}: not a result file (not a JSON object)")
    return data


def course_timing(times: list[float]) -> dict:
    """The statistics of one course run's repeats, as the benchmarks compute them."""
    stats = Stats()
    for seconds in times:
        stats.update(seconds)
    return {
        "repeats": stats.rounds,
        "times_s": list(times),
        **{
            f"{name}_s": getattr(stats, name)
            for name in ("median", "min", "max", "q1", "q3", "iqr")
        },
    }


def upgrade(run: dict, course: dict | None, run_path: Path, course_path: Path | None) -> dict:
    suite = _object(run.get("machine_info", {}), run_path, "machine_info").get("vectorbench")
    if not isinstance(suite, dict) or suite.get("schema") != 1:
        found = suite.get("schema") if isinstance(suite, dict) else None
        raise UpgradeError(f"{run_path}: not a schema-1 result file (schema {found!r})")
    suite["schema"] = SCHEMA
    suite["catalogue"] = {
        "ops": {name: kernels.OPS[name].record() for name in FIRST_OPS},
        "backends": {name: kernels.BACKENDS[name].record() for name in FIRST_BACKENDS},
    }
    suite["upgraded_from"] = {"schema": 1, "files": [p.name for p in (run_path, course_path) if p]}
    if course is not None:
        if course.get("schema") != COURSE_SCHEMA:
            raise UpgradeError(
                f"{course_path}: not a course file (schema {course.get('schema')!r})"
            )
        experiments = _object(course.get("experiments", {}), course_path, "experiments")
        for name, experiment in experiments.items():
            place = f"experiments.{name}"
            runs = _object(_object(experiment, course_path, place).get("runs", {}), course_path,
                           f"{place}.runs")  # fmt: skip
            for backend, entry in runs.items():
                place = f"experiments.{name}.runs.{backend}"
                time = _object(_object(entry, course_path, place).get("time", {}), course_path,
                               f"{place}.time")  # fmt: skip
                times = time.get("times_s")
                if not times:
                    raise UpgradeError(f"{course_path}: {place}.time.times_s is missing")
                if not (isinstance(times, list) and all(_is_seconds(t) for t in times)):
                    raise UpgradeError(
                        f"{course_path}: {place}.time.times_s must be a list of seconds > 0"
                    )
                entry["time"] = course_timing(times)
        run["vectorbench_course"] = course
    try:  # the converted file must be one the report reads: the schema's own check
        RunFile.parse(run_path, run)
    except ResultFileError as error:
        raise UpgradeError(str(error)) from None
    return run


def _object(value, path: Path, place: str) -> dict:
    """``value`` if it is a JSON object; else one line naming the file and the field."""
    if not isinstance(value, dict):
        raise UpgradeError(f"{path}: {place} must be an object, not {type(value).__name__}")
    return value


def _is_seconds(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf


def write(data: dict, directory: Path, stem: str, *, compact: bool = False) -> Path:
    """Write ``data`` as ``directory/stem.json`` atomically, never over an existing file
    (``publish``); ``compact`` leaves out the indentation."""
    layout = {"separators": (",", ":")} if compact else {"indent": 1}
    text = json.dumps(data, allow_nan=False, **layout) + "\n"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file stands where the directory should be
        raise NotADirectoryError(
            errno.ENOTDIR, "is a file, not a directory", str(directory)
        ) from None
    descriptor, name = tempfile.mkstemp(dir=directory, prefix=".partial-upgrade-", suffix=".json")
    partial = Path(name)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        partial.chmod(0o644)
        return publish(partial, stem)
    finally:
        partial.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m bench.upgrade", description=__doc__.split("\n")[0])
    parser.add_argument("run", type=Path, metavar="RUN.json")
    parser.add_argument("course", type=Path, nargs="?", metavar="COURSE.json")
    parser.add_argument("--out", type=Path, metavar="DIR", help="default: beside RUN.json")
    args = parser.parse_args(argv)
    try:
        course = _read(args.course) if args.course else None
        data = upgrade(_read(args.run), course, args.run, args.course)
        written = write(data, args.out or args.run.parent, args.run.stem)
    except (UpgradeError, OSError) as error:
        if isinstance(error, OSError):  # the file or directory, and what the system said
            error = f"{error.filename or args.run}: {error.strerror}"
        print(f"bench.upgrade: {error}", file=sys.stderr)
        return 2
    print(f"bench.upgrade: wrote {written}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
