"""Run the benchmark suite and store its results safely: ``python -m bench.run [--full]``.

pytest-benchmark writes its JSON to a hidden partial file in ``reports/results``, created
exclusively for this run (two runs started in the same second each have their own);
only a run that finished is linked to ``<machine>-<YYYYmmdd-HHMMSS>.json`` (``-2``, ``-3``
… when the name is taken: an existing file is never replaced), so an interrupted run
leaves nothing half-written and no earlier result is lost. The pytest child stops with
its runner: signals are forwarded to it, and on Linux it is killed if the runner dies
unannounced (SIGKILL); partial files left by such runs are removed by the next run.
With ``--stop-with-parent`` (nox passes it) the runner stops when its own parent dies.
The course experiments are timed in the same session and stored in the same file.
Beside it goes its share file (``bench.share``: the lesson's cases, the machine, the
course outcomes; no host or user name unless ``--share-name NAME``), the file a student
hands in for the class page. Then the report is rebuilt from the result file. Other
arguments (``-k dot``, ``--budget 2``) go to pytest.

``--mine FILE.py:FUNCTION --op OP [--label NAME]`` times a function of your own: it is
checked first (``kernels.check``; a function that fails is not timed, and the run exits
1), then timed on the ladder beside the suite's backends for that op only, into a result
file like any run's, where it is one more backend labelled NAME (default "yours"); the
report opens with it (``reports/yours.py``). Without ``--out`` it goes to
reports/local/yours/, beside the lesson's report, not over it.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from bench import options as bench_options
from bench import sampling
from bench.machine import machine_slug
from reports.atomic import is_stale, locked
from reports.cli import OneLineParser
from reports.rules import CONFIDENCE
from vbschema import ResultFileError, RunFile

ROOT = Path(__file__).resolve().parent.parent
# A run's results and report go where git does not look (.gitignore): thirty students'
# runs never dirty the checkout, never make the code count as changed, and never
# conflict with a `git pull` of the committed reference report, which is regenerated
# only when asked (``--out reports``).
RESULTS = ROOT / "reports" / "local" / "results"
# A run of a function of your own (``--mine``) goes beside it, not over the lesson's page.
YOURS = ROOT / "reports" / "local" / "yours"

# pytest's exit code when no test ran: here, when -k or -m matched no benchmark.
NO_TESTS_RAN = 5
# pytest's exit code for an argument it refuses (an unknown option, a bad -k, a plugin
# that cannot be imported).
USAGE_ERROR = 4

# A partial file names the process that writes it, so a later run can tell a file still
# being written (its writer alive) from one left by a killed run.
_WRITER = re.compile(r"\.pid(\d+)\.")
_UNNAMED_WRITER_STALE_S = 3600  # partial files of older versions carry no pid


def partial_file(directory: Path, stem: str) -> Path:
    """A new, empty, hidden file for this process alone (created exclusively)."""
    descriptor, name = tempfile.mkstemp(
        dir=directory, prefix=f".partial-{stem}.pid{os.getpid()}.", suffix=".json"
    )
    os.close(descriptor)
    path = Path(name)
    path.chmod(0o644)  # mkstemp's 0600 would hide the published results from other users
    return path


def _lock_of(partial: Path) -> Path:
    return partial.with_name(partial.name + ".lock")


@contextlib.contextmanager
def writing(partial: Path) -> Iterator[None]:
    """Hold a lock beside ``partial`` while this run writes and publishes it: a later
    run judges the file by that lock, not by a process id, which a run in another PID
    namespace (a container sharing the directory) could reuse. The lock file goes
    when the run ends; one left by a killed run is removed with its partial file."""
    lock = _lock_of(partial)
    try:
        with locked(lock, create=True):
            yield
    finally:
        lock.unlink(missing_ok=True)


def remove_stale_partials(directory: Path) -> list[Path]:
    """Remove the partial files whose writer is gone (a run killed before it finished):
    those whose lock can be taken; of files without one (older versions, or a run a
    moment before it takes its lock), those whose process is gone."""
    removed = []
    for path in directory.glob(".partial-*.json"):
        lock = _lock_of(path)
        if lock.is_file():
            try:
                with locked(lock, wait=False):
                    path.unlink(missing_ok=True)
                    lock.unlink(missing_ok=True)
            except OSError:  # BlockingIOError: its run is alive; or gone already
                continue
            removed.append(path)
        elif is_stale(path, _WRITER, _UNNAMED_WRITER_STALE_S):
            path.unlink(missing_ok=True)
            removed.append(path)
    for lock in directory.glob(".partial-*.json.lock"):  # its partial file is gone
        if not lock.with_suffix("").exists():
            try:
                with locked(lock, wait=False):
                    lock.unlink(missing_ok=True)
            except OSError:
                continue
    return removed


def unique_path(directory: Path, stem: str) -> Path:
    """``stem.json`` in ``directory``, or ``stem-2.json`` … if that is taken."""
    candidate = directory / f"{stem}.json"
    counter = 2
    while candidate.exists():
        candidate = directory / f"{stem}-{counter}.json"
        counter += 1
    return candidate


def publish(partial: Path, final_stem: str) -> Path:
    """Move a finished partial file to its final, never-overwriting name."""
    while True:
        target = unique_path(partial.parent, final_stem)
        try:
            # os.link fails if the target exists, so nothing is ever overwritten; if
            # another run took the name since unique_path looked, take the next one.
            os.link(partial, target)
        except FileExistsError:
            continue
        partial.unlink()
        return target


def compact(path: Path) -> None:
    """Rewrite pytest-benchmark's JSON without its indentation (half the file's bytes),
    atomically: a reader sees the indented file or the compact one, never a mixture."""
    data = json.loads(path.read_text(encoding="utf-8"))
    # a name the next run removes if this one is killed here (remove_stale_partials)
    prefix = f".partial-compact.pid{os.getpid()}."
    descriptor, name = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=".json")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(data, handle, separators=(",", ":"))
        os.chmod(name, 0o644)
        os.replace(name, path)
    except BaseException:
        Path(name).unlink(missing_ok=True)
        raise


def stops_with(parent: int) -> bool:
    """On Linux, ask for a SIGTERM to this process when ``parent`` dies, however it dies
    (even ``kill -9``); False if it has died already. Elsewhere, nothing is asked."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    return os.getppid() == parent  # else the parent died before prctl took effect


