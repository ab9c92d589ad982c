"""The benchmark suite end to end, on tiny sizes: what lands in the result file."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import INSTALLED, STUDENT

import kernels
from bench import ladders
from bench.conftest import KEPT_ROUNDS
from bench.run import compact, publish, results_dir, unique_path
from bench.test_slides import DOT_CALLS
from bench.threads import thread_counts
from kernels.ops import OPS
from reports.load import read_results
from reports.rules import median_interval

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def result_file(tmp_path_factory) -> Path:
    """A real, timed run of the dot benchmarks on the smoke ladder, with a budget so
    small that the pure-Python loops are predicted over it and recorded as not run."""
    path = tmp_path_factory.mktemp("bench") / "result.json"
    command = [
        sys.executable, "-m", "pytest", "bench", "--ladder=smoke", "-k", "test_op and dot",
        "--budget=1e-9", f"--benchmark-json={path}", "--benchmark-min-rounds=3",
        "--benchmark-max-time=0.001", "-q", "-p", "no:cacheprovider",
        "--benchmark-precision=0.03",  # as bench.run times: bench/sampling.py's rule
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return path


def _smoke_with_plugin(plugin: str, selection: str, path: Path) -> subprocess.CompletedProcess:
    """A smoke benchmark session of ``selection`` with the plugin ``plugin`` (tests/),
    writing ``path``: its finished process."""
    command = [
        sys.executable, "-m", "pytest", "bench", "--ladder=smoke", "-k", selection,
        "-p", plugin, f"--benchmark-json={path}", "--benchmark-min-rounds=3",
        "--benchmark-max-time=0.001", "-p", "no:cacheprovider", "--benchmark-precision=0.03",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False, env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done


def test_a_run_of_your_own_function_does_not_replace_the_lessons_page(tmp_path):
    """Without --out, the lesson's run writes reports/local/ and a --mine run
    reports/local/yours/: a student's own timing never replaces the class's page."""
    lesson = results_dir(None, None)
    yours = results_dir(None, "my_file.py:propagate")
    assert lesson == ROOT / "reports" / "local" / "results"
    assert yours == ROOT / "reports" / "local" / "yours" / "results"  # its page one up
    assert results_dir(tmp_path, "my_file.py:propagate") == tmp_path.resolve() / "results"


def test_the_load_average_is_the_one_when_the_run_starts(tmp_path):
    """The page's "busy machine" warning is about other programs before the run: the load
    is read when the run starts, not when pytest-benchmark saves, after the run's own
    threads have loaded the cores for its whole length."""
    import rising_load

    path = tmp_path / "result.json"
    _smoke_with_plugin("rising_load", "test_op and dot and numpy and float64", path)
    system = json.loads(path.read_text())["machine_info"]["vectorbench"]["system"]
    assert system["load_average"] == list(rising_load.QUIET)


def test_unsure_cases_are_timed_once_more_and_keep_their_narrower_attempt(tmp_path):
    """At the end of a run, each case whose median's interval is beyond the flag's limit
    (here every case: tests/retime_every_case.py), an op's or a training run's timed until
    sure, is timed once more; the file holds each case once, the attempt with the narrower
    interval, which counts its two attempts, and the course's record times the one kept.
    A training run of fixed rounds (the network's) keeps its one attempt."""
    path = tmp_path / "result.json"
    # two backends of an experiment, so that they are compared and recorded
    trained = "perceptron-python or perceptron-numpy or network_flower-numpy"
    done = _smoke_with_plugin(
        "retime_every_case", f"(test_op and dot and numpy) or (test_course and ({trained}))", path
    )
    data = json.loads(path.read_text())
    cases = data["benchmarks"]
    names = [case["fullname"] for case in cases]
    assert len(names) == len(set(names))
    (fixed,) = [case for case in cases if case["extra_info"].get("rounds") == "fixed"]
    assert fixed["extra_info"]["experiment"] == "network_flower"
    assert "attempts" not in fixed["extra_info"]
    retimed = [case for case in cases if case is not fixed]
    runs = data["vectorbench_course"]["experiments"]["perceptron"]["runs"]
    for case in retimed:
        if case["extra_info"]["kind"] == "course":
            time = runs.pop(case["extra_info"]["backend"])["time"]
            assert time["median_s"] == case["stats"]["median"]
            assert time["times_s"] == case["stats"]["data"]
            assert time["attempts"] == 2
    assert not runs  # each training run once, as timed by the attempt kept
    for case in retimed:
        info = case["extra_info"]
        low, high = info.get("median_ci") or median_interval(case["stats"]["data"])
        attempts = info["attempts"]
        assert len(attempts) == 2
        kept = (high - low) / 2 / case["stats"]["median"]
        assert kept == pytest.approx(min(attempts), rel=0.05, abs=1e-3)
    assert f"{len(retimed)} cases ended with their median's interval beyond ±5%" in done.stdout
    assert f"{len(retimed)} of them timed again" in done.stdout


def test_loops_and_engines_slower_than_the_reference_are_timed_again_beside_it(tmp_path):
    """At the end of a run, a compiled loop or an engine slower than NumPy beyond both
    intervals (here every one: tests/side_by_side_every_case.py) is timed again right after
    NumPy's case of the same op, dtype, threads and sizes; both keep that attempt and say
    beside what."""
    path = tmp_path / "result.json"
    selection = "test_op and dot and (numpy or numba or dask) and float64"
    done = _smoke_with_plugin("side_by_side_every_case", selection, path)
    data = json.loads(path.read_text())
    cases = data["benchmarks"]
    # the run records the rule it applied, and the page states it (reports/rules.py)
    assert "engine" in data["machine_info"]["vectorbench"]["side_by_side_roles"]
    names = [case["fullname"] for case in cases]
    assert len(names) == len(set(names))  # each case once
    others = {"numba", "numba_parallel", "dask"}
    slower = [c for c in cases if c["extra_info"]["backend"] in others]
    numpy = [c for c in cases if c["extra_info"]["backend"] == "numpy"]
    assert {c["extra_info"]["backend"] for c in slower} == others
    assert numpy
    for case in slower:
        assert case["extra_info"]["beside"] == "numpy"
        assert len(case["extra_info"]["attempts"]) == 2
    for case in numpy:
        assert set(case["extra_info"]["beside"].split(", ")) <= others
    noun = "case" if len(slower) == 1 else "cases"
    assert f"bench: {len(slower)} {noun} of compiled loops and engines slower" in done.stdout
    assert f"bench: {len(slower)} of them timed again" in done.stdout
    # the report names the attempt kept
    run = read_results([path])
    for backend in others:
        assert set(run.cases.loc[run.cases["backend"] == backend, "beside"]) == {"numpy"}


def test_a_case_left_slower_by_the_references_new_attempt_is_timed_with_its_group(tmp_path):
    """Timed again beside Numba's loop, NumPy's case may come out faster, and Dask's case,
    level before, slower than it minutes apart: the group is timed once more, NumPy first,
    Dask's case and Numba's with it (tests/side_by_side_then_another.py)."""
    path = tmp_path / "result.json"
    selection = "test_op and dot and float64 and t1 and (numpy or dask or numba-)"
    done = _smoke_with_plugin("side_by_side_then_another", selection, path)
    cases = json.loads(path.read_text())["benchmarks"]
    by_backend = {name: [c for c in cases if c["extra_info"]["backend"] == name]
                  for name in ("numpy", "numba", "dask")}  # fmt: skip
    sizes = len(by_backend["numpy"])  # one group per size of the smoke ladder
    assert sizes >= 1
    assert len(cases) == 3 * sizes
    assert all(len(found) == sizes for found in by_backend.values())
    noun = "case" if sizes == 1 else "cases"
    assert f"bench: {sizes} {noun} of compiled loops and engines slower" in done.stdout
    assert f"bench: {2 * sizes} cases slower than, or timed beside, a reference" in done.stdout
    assert f"bench: {2 * sizes} of them timed again" in done.stdout
    for case in by_backend["numba"]:  # first, beside NumPy, beside NumPy again
        assert len(case["extra_info"]["attempts"]) == 3
        assert case["extra_info"]["beside"] == "numpy"
    for case in by_backend["dask"]:  # first, beside NumPy
        assert len(case["extra_info"]["attempts"]) == 2
        assert case["extra_info"]["beside"] == "numpy"
    for case in by_backend["numpy"]:
        assert len(case["extra_info"]["attempts"]) == 3
        assert set(case["extra_info"]["beside"].split(", ")) == {"numba", "dask"}


class Attempt:
    """What ``_keep_the_narrower`` reads of one of pytest-benchmark's entries."""

    def __init__(self, times, has_error=False, extra_info=None):
        self.fullname, self.has_error = "bench/test_ops.py::test_op[case]", has_error
        self.stats, self.extra_info = type("Stats", (), {"data": times})(), extra_info or {}


def _case(backend, times, threads=1, op="dot", n=10**7, flops_per_element=1):
    info = {
        "op": op,
        "backend": backend,
        "dtype": "float64",
        "threads": threads,
        "sizes": {"n": n},
        "kind": "steady",
        "bytes": 16 * n,
        "flops": 2 * n * flops_per_element,
    }  # fmt: skip  (two vectors of n read)
    attempt = Attempt(times, extra_info=info)
    attempt.fullname = f"bench/test_ops.py::test_op[{op}-{backend}-t{threads}]"
    return attempt


def test_the_groups_are_the_loops_and_engines_slower_beyond_both_intervals():
    from bench.conftest import side_by_side_groups

    fast = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99]
    slow = [t * 1.2 for t in fast]
    level = [t * 1.005 for t in fast]
    numpy, numba, parallel = (
        _case("numpy", fast),
        _case("numba", slow),
        _case("numba_parallel", level),
    )
    dask = _case("dask", slow)  # an engine: retimed as well
    python = _case("python", slow)  # the loop over lists: the lesson's slow side, never
    other = _case("numba", slow, threads=2)  # no NumPy case at two threads: nothing to pair
    groups = side_by_side_groups([numpy, numba, parallel, dask, python, other])
    assert groups == [(numpy, [numba, dask])]
    assert side_by_side_groups([_case("numpy", slow), _case("numba", fast)]) == []
    # no surprise: below 10⁶ elements (a call's fixed costs), or many flops per element
    # (a product, where BLAS's blocking wins); at 10⁶ and 8 flops per element, one
    for n, flops, surprise in [(10**5, 1, False), (10**7, 16, False), (5 * 10**5, 8, True)]:
        pair = [_case("numpy", fast, n=n, flops_per_element=flops),
                _case("numba", slow, n=n, flops_per_element=flops)]  # fmt: skip
        assert bool(side_by_side_groups(pair)) is surprise, (n, flops)


