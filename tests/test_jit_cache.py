"""A damaged Numba cache heals: the kernels still run, and the user is told once."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CALL_DOT = (
    "import numpy as np, kernels; print(kernels.get('numba').dot(np.arange(4.0), np.ones(4)))"
)


def call_dot(cache_dir: Path) -> tuple[str, list[str]]:
    """numba's dot in a fresh process using ``cache_dir``: its output and stderr lines."""
    done = subprocess.run(
        [sys.executable, "-c", CALL_DOT],
        cwd=ROOT,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip(), done.stderr.splitlines()


@pytest.fixture(scope="module")
def filled(tmp_path_factory) -> Path:
    """A cache directory that numba's dot, compiled in a fresh process, filled."""
    cache_dir = tmp_path_factory.mktemp("filled")
    assert call_dot(cache_dir) == ("6.0", [])  # compiles and fills the cache
    return cache_dir


@pytest.fixture
def cache_dir(filled, tmp_path) -> Path:
    """A copy of ``filled`` of this test's own to damage (a process and a compilation
    fewer than filling it again)."""
    copy = tmp_path / "cache"
    shutil.copytree(filled, copy)
    return copy


def test_a_damaged_cache_is_dropped_and_rebuilt(cache_dir):
    (index,) = cache_dir.rglob("python_loops.dot_in_quarters-*.nbi")
    (data,) = cache_dir.rglob("python_loops.dot_in_quarters-*.nbc")

    index.write_bytes(b"")  # truncated to nothing: EOFError in Numba itself
    output, messages = call_dot(cache_dir)
    assert output == "6.0"
    assert len(messages) == 1, messages
    assert "cache of dot_in_quarters was unreadable (EOFError)" in messages[0]
    assert call_dot(cache_dir) == ("6.0", [])  # healed: loaded again, silently

    (data,) = cache_dir.rglob("python_loops.dot_in_quarters-*.nbc")
    data.write_bytes(b"not a pickle at all" * 10)  # UnpicklingError in Numba itself
    output, messages = call_dot(cache_dir)
    assert output == "6.0"
    assert len(messages) == 1, messages
    assert "cache of dot_in_quarters was unreadable (UnpicklingError)" in messages[0]
    assert call_dot(cache_dir) == ("6.0", [])


WIDTH_PROBE = """
import re, numpy as np
from numba import config, njit
from llvmlite import binding
from kernels import numba_jit, python_loops
a = np.ones(1000)
jit = njit(fastmath=set(numba_jit.FASTMATH), error_model=numba_jit.ERROR_MODEL)
dot = jit(python_loops.dot_in_quarters)  # numba's dot
dot(a, a)
asm = next(iter(dot.inspect_asm().values()))
print(bool(binding.get_host_cpu_features().get("avx512f")))
print(bool(re.search(r"vfmadd\\w*pd\\s+[^\\n]*zmm", asm)))
print(config.CPU_FEATURES or "")
"""


def width_probe(env: dict) -> tuple[bool, bool, str]:
    """In a fresh process: (host has AVX-512, compiled dot uses 512-bit FMAs, features)."""
    done = subprocess.run(
        [sys.executable, "-c", WIDTH_PROBE],
        cwd=ROOT,
        env={key: value for key, value in env.items() if value is not None},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    avx512, zmm, features = [*done.stdout.splitlines(), ""][:3]
    return avx512 == "True", zmm == "True", features


def test_compiled_loops_use_the_processors_full_vector_width(tmp_path):
    """On an AVX-512 processor the compiled loops use 512-bit vectors, as OpenBLAS does
    there (LLVM alone would prefer 256); elsewhere LLVM's own choice is left alone."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_CPU_FEATURES": None}
    avx512, zmm, features = width_probe(env)
    assert zmm == avx512
    assert ("-prefer-256-bit" in features) == avx512


def test_a_users_own_cpu_features_are_kept(tmp_path):
    """NUMBA_CPU_FEATURES set by the user wins: here, AVX-512 switched off entirely."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path), "NUMBA_CPU_FEATURES": "-avx512f"}
    _, zmm, features = width_probe(env)
    assert features == "-avx512f"
    assert not zmm


def test_an_index_that_is_a_directory_is_dropped_and_rebuilt(cache_dir):
    (index,) = cache_dir.rglob("python_loops.dot_in_quarters-*.nbi")
    index.unlink()
    (index / "inside").mkdir(parents=True)  # IsADirectoryError, then again in the cleanup
    output, messages = call_dot(cache_dir)
    assert output == "6.0"
    assert len(messages) == 1, messages
    assert "cache of dot_in_quarters was unreadable (IsADirectoryError)" in messages[0]
    assert call_dot(cache_dir) == ("6.0", [])


def test_an_entry_of_another_signature_is_dropped_and_rebuilt(cache_dir):
    """A data file that holds the float32 code where the float64 code should be loads
    without error; what it claims is checked against the signature asked for."""
    float32 = subprocess.run(
        [
            sys.executable,
            "-c",
            CALL_DOT.replace("np.ones(4)", "np.ones(4, 'f4')").replace(
                "np.arange(4.0)", "np.arange(4.0, dtype='f4')"
            ),
        ],
        cwd=ROOT,
        env={**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert float32.stdout.strip() == "6.0"
    # ...-1.nbc, ...-2.nbc
    first, second = sorted(cache_dir.rglob("python_loops.dot_in_quarters-*.nbc"))
    first.write_bytes(second.read_bytes())  # the float64 entry now holds the float32 code
    output, messages = call_dot(cache_dir)
    assert output == "6.0"
    assert len(messages) == 1, messages
    assert "cache of dot_in_quarters was unreadable (MismatchedEntry)" in messages[0]
    assert call_dot(cache_dir) == ("6.0", [])