def _child_setup(parent: int) -> None:
    """In the child, before exec: its own process group, so a Ctrl-C reaches it once
    (forwarded by the parent), and on Linux a SIGTERM when the parent dies."""
    os.setpgid(0, 0)
    if not stops_with(parent):
        os._exit(1)


FORWARDED = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def run_child(
    command: list[str], *, usage_in_one_line: bool = False, explained: list[str] | None = None
) -> int:
    """Run ``command`` and return its exit code (128 + n if it or this process was stopped
    by signal n).

    Signals sent to this process alone reach the child too, even one that arrives while
    the child is being started, and this process waits for it, so a runner that is
    stopped never leaves a child timing on and writing files. With ``usage_in_one_line``
    (the child is pytest) an argument pytest refuses is said in one line
    (``UsageInOneLine``), and the child's own one-line reasons ("bench: ..." lines) are
    added to ``explained``, so that the runner does not say the same again.
    """
    parent = os.getpid()
    preexec = (lambda: _child_setup(parent)) if os.name == "posix" else None
    child = None
    received, pending = [], []

    def send(signum):
        try:  # the child's whole group: its own children (the JIT probes) stop too
            os.killpg(child.pid, signum)
        except (AttributeError, OSError):  # not POSIX, or the group not yet made
            child.send_signal(signum)

    def forward(signum, _frame):
        received.append(signum)
        if child is None:
            pending.append(signum)  # sent on once the child exists
        else:
            send(signum)

    # A signal this process ignores (nohup; SIGINT in a background job of a script) is
    # ignored by the child too, which inherited that: it is not forwarded either.
    previous = {
        sig: signal.signal(sig, forward)
        for sig in FORWARDED
        if signal.getsignal(sig) is not signal.SIG_IGN
    }
    errors = subprocess.PIPE if usage_in_one_line else None
    try:
        child = subprocess.Popen(command, cwd=ROOT, preexec_fn=preexec, stderr=errors)
        copy = UsageInOneLine(child.stderr, explained) if usage_in_one_line else None
        for signum in pending[:1]:  # one that came while Popen ran
            send(signum)
        status = child.wait()
        if copy is not None:
            copy.finish(status)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if received:  # pytest stopped by a Ctrl-C exits with 2: say what stopped it
        return 128 + received[0]
    return 128 - status if status < 0 else status


_COLOUR = re.compile(r"\x1b\[[0-9;]*m")  # pytest colours its error where FORCE_COLOR is set