@pytest.mark.parametrize("latest", ["sound", "raised", "cut short", "group cut short"])
def test_the_attempt_beside_the_reference_is_kept_if_sound(latest):
    from bench import sampling
    from bench.conftest import _keep_the_latest

    times = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99]
    before = _case("numba", [t * 1.3 for t in times])
    before.extra_info["attempts"] = [0.01, 0.02]  # two attempts already (retime_unsure)
    again = {
        "sound": _case("numba", times),
        "raised": Attempt([0.5], has_error=True),
        "cut short": _case("numba", times[: sampling.MIN_ROUNDS - 1]),
        # sound, but NumPy's case beside it was interrupted: not side by side
        "group cut short": _case("numba", times),
    }[latest]
    again.fullname = before.fullname
    bench_session = type("Session", (), {"benchmarks": [before, again]})()
    _keep_the_latest(bench_session, before, None if latest == "group cut short" else "numpy")
    (left,) = bench_session.benchmarks
    if latest == "sound":
        assert left is again
        assert left.extra_info["beside"] == "numpy"
        assert left.extra_info["attempts"][:2] == [0.01, 0.02]
        assert len(left.extra_info["attempts"]) == 3
    else:  # the attempt kept before stays, as it was
        assert left is before
        assert "beside" not in left.extra_info


