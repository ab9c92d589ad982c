"""The test run's shared on-disk XLA cache (tests/conftest.py): an entry read while
another process is still writing it costs a compilation, never a failed test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run by pytest in a fresh process, with the project's warning filters: JAX writes the
# entry, the test cuts it short (as a reader sees a half-written one), drops what JAX
# holds in memory and compiles the same function again.
INNER = """
import os, warnings
from pathlib import Path

import jax
import numpy as np


def test_a_truncated_entry_is_compiled_afresh():
    twice = jax.jit(lambda x: 2 * x)
    assert np.array_equal(twice(np.ones(3, np.float32)), 2 * np.ones(3))
    entries = [p for p in Path(os.environ["JAX_COMPILATION_CACHE_DIR"]).iterdir()
               if p.is_file() and p.stat().st_size > 16]
    assert entries, "nothing was cached"  # else nothing below is tested
    for entry in entries:
        entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])
    jax.clear_caches()  # under the project's filters, where a warning is an error
    assert np.array_equal(jax.jit(lambda x: 2 * x)(np.ones(3, np.float32)), 2 * np.ones(3))
    jax.clear_caches()  # the same entry, read again: it is what JAX warned of above
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        jax.jit(lambda x: 2 * x)(np.ones(3, np.float32))
    assert any("persistent compilation cache" in str(w.message) for w in seen)
"""


def test_a_half_written_cache_entry_is_not_an_error(tmp_path):
    (tmp_path / "test_inner.py").write_text(INNER)
    cache = tmp_path / "xla"
    cache.mkdir()
    env = {
        **os.environ,
        "JAX_COMPILATION_CACHE_DIR": str(cache),
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "0",
    }
    command = [
        sys.executable, "-m", "pytest", str(tmp_path / "test_inner.py"), "-q",
        "-c", str(ROOT / "pyproject.toml"), "-p", "no:cacheprovider", "-p", "no:xdist",
    ]  # fmt: skip
    done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "1 passed" in done.stdout