class UsageInOneLine:
    """The pytest child's stderr, copied to this process's as it comes, except pytest's
    words on an argument it refuses: from a line starting "ERROR: " on, they are held
    back, and if pytest then exits with ``USAGE_ERROR`` they are said in one line. pytest
    would print them with its usage, its ini file and root directory: 2 to 6 lines.
    Anything else held back (an error of another kind) is copied as it was."""

    def __init__(self, stream, explained: list[str] | None = None) -> None:
        self.held: list[str] = []
        self.explained = [] if explained is None else explained
        self._thread = threading.Thread(target=self._copy, args=(stream,), daemon=True)
        self._thread.start()

    def _copy(self, stream) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace")
                if self.held or _COLOUR.sub("", line).startswith("ERROR: "):
                    self.held.append(line)
                else:
                    if line.startswith("bench: "):  # the conftest's own reason, in one line
                        self.explained.append(line)
                    sys.stderr.write(line)
                    sys.stderr.flush()

    def finish(self, status: int) -> None:
        self._thread.join(timeout=5)  # the pipe closes with pytest (and its children)
        if status == USAGE_ERROR and self.held:
            print(f"bench: {usage_problem(self.held)}; nothing was timed", file=sys.stderr)
        else:
            sys.stderr.writelines(self.held)


def usage_problem(lines: list[str]) -> str:
    """pytest's report of a refused argument, in one line: argparse's "error: ..." line
    (which names the argument), or else pytest's own "ERROR: ..." line."""
    text = [_COLOUR.sub("", line).strip() for line in lines if line.strip()]
    for line in text:
        if ": error: " in line:  # "python -m pytest: error: unrecognized arguments: --x"
            return line.split(": error: ", 1)[1]
    return text[0].removeprefix("ERROR: ")


