"""pytest-benchmark configuration: the ladder, the time budget, and what the JSON carries.

Options: ``--ladder lesson|full|smoke`` (see ``bench/ladders.py``); ``--budget``, the
predicted seconds per call above which a slow case (the Python loops, NumPy's
per-sample loops) is recorded as not run instead of being timed; ``--dask-scheduler``,
where the dask backend computes (threads, local, or a scheduler's address).

The hooks add to pytest-benchmark's JSON: the machine's conditions and measured limits
under ``machine_info["vectorbench"]``, and the lists ``vectorbench_not_run`` and
``vectorbench_jit`` (``bench/records.py``).
"""

from __future__ import annotations

import math
import os
import sys
import time

import pytest

import kernels
from bench import ladders, options, records, sampling
from bench.machine import (
    all_cores,
    available_memory_bytes,
    describe,
    git_state,
    last_level_cache_bytes,
    machine_slug,
    system_state,
)
from bench.progress import Progress
from bench.threads import load_own_openmp, thread_counts

# The lesson's budget lets the Python loop run the slides' n = 10⁶ dot product (about
# 0.1 s a call), the case its headline is about.
DEFAULT_BUDGET_S = {"full": 0.5, "lesson": 0.2, "smoke": 1.0}
KEPT_ROUNDS = 200  # per-round times stored per case


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("vectorbench")
    group.addoption(
        "--ladder",
        choices=sorted(ladders.LADDERS),
        default="lesson",
        help="problem sizes to run: lesson (minutes), full (every size) or smoke (tiny, for tests)",
    )
    group.addoption(
        "--budget",
        type=options.budget_seconds,
        default=None,
        help="seconds per call above which a predicted-slow case is not run "
        f"(default per ladder: {DEFAULT_BUDGET_S})",
    )
    group.addoption(
        "--course-budget",
        type=options.budget_seconds,
        default=None,
        help="seconds per training run above which a predicted-slow run of the course's "
        "hidden-size sweep is not run (default per ladder: see bench/course.py BUDGET_S)",
    )
    group.addoption(
        "--mine",
        default=None,
        metavar="FILE.py:FUNCTION",
        help="time a function of your own beside the backends, for the op of --mine-op",
    )
    group.addoption("--mine-op", default=None, help="the op your function computes")
    group.addoption("--mine-label", default="yours", help="its name in the results")
    group.addoption(
        "--dask-scheduler",
        type=options.dask_scheduler,
        default="threads",
        help="where the dask backend computes: threads (Dask's threaded scheduler, the "
        "default), local (a dask.distributed cluster on this machine) or the address of "
        "a running scheduler, e.g. tcp://HOST:8786",
    )


def ladder(config: pytest.Config) -> str:
    return config.getoption("--ladder")


def budget(config: pytest.Config) -> float:
    value = config.getoption("--budget")
    return DEFAULT_BUDGET_S[ladder(config)] if value is None else value


def course_budget(config: pytest.Config) -> float | None:
    from bench.course import BUDGET_S

    value = config.getoption("--course-budget")
    return BUDGET_S.get(ladder(config)) if value is None else value


MINE = pytest.StashKey[dict]()  # a student's function: its function, op, label, record


def mine(config: pytest.Config) -> dict | None:
    """The function given by ``--mine``, loaded once: {"function", "op", "label",
    "record"}, or None."""
    if MINE in config.stash:
        return config.stash[MINE]
    target = config.getoption("--mine")
    found = None
    if target is not None:
        from kernels.yours import LoadError, load

        op, label = config.getoption("--mine-op"), config.getoption("--mine-label")
        if op not in kernels.OPS:
            raise pytest.UsageError(
                f"--mine-op: unknown op {op!r}; choose one of {', '.join(kernels.OPS)}"
            )
        if label in kernels.BACKENDS:
            raise pytest.UsageError(f"--mine-label: {label!r} is a backend's name; choose another")
        try:
            function = load(target)
        except LoadError as error:
            raise pytest.UsageError(f"--mine: {error}") from None
        record = {"target": target, "function": function.__name__, "op": op, "label": label}
        found = {"function": function, "op": op, "label": label, "record": record}
    config.stash[MINE] = found
    return found


