"""The conditions a run was measured under, stored with its results.

CPU model, cores, cache sizes and SIMD extensions (py-cpuinfo, with Linux's sysfs for
the caches and physical cores), the BLAS library NumPy calls and its threads
(threadpoolctl), Numba's threading layer, library versions, the git commit and the
timer's resolution. A report built on another machine reads all of this from the file.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.metadata
import os
import platform
import re
import subprocess
import time
from pathlib import Path

from kernels.caches import cache_sizes
from vbschema import SCHEMA

SIMD_FLAGS = (
    "sse2", "sse4_1", "sse4_2", "avx", "avx2", "fma",
    "avx512f", "avx512dq", "avx512bw", "avx512vl", "avx512_vnni", "neon", "asimd", "sve",
)  # fmt: skip
PACKAGES = (
    "numpy", "numba", "llvmlite", "pytest", "pytest-benchmark", "threadpoolctl",
    "py-cpuinfo", "py-cpuinfo2", "pandas", "matplotlib", "jax", "jaxlib", "dask",
    "distributed", "torch",
)  # fmt: skip
THREAD_VARIABLES = (
    "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS", "NUMBA_THREADING_LAYER", "XLA_FLAGS",
)  # fmt: skip
ROOT = Path(__file__).resolve().parent.parent


def all_cores() -> int:
    """Logical cores this process may run on."""
    with contextlib.suppress(AttributeError):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@functools.cache
def last_level_cache_bytes() -> int | None:
    """The largest cache's size in bytes: from /sys, else py-cpuinfo, else None."""
    caches = cache_sizes()
    if caches:
        return max(caches.values())
    import cpuinfo

    info = cpuinfo.get_cpu_info()
    sizes = [info.get(key) for key in ("l3_cache_size", "l2_cache_size")]
    sizes = [int(size) for size in sizes if isinstance(size, int | float) and size > 0]
    return max(sizes) if sizes else None


def available_memory_bytes() -> int | None:
    memory = system_state()["memory"]
    return (memory or {}).get("available_bytes") or (memory or {}).get("total_bytes")


def _physical_cores() -> int | None:
    siblings = {
        path.read_text().strip()
        for path in Path("/sys/devices/system/cpu").glob("cpu[0-9]*/topology/thread_siblings_list")
    }
    return len(siblings) or None


def cpu_info() -> dict:
    import cpuinfo

    info = cpuinfo.get_cpu_info()
    caches = cache_sizes()

    def cache(key: str, cpuinfo_key: str) -> int | None:
        value = caches.get(key) or info.get(cpuinfo_key)
        return int(value) if isinstance(value, int | float) and value > 0 else None

    flags = set(info.get("flags", []))
    return {
        "brand": info.get("brand_raw") or platform.processor() or "unknown",
        "arch": info.get("arch_string_raw") or platform.machine(),
        "logical_cores": all_cores(),
        "physical_cores": _physical_cores(),
        "l1d_bytes": cache("l1d", "l1_data_cache_size"),
        "l2_bytes": cache("l2", "l2_cache_size"),
        "l3_bytes": cache("l3", "l3_cache_size"),
        "simd": [flag for flag in SIMD_FLAGS if flag in flags],
    }


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip() or None
    except OSError:
        return None


