"""bench.run keeps every run's results: concurrent runs, killed runs, empty selections."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

from bench import run

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and signals of POSIX")

ROOT = Path(__file__).resolve().parent.parent


def _is_gone(pid: int) -> bool:
    """The process has exited (a zombie waiting to be reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def _wait_until(condition, timeout_s: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def same_second(monkeypatch, tmp_path):
    """bench.run writing to tmp_path, on a machine and a clock that never change."""
    frozen = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
    clock = types.SimpleNamespace(
        datetime=types.SimpleNamespace(now=lambda tz=None: frozen), timezone=dt.timezone
    )
    monkeypatch.setattr(run, "dt", clock)
    monkeypatch.setattr(run, "machine_slug", lambda: "box")
    monkeypatch.setattr(run, "RESULTS", tmp_path)
    monkeypatch.setattr(run, "ROOT", tmp_path.parent)
    # the fake runs below store no real result: there is nothing to make a share file of
    monkeypatch.setattr(run, "_share", lambda result, name: 0)
    # the files these fakes write are about names, not contents: the schema is not asked
    nothing = types.SimpleNamespace(cases=(), not_run=())
    monkeypatch.setattr(run.RunFile, "load", staticmethod(lambda path: nothing))
    return tmp_path


def test_two_runs_in_the_same_second_keep_both_results(same_second, monkeypatch):
    """Run B starts and finishes while run A's pytest is still timing: both stored."""

    def fake_pytest(command, name):
        if "pytest" not in command:
            return 0  # the report builder
        json_path = next(arg for arg in command if arg.startswith("--benchmark-json="))
        Path(json_path.split("=", 1)[1]).write_text(json.dumps({"run": name}))
        return 0

    def run_b(command, *args, **kwargs):
        return fake_pytest(command, "B")

    def run_a(command, *args, **kwargs):
        status = fake_pytest(command, "A")
        if "pytest" in command:  # B runs to the end in the middle of A's run
            monkeypatch.setattr(run, "run_child", run_b)
            assert run.main(["--no-report"]) == 0
        return status

    monkeypatch.setattr(run, "run_child", run_a)
    assert run.main(["--no-report"]) == 0
    stored = sorted(same_second.glob("*.json"))
    assert [path.name for path in stored] == [
        "box-20260102-030405-2.json",
        "box-20260102-030405.json",
    ]
    assert {json.loads(path.read_text())["run"] for path in stored} == {"A", "B"}
    assert not list(same_second.glob(".partial-*"))


def test_publishing_takes_the_next_name_if_another_run_took_it(tmp_path, monkeypatch):
    first, second = run.partial_file(tmp_path, "box"), run.partial_file(tmp_path, "box")
    assert first != second  # created exclusively: never one file for two runs
    first.write_text("first")
    second.write_text("second")
    # Both runs found box.json free; the first links its file there before the second.
    stale_views = [tmp_path / "box.json"]
    real_unique_path = run.unique_path
    monkeypatch.setattr(
        run,
        "unique_path",
        lambda d, s: stale_views.pop() if stale_views else real_unique_path(d, s),
    )
    assert run.publish(first, "box") == tmp_path / "box.json"
    stale_views.append(tmp_path / "box.json")
    published = run.publish(second, "box")
    assert published.name == "box-2.json"
    assert published.read_text() == "second"
    assert (tmp_path / "box.json").read_text() == "first"


RUNNER = """
import signal, sys
from bench.run import run_child
signal.signal(signal.SIGINT, signal.default_int_handler)  # as started from a terminal
child = [sys.executable, "-c", "import os, time; print(os.getpid(), flush=True); time.sleep(60)"]
sys.exit(run_child(child))
"""


@pytest.mark.parametrize(
    "sig",
    [
        signal.SIGTERM,
        signal.SIGINT,
        pytest.param(
            signal.SIGKILL,
            marks=pytest.mark.skipif(
                not sys.platform.startswith("linux"), reason="a parent-death signal is Linux's"
            ),
        ),
    ],
    ids=["SIGTERM", "SIGINT", "SIGKILL"],
)
def test_the_pytest_child_stops_with_its_runner(sig):
    runner = subprocess.Popen(
        [sys.executable, "-c", RUNNER], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    child_pid = int(runner.stdout.readline())
    runner.send_signal(sig)  # to the runner alone, not its process group
    status = runner.wait(timeout=20)
    runner.stdout.close()
    assert _wait_until(lambda: _is_gone(child_pid)), "the child outlived its runner"
    if sig != signal.SIGKILL:
        assert status == 128 + sig  # the runner waited for its child, and says why it ended


def test_partial_files_of_killed_runs_are_removed(tmp_path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f".partial-box-20260102-030405.pid{gone.pid}.x1.json"
    stale.write_text("{}")
    live = run.partial_file(tmp_path, "box")  # this process: still writing
    other = tmp_path / "box-20260102-030405.json"
    other.write_text("{}")
    assert run.remove_stale_partials(tmp_path) == [stale]
    assert live.exists()
    assert other.exists()


def test_a_partial_file_in_use_is_judged_by_its_lock_not_its_pid(tmp_path):
    """A run in another PID namespace (a container sharing the directory) names a
    process id that here is nobody's, or someone else's: its lock says it is alive."""
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    in_use = tmp_path / f".partial-box-20260102-030405.pid{gone.pid}.x2.json"
    in_use.write_text("{}")
    killed = tmp_path / f".partial-box-20260102-030406.pid{os.getpid()}.x3.json"
    killed.write_text("{}")
    (tmp_path / f"{killed.name}.lock").touch()  # a lock file nobody holds: its run died
    with run.writing(in_use):
        assert run.remove_stale_partials(tmp_path) == [killed]
        assert in_use.exists()
        assert not (tmp_path / f"{killed.name}.lock").exists()
    assert not (tmp_path / f"{in_use.name}.lock").exists()  # the run's own lock goes with it
    assert run.remove_stale_partials(tmp_path) == [in_use]  # no lock, and its pid is gone


def test_a_selection_matching_no_benchmark_says_so_in_one_line(tmp_path):
    # --out: a test never writes under the checkout's reports/
    command = ["bench.run", "--quick", "--no-report", "--out", str(tmp_path), "-k", "no_such_op"]
    done = subprocess.run(
        [sys.executable, "-m", *command],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == run.NO_TESTS_RAN
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line == "bench: no benchmark matched the selection; nothing was timed"
    assert "Traceback" not in done.stdout


@pytest.mark.parametrize(
    ("argument", "words"),
    [
        (["--nonsense"], "bench: unrecognized arguments: --nonsense"),
        (["--ladder=bogus"], "bench: argument --ladder: invalid choice: 'bogus'"),
        (["-p", "nonexistent"], 'bench: Error importing plugin "nonexistent"'),
        (["-k"], "bench: argument -k: expected one argument"),
    ],
)
def test_an_argument_pytest_refuses_is_one_line(argument, words, tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "bench.run", "--no-report", "--out", str(tmp_path), *argument],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == run.USAGE_ERROR
    assert done.stderr.splitlines() == [done.stderr.strip()]  # one line, no usage
    assert done.stderr.startswith(words)
    assert done.stdout.splitlines() == [done.stdout.strip()]  # bench's own, not pytest's
    assert done.stdout.startswith("bench: timing")
    assert list((tmp_path / "results").iterdir()) == []


@pytest.mark.parametrize(
    ("argument", "words"),
    [
        (["-k", "and"], "bench: -k 'and': at column 1: expected not OR left parenthesis"),
        (["-k", "dot and"], "bench: -k 'dot and': at column 8: expected not OR left"),
        (["-m", "("], "bench: -m '(': at column 2: expected not OR left parenthesis"),
        (["-knot"], "bench: -k 'not': at column 4: expected not OR left parenthesis"),
    ],
)
def test_a_bad_selection_is_one_line_before_pytest_starts(argument, words, monkeypatch, capsys):
    def no_pytest(command, *args, **kwargs):
        raise AssertionError("pytest started")

    monkeypatch.setattr(run, "run_child", no_pytest)
    assert run.main(["--no-report", *argument]) == run.USAGE_ERROR
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [captured.err.strip()]
    assert captured.err.startswith(words)
    assert captured.out == ""


def test_a_later_selection_replaces_an_earlier_one_as_in_pytest():
    assert run.selection_problem(["-k", "and", "-k", "dot"]) is None
    assert run.selection_problem(["-k", "dot", "-m", "not slow"]) is None


def _copied(text: bytes, status: int) -> None:
    """What UsageInOneLine makes of a pytest child's stderr ``text`` and exit ``status``
    (a pipe here, not a child: a fork beside JAX's threads warns, an error in the tests)."""
    read, write = os.pipe()
    os.write(write, text)
    os.close(write)
    run.UsageInOneLine(os.fdopen(read, "rb")).finish(status)


def test_other_errors_of_pytest_are_copied_as_they_were(capsys):
    _copied(b"warning\nERROR: a crash\n  its detail\n", 3)
    assert capsys.readouterr().err == "warning\nERROR: a crash\n  its detail\n"


def test_a_coloured_usage_error_is_one_line_too(capsys):
    usage = (  # as pytest prints it where FORCE_COLOR is set
        b"\x1b[31mERROR: usage: python -m pytest [options] [file_or_dir]\n"
        b"python -m pytest: error: unrecognized arguments: --nonsense\n"
        b"  inifile: pyproject.toml\n  rootdir: /here\n\x1b[0m\n"
    )
    _copied(usage, run.USAGE_ERROR)
    assert capsys.readouterr().err == (
        "bench: unrecognized arguments: --nonsense; nothing was timed\n"
    )


def test_a_signal_the_runner_ignores_is_not_forwarded():
    """nohup: the runner ignores SIGHUP, and so does the child it started."""
    runner = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import signal; signal.signal(signal.SIGHUP, signal.SIG_IGN)\n" + RUNNER,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    child_pid = int(runner.stdout.readline())
    runner.send_signal(signal.SIGHUP)
    assert not _wait_until(lambda: _is_gone(child_pid), timeout_s=1.0)
    assert runner.poll() is None
    runner.send_signal(signal.SIGTERM)
    assert runner.wait(timeout=20) == 128 + signal.SIGTERM
    runner.stdout.close()
    assert _wait_until(lambda: _is_gone(child_pid))


# --- options refused at once, a dask scheduler that is not there ---------------------------


@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--dask-scheduler", "thread"], "'thread' is neither threads, local nor"),
        (["--budget", "nan"], "must be a finite number of seconds > 0, got nan"),
        (["--budget", "inf"], "must be a finite number of seconds > 0, got inf"),
        (["--budget", "-1"], "must be a finite number of seconds > 0, got -1"),
        (["--budget", "soon"], "'soon' is not a number of seconds"),
    ],
)
def test_a_bad_budget_or_scheduler_is_refused_before_pytest_starts(option, words, capsys):
    with pytest.raises(SystemExit) as stopped:
        run.main(["--quick", *option])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert words in err
    assert err.strip().splitlines() == [err.strip()]  # one line: no usage block above it
    assert "Traceback" not in err


def test_a_bad_budget_is_refused_by_the_pytest_plugin_too():
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "bench", "--ladder=smoke", "--budget=nan", "--co"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 4
    assert "--budget: must be a finite number of seconds > 0, got nan" in done.stderr
    assert "Traceback" not in done.stderr + done.stdout


def _unused_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_scheduler_that_does_not_answer_is_named_in_one_line(monkeypatch):
    from kernels import dask_engine

    monkeypatch.setattr(dask_engine, "CONNECT_TIMEOUT_S", 1.0)
    address = f"tcp://127.0.0.1:{_unused_port()}"
    started = time.monotonic()
    with pytest.raises(OSError, match=r"^no scheduler answered within 1 s") as info:
        dask_engine.connect(address)
    assert time.monotonic() - started < 10
    assert "\n" not in str(info.value)


def test_a_scheduler_with_no_worker_says_so_and_how_long_it_waited(monkeypatch):
    distributed = pytest.importorskip("distributed")
    from kernels import dask_engine

    monkeypatch.setattr(dask_engine, "WORKERS_TIMEOUT_S", 1.0)
    empty = distributed.LocalCluster(n_workers=0, processes=False, dashboard_address=":0")
    with empty, pytest.raises(TimeoutError, match=r"^the scheduler has no worker; waited 1 s"):
        dask_engine.connect(empty.scheduler_address)


def test_the_scheduler_is_connected_to_only_when_a_dask_case_runs(monkeypatch):
    from bench import conftest
    from kernels import dask_engine

    def unreachable(address):
        raise OSError("no scheduler answered within 10 s (timed out)")

    monkeypatch.setattr(dask_engine, "connect", unreachable)
    config = types.SimpleNamespace(
        stash={}, getoption=lambda name: "tcp://127.0.0.1:9" if name == "--dask-scheduler" else None
    )

    def case(backend):
        return types.SimpleNamespace(
            config=config,
            callspec=types.SimpleNamespace(params={"backend": backend}),
            nodeid=f"bench/test_course.py::test_course[perceptron-{backend}]",
        )

    conftest.pytest_runtest_setup(case("numpy"))  # no dask case: nothing is connected
    with pytest.raises(pytest.exit.Exception) as stopped:
        conftest.pytest_runtest_setup(case("dask"))
    assert str(stopped.value.msg) == (
        "--dask-scheduler tcp://127.0.0.1:9: no scheduler answered within 10 s (timed out)"
    )


# --- an unusable results directory, a full disk ---------------------------------------------


def test_a_results_path_that_is_a_file_is_one_line(tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    (out / "results").write_text("not a directory")
    assert run.main(["--quick", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.endswith("results: is a file, not a directory; no benchmark was run\n")
    assert err.count("\n") == 1


def test_a_read_only_results_directory_is_one_line(tmp_path, monkeypatch, capsys):
    """Faked: the tests may run as root, who can write anywhere."""

    def refuse(dir, prefix, suffix):  # what mkstemp raises in a read-only directory
        raise PermissionError(13, "Permission denied", str(Path(dir) / f"{prefix}x{suffix}"))

    monkeypatch.setattr(run.tempfile, "mkstemp", refuse)
    assert run.main(["--quick", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.endswith("results: Permission denied; no benchmark was run\n")
    assert err.count("\n") == 1


# One case, timed for a moment only (not pytest-benchmark's default second), its results
# written to /dev/full, where every write fails with ENOSPC, as on a full disk.
WRITING_TO_A_FULL_DISK = [
    "--ladder=smoke", "-k", "test_op and dot-numpy-float64-t1-n1",
    "--benchmark-json=/dev/full", "--benchmark-max-time=0.001",
]  # fmt: skip
FULL_DISK_LINE = "bench: /dev/full: No space left on device; the results were not written"


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True, check=False
    )


def test_results_that_cannot_be_written_are_one_line_not_an_internal_error():
    done = _run("pytest", "bench", "-q", "-p", "no:cacheprovider", *WRITING_TO_A_FULL_DISK)
    assert done.returncode == 3
    assert "INTERNALERROR" not in done.stdout + done.stderr
    assert done.stderr.strip() == FULL_DISK_LINE


def test_results_that_cannot_be_written_are_one_line_through_the_runner_too(tmp_path):
    """Through ``python -m bench.run``: the child's line only, not a second one of the
    runner's ("pytest exited with 3") below it. (A later --benchmark-json, which pytest
    takes over the runner's, stands for a disk that fills while the run writes.)"""
    done = _run("bench.run", "--no-report", "--out", str(tmp_path), *WRITING_TO_A_FULL_DISK)
    assert done.returncode == 3
    assert done.stderr.strip() == FULL_DISK_LINE
    assert not list((tmp_path / "results").iterdir())


@pytest.mark.parametrize(
    ("option", "words"),
    [
        (["--gigabytes", "nan"], "--gigabytes: must be a finite number > 0, got nan"),
        (["--epochs", "-1"], "--epochs: must be > 0, got -1"),
        (["--features", "0"], "--features: must be > 0, got 0"),
        (["--eta", "inf"], "--eta: must be a finite number > 0, got inf"),
        (["--scheduler", "thread"], "--scheduler: 'thread' is neither threads, local nor"),
        (["--seed", "-1"], "--seed: must be >= 0, got -1"),  # was a traceback after 5 s
    ],
)
def test_beyond_memory_refuses_a_bad_option_in_one_line(option, words, capsys):
    from bench import beyond_memory

    with pytest.raises(SystemExit) as stopped:
        beyond_memory.main(option)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert words in err
    assert "Traceback" not in err


# --- a real run killed: its runner, or the nox that started it -----------------------------

# A selection of one op and backend on the smoke ladder: pytest starts in a few seconds.
TINY_RUN = ["--no-report", "--ladder=smoke", "-k", "dot and numpy"]


def _descendants(pid: int) -> set[int]:
    """The processes started by ``pid``, and theirs, read from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # it ended while we looked
                continue
            parents[int(entry.name)] = int(stat[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier}
        found |= frontier
    return found


def _is_pytest(pid: int) -> bool:
    try:
        return b"\0-m\0pytest\0" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _timing_run(tmp_path: Path, wrapper: str) -> tuple[subprocess.Popen, set[int]]:
    """``python -m bench.run`` on a tiny selection, started through ``wrapper`` (code that
    runs ``COMMAND``), once its pytest child is up; and every process under the wrapper."""
    command = [sys.executable, "-m", "bench.run", *TINY_RUN, "--out", str(tmp_path)]
    started = subprocess.Popen(
        [sys.executable, "-c", f"COMMAND = {command!r}\n{wrapper}"],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # the runner has made its partial file, then started pytest
    started_pytest = lambda: any(map(_is_pytest, _descendants(started.pid)))  # noqa: E731
    assert _wait_until(started_pytest), "the run did not start"
    assert list((tmp_path / "results").glob(".partial-*.json"))
    return started, _descendants(started.pid)


AS_FROM_A_TERMINAL = """
import signal, subprocess, sys
from bench.run import main
# as in a terminal, whatever the test process hands down: a test worker may ignore
# SIGINT, and one started under nohup ignores SIGHUP
signal.signal(signal.SIGINT, signal.default_int_handler)
signal.signal(signal.SIGHUP, signal.SIG_DFL)
sys.exit(main(COMMAND[3:]))
"""

# nox runs the session's commands as children and, killed, forwards nothing: a stand-in.
AS_FROM_NOX = """
import signal, subprocess, sys
signal.signal(signal.SIGHUP, signal.SIG_DFL)  # nox's own default, even under nohup
sys.exit(subprocess.call([*COMMAND, "--stop-with-parent"]))
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_killed_run_stops_its_children_and_stores_nothing(sig, tmp_path):
    runner, below = _timing_run(tmp_path, AS_FROM_A_TERMINAL)
    runner.send_signal(sig)  # to the runner alone, not its process group
    assert runner.wait(timeout=20) == 128 + sig
    assert _wait_until(lambda: all(map(_is_gone, below)), timeout_s=5), "children outlived it"
    assert list((tmp_path / "results").iterdir()) == []  # no result, no partial file


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a parent-death signal")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_a_run_stops_when_the_nox_that_started_it_is_killed(sig, tmp_path):
    nox, below = _timing_run(tmp_path, AS_FROM_NOX)
    nox.send_signal(sig)
    nox.wait(timeout=20)
    assert _wait_until(lambda: all(map(_is_gone, below)), timeout_s=5), "the run went on"
    assert list((tmp_path / "results").iterdir()) == []


# --- a selection that gives no report is not stored ----------------------------------------


def _fake_pytest_writing(contents: str):
    def fake(command, *args, **kwargs):
        json_path = next(arg for arg in command if arg.startswith("--benchmark-json="))
        Path(json_path.split("=", 1)[1]).write_text(contents)
        return 0

    return fake


def _nothing_measured() -> str:
    """A suite's file that measured nothing: no case, compile cost, slides or course."""
    from tests.test_reports import make_result

    data = make_result(ops=["dot"])
    data["benchmarks"], data["vectorbench_not_run"], data["vectorbench_jit"] = [], [], []
    return json.dumps(data)


@pytest.mark.parametrize(
    ("contents", "status", "words"),
    [
        (_nothing_measured, 2, "the selection gives no report: holds no results"),
        # every case selected predicted over the budget (-k "dot and python" --budget 1e-9):
        # no benchmark fixture ran, no probe recorded anything; pytest-benchmark wrote nothing
        (lambda: "", run.NO_TESTS_RAN, "the selection timed no case"),
    ],
    ids=["nothing-measured", "nothing-timed"],
)
def test_a_selection_without_a_report_stores_nothing_and_says_why(
    contents, status, words, tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(run, "run_child", _fake_pytest_writing(contents()))
    assert run.main(["--no-report", "--out", str(tmp_path)]) == status
    err = capsys.readouterr().err.strip().splitlines()
    assert words in err[-1]
    assert "Traceback" not in "\n".join(err)
    assert list((tmp_path / "results").iterdir()) == []


@pytest.mark.parametrize("part", ["slides", "student", "jit", "course"])
def test_a_selection_without_an_op_case_is_stored(part, tmp_path, monkeypatch, capsys):
    """`-k slides`, `-k student`, `-k jit_compile`, `-k "course and numpy"`: what they
    measured is stored; there is no share file (no op case), and that is no failure."""
    from tests.test_reports import ONE_PART_ALONE

    make = ONE_PART_ALONE[part][0]
    monkeypatch.setattr(run, "run_child", _fake_pytest_writing(json.dumps(make())))
    assert run.main(["--no-report", "--out", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    assert "bench: no share file: " in captured.out
    assert "Traceback" not in captured.err
    assert len(list((tmp_path / "results").glob("*.json"))) == 1


# --- the helper entry points: bad arguments are one line, never a traceback ----------------


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["x"], "argument n: 'x' is not a whole number"),
        (["0"], "argument n: must be > 0"),
        (["10000000000000"], "more than the"),  # 149,012 GiB: refused before allocating
    ],
)
def test_the_slides_demo_refuses_a_bad_length_in_one_line(argv, words, capsys):
    from bench import slides

    try:
        status = slides.main(argv)
    except SystemExit as stopped:  # argparse's refusal
        status = stopped.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()]  # one line
    assert words in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        ([], "the following arguments are required"),
        (["numbaa", "float64", "dot"], "argument backend: invalid choice: 'numbaa'"),
        (["numba", "float16", "dot"], "argument dtype: invalid choice: 'float16'"),
        (["numba", "float64", "dot,nope"], "no op named nope"),
    ],
)
def test_the_jit_probe_refuses_bad_arguments_in_one_line(argv, words, capsys):
    from bench import jit_cost

    with pytest.raises(SystemExit) as stopped:
        jit_cost.main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()]  # one line
    assert words in err
    assert "Traceback" not in err


TINY_BEYOND_MEMORY = ["--gigabytes", "0.001", "--memory-limit", "0.0005", "--epochs", "1"]


def test_beyond_memory_refuses_an_out_that_is_a_file_before_training(tmp_path, capsys):
    from bench import beyond_memory

    afile = tmp_path / "afile"
    afile.write_text("")
    for out in (afile, afile / "sub"):
        assert beyond_memory.main(["--out", str(out), *TINY_BEYOND_MEMORY]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"beyond_memory: --out {out}: ")
        assert err.count("\n") == 1


def test_beyond_memory_refuses_from_files_that_is_a_file_before_training(tmp_path, capsys):
    """Found by the issue 21 audit: "File exists", after the in-memory check (7-12 s)."""
    from bench import beyond_memory

    afile = tmp_path / "afile.json"
    afile.write_text("{}")
    for source in (afile, Path("/dev/null")):  # a device too
        arguments = ["--from-files", str(source), "--out", str(tmp_path), *TINY_BEYOND_MEMORY]
        assert beyond_memory.main(arguments) == 2
        assert capsys.readouterr().err == (
            f"beyond_memory: --from-files {source}: is a file, not a directory\n"
        )


def test_beyond_memory_says_in_one_line_that_its_record_was_not_stored(
    tmp_path, monkeypatch, capsys
):
    from bench import beyond_memory

    def disk_full(record, directory):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(beyond_memory, "run", lambda problem, **options: {})
    monkeypatch.setattr(beyond_memory, "read_bandwidth", lambda results: 1.0)
    monkeypatch.setattr(beyond_memory, "write_record", disk_full)
    assert beyond_memory.main(["--out", str(tmp_path), *TINY_BEYOND_MEMORY]) == 2
    err = capsys.readouterr().err
    assert (
        err
        == f"beyond_memory: --out {tmp_path}: No space left on device; the record was not stored\n"
    )


@pytest.mark.parametrize(
    "module",
    [
        "bench.share", "bench.slides", "bench.upgrade", "bench.beyond_memory", "bench.jit_cost",
        "reports.__main__", "kernels.yours", "bench.limits", "examples.propagate",
    ],
)  # fmt: skip
def test_every_command_line_refuses_an_unknown_option_in_one_line(module, capsys):
    """argparse's whole usage block is not printed above the error (``reports.cli``).
    (``bench.run`` hands the options it does not know to pytest: tested above.)"""
    import importlib

    with pytest.raises(SystemExit) as stopped:
        importlib.import_module(module).main(["--no-such-option"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [err.strip()]
    # the first problem argparse finds: a missing argument, or the unknown option
    assert "unrecognized arguments: --no-such-option" in err or "are required" in err


def test_an_engine_whose_library_breaks_on_import_leaves_the_other_cases_running(
    tmp_path, monkeypatch
):
    """Loading an engine's own OpenMP runtime before the cases run (PyTorch's) must not
    stop the run when its library raises on import: its own cases import it again, and
    fail saying why."""
    from bench import threads

    (tmp_path / "vb_broken_engine.py").write_text("raise RuntimeError('broken build')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    broken = types.SimpleNamespace(own_openmp=True, installed=True, requires=("vb_broken_engine",))
    monkeypatch.setitem(threads.BACKENDS, "vb_broken", broken)
    threads.load_own_openmp(["vb_broken"])  # does not raise
    assert "vb_broken_engine" not in sys.modules
    with pytest.raises(RuntimeError, match="broken build"):
        __import__("vb_broken_engine")  # as its cases would, and they say why


@pytest.mark.parametrize(
    ("arguments", "ladder"),
    [
        (["--ladder=smoke"], "smoke"),
        (["--ladder", "smoke", "-k", "dot"], "smoke"),
        (["--ladder=smoke", "--ladder=full"], "full"),  # the last one, as pytest reads them
        (["--ladder=bogus"], None),  # pytest refuses it, in one line
        (["-k", "dot"], None),
    ],
)
def test_the_runner_names_the_ladder_pytest_will_run(arguments, ladder):
    from bench.run import _ladder_given

    assert _ladder_given(arguments) == ladder


def test_a_misspelt_option_is_named_before_a_required_one_it_left_unset(capsys):
    """``--opp`` for ``--op``: argparse alone says only that --op is required."""
    from reports.cli import OneLineParser

    parser = OneLineParser(prog="check")
    parser.add_argument("target")
    parser.add_argument("--op", required=True)
    parser.add_argument("--budget", type=float, default=1.0)
    with pytest.raises(SystemExit) as stopped:
        parser.parse_args(["f.py:g", "--opp", "dot"])
    assert stopped.value.code == 2
    assert capsys.readouterr().err == "check: unrecognized arguments: --opp\n"
    # abbreviations, values after "=", negative numbers and what follows "--" still parse
    options = parser.parse_args(["f.py:g", "--o=dot", "--bud", "-1.5"])
    assert (options.op, options.budget) == ("dot", -1.5)
    assert parser.parse_args(["--op", "dot", "--", "-x"]).target == "-x"