def mine_backend(record: dict) -> dict:
    """The catalogue entry of a student's function: a backend of one op, drawn in black."""
    return {
        "name": record["label"],
        "how": f"your function {record['function']} ({record['target']}), for {record['op']}",
        "label": record["label"],
        "colour": "#000000",
        "installed": True,
        "mine": True,
    }


def timed_backends(config: pytest.Config) -> list[str]:
    """The installed backends this run times: the lesson's ladder leaves out those kept
    for the full run (``BackendSpec.in_lesson``: the BLAS ladder's steps)."""
    everything = ladder(config) == "full"
    return [
        name
        for name in kernels.installed_backends()
        if everything or kernels.BACKENDS[name].in_lesson
    ]


def _case_id(op, backend, dtype, threads, sizes) -> str:
    shape = "x".join(f"{k}{v}" for k, v in sizes.items())
    return f"{op}-{backend}-{dtype}-t{threads}-{shape}"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every op of the catalogue × size × dtype × installed backend of the op × threads,
    in an order that lets consecutive cases share their inputs (``_problems``). (A backend whose
    libraries are not installed is in the result file's catalogue, marked so, and one of
    a few ops lists them there: the report lists both.)"""
    if metafunc.definition.get_closest_marker("every_case") is None:
        return
    values, ids = [], []
    backends = timed_backends(metafunc.config)
    for op, sizes, dtype in _problems(ladder(metafunc.config)):
        for backend in backends:
            if op not in kernels.own_ops(backend):
                continue  # a variant's op that is its base's kernel: timed there
            for threads in thread_counts(backend):
                values.append((op, backend, dtype, threads, sizes))
                ids.append(_case_id(op, backend, dtype, threads, sizes))
        yours = mine(metafunc.config)
        if yours is not None and yours["op"] == op:  # your function: one thread
            values.append((op, yours["label"], dtype, 1, sizes))
            ids.append(_case_id(op, yours["label"], dtype, 1, sizes))
    metafunc.parametrize(["op", "backend", "dtype", "threads", "sizes"], values, ids=ids)


def _problems(name: str) -> list[tuple[str, dict, str]]:
    """Every (op, sizes, dtype) of ladder ``name``, family by family (in the catalogue's
    order), then by dtype, size and op: consecutive problems of one family whose sizes
    agree share the shape and dtype of X, which the benchmarks then make once
    (``bench.test_ops.inputs``). Each op's step out of the cache is sized by its own
    footprint, so there the sizes may differ by a step of the last digit, and X is drawn
    again."""
    cache, memory = last_level_cache_bytes(), available_memory_bytes()
    problems = [
        (op, sizes, dtype)
        for op in kernels.OPS
        for sizes in ladders.sizes_of(op, name, cache, memory)
        for dtype in ladders.dtypes_of(op, name, sizes)
    ]
    ops, families = list(kernels.OPS), [ladders.family(spec) for spec in kernels.OPS.values()]
    dtypes = sorted({dtype for *_, dtype in problems}, key=lambda d: (d != "float64", d))

    def rank(problem):
        op, sizes, dtype = problem
        family = ladders.family(kernels.OPS[op])
        return families.index(family), dtypes.index(dtype), tuple(sizes.values()), ops.index(op)

    return sorted(problems, key=rank)


# The order a run takes: the slides' demo (the headline, printed at once), the ops, the
# course's training runs, then the compile-cost probe in fresh processes.
ORDER = ("test_slides.py", "test_ops.py::test_op", "test_course.py", "test_ops.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        where = item.nodeid.split("/")[-1]
        return next((k for k, prefix in enumerate(ORDER) if where.startswith(prefix)), len(ORDER))

    items.sort(key=rank)  # stable: within a group, the parametrized order is kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """Before any case runs: the OpenMP runtimes of the selected engines that bring their
    own are loaded first (``bench.threads.load_own_openmp``)."""
    chosen = {
        value
        for item in session.items
        for value in getattr(getattr(item, "callspec", None), "params", {}).values()
        if isinstance(value, str) and value in kernels.BACKENDS
    }
    load_own_openmp(sorted(chosen))


DASK = pytest.StashKey[tuple]()  # (client or None, description of the scheduler)
GIT = pytest.StashKey[dict]()  # the code the run times: git's state when it starts
# The load average and memory when the run starts: pytest-benchmark asks for the machine's
# description only when it saves, after the run, whose own threads then make up the load.
SYSTEM = pytest.StashKey[dict]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[GIT] = git_state()
    config.stash[SYSTEM] = system_state()
    records.setup(config)
    if ladder(config) != "smoke" and not config.getoption("benchmark_disable", False):
        after = sampling.RETIME_S.get(ladder(config), 0.0)  # the second attempts, at the end
        progress = Progress(config, budget(config), after)
        config.pluginmanager.register(progress, "vectorbench-progress")
    config.addinivalue_line(
        "markers", "every_case: parametrize over every op × backend × size × dtype × threads"
    )


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_sessionfinish(session: pytest.Session):
    """pytest-benchmark writes the result file last: a full disk or a directory gone
    read-only is one line and exit code 3, not pytest's INTERNALERROR traceback."""
    try:
        outcome = yield
        _save_without_benchmarks(session.config)
        return outcome
    except OSError as error:
        where = error.filename or session.config.getoption("benchmark_json", None)
        if hasattr(where, "write"):  # an open file: pytest-benchmark's --benchmark-json
            where = where.name
        sys.stderr.write(
            f"bench: {where}: {error.strerror or error}; the results were not written\n"
        )
        session.exitstatus = pytest.ExitCode.INTERNAL_ERROR
        return None


