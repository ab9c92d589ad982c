"""``python -m reports``: build the report, compare two runs, or build a class page.

    python -m reports [FILES ...] [--beyond-memory RECORD] [--out DIR]
    python -m reports --compare OLD NEW [--out DIR]
    python -m reports --class FILES_OR_DIRS ... [--out DIR]

Without FILES, the newest result file in reports/results is used. An error gives one line,
``reports: <file>: <what is wrong>`` (or ``reports: <files>: unexpected error: <type>:
<message>``), exit code 2, and leaves the previous report as it was.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from reports.cli import OneLineParser
from vbschema.fields import ResultFileError

DEFAULT_OUT = Path("reports")
DEFAULT_RESULTS = DEFAULT_OUT / "results"
DEFAULT_CLASS_OUT = DEFAULT_OUT / "local" / "class"


def _parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="python -m reports",
        description="Turn benchmark result files into reports/README.md, table.csv and "
        "figures; or compare two runs.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        type=Path,
        metavar="FILE",
        help="result files of one machine (default: the newest in --results)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="DIR",
        help="where README.md goes, and its table.csv, jit.csv and figures/ in a versioned "
        "directory beside it (default: reports)",
    )
    parser.add_argument(
        "--compare",
        nargs=2,
        type=Path,
        metavar=("OLD", "NEW"),
        help="compare two result files into DIR/compare-OLD-vs-NEW/ instead",
    )
    parser.add_argument(
        "--class",
        dest="class_inputs",
        nargs="+",
        type=Path,
        metavar="FILE_OR_DIR",
        help="build a class page from many machines' share or result files (and every "
        "*.json in the directories given) into --out (default: reports/local/class)",
    )
    parser.add_argument(
        "--beyond-memory",
        type=Path,
        metavar="RECORD",
        help="the beyond-memory record (reports/results/beyond-memory-*.json) the report's "
        "section on data beyond memory reads (default: none; the section says how to make one)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=DEFAULT_RESULTS,
        metavar="DIR",
        help="where to find the newest result file (default: reports/results)",
    )
    return parser


def _inputs(files: list[Path], results: Path) -> list[Path]:
    """The result files to report on."""
    from reports.load import is_course_file, newest_result

    if not files:
        return [newest_result(results)]
    for path in files:
        if is_course_file(path):
            raise ResultFileError(
                path,
                "is a course file of the first result format; fold it into its run with "
                "`python -m bench.upgrade RUN_FILE COURSE_FILE`",
            )
    return files


def _class_out(parser: argparse.ArgumentParser, out: Path, inputs: list[Path]) -> Path:
    """The class page's directory: its own, never the committed report's nor one the
    inputs are read from (nothing in an input directory is modified)."""
    if out == DEFAULT_OUT:
        return DEFAULT_CLASS_OUT
    resolved = out.resolve()
    if resolved == DEFAULT_OUT.resolve():
        parser.error(f"--out {out}: the committed report's directory; give the class page its own")
    for path in inputs:
        folder = path.resolve() if path.is_dir() else path.resolve().parent
        if resolved == folder or (path.is_dir() and folder in resolved.parents):
            parser.error(f"--out {out}: inside the input directory {folder}; choose another")
    return out


def _say(line: str) -> None:
    """A progress line of the build, on the terminal at once."""
    print(f"reports: {line}", flush=True)


def _interrupt(signum, _frame) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.compare and args.files:
        parser.error("--compare takes exactly its two files; name no others")
    if args.beyond_memory is not None and (args.compare or args.class_inputs is not None):
        parser.error("--beyond-memory belongs to a run's report, not to --compare or --class")
    if args.class_inputs is not None:
        if args.compare or args.files:
            parser.error("--class takes the files and directories after it; name no others")
        args.out = _class_out(parser, args.out, args.class_inputs)
    # SIGTERM unwinds like Ctrl-C, so the staging directory is removed on the way out
    # (only the main thread may set a handler; called from another, SIGTERM stays as is).
    try:
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:
        return _build(args)
    try:
        return _build(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _build(args: argparse.Namespace) -> int:
    try:
        # A file named but absent is said before pandas and Matplotlib are imported (1.7 s)
        named = [*args.files, *(args.compare or ()), args.beyond_memory]
        for path in (path for path in named if path is not None):
            if not path.exists():
                raise ResultFileError(path, "no such file")
        # Imported here so that `--help` and argument errors do not wait for Matplotlib.
        from reports.build import build_comparison, build_report

        if args.class_inputs is not None:
            from reports.classroom import build_class

            written = build_class(args.class_inputs, args.out)
        elif args.compare:
            written = build_comparison(*args.compare, args.out)
        else:
            inputs = _inputs(args.files, args.results)
            written = build_report(inputs, args.out, args.beyond_memory, say=_say)
    except KeyboardInterrupt:
        print("reports: interrupted; the previous report is as it was", file=sys.stderr)
        return 130
    except ResultFileError as error:
        problem = str(error)
    except OSError as error:
        problem = f"{error.filename or args.out}: {error.strerror}"
    except Exception as error:  # e.g. pandas or Matplotlib on odd but valid input
        inputs = args.class_inputs or args.compare or args.files or [args.results]
        message = (str(error).strip().splitlines() or [""])[0]
        names = ", ".join(map(str, inputs))
        problem = f"{names}: unexpected error: {type(error).__name__}: {message}"
    else:
        print(f"reports: wrote {written}")
        return 0
    print(f"reports: {problem}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
