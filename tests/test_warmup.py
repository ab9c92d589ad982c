"""The warm-up (``kernels.numba_warmup``): every compiled kernel of the Numba engines and
their variants compiled by exactly one task, an op's kernels all in the same one; a
benchmark run compiles ahead what its cases call and the cache lacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from numba.core.dispatcher import Dispatcher

import kernels
from kernels.numba_warmup import NUMBA, compile_tasks, uncached

ROOT = Path(__file__).resolve().parent.parent


def test_each_op_is_one_task_and_each_compiled_function_is_called_once():
    tasks = compile_tasks()
    assert tasks, "no kernel to warm"  # else the checks below compare nothing
    called = [call for calls in tasks.values() for call in calls]
    assert len(called) == len(set(called))
    for op, calls in tasks.items():
        assert {call_op for _, call_op, _ in calls} == {op}
        assert {dtype for _, _, dtype in calls} == {"float64", "float32"}
    # every installed Numba kernel is compiled by some call: its own, or that of the
    # backend it shares a compiled function with
    functions = {}
    for backend, op, _ in called:
        kernel = kernels.get(backend).kernel(op)
        key = kernel.py_func if isinstance(kernel, Dispatcher) else kernel.__module__
        assert functions.setdefault(key, backend) == backend, (backend, op)
    for backend in kernels.installed_backends():
        spec = kernels.BACKENDS[backend]
        if NUMBA.isdisjoint({backend, spec.variant_of}):
            continue
        for op in filter(spec.implements, kernels.OPS):
            kernel = kernels.get(backend).kernel(op)
            key = kernel.py_func if isinstance(kernel, Dispatcher) else kernel.__module__
            assert key in functions, (backend, op)


def test_only_the_calls_wanted_are_compiled_each_by_one_backend():
    wanted = {("numba", "dot", "float32"), ("numba_parallel", "dot", "float32")}
    wanted |= {("numba_parallel", "logistic_gradient", "float64"), ("numpy", "dot", "float64")}
    tasks = compile_tasks(wanted)
    assert set(tasks) == {"dot", "logistic_gradient"}
    assert sorted(tasks["dot"]) == [
        ("numba", "dot", "float32"), ("numba_parallel", "dot", "float32"),
    ]  # fmt: skip
    assert tasks["logistic_gradient"] == [("numba_parallel", "logistic_gradient", "float64")]


def test_a_kernel_in_the_cache_is_not_compiled_ahead_and_one_missing_is():
    import numpy as np

    kernels.get("numba").dot(np.arange(4.0), np.ones(4))  # compiled, or loaded, and cached
    assert uncached({("numba", "dot", "float64"), ("numpy", "dot", "float64")}) == set()
    # no cached entry holds a float16 signature: missing (and NumPy's never counts)
    assert uncached({("numba", "dot", "float16")}) == {("numba", "dot", "float16")}


def test_the_ladder_steps_share_one_compiled_function_per_dtype():
    wanted = {
        ("numba_tiled", "mlp_gradient", "float32"),
        ("numba_blocked", "mlp_gradient", "float64"),
    }
    wanted.add(("numba_blocked", "mlp_gradient", "float32"))
    calls = compile_tasks(wanted)["mlp_gradient"]
    assert sorted(dtype for _, _, dtype in calls) == ["float32", "float64"]


def test_a_lesson_run_on_a_cold_cache_compiles_its_kernels_ahead_and_times_them(tmp_path):
    """On a fresh cache the benchmark run compiles the kernels its cases call before the
    first op's case, on every core, says so, and times the cases. (Run again, it finds
    them in the cache: ``test_a_kernel_in_the_cache_is_not_compiled_ahead_and_one_missing_is``.)"""
    from bench.conftest import QUICK_PROBE, compile_processes

    path = tmp_path / "run.json"
    command = [
        sys.executable, "-m", "pytest", "bench", "--ladder=lesson", "-k",
        "test_op and (dot-numba-float64-t1-n10] or logistic_cost-numba-float64-t1-m10])",
        f"--benchmark-json={path}", "-p", "no:cacheprovider", "-q",
    ]  # fmt: skip
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache"), QUICK_PROBE: "1"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    run = json.loads(path.read_text())
    assert run["machine_info"]["vectorbench"]["limits"]["array_bytes"] == 4 * 2**20  # quick
    timed = {case["param"] for case in run["benchmarks"]}
    assert timed == {"dot-numba-float64-t1-n10", "logistic_cost-numba-float64-t1-m10"}
    # the terminal says what pytest's marks mean, and why its total passes the cases'
    assert "bench: pytest marks each case timed with a dot and each one not run" in done.stdout
    if compile_processes() >= 2:  # two ops: two tasks, one process each
        assert "bench: compiling 2 Numba kernels ahead, 2 at a time" in done.stdout
        assert re.search(r"bench: compiled in \d+ s\n", done.stdout), done.stdout[-2000:]