def _save_without_benchmarks(config: pytest.Config) -> None:
    """pytest-benchmark writes no file when no benchmark fixture ran, but a selection of
    the suite's own probes alone (``-k jit_compile``: the compile costs; ``-k student``:
    the slides' demo run as a student runs it) measured something: their file is written
    here, by pytest-benchmark's own hooks and writer, as it writes any other."""
    session = getattr(config, "_benchmarksession", None)
    if session is None or not session.json or session.benchmarks or session.disabled:
        return
    if not config.stash[records.JIT] and records.SLIDES not in config.stash:
        return
    machine_info = session.get_machine_info()
    commit_info = config.hook.pytest_benchmark_generate_commit_info(config=config)
    config.hook.pytest_benchmark_update_commit_info(config=config, commit_info=commit_info)
    output_json = config.hook.pytest_benchmark_generate_json(
        config=config,
        benchmarks=[],
        include_data=True,
        machine_info=machine_info,
        commit_info=commit_info,
    )
    config.hook.pytest_benchmark_update_json(config=config, benchmarks=[], output_json=output_json)
    session.save_json(output_json)


def _may_retime(case) -> bool:
    """Whether a second attempt may narrow ``case``'s interval: an op's case (``test_op``),
    or a training run of the course timed until sure (``test_course``). A training run is
    deterministic, and its second attempt checks its outcome against the loops' again.
    The runs timed a fixed few rounds are left alone: the network's long runs, whose 6
    rounds make an interval as wide as their range (±12-34% in the committed full run, at
    up to 19 s an attempt), and the hidden-size sweep's 2."""
    info = case.extra_info
    kind = info.get("kind")
    return kind == "steady" or (kind == "course" and info.get("rounds") == "until sure")


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session: pytest.Session):
    """After every case has run once: ``retime_unsure``."""
    result = yield
    if not (session.shouldstop or session.shouldfail or session.testsfailed):
        retime_unsure(session)
    if not (session.shouldstop or session.shouldfail or session.testsfailed):
        retime_side_by_side(session)
    return result


