"""The slides' training runs, every experiment on every backend, timed like the ops.

One untimed call first — it compiles or loads Numba's code, and its result (final
weights and history) is what the result file records — then pytest-benchmark times
``course.ROUNDS`` rounds of one call each (``pedantic``: a training run is long enough
to time alone, and the rounds are fixed so every backend gets the same number). The
conftest gathers the outcomes and these timings into ``vectorbench_course``.
"""

from __future__ import annotations

import functools

import pytest

import kernels
from bench import course, records
from bench.conftest import ladder


@functools.cache
def datasets() -> dict[str, dict]:
    return course.course_datasets()


@functools.cache
def reference_outcome(name: str) -> dict:
    experiment = next(e for e in course.EXPERIMENTS if e.name == name)
    data = datasets()[experiment.dataset]
    return course.outcome(course.training_call(experiment, data, course.REFERENCE_BACKEND)())


@pytest.mark.parametrize("backend", kernels.installed_backends())
@pytest.mark.parametrize("experiment", course.EXPERIMENTS, ids=lambda e: e.name)
def test_course(benchmark, request, experiment, backend):
    call = course.training_call(experiment, datasets()[experiment.dataset], backend)
    result = call()
    outcomes = request.config.stash[records.COURSE]
    outcome = course.outcome(result)
    outcomes.setdefault(experiment.name, {})[backend] = outcome
    assert len(result.history) == experiment.steps
    if backend != course.REFERENCE_BACKEND:  # a backend that disagrees is not timed
        X = datasets()[experiment.dataset]["X"]
        runs = {course.REFERENCE_BACKEND: reference_outcome(experiment.name), backend: outcome}
        agreement = course.agreement(
            runs, course.REFERENCE_BACKEND, len(X), len(X[0]), experiment.steps
        )
        assert agreement["within_tolerance"], agreement
    benchmark.group = f"course {experiment.name}"
    benchmark.extra_info.update(kind="course", experiment=experiment.name, backend=backend)
    benchmark.pedantic(call, rounds=course.ROUNDS[ladder(request.config)], iterations=1)
