"""The test run's warm-up (``numba_warmup``): every compiled kernel of the Numba engines
and their variants compiled by exactly one task, an op's kernels all in the same one."""

from __future__ import annotations

from numba.core.dispatcher import Dispatcher
from numba_warmup import NUMBA, _calls

import kernels


def test_each_op_is_one_task_and_each_compiled_function_is_called_once():
    tasks = _calls()
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