def retime_unsure(session: pytest.Session) -> None:
    """Time once more, cheapest first, each op's case and each training run of the course
    timed until sure (``_may_retime``) whose median's interval ended beyond the flag's
    limit, while the ladder's ``sampling.RETIME_S`` lasts (a case that would not fit in
    what is left is not started); keep the attempt with the narrower interval, which
    records every attempt's half-width (``extra_info["attempts"]``, in the order taken)."""
    bench_session = getattr(session.config, "_benchmarksession", None)
    budget = sampling.RETIME_S.get(ladder(session.config), 0.0)
    if bench_session is None or bench_session.disabled or budget <= 0:
        return
    session.config.stash[records.SECOND_ATTEMPTS] = True  # the rule applied (the file says)
    items = {item.nodeid: item for item in session.items}
    first = {
        case.fullname: case
        for case in bench_session.benchmarks
        if _may_retime(case)
        and case.fullname in items
        and case.stats.data
        and sampling.unsure(case.stats.data)
    }
    if not first:
        return

    def cost(item: pytest.Item) -> float:  # the first attempt's timed seconds
        return first[item.nodeid].stats.total * first[item.nodeid].iterations

    again = sorted((item for nodeid, item in items.items() if nodeid in first), key=cost)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else lambda line: None
    say(
        f"bench: {len(again)} cases ended with their median's interval beyond "
        f"±{sampling.INTERVAL_LIMIT:.0%}: timing them once more (at most {budget:.0f} s)"
    )
    start = time.monotonic()
    retimed = 0
    try:
        for k, item in enumerate(again):
            if time.monotonic() - start + cost(item) > budget:
                break  # the rest cost more still
            # pytest's whole protocol, as the first attempt had: warnings are errors, and
            # a second attempt that fails is reported and fails the run
            following = again[k + 1] if k + 1 < len(again) else None
            item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
            retimed += 1
            if session.shouldstop or session.shouldfail:
                break
    finally:  # interrupted too: each case once in the file
        sure = sum(_keep_the_narrower(bench_session, first[name]) for name in first)
    say(
        f"bench: {retimed} of them timed again in {time.monotonic() - start:.0f} s; "
        f"{sure} now within ±{sampling.INTERVAL_LIMIT:.0%}"
    )


# Timed again beside the reference where slower: every role of kernels.backends.ROLES but
# the loops (the lesson's slow side) and the reference itself.
RETIMED_ROLES = ("compiled", "compiled parallel", "engine", "variant")


def side_by_side_groups(cases) -> list[tuple[object, list]]:
    """(the reference's case, the compiled loops' and engines' cases slower than it beyond
    both intervals) for each op, dtype, threads and sizes that has such a case, where that
    is a surprise (``sampling.surprising``)."""
    reference = [name for name, spec in kernels.BACKENDS.items() if spec.role == "reference"]
    retimed = {name for name, spec in kernels.BACKENDS.items() if spec.role in RETIMED_ROLES}
    by_case: dict[tuple, dict[str, object]] = {}
    for case in cases:
        info = case.extra_info
        if info.get("kind") != "steady" or not case.stats.data:
            continue
        key = (info["op"], info["dtype"], info["threads"], tuple(sorted(info["sizes"].items())))
        by_case.setdefault(key, {})[info["backend"]] = case
    groups = []
    for backends in by_case.values():
        for name in reference:
            if name not in backends:
                continue
            base = backends[name]
            if not sampling.surprising(base.extra_info):
                continue
            slower = [
                case
                for backend, case in backends.items()
                if backend in retimed and sampling.slower_apart(case.stats.data, base.stats.data)
            ]
            if slower:
                groups.append((base, slower))
    return groups