def selection_problem(pytest_args: list[str]) -> str | None:
    """What is wrong with the ``-k`` or ``-m`` expression among ``pytest_args``, if
    anything. pytest reads them only once it has collected every case (5 s, below its
    header); checked here, a bad one is one line at once. The parser is pytest's own, from
    a private module: where it has moved, pytest's refusal (``UsageInOneLine``) says it."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError:
        return None
    picker = argparse.ArgumentParser(add_help=False, exit_on_error=False)
    picker.add_argument("-k")  # pytest keeps the last of each, as argparse does
    picker.add_argument("-m")
    try:
        chosen, _ = picker.parse_known_args(pytest_args)
    except argparse.ArgumentError:  # "-k" with no expression: pytest's refusal says it
        return None
    for flag, expression in (("-k", chosen.k), ("-m", chosen.m)):
        try:
            if expression is not None:
                Expression.compile(expression.lstrip())
        except SyntaxError as error:
            return f"{flag} {expression!r}: at column {error.offset}: {error.msg}"
    return None


def _ladder_given(pytest_args: list[str]) -> str | None:
    """The ladder a ``--ladder`` among pytest's arguments names (the last one wins, as in
    pytest), if it is one: the run's first line, and its rounds' cap, are then that
    ladder's. A name that is none is left to pytest, which refuses it in one line."""
    named = None
    for index, argument in enumerate(pytest_args):
        if argument.startswith("--ladder="):
            named = argument.split("=", 1)[1]
        elif argument == "--ladder" and index + 1 < len(pytest_args):
            named = pytest_args[index + 1]
    return named if named in sampling.MAX_TIME_S else None


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m bench.run", description=__doc__)
    parser.add_argument(
        "--full", action="store_true", help="every size of every op (the lesson's is the default)"
    )
    parser.add_argument("--quick", action="store_true", help="the lesson ladder (the default)")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the report goes, and its results under DIR/results (default: "
        "reports/local, which git ignores, and reports/local/yours with --mine; --out "
        "reports regenerates the committed one)",
    )
    parser.add_argument("--no-report", action="store_true", help="only store the results")
    parser.add_argument(
        "--mine", metavar="FILE.py:FUNCTION", help="time a function of your own (with --op)"
    )
    parser.add_argument("--op", help="the op your function computes (with --mine)")
    parser.add_argument("--label", default="yours", help="its name in the results and report")
    parser.add_argument(
        "--share-name",
        metavar="NAME",
        help="the name the share file carries (default: none; it never names the host)",
    )
    # Not the default: a run started in the background of a shell that then exits goes on.
    parser.add_argument(
        "--stop-with-parent",
        action="store_true",
        help="stop, storing nothing, when the process that started this one ends (nox "
        "passes it: nox does not forward a SIGTERM, so a killed nox would leave the run on)",
    )
    # Checked here too, so that a bad value is refused before pytest starts.
    parser.add_argument(
        "--budget",
        type=bench_options.budget_seconds,
        metavar="SECONDS",
        help="seconds per call above which a predicted-slow case is not run",
    )
    parser.add_argument(
        "--dask-scheduler",
        type=bench_options.dask_scheduler,
        metavar="WHERE",
        help="threads (default), local, or a scheduler's address tcp://HOST:PORT",
    )
    parent = os.getppid()
    options, pytest_args = parser.parse_known_args(argv)  # the rest goes to pytest
    if options.stop_with_parent and not stops_with(parent):
        print("bench: the process that started this run has ended; nothing was timed",
              file=sys.stderr)  # fmt: skip
        return 1
    for name in ("budget", "dask_scheduler"):
        if getattr(options, name) is not None:
            pytest_args = [f"--{name.replace('_', '-')}={getattr(options, name)}", *pytest_args]
    if options.share_name is not None:
        from bench.share import ShareError, check_name  # bench.share imports this module

        try:
            check_name(options.share_name)
        except ShareError as error:
            parser.error(str(error))
    if options.full and options.quick:
        parser.error("--full and --quick are two different ladders: choose one")
    if options.mine is not None:
        mine_args = checked_mine(options)
        if isinstance(mine_args, int):
            return mine_args
        pytest_args = [*mine_args, *pytest_args]
    problem = selection_problem(pytest_args)
    if problem:
        print(f"bench: {problem}; nothing was timed", file=sys.stderr)
        return USAGE_ERROR
    ladder = _ladder_given(pytest_args) or ("full" if options.full else "lesson")
    results = results_dir(options.out, options.mine)
    out = results.parent

    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    stem = f"{machine_slug()}-{stamp}"
    try:
        partial = _start_results(results, stem)
    except OSError as error:  # a file where the directory should be, read-only, full
        why = "is a file, not a directory" if results.is_file() else error.strerror
        print(f"bench: {_shown(results)}: {why}; no benchmark was run", file=sys.stderr)
        return 2
    command = [
        sys.executable, "-m", "pytest", "bench",
        f"--ladder={ladder}",
        f"--benchmark-json={partial}",
        # The cap is at least this many rounds, whatever the time: with six the median's
        # interval is [min, max], and one slow round would flag the case.
        f"--benchmark-min-rounds={sampling.CAP_ROUNDS_AT_LEAST}",
        f"--benchmark-min-time={sampling.MIN_ROUND_S}",
        f"--benchmark-max-time={sampling.MAX_TIME_S[ladder]}",
        # Rounds stop once the median is known to ±TARGET at 95% (bench/sampling.py's
        # rule, not pytest-benchmark's margin of the mean): recorded with each case as
        # its options' precision and confidence.
        f"--benchmark-precision={sampling.TARGET}",
        f"--benchmark-confidence={CONFIDENCE}",
        # pytest-benchmark's tables (900 lines on the lesson ladder) and its note of the
        # hidden file it writes would bury the run's own lines: the page shows the numbers
        "--benchmark-quiet",
        "-p", "no:cacheprovider",
        # The cases not run are listed with their reasons on the report's page of numbers not
        # to trust; the terminal's summary keeps the failures and errors only (not -ra's
        # hundred "SKIPPED ... over the 0.2 s budget" lines of a lesson run).
        "-rfE",
        # "no benchmarks have been run" is a warning, an error under the suite's
        # warnings-as-errors: it would end a -k that matches nothing in a traceback.
        "-W", "ignore::pytest_benchmark.logger.PytestBenchmarkWarning",
        *pytest_args,
    ]  # fmt: skip
    print(f"bench: timing the {ladder} ladder; results go to {_shown(results)}/", flush=True)
    with writing(partial):  # a later run sees this partial file in use
        status, explained = 1, []
        try:
            status = run_child(command, usage_in_one_line=True, explained=explained)
        finally:  # whatever happened, a partial file of this run is not left behind
            if status != 0:
                partial.unlink(missing_ok=True)
        if status == NO_TESTS_RAN:
            print("bench: no benchmark matched the selection; nothing was timed", file=sys.stderr)
            return status
        if status != 0 or partial.stat().st_size == 0:
            partial.unlink(missing_ok=True)
            if status == 0:  # e.g. -k jit_compile: nothing timed
                print("bench: the selection timed no case (pytest-benchmark wrote no results); "
                      "nothing was stored", file=sys.stderr)  # fmt: skip
                return NO_TESTS_RAN
            if status != USAGE_ERROR and not explained:  # else said in one line already
                print(f"bench: pytest exited with {status}; no result file was written",
                      file=sys.stderr)  # fmt: skip
            return status
        # Never store a file the report refuses (one that measured nothing): the result
        # schema's check, the report's own.
        try:
            loaded = RunFile.load(partial)
        except ResultFileError as error:
            partial.unlink()
            print(f"bench: the selection gives no report: {error.problem}; nothing was stored",
                  file=sys.stderr)  # fmt: skip
            return 2
        compact(partial)
        result = publish(partial, stem)
    print(f"bench: results stored in {_shown(result)}: {counted(loaded)}", flush=True)
    if options.mine:  # a class page sets whole runs side by side, never a student's own
        print("bench: no share file for a run of your own function: the file to hand in is "
              "a whole `nox -s bench`'s", flush=True)  # fmt: skip
        shared = 0
    else:
        shared = _share(result, options.share_name)

    if options.no_report:
        return shared
    print(f"bench: building the report in {_shown(out)}/ ...", flush=True)
    return run_child([sys.executable, "-m", "reports", str(result), "--out", str(out)]) or shared