@pytest.mark.parametrize(
    ("second", "kept", "listed"),
    [
        ("narrow", "second", 2),  # the narrower attempt wins, both listed
        ("wide", "first", 2),
        ("raised", "first", 1),  # an attempt that raised never replaces the first
        ("cut short", "first", 1),  # nor one interrupted before MIN_ROUNDS rounds
    ],
)
def test_the_narrower_sound_attempt_is_kept(second, kept, listed):
    from bench import sampling
    from bench.conftest import _keep_the_narrower

    wide = [1.0, 1.3, 0.8, 1.2, 0.9, 1.1, 1.0, 1.25, 0.85]
    narrow = [1.0, 1.01, 0.99, 1.0, 1.02, 0.98, 1.0, 1.01, 0.99]
    first = Attempt([*wide[:-1], 1.4])
    attempts = {
        "narrow": Attempt(narrow),
        "wide": Attempt([*(t * 1.5 for t in wide[:-1]), 3.0]),
        "raised": Attempt([0.5], has_error=True),
        "cut short": Attempt(narrow[: sampling.MIN_ROUNDS - 1]),
    }
    bench_session = type("Session", (), {"benchmarks": [first, attempts[second]]})()
    sure = _keep_the_narrower(bench_session, first)
    (left,) = bench_session.benchmarks
    assert left is (first if kept == "first" else attempts[second])
    assert len(left.extra_info["attempts"]) == listed
    assert left.extra_info["attempts"][0] == round(sampling.half_width(first.stats.data), 4)
    assert sure == (second == "narrow")


def test_every_case_carries_its_conditions(result_file):
    data = json.loads(result_file.read_text())
    timer_resolution = data["machine_info"]["vectorbench"]["timer"]["resolution_s"]
    expected_cases = {
        (backend, dtype, threads, n)
        for n in ladders.LADDERS["smoke"]["vector"]
        for dtype in ladders.dtypes_of("dot")
        for backend in INSTALLED
        if not kernels.BACKENDS[backend].interpreted(OPS["dot"])
        and "dot" in kernels.get(backend).own_ops
        for threads in thread_counts(backend)
    }
    seen = set()
    for benchmark in data["benchmarks"]:
        info = benchmark["extra_info"]
        assert info["op"] == "dot"
        assert benchmark["params"]["op"] == "dot"
        sizes = info["sizes"]
        itemsize = 4 if info["dtype"] == "float32" else 8
        assert info["flops"] == OPS["dot"].flops(sizes)
        assert info["bytes"] == OPS["dot"].bytes_moved(sizes, itemsize)
        assert benchmark["stats"]["rounds"] >= 3
        assert benchmark["stats"]["median"] > 0
        data = benchmark["stats"]["data"]  # the per-round times, for later re-analysis
        assert len(data) == min(benchmark["stats"]["rounds"], KEPT_ROUNDS)
        # the median's interval, recorded from every round, brackets the median
        low, high = info["median_ci"]
        assert low <= benchmark["stats"]["median"] <= high
        tick = timer_resolution / benchmark["stats"]["iterations"]  # what rounding moves
        if len(data) == benchmark["stats"]["rounds"]:  # every round kept, rounded to the timer
            assert (low, high) == pytest.approx(median_interval(data), abs=tick)
        if len(data) == benchmark["stats"]["rounds"]:  # all kept: the same to a tick
            assert min(data) == pytest.approx(benchmark["stats"]["min"], abs=tick)
        assert min(data) >= benchmark["stats"]["min"] - tick
        # a case on more than one thread waited for the other pools to stop spinning
        assert ("settled_s" in info) == (info["threads"] > 1)
        seen.add((info["backend"], info["dtype"], info["threads"], sizes["n"]))
        assert "options" not in benchmark  # the same for every case: stored once, below
    assert seen == expected_cases
    machine = json.loads(result_file.read_text())["machine_info"]["vectorbench"]
    options = machine["benchmark_options"]
    assert options["min_rounds"] == 3  # the command's own options
    assert options["max_time"] == 0.001


def test_options_are_stored_once_only_where_every_case_has_the_same():
    from bench.conftest import _options_once

    def run(*options):
        cases = [{"name": f"case{k}", "options": dict(o)} for k, o in enumerate(options)]
        return {"machine_info": {"vectorbench": {}}, "benchmarks": cases}

    same = run({"min_rounds": 12}, {"min_rounds": 12})
    _options_once(same)
    assert same["machine_info"]["vectorbench"]["benchmark_options"] == {"min_rounds": 12}
    assert all("options" not in case for case in same["benchmarks"])
    differ = run({"min_rounds": 12}, {"min_rounds": 6})
    _options_once(differ)
    assert "benchmark_options" not in differ["machine_info"]["vectorbench"]
    assert [case["options"]["min_rounds"] for case in differ["benchmarks"]] == [12, 6]


def test_slow_cases_are_recorded_as_not_run(result_file):
    data = json.loads(result_file.read_text())
    not_run = data["vectorbench_not_run"]
    interpreted = {name for name in INSTALLED if kernels.BACKENDS[name].interpreted(OPS["dot"])}
    assert {case["backend"] for case in not_run} == interpreted
    assert len(not_run) == len(ladders.LADDERS["smoke"]["vector"]) * len(OPS["dot"].dtypes) * len(
        interpreted
    )
    for case in not_run:
        assert case["predicted_s"] > 1e-9
        assert "over the 1e-09 s budget" in case["reason"]