def retime_side_by_side(session: pytest.Session) -> None:
    """Time once more, each right after the reference's case, the compiled loops and
    engines found slower than the vectorized reference beyond both intervals: the cheapest
    groups first, while the ladder's ``sampling.SIDE_BY_SIDE_S`` lasts. Each case of a group
    timed so keeps that attempt (``_keep_the_latest``): the comparison is then of two
    cases timed one after the other, not minutes apart.

    The reference's new attempt may be faster than its first, and so leave a case of the
    same op, dtype, threads and sizes that was level with it slower than it, minutes apart.
    Such a case is timed once more with its whole group, the reference first, while the
    time lasts: every comparison the run then holds at those sizes is side by side."""
    bench_session = getattr(session.config, "_benchmarksession", None)
    budget = sampling.SIDE_BY_SIDE_S.get(ladder(session.config), 0.0)
    if bench_session is None or bench_session.disabled or budget <= 0:
        return
    items = {item.nodeid: item for item in session.items}

    def slower_groups() -> list[tuple[object, list]]:
        return [
            (base, slower)
            for base, slower in side_by_side_groups(bench_session.benchmarks)
            if all(case.fullname in items for case in (base, *slower))
        ]

    groups = slower_groups()
    if not groups:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else lambda line: None
    slower_cases = sum(len(slower) for _, slower in groups)
    say(
        f"bench: {slower_cases} case{'s' if slower_cases != 1 else ''} of compiled loops and "
        f"engines slower than the reference beyond both intervals: timing them again, each "
        f"right after the reference's case (at most {budget:.0f} s)"
    )
    start = time.monotonic()
    done = _time_beside(session, bench_session, items, groups, start + budget)
    if session.shouldstop or session.shouldfail:
        return
    # the cases left slower than a reference timed again, not beside it: with their group
    timed = {base.fullname: {case.fullname for case in slower} for base, slower in done}
    again = []
    for base, slower in slower_groups():
        names = {case.fullname for case in slower}
        if base.fullname in timed and not names <= timed[base.fullname]:
            again.append((base, _cases(bench_session, names | timed[base.fullname])))
    if again:
        more = sum(len(slower) for _, slower in again)
        say(
            f"bench: {more} case{'s' if more != 1 else ''} slower than, or timed beside, a "
            f"reference whose new attempt is faster: timing them with it once more"
        )
        done += _time_beside(session, bench_session, items, again, start + budget)
    retimed = {case.fullname for _, slower in done for case in slower}
    now_slower = sum(len(slower) for _, slower in side_by_side_groups(bench_session.benchmarks))
    say(
        f"bench: {len(retimed)} of them timed again in "
        f"{time.monotonic() - start:.0f} s; {now_slower} still slower beyond both intervals"
    )


def _cases(bench_session, names: set[str]) -> list:
    """pytest-benchmark's entries of the cases ``names``, in the run's order."""
    return [case for case in bench_session.benchmarks if case.fullname in names]


def _time_beside(session, bench_session, items, groups, deadline: float) -> list:
    """Time each (reference, cases) group again, the reference first, the cheapest first
    while ``deadline`` (monotonic seconds) allows; each case keeps the attempt timed so.
    Returns the groups timed whole."""

    def cost(group) -> float:  # the attempts' timed seconds so far
        return sum(case.stats.total * case.iterations for case in (group[0], *group[1]))

    done: list[tuple[object, list]] = []
    running: tuple = ()  # the cases of a group being timed again, until it is whole
    try:
        for base, slower in sorted(groups, key=cost):
            if time.monotonic() + cost((base, slower)) > deadline:
                break  # the rest cost more still
            running = (base, *slower)
            order = [items[case.fullname] for case in running]
            for k, item in enumerate(order):
                following = order[k + 1] if k + 1 < len(order) else None
                item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
            done.append((base, slower))
            running = ()
            if session.shouldstop or session.shouldfail:
                break
    finally:  # interrupted too: each case once in the file
        for case in running:  # a group cut short was not timed side by side: its
            _keep_the_latest(bench_session, case, None)  # attempts before stand
        for base, slower in done:
            names = [case.extra_info["backend"] for case in slower]
            _keep_the_latest(bench_session, base, ", ".join(names))
            for case in slower:
                _keep_the_latest(bench_session, case, base.extra_info["backend"])
    return done


def _keep_the_latest(bench_session, kept_before, beside: str | None) -> None:
    """Leave one of a case's attempts in pytest-benchmark's list: the latest, the one
    timed beside ``beside``'s case, if it finished its rounds (else the one kept before).
    It lists every sound attempt's half-width, in the order taken, and names ``beside``.
    With ``beside`` None (its group was cut short), the one kept before stays."""
    attempts = [case for case in bench_session.benchmarks if case.fullname == kept_before.fullname]
    latest = attempts[-1]
    before = kept_before.extra_info.get("attempts") or [
        round(sampling.half_width(kept_before.stats.data), 4)
    ]
    sound = (
        beside is not None
        and latest is not kept_before
        and not latest.has_error
        and len(latest.stats.data) >= sampling.MIN_ROUNDS
    )
    kept = latest if sound else kept_before
    for case in attempts:
        if case is not kept:
            bench_session.benchmarks.remove(case)
    if sound:
        kept.extra_info["attempts"] = [*before, round(sampling.half_width(kept.stats.data), 4)]
        kept.extra_info["beside"] = beside