def system_state() -> dict:
    """What else shapes a timing: the CPU frequency governor (``performance`` holds the
    clock; ``powersave`` or ``schedutil`` let it drift with the load), the load average
    when the run started (other programs competing for the cores), and the memory.
    From the standard library and Linux's /sys and /proc; ``None`` where absent."""
    cpufreq = Path("/sys/devices/system/cpu/cpu0/cpufreq")
    try:
        load = [round(value, 2) for value in os.getloadavg()]
    except OSError:
        load = None
    # The load average remembers the last minute: a program that has just ended (the
    # tests, run before the benchmark) leaves it at the cores for a minute or two. So where
    # it is that high, what runs now is counted too (``running_others``).
    others = running_others() if load and load[0] >= all_cores() else None
    memory = None
    meminfo = _read(Path("/proc/meminfo"))
    if meminfo:
        fields = dict(line.split(":", 1) for line in meminfo.splitlines() if ":" in line)
        kib = {key: int(value.split()[0]) for key, value in fields.items() if value.split()}
        memory = {
            "total_bytes": kib.get("MemTotal", 0) * 1024 or None,
            "available_bytes": kib.get("MemAvailable", 0) * 1024 or None,
        }
    elif hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        memory = {"total_bytes": os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")}
    return {
        "governor": _read(cpufreq / "scaling_governor"),
        "max_frequency_khz": _read(cpufreq / "scaling_max_freq"),
        "load_average": load,
        "running_others": others,
        "memory": memory,
    }


def running_others(samples: int = 10, every_s: float = 0.05) -> float | None:
    """How many other threads were running or ready to run, on average over ``samples``
    readings of Linux's /proc/stat ``every_s`` apart (this process, reading, is one of
    those it counts); None where there is no /proc/stat."""
    counts = []
    for sample in range(samples):
        if sample:
            time.sleep(every_s)
        text = _read(Path("/proc/stat")) or ""
        found = [line.split()[1] for line in text.splitlines() if line.startswith("procs_running")]
        if not found or not found[0].isdigit():
            return None
        counts.append(max(0, int(found[0]) - 1))
    return round(sum(counts) / len(counts), 2)


def thread_info() -> dict:
    import numba
    from threadpoolctl import threadpool_info

    from bench.threads import launch_in_parallel

    launch_in_parallel()  # the threading layer is chosen at the first parallel launch
    return {
        "all_cores": all_cores(),
        "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "numba_threading_layer": numba.threading_layer(),
        # LLVM's features for Numba's code: "-prefer-256-bit" lets its loops use 512-bit
        # vectors as OpenBLAS does (kernels.jit_cache.allow_512_bit_vectors)
        "numba_cpu_features": numba.config.CPU_FEATURES or "",
        "blas": [
            {**{k: v for k, v in pool.items() if k != "filepath"}, "package": _package(pool)}
            for pool in threadpool_info()
            if pool.get("user_api") == "blas"
        ],
        "environment": {key: os.environ[key] for key in THREAD_VARIABLES if key in os.environ},
    }


# The packages whose wheels ship a BLAS of their own that a run may load.
BLAS_PACKAGES = ("numpy", "scipy", "torch")


def _package(pool: dict) -> str:
    """The package that shipped a library threadpoolctl found: ``numpy`` for
    ``…/numpy.libs/libscipy_openblas….so`` (Linux wheels), ``…/numpy/.dylibs/…`` (macOS)
    or ``…/torch/lib/…``; "" for any other place (a system or conda library), never the
    folder's own name, which may name the user or an environment."""
    folder = Path(pool.get("filepath") or "").parent
    name = folder.parent.name if folder.name in ("lib", ".dylibs") else folder.name
    name = name.removesuffix(".libs")
    return name if name in BLAS_PACKAGES else ""


def versions() -> dict:
    found = {"python": platform.python_version()}
    for package in PACKAGES:
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            found[package.replace("-", "_")] = importlib.metadata.version(package)
    return found


# What the suite writes into the checkout, which is not code: a regenerated reference
# report does not make the code that timed it count as changed.
GENERATED = (
    ":(exclude)reports/results",
    ":(exclude)reports/figures",
    ":(exclude)reports/local",
    ":(exclude,glob)reports/*.md",
    ":(exclude,glob)reports/*.csv",
    ":(exclude,glob)reports/compare-*/**",
    ":(exclude,glob)reports/report-*/**",  # the page's figures and tables (reports.atomic)
)


def git_state() -> dict:
    """The commit checked out and whether tracked files differ from it. Read when the run
    starts (``bench/conftest.py``), since that is the code the run times: an edit made
    while a long run is under way does not change what it measured."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", *GENERATED)
    return {"commit": commit, "dirty": None if status is None else bool(status)}


def timer_info() -> dict:
    """perf_counter's declared resolution, and the smallest step actually observed."""
    declared = time.get_clock_info("perf_counter").resolution
    steps = []
    for _ in range(2000):
        start = time.perf_counter()
        while (now := time.perf_counter()) == start:
            pass
        steps.append(now - start)
    return {"name": "perf_counter", "resolution_s": max(declared, min(steps))}


def machine_slug() -> str:
    """A file-name-safe machine name: the host's."""
    host = re.sub(r"[^A-Za-z0-9]+", "-", platform.node()).strip("-") or "machine"
    return host[:40]


def describe(
    quick: bool, limits: dict, git: dict | None = None, system: dict | None = None
) -> dict:
    """Everything stored under machine_info["vectorbench"]; ``git`` and ``system`` are the
    states read at the start of the run (read now when not given)."""
    return {
        "schema": SCHEMA,  # vbschema's; bench/upgrade.py converts schema 1
        "quick": quick,
        "cpu": cpu_info(),
        "threads": thread_info(),
        "versions": versions(),
        "git": git_state() if git is None else git,
        "timer": timer_info(),
        "system": system_state() if system is None else system,
        "limits": limits,
    }