def test_machine_conditions_are_stored(result_file):
    info = json.loads(result_file.read_text())["machine_info"]["vectorbench"]
    assert info["cpu"]["logical_cores"] >= 1
    assert info["threads"]["numba_threading_layer"]
    assert info["versions"]["numpy"]
    # which scheduler ran the dask backend (Dask's threads by default), with its size
    assert info["dask"]["scheduler"] == "threads"
    assert info["dask"]["threads"] >= 1
    assert info["timer"]["resolution_s"] > 0
    for limit in ("read_GBps", "triad_GBps", "peak_GFLOPs"):
        assert all(value > 0 for value in info["limits"][limit].values())


def test_the_code_is_recorded_as_it_was_when_the_run_started(result_file, monkeypatch):
    """The run records the commit it started from, read when pytest is configured: an
    edit saved half-way through a 40-minute run must not mark its results dirty."""
    info = json.loads(result_file.read_text())["machine_info"]["vectorbench"]
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    if head.returncode == 0:  # a source tree without git records None
        assert info["git"]["commit"] == head.stdout.strip()
    from bench import machine

    monkeypatch.setattr(machine, "git_state", lambda: {"commit": "at-the-end", "dirty": True})
    at_start = {"commit": "at-the-start", "dirty": False}
    assert machine.describe(quick=True, limits={}, git=at_start)["git"] == at_start