def _keep_the_narrower(bench_session, first) -> bool:
    """Leave one of a case's attempts in pytest-benchmark's list: the one with the
    narrower interval among those that finished their rounds (an attempt that raised, or
    was interrupted before ``MIN_ROUNDS``, never replaces the first); it lists every sound
    attempt's half-width, in the order taken. Returns whether the kept one is sure."""
    attempts = [case for case in bench_session.benchmarks if case.fullname == first.fullname]
    sound = [
        case
        for case in attempts
        if not case.has_error and len(case.stats.data) >= sampling.MIN_ROUNDS
    ]
    kept = min(sound or [first], key=lambda case: sampling.half_width(case.stats.data))
    for case in attempts:
        if case is not kept:
            bench_session.benchmarks.remove(case)
    # each attempt's half-width of the median's interval, as a share of the median
    kept.extra_info["attempts"] = [
        round(sampling.half_width(case.stats.data), 4) for case in sound or [first]
    ]
    return not sampling.unsure(kept.stats.data)


QUICK_PROBE = "VECTORBENCH_QUICK_PROBE"  # set (by the tests): the smoke ladder's probe
COMPILED_AHEAD = pytest.StashKey[float]()  # seconds spent compiling ahead (0: nothing to)
COMPILER_BYTES = 512 * 2**20  # the free memory each process compiling ahead asks for


def compile_ahead(item: pytest.Item) -> None:
    """Before the first op's case: the Numba kernels that the run's cases call and that
    the on-disk cache lacks are compiled on every core at once (``kernels.numba_warmup``)
    instead of one after another on each kernel's first case, untimed either way. On the
    2-core AMD, every kernel of both engines and dtypes took 93.8 s one after another and
    51.2 s on its two cores; a fresh clone's lesson compiles 28 of them ahead in 43-49 s
    (7 December, a slow hour). The smoke ladder's runs start under the tests,
    which compiled everything before them. Whatever goes wrong here costs no case: the
    kernels left are compiled on their first case, as they would be without it."""
    config = item.config
    if COMPILED_AHEAD in config.stash or "test_ops.py::test_op[" not in item.nodeid:
        return
    config.stash[COMPILED_AHEAD] = 0.0
    if ladder(config) == "smoke":
        return
    from kernels import numba_warmup

    progress = config.pluginmanager.get_plugin("vectorbench-progress")
    say = progress.say if progress is not None else lambda line: None
    try:
        wanted = {
            (params["backend"], params["op"], params["dtype"])
            for case in item.session.items
            if {"backend", "op", "dtype"} <= (params := _params(case)).keys()
        }
        missing = numba_warmup.uncached(wanted)
        tasks = len(numba_warmup.compile_tasks(missing))
        processes = min(compile_processes(), tasks)
        if processes < 2:  # one at a time is what the cases' first calls do anyway
            return
        say(
            f"bench: compiling {len(missing)} Numba kernels ahead, {processes} at a time "
            "(the first run only: later runs load them from the cache)"
        )
        start = time.monotonic()
        numba_warmup.lock_the_cache()
        _, failed = numba_warmup.warm(processes, missing)
    except Exception as error:  # whatever it is, the cases compile what is left
        say(f"bench: compiling ahead stopped ({error}); each kernel compiles on its first case")
        return
    config.stash[COMPILED_AHEAD] = time.monotonic() - start
    if progress is not None:
        progress.paused(config.stash[COMPILED_AHEAD])
    failures = f"; {failed} of {tasks} tasks failed, left to their cases" if failed else ""
    say(f"bench: compiled in {config.stash[COMPILED_AHEAD]:.0f} s{failures}")


