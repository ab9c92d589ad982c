"""Numba's on-disk cache filled ahead, on every core, and written safely.

On a fresh checkout every compiled kernel is compiled on its first call: 60-80 s of
CPU on the 2-core machine, in one process. The tests (under
pytest-xdist) and a benchmark run (``nox -s bench``) both compile them ahead instead,
one process per core, and then load machine code. Two processes that meet the same
kernel would compile it twice, and Numba's cache is not safe for two processes that
save different signatures of one function at once (``IndexDataCacheFile.save`` reads
the index, picks a data file name, writes the index, then the data: numba/numba#10128).
So:

* ``lock_the_cache()`` (every test process, and the warming ones) lets one process at a
  time compile a given cached function: another that needs it waits, then loads the
  machine code from the cache. Index and data writes hold an exclusive ``flock``,
  reads a shared one, so an entry is seen whole or not at all.
* ``warm(processes, wanted)`` compiles the kernels of the compiling backends (every one
  for every dtype, or the ``(backend, op, dtype)`` calls wanted), one op per task (its
  kernels of every backend), biggest first, in fresh processes: the tests' workers, or
  the benchmark's timed process, then load machine code. (Compiling alongside the tests
  was measured slower: four processes on two cores, and workers waiting for the kernels
  their first tests need.)

Compiling is all this does: the kernels compiled are those the tests and benchmarks
run (the same decorators, flags and argument types, through the backends' public ops),
every comparison still runs, and no timed region ever held a compilation.
"""

from __future__ import annotations

import contextlib
import fcntl
import multiprocessing
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor, wait

from numba.core import caching, dispatcher, sigutils

NUMBA = {"numba", "numba_parallel"}  # the engines whose kernels are compiled here
_HELD: dict[str, int] = {}  # lock files this process holds, and how deep (nested compiles)


@contextlib.contextmanager
def _flock(path: str, kind: int, patience_s: float | None = None):
    """``flock`` on ``path`` (created if need be). With ``patience_s``, give up waiting
    after that long and go on unlocked: a lock is only a way to save work here."""
    if _HELD.get(path):  # this process holds it already (a nested compile)
        _HELD[path] += 1
        try:
            yield
        finally:
            _HELD[path] -= 1
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a+b") as handle:
        locked = False
        if patience_s is None:
            fcntl.flock(handle, kind)
            locked = True
        else:
            deadline = time.monotonic() + patience_s
            while not locked and time.monotonic() < deadline:
                try:
                    fcntl.flock(handle, kind | fcntl.LOCK_NB)
                    locked = True
                except BlockingIOError:
                    time.sleep(0.05)
        _HELD[path] = 1
        try:
            yield
        finally:
            del _HELD[path]
            if locked:
                fcntl.flock(handle, fcntl.LOCK_UN)


def lock_the_cache() -> None:
    """Serialise Numba's cache writes, and each cached function's compilation, across
    processes (idempotent)."""
    index_file = caching.IndexDataCacheFile
    if getattr(index_file, "_vectorbench_locked", False):
        return
    save, load = index_file.save, index_file.load

    def locked_save(self, key, data):
        with _flock(self._index_path + ".lock", fcntl.LOCK_EX):
            return save(self, key, data)

    def locked_load(self, key):
        with _flock(self._index_path + ".lock", fcntl.LOCK_SH):
            return load(self, key)

    index_file.save, index_file.load = locked_save, locked_load
    index_file._vectorbench_locked = True

    # One process compiles a cached function at a time; the others wait, then find its
    # machine code in the cache instead of compiling it again. (Patience: a function
    # that waits for another to compile — a nested call — would otherwise wait forever.)
    compile_ = dispatcher.Dispatcher.compile

    def compile_once(self, sig):
        cache_file = getattr(self._cache, "_cache_file", None)
        if cache_file is None:  # not cached on disk
            return compile_(self, sig)
        args, _ = sigutils.normalize_signature(sig)
        if tuple(args) in self.overloads:
            return compile_(self, sig)
        with _flock(cache_file._index_path + ".compiling", fcntl.LOCK_EX, patience_s=300):
            return compile_(self, sig)

    dispatcher.Dispatcher.compile = compile_once


Call = tuple[str, str, str]  # (backend, op, dtype)