def test_result_is_readable_by_pytest_benchmark_compare(result_file, tmp_path):
    """As pytest-benchmark wrote it, and as bench.run publishes it (compacted)."""
    compacted = tmp_path / "compacted.json"
    shutil.copy(result_file, compacted)
    compact(compacted)
    assert json.loads(compacted.read_text()) == json.loads(result_file.read_text())
    assert compacted.stat().st_size < 0.7 * result_file.stat().st_size
    assert [p.name for p in tmp_path.iterdir()] == ["compacted.json"]  # no temporary left
    cli = Path(sys.executable).parent / "pytest-benchmark"  # installed with pytest-benchmark
    for path in (result_file, compacted):
        done = subprocess.run(
            [str(cli), "compare", str(path)], capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        assert "test_op[dot-numpy-float64-t1-n17]" in done.stdout


def test_publishing_never_overwrites(tmp_path):
    (tmp_path / "run.json").write_text("earlier")
    partial = tmp_path / ".partial-run.json"
    partial.write_text("new")
    published = publish(partial, "run")
    assert published.name == "run-2.json"
    assert (tmp_path / "run.json").read_text() == "earlier"
    assert published.read_text() == "new"
    assert not partial.exists()
    assert unique_path(tmp_path, "run").name == "run-3.json"


def test_progress_estimates_the_time_left_from_the_rate_so_far():
    from bench.progress import EARLIEST_ESTIMATE_S, Progress

    progress = Progress.__new__(Progress)
    progress.after = 0.0
    progress.weights = {"a": 1.0, "b": 3.0, "c": 6.0}
    progress.done, progress.done_weight = 1, 1.0
    # one unit of weight took 50 s: the 9 units left take about 450 s
    assert progress.line(50.0) == "bench: 1/3 cases done, about 8 min left"
    progress.done, progress.done_weight = 2, 4.0
    assert progress.line(1200.0) == "bench: 2/3 cases done, about 30 min left"
    # too early to tell: the cases done, no time left
    assert progress.line(EARLIEST_ESTIMATE_S - 1) == "bench: 2/3 cases done"


def test_progress_rates_the_weighed_cases_only_without_start_up_or_compiling(monkeypatch):
    """pytest's start, the slides' demo (no weight of its own) and compiling ahead inside
    a case's set-up are left out of the rate: only the seconds inside weighed cases."""
    from types import SimpleNamespace

    from bench import progress as progress_module

    clock = [100.0]  # pytest's start-up: the plugin is made 100 s before any case
    monkeypatch.setattr(progress_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    progress = progress_module.Progress(SimpleNamespace(), budget=1.0, after=30.0)
    progress.weights = {"demo": None, "a": 2.0, "b": 2.0, "c": 4.0}
    said = []
    monkeypatch.setattr(progress, "say", said.append)

    monkeypatch.setattr(progress_module, "EARLIEST_ESTIMATE_S", 0.0)

    def case(nodeid, seconds, compiling=0.0):
        progress.pytest_runtest_logstart(nodeid)
        clock[0] += compiling
        if compiling:
            progress.paused(compiling)
        clock[0] += seconds
        progress.pytest_runtest_logfinish(nodeid)

    clock[0] += 100.0
    case("demo", 30.0)  # the slides' demo: 30 s, no weight
    case("a", 4.0, compiling=40.0)  # 40 s compiling ahead, then 4 s of timing
    assert progress.spent == pytest.approx(4.0)
    assert (progress.done, progress.done_weight) == (2, 2.0)
    # 2 units took 4 s: the 6 units left take about 12 s (not 174 s × 3), then the 30 s of
    # second attempts at the end
    assert progress.line(progress.spent) == "bench: 2/4 cases done, about 42 s left"
    assert said == []  # none after the demo (nothing to estimate from) or the compiling
    progress.last = -1e9  # the next case is due a line
    case("b", 4.0)
    assert said == ["bench: 3/4 cases done, about 38 s left"]


def test_progress_weighs_every_course_case_by_its_parameters_as_stored():
    # the course's cases are parametrized by the experiment's name (stored as JSON);
    # the weight reads the experiment it names (the progress plugin runs on the lesson
    # and full ladders only, so the smoke runs of the tests never call it)
    from bench import course
    from bench.progress import course_weight

    for ladder in ("lesson", "full"):
        for name in course.BY_NAME:
            for backend in ("python", "numba"):
                assert course_weight(name, backend, ladder) > 0


def test_progress_weighs_a_compiled_case_by_its_roofline():
    """A compiled call is predicted from its bytes or its FLOPs, whichever takes longer: the
    network's product at h = 1024 by its 3.2 GFLOP, `dot` at 10⁷ by its 160 MB."""
    from types import SimpleNamespace

    from bench.progress import BYTES_PER_S, FLOPS_PER_S, case_weight

    def weight(op, backend, sizes):
        params = {"op": op, "backend": backend, "sizes": sizes}
        return case_weight(SimpleNamespace(callspec=SimpleNamespace(params=params)), 0.0, 6, 2.0)

    network = {"m": 1000, "n": 784, "h": 1024}
    flops = OPS["mlp_forward"].flops(network)
    assert weight("mlp_forward", "numba", network) == pytest.approx(6 * flops / FLOPS_PER_S)
    dot = {"n": 10**7}
    assert weight("dot", "numpy", dot) == pytest.approx(6 * 16 * 10**7 / BYTES_PER_S, rel=1e-6)
    assert weight("dot", "python", {"n": 10**8}) == pytest.approx(6 * 2.0)  # the budget caps it


def test_machine_state_is_recorded():
    from bench.machine import system_state

    state = system_state()
    keys = {"governor", "max_frequency_khz", "load_average", "running_others", "memory"}
    assert set(state) == keys
    if state["memory"] is not None:
        assert state["memory"]["total_bytes"] > 2**20
    if state["load_average"] is not None:
        assert len(state["load_average"]) == 3


def test_the_threads_running_are_counted_where_the_load_average_is_at_the_cores(monkeypatch):
    """A load average at the cores may be a program that has just ended: then what runs
    now is counted too (not otherwise: it takes half a second)."""
    from bench import machine

    monkeypatch.setattr(machine.os, "getloadavg", lambda: (9.0, 5.0, 2.0))
    state = machine.system_state()
    if Path("/proc/stat").exists():
        assert isinstance(state["running_others"], float)
        assert state["running_others"] >= 0
    monkeypatch.setattr(machine.os, "getloadavg", lambda: (0.25, 0.5, 0.75))
    assert machine.system_state()["running_others"] is None
    # read from /proc/stat's procs_running, less the reading process itself
    monkeypatch.setattr(machine, "_read", lambda path: "cpu 1 2 3\nprocs_running 4\n")
    assert machine.running_others(samples=3, every_s=0) == 3.0


# pytest's collection of the op cases in a fresh process, every ladder in the same one:
# a process of its own per ladder paid the start-up (pytest, and the import of every
# backend's libraries to parametrize the cases: ~7 s) three times.
COLLECT = """
import json, sys, pytest

class Cases:
    def pytest_collection_finish(self, session):
        self.ids = [item.nodeid for item in session.items]

collected = {}
for ladder in sys.argv[1:]:
    cases = Cases()
    status = pytest.main(
        ["bench", f"--ladder={ladder}", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-k", "test_op"],
        plugins=[cases],
    )
    if status != 0:
        sys.exit(f"collecting the {ladder} ladder: pytest exited with {status}")
    collected[ladder] = cases.ids
print(json.dumps(collected))
"""


@pytest.fixture(scope="module")
def collected() -> dict[str, set[str]]:
    """The ids of the op cases a run of each ladder would time."""
    command = [sys.executable, "-c", COLLECT, *ladders.LADDERS]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    ids = json.loads(done.stdout.splitlines()[-1])
    return {
        ladder: {nodeid.split("[", 1)[1] for nodeid in ids[ladder] if "test_op[" in nodeid}
        for ladder in ladders.LADDERS
    }


def test_every_op_is_benchmarked_on_every_backend(collected):
    """The benchmarks iterate the catalogue: no op or backend is silently never timed; a
    variant is timed on the ops it computes its own way, and a backend kept for the full
    run (the BLAS ladder's steps) by the full run only."""
    for op, spec in OPS.items():
        for backend in INSTALLED:
            own = kernels.BACKENDS[backend].in_lesson and op in kernels.get(backend).own_ops
            for dtype in spec.dtypes:
                threads = thread_counts(backend)[0]  # 1, or all cores for a fixed pool
                prefix = f"{op}-{backend}-{dtype}-t{threads}-"
                timed = any(case.startswith(prefix) for case in collected["smoke"])
                assert timed is own, (op, backend, dtype)


@pytest.mark.parametrize("ladder", ["lesson", "full"])
def test_a_backend_of_some_ops_is_timed_for_those_by_the_full_run_only(ladder, collected):
    """The BLAS ladder's steps: mlp_gradient at every size and dtype of the full run, in
    one thread (they are one-thread loops); nothing in the lesson's run."""
    partial = [name for name, spec in kernels.BACKENDS.items() if spec.ops is not None]
    assert partial, "no backend of some ops: this test would check nothing"
    timed = {}
    for case in collected[ladder]:
        op, backend, dtype, threads, shape = case.rstrip("]").split("-", 4)
        timed.setdefault(backend, set()).add((op, dtype, threads, shape))
    for name in partial:
        if ladder == "lesson":
            assert name not in timed
            continue
        assert {op for op, *_ in timed[name]} == {"mlp_gradient"}
        assert {t for _, _, t, _ in timed[name]} == {"t1"}
        numba = {case for case in timed["numba"] if case[0] == "mlp_gradient"}
        assert timed[name] == numba  # every size and dtype the numba loop is timed at


@pytest.mark.parametrize("cache_mib", [32, 260, 1024])
@pytest.mark.parametrize("ladder", ["full", "lesson"])
def test_the_largest_case_is_out_of_the_cache(cache_mib, ladder):
    cache, memory = cache_mib * 2**20, 24 * 2**30
    for op, spec in OPS.items():
        sizes = list(ladders.sizes_of(op, ladder, cache, memory))
        if ladders.family(spec) == "network":  # swept in h, not grown: see bench/ladders.py
            assert sizes == list(ladders.sizes_of(op, ladder))
            assert {s["h"] for s in sizes} >= {1, 1024}
            continue
        top = spec.bytes_moved(sizes[-1], 8)
        assert top <= ladders.MEMORY_SHARE * memory, (op, sizes[-1])
        if top < ladders.OUT_OF_CACHE[ladder] * cache:  # only where the next step would not fit
            first = spec.size_names[0]
            larger = next(ladders._round_above(tuple(sizes[-1].values())))
            larger = dict(zip(spec.size_names, larger, strict=True))
            assert spec.bytes_moved(larger, 8) > ladders.MEMORY_SHARE * memory, (op, larger)
        base = list(ladders.sizes_of(op, ladder))
        assert sizes[: len(base)] == base  # grown, never reshaped
        if ladder == "lesson":
            assert len(sizes) - len(base) <= 1
            if len(sizes) > len(base):  # the smallest round size out: one less is not out
                first = spec.size_names[0]
                m = sizes[-1][first]
                unit = 10 ** max(0, len(str(m)) - ladders.STEP_OUT_DIGITS)
                smaller = {**sizes[-1], first: m - unit}
                assert spec.bytes_moved(smaller, 8) < ladders.OUT_OF_CACHE[ladder] * cache


def test_a_full_runs_share_keeps_the_lessons_sizes_or_the_next_larger():
    """A full run holds the lesson's step out of the cache only where the two ladders
    meet; its share file keeps the run's first size at or past it, whichever rule grew
    the run's ladder (an older run's third-decade steps too)."""
    cache, memory = 300 * 2**20, 24 * 2**30
    for op in OPS:
        lesson = list(ladders.sizes_of(op, "lesson", cache, memory))
        full = list(ladders.sizes_of(op, "full", cache, memory))
        kept = list(ladders.lesson_sizes_in(op, full, cache, memory))
        assert len(kept) == len(lesson)
        assert all(sizes in full for sizes in kept)
        first = OPS[op].size_names[0]
        assert all(k[first] >= s[first] for k, s in zip(kept, lesson, strict=True))
    full = list(ladders.sizes_of("dot", "full", cache, memory))
    assert list(ladders.sizes_of("dot", "lesson", cache, memory))[-1] == {"n": 40_000_000}
    assert list(ladders.lesson_sizes_in("dot", full, cache, memory))[-1] == {"n": 79_000_000}
    older = [*full[:-1], {"n": 100_000_000}]  # before the last step stopped at 4x
    assert list(ladders.lesson_sizes_in("dot", older, cache, memory))[-1] == {"n": 100_000_000}
    # where memory stopped the full ladder short of the lesson's step: its largest
    stopped = [s for s in full if s["n"] <= 30_000_000]
    assert list(ladders.lesson_sizes_in("dot", stopped, cache, memory))[-1] == {"n": 30_000_000}


@pytest.mark.parametrize("ladder", ["full", "lesson"])
def test_where_memory_stops_the_step_out_the_ladder_goes_as_far_as_it_allows(ladder):
    """On a 300 MiB L3 with 2 GiB free, 2x the cache does not fit in a quarter of the
    memory: the top is the largest two-digit size that does, not the ladder's base."""
    cache, memory = 300 * 2**20, 2 * 2**30
    for op in ("dot", "perceptron_epoch", "logistic_gradient"):
        spec = OPS[op]
        top = list(ladders.sizes_of(op, ladder, cache, memory))[-1]
        assert spec.bytes_moved(top, 8) <= ladders.MEMORY_SHARE * memory
        larger = next(ladders._round_above(tuple(top.values())))
        larger = dict(zip(spec.size_names, larger, strict=True))
        assert spec.bytes_moved(larger, 8) > ladders.MEMORY_SHARE * memory, (op, top)


def test_a_last_step_just_past_the_one_before_replaces_it():
    """On a 115 MiB L3 the full ladder's third-decade steps reach 3·10⁷ just short of 4x
    the cache for `dot`: its last step, 3.1·10⁷, replaces 3·10⁷ rather than follow it."""
    sizes = [s["n"] for s in ladders.sizes_of("dot", "full", 115 * 2**20, 24 * 2**30)]
    assert sizes[-2:] == [10_000_000, 31_000_000]
    for cache_mib in range(8, 1100, 7):
        for op, spec in OPS.items():
            sizes = ladders.sizes_of(op, "full", cache_mib * 2**20, 2**35)
            footprints = [spec.bytes_moved(s, 8) for s in sizes]
            assert footprints == sorted(set(footprints)), (op, cache_mib)


def test_the_ladder_stops_within_the_memory():
    cache, memory = 2**30, 8 * 2**30  # 4 GiB of inputs wanted, 2 GiB allowed
    for op, spec in OPS.items():
        top = list(ladders.sizes_of(op, "full", cache, memory))[-1]
        assert spec.bytes_moved(top, 8) <= ladders.MEMORY_SHARE * memory, op


def test_the_memory_probe_is_out_of_the_cache():
    from bench.limits import probe_bytes

    assert probe_bytes(32 * 2**20, 24 * 2**30) == 128 * 2**20
    assert probe_bytes(260 * 2**20, 24 * 2**30) == 4 * 260 * 2**20
    assert probe_bytes(None, None) == 80 * 2**20
    assert probe_bytes(4 * 2**30, 6 * 2**30) == 2**29  # three arrays in a quarter of 6 GiB


def test_the_slides_demo_is_timed_both_ways(tmp_path):
    """The slide's code in a fresh interpreter with its one time.time() pair, and the same
    loop and np.dot as median of rounds; the report builder reads both."""
    from reports.load import read_results

    path = tmp_path / "slides.json"
    command = [
        sys.executable, "-m", "pytest", "bench", "--ladder=smoke",
        "-k", "slides or (test_op and dot and numba and not parallel)",
        f"--benchmark-json={path}", "-q", "-p", "no:cacheprovider", "--benchmark-max-time=0.001",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    slides = read_results([path]).slides
    assert slides["n"] == 1_000
    assert (
        set(slides["slides_way_ms"])
        == set(slides["suite_way"])
        == {
            "np.dot",
            "for loop over NumPy arrays",
        }
    )
    loop = slides["suite_way"]["for loop over NumPy arrays"]
    assert loop["median_s"] > slides["suite_way"]["np.dot"]["median_s"] > 0
    # a round of np.dot is many calls (a call alone is too short to time), the loop's one
    calls = {
        entry["extra_info"]["variant"]: entry["stats"]["iterations"]
        for entry in json.loads(path.read_text())["benchmarks"]
        if entry["extra_info"].get("kind") == "slides"
    }
    assert calls == {"np.dot": DOT_CALLS, "for loop over NumPy arrays": 1}


def test_the_slides_demo_alone_is_stored(tmp_path):
    """`-k student` runs no benchmark fixture, so pytest-benchmark writes no file: the
    suite writes it (bench/conftest.py), and bench.run stores it, the slides' demo in it
    (what its report shows: tests/test_reports.py, a selection without an op case)."""
    from reports.load import read_results

    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "bench.run", "--out", str(out), "--no-report", "--ladder=smoke",
        "-k", "student",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "bench: no share file:" in done.stdout  # no op case to share: said, no failure
    assert "bench: timing the smoke ladder;" in done.stdout  # the ladder asked for, named
    stored = list((out / "results").iterdir())
    assert len(stored) == 1, stored
    run = read_results(stored)
    assert run.cases.empty
    assert run.slides["slides_way_ms"]["for loop over NumPy arrays"] > 0
    assert run.slides["suite_way"] == {}


def test_a_vectorized_student_function_is_predicted_by_its_cost_per_call_and_per_element():
    """A student's vectorized function costs about the same per call at the calibration
    size and at ten times it: its time at the top of the ladder is that per call, plus
    NumPy's per element, not the small size's time scaled by the elements."""
    import time

    from bench.yours import cost_per_call_and_element, predicted_seconds
    from kernels import numpy_vectorized

    def mine(w, b, X, y):  # a fixed 2 ms per call, then NumPy's work
        time.sleep(0.002)
        return numpy_vectorized.logistic_gradient(w, b, X, y)

    per_call, per_element = cost_per_call_and_element(mine, "logistic_gradient")
    assert 0.0015 < per_call < 0.02
    assert per_element < per_call / 2000  # at the calibration size, the call is most of it
    # at 10⁵ × 100 (10⁷ elements), what the ladder decides by: the old scaling said
    # 2 ms × 10⁷ / 2000 = 10 s, over every budget
    assert predicted_seconds(mine, "logistic_gradient", {"m": 10**5, "n": 100}) < 0.5


def test_a_student_function_is_timed_and_shown_in_the_headline_and_the_sweep(tmp_path):
    """bench.run --mine: checked, timed beside NumPy and the loop on the smoke ladder,
    stored as one more backend, and drawn in the headline and in the op's sweep."""
    from reports import analysis
    from reports.figures import headline_figure, time_figure
    from reports.load import read_results
    from reports.style import Style
    from reports.table import tidy_table
    from reports.yours import mine_of, reading

    (tmp_path / "my_file.py").write_text(STUDENT, encoding="utf-8")
    out = tmp_path / "out"
    selection = "test_op and logistic_gradient and (python or numpy or mine)"
    command = [
        sys.executable, "-m", "bench.run", "--mine", "my_file.py:propagate",
        "--op", "logistic_gradient", "--label", "mine", "--out", str(out), "--no-report",
        "--ladder=smoke", "-k", selection, "-q",
    ]  # fmt: skip
    # in a process of its own, from where the student is (the file given relative to it)
    done = subprocess.run(
        command,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "bench: propagate passes logistic_gradient: 14 cases" in done.stdout
    # the result file, and no share file: a class page sets whole runs side by side
    assert "bench: no share file for a run of your own function" in done.stdout
    stored = [line for line in done.stdout.splitlines() if "results stored in" in line]
    assert len(stored) == 1
    assert stored[0].endswith(" op cases timed") or "not run (their reasons" in stored[0]
    assert "a whole `nox -s bench`'s" in done.stdout
    assert not list(out.rglob("share-*.json"))
    (path,) = (out / "results").glob("*.json")
    result = read_results([path])
    assert mine_of(result) == {
        "target": f"{tmp_path / 'my_file.py'}:propagate",
        "function": "propagate",
        "op": "logistic_gradient",
        "label": "mine",
    }
    assert result.catalogue["backends"]["mine"]["colour"] == "#000000"
    table = tidy_table(result)
    mine = table[table["backend"] == "mine"]
    assert set(mine["status"]) == {"ok"}
    assert len(mine) == len(list(ladders.sizes_of("logistic_gradient", "smoke"))) * 2
    line = reading(table, "propagate", "mine", result.catalogue)
    assert line.startswith("`propagate` (mine) is ")
    assert line.endswith(("faster", "slower", "level"))
    look = Style.of(result.catalogue)
    head = analysis.headline(table, "logistic_gradient", look=look)
    headline = headline_figure(head, look)
    assert "mine, 1 thread" in [label.get_text() for label in headline.axes[0].get_yticklabels()]
    sweep = time_figure(table, "logistic_gradient", look)
    drawn = {line.get_label() for ax in sweep.axes for line in ax.get_lines()}
    assert "mine, 1 thread" in drawn


def test_a_student_function_that_fails_the_check_is_not_timed(tmp_path, capsys):
    from bench import run

    (tmp_path / "my_file.py").write_text(STUDENT, encoding="utf-8")
    target = f"{tmp_path / 'my_file.py'}:summed"
    out = tmp_path / "out"
    assert run.main(["--mine", target, "--op", "logistic_gradient", "--out", str(out)]) == 1
    assert run.main(["--mine", target, "--op", "propagate", "--out", str(out)]) == 2
    assert run.main(["--mine", target, "--op", "dot", "--label", "numpy"]) == 2
    captured = capsys.readouterr()
    assert "sum against mean: dw is m = 9 times too large" in captured.out
    assert captured.err.splitlines() == [
        "bench: a function that fails the check is not timed",
        "bench: --op: unknown op 'propagate'; choose one of dot, logistic_forward, "
        "logistic_cost, logistic_backward, logistic_gradient, adaline_gd_epoch, "
        "adaline_sgd_epoch, perceptron_epoch, mlp_forward, mlp_gradient",
        "bench: --label: 'numpy' is a backend's name; choose another",
    ]
    assert not out.exists()  # nothing timed, nothing written


def test_consecutive_problems_of_one_shape_share_their_features():
    """The lesson's problems run family by family, then by dtype and size, so the ops that
    take X of one shape and dtype follow one another; within ``features_shared`` they get
    one X, made once, and outside it equal values in an array of their own."""
    from bench.conftest import _problems
    from kernels.ops import OPS, features_shared

    problems = _problems("lesson")
    assert len(problems) == len({(op, tuple(s.items()), dtype) for op, s, dtype in problems})
    matrix = [
        p for p in problems if OPS[p[0]].size_names == ("m", "n") and not OPS[p[0]].sequential
    ]
    first = problems.index(matrix[0])
    assert problems[first : first + len(matrix)] == matrix  # one run of consecutive problems
    shapes = [(tuple(s.values()), dtype) for _, s, dtype in matrix]
    changes = sum(1 for a, b in itertools.pairwise(shapes) if a != b)
    assert changes == len(set(shapes)) - 1  # each shape and dtype once, its ops together

    sizes = {"m": 50, "n": 7}
    with features_shared():
        X_forward = kernels.make_inputs("logistic_forward", sizes, "float32")[2]
        X_gradient = kernels.make_inputs("logistic_gradient", sizes, "float32")[2]
    assert X_forward is X_gradient
    X_alone = kernels.make_inputs("logistic_gradient", sizes, "float32")[2]
    assert X_alone is not X_gradient
    np.testing.assert_array_equal(X_alone, X_gradient)
    X_other_seed = kernels.make_inputs("logistic_gradient", sizes, "float32", seed=1)[2]
    assert not np.array_equal(X_other_seed, X_gradient)


def test_the_lesson_times_a_training_run_until_sure_and_records_how(tmp_path):
    """On the lesson ladder a short training run is timed as the ops are (at least
    MIN_ROUNDS rounds, more until the median is known, within the caps the file records);
    the file names the experiments timed a fixed number of rounds instead (the network's
    long runs: ``test_the_course_section_states_the_rule_its_runs_were_timed_by``)."""
    from bench import course, sampling
    from bench.conftest import QUICK_PROBE

    path = tmp_path / "course.json"
    command = [
        sys.executable, "-m", "pytest", "bench", "--ladder=lesson", "-k",
        "test_course and (numpy or numba) and not parallel and perceptron and not nonseparable",
        f"--benchmark-json={path}", "-q", "-p", "no:cacheprovider",
    ]  # fmt: skip
    env = {**os.environ, QUICK_PROBE: "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    results = json.loads(path.read_text())["vectorbench_course"]
    timer = results["timer"]
    assert timer["repeats"] == sampling.MIN_ROUNDS
    assert timer["until_sure"] == {
        "target": sampling.TARGET, "max_time_s": course.MAX_TIME_S["lesson"],
        "at_least_rounds": sampling.CAP_ROUNDS_AT_LEAST, "case_s": course.CASE_S["lesson"],
        "second_attempt_beyond": sampling.INTERVAL_LIMIT,
    }  # fmt: skip
    assert timer["fixed_rounds"] == {
        name: experiment.rounds["lesson"]
        for name, experiment in course.BY_NAME.items()
        if experiment.rounds is not None
    }
    assert "network_flower" in timer["fixed_rounds"]
    runs = results["experiments"]["perceptron"]["runs"]
    assert set(runs) == {"numpy", "numba"}
    cases = json.loads(path.read_text())["benchmarks"]
    assert {case["extra_info"]["rounds"] for case in cases} == {"until sure"}
    for run in runs.values():
        time = run["time"]
        # every round kept (at most KEPT_ROUNDS are run), the page's median theirs
        assert sampling.MIN_ROUNDS <= time["repeats"] == len(time["times_s"]) <= KEPT_ROUNDS
        cap = sampling.rounds_cap(
            time["median_s"], course.MAX_TIME_S["lesson"], sampling.CAP_ROUNDS_AT_LEAST,
            course.CASE_S["lesson"],
        )  # fmt: skip
        # stopped by the rule: sure, or at about its cap (set by the median at each check)
        assert sampling.sure(time["times_s"]) or time["repeats"] <= 2 * cap


def test_the_first_line_names_only_the_parts_of_the_run_selected():
    from types import SimpleNamespace

    from bench.progress import plan

    def items(*nodeids):
        return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]

    whole = items(
        "bench/test_slides.py::test_the_slide_as_a_student_runs_it",
        "bench/test_ops.py::test_op[dot-numpy-float64-t1-n10]",
        "bench/test_course.py::test_course[x]",
        "bench/test_ops.py::test_jit_compile_cost",
    )
    assert plan(whole) == (
        "; the slides' demo first, then the ops, family by family (compiled before a "
        "backend's first case is timed), the course, and the compile costs"
    )
    mine = items("bench/test_ops.py::test_op[logistic_gradient-mine-float64-t1-m10-n100]")
    assert plan(mine) == (
        ": the ops, family by family (compiled before a backend's first case is timed)"
    )
    assert plan(whole[2:]) == "; the course first, then the compile costs"
    assert plan([]) == ""


def test_the_stored_line_counts_the_op_cases_as_the_report_does():
    from types import SimpleNamespace

    from bench.run import counted

    assert counted(SimpleNamespace(cases=(1,), not_run=())) == "1 op case timed"
    assert counted(SimpleNamespace(cases=(1, 2), not_run=(3,))) == (
        "2 op cases timed, 1 not run (their reasons are in the report)"
    )