def compile_processes() -> int:
    """How many processes may compile ahead at once: one per core, as many as the free
    memory holds (a process compiling the network's kernels peaks at about 280 MB: both
    engines and dtypes, 2-core AMD)."""
    memory = available_memory_bytes()
    cores = all_cores()
    return max(1, min(cores, memory // COMPILER_BYTES)) if memory else cores


def _params(item: pytest.Item) -> dict:
    return getattr(getattr(item, "callspec", None), "params", {})


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Compile ahead before the first op's case (``compile_ahead``). Connect to the dask
    scheduler before the first dask case, and only if one runs: a run whose selection has
    none never waits for a scheduler. One that does not answer, or has no worker, within
    its time limit ends the run with one line naming it."""
    compile_ahead(item)
    callspec = getattr(item, "callspec", None)
    if callspec is None or callspec.params.get("backend") != "dask" or DASK in item.config.stash:
        return
    from kernels import dask_engine

    address = item.config.getoption("--dask-scheduler")
    try:
        item.config.stash[DASK] = dask_engine.connect(address)
    except (OSError, TimeoutError) as error:
        pytest.exit(f"--dask-scheduler {address}: {error}", returncode=pytest.ExitCode.USAGE_ERROR)


def pytest_unconfigure(config: pytest.Config) -> None:
    client = config.stash.get(DASK, (None, None))[0]
    if client is not None:
        cluster = client.cluster
        client.close()
        if cluster is not None:
            cluster.close()


def pytest_benchmark_update_machine_info(config: pytest.Config, machine_info: dict) -> None:
    from bench import limits

    # The smoke ladder exercises the probe quickly; so do the tests' runs of a few cases
    # of the other ladders (QUICK_PROBE set), which test anything but the probe's numbers:
    # the lesson's probe takes 8 s of CPU on the 2-core machine.
    if ladder(config) == "smoke" or os.environ.get(QUICK_PROBE):
        measured = limits.measure(array_bytes=4 * 2**20, matrix=100, repeats=2)
    else:
        measured = limits.measure(caches_out=ladders.OUT_OF_CACHE[ladder(config)])
    machine_info["vectorbench"] = describe(
        quick=ladder(config) != "full",
        limits=measured,
        git=config.stash.get(GIT, None),
        system=config.stash.get(SYSTEM, None),
    )
    machine_info["vectorbench"]["catalogue"] = records.catalogue()
    yours = mine(config)
    if yours is not None:
        machine_info["vectorbench"]["mine"] = yours["record"]
        backends = machine_info["vectorbench"]["catalogue"]["backends"]
        backends[yours["label"]] = mine_backend(yours["record"])
    if DASK in config.stash:  # which scheduler, how many workers and threads ran dask
        machine_info["vectorbench"]["dask"] = config.stash[DASK][1]
    elif "dask" in kernels.BACKENDS:  # no dask case ran: nothing connected
        machine_info["vectorbench"]["dask"] = {
            "scheduler": config.getoption("--dask-scheduler"),
            "note": "no dask case ran, so none was connected to",
        }
    machine_info["vectorbench"]["ladder"] = ladder(config)
    machine_info["vectorbench"]["budget_s"] = budget(config)
    machine_info["vectorbench"]["ladder_top"] = {
        "last_level_cache_bytes": last_level_cache_bytes(),
        "available_memory_bytes": available_memory_bytes(),
        "rule": (
            f"the largest inputs at least {ladders.OUT_OF_CACHE[ladder(config)]}× the "
            f"last-level cache, within {ladders.MEMORY_SHARE:.0%} of the available memory"
            if ladder(config) in ladders.OUT_OF_CACHE
            else "not grown past the cache"
        ),
    }
    # the page states the rule this run applied (reports/rules.py, flag_rule)
    machine_info["vectorbench"]["side_by_side_roles"] = list(RETIMED_ROLES)
    machine_info["vectorbench"]["rounds_kept"] = (
        f"stats.data: at most {KEPT_ROUNDS} per-round times per case, evenly spaced in the "
        "order measured; the statistics are computed from every round"
    )


def pytest_benchmark_update_json(config: pytest.Config, benchmarks, output_json: dict) -> None:
    # --benchmark-json stores every round's time: tens of MB for the fast kernels. The
    # statistics (min, quartiles, median, IQR, outliers, rounds) are computed from all
    # of them; at most KEPT_ROUNDS, evenly spaced in the order measured, are kept so that
    # stored results can be re-analysed (a bootstrap interval, a test between runs).
    resolution = output_json["machine_info"]["vectorbench"]["timer"]["resolution_s"]
    for benchmark in output_json["benchmarks"]:
        stats = benchmark["stats"]
        data = stats.get("data")
        if data and len(data) > KEPT_ROUNDS:
            step = len(data) / KEPT_ROUNDS
            data = [data[int(k * step)] for k in range(KEPT_ROUNDS)]
        iterations = stats.get("iterations", 1)
        if data:
            stats["data"] = rounded_to_the_timer(data, iterations, resolution)
        for name in TIME_STATISTICS:  # rounding is monotonic: min <= q1 <= median ... holds
            if isinstance(stats.get(name), float):
                stats[name] = rounded_to_the_timer([stats[name]], iterations, resolution)[0]
        interval = benchmark["extra_info"].get("median_ci")
        if interval:
            benchmark["extra_info"]["median_ci"] = rounded_to_the_timer(
                interval, iterations, resolution
            )
    _options_once(output_json)
    output_json["vectorbench_not_run"] = [case.dump() for case in config.stash[records.NOT_RUN]]
    output_json["vectorbench_jit"] = [cost.dump() for cost in config.stash[records.JIT]]
    if config.stash[records.COURSE]:
        output_json["vectorbench_course"] = _course_section(config, output_json)
    if records.SLIDES in config.stash:
        output_json["vectorbench_slides"] = config.stash[records.SLIDES]


def _options_once(output_json: dict) -> None:
    """pytest-benchmark repeats its options (timer, min_rounds, max_time, ...) in every
    case: 8% of a full run's file. Where every case has the same, they are stored once,
    as ``machine_info.vectorbench.benchmark_options`` (``pytest-benchmark compare`` does
    not read them); cases that differ keep their own."""
    cases = output_json["benchmarks"]
    first = cases[0].get("options") if cases else None
    if first is not None and all(case.get("options") == first for case in cases):
        output_json["machine_info"]["vectorbench"]["benchmark_options"] = first
        for case in cases:
            del case["options"]


# pytest-benchmark's statistics that are times (or sums and spreads of them).
TIME_STATISTICS = (
    "min", "max", "mean", "stddev", "median", "iqr", "q1", "q3", "ld15iqr", "hd15iqr", "total",
)  # fmt: skip


def rounded_to_the_timer(times: list[float], iterations: int, resolution: float) -> list[float]:
    """Per-call times with no more digits than the timer resolved: a round of
    ``iterations`` calls is known to ``resolution``, so a call to resolution/iterations
    (one more digit kept, so rounding adds no error the timer did not already make).
    Seven or eight significant digits become three to six, and the file a third."""
    step = resolution / max(iterations, 1) / 10
    digits = max(0, -math.floor(math.log10(step))) if step > 0 else 12
    return [round(t, digits) for t in times]


def _course_section(config: pytest.Config, output_json: dict) -> dict:
    """The course experiments' outcomes with their timings, as ``bench.course.section``
    lays them out; the timings are those of their pytest-benchmark entries."""
    from bench import course

    times = {}
    for benchmark in output_json["benchmarks"]:
        info, stats = benchmark["extra_info"], benchmark["stats"]
        if info.get("kind") != "course":
            continue
        times[(info["experiment"], info["backend"])] = {
            "repeats": stats["rounds"],
            "times_s": stats.get("data", []),
            **{f"{name}_s": stats[name] for name in ("median", "min", "max", "q1", "q3", "iqr")},
            # timed more than once (``retime_unsure``): the attempts taken, the narrower kept
            **({"attempts": len(info["attempts"])} if len(info.get("attempts", ())) > 1 else {}),
        }
    outcomes = {
        experiment: {
            backend: run for backend, run in runs.items() if (experiment, backend) in times
        }
        for experiment, runs in config.stash[records.COURSE].items()
    }
    suite = output_json["machine_info"]["vectorbench"]
    return course.section(
        outcomes,
        times,
        machine_record={
            "machine": {"name": machine_slug(), "cpu": suite["cpu"], "threads": suite["threads"]},
            "versions": suite["versions"],
            "git": suite["git"],
        },
        timer={
            **suite["timer"],
            # untimed before the rounds: the run cut to one step, on a backend that compiles
            "warmup_steps": 1,
            **course.timer_record(ladder(config), config.stash.get(records.SECOND_ATTEMPTS, False)),
            "statistic": "median",
        },
        ladder=ladder(config),
        not_run=config.stash[records.COURSE_NOT_RUN],
    )
