"""A damaged Numba cache heals: the kernels still run, and the user is told once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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


def test_a_damaged_cache_is_dropped_and_rebuilt(tmp_path):
    assert call_dot(tmp_path) == ("6.0", [])  # compiles and fills the cache
    (index,) = tmp_path.rglob("python_loops.dot-*.nbi")
    (data,) = tmp_path.rglob("python_loops.dot-*.nbc")

    index.write_bytes(b"")  # truncated to nothing: EOFError in Numba itself
    output, messages = call_dot(tmp_path)
    assert output == "6.0"
    assert len(messages) == 1, messages
    assert "cache of dot was unreadable (EOFError)" in messages[0]
    assert call_dot(tmp_path) == ("6.0", [])  # healed: loaded again, silently

    (data,) = tmp_path.rglob("python_loops.dot-*.nbc")
    data.write_bytes(b"not a pickle at all" * 10)  # UnpicklingError in Numba itself
    output, messages = call_dot(tmp_path)
    assert output == "6.0"
    assert len(messages) == 1, messages
    assert "cache of dot was unreadable (UnpicklingError)" in messages[0]
    assert call_dot(tmp_path) == ("6.0", [])
