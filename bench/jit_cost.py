"""What a JIT compiler costs: the first call in a fresh process, cold and warm.

For each compiling backend (Numba's, JAX's), two fresh Python processes share one new,
empty on-disk cache directory (``NUMBA_CACHE_DIR``, ``JAX_COMPILATION_CACHE_DIR``):

* **cold** — the first process finds the cache empty: each op's first call compiles it
  (type inference, LLVM optimisation, machine code) and then runs it once;
* **warm** — the second process finds the cache filled by the first: each op's first
  call loads machine code from disk and runs it once.

Both first calls are set against the **steady** time per call (the median of many calls
once compiled), and against NumPy and the Python loops on the same inputs, so a reader
can see after how many calls compilation has paid for itself. Numba's one-time start-up
(its first compilation of anything) is paid before the timed calls, by compiling an
unrelated function, so that it does not land on whichever op happens to come first;
it is reported on its own as ``startup_s``.

Run as a module, this file is the probe that runs inside those fresh processes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import kernels
from bench.ladders import jit_sizes
from bench.timing import first_call, median_of
from reports.cli import OneLineParser

ROOT = Path(__file__).resolve().parent.parent


def _probe(backend: str, dtype: str, ops: list[str], compare: bool) -> dict:
    """Runs in the fresh process: first-call times of each op, then steady times."""
    start = time.perf_counter()
    import numba
    import numpy as np

    import kernels

    # Numba's one-time start-up (and its thread pool's, for the parallel backend), and
    # that of any other engine (a module's ``start_up``: JAX's client and first
    # compilation), kept off the ops' first calls.
    numba.njit(lambda x: x + 1)(1)
    if backend == "numba_parallel":
        numba.njit(parallel=True)(lambda a: a.sum())(np.ones(4))
    start_up = getattr(kernels.get(backend).module, "start_up", None)
    if start_up is not None:
        start_up()
    startup = time.perf_counter() - start

    results = {}
    for op in ops:
        implementation = kernels.get(backend)
        args = kernels.make_inputs(op, jit_sizes(op), dtype)
        native = implementation.prepare(op, *args)
        kernel = implementation.timed(op)
        first = first_call(kernel, *native)
        entry = {"first_s": first, "steady_s": median_of(kernel, *native)}
        if compare:
            for other in ("numpy", "python"):
                impl = kernels.get(other)
                entry[f"{other}_s"] = median_of(impl.timed(op), *impl.prepare(op, *args))
        results[op] = entry
    return {"startup_s": startup, "ops": results}


def _run_probe(backend: str, dtype: str, ops: list[str], cache_dir: str, compare: bool) -> dict:
    env = {
        **os.environ,
        "NUMBA_CACHE_DIR": cache_dir,
        # JAX's on-disk cache of compiled executables, for every compilation however
        # short: "warm" is then a load from disk for JAX as for Numba.
        "JAX_COMPILATION_CACHE_DIR": cache_dir,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    command = [sys.executable, "-m", "bench.jit_cost", backend, dtype, ",".join(ops)]
    if compare:
        command.append("--compare")
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"JIT probe for {backend} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(backends: list[str], ops: list[str], dtype: str = "float64") -> list[dict]:
    """One record per (op, backend) of the backend's own ops (a variant's others are its
    base's kernels, probed under the base): cold and warm first calls, steady state, and
    NumPy's and the loops' steady times on the same inputs."""
    records = []
    for backend in backends:
        own = [op for op in ops if op in kernels.own_ops(backend)]
        if not own:
            continue
        with tempfile.TemporaryDirectory(prefix="numba-cache-") as cache_dir:
            cold = _run_probe(backend, dtype, own, cache_dir, compare=False)
            warm = _run_probe(backend, dtype, own, cache_dir, compare=True)
        for op in own:
            records.append(
                {
                    "op": op,
                    "backend": backend,
                    "dtype": dtype,
                    "sizes": jit_sizes(op),
                    "cold_s": cold["ops"][op]["first_s"],
                    "warm_s": warm["ops"][op]["first_s"],
                    "steady_s": warm["ops"][op]["steady_s"],
                    "numpy_s": warm["ops"][op]["numpy_s"],
                    "python_s": warm["ops"][op]["python_s"],
                    "startup_s": cold["startup_s"],
                }
            )
    return records


def _op_names(text: str) -> list[str]:
    """A comma-separated list of the catalogue's ops."""
    from kernels import OPS

    ops = text.split(",")
    unknown = [op for op in ops if op not in OPS]
    if unknown:
        raise argparse.ArgumentTypeError(f"no op named {', '.join(unknown)}")
    return ops


def main(argv: list[str] | None = None) -> int:
    """The probe, as ``_run_probe`` starts it: one JSON line on stdout."""
    from kernels import OPS, installed_backends

    parser = OneLineParser(
        prog="python -m bench.jit_cost",
        description="The probe bench/test_ops.py runs in a fresh process: first-call and "
        "steady times of some ops on one backend, as one JSON line.",
    )
    parser.add_argument("backend", choices=installed_backends())
    parser.add_argument("dtype", choices=sorted({d for op in OPS.values() for d in op.dtypes}))
    parser.add_argument("ops", type=_op_names, metavar="OP,OP,...")
    parser.add_argument("--compare", action="store_true", help="NumPy's and the loops' too")
    args = parser.parse_args(argv)
    print(json.dumps(_probe(args.backend, args.dtype, args.ops, compare=args.compare)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