def compile_tasks(wanted: set[Call] | None = None) -> dict[str, list[Call]]:
    """The calls that compile the kernels (those ``wanted``, or every one), grouped by op:
    one process compiles an op's kernels of every backend, so the loops they share
    (``python_loops``' helpers, compiled with the same flags) are compiled once, not once
    per process (logistic_gradient's two kernels: 10.2 s of CPU in one process, 14.6 s in
    two). A compiled function that two backends share is called by the first only."""
    from numba.core.dispatcher import Dispatcher

    import kernels

    tasks: dict[str, list] = {}
    warmed_by: dict[tuple, str] = {}  # (compiled function, dtype) -> the backend compiling it
    for backend in kernels.installed_backends():
        spec = kernels.BACKENDS[backend]
        # the two Numba engines, and their variants (the BLAS ladder's steps)
        if NUMBA.isdisjoint({backend, spec.variant_of}):
            continue
        implementation = kernels.get(backend)
        for op in filter(spec.implements, kernels.OPS):
            kernel = implementation.kernel(op)
            if isinstance(kernel, Dispatcher):
                key = f"{kernel.py_func.__module__}.{kernel.py_func.__qualname__}"
            else:  # a Python function calling a module's compiled loops: the ladder's
                # steps call one compiled function, the step a number among its arguments
                key = kernel.__module__
            for dtype in ("float64", "float32"):
                if wanted is not None and (backend, op, dtype) not in wanted:
                    continue
                if warmed_by.setdefault((key, dtype), backend) != backend:
                    continue  # the same compiled function as another backend's: warmed there
                tasks.setdefault(op, []).append((backend, op, dtype))
    return tasks


def cached_functions(kernel) -> list:
    """The functions Numba caches on disk that ``kernel`` is: itself, or for a Python
    function that calls compiled code (the BLAS ladder's steps call one compiled
    function, the step a number among its arguments), those it calls by name."""
    from numba.core.dispatcher import Dispatcher

    if isinstance(kernel, Dispatcher):
        return [kernel]
    module = sys.modules.get(getattr(kernel, "__module__", ""), None)
    names = getattr(getattr(kernel, "__code__", None), "co_names", ())
    return [
        function
        for name in names
        if isinstance(function := getattr(module, name, None), Dispatcher)
    ]


def _has_entry(function, dtype: str) -> bool:
    """Whether the on-disk cache of compiled ``function`` holds machine code for arrays
    of ``dtype`` that this process would load: an index Numba reads (the same source,
    the same Numba) with an entry for this processor and its features."""
    from numba.core import types

    cache_file = getattr(getattr(function, "_cache", None), "_cache_file", None)
    if cache_file is None:
        return False
    try:
        index = cache_file._load_index()
        target = function.targetctx.codegen().magic_tuple()
    except Exception:  # unreadable: kernels.jit_cache drops it on the first call
        return False
    return any(
        key[1] == target
        and any(isinstance(t, types.Array) and str(t.dtype) == dtype for t in key[0])
        for key in index
    )


def uncached(wanted: set[Call]) -> set[Call]:
    """The ``(backend, op, dtype)`` calls of Numba's engines, among those ``wanted``, whose
    compiled functions lack an entry for that dtype in the on-disk cache."""
    import kernels

    missing = set()
    for backend, op, dtype in wanted:
        spec = kernels.BACKENDS.get(backend)
        if spec is None or NUMBA.isdisjoint({backend, spec.variant_of}):
            continue
        functions = cached_functions(kernels.get(backend).kernel(op))
        if not functions or not all(_has_entry(function, dtype) for function in functions):
            missing.add((backend, op, dtype))
    return missing


def _compile(calls: list[Call]) -> float:
    import kernels

    lock_the_cache()
    start = time.perf_counter()
    for backend, op, dtype in calls:
        spec = kernels.OPS[op]
        sizes = dict.fromkeys(spec.size_names, 3)
        args = kernels.make_inputs(op, sizes, dtype, seed=0)
        getattr(kernels.get(backend), op)(*args)
    return time.perf_counter() - start


def warm(processes: int, wanted: set[Call] | None = None) -> tuple[int, int]:
    """Compile (or load) every kernel into the on-disk cache (or those of the ``(backend,
    op, dtype)`` calls ``wanted``), ``processes`` at a time, in fresh interpreters.
    Returns the number of tasks, and of those that failed. A kernel that fails to
    compile here (or whose process dies) fails its tests (or is compiled on its case)
    later, which say why; so a failure here is not raised."""
    # The shallow network's ops, the slowest to compile (the BLAS ladder's function is
    # about 8 s a dtype), first: the last tasks to finish are then short ones, and the
    # processes finish at about the same time
    tasks = list(reversed(compile_tasks(wanted).values()))
    if not tasks:
        return 0, 0
    spawn = multiprocessing.get_context("spawn")
    # (a pool of concurrent.futures: a process that dies, killed for memory, breaks the
    # pool and fails the tasks left, where multiprocessing.Pool would wait for ever)
    with ProcessPoolExecutor(min(processes, len(tasks)), mp_context=spawn) as pool:
        futures = [pool.submit(_compile, task) for task in tasks]
        wait(futures)
    return len(tasks), sum(future.exception() is not None for future in futures)