def counted(run: RunFile) -> str:
    """The op cases of a stored run, as its report counts them: pytest's own summary counts
    the slides' demo, the course and the compile probe too, and a case timed again twice."""
    timed, left = len(run.cases), len(run.not_run)
    cases = f"{timed} op case{'s' if timed != 1 else ''} timed"
    return f"{cases}, {left} not run (their reasons are in the report)" if left else cases


def _share(result: Path, name: str | None) -> int:
    """Write the share file beside ``result`` (``bench.share``); 0, or 1 if it failed (a
    run with no op case to share has none, and that is no failure)."""
    from bench.share import NothingToShare, ShareError, write_share

    try:
        share = write_share(result, name)
    except NothingToShare as error:  # a selection without an op case: not a failure
        print(f"bench: no share file: {error}", flush=True)
        return 0
    except (ShareError, ResultFileError, OSError) as error:
        print(f"bench: no share file written: {error}", file=sys.stderr)
        return 1
    print(f"bench: the file to hand in: {_shown(share)}", flush=True)
    return 0


def results_dir(out: Path | None, mine: str | None) -> Path:
    """Where a run stores its results (its report goes to the folder above): DIR/results
    with ``--out DIR``; else reports/local/results, or reports/local/yours/results for a
    run of a function of your own, so that it never replaces the lesson's page."""
    if out is not None:
        return out.resolve() / "results"
    return RESULTS if mine is None else YOURS / "results"


def checked_mine(options) -> list[str] | int:
    """The pytest arguments that time ``--mine``, once it passes the check; or the exit
    code, after one line saying why not (2: bad arguments, 1: the check fails)."""
    import kernels
    from kernels.yours import LoadError, load

    problem = ""
    if options.op is None:
        problem = f"--op: which op does {options.mine} compute? one of {', '.join(kernels.OPS)}"
    elif options.op not in kernels.OPS:
        problem = f"--op: unknown op {options.op!r}; choose one of {', '.join(kernels.OPS)}"
    elif options.label in kernels.BACKENDS:
        problem = f"--label: {options.label!r} is a backend's name; choose another"
    if problem:
        print(f"bench: {problem}", file=sys.stderr)
        return 2
    try:
        function = load(options.mine)
    except LoadError as error:
        print(f"bench: --mine: {error}", file=sys.stderr)
        return 2
    outcome = kernels.check(function, options.op, speed=False)
    print(f"bench: {outcome}", flush=True)
    if not outcome.passed:
        print("bench: a function that fails the check is not timed", file=sys.stderr)
        return 1
    # the pytest child runs in the checkout: the file by its absolute path
    path, _, name = options.mine.rpartition(":")
    return [
        f"--mine={Path(path).resolve()}:{name}",
        f"--mine-op={options.op}",
        f"--mine-label={options.label}",
        "-k",
        f"test_op and {options.op}",
    ]


def _start_results(results: Path, stem: str) -> Path:
    """The results directory made if needed, the partial files of killed runs removed,
    and this run's own partial file, before anything is timed."""
    results.mkdir(parents=True, exist_ok=True)
    for stale in remove_stale_partials(results):
        print(f"bench: removed {stale.name}, left by a run that was killed", file=sys.stderr)
    return partial_file(results, stem)


def _shown(path: Path) -> Path:
    """A path as a user would type it: relative to the checkout when inside it."""
    try:
        return path.relative_to(ROOT)
    except ValueError:
        return path


if __name__ == "__main__":
    sys.exit(main())
