"""The slides' demo, timed both ways: the slides' one ``time.time()`` pair around a first
call in a fresh interpreter, and the suite's median of rounds on the same kind of data
(``np.random.rand``). The conftest stores the first under ``vectorbench_slides``; the
second are ordinary pytest-benchmark entries (``extra_info.kind == "slides"``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench import records
from bench.conftest import ladder
from bench.slides import SIZE, slides_loop

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = {"full": 5, "lesson": 3, "smoke": 1}
# np.dot takes 0.1-0.4 ms at the slides' size: a round of one call would time little more
# than the clock and the call's own start (5 such rounds gave 238 µs where the ops' own
# rounds gave 130-329 µs). A round of np.dot is this many calls; the loop's is one.
DOT_CALLS = 100


def size(config) -> int:
    return 1_000 if ladder(config) == "smoke" else SIZE


def test_the_slide_as_a_student_runs_it(request):
    n = size(request.config)
    done = subprocess.run(
        [sys.executable, "-m", "bench.slides", str(n)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    measured = json.loads(done.stdout.strip().splitlines()[-1])
    assert measured["n"] == n
    assert measured["loop_ms"] > 0
    request.config.stash[records.SLIDES] = measured


@pytest.mark.parametrize("variant", ["for loop over NumPy arrays", "np.dot"])
def test_the_slide_as_the_suite_times_it(benchmark, request, variant):
    n = size(request.config)
    rng = np.random.default_rng(0)
    a, b = rng.random(n), rng.random(n)  # np.random.rand's distribution, reproducibly
    loop = variant.startswith("for")
    benchmark.group = "the slides' demo"
    benchmark.extra_info.update(kind="slides", variant=variant, n=n)
    benchmark.pedantic(
        slides_loop if loop else np.dot,
        args=(a, b),
        rounds=ROUNDS[ladder(request.config)],
        iterations=1 if loop else DOT_CALLS,
        warmup_rounds=1,
    )
